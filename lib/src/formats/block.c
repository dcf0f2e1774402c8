/* formats/block.c — block layout and the two block passes (absmax, fused scale-round-scale) of the
 * block-scaled families. */
#include <math.h>
#include <string.h>

#include "formats/block.h"

static const char *const scale_rule_names[] = {"floor", "ceil", "even"};

const char *lb_scale_rule_name(lb_scale_rule r)
{
    return scale_rule_names[r];
}

lb_status lb_scale_rule_parse(lb_kv *kv, int nkv, const char *family, lb_scale_rule def,
                              lb_scale_rule *rule, lb_error *err)
{
    const char *v = lb_kv_get(kv, nkv, "scale_rule");
    *rule = def;
    if (!v) return LB_OK;
    for (int i = 0; i < 3; i++)
        if (!strcmp(v, scale_rule_names[i])) {
            *rule = (lb_scale_rule)i;
            return LB_OK;
        }
    return lb_fail(err, LB_ERR_SPEC, "%s: scale_rule='%s' (accepted: floor, ceil, even)", family,
                   v);
}

lb_status lb_blocks_get(const lb_qctx *ctx, size_t n, int block, int flat, lb_blocks *bl,
                        lb_error *err)
{
    lb_chan_layout lay;
    lb_status st = lb_chan_layout_get(ctx, n, &lay, err);
    if (st) return st;
    int shaped = ctx && ctx->ndim && !flat;
    bl->A = shaped ? lay.nch : (int64_t)n;
    bl->inner = shaped ? lay.inner : 1;
    bl->outer = (bl->A && bl->inner) ? (int64_t)n / (bl->A * bl->inner) : 0;
    bl->B = block <= 0 || block > bl->A ? bl->A : block;
    bl->nba = bl->B ? (bl->A + bl->B - 1) / bl->B : 0;
    bl->nblocks = (size_t)(bl->outer * bl->nba * bl->inner);
    return LB_OK;
}

/* Largest |x| over n finite floats, and whether any is not finite. Magnitudes are compared as
 * signed integers (the bit patterns of non-negative floats order like their values, and
 * >= 0x7f800000 is inf or NaN; GCC vectorises the signed max reduction, not the unsigned one);
 * the finite maximum is recomputed only for a block that holds an inf or a NaN. */
static float run_absmax(const float *x, int64_t n, int *nonfinite)
{
    int32_t m = 0;
    for (int64_t t = 0; t < n; t++) {
        int32_t v;
        memcpy(&v, &x[t], 4);
        v &= 0x7fffffff;
        m = v > m ? v : m;
    }
    *nonfinite = m >= 0x7f800000;
    return *nonfinite ? lb_absmax_finite(x, (size_t)n) : lb_u2f((uint32_t)m);
}

/* Blocks of 16 or 32: one 16-lane vector per 16 elements, reduced in the register (GCC vector
 * extensions; the scalar loop above does not vectorise across so short a block). */
typedef int32_t lb_v16i __attribute__((vector_size(64)));
/* v = max(v, w) lane by lane; a macro, not a function: a 64-byte vector argument has no stable
 * ABI without AVX-512 (-Wpsabi with -march=x86-64-v3) */
#define V16_MAXEQ(v, w)                                                                            \
    do {                                                                                           \
        lb_v16i w_ = (w), gt_ = (v) > w_;                                                          \
        (v) = ((v)&gt_) | (w_ & ~gt_);                                                             \
    } while (0)
static inline float run_absmax_v16(const float *x, int n32, int *nonfinite)
{
    lb_v16i v, w;
    memcpy(&v, x, sizeof v);
    v &= 0x7fffffff;
    if (n32) {
        memcpy(&w, x + 16, sizeof w);
        V16_MAXEQ(v, w & 0x7fffffff);
    }
    V16_MAXEQ(v,
              __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
    V16_MAXEQ(v, __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3));
    V16_MAXEQ(v, __builtin_shufflevector(v, v, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1));
    V16_MAXEQ(v, __builtin_shufflevector(v, v, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0));
    *nonfinite = v[0] >= 0x7f800000;
    return *nonfinite ? lb_absmax_finite(x, n32 ? 32u : 16u) : lb_u2f((uint32_t)v[0]);
}

/* The loops walk (o, block along A, a in block, j) so the innermost loop is contiguous. */
void lb_blocks_absmax(const lb_blocks *bl, const float *in, float *amax, unsigned char *bad)
{
    const int64_t A = bl->A, I = bl->inner, B = bl->B;
    if (I == 1 && (B == 16 || B == 32) && A % B == 0) { /* flat, equal blocks: one plain loop */
        for (size_t b = 0; b < bl->nblocks; b++) {
            int nf;
            amax[b] = run_absmax_v16(in + b * (size_t)B, B == 32, &nf);
            if (bad) bad[b] = (unsigned char)nf;
        }
        return;
    }
    for (int64_t o = 0; o < bl->outer; o++)
        for (int64_t k = 0; k < bl->nba; k++) {
            const size_t b0 = (size_t)((o * bl->nba + k) * I);
            float *am = amax + b0;
            const int64_t a0 = k * B, a1 = (k + 1) * B < A ? (k + 1) * B : A;
            if (I == 1) { /* flat blocks: one run over the block (16 and 32: unrolled) */
                int nf;
                const float *x = in + o * A + a0;
                const int64_t len = a1 - a0;
                am[0] = len == 32   ? run_absmax_v16(x, 1, &nf)
                        : len == 16 ? run_absmax_v16(x, 0, &nf)
                                    : run_absmax(x, len, &nf);
                if (bad) bad[b0] = (unsigned char)nf;
                continue;
            }
            for (int64_t j = 0; j < I; j++)
                am[j] = 0.0f;
            if (bad) memset(bad + b0, 0, (size_t)I);
            for (int64_t a = a0; a < a1; a++) {
                const float *x = in + (o * A + a) * I;
                for (int64_t j = 0; j < I; j++) {
                    float v = fabsf(x[j]);
                    int fin = v <= 3.402823466e38f; /* false for inf and NaN */
                    am[j] = fin && v > am[j] ? v : am[j];
                }
                if (bad)
                    for (int64_t j = 0; j < I; j++)
                        bad[b0 + (size_t)j] |= !(fabsf(x[j]) <= 3.402823466e38f);
            }
        }
}

/* Elements [i0, i0 + len) of a contiguous run with per-element divisors dv[t] and multipliers
 * mu[t] (t = 0..len-1; mu unused without mul). Every argument that selects a variant is a
 * compile-time constant at the call. */
static inline __attribute__((always_inline)) void
round_run(const lb_blocks_round_args *ar, float *out, const float *in, size_t i0, size_t len,
          const float *dv, const float *mu, lb_round mode, int plus_zero, int mul)
{
    const lb_rc_params p = ar->p;
    const lb_rng_key key = ar->key;
    for (size_t t = 0; t < len; t++) {
        size_t i = i0 + t;
        uint32_t rnd = mode == LB_ROUND_SR ? lb_rng_u32(key, i) : 0u;
        float q = lb_u2f(lb_rc_round1(&p, lb_f2u(in[i] / dv[t]), mode, rnd, 0, 0));
        q = mul ? q * mu[t] : q;
        out[i] = plus_zero ? q + 0.0f : q; /* -0 -> +0 */
    }
}

/* The same with one divisor and multiplier for the whole run. */
static inline __attribute__((always_inline)) void round_run1(const lb_blocks_round_args *ar,
                                                             float *out, const float *in, size_t i0,
                                                             size_t len, float d, float m,
                                                             lb_round mode, int plus_zero, int mul)
{
    const lb_rc_params p = ar->p;
    const lb_rng_key key = ar->key;
    for (size_t t = 0; t < len; t++) {
        size_t i = i0 + t;
        uint32_t rnd = mode == LB_ROUND_SR ? lb_rng_u32(key, i) : 0u;
        float q = lb_u2f(lb_rc_round1(&p, lb_f2u(in[i] / d), mode, rnd, 0, 0));
        q = mul ? q * m : q;
        out[i] = plus_zero ? q + 0.0f : q; /* -0 -> +0 */
    }
}

typedef struct round_job {
    const lb_blocks *bl;
    const lb_blocks_round_args *a;
    float *out;
    const float *in;
} round_job;

/* Slabs [lo, hi) of the (o, k) walk: rows a0..a1 of block k of outer index o, I elements each.
 * Flat blocks (I = 1) are consecutive in memory, so short ones are gathered into chunks of up
 * to LB_ROUND_CHUNK elements with their scales spread per element: the vector loop then runs
 * over the chunk instead of restarting for every 16- or 32-element block. */
#define LB_ROUND_CHUNK 512
static inline __attribute__((always_inline)) void
round_slabs(const round_job *j, size_t lo, size_t hi, lb_round mode, int plus_zero, int mul)
{
    const lb_blocks *bl = j->bl;
    const lb_blocks_round_args *ar = j->a;
    const int64_t A = bl->A, I = bl->inner, B = bl->B, nba = bl->nba;
    float dq[LB_ROUND_CHUNK], mq[LB_ROUND_CHUNK];
    int64_t o = (int64_t)lo / nba, k = (int64_t)lo % nba; /* slab s = o·nba + k, walked on */
    size_t s = lo;
    while (s < hi) {
        const int64_t a0 = k * B, a1 = (k + 1) * B < A ? (k + 1) * B : A;
        const size_t i0 = (size_t)((o * A + a0) * I);
        if (I > 1 || a1 - a0 > LB_ROUND_CHUNK / 2) {
            if (I > 1) { /* rows of I elements, each with the slab's I scales */
                const size_t b0 = s * (size_t)I;
                for (int64_t a = a0; a < a1; a++)
                    round_run(ar, j->out, j->in, i0 + (size_t)((a - a0) * I), (size_t)I,
                              ar->div + b0, mul ? ar->mult + b0 : NULL, mode, plus_zero, mul);
            } else { /* a long flat block: one run with one scale */
                round_run1(ar, j->out, j->in, i0, (size_t)(a1 - a0), ar->div[s],
                           mul ? ar->mult[s] : 1.0f, mode, plus_zero, mul);
            }
            s++;
            if (++k == nba) k = 0, o++;
            continue;
        }
        size_t len = 0; /* gather short flat blocks s, s+1, ... (contiguous) into one chunk */
        for (; s < hi; s++) {
            const size_t blen = (size_t)(((k + 1) * B < A ? (k + 1) * B : A) - k * B);
            if (len + blen > LB_ROUND_CHUNK) break;
            const float d = ar->div[s], m = mul ? ar->mult[s] : 1.0f;
            for (size_t t = 0; t < blen; t++)
                dq[len + t] = d;
            if (mul)
                for (size_t t = 0; t < blen; t++)
                    mq[len + t] = m;
            len += blen;
            if (++k == nba) k = 0, o++;
        }
        round_run(ar, j->out, j->in, i0, len, dq, mq, mode, plus_zero, mul);
    }
}

#define LB_ROUND_SLABS_MODES(j, lo, hi, plus_zero, mul)                                            \
    switch ((j)->a->mode) {                                                                        \
    case LB_ROUND_RNE:                                                                             \
        round_slabs(j, lo, hi, LB_ROUND_RNE, plus_zero, mul);                                      \
        break;                                                                                     \
    case LB_ROUND_RNA:                                                                             \
        round_slabs(j, lo, hi, LB_ROUND_RNA, plus_zero, mul);                                      \
        break;                                                                                     \
    case LB_ROUND_RTZ:                                                                             \
        round_slabs(j, lo, hi, LB_ROUND_RTZ, plus_zero, mul);                                      \
        break;                                                                                     \
    default:                                                                                       \
        round_slabs(j, lo, hi, LB_ROUND_SR, plus_zero, mul);                                       \
        break;                                                                                     \
    }

static void round_range(void *arg, size_t lo, size_t hi)
{
    const round_job *j = arg;
    const int plus_zero = j->a->plus_zero, mul = j->a->mult != NULL;
    if (plus_zero && mul)
        LB_ROUND_SLABS_MODES(j, lo, hi, 1, 1)
    else if (plus_zero)
        LB_ROUND_SLABS_MODES(j, lo, hi, 1, 0)
    else if (mul)
        LB_ROUND_SLABS_MODES(j, lo, hi, 0, 1)
    else
        LB_ROUND_SLABS_MODES(j, lo, hi, 0, 0)
}

void lb_blocks_round(const lb_blocks *bl, float *out, const float *in,
                     const lb_blocks_round_args *a, int threads)
{
    if (bl->nblocks == 0) return; /* an empty call (n = 0): no block, nothing to divide by */
    round_job j = {bl, a, out, in};
    const size_t slabs = (size_t)(bl->outer * bl->nba);
    if (!slabs) return; /* no elements (n = 0): round_slabs would divide by nba = 0 */
    lb_parallel_range(round_range, &j, slabs, threads);
}
