/* nn/linear.c — fully connected layer. Shapes: in (B,C), w (OC,C) as in PyTorch, b (OC),
 * out (B,OC). GEMMs quantize their operands by role (lowbit/nn.h). With q->lns (all-LNS) the
 * bias add and every accumulation are LNS additions. */
#include "lowbit/lnsadd.h"
#include "nn/internal.h"

lb_status lb_linear_forward(float *out, const float *in, const float *w, const float *b, int B,
                            int C, int OC, const lb_qroles *q, uint64_t tid, lb_workspace *ws)
{
    lb_status st = LB_OK;
    const float *a = lb_nn_quant(q, LB_ROLE_A, in, (size_t)B * C, C, 1, tid, ws, LB_WS_A, &st);
    const float *wq = lb_nn_quant(q, LB_ROLE_W, w, (size_t)OC * C, C, 1, tid, ws, LB_WS_W, &st);
    if (st) return st;
    st = lb_nn_gemm(q, LB_PASS_FORWARD, 0, 1, B, OC, C, a, wq, 0.0f, out); /* out = a · w^T */
    if (b && q && q->lns) return st ? st : lb_nn_lns_bias(q->lns, out, b, B, OC, 1);
    if (b)
#pragma omp parallel for schedule(static) if ((size_t)B * OC >= LB_PAR_MIN)
        for (int i = 0; i < B; i++)
            for (int o = 0; o < OC; o++)
                out[(size_t)i * OC + o] += b[o];
    return st;
}

lb_status lb_linear_backward(float *din, float *dw, float *db, const float *dout, const float *in,
                             const float *w, int B, int C, int OC, const lb_qroles *q, uint64_t tid,
                             lb_workspace *ws)
{
    lb_status st = LB_OK;
    const float *e = lb_nn_quant(q, LB_ROLE_E, dout, (size_t)B * OC, OC, 1, tid, ws, LB_WS_E, &st);
    const float *a = lb_nn_quant(q, LB_ROLE_A, in, (size_t)B * C, C, 1, tid, ws, LB_WS_A, &st);
    const float *wq = lb_nn_quant(q, LB_ROLE_W, w, (size_t)OC * C, C, 1, tid, ws, LB_WS_W, &st);
    if (st) return st;
    if (q && q->lns) { /* all-LNS: products into scratch, accumulated by LNS addition */
        float *t = lb_ws_get(ws, LB_WS_TMP,
                             (size_t)B * C > (size_t)OC * C ? (size_t)B * C : (size_t)OC * C);
        if (!t) return LB_ERR_NOMEM;
        if (din && !(st = lb_nn_gemm(q, LB_PASS_BACKWARD_DATA, 0, 0, B, C, OC, e, wq, 0.0f, t)))
            lb_lns_ops_accum(q->lns, din, t, (size_t)B * C);
        if (dw && !st &&
            !(st = lb_nn_gemm(q, LB_PASS_BACKWARD_WEIGHT, 1, 0, OC, C, B, e, a, 0.0f, t)))
            lb_lns_ops_accum(q->lns, dw, t, (size_t)OC * C);
        if (db && !st) st = lb_nn_lns_chsum(q->lns, db, e, B, OC, 1);
        return st;
    }
    if (din) st = lb_nn_gemm(q, LB_PASS_BACKWARD_DATA, 0, 0, B, C, OC, e, wq, 1.0f, din);
    if (dw && !st) st = lb_nn_gemm(q, LB_PASS_BACKWARD_WEIGHT, 1, 0, OC, C, B, e, a, 1.0f, dw);
    if (db)
        for (int i = 0; i < B; i++) /* fixed order: deterministic */
            for (int o = 0; o < OC; o++)
                db[o] += e[(size_t)i * OC + o];
    return st;
}
