/* formats/int.c — scaled symmetric integer family "int:bits=B,scale=tensor|channel[,round=R]".
 * value = k · s, k in [-(2^(B-1)-1), 2^(B-1)-1] (symmetric; the most negative code unused),
 * s = max|x| / (2^(B-1)-1) over the tensor or over each channel (axis lb_qctx.axis, default
 * flat = one channel), computed from finite values only. The scale is truncated to
 * 24 - (B-1) significant bits so that every k·s is exact in float32: the grid that rounding
 * sees and the values decode returns are then the same set. A scale supplied through
 * lb_qctx.scales_in is rounded the same way. An all-zero tensor gets s = 1.
 * Rounding: nearest/RTZ of x/s evaluated in double (exact decisions: see the note at
 * int_round_k); SR with 32 random bits. +-inf saturate to +-qmax·s; NaN becomes 0.
 * Implemented for 2 <= B <= 16. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/round_core.h"

static lb_status int_parse(lb_format *f, lb_kv *kv, int nkv, lb_error *err)
{
    int B = -1;
    lb_status st;
    if ((st = lb_kv_int(kv, nkv, "bits", 2, 16, &B, err))) return st;
    if (B < 0) return lb_fail(err, LB_ERR_SPEC, "int: missing key 'bits' (2..16)");
    const char *sc = lb_kv_get(kv, nkv, "scale");
    f->scale = LB_SCALE_TENSOR;
    if (sc) {
        if (!strcmp(sc, "tensor"))
            f->scale = LB_SCALE_TENSOR;
        else if (!strcmp(sc, "channel"))
            f->scale = LB_SCALE_CHANNEL;
        else
            return lb_fail(err, LB_ERR_SPEC, "int: key 'scale': '%s' is not one of tensor, channel",
                           sc);
    }
    f->p.iq.bits = B;
    f->bits = B;
    return LB_OK;
}

static int32_t int_qmax(const lb_format *f)
{
    return (1 << (f->p.iq.bits - 1)) - 1;
}

static void int_info(const lb_format *f, lb_format_info *o)
{
    o->bits = f->bits;
    o->max = int_qmax(f);
    o->min_pos = o->min_normal = 1.0;
    o->precision = 1.0;
    o->precision_absolute = 1;
    o->scaled = 1;
    o->overflow = LB_OVERFLOW_SAT;
    o->encodable = 1;
    o->scale_bits = 32; /* a float32 scale per tensor or channel */
    snprintf(o->description, sizeof o->description,
             "symmetric %d-bit integer times a per-%s scale (max/min relative to the scale)",
             f->p.iq.bits, f->scale == LB_SCALE_CHANNEL ? "channel" : "tensor");
}

/* Truncate a positive scale to 24-(B-1) significant bits so that every k·s is exact. Toward
 * zero, so max|x|/s >= qmax and the largest |x| lands on the top code in every rounding mode
 * (nearest rounding of the scale let rtz send it to qmax - 1). */
static float int_round_scale(const lb_format *f, float s)
{
    if (!(s > 0.0f) || !isfinite(s)) return 1.0f;
    int keep = 24 - (f->p.iq.bits - 1), drop = 23 - (keep - 1);
    uint32_t b = lb_f2u(s);
    if (b < 0x00800000u) return s; /* subnormal scale: leave it (k·s exact anyway) */
    return lb_u2f(b & ~((1u << drop) - 1));
}

typedef struct int_job {
    const lb_format *f;
    float *out;
    uint16_t *codes; /* encode: codes instead of values */
    const float *in;
    const float *scale; /* per channel */
    lb_chan_layout lay;
    lb_round mode;
    lb_rng_key key;
} int_job;

/* Rounding of q = x/s, computed as a correctly rounded double division. The exact quotient
 * of two floats is either exactly k + 1/2 (then the division returns it exactly, and the tie
 * rule applies) or at least ~2^-40 (relative) away from it, far above double's 2^-53, so
 * every decision is the exact one. (x times a rounded 1/s is NOT enough: it turns exact ties
 * into near-ties, which the exhaustive test caught.) */
static inline double int_round_q(double q, lb_round mode, uint32_t rnd)
{
    switch (mode) {
    case LB_ROUND_RNE:
        return nearbyint(q); /* default FP environment: ties to even */
    case LB_ROUND_RNA:
        return round(q);
    case LB_ROUND_RTZ:
        return trunc(q);
    default: {
        double fl = floor(q);
        return fl + ((double)rnd * 0x1p-32 < q - fl ? 1.0 : 0.0);
    }
    }
}

#define INT_K(MODE)                                                                                \
    float x = in[i];                                                                               \
    uint32_t rnd = (MODE) == LB_ROUND_SR ? lb_rng_u32(key, i) & srmask : 0u;                       \
    double k = int_round_q((double)x / sd, (MODE), rnd);                                           \
    k = k > qmax ? qmax : (k < -qmax ? -qmax : k);                                                 \
    k = x != x ? 0.0 : k; /* NaN -> 0; +-inf saturated by the clamp */
#define INT_LOOP(MODE)                                                                             \
    if (codes)                                                                                     \
        for (size_t i = a; i < b; i++) {                                                           \
            INT_K(MODE)                                                                            \
            codes[i] = (uint16_t)((uint32_t)(int32_t)k & mask);                                    \
        }                                                                                          \
    else                                                                                           \
        for (size_t i = a; i < b; i++) {                                                           \
            INT_K(MODE)                                                                            \
            out[i] = k == 0.0 ? 0.0f : (float)k * s;                                               \
        }

static void int_range(void *arg, size_t lo, size_t hi)
{
    const int_job *j = arg;
    const double qmax = int_qmax(j->f);
    const uint32_t mask = (1u << j->f->p.iq.bits) - 1;
    const size_t inner = (size_t)j->lay.inner, nch = (size_t)j->lay.nch;
    const float *in = j->in;
    float *out = j->out;
    uint16_t *codes = j->codes;
    const lb_rng_key key = j->key;
    const uint32_t srmask = lb_sr_mask(j->f);
    /* runs of elements sharing one channel scale */
    for (size_t a = lo; a < hi;) {
        size_t b = (a / inner + 1) * inner;
        b = b < hi ? b : hi;
        const float s = j->scale[(a / inner) % nch];
        const double sd = s;
        switch (j->mode) {
        case LB_ROUND_RNE:
            INT_LOOP(LB_ROUND_RNE);
            break;
        case LB_ROUND_RNA:
            INT_LOOP(LB_ROUND_RNA);
            break;
        case LB_ROUND_RTZ:
            INT_LOOP(LB_ROUND_RTZ);
            break;
        default:
            INT_LOOP(LB_ROUND_SR);
            break;
        }
        a = b;
    }
}

/* Scales from data (max |finite x| per channel) or from scales_in. */
static lb_status int_scales(const lb_format *f, const float *in, size_t n, const lb_qctx *ctx,
                            lb_chan_layout *lay, float **scale)
{
    lb_chan_layout flat = {(int64_t)n, 1};
    if (f->scale == LB_SCALE_CHANNEL) {
        lb_status st = lb_chan_layout_get(ctx, n, lay, NULL);
        if (st) return st;
    } else
        *lay = flat;
    if (lay->inner == 0) lay->inner = 1;
    float *s = malloc((size_t)lay->nch * sizeof *s);
    if (!s) return LB_ERR_NOMEM;
    if (ctx->scales_in) {
        for (int64_t c = 0; c < lay->nch; c++)
            s[c] = int_round_scale(f, ctx->scales_in[c]);
    } else if (in) {
        for (int64_t c = 0; c < lay->nch; c++)
            s[c] = 0.0f;
        size_t inner = (size_t)lay->inner;
        for (size_t a = 0; a < n; a += inner) { /* one run per channel slice */
            size_t b = a + inner < n ? a + inner : n, c = (a / inner) % (size_t)lay->nch;
            float m = lb_absmax_finite(in + a, b - a);
            s[c] = m > s[c] ? m : s[c];
        }
        for (int64_t c = 0; c < lay->nch; c++)
            s[c] = int_round_scale(f, s[c] / (float)int_qmax(f));
    } else {
        free(s);
        return LB_ERR_ARG; /* decode needs scales_in */
    }
    if (ctx->scales_out) memcpy(ctx->scales_out, s, (size_t)lay->nch * sizeof *s);
    *scale = s;
    return LB_OK;
}

static lb_status int_run(const lb_format *f, float *out, uint16_t *codes, const float *in, size_t n,
                         lb_round r, const lb_qctx *ctx)
{
    int_job j = {.f = f, .out = out, .codes = codes, .in = in, .mode = r};
    float *s;
    lb_status st = int_scales(f, in, n, ctx, &j.lay, &s);
    if (st) return st;
    j.scale = s;
    j.key = lb_rng_make_key(ctx->seed, ctx->tensor_id, ctx->step);
    lb_parallel_range(int_range, &j, n, lb_qctx_threads(ctx, n));
    free(s);
    return LB_OK;
}

static lb_status int_quantize(const lb_format *f, float *out, const float *in, size_t n, lb_round r,
                              const lb_qctx *ctx)
{
    return int_run(f, out, NULL, in, n, r, ctx);
}

static lb_status int_encode(const lb_format *f, uint16_t *codes, const float *in, size_t n,
                            lb_round r, const lb_qctx *ctx)
{
    return int_run(f, NULL, codes, in, n, r, ctx);
}

static lb_status int_decode(const lb_format *f, float *out, const uint16_t *codes, size_t n,
                            const lb_qctx *ctx)
{
    lb_chan_layout lay;
    float *s;
    lb_status st = int_scales(f, NULL, n, ctx, &lay, &s);
    if (st) return st;
    int B = f->p.iq.bits;
    int32_t qmax = int_qmax(f);
    for (size_t i = 0; i < n; i++) {
        int32_t k = (int32_t)((uint32_t)codes[i] << (32 - B)) >> (32 - B);
        k = k < -qmax ? -qmax : k;
        float v = (float)k * s[(i / (size_t)lay.inner) % (size_t)lay.nch];
        out[i] = k == 0 ? 0.0f : v;
    }
    free(s);
    return LB_OK;
}

/* Cost: an integer MAC of the element width (lowbit/energy.h: int(b)); the scale multiply is
 * per output and not counted. */
static lb_status int_mac(const lb_format *f, lb_mac_model *m, lb_error *err)
{
    (void)err;
    m->kind = LB_MAC_INT, m->bits = f->bits;
    return LB_OK;
}

/* Oracle: the code is a bits-wide two's-complement integer k in the symmetric range, value
 * k·scale; -2^(bits-1) is never produced (it reads as -(2^(bits-1)-1)). */
static double int_ref_value(const lb_format *f, uint32_t c, double scale, int *canonical, int *even)
{
    int W = f->p.iq.bits;
    int64_t k = (int64_t)(c & ((1u << W) - 1)), half = (int64_t)1 << (W - 1);
    if (k >= half) k -= 2 * half;
    *canonical = 1;
    *even = !(c & 1u);
    if (k == -half) {
        k = -half + 1;
        *canonical = 0;
    }
    return k == 0 ? 0.0 : (double)k * scale;
}

const lb_family lb_family_int = {
    .key = "int",
    .description = "symmetric integer times a per-tensor or per-channel max scale",
    .keys_help = "bits, scale=tensor|channel, round",
    .parse = int_parse,
    .info = int_info,
    .quantize = int_quantize,
    .encode = int_encode,
    .decode = int_decode,
    .mac = int_mac,
    .ref_value = int_ref_value,
};
