/* tests/fuzz/fuzz_format_spec.c — format spec strings (lb_format_parse of lowbit/format.h)
 * and the MAC model specs of lowbit/energy.h (lb_mac_parse), which
 * take the same strings. For a spec that parses: lb_format_info_get, and a small quantize
 * (RNE and SR, flat and with a 2x4 shape) of values that cover zero, subnormals, ±max-ish
 * magnitudes, ±inf and NaN, then encode/decode where the format has codes.
 * Checked: no crash or sanitizer report; a failed parse leaves a message; for an unscaled
 * element format, a finite input never quantizes to a finite value beyond the format's max
 * (lb_format_info.max). */
#include "fuzz_util.h"

#include <math.h>

#include "lowbit/energy.h"
#include "lowbit/format.h"

#define NV 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256) return 0;
    char *spec = fuzz_cstr(data, size);
    lb_error err = {{0}};
    lb_format f;
    lb_status st = lb_format_parse(&f, spec, &err);
    if (st)
        fuzz_check_error(err.msg, 0);
    else {
        lb_format_info info;
        lb_format_info_get(&f, &info);
        static const float in[NV] = {0.0f, 1e-40f, -0.3f, 1.0f, 3.5e3f, -6.5e4f, INFINITY, NAN};
        float out[NV];
        uint16_t codes[NV];
        float scales[NV];
        for (int mode = 0; mode < 4; mode++) {
            lb_qctx ctx;
            memset(&ctx, 0, sizeof ctx);
            ctx.seed = 42;
            ctx.round_override = mode & 1 ? 1 + LB_ROUND_SR : 0;
            if (mode & 2) ctx.ndim = 2, ctx.dims[0] = 2, ctx.dims[1] = 4, ctx.axis = 1;
            ctx.scales_out = scales; /* at most one scale per element: NV suffice */
            if (lb_quantize(&f, out, in, NV, &ctx) == LB_OK)
                for (int i = 0; i < 6; i++) /* the finite inputs */
                    FUZZ_CHECK(!(fabsf(out[i]) > fabsf(in[i]) && fabs(out[i]) > info.max &&
                                 !info.scaled && !info.block && isfinite(out[i])),
                               "%s: Q(%g) = %g beyond max %g", spec, in[i], out[i], info.max);
            if (info.encodable && lb_encode(&f, codes, in, NV, &ctx) == LB_OK)
                (void)lb_decode(&f, out, codes, NV, &ctx);
        }
    }
    lb_mac mac;
    if (lb_mac_parse(&mac, spec, &err)) fuzz_check_error(err.msg, 0);
    lb_round r;
    (void)lb_round_parse(&r, spec);
    free(spec);
    return 0;
}
