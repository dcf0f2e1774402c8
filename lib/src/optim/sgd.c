/* optim/sgd.c — SGD with momentum and weight decay; the update of torch.optim.SGD
 * (dampening 0, no Nesterov): g' = g + wd·w; buf = first ? g' : m·buf + g'; w -= lr·buf.
 * Element-wise, so the result does not depend on threads or order. */
#include "lowbit/optim.h"

void lb_sgd_step(float *w, const float *g, float *buf, size_t n, float lr, float momentum, float wd,
                 int *first)
{
    if (momentum == 0.0f) {
        for (size_t i = 0; i < n; i++)
            w[i] -= lr * (g[i] + wd * w[i]);
        return;
    }
    if (*first)
        for (size_t i = 0; i < n; i++)
            buf[i] = g[i] + wd * w[i];
    else
        for (size_t i = 0; i < n; i++)
            buf[i] = momentum * buf[i] + (g[i] + wd * w[i]);
    for (size_t i = 0; i < n; i++)
        w[i] -= lr * buf[i];
    *first = 0;
}
