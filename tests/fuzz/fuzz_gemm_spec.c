/* tests/fuzz/fuzz_gemm_spec.c — GEMM kernel spec strings (lb_gemm_create of lowbit/gemm.h,
 * "NAME" or "NAME:key=value,..."): a kernel that is created runs one small GEMM in each pass
 * (3x5 · 5x4, values of both signs, a zero, a large one), reports its canonical spec, stats and
 * histogram, and is destroyed. Checked: no crash or sanitizer report, a message on failure, a
 * non-empty canonical spec, and a canonical spec that parses again to the same spec. */
#include "fuzz_util.h"

#include "lowbit/gemm.h"
#include "lowbit/gemm_lns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256) return 0;
    char *spec = fuzz_cstr(data, size);
    lb_gemm_kernel *k = NULL;
    lb_error err = {{0}};
    if (lb_gemm_create(&k, spec, &err)) {
        fuzz_check_error(err.msg, 0);
        free(spec);
        return 0;
    }
    const char *canon = lb_gemm_spec(k);
    FUZZ_CHECK(canon && canon[0], "%s: empty canonical spec", spec);
    lb_gemm_kernel *k2 = NULL;
    FUZZ_CHECK(lb_gemm_create(&k2, canon, &err) == LB_OK, "%s: canonical spec %s: %s", spec, canon,
               err.msg);
    FUZZ_CHECK(!strcmp(lb_gemm_spec(k2), canon), "%s -> %s -> %s", spec, canon, lb_gemm_spec(k2));
    lb_gemm_destroy(k2);
    enum { M = 3, N = 4, K = 5 };
    float A[M * K], B[K * N], C[M * N];
    for (int i = 0; i < M * K; i++)
        A[i] = (float)((i * 7) % 11 - 5) * 0.25f;
    for (int i = 0; i < K * N; i++)
        B[i] = i == 3 ? 1e4f : (float)((i * 5) % 9 - 4) * 0.5f;
    for (int pass = 0; pass < 3; pass++) {
        for (int i = 0; i < M * N; i++)
            C[i] = 0.5f;
        /* forward A·B; backward-data A·B^T (B read as 4x5); backward-weight A^T·B (A read as
         * 5x3): the same arrays serve all three */
        lb_gemm_call c = {pass, pass == 2, pass == 1, M, N, K, 1.0f, A, B, pass ? 1.0f : 0.0f, C};
        (void)lb_gemm_run(k, &c);
    }
    lb_gemm_stats s;
    lb_gemm_get_stats(k, &s);
    uint64_t hist[16];
    (void)lb_gemm_histogram(k, hist, 16);
    lb_gemm_reset_stats(k);
    lb_gemm_destroy(k);
    free(spec);
    return 0;
}
