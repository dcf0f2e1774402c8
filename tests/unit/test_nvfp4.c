/* tests/unit/test_nvfp4.c — the NVFP4 family (lib/src/formats/nvfp4.c) against its published
 * definition (E2M1 elements, E4M3 block scale, FP32 tensor scale S = amax/(6·448)):
 *  - the scale encoding, exhaustively: with S = 1, a block whose amax is 6·v gets the block
 *    scale v for every positive finite E4M3 value v, and a midpoint between neighbours gets the
 *    one with the even code (E4M3 decoded here from the OCP definition, not by the library);
 *    beyond 448 saturates (tscale=one), below half the least subnormal gives 0 and zeros;
 *  - conformance cases computed by hand from the definition;
 *  - 2-D 16x16 tiles: one scale per tile, from that tile's elements only;
 *  - the MAC model and bad specs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lowbit/format.h"

/* OCP E4M3FN value of code c (c < 0x7f, positive) */
static double e4m3(int c)
{
    int ex = (c >> 3) & 15, m = c & 7;
    return ex ? ldexp(1 + m / 8.0, ex - 7) : ldexp(m / 8.0, -6);
}

/* E4M3 nearest to v >= 0 by search over the codes (ties: even code), saturating at 448 */
static double e4m3_nearest(double v)
{
    int best = 0;
    for (int c = 1; c <= 0x7e; c++) {
        double d = fabs(e4m3(c) - v), db = fabs(e4m3(best) - v);
        if (d < db || (d == db && !(c & 1))) best = c;
    }
    return e4m3(best);
}

static lb_format fmt(const char *spec)
{
    lb_format f;
    lb_error err;
    CHECK(lb_format_parse(&f, spec, &err) == LB_OK, "%s: %s", spec, err.msg);
    return f;
}

static void scale_encoding(void)
{
    /* block 0 holds 2688 = 6·448: S = 1; then one block per case */
    enum { NCASE = 2 * 126 };
    const size_t n = (size_t)(NCASE + 1) * 16;
    float *x = calloc(n, 4), *q = malloc(n * 4), *s = malloc((NCASE + 1) * 4);
    double want[NCASE + 1];
    x[0] = 2688.0f;
    want[0] = 448;
    int nb = 1;
    for (int c = 1; c <= 0x7e; c++) { /* every positive finite code */
        x[(size_t)nb * 16 + 3] = (float)(6 * e4m3(c));
        want[nb++] = e4m3(c);
    }
    for (int c = 1; c < 0x7e; c++) { /* midpoints between c and c+1: the even code wins */
        x[(size_t)nb * 16 + 5] = (float)(6 * (e4m3(c) + e4m3(c + 1)) / 2);
        want[nb++] = e4m3(c & 1 ? c + 1 : c);
    }
    lb_format f = fmt("nvfp4");
    lb_qctx c;
    memset(&c, 0, sizeof c);
    c.scales_out = s;
    CHECK(lb_quantize(&f, q, x, (size_t)nb * 16, &c) == LB_OK, "quantize");
    int bad = 0;
    for (int b = 0; b < nb; b++)
        if (s[b] != (float)want[b] && bad++ < 5)
            fprintf(stderr, "block %d: scale %a, want %a\n", b, s[b], want[b]);
    CHECK(!bad, "%d of %d E4M3 block scales wrong", bad, nb);
    /* the block maximum then lands on 6·v (exactly representable): element 6 */
    for (int b = 1; b <= 0x7e; b++)
        CHECK(q[(size_t)b * 16 + 3] == x[(size_t)b * 16 + 3], "block %d: max %g -> %g", b,
              x[(size_t)b * 16 + 3], q[(size_t)b * 16 + 3]);
    /* tscale=one: S = 1; amax 6·500 saturates the scale at 448, amax 6·2^-11 (below half of the
     * least subnormal 2^-9) gives scale 0 and signed zeros */
    lb_format g = fmt("nvfp4:tscale=one");
    float y[32] = {0}, r[32], sc[2];
    y[0] = 3000, y[1] = 2000, y[16] = (float)ldexp(6, -11), y[17] = -(float)ldexp(6, -12);
    c.scales_out = sc;
    lb_quantize(&g, r, y, 32, &c);
    CHECK(sc[0] == 448 && r[0] == 2688 && r[1] == 1792, "saturated scale %g: %g %g", sc[0], r[0],
          r[1]);
    CHECK(sc[1] == 0 && r[16] == 0 && r[17] == 0 && signbit(r[17]), "underflowed scale %g: %g %g",
          sc[1], r[16], r[17]);
    free(x), free(q), free(s);
}

static void conformance(void)
{
    /* one block: amax 100, S = fl32(100/2688) = 1.19·2^-5 truncated to 18 significant bits
     * (a multiple of 2^-22), sb = E4M3(fl32(fl32(100/6)/S)) = 448 (saturated: 2688·S <= 100),
     * X = 448·S; 0.1/X and 3.3/X are below 0.25 -> 0; -7/X = -0.42 -> -0.5; 100/X >= 6 -> 6 */
    lb_format f = fmt("nvfp4");
    float x[5] = {0.1f, 3.3f, -7.0f, 100.0f, 0.001f}, q[5];
    const float S = (float)(floor((double)(100.0f / 2688.0f) * 0x1p22) * 0x1p-22), X = 448.0f * S;
    lb_quantize(&f, q, x, 5, NULL);
    const float want[5] = {0, 0, -0.5f * X, 6 * X, 0};
    for (int i = 0; i < 5; i++)
        CHECK(q[i] == want[i], "x=%g -> %a, want %a", x[i], q[i], want[i]);
    /* every E2M1 magnitude at S = 1, sb = 1 (block amax 6 in a tensor of amax 2688): the
     * element grid {0, 0.5, 1, 1.5, 2, 3, 4, 6}; ties to even: 2.5 -> 2, 3.5 -> 4, 5 -> 4,
     * 0.25 -> 0, 0.75 -> 1, 1.25 -> 1, 1.75 -> 2; 7 -> 6 */
    float y[32] = {0}, r[32];
    y[0] = 2688;
    const float in[] = {6, 0.5f, 1, 1.5f, 2, 3, 4, 2.5f, 3.5f, 5, 0.25f, 0.75f, 1.25f, 1.75f, -5};
    const float out[] = {6, 0.5f, 1, 1.5f, 2, 3, 4, 2, 4, 4, 0, 1, 1, 2, -4};
    for (int i = 0; i < 15; i++)
        y[16 + i] = in[i];
    lb_quantize(&f, r, y, 32, NULL);
    for (int i = 0; i < 15; i++)
        CHECK(r[16 + i] == out[i], "E2M1: %g -> %g, want %g", in[i], r[16 + i], out[i]);
}

static void tiles2d(void)
{
    enum { R = 32, C = 48 }; /* 2 x 3 tiles */
    float x[R * C], q[R * C], s[6];
    for (int i = 0; i < R * C; i++)
        x[i] = 0.01f * (float)((i * 37) % 101 - 50);
    x[20 * C + 40] = 2688; /* tile (1, 2): S = 1 */
    x[3 * C + 17] = 96;    /* tile (0, 1): scale 16 */
    lb_format f = fmt("nvfp4:2d");
    lb_qctx c;
    memset(&c, 0, sizeof c);
    c.ndim = 2, c.dims[0] = R, c.dims[1] = C, c.scales_out = s;
    CHECK(lb_quantize(&f, q, x, R * C, &c) == LB_OK, "2d quantize");
    for (int t = 0; t < 6; t++) {
        int tr = t / 3, tc = t % 3;
        float am = 0;
        for (int i = tr * 16; i < tr * 16 + 16; i++)
            for (int j = tc * 16; j < tc * 16 + 16; j++)
                am = fabsf(x[i * C + j]) > am ? fabsf(x[i * C + j]) : am;
        double w = e4m3_nearest((double)((am / 6.0f) / 1.0f)); /* S = 1 */
        CHECK(t != 5 || w == 448, "tile 5 must hold the tensor maximum");
        CHECK(t != 1 || w == 16, "tile 1 must hold 96");
        CHECK(s[t] == (float)w, "tile %d: amax %g, scale %g, want %g", t, am, s[t], w);
    }
}

int main(void)
{
    scale_encoding();
    conformance();
    tiles2d();
    lb_format f = fmt("nvfp4");
    lb_mac_model m;
    lb_error err;
    CHECK(lb_format_mac(&f, &m, &err) == LB_OK && m.kind == LB_MAC_MLS && m.e == 2 && m.m == 1 &&
              m.group == 16 && m.gbits == 8,
          "mac model");
    lb_format g;
    CHECK(lb_format_parse(&g, "nvfp4:tscale=max", &err) != LB_OK, "tscale=max accepted");
    CHECK(lb_format_parse(&g, "nvfp4:block=0", &err) != LB_OK, "block=0 accepted");
    return lb_check_summary("test_nvfp4");
}
