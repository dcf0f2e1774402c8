/* tests/unit/test_rounding_props.c — properties of quantization on every registered format:
 *  - stochastic rounding: only the two neighbours occur, the frequency of the upper one is
 *    within a 5-sigma binomial bound of (|x|-lo)/(hi-lo) (linear domain, LNS included), the mean
 *    is unbiased within the same bound, and the draws are a function of (seed, tensor, step,
 * index);
 *  - 1 and 2 threads give bit-identical output (SR included) on 2^20 elements;
 *  - idempotence Q(Q(x)) = Q(x), monotonicity (x <= y => Q(x) <= Q(y)) for rne/rna/rtz, and
 *    symmetry Q(-x) = -Q(x) for sign-symmetric formats, on seeded random data over the range. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lowbit/format.h"
#include "lowbit/rng.h"

static uint32_t f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static lb_qctx ctx_for(lb_round r, uint64_t seed, uint64_t step, int threads)
{
    lb_qctx c;
    memset(&c, 0, sizeof c);
    c.round_override = 1 + (int)r;
    c.seed = seed;
    c.step = step;
    c.threads = threads;
    return c;
}

/* Seeded data spread log-uniformly over [min_pos/4, 4 max] with random signs. */
static void fill(float *x, size_t n, const lb_format_info *in, uint64_t seed)
{
    double lo = log2(in->min_pos / 4), hi = log2(in->max * 4);
    if (hi > 127) hi = 127;
    if (lo < -149) lo = -149;
    lb_rng_key k = lb_rng_make_key(seed, 0, 0);
    for (size_t i = 0; i < n; i++) {
        double u = lb_rng_uniform(k, 2 * i);
        float v = (float)exp2(lo + u * (hi - lo));
        x[i] = (lb_rng_u32(k, 2 * i + 1) & 1) ? -v : v;
    }
}

static void sr_frequencies(const lb_format *f)
{
    lb_format_info in;
    lb_format_info_get(f, &in);
    if (in.scaled) return; /* the scale follows the data; tested with fixed scales elsewhere */
    enum { N = 20000 };
    static float x[N], q[N];
    /* a few points between grid neighbours: lo and hi from rtz and the next value up */
    const float probes[] = {0.3f, 1.1f, 1.7f, 0.013f, 5.5f};
    for (size_t p = 0; p < sizeof probes / sizeof probes[0]; p++) {
        float v = probes[p] * (float)(in.max < 8 ? in.max / 8 : 1.0);
        lb_qctx rz = ctx_for(LB_ROUND_RTZ, 0, 0, 1);
        float lo, hi, up = v;
        lb_quantize(f, &lo, &v, 1, &rz);
        if (lo == v) continue; /* on the grid */
        /* hi: the next grid value up. Grow a step d from one ulp until RTZ(v + d) leaves lo;
         * the previous v + d/2 was below hi, so v + d is below the value after hi. */
        for (double d = (double)nextafterf(v, INFINITY) - v; d < 1e30; d *= 2) {
            up = (float)(v + d);
            lb_quantize(f, &hi, &up, 1, &rz);
            if (hi > lo) break;
        }
        for (size_t i = 0; i < N; i++)
            x[i] = v;
        lb_qctx sr = ctx_for(LB_ROUND_SR, 1234, 7, 1);
        sr.tensor_id = 3;
        lb_quantize(f, q, x, N, &sr);
        long nup = 0, other = 0;
        for (size_t i = 0; i < N; i++) {
            if (q[i] == hi)
                nup++;
            else if (q[i] != lo)
                other++;
        }
        CHECK(other == 0, "%s: SR of %g gave %ld values that are neither %g nor %g", f->name, v,
              other, lo, hi);
        double pr = ((double)v - lo) / ((double)hi - lo);
        double sigma = sqrt(N * pr * (1 - pr)) + 1e-9;
        CHECK(fabs(nup - N * pr) <= 5 * sigma + 1,
              "%s: SR of %g: %ld of %d up, expected %.1f +- %.1f (5 sigma)", f->name, v, nup, N,
              N * pr, 5 * sigma);
        /* determinism and keying */
        float q2[64], q3[64];
        lb_quantize(f, q2, x, 64, &sr);
        CHECK(!memcmp(q2, q, sizeof q2), "%s: SR not deterministic", f->name);
        lb_qctx other_step = sr;
        other_step.step = 8;
        lb_quantize(f, q3, x, 64, &other_step);
        if (pr > 0.2 && pr < 0.8)
            CHECK(memcmp(q2, q3, sizeof q2), "%s: SR draws do not depend on the step", f->name);
    }
}

static void threads_and_properties(const lb_format *f)
{
    lb_format_info in;
    lb_format_info_get(f, &in);
    size_t n = (size_t)1 << 20;
    float *x = malloc(n * 4), *a = malloc(n * 4), *b = malloc(n * 4), *c = malloc(n * 4);
    fill(x, n, &in, 11);
    for (int r = LB_ROUND_RNE; r <= LB_ROUND_SR; r++) {
        lb_qctx c1 = ctx_for((lb_round)r, 5, 2, 1), c2 = ctx_for((lb_round)r, 5, 2, 2);
        lb_quantize(f, a, x, n, &c1);
        lb_quantize(f, b, x, n, &c2);
        size_t diff = 0;
        for (size_t i = 0; i < n; i++)
            diff += f2u(a[i]) != f2u(b[i]);
        CHECK(diff == 0, "%s %s: 1 and 2 threads differ in %zu of %zu elements", f->name,
              lb_round_name((lb_round)r), diff, n);
        if (r == LB_ROUND_SR) continue;
        /* idempotence (scaled formats: the scale of Q(x) is recomputed from Q(x)'s max, which
         * is on the grid, so the grid is unchanged) */
        lb_quantize(f, c, a, n, &c1);
        diff = 0;
        for (size_t i = 0; i < n; i++)
            diff += f2u(a[i]) != f2u(c[i]) && !(isnan(a[i]) && isnan(c[i]));
        CHECK(diff == 0, "%s %s: Q(Q(x)) != Q(x) for %zu elements", f->name,
              lb_round_name((lb_round)r), diff);
    }
    /* monotonicity on sorted data (one call, so scaled formats share one scale) */
    size_t m = 4096;
    float *s = malloc(m * 4), *qs = malloc(m * 4);
    for (size_t i = 0; i < m; i++)
        s[i] = x[i];
    for (size_t i = 1; i < m; i++) /* insertion sort is fine at this size */
        for (size_t j = i; j > 0 && s[j - 1] > s[j]; j--) {
            float t = s[j];
            s[j] = s[j - 1];
            s[j - 1] = t;
        }
    for (int r = LB_ROUND_RNE; r <= LB_ROUND_RTZ; r++) {
        lb_qctx c1 = ctx_for((lb_round)r, 0, 0, 1);
        lb_quantize(f, qs, s, m, &c1);
        size_t bad = 0;
        for (size_t i = 1; i < m; i++)
            bad += qs[i] < qs[i - 1];
        /* block formats: monotonic within a block only (test_mx, test_mls) */
        CHECK(bad == 0 || in.block, "%s %s: not monotonic at %zu places", f->name,
              lb_round_name((lb_round)r), bad);
        /* symmetry for formats whose grid is sign-symmetric (not two's-complement fixed point) */
        if (strcmp(f->family->key, "fx") != 0) {
            for (size_t i = 0; i < m; i++)
                c[i] = -s[i];
            lb_quantize(f, b, c, m, &c1);
            size_t asym = 0;
            for (size_t i = 0; i < m; i++)
                asym += !(isnan(qs[i]) && isnan(b[i])) && f2u(-qs[i]) != f2u(b[i]) &&
                        !(qs[i] == 0 && b[i] == 0);
            CHECK(asym == 0, "%s %s: Q(-x) != -Q(x) for %zu elements", f->name,
                  lb_round_name((lb_round)r), asym);
        }
    }
    free(s);
    free(qs);
    free(x);
    free(a);
    free(b);
    free(c);
}

static void rng_bits(void)
{
    /* every one of the 32 output bits is balanced within 5 sigma over 2^20 indices */
    const long n = 1 << 20;
    long ones[32] = {0};
    lb_rng_key k = lb_rng_make_key(42, 9, 3);
    for (long i = 0; i < n; i++) {
        uint32_t u = lb_rng_u32(k, (uint64_t)i);
        for (int b = 0; b < 32; b++)
            ones[b] += (u >> b) & 1;
    }
    double sigma = sqrt(n * 0.25);
    for (int b = 0; b < 32; b++)
        CHECK(fabs(ones[b] - n / 2.0) <= 5 * sigma, "rng bit %d: %ld ones of %ld", b, ones[b], n);
    lb_rng_key k2 = lb_rng_make_key(42, 9, 4), k3 = lb_rng_make_key(43, 9, 3);
    long same2 = 0, same3 = 0;
    for (long i = 0; i < 4096; i++) {
        same2 += lb_rng_u32(k, (uint64_t)i) == lb_rng_u32(k2, (uint64_t)i);
        same3 += lb_rng_u32(k, (uint64_t)i) == lb_rng_u32(k3, (uint64_t)i);
    }
    CHECK(same2 < 4 && same3 < 4, "rng streams of different keys coincide (%ld, %ld)", same2,
          same3);
    CHECK(lb_rng_u32(k, 77) == lb_rng_u32(lb_rng_make_key(42, 9, 3), 77), "rng not a function");
}

int main(void)
{
    int n;
    const lb_registry_entry *reg = lb_registry(&n);
    for (int i = 0; i < n; i++) {
        lb_format f;
        lb_error err;
        if (lb_format_parse(&f, reg[i].name, &err)) {
            CHECK(0, "%s: %s", reg[i].name, err.msg);
            continue;
        }
        if (strcmp(f.name, "fp32") != 0) sr_frequencies(&f);
        threads_and_properties(&f);
    }
    rng_bits();
    return lb_check_summary("test_rounding_props");
}
