/* tests/unit/test_pwl_fit.c — the PWL annealer (lb_pwl_fit): for every cost rule the returned
 * table is never worse than the start and its cost, re-evaluated through lb_pwl_eval (the
 * truncating table path), equals the annealer's own; breakpoints are strictly increasing on the
 * grid and end at x_ub; a seed gives one table, another seed (almost surely) another; zero moves
 * return the start; bad options are refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lowbit/lnsadd.h"

int main(void)
{
    lb_error err;
    const int F = 4, n = 16 << F;
    double *w = malloc(sizeof *w * (size_t)n);
    for (int d = 0; d < n; d++)
        w[d] = exp(-d / 40.0); /* small d dominate, as in training */
    const lb_pwl_cost costs[] = {LB_PWL_COST_MEAN, LB_PWL_COST_MAX, LB_PWL_COST_WEIGHTED};
    for (int ci = 0; ci < 3; ci++) {
        lb_pwl_fit_opts o;
        memset(&o, 0, sizeof o);
        o.frac = F, o.segments = 8, o.x_ub = 12, o.seed = 3, o.cost = costs[ci];
        o.weights = costs[ci] == LB_PWL_COST_WEIGHTED ? w : NULL;
        o.iters = 3000, o.t0 = 0.05, o.t1 = 1e-4;
        lb_pwl_table t, t2, t0;
        double c0[2], c1[2], z0[2], z1[2];
        CHECK(lb_pwl_fit(&o, "x", &t, c0, c1, &err) == LB_OK, "%s", err.msg);
        for (int f = 0; f < 2; f++) {
            CHECK(c1[f] <= c0[f], "cost %d fn %d: %g worse than start %g", ci, f, c1[f], c0[f]);
            double re = lb_pwl_cost_of(&o, &t, f == 0);
            CHECK(fabs(re - c1[f]) <= 1e-12 * (1 + c1[f]), "cost %d fn %d: table %g vs %g", ci, f,
                  re, c1[f]);
            CHECK(t.nseg[f] == 8 && t.bp[f][7] == 12.0, "segments / last breakpoint");
            for (int k = 0; k < 8; k++) {
                double q = t.bp[f][k] * (1 << F), iq = t.icpt[f][k] * (1 << F);
                CHECK(q == floor(q) && iq == floor(iq), "off the grid");
                if (k) CHECK(t.bp[f][k] > t.bp[f][k - 1], "breakpoints not increasing");
            }
        }
        CHECK(lb_pwl_fit(&o, "x", &t2, NULL, NULL, &err) == LB_OK, "%s", err.msg);
        CHECK(!memcmp(&t, &t2, sizeof t), "same seed, different table");
        o.seed = 4;
        CHECK(lb_pwl_fit(&o, "x", &t2, NULL, NULL, &err) == LB_OK, "%s", err.msg);
        CHECK(memcmp(t.bp, t2.bp, sizeof t.bp) || memcmp(t.shift, t2.shift, sizeof t.shift),
              "another seed, the same table");
        o.iters = 0;
        CHECK(lb_pwl_fit(&o, "x", &t0, z0, z1, &err) == LB_OK, "%s", err.msg);
        CHECK(z0[0] == c0[0] && z1[0] == z0[0] && z1[1] == z0[1], "zero moves: the start");
    }
    lb_pwl_fit_opts o;
    memset(&o, 0, sizeof o);
    lb_pwl_table t;
    o.frac = F, o.segments = 8, o.x_ub = 12, o.iters = 10, o.t0 = 0.05, o.t1 = 1e-4;
    o.cost = LB_PWL_COST_WEIGHTED;
    CHECK(lb_pwl_fit(&o, "x", &t, NULL, NULL, &err) == LB_ERR_ARG, "weighted without weights");
    o.cost = LB_PWL_COST_MEAN, o.segments = 1;
    CHECK(lb_pwl_fit(&o, "x", &t, NULL, NULL, &err) == LB_ERR_ARG, "one segment");
    o.segments = 8, o.x_ub = 0.25;
    CHECK(lb_pwl_fit(&o, "x", &t, NULL, NULL, &err) == LB_ERR_ARG, "x_ub below a step each");
    free(w);
    return lb_check_summary("test_pwl_fit");
}
