/* optim/update.c — the parameter update with optional low-precision weight storage (see
 * update.h for the choices). */
#include "optim/update.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TID_WEIGHTS (1ull << 40) /* SR tensor ids of the weight store: (1<<40) + tensor */
#define TID_KAHAN   (2ull << 40)

static int is_fp32(const char *s)
{
    return !s || !strcmp(s, "fp32");
}

/* The step functions of optimizers.def (defined below the registry's users). */
#define LB_OPTIMIZER(name, nstate, needs_lns, rounds_after, hyper, step, description)              \
    static lb_status step(lb_update *u, float *params, const float *grads, float *state, float lr, \
                          uint64_t stepno, long t1, int *first);
#include "optim/optimizers.def"
#undef LB_OPTIMIZER

static const lb_optimizer_entry optimizers[] = {
#define LB_OPTIMIZER(name, nstate, needs_lns, rounds_after, hyper, step, description)              \
    {#name, nstate, needs_lns, rounds_after, hyper, step, description},
#include "optim/optimizers.def"
#undef LB_OPTIMIZER
};
static const char optimizer_list[] =
#define LB_OPTIMIZER(name, ...) ", " #name
#include "optim/optimizers.def"
#undef LB_OPTIMIZER
    ;

const lb_optimizer_entry *lb_optimizer_registry(int *n)
{
    *n = (int)(sizeof optimizers / sizeof optimizers[0]);
    return optimizers;
}

const lb_optimizer_entry *lb_optimizer_find(const char *name, lb_error *err)
{
    for (size_t i = 0; name && i < sizeof optimizers / sizeof optimizers[0]; i++)
        if (!strcmp(optimizers[i].name, name)) return &optimizers[i];
    lb_fail(err, LB_ERR_ARG, "--optimizer '%s' is not one of %s", name ? name : "",
            optimizer_list + 2);
    return NULL;
}

lb_status lb_update_config_make(lb_update_config *c, const char *optimizer,
                                const char *weight_format, const char *kahan_format,
                                double momentum, double weight_decay, double madam_beta,
                                int madam_sr, uint64_t seed, lb_error *err)
{
    memset(c, 0, sizeof *c);
    if (!(c->opt = lb_optimizer_find(optimizer, err))) return LB_ERR_ARG;
    c->momentum = momentum, c->weight_decay = weight_decay;
    c->madam_beta = madam_beta, c->madam_sr = madam_sr, c->seed = seed;
    lb_error e2;
    c->w_on = !is_fp32(weight_format);
    if (c->w_on && lb_format_parse(&c->wf, weight_format, &e2))
        return lb_fail(err, LB_ERR_SPEC, "--weight-format: %s", e2.msg);
    if (c->opt->needs_lns && (!c->w_on || strcmp(c->wf.family->key, "lns")))
        return lb_fail(err, LB_ERR_ARG,
                       "--optimizer %s needs an LNS --weight-format (e.g. lns8 or "
                       "lns:bits=10,frac=3,scale=tensor), got '%s'",
                       c->opt->name, weight_format ? weight_format : "fp32");
    if (c->opt->hyper & LB_OHP_KAHAN) {
        const char *ks = kahan_format ? kahan_format : weight_format;
        c->k_on = !is_fp32(ks);
        if (c->k_on && lb_format_parse(&c->kf, ks, &e2))
            return lb_fail(err, LB_ERR_SPEC, "--kahan-format: %s", e2.msg);
    } else if (kahan_format && !is_fp32(kahan_format))
        return lb_fail(err, LB_ERR_ARG, "--kahan-format applies to --optimizer kahan_sgd only");
    if (madam_sr && !(c->opt->hyper & LB_OHP_ROUND))
        return lb_fail(err, LB_ERR_ARG,
                       "--madam-round sr|ghat applies to --optimizer lns_madam only");
    return LB_OK;
}

lb_status lb_update_init(lb_update *u, const lb_update_config *c, const lb_ptensor *t, int nt,
                         float *params, size_t np, lb_error *err)
{
    memset(u, 0, sizeof *u);
    u->opt = c->opt;
    u->momentum = c->momentum, u->wd = c->weight_decay;
    u->beta = c->madam_beta > 0 ? c->madam_beta : 0.999;
    u->sr = c->madam_sr, u->seed = c->seed, u->np = np, u->nt = nt, u->lns = c->lns;
    if (c->lns && u->opt->step != opt_sgd)
        return lb_fail(err, LB_ERR_ARG, "the LNS update is SGD; got --optimizer %s", u->opt->name);
    u->w_on = c->w_on, u->wf = c->wf, u->k_on = c->k_on, u->kf = c->kf;
    lb_format_info wi;
    memset(&wi, 0, sizeof wi);
    if (u->w_on) lb_format_info_get(&u->wf, &wi);
    /* one fixed scale per tensor; a block format (MX, MLS) instead keeps a scale per block
     * computed from the block's values whenever the block is written (update.h) */
    u->w_scaled = u->w_on && wi.scaled && !wi.block;
    if (u->k_on) {
        lb_format_info ki;
        lb_format_info_get(&u->kf, &ki);
        u->k_scaled = ki.scaled;
    }
    u->t = malloc((size_t)nt * sizeof *u->t);
    u->bound = calloc((size_t)nt, sizeof *u->bound);
    u->scale = calloc((size_t)nt, sizeof *u->scale);
    u->lw = calloc((size_t)nt, sizeof *u->lw);
    u->old = malloc(np * sizeof *u->old);
    u->tmp = malloc(np * sizeof *u->tmp);
    if (!u->t || !u->bound || !u->scale || !u->lw || !u->old || !u->tmp) {
        lb_update_free(u);
        return lb_fail(err, LB_ERR_NOMEM, "out of memory");
    }
    memcpy(u->t, t, (size_t)nt * sizeof *t);
    for (int i = 0; i < nt; i++) {
        double ss = 0;
        for (size_t k = 0; k < t[i].n; k++)
            ss += (double)params[t[i].off + k] * params[t[i].off + k];
        double rms = t[i].n ? sqrt(ss / (double)t[i].n) : 0;
        u->bound[i] = rms > 0 ? (float)(3 * rms) : 1.0f;
        if (u->w_scaled) { /* the scale that makes the bound the largest value */
            lb_qctx q;
            memset(&q, 0, sizeof q);
            q.scales_out = &u->scale[i];
            float r = u->bound[i], out;
            lb_status st = lb_quantize(&u->wf, &out, &r, 1, &q);
            if (st) {
                lb_update_free(u);
                return lb_fail(err, st, "--weight-format %s: cannot set a scale", u->wf.name);
            }
        }
        if (u->opt->needs_lns) {
            int L = u->wf.p.lns.logbits;
            int32_t o = u->w_scaled ? (int32_t)u->scale[i] : 0;
            u->lw[i].frac = u->wf.p.lns.frac;
            u->lw[i].kmax = (int32_t)((1 << (L - 1)) - 1) + o;
            u->lw[i].kmin = -(int32_t)(1 << (L - 1)) + (u->wf.p.lns.zero_flag ? 0 : 1) + o;
        }
    }
    if (u->w_on) /* initial weights onto the grid (step 0 of the rounding key) */
        for (int i = 0; i < nt; i++) {
            lb_qctx q;
            memset(&q, 0, sizeof q);
            q.seed = u->seed, q.tensor_id = TID_WEIGHTS + (uint64_t)i;
            q.scales_in = u->w_scaled ? &u->scale[i] : NULL;
            float *p = params + t[i].off;
            lb_status st = lb_quantize(&u->wf, p, p, t[i].n, &q);
            if (st) {
                lb_update_free(u);
                return lb_fail(err, st, "--weight-format %s: quantizing the weights failed",
                               u->wf.name);
            }
        }
    return LB_OK;
}

int lb_update_nstate(const lb_update *u)
{
    return u->opt->nstate;
}

typedef struct qarg {
    const lb_update *u;
    int i, comp;
    uint64_t step;
} qarg;

static lb_status quant_cb(void *user, float *x, size_t n)
{
    const qarg *a = user;
    const lb_update *u = a->u;
    lb_qctx q;
    memset(&q, 0, sizeof q);
    q.seed = u->seed, q.step = a->step;
    if (a->comp) {
        if (!u->k_on) return LB_OK;
        q.tensor_id = TID_KAHAN + (uint64_t)a->i; /* data-driven scale per call */
        return lb_quantize(&u->kf, x, x, n, &q);
    }
    if (!u->w_on) return LB_OK;
    q.tensor_id = TID_WEIGHTS + (uint64_t)a->i;
    q.scales_in = u->w_scaled ? &u->scale[a->i] : NULL;
    return lb_quantize(&u->wf, x, x, n, &q);
}

/* ---- the steps of optimizers.def (ideal: the float result before rounding, for the stats) --- */

static lb_status opt_sgd(lb_update *u, float *params, const float *grads, float *state, float lr,
                         uint64_t step, long t1, int *first)
{
    (void)step, (void)t1;
    if (u->lns) { /* ideal: the float32 SGD step from the same (LNS) state */
        const float m = (float)u->momentum, wd = (float)u->wd;
        for (size_t k = 0; k < u->np && u->w_on; k++) {
            float gp = grads[k] + wd * params[k];
            u->tmp[k] = params[k] - lr * ((*first || m == 0.0f) ? gp : m * state[k] + gp);
        }
        lb_lns_sgd_step(u->lns, params, grads, state, u->np, lr, m, wd, first);
        return LB_OK;
    }
    lb_sgd_step(params, grads, state, u->np, lr, (float)u->momentum, (float)u->wd, first);
    return LB_OK;
}

static lb_status adam(lb_update *u, float *params, const float *grads, float *state, float lr,
                      long t1, int decoupled)
{
    lb_adam_step(params, grads, state, state + u->np, u->np, lr, 0.9f, 0.999f, 1e-8f, (float)u->wd,
                 decoupled, t1);
    return LB_OK;
}

static lb_status opt_adam(lb_update *u, float *params, const float *grads, float *state, float lr,
                          uint64_t step, long t1, int *first)
{
    (void)step, (void)first;
    return adam(u, params, grads, state, lr, t1, 0);
}

static lb_status opt_adamw(lb_update *u, float *params, const float *grads, float *state, float lr,
                           uint64_t step, long t1, int *first)
{
    (void)step, (void)first;
    return adam(u, params, grads, state, lr, t1, 1);
}

static lb_status opt_madam(lb_update *u, float *params, const float *grads, float *state, float lr,
                           uint64_t step, long t1, int *first)
{
    (void)step, (void)first;
    for (int i = 0; i < u->nt; i++)
        lb_madam_step(params + u->t[i].off, grads + u->t[i].off, state + u->t[i].off, u->t[i].n, lr,
                      (float)u->beta, (float)u->wd, t1, u->bound[i]);
    return LB_OK;
}

static lb_status opt_lns_madam(lb_update *u, float *params, const float *grads, float *state,
                               float lr, uint64_t step, long t1, int *first)
{
    (void)first;
    const float bc = 1.0f - powf((float)u->beta, (float)t1);
    float *ideal = u->tmp;
    lb_status st = LB_OK;
    for (int i = 0; i < u->nt && !st; i++) {
        size_t o = u->t[i].off;
        st = lb_lns_madam_step(&u->lw[i], params + o, grads + o, state + o, u->t[i].n, lr,
                               (float)u->beta, (float)u->wd, t1, u->sr, u->seed, (uint64_t)i, step);
        for (size_t k = 0; k < u->t[i].n; k++) { /* the float Madam result it stands for */
            float w = u->old[o + k], s = w > 0 ? 1.0f : w < 0 ? -1.0f : 0.0f;
            float x =
                w * exp2f(-lr * (lb_madam_ghat(grads[o + k], state[o + k], bc) * s + (float)u->wd));
            ideal[o + k] = x > u->bound[i] ? u->bound[i] : x < -u->bound[i] ? -u->bound[i] : x;
        }
    }
    return st;
}

static lb_status opt_kahan_sgd(lb_update *u, float *params, const float *grads, float *state,
                               float lr, uint64_t step, long t1, int *first)
{
    (void)t1;
    float *s0 = state, *s1 = state + u->np, *ideal = u->tmp;
    lb_status st = LB_OK;
    for (int i = 0; i < u->nt && !st; i++) {
        size_t o = u->t[i].off, n = u->t[i].n;
        qarg aw = {u, i, 0, step}, ac = {u, i, 1, step};
        int f = *first;
        st = lb_kahan_sgd_step(params + o, grads + o, s0 + o, s1 + o, ideal + o, n, lr,
                               (float)u->momentum, (float)u->wd, &f, quant_cb, &aw, quant_cb, &ac);
        for (size_t k = 0; k < n; k++) /* ideal: the plain SGD step of this iteration */
            ideal[o + k] = u->old[o + k] - lr * s0[o + k];
    }
    *first = 0;
    return st;
}

lb_status lb_update_step(lb_update *u, float *params, const float *grads, float *state, float lr,
                         uint64_t step, long t1, int *first)
{
    const size_t np = u->np;
    const int stats = u->w_on;
    if (stats) memcpy(u->old, params, np * sizeof *params);
    float *ideal = u->tmp; /* the float result before rounding (or the update, see below) */
    lb_status st = u->opt->step(u, params, grads, state, lr, step, t1, first);
    if (st) return st;
    if (u->opt->rounds_after && !u->lns) {
        if (stats) memcpy(ideal, params, np * sizeof *params);
        for (int i = 0; i < u->nt && !st; i++) {
            qarg a = {u, i, 0, step};
            st = quant_cb(&a, params + u->t[i].off, u->t[i].n);
        }
        if (st) return st;
    }
    if (stats) {
        double d2 = 0, i2 = 0;
        long nz = 0, zero = 0;
        for (size_t k = 0; k < np; k++) {
            double id = (double)ideal[k] - u->old[k], got = (double)params[k] - u->old[k];
            d2 += (got - id) * (got - id);
            i2 += id * id;
            if (id != 0) {
                nz++;
                zero += got == 0;
            }
        }
        u->err_sum += i2 > 0 ? sqrt(d2 / i2) : 0;
        u->zero_sum += nz ? (double)zero / (double)nz : 0;
        u->nsteps++;
    }
    return LB_OK;
}

void lb_update_take_stats(lb_update *u, double *rel_err, double *zero_frac)
{
    *rel_err = u->nsteps ? u->err_sum / (double)u->nsteps : 0;
    *zero_frac = u->nsteps ? u->zero_sum / (double)u->nsteps : 0;
    u->err_sum = u->zero_sum = 0;
    u->nsteps = 0;
}

void lb_update_free(lb_update *u)
{
    free(u->t), free(u->bound), free(u->scale), free(u->lw), free(u->old), free(u->tmp);
    u->t = NULL, u->bound = u->scale = u->old = u->tmp = NULL, u->lw = NULL;
}
