/* gemm/fpacc.c — bit-true floating-point accumulation:
 *
 *   "fpacc:acc=eXmY,align=trunc|rne|sr,promote=P,order=seq|pairwise|blocked,block=B,kahan=0|1,
 *    seed=S"   (and "fpacc-ref", same keys)
 *
 * The operands arrive already quantized (float32, by role). Every product a·b is formed exactly
 * (in double: two float significands of 24 bits give at most 48). Products are summed in an
 * accumulator format of X exponent and Y mantissa bits: bias 2^(X-1)-1, emin = 1 - bias,
 * emax = bias, subnormals, largest magnitude max = (2 - 2^-Y)·2^emax (IEEE-like: X=5, Y=10 is
 * binary16, X=8, Y=23 binary32). One addition r = a ⊕ b of two values:
 *   E = max(floor(log2 |a|), floor(log2 |b|), emin)   the running maximum exponent
 *   q = 2^(E - Y)                                       the grid after alignment
 *   align=trunc  each operand is truncated toward zero to a multiple of q (the bits shifted out
 *                by the aligner are lost, no guard or sticky bit), the two are added exactly,
 *                and a carry out of the top (|sum| >= 2^(E+1)) truncates one more bit;
 *   align=rne    the exact sum a + b rounded once to the format, nearest, ties to even
 *                (carry handled by rounding on the grid 2q);
 *   align=sr     the exact sum rounded once stochastically: up with probability (frac part) on
 *                the grid, 32 random bits from the counter-based generator keyed by (seed,
 *                output index) and counted per addition (the same for every call and thread
 *                count; a carry rounds again on 2q with the same draw);
 *   then |r| > max saturates to ±max and counts as an overflow. An addition that leaves the
 *   running sum unchanged although the product (or partial sum) added is nonzero counts as a
 *   swamped product (reported as an underflow of the kernel).
 * Summation of the K products of one output:
 *   promote=P>0  the products are taken in chunks of P; each chunk is summed in the accumulator
 *                format from zero, and its value added to an FP32 sum (float addition, RNE):
 *                the "promote partial sums to FP32 every 128 products" of FP8 training recipes;
 *                P=0 sums all K in the accumulator format;
 *   order=seq       acc = (((0 ⊕ p0) ⊕ p1) ⊕ ...);
 *   order=blocked   sequential sums of blocks of B products, added sequentially;
 *   order=pairwise  every product rounded to the format (0 ⊕ p), then a tree: level by level,
 *                   neighbours added in pairs, an odd last element carried up unchanged;
 *   kahan=1         Kahan-compensated sequential sums (seq, and both levels of blocked; every
 *                   operation an addition in the accumulator format): y = p ⊖ c, t = s ⊕ y,
 *                   c = (t ⊖ s) ⊖ y, s = t. Not with pairwise.
 * C = alpha·sum + beta·C in double, rounded once to float (lb_gemm_store).
 * Two implementations with identical results: "fpacc-ref" (one output at a time, frexp/ldexp
 * and branches, literally the rules above) and "fpacc" (32 output columns at a time, the same
 * rules branch-free on the exponent bits, vectorised; the last N mod 32 columns use the
 * reference loop).
 * Not modelled: accumulators wider than X=10, Y=50 (the exact-in-double bound), infinities
 * in the accumulator (saturation instead), separate product rounding (products are exact). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm/internal.h"
#include "lowbit/rng.h"

/* Results never depend on floating-point exception flags here; without this GCC 12 does not
 * vectorise trunc() (it may raise "inexact"), which the lane addition needs. */
#pragma GCC optimize("no-trapping-math")

enum { AL_TRUNC, AL_RNE, AL_SR };
enum { AL_FINITE = 4 }; /* or-ed into the lane functions' align: every operand is finite */
enum { OR_SEQ, OR_PAIRWISE, OR_BLOCKED };
static const char *const align_names[] = {"trunc", "rne", "sr"};
static const char *const order_names[] = {"seq", "pairwise", "blocked"};

typedef struct fpk {
    int e, m, emin;
    double max;   /* largest finite magnitude */
    double carry; /* 2^(m+1): an aligned sum at or above it has carried */
    int align, order, promote, block, kahan, ref;
    uint64_t seed;
} fpk;

static int pick(const char *v, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v, names[i])) return i;
    return -1;
}

static lb_status create_common(void **state, lb_kv *kv, int nkv, char *canon, size_t ncanon,
                               lb_error *err, int ref)
{
    fpk f = {0};
    f.e = 8, f.m = 23, f.align = AL_TRUNC, f.order = OR_SEQ, f.block = 32, f.ref = ref;
    int seed = 0;
    lb_status st;
    const char *v;
    if ((v = lb_kv_get(kv, nkv, "acc"))) {
        int n = 0;
        if (sscanf(v, "e%dm%d%n", &f.e, &f.m, &n) != 2 || v[n] || f.e < 2 || f.e > 10 || f.m < 1 ||
            f.m > 50)
            return lb_fail(err, LB_ERR_SPEC,
                           "fpacc: acc='%s' is not eXmY with X in 2..10, Y in 1..50", v);
    }
    if ((v = lb_kv_get(kv, nkv, "align")) && (f.align = pick(v, align_names, 3)) < 0)
        return lb_fail(err, LB_ERR_SPEC, "fpacc: align='%s' (accepted: trunc, rne, sr)", v);
    if ((v = lb_kv_get(kv, nkv, "order")) && (f.order = pick(v, order_names, 3)) < 0)
        return lb_fail(err, LB_ERR_SPEC, "fpacc: order='%s' (accepted: seq, pairwise, blocked)", v);
    if ((st = lb_kv_int(kv, nkv, "promote", 0, 1 << 24, &f.promote, err))) return st;
    if ((st = lb_kv_int(kv, nkv, "block", 1, 1 << 24, &f.block, err))) return st;
    if ((st = lb_kv_int(kv, nkv, "kahan", 0, 1, &f.kahan, err))) return st;
    if ((st = lb_kv_int(kv, nkv, "seed", 0, 1 << 30, &seed, err))) return st;
    if (f.kahan && f.order == OR_PAIRWISE)
        return lb_fail(err, LB_ERR_SPEC, "fpacc: kahan=1 needs order=seq or order=blocked");
    const int bias = (1 << (f.e - 1)) - 1;
    f.emin = 1 - bias;
    f.max = ldexp(2.0 - ldexp(1.0, -f.m), bias);
    f.carry = ldexp(1.0, f.m + 1);
    f.seed = (uint64_t)seed;
    fpk *k = malloc(sizeof *k);
    if (!k) return LB_ERR_NOMEM;
    *k = f;
    snprintf(canon, ncanon, "acc=e%dm%d,align=%s,promote=%d,order=%s,block=%d,kahan=%d,seed=%d",
             f.e, f.m, align_names[f.align], f.promote, order_names[f.order], f.block, f.kahan,
             seed);
    *state = k;
    return LB_OK;
}

static lb_status fpacc_create(void **s, lb_kv *kv, int nkv, char *c, size_t nc, lb_error *err)
{
    return create_common(s, kv, nkv, c, nc, err, 0);
}
static lb_status fpacc_ref_create(void **s, lb_kv *kv, int nkv, char *c, size_t nc, lb_error *err)
{
    return create_common(s, kv, nkv, c, nc, err, 1);
}
static void destroy(void *s)
{
    free(s);
}

/* ---------------------------------------------------------------- reference: one output */

typedef struct octx {
    lb_rng_key key;
    uint64_t ctr;
    uint64_t swamp, ovf;
} octx;

/* x/q + y/q = t + err exactly (TwoSum); rounded to an integer by the mode. */
static double ref_round(const fpk *f, double t, double err, double u)
{
    if (f->align == AL_RNE) {
        double n = nearbyint(t), d = t - n;
        if (d == 0.5 && err > 0) n += 1; /* a tie of t broken by the exact remainder */
        if (d == -0.5 && err < 0) n -= 1;
        return n;
    }
    double fl = floor(t), fr = (t - fl) + err; /* SR */
    if (fr < 0) fl -= 1, fr += 1;
    return u < fr ? fl + 1 : fl;
}

/* r = a ⊕ b; count: 1 counts b swamped, 2 counts either operand swamped (tree). */
static double ref_add(const fpk *f, double a, double b, octx *c, int count)
{
    double u = f->align == AL_SR ? lb_rng_u32(c->key, c->ctr++) * 0x1p-32 : 0;
    if (!isfinite(a) || !isfinite(b)) return a + b;
    /* trunc: the grid of the larger operand; rne/sr: the grid of the sum (its exponent read
     * from the double sum; if that rounded up across a power of two, |S| < 2^m: redo on q/2) */
    double mx = f->align == AL_TRUNC ? (fabs(a) > fabs(b) ? fabs(a) : fabs(b)) : fabs(a + b);
    int E = f->emin;
    if (mx > 0) {
        int ex;
        frexp(mx, &ex); /* mx = fr·2^ex, fr in [0.5, 1) */
        if (ex - 1 > E) E = ex - 1;
    }
    double q = ldexp(1.0, E - f->m), S;
    if (f->align == AL_TRUNC) {
        S = trunc(a / q) + trunc(b / q);
        if (fabs(S) >= f->carry) S = 2 * trunc(S / 2);
    } else {
        double x = a / q, y = b / q, t = x + y, bp = t - x;
        double err = (x - (t - bp)) + (y - bp);
        S = ref_round(f, t, err, u);
        if (fabs(S) >= f->carry)
            S = 2 * ref_round(f, t / 2, err / 2, u);
        else if (fabs(S) < f->carry / 2 && E > f->emin)
            S = ref_round(f, t * 2, err * 2, u) / 2;
    }
    double r = S * q;
    if (fabs(r) > f->max) {
        r = r < 0 ? -f->max : f->max;
        c->ovf++;
    }
    if ((count >= 1 && b != 0 && r == a) || (count == 2 && a != 0 && r == b)) c->swamp++;
    return r;
}

static double neg(double x)
{
    return -x;
}

/* Kahan step in the accumulator format. */
static void ref_kahan(const fpk *f, double *s, double *comp, double p, octx *c)
{
    double y = ref_add(f, p, neg(*comp), c, 0);
    double t = ref_add(f, *s, y, c, 1);
    *comp = ref_add(f, ref_add(f, t, neg(*s), c, 0), neg(y), c, 0);
    *s = t;
}

static double ref_seq(const fpk *f, const float *x, const float *y, int k0, int k1, octx *c)
{
    double s = 0, comp = 0;
    for (int k = k0; k < k1; k++) {
        double p = (double)x[k] * y[k];
        if (f->kahan)
            ref_kahan(f, &s, &comp, p, c);
        else
            s = ref_add(f, s, p, c, 1);
    }
    return s;
}

static double ref_chunk(const fpk *f, const float *x, const float *y, int k0, int k1, octx *c,
                        double *tmp)
{
    if (f->order == OR_SEQ) return ref_seq(f, x, y, k0, k1, c);
    if (f->order == OR_BLOCKED) {
        double s = 0, comp = 0;
        for (int b = k0; b < k1; b += f->block) {
            double v = ref_seq(f, x, y, b, b + f->block < k1 ? b + f->block : k1, c);
            if (f->kahan)
                ref_kahan(f, &s, &comp, v, c);
            else
                s = ref_add(f, s, v, c, 1);
        }
        return s;
    }
    int n = k1 - k0;
    if (n <= 0) return 0;
    for (int k = 0; k < n; k++)
        tmp[k] = ref_add(f, 0, (double)x[k0 + k] * y[k0 + k], c, 1);
    while (n > 1) {
        for (int i = 0; i < n / 2; i++)
            tmp[i] = ref_add(f, tmp[2 * i], tmp[2 * i + 1], c, 2);
        if (n & 1) tmp[n / 2] = tmp[n - 1];
        n = (n + 1) / 2;
    }
    return tmp[0];
}

static double ref_output(const fpk *f, const float *x, const float *y, int K, octx *c, double *tmp)
{
    if (!f->promote) return ref_chunk(f, x, y, 0, K, c, tmp);
    float F = 0;
    for (int k0 = 0; k0 < K; k0 += f->promote)
        F = F + (float)ref_chunk(f, x, y, k0, k0 + f->promote < K ? k0 + f->promote : K, c, tmp);
    return F;
}

/* ---------------------------------------------------------------- fast: W columns at once */

enum { W = 32 };

typedef union {
    double d;
    uint64_t u;
} dbits;

/* trunc(x) through rint (gcc 12 vectorises rint here, not trunc); exact: rint(|x|) is |x| rounded
 * to an integer, one too large when it rounded up; the sign of x, zero included, as trunc */
static inline __attribute__((always_inline)) double trunc_small(double x)
{
    return __builtin_trunc(x);
}

/* ref_round's SR for t + err exact (TwoSum): up with probability (t + err) - floor */
static inline __attribute__((always_inline)) double sr_frac(double t, double err, double u)
{
    double fl = __builtin_floor(t), fr = (t - fl) + err;
    const int neg = fr < 0;
    fl = neg ? fl - 1 : fl;
    fr = neg ? fr + 1 : fr;
    return u < fr ? fl + 1 : fl;
}

/* What the lane functions update: counts, and for align=sr the per-output keys (one per
 * column) and the addition counter, the same for every column of a tile as in ref_add. */
typedef struct lstate {
    uint64_t sw, ov, ctr;
    lb_rng_key key[W];
} lstate;

/* rint(t + err) for t + err exact (TwoSum), |err| <= ulp(t)/2: a tie of t decided by err */
static inline __attribute__((always_inline)) double rne_tie(double t, double err)
{
    double n = __builtin_rint(t), d = t - n;
    n = ((d == 0.5) & (err > 0)) ? n + 1 : n;
    return ((d == -0.5) & (err < 0)) ? n - 1 : n;
}

/* r = a ⊕ b for W lanes, branch-free; the same rules and results as ref_add (trunc, rne). */
static inline __attribute__((always_inline)) void lane_add(const fpk *f, int align, const double *a,
                                                           const double *b, double *r, lstate *st,
                                                           int count)
{
    const int mode = align & 3, known_finite = align & AL_FINITE;
    const int64_t emin_b = f->emin + 1023;
    const int m = f->m;
    const double carry = f->carry, max = f->max, half = f->carry / 2;
    const uint64_t vmask = ~((UINT64_C(1) << (52 - m)) - 1);
    uint64_t sw = 0, ov = 0;
    for (int l = 0; l < W; l++) { /* & and | instead of && and ||: no control flow */
        const double fa = __builtin_fabs(a[l]), fb = __builtin_fabs(b[l]);
        dbits Sm = {mode == AL_TRUNC ? (fa > fb ? fa : fb) : a[l] + b[l]};
        int64_t E = (int64_t)((Sm.u >> 52) & 0x7ff);
        E = E < emin_b ? emin_b : E; /* biased */
        E = E > 2046 ? 2046 : E;     /* non-finite: replaced below */
        dbits q = {.u = (uint64_t)(E - m) << 52}, iq = {.u = (uint64_t)(2046 - E + m) << 52};
        double x = a[l] * iq.d, y = b[l] * iq.d, S;
        if (mode == AL_TRUNC) { /* a carry's lost bit: masked off v below */
            S = trunc_small(x) + trunc_small(y);
        } else {
            double t = x + y, bp = t - x;
            double err = (x - (t - bp)) + (y - bp);
            double n, n2, n3;
            if (mode == AL_RNE) {
                n = rne_tie(t, err), n2 = rne_tie(t * 0.5, err * 0.5), n3 = rne_tie(t * 2, err * 2);
            } else { /* one draw per addition, shared by the three grids, as in ref_add */
                const double u = (double)lb_rng_u32(st->key[l], st->ctr) * 0x1p-32;
                n = sr_frac(t, err, u), n2 = sr_frac(t * 0.5, err * 0.5, u),
                n3 = sr_frac(t * 2, err * 2, u);
            }
            int down = (__builtin_fabs(n) < half) & (E > emin_b);
            S = down ? n3 * 0.5 : n;
            S = __builtin_fabs(n) >= carry ? 2 * n2 : S;
        }
        double v = S * q.d;
        if (mode == AL_TRUNC) { /* v to Y + 1 significant bits toward zero (exact double) */
            dbits V = {v};
            V.u &= vmask;
            v = V.d;
        }
        int fin = known_finite ? 1
                               : (fa <= DBL_MAX) &
                                     (fb <= DBL_MAX); /* else a + b, uncounted, as in ref_add */
        int o = fin & (__builtin_fabs(v) > max);
        ov += (uint64_t)o;
        v = o ? __builtin_copysign(max, v) : v;
        v = fin ? v : a[l] + b[l];
        int lost = count >= 1 ? (b[l] != 0) & (v == a[l]) : 0;
        lost |= count == 2 ? (a[l] != 0) & (v == b[l]) : 0;
        sw += (uint64_t)(fin & lost);
        r[l] = v;
    }
    st->sw += sw, st->ov += ov;
    st->ctr++;
}

/* Products of W columns for reduction index k: p[l] = x_k · bT[k][j0 + l]. */
static inline __attribute__((always_inline)) void lane_prod(double *p, float xk, const float *brow)
{
    for (int l = 0; l < W; l++)
        p[l] = (double)xk * brow[l];
}

/* Kahan step for W lanes (as ref_kahan): y = p ⊖ c, t = s ⊕ y, c = (t ⊖ s) ⊖ y, s = t. */
static inline __attribute__((always_inline)) void
lane_kahan(const fpk *f, int align, double *s, double *comp, const double *p, lstate *st)
{
    double y[W], t[W], u[W], nc[W], ny[W], ns[W];
    for (int l = 0; l < W; l++)
        nc[l] = -comp[l];
    lane_add(f, align, p, nc, y, st, 0);
    lane_add(f, align, s, y, t, st, 1);
    for (int l = 0; l < W; l++)
        ns[l] = -s[l], ny[l] = -y[l];
    lane_add(f, align, t, ns, u, st, 0);
    lane_add(f, align, u, ny, comp, st, 0);
    memcpy(s, t, sizeof t);
}

/* Sequential (optionally Kahan) sum of products k0..k1 for W lanes into s. */
static inline __attribute__((always_inline)) void lane_seq(const fpk *f, int align, const float *x,
                                                           const float *bkn, int N, int k0, int k1,
                                                           double *s, lstate *st)
{
    double comp[W], p[W];
    for (int l = 0; l < W; l++)
        s[l] = 0, comp[l] = 0;
    for (int k = k0; k < k1; k++) {
        lane_prod(p, x[k], bkn + (size_t)k * N);
        if (!f->kahan) {
            lane_add(f, align, s, p, s, st, 1);
            continue;
        }
        lane_kahan(f, align, s, comp, p, st);
    }
}

/* lt: (k1 - k0)·W doubles for the pairwise tree */
static inline __attribute__((always_inline)) void lane_chunk(const fpk *f, int align,
                                                             const float *x, const float *bkn,
                                                             int N, int k0, int k1, double *s,
                                                             double *lt, lstate *st)
{
    if (f->order == OR_SEQ) {
        lane_seq(f, align, x, bkn, N, k0, k1, s, st);
        return;
    }
    if (f->order == OR_PAIRWISE) { /* as ref_chunk: leaves 0 ⊕ p, then level by level */
        int n = k1 - k0;
        double p[W], zero[W] = {0};
        for (int l = 0; l < W; l++)
            s[l] = 0;
        if (n <= 0) return;
        for (int k = 0; k < n; k++) {
            lane_prod(p, x[k0 + k], bkn + (size_t)(k0 + k) * N);
            lane_add(f, align, zero, p, lt + (size_t)k * W, st, 1);
        }
        for (; n > 1; n = (n + 1) / 2) {
            for (int i = 0; i < n / 2; i++)
                lane_add(f, align, lt + (size_t)2 * i * W, lt + (size_t)(2 * i + 1) * W,
                         lt + (size_t)i * W, st, 2);
            if (n & 1) memcpy(lt + (size_t)(n / 2) * W, lt + (size_t)(n - 1) * W, W * sizeof *lt);
        }
        memcpy(s, lt, W * sizeof *s);
        return;
    }
    double v[W], comp[W]; /* blocked */
    for (int l = 0; l < W; l++)
        s[l] = 0, comp[l] = 0;
    for (int b = k0; b < k1; b += f->block) {
        lane_seq(f, align, x, bkn, N, b, b + f->block < k1 ? b + f->block : k1, v, st);
        if (!f->kahan) {
            lane_add(f, align, s, v, s, st, 1);
            continue;
        }
        lane_kahan(f, align, s, comp, v, st);
    }
}

/* One row i, columns j0..j0+W-1: the output values before alpha/beta. */
static inline __attribute__((always_inline)) void lane_output(const fpk *f, int align,
                                                              const float *x, const float *bkn,
                                                              int N, int K, double *out, double *lt,
                                                              lstate *st)
{
    if (!f->promote) {
        lane_chunk(f, align, x, bkn, N, 0, K, out, lt, st);
        return;
    }
    float F[W];
    double s[W];
    for (int l = 0; l < W; l++)
        F[l] = 0;
    for (int k0 = 0; k0 < K; k0 += f->promote) {
        lane_chunk(f, align, x, bkn, N, k0, k0 + f->promote < K ? k0 + f->promote : K, s, lt, st);
        for (int l = 0; l < W; l++)
            F[l] = F[l] + (float)s[l];
    }
    for (int l = 0; l < W; l++)
        out[l] = F[l];
}

/* The four vector variants: truncation or rne, operands all finite (no inf/NaN lane logic) or
 * not. */
#define FAST_TILE(name, align)                                                                     \
    static void name(const fpk *f, const float *x, const float *bkn, int N, int K, double *out,    \
                     double *lt, lstate *st)                                                       \
    {                                                                                              \
        lane_output(f, align, x, bkn, N, K, out, lt, st);                                          \
    }
FAST_TILE(fast_tile_trunc, AL_TRUNC)
FAST_TILE(fast_tile_rne, AL_RNE)
FAST_TILE(fast_tile_trunc_fin, AL_TRUNC | AL_FINITE)
FAST_TILE(fast_tile_rne_fin, AL_RNE | AL_FINITE)
FAST_TILE(fast_tile_sr, AL_SR)
FAST_TILE(fast_tile_sr_fin, AL_SR | AL_FINITE)
#undef FAST_TILE
typedef void (*fast_tile_fn)(const fpk *, const float *, const float *, int, int, double *,
                             double *, lstate *);

/* lb_gemm_scratch slots */
enum { SC_A, SC_BT, SC_BKN, SC_TMP, SC_LTMP };

static lb_status run(const void *state, const lb_gemm_call *c, lb_gemm_counts *cnt)
{
    const fpk *f = state;
    const int M = c->M, N = c->N, K = c->K;
    float *a = lb_gemm_scratch(SC_A, ((size_t)M * K + 1) * sizeof *a),
          *bt = lb_gemm_scratch(SC_BT, ((size_t)N * K + 1) * sizeof *bt);
    double *tmp = lb_gemm_scratch(SC_TMP, ((size_t)K + 1) * sizeof *tmp);
    if (!a || !bt || !tmp) return LB_ERR_NOMEM;
    lb_gemm_pack(c, a, bt);
    const int lanes = !f->ref && N >= W;
    float *bkn = NULL; /* op(B) as (K, N): W consecutive columns of one k are contiguous */
    double *lt = NULL; /* the pairwise tree of W columns */
    if (lanes) {
        lt = lb_gemm_scratch(SC_LTMP, ((size_t)K + 1) * W * sizeof *lt);
        if (!lt) return LB_ERR_NOMEM;
        bkn = lb_gemm_scratch(SC_BKN, ((size_t)K * N + 1) * sizeof *bkn);
        if (!bkn) return LB_ERR_NOMEM;
        for (int j = 0; j < N; j++)
            for (int k = 0; k < K; k++)
                bkn[(size_t)k * N + j] = bt[(size_t)j * K + k];
    }
    int finite = 1; /* then no lane needs the inf/NaN logic */
    if (lanes) {
        for (size_t t = 0; t < (size_t)M * K; t++)
            finite &= fabsf(a[t]) <= FLT_MAX;
        for (size_t t = 0; t < (size_t)N * K; t++)
            finite &= fabsf(bt[t]) <= FLT_MAX;
    }
    const fast_tile_fn tiles[3][2] = {{fast_tile_trunc, fast_tile_trunc_fin},
                                      {fast_tile_rne, fast_tile_rne_fin},
                                      {fast_tile_sr, fast_tile_sr_fin}};
    const fast_tile_fn tile = tiles[f->align][finite];
    uint64_t sw = 0, ov = 0;
    for (int i = 0; i < M; i++) {
        const float *x = a + (size_t)i * K;
        int j = 0;
        if (lanes)
            for (; j + W <= N; j += W) {
                double out[W];
                lstate st = {0, 0, 0, {{0, 0}}};
                if (f->align == AL_SR)
                    for (int l = 0; l < W; l++)
                        st.key[l] = lb_rng_make_key(f->seed, (uint64_t)i * N + j + l, 0);
                tile(f, x, bkn + j, N, K, out, lt, &st);
                sw += st.sw, ov += st.ov;
                for (int l = 0; l < W; l++)
                    lb_gemm_store(c, i, j + l, out[l]);
            }
        for (; j < N; j++) { /* the reference loop (and the tail of the fast one) */
            octx o = {lb_rng_make_key(f->seed, (uint64_t)i * N + j, 0), 0, 0, 0};
            lb_gemm_store(c, i, j, ref_output(f, x, bt + (size_t)j * K, K, &o, tmp));
            sw += o.swamp, ov += o.ovf;
        }
    }
    __atomic_fetch_add(&cnt->macs, (uint64_t)M * N * K, __ATOMIC_RELAXED);
    __atomic_fetch_add(&cnt->overflows, ov, __ATOMIC_RELAXED);
    __atomic_fetch_add(&cnt->underflows, sw, __ATOMIC_RELAXED);
    return LB_OK;
}

/* The datapath for the cost model (lowbit/energy.h): products of the operands' own format
 * (e, m left 0: the recorded role formats'), an eXmY accumulator, promotion, Kahan. The
 * alignment mode and the order are not priced apart (one accumulator addition per product
 * either way; a pairwise tree has K - 1 adders for K products as a sequence has K). */
static void fpacc_mac(const void *state, lb_mac_model *m)
{
    const fpk *f = state;
    m->kind = LB_MAC_FP;
    m->acc_e = f->e, m->acc_m = f->m, m->promote = f->promote, m->kahan = f->kahan;
}

#define FPACC_KEYS                                                                                 \
    "acc=e<2..10>m<1..50>,align=trunc|rne|sr,promote=0..2^24,order=seq|pairwise|blocked,"          \
    "block=1..2^24,kahan=0|1,seed=N"

const lb_gemm_vtable lb_gemm_fpacc = {
    "fpacc",
    "exact products summed in an eXmY float accumulator (alignment truncation or rounding, FP32 "
    "promotion, order, Kahan); underflows = swamped products",
    FPACC_KEYS,
    fpacc_create,
    run,
    destroy,
    NULL,
    NULL,
    fpacc_mac};

const lb_gemm_vtable lb_gemm_fpacc_ref = {
    "fpacc-ref",
    "fpacc computed literally, one output at a time (reference for tests and benchmarks)",
    FPACC_KEYS,
    fpacc_ref_create,
    run,
    destroy,
    NULL,
    NULL,
    fpacc_mac};
