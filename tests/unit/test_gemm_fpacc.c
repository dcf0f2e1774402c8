/* tests/unit/test_gemm_fpacc.c — the floating-point accumulation GEMM (lib/src/gemm/fpacc.c):
 *  - hand-computed dot products for every key (acc width, align trunc/rne, the rne tie broken
 *    by the exact remainder, carry, saturation, promote, order seq/pairwise/blocked, kahan),
 *    each run through "fpacc-ref" and through "fpacc" with 40 identical columns (its vector
 *    path), with the expected swamped-product and overflow counts;
 *  - adversarial inputs against the exact sum: one large term before many small ones (the
 *    swamping that promotion repairs), all-equal terms (stagnation at 2^(m+1)), cancellation
 *    (beside the fp64 kernel), and random cancelling data where an e8m23 rne accumulator must
 *    equal float arithmetic (fmaf) in every order, with Kahan and with promotion;
 *  - SR: the fraction of round-ups equals the remainder within a binomial bound;
 *  - "fpacc" == "fpacc-ref" bit for bit (results and counts) over a grid of keys, transposes
 *    and beta. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lowbit/gemm.h"

enum { NC = 40 }; /* columns: a vector tile of the fast kernel (32) and a scalar tail */

static lb_gemm_kernel *kernel(const char *spec)
{
    lb_gemm_kernel *k = NULL;
    lb_error err;
    CHECK(lb_gemm_create(&k, spec, &err) == LB_OK, "%s: %s", spec, err.msg);
    return k;
}

/* Σ x[k]·y[k] through kernel `name:keys` as a (1,K)·(K,NC) GEMM with NC equal columns; every
 * column must give `want`, and the counts must be NC times the per-output counts. */
static void dot(const char *keys, const float *x, const float *y, int K, double want, long swamped,
                long overflows)
{
    float *B = malloc((size_t)K * NC * 4), C[NC];
    for (int k = 0; k < K; k++)
        for (int j = 0; j < NC; j++)
            B[(size_t)k * NC + j] = y[k];
    const char *names[2] = {"fpacc", "fpacc-ref"};
    for (int n = 0; n < 2; n++) {
        char spec[200];
        snprintf(spec, sizeof spec, "%s:%s", names[n], keys);
        lb_gemm_kernel *kk = kernel(spec);
        if (!kk) continue;
        lb_gemm_call c = {LB_PASS_FORWARD, 0, 0, 1, NC, K, 1.0f, x, B, 0.0f, C};
        CHECK(lb_gemm_run(kk, &c) == LB_OK, "%s: run", spec);
        int bad = 0;
        for (int j = 0; j < NC; j++)
            bad += C[j] != (float)want;
        lb_gemm_stats s;
        lb_gemm_get_stats(kk, &s);
        CHECK(!bad, "%s: got %.17g, want %.17g", spec, (double)C[0], want);
        CHECK((swamped < 0 || s.underflows == (uint64_t)swamped * NC) &&
                  s.overflows == (uint64_t)overflows * NC,
              "%s: swamped %llu overflows %llu, want %ld %ld (per output)", spec,
              (unsigned long long)s.underflows / NC, (unsigned long long)s.overflows / NC, swamped,
              overflows);
        lb_gemm_destroy(kk);
    }
    free(B);
}

static void hand_cases(void)
{
    const float one[4] = {1, 1, 1, 1};
    const double u10 = ldexp(1, -10); /* binary16 ulp of 1 */
    /* 1 + 0.75 ulp: truncation drops it (swamped), rne rounds up */
    float a1[2] = {1, (float)(0.75 * u10)};
    dot("acc=e5m10,align=trunc", a1, one, 2, 1.0, 1, 0);
    dot("acc=e5m10,align=rne", a1, one, 2, 1 + u10, 0, 0);
    /* wider accumulator keeps it */
    dot("acc=e5m12,align=trunc", a1, one, 2, 1 + 0.75 * u10, 0, 0);
    /* carry: (2 - ulp) + 2.5 ulp = 2 + 1.5 ulp = 2 + 0.75 ulp(2): trunc -> 2, rne -> 2 + ulp(2) */
    float a2[2] = {(float)(2 - u10), (float)(2.5 * u10)};
    dot("acc=e5m10,align=trunc", a2, one, 2, 2.0, 0, 0);
    dot("acc=e5m10,align=rne", a2, one, 2, 2 + 2 * u10, 0, 0);
    /* rne tie broken by the exact remainder: 1025/1024 + 2^-11·(1 - 2^-46) is just below the
     * midpoint 1025.5 ulp; the double sum rounds to the midpoint exactly, whose even neighbour
     * (1026) would be wrong */
    float x3[2] = {1025.0f / 1024, (float)ldexp(1 + ldexp(1, -23), -11)};
    float y3[2] = {1, (float)(1 - ldexp(1, -23))};
    dot("acc=e5m10,align=rne", x3, y3, 2, 1025.0 / 1024, 1, 0);
    /* saturation: 60000 + 60000 in binary16 -> 65504, one overflow */
    float a4[2] = {60000, 60000};
    dot("acc=e5m10,align=rne", a4, one, 2, 65504, 0, 1);
    /* orders, promotion, Kahan on {1, 2^-11, 2^-11, 2^-11} with truncation:
     *   seq       1 ⊕ h = 1 three times                                  -> 1, 3 swamped
     *   pairwise  (1 ⊕ h) = 1 (swamped), (h ⊕ h) = 2^-10, 1 ⊕ 2^-10     -> 1 + 2^-10, 1 swamped
     *   blocked   blocks {1,h} -> 1 (swamped), {h,h} -> 2^-10; 0 ⊕ 1 ⊕ 2^-10 -> 1 + 2^-10
     *   promote=2 chunk sums 1 and 2^-10 added in float                    -> 1 + 2^-10
     *   kahan     s=1; h swamped, c=-h; y = h ⊕ h = 2^-10, s = 1+2^-10, c=0; h swamped again
     *             (t ⊖ s = 0, c = -h)                                     -> 1 + 2^-10, 2 swamped
     */
    const float h = (float)ldexp(1, -11);
    float a5[4] = {1, h, h, h};
    dot("acc=e5m10,align=trunc,order=seq", a5, one, 4, 1.0, 3, 0);
    dot("acc=e5m10,align=trunc,order=pairwise", a5, one, 4, 1 + u10, 1, 0);
    dot("acc=e5m10,align=trunc,order=blocked,block=2", a5, one, 4, 1 + u10, 1, 0);
    dot("acc=e5m10,align=trunc,promote=2", a5, one, 4, 1 + u10, 1, 0);
    dot("acc=e5m10,align=trunc,kahan=1", a5, one, 4, 1 + u10, 2, 0);
    /* subnormal grid of e5m10: 2^-24 is its least step; 2^-26 vanishes (swamped into 0) */
    float a6[2] = {(float)ldexp(1, -24), (float)ldexp(1, -26)};
    dot("acc=e5m10,align=trunc", a6, one, 2, ldexp(1, -24), 1, 0);
}

static void adversarial(void)
{
    enum { K = 4096 };
    float *x = malloc(K * 4), *y = malloc(K * 4);
    /* one large term, then K-1 terms of 2^-12 (a quarter ulp of 1 in binary16) */
    for (int k = 0; k < K; k++)
        x[k] = k ? (float)ldexp(1, -12) : 1.0f, y[k] = 1.0f;
    const double exact = 1 + (K - 1) * ldexp(1, -12);
    dot("acc=e5m10,align=trunc", x, y, K, 1.0, K - 1, 0); /* every small term swamped */
    dot("acc=e5m10,align=rne", x, y, K, 1.0, K - 1, 0);
    /* promotion every 128: the first chunk loses its 127 small terms, the other 31 chunks sum
     * 128·2^-12 = 2^-5 exactly: 1 + 31·2^-5 */
    dot("acc=e5m10,align=trunc,promote=128", x, y, K, 1 + 31 * ldexp(1, -5), 127, 0);
    dot("acc=e8m23,align=trunc", x, y, K, exact, 0, 0); /* FP32-width: nothing lost */
    /* all-equal terms: binary16 stagnates at 2048 (ulp 2 swallows +1); pairwise and
     * promotion sum exactly */
    for (int k = 0; k < K; k++)
        x[k] = 1.0f;
    dot("acc=e5m10,align=trunc", x, y, K, 2048, K - 2048, 0);
    dot("acc=e5m10,align=rne", x, y, K, 2048, K - 2048, 0);
    dot("acc=e5m10,align=trunc,order=pairwise", x, y, K, K, 0, 0);
    dot("acc=e5m10,align=trunc,promote=128", x, y, K, K, 0, 0);
    /* cancellation: 4096 + 1 - 4096 in binary16: the 1 is swamped (ulp 4 at 4096), the fp64
     * reference keeps it; the other order keeps it too */
    float c1[3] = {4096, 1, -4096}, c2[3] = {4096, -4096, 1};
    dot("acc=e5m10,align=rne", c1, y, 3, 0.0, 1, 0);
    dot("acc=e5m10,align=rne", c2, y, 3, 1.0, 0, 0);
    float f64 = 0;
    lb_gemm_kernel *k64 = kernel("fp64");
    lb_gemm_call c64 = {LB_PASS_FORWARD, 0, 0, 1, 1, 3, 1.0f, c1, y, 0.0f, &f64};
    lb_gemm_run(k64, &c64);
    CHECK(f64 == 1.0f, "fp64 reference: %g", f64);
    lb_gemm_destroy(k64);
    /* random cancelling data with an FP32-format accumulator and rne: each order equals float
     * arithmetic with one rounding per operation (fmaf: exact product and sum, rounded once),
     * an oracle independent of the kernel; and differs from the exact sum */
    unsigned rs = 11;
    for (int k = 0; k < K; k++) {
        rs = rs * 1664525u + 1013904223u;
        x[k] = (float)((double)(rs >> 8) / 16777216.0 - 0.5) * (k % 3 == 0 ? 64.0f : 1.0f);
        rs = rs * 1664525u + 1013904223u;
        y[k] = (float)((double)(rs >> 8) / 16777216.0 - 0.5);
    }
    double ex = 0;
    for (int k = 0; k < K; k++)
        ex += (double)x[k] * y[k];
    float s = 0, comp = 0; /* seq and Kahan */
    for (int k = 0; k < K; k++)
        s = fmaf(x[k], y[k], s);
    dot("acc=e8m23,align=rne", x, y, K, s, -1, 0);
    CHECK(s != (float)ex, "fp32 sum equals the exact one: data too easy");
    s = 0;
    for (int k = 0; k < K; k++) {
        float yy = fmaf(x[k], y[k], -comp), t = s + yy;
        comp = (t - s) - yy, s = t;
    }
    dot("acc=e8m23,align=rne,kahan=1", x, y, K, s, -1, 0);
    float *tr = malloc(K * 4); /* pairwise */
    for (int k = 0; k < K; k++)
        tr[k] = (float)((double)x[k] * y[k]);
    for (int n = K; n > 1; n = (n + 1) / 2) {
        for (int i = 0; i < n / 2; i++)
            tr[i] = tr[2 * i] + tr[2 * i + 1];
        if (n & 1) tr[n / 2] = tr[n - 1];
    }
    dot("acc=e8m23,align=rne,order=pairwise", x, y, K, tr[0], -1, 0);
    free(tr);
    float tot = 0, pr = 0; /* blocked by 100, and promotion every 128 (float sums either way) */
    for (int b = 0; b < K; b += 100) {
        float bs = 0;
        for (int k = b; k < K && k < b + 100; k++)
            bs = fmaf(x[k], y[k], bs);
        tot = tot + bs;
    }
    dot("acc=e8m23,align=rne,order=blocked,block=100", x, y, K, tot, -1, 0);
    for (int b = 0; b < K; b += 128) {
        float bs = 0;
        for (int k = b; k < K && k < b + 128; k++)
            bs = fmaf(x[k], y[k], bs);
        pr = pr + bs;
    }
    dot("acc=e8m23,align=rne,promote=128", x, y, K, pr, -1, 0);
    free(x), free(y);
}

static void stochastic(void)
{
    /* 1 + 2^-12 in binary16 rounds up with probability 1/4 (a different stream per output) */
    enum { M = 64, N = 64 };
    float x[2] = {1, (float)ldexp(1, -12)}, *A = malloc(M * 2 * 4), *B = malloc(2 * N * 4),
          *C = malloc(M * N * 4);
    for (int i = 0; i < M; i++)
        A[2 * i] = x[0], A[2 * i + 1] = x[1];
    for (int j = 0; j < N; j++)
        B[j] = 1, B[N + j] = 1;
    lb_gemm_kernel *k = kernel("fpacc:acc=e5m10,align=sr,seed=3");
    lb_gemm_call c = {LB_PASS_FORWARD, 0, 0, M, N, 2, 1.0f, A, B, 0.0f, C};
    lb_gemm_run(k, &c);
    int up = 0, other = 0;
    for (int i = 0; i < M * N; i++)
        up += C[i] == (float)(1 + ldexp(1, -10)),
            other += C[i] != 1.0f && C[i] != (float)(1 + ldexp(1, -10));
    const double p = 0.25, sd = sqrt(p * (1 - p) / (M * N));
    CHECK(!other && fabs((double)up / (M * N) - p) <= 5 * sd,
          "sr: %d of %d rounded up (want %.3f ± %.3f), %d off-grid", up, M * N, p, 5 * sd, other);
    lb_gemm_destroy(k);
    free(A), free(B), free(C);
}

static unsigned rs2 = 7;
static float frand(int spread)
{
    rs2 = rs2 * 1664525u + 1013904223u;
    float v = (float)((double)(rs2 >> 8) / 16777216.0 - 0.5);
    rs2 = rs2 * 1664525u + 1013904223u;
    return ldexpf(v, (int)(rs2 >> 27) % (spread + 1) - spread / 2);
}

static void fast_vs_ref(void)
{
    const int M = 5, N = 77, K = 300; /* two vector tiles and a tail; K not a chunk multiple */
    float *A = malloc(M * K * 4), *B = malloc(K * N * 4), *C0 = malloc(M * N * 4),
          *C1 = malloc(M * N * 4), *C2 = malloc(M * N * 4);
    const char *accs[] = {"e5m10", "e4m3", "e8m23", "e3m2", "e10m50"};
    const char *aligns[] = {"trunc", "rne", "sr"};
    const char *orders[] = {"seq", "blocked,block=20", "pairwise"};
    const char *proms[] = {"0", "128", "7"};
    int combos = 0;
    for (int ai = 0; ai < 5; ai++)
        for (int al = 0; al < 3; al++)
            for (int o = 0; o < 3; o++)
                for (int p = 0; p < 3; p++)
                    for (int kh = 0; kh < 2; kh++) {
                        if (kh && o == 2) continue;
                        int t = combos++ % 4, spread = (ai == 3 ? 12 : 40);
                        for (int i = 0; i < M * K; i++)
                            A[i] = frand(spread);
                        for (int i = 0; i < K * N; i++)
                            B[i] = frand(spread);
                        for (int i = 0; i < M * N; i++)
                            C0[i] = frand(4);
                        char keys[200], s1[220], s2[220];
                        snprintf(keys, sizeof keys, "acc=%s,align=%s,order=%s,promote=%s,kahan=%d",
                                 accs[ai], aligns[al], orders[o], proms[p], kh);
                        snprintf(s1, sizeof s1, "fpacc:%s", keys);
                        snprintf(s2, sizeof s2, "fpacc-ref:%s", keys);
                        lb_gemm_kernel *k1 = kernel(s1), *k2 = kernel(s2);
                        float beta = (float)(combos % 2);
                        memcpy(C1, C0, (size_t)M * N * 4);
                        memcpy(C2, C0, (size_t)M * N * 4);
                        lb_gemm_call c1 = {
                            LB_PASS_FORWARD, t & 1, t >> 1, M, N, K, 0.5f, A, B, beta, C1};
                        lb_gemm_call c2 = c1;
                        c2.C = C2;
                        lb_gemm_run(k1, &c1);
                        lb_gemm_run(k2, &c2);
                        lb_gemm_stats a1, a2;
                        lb_gemm_get_stats(k1, &a1);
                        lb_gemm_get_stats(k2, &a2);
                        CHECK(memcmp(C1, C2, (size_t)M * N * 4) == 0 &&
                                  a1.underflows == a2.underflows && a1.overflows == a2.overflows,
                              "%s: fast and ref differ (counts %llu/%llu vs %llu/%llu)", keys,
                              (unsigned long long)a1.underflows, (unsigned long long)a1.overflows,
                              (unsigned long long)a2.underflows, (unsigned long long)a2.overflows);
                        if (ai == 3)
                            CHECK(a2.overflows > 0, "%s: e3m2 on wide data never saturates", keys);
                        lb_gemm_destroy(k1);
                        lb_gemm_destroy(k2);
                    }
    free(A), free(B), free(C0), free(C1), free(C2);
}

/* infinities and NaN in the operands: every addition with a non-finite operand is a + b in both
 * implementations (same bits, no counts from it) */
static void nonfinite(void)
{
    enum { M = 2, N = 40, K = 50 };
    static float A[M * K], B[K * N], C1[M * N], C2[M * N];
    for (int i = 0; i < M * K; i++)
        A[i] = frand(6);
    for (int i = 0; i < K * N; i++)
        B[i] = frand(6);
    A[3] = INFINITY, A[K + 7] = NAN, B[10 * N + 33] = -INFINITY;
    const char *keys[] = {"acc=e5m10", "acc=e5m10,align=rne,kahan=1",
                          "acc=e4m3,order=blocked,block=8,promote=20"};
    for (int s = 0; s < 3; s++) {
        char s1[96], s2[96];
        snprintf(s1, sizeof s1, "fpacc:%s", keys[s]);
        snprintf(s2, sizeof s2, "fpacc-ref:%s", keys[s]);
        lb_gemm_kernel *k1 = kernel(s1), *k2 = kernel(s2);
        lb_gemm_call c1 = {LB_PASS_FORWARD, 0, 0, M, N, K, 1.0f, A, B, 0.0f, C1}, c2 = c1;
        c2.C = C2;
        lb_gemm_run(k1, &c1);
        lb_gemm_run(k2, &c2);
        lb_gemm_stats a1, a2;
        lb_gemm_get_stats(k1, &a1);
        lb_gemm_get_stats(k2, &a2);
        int nonfin = 0, differ = 0; /* a NaN is any NaN: x86 keeps the payload and sign of
                                       either operand, and the compiler may swap them */
        for (int i = 0; i < M * N; i++) {
            nonfin += !isfinite(C2[i]);
            differ += isnan(C1[i]) ? !isnan(C2[i]) : memcmp(&C1[i], &C2[i], 4) != 0;
        }
        CHECK(!differ && a1.underflows == a2.underflows && a1.overflows == a2.overflows &&
                  nonfin >= N,
              "%s: non-finite operands: fast and ref differ (or %d non-finite outputs)", keys[s],
              nonfin);
        lb_gemm_destroy(k1);
        lb_gemm_destroy(k2);
    }
}

static void bad_specs(void)
{
    const char *bad[] = {"fpacc:acc=e5",     "fpacc:acc=e11m10", "fpacc:acc=e5m51",
                         "fpacc:align=up",   "fpacc:order=tree", "fpacc:order=pairwise,kahan=1",
                         "fpacc:promote=-1", "fpacc:bogus=1"};
    for (int i = 0; i < 8; i++) {
        lb_gemm_kernel *k = NULL;
        lb_error err;
        CHECK(lb_gemm_create(&k, bad[i], &err) != LB_OK, "'%s' accepted", bad[i]);
        lb_gemm_destroy(k);
    }
}

int main(void)
{
    hand_cases();
    adversarial();
    stochastic();
    fast_vs_ref();
    nonfinite();
    bad_specs();
    return lb_check_summary("test_gemm_fpacc");
}
