/* tests/unit/test_mx.c — OCP MX block formats (lib/src/formats/mx.c): the shared-scale rule
 * on hand-made blocks, every block's elements on the element grid times one power of two,
 * the per-element error bound, idempotence, zero / outlier / non-finite blocks, and blocks
 * along a chosen axis equal to the flat rule applied to the gathered rows. */
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

static unsigned rs = 7;
static float frand(void)
{
    rs = rs * 1664525u + 1013904223u;
    return (float)((double)(rs >> 8) / 16777216.0 - 0.5);
}

int main(void)
{
    static const char *names[] = {"mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e3m2",
                                  "mxfp6_e2m3", "mxfp4_e2m1", "mxint8"};
    static const char *elems[] = {"fp:e=4,m=3,specials=fn,overflow=sat",
                                  "fp:e=5,m=2,overflow=sat",
                                  "fp:e=3,m=2,specials=none",
                                  "fp:e=2,m=3,specials=none",
                                  "fp:e=2,m=1,specials=none",
                                  "fx:wl=8,fl=6"};
    static const int emax[] = {8, 15, 4, 2, 2, 0}, mant[] = {3, 2, 2, 3, 1, 6};

    /* hand-made: FP4 E2M1 (grid 0 .5 1 1.5 2 3 4 6), block amax 3 -> X = 2^(1-2) = 0.5 */
    {
        lb_format f = fmt("mxfp4_e2m1");
        float x[32] = {3.0f, 0.3f, -1.1f, 2.9f}, y[32];
        CHECK(lb_quantize(&f, y, x, 32, NULL) == LB_OK, "quantize");
        CHECK(y[0] == 3.0f && y[1] == 0.25f && y[2] == -1.0f && y[3] == 3.0f && y[4] == 0.0f,
              "e2m1 block: %g %g %g %g %g", y[0], y[1], y[2], y[3], y[4]);
        /* amax 3.9: X = 0.5, 3.9/0.5 = 7.8 saturates to 6 -> 3.0 */
        x[0] = 3.9f;
        lb_quantize(&f, y, x, 32, NULL);
        CHECK(y[0] == 3.0f, "saturation: %g", y[0]);
    }
    /* E4M3: amax 1 -> X = 2^(0-8); 1/X = 256 exact; 0.01 -> 2.56 -> nearest e4m3 2.5 */
    {
        lb_format f = fmt("mxfp8_e4m3");
        float x[32] = {1.0f, 0.01f}, y[32];
        lb_quantize(&f, y, x, 32, NULL);
        CHECK(y[0] == 1.0f && y[1] == 2.5f / 256, "e4m3 block: %.9g %.9g", y[0], y[1]);
    }
    for (int k = 0; k < 6; k++) {
        lb_format f = fmt(names[k]), fe = fmt(elems[k]);
        const size_t n = 32 * 64;
        float *x = malloc(n * 4), *y = malloc(n * 4), *z = malloc(n * 4), *t = malloc(32 * 4);
        for (size_t i = 0; i < n; i++) /* blocks spanning very different magnitudes */
            x[i] = frand() * ldexpf(1.0f, (int)(i / 32) % 40 - 20);
        CHECK(lb_quantize(&f, y, x, n, NULL) == LB_OK, "%s", names[k]);
        for (size_t b = 0; b < n / 32; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++)
                amax = fmaxf(amax, fabsf(x[b * 32 + j]));
            float X = ldexpf(1.0f, ilogbf(amax) - emax[k]); /* the OCP rule, by hand */
            for (int j = 0; j < 32; j++)
                t[j] = y[b * 32 + j] / X;
            float t2[32];
            lb_quantize(&fe, t2, t, 32, NULL);
            int on = 1;
            for (int j = 0; j < 32; j++) {
                on &= t2[j] == t[j];
                double xe = x[b * 32 + j], ye = y[b * 32 + j];
                /* elements at or above the element's smallest normal: relative error 2^-(m+1);
                 * (MXINT8: absolute error 2^-7 of X) */
                if (k == 5) /* half a step, or the saturation of [127/64, 2) to 127/64 */
                    CHECK(fabs(ye - xe) <=
                              ldexp(X, fabs(xe / X) > 127.0 / 64 ? -6 : -7) * 1.0000001,
                          "%s abs err", names[k]);
                else if (fabs(xe) >= ldexp(X, k == 1   ? -14
                                              : k == 0 ? -6
                                              : k == 2 ? -2
                                                       : 0) &&
                         fabs(xe / X) <= (k == 0   ? 448
                                          : k == 1 ? 57344
                                          : k == 2 ? 28
                                          : k == 3 ? 7.5
                                                   : 6))
                    CHECK(fabs(ye - xe) <= fabs(xe) * ldexp(1.0, -(mant[k] + 1)) * 1.0000001,
                          "%s rel err: %g -> %g (X %g)", names[k], xe, ye, X);
            }
            CHECK(on, "%s block %zu: elements not on the element grid times X = %g", names[k], b,
                  X);
        }
        CHECK(lb_quantize(&f, z, y, n, NULL) == LB_OK, "again");
        CHECK(memcmp(y, z, n * 4) == 0, "%s not idempotent", names[k]);
        /* zero block, outlier, NaN and inf blocks */
        for (size_t i = 0; i < 128; i++)
            x[i] = 0.0f;
        x[32] = 1000.0f, x[33] = 1e-8f;
        x[64 + 5] = NAN;
        x[96 + 7] = INFINITY, x[96 + 8] = 1.0f;
        lb_quantize(&f, y, x, 128, NULL);
        int zero = 1, nanb = 1, infb = 1;
        for (int j = 0; j < 32; j++) {
            zero &= y[j] == 0.0f;
            nanb &= isnan(y[64 + j]);
            infb &= isnan(y[96 + j]);
        }
        CHECK(zero, "%s: zero block", names[k]);
        CHECK(y[32] > 0 && y[33] == 0.0f, "%s: outlier block %g %g", names[k], y[32], y[33]);
        CHECK(nanb && infb, "%s: non-finite blocks become NaN", names[k]);
        /* blocks along axis 1 of (3, 70, 4): equal to the flat rule on gathered rows */
        const int D0 = 3, D1 = 70, D2 = 4;
        for (int i = 0; i < D0 * D1 * D2; i++)
            x[i] = frand() * (1 + (i % 7));
        lb_qctx c;
        memset(&c, 0, sizeof c);
        c.ndim = 3, c.axis = 1, c.dims[0] = D0, c.dims[1] = D1, c.dims[2] = D2;
        CHECK(lb_quantize(&f, y, x, (size_t)D0 * D1 * D2, &c) == LB_OK, "axis");
        int same = 1;
        for (int a = 0; a < D0; a++)
            for (int b = 0; b < D2; b++) {
                float row[70], qrow[70];
                for (int j = 0; j < D1; j++)
                    row[j] = x[(a * D1 + j) * D2 + b];
                lb_quantize(&f, qrow, row, D1, NULL);
                for (int j = 0; j < D1; j++)
                    same &= qrow[j] == y[(a * D1 + j) * D2 + b];
            }
        CHECK(same, "%s: axis blocks differ from gathered rows", names[k]);
        free(x), free(y), free(z), free(t);
    }
    lb_format f;
    lb_error err;
    CHECK(lb_format_parse(&f, "mx:e=3,m=3", &err) == LB_ERR_SPEC, "bad element accepted");
    CHECK(lb_format_parse(&f, "mx:int,e=4,m=3", &err) == LB_ERR_SPEC, "int with e/m accepted");
    return lb_check_summary("test_mx");
}
