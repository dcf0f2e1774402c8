/* formats/lns.c — logarithmic number system "lns:bits=B,frac=F[,scale=none|tensor]
 *                 [,zero=flag|code][,underflow=zero|sat][,round=R]".
 * value = sign · 2^((k + o) / 2^F): k is an L-bit two's-complement log code (a fixed-point
 * log2 with F fraction bits, i.e. base 2^(1/2^F)), o an integer offset (0 with scale=none; with
 * scale=tensor chosen per call so that max|x| rounded down to the log grid is the largest
 * code, so max|x| maps to it in every rounding mode — the
 * LNS-Madam per-tensor scale, docs/methods.md#p1 [choice]).
 * Layouts: zero=flag (default for scale=none; QAA-LNS): sign | zero flag | L = B-2 log bits;
 *          zero=code (default for scale=tensor; LNS-Madam 1+7 word): sign | L = B-1 log bits,
 *          the most negative log code means zero.
 * Rounding is in the log domain: rne/rna pick the grid value nearest in log2 (the threshold
 * between neighbours v_k, v_k+1 is their geometric mean sqrt(v_k·v_k+1), taken on the float32
 * grid values decode returns, so a test can recompute it); rtz takes the largest grid value
 * <= |x|; sr picks the upper neighbour with the LINEAR-domain probability (|x|-lo)/(hi-lo), so
 * it is unbiased. Overflow and +-inf saturate to the largest code. Below the smallest
 * magnitude: underflow=zero (default with zero=code) rounds to zero when the log code would
 * fall below the smallest one (sr: zero or min with linear probability); underflow=sat
 * (default with zero=flag; QAA-LNS) returns the smallest magnitude instead. NaN becomes 0;
 * zero is +0. Grid values are 2^q · fl(2^(j/2^F)), the float32 nearest the exact power.
 * Implemented for 0 <= F <= 10, 3 <= B <= 16 (encode/decode for all). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/round_core.h"

#define LNS_MAXF 10

typedef struct lns_tab {
    int F, g;                                           /* g = 2^F */
    float t[1 << LNS_MAXF];                             /* t[j] = fl(2^(j/g)), j < g */
    uint32_t nbase[2 << LNS_MAXF], nthr[2 << LNS_MAXF]; /* nearest: per mantissa bucket */
    uint32_t fbase[2 << LNS_MAXF], fthr[2 << LNS_MAXF]; /* floor: per mantissa bucket */
    /* the same, packed for the fast path: base | (threshold - bucket start) << (F + 1) */
    uint32_t npack[2 << LNS_MAXF], fpack[2 << LNS_MAXF];
} lns_tab;

static lns_tab *lns_tables[LNS_MAXF + 1];

/* Smallest 23-bit mantissa m with 1 + m/2^23 >= v (v in [1, 2]); 2^23 if v >= 2. */
static uint32_t lns_ceil_mant(long double v)
{
    long double m = ceill((v - 1.0L) * 8388608.0L);
    return m >= 8388608.0L ? 8388608u : (uint32_t)m;
}

/* Tables are built once per F (thread-safe: built under an OpenMP critical section). */
static const lns_tab *lns_get_tab(int F)
{
    lns_tab *t;
#pragma omp critical(lb_lns_tab)
    {
        t = lns_tables[F];
        if (!t) {
            t = calloc(1, sizeof *t);
            if (t) {
                int g = 1 << F, nb = 2 * g;
                t->F = F, t->g = g;
                for (int j = 0; j < g; j++)
                    t->t[j] = (float)exp2l((long double)j / g);
                /* thresholds: nearest thr[j] (j = 1..g) between grid j-1 and j (geometric mean
                 * of the float grid values; grid g is 2·t[0] = 2); floor thresholds = t[j]. */
                for (int b = 0; b < nb; b++) {
                    uint32_t lo = (uint32_t)b << (23 - (F + 1));
                    t->nbase[b] = t->fbase[b] = 0;
                    t->nthr[b] = t->fthr[b] = 1u << 24; /* never */
                    for (int j = 1; j <= g; j++) {
                        long double a = t->t[j - 1], c = j < g ? (long double)t->t[j] : 2.0L;
                        uint32_t nm = lns_ceil_mant(sqrtl(a * c));
                        uint32_t fm = j < g ? lns_ceil_mant(c) : 8388608u;
                        if (nm < lo)
                            t->nbase[b] = (uint32_t)j;
                        else if (nm >> (23 - (F + 1)) == (uint32_t)b)
                            t->nthr[b] = nm;
                        if (fm < lo)
                            t->fbase[b] = (uint32_t)j;
                        else if (fm >> (23 - (F + 1)) == (uint32_t)b)
                            t->fthr[b] = fm;
                    }
                    uint32_t width = 1u << (23 - (F + 1));
                    uint32_t noff = t->nthr[b] > lo + width ? width : t->nthr[b] - lo;
                    uint32_t foff = t->fthr[b] > lo + width ? width : t->fthr[b] - lo;
                    t->npack[b] = t->nbase[b] | noff << (F + 1);
                    t->fpack[b] = t->fbase[b] | foff << (F + 1);
                }
                lns_tables[F] = t;
            }
        }
    }
    return t;
}

static lb_status lns_parse(lb_format *f, lb_kv *kv, int nkv, lb_error *err)
{
    int B = -1, F = -1;
    lb_status st;
    if ((st = lb_kv_int(kv, nkv, "bits", 3, 16, &B, err))) return st;
    if ((st = lb_kv_int(kv, nkv, "frac", 0, LNS_MAXF, &F, err))) return st;
    if (B < 0) return lb_fail(err, LB_ERR_SPEC, "lns: missing key 'bits' (3..16)");
    if (F < 0) return lb_fail(err, LB_ERR_SPEC, "lns: missing key 'frac' (0..%d)", LNS_MAXF);
    const char *sc = lb_kv_get(kv, nkv, "scale");
    f->scale = LB_SCALE_NONE;
    if (sc) {
        if (!strcmp(sc, "none"))
            f->scale = LB_SCALE_NONE;
        else if (!strcmp(sc, "tensor"))
            f->scale = LB_SCALE_TENSOR;
        else
            return lb_fail(err, LB_ERR_SPEC, "lns: key 'scale': '%s' is not one of none, tensor",
                           sc);
    }
    const char *z = lb_kv_get(kv, nkv, "zero");
    f->p.lns.zero_flag = f->scale == LB_SCALE_NONE;
    if (z) {
        if (!strcmp(z, "flag"))
            f->p.lns.zero_flag = 1;
        else if (!strcmp(z, "code"))
            f->p.lns.zero_flag = 0;
        else
            return lb_fail(err, LB_ERR_SPEC, "lns: key 'zero': '%s' is not one of flag, code", z);
    }
    const char *u = lb_kv_get(kv, nkv, "underflow");
    f->p.lns.underflow_zero = !f->p.lns.zero_flag;
    if (u) {
        if (!strcmp(u, "zero"))
            f->p.lns.underflow_zero = 1;
        else if (!strcmp(u, "sat"))
            f->p.lns.underflow_zero = 0;
        else
            return lb_fail(err, LB_ERR_SPEC, "lns: key 'underflow': '%s' is not one of zero, sat",
                           u);
    }
    f->p.lns.frac = F;
    f->p.lns.logbits = B - 1 - f->p.lns.zero_flag;
    if (F >= f->p.lns.logbits)
        return lb_fail(err, LB_ERR_SPEC, "lns: frac=%d leaves no integer bits in a %d-bit log code",
                       F, f->p.lns.logbits);
    int L = f->p.lns.logbits;
    if (f->scale == LB_SCALE_NONE && (1 << (L - 1)) > 126 << F)
        return lb_fail(err, LB_ERR_SPEC, "lns: bits=%d, frac=%d: log range +-%d exceeds float32", B,
                       F, (1 << (L - 1)) >> F);
    f->bits = B;
    return LB_OK;
}

static int32_t lns_kmax(const lb_format *f)
{
    return (1 << (f->p.lns.logbits - 1)) - 1;
}
static int32_t lns_kmin(const lb_format *f)
{
    return -(1 << (f->p.lns.logbits - 1)) + (f->p.lns.zero_flag ? 0 : 1);
}

static void lns_info(const lb_format *f, lb_format_info *o)
{
    double g = ldexp(1.0, f->p.lns.frac);
    o->bits = f->bits;
    o->log_rounding = 1;
    o->precision = exp2(1.0 / g) - 1.0;
    o->overflow = LB_OVERFLOW_SAT;
    o->encodable = 1;
    if (f->scale == LB_SCALE_TENSOR) {
        o->scaled = 1;
        o->scale_bits = 32; /* the integer code offset, held as a float */
        o->max = 1.0;
        o->min_pos = exp2((lns_kmin(f) - lns_kmax(f)) / g);
    } else {
        o->max = exp2(lns_kmax(f) / g);
        o->min_pos = exp2(lns_kmin(f) / g);
    }
    o->min_normal = o->min_pos;
    snprintf(o->description, sizeof o->description,
             "LNS: sign%s + %d-bit log2 code with %d fraction bits (base 2^(1/%d))%s",
             f->p.lns.zero_flag ? " + zero flag" : "", f->p.lns.logbits, f->p.lns.frac,
             1 << f->p.lns.frac, f->scale == LB_SCALE_TENSOR ? ", per-tensor scale" : "");
}

/* float32 value of log code e = k + o (nonzero). */
static inline float lns_value(const lns_tab *t, int32_t e)
{
    int32_t q = e >> t->F; /* floor division (arithmetic shift) */
    int32_t j = e & (t->g - 1);
    uint32_t b = lb_f2u(t->t[j]);
    int32_t ex = (int32_t)(b >> 23) + q;
    if (ex >= 1 && ex <= 254) return lb_u2f(b + ((uint32_t)q << 23));
    return ldexpf(t->t[j], q); /* outside the normal range: rare, slow, exact rounding */
}

/* Log code of |x| (finite, > 0) with offset 0: nearest (mode rne/rna) or floor. */
static inline int32_t lns_code(const lns_tab *t, uint32_t a, int nearest)
{
    int32_t adj = 0;
    if (a < 0x00800000u) { /* float subnormal: normalise exactly */
        a = lb_f2u(lb_u2f(a) * 0x1p64f);
        adj = -64;
    }
    int32_t q = (int32_t)(a >> 23) - 127 + adj;
    uint32_t m = a & 0x7fffffu;
    uint32_t b = m >> (23 - (t->F + 1));
    uint32_t j = nearest ? t->nbase[b] + (m >= t->nthr[b]) : t->fbase[b] + (m >= t->fthr[b]);
    return q * t->g + (int32_t)j;
}

typedef struct lns_job {
    const lb_format *f;
    const lns_tab *t;
    float *out;
    uint16_t *codes;
    const float *in;
    int32_t o, kmin, kmax;
    lb_round mode;
    lb_rng_key key;
} lns_job;

/* SR decision: up with probability (x-lo)/(hi-lo), linear domain. lo <= x < hi <= 2·lo (or
 * lo = 0), so both differences are exact in float; u has 24 random bits. */
static inline int lns_sr_up(float x, float lo, float hi, uint32_t rnd)
{
    return (x - lo) > (float)(rnd >> 8) * 0x1p-24f * (hi - lo);
}

/* Signed log code (k, without offset) of one element; sets *zero. */
static inline int32_t lns_round1(const lns_job *j, float x, size_t i, int *zero)
{
    uint32_t a = lb_f2u(x) & 0x7fffffffu;
    *zero = 0;
    if (a == 0 || a > 0x7f800000u) {
        *zero = 1;
        return 0;
    }
    if (a == 0x7f800000u) return j->kmax;
    int32_t k;
    if (j->mode == LB_ROUND_SR) {
        int32_t kf = lns_code(j->t, a, 0) - j->o;
        if (kf >= j->kmax) return j->kmax;
        float ax = lb_u2f(a);
        float lo = kf < j->kmin ? 0.0f : lns_value(j->t, kf + j->o);
        int32_t kup = kf < j->kmin ? j->kmin : kf + 1;
        float hi = lns_value(j->t, kup + j->o);
        int up = lns_sr_up(ax, lo, hi, lb_rng_u32(j->key, i) & lb_sr_mask(j->f));
        if (kf < j->kmin) {
            if (!j->f->p.lns.underflow_zero) return j->kmin;
            *zero = !up;
            return j->kmin;
        }
        return kf + up;
    }
    k = lns_code(j->t, a, j->mode != LB_ROUND_RTZ) - j->o;
    if (k > j->kmax) return j->kmax;
    if (k < j->kmin) {
        *zero = j->f->p.lns.underflow_zero;
        return j->kmin;
    }
    return k;
}

/* Fast path for lb_quantize when every grid value is a float32 normal above 2^-126 (then float
 * subnormal inputs underflow and +inf overflows without special cases): branch-free, so GCC
 * vectorises it with gathers. Must agree bit for bit with the general path below (the tests
 * compare lb_quantize with lb_decode(lb_encode)). */
static int lns_fast_ok(const lns_job *j)
{
    int g = j->t->g;
    return j->kmin + j->o > -126 * g && j->kmax + j->o < 128 * g;
}

static inline float lns_value_fast(const uint32_t *tb, int32_t gm1, int F, int32_t e)
{
    return lb_u2f(tb[e & gm1] + ((uint32_t)(e >> F) << 23));
}

#define LNS_FAST_LOOP(MODE, CODES)                                                                 \
    for (size_t i = lo; i < hi; i++) {                                                             \
        uint32_t bits = lb_f2u(in[i]), a = bits & 0x7fffffffu;                                     \
        int32_t q = (int32_t)(a >> 23) - 127;                                                      \
        uint32_t m = a & 0x7fffffu;                                                                \
        uint32_t w = ((MODE) == LB_ROUND_RNE ? npack : fpack)[m >> sh];                            \
        uint32_t jn = (w & bmask) + ((m & wmask) >= (w >> (F + 1)));                               \
        int32_t k = q * g + (int32_t)jn - o;                                                       \
        int zero = (a == 0) | (a > 0x7f800000u);                                                   \
        float v;                                                                                   \
        if ((MODE) == LB_ROUND_SR) {                                                               \
            int32_t kf = k < kmax ? k : kmax;                                                      \
            int under = kf < kmin;                                                                 \
            int32_t kup = under ? kmin : (kf + 1 < kmax ? kf + 1 : kmax);                          \
            float vlo = under ? 0.0f : lns_value_fast(tb, gm1, F, (under ? kmin : kf) + o);        \
            float vhi = lns_value_fast(tb, gm1, F, kup + o);                                       \
            int up = lns_sr_up(lb_u2f(a), vlo, vhi, lb_rng_u32(key, i) & srmask);                  \
            int32_t kr = k >= kmax ? kmax : (under ? kmin : kf + up);                              \
            zero |= under & uz & !up;                                                              \
            k = kr;                                                                                \
        } else {                                                                                   \
            zero |= (k < kmin) & uz;                                                               \
            k = k < kmin ? kmin : (k > kmax ? kmax : k);                                           \
        }                                                                                          \
        if (CODES) {                                                                               \
            uint32_t c = zero ? zcode : ((uint32_t)k & lmask);                                     \
            codes[i] = (uint16_t)(c | ((bits >> 31) & !zero) << (B - 1));                          \
        } else {                                                                                   \
            v = lns_value_fast(tb, gm1, F, k + o);                                                 \
            uint32_t r = lb_f2u(v) | (bits & 0x80000000u);                                         \
            out[i] = lb_u2f(zero ? 0u : r);                                                        \
        }                                                                                          \
    }

static void lns_range_fast(const lns_job *j, size_t lo, size_t hi)
{
    const lns_tab *t = j->t;
    const float *in = j->in;
    float *out = j->out;
    const int32_t g = t->g, o = j->o, kmin = j->kmin, kmax = j->kmax;
    const int sh = 23 - (t->F + 1), uz = j->f->p.lns.underflow_zero, F = t->F;
    const int32_t gm1 = g - 1;
    const lb_rng_key key = j->key;
    const uint32_t srmask = lb_sr_mask(j->f);
    const uint32_t *npack = t->npack, *fpack = t->fpack;
    const uint32_t bmask = (2u << F) - 1, wmask = (1u << sh) - 1;
    uint32_t tb[1 << LNS_MAXF];
    memcpy(tb, t->t, (size_t)g * sizeof *tb);
    /* codes (lb_encode): the layout of lns_range below */
    uint16_t *codes = j->codes;
    const int B = j->f->bits, L = j->f->p.lns.logbits;
    const uint32_t lmask = (1u << L) - 1,
                   zcode = j->f->p.lns.zero_flag ? 1u << (B - 2) : 1u << (L - 1);
    if (codes) {
        switch (j->mode) {
        case LB_ROUND_RNE:
        case LB_ROUND_RNA:
            LNS_FAST_LOOP(LB_ROUND_RNE, 1);
            break;
        case LB_ROUND_RTZ:
            LNS_FAST_LOOP(LB_ROUND_RTZ, 1);
            break;
        default:
            LNS_FAST_LOOP(LB_ROUND_SR, 1);
            break;
        }
        return;
    }
    switch (j->mode) {
    case LB_ROUND_RNE:
    case LB_ROUND_RNA:
        LNS_FAST_LOOP(LB_ROUND_RNE, 0);
        break;
    case LB_ROUND_RTZ:
        LNS_FAST_LOOP(LB_ROUND_RTZ, 0);
        break;
    default:
        LNS_FAST_LOOP(LB_ROUND_SR, 0);
        break;
    }
}

static void lns_range(void *arg, size_t lo, size_t hi)
{
    const lns_job *j = arg;
    if (lns_fast_ok(j)) {
        lns_range_fast(j, lo, hi);
        return;
    }
    const lb_format *f = j->f;
    int L = f->p.lns.logbits, B = f->bits;
    uint32_t lmask = (1u << L) - 1;
    for (size_t i = lo; i < hi; i++) {
        float x = j->in[i];
        int zero;
        int32_t k = lns_round1(j, x, i, &zero);
        uint32_t neg = (lb_f2u(x) >> 31) & !zero;
        if (j->codes) {
            uint32_t c;
            if (f->p.lns.zero_flag)
                c = zero ? 1u << (B - 2) : ((uint32_t)k & lmask);
            else
                c = zero ? (1u << (L - 1)) : ((uint32_t)k & lmask);
            j->codes[i] = (uint16_t)(c | (neg << (B - 1)));
        } else {
            float v = zero ? 0.0f : lns_value(j->t, k + j->o);
            j->out[i] = neg ? -v : v;
        }
    }
}

/* Offset o: data-driven (max|x| -> largest code), from scales_in, or 0. */
static lb_status lns_offset(const lb_format *f, const lns_tab *t, const float *in, size_t n,
                            const lb_qctx *ctx, int32_t *o)
{
    *o = 0;
    if (f->scale == LB_SCALE_NONE) return LB_OK;
    if (ctx->scales_in)
        *o = (int32_t)ctx->scales_in[0];
    else if (in) {
        uint32_t amax = lb_f2u(lb_absmax_finite(in, n));
        /* floor, not nearest: max|x| >= the top grid value, so it lands on the top code in
         * every rounding mode (nearest may round it up past the top, which saturates) */
        if (amax) *o = lns_code(t, amax, 0) - lns_kmax(f);
    } else
        return LB_ERR_ARG; /* decode of a scaled format needs scales_in */
    if (ctx->scales_out) ctx->scales_out[0] = (float)*o;
    return LB_OK;
}

static lb_status lns_run(const lb_format *f, float *out, uint16_t *codes, const float *in, size_t n,
                         lb_round r, const lb_qctx *ctx)
{
    const lns_tab *t = lns_get_tab(f->p.lns.frac);
    if (!t) return LB_ERR_NOMEM;
    lns_job j = {.f = f, .t = t, .out = out, .codes = codes, .in = in, .mode = r};
    lb_status st = lns_offset(f, t, in, n, ctx, &j.o);
    if (st) return st;
    j.kmin = lns_kmin(f), j.kmax = lns_kmax(f);
    j.key = lb_rng_make_key(ctx->seed, ctx->tensor_id, ctx->step);
    lb_parallel_range(lns_range, &j, n, lb_qctx_threads(ctx, n));
    return LB_OK;
}

static lb_status lns_quantize(const lb_format *f, float *out, const float *in, size_t n, lb_round r,
                              const lb_qctx *ctx)
{
    return lns_run(f, out, NULL, in, n, r, ctx);
}

static lb_status lns_encode(const lb_format *f, uint16_t *codes, const float *in, size_t n,
                            lb_round r, const lb_qctx *ctx)
{
    return lns_run(f, NULL, codes, in, n, r, ctx);
}

static lb_status lns_decode(const lb_format *f, float *out, const uint16_t *codes, size_t n,
                            const lb_qctx *ctx)
{
    const lns_tab *t = lns_get_tab(f->p.lns.frac);
    if (!t) return LB_ERR_NOMEM;
    int32_t o;
    lb_status st = lns_offset(f, t, NULL, n, ctx, &o);
    if (st) return st;
    int L = f->p.lns.logbits, B = f->bits;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = codes[i];
        int32_t k = (int32_t)(c << (32 - L)) >> (32 - L);
        int zero = f->p.lns.zero_flag ? (int)((c >> (B - 2)) & 1u) : k == -(1 << (L - 1));
        float v = zero ? 0.0f : lns_value(t, k + o);
        out[i] = ((c >> (B - 1)) & 1u) && !zero ? -v : v;
    }
    return LB_OK;
}

/* Cost (lowbit/energy.h): an LNS word with a zero flag (QAA-LNS) is a log-domain MAC with PWL
 * addition, lns-pwl(T, F); one with a zero code (LNS-Madam) the binned datapath,
 * lns-binned(L+1, F). */
static lb_status lns_mac(const lb_format *f, lb_mac_model *m, lb_error *err)
{
    (void)err;
    m->kind = f->p.lns.zero_flag ? LB_MAC_LNS_PWL : LB_MAC_LNS_BINNED;
    m->bits = f->bits, m->frac = f->p.lns.frac;
    return LB_OK;
}

/* Oracle: code = sign | [zero flag] | L-bit two's-complement log code k; value ±2^((k + o)/2^F)
 * rounded to the nearest float, o = scale (the per-tensor code offset; 0 without a scale).
 * Zero: the flag alone (other codes with the flag set alias it), or with zero=code the most
 * negative k with sign 0 (sign 1 aliases it). */
static double lns_ref_value(const lb_format *f, uint32_t c, double scale, int *canonical, int *even)
{
    int B = f->bits, L = f->p.lns.logbits, g = 1 << f->p.lns.frac;
    int s = (int)((c >> (B - 1)) & 1u);
    int64_t k = (int64_t)(c & ((1u << L) - 1)), half = (int64_t)1 << (L - 1);
    if (k >= half) k -= 2 * half;
    int zero;
    *canonical = 1;
    *even = !(c & 1u);
    if (f->p.lns.zero_flag) {
        zero = (int)((c >> (B - 2)) & 1u);
        if (zero) *canonical = c == (1u << (B - 2)); /* flag alone */
    } else {
        zero = k == -half;
        if (zero) *canonical = !s;
    }
    if (zero) return 0.0;
    int64_t o = f->scale == LB_SCALE_TENSOR ? (int64_t)scale : 0;
    double v = (double)(float)exp2l((long double)(k + o) / g); /* nearest float */
    return s ? -v : v;
}

const lb_family lb_family_lns = {
    .key = "lns",
    .description = "logarithmic: sign and a fixed-point log2 magnitude (base 2^(1/2^F))",
    .keys_help = "bits, frac, scale=none|tensor, zero=flag|code, underflow=zero|sat, round",
    .parse = lns_parse,
    .info = lns_info,
    .quantize = lns_quantize,
    .encode = lns_encode,
    .decode = lns_decode,
    .mac = lns_mac,
    .ref_value = lns_ref_value,
};
