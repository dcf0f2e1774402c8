/* nn/plan.c — the run plan: lb_train_config (strings) -> lb_train_plan (typed), with every check
 * that needs no data. The checks that need the data (image size against the model) happen when
 * the model is built. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "nn/plan.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Role formats and the GEMM kernel of c (every role of c when last == NULL, else the one
 * --last-layer-format for the roles in --last-layer-roles and no kernel). */
static lb_status make_roles(const lb_train_config *c, const char *last, lb_qroles *q, int *any,
                            lb_error *err)
{
    const char *roles = c->last_layer_roles ? c->last_layer_roles : "WAEG";
    memset(q, 0, sizeof *q);
    const char *specs[4] = {c->w_format, c->a_format, c->e_format, c->g_format};
    const char *names[4] = {"--w-format", "--a-format", "--e-format", "--g-format"};
    lb_format *fs[4] = {&q->w, &q->a, &q->e, &q->g};
    int *on[4] = {&q->w_on, &q->a_on, &q->e_on, &q->g_on};
    *any = 0;
    for (int i = 0; i < 4; i++) {
        const char *s = last && strchr(roles, "WAEG"[i]) ? last : specs[i] ? specs[i] : "fp32";
        lb_error e2;
        if (lb_format_parse(fs[i], s, &e2))
            return lb_fail(err, LB_ERR_SPEC, "%s: %s", last ? "--last-layer-format" : names[i],
                           e2.msg);
        *on[i] = strcmp(s, "fp32") != 0;
        *any |= *on[i];
    }
    q->seed = c->seed;
    q->threads = c->threads;
    if (!last && c->gemm && strcmp(c->gemm, "fp32")) {
        lb_error e2;
        lb_gemm_kernel *k;
        if (lb_gemm_create(&k, c->gemm, &e2))
            return lb_fail(err, LB_ERR_SPEC, "--gemm: %s", e2.msg);
        q->gemm = k;
        *any |= !lb_gemm_is_float(k); /* a bit-true kernel alone must reach the layers too */
    }
    return LB_OK;
}

/* --all-lns: the kernel's LNS arithmetic for the element-wise layers and the SGD update. */
static lb_status make_all_lns(lb_train_plan *p, const lb_train_config *c, lb_error *err)
{
    int lbits = 0;
    const lb_lns_adder *ad = lb_gemm_lns_adder(p->q.gemm, &lbits);
    if (!ad)
        return lb_fail(err, LB_ERR_ARG,
                       "--all-lns needs an LNS-addition --gemm kernel (lns-pwl, lns-lut, "
                       "lns-exactadd), got '%s'",
                       c->gemm ? c->gemm : "fp32");
    if (strcmp(c->optimizer ? c->optimizer : "", "sgd"))
        return lb_fail(err, LB_ERR_ARG, "--all-lns: the LNS update is SGD; got --optimizer %s",
                       c->optimizer ? c->optimizer : "");
    lb_status st = lb_lns_ops_init(&p->lops, ad, lbits, err);
    if (st) return st;
    const lb_format *lf = &p->lops.f;
    if (c->weight_format && strcmp(c->weight_format, "fp32")) {
        lb_format wf;
        lb_error e2;
        if (lb_format_parse(&wf, c->weight_format, &e2) || wf.family != lf->family ||
            wf.bits != lf->bits || wf.scale != lf->scale || wf.round != lf->round ||
            memcmp(&wf.p.lns, &lf->p.lns, sizeof wf.p.lns))
            return lb_fail(err, LB_ERR_ARG,
                           "--all-lns stores the weights in the kernel's format %s; "
                           "--weight-format '%s' differs (leave it out)",
                           lf->name, c->weight_format);
    }
    p->q.lns = p->q_last.lns = &p->lops;
    p->anyq = 1;
    return LB_OK;
}

/* An output path must name a file (not a directory) in an existing directory this process can
 * create files in: checked by creating and removing a probe file there, so a run never fails
 * after its first epoch for a path it could have checked before. canon gets the path with its
 * directory resolved (realpath), for comparing two outputs. */
static lb_status check_output(const char *opt, const char *path, char *canon, size_t len,
                              lb_error *err)
{
    struct stat sb;
    if (!*path) return lb_fail(err, LB_ERR_ARG, "%s: empty path", opt);
    if (!stat(path, &sb) && S_ISDIR(sb.st_mode))
        return lb_fail(err, LB_ERR_ARG, "%s %s: is a directory, not a file", opt, path);
    char dcopy[4096], bcopy[4096], dir[PATH_MAX];
    if (snprintf(dcopy, sizeof dcopy, "%s", path) >= (int)sizeof dcopy)
        return lb_fail(err, LB_ERR_ARG, "%s: path too long", opt);
    snprintf(bcopy, sizeof bcopy, "%s", path);
    const char *d = dirname(dcopy), *b = basename(bcopy);
    if (!realpath(d, dir) || stat(dir, &sb) || !S_ISDIR(sb.st_mode))
        return lb_fail(err, LB_ERR_ARG, "%s %s: directory %s does not exist", opt, path, d);
    char probe[PATH_MAX + 64];
    snprintf(probe, sizeof probe, "%s/.%s.probe.%ld", dir, b, (long)getpid());
    int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return lb_fail(err, LB_ERR_ARG, "%s %s: cannot create files in %s (%s)", opt, path, d,
                       strerror(errno));
    close(fd);
    unlink(probe);
    if (snprintf(canon, len, "%s/%s", dir, b) >= (int)len)
        return lb_fail(err, LB_ERR_ARG, "%s: path too long", opt);
    return LB_OK;
}

/* --out and the checkpoint: writable, and not the same file (the checkpoint is deleted when the
 * run completes). */
static lb_status check_outputs(const lb_train_plan *p, const lb_train_config *c, lb_error *err)
{
    char a[PATH_MAX + 256], b[PATH_MAX + 256];
    lb_status st = check_output("--out", c->out, a, sizeof a, err);
    if (!st) st = check_output("--checkpoint", p->ckpt, b, sizeof b, err);
    if (!st && !strcmp(a, b))
        st = lb_fail(err, LB_ERR_ARG, "--checkpoint %s is the --out file; give another path",
                     p->ckpt);
    return st;
}

static lb_status make(lb_train_plan *p, const lb_train_config *c, lb_error *err)
{
    if (c->epochs < 1 || c->epochs > 1000)
        return lb_fail(err, LB_ERR_ARG, "--epochs %d is not in 1..1000", c->epochs);
    if (c->batch < 1 || c->batch > 65536)
        return lb_fail(err, LB_ERR_ARG, "--batch %d is not in 1..65536", c->batch);
    if (!(c->lr > 0)) return lb_fail(err, LB_ERR_ARG, "--lr %g must be positive", c->lr);
    if (!(p->schedule = lb_schedule_find(c->schedule, err))) return LB_ERR_ARG;
    if (!c->out) return lb_fail(err, LB_ERR_ARG, "missing --out RUN.h5");
    if (!(p->model = lb_model_find(c->model, err))) return LB_ERR_ARG;
    p->mopts = (lb_model_opts){c->hidden1, c->hidden2, c->width, c->depth};
    lb_status st = make_roles(c, NULL, &p->q, &p->anyq, err);
    if (st) return st;
    if (c->loss_scale != 0 && c->loss_scale != 1) {
        int e;
        double fr = frexp(c->loss_scale, &e);
        if (!(c->loss_scale > 0) || fr != 0.5 || e < -23 || e > 25)
            return lb_fail(err, LB_ERR_ARG,
                           "--loss-scale %g: expected a power of two in [2^-24, 2^24] (e.g. the "
                           "batch size 128)",
                           c->loss_scale);
        if (c->all_lns)
            return lb_fail(err, LB_ERR_ARG,
                           "--loss-scale applies to float training, not --all-lns");
    }
    if (c->last_layer_roles) {
        const char *r = c->last_layer_roles;
        int seen = 0, bad = !*r;
        for (; *r && !bad; r++) {
            const char *at = strchr("WAEG", *r);
            int bit = at && *r ? 1 << (at - "WAEG") : 0;
            bad = !bit || (seen & bit);
            seen |= bit;
        }
        if (bad)
            return lb_fail(err, LB_ERR_ARG,
                           "--last-layer-roles '%s': expected a non-empty subset of the letters "
                           "W, A, E, G, each at most once (e.g. E or WAEG)",
                           c->last_layer_roles);
        if (!c->last_layer_format)
            return lb_fail(err, LB_ERR_ARG, "--last-layer-roles needs --last-layer-format");
    }
    if (c->last_layer_format) {
        int any_last;
        if ((st = make_roles(c, c->last_layer_format, &p->q_last, &any_last, err))) return st;
        p->q_last.gemm = p->q.gemm;
        p->has_last = 1;
        p->anyq = 1; /* roles are passed to every layer (the others may be all off) */
    }
    if (c->all_lns && (st = make_all_lns(p, c, err))) return st;
    const char *wf = c->all_lns ? p->lops.f.name : c->weight_format;
    if ((st = lb_update_config_make(&p->upd, c->optimizer, wf, c->kahan_format, c->momentum,
                                    c->weight_decay, c->madam_beta, c->madam_sr, c->seed, err)))
        return st;
    if (c->all_lns) p->upd.lns = &p->lops;
    p->threads = c->threads < 1 ? 1 : c->threads;
    const char *ck = c->checkpoint ? c->checkpoint : c->out;
    if (snprintf(p->ckpt, sizeof p->ckpt, "%s%s", ck, c->checkpoint ? "" : ".ckpt") >=
        (int)sizeof p->ckpt)
        return lb_fail(err, LB_ERR_ARG, "--checkpoint/--out: path too long");
    return check_outputs(p, c, err);
}

lb_status lb_train_plan_make(lb_train_plan *p, const lb_train_config *c, lb_error *err)
{
    memset(p, 0, sizeof *p);
    p->cfg = c;
    lb_status st = make(p, c, err);
    if (st) lb_train_plan_free(p);
    return st;
}

void lb_train_plan_free(lb_train_plan *p)
{
    lb_gemm_destroy((lb_gemm_kernel *)p->q.gemm);
    p->q.gemm = p->q_last.gemm = NULL;
}
