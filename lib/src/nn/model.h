/* nn/model.h — sequential models: a list of layers over one flat parameter buffer, one flat
 * gradient buffer and per-layer activation buffers (llm.c style). Internal to the library. */
#ifndef LB_NN_MODEL_H
#define LB_NN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "lowbit/nn.h"
#include "lowbit/results.h"
#include "lowbit/train.h"

typedef enum {
    LB_L_LINEAR,
    LB_L_CONV,
    LB_L_RELU,
    LB_L_MAXPOOL,
    LB_L_BN,     /* batchnorm; params: gamma (w), beta (b); state: running mean, var */
    LB_L_GAP,    /* global average pool -> (C,1,1) */
    LB_L_ADD,    /* residual: out = act[in] + act[in2] */
    LB_L_DROPOUT /* p in drop_p */
} lb_layer_kind;

typedef struct lb_layer {
    lb_layer_kind kind;
    char name[32];
    int in_c, in_h, in_w;    /* per-example input shape */
    int out_c, out_h, out_w; /* per-example output shape */
    int k, stride, pad;
    int in, in2; /* input layer index (-1: the network input); add: second */
    float drop_p;
    size_t w_off, b_off, n_w, n_b; /* into params/grads */
    size_t st_off;                 /* batchnorm: running mean at st_off, var at st_off + C */
    size_t out_n;                  /* per-example output size */
} lb_layer;

typedef struct lb_model {
    char name[32];
    int nlayers, cap; /* L holds cap layers (grown as the builder adds them) */
    lb_layer *L;
    lb_layer spare; /* where a layer goes when growing L failed (oom set: the build fails) */
    int oom;
    int in_c, in_h, in_w, classes;
    size_t nparams;
    float *params, *grads;
    size_t nstate; /* non-trained state (batchnorm running statistics), checkpointed */
    float *state;
    int train;           /* 1: batch statistics and dropout; 0: evaluation */
    float loss_scale;    /* the loss gradient is multiplied by it (0 or 1: none; a power of 2) */
    uint64_t seed, step; /* dropout masks: (seed, layer, step, index) */
    /* batch buffers, sized for batch B, one entry per layer (nlayers): act[i] is layer i's
     * output, dact[i] its gradient */
    int B;
    float **act, **dact, *dinput;
    int32_t **pool_idx;
    float **bn_save; /* batchnorm: batch mean and 1/std per channel */
    /* GEMM layers with quantized roles: Q_A(input) and Q_W(weights) of this step, made once in
     * the forward pass and reused by the backward pass (allocated on first use) */
    float **qa, **qw;
    float *probs;
    lb_workspace ws;
    /* roles of the last GEMM layer (index last_gemm) when they differ from the others
     * (--last-layer-format); NULL: the same roles as every layer */
    const lb_qroles *q_last;
    int last_gemm;
} lb_model;

/* Options of the model builders (nn/models.def says which apply to which model): mlp hidden
 * sizes h1, h2; vgg, vgg16 and resnet: width multiplier `width` (of 64 and 16 base channels)
 * and, for resnet, depth 6n+2 (8, 14, 20, ...). */
typedef struct lb_model_opts {
    int h1, h2;
    double width;
    int depth;
} lb_model_opts;

/* Layer helpers for the builders: each appends a layer reading layer `in` (-1: the network
 * input), derives its output shape and parameter offsets, and returns its index (so calls nest:
 * relu(m, "r", linear(m, "fc", x, 10))). conv: out channels, k x k kernel, pad, stride;
 * maxpool: k x k, stride k; gap: global average pool; residual: act[a] + act[b]. */
int lb_model_linear(lb_model *m, const char *name, int in, int out);
int lb_model_conv(lb_model *m, const char *name, int in, int out, int k, int pad, int stride);
int lb_model_relu(lb_model *m, const char *name, int in);
int lb_model_bn(lb_model *m, const char *name, int in);
int lb_model_maxpool(lb_model *m, const char *name, int in, int k);
int lb_model_gap(lb_model *m, const char *name, int in);
int lb_model_residual(lb_model *m, const char *name, int a, int b);

/* The builders of nn/models.def: append the model's layers for m's input shape and classes. */
#define LB_MODEL(name, builder, ...)                                                               \
    lb_status builder(lb_model *m, const lb_model_opts *o, lb_error *err);
#include "nn/models.def"
#undef LB_MODEL

/* Build model e for inputs (c,h,w) and `classes` outputs (o NULL: the defaults 256, 256, 1, 20);
 * params initialised from seed. LB_ERR_ARG (naming the option) for out-of-range options or
 * images smaller than the model's min_hw. */
lb_status lb_model_build(lb_model *m, const lb_model_entry *e, int c, int h, int w, int classes,
                         const lb_model_opts *o, uint64_t seed, lb_error *err);
/* The i-th (0-based) of the options in `options` (LB_MOPT_* bits, in the order hidden1, hidden2,
 * width, depth): its name, whether it is an integer (if `integer` is not NULL) and its value in
 * o (if o and value are not NULL). 0 past the last. */
int lb_model_option(unsigned options, int i, const lb_model_opts *o, const char **name,
                    double *value, int *integer);

/* (Re)allocate batch buffers for batch size B. */
lb_status lb_model_alloc_batch(lb_model *m, int B);
void lb_model_free(lb_model *m);

/* Forward a batch of b <= B examples x (b, c, h, w); returns mean loss, counts hits. */
lb_status lb_model_forward(lb_model *m, const float *x, const int32_t *y, int b, const lb_qroles *q,
                           double *loss, long *correct);
/* Backward after forward (same x, y, b): accumulates into m->grads (zero them first). */
lb_status lb_model_backward(lb_model *m, const float *x, const int32_t *y, int b,
                            const lb_qroles *q);

/* Per-layer MAC counts per pass for one batch of B, with the operand formats. */
lb_status lb_model_record_ops(const lb_model *m, int B, const char *fmt_w, const char *fmt_a,
                              const char *fmt_e, lb_results *r);

#endif
