/* arith/pwl_fit.c — simulated annealing of PWL tables for LNS addition (lowbit/lnsadd.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "lowbit/lnsadd.h"
#include "lowbit/rng.h"

typedef struct fit_ctx {
    const lb_pwl_fit_opts *o;
    int plus, n, d0;                 /* function, codes [d0, n) */
    double g;                        /* 2^F */
    double *target;                  /* Δ(x) per code, log2 units */
    double *w;                       /* weight per code (1 without weights) */
    double wsum, tail_sum, tail_max; /* beyond the last breakpoint: approximation 0 */
    int32_t bp_last;
    double *rbuf, *wbuf; /* scratch: residuals of one segment and their weights */
    struct rw {
        double r, w;
    } * pbuf; /* the same, as pairs for sorting */
} fit_ctx;

static int32_t shifted(int plus, int s, int32_t d)
{
    if (plus) return s >= 31 ? 0 : d >> s;
    return s >= 0 ? (int32_t)((uint32_t)d << s) : (-s >= 31 ? 0 : d >> -s);
}

static int by_r(const void *a, const void *b)
{
    double x = ((const struct rw *)a)->r, y = ((const struct rw *)b)->r;
    return (x > y) - (x < y);
}

/* Best integer intercept for codes (lo, hi] (d0 <= d) with shift s; returns the segment's
 * weighted |error| sum in *sum and max |error| in *mx. */
static int32_t seg_fit(fit_ctx *c, int32_t lo, int32_t hi, int s, double *sum, double *mx)
{
    int m = 0;
    for (int32_t d = lo + 1 > c->d0 ? lo + 1 : c->d0; d <= hi && d < c->n; d++) {
        /* approximation = ic/g -+ shifted/g; residual r = what ic/g must equal */
        double sh = shifted(c->plus, s, d) / c->g;
        c->rbuf[m] = c->plus ? c->target[d] + sh : c->target[d] - sh;
        c->wbuf[m] = c->w[d];
        m++;
    }
    if (!m) {
        *sum = 0, *mx = 0;
        return 0;
    }
    double ic;
    if (c->o->cost == LB_PWL_COST_MAX) {
        double a = c->rbuf[0], b = c->rbuf[0];
        for (int i = 1; i < m; i++)
            a = c->rbuf[i] < a ? c->rbuf[i] : a, b = c->rbuf[i] > b ? c->rbuf[i] : b;
        ic = (a + b) / 2;
    } else { /* weighted median */
        for (int i = 0; i < m; i++)
            c->pbuf[i].r = c->rbuf[i], c->pbuf[i].w = c->wbuf[i];
        qsort(c->pbuf, (size_t)m, sizeof *c->pbuf, by_r);
        double tot = 0, acc = 0;
        for (int i = 0; i < m; i++)
            tot += c->pbuf[i].w;
        ic = c->pbuf[m - 1].r;
        for (int i = 0; i < m; i++) {
            acc += c->pbuf[i].w;
            if (acc >= tot / 2) {
                ic = c->pbuf[i].r;
                break;
            }
        }
    }
    /* the integer code: the nearer of the two neighbours under the cost */
    int32_t best = 0;
    double bsum = INFINITY, bmx = INFINITY;
    for (int32_t q = (int32_t)floor(ic * c->g); q <= (int32_t)floor(ic * c->g) + 1; q++) {
        double su = 0, ma = 0;
        for (int i = 0; i < m; i++) {
            double e = fabs(q / c->g - c->rbuf[i]);
            su += c->wbuf[i] * e;
            ma = e > ma ? e : ma;
        }
        double key = c->o->cost == LB_PWL_COST_MAX ? ma : su,
               bkey = c->o->cost == LB_PWL_COST_MAX ? bmx : bsum;
        if (key < bkey) best = q, bsum = su, bmx = ma;
    }
    *sum = bsum, *mx = bmx;
    return best;
}

typedef struct state {
    int32_t bp[LB_PWL_MAXSEG];
    int sh[LB_PWL_MAXSEG];
    int32_t ic[LB_PWL_MAXSEG];
    double sum[LB_PWL_MAXSEG], mx[LB_PWL_MAXSEG];
} state;

static void seg_eval(fit_ctx *c, state *st, int k)
{
    int32_t lo = k ? st->bp[k - 1] : -1;
    st->ic[k] = seg_fit(c, lo, st->bp[k], st->sh[k], &st->sum[k], &st->mx[k]);
}

static double total(const fit_ctx *c, const state *st, int nseg)
{
    double su = c->tail_sum, ma = c->tail_max;
    for (int k = 0; k < nseg; k++)
        su += st->sum[k], ma = st->mx[k] > ma ? st->mx[k] : ma;
    return c->o->cost == LB_PWL_COST_MAX ? ma : su / c->wsum;
}

static int smin(int plus)
{
    return plus ? 0 : -16;
}
static int smax(int plus)
{
    return plus ? 16 : 10;
}

static lb_status ctx_init(fit_ctx *c, const lb_pwl_fit_opts *o, int plus, lb_error *err)
{
    memset(c, 0, sizeof *c);
    c->o = o, c->plus = plus, c->g = (double)(1 << o->frac), c->n = 16 << o->frac;
    c->d0 = plus ? 0 : 1;
    c->bp_last = (int32_t)(o->x_ub * c->g);
    c->target = malloc((size_t)c->n * sizeof *c->target);
    c->w = malloc((size_t)c->n * sizeof *c->w);
    c->rbuf = malloc((size_t)c->n * sizeof *c->rbuf);
    c->wbuf = malloc((size_t)c->n * sizeof *c->wbuf);
    c->pbuf = malloc((size_t)c->n * sizeof *c->pbuf);
    if (!c->target || !c->w || !c->rbuf || !c->wbuf || !c->pbuf)
        return lb_fail(err, LB_ERR_NOMEM, "pwl-fit: out of memory");
    for (int d = 0; d < c->n; d++) {
        double x = d / c->g;
        c->target[d] = plus ? log2(1.0 + exp2(-x)) : (d ? log2(1.0 - exp2(-x)) : 0.0);
        c->w[d] = o->cost == LB_PWL_COST_WEIGHTED ? o->weights[d] : 1.0;
        if (d < c->d0) continue;
        c->wsum += c->w[d];
        if (d > c->bp_last) {
            double e = fabs(c->target[d]);
            c->tail_sum += c->w[d] * e;
            c->tail_max = e > c->tail_max ? e : c->tail_max;
        }
    }
    if (!(c->wsum > 0)) return lb_fail(err, LB_ERR_ARG, "pwl-fit: the weights sum to zero");
    return LB_OK;
}

static void ctx_free(fit_ctx *c)
{
    free(c->target), free(c->w), free(c->rbuf), free(c->wbuf), free(c->pbuf);
}

/* start: uniform breakpoints, each segment's best shift */
static void start_state(fit_ctx *c, state *st, int nseg)
{
    for (int k = 0; k < nseg; k++) {
        st->bp[k] = (int32_t)((int64_t)c->bp_last * (k + 1) / nseg);
        if (k && st->bp[k] <= st->bp[k - 1]) st->bp[k] = st->bp[k - 1] + 1;
    }
    st->bp[nseg - 1] = c->bp_last;
    for (int k = 0; k < nseg; k++) {
        double best = INFINITY;
        int bs = 0;
        for (int s = smin(c->plus); s <= smax(c->plus); s++) {
            st->sh[k] = s;
            seg_eval(c, st, k);
            double key = c->o->cost == LB_PWL_COST_MAX ? st->mx[k] : st->sum[k];
            if (key < best) best = key, bs = s;
        }
        st->sh[k] = bs;
        seg_eval(c, st, k);
    }
}

static void to_table(const fit_ctx *c, const state *st, int nseg, lb_pwl_table *t)
{
    int f = c->plus ? 0 : 1;
    t->nseg[f] = nseg;
    for (int k = 0; k < nseg; k++) {
        t->bp[f][k] = st->bp[k] / c->g; /* exact: code / 2^F; truncation gives the code back */
        t->shift[f][k] = st->sh[k];
        t->icpt[f][k] = st->ic[k] / c->g;
    }
}

double lb_pwl_cost_of(const lb_pwl_fit_opts *o, const lb_pwl_table *t, int plus)
{
    double g = (double)(1 << o->frac), su = 0, ma = 0, ws = 0;
    for (int32_t d = plus ? 0 : 1; d < 16 << o->frac; d++) {
        double x = d / g, w = o->cost == LB_PWL_COST_WEIGHTED ? o->weights[d] : 1.0;
        double tg = plus ? log2(1.0 + exp2(-x)) : log2(1.0 - exp2(-x));
        double e = fabs(lb_pwl_eval(t, o->frac, plus, d) / g - tg);
        su += w * e, ws += w, ma = e > ma ? e : ma;
    }
    return o->cost == LB_PWL_COST_MAX ? ma : su / ws;
}

lb_status lb_pwl_fit(const lb_pwl_fit_opts *o, const char *name, lb_pwl_table *out,
                     double cost_start[2], double cost_best[2], lb_error *err)
{
    if (o->frac < 2 || o->frac > 10)
        return lb_fail(err, LB_ERR_ARG, "pwl-fit: frac %d out of range 2..10", o->frac);
    if (o->segments < 2 || o->segments > LB_PWL_MAXSEG)
        return lb_fail(err, LB_ERR_ARG, "pwl-fit: segments %d out of range 2..%d", o->segments,
                       LB_PWL_MAXSEG);
    if (!(o->x_ub > 0) || o->x_ub > 16 || o->x_ub * (1 << o->frac) < o->segments)
        return lb_fail(err, LB_ERR_ARG,
                       "pwl-fit: the last breakpoint %g must be in (0, 16] and leave one grid "
                       "step per segment",
                       o->x_ub);
    if (o->cost == LB_PWL_COST_WEIGHTED && !o->weights)
        return lb_fail(err, LB_ERR_ARG, "pwl-fit: the weighted cost needs a histogram");
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", name);
    const int nseg = o->segments;
    for (int plus = 1; plus >= 0; plus--) {
        fit_ctx c;
        lb_status stt = ctx_init(&c, o, plus, err);
        if (stt) {
            ctx_free(&c);
            return stt;
        }
        state cur, best, cand;
        start_state(&c, &cur, nseg);
        double ccur = total(&c, &cur, nseg), cbest = ccur;
        best = cur;
        if (cost_start) cost_start[plus ? 0 : 1] = ccur;
        const lb_rng_key key = lb_rng_make_key(o->seed, plus ? 0x50574c2b : 0x50574c2d, 0);
        const double T0 = o->t0 * ccur, T1 = o->t1 * ccur;
        const int32_t maxstep = (1 << o->frac) / 2 > 1 ? (1 << o->frac) / 2 : 1;
        for (long it = 0; it < o->iters; it++) {
            double T = T0 * pow(T1 / T0, (double)it / (double)o->iters);
            uint32_t r1 = lb_rng_u32(key, 3 * (uint64_t)it),
                     r2 = lb_rng_u32(key, 3 * (uint64_t)it + 1);
            cand = cur;
            int k;
            if (r1 & 1) { /* move a breakpoint (not the last) */
                k = (int)((r1 >> 1) % (uint32_t)(nseg - 1));
                int32_t step = 1 + (int32_t)((r2 >> 1) % (uint32_t)maxstep);
                int32_t nb = cand.bp[k] + ((r2 & 1) ? step : -step);
                int32_t lo = k ? cand.bp[k - 1] + 1 : c.d0, hi = cand.bp[k + 1] - 1;
                if (nb < lo || nb > hi) continue;
                cand.bp[k] = nb;
                seg_eval(&c, &cand, k);
                seg_eval(&c, &cand, k + 1);
            } else { /* move a shift */
                k = (int)((r1 >> 1) % (uint32_t)nseg);
                int s = cand.sh[k] + ((r2 & 1) ? 1 : -1);
                if (s < smin(plus) || s > smax(plus)) continue;
                cand.sh[k] = s;
                seg_eval(&c, &cand, k);
            }
            double cc = total(&c, &cand, nseg);
            double u = lb_rng_u32(key, 3 * (uint64_t)it + 2) * 0x1p-32;
            if (cc <= ccur || (T > 0 && u < exp((ccur - cc) / T))) {
                cur = cand, ccur = cc;
                if (cc < cbest) best = cand, cbest = cc;
            }
            if (o->progress && o->iters >= 20 && (it + 1) % (o->iters / 20) == 0)
                o->progress(o->arg, plus, it + 1, T, cbest);
        }
        to_table(&c, &best, nseg, out);
        if (cost_best) cost_best[plus ? 0 : 1] = cbest;
        ctx_free(&c);
    }
    return LB_OK;
}
