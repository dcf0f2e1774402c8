/* formats/mls.c — MLS, multi-level scaling (Zhong et al., TCAD 2022; docs/methods.md#p3):
 * "mls:e=E,m=M[,gbits=G][,group=N][,flat][,round=...]".
 *
 *   x ≈ s_t · 2^(-k_g) · (-1)^σ · 2^(-e) · (1 + f/2^M),  or exactly 0
 *
 * level 1  tensor scale s_t = max |finite x| over the call (FP32, its significand truncated
 *          to 23 - M bits so that element · scale products are exact), recomputed every call;
 * level 2  group exponent k_g = clamp(floor(log2(s_t / max|X_g|)), 0, 2^G - 1), a power of two
 *          per group of N elements along lb_qctx.axis (formats/block.h; N = 0: the whole
 *          axis; `flat`: N consecutive elements in memory); the key scale_rule replaces the
 *          floor: floor (default; S_g >= max|X_g|, nothing saturates), ceil (S_g <= max|X_g|:
 *          the group maximum may saturate at 1.0, one binade finer), even (log2 of the ratio
 *          rounded to nearest: up when the ratio's significand exceeds 1.5, at 1.5 the even k);
 * level 3  element: sign, E-bit exponent e in [0, 2^E - 1], M-bit mantissa f.
 * Every choice above is a reconstruction (docs/methods.md#p3) and a spec key. One more is ours:
 * with this k_g rule an element's magnitude relative to its group scale, u = |x| 2^k_g / s_t,
 * is at most 1, so the e = 0 binade only ever holds 1.0 (f = 0); elements saturate at 1.0 and
 * the free code e = 0, f = 2^M - 1 is the zero code. An element is therefore 1 + E + M bits
 * (M >= 1), its grid {0} ∪ {1} ∪ {2^-e (1 + f/2^M): 1 <= e <= 2^E - 1}, relative precision
 * 2^-M, smallest magnitude 2^-(2^E - 1).
 *
 * Arithmetic (defines the result bit for bit): S_g = s_t 2^-k_g, u = fl32(|x| / S_g),
 * u rounded to the element grid with the call's rounding mode (rne: a tie between 0 and the
 * smallest magnitude goes to 0; sr: linear probabilities, keyed by the element index),
 * value = fl32(element · S_g). Zeros are +0. NaN stays NaN; ±inf saturates to the
 * group's largest magnitude ±s_t 2^-k_g; s_t and max|X_g| are taken over finite elements. A
 * group scale that underflows float32 flushes its group to 0.
 * Scales: scales_out receives the group scale s_t 2^-k_g per group; scales_in fixes it
 * (a zero or negative S_g flushes the group to 0), which makes the format elementwise. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/mls.h"
#include "formats/round_core.h"

/* f->p.reserved: [0] e, [1] m, [2] gbits, [3] group (as int64 bits), [4] flat */
void lb_mls_params_get(const lb_format *f, lb_mls_params *p)
{
    p->e = (int)f->p.reserved[0];
    p->m = (int)f->p.reserved[1];
    p->gbits = (int)f->p.reserved[2];
    p->group = (int)(int64_t)f->p.reserved[3];
    p->flat = (int)f->p.reserved[4];
    p->emin = (1 << p->e) - 1;
    p->rule = (int)f->p.reserved[5];
    p->sr_drop = lb_sr_drop(f);
}

static lb_status mls_parse(lb_format *f, lb_kv *kv, int nkv, lb_error *err)
{
    int e = -1, m = -1, g = 8, group = 16;
    lb_status st;
    if ((st = lb_kv_int(kv, nkv, "e", 1, 4, &e, err))) return st;
    if ((st = lb_kv_int(kv, nkv, "m", 1, 10, &m, err))) return st;
    if ((st = lb_kv_int(kv, nkv, "gbits", 0, 8, &g, err))) return st;
    if ((st = lb_kv_int(kv, nkv, "group", 0, 1 << 20, &group, err))) return st;
    if (e < 0 || m < 0)
        return lb_fail(err, LB_ERR_SPEC, "mls: e (1..4) and m (1..10) are required");
    f->bits = 1 + e + m;
    f->scale = LB_SCALE_CHANNEL;
    f->p.reserved[0] = (uint64_t)e;
    f->p.reserved[1] = (uint64_t)m;
    f->p.reserved[2] = (uint64_t)g;
    f->p.reserved[3] = (uint64_t)(int64_t)group;
    f->p.reserved[4] = (uint64_t)lb_kv_flag(kv, nkv, "flat");
    lb_scale_rule rule;
    if ((st = lb_scale_rule_parse(kv, nkv, "mls", LB_SCALE_FLOOR, &rule, err))) return st;
    f->p.reserved[5] = (uint64_t)rule;
    return LB_OK;
}

static void mls_info(const lb_format *f, lb_format_info *o)
{
    lb_mls_params p;
    lb_mls_params_get(f, &p);
    o->bits = f->bits;
    o->max = 1.0; /* relative to the group scale */
    o->min_pos = ldexp(1.0, -p.emin);
    o->min_normal = o->min_pos;
    o->precision = ldexp(1.0, -p.m);
    o->scaled = 1;
    o->block = p.group > 0 ? p.group : -1;
    o->has_nan = 1;
    o->overflow = LB_OVERFLOW_SAT;
    o->next_above_max = 1.0;
    o->encodable = 0;
    o->scale_bits = p.gbits; /* per group; the FP32 tensor scale is amortised over the tensor */
    char grp[32];
    if (p.group > 0)
        snprintf(grp, sizeof grp, "%d", p.group);
    else
        snprintf(grp, sizeof grp, "axis");
    snprintf(o->description, sizeof o->description,
             "MLS: FP32 tensor scale, %d-bit group exponent per %s%s, elements 1+%d+%d bits",
             p.gbits, grp, p.flat ? " (flat)" : "", p.e, p.m);
}

static void elem_params(const lb_mls_params *p, lb_rc_params *rc)
{
    memset(rc, 0, sizeof *rc);
    rc->eb = 127 - p->emin;
    rc->s_norm = 23 - p->m;
    rc->c0 = 23 + rc->eb; /* no subnormals: below 2^-emin the grid is {0, 2^-emin} */
    rc->max_pos = rc->max_neg = lb_f2u(1.0f);
    rc->ovf_pos = rc->ovf_neg = rc->max_pos;
    rc->inf_pos = rc->inf_neg = rc->max_pos;
    rc->nan_out = 0x7fc00000u;
}

/* floor(log2(a / b)) for positive finite floats, exactly (no division) */
static int floor_log2_ratio(float a, float b)
{
    uint32_t ua = lb_f2u(a), ub = lb_f2u(b);
    if ((ua >> 23) && (ub >> 23)) /* normal: exponents and fraction fields */
        return (int)(ua >> 23) - (int)(ub >> 23) - ((ua & 0x7fffffu) < (ub & 0x7fffffu));
    int ea = ilogbf(a), eb = ilogbf(b);
    float ma = ldexpf(a, -ea), mb = ldexpf(b, -eb); /* both in [1, 2) */
    return ea - eb - (ma < mb);
}

/* k_g for s_t / amax_g by the scale rule (the floor variant is floor_log2_ratio) */
static int rule_log2_ratio(float a, float b, int rule)
{
    const int fl = floor_log2_ratio(a, b);
    if (rule == LB_SCALE_FLOOR) return fl;
    const int ea = ilogbf(a), eb = ilogbf(b);
    const double ma = ldexp((double)a, -ea), mb = ldexp((double)b, -eb); /* exact, in [1, 2) */
    const double r2 = ma < mb ? 2 * ma : ma; /* ratio significand = r2 / mb, compared exactly */
    if (rule == LB_SCALE_CEIL) return fl + (r2 != mb);
    return fl + (2 * r2 > 3 * mb || (2 * r2 == 3 * mb && (fl & 1)));
}

/* Group scales S (and the divisor dv: S, or inf for S = 0; k in kk if not NULL) from the data or
 * ctx->scales_in. */
static lb_status group_scales(const lb_mls_params *p, const lb_blocks *bl, const float *in,
                              const lb_qctx *ctx, float *S, float *dv, int32_t *kk, float *s_out)
{
    if (ctx->scales_in) {
        for (size_t b = 0; b < bl->nblocks; b++) {
            S[b] = ctx->scales_in[b];
            dv[b] = S[b] > 0 ? S[b] : INFINITY; /* the divisor: x / inf = 0 */
            if (kk) kk[b] = 0;
        }
        if (s_out) *s_out = 1.0f;
        return LB_OK;
    }
    /* s_t: max|X| truncated to 23 - M significant bits, so that every element · S_g is exact
     * in float32 (an element has M + 1): quantized values are then exactly s_t 2^-k_g v and
     * quantizing them again gives them back in every rounding mode */
    lb_blocks_absmax(bl, in, S, NULL); /* S holds max|X_g| for now; max|X| is their maximum */
    int32_t amax_bits = 0;             /* non-negative floats order like their bit patterns */
    for (size_t b = 0; b < bl->nblocks; b++) {
        int32_t v;
        memcpy(&v, &S[b], 4);
        amax_bits = v > amax_bits ? v : amax_bits;
    }
    const float amax = lb_u2f((uint32_t)amax_bits);
    const float st = lb_u2f(lb_f2u(amax) & ~((1u << (p->m + 1)) - 1u));
    if (s_out) *s_out = st;
    const int kmax = (1 << p->gbits) - 1;
    const uint32_t ust = lb_f2u(st);
    const int32_t est = (int32_t)(ust >> 23);
    if (est >= 1 &&
        p->rule == LB_SCALE_FLOOR) { /* s_t normal: integer exponent arithmetic, vectorised; S_g
                                      * into dv first (S still holds max|X_g|), and only if every
                                      * s_t 2^-k is normal too is it kept, else the general loop
                                      * below redoes everything */
        const uint32_t fst = ust & 0x7fffffu;
        int32_t sub = 0;
#define LB_MLS_K_LOOP(STORE_K)                                                                     \
    for (size_t b = 0; b < bl->nblocks; b++) {                                                     \
        uint32_t ua = lb_f2u(S[b]);                                                                \
        int32_t ea = (int32_t)(ua >> 23); /* 0: max|X_g| is 0 or subnormal, k = kmax */            \
        int32_t k = est - ea - (int32_t)(fst < (ua & 0x7fffffu));                                  \
        k = ea == 0 ? kmax : k;                                                                    \
        k = k < 0 ? 0 : k > kmax ? kmax : k;                                                       \
        sub |= est - k < 1;                                                                        \
        dv[b] = lb_u2f(ust - ((uint32_t)k << 23));                                                 \
        if (STORE_K) kk[b] = k;                                                                    \
    }
        /* two copies of the loop (with and without kk) so that each vectorises */
        if (kk)
            LB_MLS_K_LOOP(1)
        else
            LB_MLS_K_LOOP(0)
#undef LB_MLS_K_LOOP
        if (!sub) {
            memcpy(S, dv, bl->nblocks * sizeof *S);
            return LB_OK;
        }
    }
    for (size_t b = 0; b < bl->nblocks; b++) {
        /* st = 0 (a tensor of subnormals whose scale underflows): S_g is 0 whatever k is, and
         * the log2 ratio needs two positive values (ilogbf(0) is INT_MIN) */
        int k = S[b] > 0 && st > 0 ? rule_log2_ratio(st, S[b], p->rule) : kmax;
        k = k < 0 ? 0 : k > kmax ? kmax : k;
        if (kk) kk[b] = k;
        S[b] = st > 0 ? lb_ldexp_pos(st, -k) : 0.0f;
        dv[b] = S[b] > 0.0f ? S[b] : INFINITY; /* the divisor: x / inf = 0 */
    }
    return LB_OK;
}

/* The shared part of quantize and encode: group scales (S, dv, kk, *s_out as group_scales)
 * and u = x / S_g rounded to the element grid, into out; with scale = 1 the value u · S_g. */
static void to_elements(const lb_mls_params *p, const lb_blocks *bl, float *out, const float *in,
                        size_t n, lb_round r, const lb_qctx *ctx, float *S, float *dv, int32_t *kk,
                        float *s_out, int scale)
{
    group_scales(p, bl, in, ctx, S, dv, kk, s_out);
    lb_blocks_round_args a;
    memset(&a, 0, sizeof a);
    elem_params(p, &a.p);
    a.p.sr_drop = p->sr_drop;
    a.plus_zero = 1;
    a.mode = r;
    a.key = lb_rng_make_key(ctx->seed, ctx->tensor_id, ctx->step);
    a.div = dv, a.mult = scale ? S : NULL;
    lb_blocks_round(bl, out, in, &a, lb_qctx_threads(ctx, n));
}

static lb_status mls_quantize(const lb_format *f, float *out, const float *in, size_t n, lb_round r,
                              const lb_qctx *ctx)
{
    lb_mls_params p;
    lb_mls_params_get(f, &p);
    lb_blocks bl;
    lb_error err;
    if (lb_blocks_get(ctx, n, p.group, p.flat, &bl, &err)) return LB_ERR_ARG;
    float *S = malloc(2 * (bl.nblocks + 1) * sizeof *S);
    if (!S) return LB_ERR_NOMEM;
    to_elements(&p, &bl, out, in, n, r, ctx, S, S + bl.nblocks + 1, NULL, NULL, 1);
    if (ctx->scales_out) memcpy(ctx->scales_out, S, bl.nblocks * sizeof *S);
    free(S);
    return LB_OK;
}

lb_status lb_mls_encode_int(const lb_format *f, const lb_blocks *bl, int16_t *v, int32_t *k,
                            float *s, const float *in, size_t n, lb_round r, const lb_qctx *ctx,
                            size_t *nonfinite, float *work)
{
    lb_mls_params p;
    lb_mls_params_get(f, &p);
    lb_qctx c;
    if (ctx)
        c = *ctx;
    else
        memset(&c, 0, sizeof c);
    c.scales_in = NULL;
    float *own = work ? NULL : malloc(lb_mls_work_size(bl, n) * sizeof *own);
    if (!work && !own) return LB_ERR_NOMEM;
    float *S = work ? work : own, *dv = S + bl->nblocks + 1, *u = dv + bl->nblocks + 1;
    to_elements(&p, bl, u, in, n, r, &c, S, dv, k, s, 0);
    const float one = ldexpf(1.0f, p.m + p.emin);
    size_t nf = 0;
    for (size_t i = 0; i < n; i++) {
        int bad = isnan(u[i]);
        nf += bad || isinf(in[i]);
        v[i] = bad ? 0 : (int16_t)(u[i] * one); /* exact: u is on the element grid */
    }
    if (nonfinite) *nonfinite = nf;
    free(own);
    return LB_OK;
}

/* Cost (lowbit/energy.h): mls(e, m, group, gbits). A group along the whole axis (group=0) has
 * no fixed size to amortise the per-group work over: no model. */
static lb_status mls_mac(const lb_format *f, lb_mac_model *m, lb_error *err)
{
    lb_mls_params p;
    lb_mls_params_get(f, &p);
    if (p.group <= 0)
        return lb_fail(err, LB_ERR_SPEC,
                       "format '%s': key 'group' is 0 (the whole axis): the MAC model needs a "
                       "group size (group=N)",
                       f->name);
    m->kind = LB_MAC_MLS, m->e = p.e, m->m = p.m, m->group = p.group, m->gbits = p.gbits;
    return LB_OK;
}

/* Oracle: one element times the group scale S_g = scale. Element code = sign | E-bit field x |
 * M-bit mantissa f: x >= 1 is the binade 2^-(2^E - x) (1 + f/2^M); x = 0, f = 0 is 1.0 and
 * x = 0, f = 1 is zero (other x = 0 codes, and -0, are never produced). Ties (rne) go to the
 * even mantissa f; 1.0 and zero count as even (so a tie between zero and the smallest magnitude
 * goes to zero, see the file header). */
static double mls_ref_value(const lb_format *f, uint32_t c, double scale, int *canonical, int *even)
{
    lb_mls_params p;
    lb_mls_params_get(f, &p);
    int E = p.e, M = p.m;
    int s = (int)((c >> (E + M)) & 1u), x = (int)((c >> M) & ((1u << E) - 1));
    int fm = (int)(c & ((1u << M) - 1));
    *canonical = 1;
    *even = !(fm & 1);
    double v;
    if (x == 0) {
        *even = 1;
        if (fm == 1) {
            *canonical = !s;
            return 0.0;
        }
        *canonical = fm == 0;
        v = 1.0;
    } else
        v = ldexp(1.0 + ldexp(fm, -M), -((1 << E) - x));
    v *= scale;
    return s ? -v : v;
}

const lb_family lb_family_mls = {
    .key = "mls",
    .description = "MLS multi-level scaling: tensor scale, group exponent, low-bit elements",
    .keys_help = "e (1..4), m (1..10), gbits (0..8), group (elements; 0 = whole axis), flat, "
                 "scale_rule=floor|ceil|even, round",
    .parse = mls_parse,
    .info = mls_info,
    .quantize = mls_quantize,
    .mac = mls_mac,
    .ref_value = mls_ref_value,
};
