/* nn/train.c — the training loop of `lowbit train`: plan (nn/plan.c) -> data, model and
 * optimizer -> epochs (shuffle, steps, evaluation, a checkpoint after each: io/checkpoint.c) ->
 * the result file (io/run_record.c).
 * Randomness: parameter init keyed by (seed, tensor); the shuffle of epoch e by
 * (seed, LB_DATA_STREAM_SHUFFLE, e); stochastic rounding by (seed, tensor role, global step). So a
 * run resumed from a checkpoint replays exactly what an uninterrupted run does. */
#define _POSIX_C_SOURCE 200809L
#include <blis.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/internal.h"
#include "io/checkpoint.h"
#include "io/run_record.h"
#include "lowbit/data.h"
#include "lowbit/lnsadd.h"
#include "lowbit/optim.h"
#include "lowbit/rng.h"
#include "lowbit/train.h"
#include "nn/model.h"
#include "nn/plan.h"
#include "optim/update.h"

void lb_train_config_defaults(lb_train_config *c)
{
    memset(c, 0, sizeof *c);
    c->model = "mlp";
    c->hidden1 = c->hidden2 = 256;
    c->width = 1.0;
    c->depth = 20;
    c->dataset = "fashion-mnist";
    c->data_dir = "/usr/share/datasets/fashion-mnist";
    c->epochs = 10;
    c->batch = 128;
    c->lr = 0.05;
    c->momentum = 0.9;
    c->schedule = "constant";
    c->optimizer = "sgd";
    c->seed = 1;
    c->threads = 1;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Everything that must match for a checkpoint to be resumable: every setting that affects the
 * results, and the data set's identity (its directory, sizes, shape and a CRC-32C of the pixels
 * and labels as loaded, before normalisation). NULL if it does not fit in len. */
static char *fingerprint(const lb_train_plan *p, const lb_dataset *tr, const lb_dataset *te,
                         char *buf, size_t len)
{
    const lb_train_config *c = p->cfg;
    uint32_t h = 0;
    const lb_dataset *ds[2] = {tr, te};
    for (int k = 0; k < 2; k++) {
        h = lb_crc32c(h, ds[k]->x,
                      (size_t)ds[k]->n * ds[k]->c * ds[k]->h * ds[k]->w * sizeof(float));
        h = lb_crc32c(h, ds[k]->y, (size_t)ds[k]->n * sizeof *ds[k]->y);
    }
    int n = snprintf(
        buf, len,
        "model=%s h=%d,%d w=%.17g d=%d data=%s dir=%s sub=%lld,%lld n=%lld,%lld shape=%d,%d,%d "
        "classes=%d aug=%d crc=%08x epochs=%d batch=%d lr=%.17g m=%.17g "
        "wd=%.17g sched=%s seed=%llu threads=%d W=%s A=%s E=%s G=%s opt=%s gemm=%s wf=%s kf=%s "
        "mb=%.17g msr=%d last=%s,%s,%s,%s lns=%d ls=%.17g",
        p->model->name, c->hidden1, c->hidden2, c->width, c->depth, c->dataset,
        c->data_dir ? c->data_dir : "", (long long)c->train_subset, (long long)c->test_subset,
        (long long)tr->n, (long long)te->n, tr->c, tr->h, tr->w, tr->classes, tr->augment,
        (unsigned)h, c->epochs, c->batch, c->lr, c->momentum, c->weight_decay, p->schedule->name,
        (unsigned long long)c->seed, p->threads, p->q.w.name, p->q.a.name, p->q.e.name, p->q.g.name,
        p->upd.opt->name, lb_gemm_spec(p->q.gemm), p->upd.w_on ? p->upd.wf.name : "fp32",
        p->upd.k_on ? p->upd.kf.name : "-", c->madam_beta, c->madam_sr,
        p->has_last ? p->q_last.w.name : "-", p->has_last ? p->q_last.a.name : "-",
        p->has_last ? p->q_last.e.name : "-", p->has_last ? p->q_last.g.name : "-", c->all_lns,
        c->loss_scale);
    return n > 0 && (size_t)n < len ? buf : NULL;
}

/* Quantize each parameter tensor's gradient with the G format (role G, tensor = layer). */
static lb_status quantize_grads(lb_model *m, const lb_qroles *q_all)
{
    for (int i = 0; i < m->nlayers; i++) {
        const lb_layer *l = &m->L[i];
        const lb_qroles *q = (m->q_last && i == m->last_gemm) ? m->q_last : q_all;
        if (!l->n_w || !q->g_on) continue;
        lb_qctx c;
        memset(&c, 0, sizeof c);
        c.seed = q->seed, c.step = q->step, c.threads = q->threads;
        c.tensor_id = 4 * (uint64_t)i + 3;
        lb_status st = lb_quantize(&q->g, m->grads + l->w_off, m->grads + l->w_off, l->n_w, &c);
        if (!st) st = lb_quantize(&q->g, m->grads + l->b_off, m->grads + l->b_off, l->n_b, &c);
        if (st) return st;
    }
    return LB_OK;
}

static lb_status evaluate(lb_model *m, const lb_dataset *d, const lb_qroles *q, double *loss,
                          double *acc)
{
    size_t px = (size_t)d->c * d->h * d->w;
    double sum = 0;
    long hits = 0;
    for (int64_t i = 0; i < d->n; i += m->B) {
        int b = (int)(d->n - i < m->B ? d->n - i : m->B);
        double l;
        lb_status st = lb_model_forward(m, d->x + (size_t)i * px, d->y + i, b, q, &l, &hits);
        if (st) return st;
        sum += l * b;
    }
    *loss = d->n ? sum / (double)d->n : 0;
    *acc = d->n ? (double)hits / (double)d->n : 0;
    return LB_OK;
}

/* The GEMM counters a result records, accumulated over the run: slots 0-3 calls, macs,
 * overflows, underflows, then the LNS-addition distance histogram. base holds what earlier
 * processes counted (restored from the checkpoint); the kernel counts this process. */
#define NC_FIXED 4
static void counters_now(const lb_gemm_kernel *k, const uint64_t *base, uint64_t *now, size_t n)
{
    lb_gemm_stats gs;
    lb_gemm_get_stats(k, &gs);
    const uint64_t v[NC_FIXED] = {gs.calls, gs.macs, gs.overflows, gs.underflows};
    for (size_t i = 0; i < NC_FIXED; i++)
        now[i] = base[i] + v[i];
    if (n > NC_FIXED) lb_gemm_histogram(k, now + NC_FIXED, n - NC_FIXED);
    for (size_t i = NC_FIXED; i < n; i++)
        now[i] += base[i];
}

/* The BLIS and OpenMP thread counts of the caller, set back after the run. */
typedef struct thread_scope {
    int omp;
    dim_t blis;
} thread_scope;

static thread_scope threads_enter(int threads)
{
    thread_scope t = {omp_get_max_threads(), bli_thread_get_num_threads()};
    lb_nn_set_threads(threads);
    omp_set_num_threads(threads);
    return t;
}

static void threads_leave(const thread_scope *t)
{
    bli_thread_set_num_threads(t->blis);
    omp_set_num_threads(t->omp);
}

/* What a run holds between its setup, its epochs and its record. */
typedef struct run_state {
    lb_dataset tr, te;
    lb_model m;
    lb_update upd;
    size_t px;              /* floats per example */
    float *mom, *xb;        /* optimizer state (nstate x nparams); the batch (batch, px) */
    float *init;            /* --save-weights: the parameters as initialised */
    int32_t *yb, *perm;     /* the batch's labels; the epoch's order of the examples */
    lb_ptensor *pt;         /* the parameter tensors */
    lb_epoch_row *rows;     /* epochs */
    uint64_t *base, *count; /* counters: restored from the checkpoint; of the whole run */
    size_t ncount;
    char *fp; /* the checkpoint fingerprint */
    int data_loaded;
    lb_ckpt ck; /* the checkpoint: state and the arrays it holds */
} run_state;

/* Data, model, optimizer, buffers, and the checkpoint's state when resuming. */
static lb_status setup(const lb_train_plan *p, run_state *r, lb_error *err)
{
    const lb_train_config *c = p->cfg;
    memset(r, 0, sizeof *r);
    lb_status st = lb_dataset_load(&r->tr, &r->te, c->dataset, c->data_dir, err);
    if (st) return st;
    r->data_loaded = 1;
    if (c->train_subset > 0) lb_dataset_truncate(&r->tr, c->train_subset);
    if (c->test_subset > 0) lb_dataset_truncate(&r->te, c->test_subset);
    r->fp = malloc(16384);
    if (r->fp && !fingerprint(p, &r->tr, &r->te, r->fp, 16384))
        return lb_fail(err, LB_ERR_ARG, "the configuration is too long for a checkpoint");
    double mean[4], sd[4];
    lb_dataset_stats(&r->tr, mean, sd);
    lb_dataset_normalize(&r->tr, mean, sd);
    lb_dataset_normalize(&r->te, mean, sd);

    r->rows = calloc((size_t)c->epochs, sizeof *r->rows);
    r->ncount = NC_FIXED + lb_gemm_histogram(p->q.gemm, NULL, 0);
    r->base = calloc(r->ncount, sizeof *r->base);
    r->count = calloc(r->ncount, sizeof *r->count);
    lb_model *m = &r->m;
    const lb_dataset *tr = &r->tr;
    if ((st = lb_model_build(m, p->model, tr->c, tr->h, tr->w, tr->classes, &p->mopts, c->seed,
                             err)))
        return st;
    if (p->has_last) m->q_last = &p->q_last;
    if (c->save_weights) { /* before a checkpoint replaces them: the init is a function of seed */
        if (!(r->init = malloc(m->nparams * sizeof *r->init)))
            return lb_fail(err, LB_ERR_NOMEM, "out of memory");
        memcpy(r->init, m->params, m->nparams * sizeof *r->init);
    }
    m->loss_scale = (float)c->loss_scale;
    if (!(r->pt = malloc(2 * (size_t)m->nlayers * sizeof *r->pt + 1)))
        return lb_fail(err, LB_ERR_NOMEM, "out of memory");
    int npt = 0;
    for (int i = 0; i < m->nlayers; i++) {
        if (m->L[i].n_w) r->pt[npt++] = (lb_ptensor){m->L[i].w_off, m->L[i].n_w};
        if (m->L[i].n_b) r->pt[npt++] = (lb_ptensor){m->L[i].b_off, m->L[i].n_b};
    }
    if ((st = lb_update_init(&r->upd, &p->upd, r->pt, npt, m->params, m->nparams, err))) return st;
    const size_t nstate = (size_t)lb_update_nstate(&r->upd);
    r->px = (size_t)tr->c * tr->h * tr->w;
    r->mom = calloc(m->nparams * nstate, sizeof *r->mom);
    r->xb = malloc((size_t)c->batch * r->px * sizeof *r->xb);
    r->yb = malloc((size_t)c->batch * sizeof *r->yb);
    r->perm = malloc((size_t)tr->n * sizeof *r->perm);
    if (!r->fp || !r->rows || !r->base || !r->count || !r->mom || !r->xb || !r->yb || !r->perm ||
        lb_model_alloc_batch(m, c->batch))
        return lb_fail(err, LB_ERR_NOMEM, "out of memory");
    r->ck = (lb_ckpt){
        .fingerprint = r->fp,
        .epochs = c->epochs,
        .steps_per_epoch = (uint64_t)((tr->n + c->batch - 1) / c->batch),
        .ncounters = r->ncount,
        .narrays = 3,
        .arrays = {{m->params, m->nparams}, {r->mom, m->nparams * nstate}, {m->state, m->nstate}},
        .first_step = 1,
        .rows = r->rows,
        .counters = r->base};
    int found;
    if (c->resume && (st = lb_ckpt_read(p->ckpt, &r->ck, &found, err))) return st;
    r->ck.counters = r->count; /* from here on the checkpoint gets base + this process's counts */
    return LB_OK;
}

static void teardown(run_state *r)
{
    free(r->fp), free(r->rows), free(r->base), free(r->count), free(r->pt);
    free(r->mom), free(r->xb), free(r->yb), free(r->perm), free(r->init);
    lb_model_free(&r->m);
    if (r->data_loaded) lb_dataset_free(&r->tr), lb_dataset_free(&r->te);
    lb_update_free(&r->upd);
}

/* One epoch: shuffled steps, then the evaluation on the test set. */
static lb_status train_epoch(lb_train_plan *p, run_state *r, int epoch, lb_epoch_row *row,
                             lb_error *err)
{
    const lb_train_config *c = p->cfg;
    lb_qroles *q = &p->q, *q_last = &p->q_last;
    lb_model *m = &r->m;
    const lb_dataset *tr = &r->tr;
    const size_t px = r->px;
    float *xb = r->xb;
    int32_t *yb = r->yb, *perm = r->perm;
    lb_status st;
    double t0 = now_s();
    lb_data_shuffle(perm, tr->n, c->seed, (uint64_t)epoch); /* n checked by the loader */
    float lr = (float)p->schedule->lr(c->lr, epoch, c->epochs);
    double loss_sum = 0;
    long hits = 0;
    for (int64_t i = 0; i < tr->n; i += c->batch) {
        int b = (int)(tr->n - i < c->batch ? tr->n - i : c->batch);
#pragma omp parallel /* the batch's examples and zeroed gradients, over the threads */
        {
#pragma omp for schedule(static) nowait
            for (int k = 0; k < b; k++) {
                const float *src = tr->x + (size_t)perm[i + k] * px;
                if (tr->augment)
                    lb_augment_crop_flip(xb + (size_t)k * px, src, tr->c, tr->h, tr->w, 4, c->seed,
                                         (uint64_t)epoch, (uint64_t)perm[i + k]);
                else
                    memcpy(xb + (size_t)k * px, src, px * sizeof *xb);
                yb[k] = tr->y[perm[i + k]];
            }
            const size_t t = (size_t)omp_get_thread_num(), T = (size_t)omp_get_num_threads();
            const size_t n0 = m->nparams * t / T, n1 = m->nparams * (t + 1) / T;
            memset(m->grads + n0, 0, (n1 - n0) * sizeof *m->grads);
        }
        q->step = q_last->step = r->ck.step;
        m->step = r->ck.step;
        m->train = 1;
        double l;
        if ((st = lb_model_forward(m, xb, yb, b, p->anyq ? q : NULL, &l, &hits))) return st;
        if ((st = lb_model_backward(m, xb, yb, b, p->anyq ? q : NULL))) return st;
        if ((st = quantize_grads(m, q))) return st;
        if (c->loss_scale != 0 && c->loss_scale != 1) { /* unscale (exact: a power of two) */
            const float inv = (float)(1.0 / c->loss_scale);
            float *gr = m->grads;
            const int64_t np = (int64_t)m->nparams;
#pragma omp parallel for schedule(static) if (np > LB_PAR_MIN)
            for (int64_t k = 0; k < np; k++)
                gr[k] *= inv;
        }
        if ((st = lb_update_step(&r->upd, m->params, m->grads, r->mom, lr, r->ck.step,
                                 (long)r->ck.step + 1, &r->ck.first_step)))
            return st;
        if (!isfinite(l))
            return lb_fail(err, LB_ERR_DATA, "training diverged: loss %g at epoch %d step %llu", l,
                           epoch + 1, (unsigned long long)r->ck.step);
        loss_sum += l * b;
        r->ck.step++;
    }
    double tl, ta;
    q->step = q_last->step = r->ck.step;
    m->train = 0; /* batchnorm running statistics, no dropout */
    if ((st = evaluate(m, &r->te, p->anyq ? q : NULL, &tl, &ta))) return st;
    *row = (lb_epoch_row){
        epoch + 1, loss_sum / (double)tr->n, (double)hits / (double)tr->n, tl, ta, now_s() - t0, 0,
        0};
    lb_update_take_stats(&r->upd, &row->update_rel_err, &row->update_zero_frac);
    return LB_OK;
}

/* --save-weights: a NumPy .npy (format 1.0) of float32 (2, n): init, then trained. */
static lb_status save_weights(const char *path, const float *init, const float *trained, size_t n,
                              lb_error *err)
{
    char hdr[128];
    int len = snprintf(hdr, sizeof hdr,
                       "\x93NUMPY\x01%c%c%c{'descr': '<f4', 'fortran_order': False, 'shape': (2, "
                       "%zu), }",
                       0, 0, 0, n);
    if (len < 0 || len + 1 > (int)sizeof hdr) return lb_fail(err, LB_ERR_ARG, "header too long");
    while ((len + 1) % 64) /* the header, newline included, pads to a multiple of 64 bytes */
        hdr[len++] = ' ';
    hdr[len++] = '\n';
    hdr[8] = (char)((len - 10) & 0xff), hdr[9] = (char)((len - 10) >> 8);
    FILE *f = fopen(path, "wb");
    if (!f) return lb_fail(err, LB_ERR_IO, "--save-weights %s: cannot write", path);
    int ok = fwrite(hdr, 1, (size_t)len, f) == (size_t)len &&
             fwrite(init, sizeof *init, n, f) == n && fwrite(trained, sizeof *trained, n, f) == n;
    ok &= fclose(f) == 0;
    if (!ok) return lb_fail(err, LB_ERR_IO, "--save-weights %s: writing failed", path);
    return LB_OK;
}

/* The run of a checked plan: setup, the epochs (a checkpoint after each), the record. */
static lb_status run(lb_train_plan *p, lb_train_progress_fn progress, void *user, lb_error *err)
{
    const lb_train_config *c = p->cfg;
    run_state r;
    lb_status st = setup(p, &r, err);
    double t_run = 0;
    for (int e = 0; !st && e < r.ck.epochs_done; e++)
        t_run += r.rows[e].seconds;
    for (int epoch = r.ck.epochs_done; !st && epoch < c->epochs; epoch++) {
        if ((st = train_epoch(p, &r, epoch, &r.rows[epoch], err))) break;
        const lb_epoch_row *row = &r.rows[epoch];
        t_run += row->seconds;
        r.ck.epochs_done = epoch + 1;
        counters_now(p->q.gemm, r.base, r.count, r.ncount);
        if ((st = lb_ckpt_write(p->ckpt, &r.ck, err))) break;
        if (progress) {
            lb_epoch_report rep = {
                epoch + 1,       c->epochs,
                row->train_loss, row->train_acc,
                row->test_loss,  row->test_acc,
                row->seconds,    t_run / r.ck.epochs_done * (c->epochs - r.ck.epochs_done)};
            progress(&rep, user);
        }
    }
    if (!st) {
        counters_now(p->q.gemm, r.base, r.count, r.ncount);
        lb_run_totals tot = {r.tr.n,
                             r.te.n,
                             r.rows,
                             r.count[1],
                             r.count[2],
                             r.count[3],
                             r.count + NC_FIXED,
                             r.ncount - NC_FIXED,
                             r.tr.classes};
        if (c->save_weights) /* first: no result file without its weights */
            st = save_weights(c->save_weights, r.init, r.m.params, r.m.nparams, err);
        if (!st) st = lb_run_record_write(p, &r.m, &r.upd, &tot, err);
        if (!st) unlink(p->ckpt); /* the result file supersedes the checkpoint */
    }
    teardown(&r);
    return st;
}

lb_status lb_train(const lb_train_config *c, lb_train_progress_fn progress, void *user,
                   lb_error *err)
{
    lb_train_plan p;
    lb_status st = lb_train_plan_make(&p, c, err);
    if (st) return st;
    thread_scope ts = threads_enter(p.threads);
    st = run(&p, progress, user, err);
    threads_leave(&ts);
    lb_train_plan_free(&p);
    return st;
}
