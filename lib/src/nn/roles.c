/* nn/roles.c — the layers' GEMM entry (the selected kernel, else BLIS sgemm from gemm/blas.c),
 * the thread count, the workspace, and operand quantization by role. */
#include <stdlib.h>
#include <string.h>

#include "nn/internal.h"

void lb_nn_set_threads(int threads)
{
    lb_gemm_set_threads(threads);
}

lb_status lb_nn_gemm(const lb_qroles *q, int pass, int ta, int tb, int M, int N, int K,
                     const float *A, const float *B, float beta, float *C)
{
    if (!q || !q->gemm) {
        lb_sgemm(ta, tb, M, N, K, 1.0f, A, B, beta, C);
        return LB_OK;
    }
    lb_gemm_call c = {pass, ta, tb, M, N, K, 1.0f, A, B, beta, C};
    return lb_gemm_run(q->gemm, &c);
}

void lb_workspace_free(lb_workspace *ws)
{
    for (int i = 0; i < LB_WS_N; i++) {
        free(ws->buf[i]);
        ws->buf[i] = NULL;
        ws->cap[i] = 0;
    }
}

float *lb_ws_get(lb_workspace *ws, int slot, size_t n)
{
    if (slot < 0 || slot >= LB_WS_N) return NULL;
    if (ws->cap[slot] < n) {
        free(ws->buf[slot]);
        ws->buf[slot] = malloc(n * sizeof(float));
        ws->cap[slot] = ws->buf[slot] ? n : 0;
    }
    return ws->buf[slot];
}

void lb_nn_qctx_shape(lb_qctx *c, const lb_format *f, size_t n, int64_t nch, int64_t inner)
{
    lb_format_info in;
    lb_format_info_get(f, &in);
    if (!in.block || nch <= 0 || inner <= 0 || n % (size_t)(nch * inner)) return;
    c->ndim = 3, c->axis = 1;
    c->dims[0] = (int64_t)n / (nch * inner), c->dims[1] = nch, c->dims[2] = inner;
}

const float *lb_nn_quant(const lb_qroles *q, int role, const float *x, size_t n, int64_t nch,
                         int64_t inner, uint64_t tid, lb_workspace *ws, int slot, lb_status *st)
{
    if (!q) return x;
    const lb_format *f = role == LB_ROLE_W ? &q->w : role == LB_ROLE_A ? &q->a : &q->e;
    int on = role == LB_ROLE_W ? q->w_on : role == LB_ROLE_A ? q->a_on : q->e_on;
    if (!on) return x;
    float *dst = lb_ws_get(ws, slot, n);
    if (!dst) {
        *st = LB_ERR_NOMEM;
        return x;
    }
    lb_qctx c;
    memset(&c, 0, sizeof c);
    c.seed = q->seed;
    c.tensor_id = 4 * tid + (uint64_t)role;
    c.step = q->step;
    c.threads = q->threads;
    lb_nn_qctx_shape(&c, f, n, nch, inner);
    lb_status s = lb_quantize(f, dst, x, n, &c);
    if (s) *st = s;
    return dst;
}
