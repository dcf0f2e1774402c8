/* lowbit/train.h — the model, optimizer and schedule registries and the training loop behind
 * `lowbit train`.
 *
 * Models: lib/src/nn/models.def (`lowbit models` lists them with their options and inputs).
 * Parameters are initialised like PyTorch's defaults (weights and biases uniform in
 * +-1/sqrt(fan_in)) from the counter-based generator keyed by (seed, tensor, 0, index).
 * Optimizers: lib/src/optim/optimizers.def (`lowbit optimizers`): SGD with momentum and weight
 * decay, PyTorch semantics (buf = m·buf + g + wd·w, w -= lr·buf), Adam and AdamW (torch.optim),
 * Madam, LNS-Madam (integer steps of LNS weight codes) and Kahan-compensated SGD for weights
 * stored in a low-precision format (--weight-format; lib/src/optim/update.h states the storage
 * choices). Schedules: lib/src/optim/schedules.def (`lowbit schedules`).
 * Determinism: same configuration, seed and thread count give bit-identical results; a run
 * resumed from its checkpoint ends bit-identical to an uninterrupted one. */
#ifndef LOWBIT_TRAIN_H
#define LOWBIT_TRAIN_H

#include <stdint.h>

#include "lowbit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lb_train_config {
    const char *model;    /* a name of lib/src/nn/models.def (`lowbit models`) */
    int hidden1, hidden2; /* mlp hidden sizes (default 256, 256) */
    double width;         /* vgg/vgg16/resnet width multiplier (default 1) */
    int depth;            /* resnet depth 6n+2 (default 20) */
    const char *dataset;  /* a data set name (lowbit/data.h) */
    const char *data_dir;
    int64_t train_subset, test_subset; /* 0: all */
    int epochs, batch;
    double lr, momentum, weight_decay;
    const char *optimizer; /* a name of lib/src/optim/optimizers.def (`lowbit optimizers`) */
    const char *schedule;  /* a name of lib/src/optim/schedules.def (`lowbit schedules`) */
    uint64_t seed;
    int threads;
    const char *w_format, *a_format, *e_format, *g_format; /* spec strings; NULL = fp32 */
    const char *gemm; /* GEMM kernel spec (lowbit/gemm.h); NULL = fp32 (BLIS) */
    /* Stored weights (docs/methods.md#p1, P4): the parameters themselves kept in this format, no
     * float32 master copy (NULL = fp32); the kahan_sgd compensation format (NULL = the weight
     * format); Madam's β (0 = 0.999); lns_madam step rounding (0 nearest, 1 stochastic). */
    const char *weight_format, *kahan_format;
    double madam_beta;
    int madam_sr; /* lns_madam step rounding: 0 nearest, 1 sr, 2 ghat (ĝ rounded first) */
    /* Formats of the last GEMM layer (W, A and E roles, and its G) and thereby of the gradient
     * entering it from softmax; NULL = the same as the other layers (docs/methods.md#p4). */
    const char *last_layer_format;
    /* Which roles of the last layer take last_layer_format: a non-empty subset of "WAEG" (NULL
     * = all four); the others keep the formats of the other layers. "E" alone quantizes only
     * the error entering the last layer's backward pass (docs/methods.md#p4). */
    const char *last_layer_roles;
    /* Static loss scaling: the gradient of the loss (the error E entering the last layer) is
     * multiplied by loss_scale before the backward pass and the weight gradients divided by it
     * before the update; a power of two, so float32 training is unchanged (0 or 1: none). With
     * the batch-mean loss, E is (p - y)/batch: loss_scale = batch gives per-example errors. */
    double loss_scale;
    /* All-LNS (docs/methods.md#p2): with an LNS-addition --gemm kernel, the layers' element-wise
     * arithmetic (bias, batchnorm, gradient sums, col2im) and the SGD update (momentum, weight
     * decay) in that kernel's LNS, weights stored in it (lowbit/lnsadd.h) */
    int all_lns;
    const char *out;        /* RUN.h5 */
    const char *checkpoint; /* NULL: <out>.ckpt */
    int resume;
    const char *command; /* recorded in the result file */
    /* NULL, or a NumPy .npy file written after the run: float32 (2, parameters), row 0 the
     * parameters as initialised, row 1 as trained; each layer's weight (in PyTorch's layout)
     * then its bias, in layer order. For cross-checks against other implementations. */
    const char *save_weights;
} lb_train_config;

/* Defaults: mlp 256-256, fashion-mnist, 10 epochs, batch 128, lr 0.05, momentum 0.9,
 * constant schedule, seed 1, 1 thread, fp32 roles. */
void lb_train_config_defaults(lb_train_config *c);

typedef struct lb_epoch_report {
    int epoch, epochs;
    double train_loss, train_acc, test_loss, test_acc, seconds, eta_seconds;
} lb_epoch_report;

typedef void (*lb_train_progress_fn)(const lb_epoch_report *r, void *user);

/* Train and write cfg->out. Calls progress after every epoch (may be NULL). The configuration is
 * checked as a whole before any data is read (LB_ERR_ARG/LB_ERR_SPEC naming the option); the
 * BLIS and OpenMP thread counts are set to cfg->threads for the run and restored afterwards. */
lb_status lb_train(const lb_train_config *cfg, lb_train_progress_fn progress, void *user,
                   lb_error *err);

/* ---- Registries (X-macro lists; `lowbit models|optimizers|schedules [--csv]` print them) --- */

/* Options a model takes (bits of lb_model_entry.options). */
enum { LB_MOPT_HIDDEN1 = 1u, LB_MOPT_HIDDEN2 = 2u, LB_MOPT_WIDTH = 4u, LB_MOPT_DEPTH = 8u };
struct lb_model;
struct lb_model_opts;
typedef struct lb_model_entry {
    const char *name;
    lb_status (*build)(struct lb_model *m, const struct lb_model_opts *o, lb_error *err);
    unsigned options; /* LB_MOPT_* */
    int min_hw;       /* smallest image height and width (1: any) */
    const char *description;
} lb_model_entry;
const lb_model_entry *lb_model_registry(int *n);
/* NULL and an error listing the accepted names if name is not registered. */
const lb_model_entry *lb_model_find(const char *name, lb_error *err);
/* Names of the registered models, NULL-terminated. */
const char *const *lb_model_names(void);
/* The name of the i-th (0-based) option in `options`, NULL past the last. */
const char *lb_model_option_name(unsigned options, int i);

/* Hyper-parameters an optimizer takes beyond lr and weight decay (lb_optimizer_entry.hyper). */
enum { LB_OHP_MOMENTUM = 1u, LB_OHP_BETA = 2u, LB_OHP_ROUND = 4u, LB_OHP_KAHAN = 8u };
struct lb_update;
typedef struct lb_optimizer_entry {
    const char *name;
    int nstate;       /* optimizer state tensors of nparams floats each */
    int needs_lns;    /* 1: needs weights stored in an LNS format (--weight-format lns...) */
    int rounds_after; /* 1: a float step, then the stored weights rounded onto their grid */
    unsigned hyper;   /* LB_OHP_*: --momentum, --madam-beta, --madam-round, --kahan-format */
    lb_status (*step)(struct lb_update *u, float *params, const float *grads, float *state,
                      float lr, uint64_t step, long t1, int *first);
    const char *description;
} lb_optimizer_entry;
const lb_optimizer_entry *lb_optimizer_registry(int *n);
const lb_optimizer_entry *lb_optimizer_find(const char *name, lb_error *err);

typedef struct lb_schedule_entry {
    const char *name;
    double (*lr)(double lr0, int epoch, int epochs); /* the learning rate of 0-based epoch */
    const char *description;
} lb_schedule_entry;
const lb_schedule_entry *lb_schedule_registry(int *n);
const lb_schedule_entry *lb_schedule_find(const char *name, lb_error *err);

#ifdef __cplusplus
}
#endif
#endif
