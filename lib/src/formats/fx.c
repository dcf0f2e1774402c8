/* formats/fx.c — fixed-point family "fx:wl=W,fl=F[,symmetric][,round=R]".
 * value = k · 2^-F with k a W-bit two's-complement integer, k in [-2^(W-1), 2^(W-1)-1]
 * ([-(2^(W-1)-1), 2^(W-1)-1] with `symmetric`). Saturating: overflow and +-inf clamp to the
 * extreme codes; NaN becomes 0 (fixed point has no NaN); zeros are +0.
 * Implemented for 2 <= W <= 24 (every code exact in float32) and any F that keeps the grid
 * inside float32. Encode/decode: code = k in the low W bits (two's complement).
 * Rounding shares formats/round_core.h with the minifloats: a fixed point grid is a minifloat
 * whose every value is "subnormal" (fixed step 2^-F). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "formats/round_core.h"

static lb_status fx_parse(lb_format *f, lb_kv *kv, int nkv, lb_error *err)
{
    int W = -1, F = -1000;
    lb_status st;
    if ((st = lb_kv_int(kv, nkv, "wl", 2, 24, &W, err))) return st;
    if ((st = lb_kv_int(kv, nkv, "fl", -100, 149, &F, err))) return st;
    if (W < 0) return lb_fail(err, LB_ERR_SPEC, "fx: missing key 'wl' (word length, 2..24)");
    if (F == -1000) return lb_fail(err, LB_ERR_SPEC, "fx: missing key 'fl' (fraction bits)");
    if (W - 1 - F > 127)
        return lb_fail(err, LB_ERR_SPEC, "fx: wl=%d, fl=%d exceeds the float32 range", W, F);
    f->p.fx.wl = W;
    f->p.fx.fl = F;
    f->p.fx.symmetric = lb_kv_flag(kv, nkv, "symmetric");
    f->bits = W;
    f->scale = LB_SCALE_NONE;
    return LB_OK;
}

static double fx_kmax(const lb_format *f, int neg)
{
    double k = ldexp(1.0, f->p.fx.wl - 1);
    return (neg && !f->p.fx.symmetric) ? k : k - 1;
}

static void fx_info(const lb_format *f, lb_format_info *o)
{
    o->bits = f->bits;
    o->max = ldexp(fx_kmax(f, 0), -f->p.fx.fl);
    o->min_pos = o->min_normal = ldexp(1.0, -f->p.fx.fl);
    o->precision = o->min_pos;
    o->precision_absolute = 1;
    o->overflow = LB_OVERFLOW_SAT;
    o->next_above_max = 0;
    o->encodable = f->bits <= 16;
    snprintf(o->description, sizeof o->description, "fixed point Q%d.%d%s, saturating",
             f->p.fx.wl - f->p.fx.fl - 1, f->p.fx.fl, f->p.fx.symmetric ? ", symmetric" : "");
}

void lb_fx_rc_params(const lb_format *f, lb_rc_params *p)
{
    p->eb = 1 << 30; /* no normal range */
    p->s_norm = 0;
    p->c0 = 150 - f->p.fx.fl;
    p->max_pos = lb_f2u((float)ldexp(fx_kmax(f, 0), -f->p.fx.fl));
    p->max_neg = lb_f2u((float)ldexp(fx_kmax(f, 1), -f->p.fx.fl));
    p->ovf_pos = p->inf_pos = p->max_pos;
    p->ovf_neg = p->inf_neg = p->max_neg;
    p->nan_out = 0;
    p->sub = f->p.fx.fl > 126;
    p->sr_drop = lb_sr_drop(f);
}

typedef struct fx_job {
    lb_rc_params p;
    float *out;
    const float *in;
    lb_round mode;
    lb_rng_key key;
    size_t base;
} fx_job;

static void fx_range(void *arg, size_t lo, size_t hi)
{
    const fx_job *j = arg;
    const lb_rc_params p = j->p;
    float *out = j->out;
    const float *in = j->in;
    const size_t base = j->base;
    LB_RC_DISPATCH(&p, out, in, lo, hi, j->mode, j->key, base, p.sub, 1);
}

static lb_status fx_quantize(const lb_format *f, float *out, const float *in, size_t n, lb_round r,
                             const lb_qctx *ctx)
{
    fx_job j;
    lb_fx_rc_params(f, &j.p);
    j.out = out, j.in = in, j.mode = r, j.base = 0;
    j.key = lb_rng_make_key(ctx->seed, ctx->tensor_id, ctx->step);
    lb_parallel_range(fx_range, &j, n, lb_qctx_threads(ctx, n));
    return LB_OK;
}

static lb_status fx_encode(const lb_format *f, uint16_t *codes, const float *in, size_t n,
                           lb_round r, const lb_qctx *ctx)
{
    float buf[1024];
    fx_job j;
    lb_fx_rc_params(f, &j.p);
    j.out = buf, j.mode = r;
    j.key = lb_rng_make_key(ctx->seed, ctx->tensor_id, ctx->step);
    uint32_t mask = (1u << f->p.fx.wl) - 1;
    float step_inv = (float)ldexp(1.0, f->p.fx.fl);
    for (size_t i = 0; i < n; i += 1024) {
        size_t m = n - i < 1024 ? n - i : 1024;
        j.in = in + i, j.base = i;
        fx_range(&j, 0, m);
        for (size_t k = 0; k < m; k++)
            codes[i + k] = (uint16_t)((uint32_t)(int32_t)(buf[k] * step_inv) & mask);
    }
    return LB_OK;
}

static lb_status fx_decode(const lb_format *f, float *out, const uint16_t *codes, size_t n,
                           const lb_qctx *ctx)
{
    (void)ctx;
    int W = f->p.fx.wl;
    int32_t kmin = -(int32_t)fx_kmax(f, 1);
    float step = (float)ldexp(1.0, -f->p.fx.fl);
    for (size_t i = 0; i < n; i++) {
        int32_t k = (int32_t)((uint32_t)codes[i] << (32 - W)) >> (32 - W); /* sign-extend */
        k = k < kmin ? kmin : k; /* symmetric: the unused most negative code saturates */
        out[i] = (float)k * step;
        out[i] = out[i] == 0.0f ? 0.0f : out[i];
    }
    return LB_OK;
}

/* Cost: an integer MAC of the word length (lowbit/energy.h: int(b)). */
static lb_status fx_mac(const lb_format *f, lb_mac_model *m, lb_error *err)
{
    (void)err;
    m->kind = LB_MAC_INT, m->bits = f->bits;
    return LB_OK;
}

/* Oracle: the code is a wl-bit two's-complement integer k, value k·2^-fl; symmetric formats
 * never produce -2^(wl-1) (it reads as the saturated -(2^(wl-1)-1)). */
static double fx_ref_value(const lb_format *f, uint32_t c, double scale, int *canonical, int *even)
{
    (void)scale;
    int W = f->p.fx.wl;
    int64_t k = (int64_t)(c & ((1u << W) - 1)), half = (int64_t)1 << (W - 1);
    if (k >= half) k -= 2 * half;
    *canonical = 1;
    *even = !(c & 1u);
    if (f->p.fx.symmetric && k == -half) {
        k = -half + 1;
        *canonical = 0;
    }
    return k == 0 ? 0.0 : ldexp((double)k, -f->p.fx.fl);
}

const lb_family lb_family_fx = {
    .key = "fx",
    .description = "fixed point: W-bit two's complement integer times 2^-F, saturating",
    .keys_help = "wl, fl, symmetric, round",
    .parse = fx_parse,
    .info = fx_info,
    .quantize = fx_quantize,
    .encode = fx_encode,
    .decode = fx_decode,
    .mac = fx_mac,
    .ref_value = fx_ref_value,
};
