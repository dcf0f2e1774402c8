/* tests/unit/test_gemm_lns_add.c — the bit-true QAA-LNS GEMM with LNS addition
 * (lib/src/gemm/lns_qaa.c): the vectorised kernels equal their scalar references bit for bit
 * (every approximation, transposes, alpha/beta, K across one, two and three tree levels, N not
 * a multiple of the lane count, zeros in the operands); hand-worked sums with the exact adder
 * (1 + 1 = 2, 1 - 1 = 0, a zero row gives 0); the result approximates the float product; bad
 * specs are refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lowbit/gemm.h"
#include "lowbit/gemm_lns.h"

static unsigned rs = 5;
static float frand(void)
{
    rs = rs * 1664525u + 1013904223u;
    return (float)((double)(rs >> 8) / 16777216.0 - 0.5);
}

static lb_gemm_kernel *kern(const char *s)
{
    lb_gemm_kernel *k = NULL;
    lb_error err;
    CHECK(lb_gemm_create(&k, s, &err) == LB_OK, "%s: %s", s, err.msg);
    return k;
}

int main(void)
{
    static const char *fast[] = {"lns-pwl:bits=13,frac=5", "lns-pwl:bits=16,frac=8,table=generic",
                                 "lns-lut:bits=14,frac=6", "lns-exactadd:bits=15,frac=7"};
    static const char *ref[] = {"lns-pwl-ref:bits=13,frac=5",
                                "lns-pwl-ref:bits=16,frac=8,table=generic",
                                "lns-lut-ref:bits=14,frac=6", "lns-exactadd-ref:bits=15,frac=7"};
    static const int shapes[][3] = {{3, 5, 1},    {4, 16, 16}, {5, 17, 33},   {2, 40, 300},
                                    {1, 3, 4100}, {3, 57, 20}, {2, 100, 150}, {2, 70, 40}};
    for (int f = 0; f < 4; f++) {
        lb_gemm_kernel *kf = kern(fast[f]), *kr = kern(ref[f]);
        if (!kf || !kr) continue;
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
            for (int tr = 0; tr < 4; tr++) {
                const int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
                float *A = malloc(sizeof *A * (size_t)M * K),
                      *B = malloc(sizeof *B * (size_t)K * N);
                float *C1 = malloc(sizeof *C1 * (size_t)M * N),
                      *C2 = malloc(sizeof *C2 * (size_t)M * N);
                /* the last shape: magnitudes that saturate the products (2^+-31.97 at 13/5)
                 * and operands below the smallest magnitude */
                const int big = s == sizeof shapes / sizeof shapes[0] - 1;
                for (int i = 0; i < M * K; i++)
                    A[i] = i % 7 == 3 ? 0.0f : frand() * (big ? (i % 3 ? 1e6f : 1e-12f) : 4.0f);
                for (int i = 0; i < K * N; i++)
                    B[i] = i % 11 == 5 ? 0.0f : frand() * (big ? (i % 5 ? 1e5f : 1e-9f) : 1.0f);
                for (int i = 0; i < M * N; i++)
                    C1[i] = C2[i] = frand();
                lb_gemm_call c = {0, tr & 1, tr >> 1, M, N, K, 0.5f, A, B, tr == 3 ? 0.25f : 0.0f,
                                  C1};
                CHECK(lb_gemm_run(kf, &c) == LB_OK, "run");
                c.C = C2;
                CHECK(lb_gemm_run(kr, &c) == LB_OK, "run ref");
                CHECK(!memcmp(C1, C2, sizeof *C1 * (size_t)M * N), "%s vs ref: %dx%dx%d t%d",
                      fast[f], M, N, K, tr);
                free(A), free(B), free(C1), free(C2);
            }
        lb_gemm_destroy(kf), lb_gemm_destroy(kr);
    }
    /* hand-worked with the exact adder: 1 + 1 = 2 (log 0 + Δ+(0) = 2^F), 1 - 1 = 0 */
    lb_gemm_kernel *ke = kern("lns-exactadd:bits=13,frac=5");
    {
        float A[] = {1, 1, 1, -1, 0, 0}, B[] = {1, 1}, C[3];
        lb_gemm_call c = {0, 0, 0, 3, 1, 2, 1.0f, A, B, 0.0f, C};
        CHECK(lb_gemm_run(ke, &c) == LB_OK, "run");
        CHECK(C[0] == 2.0f && C[1] == 0.0f && C[2] == 0.0f, "1+1, 1-1, 0: %g %g %g", C[0], C[1],
              C[2]);
    }
    /* approximates the float product: positive data, relative error of each output small */
    {
        enum { M = 4, N = 20, K = 64 };
        static float A[M * K], B[K * N], C[M * N];
        for (int i = 0; i < M * K; i++)
            A[i] = 0.5f + frand() + 0.5f;
        for (int i = 0; i < K * N; i++)
            B[i] = 0.5f + frand() + 0.5f;
        lb_gemm_call c = {0, 0, 0, M, N, K, 1.0f, A, B, 0.0f, C};
        CHECK(lb_gemm_run(ke, &c) == LB_OK, "run");
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                double r = 0;
                for (int k = 0; k < K; k++)
                    r += (double)A[i * K + k] * B[k * N + j];
                CHECK(fabs(C[i * N + j] - r) <= 0.05 * r, "approx %d,%d: %g vs %g", i, j,
                      C[i * N + j], r);
            }
    }
    lb_gemm_destroy(ke);
    /* dhist=1: the distances of every addition of two nonzero values; same results */
    {
        lb_gemm_kernel *kh = kern("lns-exactadd:bits=13,frac=5,dhist=1");
        lb_gemm_kernel *kn = kern("lns-exactadd:bits=13,frac=5");
        CHECK(lb_gemm_histogram(kn, NULL, 0) == 0, "no histogram without dhist");
        float A[] = {1, 2, 0, 4, 1, 1}, B[] = {1, 1}, C1[3], C2[3];
        lb_gemm_call c = {0, 0, 0, 3, 1, 2, 1.0f, A, B, 0.0f, C1};
        CHECK(lb_gemm_run(kh, &c) == LB_OK, "run");
        c.C = C2;
        CHECK(lb_gemm_run(kn, &c) == LB_OK, "run");
        CHECK(!memcmp(C1, C2, sizeof C1), "dhist changes results");
        static uint64_t h[16 * 32 + 1];
        CHECK(lb_gemm_histogram(kh, h, 16 * 32 + 1) == 16 * 32 + 1, "bins");
        uint64_t tot = 0;
        for (int d = 0; d <= 16 * 32; d++)
            tot += h[d];
        /* row 0: logs 0 and 32 (1 and 2) -> d = 32; row 1: a zero operand, not counted; row 2:
         * logs 0 and 0 -> d = 0 */
        CHECK(tot == 2 && h[32] == 1 && h[0] == 1, "histogram: total %llu, h[32] %llu, h[0] %llu",
              (unsigned long long)tot, (unsigned long long)h[32], (unsigned long long)h[0]);
        lb_gemm_destroy(kh), lb_gemm_destroy(kn);
    }
    lb_gemm_kernel *k = NULL;
    lb_error err;
    CHECK(lb_gemm_create(&k, "lns-pwl:bits=13,frac=5,table=nope", &err) != LB_OK, "unknown table");
    CHECK(lb_gemm_create(&k, "lns-lut:bits=13,frac=10", &err) != LB_OK, "frac too large");
    CHECK(lb_gemm_create(&k, "lns-lut:bits=13,frac=5,table=x", &err) != LB_OK, "unused key");
    return lb_check_summary("test_gemm_lns_add");
}
