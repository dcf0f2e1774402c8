/* optim/sgd.c — SGD with momentum and weight decay; the update of torch.optim.SGD
 * (dampening 0, no Nesterov): g' = g + wd·w; buf = first ? g' : m·buf + g'; w -= lr·buf.
 * Element-wise, so the result does not depend on threads or order. */
#include "core/internal.h"
#include "lowbit/optim.h"

/* one pass over the arrays, over the threads from LB_PAR_MIN elements */
void lb_sgd_step(float *w, const float *g, float *buf, size_t n, float lr, float momentum, float wd,
                 int *first)
{
    const int plain = momentum == 0.0f, init = *first;
#pragma omp parallel for schedule(static) if (n >= LB_PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        const float gp = g[i] + wd * w[i];
        if (plain) {
            w[i] -= lr * gp;
            continue;
        }
        buf[i] = init ? gp : momentum * buf[i] + gp;
        w[i] -= lr * buf[i];
    }
    if (!plain) *first = 0;
}
