/* lowbit/optim.h — optimizers over one flat parameter buffer (one file each in src/optim). */
#ifndef LOWBIT_OPTIM_H
#define LOWBIT_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "lowbit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* SGD with momentum and weight decay, PyTorch semantics (torch.optim.SGD, dampening 0,
 * nesterov off):  g' = g + wd·w;  buf = g' (first step) or m·buf + g';  w -= lr·buf.
 * buf has n entries; *first is set to 0 after the first step. */
void lb_sgd_step(float *w, const float *g, float *buf, size_t n, float lr, float momentum, float wd,
                 int *first);

/* The same update with every operation in LNS (all-LNS training, docs/methods.md#p2): w, g and buf
 * are taken as values of o's format (encoded on entry, grid values on exit; buf is the momentum
 * in LNS), lr, momentum and wd are encoded once per call, products are log additions and sums
 * o's LNS addition:  g' = g (+) wd(x)w;  buf = g' or m(x)buf (+) g';  w = w (+) (-lr)(x)buf.
 * No float32 master copy: w itself is the stored LNS weight. */
struct lb_lns_ops;
void lb_lns_sgd_step(const struct lb_lns_ops *o, float *w, const float *g, float *buf, size_t n,
                     float lr, float momentum, float wd, int *first);

/* Adam (decoupled = 0) or AdamW (decoupled = 1), torch.optim semantics; m, v: n entries each,
 * zero at the start; t: the 1-based step number (bias correction). */
void lb_adam_step(float *w, const float *g, float *m, float *v, size_t n, float lr, float b1,
                  float b2, float eps, float wd, int decoupled, long t);

/* ---- Madam (madam.c): multiplicative update, see the file's first comment ---------------- */
#define LB_MADAM_GCLAMP 10.0f
/* ĝ = g / sqrt(v / bc), NaN -> 0, clamped to ±LB_MADAM_GCLAMP (bc = 1 - β^t). */
float lb_madam_ghat(float g, float v, float bc);
/* One step on one tensor: v (n, zero at start) is the second moment, t the 1-based step. */
void lb_madam_step(float *w, const float *g, float *v, size_t n, float lr, float beta, float wd,
                   long t, float wmax);

/* ---- LNS-Madam (lns_madam.c): Madam as an integer step of LNS exponent codes ------------- */
typedef struct lb_lns_weights {
    int frac;           /* F: γ = 2^F */
    int32_t kmin, kmax; /* absolute codes K (value 2^(K/γ)) the tensor may hold */
} lb_lns_weights;
/* The float32 grid value 2^(K/γ) = 2^q·fl(2^(j/γ)), K = q·γ + j (the LNS format's grid). */
float lb_lns_grid_value(int32_t K, int frac);
/* Rounding of the LNS-Madam step (--madam-round): nearest, stochastic keyed by (seed, tensor,
 * step, i), or ghat: ĝ rounded to an integer before the step (the published update). */
enum { LB_MADAM_ROUND_NEAREST = 0, LB_MADAM_ROUND_SR = 1, LB_MADAM_ROUND_GHAT = 2 };
/* w: n weights on the grid; sr: an LB_MADAM_ROUND_* mode. LB_ERR_ARG for a bad lw or mode. */
lb_status lb_lns_madam_step(const lb_lns_weights *lw, float *w, const float *g, float *v, size_t n,
                            float lr, float beta, float wd, long t, int sr, uint64_t seed,
                            uint64_t tensor, uint64_t step);

/* ---- Kahan-compensated SGD (kahan_sgd.c) -------------------------------------------------- */
/* Quantize x[0..n) in place (weights or compensation); user is the caller's context. */
typedef lb_status (*lb_quant_fn)(void *user, float *x, size_t n);
/* buf: momentum (n), c: compensation (n, zero at start), tmp: scratch (n). qw/qc NULL: no
 * quantization of that buffer. */
lb_status lb_kahan_sgd_step(float *w, const float *g, float *buf, float *c, float *tmp, size_t n,
                            float lr, float momentum, float wd, int *first, lb_quant_fn qw,
                            void *qw_user, lb_quant_fn qc, void *qc_user);

#ifdef __cplusplus
}
#endif
#endif
