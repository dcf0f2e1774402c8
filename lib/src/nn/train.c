/* nn/train.c — the training loop of `lowbit train`: data, model, SGD, per-epoch evaluation,
 * checkpoints after every epoch, and the HDF5 result file (lowbit/results.h).
 * Randomness: parameter init keyed by (seed, tensor); the shuffle of epoch e by
 * (seed, LB_STREAM_SHUFFLE, e); stochastic rounding by (seed, tensor role, global step). So a
 * run resumed from a checkpoint replays exactly what an uninterrupted run does. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lowbit/data.h"
#include "lowbit/info.h"
#include "lowbit/lnsadd.h"
#include "lowbit/optim.h"
#include "lowbit/rng.h"
#include "lowbit/train.h"
#include "nn/model.h"
#include "optim/update.h"

#define LB_STREAM_SHUFFLE 0x5348554646ull /* "SHUFF" */
#define LB_CKPT_MAGIC     "LBCKPT01"

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

static double lr_at(const lb_train_config *c, int epoch)
{
    if (!strcmp(c->schedule, "step"))
        return c->lr * (epoch >= (3 * c->epochs) / 4 ? 0.01 : epoch >= c->epochs / 2 ? 0.1 : 1.0);
    if (!strcmp(c->schedule, "cosine"))
        return 0.5 * c->lr *
               (1.0 + cos(3.14159265358979323846 * (double)epoch / (double)c->epochs));
    return c->lr;
}

/* Everything that must match for a checkpoint to be resumable. */
static void fingerprint(const lb_train_config *c, char *buf, size_t len)
{
    snprintf(
        buf, len,
        "model=%s h=%d,%d w=%.17g d=%d data=%s sub=%lld,%lld epochs=%d batch=%d lr=%.17g m=%.17g "
        "wd=%.17g sched=%s seed=%llu threads=%d W=%s A=%s E=%s G=%s opt=%s gemm=%s wf=%s kf=%s "
        "mb=%.17g msr=%d last=%s lns=%d",
        c->model, c->hidden1, c->hidden2, c->width, c->depth, c->dataset,
        (long long)c->train_subset, (long long)c->test_subset, c->epochs, c->batch, c->lr,
        c->momentum, c->weight_decay, c->schedule, (unsigned long long)c->seed, c->threads,
        c->w_format ? c->w_format : "fp32", c->a_format ? c->a_format : "fp32",
        c->e_format ? c->e_format : "fp32", c->g_format ? c->g_format : "fp32", c->optimizer,
        c->gemm ? c->gemm : "fp32", c->weight_format ? c->weight_format : "fp32",
        c->kahan_format ? c->kahan_format : "-", c->madam_beta, c->madam_sr,
        c->last_layer_format ? c->last_layer_format : "-", c->all_lns);
}

typedef struct train_state {
    int epochs_done, first_step;
    uint64_t step;
    lb_epoch_row rows[1024];
} train_state;

/* mom: optimizer state, nstate = 1 (SGD momentum) or 2 (Adam m, v) tensors of nparams */
static lb_status ckpt_write(const char *path, const char *fp, const lb_model *m, const float *mom,
                            size_t nstate, const train_state *s, lb_error *err)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) return lb_fail(err, LB_ERR_IO, "%s: cannot write checkpoint", tmp);
    uint32_t fl = (uint32_t)strlen(fp);
    uint64_t np = m->nparams;
    int ok = fwrite(LB_CKPT_MAGIC, 8, 1, f) == 1 && fwrite(&fl, 4, 1, f) == 1 &&
             fwrite(fp, 1, fl, f) == fl && fwrite(s, sizeof *s, 1, f) == 1 &&
             fwrite(&np, 8, 1, f) == 1 && fwrite(m->params, 4, np, f) == np &&
             fwrite(mom, 4, np * nstate, f) == np * nstate &&
             fwrite(m->state, 4, m->nstate, f) == m->nstate;
    ok &= fclose(f) == 0;
    if (!ok || rename(tmp, path)) {
        unlink(tmp);
        return lb_fail(err, LB_ERR_IO, "%s: writing the checkpoint failed", path);
    }
    return LB_OK;
}

/* A kernel that counts LNS-addition distances (dhist=1): <out>.dhist.csv, columns d,count (the
 * last row counts every larger d), written before the result file and renamed into place. */
static lb_status write_dhist(const lb_gemm_kernel *k, const char *out, lb_error *err)
{
    size_t bins = lb_gemm_histogram(k, NULL, 0);
    if (!bins) return LB_OK;
    uint64_t *h = malloc(bins * sizeof *h);
    if (!h) return lb_fail(err, LB_ERR_NOMEM, "d histogram: out of memory");
    lb_gemm_histogram(k, h, bins);
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s.dhist.csv", out);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    int ok = f != NULL;
    if (f) {
        ok &= fprintf(f, "d,count\n") > 0;
        for (size_t d = 0; d < bins && ok; d++)
            ok &= fprintf(f, "%zu,%llu\n", d, (unsigned long long)h[d]) > 0;
        ok &= fclose(f) == 0;
    }
    free(h);
    if (!ok || rename(tmp, path)) {
        unlink(tmp);
        return lb_fail(err, LB_ERR_IO, "%s: writing the d histogram failed", path);
    }
    return LB_OK;
}

/* Returns LB_OK and fills s/params/mom, LB_ERR_IO if absent, other errors if unusable. */
static lb_status ckpt_read(const char *path, const char *fp, lb_model *m, float *mom, size_t nstate,
                           train_state *s, lb_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return LB_ERR_IO;
    char magic[8], stored[2048];
    uint32_t fl = 0;
    uint64_t np = 0;
    lb_status st = LB_OK;
    if (fread(magic, 8, 1, f) != 1 || memcmp(magic, LB_CKPT_MAGIC, 8) || fread(&fl, 4, 1, f) != 1 ||
        fl >= sizeof stored || fread(stored, 1, fl, f) != fl)
        st = lb_fail(err, LB_ERR_DATA, "%s: not a lowbit checkpoint (or truncated)", path);
    else {
        stored[fl] = 0;
        if (strcmp(stored, fp))
            st = lb_fail(err, LB_ERR_ARG,
                         "%s: made with a different configuration (%s); delete it or match it",
                         path, stored);
        else if (fread(s, sizeof *s, 1, f) != 1 || fread(&np, 8, 1, f) != 1 || np != m->nparams ||
                 fread(m->params, 4, np, f) != np || fread(mom, 4, np * nstate, f) != np * nstate ||
                 fread(m->state, 4, m->nstate, f) != m->nstate)
            st = lb_fail(err, LB_ERR_DATA, "%s: truncated checkpoint", path);
    }
    fclose(f);
    return st;
}

static lb_status make_roles(const lb_train_config *c, lb_qroles *q, int *any, lb_error *err)
{
    memset(q, 0, sizeof *q);
    const char *specs[4] = {c->w_format, c->a_format, c->e_format, c->g_format};
    const char *names[4] = {"--w-format", "--a-format", "--e-format", "--g-format"};
    lb_format *fs[4] = {&q->w, &q->a, &q->e, &q->g};
    int *on[4] = {&q->w_on, &q->a_on, &q->e_on, &q->g_on};
    *any = 0;
    for (int i = 0; i < 4; i++) {
        const char *s = specs[i] ? specs[i] : "fp32";
        lb_error e2;
        if (lb_format_parse(fs[i], s, &e2))
            return lb_fail(err, LB_ERR_SPEC, "%s: %s", names[i], e2.msg);
        *on[i] = strcmp(s, "fp32") != 0;
        *any |= *on[i];
    }
    q->seed = c->seed;
    q->threads = c->threads;
    if (c->gemm && strcmp(c->gemm, "fp32")) {
        lb_error e2;
        lb_gemm_kernel *k;
        if (lb_gemm_create(&k, c->gemm, &e2))
            return lb_fail(err, LB_ERR_SPEC, "--gemm: %s", e2.msg);
        q->gemm = k;
        *any |= !lb_gemm_is_float(k); /* a bit-true kernel alone must reach the layers too */
    }
    return LB_OK;
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

lb_status lb_train(const lb_train_config *c, lb_train_progress_fn progress, void *user,
                   lb_error *err)
{
    if (c->epochs < 1 || c->epochs > 1000)
        return lb_fail(err, LB_ERR_ARG, "--epochs %d is not in 1..1000", c->epochs);
    if (c->batch < 1 || c->batch > 65536)
        return lb_fail(err, LB_ERR_ARG, "--batch %d is not in 1..65536", c->batch);
    if (!(c->lr > 0)) return lb_fail(err, LB_ERR_ARG, "--lr %g must be positive", c->lr);
    if (strcmp(c->schedule, "constant") && strcmp(c->schedule, "step") &&
        strcmp(c->schedule, "cosine"))
        return lb_fail(err, LB_ERR_ARG, "--schedule '%s' is not one of constant, step, cosine",
                       c->schedule);
    if (!c->out) return lb_fail(err, LB_ERR_ARG, "missing --out RUN.h5");
    size_t nstate = 1;
    lb_update upd;
    memset(&upd, 0, sizeof upd);
    lb_qroles q, q_last;
    int anyq, any_last;
    lb_status st = make_roles(c, &q, &anyq, err);
    if (st) return st;
    memset(&q_last, 0, sizeof q_last);
    if (c->last_layer_format) {
        lb_format tmp;
        lb_error e2;
        if (lb_format_parse(&tmp, c->last_layer_format, &e2)) {
            lb_gemm_destroy((lb_gemm_kernel *)q.gemm);
            return lb_fail(err, LB_ERR_SPEC, "--last-layer-format: %s", e2.msg);
        }
        lb_train_config cl = *c;
        cl.w_format = cl.a_format = cl.e_format = cl.g_format = c->last_layer_format;
        cl.gemm = NULL;
        make_roles(&cl, &q_last, &any_last, err);
        q_last.gemm = q.gemm;
        anyq = 1; /* roles are passed to every layer (the others may be all off) */
    }
    lb_lns_ops lops;
    char lns_wf[96] = "";
    if (c->all_lns) {
        int lbits = 0;
        const lb_lns_adder *ad = lb_gemm_lns_adder(q.gemm, &lbits);
        if (!ad)
            st = lb_fail(err, LB_ERR_ARG,
                         "--all-lns needs an LNS-addition --gemm kernel (lns-pwl, lns-lut, "
                         "lns-exactadd), got '%s'",
                         c->gemm ? c->gemm : "fp32");
        else if (strcmp(c->optimizer, "sgd"))
            st = lb_fail(err, LB_ERR_ARG, "--all-lns: the LNS update is SGD; got --optimizer %s",
                         c->optimizer);
        else
            st = lb_lns_ops_init(&lops, ad, lbits, err);
        if (!st && c->weight_format && strcmp(c->weight_format, "fp32")) {
            lb_format wf;
            lb_error e2;
            if (lb_format_parse(&wf, c->weight_format, &e2) || wf.family != lops.f.family ||
                wf.bits != lops.f.bits || wf.scale != lops.f.scale || wf.round != lops.f.round ||
                memcmp(&wf.p.lns, &lops.f.p.lns, sizeof wf.p.lns))
                st = lb_fail(err, LB_ERR_ARG,
                             "--all-lns stores the weights in the kernel's format %s; "
                             "--weight-format '%s' differs (leave it out)",
                             lops.f.name, c->weight_format);
        }
        if (st) {
            lb_gemm_destroy((lb_gemm_kernel *)q.gemm);
            return st;
        }
        snprintf(lns_wf, sizeof lns_wf, "%s", lops.f.name);
        q.lns = q_last.lns = &lops;
        anyq = 1;
    }
    int threads = c->threads < 1 ? 1 : c->threads;
    lb_nn_set_threads(threads);
    omp_set_num_threads(threads);

    lb_dataset tr, te;
    if ((st = lb_dataset_load(&tr, &te, c->dataset, c->data_dir, err))) {
        lb_gemm_destroy((lb_gemm_kernel *)q.gemm);
        return st;
    }
    if (c->train_subset > 0) lb_dataset_truncate(&tr, c->train_subset);
    if (c->test_subset > 0) lb_dataset_truncate(&te, c->test_subset);
    double mean[4], sd[4];
    lb_dataset_stats(&tr, mean, sd);
    lb_dataset_normalize(&tr, mean, sd);
    lb_dataset_normalize(&te, mean, sd);

    lb_model m;
    float *mom = NULL, *xb = NULL;
    int32_t *yb = NULL, *perm = NULL;
    lb_results *res = NULL;
    train_state *s = calloc(1, sizeof *s);
    lb_model_opts mo = {c->hidden1, c->hidden2, c->width, c->depth};
    if ((st = lb_model_build(&m, c->model, tr.c, tr.h, tr.w, tr.classes, &mo, c->seed, err)))
        goto out;
    if (c->last_layer_format) m.q_last = &q_last;
    {
        lb_ptensor pt[2 * LB_MAX_LAYERS];
        int npt = 0;
        for (int i = 0; i < m.nlayers; i++) {
            if (m.L[i].n_w) pt[npt++] = (lb_ptensor){m.L[i].w_off, m.L[i].n_w};
            if (m.L[i].n_b) pt[npt++] = (lb_ptensor){m.L[i].b_off, m.L[i].n_b};
        }
        lb_update_config uc = {c->optimizer, c->weight_format, c->kahan_format,
                               c->momentum,  c->weight_decay,  c->madam_beta,
                               c->madam_sr,  c->seed,          NULL};
        if (c->all_lns) uc.weight_format = lns_wf, uc.lns = &lops;
        if ((st = lb_update_init(&upd, &uc, pt, npt, m.params, m.nparams, err))) goto out;
        nstate = (size_t)lb_update_nstate(&upd);
    }
    size_t px = (size_t)tr.c * tr.h * tr.w;
    mom = calloc(m.nparams * nstate, sizeof *mom);
    xb = malloc((size_t)c->batch * px * sizeof *xb);
    yb = malloc((size_t)c->batch * sizeof *yb);
    perm = malloc((size_t)tr.n * sizeof *perm);
    res = lb_results_new();
    if (!s || !mom || !xb || !yb || !perm || !res || lb_model_alloc_batch(&m, c->batch)) {
        st = lb_fail(err, LB_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (c->epochs > (int)(sizeof s->rows / sizeof s->rows[0])) {
        st = lb_fail(err, LB_ERR_ARG, "--epochs: at most %zu", sizeof s->rows / sizeof s->rows[0]);
        goto out;
    }
    char fp[2048], ckpt[4096];
    fingerprint(c, fp, sizeof fp);
    snprintf(ckpt, sizeof ckpt, "%s", c->checkpoint ? c->checkpoint : c->out);
    if (!c->checkpoint) strncat(ckpt, ".ckpt", sizeof ckpt - strlen(ckpt) - 1);
    s->first_step = 1;
    if (c->resume) {
        st = ckpt_read(ckpt, fp, &m, mom, nstate, s, err);
        if (st == LB_ERR_IO) st = LB_OK; /* no checkpoint yet: start from the beginning */
        if (st) goto out;
    }

    double t_run = 0;
    for (int e = 0; e < s->epochs_done; e++)
        t_run += s->rows[e].seconds;
    for (int epoch = s->epochs_done; epoch < c->epochs; epoch++) {
        double t0 = now_s();
        /* Fisher-Yates shuffle keyed by (seed, epoch) */
        lb_rng_key key = lb_rng_make_key(c->seed, LB_STREAM_SHUFFLE, (uint64_t)epoch);
        for (int64_t i = 0; i < tr.n; i++)
            perm[i] = (int32_t)i;
        for (int64_t i = tr.n - 1; i > 0; i--) {
            int64_t j =
                (int64_t)(((uint64_t)lb_rng_u32(key, (uint64_t)i) * (uint64_t)(i + 1)) >> 32);
            int32_t t = perm[i];
            perm[i] = perm[j], perm[j] = t;
        }
        float lr = (float)lr_at(c, epoch);
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
            q.step = q_last.step = s->step;
            m.step = s->step;
            m.train = 1;
            double l;
            if ((st = lb_model_forward(&m, xb, yb, b, anyq ? &q : NULL, &l, &hits))) goto out;
            if ((st = lb_model_backward(&m, xb, yb, b, anyq ? &q : NULL))) goto out;
            if ((st = quantize_grads(&m, &q))) goto out;
            if ((st = lb_update_step(&upd, m.params, m.grads, mom, lr, s->step, (long)s->step + 1,
                                     &s->first_step)))
                goto out;
            if (!isfinite(l)) {
                st = lb_fail(err, LB_ERR_DATA, "training diverged: loss %g at epoch %d step %llu",
                             l, epoch + 1, (unsigned long long)s->step);
                goto out;
            }
            loss_sum += l * b;
            s->step++;
        }
        double tl, ta;
        q.step = q_last.step = s->step;
        m.train = 0; /* batchnorm running statistics, no dropout */
        if ((st = evaluate(&m, &te, anyq ? &q : NULL, &tl, &ta))) goto out;
        double secs = now_s() - t0;
        t_run += secs;
        lb_epoch_row row = {
            epoch + 1, loss_sum / (double)tr.n, (double)hits / (double)tr.n, tl, ta, secs, 0, 0};
        lb_update_take_stats(&upd, &row.update_rel_err, &row.update_zero_frac);
        s->rows[epoch] = row;
        s->epochs_done = epoch + 1;
        if ((st = ckpt_write(ckpt, fp, &m, mom, nstate, s, err))) goto out;
        if (progress) {
            lb_epoch_report r = {epoch + 1,
                                 c->epochs,
                                 row.train_loss,
                                 row.train_acc,
                                 tl,
                                 ta,
                                 secs,
                                 t_run / s->epochs_done * (c->epochs - s->epochs_done)};
            progress(&r, user);
        }
    }

    /* result file: settings, provenance, epochs, operation counts */
    lb_results_set_str(res, "model", c->model);
    lb_results_set_str(res, "dataset", c->dataset);
    lb_results_set_int(res, "train_examples", tr.n);
    lb_results_set_int(res, "test_examples", te.n);
    lb_results_set_int(res, "epochs", c->epochs);
    lb_results_set_int(res, "batch", c->batch);
    lb_results_set_num(res, "lr", c->lr);
    lb_results_set_num(res, "momentum", c->momentum);
    lb_results_set_num(res, "weight_decay", c->weight_decay);
    lb_results_set_str(res, "optimizer", c->optimizer);
    lb_results_set_str(res, "schedule", c->schedule);
    lb_results_set_int(res, "seed", (int64_t)c->seed);
    lb_results_set_int(res, "threads", threads);
    lb_results_set_str(res, "w_format", q.w.name);
    lb_results_set_str(res, "a_format", q.a.name);
    lb_results_set_str(res, "e_format", q.e.name);
    lb_results_set_str(res, "g_format", q.g.name);
    lb_results_set_str(res, "gemm", lb_gemm_spec(q.gemm));
    lb_results_set_str(res, "last_layer_format", c->last_layer_format ? q_last.w.name : "same");
    lb_results_set_str(res, "weight_format", upd.w_on ? upd.wf.name : "fp32");
    lb_results_set_int(res, "all_lns", c->all_lns);
    if (upd.kind == LB_OPT_KAHAN_SGD)
        lb_results_set_str(res, "kahan_format", upd.k_on ? upd.kf.name : "fp32");
    if (upd.kind == LB_OPT_MADAM || upd.kind == LB_OPT_LNS_MADAM)
        lb_results_set_num(res, "madam_beta", upd.beta);
    if (upd.kind == LB_OPT_LNS_MADAM)
        lb_results_set_str(res, "madam_round", upd.sr ? "sr" : "nearest");
    {
        lb_gemm_stats gs;
        lb_gemm_get_stats(q.gemm, &gs); /* counts of this process (since a resume) */
        lb_results_set_int(res, "gemm_macs", (int64_t)gs.macs);
        lb_results_set_int(res, "gemm_overflows", (int64_t)gs.overflows);
        lb_results_set_int(res, "gemm_underflows", (int64_t)gs.underflows);
    }
    lb_results_set_int(res, "parameters", (int64_t)m.nparams);
    lb_results_set_str(res, "lowbit_version", lb_version());
    lb_results_set_str(res, "git_sha", lb_git_sha());
    lb_results_set_str(res, "compiler", lb_compiler());
    lb_results_set_str(res, "blis_arch", lb_blis_arch());
    lb_results_set_str(res, "command", c->command ? c->command : "");
    if (!strcmp(c->model, "mlp")) {
        lb_results_set_int(res, "hidden1", c->hidden1);
        lb_results_set_int(res, "hidden2", c->hidden2);
    }
    if (!strcmp(c->model, "vgg") || !strcmp(c->model, "resnet"))
        lb_results_set_num(res, "width", c->width);
    if (!strcmp(c->model, "resnet")) lb_results_set_int(res, "depth", c->depth);
    for (int e = 0; e < c->epochs; e++)
        lb_results_add_epoch(res, &s->rows[e]);
    if ((st = lb_model_record_ops(&m, c->batch, q.w.name, q.a.name, q.e.name, res))) goto out;
    if ((st = write_dhist(q.gemm, c->out, err))) goto out;
    st = lb_results_write(res, c->out, err);
    if (!st) unlink(ckpt); /* the run is complete: the result file supersedes the checkpoint */
out:
    lb_results_free(res);
    free(s), free(mom), free(xb), free(yb), free(perm);
    lb_model_free(&m);
    lb_dataset_free(&tr);
    lb_dataset_free(&te);
    lb_gemm_destroy((lb_gemm_kernel *)q.gemm);
    lb_update_free(&upd);
    return st;
}
