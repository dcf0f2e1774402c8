/* data/idx.c — IDX files (MNIST, Fashion-MNIST; LeCun's format): big-endian magic
 * 0x00000803 + n, rows, cols + n·rows·cols pixel bytes for images, 0x00000801 + n + n label
 * bytes for labels; gzip-compressed when the name ends in .gz (zlib reads both anyway).
 * Also: the named-data-set lookup, normalisation and truncation of lowbit/data.h. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "lowbit/data.h"

void lb_dataset_free(lb_dataset *d)
{
    if (!d) return;
    free(d->x);
    free(d->y);
    d->x = NULL;
    d->y = NULL;
    d->n = 0;
}

/* Read exactly len bytes; returns the number read (short on EOF or error). */
static size_t gz_read_all(gzFile f, unsigned char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        unsigned chunk = len - got > (1u << 30) ? (1u << 30) : (unsigned)(len - got);
        int r = gzread(f, buf + got, chunk);
        if (r <= 0) break;
        got += (size_t)r;
    }
    return got;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Open and read the header words of an IDX file. */
static lb_status idx_open(const char *path, uint32_t magic, int nwords, uint32_t *words,
                          gzFile *out, lb_error *err)
{
    if (access(path, R_OK)) return lb_fail(err, LB_ERR_IO, "%s: no such readable file", path);
    gzFile f = gzopen(path, "rb");
    if (!f) return lb_fail(err, LB_ERR_IO, "%s: cannot open", path);
    unsigned char head[16];
    size_t want = 4 * (size_t)(nwords + 1);
    if (gz_read_all(f, head, want) != want) {
        gzclose(f);
        return lb_fail(err, LB_ERR_DATA, "%s: truncated: the IDX header needs %zu bytes", path,
                       want);
    }
    uint32_t m = be32(head);
    if (m != magic) {
        gzclose(f);
        return lb_fail(err, LB_ERR_DATA, "%s: bad IDX magic 0x%08x (expected 0x%08x)", path, m,
                       magic);
    }
    for (int i = 0; i < nwords; i++)
        words[i] = be32(head + 4 * (i + 1));
    *out = f;
    return LB_OK;
}

lb_status lb_idx_load(lb_dataset *d, const char *images_path, const char *labels_path, int classes,
                      lb_error *err)
{
    memset(d, 0, sizeof *d);
    uint32_t iw[3] = {0}, lw[1] = {0};
    gzFile fi = NULL, fl = NULL;
    lb_status st = idx_open(images_path, 0x00000803u, 3, iw, &fi, err);
    if (st) return st;
    st = idx_open(labels_path, 0x00000801u, 1, lw, &fl, err);
    if (st) {
        gzclose(fi);
        return st;
    }
    if (iw[0] != lw[0]) {
        st = lb_fail(err, LB_ERR_DATA, "%s: %u labels for %u images in %s", labels_path, lw[0],
                     iw[0], images_path);
        goto done;
    }
    if (iw[1] == 0 || iw[2] == 0 || iw[1] > 4096 || iw[2] > 4096) {
        st = lb_fail(err, LB_ERR_DATA, "%s: implausible image size %ux%u", images_path, iw[1],
                     iw[2]);
        goto done;
    }
    size_t n = iw[0], px = (size_t)iw[1] * iw[2];
    unsigned char *raw = malloc(n * px + 1), *lab = malloc(n + 1);
    d->x = malloc(n * px * sizeof *d->x);
    d->y = malloc(n * sizeof *d->y);
    if (!raw || !lab || !d->x || !d->y) {
        free(raw);
        free(lab);
        st = lb_fail(err, LB_ERR_NOMEM, "%s: out of memory for %zu images", images_path, n);
        goto done;
    }
    size_t got = gz_read_all(fi, raw, n * px);
    if (got != n * px)
        st = lb_fail(err, LB_ERR_DATA, "%s: truncated: expected %zu pixel bytes, got %zu",
                     images_path, n * px, got);
    else if ((got = gz_read_all(fl, lab, n)) != n)
        st = lb_fail(err, LB_ERR_DATA, "%s: truncated: expected %zu label bytes, got %zu",
                     labels_path, n, got);
    for (size_t i = 0; !st && i < n; i++)
        if (lab[i] >= classes)
            st = lb_fail(err, LB_ERR_DATA, "%s: label %u of example %zu is out of range [0, %d)",
                         labels_path, lab[i], i, classes);
    if (!st) {
        for (size_t i = 0; i < n * px; i++)
            d->x[i] = raw[i] * (1.0f / 255.0f);
        for (size_t i = 0; i < n; i++)
            d->y[i] = lab[i];
        d->n = (int64_t)n;
        d->c = 1;
        d->h = (int)iw[1];
        d->w = (int)iw[2];
        d->classes = classes;
    }
    free(raw);
    free(lab);
done:
    gzclose(fi);
    gzclose(fl);
    if (st) lb_dataset_free(d);
    return st;
}

/* dir/stem or dir/stem.gz, whichever exists (plain first). */
static void idx_path(char *out, size_t len, const char *dir, const char *stem)
{
    snprintf(out, len, "%s/%s", dir, stem);
    if (access(out, F_OK)) snprintf(out, len, "%s/%s.gz", dir, stem);
}

lb_status lb_dataset_load(lb_dataset *train, lb_dataset *test, const char *name, const char *dir,
                          lb_error *err)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    if (strcmp(name, "fashion-mnist") && strcmp(name, "mnist"))
        return lb_dataset_load_other(train, test, name, dir, err);
    if (access(dir, F_OK))
        return lb_fail(err, LB_ERR_IO, "%s: no such data directory for %s%s", dir, name,
                       strcmp(name, "fashion-mnist")
                           ? ""
                           : " (Debian: apt-get install dataset-fashion-mnist)");
    char ip[4096], lp[4096];
    idx_path(ip, sizeof ip, dir, "train-images-idx3-ubyte");
    idx_path(lp, sizeof lp, dir, "train-labels-idx1-ubyte");
    lb_status st = lb_idx_load(train, ip, lp, 10, err);
    if (st) return st;
    idx_path(ip, sizeof ip, dir, "t10k-images-idx3-ubyte");
    idx_path(lp, sizeof lp, dir, "t10k-labels-idx1-ubyte");
    st = lb_idx_load(test, ip, lp, 10, err);
    if (st) lb_dataset_free(train);
    return st;
}

void lb_dataset_stats(const lb_dataset *ref, double *mean, double *std)
{
    size_t px = (size_t)ref->h * (size_t)ref->w;
    for (int c = 0; c < ref->c; c++) {
        double s = 0, s2 = 0;
        for (int64_t i = 0; i < ref->n; i++) {
            const float *p = ref->x + ((size_t)i * (size_t)ref->c + (size_t)c) * px;
            for (size_t k = 0; k < px; k++) {
                s += p[k];
                s2 += (double)p[k] * p[k];
            }
        }
        double cnt = (double)ref->n * (double)px;
        double m = cnt > 0 ? s / cnt : 0;
        double v = cnt > 0 ? s2 / cnt - m * m : 1;
        if (mean) mean[c] = m;
        if (std) std[c] = v > 0 ? sqrt(v) : 1.0;
    }
}

void lb_dataset_normalize(lb_dataset *d, const double *mean, const double *std)
{
    size_t px = (size_t)d->h * (size_t)d->w;
    for (int64_t i = 0; i < d->n; i++)
        for (int c = 0; c < d->c; c++) {
            float *p = d->x + ((size_t)i * (size_t)d->c + (size_t)c) * px;
            float m = (float)mean[c], inv = (float)(1.0 / std[c]);
            for (size_t k = 0; k < px; k++)
                p[k] = (p[k] - m) * inv;
        }
}

void lb_dataset_truncate(lb_dataset *d, int64_t k)
{
    if (k >= 0 && k < d->n) d->n = k;
}
