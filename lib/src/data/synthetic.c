/* data/synthetic.c — a seeded many-class image set for the last-layer experiments (C up to
 * 1000 and beyond, where no small real data set exists). Class k has a prototype P_k of ±1
 * pixels; example i has label i mod C and pixels P_k + noise·U(-1, 1). Every value is a pure
 * function of (seed, class or split, index) through lowbit/rng.h, so the set is the same on
 * every machine and for any thread count. Prototypes of two classes differ in about half of
 * their pixels (distance² ≈ 2·size²), far beyond the noise at the defaults, so the classes are
 * separable and the set is learnable; the noise makes single examples ambiguous enough that
 * accuracy is not trivially 100 % for small models at high C.
 * Not here: spatial structure (prototypes are white noise, not natural-image-like). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lowbit/data.h"
#include "lowbit/rng.h"

#define SYN_STREAM_PROTO 0x50524f54ull   /* "PROT" */
#define SYN_STREAM_NOISE 0x4e4f495345ull /* "NOISE" */

lb_status lb_synthetic_make(lb_dataset *d, int classes, int64_t n, int size, double noise,
                            uint64_t seed, uint64_t split, lb_error *err)
{
    if (!d) return lb_fail(err, LB_ERR_ARG, "lb_synthetic_make: NULL dataset");
    memset(d, 0, sizeof *d);
    if (classes < 2 || classes > 100000)
        return lb_fail(err, LB_ERR_ARG, "synthetic: classes=%d out of range [2, 100000]", classes);
    if (n < 1 || n > INT32_MAX)
        return lb_fail(err, LB_ERR_ARG, "synthetic: n=%lld out of range [1, 2^31-1]", (long long)n);
    if (size < 1 || size > 1024)
        return lb_fail(err, LB_ERR_ARG, "synthetic: size=%d out of range [1, 1024]", size);
    if (!(noise >= 0 && noise <= 1e6))
        return lb_fail(err, LB_ERR_ARG, "synthetic: noise=%g out of range [0, 1e6]", noise);
    lb_status st = lb_dataset_alloc(d, n, 1, size, size, classes, err);
    if (st) return st;
    const size_t px = (size_t)size * (size_t)size;
    const lb_rng_key nk = lb_rng_make_key(seed, SYN_STREAM_NOISE, split);
    const float a = (float)noise;
#pragma omp parallel for schedule(static) if (n * (int64_t)px > 100000)
    for (int64_t i = 0; i < n; i++) {
        const int k = (int)(i % classes);
        const lb_rng_key pk = lb_rng_make_key(seed, SYN_STREAM_PROTO, (uint64_t)k);
        float *x = d->x + (size_t)i * px;
        d->y[i] = k;
        for (size_t p = 0; p < px; p++) {
            float proto = (lb_rng_u32(pk, p) & 1) ? 1.0f : -1.0f;
            float u = 2.0f * lb_rng_uniform(nk, (uint64_t)i * px + p) - 1.0f;
            x[p] = proto + a * u;
        }
    }
    return LB_OK;
}

typedef struct syn_params {
    long long classes, n, ntest, size, seed;
    double noise;
} syn_params;

/* the parameter part of "synthetic:...", every value range-checked */
static lb_status syn_parse(const char *params, syn_params *o, lb_error *err)
{
    long long classes = 10, n = 20000, ntest = -1, size = 16, seed = 1;
    double noise = 2.0;
    const char *p = params ? params : "";
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char tok[128];
        if (len == 0 || len >= sizeof tok)
            return lb_fail(err, LB_ERR_ARG, "synthetic: bad parameter list '%s'", params);
        memcpy(tok, p, len);
        tok[len] = 0;
        p += len + (end ? 1 : 0);
        char *eq = strchr(tok, '=');
        if (!eq)
            return lb_fail(err, LB_ERR_ARG,
                           "synthetic: '%s' is not key=value (keys: classes, "
                           "n, test, size, noise, seed)",
                           tok);
        *eq = 0;
        const char *v = eq + 1;
        char *vend = NULL;
        errno = 0;
        long long *iv = !strcmp(tok, "classes") ? &classes
                        : !strcmp(tok, "n")     ? &n
                        : !strcmp(tok, "test")  ? &ntest
                        : !strcmp(tok, "size")  ? &size
                        : !strcmp(tok, "seed")  ? &seed
                                                : NULL;
        if (iv)
            *iv = strtoll(v, &vend, 10);
        else if (!strcmp(tok, "noise"))
            noise = strtod(v, &vend);
        else
            return lb_fail(err, LB_ERR_ARG,
                           "synthetic: unknown key '%s' (accepted: classes, n, test, size, noise, "
                           "seed)",
                           tok);
        if (!vend || vend == v || *vend || errno)
            return lb_fail(err, LB_ERR_ARG, "synthetic: %s='%s' is not a number", tok, v);
        if (iv && *iv < 0)
            return lb_fail(err, LB_ERR_ARG, "synthetic: %s=%s must not be negative", tok, v);
    }
    if (ntest < 0) ntest = n / 5 > 0 ? n / 5 : 1;
    /* range checks before the values are narrowed to int */
    if (classes < 2 || classes > 100000)
        return lb_fail(err, LB_ERR_ARG, "synthetic: classes=%lld out of range [2, 100000]",
                       classes);
    if (size < 1 || size > 1024)
        return lb_fail(err, LB_ERR_ARG, "synthetic: size=%lld out of range [1, 1024]", size);
    /* named by their keys here: lb_synthetic_make only knows a split's n */
    if (n < 1 || n > INT32_MAX)
        return lb_fail(err, LB_ERR_ARG, "synthetic: n=%lld out of range [1, 2^31-1]", n);
    if (ntest < 1 || ntest > INT32_MAX)
        return lb_fail(err, LB_ERR_ARG, "synthetic: test=%lld out of range [1, 2^31-1]", ntest);
    *o = (syn_params){classes, n, ntest, size, seed, noise};
    return LB_OK;
}

lb_status lb_synthetic_check(const char *params, lb_error *err)
{
    syn_params p;
    return syn_parse(params, &p, err);
}

lb_status lb_synthetic_load(lb_dataset *train, lb_dataset *test, const char *params, lb_error *err)
{
    if (!train || !test) return lb_fail(err, LB_ERR_ARG, "lb_synthetic_load: NULL split");
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    syn_params p;
    lb_status st = syn_parse(params, &p, err);
    if (st) return st;
    st = lb_synthetic_make(train, (int)p.classes, p.n, (int)p.size, p.noise, (uint64_t)p.seed, 0,
                           err);
    if (!st)
        st = lb_synthetic_make(test, (int)p.classes, p.ntest, (int)p.size, p.noise,
                               (uint64_t)p.seed, 1, err);
    if (st) lb_dataset_free(train);
    return st;
}
