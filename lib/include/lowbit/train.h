/* lowbit/train.h — models and the training loop behind `lowbit train`.
 *
 * Models (a registry, like the formats'): "mlp" (784-256-256-10; hidden sizes configurable),
 * "lenet5" (conv 6@5x5 pad 2, maxpool 2, conv 16@5x5, maxpool 2, fc 120, fc 84, fc 10, ReLU),
 * "vgg" (VGG-11 with batchnorm, width multiplier, global average pool + linear) and "resnet"
 * (CIFAR ResNet, depth 6n+2, width multiplier, 1x1 projection shortcuts). Parameters are
 * initialised like PyTorch's defaults (weights and biases uniform in
 * +-1/sqrt(fan_in)) from the counter-based generator keyed by (seed, tensor, 0, index).
 * Optimizers: SGD with momentum and weight decay, PyTorch semantics (buf = m·buf + g + wd·w,
 * w -= lr·buf), Adam and AdamW (torch.optim); schedules constant, step (x0.1 at 50% and 75% of
 * the epochs), cosine; Madam, LNS-Madam (integer steps of LNS weight codes) and Kahan-compensated
 * SGD for weights stored in a low-precision format (--weight-format; lib/src/optim/update.h
 * states the storage choices).
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
    const char *model;    /* "mlp" | "lenet5" | "vgg" | "resnet" */
    int hidden1, hidden2; /* mlp hidden sizes (default 256, 256) */
    double width;         /* vgg/resnet width multiplier (default 1) */
    int depth;            /* resnet depth 6n+2 (default 20) */
    const char *dataset;  /* "fashion-mnist" | "mnist" */
    const char *data_dir;
    int64_t train_subset, test_subset; /* 0: all */
    int epochs, batch;
    double lr, momentum, weight_decay;
    const char *optimizer; /* "sgd" | "adam" | "adamw" (betas 0.9, 0.999, eps 1e-8) | "madam"
                              | "lns_madam" | "kahan_sgd" (lib/src/optim, one file each) */
    const char *schedule;  /* "constant" | "step" | "cosine" */
    uint64_t seed;
    int threads;
    const char *w_format, *a_format, *e_format, *g_format; /* spec strings; NULL = fp32 */
    const char *gemm; /* GEMM kernel spec (lowbit/gemm.h); NULL = fp32 (BLIS) */
    /* Stored weights (docs/methods.md#p1, P4): the parameters themselves kept in this format, no
     * float32 master copy (NULL = fp32); the kahan_sgd compensation format (NULL = the weight
     * format); Madam's β (0 = 0.999); lns_madam step rounding (0 nearest, 1 stochastic). */
    const char *weight_format, *kahan_format;
    double madam_beta;
    int madam_sr;
    /* Formats of the last GEMM layer (W, A and E roles, and its G) and thereby of the gradient
     * entering it from softmax; NULL = the same as the other layers (docs/methods.md#p4). */
    const char *last_layer_format;
    /* All-LNS (docs/methods.md#p2): with an LNS-addition --gemm kernel, the layers' element-wise
     * arithmetic (bias, batchnorm, gradient sums, col2im) and the SGD update (momentum, weight
     * decay) in that kernel's LNS, weights stored in it (lowbit/lnsadd.h) */
    int all_lns;
    const char *out;        /* RUN.h5 */
    const char *checkpoint; /* NULL: <out>.ckpt */
    int resume;
    const char *command; /* recorded in the result file */
} lb_train_config;

/* Defaults: mlp 256-256, fashion-mnist, 10 epochs, batch 128, lr 0.05, momentum 0.9,
 * constant schedule, seed 1, 1 thread, fp32 roles. */
void lb_train_config_defaults(lb_train_config *c);

typedef struct lb_epoch_report {
    int epoch, epochs;
    double train_loss, train_acc, test_loss, test_acc, seconds, eta_seconds;
} lb_epoch_report;

typedef void (*lb_train_progress_fn)(const lb_epoch_report *r, void *user);

/* Train and write cfg->out. Calls progress after every epoch (may be NULL). */
lb_status lb_train(const lb_train_config *cfg, lb_train_progress_fn progress, void *user,
                   lb_error *err);

/* Names of the registered models, NULL-terminated. */
const char *const *lb_model_names(void);

#ifdef __cplusplus
}
#endif
#endif
