/* formats/mx.c — OCP Microscaling (MX v1.0) block formats "mx:e=E,m=M[,block=32][,flat]" and
 * "mx:int[,block=32][,flat]" (MXINT8).
 *
 * A block of `block` elements (see formats/block.h: along lb_qctx.axis, or consecutive elements
 * without a shape or with the flag `flat`) shares one E8M0 scale X = 2^x, amax the largest |x|
 * of the block, emax_elem the exponent of the element format's largest normal value, max_elem
 * its largest magnitude; the key scale_rule chooses x:
 *     floor (default, OCP MX v1.0 §6.3)  x = floor(log2 amax) - emax_elem
 *     ceil   x = ceil(log2(amax / max_elem)): the least X with amax / X <= max_elem (no element
 *            of the block saturates; costs up to one binade of resolution)
 *     even   x = round(amax to a power of two) - emax_elem: floor(log2 amax), plus 1 when
 *            amax's significand exceeds 1.5; at exactly 1.5 the x that is even. Each element is x/X
 * rounded to the element format (RNE by default; any rounding mode, SR keyed by the element's index
 * in the call) with saturation; the value is element·X. Elements: FP8 E4M3 (no inf, max 448: emax
 * 8), FP8 E5M2 (emax 15), FP6 E3M2 (emax 4), FP6 E2M3 (emax 2), FP4 E2M1 (emax 2), INT8 (Q1.6, emax
 * 0). MXINT8 elements are clamped symmetrically to ±127/64, as Microsoft's microxcaling library
 * does; the two's-complement code -128 (-2) is never produced, so the grid is sign-symmetric and
 * quantization idempotent. X is clamped to the E8M0 range 2^-127..2^127. An all-zero block stays
 * zero. Non-finite inputs: a NaN or ±inf anywhere in a block makes the whole block NaN (the OCP
 * rule: amax is not finite, so the shared scale is NaN). Scales: scales_out receives X per block
 * (NaN for non-finite blocks); scales_in fixes X per block (one positive float per block, in block
 * order), which makes the format elementwise. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/block.h"

/* f->p.reserved: [0] e, [1] m, [2] block, [3] 1 = integer elements, [4] 1 = flat blocks,
 * [5] scale rule */
#define MX_E(f)     ((int)(f)->p.reserved[0])
#define MX_M(f)     ((int)(f)->p.reserved[1])
#define MX_BLOCK(f) ((int)(f)->p.reserved[2])
#define MX_INT(f)   ((int)(f)->p.reserved[3])
#define MX_FLAT(f)  ((int)(f)->p.reserved[4])
#define MX_RULE(f)  ((lb_scale_rule)(f)->p.reserved[5])

static lb_status mx_parse(lb_format *f, lb_kv *kv, int nkv, lb_error *err)
{
    int e = -1, m = -1, block = 32, isint = lb_kv_flag(kv, nkv, "int");
    int flat = lb_kv_flag(kv, nkv, "flat");
    lb_status st;
    if ((st = lb_kv_int(kv, nkv, "e", 2, 5, &e, err))) return st;
    if ((st = lb_kv_int(kv, nkv, "m", 1, 3, &m, err))) return st;
    if ((st = lb_kv_int(kv, nkv, "block", 1, 1 << 20, &block, err))) return st;
    lb_scale_rule rule;
    if ((st = lb_scale_rule_parse(kv, nkv, "mx", LB_SCALE_FLOOR, &rule, err))) return st;
    f->p.reserved[5] = (uint64_t)rule;
    static const int ok[][2] = {{4, 3}, {5, 2}, {3, 2}, {2, 3}, {2, 1}};
    int found = 0;
    for (int i = 0; i < 5; i++)
        found |= ok[i][0] == e && ok[i][1] == m;
    if (isint ? (e >= 0 || m >= 0) : !found)
        return lb_fail(err, LB_ERR_SPEC,
                       "mx: the element must be one of e=4,m=3 / e=5,m=2 / e=3,m=2 / e=2,m=3 / "
                       "e=2,m=1 or the flag int (OCP MX v1.0)");
    f->bits = isint ? 8 : 1 + e + m;
    f->scale = LB_SCALE_CHANNEL;
    f->p.reserved[0] = (uint64_t)(isint ? 0 : e);
    f->p.reserved[1] = (uint64_t)(isint ? 0 : m);
    f->p.reserved[2] = (uint64_t)block;
    f->p.reserved[3] = (uint64_t)isint;
    f->p.reserved[4] = (uint64_t)flat;
    return LB_OK;
}

/* The element format, a spec of the fp/fx families (saturating). */
static void elem_spec(const lb_format *f, char *s, size_t n)
{
    if (MX_INT(f))
        snprintf(s, n, "fx:wl=8,fl=6,symmetric");
    else if (MX_E(f) == 4)
        snprintf(s, n, "fp:e=4,m=3,specials=fn,overflow=sat");
    else if (MX_E(f) == 5)
        snprintf(s, n, "fp:e=5,m=2,overflow=sat");
    else
        snprintf(s, n, "fp:e=%d,m=%d,specials=none", MX_E(f), MX_M(f));
}

static lb_status elem_format(const lb_format *f, lb_format *ef, lb_format_info *ei)
{
    char es[64];
    lb_error err;
    elem_spec(f, es, sizeof es);
    if (lb_format_parse(ef, es, &err)) return LB_ERR_ARG;
    lb_format_info_get(ef, ei);
    return LB_OK;
}

static void mx_info(const lb_format *f, lb_format_info *o)
{
    lb_format ef;
    lb_format_info ei;
    char es[64];
    elem_spec(f, es, sizeof es);
    if (elem_format(f, &ef, &ei)) return;
    o->bits = f->bits;
    o->max = ei.max; /* relative to the block scale */
    o->min_pos = ei.min_pos;
    o->min_normal = ei.min_normal;
    o->precision = ei.precision;
    o->precision_absolute = ei.precision_absolute;
    o->scaled = 1;
    o->block = MX_BLOCK(f);
    o->has_nan = 1; /* through the scale */
    o->signed_zero = ei.signed_zero;
    o->overflow = LB_OVERFLOW_SAT;
    o->next_above_max = ei.max;
    o->encodable = 0;
    o->scale_bits = 8; /* E8M0 per block */
    snprintf(o->description, sizeof o->description,
             "OCP MX: blocks of %d %s elements sharing an E8M0 scale (%.3g bits/element)",
             MX_BLOCK(f), es, f->bits + 8.0 / MX_BLOCK(f));
}

static lb_status mx_quantize(const lb_format *f, float *out, const float *in, size_t n, lb_round r,
                             const lb_qctx *ctx)
{
    lb_format ef;
    lb_format_info ei;
    lb_error err;
    lb_blocks bl;
    if (elem_format(f, &ef, &ei)) return LB_ERR_ARG;
    if (lb_blocks_get(ctx, n, MX_BLOCK(f), MX_FLAT(f), &bl, &err)) return LB_ERR_ARG;
    const int emax = ilogb(ei.max);
    float *X = malloc((bl.nblocks + 1) * sizeof *X);
    unsigned char *bad = malloc(bl.nblocks + 1);
    if (!X || !bad) return free(X), free(bad), LB_ERR_NOMEM;
    lb_blocks_absmax(&bl, in, X, bad); /* X holds amax for now */
    for (size_t b = 0; b < bl.nblocks; b++) {
        if (bad[b]) {
            X[b] = NAN;
        } else if (ctx->scales_in) {
            X[b] = ctx->scales_in[b];
        } else if (X[b] == 0.0f) {
            X[b] = 1.0f;
        } else {
            int ex = lb_ilogb_pos(X[b]) - emax; /* floor */
            if (MX_RULE(f) ==
                LB_SCALE_CEIL) /* ceil is floor or floor + 1 (max_elem < 2^(emax+1)) */
                ex += (double)X[b] > ldexp(ei.max, ex);
            else if (MX_RULE(f) == LB_SCALE_EVEN) {
                const double sig = ldexp((double)X[b], -lb_ilogb_pos(X[b])); /* [1, 2) */
                ex += sig > 1.5 || (sig == 1.5 && (ex & 1));
            }
            X[b] = lb_ldexp_pos(1.0f, ex < -127 ? -127 : ex > 127 ? 127 : ex);
        }
    }
    /* element = round(x / X) (exact division for power-of-two X), value = element · X; a NaN
     * X makes its block NaN whatever the element format does with NaN */
    lb_blocks_round_args a;
    memset(&a, 0, sizeof a);
    if (MX_INT(f))
        lb_fx_rc_params(&ef, &a.p);
    else
        lb_fp_rc_params(&ef, &a.p);
    a.p.sr_drop = lb_sr_drop(f); /* the element format is internal: srbits is the block's */
    a.plus_zero = MX_INT(f);     /* fixed point has no -0 */
    a.mode = r;
    a.key = lb_rng_make_key(ctx->seed, ctx->tensor_id, ctx->step);
    a.div = X, a.mult = X;
    lb_blocks_round(&bl, out, in, &a, lb_qctx_threads(ctx, n));
    if (ctx->scales_out) memcpy(ctx->scales_out, X, bl.nblocks * sizeof *X);
    free(X), free(bad);
    return LB_OK;
}

/* Cost (lowbit/energy.h): an MX MAC is the block-scaled datapath mls(e, m, 32, 8) with the
 * element's e and m; MXINT8 elements (Q1.6, no exponent) count as e = 0, m = 6. */
static lb_status mx_mac(const lb_format *f, lb_mac_model *m, lb_error *err)
{
    (void)err;
    m->kind = LB_MAC_MLS;
    m->e = MX_INT(f) ? 0 : MX_E(f);
    m->m = MX_INT(f) ? 6 : MX_M(f);
    m->group = MX_BLOCK(f), m->gbits = 8;
    return LB_OK;
}

/* Oracle: one element code times the block scale X = scale. Elements per OCP MX v1.0 §5.3:
 * sign | e-bit exponent (bias 2^(e-1)-1) | m-bit mantissa with subnormals; E4M3: S.1111.111 is
 * NaN; E5M2: IEEE inf/NaN codes; FP6/FP4: all finite. The conversion saturates, so inf/NaN
 * codes are never produced. INT8: two's-complement k, value k/64, -128 never produced. */
static double mx_ref_value(const lb_format *f, uint32_t c, double scale, int *canonical, int *even)
{
    *canonical = 1;
    *even = !(c & 1u);
    if (MX_INT(f)) {
        int k = (int)(c & 0xffu);
        if (k >= 128) k -= 256;
        if (k == -128) k = -127, *canonical = 0;
        return k == 0 ? 0.0 : ldexp((double)k, -6) * scale;
    }
    int E = MX_E(f), M = MX_M(f), bias = (1 << (E - 1)) - 1, top = (1 << E) - 1;
    int s = (int)((c >> (E + M)) & 1u), ex = (int)((c >> M) & (uint32_t)top);
    int mant = (int)(c & ((1u << M) - 1));
    if ((E == 4 && ex == top && mant == (1 << M) - 1) || (E == 5 && ex == top)) {
        *canonical = 0;
        return NAN;
    }
    double v = ex ? ldexp(1.0 + ldexp(mant, -M), ex - bias) : ldexp(mant, 1 - bias - M);
    v *= scale;
    return s ? -v : v;
}

const lb_family lb_family_mx = {
    .key = "mx",
    .description = "OCP Microscaling block formats: E8M0 scale per block of elements",
    .keys_help = "e, m (element: 4/3, 5/2, 3/2, 2/3, 2/1) or int, block, flat, "
                 "scale_rule=floor|ceil|even, round",
    .parse = mx_parse,
    .info = mx_info,
    .quantize = mx_quantize,
    .mac = mx_mac,
    .ref_value = mx_ref_value,
};
