/* data/dataset.c — the lb_dataset container of lowbit/data.h: allocation, per-channel
 * statistics and normalisation, truncation, and the lookup of data sets by name.
 * The loaders are in idx.c, cifar.c, hdf5.c and synthetic.c; shuffles, batches and
 * augmentation in batch.c. */
#define _DEFAULT_SOURCE /* madvise, MADV_HUGEPAGE */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/internal.h"
#include "lowbit/data.h"

/* Large pixel arrays (a float copy of Fashion-MNIST is 188 MB) spend most of their load time
 * in first-touch page faults; 2 MiB-aligned memory with a transparent-huge-page hint cuts
 * that by about half where the kernel honours it. A hint only: failure changes nothing. */
static void *alloc_large(size_t bytes)
{
#ifdef MADV_HUGEPAGE
    const size_t huge = (size_t)1 << 21;
    if (bytes >= 4 * huge) {
        size_t len = (bytes + huge - 1) & ~(huge - 1);
        void *p = aligned_alloc(huge, len);
        if (p) (void)madvise(p, len, MADV_HUGEPAGE);
        return p;
    }
#endif
    return malloc(bytes ? bytes : 1);
}

lb_status lb_dataset_alloc(lb_dataset *d, int64_t n, int c, int h, int w, int classes,
                           lb_error *err)
{
    if (!d) return lb_fail(err, LB_ERR_ARG, "lb_dataset_alloc: NULL dataset");
    memset(d, 0, sizeof *d);
    if (n < 1 || n > INT32_MAX || c < 1 || c > LB_DATASET_MAX_CHANNELS || h < 1 || h > 65536 ||
        w < 1 || w > 65536 || classes < 1)
        return lb_fail(err, LB_ERR_ARG,
                       "data set shape (%lld,%d,%d,%d) with %d classes is out of range (n in "
                       "[1, 2^31), c in [1, %d], h and w in [1, 65536], classes >= 1)",
                       (long long)n, c, h, w, classes, LB_DATASET_MAX_CHANNELS);
    size_t px = (size_t)c * (size_t)h * (size_t)w;
    if ((size_t)n > SIZE_MAX / sizeof(float) / px)
        return lb_fail(err, LB_ERR_NOMEM, "data set of %lld images of %zu pixels is too large",
                       (long long)n, px);
    d->x = alloc_large((size_t)n * px * sizeof *d->x);
    d->y = malloc((size_t)n * sizeof *d->y);
    if (!d->x || !d->y) {
        lb_dataset_free(d);
        return lb_fail(err, LB_ERR_NOMEM, "out of memory for %lld images of %dx%dx%d", (long long)n,
                       c, h, w);
    }
    d->n = n, d->c = c, d->h = h, d->w = w, d->classes = classes;
    return LB_OK;
}

void lb_dataset_free(lb_dataset *d)
{
    if (!d) return;
    free(d->x);
    free(d->y);
    memset(d, 0, sizeof *d);
}

lb_status lb_data_check_file(const char *path, const char *what, lb_error *err)
{
    struct stat sb;
    if (stat(path, &sb)) return lb_fail(err, LB_ERR_IO, "%s: no such readable file", path);
    if (S_ISDIR(sb.st_mode))
        return lb_fail(err, LB_ERR_IO, "%s: is a directory, not %s", path, what);
    return LB_OK;
}

void lb_dataset_truncate(lb_dataset *d, int64_t k)
{
    if (d && k >= 0 && k < d->n) d->n = k;
}

/* ---- statistics and normalisation ------------------------------------------------------- */

#define STAT_BLOCKS 64 /* fixed partition of the examples: the sum order never changes */

void lb_dataset_stats(const lb_dataset *ref, double *mean, double *std)
{
    const size_t px = (size_t)ref->h * (size_t)ref->w;
    for (int c = 0; c < ref->c; c++) {
        double s[STAT_BLOCKS] = {0}, s2[STAT_BLOCKS] = {0};
#pragma omp parallel for schedule(static) if (ref->n * (int64_t)px > 1000000)
        for (int b = 0; b < STAT_BLOCKS; b++) {
            int64_t i0 = ref->n * b / STAT_BLOCKS, i1 = ref->n * (b + 1) / STAT_BLOCKS;
            double bs = 0, bs2 = 0;
            for (int64_t i = i0; i < i1; i++) {
                const float *p = ref->x + ((size_t)i * (size_t)ref->c + (size_t)c) * px;
                for (size_t k = 0; k < px; k++) {
                    bs += p[k];
                    bs2 += (double)p[k] * p[k];
                }
            }
            s[b] = bs, s2[b] = bs2;
        }
        double sum = 0, sum2 = 0;
        for (int b = 0; b < STAT_BLOCKS; b++)
            sum += s[b], sum2 += s2[b];
        double cnt = (double)ref->n * (double)px;
        double m = cnt > 0 ? sum / cnt : 0;
        double ex2 = cnt > 0 ? sum2 / cnt : 0;
        double v = ex2 - m * m; /* E[x²] - E[x]², fine in double for pixel data */
        if (mean) mean[c] = m;
        /* a constant channel leaves only rounding noise in v: keep it unscaled */
        if (std) std[c] = v > 1e-12 * ex2 && v > 0 ? sqrt(v) : 1.0;
    }
}

void lb_dataset_normalize(lb_dataset *d, const double *mean, const double *std)
{
    const size_t px = (size_t)d->h * (size_t)d->w;
    float m[LB_DATASET_MAX_CHANNELS], inv[LB_DATASET_MAX_CHANNELS];
    for (int c = 0; c < d->c && c < LB_DATASET_MAX_CHANNELS; c++)
        m[c] = (float)mean[c], inv[c] = (float)(1.0 / std[c]);
#pragma omp parallel for schedule(static) if (d->n * (int64_t)px > 1000000)
    for (int64_t i = 0; i < d->n; i++)
        for (int c = 0; c < d->c; c++) {
            float *p = d->x + ((size_t)i * (size_t)d->c + (size_t)c) * px;
            for (size_t k = 0; k < px; k++)
                p[k] = (p[k] - m[c]) * inv[c];
        }
}

/* ---- lookup by name ------------------------------------------------------------------------ */

#define LB_DATASET_NAMES                                                                           \
    "fashion-mnist, mnist, fashion-mnist-pairs[:n=N,test=M,seed=K], mnist-pairs[:...], cifar10, "  \
    "cifar100, hdf5:PATH, synthetic:classes=C[,n=N,test=M,size=S,noise=A,seed=K]"

static lb_status no_dir(const char *name, lb_error *err)
{
    return lb_fail(err, LB_ERR_ARG, "data set %s needs a data directory", name);
}

/* The directory of an IDX pair: dir, or for fashion-mnist the Debian package's; NULL if none. */
static const char *idx_dir(const char *name, const char *dir)
{
    return dir ? dir : strcmp(name, "fashion-mnist") ? NULL : "/usr/share/datasets/fashion-mnist";
}

/* The four IDX files of "fashion-mnist"/"mnist" in dir (the Debian package's directory if dir is
 * NULL for fashion-mnist): p[split][images, labels], each the plain file if it exists, else
 * the .gz. */
static lb_status idx_paths(const char *name, const char *dir, char p[2][2][4096], lb_error *err)
{
    if (!(dir = idx_dir(name, dir))) return no_dir(name, err);
    if (access(dir, F_OK))
        return lb_fail(err, LB_ERR_IO, "%s: no such data directory for %s%s", dir, name,
                       strcmp(name, "fashion-mnist")
                           ? ""
                           : " (Debian: apt-get install dataset-fashion-mnist)");
    static const char *const stems[2][2] = {{"train-images-idx3-ubyte", "train-labels-idx1-ubyte"},
                                            {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}};
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < 2; k++) {
            int len = snprintf(p[s][k], sizeof p[s][k], "%s/%s", dir, stems[s][k]);
            if (len < 0 || (size_t)len + 3 >= sizeof p[s][k])
                return lb_fail(err, LB_ERR_ARG, "%s: data directory path too long", dir);
            if (access(p[s][k], F_OK)) strcat(p[s][k], ".gz");
        }
    return LB_OK;
}

static lb_status load_idx_pair(lb_dataset *train, lb_dataset *test, const char *name,
                               const char *dir, lb_error *err)
{
    char p[2][2][4096]; /* [split][images, labels] */
    lb_status st = idx_paths(name, dir, p, err);
    if (st) return st;
    lb_dataset *out[2] = {train, test};
    for (int s = 0; s < 2; s++) {
        st = lb_idx_load(out[s], p[s][0], p[s][1], 10, err);
        /* the model is built for the training images: test images of another size would be
         * read past their end */
        if (!st && s == 1 && (test->h != train->h || test->w != train->w))
            st = lb_fail(err, LB_ERR_DATA,
                         "%s: test images are %dx%d but the training images %s are %dx%d", p[1][0],
                         test->h, test->w, p[0][0], train->h, train->w);
        if (st) {
            lb_dataset_free(train);
            lb_dataset_free(test);
            return st;
        }
    }
    return LB_OK;
}

enum { OPEN_LOAD, OPEN_NAME, OPEN_FILES };

/* The lookup by name for lb_dataset_load (OPEN_LOAD) and lb_dataset_check (the same branches,
 * checking the name and parameters, and with OPEN_FILES the paths, without reading data). */
static lb_status dataset_open(lb_dataset *train, lb_dataset *test, const char *name,
                              const char *dir, int mode, lb_error *err)
{
    const int check = mode != OPEN_LOAD, files = mode == OPEN_FILES;
    if (!name) return lb_fail(err, LB_ERR_ARG, "no data set name (accepted: " LB_DATASET_NAMES ")");
    if (!strcmp(name, "fashion-mnist") || !strcmp(name, "mnist")) {
        if (!check) return load_idx_pair(train, test, name, dir, err);
        if (!files) /* idx_paths' first check, the one that needs no file system */
            return idx_dir(name, dir) ? LB_OK : no_dir(name, err);
        char p[2][2][4096];
        lb_status st = idx_paths(name, dir, p, err);
        for (int i = 0; i < 4 && !st; i++)
            st = lb_data_check_file(p[i / 2][i % 2], "an IDX file", err);
        return st;
    }
    if (!strcmp(name, "cifar10") || !strcmp(name, "cifar100")) {
        if (!dir) return no_dir(name, err);
        if (!check) return lb_cifar_load(train, test, dir, strcmp(name, "cifar10") ? 100 : 10, err);
        struct stat sb;
        if (files && (stat(dir, &sb) || !S_ISDIR(sb.st_mode)))
            return lb_fail(err, LB_ERR_IO, "%s: no such data directory for %s", dir, name);
        return LB_OK;
    }
    if (!strncmp(name, "hdf5:", 5)) {
        const char *path = name + 5;
        char joined[4096];
        if (path[0] != '/' && dir && access(path, F_OK)) {
            int len = snprintf(joined, sizeof joined, "%s/%s", dir, path);
            if (len > 0 && (size_t)len < sizeof joined && !access(joined, F_OK)) path = joined;
        }
        if (!*path) return lb_fail(err, LB_ERR_ARG, "data set hdf5: needs a file (hdf5:PATH)");
        if (check) return files ? lb_data_check_file(path, "an HDF5 file", err) : LB_OK;
        return lb_hdf5_load(train, test, path, err);
    }
    static const char *const pair_bases[2] = {"fashion-mnist", "mnist"};
    for (int b = 0; b < 2; b++) { /* "<base>-pairs" or "<base>-pairs:params" */
        size_t len = strlen(pair_bases[b]);
        if (!strncmp(name, pair_bases[b], len) && !strncmp(name + len, "-pairs", 6) &&
            (name[len + 6] == 0 || name[len + 6] == ':')) {
            const char *params = name[len + 6] ? name + len + 7 : "";
            return check ? lb_pairs_check(pair_bases[b], params, dir, files, err)
                         : lb_pairs_load(train, test, pair_bases[b], params, dir, err);
        }
    }
    if (!strncmp(name, "synthetic:", 10) || !strcmp(name, "synthetic")) {
        const char *params = name[9] ? name + 10 : "";
        return check ? lb_synthetic_check(params, err)
                     : lb_synthetic_load(train, test, params, err);
    }
    return lb_fail(err, LB_ERR_ARG, "unknown data set '%s' (accepted: " LB_DATASET_NAMES ")", name);
}

lb_status lb_dataset_load(lb_dataset *train, lb_dataset *test, const char *name, const char *dir,
                          lb_error *err)
{
    if (!train || !test) return lb_fail(err, LB_ERR_ARG, "lb_dataset_load: NULL split");
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    return dataset_open(train, test, name, dir, OPEN_LOAD, err);
}

lb_status lb_dataset_check(const char *name, const char *dir, int files, lb_error *err)
{
    return dataset_open(NULL, NULL, name, dir, files ? OPEN_FILES : OPEN_NAME, err);
}

const char *lb_dataset_names(void)
{
    return LB_DATASET_NAMES;
}
