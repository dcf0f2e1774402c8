/* optim/kahan_sgd.c — SGD with Kahan-compensated weight updates for weights stored in a low
 * precision format (Park, Lee, Oh, Ha, Lee, arXiv 1810.05486; docs/methods.md#p4, textbook form):
 *   g' = g + wd·w;  buf = g' (first step) or m·buf + g';  y = -lr·buf - c
 *   t = Q_w(w + y);  c = Q_c((t - w) - y);  w = t
 * c is per element, zero at the start, and stored in a low precision format Q_c (by default
 * the weight format with its own data-driven scale). Q_w and Q_c are given as callbacks so the
 * caller decides scales and rounding keys. */
#include "lowbit/optim.h"

lb_status lb_kahan_sgd_step(float *w, const float *g, float *buf, float *c, float *tmp, size_t n,
                            float lr, float momentum, float wd, int *first, lb_quant_fn qw,
                            void *qw_user, lb_quant_fn qc, void *qc_user)
{
    for (size_t i = 0; i < n; i++) {
        float gg = g[i] + wd * w[i];
        buf[i] = (*first || momentum == 0.0f) ? gg : momentum * buf[i] + gg;
    }
    *first = 0;
    for (size_t i = 0; i < n; i++)
        tmp[i] = w[i] + (-lr * buf[i] - c[i]); /* w + y */
    lb_status st = qw ? qw(qw_user, tmp, n) : LB_OK;
    if (st) return st;
    for (size_t i = 0; i < n; i++) {
        float y = -lr * buf[i] - c[i];
        c[i] = (tmp[i] - w[i]) - y;
        w[i] = tmp[i];
    }
    return qc ? qc(qc_user, c, n) : LB_OK;
}
