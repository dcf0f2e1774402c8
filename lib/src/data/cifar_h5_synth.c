/* data/cifar_h5_synth.c — the other data sets of lowbit/data.h:
 *  - CIFAR-10/100 "binary version": records of label byte(s) + 3072 pixel bytes (1024 R, G, B
 *    planes of 32x32, i.e. CHW): data_batch_1..5.bin + test_batch.bin (CIFAR-10, 1 label
 *    byte), train.bin + test.bin (CIFAR-100: coarse then fine label; the fine one is used);
 *  - HDF5 image sets (TinyImageNet goes through this): datasets /train/images and
 *    /test/images (N,C,H,W) uint8, /train/labels and /test/labels (N) integer, root attribute
 *    num_classes (integer);
 *  - a seeded synthetic many-class set: class k has a prototype image P_k (entries +-1 from the
 *    counter-based generator keyed by (seed, k)); an example of class k is P_k + U(-a, a) noise
 *    per pixel, labels cycle through the classes. Learnable, deterministic, any C.
 *  - augmentation for CIFAR-like data: random crop from a 4-pixel zero-padded image + horizontal
 *    flip, drawn from (seed, epoch, example index), so it is the same for any thread count. */
#define _POSIX_C_SOURCE 200809L
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lowbit/data.h"
#include "lowbit/rng.h"

/* ---- CIFAR ------------------------------------------------------------------------------- */

static lb_status cifar_files(lb_dataset *d, const char *dir, const char *const *names, int nfiles,
                             int label_bytes, int classes, lb_error *err)
{
    const size_t rec = (size_t)label_bytes + 3072;
    size_t total = 0;
    long sizes[8];
    for (int i = 0; i < nfiles; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "rb");
        if (!f) return lb_fail(err, LB_ERR_IO, "%s: no such readable file", path);
        fseek(f, 0, SEEK_END);
        sizes[i] = ftell(f);
        fclose(f);
        if (sizes[i] <= 0 || (size_t)sizes[i] % rec)
            return lb_fail(err, LB_ERR_DATA,
                           "%s: %ld bytes is not a whole number of %zu-byte records (truncated?)",
                           path, sizes[i], rec);
        total += (size_t)sizes[i] / rec;
    }
    d->x = malloc(total * 3072 * sizeof *d->x);
    d->y = malloc(total * sizeof *d->y);
    unsigned char *buf = malloc(rec);
    if (!d->x || !d->y || !buf) {
        free(buf);
        lb_dataset_free(d);
        return lb_fail(err, LB_ERR_NOMEM, "out of memory for %zu CIFAR images", total);
    }
    size_t k = 0;
    for (int i = 0; i < nfiles; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "rb");
        for (long r = 0; f && r < sizes[i] / (long)rec; r++, k++) {
            if (fread(buf, 1, rec, f) != rec) {
                fclose(f);
                free(buf);
                lb_dataset_free(d);
                return lb_fail(err, LB_ERR_DATA, "%s: truncated at record %ld", path, r);
            }
            int lab = buf[label_bytes - 1];
            if (lab >= classes) {
                fclose(f);
                free(buf);
                lb_dataset_free(d);
                return lb_fail(err, LB_ERR_DATA,
                               "%s: label %d of record %ld is out of range [0, %d)", path, lab, r,
                               classes);
            }
            d->y[k] = lab;
            for (int p = 0; p < 3072; p++)
                d->x[k * 3072 + (size_t)p] = buf[label_bytes + p] * (1.0f / 255.0f);
        }
        if (f) fclose(f);
    }
    free(buf);
    d->n = (int64_t)total, d->c = 3, d->h = d->w = 32, d->classes = classes;
    d->augment = 1;
    return LB_OK;
}

static lb_status cifar_load(lb_dataset *tr, lb_dataset *te, int hundred, const char *dir,
                            lb_error *err)
{
    static const char *const c10_train[] = {"data_batch_1.bin", "data_batch_2.bin",
                                            "data_batch_3.bin", "data_batch_4.bin",
                                            "data_batch_5.bin"};
    static const char *const c10_test[] = {"test_batch.bin"};
    static const char *const c100_train[] = {"train.bin"}, *const c100_test[] = {"test.bin"};
    lb_status st = hundred ? cifar_files(tr, dir, c100_train, 1, 2, 100, err)
                           : cifar_files(tr, dir, c10_train, 5, 1, 10, err);
    if (st) return st;
    st = hundred ? cifar_files(te, dir, c100_test, 1, 2, 100, err)
                 : cifar_files(te, dir, c10_test, 1, 1, 10, err);
    if (st) lb_dataset_free(tr);
    te->augment = 0;
    return st;
}

/* ---- HDF5 image sets ------------------------------------------------------------------------- */

static lb_status h5_split(lb_dataset *d, hid_t f, const char *path, const char *split, int classes,
                          lb_error *err)
{
    char name[64];
    snprintf(name, sizeof name, "/%s/images", split);
    hid_t di = H5Dopen2(f, name, H5P_DEFAULT);
    if (di < 0) return lb_fail(err, LB_ERR_DATA, "%s: no dataset %s", path, name);
    hid_t sp = H5Dget_space(di);
    hsize_t dims[4] = {0};
    int nd = H5Sget_simple_extent_ndims(sp);
    H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    if (nd != 4 || !dims[0] || !dims[1] || !dims[2] || !dims[3]) {
        H5Dclose(di);
        return lb_fail(err, LB_ERR_DATA, "%s: %s must be (N,C,H,W), has %d dimensions", path, name,
                       nd);
    }
    size_t n = dims[0], px = (size_t)(dims[1] * dims[2] * dims[3]);
    unsigned char *raw = malloc(n * px);
    d->x = malloc(n * px * sizeof *d->x);
    d->y = malloc(n * sizeof *d->y);
    lb_status st = LB_OK;
    if (!raw || !d->x || !d->y)
        st = lb_fail(err, LB_ERR_NOMEM, "%s: out of memory", path);
    else if (H5Dread(di, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0)
        st = lb_fail(err, LB_ERR_DATA, "%s: cannot read %s as uint8", path, name);
    H5Dclose(di);
    if (!st) {
        snprintf(name, sizeof name, "/%s/labels", split);
        hid_t dl = H5Dopen2(f, name, H5P_DEFAULT);
        if (dl < 0)
            st = lb_fail(err, LB_ERR_DATA, "%s: no dataset %s", path, name);
        else {
            hid_t ls = H5Dget_space(dl);
            hsize_t ln = 0;
            int lnd = H5Sget_simple_extent_ndims(ls);
            H5Sget_simple_extent_dims(ls, &ln, NULL);
            H5Sclose(ls);
            if (lnd != 1 || ln != n)
                st = lb_fail(err, LB_ERR_DATA, "%s: %s has %llu entries for %zu images", path, name,
                             (unsigned long long)ln, n);
            else if (H5Dread(dl, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, d->y) < 0)
                st = lb_fail(err, LB_ERR_DATA, "%s: cannot read %s as integers", path, name);
            H5Dclose(dl);
        }
    }
    for (size_t i = 0; !st && i < n; i++)
        if (d->y[i] < 0 || d->y[i] >= classes)
            st = lb_fail(err, LB_ERR_DATA, "%s: %s label %d of example %zu is out of range [0, %d)",
                         path, split, d->y[i], i, classes);
    if (!st) {
        for (size_t i = 0; i < n * px; i++)
            d->x[i] = raw[i] * (1.0f / 255.0f);
        d->n = (int64_t)n, d->c = (int)dims[1], d->h = (int)dims[2], d->w = (int)dims[3];
        d->classes = classes;
    } else
        lb_dataset_free(d);
    free(raw);
    return st;
}

static lb_status h5_load(lb_dataset *tr, lb_dataset *te, const char *path, lb_error *err)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (access(path, R_OK)) return lb_fail(err, LB_ERR_IO, "%s: no such readable file", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return lb_fail(err, LB_ERR_DATA, "%s: not an HDF5 file", path);
    int classes = 0;
    hid_t a = H5Aexists(f, "num_classes") > 0 ? H5Aopen(f, "num_classes", H5P_DEFAULT) : -1;
    if (a < 0 || H5Aread(a, H5T_NATIVE_INT, &classes) < 0 || classes < 2) {
        if (a >= 0) H5Aclose(a);
        H5Fclose(f);
        return lb_fail(err, LB_ERR_DATA, "%s: missing or bad root attribute num_classes", path);
    }
    H5Aclose(a);
    lb_status st = h5_split(tr, f, path, "train", classes, err);
    if (!st) st = h5_split(te, f, path, "test", classes, err);
    if (st) lb_dataset_free(tr);
    if (!st && (tr->c != te->c || tr->h != te->h || tr->w != te->w)) {
        st = lb_fail(err, LB_ERR_DATA, "%s: train and test images have different shapes", path);
        lb_dataset_free(tr);
        lb_dataset_free(te);
    }
    H5Fclose(f);
    return st;
}

/* ---- synthetic many-class ------------------------------------------------------------------ */

lb_status lb_synthetic_make(lb_dataset *d, int classes, int64_t n, int size, double noise,
                            uint64_t seed, uint64_t split, lb_error *err)
{
    memset(d, 0, sizeof *d);
    if (classes < 2 || classes > 100000 || n < 1 || size < 1 || size > 1024)
        return lb_fail(err, LB_ERR_ARG, "synthetic: classes %d, n %lld, size %d out of range",
                       classes, (long long)n, size);
    size_t px = (size_t)size * size;
    d->x = malloc((size_t)n * px * sizeof *d->x);
    d->y = malloc((size_t)n * sizeof *d->y);
    if (!d->x || !d->y) {
        lb_dataset_free(d);
        return lb_fail(err, LB_ERR_NOMEM, "synthetic: out of memory");
    }
    lb_rng_key nk = lb_rng_make_key(seed, 0x4e4f495345ull /* "NOISE" */, split);
    for (int64_t i = 0; i < n; i++) {
        int k = (int)(i % classes);
        lb_rng_key pk = lb_rng_make_key(seed, 0x50524f54ull /* "PROT" */, (uint64_t)k);
        d->y[i] = k;
        for (size_t p = 0; p < px; p++) {
            float proto = (lb_rng_u32(pk, p) & 1) ? 1.0f : -1.0f;
            float u = 2.0f * lb_rng_uniform(nk, (uint64_t)i * px + p) - 1.0f;
            d->x[(size_t)i * px + p] = proto + (float)noise * u;
        }
    }
    d->n = n, d->c = 1, d->h = d->w = size, d->classes = classes;
    return LB_OK;
}

static lb_status synth_load(lb_dataset *tr, lb_dataset *te, const char *params, lb_error *err)
{
    long classes = 10, n = 20000, size = 16;
    double noise = 2.0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", params);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        char *eq = strchr(tok, '=');
        char *end = NULL;
        if (!eq) return lb_fail(err, LB_ERR_ARG, "synthetic: '%s' is not key=value", tok);
        *eq = 0;
        const char *v = eq + 1;
        if (!strcmp(tok, "classes"))
            classes = strtol(v, &end, 10);
        else if (!strcmp(tok, "n"))
            n = strtol(v, &end, 10);
        else if (!strcmp(tok, "size"))
            size = strtol(v, &end, 10);
        else if (!strcmp(tok, "noise"))
            noise = strtod(v, &end);
        else
            return lb_fail(err, LB_ERR_ARG,
                           "synthetic: unknown key '%s' (accepted: classes, n, size, noise)", tok);
        if (!end || *end || end == v)
            return lb_fail(err, LB_ERR_ARG, "synthetic: %s='%s' is not a number", tok, v);
    }
    lb_status st = lb_synthetic_make(tr, (int)classes, n, (int)size, noise, 1, 0, err);
    if (!st)
        st =
            lb_synthetic_make(te, (int)classes, n / 5 > 0 ? n / 5 : 1, (int)size, noise, 1, 1, err);
    if (st) lb_dataset_free(tr);
    return st;
}

/* ---- augmentation ---------------------------------------------------------------------------- */

void lb_augment_crop_flip(float *dst, const float *src, int c, int h, int w, int pad, uint64_t seed,
                          uint64_t epoch, uint64_t index)
{
    lb_rng_key k = lb_rng_make_key(seed, 0x41554721ull /* "AUG!" */, epoch);
    uint32_t r = lb_rng_u32(k, index);
    int dy = (int)(r % (uint32_t)(2 * pad + 1)) - pad;
    int dx = (int)((r >> 8) % (uint32_t)(2 * pad + 1)) - pad;
    int flip = (int)((r >> 16) & 1);
    for (int ch = 0; ch < c; ch++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int sy = y + dy, sx = (flip ? w - 1 - x : x) + dx;
                dst[((size_t)ch * h + y) * w + x] = (sy >= 0 && sy < h && sx >= 0 && sx < w)
                                                        ? src[((size_t)ch * h + sy) * w + sx]
                                                        : 0.0f;
            }
}

/* ---- the named lookup for the non-IDX sets (called from idx.c's lb_dataset_load) ------------- */

lb_status lb_dataset_load_other(lb_dataset *tr, lb_dataset *te, const char *name, const char *dir,
                                lb_error *err)
{
    if (!strcmp(name, "cifar10") || !strcmp(name, "cifar100")) {
        if (access(dir, F_OK))
            return lb_fail(err, LB_ERR_IO,
                           "%s: no such data directory for %s (the CIFAR binary "
                           "version, unpacked)",
                           dir, name);
        return cifar_load(tr, te, name[5] == '1' && name[6] == '0' && name[7] == '0', dir, err);
    }
    if (!strncmp(name, "hdf5:", 5)) return h5_load(tr, te, name + 5, err);
    if (!strncmp(name, "synthetic:", 10)) return synth_load(tr, te, name + 10, err);
    if (!strcmp(name, "synthetic")) return synth_load(tr, te, "", err);
    return lb_fail(err, LB_ERR_ARG,
                   "unknown data set '%s' (accepted: fashion-mnist, mnist, cifar10, cifar100, "
                   "hdf5:PATH, synthetic:classes=C[,n=N,size=S,noise=A])",
                   name);
}
