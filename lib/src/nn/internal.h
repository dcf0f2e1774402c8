/* nn/internal.h — shared by the layer files: operand quantization by role. Not installed. */
#ifndef LB_NN_INTERNAL_H
#define LB_NN_INTERNAL_H

#include "core/internal.h"
#include "lowbit/nn.h"
#include "lowbit/rng.h"

enum { LB_ROLE_W = 0, LB_ROLE_A = 1, LB_ROLE_E = 2, LB_ROLE_G = 3 };
enum { LB_WS_W = 0, LB_WS_A = 1, LB_WS_E = 2, LB_WS_TMP = 3, LB_WS_COL = 4, LB_WS_N = 6 };

/* A workspace slot of at least n floats (NULL if out of memory). */
float *lb_ws_get(lb_workspace *ws, int slot, size_t n);

/* x itself if the role is fp32/off, else Q_role(x) in workspace slot `slot`. The SR key is
 * (q->seed, 4·tid + role, q->step, index). *st receives LB_ERR_NOMEM on failure. */
const float *lb_nn_quant(const lb_qroles *q, int role, const float *x, size_t n, int64_t nch,
                         int64_t inner, uint64_t tid, lb_workspace *ws, int slot, lb_status *st);

/* Block formats (MX, MLS) get the tensor's shape as (n / (nch·inner), nch, inner) with blocks
 * along axis 1: the channel axis, i.e. the input channels of W and A (the forward pass's
 * reduction) and the output channels of E (the backward-data pass's reduction). Other formats
 * keep the flat call. */
void lb_nn_qctx_shape(lb_qctx *c, const lb_format *f, size_t n, int64_t nch, int64_t inner);

/* One layer GEMM through q->gemm (BLIS sgemm when q or q->gemm is NULL). */
lb_status lb_nn_gemm(const lb_qroles *q, int pass, int ta, int tb, int M, int N, int K,
                     const float *A, const float *B, float beta, float *C);
/* 1 when the layer may use its own float fast paths (no bit-true kernel selected). */
static inline int lb_nn_float_gemm(const lb_qroles *q)
{
    return !q || lb_gemm_is_float(q->gemm);
}

#define LB_BN_EPS      1e-5 /* batchnorm, as torch.nn.BatchNorm */
#define LB_BN_MOMENTUM 0.1

/* ---- all-LNS element-wise arithmetic (q->lns; lowbit/lnsadd.h), nn/lns_layers.c; each
 * returns LB_ERR_NOMEM if a thread could not get its scratch ---- */
struct lb_lns_ops;
/* out (rows, OC, P) += b (OC) */
lb_status lb_nn_lns_bias(const struct lb_lns_ops *o, float *out, const float *b, int rows, int OC,
                         int P);
/* db (OC) += the sum over (rows, P) of e (rows, OC, P), per channel by lb_lns_tree_sum */
lb_status lb_nn_lns_chsum(const struct lb_lns_ops *o, float *db, const float *e, int rows, int OC,
                          int P);
/* batchnorm (as lb_batchnorm_forward/backward) with every operation in LNS: sums by
 * lb_lns_tree_sum, 1/n and eps as LNS constants, 1/sqrt as lb_lns_rsqrt */
lb_status lb_batchnorm_forward_lns(const struct lb_lns_ops *o, float *y, float *save_mean,
                                   float *save_istd, float *run_mean, float *run_var,
                                   const float *x, const float *g, const float *b, int B, int C,
                                   int HW, int train);
lb_status lb_batchnorm_backward_lns(const struct lb_lns_ops *o, float *dx, float *dg, float *db,
                                    const float *dy, const float *x, const float *g,
                                    const float *save_mean, const float *save_istd, int B, int C,
                                    int HW);
/* out (B·C) = mean over HW of in, as an LNS tree sum times 1/HW */
lb_status lb_gap_forward_lns(const struct lb_lns_ops *o, float *out, const float *in, int B, int C,
                             int HW);
/* din (B·C·HW) += dout (B·C) · 1/HW */
lb_status lb_gap_backward_lns(const struct lb_lns_ops *o, float *din, const float *dout, int B,
                              int C, int HW);

#endif
