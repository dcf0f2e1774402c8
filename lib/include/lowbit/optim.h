/* lowbit/optim.h — optimizers over one flat parameter buffer (one file each in src/optim). */
#ifndef LOWBIT_OPTIM_H
#define LOWBIT_OPTIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* SGD with momentum and weight decay, PyTorch semantics (torch.optim.SGD, dampening 0,
 * nesterov off):  g' = g + wd·w;  buf = g' (first step) or m·buf + g';  w -= lr·buf.
 * buf has n entries; *first is set to 0 after the first step. */
void lb_sgd_step(float *w, const float *g, float *buf, size_t n, float lr, float momentum,
                 float wd, int *first);

#ifdef __cplusplus
}
#endif
#endif
