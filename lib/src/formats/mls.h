/* formats/mls.h — the MLS family's integer view, shared with the bit-true MLS GEMM
 * (lib/src/gemm/mls.c). Not installed. */
#ifndef LB_FORMATS_MLS_H
#define LB_FORMATS_MLS_H

#include "formats/block.h"

typedef struct lb_mls_params {
    int e, m;    /* element exponent and mantissa bits */
    int gbits;   /* group exponent bits: k_g in [0, 2^gbits - 1] */
    int group;   /* elements per group along the axis (<= 0: the whole axis) */
    int flat;    /* 1: groups of consecutive elements, ignoring the shape */
    int emin;    /* 2^e - 1: the smallest element is 2^-emin */
    int rule;    /* lb_scale_rule (formats/block.h) of the group exponent */
    int sr_drop; /* SR random bits dropped (round_core.h lb_sr_drop) */
} lb_mls_params;

void lb_mls_params_get(const lb_format *f, lb_mls_params *p);

/* The integer form of an MLS tensor, for m + 2^e - 1 <= 14 (so that v fits int16):
 *     x ≈ s · 2^-k[g] · v[i] · 2^-(m + emin),
 * v[i] a signed integer of at most m + 1 + emin bits (0 for zero), k[g] per group (block order
 * of formats/block.h; k needs bl->nblocks entries), s the tensor scale (max |finite x| with its
 * significand truncated to 23 - m bits; 0 for an all-zero tensor). Rounding as lb_quantize
 * (mode r, SR keyed by ctx). NaN elements give v = 0; *nonfinite counts them and the
 * infinities (which saturate). */
lb_status lb_mls_encode_int(const lb_format *f, const lb_blocks *bl, int16_t *v, int32_t *k,
                            float *s, const float *in, size_t n, lb_round r, const lb_qctx *ctx,
                            size_t *nonfinite, float *work);
/* The size of `work` (floats) lb_mls_encode_int needs; work NULL: it allocates its own. */
static inline size_t lb_mls_work_size(const lb_blocks *bl, size_t n)
{
    return 2 * bl->nblocks + n + 3;
}

#endif
