/* tests/exhaustive/test_exhaustive_formats.c — every registered format of at most 16 bits (and
 * a few extra specs) against an independent brute-force reference, code by code:
 *  a. decode: lb_decode of every code equals the family's oracle (lb_family.ref_value, a slow
 *     decoder from the format's definition in the family's file that shares no code with its
 *     quantizer; a registered family without one FAILS here, it is never skipped); the
 *     format info (max, min_pos, has_inf, has_nan, signed_zero, next_above_max) agrees with
 *     the decoded values;
 *  b. rounding (generic: a new family in formats.def is covered with no new code here): the
 *     grid is the sorted set of decoded magnitudes, one per sign. For every grid value, the
 *     floats beside it, the floats at and beside every midpoint (arithmetic, or geometric for
 *     log-domain formats, decided exactly in long double), quarter points, +-max, values beyond
 *     max, the virtual next_above_max and its midpoint with max, +-inf, NaN, float subnormals
 *     and +-0, lb_quantize in rne, rna and rtz equals a nearest search with the mode's tie rule
 *     (rne: the even code, both even -> toward zero; rna: away from zero; rtz: largest
 *     magnitude <= |x|) and the format's overflow policy; lb_decode(lb_encode(x)) equals
 *     lb_quantize(x) bit for bit in every mode including sr, and in-place quantize equals
 *     out-of-place;
 *  c. scaled formats are run at fixed scales (lb_qctx.scales_in); separately, without
 *     scales_in, the largest |x| of the data lands on the top code in every mode and
 *     scales_out receives the scale that reproduces the call.
 *  d. block families (MX, MLS; no codes of their own): the grid from the oracle's element values
 *     at fixed block scales, and lb_quantize in rne, rna, rtz against the nearest search (b).
 * Prints the number of cases per format and in total. Not covered here: formats wider than 16
 * bits (no codes; see test_format_parse's properties) and SR statistics (test_format_sr). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "lb_testutil.h"
#include "lowbit/format.h"

/* Fixed scales for the scaled families: int multiplies by the scale, lns adds an integer
 * offset to the log code. */
static const float int_scales[] = {1.0f, 0.0123f};
static const float lns_offsets[] = {0.0f, -5.0f, 3.0f};

/* Extra specs beyond the registry: non-default flags and corner cases of each family. */
static const char *const extra_specs[] = {
    "fp:e=5,m=2,nosub",
    "fp:e=4,m=3,sat",
    "fp:e=3,m=2,bias=5",
    "fp:e=5,m=2,overflow=nan",
    "fp:e=4,m=3,bias=10,specials=fn",
    "fp:e=5,m=3,specials=fn,overflow=sat",
    "fp:e=2,m=1,specials=none,nosub",
    "fp:e=3,m=0,specials=none",
    "fp:e=8,m=7,nosub",
    "fp:e=8,m=3",
    "fx:wl=8,fl=6,symmetric",
    "fx:wl=10,fl=-2",
    "fx:wl=16,fl=20",
    "fx:wl=4,fl=0",
    "int:bits=5",
    "int:bits=16",
    "int:bits=2",
    "lns:bits=10,frac=2",
    "lns:bits=9,frac=4,zero=code",
    "lns:bits=8,frac=3,underflow=sat,zero=code",
    "lns:bits=8,frac=3,zero=flag,underflow=zero",
    "lns:bits=6,frac=0",
    "mx:e=3,m=2,block=8",
    "mls:e=3,m=2,gbits=4,group=8",
    "mls:e=1,m=3",
};

/* ---- a. independent decoders ------------------------------------------------------------- */

/* Two's-complement value of the low w bits of c. */
static int64_t sext(uint32_t c, int w)
{
    int64_t k = (int64_t)(c & ((1u << w) - 1));
    return k >= ((int64_t)1 << (w - 1)) ? k - ((int64_t)1 << w) : k;
}

/* Significant bits of a scale that keep every k*s (|k| <= 2^(B-1)-1) exact in float32. */
static int int_scale_bits(int B)
{
    return 24 - (B - 1);
}

/* Truncate a positive float toward zero to `bits` significant bits. */
static float trunc_sig(float s, int bits)
{
    int e;
    double m = frexp((double)s, &e);
    return (float)ldexp(floor(ldexp(m, bits)), e - bits);
}

/* Value of code c from the family's oracle (lb_family.ref_value: written from the format's
 * definition in the family's file, sharing no code with its quantizer). aux: the int scale, or
 * the lns code offset. *canonical = 0 for codes the format never produces (aliases of another
 * code's value). *known = 0 for a family without an oracle (a test failure, reported by the
 * caller). */
static double ref_decode(const lb_format *f, uint32_t c, double aux, int *canonical, int *known)
{
    int even;
    *canonical = 1;
    *known = f->family->ref_value != NULL;
    if (!*known) return NAN;
    return f->family->ref_value(f, c, aux, canonical, &even);
}

/* ---- b. the brute-force rounding reference ------------------------------------------------ */

typedef struct ref {
    const lb_format *f;
    lb_format_info info;
    lbt_grid G[2];
    /* log-domain formats below the smallest magnitude */
    int under_zero; /* 1: round toward a virtual value below min_pos that means zero */
    float below;    /* that virtual value */
} ref;

/* sign of a - (lo + hi) / 2, exact (long double holds these sums and products exactly) */
static int cmp_mid_lin(double a, double lo, double hi)
{
    long double d = 2.0L * a - ((long double)lo + (long double)hi);
    return (d > 0) - (d < 0);
}

/* sign of a - sqrt(lo * hi), exact: compares a^2 with lo*hi (48-bit products) */
static int cmp_mid_geo(double a, double lo, double hi)
{
    long double d = (long double)a * a - (long double)lo * hi;
    return (d > 0) - (d < 0);
}

/* Rounded magnitude of finite a > 0 on grid sign sg: a grid magnitude, +inf or NaN. */
static float ref_round_mag(const ref *R, int sg, double a, lb_round r)
{
    const lbt_grid *g = &R->G[sg];
    const lb_format_info *in = &R->info;
    size_t i = lbt_grid_floor(g, a);
    float lo = g->v[i];
    if ((double)lo == a) return lo;
    int log_dom = in->log_rounding;
    if (log_dom && i == 0 && g->n > 1) { /* log domain: 0 has no logarithm */
        float mn = g->v[1];
        if (!R->under_zero) return mn;
        if (r == LB_ROUND_RTZ) return 0.0f;
        int c = cmp_mid_geo(a, R->below, mn);
        if (c != 0) return c < 0 ? 0.0f : mn;
        if (r == LB_ROUND_RNA) return mn;
        return (g->code[1] & 1u) ? 0.0f : mn; /* the virtual code below has the other parity */
    }
    double hi;
    float up;
    int even_lo = !(g->code[i] & 1u), even_hi;
    if (i == g->n - 1) { /* beyond the largest magnitude */
        if (r == LB_ROUND_RTZ || in->overflow == LB_OVERFLOW_SAT) return lo;
        hi = in->next_above_max;
        up = in->overflow == LB_OVERFLOW_INF ? INFINITY : NAN;
        even_hi = !even_lo; /* max + one ulp: the next code */
    } else {
        hi = g->v[i + 1];
        up = g->v[i + 1];
        even_hi = !(g->code[i + 1] & 1u);
    }
    if (r == LB_ROUND_RTZ) return lo;
    int c = log_dom ? cmp_mid_geo(a, lo, hi) : cmp_mid_lin(a, lo, hi);
    if (c != 0) return c < 0 ? lo : up;
    if (r == LB_ROUND_RNA) return up;
    if (even_lo) return lo; /* also both even: toward zero */
    return even_hi ? up : lo;
}

static float ref_quantize(const ref *R, float x, lb_round r)
{
    const lb_format_info *in = &R->info;
    if (isnan(x)) return in->has_nan ? NAN : 0.0f;
    int sg = signbit(x) != 0;
    const lbt_grid *g = &R->G[sg];
    float m;
    if (isinf(x))
        m = in->overflow == LB_OVERFLOW_SAT   ? g->v[g->n - 1]
            : in->overflow == LB_OVERFLOW_INF ? INFINITY
                                              : NAN;
    else
        m = ref_round_mag(R, sg, fabs((double)x), r);
    if (isnan(m)) return NAN;
    if (m == 0.0f) return (sg && in->signed_zero) ? -0.0f : 0.0f;
    return sg ? -m : m;
}

/* ---- test points -------------------------------------------------------------------------- */

typedef struct pts {
    float *x;
    size_t n, cap;
} pts;

static void add(pts *p, float x)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 4096;
        float *nx = realloc(p->x, p->cap * sizeof *nx);
        if (!nx) abort();
        p->x = nx;
    }
    p->x[p->n++] = x;
}

static void add_signed(pts *p, float m, int sg)
{
    add(p, sg ? -m : m);
}

/* the float nearest to t and its two neighbours */
static void add_around(pts *p, long double t, int sg)
{
    if (!(t > 0) || t > FLT_MAX) return;
    float f = (float)t;
    add_signed(p, f, sg);
    add_signed(p, nextafterf(f, INFINITY), sg);
    add_signed(p, nextafterf(f, 0.0f), sg);
}

static void build_points(const ref *R, int sg, pts *p)
{
    const lbt_grid *g = &R->G[sg];
    int log_dom = R->info.log_rounding;
    for (size_t i = 0; i < g->n; i++) {
        float v = g->v[i];
        add_signed(p, v, sg);
        add_signed(p, nextafterf(v, INFINITY), sg);
        if (v > 0) add_signed(p, nextafterf(v, 0.0f), sg);
        if (i + 1 < g->n) {
            long double a = v, b = g->v[i + 1];
            if (log_dom && a > 0) {
                add_around(p, sqrtl(a * b), sg);
                add_around(p, sqrtl(sqrtl(a * a * a * b)), sg); /* quarter, log domain */
            } else {
                add_around(p, (a + b) / 2, sg);
                add_around(p, a + (b - a) / 4, sg);
                add_around(p, a + 3 * (b - a) / 4, sg);
            }
        }
    }
    long double mx = g->v[g->n - 1], nx = R->info.next_above_max;
    if (nx > mx) {
        add_around(p, nx, sg);
        add_around(p, (mx + nx) / 2, sg);
        add_around(p, sqrtl(mx * nx), sg);
    }
    add_around(p, mx * 1.25L, sg);
    add_around(p, mx * 4, sg);
    add_signed(p, FLT_MAX, sg);
    add_signed(p, INFINITY, sg);
    add_signed(p, NAN, sg);
    add_signed(p, 0x1p-149f, sg); /* float subnormals */
    add_signed(p, 0x1p-140f, sg);
    add_signed(p, nextafterf(FLT_MIN, 0.0f), sg);
    add_signed(p, FLT_MIN, sg);
    add_signed(p, 0.0f, sg);
    if (log_dom && g->n > 1 && R->below > 0) { /* around the log-domain underflow threshold */
        long double b = R->below, m1 = g->v[1];
        add_around(p, b, sg);
        add_around(p, sqrtl(b * m1), sg);
        add_around(p, m1 / 2, sg);
    }
}

/* ---- per format and scale ----------------------------------------------------------------- */

/* The format info against the decoded values. */
static void check_info(const lb_format *f, const ref *R, const float *dec, size_t ncodes,
                       double aux)
{
    const lb_format_info *in = &R->info;
    const lbt_grid *g = &R->G[0];
    int any_inf = 0, any_nan = 0, any_negzero = 0;
    for (size_t c = 0; c < ncodes; c++) {
        any_inf |= isinf(dec[c]) != 0;
        any_nan |= isnan(dec[c]) != 0;
        any_negzero |= dec[c] == 0.0f && signbit(dec[c]) != 0;
    }
    CHECK(in->has_inf == any_inf, "%s: info.has_inf %d but decoded inf: %d", f->name, in->has_inf,
          any_inf);
    CHECK(in->has_nan == any_nan, "%s: info.has_nan %d but decoded NaN: %d", f->name, in->has_nan,
          any_nan);
    CHECK(in->signed_zero == any_negzero, "%s: info.signed_zero %d but decoded -0: %d", f->name,
          in->signed_zero, any_negzero);
    CHECK(in->bits == f->bits, "%s: info.bits %d, format bits %d", f->name, in->bits, f->bits);
    CHECK(g->n >= 2, "%s: no positive grid value", f->name);
    if (g->n < 2) return;
    double mx = g->v[g->n - 1], mn = g->v[1];
    if (!in->scaled) {
        /* as float32: LNS info gives the exact powers 2^(k/2^F), the grid their nearest floats */
        CHECK(mx == (float)in->max, "%s: largest decoded %a, info.max %a", f->name, mx, in->max);
        CHECK(mn == (float)in->min_pos, "%s: smallest positive decoded %a, info.min_pos %a",
              f->name, mn, in->min_pos);
    } else if (lbt_is_family(f, "int")) {
        CHECK(mx == (double)(float)(in->max * aux), "%s: largest decoded %a, info.max x scale %a",
              f->name, mx, in->max * aux);
    } else {
        /* relative to a scale: the ratio of the extremes is scale-free (float-rounded ends) */
        const double rtol = 4 * FLT_EPSILON;
        double ratio = (mx / mn) / (in->max / in->min_pos);
        CHECK(fabs(ratio - 1) <= rtol, "%s: max/min_pos decoded %g, info %g", f->name, mx / mn,
              in->max / in->min_pos);
    }
    if (lbt_is_family(f, "fp") && in->overflow != LB_OVERFLOW_SAT) {
        int e;
        frexp(mx, &e); /* max in [2^(e-1), 2^e): one ulp there is 2^(e-1-M) */
        double nam = mx + ldexp(1.0, e - 1 - f->p.fp.m);
        CHECK(in->next_above_max == nam, "%s: info.next_above_max %a, max + 1 ulp %a", f->name,
              in->next_above_max, nam);
    }
    if (in->overflow != LB_OVERFLOW_SAT)
        CHECK(in->next_above_max > mx, "%s: next_above_max %g not above max %g", f->name,
              in->next_above_max, mx);
}

/* scale: the fixed scale passed as scales_in (NULL: unscaled). Returns cases checked. */
static long test_at_scale(const lb_format *f, const float *scale)
{
    long before = lb_checks;
    lb_format_info info;
    lb_format_info_get(f, &info);
    size_t ncodes = (size_t)1 << f->bits;
    float *dec = malloc(ncodes * sizeof *dec);
    unsigned char *canon = malloc(ncodes);
    if (!dec || !canon) abort();
    lb_status st = lbt_decode_all(f, dec, scale);
    CHECK(st == LB_OK, "%s: lb_decode failed (%d)", f->name, (int)st);
    if (st != LB_OK) {
        free(dec);
        free(canon);
        return lb_checks - before;
    }

    /* the scale the library applies (reported through scales_out) */
    double aux = scale ? *scale : 0.0;
    if (scale && lbt_is_family(f, "int")) {
        float eff = NAN, one = 1.0f, q;
        lb_qctx c = lbt_ctx(LB_ROUND_RNE, scale, 0);
        c.scales_out = &eff;
        CHECK(lb_quantize(f, &q, &one, 1, &c) == LB_OK, "%s: quantize failed", f->name);
        if (isnan(eff)) eff = *scale; /* not reported: then it must be the given one */
        /* Either the scale as given, or truncated to the bits that keep every k*s exact in
         * float32 (lib/src/formats/int.c documents the truncation; lowbit/format.h does not). */
        float tr = trunc_sig(*scale, int_scale_bits(f->bits));
        CHECK(eff == *scale || eff == tr, "%s: scales_in %a applied as %a (neither it nor %a)",
              f->name, *scale, eff, tr);
        if (eff != *scale)
            printf("  note: %s applies scales_in %.9g as %.9g (truncated to %d bits)\n", f->name,
                   *scale, eff, int_scale_bits(f->bits));
        aux = eff;
    }

    /* a. decode against the independent decoder */
    int known = 1;
    for (size_t c = 0; c < ncodes; c++) {
        int cn, kn;
        double r = ref_decode(f, (uint32_t)c, aux, &cn, &kn);
        canon[c] = (unsigned char)cn;
        if (!kn) {
            known = 0;
            continue;
        }
        float rf = (float)r;
        CHECK(lbt_same(rf, dec[c]), "%s scale %g: code 0x%zx decodes to %a, reference %a", f->name,
              aux, c, dec[c], rf);
    }
    CHECK(known, "%s: family '%s' has no test oracle (lb_family.ref_value): add one in its file",
          f->name, f->family->key);

    /* b. grid and rounding */
    ref R;
    memset(&R, 0, sizeof R);
    R.f = f;
    R.info = info;
    if (lbt_grid_build(R.G, dec, known ? canon : NULL, ncodes)) abort();
    check_info(f, &R, dec, ncodes, aux);
    if (info.log_rounding && R.G[0].n > 1) {
        if (lbt_is_family(f, "lns")) {
            int g = 1 << f->p.lns.frac;
            int kmin = -(1 << (f->p.lns.logbits - 1)) + (f->p.lns.zero_flag ? 0 : 1);
            int off = f->scale == LB_SCALE_TENSOR ? (int)aux : 0;
            R.under_zero = f->p.lns.underflow_zero;
            R.below = (float)exp2l((long double)(kmin - 1 + off) / g);
        } else { /* an unknown log-domain family: one precision step below min_pos */
            R.under_zero = 1;
            R.below = (float)(R.G[0].v[1] / (1.0 + info.precision));
        }
    }

    pts P = {0};
    build_points(&R, 0, &P);
    build_points(&R, 1, &P);
    size_t n = P.n;
    float *q = malloc(n * sizeof *q), *d = malloc(n * sizeof *d), *ip = malloc(n * sizeof *ip);
    uint16_t *cc = malloc(n * sizeof *cc);
    if (!q || !d || !ip || !cc) abort();
    for (int r = LB_ROUND_RNE; r <= LB_ROUND_SR; r++) {
        lb_qctx c = lbt_ctx((lb_round)r, scale, 99);
        c.tensor_id = 5; /* a full key, so quantize and encode must key SR alike */
        c.step = 3;
        CHECK(lb_quantize(f, q, P.x, n, &c) == LB_OK, "%s: quantize failed", f->name);
        if (r != LB_ROUND_SR)
            for (size_t i = 0; i < n; i++) {
                float e = ref_quantize(&R, P.x[i], (lb_round)r);
                CHECK(lbt_same(e, q[i]), "%s scale %g %s: x=%a (%.9g) -> %a (%.9g), reference %a",
                      f->name, aux, lb_round_name((lb_round)r), P.x[i], P.x[i], q[i], q[i], e);
            }
        /* the code path agrees bit for bit (same element indices, so the same SR draws) */
        CHECK(lb_encode(f, cc, P.x, n, &c) == LB_OK, "%s: encode failed", f->name);
        CHECK(lb_decode(f, d, cc, n, &c) == LB_OK, "%s: decode failed", f->name);
        for (size_t i = 0; i < n; i++)
            CHECK(lbt_same(q[i], d[i]),
                  "%s scale %g %s: x=%a quantizes to %a but decode(encode) gives %a (code 0x%x)",
                  f->name, aux, lb_round_name((lb_round)r), P.x[i], q[i], d[i], cc[i]);
        /* in place */
        memcpy(ip, P.x, n * sizeof *ip);
        CHECK(lb_quantize(f, ip, ip, n, &c) == LB_OK, "%s: in-place quantize failed", f->name);
        size_t diff = 0;
        for (size_t i = 0; i < n; i++)
            diff += !lbt_same(ip[i], q[i]);
        CHECK(diff == 0, "%s %s: in-place quantize differs in %zu of %zu", f->name,
              lb_round_name((lb_round)r), diff, n);
    }
    free(q);
    free(d);
    free(ip);
    free(cc);
    free(P.x);
    lbt_grid_free(R.G);
    free(dec);
    free(canon);
    return lb_checks - before;
}

/* ---- c. the data-driven scale ------------------------------------------------------------- */

/* One call's data: the largest |x| must land on the top code, and scales_out must reproduce
 * the call. */
static void check_data_scale(const lb_format *f, const float *x, size_t n, lb_round r,
                             const char *what)
{
    size_t imax = 0;
    for (size_t i = 0; i < n; i++)
        if (fabsf(x[i]) > fabsf(x[imax])) imax = i;
    float amax = fabsf(x[imax]);
    float *q = malloc(n * sizeof *q), *q2 = malloc(n * sizeof *q2), *d = malloc(n * sizeof *d);
    uint16_t *codes = malloc(n * sizeof *codes);
    if (!q || !q2 || !d || !codes) abort();
    float s = NAN, s_enc = NAN;
    lb_qctx c = lbt_ctx(r, NULL, 17);
    c.scales_out = &s;
    CHECK(lb_quantize(f, q, x, n, &c) == LB_OK, "%s: quantize failed", f->name);
    c.scales_out = &s_enc;
    CHECK(lb_encode(f, codes, x, n, &c) == LB_OK, "%s: encode failed", f->name);
    CHECK(!isnan(s) && lbt_same(s, s_enc), "%s %s %s: scales_out %g (quantize), %g (encode)",
          f->name, what, lb_round_name(r), s, s_enc);
    /* scales_out reproduces the call, through scales_in and through decode */
    lb_qctx ci = lbt_ctx(r, &s, 17);
    CHECK(lb_quantize(f, q2, x, n, &ci) == LB_OK, "%s: quantize failed", f->name);
    CHECK(lb_decode(f, d, codes, n, &ci) == LB_OK, "%s: decode failed", f->name);
    size_t diff = 0, diff2 = 0;
    for (size_t i = 0; i < n; i++) {
        diff += !lbt_same(q[i], q2[i]);
        diff2 += !lbt_same(q[i], d[i]);
    }
    CHECK(diff == 0, "%s %s %s: quantize with scales_in = scales_out differs in %zu of %zu",
          f->name, what, lb_round_name(r), diff, n);
    CHECK(diff2 == 0, "%s %s %s: decode(encode) differs from quantize in %zu of %zu", f->name, what,
          lb_round_name(r), diff2, n);
    /* the top code: generic (largest magnitude at that scale) and per family (the code) */
    size_t ncodes = (size_t)1 << f->bits;
    float *all = malloc(ncodes * sizeof *all), top = 0.0f;
    if (!all) abort();
    CHECK(lbt_decode_all(f, all, &s) == LB_OK, "%s: decode failed", f->name);
    for (size_t k = 0; k < ncodes; k++)
        if (isfinite(all[k]) && fabsf(all[k]) > top) top = fabsf(all[k]);
    free(all);
    CHECK(fabsf(q[imax]) == top && !signbit(q[imax]) == !signbit(x[imax]),
          "%s %s %s: max |x| = %a quantizes to %a; top magnitude at scale %g is %a", f->name, what,
          lb_round_name(r), x[imax], q[imax], s, top);
    uint32_t code = codes[imax], neg = signbit(x[imax]) != 0;
    if (lbt_is_family(f, "int")) {
        int B = f->bits;
        int64_t qmax = ((int64_t)1 << (B - 1)) - 1;
        CHECK(sext(code, B) == (neg ? -qmax : qmax), "%s %s %s: max |x| %a gets code %lld", f->name,
              what, lb_round_name(r), x[imax], (long long)sext(code, B));
        /* scale = amax / qmax, within the truncation to int_scale_bits */
        double want = (double)amax / (double)qmax;
        double tol = ldexp(want, 1 - int_scale_bits(B)) + ldexp(want, -24);
        CHECK(fabs((double)s - want) <= tol, "%s %s: scale %a for max |x| %a, want %a +- %a",
              f->name, what, s, amax, want, tol);
    } else if (lbt_is_family(f, "lns")) {
        int B = f->bits, L = f->p.lns.logbits, g = 1 << f->p.lns.frac;
        int64_t kmax = ((int64_t)1 << (L - 1)) - 1;
        int zero = f->p.lns.zero_flag ? (int)((code >> (B - 2)) & 1u) : 0;
        CHECK(!zero && sext(code, L) == kmax && ((code >> (B - 1)) & 1u) == neg,
              "%s %s %s: max |x| %a gets code 0x%x, not the largest log code %lld", f->name, what,
              lb_round_name(r), x[imax], code, (long long)kmax);
        /* the offset is an integer that puts the top code within one log step of amax (the
         * offset rounds log2(amax)*2^F down or to nearest) */
        const double log_tol = 1e-9;
        double lg = log2((double)amax) * g - (double)(kmax + (int64_t)s);
        CHECK(s == floorf(s) && lg >= -0.5 - log_tol && lg < 1 + log_tol,
              "%s %s: offset %g for max |x| %a (%.3f log steps above the top code)", f->name, what,
              s, amax, lg);
    }
    free(q);
    free(q2);
    free(d);
    free(codes);
}

static void test_data_scale(const lb_format *f)
{
    static const float small[] = {0.3f, -7.25f, 1e-3f, 2.0f, -0.5f, 3.0f};
    enum { N = 257 };
    float x[N];
    lbt_rng rng = lbt_rng_seed(2024);
    for (int r = LB_ROUND_RNE; r <= LB_ROUND_SR; r++) {
        check_data_scale(f, small, 6, (lb_round)r, "6 values");
        /* many data sets with the largest |x| anywhere between 2^-20 and 2^20 */
        for (int t = 0; t < 64; t++) {
            double amax = exp2(-20 + 40 * lbt_uniform(&rng));
            for (int i = 0; i < N; i++)
                x[i] = (float)(amax * (2 * lbt_uniform(&rng) - 1));
            x[t % N] = (float)((t & 1) ? -amax : amax);
            char what[32];
            snprintf(what, sizeof what, "data set %d", t);
            check_data_scale(f, x, N, (lb_round)r, what);
        }
    }
    /* per-channel scales: every channel's largest |x| on the top code */
    if (f->scale == LB_SCALE_CHANNEL) {
        enum { C = 4, K = 37 };
        float xc[C * K], q[C * K], s[C];
        for (int ch = 0; ch < C; ch++)
            for (int k = 0; k < K; k++)
                xc[ch * K + k] = (float)(exp2(3.0 * ch - 4) * (2 * lbt_uniform(&rng) - 1));
        lb_qctx c = lbt_ctx(LB_ROUND_RNE, NULL, 0);
        c.ndim = 2;
        c.dims[0] = C;
        c.dims[1] = K;
        c.axis = 0;
        c.scales_out = s;
        CHECK(lb_quantize(f, q, xc, C * K, &c) == LB_OK, "%s: per-channel quantize failed",
              f->name);
        int64_t qmax = ((int64_t)1 << (f->bits - 1)) - 1;
        for (int ch = 0; ch < C; ch++) {
            float am = 0, qm = 0;
            for (int k = 0; k < K; k++) {
                am = fmaxf(am, fabsf(xc[ch * K + k]));
                qm = fmaxf(qm, fabsf(q[ch * K + k]));
            }
            CHECK(qm == (float)((double)qmax * s[ch]),
                  "%s: channel %d: max |Q| %a, top code x scale %a", f->name, ch, qm,
                  (double)qmax * s[ch]);
            CHECK(fabs(s[ch] - am / (double)qmax) <=
                      ldexp(am / (double)qmax, 1 - int_scale_bits(f->bits)),
                  "%s: channel %d scale %g, max |x| %g", f->name, ch, s[ch], am);
        }
    }
}

/* Block families (MX, MLS): no codes of their own, so the grid comes from the oracle alone.
 * At fixed power-of-two block scales (scales_in; one block per call, so a non-finite input
 * cannot poison others — block-level NaN rules are test_mx's and test_mls's), every point of
 * build_points quantized by lb_quantize in rne, rna and rtz equals the nearest search over
 * {ref_value(code, scale)} with the oracle's tie parity. */
static long test_block(const lb_format *f)
{
    long before = lb_checks;
    static const float scales[] = {1.0f, 0x1p-3f, 0x1p5f};
    lb_format_info info;
    lb_format_info_get(f, &info);
    size_t ncodes = (size_t)1 << f->bits;
    float *dec = malloc(ncodes * sizeof *dec);
    unsigned char *canon = malloc(ncodes), *even = malloc(ncodes);
    if (!dec || !canon || !even) abort();
    for (size_t k = 0; k < sizeof scales / sizeof *scales; k++) {
        const float s = scales[k];
        for (size_t c = 0; c < ncodes; c++) {
            int cn, ev;
            dec[c] = (float)f->family->ref_value(f, (uint32_t)c, s, &cn, &ev);
            canon[c] = (unsigned char)cn;
            even[c] = (unsigned char)ev;
        }
        ref R;
        memset(&R, 0, sizeof R);
        R.f = f;
        R.info = info;
        if (lbt_grid_build(R.G, dec, canon, ncodes)) abort();
        /* the tie rule is the oracle's parity, not the bit pattern of its element codes */
        for (int sg = 0; sg < 2; sg++)
            for (size_t i = 0; i < R.G[sg].n; i++)
                R.G[sg].code[i] = even[R.G[sg].code[i]] ? 0u : 1u;
        CHECK(R.G[0].v[R.G[0].n - 1] == (float)(info.max * s),
              "%s: largest element %g, info.max %g", f->name, R.G[0].v[R.G[0].n - 1], info.max * s);
        pts P = {0};
        build_points(&R, 0, &P);
        build_points(&R, 1, &P);
        for (int r = LB_ROUND_RNE; r <= LB_ROUND_RTZ; r++)
            for (size_t i = 0; i < P.n; i++) {
                float x = P.x[i], q;
                if (!isfinite(x)) continue;
                lb_qctx c = lbt_ctx((lb_round)r, &s, 99);
                CHECK(lb_quantize(f, &q, &x, 1, &c) == LB_OK, "%s: quantize failed", f->name);
                float e = ref_quantize(&R, x, (lb_round)r);
                CHECK(lbt_same(e, q),
                      "%s block scale %g %s: x=%a (%.9g) -> %a (%.9g), reference %a", f->name, s,
                      lb_round_name((lb_round)r), x, x, q, q, e);
            }
        free(P.x);
        lbt_grid_free(R.G);
    }
    free(dec);
    free(canon);
    free(even);
    return lb_checks - before;
}

int main(void)
{
    struct timespec t0, t1;
    timespec_get(&t0, TIME_UTC);
    int nreg;
    const lb_registry_entry *reg = lb_registry(&nreg);
    int nextra = (int)(sizeof extra_specs / sizeof extra_specs[0]);
    long total = 0;
    int tested = 0;
    for (int i = 0; i < nreg + nextra; i++) {
        const char *spec = i < nreg ? reg[i].name : extra_specs[i - nreg];
        lb_format f;
        lb_error err = {{0}};
        if (lb_format_parse(&f, spec, &err) != LB_OK) {
            CHECK(0, "spec %s does not parse: %s", spec, err.msg);
            continue;
        }
        lb_format_info info;
        lb_format_info_get(&f, &info);
        /* block formats (MX, MLS) have no codes of their own: their elements are checked
         * exhaustively as the element formats (fp, fx) and in test_mls */
        CHECK(info.encodable == (f.bits <= 16 && !info.block), "%s: %d bits but encodable = %d",
              spec, f.bits, info.encodable);
        if (!f.family->ref_value) { /* a family without an oracle is a failure, never a skip */
            CHECK(0,
                  "%s: family '%s' has no test oracle (lb_family.ref_value): add one in its file",
                  spec, f.family->key);
            continue;
        }
        if (info.block && f.bits <= 16) {
            long cases = test_block(&f);
            printf("%-44s %2d bits: %9ld cases (block elements)\n", spec, f.bits, cases);
            total += cases;
            tested++;
            continue;
        }
        if (!info.encodable) {
            printf("%-44s %2d bits: wider than 16 bits, not exhaustive\n", spec, f.bits);
            continue;
        }
        long before = lb_checks;
        if (!info.scaled)
            test_at_scale(&f, NULL);
        else {
            int lns = lbt_is_family(&f, "lns");
            const float *sc = lns ? lns_offsets : int_scales;
            size_t ns = lns ? sizeof lns_offsets / sizeof *lns_offsets
                            : sizeof int_scales / sizeof *int_scales;
            for (size_t k = 0; k < ns; k++)
                test_at_scale(&f, &sc[k]);
            test_data_scale(&f);
        }
        long cases = lb_checks - before;
        printf("%-44s %2d bits: %9ld cases\n", spec, f.bits, cases);
        total += cases;
        tested++;
    }
    timespec_get(&t1, TIME_UTC);
    printf("%d formats, %ld cases in %.2f s\n", tested, total,
           (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
    return lb_check_summary("test_exhaustive_formats");
}
