/* optim/update.h — the parameter update of a training step: the optimizer over the model's
 * parameter tensors and, with --weight-format, weights STORED in a low-precision format (no
 * FP32 master copy: every step ends on that format's grid). Internal to the library.
 *
 * Stored weights [choices, named in the report]: every parameter tensor (weights, biases,
 * batchnorm γ/β) is stored in the format. A format with a data-driven scale (lns scale=tensor,
 * int) gets ONE scale per tensor, fixed at initialisation so that the bound R = 3·RMS(w at
 * init) (1 if that is 0) is its largest value: R is Madam's |w| bound, so all optimizers see
 * the same grid and saturate at the same place. Unscaled formats (fp, fx) need no scale. Block
 * formats (MX, MLS: a scale per block of elements) are stored as such hardware stores them: each
 * block's scale is computed from the block's values whenever the block is written (no fixed
 * scale; a block's grid follows its largest weight).
 * Rounding: the format's own (round=sr in the spec for stochastic rounding, keyed by
 * (seed, tensor, step, index)).
 * Statistics per step (when the weights are stored in a format): the relative error between the
 * ideal update (the optimizer's float result minus the old weight) and the update that landed
 * on the grid, ||landed - ideal|| / ||ideal||, and the fraction of nonzero ideal updates that
 * vanished (landed exactly 0): the stall of docs/methods.md#p1c and #p4a. */
#ifndef LB_OPTIM_UPDATE_H
#define LB_OPTIM_UPDATE_H

#include <stddef.h>
#include <stdint.h>

#include "lowbit/format.h"
#include "lowbit/optim.h"
#include "lowbit/train.h"

/* The optimizer settings, parsed and checked once (lb_update_config_make). */
typedef struct lb_update_config {
    const lb_optimizer_entry *opt;
    lb_format wf, kf; /* stored weights (w_on) and kahan_sgd compensation (k_on) */
    int w_on, k_on;
    double momentum, weight_decay;
    double madam_beta; /* 0: 0.999 */
    int madam_sr;      /* lns_madam: step rounding, LB_MADAM_ROUND_* (0 nearest, 1 sr, 2 ghat) */
    uint64_t seed;
    const struct lb_lns_ops *lns; /* sgd only: the update in this LNS (lb_lns_sgd_step) */
} lb_update_config;

/* Parse the names and specs (weight_format NULL or "fp32": float32 weights; kahan_format NULL:
 * the weight format) and check that they fit together. Errors (LB_ERR_ARG/SPEC) name the
 * option. */
lb_status lb_update_config_make(lb_update_config *c, const char *optimizer,
                                const char *weight_format, const char *kahan_format,
                                double momentum, double weight_decay, double madam_beta,
                                int madam_sr, uint64_t seed, lb_error *err);

typedef struct lb_ptensor {
    size_t off, n;
} lb_ptensor;

typedef struct lb_update {
    const lb_optimizer_entry *opt;
    lb_format wf, kf;
    int w_on, w_scaled, k_on, k_scaled;
    int nt;
    lb_ptensor *t;
    float *bound, *scale;
    lb_lns_weights *lw;
    const struct lb_lns_ops *lns;
    size_t np;
    float *old, *tmp; /* np each */
    double momentum, wd, beta;
    int sr;
    uint64_t seed;
    double err_sum, zero_sum;
    long nsteps;
} lb_update;

/* Compute per-tensor bounds and scales from the INITIAL params and round params onto the weight
 * grid. */
lb_status lb_update_init(lb_update *u, const lb_update_config *c, const lb_ptensor *t, int nt,
                         float *params, size_t np, lb_error *err);
/* Optimizer state tensors of np floats each (momentum, moments, compensation). */
int lb_update_nstate(const lb_update *u);
/* One step; state has lb_update_nstate·np floats; t1 the 1-based step number; *first as
 * lb_sgd_step. */
lb_status lb_update_step(lb_update *u, float *params, const float *grads, float *state, float lr,
                         uint64_t step, long t1, int *first);
/* Mean relative update error and vanished fraction since the last call (0 if no steps). */
void lb_update_take_stats(lb_update *u, double *rel_err, double *zero_frac);
void lb_update_free(lb_update *u);

#endif
