/* formats/round_core.h — rounding a float32 magnitude to a power-of-two granularity, in
 * integers. Shared by the minifloat (fp.c) and fixed-point (fx.c) families. Not installed.
 *
 * A finite float |x| = sig · 2^(ex - 150), sig = 1.mant (24 bits) for ex >= 1, and
 * sig = mant, ex := 1 for float subnormals. A family chooses, per element, how many low bits
 * s of sig fall below its grid:
 *     s = (ex >= eb) ? s_norm : c0 - ex        (clamped to >= 0)
 * minifloat: eb = biased fp32 exponent of the format's min normal, s_norm = 23 - M,
 *            c0 = 23 - Msub + eb (Msub = M with subnormals, 0 without: the grid below the min
 *            normal is then {0, min normal});
 * fixed point: eb = never, c0 = 150 - F (granularity 2^-F).
 * The rounded magnitude is r · 2^(s + ex - 150) with r = sig rounded at bit s:
 *     rne  r = (sig + 2^(s-1) - 1 + ((sig >> s) & 1)) >> s   (tie -> even r = even code)
 *     rna  r = (sig + 2^(s-1)) >> s
 *     rtz  r = sig >> s
 *     sr   r = (sig + (u32 >> (32 - s))) >> s      P(up) = (sig mod 2^s) / 2^s exactly
 * To make s = 0 (no rounding) need no special case, sig and s are both doubled first
 * (sig2 = 2·sig, s2 = s + 1). s is capped at 30; beyond, sig is pre-shifted, which only
 * quantises SR probabilities of values below 2^-7 of the smallest grid step to 2^-30.
 * Everything is branch-free so GCC vectorises the loops (AVX2 variable shifts). */
#ifndef LB_FORMATS_ROUND_CORE_H
#define LB_FORMATS_ROUND_CORE_H

#include <stdint.h>

#include "core/internal.h"

typedef struct lb_rc_params {
    int32_t eb, s_norm, c0;
    uint32_t max_pos, max_neg; /* float bits of the largest finite magnitude, by sign */
    uint32_t ovf_pos, ovf_neg; /* float bits that an overflow becomes (max, inf or NaN) */
    uint32_t inf_pos, inf_neg; /* what +-inf inputs become */
    uint32_t nan_out;          /* what NaN inputs become */
    int sub;                   /* 1: grid steps below 2^-126 occur (see lb_pow2f) */
    int m_zero;                /* minifloat with no mantissa bits: ties by exponent parity */
    int32_t exp_par;           /* the code's exponent field is ex + exp_par (mod 2) */
    int32_t sr_drop;           /* SR keeps the top 32 - sr_drop random bits (lb_sr_drop) */
} lb_rc_params;

/* SR with N random bits (spec key srbits=N): the 32-bit draw keeps its top N bits, the rest 0
 * (full width, N = 32, is unchanged). In the rounding core, where a value whose fraction below
 * the grid is f rounds up when the top s bits of the draw added to it carry, this gives
 *     P(up) = floor(f · 2^N) / 2^N      (exactly f when f is a multiple of 2^-N),
 * so the mean result is below the exact value by ulp · frac(f · 2^N) / 2^N: at most 2^-N ulp,
 * on average 2^-(N+1) ulp over uniformly spread f (a bias toward zero in magnitude). The int
 * and lns families compare a uniform u < f instead: P(up) = ceil(f · 2^N) / 2^N, the same bias
 * away from zero. tests/unit/test_format_srbits.c checks both forms. */
static inline int32_t lb_sr_drop(const lb_format *f)
{
    return f->srbits > 0 && f->srbits < 32 ? 32 - f->srbits : 0;
}
static inline uint32_t lb_sr_mask(const lb_format *f)
{
    return ~0u << lb_sr_drop(f);
}

/* 2^k as float for k in [-149, 127]; with sub = 0 the caller guarantees k >= -126. A denormal
 * 2^k is only produced for grid steps below 2^-126, i.e. for rare tiny inputs of E = 8 formats. */
static inline float lb_pow2f(int32_t k, int sub)
{
    uint32_t nb = (uint32_t)(k + 127) << 23;
    if (!sub) return lb_u2f(nb);
    uint32_t sb = 1u << ((k + 149) & 31);
    return lb_u2f(k >= -126 ? nb : sb);
}

/* Compile-time variants of the kernel (every call site passes constants):
 *   mode  rounding; only sr needs the pre-shift for s > 30 (other modes give r = 0 there)
 *   sub   the grid step can be below 2^-126 (E = 8 minifloats, fine fixed point)
 *   fixed two's-complement fixed point: the largest magnitude depends on the sign, and
 *         zero is always +0 (minifloats keep -0) */
static inline uint32_t lb_rc_round1(const lb_rc_params *p, uint32_t bits, lb_round mode,
                                    uint32_t rnd, int sub, int fixed)
{
    uint32_t sign = bits & 0x80000000u;
    uint32_t a = bits & 0x7fffffffu;
    int32_t ex_raw = (int32_t)(a >> 23);
    uint32_t sig = (a & 0x7fffffu) | (ex_raw ? 0x800000u : 0u);
    int32_t ex = ex_raw ? ex_raw : 1;
    /* the region test uses the raw exponent: a float subnormal is below any min normal */
    int32_t s = ex_raw >= p->eb ? p->s_norm : p->c0 - ex;
    s = s < 0 ? 0 : s;
    int32_t k = s + ex - 150; /* exponent of the grid step */
    uint32_t sig2, s2;
    if (mode == LB_ROUND_SR) {
        int32_t pre = s > 30 ? s - 30 : 0;
        s2 = (uint32_t)(s - pre) + 1;
        pre = pre > 31 ? 31 : pre; /* sig < 2^24: a shift of 24 or more already gives 0 */
        sig2 = (sig >> pre) << 1;
    } else {
        sig2 = sig << 1;
        s2 = (uint32_t)(s > 25 ? 25 : s) + 1; /* s >= 25 rounds every sig to 0 */
    }
    uint32_t r;
    switch (mode) {
    case LB_ROUND_RNE: {
        /* the tie goes to the even code: its low bit is r's, except for M = 0 in the normal
         * range, where every r is 1 and the code's low bit is the exponent field's */
        uint32_t par = (sig2 >> s2) & 1u;
        uint32_t epar = (uint32_t)(ex + p->exp_par) & 1u;
        par = (p->m_zero && ex_raw >= p->eb) ? epar : par;
        r = (sig2 + (1u << (s2 - 1)) - 1u + par) >> s2;
        break;
    }
    case LB_ROUND_RNA:
        r = (sig2 + (1u << (s2 - 1))) >> s2;
        break;
    case LB_ROUND_RTZ:
        r = sig2 >> s2;
        break;
    default:
        r = (sig2 + ((rnd & (~0u << p->sr_drop)) >> (32 - s2))) >> s2;
        break;
    }
    uint32_t qb = lb_f2u((float)(int32_t)r * lb_pow2f(k, sub)); /* exact: r has <= 24 bits */
    uint32_t maxb = fixed && sign ? p->max_neg : p->max_pos;
    uint32_t ovf = mode == LB_ROUND_RTZ ? maxb : (fixed && sign ? p->ovf_neg : p->ovf_pos);
    qb = qb > maxb ? ovf : qb;
    /* inf and NaN inputs as bit masks, not selects: GCC would otherwise thread them into
     * branches for some rounding modes and give up vectorising (rtz) */
    uint32_t m_inf = 0u - (uint32_t)(a == 0x7f800000u), m_nan = 0u - (uint32_t)(a > 0x7f800000u);
    qb = (qb & ~m_inf) | ((fixed && sign ? p->inf_neg : p->inf_pos) & m_inf);
    uint32_t out = qb | sign;
    if (fixed) out &= 0u - (uint32_t)(qb != 0); /* +0 only */
    return (out & ~m_nan) | (p->nan_out & m_nan);
}

/* Quantize [lo, hi) of in into out; mode, sub and fixed are compile-time constants. */
#define LB_RC_LOOP(p, out, in, lo, hi, mode, key, base, sub, fixed)                                \
    do {                                                                                           \
        for (size_t i_ = (lo); i_ < (hi); i_++) {                                                  \
            uint32_t rnd_ = (mode) == LB_ROUND_SR ? lb_rng_u32((key), (base) + i_) : 0u;           \
            (out)[i_] = lb_u2f(lb_rc_round1((p), lb_f2u((in)[i_]), (mode), rnd_, (sub), (fixed))); \
        }                                                                                          \
    } while (0)

/* All mode x sub variants of LB_RC_LOOP for one value of fixed. */
#define LB_RC_DISPATCH(p, out, in, lo, hi, mode, key, base, sub, fixed)                            \
    do {                                                                                           \
        if (sub) switch (mode) {                                                                   \
            case LB_ROUND_RNE:                                                                     \
                LB_RC_LOOP(p, out, in, lo, hi, LB_ROUND_RNE, key, base, 1, fixed);                 \
                break;                                                                             \
            case LB_ROUND_RNA:                                                                     \
                LB_RC_LOOP(p, out, in, lo, hi, LB_ROUND_RNA, key, base, 1, fixed);                 \
                break;                                                                             \
            case LB_ROUND_RTZ:                                                                     \
                LB_RC_LOOP(p, out, in, lo, hi, LB_ROUND_RTZ, key, base, 1, fixed);                 \
                break;                                                                             \
            default:                                                                               \
                LB_RC_LOOP(p, out, in, lo, hi, LB_ROUND_SR, key, base, 1, fixed);                  \
                break;                                                                             \
            }                                                                                      \
        else                                                                                       \
            switch (mode) {                                                                        \
            case LB_ROUND_RNE:                                                                     \
                LB_RC_LOOP(p, out, in, lo, hi, LB_ROUND_RNE, key, base, 0, fixed);                 \
                break;                                                                             \
            case LB_ROUND_RNA:                                                                     \
                LB_RC_LOOP(p, out, in, lo, hi, LB_ROUND_RNA, key, base, 0, fixed);                 \
                break;                                                                             \
            case LB_ROUND_RTZ:                                                                     \
                LB_RC_LOOP(p, out, in, lo, hi, LB_ROUND_RTZ, key, base, 0, fixed);                 \
                break;                                                                             \
            default:                                                                               \
                LB_RC_LOOP(p, out, in, lo, hi, LB_ROUND_SR, key, base, 0, fixed);                  \
                break;                                                                             \
            }                                                                                      \
    } while (0)

/* The grids of the fp and fx families (fp.c, fx.c), for the block formats built on them. */
void lb_fp_rc_params(const lb_format *f, lb_rc_params *p);
void lb_fx_rc_params(const lb_format *f, lb_rc_params *p);

/* Run a range kernel over [0, n) on lb_qctx_threads() threads (deterministic: the element
 * index alone drives the random bits). fn(arg, lo, hi) */
typedef void (*lb_range_fn)(void *arg, size_t lo, size_t hi);
void lb_parallel_range(lb_range_fn fn, void *arg, size_t n, int threads);

#endif
