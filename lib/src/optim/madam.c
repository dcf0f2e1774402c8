/* optim/madam.c — Madam, the multiplicative optimizer (Bernstein, Zhao, Meister, Liu,
 * Anandkumar, Yue: "Learning compositional functions via multiplicative weight updates",
 * NeurIPS 2020; code jxbz/madam and jiaweizzhao/lns-madam-optimizer; docs/methods.md#p1):
 *   v = β·v + (1-β)·g²;  v̂ = v / (1 - β^t);  ĝ = g / sqrt(v̂)  (NaN -> 0, clamped to ±10)
 *   w = w · 2^(-η·(ĝ·sign(w) + wd));  |w| <= wmax (3·RMS of the tensor at initialisation)
 * The reference code writes exp(); we use base 2 throughout so that the float update and the
 * integer LNS step (lns_madam.c) are the same function of η [choice, docs/methods.md#p1].
 * Element-wise within one parameter tensor. */
#include <math.h>

#include "lowbit/optim.h"

float lb_madam_ghat(float g, float v, float bc)
{
    float gh = g / sqrtf(v / bc);
    if (gh != gh) gh = 0.0f; /* 0/0 when v = 0 */
    return gh > LB_MADAM_GCLAMP ? LB_MADAM_GCLAMP : gh < -LB_MADAM_GCLAMP ? -LB_MADAM_GCLAMP : gh;
}

void lb_madam_step(float *w, const float *g, float *v, size_t n, float lr, float beta, float wd,
                   long t, float wmax)
{
    const float bc = 1.0f - powf(beta, (float)t);
    for (size_t i = 0; i < n; i++) {
        v[i] = beta * v[i] + (1.0f - beta) * g[i] * g[i];
        float gh = lb_madam_ghat(g[i], v[i], bc);
        float s = w[i] > 0 ? 1.0f : w[i] < 0 ? -1.0f : 0.0f;
        float x = w[i] * exp2f(-lr * (gh * s + wd));
        w[i] = x > wmax ? wmax : x < -wmax ? -wmax : x;
    }
}
