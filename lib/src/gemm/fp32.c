/* gemm/fp32.c — the float kernels: "fp32" (BLIS sgemm, the default; fake quantization) and
 * "fp64" (products and sums in double, one rounding to float per output: the exact-accumulation
 * reference other kernels are compared with). */
#include <stdlib.h>

#include "gemm/internal.h"
#include "lowbit/nn.h"

static lb_status none_create(void **state, lb_kv *kv, int nkv, char *canon, size_t ncanon,
                             lb_error *err)
{
    (void)kv, (void)nkv, (void)err;
    *state = NULL;
    if (ncanon) canon[0] = 0;
    return LB_OK;
}

static void none_destroy(void *state)
{
    (void)state;
}

static lb_status fp32_run(const void *state, const lb_gemm_call *c, lb_gemm_counts *n)
{
    (void)state;
    lb_sgemm(c->ta, c->tb, c->M, c->N, c->K, c->alpha, c->A, c->B, c->beta, c->C);
    n->macs += (uint64_t)c->M * c->N * c->K;
    return LB_OK;
}

static lb_status fp64_run(const void *state, const lb_gemm_call *c, lb_gemm_counts *n)
{
    (void)state;
    float *a = malloc(((size_t)c->M + c->N) * c->K * sizeof *a);
    if (!a) return LB_ERR_NOMEM;
    float *bt = a + (size_t)c->M * c->K;
    lb_gemm_pack(c, a, bt);
    for (int i = 0; i < c->M; i++)
        for (int j = 0; j < c->N; j++) {
            const float *x = a + (size_t)i * c->K, *y = bt + (size_t)j * c->K;
            double acc = 0;
            for (int k = 0; k < c->K; k++)
                acc += (double)x[k] * y[k];
            lb_gemm_store(c, i, j, acc);
        }
    free(a);
    n->macs += (uint64_t)c->M * c->N * c->K;
    return LB_OK;
}

const lb_gemm_vtable lb_gemm_fp32 = {"fp32",   "BLIS sgemm on the (fake-quantized) float operands",
                                     "",       none_create,
                                     fp32_run, none_destroy,
                                     NULL,     NULL,
                                     NULL};
const lb_gemm_vtable lb_gemm_fp64 = {
    "fp64",   "float operands, products and sums in double, one rounding to float per output",
    "",       none_create,
    fp64_run, none_destroy,
    NULL,     NULL,
    NULL};
