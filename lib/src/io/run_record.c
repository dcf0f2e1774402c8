/* io/run_record.c — the result file of a training run: settings from the plan (model options and
 * optimizer hyper-parameters as the registries say which apply), totals, provenance, epochs and
 * /ops; and the LNS-addition distance histogram beside it. */
#define _POSIX_C_SOURCE 200809L
#include "io/run_record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lowbit/info.h"

/* <out>.dhist.csv, columns d,count (the last row counts every larger d). */
static lb_status write_dhist(const uint64_t *h, size_t bins, const char *out, lb_error *err)
{
    if (!bins) return LB_OK;
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
    if (!ok || rename(tmp, path)) {
        unlink(tmp);
        return lb_fail(err, LB_ERR_IO, "%s: writing the d histogram failed", path);
    }
    return LB_OK;
}

static void settings(lb_results *res, const lb_train_plan *p, const lb_model *m, const lb_update *u,
                     const lb_run_totals *t)
{
    const lb_train_config *c = p->cfg;
    lb_results_set_str(res, "model", p->model->name);
    for (int i = 0;; i++) { /* the options this model takes (models.def) */
        const char *name;
        double v;
        int integer;
        if (!lb_model_option(p->model->options, i, &p->mopts, &name, &v, &integer)) break;
        if (integer)
            lb_results_set_int(res, name, (int64_t)v);
        else
            lb_results_set_num(res, name, v);
    }
    lb_results_set_str(res, "dataset", c->dataset);
    lb_results_set_int(res, "classes", t->classes);
    lb_results_set_int(res, "train_examples", t->train_examples);
    lb_results_set_int(res, "test_examples", t->test_examples);
    lb_results_set_int(res, "epochs", c->epochs);
    lb_results_set_int(res, "batch", c->batch);
    lb_results_set_num(res, "lr", c->lr);
    lb_results_set_num(res, "momentum", c->momentum);
    lb_results_set_num(res, "weight_decay", c->weight_decay);
    lb_results_set_str(res, "optimizer", u->opt->name);
    lb_results_set_str(res, "schedule", p->schedule->name);
    lb_results_set_int(res, "seed", (int64_t)c->seed);
    lb_results_set_int(res, "threads", p->threads);
    lb_results_set_str(res, "w_format", p->q.w.name);
    lb_results_set_str(res, "a_format", p->q.a.name);
    lb_results_set_str(res, "e_format", p->q.e.name);
    lb_results_set_str(res, "g_format", p->q.g.name);
    lb_results_set_str(res, "gemm", lb_gemm_spec(p->q.gemm));
    const char *roles = c->last_layer_roles ? c->last_layer_roles : "WAEG";
    const lb_format *lf[4] = {&p->q_last.w, &p->q_last.a, &p->q_last.e, &p->q_last.g};
    lb_results_set_str(res, "last_layer_format",
                       p->has_last ? lf[strchr("WAEG", roles[0]) - "WAEG"]->name : "same");
    lb_results_set_str(res, "last_layer_roles", p->has_last ? roles : "-");
    lb_results_set_str(res, "weight_format", u->w_on ? u->wf.name : "fp32");
    lb_results_set_int(res, "all_lns", c->all_lns);
    lb_results_set_num(res, "loss_scale", c->loss_scale > 0 ? c->loss_scale : 1.0);
    /* the hyper-parameters this optimizer takes (optimizers.def) */
    if (u->opt->hyper & LB_OHP_KAHAN)
        lb_results_set_str(res, "kahan_format", u->k_on ? u->kf.name : "fp32");
    if (u->opt->hyper & LB_OHP_BETA) lb_results_set_num(res, "madam_beta", u->beta);
    if (u->opt->hyper & LB_OHP_ROUND)
        lb_results_set_str(res, "madam_round", u->sr == 1 ? "sr" : u->sr == 2 ? "ghat" : "nearest");
    lb_results_set_int(res, "gemm_macs", (int64_t)t->macs);
    lb_results_set_int(res, "gemm_overflows", (int64_t)t->overflows);
    lb_results_set_int(res, "gemm_underflows", (int64_t)t->underflows);
    lb_results_set_int(res, "parameters", (int64_t)m->nparams);
    lb_results_set_str(res, "lowbit_version", lb_version());
    lb_results_set_str(res, "git_sha", lb_git_sha());
    lb_results_set_str(res, "compiler", lb_compiler());
    lb_results_set_str(res, "blis_arch", lb_blis_arch());
    lb_results_set_str(res, "command", c->command ? c->command : "");
}

lb_status lb_run_record_write(const lb_train_plan *p, const lb_model *m, const lb_update *u,
                              const lb_run_totals *t, lb_error *err)
{
    lb_results *res = lb_results_new();
    if (!res) return lb_fail(err, LB_ERR_NOMEM, "out of memory");
    settings(res, p, m, u, t);
    lb_status st = LB_OK;
    for (int e = 0; e < p->cfg->epochs && !st; e++)
        st = lb_results_add_epoch(res, &t->rows[e]);
    if (!st) st = lb_model_record_ops(m, p->cfg->batch, p->q.w.name, p->q.a.name, p->q.e.name, res);
    if (st) st = lb_fail(err, st, "out of memory for the result table");
    if (!st) st = write_dhist(t->dhist, t->dhist_bins, p->cfg->out, err);
    if (!st) st = lb_results_write(res, p->cfg->out, err);
    lb_results_free(res);
    return st;
}
