/* nn/conv2d.c — 2-D convolution (square kernel K, stride, zero padding, groups = 1) by im2col
 * and BLIS GEMMs, one image at a time (images in parallel over OpenMP threads).
 * Shapes: in (B,C,H,W), w (OC,C,K,K) as in PyTorch, b (OC), out (B,OC,OH,OW), P = OH·OW,
 *         col (C·K·K, P) per image.
 *   forward          out_b (OC,P) = Q_W(w) · im2col(Q_A(in)_b) + b
 *   backward weight  dw += sum_b Q_E(dout)_b · col_b^T
 *   backward data    dcol_b = Q_W(w)^T · Q_E(dout)_b;  din_b += col2im(dcol_b)
 * Summation orders (fixed; the weight and bias gradients depend on the thread count): each
 * thread takes a fixed contiguous chunk of images; with the small-channel loops its weight and
 * bias gradients are kept as 16 lane partial sums over the whole chunk (nt_acc), summed in lane
 * order once per call, and the threads' sums are added to dw, db in thread order.
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

#define V 16 /* floats per vector: the small-channel loops' column blocks, im2col's copies */

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

/* Floats of scratch im2col1 needs (stride 1: the zero-padded image and 16 floats of slack);
 * every col buffer has 16 floats of slack after its C·K·K·P. */
static size_t im2col_scratch(const lb_conv_shape *s)
{
    const size_t Hp = (size_t)s->H + 2 * s->pad, Wp = (size_t)s->W + 2 * s->pad;
    return s->stride == 1 ? (size_t)s->C * Hp * Wp + V : 0;
}

/* col (C·K·K, P) of one image in (C,H,W). Stride 1: every output row of col is a run of OW
 * values of the zero-padded image (scratch pad), copied 16 floats at a time (a copy may run up
 * to 15 floats past its row: into the next row, written after it, or the slack). Else each
 * output row is zeros, one strided run of input values, zeros. */
static void im2col1(float *col, const float *in, const lb_conv_shape *s, float *pad)
{
    const int K = s->K, P = s->OH * s->OW;
    if (s->stride == 1) {
        const int Hp = s->H + 2 * s->pad, Wp = s->W + 2 * s->pad;
        float *r = pad;
        for (int c = 0; c < s->C; c++)
            for (int ih = -s->pad; ih < s->H + s->pad; ih++, r += Wp) {
                if (ih < 0 || ih >= s->H) {
                    memset(r, 0, (size_t)Wp * sizeof *r);
                    continue;
                }
                memset(r, 0, (size_t)s->pad * sizeof *r);
                memcpy(r + s->pad, in + ((size_t)c * s->H + ih) * s->W, (size_t)s->W * sizeof *r);
                memset(r + s->pad + s->W, 0, (size_t)s->pad * sizeof *r);
            }
        memset(r, 0, V * sizeof *r);
        for (int ck = 0; ck < s->C * K * K; ck++) {
            const int c = ck / (K * K), kh = (ck / K) % K, kw = ck % K;
            const float *src = pad + ((size_t)c * Hp + kh) * Wp + kw;
            float *d = col + (size_t)ck * P;
            for (int oh = 0; oh < s->OH; oh++, d += s->OW, src += Wp)
                for (int x = 0; x < s->OW; x += V)
                    memcpy(d + x, src + x, V * sizeof *d);
        }
        return;
    }
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
            for (int ow = ow0; ow < ow1; ow++)
                d[ow] = row[(ow - ow0) * s->stride];
            for (int ow = ow1; ow < s->OW; ow++)
                d[ow] = 0.0f;
        }
    }
}

/* The runs of col2im of one image, in a fixed (c, kh, kw, oh) order (overlapping windows meet
 * in this order): run(ctx, di, si, n, stride) adds dcol[si + i] into din[di + i·stride], i < n,
 * with din (C,H,W) and dcol (C·K·K, P). Inlined with its constant `run` at each use. */
typedef void (*col2im_run_fn)(void *ctx, size_t di, size_t si, int n, int stride);
static inline __attribute__((always_inline)) void col2im_walk(const lb_conv_shape *s,
                                                              col2im_run_fn run, void *ctx)
{
    const int K = s->K, P = s->OH * s->OW;
    for (int ck = 0; ck < s->C * K * K; ck++) {
        int c = ck / (K * K), kh = (ck / K) % K, kw = ck % K, ow0, ow1;
        valid_cols(s, kw, &ow0, &ow1);
        for (int oh = 0; oh < s->OH; oh++) {
            int ih = oh * s->stride - s->pad + kh;
            if (ih < 0 || ih >= s->H || ow0 >= ow1) continue;
            run(ctx, ((size_t)c * s->H + ih) * s->W + (ow0 * s->stride - s->pad + kw),
                (size_t)ck * P + (size_t)oh * s->OW + ow0, ow1 - ow0, s->stride);
        }
    }
}

typedef struct col2im_f {
    float *din;
    const float *dcol;
} col2im_f;

static inline void col2im_run_f(void *ctx, size_t di, size_t si, int n, int stride)
{
    const col2im_f *c = ctx;
    float *row = c->din + di;
    const float *sr = c->dcol + si;
    if (stride == 1)
        for (int i = 0; i < n; i++)
            row[i] += sr[i];
    else
        for (int i = 0; i < n; i++)
            row[i * stride] += sr[i];
}

/* din (C,H,W) of one image += col2im(dcol (C·K·K, P)) */
static void col2im1_add(float *din, const float *dcol, const lb_conv_shape *s)
{
    col2im_f c = {din, dcol};
    col2im_walk(s, col2im_run_f, &c);
}

typedef struct col2im_l {
    lb_lns_val *din;
    const lb_lns_val *dcol;
    const lb_lns_ops *o;
} col2im_l;

static inline void col2im_run_l(void *ctx, size_t di, size_t si, int n, int stride)
{
    const col2im_l *c = ctx;
    lb_lns_val *row = c->din + di;
    const lb_lns_val *sr = c->dcol + si;
    for (int i = 0; i < n; i++)
        row[i * stride] = lb_lns_add(c->o->ad, row[i * stride], sr[i]);
}

/* col2im1_add in LNS (the same walk, each addition the kernel's LNS adder); din_v (C·H·W) and
 * dcol_v (C·K·K·P) scratch */
static void col2im1_add_lns(float *din, const float *dcol, const lb_conv_shape *s,
                            const lb_lns_ops *o, lb_lns_val *din_v, lb_lns_val *dcol_v)
{
    const size_t n_in = (size_t)s->C * s->H * s->W;
    lb_lns_ops_enc(o, din, n_in, din_v);
    lb_lns_ops_enc(o, dcol, (size_t)s->C * s->K * s->K * s->OH * s->OW, dcol_v);
    col2im_l c = {din_v, dcol_v, o};
    col2im_walk(s, col2im_run_l, &c);
    lb_lns_ops_dec(o, din_v, n_in, din);
}

/* Small per-image GEMMs (few channels, as in LeNet) as plain loops over the long P dimension,
 * in vectors of 16 columns; BLIS's per-call packing costs more than the arithmetic there. Above
 * LB_CONV_SMALL weights per layer, BLIS. The loops fix the summation order of every element. */
#define LB_CONV_SMALL 4096

/* 16 floats in one register (GCC vector extension; never passed to or returned from a
 * function, so it has no ABI of its own: -march=x86-64-v3 splits it into two halves) */
typedef float lb_v16f __attribute__((vector_size(64)));

/* out[r][0..16) = sum over j in j order of w[r·rs + j·js] · b[j·ldb + 0..16), rows r < R ≤ 4
 * (R is a constant at every call: the unused accumulators vanish). Each element starts at 0 and
 * adds its J products in order; the R rows share each load of b (register blocking changes
 * which elements are computed together, never an element's order of operations). */
static inline __attribute__((always_inline)) void rows16(float *restrict out, int ldo,
                                                         const float *restrict w, int rs, int js,
                                                         int J, const float *restrict b, int ldb,
                                                         int R)
{
    lb_v16f a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, v;
    for (int j = 0; j < J; j++) {
        const float *restrict wj = w + (size_t)j * js;
        memcpy(&v, b + (size_t)j * ldb, sizeof v);
        a0 += wj[0] * v;
        if (R > 1) a1 += wj[rs] * v;
        if (R > 2) a2 += wj[2 * rs] * v;
        if (R > 3) a3 += wj[3 * rs] * v;
    }
    memcpy(out, &a0, sizeof a0);
    if (R > 1) memcpy(out + ldo, &a1, sizeof a1);
    if (R > 2) memcpy(out + 2 * (size_t)ldo, &a2, sizeof a2);
    if (R > 3) memcpy(out + 3 * (size_t)ldo, &a3, sizeof a3);
}

/* out (M, 16·nb) with row stride ldo = w (as rows16: row m at w + m·rs) · b (J, ·) */
static void gemm16(float *restrict out, int ldo, const float *restrict w, int rs, int js, int M,
                   int J, const float *restrict b, int ldb, int nb)
{
    int m = 0;
    for (; m + 4 <= M; m += 4)
        for (int p = 0; p < nb * V; p += V)
            rows16(out + (size_t)m * ldo + p, ldo, w + (size_t)m * rs, rs, js, J, b + p, ldb, 4);
    for (int p = 0; p < nb * V && m < M; p += V) {
        float *o = out + (size_t)m * ldo + p;
        const float *wm = w + (size_t)m * rs;
        switch (M - m) {
        case 3:
            rows16(o, ldo, wm, rs, js, J, b + p, ldb, 3);
            break;
        case 2:
            rows16(o, ldo, wm, rs, js, J, b + p, ldb, 2);
            break;
        default:
            rows16(o, ldo, wm, rs, js, J, b + p, ldb, 1);
            break;
        }
    }
}

/* The columns p0..P-1 (fewer than 16) of the rows (R, P) of src, as (R, 16) with zeros after */
static void tail16(float *restrict dst, const float *restrict src, int R, int P, int p0)
{
    for (int r = 0; r < R; r++) {
        memcpy(dst + (size_t)r * V, src + (size_t)r * P + p0, (size_t)(P - p0) * sizeof *dst);
        memset(dst + (size_t)r * V + (P - p0), 0, (size_t)(V - (P - p0)) * sizeof *dst);
    }
}

/* out (M, P) = w (as gemm16) · b (J, P): the full 16-column blocks in place, the last P % 16
 * columns through zero-padded copies (tmp: 16·(J + M) floats), so they take the same path */
static void gemm_p(float *restrict out, const float *restrict w, int rs, int js, int M, int J,
                   const float *restrict b, int P, float *restrict tmp)
{
    const int P16 = P / V * V;
    gemm16(out, P, w, rs, js, M, J, b, P, P / V);
    if (P16 == P) return;
    float *bt = tmp, *ot = tmp + (size_t)J * V;
    tail16(bt, b, J, P, P16);
    gemm16(ot, V, w, rs, js, M, J, bt, V, 1);
    for (int m = 0; m < M; m++)
        memcpy(out + (size_t)m * P + P16, ot + (size_t)m * V, (size_t)(P - P16) * sizeof *out);
}

/* acc (M, K, 16) += lane-wise products of e (M, P) and col (K, P) over the 16-column blocks of
 * P: lane l of acc[m][k] gets e[m][p]·col[k][p] for p ≡ l (mod 16), p in order, then the last
 * P % 16 columns from the zero-padded copies et (M, 16), ct (K, 16). The lanes are summed once
 * per thread at the end of the call (lanes_sum), not per image. Four k share each load of e. */
static void nt_acc(float *restrict acc, const float *restrict e, const float *restrict col,
                   const float *restrict et, const float *restrict ct, int M, int K, int P)
{
    const int P16 = P / V * V, tail = P16 < P;
    for (int m = 0; m < M; m++) {
        const float *restrict a = e + (size_t)m * P;
        int k = 0;
        for (; k + 4 <= K; k += 4) {
            float *restrict s = acc + ((size_t)m * K + k) * V;
            const float *restrict c0 = col + (size_t)k * P;
            lb_v16f a0, a1, a2, a3, va, v;
            memcpy(&a0, s, sizeof a0), memcpy(&a1, s + V, sizeof a1);
            memcpy(&a2, s + 2 * V, sizeof a2), memcpy(&a3, s + 3 * V, sizeof a3);
            for (int p = 0; p < P16; p += V) {
                memcpy(&va, a + p, sizeof va);
                memcpy(&v, c0 + p, sizeof v), a0 += va * v;
                memcpy(&v, c0 + P + p, sizeof v), a1 += va * v;
                memcpy(&v, c0 + 2 * (size_t)P + p, sizeof v), a2 += va * v;
                memcpy(&v, c0 + 3 * (size_t)P + p, sizeof v), a3 += va * v;
            }
            if (tail) {
                const float *ck = ct + (size_t)k * V;
                memcpy(&va, et + (size_t)m * V, sizeof va);
                memcpy(&v, ck, sizeof v), a0 += va * v;
                memcpy(&v, ck + V, sizeof v), a1 += va * v;
                memcpy(&v, ck + 2 * V, sizeof v), a2 += va * v;
                memcpy(&v, ck + 3 * V, sizeof v), a3 += va * v;
            }
            memcpy(s, &a0, sizeof a0), memcpy(s + V, &a1, sizeof a1);
            memcpy(s + 2 * V, &a2, sizeof a2), memcpy(s + 3 * V, &a3, sizeof a3);
        }
        for (; k < K; k++) {
            float *restrict s = acc + ((size_t)m * K + k) * V;
            const float *restrict c = col + (size_t)k * P;
            lb_v16f a0, va, v;
            memcpy(&a0, s, sizeof a0);
            for (int p = 0; p < P16; p += V) {
                memcpy(&va, a + p, sizeof va);
                memcpy(&v, c + p, sizeof v), a0 += va * v;
            }
            if (tail) {
                memcpy(&va, et + (size_t)m * V, sizeof va);
                memcpy(&v, ct + (size_t)k * V, sizeof v), a0 += va * v;
            }
            memcpy(s, &a0, sizeof a0);
        }
    }
}

/* acc (OC, 16) += the lane-wise sums of e (OC, P) over its 16-column blocks, then the zero-padded
 * tail et (OC, 16) (the bias gradient, reduced per thread at the end like nt_acc's) */
static void chsum_acc(float *restrict acc, const float *restrict e, const float *restrict et,
                      int OC, int P)
{
    const int P16 = P / V * V;
    for (int oc = 0; oc < OC; oc++) {
        lb_v16f s, v;
        memcpy(&s, acc + (size_t)oc * V, sizeof s);
        for (int p = 0; p < P16; p += V) {
            memcpy(&v, e + (size_t)oc * P + p, sizeof v);
            s += v;
        }
        if (P16 < P) {
            memcpy(&v, et + (size_t)oc * V, sizeof v);
            s += v;
        }
        memcpy(acc + (size_t)oc * V, &s, sizeof s);
    }
}

/* the sum of 16 lanes, in lane order */
static inline float lanes_sum(const float *l)
{
    float s = 0.0f;
    for (int j = 0; j < V; j++)
        s += l[j];
    return s;
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
    /* per thread: col and its slack, tail scratch, im2col scratch */
    const size_t per = (size_t)CKK * P + V + (size_t)V * (CKK + s->OC) + im2col_scratch(s);
    float *cols = lb_ws_get(ws, LB_WS_COL, (size_t)T * per);
    if (st || !cols) return st ? st : LB_ERR_NOMEM;
    int gst = LB_OK; /* a kernel failure (any thread) */
#pragma omp parallel num_threads(T)
    {
        lb_status gs;
        int t = omp_get_thread_num();
        float *col = cols + (size_t)t * per, *tmp = col + (size_t)CKK * P + V;
        float *pad = tmp + (size_t)V * (CKK + s->OC);
        for (int bb = s->B * t / T; bb < s->B * (t + 1) / T; bb++) {
            float *o = out + (size_t)bb * out1;
            im2col1(col, a + (size_t)bb * in1, s, pad);
            if (small)
                gemm_p(o, wq, CKK, 1, s->OC, CKK, col, P, tmp); /* (OC,P) = w · col */
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
    const size_t nw = (size_t)s->OC * CKK, per = (size_t)CKK * P + V + 2 * nw + im2col_scratch(s);
    float *bufs = lb_ws_get(ws, LB_WS_COL, (size_t)T * per);
    if (!bufs) return LB_ERR_NOMEM;
    int gst = LB_OK;
#pragma omp parallel num_threads(T)
    {
        lb_status gs;
        int t = omp_get_thread_num();
        float *col = bufs + (size_t)t * per, *prod = col + (size_t)CKK * P + V, *dwt = prod + nw;
        float *pad = dwt + nw;
        lb_lns_val *cv = din ? malloc(sizeof *cv * ((size_t)CKK * P + in1)) : NULL;
        if (din && !cv) {
#pragma omp atomic write
            gst = (int)LB_ERR_NOMEM;
        }
        memset(dwt, 0, nw * sizeof *dwt);
        for (int bb = s->B * t / T; bb < s->B * (t + 1) / T && !(din && !cv); bb++) {
            const float *eb = e + (size_t)bb * out1;
            if (dw) {
                im2col1(col, a + (size_t)bb * in1, s, pad);
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
            lb_lns_ops_accum(q->lns, dw, bufs + (size_t)t * per + (size_t)CKK * P + V + nw, nw);
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
    /* per thread: a column buffer; the dW partial (small: 16 lanes per weight, see nt_acc;
     * BLIS: one float per weight); the db lanes; tail scratch */
    const size_t dwn = small ? (size_t)V * nw : nw;
    const size_t per = (size_t)CKK * P + V + dwn + (size_t)V * s->OC + (size_t)V * (CKK + s->OC) +
                       im2col_scratch(s);
    float *cols = lb_ws_get(ws, LB_WS_COL, (size_t)T * per);
    if (!cols) return LB_ERR_NOMEM;
    const int P16 = P / V * V;
    int gst = LB_OK; /* a kernel failure (any thread) */
#pragma omp parallel num_threads(T)
    {
        lb_status gs;
        int t = omp_get_thread_num();
        float *col = cols + (size_t)t * per;
        float *dwt = col + (size_t)CKK * P + V, *dbt = dwt + dwn, *tmp = dbt + (size_t)V * s->OC;
        float *et = tmp, *ct = tmp + (size_t)V * s->OC; /* zero-padded tails of e and col */
        float *pad = tmp + (size_t)V * (CKK + s->OC);
        memset(dwt, 0, (dwn + (size_t)V * s->OC) * sizeof *dwt);
        for (int bb = s->B * t / T; bb < s->B * (t + 1) / T; bb++) {
            const float *eb = e + (size_t)bb * out1; /* (OC, P) */
            if (P16 < P) tail16(et, eb, s->OC, P, P16);
            chsum_acc(dbt, eb, et, s->OC, P);
            if (dw) {
                im2col1(col, a + (size_t)bb * in1, s, pad);
                if (small) {
                    if (P16 < P) tail16(ct, col, CKK, P, P16);
                    nt_acc(dwt, eb, col, et, ct, s->OC, CKK, P); /* += e · col^T, by lanes */
                } else if ((gs = lb_nn_gemm(q, LB_PASS_BACKWARD_WEIGHT, 0, 1, s->OC, CKK, P, eb,
                                            col, 1.0f, dwt))) {
#pragma omp atomic write
                    gst = (int)gs;
                }
            }
            if (din) {
                if (small)
                    gemm_p(col, wq, 1, CKK, CKK, s->OC, eb, P, tmp); /* dcol = w^T · e */
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
        const float *dwt = cols + (size_t)t * per + (size_t)CKK * P + V, *dbt = dwt + dwn;
        if (dw && small)
            for (size_t i = 0; i < nw; i++)
                dw[i] += lanes_sum(dwt + i * V);
        else if (dw)
            for (size_t i = 0; i < nw; i++)
                dw[i] += dwt[i];
        if (db)
            for (int oc = 0; oc < s->OC; oc++)
                db[oc] += lanes_sum(dbt + (size_t)oc * V);
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
