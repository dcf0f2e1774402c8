/* tests/common/lb_testutil.h — helpers shared by the format tests: float bits, a seeded test
 * data generator (independent of lowbit/rng.h, so a bug there cannot hide in the test data),
 * and the grid of a format built from lb_decode of every code (one per sign, because a
 * two's-complement grid is not sign-symmetric).
 * Does not compute any expected rounding result; each test does that with its own reference. */
#ifndef LB_TESTUTIL_H
#define LB_TESTUTIL_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lowbit/format.h"

static inline uint32_t lbt_f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static inline float lbt_u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Bitwise equality, any NaN equal to any NaN (payloads are not part of the contract). */
static inline int lbt_same(float a, float b)
{
    return (isnan(a) && isnan(b)) || lbt_f2u(a) == lbt_f2u(b);
}

static inline int lbt_is_family(const lb_format *f, const char *key)
{
    return f->family && strcmp(f->family->key, key) == 0;
}

/* Test data: xorshift64* (Vigna), seeded; not the library's generator. */
typedef struct lbt_rng {
    uint64_t s;
} lbt_rng;

static inline lbt_rng lbt_rng_seed(uint64_t seed)
{
    lbt_rng r = {seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull};
    if (!r.s) r.s = 1;
    return r;
}

static inline uint64_t lbt_next(lbt_rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double lbt_uniform(lbt_rng *r)
{
    return (double)(lbt_next(r) >> 11) * 0x1p-53;
}

/* A context with a fixed scale (or none), a rounding override and a seed. */
static inline lb_qctx lbt_ctx(lb_round r, const float *scale, uint64_t seed)
{
    lb_qctx c;
    memset(&c, 0, sizeof c);
    c.round_override = 1 + (int)r;
    c.scales_in = scale;
    c.seed = seed;
    return c;
}

/* ---- the grid of a format from lb_decode of every code ---------------------------------- */

/* One sign of the grid: sorted distinct magnitudes v[0] = 0 < v[1] < ... < v[n-1] = max of
 * that sign, and for each the code that represents it (the smallest canonical code). */
typedef struct lbt_grid {
    float *v;
    uint32_t *code;
    size_t n;
} lbt_grid;

typedef struct lbt_entry {
    float mag;
    uint32_t code;
    int canonical;
} lbt_entry;

static inline int lbt_entry_cmp(const void *a, const void *b)
{
    const lbt_entry *x = a, *y = b;
    if (x->mag != y->mag) return x->mag < y->mag ? -1 : 1;
    if (x->canonical != y->canonical) return y->canonical - x->canonical; /* canonical first */
    return (x->code > y->code) - (x->code < y->code);
}

/* Build G[0] (values with the sign bit clear) and G[1] (sign bit set, as magnitudes) from the
 * decoded values dec[c] of every code c < ncodes. canonical[c] (may be NULL: all canonical)
 * says whether c is the format's own encoding of its value rather than an unused alias; the
 * code of a magnitude is its smallest canonical code. A sign without a zero code gets zero with
 * the other sign's zero code. Returns 0, or -1 if out of memory. */
static inline int lbt_grid_build(lbt_grid G[2], const float *dec, const unsigned char *canonical,
                                 size_t ncodes)
{
    lbt_entry *e = malloc((ncodes + 1) * sizeof *e);
    if (!e) return -1;
    for (int sg = 0; sg < 2; sg++) {
        size_t m = 0;
        for (size_t c = 0; c < ncodes; c++) {
            float d = dec[c];
            if (!isfinite(d) || (signbit(d) != 0) != sg) continue;
            e[m].mag = fabsf(d);
            e[m].code = (uint32_t)c;
            e[m].canonical = canonical ? canonical[c] : 1;
            m++;
        }
        qsort(e, m, sizeof *e, lbt_entry_cmp);
        G[sg].v = malloc((m + 1) * sizeof *G[sg].v);
        G[sg].code = malloc((m + 1) * sizeof *G[sg].code);
        if (!G[sg].v || !G[sg].code) {
            free(e);
            return -1;
        }
        size_t n = 0;
        if (m == 0 || e[0].mag != 0.0f) { /* no zero of this sign: borrow */
            G[sg].v[n] = 0.0f;
            G[sg].code[n++] = sg ? G[0].code[0] : 0u;
        }
        for (size_t i = 0; i < m; i++)
            if (n == 0 || e[i].mag != G[sg].v[n - 1]) {
                G[sg].v[n] = e[i].mag;
                G[sg].code[n++] = e[i].code;
            }
        G[sg].n = n;
    }
    free(e);
    return 0;
}

static inline void lbt_grid_free(lbt_grid G[2])
{
    for (int sg = 0; sg < 2; sg++) {
        free(G[sg].v);
        free(G[sg].code);
        G[sg].v = NULL;
        G[sg].code = NULL;
        G[sg].n = 0;
    }
}

/* Largest i with v[i] <= a (a >= 0, finite). */
static inline size_t lbt_grid_floor(const lbt_grid *g, double a)
{
    size_t lo = 0, hi = g->n;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if ((double)g->v[mid] <= a)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Decode every code of an encodable format (scale: ctx->scales_in, or NULL). dec must hold
 * 2^bits floats. */
static inline lb_status lbt_decode_all(const lb_format *f, float *dec, const float *scale)
{
    size_t n = (size_t)1 << f->bits;
    uint16_t *codes = malloc(n * sizeof *codes);
    if (!codes) return LB_ERR_NOMEM;
    for (size_t c = 0; c < n; c++)
        codes[c] = (uint16_t)c;
    lb_qctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.scales_in = scale;
    lb_status st = lb_decode(f, dec, codes, n, &ctx);
    free(codes);
    return st;
}

#endif
