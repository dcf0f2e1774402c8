/* lowbit/nn.h — layers as forward/backward pairs (llm.c style), NCHW float32.
 *
 * Conventions: outputs first, then const inputs, then dimensions. Backward functions
 * ACCUMULATE (+=) into gradient buffers (callers zero them). Every GEMM goes through
 * lb_gemm(), which quantizes its operands by role when a lb_qroles is given:
 *   forward          out  = Q_A(in) · Q_W(W)^T          (activations A, weights W)
 *   backward data    din += Q_E(dout) · Q_W(W)          (errors E = output gradients)
 *   backward weight  dW  += Q_E(dout)^T · Q_A(in)
 * The weight-gradient role G is applied by the optimizer step to the finished gradient.
 * The products themselves are computed by q->gemm (lowbit/gemm.h; BLIS sgemm by default).
 * With q == NULL (or fp32 formats) the operands are used as they are.
 * Layers: linear, conv2d (im2col + GEMM, stride, padding), maxpool2d, avgpool2d, relu, batchnorm
 * (1d/2d, train/eval), global average pool, dropout, softmax + cross-entropy; a residual add is
 * the model's job (two inputs accumulate into their gradients). */
#ifndef LOWBIT_NN_H
#define LOWBIT_NN_H

#include <stddef.h>
#include <stdint.h>

#include "lowbit/format.h"
#include "lowbit/gemm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Operand formats by role, and the context their stochastic rounding is keyed by. */
typedef struct lb_qroles {
    lb_format w, a, e, g;
    int w_on, a_on, e_on, g_on; /* 0: the role is fp32, skip quantization */
    uint64_t seed, step;        /* SR key: (seed, tensor id, step, index) */
    int threads;
    const lb_gemm_kernel *gemm; /* how products and sums are formed; NULL: BLIS sgemm */
    /* all-LNS (docs/methods.md#p2): the element-wise arithmetic of the layers (bias add, bias and
     * weight-gradient sums over the batch, col2im, batchnorm, residual add, global average
     * pool) in this LNS instead of float32; NULL: float32 */
    const struct lb_lns_ops *lns;
} lb_qroles;

/* Scratch memory for quantized operand copies and im2col buffers; grows on demand. */
typedef struct lb_workspace {
    float *buf[6];
    size_t cap[6];
} lb_workspace;
void lb_workspace_free(lb_workspace *ws);

/* Number of threads BLIS and the layer loops use. Results can depend on it: the conv layers'
 * weight and bias gradients are per-thread partial sums, added in thread order. */
void lb_nn_set_threads(int threads);

/* lb_sgemm (BLIS) is in lowbit/gemm.h. */

/* ---- linear: out (B,OC) = in (B,C) · w(OC,C)^T + b(OC) ---------------------------------- */
lb_status lb_linear_forward(float *out, const float *in, const float *w, const float *b, int B,
                            int C, int OC, const lb_qroles *q, uint64_t tid, lb_workspace *ws);
lb_status lb_linear_backward(float *din, float *dw, float *db, const float *dout, const float *in,
                             const float *w, int B, int C, int OC, const lb_qroles *q, uint64_t tid,
                             lb_workspace *ws);

/* ---- conv2d: out (B,OC,OH,OW) = conv(in (B,C,H,W), w (OC,C,K,K)) + b(OC) ------------------ */
typedef struct lb_conv_shape {
    int B, C, H, W, OC, K, stride, pad, OH, OW;
} lb_conv_shape;
/* Fills OH, OW from the others. */
void lb_conv_shape_init(lb_conv_shape *s);
lb_status lb_conv2d_forward(float *out, const float *in, const float *w, const float *b,
                            const lb_conv_shape *s, const lb_qroles *q, uint64_t tid,
                            lb_workspace *ws);
lb_status lb_conv2d_backward(float *din, float *dw, float *db, const float *dout, const float *in,
                             const float *w, const lb_conv_shape *s, const lb_qroles *q,
                             uint64_t tid, lb_workspace *ws);
/* Direct 7-loop reference convolution (slow; for tests). */
void lb_conv2d_forward_ref(float *out, const float *in, const float *w, const float *b,
                           const lb_conv_shape *s);

/* ---- maxpool2d (kernel k, stride k): out (B,C,H/k,W/k); idx holds the argmax (int32) --- */
void lb_maxpool2d_forward(float *out, int32_t *idx, const float *in, int B, int C, int H, int W,
                          int k);
void lb_maxpool2d_backward(float *din, const float *dout, const int32_t *idx, int B, int C, int OH,
                           int OW);

/* ---- avgpool2d (kernel k, stride k): out (B,C,H/k,W/k) ------------------------------------ */
void lb_avgpool2d_forward(float *out, const float *in, int B, int C, int H, int W, int k);
void lb_avgpool2d_backward(float *din, const float *dout, int B, int C, int H, int W, int k);

/* ---- relu ------------------------------------------------------------------------------- */
void lb_relu_forward(float *out, const float *in, size_t n);
void lb_relu_backward(float *din, const float *dout, const float *in, size_t n);

/* ---- batchnorm over (B, H·W) per channel (torch semantics: eps 1e-5, momentum 0.1) ------- */
/* train = 1: batch statistics (saved for backward) and running-statistics update;
 * train = 0: the running statistics. save_mean/save_istd may be NULL in evaluation. */
void lb_batchnorm_forward(float *y, float *save_mean, float *save_istd, float *run_mean,
                          float *run_var, const float *x, const float *g, const float *b, int B,
                          int C, int HW, int train);
/* accumulates into dx (may be NULL), dg, db; train-mode gradients */
void lb_batchnorm_backward(float *dx, float *dg, float *db, const float *dy, const float *x,
                           const float *g, const float *save_mean, const float *save_istd, int B,
                           int C, int HW);

/* ---- global average pool: out (B,C) = mean over HW of in (B,C,HW) ------------------------- */
void lb_gap_forward(float *out, const float *in, int B, int C, int HW);
void lb_gap_backward(float *din, const float *dout, int B, int C, int HW);

/* ---- dropout (inverted), mask keyed by (seed, tensor, step, index) ------------------------- */
void lb_dropout_forward(float *out, const float *in, size_t n, float p, uint64_t seed,
                        uint64_t tensor, uint64_t step);
void lb_dropout_backward(float *din, const float *dout, size_t n, float p, uint64_t seed,
                         uint64_t tensor, uint64_t step);

/* ---- softmax + cross-entropy (mean over the batch) --------------------------------------- */
/* probs (B,K) = softmax(logits); returns the mean loss; *correct += number of argmax hits. */
double lb_softmax_xent_forward(float *probs, const float *logits, const int32_t *labels, int B,
                               int K, long *correct);
/* dlogits (B,K) += (probs - onehot(labels)) / B */
void lb_softmax_xent_backward(float *dlogits, const float *probs, const int32_t *labels, int B,
                              int K);

#ifdef __cplusplus
}
#endif
#endif
