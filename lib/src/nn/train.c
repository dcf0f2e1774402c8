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
        "mb=%.17g msr=%d last=%s lns=%d",
        p->model->name, c->hidden1, c->hidden2, c->width, c->depth, c->dataset,
        c->data_dir ? c->data_dir : "", (long long)c->train_subset, (long long)c->test_subset,
        (long long)tr->n, (long long)te->n, tr->c, tr->h, tr->w, tr->classes, tr->augment,
        (unsigned)h, c->epochs, c->batch, c->lr, c->momentum, c->weight_decay, p->schedule->name,
        (unsigned long long)c->seed, p->threads, p->q.w.name, p->q.a.name, p->q.e.name, p->q.g.name,
        p->upd.opt->name, lb_gemm_spec(p->q.gemm), p->upd.w_on ? p->upd.wf.name : "fp32",
        p->upd.k_on ? p->upd.kf.name : "-", c->madam_beta, c->madam_sr,
        p->has_last ? p->q_last.w.name : "-", c->all_lns);
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

/* The run of a checked plan: everything below may fail only on data, memory or I/O. */
static lb_status run(lb_train_plan *p, lb_train_progress_fn progress, void *user, lb_error *err)
{
    const lb_train_config *c = p->cfg;
    lb_qroles *q = &p->q, *q_last = &p->q_last;
    lb_dataset tr, te;
    lb_status st = lb_dataset_load(&tr, &te, c->dataset, c->data_dir, err);
    if (st) return st;
    if (c->train_subset > 0) lb_dataset_truncate(&tr, c->train_subset);
    if (c->test_subset > 0) lb_dataset_truncate(&te, c->test_subset);
    char *fp = malloc(16384);
    if (fp && !fingerprint(p, &tr, &te, fp, 16384)) {
        free(fp);
        lb_dataset_free(&tr), lb_dataset_free(&te);
        return lb_fail(err, LB_ERR_ARG, "the configuration is too long for a checkpoint");
    }
    double mean[4], sd[4];
    lb_dataset_stats(&tr, mean, sd);
    lb_dataset_normalize(&tr, mean, sd);
    lb_dataset_normalize(&te, mean, sd);

    lb_model m;
    lb_update upd;
    memset(&upd, 0, sizeof upd);
    float *mom = NULL, *xb = NULL;
    int32_t *yb = NULL, *perm = NULL;
    lb_ptensor *pt = NULL;
    lb_epoch_row *rows = calloc((size_t)c->epochs, sizeof *rows);
    const size_t ncount = NC_FIXED + lb_gemm_histogram(q->gemm, NULL, 0);
    uint64_t *base = calloc(ncount, sizeof *base), *count = calloc(ncount, sizeof *count);
    size_t nstate = 1;
    if ((st = lb_model_build(&m, p->model, tr.c, tr.h, tr.w, tr.classes, &p->mopts, c->seed, err)))
        goto out;
    if (p->has_last) m.q_last = q_last;
    pt = malloc(2 * (size_t)m.nlayers * sizeof *pt + 1);
    if (!pt) {
        st = lb_fail(err, LB_ERR_NOMEM, "out of memory");
        goto out;
    }
    int npt = 0;
    for (int i = 0; i < m.nlayers; i++) {
        if (m.L[i].n_w) pt[npt++] = (lb_ptensor){m.L[i].w_off, m.L[i].n_w};
        if (m.L[i].n_b) pt[npt++] = (lb_ptensor){m.L[i].b_off, m.L[i].n_b};
    }
    if ((st = lb_update_init(&upd, &p->upd, pt, npt, m.params, m.nparams, err))) goto out;
    nstate = (size_t)lb_update_nstate(&upd);
    size_t px = (size_t)tr.c * tr.h * tr.w;
    mom = calloc(m.nparams * nstate, sizeof *mom);
    xb = malloc((size_t)c->batch * px * sizeof *xb);
    yb = malloc((size_t)c->batch * sizeof *yb);
    perm = malloc((size_t)tr.n * sizeof *perm);
    if (!fp || !rows || !base || !count || !mom || !xb || !yb || !perm ||
        lb_model_alloc_batch(&m, c->batch)) {
        st = lb_fail(err, LB_ERR_NOMEM, "out of memory");
        goto out;
    }
    lb_ckpt ck = {.fingerprint = fp,
                  .epochs = c->epochs,
                  .steps_per_epoch = (uint64_t)((tr.n + c->batch - 1) / c->batch),
                  .ncounters = ncount,
                  .narrays = 3,
                  .arrays = {{m.params, m.nparams}, {mom, m.nparams * nstate}, {m.state, m.nstate}},
                  .first_step = 1,
                  .rows = rows,
                  .counters = base};
    if (c->resume) {
        int found;
        if ((st = lb_ckpt_read(p->ckpt, &ck, &found, err))) goto out;
    }
    ck.counters = count; /* from here on the checkpoint gets base + this process's counts */

    double t_run = 0;
    for (int e = 0; e < ck.epochs_done; e++)
        t_run += rows[e].seconds;
    for (int epoch = ck.epochs_done; epoch < c->epochs; epoch++) {
        double t0 = now_s();
        lb_data_shuffle(perm, tr.n, c->seed, (uint64_t)epoch); /* n checked by the loader */
        float lr = (float)p->schedule->lr(c->lr, epoch, c->epochs);
        double loss_sum = 0;
        long hits = 0;
        for (int64_t i = 0; i < tr.n; i += c->batch) {
            int b = (int)(tr.n - i < c->batch ? tr.n - i : c->batch);
#pragma omp parallel /* the batch's examples and zeroed gradients, over the threads */
            {
#pragma omp for schedule(static) nowait
                for (int k = 0; k < b; k++) {
                    const float *src = tr.x + (size_t)perm[i + k] * px;
                    if (tr.augment)
                        lb_augment_crop_flip(xb + (size_t)k * px, src, tr.c, tr.h, tr.w, 4, c->seed,
                                             (uint64_t)epoch, (uint64_t)perm[i + k]);
                    else
                        memcpy(xb + (size_t)k * px, src, px * sizeof *xb);
                    yb[k] = tr.y[perm[i + k]];
                }
                const size_t t = (size_t)omp_get_thread_num(), T = (size_t)omp_get_num_threads();
                const size_t n0 = m.nparams * t / T, n1 = m.nparams * (t + 1) / T;
                memset(m.grads + n0, 0, (n1 - n0) * sizeof *m.grads);
            }
            q->step = q_last->step = ck.step;
            m.step = ck.step;
            m.train = 1;
            double l;
            if ((st = lb_model_forward(&m, xb, yb, b, p->anyq ? q : NULL, &l, &hits))) goto out;
            if ((st = lb_model_backward(&m, xb, yb, b, p->anyq ? q : NULL))) goto out;
            if ((st = quantize_grads(&m, q))) goto out;
            if ((st = lb_update_step(&upd, m.params, m.grads, mom, lr, ck.step, (long)ck.step + 1,
                                     &ck.first_step)))
                goto out;
            if (!isfinite(l)) {
                st = lb_fail(err, LB_ERR_DATA, "training diverged: loss %g at epoch %d step %llu",
                             l, epoch + 1, (unsigned long long)ck.step);
                goto out;
            }
            loss_sum += l * b;
            ck.step++;
        }
        double tl, ta;
        q->step = q_last->step = ck.step;
        m.train = 0; /* batchnorm running statistics, no dropout */
        if ((st = evaluate(&m, &te, p->anyq ? q : NULL, &tl, &ta))) goto out;
        double secs = now_s() - t0;
        t_run += secs;
        lb_epoch_row row = {
            epoch + 1, loss_sum / (double)tr.n, (double)hits / (double)tr.n, tl, ta, secs, 0, 0};
        lb_update_take_stats(&upd, &row.update_rel_err, &row.update_zero_frac);
        rows[epoch] = row;
        ck.epochs_done = epoch + 1;
        counters_now(q->gemm, base, count, ncount);
        if ((st = lb_ckpt_write(p->ckpt, &ck, err))) goto out;
        if (progress) {
            lb_epoch_report r = {epoch + 1,
                                 c->epochs,
                                 row.train_loss,
                                 row.train_acc,
                                 tl,
                                 ta,
                                 secs,
                                 t_run / ck.epochs_done * (c->epochs - ck.epochs_done)};
            progress(&r, user);
        }
    }
    counters_now(q->gemm, base, count, ncount);
    lb_run_totals tot = {
        tr.n, te.n, rows, count[1], count[2], count[3], count + NC_FIXED, ncount - NC_FIXED};
    st = lb_run_record_write(p, &m, &upd, &tot, err);
    if (!st) unlink(p->ckpt); /* the run is complete: the result file supersedes the checkpoint */
out:
    free(fp), free(rows), free(base), free(count), free(pt);
    free(mom), free(xb), free(yb), free(perm);
    lb_model_free(&m);
    lb_dataset_free(&tr);
    lb_dataset_free(&te);
    lb_update_free(&upd);
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
