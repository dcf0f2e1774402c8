/* tests/unit/test_format_parse.c — the spec grammar and properties of quantization:
 *  - every registered name parses, to the same format as "family:params" of its registry line,
 *    and a parsed format's name parses back to the same format; a table of good specs parses;
 *  - known parameters and published ranges of the registered formats (OCP FP8/MX, IEEE);
 *  - a table of bad specs is rejected with LB_ERR_SPEC and a one-line message that names the
 *    offending key or value; lb_round_parse / lb_round_name;
 *  - properties on PROP_N seeded random floats spanning each registered format's range (plus
 *    +-0, +-inf, NaN), in rne, rna and rtz: idempotence Q(Q(x)) = Q(x), monotonicity
 *    (x <= y => Q(x) <= Q(y)), and symmetry Q(-x) = -Q(x) for sign-symmetric formats; scaled
 *    formats both at a fixed scale and with the data-driven one.
 * Exact rounding results are tested in tests/exhaustive/test_exhaustive_formats.c. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lb_testutil.h"
#include "lowbit/format.h"

#define PROP_N (1u << 21) /* random floats per format and mode */

/* ---- good specs and the registry ---------------------------------------------------------- */

/* Same format: family, bits, scale, rounding and the family's parameters. */
static int same_format(const lb_format *a, const lb_format *b)
{
    if (a->family != b->family || a->bits != b->bits || a->scale != b->scale ||
        a->round != b->round)
        return 0;
    if (lbt_is_family(a, "fp"))
        return a->p.fp.e == b->p.fp.e && a->p.fp.m == b->p.fp.m && a->p.fp.bias == b->p.fp.bias &&
               a->p.fp.subnormals == b->p.fp.subnormals && a->p.fp.specials == b->p.fp.specials &&
               a->p.fp.overflow == b->p.fp.overflow;
    if (lbt_is_family(a, "fx"))
        return a->p.fx.wl == b->p.fx.wl && a->p.fx.fl == b->p.fx.fl &&
               a->p.fx.symmetric == b->p.fx.symmetric;
    if (lbt_is_family(a, "int")) return a->p.iq.bits == b->p.iq.bits;
    if (lbt_is_family(a, "lns"))
        return a->p.lns.frac == b->p.lns.frac && a->p.lns.logbits == b->p.lns.logbits &&
               a->p.lns.zero_flag == b->p.lns.zero_flag &&
               a->p.lns.underflow_zero == b->p.lns.underflow_zero;
    return memcmp(&a->p, &b->p, sizeof a->p) == 0;
}

static void test_registry(void)
{
    int n;
    const lb_registry_entry *reg = lb_registry(&n);
    CHECK(reg != NULL && n > 0, "empty registry");
    for (int i = 0; i < n; i++) {
        lb_format f, g, h;
        lb_error err = {{0}};
        lb_status st = lb_format_parse(&f, reg[i].name, &err);
        CHECK(st == LB_OK, "registry entry %s does not parse: %s", reg[i].name, err.msg);
        if (st) continue;
        CHECK(strcmp(f.name, reg[i].name) == 0, "name of %s is '%s'", reg[i].name, f.name);
        CHECK(f.family == reg[i].family, "%s: family differs from its registry line", reg[i].name);
        CHECK(f.bits >= 2 && f.bits <= 32, "%s: %d bits", reg[i].name, f.bits);
        char spec[LB_NAME_LEN + 32];
        snprintf(spec, sizeof spec, "%s:%s", reg[i].family->key, reg[i].params);
        st = lb_format_parse(&g, spec, &err);
        CHECK(st == LB_OK && same_format(&f, &g), "%s and '%s' differ (%s)", reg[i].name, spec,
              st ? err.msg : "different fields");
        st = lb_format_parse(&h, g.name, &err);
        CHECK(st == LB_OK && same_format(&g, &h), "'%s': its name '%s' parses differently", spec,
              g.name);
        for (int j = 0; j < i; j++)
            CHECK(strcmp(reg[i].name, reg[j].name) != 0, "duplicate registry name %s", reg[i].name);
        CHECK(reg[i].description && reg[i].description[0], "%s: no description", reg[i].name);
    }
}

static void test_good_specs(void)
{
    static const char *const good[] = {
        "fp:e=5,m=2",
        "fp:e=5,m=2,sat",
        "fp:e=5,m=2,sub",
        "fp:e=4,m=3,specials=fn",
        "fp:e=4,m=3,specials=fn,overflow=sat",
        "fp:e=8,m=23",
        "fp:m=7,e=8,nosub,round=sr",
        "fp:e=3,m=2,bias=5",
        "fp:e=2,m=1,specials=none",
        "fx:wl=8,fl=6",
        "fx:wl=16,fl=12,symmetric",
        "fx:wl=10,fl=-2",
        "int:bits=8",
        "int:bits=8,scale=channel",
        "int:bits=4,scale=tensor,round=rtz",
        "lns:bits=8,frac=3,scale=tensor",
        "lns:bits=13,frac=5,scale=none",
        "lns:bits=12,frac=5,zero=code,underflow=sat",
        "bf16",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        lb_format f, g;
        lb_error err = {{0}};
        lb_status st = lb_format_parse(&f, good[i], &err);
        CHECK(st == LB_OK, "good spec '%s' rejected: %s", good[i], err.msg);
        if (st) continue;
        CHECK(lb_format_parse(&g, f.name, &err) == LB_OK && same_format(&f, &g),
              "'%s': name '%s' does not parse back to the same format", good[i], f.name);
    }
    lb_format f;
    lb_error err;
    CHECK(lb_format_parse(&f, "fp:m=7,e=8,nosub,round=sr", &err) == LB_OK &&
              f.round == LB_ROUND_SR && f.p.fp.subnormals == 0 && f.p.fp.e == 8 && f.p.fp.m == 7 &&
              f.bits == 16,
          "fp:m=7,e=8,nosub,round=sr: fields not as given");
    CHECK(lb_format_parse(&f, "fp:e=3,m=2,bias=5", &err) == LB_OK && f.p.fp.bias == 5,
          "bias=5 not applied");
    CHECK(lb_format_parse(&f, "fx:wl=16,fl=12,symmetric", &err) == LB_OK && f.p.fx.symmetric,
          "symmetric flag not applied");
}

/* Parameters and ranges of the registered formats from their published definitions. */
static void test_known_formats(void)
{
    static const struct {
        const char *name;
        int e, m, bias;
        lb_specials sp;
        lb_overflow ov;
        double max, min_pos;
    } fps[] = {
        {"bf16", 8, 7, 127, LB_SPECIALS_IEEE, LB_OVERFLOW_INF, 0x1.fep127, 0x1p-133},
        {"fp16", 5, 10, 15, LB_SPECIALS_IEEE, LB_OVERFLOW_INF, 65504, 0x1p-24},
        {"fp8_e4m3", 4, 3, 7, LB_SPECIALS_FN, LB_OVERFLOW_NAN, 448, 0x1p-9},
        {"fp8_e4m3_sat", 4, 3, 7, LB_SPECIALS_FN, LB_OVERFLOW_SAT, 448, 0x1p-9},
        {"fp8_e5m2", 5, 2, 15, LB_SPECIALS_IEEE, LB_OVERFLOW_INF, 57344, 0x1p-16},
        {"fp6_e3m2", 3, 2, 3, LB_SPECIALS_NONE, LB_OVERFLOW_SAT, 28, 0.0625},
        {"fp6_e2m3", 2, 3, 1, LB_SPECIALS_NONE, LB_OVERFLOW_SAT, 7.5, 0.125},
        {"fp4_e2m1", 2, 1, 1, LB_SPECIALS_NONE, LB_OVERFLOW_SAT, 6, 0.5},
        {"fp32", 8, 23, 127, LB_SPECIALS_IEEE, LB_OVERFLOW_INF, FLT_MAX, 0x1p-149},
        {"tf32", 8, 10, 127, LB_SPECIALS_IEEE, LB_OVERFLOW_INF, 0x1.ffcp127, 0x1p-136},
    };
    for (size_t i = 0; i < sizeof fps / sizeof fps[0]; i++) {
        lb_format f;
        lb_format_info in;
        lb_error err = {{0}};
        if (lb_format_parse(&f, fps[i].name, &err)) {
            CHECK(0, "%s: %s", fps[i].name, err.msg);
            continue;
        }
        lb_format_info_get(&f, &in);
        CHECK(lbt_is_family(&f, "fp") && f.p.fp.e == fps[i].e && f.p.fp.m == fps[i].m &&
                  f.p.fp.bias == fps[i].bias && f.p.fp.subnormals == 1 &&
                  f.p.fp.specials == fps[i].sp && f.p.fp.overflow == fps[i].ov &&
                  f.bits == 1 + fps[i].e + fps[i].m,
              "%s: parameters differ from the definition", fps[i].name);
        CHECK(in.max == fps[i].max && in.min_pos == fps[i].min_pos,
              "%s: max %a min_pos %a, published %a %a", fps[i].name, in.max, in.min_pos, fps[i].max,
              fps[i].min_pos);
        CHECK(in.has_inf == (fps[i].sp == LB_SPECIALS_IEEE) &&
                  in.has_nan == (fps[i].sp != LB_SPECIALS_NONE) && in.signed_zero == 1 &&
                  in.overflow == fps[i].ov && !in.scaled && !in.log_rounding,
              "%s: info flags differ from the definition", fps[i].name);
    }
    lb_format f;
    lb_format_info in;
    lb_error err;
    CHECK(lb_format_parse(&f, "fx8", &err) == LB_OK && f.p.fx.wl == 8 && f.p.fx.fl == 6 &&
              !f.p.fx.symmetric,
          "fx8 is not wl=8,fl=6");
    lb_format_info_get(&f, &in);
    CHECK(in.max == 1.984375 && in.min_pos == 0.015625 && in.overflow == LB_OVERFLOW_SAT &&
              !in.has_nan && !in.has_inf && !in.signed_zero,
          "fx8 info: max %g min_pos %g", in.max, in.min_pos);
    CHECK(lb_format_parse(&f, "int8", &err) == LB_OK && f.p.iq.bits == 8 &&
              f.scale == LB_SCALE_TENSOR && f.bits == 8,
          "int8 is not bits=8,scale=tensor");
    lb_format_info_get(&f, &in);
    CHECK(in.scaled && in.max == 127, "int8: info.max %g (x scale), scaled %d", in.max, in.scaled);
    CHECK(lb_format_parse(&f, "int8_channel", &err) == LB_OK && f.scale == LB_SCALE_CHANNEL,
          "int8_channel is not per channel");
    CHECK(lb_format_parse(&f, "lns16_8", &err) == LB_OK && f.p.lns.frac == 8 &&
              f.p.lns.logbits == 14 && f.p.lns.zero_flag == 1 && f.scale == LB_SCALE_NONE &&
              f.bits == 16,
          "lns16_8 is not sign + zero flag + 14-bit log with 8 fraction bits");
    lb_format_info_get(&f, &in);
    CHECK(in.log_rounding && fabs(in.max / exp2(8191.0 / 256) - 1) < 1e-12,
          "lns16_8: max %g, want 2^(8191/256)", in.max);
    CHECK(lb_format_parse(&f, "lns12_5", &err) == LB_OK && f.p.lns.zero_flag == 0 &&
              f.p.lns.logbits == 11 && f.p.lns.frac == 5,
          "lns12_5 is not sign + 11-bit log code with zero code");
    CHECK(lb_format_parse(&f, "lns8", &err) == LB_OK && f.scale == LB_SCALE_TENSOR &&
              f.p.lns.frac == 3 && f.p.lns.logbits == 7 && f.p.lns.zero_flag == 0,
          "lns8 is not sign + 7-bit log code, per-tensor");
}

/* ---- bad specs ---------------------------------------------------------------------------- */

/* Does msg contain one of the '|'-separated alternatives? */
static int names_one_of(const char *msg, const char *alts)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", alts);
    for (char *tok = strtok(buf, "|"); tok; tok = strtok(NULL, "|"))
        if (strstr(msg, tok)) return 1;
    return 0;
}

static void test_bad_specs(void)
{
    /* bad spec -> what the message must name (any one of the '|' alternatives) */
    static const char *const bad[][2] = {
        {"", "empty"},
        {"bf17", "bf17"},
        {"FP16", "FP16"},
        {"nosuchfamily:x=1", "nosuchfamily"},
        {":e=5", ":e=5|family"},
        {"fp:", "fp:|parameters"},
        {"fp:e=9,m=2", "'e'|e=9"},
        {"fp:e=0,m=2", "'e'|e=0"},
        {"fp:e=5", "'m'|m="},
        {"fp:m=2", "'e'|e="},
        {"fp:e=5,m=24", "'m'|m=24"},
        {"fp:e=5,m=-1", "'m'|m=-1"},
        {"fp:e=5,m=2,bogus=1", "bogus"},
        {"fp:e=5,m=2,wat", "wat"},
        {"fp:e=5,m=2,", "empty"},
        {"fp:e=5,,m=2", "empty"},
        {"fp:e=5,m=2,e=4", "'e'|e=4"},
        {"fp:e=abc,m=2", "abc"},
        {"fp:e=5x,m=2", "5x"},
        {"fp:e=5,m=2,round=up", "up"},
        {"fp:e=5,m=2,round=", "round"},
        {"fp:e=5,m=2,specials=maybe", "maybe"},
        {"fp:e=5,m=2,overflow=wrap", "wrap"},
        {"fp:e=4,m=3,specials=none,overflow=inf", "overflow"},
        {"fp:e=5,m=2,sat,overflow=inf", "sat|overflow"},
        {"fp:e=5,m=0", "m=0|'m'"},
        {"fp:e=5,m=2,bias=200", "bias"},
        {"fp:e=5,m=2,sub,nosub", "nosub"},
        {"fp:e=5,m= 2", " 2|white space"},
        {"fp:=5,m=2", "=5|key"},
        {"fp:e=,m=2", "'e'|e="},
        {"fx:wl=0,fl=0", "'wl'|wl=0"},
        {"fx:wl=8", "'fl'|fl"},
        {"fx:fl=6", "'wl'|wl"},
        {"fx:wl=8,fl=6,symmetric=1", "symmetric"},
        {"int:bits=8,scale=row", "row"},
        {"int:bits=1", "'bits'|bits=1"},
        {"int:bits=17", "'bits'|bits=17"},
        {"lns:bits=8,frac=9", "frac"},
        {"lns:bits=8,frac=6", "frac"},
        {"lns:bits=16,frac=1", "bits=16|frac=1"},
        {"lns:bits=8,frac=3,zero=maybe", "maybe"},
        {"lns:bits=8,frac=3,scale=channel", "channel"},
        {"lns:bits=8,frac=3,underflow=wrap", "wrap"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lb_format f;
        lb_error err = {{0}};
        lb_status st = lb_format_parse(&f, bad[i][0], &err);
        CHECK(st == LB_ERR_SPEC, "bad spec '%s' gave status %d, not LB_ERR_SPEC", bad[i][0],
              (int)st);
        CHECK(err.msg[0] && !strchr(err.msg, '\n'), "bad spec '%s': message '%s' is not one line",
              bad[i][0], err.msg);
        CHECK(names_one_of(err.msg, bad[i][1]), "bad spec '%s': message '%s' names none of '%s'",
              bad[i][0], err.msg, bad[i][1]);
    }
}

static void test_round_names(void)
{
    static const char *const names[] = {"rne", "rna", "rtz", "sr"};
    for (int r = LB_ROUND_RNE; r <= LB_ROUND_SR; r++) {
        lb_round got = LB_ROUND_RNE;
        CHECK(strcmp(lb_round_name((lb_round)r), names[r]) == 0, "lb_round_name(%d) = %s", r,
              lb_round_name((lb_round)r));
        CHECK(lb_round_parse(&got, names[r]) == LB_OK && got == (lb_round)r, "lb_round_parse(%s)",
              names[r]);
    }
    static const char *const bad[] = {"", "up", "RNE", "rne ", "nearest"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lb_round got;
        CHECK(lb_round_parse(&got, bad[i]) != LB_OK, "lb_round_parse accepts '%s'", bad[i]);
    }
}

/* ---- properties --------------------------------------------------------------------------- */

/* x[0..n): sorted ascending, stratified log-uniform magnitudes in [lo, hi] of both signs,
 * with -inf, -0, +0 and +inf in their places. */
static void fill_sorted(float *x, size_t n, double lo, double hi, uint64_t seed)
{
    lbt_rng rng = lbt_rng_seed(seed);
    double l0 = log2(lo), l1 = log2(hi);
    size_t h = n / 2;
    for (size_t i = 0; i < h; i++) { /* magnitudes ascending in stratum i */
        double u = ((double)i + lbt_uniform(&rng)) / (double)h;
        float m = (float)exp2(l0 + (l1 - l0) * u);
        x[h + i] = m;
        x[h - 1 - i] = -m;
    }
    x[0] = -INFINITY;
    x[h - 1] = -0.0f;
    x[h] = 0.0f;
    x[n - 1] = INFINITY;
}

static int sign_symmetric(const lb_format *f)
{
    return !(lbt_is_family(f, "fx") && !f->p.fx.symmetric);
}

/* Idempotence, monotonicity and symmetry of one format at one scale (NULL: unscaled or
 * data-driven). x is sorted; the work buffers hold n floats. */
static void properties(const lb_format *f, const float *scale, const float *x, size_t n, float *q,
                       float *q2, float *y, const char *what)
{
    lb_format_info in;
    lb_format_info_get(f, &in);
    for (size_t i = 0; i < n; i++) /* -x, also sorted */
        y[i] = -x[n - 1 - i];
    for (int r = LB_ROUND_RNE; r <= LB_ROUND_RTZ; r++) {
        const char *rn = lb_round_name((lb_round)r);
        lb_qctx c = lbt_ctx((lb_round)r, scale, 0);
        CHECK(lb_quantize(f, q, x, n, &c) == LB_OK, "%s: quantize failed", f->name);
        /* monotonic (NaN results, from overflow=nan, are not ordered); a block format with
         * data-driven scales is monotonic only within a block (test_mx, test_mls) */
        size_t bad = 0, first = 0;
        for (size_t i = 0; i + 1 < n; i++)
            if (!(in.block && !scale) && !isnan(q[i]) && !isnan(q[i + 1]) && q[i] > q[i + 1] &&
                !bad++)
                first = i;
        CHECK(bad == 0, "%s %s %s: not monotonic at %zu places, first x=%a,%a -> %a,%a", f->name,
              what, rn, bad, x[first], x[first + 1], q[first], q[first + 1]);
        /* idempotent */
        CHECK(lb_quantize(f, q2, q, n, &c) == LB_OK, "%s: quantize failed", f->name);
        bad = 0;
        for (size_t i = 0; i < n; i++)
            if (!lbt_same(q[i], q2[i]) && !bad++) first = i;
        CHECK(bad == 0, "%s %s %s: Q(Q(x)) != Q(x) for %zu of %zu, first x=%a: %a -> %a", f->name,
              what, rn, bad, n, x[first], q[first], q2[first]);
        /* symmetric */
        if (!sign_symmetric(f)) continue;
        CHECK(lb_quantize(f, q2, y, n, &c) == LB_OK, "%s: quantize failed", f->name);
        bad = 0;
        for (size_t i = 0; i < n; i++) {
            float want = -q[n - 1 - i];
            if (want == 0.0f && !in.signed_zero) want = 0.0f;
            if (!lbt_same(q2[i], want) && !bad++) first = i;
        }
        CHECK(bad == 0, "%s %s %s: Q(-x) != -Q(x) for %zu of %zu, first x=%a: %a, -Q(-x) %a",
              f->name, what, rn, bad, n, y[first], q2[first], -q[n - 1 - first]);
    }
    /* NaN stays NaN or becomes +0 (formats without NaN), and Q of that is the same */
    float nan_in[2] = {NAN, -NAN}, nq[2], nq2[2];
    lb_qctx c = lbt_ctx(LB_ROUND_RNE, scale, 0);
    if (scale || !in.scaled) { /* a data-driven scale needs finite data */
        CHECK(lb_quantize(f, nq, nan_in, 2, &c) == LB_OK, "%s: quantize failed", f->name);
        CHECK(lb_quantize(f, nq2, nq, 2, &c) == LB_OK, "%s: quantize failed", f->name);
        for (int i = 0; i < 2; i++) {
            CHECK(in.has_nan ? isnan(nq[i]) : lbt_same(nq[i], 0.0f), "%s: NaN -> %a", f->name,
                  nq[i]);
            CHECK(lbt_same(nq[i], nq2[i]), "%s: Q(Q(NaN)) = %a, Q(NaN) = %a", f->name, nq2[i],
                  nq[i]);
        }
    }
}

static void test_properties(void)
{
    float *x = malloc(PROP_N * sizeof *x), *q = malloc(PROP_N * sizeof *q),
          *q2 = malloc(PROP_N * sizeof *q2), *y = malloc(PROP_N * sizeof *y);
    if (!x || !q || !q2 || !y) abort();
    int n;
    const lb_registry_entry *reg = lb_registry(&n);
    for (int i = 0; i < n; i++) {
        lb_format f;
        lb_error err;
        if (lb_format_parse(&f, reg[i].name, &err)) continue; /* reported by test_registry */
        lb_format_info in;
        lb_format_info_get(&f, &in);
        /* range of the data: a quarter of the smallest to four times the largest magnitude
         * (relative to the scale for scaled formats), inside float32 */
        double lo = fmax(in.min_pos / 4, 0x1p-149), hi = fmin(in.max * 4, FLT_MAX);
        fill_sorted(x, PROP_N, lo, hi, 1000 + (uint64_t)i);
        properties(&f, NULL, x, PROP_N, q, q2, y, in.scaled ? "data-driven scale" : "");
        if (in.scaled) {
            /* a fixed scale (int multiplies by 2^-5, lns offsets the log code by -7); the data
             * span the decoded grid at that scale */
            float s = lbt_is_family(&f, "lns") ? -7.0f : 0x1p-5f;
            if (in.block) { /* one scale per block: the same for all, at most PROP_N blocks */
                float *sc = malloc(PROP_N * sizeof *sc);
                if (!sc) abort();
                for (size_t k = 0; k < PROP_N; k++)
                    sc[k] = s;
                fill_sorted(x, PROP_N, fmax(in.min_pos * s / 4, 0x1p-149),
                            fmin(in.max * s * 4, FLT_MAX), 2000 + (uint64_t)i);
                properties(&f, sc, x, PROP_N, q, q2, y, "fixed scale");
                free(sc);
                continue;
            }
            size_t nc = (size_t)1 << f.bits;
            float *dec = malloc(nc * sizeof *dec), mn = INFINITY, mx = 0;
            if (!dec) abort();
            CHECK(lbt_decode_all(&f, dec, &s) == LB_OK, "%s: decode failed", f.name);
            for (size_t c = 0; c < nc; c++)
                if (isfinite(dec[c]) && dec[c] != 0.0f) {
                    mn = fminf(mn, fabsf(dec[c]));
                    mx = fmaxf(mx, fabsf(dec[c]));
                }
            free(dec);
            fill_sorted(x, PROP_N, fmax(mn / 4.0, 0x1p-149), fmin(mx * 4.0, FLT_MAX),
                        2000 + (uint64_t)i);
            properties(&f, &s, x, PROP_N, q, q2, y, "fixed scale");
        }
    }
    free(x);
    free(q);
    free(q2);
    free(y);
}

int main(void)
{
    test_registry();
    test_good_specs();
    test_known_formats();
    test_bad_specs();
    test_round_names();
    test_properties();
    return lb_check_summary("test_format_parse");
}
