/* gemm/blas.c — the one BLIS call of the library: row-major sgemm through BLIS strides, and the
 * BLIS thread count. The fp32 kernel and the layers' fast paths use it. */
#include <blis.h>

#include "gemm/internal.h"

void lb_gemm_set_threads(int threads)
{
    bli_thread_set_num_threads(threads < 1 ? 1 : threads);
}

void lb_sgemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, const float *B,
              float beta, float *C)
{
    /* Row-major A (M,K): row stride K, column stride 1; stored transposed (K,M): 1 and M. */
    inc_t rsa = ta ? 1 : K, csa = ta ? M : 1;
    inc_t rsb = tb ? 1 : N, csb = tb ? K : 1;
    bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, M, N, K, &alpha, (float *)A, rsa, csa,
              (float *)B, rsb, csb, &beta, C, N, 1);
}
