/* nn/batchnorm.c — batch normalisation over (B, H, W) per channel (BatchNorm2d; BatchNorm1d
 * is the case H = W = 1), as torch.nn.BatchNorm: eps 1e-5, momentum 0.1, running variance
 * updated with the unbiased batch variance, evaluation with the running statistics.
 *   forward (train)  mu, var over the batch; xh = (x - mu) / sqrt(var + eps); y = g·xh + b
 *   backward         db = sum dy; dg = sum dy·xh; dx = g·istd/N · (N·dy - db - xh·dg)
 * Shapes: x, y (B,C,H,W); g, b, running_mean, running_var, saved mean/istd (C).
 * Each channel is reduced in a fixed order (double accumulators), channels in parallel: the
 * result does not depend on the thread count. */
#include <math.h>

#include "nn/internal.h"

void lb_batchnorm_forward(float *y, float *save_mean, float *save_istd, float *run_mean,
                          float *run_var, const float *x, const float *g, const float *b, int B,
                          int C, int HW, int train)
{
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        double mu, var;
        if (train) {
            double s = 0, s2 = 0;
            for (int i = 0; i < B; i++) {
                const float *xc = x + ((size_t)i * C + c) * HW;
                for (int p = 0; p < HW; p++)
                    s += xc[p];
            }
            double n = (double)B * HW;
            mu = s / n;
            for (int i = 0; i < B; i++) {
                const float *xc = x + ((size_t)i * C + c) * HW;
                for (int p = 0; p < HW; p++)
                    s2 += ((double)xc[p] - mu) * ((double)xc[p] - mu);
            }
            var = s2 / n;
            run_mean[c] = (float)((1 - LB_BN_MOMENTUM) * run_mean[c] + LB_BN_MOMENTUM * mu);
            run_var[c] = (float)((1 - LB_BN_MOMENTUM) * run_var[c] +
                                 LB_BN_MOMENTUM * (n > 1 ? s2 / (n - 1) : var));
        } else {
            mu = run_mean[c];
            var = run_var[c];
        }
        float istd = (float)(1.0 / sqrt(var + LB_BN_EPS)), m = (float)mu;
        if (save_mean) save_mean[c] = m, save_istd[c] = istd;
        for (int i = 0; i < B; i++) {
            const float *xc = x + ((size_t)i * C + c) * HW;
            float *yc = y + ((size_t)i * C + c) * HW;
            for (int p = 0; p < HW; p++)
                yc[p] = g[c] * ((xc[p] - m) * istd) + b[c];
        }
    }
}

void lb_batchnorm_backward(float *dx, float *dg, float *db, const float *dy, const float *x,
                           const float *g, const float *save_mean, const float *save_istd, int B,
                           int C, int HW)
{
    const double n = (double)B * HW;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        const float m = save_mean[c], istd = save_istd[c];
        double sdy = 0, sdyxh = 0;
        for (int i = 0; i < B; i++) {
            const float *xc = x + ((size_t)i * C + c) * HW, *dyc = dy + ((size_t)i * C + c) * HW;
            for (int p = 0; p < HW; p++) {
                sdy += dyc[p];
                sdyxh += (double)dyc[p] * ((xc[p] - m) * istd);
            }
        }
        db[c] += (float)sdy;
        dg[c] += (float)sdyxh;
        if (!dx) continue;
        const float k = (float)(g[c] * istd / n), fs = (float)sdy, fx = (float)sdyxh, fn = (float)n;
        for (int i = 0; i < B; i++) {
            const float *xc = x + ((size_t)i * C + c) * HW, *dyc = dy + ((size_t)i * C + c) * HW;
            float *dxc = dx + ((size_t)i * C + c) * HW;
            for (int p = 0; p < HW; p++)
                dxc[p] += k * (fn * dyc[p] - fs - ((xc[p] - m) * istd) * fx);
        }
    }
}

/* ---- global average pool: out (B,C) = mean over H·W of in (B,C,H,W) ----------------------- */
void lb_gap_forward(float *out, const float *in, int B, int C, int HW)
{
    for (int i = 0; i < B * C; i++) {
        double s = 0;
        for (int p = 0; p < HW; p++)
            s += in[(size_t)i * HW + p];
        out[i] = (float)(s / HW);
    }
}

void lb_gap_backward(float *din, const float *dout, int B, int C, int HW)
{
    for (int i = 0; i < B * C; i++) {
        float d = dout[i] / (float)HW;
        for (int p = 0; p < HW; p++)
            din[(size_t)i * HW + p] += d;
    }
}

/* ---- dropout (inverted): keep with probability 1-p, scale by 1/(1-p); the mask is drawn from
 * (seed, tensor, step, index), so it is the same for any thread count ---------------------- */
void lb_dropout_forward(float *out, const float *in, size_t n, float p, uint64_t seed,
                        uint64_t tensor, uint64_t step)
{
    lb_rng_key k = lb_rng_make_key(seed, tensor, step);
    const float scale = 1.0f / (1.0f - p);
    const uint32_t thr = (uint32_t)((double)p * 4294967296.0);
    for (size_t i = 0; i < n; i++)
        out[i] = lb_rng_u32(k, i) >= thr ? in[i] * scale : 0.0f;
}

void lb_dropout_backward(float *din, const float *dout, size_t n, float p, uint64_t seed,
                         uint64_t tensor, uint64_t step)
{
    lb_rng_key k = lb_rng_make_key(seed, tensor, step);
    const float scale = 1.0f / (1.0f - p);
    const uint32_t thr = (uint32_t)((double)p * 4294967296.0);
    for (size_t i = 0; i < n; i++)
        if (lb_rng_u32(k, i) >= thr) din[i] += dout[i] * scale;
}
