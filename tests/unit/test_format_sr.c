/* tests/unit/test_format_sr.c — stochastic rounding (round=sr through lb_qctx.round_override):
 *  - between two grid neighbours lo < |x| < hi (taken from lb_decode of every code, at fixed
 *    scales for the scaled families) only the two neighbours occur over SR_N element indices,
 *    and the number of upper ones is within SR_SIGMAS binomial standard deviations of
 *    SR_N (|x|-lo)/(hi-lo) — the linear-domain probability for every family, LNS included;
 *    the mean output is unbiased within the same bound; below the smallest magnitude LNS with
 *    underflow=sat always gives the smallest magnitude; beyond max the upper neighbour is the
 *    overflow result (inf/NaN) of formats that do not saturate;
 *  - unbiasedness over many random x spread over the range (sum of (Q - x)/(hi - lo));
 *  - keying: the same (seed, tensor, step) gives identical output; a different seed, tensor id
 *    or step gives an independent draw (the fraction of elements that differ is 2p(1-p));
 *  - grid values, +-0, +-inf and NaN are not randomised;
 *  - 1 and 2 threads give identical output on 2^20 elements (every mode).
 * Not covered: the generator's own statistics (test_rng). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lb_testutil.h"
#include "lowbit/format.h"

#define SR_SIGMAS 5.0        /* binomial bound: a false alarm has probability ~6e-7 per check */
#define SR_N      20000      /* element indices per probe */
#define SR_NRAND  200000     /* random x for the unbiasedness sum */
#define SR_NBIG   (1u << 20) /* elements for the thread test */

typedef struct sr_case {
    const char *spec;
    int scaled;  /* 1: use the fixed scale below via scales_in */
    float scale; /* int: multiplier; lns: log-code offset */
} sr_case;

static const sr_case cases[] = {
    {"fp8_e4m3", 0, 0},
    {"fp8_e4m3_sat", 0, 0},
    {"fp8_e5m2", 0, 0},
    {"bf16", 0, 0},
    {"fp16", 0, 0},
    {"fp6_e3m2", 0, 0},
    {"fp4_e2m1", 0, 0},
    {"fp:e=5,m=2,nosub", 0, 0},
    {"fx8", 0, 0},
    {"fx16", 0, 0},
    {"fx:wl=8,fl=6,symmetric", 0, 0},
    {"int8", 1, 0.0123f},
    {"int4", 1, 1.0f},
    {"int8_channel", 1, 0.5f},
    {"lns8", 1, -5.0f},
    {"lns16_8", 0, 0},
    {"lns12_5", 0, 0},
    {"lns:bits=8,frac=3,underflow=sat,zero=code", 0, 0},
    {"lns:bits=6,frac=0", 0, 0}, /* base 2: a log-domain probability would be far off */
};

static lb_qctx sr_ctx(const float *scale, uint64_t seed, uint64_t tensor, uint64_t step)
{
    lb_qctx c = lbt_ctx(LB_ROUND_SR, scale, seed);
    c.tensor_id = tensor;
    c.step = step;
    return c;
}

/* Number of elements that differ bitwise. */
static size_t ndiff(const float *a, const float *b, size_t n)
{
    size_t d = 0;
    for (size_t i = 0; i < n; i++)
        d += !lbt_same(a[i], b[i]);
    return d;
}

/* |count - n p| within SR_SIGMAS binomial sigmas (+1 for the discreteness of count). */
static int binomial_ok(double count, double n, double p)
{
    return fabs(count - n * p) <= SR_SIGMAS * sqrt(n * p * (1 - p)) + 1;
}

/* One probe: SR_N copies of x; lo/hi are the magnitudes of the neighbours; up_val the value
 * the upper outcome produces (hi with the sign of x, or the overflow result); p the expected
 * probability of up_val; linear: p is (|x|-lo)/(hi-lo), so the mean must be |x|. */
static void probe(const lb_format *f, const float *scale, const lb_format_info *in, float x,
                  float lo, double hi, float up_val, double p, int linear)
{
    static float xs[SR_N], q[SR_N], q2[SR_N];
    for (size_t i = 0; i < SR_N; i++)
        xs[i] = x;
    lb_qctx c = sr_ctx(scale, 1234, 3, 7);
    CHECK(lb_quantize(f, q, xs, SR_N, &c) == LB_OK, "%s: quantize failed", f->name);
    int neg = signbit(x) != 0;
    float lo_val = neg ? -lo : lo;
    if (lo == 0.0f) lo_val = (neg && in->signed_zero) ? -0.0f : 0.0f;
    long nup = 0, other = 0;
    double sum = 0;
    for (size_t i = 0; i < SR_N; i++) {
        if (lbt_same(q[i], up_val)) {
            nup++;
            sum += hi;
        } else if (lbt_same(q[i], lo_val))
            sum += lo;
        else
            other++;
    }
    CHECK(other == 0, "%s: SR of %a gave %ld values that are neither %a nor %a", f->name, x, other,
          lo_val, up_val);
    CHECK(binomial_ok((double)nup, SR_N, p),
          "%s: SR of %a (between %a and %a): %ld of %d up, expected p = %.6f", f->name, x, lo, hi,
          nup, SR_N, p);
    /* unbiased: the mean magnitude is |x| within the same bound (strictly between neighbours) */
    double ax = fabs((double)x);
    if (linear && isfinite(up_val) && ax > lo && ax < hi) {
        double mean = sum / SR_N;
        double tol = SR_SIGMAS * (hi - lo) * sqrt(p * (1 - p) / SR_N) + (hi - lo) / SR_N;
        CHECK(fabs(mean - ax) <= tol, "%s: SR mean of %a is %.9g, bias %.3g > %.3g", f->name, x,
              mean, mean - ax, tol);
    }
    /* keying: identical for the same key; independent draws for another seed, tensor, step */
    CHECK(lb_quantize(f, q2, xs, SR_N, &c) == LB_OK, "%s: quantize failed", f->name);
    CHECK(ndiff(q, q2, SR_N) == 0, "%s: SR of %a not reproducible for the same key", f->name, x);
    const lb_qctx other_keys[] = {sr_ctx(scale, 1235, 3, 7), sr_ctx(scale, 1234, 4, 7),
                                  sr_ctx(scale, 1234, 3, 8)};
    static const char *const what[] = {"seed", "tensor id", "step"};
    for (int k = 0; k < 3; k++) {
        CHECK(lb_quantize(f, q2, xs, SR_N, &other_keys[k]) == LB_OK, "%s: quantize failed",
              f->name);
        double pd = 2 * p * (1 - p); /* two independent draws differ */
        size_t d = ndiff(q, q2, SR_N);
        CHECK(binomial_ok((double)d, SR_N, pd),
              "%s: SR of %a: another %s changes %zu of %d outputs, expected %.1f", f->name, x,
              what[k], d, SR_N, SR_N * pd);
    }
}

/* Probes between grid neighbours of both signs, below the smallest and beyond the largest. */
static void probes(const lb_format *f, const float *scale, const lb_format_info *in,
                   const lbt_grid G[2])
{
    static const double fracs[] = {0.1, 0.37, 0.5, 0.9};
    int lns_under_sat = lbt_is_family(f, "lns") && !f->p.lns.underflow_zero;
    for (int sg = 0; sg < 2; sg++) {
        const lbt_grid *g = &G[sg];
        size_t n = g->n;
        size_t ranks[] = {0, 1, n / 4, n / 2, (3 * n) / 4, n - 2};
        for (size_t r = 0; r < sizeof ranks / sizeof *ranks; r++) {
            size_t i = ranks[r];
            if (i + 1 >= n || (r > 0 && i == ranks[r - 1])) continue;
            float lo = g->v[i], hi = g->v[i + 1];
            for (size_t k = 0; k < sizeof fracs / sizeof *fracs; k++) {
                float m = (float)((double)lo + fracs[k] * ((double)hi - lo));
                if (!(m > lo && m < hi)) continue;
                double p = ((double)m - lo) / ((double)hi - lo);
                int linear = !(i == 0 && lns_under_sat);
                if (!linear) p = 1; /* below min_pos: always min_pos (underflow=sat) */
                float x = sg ? -m : m;
                probe(f, scale, in, x, lo, hi, sg ? -hi : hi, p, linear);
            }
        }
        /* beyond the largest magnitude */
        float mx = g->v[n - 1];
        double nam = in->next_above_max;
        if (in->overflow != LB_OVERFLOW_SAT && nam > mx) {
            float ovf = in->overflow == LB_OVERFLOW_INF ? (sg ? -INFINITY : INFINITY) : NAN;
            for (size_t k = 0; k < sizeof fracs / sizeof *fracs; k++) {
                float m = (float)((double)mx + fracs[k] * (nam - mx));
                if (!(m > mx && m < nam)) continue;
                probe(f, scale, in, sg ? -m : m, mx, nam, ovf, ((double)m - mx) / (nam - mx), 1);
            }
        } else if (in->overflow == LB_OVERFLOW_SAT && mx < FLT_MAX / 2) {
            float m = mx * 1.5f;
            probe(f, scale, in, sg ? -m : m, mx, mx, sg ? -mx : mx, 1.0, 0);
        }
    }
}

/* Values that SR must not randomise: grid values, +-0, +-inf, NaN. */
static void fixed_points(const lb_format *f, const float *scale, const lbt_grid G[2])
{
    enum { M = 4096 };
    static float x[M], qs[M], qn[M];
    size_t m = 0;
    for (int sg = 0; sg < 2; sg++)
        for (size_t i = 0; i < G[sg].n && m < M - 8; i += 1 + G[sg].n / 1000)
            x[m++] = sg ? -G[sg].v[i] : G[sg].v[i];
    x[m++] = 0.0f;
    x[m++] = -0.0f;
    x[m++] = INFINITY;
    x[m++] = -INFINITY;
    x[m++] = NAN;
    lb_qctx cs = sr_ctx(scale, 5, 6, 7), cn = lbt_ctx(LB_ROUND_RNE, scale, 0);
    CHECK(lb_quantize(f, qs, x, m, &cs) == LB_OK, "%s: quantize failed", f->name);
    CHECK(lb_quantize(f, qn, x, m, &cn) == LB_OK, "%s: quantize failed", f->name);
    for (size_t i = 0; i < m; i++)
        CHECK(lbt_same(qs[i], qn[i]), "%s: SR of the fixed point %a gave %a, rne %a", f->name, x[i],
              qs[i], qn[i]);
}

/* Unbiasedness over many x: z = sum (|Q| - |x|)/(hi - lo) has mean 0 and variance
 * sum p(1-p). */
static void random_unbiased(const lb_format *f, const float *scale, const lbt_grid G[2])
{
    float *x = malloc(SR_NRAND * sizeof *x), *q = malloc(SR_NRAND * sizeof *q);
    if (!x || !q) abort();
    lbt_rng rng = lbt_rng_seed(77);
    double lmin = log2((double)G[0].v[1]), lmax = log2((double)G[0].v[G[0].n - 1]);
    for (size_t i = 0; i < SR_NRAND; i++) {
        float m = (float)exp2(lmin + (lmax - lmin) * lbt_uniform(&rng));
        x[i] = (lbt_next(&rng) & 1) ? -m : m;
    }
    lb_qctx c = sr_ctx(scale, 99, 1, 2);
    CHECK(lb_quantize(f, q, x, SR_NRAND, &c) == LB_OK, "%s: quantize failed", f->name);
    double z = 0, var = 0;
    long bad = 0;
    for (size_t i = 0; i < SR_NRAND; i++) {
        const lbt_grid *g = &G[signbit(x[i]) != 0];
        double a = fabs((double)x[i]);
        size_t k = lbt_grid_floor(g, a);
        if (k + 1 >= g->n || (double)g->v[k] == a) continue; /* at the ends or on the grid */
        double lo = g->v[k], hi = g->v[k + 1], aq = fabs((double)q[i]);
        if (aq != lo && aq != hi) {
            bad++;
            continue;
        }
        double p = (a - lo) / (hi - lo);
        z += (aq - a) / (hi - lo);
        var += p * (1 - p);
    }
    CHECK(bad == 0, "%s: SR of %ld random x gave a value other than their neighbours", f->name,
          bad);
    CHECK(fabs(z) <= SR_SIGMAS * sqrt(var) + 1,
          "%s: SR biased over %d random x: sum (Q-x)/(hi-lo) = %.2f, sigma %.2f", f->name, SR_NRAND,
          z, sqrt(var));
    free(x);
    free(q);
}

/* 1 and 2 threads: identical output in every mode, with the given scale and data-driven. */
static void threads_same(const lb_format *f, const float *scale, const lbt_grid G[2])
{
    float *x = malloc(SR_NBIG * sizeof *x), *a = malloc(SR_NBIG * sizeof *a),
          *b = malloc(SR_NBIG * sizeof *b);
    if (!x || !a || !b) abort();
    lbt_rng rng = lbt_rng_seed(123);
    double lmin = log2((double)G[0].v[1]) - 2, lmax = log2((double)G[0].v[G[0].n - 1]) + 2;
    for (size_t i = 0; i < SR_NBIG; i++) {
        float m = (float)exp2(lmin + (lmax - lmin) * lbt_uniform(&rng));
        x[i] = (lbt_next(&rng) & 1) ? -m : m;
    }
    x[17] = NAN, x[18] = INFINITY, x[19] = -0.0f, x[20] = 0x1p-149f;
    for (int withscale = 0; withscale < 1 + (scale != NULL); withscale++)
        for (int r = LB_ROUND_RNE; r <= LB_ROUND_SR; r++) {
            lb_qctx c1 = lbt_ctx((lb_round)r, withscale ? scale : NULL, 31), c2 = c1;
            c1.threads = 1;
            c2.threads = 2;
            c1.step = c2.step = 4;
            CHECK(lb_quantize(f, a, x, SR_NBIG, &c1) == LB_OK, "%s: quantize failed", f->name);
            CHECK(lb_quantize(f, b, x, SR_NBIG, &c2) == LB_OK, "%s: quantize failed", f->name);
            size_t d = ndiff(a, b, SR_NBIG);
            CHECK(d == 0, "%s %s%s: 1 and 2 threads differ in %zu of %u elements", f->name,
                  lb_round_name((lb_round)r), withscale ? " (fixed scale)" : "", d, SR_NBIG);
        }
    free(x);
    free(a);
    free(b);
}

int main(void)
{
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        const sr_case *sc = &cases[t];
        lb_format f;
        lb_error err = {{0}};
        if (lb_format_parse(&f, sc->spec, &err) != LB_OK) {
            CHECK(0, "%s does not parse: %s", sc->spec, err.msg);
            continue;
        }
        lb_format_info in;
        lb_format_info_get(&f, &in);
        const float *scale = sc->scaled ? &sc->scale : NULL;
        size_t ncodes = (size_t)1 << f.bits;
        float *dec = malloc(ncodes * sizeof *dec);
        if (!dec) abort();
        CHECK(lbt_decode_all(&f, dec, scale) == LB_OK, "%s: decode failed", f.name);
        lbt_grid G[2];
        if (lbt_grid_build(G, dec, NULL, ncodes)) abort();
        free(dec);
        long before = lb_checks;
        probes(&f, scale, &in, G);
        fixed_points(&f, scale, G);
        random_unbiased(&f, scale, G);
        threads_same(&f, scale, G);
        printf("%-44s %6ld checks\n", sc->spec, lb_checks - before);
        lbt_grid_free(G);
    }
    return lb_check_summary("test_format_sr");
}
