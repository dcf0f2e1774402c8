/* nn/conv2d.c — 2-D convolution (square kernel K, stride, zero padding, groups = 1) by im2col
 * and BLIS GEMMs, one image at a time (images in parallel over OpenMP threads).
 * Shapes: in (B,C,H,W), w (OC,C,K,K) as in PyTorch, b (OC), out (B,OC,OH,OW), P = OH·OW,
 *         col (C·K·K, P) per image.
 *   forward          out_b (OC,P) = Q_W(w) · im2col(Q_A(in)_b) + b
 *   backward weight  dw += sum_b Q_E(dout)_b · col_b^T
 *   backward data    dcol_b = Q_W(w)^T · Q_E(dout)_b;  din_b += col2im(dcol_b)
 * All-LNS (q->lns): the bias add, the bias-gradient sum (lb_lns_tree_sum over batch and
 * positions), the sum of the per-image weight gradients (in image order per thread, then the
 * threads in order, as the float path) and col2im's overlapping sums (same order as below) are
 * LNS additions; so the weight gradient, like the float path's, depends on the thread count.
 * (A whole-batch im2col with one GEMM was 3-5x slower here: with 6-16 output channels the
 * GEMMs are skinny, and the weight-gradient GEMM has K = B·P, which BLIS cannot split.) */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "lowbit/lnsadd.h"
#include "nn/internal.h"

void lb_conv_shape_init(lb_conv_shape *s)
{
    s->OH = (s->H + 2 * s->pad - s->K) / s->stride + 1;
    s->OW = (s->W + 2 * s->pad - s->K) / s->stride + 1;
}

/* The output columns ow whose input column ow·stride - pad + kw lies inside [0, W). */
static void valid_cols(const lb_conv_shape *s, int kw, int *ow0, int *ow1)
{
    int lo = 0, hi = s->OW;
    while (lo < hi && lo * s->stride - s->pad + kw < 0)
        lo++;
    while (hi > lo && (hi - 1) * s->stride - s->pad + kw >= s->W)
        hi--;
    *ow0 = lo, *ow1 = hi;
}

/* col (C·K·K, P) of one image in (C,H,W). Each output row is zeros, one contiguous (stride 1)
 * or strided run of input values, zeros. */
static void im2col1(float *col, const float *in, const lb_conv_shape *s)
{
    const int K = s->K, P = s->OH * s->OW;
    for (int ck = 0; ck < s->C * K * K; ck++) {
        int c = ck / (K * K), kh = (ck / K) % K, kw = ck % K, ow0, ow1;
        valid_cols(s, kw, &ow0, &ow1);
        const float *src = in + (size_t)c * s->H * s->W;
        float *d = col + (size_t)ck * P;
        for (int oh = 0; oh < s->OH; oh++, d += s->OW) {
            int ih = oh * s->stride - s->pad + kh;
            if (ih < 0 || ih >= s->H || ow0 >= ow1) {
                memset(d, 0, (size_t)s->OW * sizeof *d);
                continue;
            }
            const float *row = src + (size_t)ih * s->W + (ow0 * s->stride - s->pad + kw);
            for (int ow = 0; ow < ow0; ow++)
                d[ow] = 0.0f;
            if (s->stride == 1)
                memcpy(d + ow0, row, (size_t)(ow1 - ow0) * sizeof *d);
            else
                for (int ow = ow0; ow < ow1; ow++)
                    d[ow] = row[(ow - ow0) * s->stride];
            for (int ow = ow1; ow < s->OW; ow++)
                d[ow] = 0.0f;
        }
    }
}

/* din (C,H,W) of one image += col2im(dcol (C·K·K, P)), in a fixed (c, kh, kw, oh) order */
static void col2im1_add(float *din, const float *dcol, const lb_conv_shape *s)
{
    const int K = s->K, P = s->OH * s->OW;
    for (int ck = 0; ck < s->C * K * K; ck++) {
        int c = ck / (K * K), kh = (ck / K) % K, kw = ck % K, ow0, ow1;
        valid_cols(s, kw, &ow0, &ow1);
        float *dst = din + (size_t)c * s->H * s->W;
        const float *sr = dcol + (size_t)ck * P;
        for (int oh = 0; oh < s->OH; oh++, sr += s->OW) {
            int ih = oh * s->stride - s->pad + kh;
            if (ih < 0 || ih >= s->H || ow0 >= ow1) continue;
            float *row = dst + (size_t)ih * s->W + (ow0 * s->stride - s->pad + kw);
            if (s->stride == 1)
                for (int ow = ow0; ow < ow1; ow++)
                    row[ow - ow0] += sr[ow];
            else
                for (int ow = ow0; ow < ow1; ow++)
                    row[(ow - ow0) * s->stride] += sr[ow];
        }
    }
}

/* col2im1_add in LNS: the same walk over values; din_v (C·H·W) and dcol_v (C·K·K·P) scratch */
static void col2im1_add_lns(float *din, const float *dcol, const lb_conv_shape *s,
                            const lb_lns_ops *o, lb_lns_val *din_v, lb_lns_val *dcol_v)
{
    const int K = s->K, P = s->OH * s->OW;
    const size_t n_in = (size_t)s->C * s->H * s->W;
    lb_lns_ops_enc(o, din, n_in, din_v);
    lb_lns_ops_enc(o, dcol, (size_t)s->C * K * K * P, dcol_v);
    for (int ck = 0; ck < s->C * K * K; ck++) {
        int c = ck / (K * K), kh = (ck / K) % K, kw = ck % K, ow0, ow1;
        valid_cols(s, kw, &ow0, &ow1);
        lb_lns_val *dst = din_v + (size_t)c * s->H * s->W;
        const lb_lns_val *sr = dcol_v + (size_t)ck * P;
        for (int oh = 0; oh < s->OH; oh++, sr += s->OW) {
            int ih = oh * s->stride - s->pad + kh;
            if (ih < 0 || ih >= s->H || ow0 >= ow1) continue;
            lb_lns_val *row = dst + (size_t)ih * s->W + (ow0 * s->stride - s->pad + kw);
            for (int ow = ow0; ow < ow1; ow++)
                row[(ow - ow0) * s->stride] =
                    lb_lns_add(o->ad, row[(ow - ow0) * s->stride], sr[ow]);
        }
    }
    lb_lns_ops_dec(o, din_v, n_in, din);
}

/* Small per-image GEMMs (few channels, as in LeNet) as plain loops over the long P dimension,
 * which GCC vectorises; BLIS's per-call packing costs more than the arithmetic there. Above
 * LB_CONV_SMALL weights per layer, BLIS. The loops fix the summation order per element. */
#define LB_CONV_SMALL 4096

/* 16 floats in one register (GCC vector extension; never passed to or returned from a
 * function, so it has no ABI of its own: -march=x86-64-v3 splits it into two halves) */
typedef float lb_v16f __attribute__((vector_size(64)));

/* out (M,P) = w (M,K) · col (K,P): 16 output columns at a time with their sums in one vector
 * register while k runs (each element sums its K terms in k order). Four rows m share each load
 * of col (register blocking: which elements are computed together changes, not any element's
 * order of operations, so the bits are those of the one-row loop). */
static void small_nn(float *restrict out, const float *restrict w, const float *restrict col, int M,
                     int K, int P)
{
    int m0 = 0;
    for (; m0 + 4 <= M && P >= 16; m0 += 4) {
        const float *restrict w0 = w + (size_t)m0 * K, *restrict w1 = w0 + K, *restrict w2 = w1 + K,
                              *restrict w3 = w2 + K;
        for (int p0 = 0; p0 + 16 <= P; p0 += 16) {
            lb_v16f a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, c;
            for (int k = 0; k < K; k++) {
                memcpy(&c, col + (size_t)k * P + p0, sizeof c);
                a0 += w0[k] * c, a1 += w1[k] * c, a2 += w2[k] * c, a3 += w3[k] * c;
            }
            memcpy(out + (size_t)m0 * P + p0, &a0, sizeof a0);
            memcpy(out + (size_t)(m0 + 1) * P + p0, &a1, sizeof a1);
            memcpy(out + (size_t)(m0 + 2) * P + p0, &a2, sizeof a2);
            memcpy(out + (size_t)(m0 + 3) * P + p0, &a3, sizeof a3);
        }
        for (int m = m0; m < m0 + 4; m++) /* the columns past the last 16 */
            for (int p0 = P / 16 * 16; p0 < P; p0++) {
                float acc = 0.0f;
                for (int k = 0; k < K; k++)
                    acc += w[(size_t)m * K + k] * col[(size_t)k * P + p0];
                out[(size_t)m * P + p0] = acc;
            }
    }
    for (int m = m0; m < M; m++) {
        const float *restrict wm = w + (size_t)m * K;
        int p0 = 0;
        for (; p0 + 16 <= P; p0 += 16) {
            float acc[16] = {0};
            for (int k = 0; k < K; k++) {
                const float wk = wm[k];
                const float *restrict c = col + (size_t)k * P + p0;
                for (int j = 0; j < 16; j++)
                    acc[j] += wk * c[j];
            }
            for (int j = 0; j < 16; j++)
                out[(size_t)m * P + p0 + j] = acc[j];
        }
        for (; p0 < P; p0++) {
            float acc = 0.0f;
            for (int k = 0; k < K; k++)
                acc += wm[k] * col[(size_t)k * P + p0];
            out[(size_t)m * P + p0] = acc;
        }
    }
}

/* dcol (K,P) = w^T (K,M) · e (M,P), blocked the same way (sums over m in m order); four rows
 * k share each load of e */
static void small_tn(float *restrict dcol, const float *restrict w, const float *restrict e, int M,
                     int K, int P)
{
    int k0 = 0;
    for (; k0 + 4 <= K && P >= 16; k0 += 4) {
        for (int p0 = 0; p0 + 16 <= P; p0 += 16) {
            lb_v16f a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, v;
            for (int m = 0; m < M; m++) {
                const float *restrict wm = w + (size_t)m * K + k0;
                memcpy(&v, e + (size_t)m * P + p0, sizeof v);
                a0 += wm[0] * v, a1 += wm[1] * v, a2 += wm[2] * v, a3 += wm[3] * v;
            }
            memcpy(dcol + (size_t)k0 * P + p0, &a0, sizeof a0);
            memcpy(dcol + (size_t)(k0 + 1) * P + p0, &a1, sizeof a1);
            memcpy(dcol + (size_t)(k0 + 2) * P + p0, &a2, sizeof a2);
            memcpy(dcol + (size_t)(k0 + 3) * P + p0, &a3, sizeof a3);
        }
        for (int k = k0; k < k0 + 4; k++)
            for (int p0 = P / 16 * 16; p0 < P; p0++) {
                float acc = 0.0f;
                for (int m = 0; m < M; m++)
                    acc += w[(size_t)m * K + k] * e[(size_t)m * P + p0];
                dcol[(size_t)k * P + p0] = acc;
            }
    }
    for (int k = k0; k < K; k++) {
        int p0 = 0;
        for (; p0 + 16 <= P; p0 += 16) {
            float acc[16] = {0};
            for (int m = 0; m < M; m++) {
                const float wk = w[(size_t)m * K + k];
                const float *restrict em = e + (size_t)m * P + p0;
                for (int j = 0; j < 16; j++)
                    acc[j] += wk * em[j];
            }
            for (int j = 0; j < 16; j++)
                dcol[(size_t)k * P + p0 + j] = acc[j];
        }
        for (; p0 < P; p0++) {
            float acc = 0.0f;
            for (int m = 0; m < M; m++)
                acc += w[(size_t)m * K + k] * e[(size_t)m * P + p0];
            dcol[(size_t)k * P + p0] = acc;
        }
    }
}

/* One dot product's finish: the tail p0..P-1 in order, then the 16 partial sums in lane order */
static inline float nt_finish(const float *restrict a, const float *restrict c, int p0, int P,
                              const float *acc)
{
    float sum = 0.0f;
    for (int p = p0; p < P; p++)
        sum += a[p] * c[p];
    for (int j = 0; j < 16; j++)
        sum += acc[j];
    return sum;
}

/* dw (M,K) += e (M,P) · col (K,P)^T: 16 independent partial sums per dot product, added
 * in a fixed order (vectorisable without reassociating anything at run time); four columns k
 * share each load of e's row */
static void small_nt_add(float *restrict dw, const float *restrict e, const float *restrict col,
                         int M, int K, int P)
{
    const int P16 = P / 16 * 16;
    for (int m = 0; m < M; m++) {
        const float *restrict a = e + (size_t)m * P;
        int k0 = 0;
        for (; k0 + 4 <= K; k0 += 4) {
            const float *restrict c0 = col + (size_t)k0 * P, *restrict c1 = c0 + P,
                                  *restrict c2 = c1 + P, *restrict c3 = c2 + P;
            lb_v16f a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, va, v;
            for (int p = 0; p < P16; p += 16) {
                memcpy(&va, a + p, sizeof va);
                memcpy(&v, c0 + p, sizeof v), a0 += va * v;
                memcpy(&v, c1 + p, sizeof v), a1 += va * v;
                memcpy(&v, c2 + p, sizeof v), a2 += va * v;
                memcpy(&v, c3 + p, sizeof v), a3 += va * v;
            }
            float t[4][16];
            memcpy(t[0], &a0, sizeof a0), memcpy(t[1], &a1, sizeof a1);
            memcpy(t[2], &a2, sizeof a2), memcpy(t[3], &a3, sizeof a3);
            dw[(size_t)m * K + k0] += nt_finish(a, c0, P16, P, t[0]);
            dw[(size_t)m * K + k0 + 1] += nt_finish(a, c1, P16, P, t[1]);
            dw[(size_t)m * K + k0 + 2] += nt_finish(a, c2, P16, P, t[2]);
            dw[(size_t)m * K + k0 + 3] += nt_finish(a, c3, P16, P, t[3]);
        }
        for (int k = k0; k < K; k++) {
            const float *restrict c = col + (size_t)k * P;
            float acc[16] = {0};
            for (int p = 0; p < P16; p += 16)
                for (int j = 0; j < 16; j++)
                    acc[j] += a[p + j] * c[p + j];
            dw[(size_t)m * K + k] += nt_finish(a, c, P16, P, acc);
        }
    }
}

/* Images are split into T fixed contiguous chunks, one per thread (T = OpenMP's thread
 * count): every image's output is computed by one thread, and the weight-gradient partial
 * sums of the chunks are added in chunk order, so results depend only on T. The GEMMs inside
 * the parallel region run single-threaded (BLIS does not nest), on cache-resident columns. */
static int nthreads(const lb_conv_shape *s)
{
    int t = omp_get_max_threads();
    return t < 1 ? 1 : (t > s->B ? s->B : t);
}

lb_status lb_conv2d_forward(float *out, const float *in, const float *w, const float *b,
                            const lb_conv_shape *s, const lb_qroles *q, uint64_t tid,
                            lb_workspace *ws)
{
    const int CKK = s->C * s->K * s->K, P = s->OH * s->OW, T = nthreads(s);
    const int small = s->OC * CKK <= LB_CONV_SMALL && lb_nn_float_gemm(q);
    const size_t in1 = (size_t)s->C * s->H * s->W, out1 = (size_t)s->OC * P;
    lb_status st = LB_OK;
    const float *a =
        lb_nn_quant(q, LB_ROLE_A, in, (size_t)s->B * in1, s->C, s->H * s->W, tid, ws, LB_WS_A, &st);
    const float *wq =
        lb_nn_quant(q, LB_ROLE_W, w, (size_t)s->OC * CKK, s->C, s->K * s->K, tid, ws, LB_WS_W, &st);
    float *cols = lb_ws_get(ws, LB_WS_COL, (size_t)T * CKK * P);
    if (st || !cols) return st ? st : LB_ERR_NOMEM;
    int gst = LB_OK; /* a kernel failure (any thread) */
#pragma omp parallel num_threads(T)
    {
        lb_status gs;
        int t = omp_get_thread_num();
        float *col = cols + (size_t)t * CKK * P;
        for (int bb = s->B * t / T; bb < s->B * (t + 1) / T; bb++) {
            float *o = out + (size_t)bb * out1;
            im2col1(col, a + (size_t)bb * in1, s);
            if (small)
                small_nn(o, wq, col, s->OC, CKK, P); /* (OC,P) = w · col */
            else if ((gs = lb_nn_gemm(q, LB_PASS_FORWARD, 0, 0, s->OC, P, CKK, wq, col, 0.0f, o))) {
#pragma omp atomic write
                gst = (int)gs;
            }
            if (b && !(q && q->lns))
                for (int oc = 0; oc < s->OC; oc++)
                    for (int p = 0; p < P; p++)
                        o[(size_t)oc * P + p] += b[oc];
        }
    }
    if (!gst && b && q && q->lns) return lb_nn_lns_bias(q->lns, out, b, s->B, s->OC, P);
    return (lb_status)gst;
}

/* lb_conv2d_backward with q->lns (see the header): one column buffer, one product buffer and
 * one dW partial per thread, plus LNS scratch for col2im. */
static lb_status backward_lns(float *din, float *dw, float *db, const float *e, const float *a,
                              const float *wq, const lb_conv_shape *s, const lb_qroles *q,
                              lb_workspace *ws)
{
    const int CKK = s->C * s->K * s->K, P = s->OH * s->OW, T = nthreads(s);
    const size_t in1 = (size_t)s->C * s->H * s->W, out1 = (size_t)s->OC * P;
    const size_t nw = (size_t)s->OC * CKK, per = (size_t)CKK * P + 2 * nw;
    float *bufs = lb_ws_get(ws, LB_WS_COL, (size_t)T * per);
    if (!bufs) return LB_ERR_NOMEM;
    int gst = LB_OK;
#pragma omp parallel num_threads(T)
    {
        lb_status gs;
        int t = omp_get_thread_num();
        float *col = bufs + (size_t)t * per, *prod = col + (size_t)CKK * P, *dwt = prod + nw;
        lb_lns_val *cv = din ? malloc(sizeof *cv * ((size_t)CKK * P + in1)) : NULL;
        if (din && !cv) {
#pragma omp atomic write
            gst = (int)LB_ERR_NOMEM;
        }
        memset(dwt, 0, nw * sizeof *dwt);
        for (int bb = s->B * t / T; bb < s->B * (t + 1) / T && !(din && !cv); bb++) {
            const float *eb = e + (size_t)bb * out1;
            if (dw) {
                im2col1(col, a + (size_t)bb * in1, s);
                if ((gs = lb_nn_gemm(q, LB_PASS_BACKWARD_WEIGHT, 0, 1, s->OC, CKK, P, eb, col, 0.0f,
                                     prod))) {
#pragma omp atomic write
                    gst = (int)gs;
                }
                lb_lns_ops_accum(q->lns, dwt, prod, nw);
            }
            if (din) {
                if ((gs = lb_nn_gemm(q, LB_PASS_BACKWARD_DATA, 1, 0, CKK, P, s->OC, wq, eb, 0.0f,
                                     col))) {
#pragma omp atomic write
                    gst = (int)gs;
                }
                col2im1_add_lns(din + (size_t)bb * in1, col, s, q->lns, cv + (size_t)CKK * P, cv);
            }
        }
        free(cv);
    }
    if (gst) return (lb_status)gst;
    if (dw)
        for (int t = 0; t < T; t++) /* fixed order */
            lb_lns_ops_accum(q->lns, dw, bufs + (size_t)t * per + (size_t)CKK * P + nw, nw);
    return db ? lb_nn_lns_chsum(q->lns, db, e, s->B, s->OC, P) : LB_OK;
}

lb_status lb_conv2d_backward(float *din, float *dw, float *db, const float *dout, const float *in,
                             const float *w, const lb_conv_shape *s, const lb_qroles *q,
                             uint64_t tid, lb_workspace *ws)
{
    const int CKK = s->C * s->K * s->K, P = s->OH * s->OW, T = nthreads(s);
    const size_t in1 = (size_t)s->C * s->H * s->W, out1 = (size_t)s->OC * P;
    const size_t nw = (size_t)s->OC * CKK;
    const int small = s->OC * CKK <= LB_CONV_SMALL && lb_nn_float_gemm(q);
    lb_status st = LB_OK;
    const float *e =
        lb_nn_quant(q, LB_ROLE_E, dout, (size_t)s->B * out1, s->OC, P, tid, ws, LB_WS_E, &st);
    const float *a =
        lb_nn_quant(q, LB_ROLE_A, in, (size_t)s->B * in1, s->C, s->H * s->W, tid, ws, LB_WS_A, &st);
    const float *wq = lb_nn_quant(q, LB_ROLE_W, w, nw, s->C, s->K * s->K, tid, ws, LB_WS_W, &st);
    if (st) return st;
    if (q && q->lns) return backward_lns(din, dw, db, e, a, wq, s, q, ws);
    /* per thread: one column buffer and one dW/db partial */
    float *cols = lb_ws_get(ws, LB_WS_COL, (size_t)T * (CKK * (size_t)P + nw + (size_t)s->OC));
    if (st || !cols) return st ? st : LB_ERR_NOMEM;
    int gst = LB_OK; /* a kernel failure (any thread) */
#pragma omp parallel num_threads(T)
    {
        lb_status gs;
        int t = omp_get_thread_num();
        float *col = cols + (size_t)t * (CKK * (size_t)P + nw + (size_t)s->OC);
        float *dwt = col + (size_t)CKK * P, *dbt = dwt + nw;
        memset(dwt, 0, (nw + (size_t)s->OC) * sizeof *dwt);
        for (int bb = s->B * t / T; bb < s->B * (t + 1) / T; bb++) {
            const float *eb = e + (size_t)bb * out1; /* (OC, P) */
            for (int oc = 0; oc < s->OC; oc++)
                for (int p = 0; p < P; p++)
                    dbt[oc] += eb[(size_t)oc * P + p];
            if (dw) {
                im2col1(col, a + (size_t)bb * in1, s);
                if (small)
                    small_nt_add(dwt, eb, col, s->OC, CKK, P); /* += e · col^T */
                else if ((gs = lb_nn_gemm(q, LB_PASS_BACKWARD_WEIGHT, 0, 1, s->OC, CKK, P, eb, col,
                                          1.0f, dwt))) {
#pragma omp atomic write
                    gst = (int)gs;
                }
            }
            if (din) {
                if (small)
                    small_tn(col, wq, eb, s->OC, CKK, P); /* dcol = w^T · e */
                else if ((gs = lb_nn_gemm(q, LB_PASS_BACKWARD_DATA, 1, 0, CKK, P, s->OC, wq, eb,
                                          0.0f, col))) {
#pragma omp atomic write
                    gst = (int)gs;
                }
                col2im1_add(din + (size_t)bb * in1, col, s);
            }
        }
    }
    for (int t = 0; t < T; t++) { /* fixed order */
        const float *dwt =
            cols + (size_t)t * (CKK * (size_t)P + nw + (size_t)s->OC) + (size_t)CKK * P;
        if (dw)
            for (size_t i = 0; i < nw; i++)
                dw[i] += dwt[i];
        if (db)
            for (int oc = 0; oc < s->OC; oc++)
                db[oc] += dwt[nw + (size_t)oc];
    }
    return (lb_status)gst;
}

void lb_conv2d_forward_ref(float *out, const float *in, const float *w, const float *b,
                           const lb_conv_shape *s)
{
    for (int bb = 0; bb < s->B; bb++)
        for (int o = 0; o < s->OC; o++)
            for (int oh = 0; oh < s->OH; oh++)
                for (int ow = 0; ow < s->OW; ow++) {
                    double acc = b ? b[o] : 0.0;
                    for (int c = 0; c < s->C; c++)
                        for (int kh = 0; kh < s->K; kh++)
                            for (int kw = 0; kw < s->K; kw++) {
                                int ih = oh * s->stride - s->pad + kh;
                                int iw = ow * s->stride - s->pad + kw;
                                if (ih < 0 || ih >= s->H || iw < 0 || iw >= s->W) continue;
                                acc +=
                                    (double)in[(((size_t)bb * s->C + c) * s->H + ih) * s->W + iw] *
                                    w[(((size_t)o * s->C + c) * s->K + kh) * s->K + kw];
                            }
                    out[(((size_t)bb * s->OC + o) * s->OH + oh) * s->OW + ow] = (float)acc;
                }
}
