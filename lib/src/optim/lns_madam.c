/* optim/lns_madam.c — Madam on LNS weights as an integer step of the exponent codes
 * (Zhao et al., LNS-Madam, IEEE Trans. Computers 2022; docs/methods.md#p1):
 *   K = γ·log2|w| (an integer: w is on the grid of lns:frac=F, γ = 2^F)
 *   ΔK = R(η·γ·(ĝ·sign(w) + wd)),  R = nearest (ties to even) or stochastic rounding, or
 *   ΔK = nearest(η·γ·nearest(ĝ·sign(w) + wd))  (mode "ghat": the published update, ĝ rounded to
 *        an integer first; with η·γ an integer, e.g. η = 2^-7 and F >= 7, the step is exact)
 *   K' = clamp(K - ΔK, Kmin, Kmax),  w' = sign(w)·2^(K'/γ)
 * ĝ as in madam.c. With η·γ = 1 and an integer ĝ the step is exact. No float arithmetic
 * touches the weight: K' is formed in integers and w' is the grid value of K'. Kmax is the
 * tensor's top code (3·RMS at init maps to it, which is Madam's |w| bound); Kmin the smallest
 * code: a weight never steps into zero [choice: zero is absorbing for a multiplicative update].
 * Zero weights stay zero (sign 0). SR draws u from (seed, tensor, step, index). */
#include <math.h>

#include "lowbit/optim.h"
#include "lowbit/rng.h"

#define LB_STREAM_LNS_MADAM 0x4c4d41444d756c74ull

float lb_lns_grid_value(int32_t K, int frac)
{
    const int g = 1 << frac;
    int32_t q = K >= 0 ? K / g : -((-K + g - 1) / g); /* floor(K / g) */
    int32_t j = K - q * g;
    return ldexpf((float)exp2((double)j / g), q);
}

lb_status lb_lns_madam_step(const lb_lns_weights *lw, float *w, const float *g, float *v, size_t n,
                            float lr, float beta, float wd, long t, int sr, uint64_t seed,
                            uint64_t tensor, uint64_t step)
{
    if (lw->frac < 0 || lw->frac > 10 || lw->kmin > lw->kmax || sr < 0 || sr > 2) return LB_ERR_ARG;
    const float gamma = (float)(1 << lw->frac);
    const float bc = 1.0f - powf(beta, (float)t);
    lb_rng_key key = lb_rng_make_key(seed, LB_STREAM_LNS_MADAM ^ tensor, step);
    for (size_t i = 0; i < n; i++) {
        v[i] = beta * v[i] + (1.0f - beta) * g[i] * g[i];
        if (w[i] == 0.0f) continue;
        float gh = lb_madam_ghat(g[i], v[i], bc);
        float s = w[i] > 0 ? 1.0f : -1.0f;
        float x = sr == LB_MADAM_ROUND_GHAT ? lr * gamma * nearbyintf(gh * s + wd)
                                            : lr * gamma * (gh * s + wd);
        int32_t d = sr == LB_MADAM_ROUND_SR ? (int32_t)floorf(x + lb_rng_uniform(key, i))
                                            : (int32_t)nearbyintf(x);
        int32_t K = (int32_t)lrint(gamma * log2(fabs((double)w[i])));
        int64_t K2 = (int64_t)K - d;
        K2 = K2 > lw->kmax ? lw->kmax : K2 < lw->kmin ? lw->kmin : K2;
        w[i] = s * lb_lns_grid_value((int32_t)K2, lw->frac);
    }
    return LB_OK;
}
