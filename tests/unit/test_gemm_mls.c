/* tests/unit/test_gemm_mls.c — the bit-true MLS GEMM (lib/src/gemm/mls.c):
 *  - with wide accumulators it equals fake quantization (lb_quantize with the kernel's groups:
 *    op(A) as (M,K) and op(B)^T as (N,K), groups along K) + FP64 accumulation, exactly, for
 *    every transpose combination and beta (operands whose max |x| is a power of two, so every
 *    product and sum is exact in double);
 *  - "mls" (fast) and "mls-ref" give identical results and counts, also with narrow
 *    accumulators where group sums saturate and shifted partial sums lose bits;
 *  - narrow accumulators count overflows/underflows, wide ones count none. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lowbit/format.h"
#include "lowbit/gemm.h"

static unsigned rs = 5;
static float frand(void)
{
    rs = rs * 1664525u + 1013904223u;
    return (float)((double)(rs >> 8) / 16777216.0 - 0.5);
}

static void fill(float *x, size_t n, int spread)
{
    for (size_t i = 0; i < n; i++)
        x[i] = frand() * ldexpf(1.0f, -(int)(i % 7) * spread / 6);
    x[n / 2] = -1.0f; /* max |x| = 1: a power of two */
}

/* fake quantization of op(A) (M,K) and op(B)^T (N,K), FP64 sums */
static void reference(const char *fspec, const lb_gemm_call *c, double *out)
{
    lb_format f;
    lb_error err;
    CHECK(lb_format_parse(&f, fspec, &err) == LB_OK, "%s", err.msg);
    int M = c->M, N = c->N, K = c->K;
    float *a = malloc((size_t)M * K * 4), *b = malloc((size_t)N * K * 4);
    for (int i = 0; i < M; i++)
        for (int k = 0; k < K; k++)
            a[i * K + k] = c->ta ? c->A[(size_t)k * M + i] : c->A[(size_t)i * K + k];
    for (int j = 0; j < N; j++)
        for (int k = 0; k < K; k++)
            b[j * K + k] = c->tb ? c->B[(size_t)j * K + k] : c->B[(size_t)k * N + j];
    lb_qctx q;
    memset(&q, 0, sizeof q);
    q.ndim = 2, q.axis = 1, q.dims[0] = M, q.dims[1] = K;
    lb_quantize(&f, a, a, (size_t)M * K, &q);
    q.dims[0] = N;
    lb_quantize(&f, b, b, (size_t)N * K, &q);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++)
                s += (double)a[i * K + k] * b[j * K + k];
            out[i * N + j] = s;
        }
    free(a), free(b);
}

static lb_gemm_kernel *kernel(const char *spec)
{
    lb_gemm_kernel *k = NULL;
    lb_error err;
    CHECK(lb_gemm_create(&k, spec, &err) == LB_OK, "%s: %s", spec, err.msg);
    return k;
}

int main(void)
{
    const int M = 7, N = 70, K = 50; /* K not a multiple of the group; N beyond one tile */
    float *A = malloc(M * K * 4), *B = malloc(K * N * 4), *C1 = malloc(M * N * 4),
          *C2 = malloc(M * N * 4), *C0 = malloc(M * N * 4);
    double *R = malloc(M * N * 8);
    const char *fmts[] = {"e=2,m=1,gbits=4,group=16", "e=2,m=4,gbits=3,group=8",
                          "e=3,m=2,gbits=4,group=5", "e=1,m=3,gbits=2,group=50"};
    for (int fi = 0; fi < 4; fi++)
        for (int t = 0; t < 4; t++) {
            int ta = t & 1, tb = t >> 1;
            fill(A, (size_t)M * K, 12);
            fill(B, (size_t)K * N, 12);
            for (int i = 0; i < M * N; i++)
                C0[i] = frand();
            char fspec[96], kspec[160], kfast[160];
            snprintf(fspec, sizeof fspec, "mls:%s", fmts[fi]);
            /* 127-bit accumulator with 80 fraction bits: shifts k_a + k_b <= 30 lose nothing */
            snprintf(kspec, sizeof kspec, "mls-ref:%s,gacc=64,acc=127,accfrac=80", fmts[fi]);
            /* the fast path (acc <= 64) with enough fraction bits for these exponents */
            snprintf(kfast, sizeof kfast, "mls:%s,gacc=32,acc=64,accfrac=34", fmts[fi]);
            for (int beta = 0; beta <= 1; beta++) {
                lb_gemm_call c = {LB_PASS_FORWARD, ta, tb, M, N, K, 1.0f, A, B, (float)beta, C1};
                reference(fspec, &c, R);
                const char *ks[2] = {kspec, kfast};
                for (int kk = 0; kk < 2; kk++) {
                    lb_gemm_kernel *k = kernel(ks[kk]);
                    memcpy(C1, C0, (size_t)M * N * 4);
                    CHECK(lb_gemm_run(k, &c) == LB_OK, "run");
                    int bad = 0;
                    for (int i = 0; i < M * N; i++) {
                        float want = beta ? (float)(R[i] + C0[i]) : (float)R[i];
                        bad += C1[i] != want;
                    }
                    lb_gemm_stats s;
                    lb_gemm_get_stats(k, &s);
                    CHECK(!bad && !s.overflows && !s.underflows,
                          "%s ta=%d tb=%d beta=%d: %d of %d differ from fake-quant + FP64 "
                          "(overflows %llu, underflows %llu)",
                          ks[kk], ta, tb, beta, bad, M * N, (unsigned long long)s.overflows,
                          (unsigned long long)s.underflows);
                    lb_gemm_destroy(k);
                }
            }
            /* fast vs ref, default and narrow accumulators, wide-range data */
            const char *acc[] = {"", ",gacc=10,acc=24,accfrac=6", ",gacc=12,acc=40,accfrac=2"};
            fill(A, (size_t)M * K, 60);
            fill(B, (size_t)K * N, 60);
            for (int ai = 0; ai < 3; ai++) {
                char s1[200], s2[200];
                snprintf(s1, sizeof s1, "mls:%s%s", fmts[fi], acc[ai]);
                snprintf(s2, sizeof s2, "mls-ref:%s%s", fmts[fi], acc[ai]);
                lb_gemm_kernel *k1 = kernel(s1), *k2 = kernel(s2);
                lb_gemm_call c1 = {LB_PASS_FORWARD, ta, tb, M, N, K, 1.0f, A, B, 0.0f, C1};
                lb_gemm_call c2 = c1;
                c2.C = C2;
                lb_gemm_run(k1, &c1);
                lb_gemm_run(k2, &c2);
                lb_gemm_stats a1, a2;
                lb_gemm_get_stats(k1, &a1);
                lb_gemm_get_stats(k2, &a2);
                CHECK(memcmp(C1, C2, (size_t)M * N * 4) == 0 && a1.overflows == a2.overflows &&
                          a1.underflows == a2.underflows,
                      "%s vs ref: results or counts differ (%llu/%llu vs %llu/%llu)", s1,
                      (unsigned long long)a1.overflows, (unsigned long long)a1.underflows,
                      (unsigned long long)a2.overflows, (unsigned long long)a2.underflows);
                if (ai == 1)
                    CHECK(a1.overflows + a1.underflows > 0, "%s: narrow accumulators count nothing",
                          s1);
                lb_gemm_destroy(k1);
                lb_gemm_destroy(k2);
            }
        }
    lb_gemm_kernel *k = NULL;
    lb_error err;
    CHECK(lb_gemm_create(&k, "mls:e=2,m=1,bogus=3", &err) != LB_OK, "unknown key accepted");
    CHECK(lb_gemm_create(&k, "mls:e=4,m=1", &err) != LB_OK, "elements beyond int16 accepted");
    CHECK(lb_gemm_create(&k, "mls:e=3,m=7", &err) == LB_OK, "e=3,m=7 (15-bit elements) refused");
    lb_gemm_destroy(k);
    free(A), free(B), free(C0), free(C1), free(C2), free(R);
    return lb_check_summary("test_gemm_mls");
}
