/* data/pairs.c — a 100-class task from the 10-class IDX sets: "fashion-mnist-pairs" and
 * "mnist-pairs". Each image is two items of the base set side by side, (c, h, 2w), and its
 * label is 10·(class of the left item) + (class of the right item), so 10 base classes give
 * 100 classes and a model must recognise both halves to be right. It exists so that claims
 * about many-class training (docs/methods.md#p2, #p4) can be examined on real images that a
 * Debian package ships, instead of only on the synthetic prototypes.
 *
 * Construction (a pure function of (seed, split, index) through lowbit/rng.h; the same on
 * every machine and for any thread count):
 *   example i has label k = i mod C² (C = base classes; balanced in every prefix, so
 *   --train-subset keeps the balance); its left item is the j-th example of class k / C of
 *   the base split, j = (u·count) >> 32 with u = lb_rng_u32(key(seed, "PAIRS", split), 2i),
 *   its right item likewise from class k mod C with index 2i + 1.
 * The training pairs draw only from the base training split and the test pairs only from the
 * base test split: no item of a test image was seen in training.
 * Not here: pairs of the same item (possible for k = 11·a, as in any draw with replacement) are
 * not excluded. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "lowbit/data.h"
#include "lowbit/rng.h"

#define PAIRS_STREAM 0x5041495253ull /* "PAIRS" */

lb_status lb_pairs_make(lb_dataset *d, const lb_dataset *src, int64_t n, uint64_t seed,
                        uint64_t split, lb_error *err)
{
    if (!d || !src) return lb_fail(err, LB_ERR_ARG, "lb_pairs_make: NULL dataset");
    memset(d, 0, sizeof *d);
    const int c = src->classes;
    if (c < 2 || c > 46340 || src->n < 1 || !src->x || !src->y)
        return lb_fail(err, LB_ERR_ARG,
                       "pairs: base split of %lld examples, %d classes is not usable",
                       (long long)src->n, c);
    if (n < 1 || n > INT32_MAX)
        return lb_fail(err, LB_ERR_ARG, "pairs: n=%lld out of range [1, 2^31-1]", (long long)n);
    if (src->w > 32768)
        return lb_fail(err, LB_ERR_ARG, "pairs: base images %d pixels wide, at most 32768", src->w);
    /* index lists per base class */
    int64_t *count = calloc((size_t)c, sizeof *count),
            *start = calloc((size_t)c + 1, sizeof *start);
    int64_t *idx = malloc((size_t)src->n * sizeof *idx), *fill = calloc((size_t)c, sizeof *fill);
    lb_status st = LB_OK;
    if (!count || !start || !idx || !fill) {
        st = lb_fail(err, LB_ERR_NOMEM, "pairs: out of memory for the class index");
        goto done;
    }
    for (int64_t i = 0; i < src->n; i++) {
        if (src->y[i] < 0 || src->y[i] >= c) {
            st = lb_fail(err, LB_ERR_DATA, "pairs: base label %d of example %lld out of [0, %d)",
                         (int)src->y[i], (long long)i, c);
            goto done;
        }
        count[src->y[i]]++;
    }
    for (int k = 0; k < c; k++) {
        if (!count[k]) {
            st = lb_fail(err, LB_ERR_DATA, "pairs: base split has no example of class %d", k);
            goto done;
        }
        start[k + 1] = start[k] + count[k];
    }
    for (int64_t i = 0; i < src->n; i++)
        idx[start[src->y[i]] + fill[src->y[i]]++] = i;
    st = lb_dataset_alloc(d, n, src->c, src->h, 2 * src->w, c * c, err);
    if (st) goto done;
    const lb_rng_key key = lb_rng_make_key(seed, PAIRS_STREAM, split);
    const size_t w = (size_t)src->w, row = 2 * w, img = (size_t)src->h * w;
    const size_t out_img = (size_t)src->c * src->h * row;
#pragma omp parallel for schedule(static) if (n > 4096)
    for (int64_t i = 0; i < n; i++) {
        const int k = (int)(i % ((int64_t)c * c));
        const int half[2] = {k / c, k % c};
        const float *item[2];
        for (int s = 0; s < 2; s++) {
            uint64_t u = lb_rng_u32(key, 2 * (uint64_t)i + (uint64_t)s);
            int64_t j = (int64_t)((u * (uint64_t)count[half[s]]) >> 32);
            item[s] = src->x + (size_t)idx[start[half[s]] + j] * (size_t)src->c * img;
        }
        float *x = d->x + (size_t)i * out_img;
        for (int ch = 0; ch < src->c; ch++)
            for (int y = 0; y < src->h; y++) {
                float *o = x + ((size_t)ch * src->h + (size_t)y) * row;
                memcpy(o, item[0] + (size_t)ch * img + (size_t)y * w, w * sizeof *o);
                memcpy(o + w, item[1] + (size_t)ch * img + (size_t)y * w, w * sizeof *o);
            }
        d->y[i] = k;
    }
done:
    free(count);
    free(start);
    free(idx);
    free(fill);
    return st;
}

/* "n=N,test=M,seed=K" (each optional; defaults 60000, 10000, 1), split by the spec parser's
 * lb_kv_split */
static lb_status parse_params(const char *params, long long *n, long long *ntest, long long *seed,
                              lb_error *err)
{
    lb_kv kv[16];
    int nkv = 0;
    lb_error e2;
    if (params && *params && lb_kv_split(params, kv, 16, &nkv, &e2))
        return lb_fail(err, LB_ERR_ARG, "pairs: bad parameter list '%s' (keys: n, test, seed): %s",
                       params, e2.msg);
    for (int i = 0; i < nkv; i++) {
        const char *k = kv[i].key, *v = kv[i].value;
        long long *out = !strcmp(k, "n")      ? n
                         : !strcmp(k, "test") ? ntest
                         : !strcmp(k, "seed") ? seed
                                              : NULL;
        if (!out)
            return lb_fail(err, LB_ERR_ARG, "pairs: unknown key '%s' (accepted: n, test, seed)", k);
        if (!*v)
            return lb_fail(err, LB_ERR_ARG, "pairs: '%s' is not key=value (keys: n, test, seed)",
                           k);
        char *vend = NULL;
        errno = 0;
        *out = strtoll(v, &vend, 10);
        if (*vend || errno)
            return lb_fail(err, LB_ERR_ARG, "pairs: %s='%s' is not an integer", k, v);
    }
    if (*n < 1 || *n > INT32_MAX)
        return lb_fail(err, LB_ERR_ARG, "pairs: n=%lld out of range [1, 2^31-1]", *n);
    if (*ntest < 1 || *ntest > INT32_MAX)
        return lb_fail(err, LB_ERR_ARG, "pairs: test=%lld out of range [1, 2^31-1]", *ntest);
    if (*seed < 0) return lb_fail(err, LB_ERR_ARG, "pairs: seed=%lld must not be negative", *seed);
    return LB_OK;
}

lb_status lb_pairs_check(const char *base, const char *params, const char *dir, int files,
                         lb_error *err)
{
    long long n = 60000, ntest = 10000, seed = 1;
    lb_status st = parse_params(params, &n, &ntest, &seed, err);
    return st ? st : lb_dataset_check(base, dir, files, err);
}

lb_status lb_pairs_load(lb_dataset *train, lb_dataset *test, const char *base, const char *params,
                        const char *dir, lb_error *err)
{
    if (!train || !test) return lb_fail(err, LB_ERR_ARG, "lb_pairs_load: NULL split");
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    long long n = 60000, ntest = 10000, seed = 1;
    lb_status st = parse_params(params, &n, &ntest, &seed, err); /* before the (slow) load */
    if (st) return st;
    lb_dataset btrain, btest;
    st = lb_dataset_load(&btrain, &btest, base, dir, err);
    if (st) return st;
    if (btrain.classes > 10) {
        lb_dataset_free(&btrain);
        lb_dataset_free(&btest);
        return lb_fail(err, LB_ERR_ARG, "pairs: base set %s has %d classes, at most 10", base,
                       btrain.classes);
    }
    st = lb_pairs_make(train, &btrain, n, (uint64_t)seed, 0, err);
    if (!st) st = lb_pairs_make(test, &btest, ntest, (uint64_t)seed, 1, err);
    if (st) lb_dataset_free(train);
    lb_dataset_free(&btrain);
    lb_dataset_free(&btest);
    return st;
}
