/* tests/unit/test_gemm_kernels.c — the GEMM kernel registry: spec errors, the fp32 (BLIS) and
 * fp64 kernels against a naive double-precision triple loop written here, for every transpose
 * combination and beta in {0, 1}, and the counters. Kernels added later get their own tests. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lowbit/gemm.h"

static float val(int i, int salt)
{
    unsigned h = (unsigned)i * 2654435761u ^ (unsigned)salt * 40503u;
    h ^= h >> 13;
    h *= 0x5bd1e995u;
    h ^= h >> 15;
    return (float)((int)(h % 2001u) - 1000) / 512.0f;
}

/* double reference of C = op(A)·op(B) + beta·C0 */
static double ref(int ta, int tb, int M, int N, int K, const float *A, const float *B, float beta,
                  const float *C0, int i, int j)
{
    double acc = 0;
    for (int k = 0; k < K; k++) {
        double a = ta ? A[(size_t)k * M + i] : A[(size_t)i * K + k];
        double b = tb ? B[(size_t)j * K + k] : B[(size_t)k * N + j];
        acc += a * b;
    }
    return acc + (beta != 0 ? beta * (double)C0[(size_t)i * N + j] : 0.0);
}

int main(void)
{
    lb_error err;
    lb_gemm_kernel *k = NULL;
    CHECK(lb_gemm_create(&k, "nosuch", &err) == LB_ERR_SPEC && strstr(err.msg, "nosuch") &&
              strstr(err.msg, "fp32"),
          "unknown kernel: %s", err.msg);
    CHECK(lb_gemm_create(&k, "fp64:x=1", &err) == LB_ERR_SPEC && strstr(err.msg, "'x'"),
          "unknown key: %s", err.msg);
    CHECK(lb_gemm_create(&k, "fp64:", &err) == LB_ERR_SPEC, "empty parameters accepted");
    CHECK(lb_gemm_create(&k, "", &err) == LB_ERR_SPEC, "empty spec accepted");
    CHECK(!strcmp(lb_gemm_spec(NULL), "fp32") && lb_gemm_is_float(NULL), "NULL kernel is fp32");
    const char *const *names = lb_gemm_names();
    int n = 0;
    for (; names[n]; n++)
        CHECK(lb_gemm_describe(names[n]) != NULL, "kernel %s has no description", names[n]);
    CHECK(n >= 2, "only %d kernels registered", n);

    const char *specs[2] = {"fp32", "fp64"};
    const int shapes[][3] = {{1, 1, 1}, {3, 5, 7}, {16, 9, 33}, {7, 64, 150}, {40, 3, 1}};
    for (int s = 0; s < 2; s++) {
        CHECK(lb_gemm_create(&k, specs[s], &err) == LB_OK, "%s: %s", specs[s], err.msg);
        if (!k) continue;
        CHECK(!strcmp(lb_gemm_spec(k), specs[s]), "spec %s", lb_gemm_spec(k));
        uint64_t macs = 0;
        for (size_t sh = 0; sh < sizeof shapes / sizeof shapes[0]; sh++)
            for (int tr = 0; tr < 4; tr++)
                for (int bt = 0; bt < 2; bt++) {
                    int M = shapes[sh][0], N = shapes[sh][1], K = shapes[sh][2];
                    float *A = malloc((size_t)M * K * 4), *B = malloc((size_t)K * N * 4);
                    float *C = malloc((size_t)M * N * 4), *C0 = malloc((size_t)M * N * 4);
                    for (int i = 0; i < M * K; i++)
                        A[i] = val(i, 1 + (int)sh);
                    for (int i = 0; i < K * N; i++)
                        B[i] = val(i, 100 + (int)sh);
                    for (int i = 0; i < M * N; i++)
                        C[i] = C0[i] = val(i, 7);
                    float beta = (float)bt;
                    lb_gemm_call c = {
                        LB_PASS_FORWARD, tr & 1, tr >> 1, M, N, K, 1.0f, A, B, beta, C};
                    CHECK(lb_gemm_run(k, &c) == LB_OK, "run");
                    macs += (uint64_t)M * N * K;
                    for (int i = 0; i < M; i++)
                        for (int j = 0; j < N; j++) {
                            double r = ref(tr & 1, tr >> 1, M, N, K, A, B, beta, C0, i, j);
                            double got = C[(size_t)i * N + j];
                            /* fp64: one rounding of the double sum (+ beta add in double);
                             * fp32: float sums, K roundings of values |.| <= 4 */
                            double tol = s ? fabs(r) * 0x1p-23 + 1e-30 : K * 4 * 0x1p-22 + 1e-6;
                            CHECK(fabs(got - r) <= tol, "%s %dx%dx%d t%d b%d (%d,%d): %.9g vs %.9g",
                                  specs[s], M, N, K, tr, bt, i, j, got, r);
                        }
                    free(A), free(B), free(C), free(C0);
                }
        lb_gemm_stats st;
        lb_gemm_get_stats(k, &st);
        CHECK(st.calls == 40 && st.macs == macs, "%s stats calls %llu macs %llu (want %llu)",
              specs[s], (unsigned long long)st.calls, (unsigned long long)st.macs,
              (unsigned long long)macs);
        lb_gemm_reset_stats(k);
        lb_gemm_get_stats(k, &st);
        CHECK(st.calls == 0 && st.macs == 0, "reset");
        lb_gemm_destroy(k);
        k = NULL;
    }
    return lb_check_summary("test_gemm_kernels");
}
