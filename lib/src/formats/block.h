/* formats/block.h — the block layout shared by the block-scaled families (mx.c, mls.c).
 * Not installed.
 *
 * A block format splits a tensor into blocks that share one scale. Blocks run along
 * lb_qctx.axis of lb_qctx.dims: element (outer o, axis index a, inner index j) belongs to block
 * (o, a / B, j), B elements long (the last block of an axis ends short when B does not divide
 * it; B <= 0: the whole axis). Without a shape (ndim 0), or with `flat`, the tensor is one flat
 * axis: blocks are B consecutive elements. Blocks are numbered (o, a / B, j) in row-major order;
 * that is the order of scales_in / scales_out (one float per block). */
#ifndef LB_FORMATS_BLOCK_H
#define LB_FORMATS_BLOCK_H

#include <math.h>

#include "core/internal.h"
#include "formats/round_core.h"

typedef struct lb_blocks {
    int64_t outer, A, inner; /* the tensor as (outer, A, inner), blocks along A */
    int64_t B;               /* elements per block along A (<= A) */
    int64_t nba;             /* blocks per axis: ceil(A / B) */
    size_t nblocks;          /* outer * nba * inner */
} lb_blocks;

/* Fast exact helpers for positive finite floats (libm's ilogbf/ldexpf are calls; these are a
 * few integer operations, with the library call only for subnormals). */
static inline int lb_ilogb_pos(float a)
{
    uint32_t b = lb_f2u(a);
    return (b >> 23) ? (int)(b >> 23) - 127 : ilogbf(a);
}
/* a · 2^k for positive finite a */
static inline float lb_ldexp_pos(float a, int k)
{
    uint32_t b = lb_f2u(a);
    int e = (int)(b >> 23);
    return (e && e + k >= 1 && e + k <= 254) ? lb_u2f(b + ((uint32_t)k << 23)) : ldexpf(a, k);
}

/* How a block's shared scale is chosen from its amax (spec key scale_rule=floor|ceil|even);
 * each family documents the formula for its scale next to its code (mx.c, nvfp4.c). */
typedef enum lb_scale_rule { LB_SCALE_FLOOR = 0, LB_SCALE_CEIL, LB_SCALE_EVEN } lb_scale_rule;
/* Parse the key scale_rule (absent: *rule = def); LB_ERR_SPEC naming the value otherwise. */
lb_status lb_scale_rule_parse(lb_kv *kv, int nkv, const char *family, lb_scale_rule def,
                              lb_scale_rule *rule, lb_error *err);
/* "floor", "ceil", "even" */
const char *lb_scale_rule_name(lb_scale_rule r);

lb_status lb_blocks_get(const lb_qctx *ctx, size_t n, int block, int flat, lb_blocks *bl,
                        lb_error *err);

/* amax[b] = largest |x| over the finite elements of block b; bad[b] = 1 if the block holds a
 * NaN or an infinity (bad may be NULL). */
void lb_blocks_absmax(const lb_blocks *bl, const float *in, float *amax, unsigned char *bad);

/* The fused element pass of the block formats, one read and one write per element:
 *     u = fl32(x / div[b]),  out = round(u) · mult[b]   (round(u) alone when mult is NULL),
 * round() being lb_rc_round1 with the element grid p, unsigned-zero variant (fixed = 0) and
 * `mode`; with plus_zero a -0 result becomes +0, which is what the fixed variant gives for a
 * sign-symmetric grid (max_neg = max_pos etc., as for MLS and MXINT8 elements) at half the
 * cost. p.sub must be 0: block elements are scaled far away from float32 subnormal steps.
 * SR draws lb_rng_u32(key, i) for element i, so results do not depend on threads. */
typedef struct lb_blocks_round_args {
    lb_rc_params p;
    int plus_zero;
    lb_round mode;
    lb_rng_key key;
    const float *div;  /* one per block */
    const float *mult; /* one per block, or NULL */
} lb_blocks_round_args;

void lb_blocks_round(const lb_blocks *bl, float *out, const float *in,
                     const lb_blocks_round_args *a, int threads);

#endif
