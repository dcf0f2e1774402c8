/* optim/adam.c — Adam and AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019), the update of
 * torch.optim.Adam / AdamW (amsgrad off):
 *   Adam:  g' = g + wd·w                      AdamW: w = w·(1 - lr·wd), g' = g
 *   m = b1·m + (1-b1)·g';  v = b2·v + (1-b2)·g'^2
 *   w -= lr · (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * Element-wise: the result does not depend on threads or order. */
#include <math.h>

#include "lowbit/optim.h"

void lb_adam_step(float *w, const float *g, float *m, float *v, size_t n, float lr, float b1,
                  float b2, float eps, float wd, int decoupled, long t)
{
    const float bc1 = 1.0f - powf(b1, (float)t), bc2 = 1.0f - powf(b2, (float)t);
    const float step = lr / bc1, sbc2 = sqrtf(bc2);
    for (size_t i = 0; i < n; i++) {
        float gi = g[i];
        if (decoupled)
            w[i] *= 1.0f - lr * wd;
        else
            gi += wd * w[i];
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        /* torch: denom = sqrt(v)/sqrt(bc2) + eps; w -= (lr/bc1) · m / denom */
        w[i] -= step * m[i] / (sqrtf(v[i]) / sbc2 + eps);
    }
}
