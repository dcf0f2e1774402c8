/* tests/unit/test_optim_lowprec.c — the low-precision optimizers (docs/methods.md#p1, P4):
 * 1. the integer LNS-Madam step equals the float Madam formula followed by rounding to the
 *    LNS grid (lb_quantize, nearest in the log domain), element by element, for elements whose
 *    exponent step is not within 1e-3 of a tie and stays inside the code range;
 * 2. stochastic step rounding is unbiased (mean step over many keys ~ the exact step);
 * 3. Kahan-compensated SGD on a very narrow format (bf16 weights; 8-bit fixed point with an
 *    8-bit scaled compensation) keeps 10^4 updates far below half an LSB that plain SGD loses
 *    entirely: the final error against the exact sum shrinks by a large factor;
 * 4. compensation is per element (two elements with different update sizes both land right). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lowbit/format.h"
#include "lowbit/optim.h"

#define N 4096

static double urand(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (double)(*s >> 8) / 16777216.0;
}

typedef struct qa {
    const lb_format *f;
    const float *scale;
} qa;

static lb_status quant(void *user, float *x, size_t n)
{
    const qa *a = user;
    lb_qctx c;
    memset(&c, 0, sizeof c);
    c.scales_in = a->scale;
    return lb_quantize(a->f, x, x, n, &c);
}

static void test_lns_madam_matches_float(void)
{
    lb_format f;
    lb_error err;
    CHECK(lb_format_parse(&f, "lns8", &err) == LB_OK, "lns8: %s", err.msg);
    const int F = f.p.lns.frac, L = f.p.lns.logbits, g = 1 << F;
    const float offset = -40; /* fixed tensor scale: codes K = k + offset */
    lb_lns_weights lw = {F, -(1 << (L - 1)) + 1 + (int32_t)offset,
                         (1 << (L - 1)) - 1 + (int32_t)offset};
    static float w0[N], w_int[N], w_flt[N], gr[N], v_int[N], v_flt[N];
    unsigned s = 12345;
    for (int i = 0; i < N; i++) { /* weights on the grid, well inside the code range */
        int32_t K = lw.kmin + 20 + (int32_t)(urand(&s) * (lw.kmax - lw.kmin - 40));
        w0[i] = (urand(&s) < 0.5 ? -1.0f : 1.0f) * lb_lns_grid_value(K, F);
        gr[i] = (float)((urand(&s) - 0.5) * 0.02);
        v_int[i] = v_flt[i] = (float)(1e-5 * (0.5 + urand(&s)));
    }
    /* the grid values are the format's: quantizing them is the identity */
    memcpy(w_flt, w0, sizeof w0);
    qa a = {&f, &offset};
    quant(&a, w_flt, N);
    int same = 1;
    for (int i = 0; i < N; i++)
        same &= w_flt[i] == w0[i];
    CHECK(same, "lb_lns_grid_value differs from the lns8 grid");
    for (int step = 1; step <= 3; step++) {
        const float lr = 1.0f / (float)g * (float)step; /* η·γ = step */
        memcpy(w_int, w0, sizeof w0);
        memcpy(w_flt, w0, sizeof w0);
        float vi[N], vf[N];
        memcpy(vi, v_int, sizeof vi);
        memcpy(vf, v_flt, sizeof vf);
        CHECK(lb_lns_madam_step(&lw, w_int, gr, vi, N, lr, 0.999f, 0.0f, 5, 0, 1, 0, 0) == LB_OK,
              "step");
        lb_madam_step(w_flt, gr, vf, N, lr, 0.999f, 0.0f, 5, 1e30f);
        quant(&a, w_flt, N);
        const float bc = 1.0f - powf(0.999f, 5.0f);
        int compared = 0;
        for (int i = 0; i < N; i++) {
            float gh = lb_madam_ghat(gr[i], vi[i], bc);
            float x = lr * g * gh * (w0[i] > 0 ? 1 : -1);
            if (fabsf(x - floorf(x) - 0.5f) < 1e-3f) continue; /* near a tie */
            compared++;
            CHECK(w_int[i] == w_flt[i], "lr %g elem %d: w %g step %g: integer %.9g float %.9g", lr,
                  i, w0[i], x, w_int[i], w_flt[i]);
        }
        CHECK(compared > N * 9 / 10, "too few elements compared (%d)", compared);
    }
    /* clamping at the top code and a zero weight staying zero */
    float w2[2] = {lb_lns_grid_value(lw.kmax - 1, F), 0.0f}, g2[2] = {-1.0f, 1.0f}, v2[2] = {0};
    lb_lns_madam_step(&lw, w2, g2, v2, 2, 1.0f, 0.999f, 0.0f, 1, 0, 1, 0, 0);
    CHECK(w2[0] == lb_lns_grid_value(lw.kmax, F) && w2[1] == 0.0f, "clamp/zero: %g %g", w2[0],
          w2[1]);
}

static void test_lns_madam_sr_unbiased(void)
{
    lb_lns_weights lw = {3, -1000, 1000};
    const int n = 20000;
    float *w = malloc(n * sizeof *w), *g = malloc(n * sizeof *g), *v = malloc(n * sizeof *v);
    for (int i = 0; i < n; i++)
        w[i] = 1.0f, g[i] = 0.3f, v[i] = 0.0f; /* t = 1: v̂ = g², so ĝ = 1 */
    const float lr = 0.35f / 8.0f;             /* step x = lr·8·ĝ = 0.35 */
    lb_lns_madam_step(&lw, w, g, v, (size_t)n, lr, 0.999f, 0.0f, 1, 1, 99, 0, 0);
    double mean = 0;
    for (int i = 0; i < n; i++)
        mean += -8.0 * log2(w[i]); /* -K: the step taken */
    mean /= n;
    double x = (double)lr * 8;
    CHECK(fabs(mean - x) < 0.02, "SR mean step %g vs %g", mean, x);
    lb_lns_madam_step(&lw, w, g, v, 1, lr, 0.999f, 0.0f, 1, 0, 99, 0, 0);
    free(w), free(g), free(v);
}

/* --madam-round ghat, the published update: ĝ rounded to an integer first, then η·γ times it.
 * With F = 10 and η = 2^-7 (η·γ = 8) every step is 8·round(ĝ·sign(w)) codes exactly; the
 * expected codes are computed here from ĝ (lb_madam_ghat) and the code arithmetic, not by the
 * optimizer. Also: with η·γ = 8 the nearest mode differs (it rounds 8·ĝ, not ĝ). */
static void test_lns_madam_ghat(void)
{
    lb_lns_weights lw = {10, -40000, 40000};
    enum { M = 4000 };
    static float w[M], w0[M], g[M], v[M], vn[M], wn[M];
    unsigned s = 777;
    for (int i = 0; i < M; i++) {
        int32_t K = -20000 + (int32_t)(urand(&s) * 20000);
        w0[i] = w[i] = wn[i] = (urand(&s) < 0.5 ? -1.0f : 1.0f) * lb_lns_grid_value(K, 10);
        g[i] = (float)((urand(&s) - 0.5) * 0.2); /* with v and t = 5: |ĝ| up to about 3 */
        v[i] = vn[i] = (float)(1e-5 * (0.2 + urand(&s)));
    }
    const float lr = 1.0f / 128.0f, bc = 1.0f - powf(0.999f, 5.0f);
    CHECK(lb_lns_madam_step(&lw, w, g, v, M, lr, 0.999f, 0.0f, 5, LB_MADAM_ROUND_GHAT, 1, 0, 0) ==
              LB_OK,
          "ghat step");
    lb_lns_madam_step(&lw, wn, g, vn, M, lr, 0.999f, 0.0f, 5, LB_MADAM_ROUND_NEAREST, 1, 0, 0);
    int wrong = 0, differ = 0, nonzero = 0;
    for (int i = 0; i < M; i++) {
        float gh = lb_madam_ghat(g[i], v[i], bc), sg = w0[i] > 0 ? 1.0f : -1.0f;
        double q = gh * sg; /* the integer the published update rounds ĝ to */
        double r = nearbyint(q);
        if (fabs(q - floor(q) - 0.5) < 1e-4) continue; /* a tie of ĝ itself */
        int32_t K0 = (int32_t)lrint(1024.0 * log2(fabs((double)w0[i])));
        int32_t K1 = K0 - 8 * (int32_t)r;
        wrong += w[i] != sg * lb_lns_grid_value(K1, 10);
        differ += w[i] != wn[i];
        nonzero += r != 0;
    }
    CHECK(wrong == 0, "ghat: %d of %d weights not at K - 8*round(ghat*sign(w))", wrong, M);
    CHECK(nonzero > M / 4, "ghat: too few nonzero steps (%d)", nonzero);
    CHECK(differ > M / 4, "ghat and nearest give the same weights (%d differ)", differ);
    CHECK(lb_lns_madam_step(&lw, w, g, v, 1, lr, 0.999f, 0.0f, 1, 3, 1, 0, 0) == LB_ERR_ARG,
          "an unknown rounding mode is refused");
}

/* w0 - steps·u with updates far below half an LSB: plain SGD vs Kahan */
static void kahan_case(const char *wspec, const char *cspec, float w0, float u, int steps)
{
    lb_format fw, fc;
    lb_error err;
    CHECK(lb_format_parse(&fw, wspec, &err) == LB_OK, "%s", err.msg);
    CHECK(lb_format_parse(&fc, cspec, &err) == LB_OK, "%s", err.msg);
    qa aw = {&fw, NULL}, ac = {&fc, NULL};
    float wp = w0, wk = w0, buf = 0, bufk = 0, c = 0, tmp, g = u;
    int first = 1, firstk = 1;
    quant(&aw, &wp, 1);
    quant(&aw, &wk, 1);
    double exact = (double)wp;
    for (int t = 0; t < steps; t++) {
        lb_sgd_step(&wp, &g, &buf, 1, 1.0f, 0.0f, 0.0f, &first);
        quant(&aw, &wp, 1);
        lb_kahan_sgd_step(&wk, &g, &bufk, &c, &tmp, 1, 1.0f, 0.0f, 0.0f, &firstk, quant, &aw, quant,
                          &ac);
        exact -= (double)u;
    }
    double ep = fabs(wp - exact), ek = fabs(wk - exact);
    CHECK(ep > 0.9 * steps * u, "%s: plain SGD did not stall (%g vs exact %g)", wspec, wp, exact);
    /* the compensation itself is rounded to the narrow format every step, so Kahan is not
     * exact; require a 10x smaller error */
    CHECK(ek < 0.1 * ep, "%s: Kahan error %g not << plain error %g (w %g exact %g)", wspec, ek, ep,
          wk, exact);
}

static void test_kahan_per_element(void)
{
    lb_format f;
    lb_error err;
    lb_format_parse(&f, "bf16", &err);
    qa a = {&f, NULL};
    float w[2] = {1.0f, 1.0f}, g[2] = {1e-4f, 3e-4f}, buf[2] = {0}, c[2] = {0}, tmp[2];
    int first = 1;
    for (int t = 0; t < 1000; t++)
        lb_kahan_sgd_step(w, g, buf, c, tmp, 2, 1.0f, 0.0f, 0.0f, &first, quant, &a, quant, &a);
    CHECK(fabs(w[0] - 0.9) < 0.004 && fabs(w[1] - 0.7) < 0.004, "per element: %g %g", w[0], w[1]);
}

int main(void)
{
    test_lns_madam_matches_float();
    test_lns_madam_sr_unbiased();
    test_lns_madam_ghat();
    kahan_case("bf16", "bf16", 1.0f, 2e-5f, 10000);               /* 2e-5 << LSB/2 = 2^-8 at 1 */
    kahan_case("fx:wl=8,fl=6", "int:bits=8", 1.5f, 1e-4f, 10000); /* LSB 1/64 */
    test_kahan_per_element();
    return lb_check_summary("test_optim_lowprec");
}
