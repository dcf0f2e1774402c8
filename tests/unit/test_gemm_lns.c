/* tests/unit/test_gemm_lns.c — the LNS-Madam GEMM kernels (lib/src/gemm/lns_madam.c):
 * 1. lns-binned (one accumulator through a product table) is bit-identical to lns-binned-ref
 *    (the literal remainder bins), with the same underflow counts, for several shapes,
 *    transposes, beta, table widths, accumulator widths and the hybrid (Mitchell) variant;
 * 2. lns-binned agrees with lns-exact within a bound derived from the table width W (each
 *    product's 2^(r/γ) is off by at most 2^-(W+1) relatively), the Mitchell error for hybrid
 *    and the final LNS rounding (half a log step on each side):
 *      |binned - exact| <= 2δ|S| + (1+δ)·e_T·Σ|products|,  δ = 2^(1/(2γ)) - 1;
 * 3. lns-exact's output lies on the LNS grid and within δ of the double dot product. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lowbit/format.h"
#include "lowbit/gemm.h"

static unsigned rs = 2024;
static double urand(void)
{
    rs = rs * 1664525u + 1013904223u;
    return (double)(rs >> 8) / 16777216.0;
}

/* random tensor quantized to lns8-like grid (frac 3, tensor scale), with some zeros */
static void fill(float *x, size_t n, double spread)
{
    for (size_t i = 0; i < n; i++) {
        double v = (urand() < 0.5 ? -1 : 1) * exp2((urand() - 0.5) * spread);
        x[i] = urand() < 0.05 ? 0.0f : (float)v;
    }
    lb_format f;
    lb_error err;
    lb_format_parse(&f, "lns8", &err);
    lb_quantize(&f, x, x, n, NULL);
}

static lb_gemm_kernel *mk(const char *spec)
{
    lb_gemm_kernel *k = NULL;
    lb_error err;
    CHECK(lb_gemm_create(&k, spec, &err) == LB_OK, "%s: %s", spec, err.msg);
    return k;
}

static double mitchell_err(int F, int H)
{
    /* max relative error of 1 + x for 2^x on [0, 2^-H) with x on the 2^-F grid */
    double e = 0;
    if (!H) return 0;
    for (int rl = 0; rl < (1 << (F - H)); rl++) {
        double x = (double)rl / (1 << F);
        e = fmax(e, fabs((1 + x) / exp2(x) - 1));
    }
    return e;
}

int main(void)
{
    const int shapes[][3] = {{1, 1, 1}, {4, 7, 25}, {16, 9, 150}, {6, 33, 400}};
    const char *variants[][2] = {
        {"lns-binned:frac=3", "lns-binned-ref:frac=3"},
        {"lns-binned:frac=3,table=4", "lns-binned-ref:frac=3,table=4"},
        {"lns-binned:frac=3,table=12,acc=20", "lns-binned-ref:frac=3,table=12,acc=20"},
        {"lns-binned:frac=3,hybrid=1", "lns-binned-ref:frac=3,hybrid=1"},
        {"lns-binned:frac=3,hybrid=2,table=10", "lns-binned-ref:frac=3,hybrid=2,table=10"}};
    const int tabw[] = {8, 4, 12, 8, 10}, hyb[] = {0, 0, 0, 1, 2};
    lb_gemm_kernel *ex = mk("lns-exact:frac=3");
    const double delta = exp2(1.0 / 16) - 1;
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        lb_gemm_kernel *fast = mk(variants[v][0]), *ref = mk(variants[v][1]);
        if (!fast || !ref) continue;
        const double eT =
            exp2(-(tabw[v] + 1)) * (1 + mitchell_err(3, hyb[v])) + mitchell_err(3, hyb[v]);
        for (size_t sh = 0; sh < sizeof shapes / sizeof shapes[0]; sh++)
            for (int tr = 0; tr < 4; tr++)
                for (int beta = 0; beta < 2; beta++) {
                    int M = shapes[sh][0], N = shapes[sh][1], K = shapes[sh][2];
                    float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * N);
                    float *C1 = malloc(sizeof(float) * M * N), *C2 = malloc(sizeof(float) * M * N);
                    float *C3 = malloc(sizeof(float) * M * N), *C0 = malloc(sizeof(float) * M * N);
                    fill(A, (size_t)M * K, 12), fill(B, (size_t)K * N, 12);
                    for (int i = 0; i < M * N; i++)
                        C0[i] = C1[i] = C2[i] = C3[i] = (float)(urand() - 0.5);
                    int ta = tr & 1, tb = tr >> 1;
                    lb_gemm_call c = {0, ta, tb, M, N, K, 1.0f, A, B, (float)beta, C1};
                    lb_gemm_reset_stats(fast), lb_gemm_reset_stats(ref);
                    CHECK(lb_gemm_run(fast, &c) == LB_OK, "fast");
                    c.C = C2;
                    CHECK(lb_gemm_run(ref, &c) == LB_OK, "ref");
                    c.C = C3;
                    CHECK(lb_gemm_run(ex, &c) == LB_OK, "exact");
                    lb_gemm_stats s1, s2;
                    lb_gemm_get_stats(fast, &s1), lb_gemm_get_stats(ref, &s2);
                    CHECK(s1.underflows == s2.underflows, "%s underflows %llu vs %llu",
                          variants[v][0], (unsigned long long)s1.underflows,
                          (unsigned long long)s2.underflows);
                    for (int i = 0; i < M; i++)
                        for (int j = 0; j < N; j++) {
                            size_t o = (size_t)i * N + j;
                            CHECK(memcmp(&C1[o], &C2[o], 4) == 0,
                                  "%s %dx%dx%d t%d b%d: %.9g vs ref %.9g", variants[v][0], M, N, K,
                                  tr, beta, C1[o], C2[o]);
                            double S = 0, Sabs = 0;
                            for (int t = 0; t < K; t++) {
                                double p =
                                    (double)(ta ? A[(size_t)t * M + i] : A[(size_t)i * K + t]) *
                                    (tb ? B[(size_t)j * K + t] : B[(size_t)t * N + j]);
                                S += p, Sabs += fabs(p);
                            }
                            double c0 = beta ? C0[o] : 0;
                            double b_ = C1[o] - c0, e_ = C3[o] - c0;
                            double slack = 4e-7 * (fabs(C1[o]) + fabs(c0)) + 1e-30;
                            double bound = 2 * delta * fabs(S) + (1 + delta) * eT * Sabs + slack;
                            if (s1.underflows) bound += Sabs * exp2(-18); /* dropped products */
                            CHECK(fabs(b_ - e_) <= bound,
                                  "%s vs exact %dx%dx%d (%d,%d): %.9g vs %.9g bound %.3g",
                                  variants[v][0], M, N, K, i, j, b_, e_, bound);
                            CHECK(fabs(e_ - S) <= delta * fabs(S) * 1.0000001 + slack,
                                  "exact %.9g vs double %.9g", e_, S);
                        }
                    free(A), free(B), free(C0), free(C1), free(C2), free(C3);
                }
        lb_gemm_destroy(fast), lb_gemm_destroy(ref);
    }
    /* an all-zero operand (either side, or both): every output is exactly 0 */
    for (int zside = 1; zside < 4; zside++) {
        float A[6], B[6], C[4];
        fill(A, 6, 4), fill(B, 6, 4);
        if (zside & 1) memset(A, 0, sizeof A);
        if (zside & 2) memset(B, 0, sizeof B);
        lb_gemm_kernel *kz[3] = {mk("lns-binned"), mk("lns-binned-ref"), ex};
        for (int q = 0; q < 3; q++) {
            for (int i = 0; i < 4; i++)
                C[i] = 1.0f;
            lb_gemm_call c = {0, 0, 0, 2, 2, 3, 1.0f, A, B, 0.0f, C};
            CHECK(lb_gemm_run(kz[q], &c) == LB_OK && C[0] == 0 && C[1] == 0 && C[2] == 0 &&
                      C[3] == 0,
                  "zero operands (%d), kernel %d: %g %g", zside, q, C[0], C[3]);
        }
        lb_gemm_destroy(kz[0]), lb_gemm_destroy(kz[1]);
    }
    lb_gemm_destroy(ex);
    /* bad parameters name the key */
    lb_gemm_kernel *k;
    lb_error err;
    CHECK(lb_gemm_create(&k, "lns-binned:hybrid=3", &err) == LB_ERR_SPEC, "hybrid >= frac");
    CHECK(lb_gemm_create(&k, "lns-binned:table=1", &err) == LB_ERR_SPEC && strstr(err.msg, "table"),
          "table range: %s", err.msg);
    return lb_check_summary("test_gemm_lns");
}
