/* nn/lns_layers.c — the element-wise arithmetic of the layers in LNS for all-LNS training
 * (docs/methods.md#p2: "everything in LNS: weights, activations, errors, gradients, BN statistics,
 * momentum"). Values enter as floats (grid values of the run's LNS format, or anything else,
 * which is rounded to it on entry) and leave as grid values. Additions use the run's adder
 * (the --gemm kernel's Δ± approximation); products, reciprocals and square roots are exact
 * log-domain operations with saturation; sums over many terms follow lb_lns_tree_sum's order.
 * Constants (1/n, eps, the running-statistics momentum) enter through the same encoder.
 * Channels run in parallel, each in a fixed order, so results do not depend on threads. */
#include <stdlib.h>

#include "lowbit/lnsadd.h"
#include "nn/internal.h"

lb_status lb_nn_lns_bias(const lb_lns_ops *o, float *out, const float *b, int rows, int OC, int P)
{
    int nomem = 0;
#pragma omp parallel
    {
        lb_lns_val *v = malloc(sizeof *v * (size_t)(P > 0 ? P : 1));
        if (!v) {
#pragma omp atomic write
            nomem = 1;
        }
#pragma omp for schedule(static)
        for (int r = 0; r < rows * OC; r++) {
            if (!v) continue;
            lb_lns_val bv = lb_lns_ops_enc1(o, b[r % OC]);
            float *x = out + (size_t)r * P;
            lb_lns_ops_enc(o, x, (size_t)P, v);
            for (int p = 0; p < P; p++)
                v[p] = lb_lns_add(o->ad, v[p], bv);
            lb_lns_ops_dec(o, v, (size_t)P, x);
        }
        free(v);
    }
    return nomem ? LB_ERR_NOMEM : LB_OK;
}

lb_status lb_nn_lns_chsum(const lb_lns_ops *o, float *db, const float *e, int rows, int OC, int P)
{
    const size_t n = (size_t)rows * P;
    int nomem = 0;
#pragma omp parallel
    {
        lb_lns_val *v = malloc(sizeof *v * (n ? n : 1));
        float *f = malloc(sizeof *f * (n ? n : 1));
        if (!v && f) {
#pragma omp atomic write
            nomem = 1;
        }
#pragma omp for schedule(static)
        for (int oc = 0; oc < OC; oc++) {
            if (!v || !f) continue;
            for (int r = 0; r < rows; r++)
                for (int p = 0; p < P; p++)
                    f[(size_t)r * P + p] = e[((size_t)r * OC + oc) * P + p];
            lb_lns_ops_enc(o, f, n, v);
            lb_lns_val s = lb_lns_tree_sum(o->ad, v, n, NULL);
            db[oc] = lb_lns_ops_dec1(o, lb_lns_add(o->ad, lb_lns_ops_enc1(o, db[oc]), s));
        }
        free(v), free(f);
    }
    return nomem ? LB_ERR_NOMEM : LB_OK;
}

/* channel c of x (B, C, HW) into f (B·HW) */
static void gather(float *f, const float *x, int B, int C, int HW, int c)
{
    for (int i = 0; i < B; i++)
        for (int p = 0; p < HW; p++)
            f[(size_t)i * HW + p] = x[((size_t)i * C + c) * HW + p];
}

static void scatter(float *x, const float *f, int B, int C, int HW, int c)
{
    for (int i = 0; i < B; i++)
        for (int p = 0; p < HW; p++)
            x[((size_t)i * C + c) * HW + p] = f[(size_t)i * HW + p];
}

lb_status lb_batchnorm_forward_lns(const lb_lns_ops *o, float *y, float *save_mean,
                                   float *save_istd, float *run_mean, float *run_var,
                                   const float *x, const float *g, const float *b, int B, int C,
                                   int HW, int train)
{
    const size_t n = (size_t)B * HW;
    const lb_lns_adder *ad = o->ad;
    const lb_lns_val inv_n = lb_lns_ops_enc1(o, (float)(1.0 / (double)n)),
                     unb = lb_lns_ops_enc1(o, n > 1 ? (float)((double)n / (double)(n - 1)) : 1.0f),
                     eps = lb_lns_ops_enc1(o, (float)LB_BN_EPS),
                     keep = lb_lns_ops_enc1(o, (float)(1 - LB_BN_MOMENTUM)),
                     mom = lb_lns_ops_enc1(o, (float)LB_BN_MOMENTUM);
    int nomem = 0;
#pragma omp parallel
    {
        lb_lns_val *xv = malloc(sizeof *xv * 2 * (n ? n : 1)), *t = xv ? xv + n : NULL;
        float *f = malloc(sizeof *f * (n ? n : 1));
        if (!xv && f) {
#pragma omp atomic write
            nomem = 1;
        }
#pragma omp for schedule(static)
        for (int c = 0; c < C; c++) {
            if (!xv || !f) continue;
            gather(f, x, B, C, HW, c);
            lb_lns_ops_enc(o, f, n, xv);
            lb_lns_val mu, var;
            if (train) {
                for (size_t i = 0; i < n; i++)
                    t[i] = xv[i];
                mu = lb_lns_mul(ad, lb_lns_tree_sum(ad, t, n, NULL), inv_n);
                for (size_t i = 0; i < n; i++) {
                    lb_lns_val d = lb_lns_add(ad, xv[i], lb_lns_negate(mu));
                    t[i] = lb_lns_mul(ad, d, d);
                }
                var = lb_lns_mul(ad, lb_lns_tree_sum(ad, t, n, NULL), inv_n);
                lb_lns_val rm =
                    lb_lns_add(ad, lb_lns_mul(ad, lb_lns_ops_enc1(o, run_mean[c]), keep),
                               lb_lns_mul(ad, mu, mom));
                lb_lns_val rv = lb_lns_add(ad, lb_lns_mul(ad, lb_lns_ops_enc1(o, run_var[c]), keep),
                                           lb_lns_mul(ad, lb_lns_mul(ad, var, unb), mom));
                run_mean[c] = lb_lns_ops_dec1(o, rm);
                run_var[c] = lb_lns_ops_dec1(o, rv);
            } else {
                mu = lb_lns_ops_enc1(o, run_mean[c]);
                var = lb_lns_ops_enc1(o, run_var[c]);
            }
            lb_lns_val istd = lb_lns_rsqrt(ad, lb_lns_add(ad, var, eps));
            if (save_mean) {
                save_mean[c] = lb_lns_ops_dec1(o, mu);
                save_istd[c] = lb_lns_ops_dec1(o, istd);
            }
            lb_lns_val gc = lb_lns_ops_enc1(o, g[c]), bc = lb_lns_ops_enc1(o, b[c]);
            for (size_t i = 0; i < n; i++) {
                lb_lns_val xh = lb_lns_mul(ad, lb_lns_add(ad, xv[i], lb_lns_negate(mu)), istd);
                xv[i] = lb_lns_add(ad, lb_lns_mul(ad, gc, xh), bc);
            }
            lb_lns_ops_dec(o, xv, n, f);
            scatter(y, f, B, C, HW, c);
        }
        free(xv), free(f);
    }
    return nomem ? LB_ERR_NOMEM : LB_OK;
}

lb_status lb_batchnorm_backward_lns(const lb_lns_ops *o, float *dx, float *dg, float *db,
                                    const float *dy, const float *x, const float *g,
                                    const float *save_mean, const float *save_istd, int B, int C,
                                    int HW)
{
    const size_t n = (size_t)B * HW;
    const lb_lns_adder *ad = o->ad;
    const lb_lns_val inv_n = lb_lns_ops_enc1(o, (float)(1.0 / (double)n)),
                     nv = lb_lns_ops_enc1(o, (float)n);
    int nomem = 0;
#pragma omp parallel
    {
        lb_lns_val *xh = malloc(sizeof *xh * 3 * (n ? n : 1)), *dv = xh ? xh + n : NULL,
                   *t = xh ? xh + 2 * n : NULL;
        float *f = malloc(sizeof *f * (n ? n : 1));
        if (!xh && f) {
#pragma omp atomic write
            nomem = 1;
        }
#pragma omp for schedule(static)
        for (int c = 0; c < C; c++) {
            if (!xh || !f) continue;
            const lb_lns_val mu = lb_lns_ops_enc1(o, save_mean[c]),
                             istd = lb_lns_ops_enc1(o, save_istd[c]);
            gather(f, x, B, C, HW, c);
            lb_lns_ops_enc(o, f, n, xh);
            for (size_t i = 0; i < n; i++)
                xh[i] = lb_lns_mul(ad, lb_lns_add(ad, xh[i], lb_lns_negate(mu)), istd);
            gather(f, dy, B, C, HW, c);
            lb_lns_ops_enc(o, f, n, dv);
            for (size_t i = 0; i < n; i++)
                t[i] = dv[i];
            lb_lns_val sdy = lb_lns_tree_sum(ad, t, n, NULL);
            for (size_t i = 0; i < n; i++)
                t[i] = lb_lns_mul(ad, dv[i], xh[i]);
            lb_lns_val sdyxh = lb_lns_tree_sum(ad, t, n, NULL);
            db[c] = lb_lns_ops_dec1(o, lb_lns_add(ad, lb_lns_ops_enc1(o, db[c]), sdy));
            dg[c] = lb_lns_ops_dec1(o, lb_lns_add(ad, lb_lns_ops_enc1(o, dg[c]), sdyxh));
            if (!dx) continue;
            /* dx += g·istd/n · (n·dy - sum dy - xh · sum dy·xh) */
            const lb_lns_val k = lb_lns_mul(ad, lb_lns_mul(ad, lb_lns_ops_enc1(o, g[c]), istd),
                                            inv_n),
                             msdy = lb_lns_negate(sdy);
            gather(f, dx, B, C, HW, c);
            lb_lns_ops_enc(o, f, n, t);
            for (size_t i = 0; i < n; i++) {
                lb_lns_val a = lb_lns_add(ad, lb_lns_mul(ad, nv, dv[i]), msdy);
                a = lb_lns_add(ad, a, lb_lns_negate(lb_lns_mul(ad, xh[i], sdyxh)));
                t[i] = lb_lns_add(ad, t[i], lb_lns_mul(ad, k, a));
            }
            lb_lns_ops_dec(o, t, n, f);
            scatter(dx, f, B, C, HW, c);
        }
        free(xh), free(f);
    }
    return nomem ? LB_ERR_NOMEM : LB_OK;
}

lb_status lb_gap_forward_lns(const lb_lns_ops *o, float *out, const float *in, int B, int C, int HW)
{
    const lb_lns_val inv = lb_lns_ops_enc1(o, (float)(1.0 / HW));
    lb_lns_val *v = malloc(sizeof *v * (size_t)(HW > 0 ? HW : 1));
    if (!v) return LB_ERR_NOMEM;
    for (int i = 0; i < B * C; i++) {
        lb_lns_ops_enc(o, in + (size_t)i * HW, (size_t)HW, v);
        out[i] =
            lb_lns_ops_dec1(o, lb_lns_mul(o->ad, lb_lns_tree_sum(o->ad, v, (size_t)HW, NULL), inv));
    }
    free(v);
    return LB_OK;
}

lb_status lb_gap_backward_lns(const lb_lns_ops *o, float *din, const float *dout, int B, int C,
                              int HW)
{
    const lb_lns_val inv = lb_lns_ops_enc1(o, (float)(1.0 / HW));
    lb_lns_val *v = malloc(sizeof *v * (size_t)(HW > 0 ? HW : 1));
    if (!v) return LB_ERR_NOMEM;
    for (int i = 0; i < B * C; i++) {
        lb_lns_val d = lb_lns_mul(o->ad, lb_lns_ops_enc1(o, dout[i]), inv);
        lb_lns_ops_enc(o, din + (size_t)i * HW, (size_t)HW, v);
        for (int p = 0; p < HW; p++)
            v[p] = lb_lns_add(o->ad, v[p], d);
        lb_lns_ops_dec(o, v, (size_t)HW, din + (size_t)i * HW);
    }
    free(v);
    return LB_OK;
}
