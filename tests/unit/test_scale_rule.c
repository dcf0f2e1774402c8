/* tests/unit/test_scale_rule.c — the block-scale rule key scale_rule=floor|ceil|even of the MX,
 * NVFP4 and MLS families: per family, blocks whose amax separates the three rules, with the
 * expected scales worked out by hand from each formula (written next to each case), read back
 * through scales_out; the defaults (MX floor, NVFP4 even, MLS floor) equal the spec without the
 * key; a bad rule is a spec error. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "lowbit/format.h"

/* blocks of 4: block b holds amax[b] at its first element and small values after it */
static void scales(const char *spec, const float *amax, int nb, const float *want)
{
    lb_format f;
    lb_error err;
    if (lb_format_parse(&f, spec, &err) != LB_OK) {
        CHECK(0, "%s: %s", spec, err.msg);
        return;
    }
    float x[64] = {0}, q[64], s[16];
    for (int b = 0; b < nb; b++)
        x[4 * b] = amax[b], x[4 * b + 1] = -amax[b] / 3, x[4 * b + 2] = amax[b] / 7;
    lb_qctx c;
    memset(&c, 0, sizeof c);
    c.scales_out = s;
    CHECK(lb_quantize(&f, q, x, (size_t)(4 * nb), &c) == LB_OK, "%s: quantize", spec);
    for (int b = 0; b < nb; b++)
        CHECK(s[b] == want[b], "%s: block %d (amax %g): scale %g, want %g", spec, b, amax[b], s[b],
              want[b]);
}

int main(void)
{
    /* MX, FP4 E2M1 elements (emax 2, max 6): floor x = floor(log2 a) - 2; ceil x =
     * ceil(log2(a/6)); even: a rounded to a power of two (significand > 1.5 up, = 1.5 to the
     * even x), minus 2.
     *   a = 7  (1.75·4):  floor 0, ceil 1 (7/6 > 1), even 1
     *   a = 12 (1.5·8):   floor 1, ceil 1 (12/6 = 2), even: tie, x = 1 odd -> 2
     *   a = 5  (1.25·4):  floor 0, ceil 0, even 0
     *   a = 3  (1.5·2):   floor -1, ceil -1 (3/6 = 0.5), even: tie, x = -1 odd -> 0 */
    const float mxa[4] = {7, 12, 5, 3};
    const float mxf[4] = {1, 2, 1, 0.5f}, mxc[4] = {2, 2, 1, 0.5f}, mxe[4] = {2, 4, 1, 1};
    scales("mx:e=2,m=1,block=4,scale_rule=floor", mxa, 4, mxf);
    scales("mx:e=2,m=1,block=4", mxa, 4, mxf);
    scales("mx:e=2,m=1,block=4,scale_rule=ceil", mxa, 4, mxc);
    scales("mx:e=2,m=1,block=4,scale_rule=even", mxa, 4, mxe);
    /* NVFP4 with S = 1 (tscale=one): sb = E4M3(a/6); E4M3 neighbours of 1.1 and 1.05 are 1 and
     * 1.125 (step 1/8): floor 1, 1; ceil 1.125, 1.125; even (nearest) 1.125, 1; a = 6·0.75 is
     * exactly on the grid: 0.75 for every rule */
    const float nva[3] = {6.6f, 6.3f, 4.5f};
    const float nvf[3] = {1, 1, 0.75f}, nvc[3] = {1.125f, 1.125f, 0.75f},
                nve[3] = {1.125f, 1, 0.75f};
    scales("nvfp4:block=4,tscale=one,scale_rule=floor", nva, 3, nvf);
    scales("nvfp4:block=4,tscale=one,scale_rule=ceil", nva, 3, nvc);
    scales("nvfp4:block=4,tscale=one,scale_rule=even", nva, 3, nve);
    scales("nvfp4:block=4,tscale=one", nva, 3, nve);
    /* MLS: s_t = 12 (the tensor max, exact in 23 - M bits); k = rule(log2(12 / a)), scale
     * 12·2^-k:  a = 12: ratio 1, k 0 for all;  a = 4: ratio 3 = 1.5·2: floor 1, ceil 2, even
     * (tie, k = 1 odd) 2;  a = 8: ratio 1.5: floor 0, ceil 1, even (tie, k = 0 even) 0;
     * a = 6.4: ratio 1.875: floor 0, ceil 1, even 1 */
    const float mla[4] = {12, 4, 8, 6.4f};
    const float mlf[4] = {12, 6, 12, 12}, mlc[4] = {12, 3, 6, 6}, mle[4] = {12, 3, 12, 6};
    scales("mls:e=2,m=1,group=4,scale_rule=floor", mla, 4, mlf);
    scales("mls:e=2,m=1,group=4", mla, 4, mlf);
    scales("mls:e=2,m=1,group=4,scale_rule=ceil", mla, 4, mlc);
    scales("mls:e=2,m=1,group=4,scale_rule=even", mla, 4, mle);
    lb_format f;
    lb_error err;
    CHECK(lb_format_parse(&f, "mx:e=2,m=1,scale_rule=up", &err) != LB_OK, "bad rule accepted");
    CHECK(lb_format_parse(&f, "nvfp4:scale_rule=nearest", &err) != LB_OK, "bad rule accepted");
    CHECK(lb_format_parse(&f, "mls:e=2,m=1,scale_rule=", &err) != LB_OK, "empty rule accepted");
    return lb_check_summary("test_scale_rule");
}
