/* nn/pool_act_loss.c — the GEMM-free layers: maxpool2d (kernel = stride = k), ReLU, and the
 * numerically stable softmax + cross-entropy. (One file for the three small ones: none
 * quantizes anything, and each is a few loops.) */
#include <math.h>

#include "nn/internal.h"

/* out (B,C,H/k,W/k); idx[i] = flat index into in of the max (first max wins on ties) */
void lb_maxpool2d_forward(float *out, int32_t *idx, const float *in, int B, int C, int H, int W,
                          int k)
{
    const int OH = H / k, OW = W / k;
#pragma omp parallel for schedule(static)
    for (int bc = 0; bc < B * C; bc++) {
        const float *src = in + (size_t)bc * H * W;
        float *o = out + (size_t)bc * OH * OW;
        int32_t *ix = idx + (size_t)bc * OH * OW;
        const int32_t base = (int32_t)((size_t)bc * H * W);
        if (k == 2) /* the same comparisons in the same order, unrolled and without branches */
            for (int oh = 0; oh < OH; oh++) {
                const float *r0 = src + (size_t)(2 * oh) * W, *r1 = r0 + W;
                for (int ow = 0; ow < OW; ow++) {
                    float m = r0[2 * ow];
                    int best = 0;
                    best = r0[2 * ow + 1] > m ? (m = r0[2 * ow + 1], 1) : best;
                    best = r1[2 * ow] > m ? (m = r1[2 * ow], W) : best;
                    best = r1[2 * ow + 1] > m ? (m = r1[2 * ow + 1], W + 1) : best;
                    o[oh * OW + ow] = m;
                    ix[oh * OW + ow] = base + 2 * oh * W + 2 * ow + best;
                }
            }
        else
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    int best = (oh * k) * W + ow * k;
                    for (int i = 0; i < k; i++)
                        for (int j = 0; j < k; j++) {
                            int p = (oh * k + i) * W + ow * k + j;
                            if (src[p] > src[best]) best = p;
                        }
                    o[oh * OW + ow] = src[best];
                    ix[oh * OW + ow] = base + best;
                }
    }
}

void lb_maxpool2d_backward(float *din, const float *dout, const int32_t *idx, int B, int C, int OH,
                           int OW)
{
    /* windows do not overlap (stride = kernel): each din element gets at most one term */
#pragma omp parallel for schedule(static)
    for (int bc = 0; bc < B * C; bc++)
        for (int p = 0; p < OH * OW; p++) {
            size_t o = (size_t)bc * OH * OW + (size_t)p;
            din[idx[o]] += dout[o];
        }
}

/* avgpool2d, kernel = stride = k: out (B,C,H/k,W/k) = mean of each k x k window */
void lb_avgpool2d_forward(float *out, const float *in, int B, int C, int H, int W, int k)
{
    const int OH = H / k, OW = W / k;
    const float inv = 1.0f / (float)(k * k);
    for (int bc = 0; bc < B * C; bc++)
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                float s = 0.0f;
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < k; j++)
                        s += in[(size_t)bc * H * W + (size_t)(oh * k + i) * W + ow * k + j];
                out[(size_t)bc * OH * OW + (size_t)oh * OW + ow] = s * inv;
            }
}

void lb_avgpool2d_backward(float *din, const float *dout, int B, int C, int H, int W, int k)
{
    const int OH = H / k, OW = W / k;
    const float inv = 1.0f / (float)(k * k);
    for (int bc = 0; bc < B * C; bc++)
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                float d = dout[(size_t)bc * OH * OW + (size_t)oh * OW + ow] * inv;
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < k; j++)
                        din[(size_t)bc * H * W + (size_t)(oh * k + i) * W + ow * k + j] += d;
            }
}

void lb_relu_forward(float *out, const float *in, size_t n)
{
#pragma omp parallel for schedule(static) if (n >= LB_PAR_MIN)
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

void lb_relu_backward(float *din, const float *dout, const float *in, size_t n)
{
#pragma omp parallel for schedule(static) if (n >= LB_PAR_MIN)
    for (size_t i = 0; i < n; i++)
        din[i] += in[i] > 0.0f ? dout[i] : 0.0f;
}

double lb_softmax_xent_forward(float *probs, const float *logits, const int32_t *labels, int B,
                               int K, long *correct)
{
    double loss = 0;
    long hits = 0;
    for (int i = 0; i < B; i++) {
        const float *z = logits + (size_t)i * K;
        float *p = probs + (size_t)i * K;
        int arg = 0;
        for (int k = 1; k < K; k++)
            if (z[k] > z[arg]) arg = k;
        double sum = 0;
        for (int k = 0; k < K; k++)
            sum += exp((double)z[k] - z[arg]);
        for (int k = 0; k < K; k++)
            p[k] = (float)(exp((double)z[k] - z[arg]) / sum);
        loss += log(sum) - ((double)z[labels[i]] - z[arg]); /* -log softmax, stable */
        hits += arg == labels[i];
    }
    if (correct) *correct += hits;
    return B ? loss / B : 0.0;
}

void lb_softmax_xent_backward(float *dlogits, const float *probs, const int32_t *labels, int B,
                              int K)
{
    const float inv = 1.0f / (float)B;
    for (int i = 0; i < B; i++)
        for (int k = 0; k < K; k++)
            dlogits[(size_t)i * K + k] +=
                (probs[(size_t)i * K + k] - (k == labels[i] ? 1.0f : 0.0f)) * inv;
}
