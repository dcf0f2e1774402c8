/* nn/model.c — the model registry (nn/models.def: `lowbit models` lists it), the layer helpers
 * the builders use, the builders of the registered models, and sequential forward/backward.
 * Shapes per layer are per example; batch buffers are (B, out_c, out_h, out_w).
 * Initialisation follows PyTorch's defaults for Linear and Conv2d: weights
 * kaiming_uniform(a = sqrt(5)) = U(+-1/sqrt(fan_in)), biases U(+-1/sqrt(fan_in)). */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lowbit/lnsadd.h"
#include "lowbit/rng.h"
#include "nn/internal.h"
#include "nn/model.h"

static const lb_model_entry models[] = {
#define LB_MODEL(name, builder, options, min_hw, description)                                      \
    {#name, builder, options, min_hw, description},
#include "nn/models.def"
#undef LB_MODEL
};
static const char *const model_names[] = {
#define LB_MODEL(name, ...) #name,
#include "nn/models.def"
#undef LB_MODEL
    NULL};
/* "mlp, lenet5, ..." for error messages (a leading ", " skipped) */
static const char model_list[] =
#define LB_MODEL(name, ...) ", " #name
#include "nn/models.def"
#undef LB_MODEL
    ;

const char *const *lb_model_names(void)
{
    return model_names;
}

const lb_model_entry *lb_model_registry(int *n)
{
    *n = (int)(sizeof models / sizeof models[0]);
    return models;
}

const lb_model_entry *lb_model_find(const char *name, lb_error *err)
{
    for (size_t i = 0; name && i < sizeof models / sizeof models[0]; i++)
        if (!strcmp(models[i].name, name)) return &models[i];
    lb_fail(err, LB_ERR_ARG, "unknown model '%s' (accepted: %s)", name ? name : "", model_list + 2);
    return NULL;
}

/* The options a model takes, in this order; their values are result attributes. */
static const struct {
    unsigned bit;
    const char *name;
    int integer;
} model_options[] = {{LB_MOPT_HIDDEN1, "hidden1", 1},
                     {LB_MOPT_HIDDEN2, "hidden2", 1},
                     {LB_MOPT_WIDTH, "width", 0},
                     {LB_MOPT_DEPTH, "depth", 1}};

int lb_model_option(unsigned options, int i, const lb_model_opts *o, const char **name,
                    double *value, int *integer)
{
    for (size_t k = 0; k < sizeof model_options / sizeof model_options[0]; k++) {
        if (!(options & model_options[k].bit) || i-- > 0) continue;
        *name = model_options[k].name;
        if (integer) *integer = model_options[k].integer;
        if (o && value) {
            unsigned b = model_options[k].bit;
            *value = b == LB_MOPT_HIDDEN1   ? o->h1
                     : b == LB_MOPT_HIDDEN2 ? o->h2
                     : b == LB_MOPT_WIDTH   ? o->width
                                            : o->depth;
        }
        return 1;
    }
    return 0;
}

const char *lb_model_option_name(unsigned options, int i)
{
    const char *name = NULL;
    return lb_model_option(options, i, NULL, &name, NULL, NULL) ? name : NULL;
}

/* Append a layer reading layer `in` (-1: the network input); shapes follow. */
static lb_layer *add(lb_model *m, lb_layer_kind kind, const char *name, int in)
{
    if (m->nlayers == m->cap) { /* grow L; the model's size is known only when it is built */
        int cap = m->cap ? 2 * m->cap : 64;
        lb_layer *L = realloc(m->L, (size_t)cap * sizeof *L);
        if (L) m->L = L, m->cap = cap;
    }
    lb_layer *l = m->nlayers < m->cap ? &m->L[m->nlayers++] : (m->oom = 1, &m->spare);
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->in = in;
    l->in2 = -1;
    snprintf(l->name, sizeof l->name, "%s", name);
    if (in < 0)
        l->in_c = m->in_c, l->in_h = m->in_h, l->in_w = m->in_w;
    else {
        const lb_layer *p = &m->L[in];
        l->in_c = p->out_c, l->in_h = p->out_h, l->in_w = p->out_w;
    }
    return l;
}

static int last(const lb_model *m)
{
    return m->nlayers - 1;
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
    if (l->kind == LB_L_BN) {
        l->st_off = m->nstate;
        m->nstate += 2 * (size_t)l->out_c;
    }
}

int lb_model_linear(lb_model *m, const char *name, int in, int out)
{
    lb_layer *l = add(m, LB_L_LINEAR, name, in);
    int n = l->in_c * l->in_h * l->in_w; /* flattens the input */
    l->out_c = out, l->out_h = l->out_w = 1;
    l->n_w = (size_t)out * n, l->n_b = (size_t)out;
    finish(m, l);
    return last(m);
}

int lb_model_conv(lb_model *m, const char *name, int in, int out, int k, int pad, int stride)
{
    lb_layer *l = add(m, LB_L_CONV, name, in);
    l->k = k, l->stride = stride, l->pad = pad;
    l->out_c = out;
    l->out_h = (l->in_h + 2 * pad - k) / stride + 1;
    l->out_w = (l->in_w + 2 * pad - k) / stride + 1;
    l->n_w = (size_t)out * l->in_c * k * k, l->n_b = (size_t)out;
    finish(m, l);
    return last(m);
}

static int same_shape(lb_model *m, lb_layer_kind kind, const char *name, int in)
{
    lb_layer *l = add(m, kind, name, in);
    l->out_c = l->in_c, l->out_h = l->in_h, l->out_w = l->in_w;
    if (kind == LB_L_BN) l->n_w = l->n_b = (size_t)l->out_c; /* gamma, beta */
    finish(m, l);
    return last(m);
}

int lb_model_relu(lb_model *m, const char *name, int in)
{
    return same_shape(m, LB_L_RELU, name, in);
}
int lb_model_bn(lb_model *m, const char *name, int in)
{
    return same_shape(m, LB_L_BN, name, in);
}

int lb_model_maxpool(lb_model *m, const char *name, int in, int k)
{
    lb_layer *l = add(m, LB_L_MAXPOOL, name, in);
    l->k = k;
    l->out_c = l->in_c, l->out_h = l->in_h / k, l->out_w = l->in_w / k;
    finish(m, l);
    return last(m);
}

int lb_model_gap(lb_model *m, const char *name, int in)
{
    lb_layer *l = add(m, LB_L_GAP, name, in);
    l->out_c = l->in_c, l->out_h = l->out_w = 1;
    finish(m, l);
    return last(m);
}

int lb_model_residual(lb_model *m, const char *name, int a, int b)
{
    lb_layer *l = add(m, LB_L_ADD, name, a);
    l->in2 = b;
    l->out_c = l->in_c, l->out_h = l->in_h, l->out_w = l->in_w;
    finish(m, l);
    return last(m);
}

static int scaled(double width, int base)
{
    int c = (int)(width * base + 0.5);
    return c < 1 ? 1 : c;
}

/* VGG-11 (vgg) or VGG-16 (vgg16) with batchnorm (conv-BN-ReLU), channels 64·w, 128·w, 256·w,
 * 512·w (-1: a 2x2 max pool); the fifth pool is dropped for inputs under 32 pixels
 * (28 -> 14 -> 7 -> 3 -> 1); global average pool + one linear classifier (the CIFAR form of
 * VGG). */
static void build_vgg(lb_model *m, double w, int vgg16)
{
    static const int cfg11[] = {64, -1, 128, -1, 256, 256, -1, 512, 512, -1, 512, 512, -1};
    static const int cfg16[] = {64, 64,  -1,  128, 128, -1,  256, 256, 256,
                                -1, 512, 512, 512, -1,  512, 512, 512, -1};
    const int *cfg = vgg16 ? cfg16 : cfg11;
    const size_t ncfg = vgg16 ? sizeof cfg16 / sizeof cfg16[0] : sizeof cfg11 / sizeof cfg11[0];
    int x = -1, nconv = 0, npool = 0, maxpools = m->in_h < 32 ? 4 : 5;
    char name[32];
    for (size_t i = 0; i < ncfg; i++) {
        if (cfg[i] < 0) {
            if (npool++ < maxpools) {
                snprintf(name, sizeof name, "pool%d", npool);
                x = lb_model_maxpool(m, name, x, 2);
            }
            continue;
        }
        nconv++;
        snprintf(name, sizeof name, "conv%d", nconv);
        x = lb_model_conv(m, name, x, scaled(w, cfg[i]), 3, 1, 1);
        snprintf(name, sizeof name, "bn%d", nconv);
        x = lb_model_bn(m, name, x);
        snprintf(name, sizeof name, "relu%d", nconv);
        x = lb_model_relu(m, name, x);
    }
    x = lb_model_gap(m, "gap", x);
    lb_model_linear(m, "fc", x, m->classes);
}

/* CIFAR ResNet (He et al. 2016, section 4.2): depth 6n+2, three stages of n basic blocks with
 * 16·w, 32·w, 64·w channels, stride 2 at the start of stages 2 and 3, 1x1 conv + BN shortcut
 * where the shape changes (option B), global average pool, linear classifier. */
static void build_resnet(lb_model *m, double w, int depth)
{
    int n = (depth - 2) / 6;
    char name[32];
    int x = lb_model_conv(m, "conv0", -1, scaled(w, 16), 3, 1, 1);
    x = lb_model_relu(m, "relu0", lb_model_bn(m, "bn0", x));
    int blk = 0;
    for (int stage = 0; stage < 3; stage++)
        for (int i = 0; i < n; i++) {
            blk++;
            int out = scaled(w, 16 << stage), stride = (stage > 0 && i == 0) ? 2 : 1;
            int in = x;
            snprintf(name, sizeof name, "b%d.conv1", blk);
            int y = lb_model_conv(m, name, in, out, 3, 1, stride);
            snprintf(name, sizeof name, "b%d.bn1", blk);
            y = lb_model_bn(m, name, y);
            snprintf(name, sizeof name, "b%d.relu1", blk);
            y = lb_model_relu(m, name, y);
            snprintf(name, sizeof name, "b%d.conv2", blk);
            y = lb_model_conv(m, name, y, out, 3, 1, 1);
            snprintf(name, sizeof name, "b%d.bn2", blk);
            y = lb_model_bn(m, name, y);
            int sc = in;
            if (stride != 1 || m->L[in].out_c != out) {
                snprintf(name, sizeof name, "b%d.short", blk);
                sc = lb_model_conv(m, name, in, out, 1, 0, stride);
                snprintf(name, sizeof name, "b%d.bns", blk);
                sc = lb_model_bn(m, name, sc);
            }
            snprintf(name, sizeof name, "b%d.add", blk);
            x = lb_model_residual(m, name, y, sc);
            snprintf(name, sizeof name, "b%d.relu2", blk);
            x = lb_model_relu(m, name, x);
        }
    x = lb_model_gap(m, "gap", x);
    lb_model_linear(m, "fc", x, m->classes);
}

lb_status lb_build_mlp(lb_model *m, const lb_model_opts *o, lb_error *err)
{
    if (o->h1 < 1 || o->h2 < 1)
        return lb_fail(err, LB_ERR_ARG, "mlp: hidden sizes must be positive");
    int x = lb_model_relu(m, "relu1", lb_model_linear(m, "fc1", -1, o->h1));
    x = lb_model_relu(m, "relu2", lb_model_linear(m, "fc2", x, o->h2));
    lb_model_linear(m, "fc3", x, m->classes);
    return LB_OK;
}

lb_status lb_build_lenet5(lb_model *m, const lb_model_opts *o, lb_error *err)
{
    (void)o, (void)err;
    int x = lb_model_maxpool(
        m, "pool1", lb_model_relu(m, "relu1", lb_model_conv(m, "conv1", -1, 6, 5, 2, 1)), 2);
    x = lb_model_maxpool(m, "pool2",
                         lb_model_relu(m, "relu2", lb_model_conv(m, "conv2", x, 16, 5, 0, 1)), 2);
    x = lb_model_relu(m, "relu3", lb_model_linear(m, "fc1", x, 120));
    x = lb_model_relu(m, "relu4", lb_model_linear(m, "fc2", x, 84));
    lb_model_linear(m, "fc3", x, m->classes);
    return LB_OK;
}

static lb_status vgg_width(const lb_model_opts *o, lb_error *err)
{
    if (!(o->width > 0) || o->width > 4)
        return lb_fail(err, LB_ERR_ARG, "--width %g is not in (0, 4]", o->width);
    return LB_OK;
}

lb_status lb_build_vgg11(lb_model *m, const lb_model_opts *o, lb_error *err)
{
    lb_status st = vgg_width(o, err);
    if (!st) build_vgg(m, o->width, 0);
    return st;
}

lb_status lb_build_vgg16(lb_model *m, const lb_model_opts *o, lb_error *err)
{
    lb_status st = vgg_width(o, err);
    if (!st) build_vgg(m, o->width, 1);
    return st;
}

lb_status lb_build_resnet(lb_model *m, const lb_model_opts *o, lb_error *err)
{
    if (o->depth < 8 || (o->depth - 2) % 6 || o->depth > 110)
        return lb_fail(err, LB_ERR_ARG, "--depth %d is not 6n+2 in 8..110 (8, 14, 20, ...)",
                       o->depth);
    if (!(o->width > 0) || o->width > 8)
        return lb_fail(err, LB_ERR_ARG, "--width %g is not in (0, 8]", o->width);
    build_resnet(m, o->width, o->depth);
    return LB_OK;
}

lb_status lb_model_build(lb_model *m, const lb_model_entry *e, int c, int h, int w, int classes,
                         const lb_model_opts *o, uint64_t seed, lb_error *err)
{
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", e->name);
    m->in_c = c, m->in_h = h, m->in_w = w, m->classes = classes;
    m->seed = seed;
    lb_model_opts def = {256, 256, 1.0, 20};
    if (!o) o = &def;
    if (h < e->min_hw || w < e->min_hw)
        return lb_fail(err, LB_ERR_ARG, "%s needs images of at least %dx%d (got %dx%d)", e->name,
                       e->min_hw, e->min_hw, h, w);
    lb_status st = e->build(m, o, err);
    if (st) return st;
    if (m->oom || !m->nlayers) return lb_fail(err, LB_ERR_NOMEM, "out of memory for the layers");
    for (int i = 0; i < m->nlayers; i++)
        if (m->L[i].kind == LB_L_LINEAR || m->L[i].kind == LB_L_CONV) m->last_gemm = i;
    m->params = malloc(m->nparams * sizeof *m->params);
    m->grads = calloc(m->nparams, sizeof *m->grads);
    m->state = calloc(m->nstate + 1, sizeof *m->state);
    if (!m->params || !m->grads || !m->state)
        return lb_fail(err, LB_ERR_NOMEM, "out of memory for parameters");
    for (int i = 0; i < m->nlayers; i++) {
        const lb_layer *l = &m->L[i];
        if (l->kind == LB_L_BN) { /* gamma 1, beta 0; running mean 0, var 1 */
            for (size_t j = 0; j < l->n_w; j++)
                m->params[l->w_off + j] = 1.0f, m->params[l->b_off + j] = 0.0f;
            for (int j = 0; j < l->out_c; j++)
                m->state[l->st_off + (size_t)l->out_c + (size_t)j] = 1.0f;
            continue;
        }
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
    m->train = 1;
    return LB_OK;
}

static void free_batch(lb_model *m)
{
    for (int i = 0; m->act && i < m->nlayers; i++) {
        free(m->act[i]), free(m->dact[i]), free(m->pool_idx[i]), free(m->bn_save[i]);
        free(m->qa[i]), free(m->qw[i]);
    }
    free(m->act), free(m->dact), free(m->pool_idx), free(m->bn_save), free(m->qa), free(m->qw);
    m->act = m->dact = m->bn_save = m->qa = m->qw = NULL;
    m->pool_idx = NULL;
    free(m->dinput), free(m->probs);
    m->dinput = m->probs = NULL;
}

lb_status lb_model_alloc_batch(lb_model *m, int B)
{
    free_batch(m);
    m->B = B;
    const size_t L = (size_t)m->nlayers;
    m->act = calloc(L, sizeof *m->act), m->dact = calloc(L, sizeof *m->dact);
    m->bn_save = calloc(L, sizeof *m->bn_save), m->pool_idx = calloc(L, sizeof *m->pool_idx);
    m->qa = calloc(L, sizeof *m->qa), m->qw = calloc(L, sizeof *m->qw);
    if (!m->act || !m->dact || !m->bn_save || !m->pool_idx || !m->qa || !m->qw) {
        free_batch(m);
        return LB_ERR_NOMEM;
    }
    for (int i = 0; i < m->nlayers; i++) {
        size_t n = (size_t)B * m->L[i].out_n;
        m->act[i] = malloc(n * sizeof(float));
        m->dact[i] = malloc(n * sizeof(float));
        if (!m->act[i] || !m->dact[i]) return LB_ERR_NOMEM;
        if (m->L[i].kind == LB_L_MAXPOOL && !(m->pool_idx[i] = malloc(n * sizeof(int32_t))))
            return LB_ERR_NOMEM;
        if (m->L[i].kind == LB_L_BN &&
            !(m->bn_save[i] = malloc(2 * (size_t)m->L[i].out_c * sizeof(float))))
            return LB_ERR_NOMEM;
    }
    m->dinput = malloc((size_t)B * m->in_c * m->in_h * m->in_w * sizeof(float));
    m->probs = malloc((size_t)B * m->classes * sizeof(float));
    return m->dinput && m->probs ? LB_OK : LB_ERR_NOMEM;
}

void lb_model_free(lb_model *m)
{
    free_batch(m);
    free(m->params), free(m->grads), free(m->state), free(m->L);
    m->params = m->grads = m->state = NULL;
    m->L = NULL, m->nlayers = m->cap = 0;
    lb_workspace_free(&m->ws);
}

/* Q_A(in) and Q_W(w) of GEMM layer i for this step (same keys as lb_nn_quant: tensor 4i+role),
 * into the layer's own buffers; *q_rest gets q with those roles switched off, so the layer
 * functions take the quantized copies as they are. Without a/w roles: in and w unchanged. */
static lb_status quant_aw(lb_model *m, int i, const lb_qroles *q, const float *in, const float *w,
                          int b, const float **qa, const float **qw, lb_qroles *q_rest)
{
    const lb_layer *l = &m->L[i];
    *qa = in, *qw = w;
    if (!q) return LB_OK;
    *q_rest = *q;
    q_rest->a_on = q_rest->w_on = 0;
    size_t na = (size_t)m->B * l->in_c * l->in_h * l->in_w;
    lb_qctx c;
    memset(&c, 0, sizeof c);
    c.seed = q->seed, c.step = q->step, c.threads = q->threads;
    if (q->a_on) {
        if (!m->qa[i] && !(m->qa[i] = malloc(na * sizeof(float)))) return LB_ERR_NOMEM;
        c.tensor_id = 4 * (uint64_t)i + 1;
        size_t nb = (size_t)b * l->in_c * l->in_h * l->in_w;
        lb_nn_qctx_shape(&c, &q->a, nb, l->in_c, (int64_t)l->in_h * l->in_w);
        lb_status st = lb_quantize(&q->a, m->qa[i], in, nb, &c);
        c.ndim = 0;
        if (st) return st;
        *qa = m->qa[i];
    }
    if (q->w_on) {
        if (!m->qw[i] && !(m->qw[i] = malloc(l->n_w * sizeof(float)))) return LB_ERR_NOMEM;
        c.tensor_id = 4 * (uint64_t)i + 0;
        lb_nn_qctx_shape(&c, &q->w, l->n_w, l->in_c,
                         (int64_t)l->n_w / ((int64_t)l->out_c * l->in_c));
        lb_status st = lb_quantize(&q->w, m->qw[i], w, l->n_w, &c);
        if (st) return st;
        *qw = m->qw[i];
    }
    return LB_OK;
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

lb_status lb_model_forward(lb_model *m, const float *x, const int32_t *y, int b,
                           const lb_qroles *q_all, double *loss, long *correct)
{
    if (b > m->B) return LB_ERR_ARG;
    lb_status st = LB_OK;
    const lb_lns_ops *lo = q_all ? q_all->lns : NULL; /* all-LNS element-wise arithmetic */
    for (int i = 0; i < m->nlayers && !st; i++) {
        const lb_layer *l = &m->L[i];
        const float *in = l->in < 0 ? x : m->act[l->in];
        float *out = m->act[i];
        const float *w = m->params + l->w_off, *bias = m->params + l->b_off;
        const int HW = l->out_h * l->out_w;
        switch (l->kind) {
        case LB_L_LINEAR:
        case LB_L_CONV: {
            const float *qa, *qw;
            lb_qroles qr;
            const lb_qroles *q = (m->q_last && i == m->last_gemm) ? m->q_last : q_all;
            if ((st = quant_aw(m, i, q, in, w, b, &qa, &qw, &qr))) break;
            if (l->kind == LB_L_LINEAR)
                st = lb_linear_forward(out, qa, qw, bias, b, l->in_c * l->in_h * l->in_w, l->out_c,
                                       q ? &qr : NULL, (uint64_t)i, &m->ws);
            else {
                lb_conv_shape s = conv_shape(l, b);
                st = lb_conv2d_forward(out, qa, qw, bias, &s, q ? &qr : NULL, (uint64_t)i, &m->ws);
            }
            break;
        }
        case LB_L_RELU:
            lb_relu_forward(out, in, (size_t)b * l->out_n);
            break;
        case LB_L_MAXPOOL:
            lb_maxpool2d_forward(out, m->pool_idx[i], in, b, l->in_c, l->in_h, l->in_w, l->k);
            break;
        case LB_L_BN: {
            float *sv = m->bn_save[i], *st_ = m->state + l->st_off;
            if (lo)
                st = lb_batchnorm_forward_lns(lo, out, sv, sv + l->out_c, st_, st_ + l->out_c, in,
                                              w, bias, b, l->out_c, HW, m->train);
            else
                lb_batchnorm_forward(out, sv, sv + l->out_c, st_, st_ + l->out_c, in, w, bias, b,
                                     l->out_c, HW, m->train);
            break;
        }
        case LB_L_GAP:
            if (lo)
                st = lb_gap_forward_lns(lo, out, in, b, l->in_c, l->in_h * l->in_w);
            else
                lb_gap_forward(out, in, b, l->in_c, l->in_h * l->in_w);
            break;
        case LB_L_ADD: {
            const float *in2 = m->act[l->in2];
            if (lo) {
                memcpy(out, in, (size_t)b * l->out_n * sizeof *out);
                lb_lns_ops_accum(lo, out, in2, (size_t)b * l->out_n);
                break;
            }
            for (size_t k = 0; k < (size_t)b * l->out_n; k++)
                out[k] = in[k] + in2[k];
            break;
        }
        case LB_L_DROPOUT:
            if (m->train)
                lb_dropout_forward(out, in, (size_t)b * l->out_n, l->drop_p, m->seed, (uint64_t)i,
                                   m->step);
            else
                memcpy(out, in, (size_t)b * l->out_n * sizeof *out);
            break;
        }
    }
    if (st) return st;
    *loss = lb_softmax_xent_forward(m->probs, m->act[m->nlayers - 1], y, b, m->classes, correct);
    return LB_OK;
}

lb_status lb_model_backward(lb_model *m, const float *x, const int32_t *y, int b,
                            const lb_qroles *q_all)
{
    /* every layer accumulates into its input's gradient (a residual source gets two terms) */
#pragma omp parallel /* each thread zeroes its share of every buffer */
    {
        const size_t t = (size_t)omp_get_thread_num(), T = (size_t)omp_get_num_threads();
        for (int i = 0; i < m->nlayers; i++) {
            const size_t n = (size_t)b * m->L[i].out_n;
            memset(m->dact[i] + n * t / T, 0, (n * (t + 1) / T - n * t / T) * sizeof(float));
        }
    }
    int lastl = m->nlayers - 1;
    lb_softmax_xent_backward(m->dact[lastl], m->probs, y, b, m->classes);
    if (m->loss_scale != 0.0f && m->loss_scale != 1.0f) { /* static loss scaling: exact (2^k) */
        const size_t n = (size_t)b * m->classes;
        for (size_t i = 0; i < n; i++)
            m->dact[lastl][i] *= m->loss_scale;
    }
    lb_status st = LB_OK;
    const lb_lns_ops *lo = q_all ? q_all->lns : NULL; /* all-LNS element-wise arithmetic */
    for (int i = lastl; i >= 0 && !st; i--) {
        const lb_layer *l = &m->L[i];
        const float *in = l->in < 0 ? x : m->act[l->in];
        float *din = l->in < 0 ? NULL : m->dact[l->in]; /* no gradient for the data */
        const float *dout = m->dact[i];
        const float *w = m->params + l->w_off;
        float *dw = m->grads + l->w_off, *db = m->grads + l->b_off;
        switch (l->kind) {
        case LB_L_LINEAR:
        case LB_L_CONV: {
            /* the quantized copies the forward pass made (same step: same values) */
            const lb_qroles *q = (m->q_last && i == m->last_gemm) ? m->q_last : q_all;
            const float *qa = (q && q->a_on) ? m->qa[i] : in, *qw = (q && q->w_on) ? m->qw[i] : w;
            lb_qroles qr;
            if (q) qr = *q, qr.a_on = qr.w_on = 0;
            if (l->kind == LB_L_LINEAR)
                st = lb_linear_backward(din, dw, db, dout, qa, qw, b, l->in_c * l->in_h * l->in_w,
                                        l->out_c, q ? &qr : NULL, (uint64_t)i, &m->ws);
            else {
                lb_conv_shape s = conv_shape(l, b);
                st = lb_conv2d_backward(din, dw, db, dout, qa, qw, &s, q ? &qr : NULL, (uint64_t)i,
                                        &m->ws);
            }
            break;
        }
        case LB_L_RELU:
            if (din) lb_relu_backward(din, dout, in, (size_t)b * l->out_n);
            break;
        case LB_L_MAXPOOL:
            if (din)
                lb_maxpool2d_backward(din, dout, m->pool_idx[i], b, l->in_c, l->out_h, l->out_w);
            break;
        case LB_L_BN:
            if (lo)
                st = lb_batchnorm_backward_lns(lo, din, dw, db, dout, in, w, m->bn_save[i],
                                               m->bn_save[i] + l->out_c, b, l->out_c,
                                               l->out_h * l->out_w);
            else
                lb_batchnorm_backward(din, dw, db, dout, in, w, m->bn_save[i],
                                      m->bn_save[i] + l->out_c, b, l->out_c, l->out_h * l->out_w);
            break;
        case LB_L_GAP:
            if (din && lo)
                st = lb_gap_backward_lns(lo, din, dout, b, l->in_c, l->in_h * l->in_w);
            else if (din)
                lb_gap_backward(din, dout, b, l->in_c, l->in_h * l->in_w);
            break;
        case LB_L_ADD: {
            float *d2 = m->dact[l->in2];
            if (lo) {
                if (din) lb_lns_ops_accum(lo, din, dout, (size_t)b * l->out_n);
                lb_lns_ops_accum(lo, d2, dout, (size_t)b * l->out_n);
                break;
            }
            for (size_t k = 0; k < (size_t)b * l->out_n; k++) {
                if (din) din[k] += dout[k];
                d2[k] += dout[k];
            }
            break;
        }
        case LB_L_DROPOUT:
            if (din)
                lb_dropout_backward(din, dout, (size_t)b * l->out_n, l->drop_p, m->seed,
                                    (uint64_t)i, m->step);
            break;
        }
    }
    return st;
}

lb_status lb_model_record_ops(const lb_model *m, int B, const char *fmt_w0, const char *fmt_a0,
                              const char *fmt_e0, lb_results *r)
{
    for (int i = 0; i < m->nlayers; i++) {
        const lb_layer *l = &m->L[i];
        if (l->kind != LB_L_LINEAR && l->kind != LB_L_CONV) continue;
        const int last = m->q_last && i == m->last_gemm;
        const char *fmt_w = last ? m->q_last->w.name : fmt_w0;
        const char *fmt_a = last ? m->q_last->a.name : fmt_a0;
        const char *fmt_e = last ? m->q_last->e.name : fmt_e0;
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
