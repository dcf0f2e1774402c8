/* nn/model.c — the model registry (mlp, lenet5) and sequential forward/backward.
 * Shapes per layer are per example; batch buffers are (B, out_c, out_h, out_w).
 * Initialisation follows PyTorch's defaults for Linear and Conv2d: weights
 * kaiming_uniform(a = sqrt(5)) = U(+-1/sqrt(fan_in)), biases U(+-1/sqrt(fan_in)). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lowbit/rng.h"
#include "nn/model.h"

static const char *const model_names[] = {"mlp", "lenet5", NULL};

const char *const *lb_model_names(void)
{
    return model_names;
}

static lb_layer *add(lb_model *m, lb_layer_kind kind, const char *name)
{
    lb_layer *l = &m->L[m->nlayers++];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    snprintf(l->name, sizeof l->name, "%s", name);
    if (m->nlayers == 1)
        l->in_c = m->in_c, l->in_h = m->in_h, l->in_w = m->in_w;
    else {
        const lb_layer *p = &m->L[m->nlayers - 2];
        l->in_c = p->out_c, l->in_h = p->out_h, l->in_w = p->out_w;
    }
    return l;
}

static void finish(lb_model *m, lb_layer *l)
{
    l->out_n = (size_t)l->out_c * l->out_h * l->out_w;
    if (l->n_w) {
        l->w_off = m->nparams;
        m->nparams += l->n_w;
        l->b_off = m->nparams;
        m->nparams += l->n_b;
    }
}

static void linear(lb_model *m, const char *name, int out)
{
    lb_layer *l = add(m, LB_L_LINEAR, name);
    int in = l->in_c * l->in_h * l->in_w; /* flattens the input */
    l->out_c = out, l->out_h = l->out_w = 1;
    l->n_w = (size_t)out * in, l->n_b = (size_t)out;
    finish(m, l);
}

static void conv(lb_model *m, const char *name, int out, int k, int pad)
{
    lb_layer *l = add(m, LB_L_CONV, name);
    l->k = k, l->stride = 1, l->pad = pad;
    l->out_c = out;
    l->out_h = l->in_h + 2 * pad - k + 1;
    l->out_w = l->in_w + 2 * pad - k + 1;
    l->n_w = (size_t)out * l->in_c * k * k, l->n_b = (size_t)out;
    finish(m, l);
}

static void relu(lb_model *m, const char *name)
{
    lb_layer *l = add(m, LB_L_RELU, name);
    l->out_c = l->in_c, l->out_h = l->in_h, l->out_w = l->in_w;
    finish(m, l);
}

static void maxpool(lb_model *m, const char *name, int k)
{
    lb_layer *l = add(m, LB_L_MAXPOOL, name);
    l->k = k;
    l->out_c = l->in_c, l->out_h = l->in_h / k, l->out_w = l->in_w / k;
    finish(m, l);
}

lb_status lb_model_build(lb_model *m, const char *name, int c, int h, int w, int classes,
                         int mlp_h1, int mlp_h2, uint64_t seed, lb_error *err)
{
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", name);
    m->in_c = c, m->in_h = h, m->in_w = w, m->classes = classes;
    if (!strcmp(name, "mlp")) {
        if (mlp_h1 < 1 || mlp_h2 < 1)
            return lb_fail(err, LB_ERR_ARG, "mlp: hidden sizes must be positive");
        linear(m, "fc1", mlp_h1), relu(m, "relu1");
        linear(m, "fc2", mlp_h2), relu(m, "relu2");
        linear(m, "fc3", classes);
    } else if (!strcmp(name, "lenet5")) {
        if (h < 12 || w < 12)
            return lb_fail(err, LB_ERR_ARG, "lenet5 needs images of at least 12x12");
        conv(m, "conv1", 6, 5, 2), relu(m, "relu1"), maxpool(m, "pool1", 2);
        conv(m, "conv2", 16, 5, 0), relu(m, "relu2"), maxpool(m, "pool2", 2);
        linear(m, "fc1", 120), relu(m, "relu3");
        linear(m, "fc2", 84), relu(m, "relu4");
        linear(m, "fc3", classes);
    } else
        return lb_fail(err, LB_ERR_ARG, "unknown model '%s' (accepted: mlp, lenet5)", name);
    m->params = malloc(m->nparams * sizeof *m->params);
    m->grads = calloc(m->nparams, sizeof *m->grads);
    if (!m->params || !m->grads) return lb_fail(err, LB_ERR_NOMEM, "out of memory for parameters");
    for (int i = 0; i < m->nlayers; i++) {
        const lb_layer *l = &m->L[i];
        if (!l->n_w) continue;
        size_t fan_in = l->n_w / (size_t)l->out_c;
        float bound = 1.0f / sqrtf((float)fan_in);
        lb_rng_key kw = lb_rng_make_key(seed, 2 * (uint64_t)i, 0);
        lb_rng_key kb = lb_rng_make_key(seed, 2 * (uint64_t)i + 1, 0);
        for (size_t j = 0; j < l->n_w; j++)
            m->params[l->w_off + j] = (2.0f * lb_rng_uniform(kw, j) - 1.0f) * bound;
        for (size_t j = 0; j < l->n_b; j++)
            m->params[l->b_off + j] = (2.0f * lb_rng_uniform(kb, j) - 1.0f) * bound;
    }
    return LB_OK;
}

static void free_batch(lb_model *m)
{
    for (int i = 0; i < LB_MAX_LAYERS; i++) {
        free(m->act[i]), free(m->dact[i]), free(m->pool_idx[i]);
        m->act[i] = m->dact[i] = NULL;
        m->pool_idx[i] = NULL;
    }
    free(m->dinput), free(m->probs);
    m->dinput = m->probs = NULL;
}

lb_status lb_model_alloc_batch(lb_model *m, int B)
{
    free_batch(m);
    m->B = B;
    for (int i = 0; i < m->nlayers; i++) {
        size_t n = (size_t)B * m->L[i].out_n;
        m->act[i] = malloc(n * sizeof(float));
        m->dact[i] = malloc(n * sizeof(float));
        if (!m->act[i] || !m->dact[i]) return LB_ERR_NOMEM;
        if (m->L[i].kind == LB_L_MAXPOOL && !(m->pool_idx[i] = malloc(n * sizeof(int32_t))))
            return LB_ERR_NOMEM;
    }
    m->dinput = malloc((size_t)B * m->in_c * m->in_h * m->in_w * sizeof(float));
    m->probs = malloc((size_t)B * m->classes * sizeof(float));
    return m->dinput && m->probs ? LB_OK : LB_ERR_NOMEM;
}

void lb_model_free(lb_model *m)
{
    free_batch(m);
    free(m->params), free(m->grads);
    m->params = m->grads = NULL;
    lb_workspace_free(&m->ws);
}

static lb_conv_shape conv_shape(const lb_layer *l, int b)
{
    lb_conv_shape s = {.B = b,
                       .C = l->in_c,
                       .H = l->in_h,
                       .W = l->in_w,
                       .OC = l->out_c,
                       .K = l->k,
                       .stride = l->stride,
                       .pad = l->pad};
    lb_conv_shape_init(&s);
    return s;
}

lb_status lb_model_forward(lb_model *m, const float *x, const int32_t *y, int b, const lb_qroles *q,
                           double *loss, long *correct)
{
    if (b > m->B) return LB_ERR_ARG;
    const float *in = x;
    lb_status st = LB_OK;
    for (int i = 0; i < m->nlayers && !st; i++) {
        const lb_layer *l = &m->L[i];
        float *out = m->act[i];
        const float *w = m->params + l->w_off, *bias = m->params + l->b_off;
        switch (l->kind) {
        case LB_L_LINEAR:
            st = lb_linear_forward(out, in, w, bias, b, l->in_c * l->in_h * l->in_w, l->out_c, q,
                                   (uint64_t)i, &m->ws);
            break;
        case LB_L_CONV: {
            lb_conv_shape s = conv_shape(l, b);
            st = lb_conv2d_forward(out, in, w, bias, &s, q, (uint64_t)i, &m->ws);
            break;
        }
        case LB_L_RELU:
            lb_relu_forward(out, in, (size_t)b * l->out_n);
            break;
        case LB_L_MAXPOOL:
            lb_maxpool2d_forward(out, m->pool_idx[i], in, b, l->in_c, l->in_h, l->in_w, l->k);
            break;
        }
        in = out;
    }
    if (st) return st;
    *loss = lb_softmax_xent_forward(m->probs, in, y, b, m->classes, correct);
    return LB_OK;
}

lb_status lb_model_backward(lb_model *m, const float *x, const int32_t *y, int b,
                            const lb_qroles *q)
{
    int last = m->nlayers - 1;
    memset(m->dact[last], 0, (size_t)b * m->L[last].out_n * sizeof(float));
    lb_softmax_xent_backward(m->dact[last], m->probs, y, b, m->classes);
    lb_status st = LB_OK;
    for (int i = last; i >= 0 && !st; i--) {
        const lb_layer *l = &m->L[i];
        const float *in = i ? m->act[i - 1] : x;
        /* the first layer's input gradient is not needed */
        float *din = i ? m->dact[i - 1] : NULL;
        if (din) memset(din, 0, (size_t)b * l->in_c * l->in_h * l->in_w * sizeof(float));
        const float *w = m->params + l->w_off;
        float *dw = m->grads + l->w_off, *db = m->grads + l->b_off;
        switch (l->kind) {
        case LB_L_LINEAR:
            st = lb_linear_backward(din, dw, db, m->dact[i], in, w, b, l->in_c * l->in_h * l->in_w,
                                    l->out_c, q, (uint64_t)i, &m->ws);
            break;
        case LB_L_CONV: {
            lb_conv_shape s = conv_shape(l, b);
            st = lb_conv2d_backward(din, dw, db, m->dact[i], in, w, &s, q, (uint64_t)i, &m->ws);
            break;
        }
        case LB_L_RELU:
            if (din) lb_relu_backward(din, m->dact[i], in, (size_t)b * l->out_n);
            break;
        case LB_L_MAXPOOL:
            if (din)
                lb_maxpool2d_backward(din, m->dact[i], m->pool_idx[i], b, l->in_c, l->out_h,
                                      l->out_w);
            break;
        }
    }
    return st;
}

lb_status lb_model_record_ops(const lb_model *m, int B, const char *fmt_w, const char *fmt_a,
                              const char *fmt_e, lb_results *r)
{
    for (int i = 0; i < m->nlayers; i++) {
        const lb_layer *l = &m->L[i];
        if (l->kind != LB_L_LINEAR && l->kind != LB_L_CONV) continue;
        int64_t P = (int64_t)l->out_h * l->out_w;        /* output positions */
        int64_t macs = (int64_t)B * P * (int64_t)l->n_w; /* per pass */
        int64_t na = (int64_t)B * l->in_c * l->in_h * l->in_w, ne = (int64_t)B * (int64_t)l->out_n;
        static const char *passes[3] = {"forward", "backward_data", "backward_weight"};
        for (int p = 0; p < 3; p++) {
            if (p == 1 && i == 0) continue; /* no input gradient for the first layer */
            lb_op_row row;
            memset(&row, 0, sizeof row);
            snprintf(row.layer, sizeof row.layer, "%s", l->name);
            snprintf(row.pass, sizeof row.pass, "%s", passes[p]);
            row.macs = macs;
            const char *fa = p == 0 ? fmt_a : fmt_e, *fb = p == 2 ? fmt_a : fmt_w;
            snprintf(row.fmt_a, sizeof row.fmt_a, "%s", fa);
            snprintf(row.fmt_b, sizeof row.fmt_b, "%s", fb);
            row.bytes_a = (p == 0 ? na : ne) * 4; /* float32 storage in this simulator */
            row.bytes_b = p == 2 ? na * 4 : (int64_t)l->n_w * 4;
            row.bytes_out = (p == 0 ? ne : p == 1 ? na : (int64_t)l->n_w) * 4;
            row.batch = B;
            lb_status st = lb_results_add_op(r, &row);
            if (st) return st;
        }
    }
    return LB_OK;
}
