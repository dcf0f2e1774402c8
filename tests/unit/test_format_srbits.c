/* tests/unit/test_format_srbits.c — stochastic rounding with N random bits (spec key srbits=N,
 * lib/src/formats/round_core.h) for every family: one value x between grid neighbours lo < hi
 * (fraction f = (x - lo)/(hi - lo)), repeated over many element indices (independent draws):
 *  - the share of round-ups equals the closed form, floor(f·2^N)/2^N in the rounding core (fp,
 *    fx, mx, nvfp4, mls) and ceil(f·2^N)/2^N for int and lns (u < f), within 5 binomial
 *    standard deviations (exactly when the form gives 0 or 1); so the mean bias is
 *    (hi - lo)·(P(up) - f), which the test checks as well;
 *  - full width (no key, srbits=32) is unbiased: P(up) = f within the same bound, and srbits=32
 *    gives the same bits as no key. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lowbit/format.h"

enum { N = 40000, BLK = 16 };

/* x at every element except the first of each block of 16, which holds `anchor` (fixing the
 * data-driven scale); returns the rounded values in q */
static void run(const char *spec, float x, float anchor, float *in, float *q)
{
    lb_format f;
    lb_error err;
    if (lb_format_parse(&f, spec, &err) != LB_OK) {
        CHECK(0, "%s: %s", spec, err.msg);
        memset(q, 0, N * sizeof *q);
        return;
    }
    for (int i = 0; i < N; i++)
        in[i] = i % BLK ? x : anchor;
    lb_qctx c;
    memset(&c, 0, sizeof c);
    c.seed = 9;
    c.round_override = 1 + LB_ROUND_SR;
    CHECK(lb_quantize(&f, q, in, N, &c) == LB_OK, "%s: quantize", spec);
}

static void family(const char *base, float x, float anchor, int ceil_form)
{
    float *in = malloc(N * 4), *q = malloc(N * 4), *q2 = malloc(N * 4);
    char spec[128];
    run(base, x, anchor, in, q);
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < N; i++)
        if (i % BLK) lo = q[i] < lo ? q[i] : lo, hi = q[i] > hi ? q[i] : hi;
    CHECK(lo < x && x < hi, "%s: x = %g not between the SR results %g and %g", base, x, lo, hi);
    const double f = ((double)x - lo) / (hi - lo);
    snprintf(spec, sizeof spec, "%s,srbits=32", base);
    run(spec, x, anchor, in, q2);
    CHECK(memcmp(q, q2, N * 4) == 0, "%s: srbits=32 differs from full-width SR", base);
    for (int nb = 0; nb <= 3; nb++) { /* nb = 0: full width */
        if (nb) {
            snprintf(spec, sizeof spec, "%s,srbits=%d", base, nb);
            run(spec, x, anchor, in, q);
        }
        long ups = 0, n = 0, other = 0;
        double sum = 0;
        for (int i = 0; i < N; i++) {
            if (!(i % BLK)) continue;
            n++;
            ups += q[i] == (float)hi;
            other += q[i] != (float)hi && q[i] != (float)lo;
            sum += q[i];
        }
        const double s = nb ? ldexp(1, nb) : 0;
        const double p = !nb ? f : (ceil_form ? ceil(f * s) : floor(f * s)) / s;
        const double sd = sqrt(p * (1 - p) / n), share = (double)ups / n;
        CHECK(!other && fabs(share - p) <= 5 * sd + 1e-12,
              "%s srbits=%d: f = %.4f, %ld of %ld up (%.4f), closed form %.4f ± %.4f", base, nb, f,
              ups, n, share, p, 5 * sd);
        const double bias = sum / n - x, want = (hi - lo) * (p - f);
        CHECK(fabs(bias - want) <= (hi - lo) * (5 * sd + 1e-6),
              "%s srbits=%d: mean bias %.6g, closed form %.6g", base, nb, bias, want);
        if (nb) /* the form must differ from f, or the check above tells nothing about N */
            CHECK(fabs(p - f) > 10 * sd || p == 0 || p == 1, "%s srbits=%d: weak case", base, nb);
    }
    free(in), free(q), free(q2);
}

int main(void)
{
    family("fp:e=5,m=2", 1.15f, 1.0f, 0);                     /* step 0.25: f = 0.6 */
    family("fx:wl=8,fl=4", 0.3f, 0.0f, 0);                    /* step 1/16: f = 0.8 */
    family("mx:e=2,m=1,block=16", 1.3f, 6.0f, 0);             /* X = 1, step 0.5: f = 0.6 */
    family("nvfp4:tscale=one", 1.3f, 6.0f, 0);                /* X = 1, step 0.5: f = 0.6 */
    family("mls:e=2,m=2,group=16", 0.6f, 1.0f, 0);            /* S_g = 1, step 1/8: f = 0.8 */
    family("int:bits=8,scale=tensor", 3.3f, 127.0f, 1);       /* scale 1: f = 0.3 */
    family("lns:bits=8,frac=2,scale=tensor", 1.26f, 4.0f, 1); /* 2^(1/4), 2^(1/2): f = 0.31 */
    return lb_check_summary("test_format_srbits");
}
