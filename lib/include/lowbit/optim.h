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
void lb_sgd_step(float *w, const float *g, float *buf, size_t n, float lr, float momentum, float wd,
                 int *first);

/* Adam (decoupled = 0) or AdamW (decoupled = 1), torch.optim semantics; m, v: n entries each,
 * zero at the start; t: the 1-based step number (bias correction). */
void lb_adam_step(float *w, const float *g, float *m, float *v, size_t n, float lr, float b1,
                  float b2, float eps, float wd, int decoupled, long t);

#ifdef __cplusplus
}
#endif
#endif
