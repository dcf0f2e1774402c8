/* tests/unit/test_mls.c — the MLS block format (lib/src/formats/mls.c): a hand-worked tensor,
 * every element on its own grid (enumerated here from E and M, independently of the library)
 * times its group's scale, the scale levels (tensor max, power-of-two group exponents clamped to
 * G bits), the nearest-rounding error bound, idempotence in every mode, zero / all-zero /
 * outlier / non-finite inputs, groups along an axis, and an exhaustive element check at a fixed
 * scale against a brute-force nearest search. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lowbit/format.h"

static lb_format fmt(const char *s)
{
    lb_format f;
    lb_error err;
    CHECK(lb_format_parse(&f, s, &err) == LB_OK, "%s: %s", s, err.msg);
    return f;
}

static unsigned rs = 11;
static float frand(void)
{
    rs = rs * 1664525u + 1013904223u;
    return (float)((double)(rs >> 8) / 16777216.0 - 0.5);
}

/* The element grid (magnitudes, ascending): 0, 2^-e (1 + f/2^M) for e = emin..1, and 1. */
static int grid(int E, int M, double *g)
{
    int n = 0, emin = (1 << E) - 1;
    g[n++] = 0;
    for (int e = emin; e >= 1; e--)
        for (int f = 0; f < (1 << M); f++)
            g[n++] = ldexp(1.0 + (double)f / (1 << M), -e);
    g[n++] = 1.0;
    return n;
}

static int on_grid(const double *g, int n, double u)
{
    for (int i = 0; i < n; i++)
        if (g[i] == fabs(u)) return 1;
    return 0;
}

int main(void)
{
    /* hand-worked (mls_e2m1: grid 0, 1/8, 3/16, 1/4, 3/8, 1/2, 3/4, 1; one group of 16):
     * s_t = 7; 1/7 -> 1/8 -> 0.875; 0.3/7 < 1/16 -> 0; 5/7 -> 3/4 -> 5.25 */
    {
        lb_format f = fmt("mls_e2m1");
        float x[8] = {1, 0.3f, -0.2f, 0.01f, 0, 5, -7, 0.001f}, y[8];
        CHECK(lb_quantize(&f, y, x, 8, NULL) == LB_OK, "quantize");
        const float want[8] = {0.875f, 0, 0, 0, 0, 5.25f, -7, 0};
        CHECK(memcmp(y, want, sizeof y) == 0, "hand-worked: %g %g %g %g %g %g %g %g", y[0], y[1],
              y[2], y[3], y[4], y[5], y[6], y[7]);
        /* groups of 2: group (1, 0.3) has k = floor(log2(7/1)) = 2, S = 7/4 */
        lb_format f2 = fmt("mls:e=2,m=1,group=2");
        lb_quantize(&f2, y, x, 8, NULL);
        CHECK(y[0] == 0.875f && y[1] == 0.328125f && y[2] == -0.21875f, "groups of 2: %g %g %g",
              y[0], y[1], y[2]);
    }
    const char *specs[] = {"mls_e2m1", "mls_e2m4", "mls:e=3,m=2,group=8", "mls:e=2,m=3,gbits=2",
                           "mls:e=1,m=2,group=0"};
    for (int si = 0; si < 5; si++) {
        lb_format f = fmt(specs[si]);
        lb_format_info in;
        lb_format_info_get(&f, &in);
        const int E = (int)f.p.reserved[0], M = (int)f.p.reserved[1], G = (int)f.p.reserved[2];
        double g[4096];
        int ng = grid(E, M, g);
        CHECK(in.block != 0 && in.scaled && in.max == 1.0 && in.min_pos == g[1],
              "%s: info block %d max %g min %g", specs[si], in.block, in.max, in.min_pos);
        /* a (3, 70, 4) tensor, groups along axis 1, magnitudes varying by row */
        const int D0 = 3, D1 = 70, D2 = 4, n = D0 * D1 * D2;
        float x[840], y[840], z[840], S[840];
        for (int i = 0; i < n; i++)
            x[i] = frand() * ldexpf(1.0f, (i / 8) % 12 - 6);
        lb_qctx c;
        memset(&c, 0, sizeof c);
        c.ndim = 3, c.axis = 1, c.dims[0] = D0, c.dims[1] = D1, c.dims[2] = D2;
        c.scales_out = S;
        CHECK(lb_quantize(&f, y, x, n, &c) == LB_OK, "%s", specs[si]);
        const int B = in.block > 0 ? in.block : D1, nba = (D1 + B - 1) / B;
        float st = 0;
        for (int i = 0; i < n; i++)
            st = fmaxf(st, fabsf(x[i]));
        int bad_grid = 0, bad_err = 0, bad_k = 0, top = 0;
        for (int o = 0; o < D0; o++)
            for (int kb = 0; kb < nba; kb++)
                for (int j = 0; j < D2; j++) {
                    float Sg = S[(o * nba + kb) * D2 + j], gmax = 0;
                    for (int a = kb * B; a < D1 && a < (kb + 1) * B; a++)
                        gmax = fmaxf(gmax, fabsf(x[(o * D1 + a) * D2 + j]));
                    /* S = s_t 2^-k with s_t = max|x| truncated to 23 - M bits, k in [0, 2^G) */
                    double kk = log2((double)st / Sg);
                    int kint = (int)floor(kk + 0.5);
                    int kwant = gmax > 0 ? (int)floor(log2((double)st / gmax)) : (1 << G) - 1;
                    kwant = kwant < 0 ? 0 : kwant > (1 << G) - 1 ? (1 << G) - 1 : kwant;
                    /* truncating s_t changes log2 by < 2^-(22-M): compare rounded exponents */
                    bad_k += kint != kwant;
                    top += kint == 0;
                    for (int a = kb * B; a < D1 && a < (kb + 1) * B; a++) {
                        size_t i = (size_t)(o * D1 + a) * D2 + j;
                        double u = y[i] / (double)Sg;
                        bad_grid += !on_grid(g, ng, u);
                        double ax = fabs(x[i]) / Sg;
                        double bound = ax < g[1] ? g[1] / 2 : ldexp(ax, -(M + 1));
                        bad_err += fabs(u - x[i] / (double)Sg) > bound * (1 + 1e-6) && ax <= 1;
                    }
                }
        CHECK(!bad_grid, "%s: %d elements off the element grid times their group scale", specs[si],
              bad_grid);
        CHECK(!bad_err, "%s: %d elements beyond the nearest-rounding bound", specs[si], bad_err);
        CHECK(!bad_k, "%s: %d group exponents differ from clamp(floor(log2(s_t/max_g)))", specs[si],
              bad_k);
        CHECK(top > 0, "%s: no group at k = 0", specs[si]);
        float ymax = 0;
        for (int i = 0; i < n; i++)
            ymax = fmaxf(ymax, fabsf(y[i]));
        CHECK(ymax <= st && ymax >= st * (1 - ldexp(1.0, M - 22)), "%s: max %g vs s_t %g",
              specs[si], ymax, st);
        /* idempotent in every mode (SR: the values are on the grid, no draw changes them) */
        c.scales_out = NULL;
        for (int r = LB_ROUND_RNE; r <= LB_ROUND_SR; r++) {
            c.round_override = 1 + r;
            lb_quantize(&f, z, x, n, &c);
            lb_quantize(&f, y, z, n, &c);
            CHECK(memcmp(y, z, sizeof z) == 0, "%s %s: not idempotent", specs[si],
                  lb_round_name((lb_round)r));
        }
        c.round_override = 0;
        /* all-zero tensor; one outlier (other groups clamp at k = 2^G - 1); NaN and inf */
        for (int i = 0; i < n; i++)
            x[i] = 0;
        lb_quantize(&f, y, x, n, &c);
        int nz = 0;
        for (int i = 0; i < n; i++)
            nz += y[i] != 0 || signbit(y[i]);
        CHECK(!nz, "%s: all-zero tensor gives %d nonzeros", specs[si], nz);
        for (int i = 0; i < n; i++)
            x[i] = 1e-3f * (1 + i % 3);
        x[5 * D2] = 1e6f;
        lb_quantize(&f, y, x, n, &c);
        CHECK(y[5 * D2] == 1e6f || fabsf(y[5 * D2] - 1e6f) <= ldexpf(1e6f, M - 22),
              "%s: outlier %g", specs[si], y[5 * D2]);
        /* 1e-3 / 1e6 = 2^-30: the group exponent clamps at 2^G - 1 (G=8: representable) */
        int flushed = y[1] == 0.0f;
        CHECK(G < 5 ? flushed : !flushed, "%s (G=%d): small group %s", specs[si], G,
              flushed ? "flushed" : "kept");
        x[7] = NAN, x[9] = INFINITY;
        lb_quantize(&f, y, x, n, &c);
        CHECK(isnan(y[7]) && y[9] > 0 && isfinite(y[9]) && !isnan(y[11]),
              "%s: NaN -> %g, inf -> %g", specs[si], y[7], y[9]);
    }
    /* exhaustive element check at a fixed scale: every grid value, every midpoint and its float
     * neighbours, against a brute-force nearest (ties: the even code; zero is even) */
    for (int E = 1; E <= 4; E++)
        for (int M = 1; M <= 4; M++) {
            char spec[64];
            snprintf(spec, sizeof spec, "mls:e=%d,m=%d,flat,group=1", E, M);
            lb_format f = fmt(spec);
            double g[4096];
            int ng = grid(E, M, g), bad = 0, cnt = 0;
            for (int i = 0; i + 1 < ng; i++) {
                double mid = (g[i] + g[i + 1]) / 2;
                float xs[5] = {(float)g[i], nextafterf((float)mid, 0), (float)mid,
                               nextafterf((float)mid, 2), (float)g[i + 1]};
                for (int t = 0; t < 5; t++) {
                    float sc = 0.75f, xin = xs[t] * sc, out; /* exact: 0.75 has 2 bits */
                    lb_qctx c;
                    memset(&c, 0, sizeof c);
                    c.scales_in = &sc;
                    lb_quantize(&f, &out, &xin, 1, &c);
                    double u = xs[t], want;
                    if (u < mid)
                        want = g[i];
                    else if (u > mid)
                        want = g[i + 1];
                    else /* tie: even code; zero and 1.0 and f = 0 are even */
                        want = i == 0                          ? 0
                               : (i + 1 == ng - 1)             ? 1.0
                               : ((i - 1) % (1 << M)) % 2 == 0 ? g[i]
                                                               : g[i + 1];
                    bad += out != (float)(want * sc);
                    cnt++;
                }
            }
            CHECK(!bad, "%s: %d of %d cases differ from the brute-force nearest", spec, bad, cnt);
        }
    lb_format f;
    lb_error err;
    CHECK(lb_format_parse(&f, "mls:e=2", &err) == LB_ERR_SPEC, "missing m accepted");
    CHECK(lb_format_parse(&f, "mls:e=5,m=1", &err) == LB_ERR_SPEC, "e=5 accepted");
    return lb_check_summary("test_mls");
}
