/* tests/exhaustive/test_grid.c — every registered format of at most 16 bits (plus a few extra
 * specs) against an independent brute-force reference:
 *  1. decode: every code decoded by lb_decode equals the family's oracle (lb_family.ref_value,
 *     written from the format definition in the family's file, not from its quantizer; a
 *     registered family without one fails here);
 *  2. rounding: the grid is the sorted set of decoded magnitudes; for every grid value, the
 *     floats just beside it, the floats around every midpoint (linear, or geometric for
 *     log-domain formats), values beyond the largest magnitude, +-inf, NaN, float subnormals
 *     and -0, the result of lb_quantize for rne, rna and rtz equals a nearest search with the
 *     mode's tie rule (rne: even code, both even -> toward zero; rna: away from zero; rtz:
 *     toward zero) and the format's
 *     overflow policy;
 *  3. lb_decode(lb_encode(x)) == lb_quantize(x) bit for bit on all of those points, in every
 *     mode including sr.
 * Scaled formats are tested at fixed scales (lb_qctx.scales_in); the data-driven scale is
 * checked separately (the largest |x| lands on the largest code). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lowbit/format.h"

static uint32_t f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static int same(float a, float b)
{
    return (isnan(a) && isnan(b)) || f2u(a) == f2u(b);
}

/* ---- 1. independent decoders ------------------------------------------------------------ */

/* Truncate a positive double to `bits` significant bits (the int scale rule). */
static double round_sig(double v, int bits)
{
    int e;
    double m = frexp(v, &e); /* v = m 2^e, m in [0.5, 1) */
    return ldexp(floor(ldexp(m, bits)), e - bits);
}

/* Value of code c from the family's oracle (lb_family.ref_value, written from the format's
 * definition in the family's file, independent of its quantizer). int formats apply their scale
 * truncated to 25 - W significant bits (lib/src/formats/int.c), so the oracle gets that one. */
static float ref_decode(const lb_format *f, uint32_t c, float scale)
{
    int canonical, even;
    double s = scale;
    if (!strcmp(f->family->key, "int")) s = round_sig(scale, 25 - f->p.iq.bits);
    return (float)f->family->ref_value(f, c, s, &canonical, &even);
}

/* ---- 2. the brute-force rounding reference ----------------------------------------------- */

typedef struct grid {
    float *v;            /* sorted distinct non-negative finite magnitudes; v[0] = 0 */
    unsigned char *even; /* 1 if the canonical code of v[i] is even */
    size_t n;
    lb_format_info info;
    const lb_format *f;
    float scale;
} grid;

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Magnitude rounded from |x| (finite) in mode r; returns the magnitude or +inf / NaN for
 * overflow policies; *rank_out gets the rank or -1. */
static float ref_round_mag(const grid *G, double ax, lb_round r)
{
    const float *v = G->v;
    size_t n = G->n, lo = 0, hi = n; /* largest i with v[i] <= ax */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if ((double)v[mid] <= ax)
            lo = mid;
        else
            hi = mid;
    }
    size_t i = lo;
    if ((double)v[i] == ax) return v[i];
    float ovf; /* what rounding up past the largest magnitude gives */
    double up;
    int log_dom = G->info.log_rounding;
    if (i == n - 1) {
        if (G->info.overflow == LB_OVERFLOW_SAT || r == LB_ROUND_RTZ) return v[n - 1];
        ovf = G->info.overflow == LB_OVERFLOW_INF ? INFINITY : NAN;
        up = G->info.next_above_max;
    } else {
        ovf = v[i + 1];
        up = v[i + 1];
    }
    if (log_dom && i == 0) { /* LNS below the smallest magnitude */
        const lb_format *f = G->f;
        if (!f->p.lns.underflow_zero) return v[1];
        if (r == LB_ROUND_RTZ) return 0.0f;
        int g = 1 << f->p.lns.frac;
        int kmin = -(1 << (f->p.lns.logbits - 1)) + (f->p.lns.zero_flag ? 0 : 1);
        int off = f->scale == LB_SCALE_TENSOR ? (int)G->scale : 0;
        long double below = (float)exp2l((long double)(kmin - 1 + off) / g);
        long double thr = sqrtl(below * (long double)v[1]);
        return (long double)ax >= thr ? v[1] : 0.0f;
    }
    if (r == LB_ROUND_RTZ) return v[i];
    long double mid = log_dom ? sqrtl((long double)v[i] * (long double)up)
                              : ((long double)v[i] + (long double)up) / 2;
    if ((long double)ax < mid) return v[i];
    if ((long double)ax > mid) return ovf;
    if (r == LB_ROUND_RNA) return ovf;
    /* rne: the even code; both even (0 and a min normal without subnormals): toward zero.
     * The virtual value above max has the opposite parity of max's code. */
    int even_lo = G->even[i], even_hi = i + 1 < n ? G->even[i + 1] : !G->even[i];
    return (even_lo || !even_hi) ? v[i] : ovf;
}

/* G[0]: magnitudes of the non-negative grid values, G[1]: of the negative ones (they differ
 * for two's-complement fixed point, where -2^(W-1) has no positive twin). */
static float ref_quantize(const grid *G2, float x, lb_round r)
{
    const grid *G = &G2[signbit(x) ? 1 : 0];
    const lb_format_info *in = &G->info;
    if (isnan(x)) return in->has_nan ? NAN : 0.0f;
    float m;
    if (isinf(x)) {
        m = in->overflow == LB_OVERFLOW_SAT   ? G->v[G->n - 1]
            : in->overflow == LB_OVERFLOW_INF ? INFINITY
                                              : NAN;
    } else
        m = ref_round_mag(G, fabs((double)x), r);
    if (isnan(m)) return NAN;
    if (m == 0.0f) return (signbit(x) && in->signed_zero) ? -0.0f : 0.0f;
    return signbit(x) ? -m : m;
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
        p->x = realloc(p->x, p->cap * sizeof *p->x);
        if (!p->x) abort();
    }
    p->x[p->n++] = x;
}

static void add_both(pts *p, float x)
{
    add(p, x);
    add(p, -x);
}

/* The floats nearest to a long double value t (t itself if representable, and neighbours). */
static void add_around(pts *p, long double t)
{
    if (!(t > 0) || t > FLT_MAX) return;
    float f = (float)t;
    add_both(p, f);
    add_both(p, nextafterf(f, INFINITY));
    if (f > 0) add_both(p, nextafterf(f, 0));
}

static void build_points(const grid *G, pts *p)
{
    for (size_t i = 0; i < G->n; i++) {
        float v = G->v[i];
        add_both(p, v);
        add_both(p, nextafterf(v, INFINITY));
        if (v > 0) add_both(p, nextafterf(v, 0));
        if (i + 1 < G->n) {
            long double a = v, b = G->v[i + 1];
            add_around(p, G->info.log_rounding ? sqrtl(a * b) : (a + b) / 2);
            add_around(p, a + (b - a) / 4); /* inside the interval, off the midpoint */
        }
    }
    float mx = G->v[G->n - 1];
    long double nx = G->info.next_above_max;
    if (nx > 0) {
        add_around(p, nx);
        add_around(p, ((long double)mx + nx) / 2);
    }
    add_around(p, (long double)mx * 1.25L);
    add_around(p, (long double)mx * 4);
    add_both(p, FLT_MAX);
    add_both(p, INFINITY);
    add(p, NAN);
    add(p, -NAN);
    add_both(p, 1e-45f);
    add_both(p, 1e-40f);
    add_both(p, FLT_MIN);
    add_both(p, 0.0f);
    if (G->info.log_rounding && G->n > 1) { /* around the LNS underflow threshold */
        const lb_format *f = G->f;
        int g = 1 << f->p.lns.frac;
        int kmin = -(1 << (f->p.lns.logbits - 1)) + (f->p.lns.zero_flag ? 0 : 1);
        int off = f->scale == LB_SCALE_TENSOR ? (int)G->scale : 0;
        long double below = (float)exp2l((long double)(kmin - 1 + off) / g);
        add_around(p, sqrtl(below * (long double)G->v[1]));
        add_around(p, (long double)G->v[1] / 2);
    }
}

/* ---- per format --------------------------------------------------------------------------- */

static long test_format_at_scale(const lb_format *f, float scale)
{
    long before = lb_checks;
    lb_format_info info;
    lb_format_info_get(f, &info);
    size_t ncodes = (size_t)1 << f->bits;
    uint16_t *codes = malloc(ncodes * sizeof *codes);
    float *dec = malloc(ncodes * sizeof *dec);
    for (size_t c = 0; c < ncodes; c++)
        codes[c] = (uint16_t)c;
    lb_qctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.scales_in = info.scaled ? &scale : NULL;
    CHECK(lb_decode(f, dec, codes, ncodes, &ctx) == LB_OK, "%s: decode failed", f->name);

    /* 1. decode vs the family's oracle */
    for (size_t c = 0; c < ncodes; c++) {
        float r = ref_decode(f, (uint32_t)c, scale);
        CHECK(same(r, dec[c]), "%s scale %g: code 0x%zx decodes to %a, reference %a", f->name,
              scale, c, dec[c], r);
    }

    /* 2. grids (one per sign) and rounding */
    grid G[2];
    for (int sg = 0; sg < 2; sg++) {
        G[sg] = (grid){.info = info, .f = f, .scale = scale};
        G[sg].v = malloc((ncodes + 1) * sizeof *G[sg].v);
        G[sg].v[G[sg].n++] = 0.0f;
        for (size_t c = 0; c < ncodes; c++)
            if (isfinite(dec[c]) && dec[c] != 0.0f && (signbit(dec[c]) != 0) == sg)
                G[sg].v[G[sg].n++] = fabsf(dec[c]);
        qsort(G[sg].v, G[sg].n, sizeof *G[sg].v, cmp_float);
        size_t u = 1;
        for (size_t i = 1; i < G[sg].n; i++)
            if (G[sg].v[i] != G[sg].v[u - 1]) G[sg].v[u++] = G[sg].v[i];
        G[sg].n = u;
        /* parity of each value's canonical code (what encode returns for the exact value; the
         * encode/decode round trip of such values is itself checked below) */
        G[sg].even = malloc(G[sg].n);
        uint16_t *cv = malloc(G[sg].n * sizeof *cv);
        float *sv = malloc(G[sg].n * sizeof *sv);
        for (size_t i = 0; i < G[sg].n; i++)
            sv[i] = sg ? -G[sg].v[i] : G[sg].v[i];
        CHECK(lb_encode(f, cv, sv, G[sg].n, &ctx) == LB_OK, "%s: encode failed", f->name);
        for (size_t i = 0; i < G[sg].n; i++)
            G[sg].even[i] = !(cv[i] & 1u);
        free(cv);
        free(sv);
    }
    if (!info.scaled)
        CHECK(G[0].v[G[0].n - 1] == (float)info.max, "%s: largest decoded %a, info.max %a", f->name,
              G[0].v[G[0].n - 1], info.max);

    pts P = {0};
    build_points(&G[0], &P);
    build_points(&G[1], &P);
    float *q = malloc(P.n * sizeof *q), *d = malloc(P.n * sizeof *d);
    uint16_t *cc = malloc(P.n * sizeof *cc);
    for (int r = LB_ROUND_RNE; r <= LB_ROUND_SR; r++) {
        lb_qctx c2 = ctx;
        c2.round_override = 1 + r;
        c2.seed = 99;
        CHECK(lb_quantize(f, q, P.x, P.n, &c2) == LB_OK, "%s: quantize failed", f->name);
        if (r != LB_ROUND_SR)
            for (size_t i = 0; i < P.n; i++) {
                float e = ref_quantize(G, P.x[i], (lb_round)r);
                CHECK(same(e, q[i]), "%s scale %g %s: x=%a (%.9g) -> %a, reference %a", f->name,
                      scale, lb_round_name((lb_round)r), P.x[i], P.x[i], q[i], e);
            }
        /* 3. encode/decode path agrees bit for bit */
        CHECK(lb_encode(f, cc, P.x, P.n, &c2) == LB_OK, "%s: encode failed", f->name);
        CHECK(lb_decode(f, d, cc, P.n, &c2) == LB_OK, "%s: decode failed", f->name);
        for (size_t i = 0; i < P.n; i++)
            CHECK(same(q[i], d[i]), "%s %s: x=%a quantize %a but decode(encode) %a (code 0x%x)",
                  f->name, lb_round_name((lb_round)r), P.x[i], q[i], d[i], cc[i]);
    }
    free(q);
    free(d);
    free(cc);
    free(P.x);
    free(G[0].v);
    free(G[1].v);
    free(G[0].even);
    free(G[1].even);
    free(codes);
    free(dec);
    return lb_checks - before;
}

/* The data-driven scale: max |x| of the data must land on the largest code, i.e. its
 * quantized value is the largest magnitude of the grid at the scale the call reports. */
static void test_data_scale(const lb_format *f)
{
    static const float data[] = {0.3f, -7.25f, 1e-3f, 2.0f, -0.5f, 3.0f};
    float out[6], dec[6], sc = 0;
    lb_qctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.scales_out = &sc;
    CHECK(lb_quantize(f, out, data, 6, &ctx) == LB_OK, "%s: quantize failed", f->name);
    size_t ncodes = (size_t)1 << f->bits;
    uint16_t *codes = malloc(ncodes * sizeof *codes);
    float *all = malloc(ncodes * sizeof *all), top = 0;
    for (size_t c = 0; c < ncodes; c++)
        codes[c] = (uint16_t)c;
    lb_qctx c2;
    memset(&c2, 0, sizeof c2);
    c2.scales_in = &sc;
    CHECK(lb_decode(f, all, codes, ncodes, &c2) == LB_OK, "%s: decode failed", f->name);
    for (size_t c = 0; c < ncodes; c++)
        if (isfinite(all[c]) && fabsf(all[c]) > top) top = fabsf(all[c]);
    CHECK(out[1] == -top, "%s: max |x| 7.25 -> %a, largest magnitude at its scale %a", f->name,
          out[1], top);
    CHECK(fabs(log2(top / 7.25)) <= 0.5 + 1e-9, "%s: top magnitude %g far from max |x| 7.25",
          f->name, top);
    uint16_t c[6];
    memset(&c2, 0, sizeof c2);
    CHECK(lb_encode(f, c, data, 6, &c2) == LB_OK, "%s: encode failed", f->name);
    c2.scales_in = &sc;
    CHECK(lb_decode(f, dec, c, 6, &c2) == LB_OK, "%s: decode failed", f->name);
    for (int i = 0; i < 6; i++)
        CHECK(same(dec[i], out[i]), "%s: data scale: decode %a vs quantize %a", f->name, dec[i],
              out[i]);
    free(codes);
    free(all);
}

int main(void)
{
    static const char *extra[] = {"fp:e=5,m=2,nosub",
                                  "fp:e=4,m=3,sat",
                                  "fp:e=3,m=2,bias=5",
                                  "fp:e=5,m=3,specials=fn",
                                  "fp:e=4,m=2,specials=none",
                                  "fp:e=8,m=7,nosub",
                                  "fx:wl=8,fl=6,symmetric",
                                  "fx:wl=10,fl=-2",
                                  "fx:wl=16,fl=20",
                                  "int:bits=5",
                                  "lns:bits=10,frac=2",
                                  "lns:bits=9,frac=4,zero=code",
                                  "lns:bits=8,frac=3,underflow=sat,zero=code"};
    int nreg;
    const lb_registry_entry *reg = lb_registry(&nreg);
    int total = nreg + (int)(sizeof extra / sizeof extra[0]);
    for (int i = 0; i < total; i++) {
        const char *spec = i < nreg ? reg[i].name : extra[i - nreg];
        lb_format f;
        lb_error err;
        if (lb_format_parse(&f, spec, &err) != LB_OK) {
            CHECK(0, "%s does not parse: %s", spec, err.msg);
            continue;
        }
        lb_format_info info;
        lb_format_info_get(&f, &info);
        if (!f.family->ref_value) { /* a family without an oracle is a failure, never a skip */
            CHECK(0, "%s: family '%s' has no test oracle (lb_family.ref_value)", spec,
                  f.family->key);
            continue;
        }
        if (!info.encodable) { /* block formats: test_exhaustive_formats (d) */
            printf("%-42s %2d bits: no codes (wider than 16 bits or a block format)\n", spec,
                   f.bits);
            continue;
        }
        long n = 0;
        if (!info.scaled)
            n += test_format_at_scale(&f, 1.0f);
        else if (!strcmp(f.family->key, "lns")) {
            n += test_format_at_scale(&f, 0.0f);
            n += test_format_at_scale(&f, -5.0f);
            test_data_scale(&f);
        } else {
            n += test_format_at_scale(&f, 1.0f);
            n += test_format_at_scale(&f, 0.0123f);
            test_data_scale(&f);
        }
        printf("%-42s %2d bits: %ld cases\n", spec, f.bits, n);
    }
    return lb_check_summary("test_grid");
}
