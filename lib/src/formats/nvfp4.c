/* formats/nvfp4.c — NVFP4, two-level scaled FP4 (NVIDIA's NVFP4 as described for Blackwell
 * and in Transformer Engine's NVFP4 recipe):
 * "nvfp4[:block=16][,2d][,tscale=amax|one][,scale_rule=even|floor|ceil][,flat]".
 *
 * Elements are OCP FP4 E2M1 (sign, 2-bit exponent with bias 1, 1-bit mantissa, subnormal 0.5,
 * no inf/NaN: values 0, 0.5, 1, 1.5, 2, 3, 4, 6; OCP MX v1.0 §5.3.3). Every block of `block`
 * (16) elements shares an FP8 E4M3 scale sb (OCP E4M3FN: bias 7, subnormals, max 448), and the
 * whole call shares an FP32 tensor scale S. With amax_t the largest finite |x| of the call and
 * amax_b that of the block:
 *     S  = fl32(amax_t / (6 · 448)) truncated to 18 significant bits   (tscale=amax, default;
 *                                              1 if amax_t = 0)
 *     S  = 1                                   (tscale=one: the E4M3 scale alone)
 *     sb = E4M3_sat(fl32(fl32(amax_b / 6) / S))  the block's largest value lands near 6,
 *          rounded to E4M3 by the key scale_rule:
 *            even  (default, NVIDIA's recipe) nearest, ties to the even code (rtz calls: toward
 *                  zero, see below)
 *            floor toward zero: amax_b / X >= 6, the block maximum saturates to 6·X
 *            ceil  toward +inf: amax_b / X <= 6, no element of the block saturates
 *     X  = fl32(sb · S)                        the block's decode scale
 *     element = E2M1(fl32(x / X)) in the call's rounding mode, saturating at ±6
 *     value   = fl32(element · X)
 * Our choices beyond the published recipe, for exact round trips: S keeps 18 significant bits,
 * so 6·448·S, 448·S and 6·sb·S are exact in float32 and the tensor maximum maps to exactly 6·X
 * (2688·S <= amax_t: it saturates to the top element) and requantizing reproduces S; in an rtz
 * call the scale is rounded toward zero too, so every block maximum saturates to 6·X and
 * quantization stays idempotent (with a nearest scale, rtz would drop a block maximum of
 * 5.9·X to 4·X). Bit-exact agreement with a GPU's conversion is not claimed.
 * A block whose sb rounds to 0 (amax_b below 2^-9·6·S: E4M3's smallest subnormal) has X = 0
 * and quantizes to zeros of the inputs' signs. A NaN or ±inf in a block makes the block NaN (as
 * MX); amax_t is taken over the finite values.
 * Blocks: 1-D along lb_qctx.axis (formats/block.h: consecutive elements without a shape or with
 * `flat`), or with `2d` tiles of block×block over the tensor seen as a matrix (dims[0] rows,
 * n/dims[0] columns; flat: one row), numbered tile-row-major: the 16×16 weight blocks of some
 * NVFP4 recipes.
 * Scales: scales_out receives X per block (NaN for non-finite blocks); scales_in fixes X per
 * block, which makes the format elementwise (what the exhaustive tests use).
 * Not modelled: the E4M3 scale's own encoding in storage beyond its value (8 bits per block in
 * info.scale_bits), random Hadamard transforms and other recipe steps outside the format. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/block.h"

/* f->p.reserved: [0] block, [1] 2d, [2] 1 = tscale amax, [3] flat, [4] scale rule */
#define NV_BLOCK(f) ((int)(f)->p.reserved[0])
#define NV_2D(f)    ((int)(f)->p.reserved[1])
#define NV_TAMAX(f) ((int)(f)->p.reserved[2])
#define NV_FLAT(f)  ((int)(f)->p.reserved[3])
#define NV_RULE(f)  ((lb_scale_rule)(f)->p.reserved[4])

enum { NV_EMAX_E2M1 = 6, NV_MAX_E4M3 = 448 };

static lb_status nv_parse(lb_format *f, lb_kv *kv, int nkv, lb_error *err)
{
    int block = 16, two = lb_kv_flag(kv, nkv, "2d"), flat = lb_kv_flag(kv, nkv, "flat");
    lb_status st;
    if ((st = lb_kv_int(kv, nkv, "block", 1, 1 << 20, &block, err))) return st;
    const char *t = lb_kv_get(kv, nkv, "tscale");
    if (t && strcmp(t, "amax") && strcmp(t, "one"))
        return lb_fail(err, LB_ERR_SPEC, "nvfp4: tscale='%s' (accepted: amax, one)", t);
    lb_scale_rule rule;
    if ((st = lb_scale_rule_parse(kv, nkv, "nvfp4", LB_SCALE_EVEN, &rule, err))) return st;
    f->p.reserved[4] = (uint64_t)rule;
    f->bits = 4;
    f->scale = LB_SCALE_CHANNEL;
    f->p.reserved[0] = (uint64_t)block;
    f->p.reserved[1] = (uint64_t)two;
    f->p.reserved[2] = (uint64_t) !(t && !strcmp(t, "one"));
    f->p.reserved[3] = (uint64_t)flat;
    return LB_OK;
}

static lb_status parse_fixed(lb_format *ef, const char *spec)
{
    lb_error err;
    return lb_format_parse(ef, spec, &err) ? LB_ERR_ARG : LB_OK;
}
static lb_status elem_format(lb_format *ef)
{
    return parse_fixed(ef, "fp:e=2,m=1,specials=none");
}

static void nv_info(const lb_format *f, lb_format_info *o)
{
    o->bits = 4;
    o->max = 6; /* relative to the block scale X */
    o->min_pos = 0.5;
    o->min_normal = 1;
    o->precision = 0.5;
    o->scaled = 1;
    o->block = NV_BLOCK(f);
    o->has_nan = 1; /* through the scale */
    o->signed_zero = 1;
    o->overflow = LB_OVERFLOW_SAT;
    o->next_above_max = 6;
    o->encodable = 0;
    o->scale_bits = 8; /* E4M3 per block (the FP32 tensor scale amortises to ~0) */
    snprintf(o->description, sizeof o->description,
             "NVFP4: E2M1 elements, E4M3 scale per %s%d elements, FP32 tensor scale (%.3g "
             "bits/element)",
             NV_2D(f) ? "tile of " : "block of ",
             NV_2D(f) ? NV_BLOCK(f) * NV_BLOCK(f) : NV_BLOCK(f),
             4 + 8.0 / (NV_2D(f) ? NV_BLOCK(f) * NV_BLOCK(f) : NV_BLOCK(f)));
}

/* X[b] from amax[b] (bad[b]: NaN), the rule in the header. */
static lb_status block_scales(const lb_format *f, float *X, const unsigned char *bad, size_t nb,
                              float amax_t, lb_round r, const lb_qctx *ctx)
{
    if (ctx->scales_in) {
        for (size_t b = 0; b < nb; b++)
            X[b] = bad[b] ? NAN : ctx->scales_in[b];
        return LB_OK;
    }
    lb_format e4m3;
    if (parse_fixed(&e4m3, "fp:e=4,m=3,specials=fn,overflow=sat")) return LB_ERR_ARG;
    float S = 1.0f;
    if (NV_TAMAX(f) && amax_t > 0) /* truncated to 18 significant bits (see the header) */
        S = lb_u2f(lb_f2u(amax_t / (float)(NV_EMAX_E2M1 * NV_MAX_E4M3)) & ~0x3fu);
    for (size_t b = 0; b < nb; b++)
        X[b] = (X[b] / (float)NV_EMAX_E2M1) / S;
    lb_qctx q;
    memset(&q, 0, sizeof q);
    const lb_scale_rule rule = NV_RULE(f);
    const int down = rule == LB_SCALE_FLOOR || rule == LB_SCALE_CEIL ||
                     (rule == LB_SCALE_EVEN && r == LB_ROUND_RTZ);
    float *v = rule == LB_SCALE_CEIL ? malloc((nb + 1) * sizeof *v) : NULL;
    if (rule == LB_SCALE_CEIL) {
        if (!v) return LB_ERR_NOMEM;
        memcpy(v, X, nb * sizeof *v);
    }
    q.round_override = 1 + (down ? LB_ROUND_RTZ : LB_ROUND_RNE);
    lb_status st = lb_quantize(&e4m3, X, X, nb, &q);
    if (st) return free(v), st;
    if (rule == LB_SCALE_CEIL) /* toward zero, then one E4M3 step up where that was below */
        for (size_t b = 0; b < nb; b++) {
            if (!(X[b] < v[b]) || X[b] >= (float)NV_MAX_E4M3) continue;
            const float ulp = X[b] < 0x1p-6f ? 0x1p-9f : ldexpf(1.0f, ilogbf(X[b]) - 3);
            X[b] += ulp;
        }
    free(v);
    for (size_t b = 0; b < nb; b++)
        X[b] = bad[b] ? NAN : X[b] * S;
    return LB_OK;
}

/* 2-D tiles: the tensor as (R, C), tiles of T×T. */
typedef struct tiles {
    int64_t R, C, T, tr, tc; /* tile rows and columns */
} tiles;

static void tiles_get(const lb_format *f, const lb_qctx *ctx, size_t n, tiles *t)
{
    t->T = NV_BLOCK(f);
    t->R = (ctx->ndim >= 1 && !NV_FLAT(f) && ctx->dims[0] > 0) ? ctx->dims[0] : 1;
    t->C = t->R ? (int64_t)n / t->R : 0;
    t->tr = (t->R + t->T - 1) / t->T;
    t->tc = (t->C + t->T - 1) / t->T;
}

static lb_status quantize_2d(const lb_format *f, float *out, const float *in, size_t n, lb_round r,
                             const lb_qctx *ctx)
{
    tiles t;
    tiles_get(f, ctx, n, &t);
    const size_t nb = (size_t)(t.tr * t.tc);
    float *X = calloc(nb + 1, sizeof *X);
    unsigned char *bad = calloc(nb + 1, 1);
    if (!X || !bad) return free(X), free(bad), LB_ERR_NOMEM;
    float amax_t = 0;
    for (int64_t i = 0; i < t.R; i++)
        for (int64_t j = 0; j < t.C; j++) {
            const float a = fabsf(in[i * t.C + j]);
            const size_t b = (size_t)((i / t.T) * t.tc + j / t.T);
            if (!isfinite(a))
                bad[b] = 1;
            else {
                X[b] = a > X[b] ? a : X[b];
                amax_t = a > amax_t ? a : amax_t;
            }
        }
    lb_status st = block_scales(f, X, bad, nb, amax_t, r, ctx);
    if (st) return free(X), free(bad), st;
    lb_format ef;
    if (elem_format(&ef)) return free(X), free(bad), LB_ERR_ARG;
    lb_rc_params p;
    lb_fp_rc_params(&ef, &p);
    p.sr_drop = lb_sr_drop(f);
    const lb_rng_key key = lb_rng_make_key(ctx->seed, ctx->tensor_id, ctx->step);
    for (int64_t i = 0; i < t.R; i++)
        for (int64_t j = 0; j < t.C; j++) {
            const size_t k = (size_t)(i * t.C + j);
            const float Xb = X[(i / t.T) * t.tc + j / t.T];
            const float u = in[k] / Xb; /* X = 0: ±inf or NaN; handled below */
            float e = lb_u2f(lb_rc_round1(&p, lb_f2u(u), r, lb_rng_u32(key, k), 0, 0));
            out[k] = Xb == 0.0f ? copysignf(0.0f, in[k]) : e * Xb;
        }
    if (ctx->scales_out) memcpy(ctx->scales_out, X, nb * sizeof *X);
    free(X), free(bad);
    return LB_OK;
}

static lb_status nv_quantize(const lb_format *f, float *out, const float *in, size_t n, lb_round r,
                             const lb_qctx *ctx)
{
    if (NV_2D(f)) return quantize_2d(f, out, in, n, r, ctx);
    lb_format ef;
    lb_error err;
    lb_blocks bl;
    if (elem_format(&ef)) return LB_ERR_ARG;
    if (lb_blocks_get(ctx, n, NV_BLOCK(f), NV_FLAT(f), &bl, &err)) return LB_ERR_ARG;
    float *X = malloc((bl.nblocks + 1) * sizeof *X), *div = malloc((bl.nblocks + 1) * sizeof *div);
    unsigned char *bad = malloc(bl.nblocks + 1);
    if (!X || !bad || !div) return free(X), free(bad), free(div), LB_ERR_NOMEM;
    lb_blocks_absmax(&bl, in, X, bad); /* X holds amax for now */
    float amax_t = 0;
    for (size_t b = 0; b < bl.nblocks; b++)
        amax_t = !bad[b] && X[b] > amax_t ? X[b] : amax_t;
    lb_status st = block_scales(f, X, bad, bl.nblocks, amax_t, r, ctx);
    if (st) return free(X), free(bad), free(div), st;
    /* X = 0: divide by inf so the element is a signed 0, times X = 0 */
    for (size_t b = 0; b < bl.nblocks; b++)
        div[b] = X[b] == 0.0f ? INFINITY : X[b];
    lb_blocks_round_args a;
    memset(&a, 0, sizeof a);
    lb_fp_rc_params(&ef, &a.p);
    a.p.sr_drop = lb_sr_drop(f); /* the element format is internal: srbits is nvfp4's */
    a.mode = r;
    a.key = lb_rng_make_key(ctx->seed, ctx->tensor_id, ctx->step);
    a.div = div, a.mult = X;
    lb_blocks_round(&bl, out, in, &a, lb_qctx_threads(ctx, n));
    if (ctx->scales_out) memcpy(ctx->scales_out, X, bl.nblocks * sizeof *X);
    free(X), free(bad), free(div);
    return LB_OK;
}

/* Cost (lowbit/energy.h): the block-scaled datapath mls(e=2, m=1, group=16, gbits=8) — E2M1
 * products summed per block, one scale application per block. The E4M3 scale has a 4-bit
 * significand (a small multiply where MX and MLS shift); that difference is not costed. */
static lb_status nv_mac(const lb_format *f, lb_mac_model *m, lb_error *err)
{
    (void)err;
    m->kind = LB_MAC_MLS;
    m->e = 2, m->m = 1;
    m->group = NV_2D(f) ? NV_BLOCK(f) * NV_BLOCK(f) : NV_BLOCK(f);
    m->gbits = 8;
    return LB_OK;
}

/* Oracle: E2M1 code c (sign bit 3, exponent bits 2-1 with bias 1, mantissa bit 0; exponent 0 is
 * subnormal: 0.5·mantissa) times the block scale. Written from OCP MX v1.0 Table 5 (FP4 E2M1),
 * which NVFP4 uses for its elements. Every code is finite and canonical. */
static double nv_ref_value(const lb_format *f, uint32_t c, double scale, int *canonical, int *even)
{
    (void)f;
    static const double mag[8] = {0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0};
    *canonical = 1;
    *even = !(c & 1u);
    const double v = mag[c & 7u] * scale;
    return (c & 8u) ? -v : v;
}

const lb_family lb_family_nvfp4 = {
    .key = "nvfp4",
    .description = "NVFP4: E2M1 elements, E4M3 scale per block of 16 (or 16x16), FP32 tensor scale",
    .keys_help = "block, 2d, tscale=amax|one, scale_rule=even|floor|ceil, flat, round",
    .parse = nv_parse,
    .info = nv_info,
    .quantize = nv_quantize,
    .mac = nv_mac,
    .ref_value = nv_ref_value,
};
