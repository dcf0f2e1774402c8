/* tests/fuzz/fuzz_units.c — the energy unit-cost CSV (lb_units_load of lowbit/energy.h): the
 * input is written to a file and loaded; a table that loads is then used as `lowbit energy`
 * uses it: the cost of every primitive at a few widths and of one MAC per model kind.
 * Checked: no crash or sanitizer report, a message on failure, and for a loaded table finite
 * non-negative energies and areas (NaN area: a row without area_um2, "not given"); a table
 * that yields anything else must be refused at load. */
#include "fuzz_util.h"

#include <math.h>

#include "lowbit/energy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 16)) return 0;
    char path[512];
    fuzz_write(fuzz_path(path, sizeof path, "units.csv"), data, size);
    lb_units *u = NULL;
    lb_error err = {{0}};
    if (lb_units_load(&u, path, &err)) {
        fuzz_check_error(err.msg, 0);
        FUZZ_CHECK(u == NULL, "a failed load returned a table");
        return 0;
    }
    static const char *const prims[] = {
        "int_add", "int_mult", "mux2", "reg",    "sram32k_read", "sram1m_read", "dram_read",
        "shifter", "compare",  "lzd",  "decode", "fp32_add",     "nosuch"};
    static const double widths[] = {1, 2, 8, 23.5, 64};
    for (size_t i = 0; i < sizeof prims / sizeof *prims; i++)
        for (size_t w = 0; w < sizeof widths / sizeof *widths; w++) {
            double e = -1, a = -1;
            if (lb_units_cost(u, prims[i], widths[w], &e, &a) == LB_OK)
                FUZZ_CHECK(isfinite(e) && e >= 0 && (isnan(a) || (isfinite(a) && a >= 0)),
                           "%s(%g bits): energy %g pJ, area %g um2", prims[i], widths[w], e, a);
        }
    static const char *const macs[] = {"fp32",
                                       "bf16",
                                       "int8",
                                       "lns:bits=13,frac=5",
                                       "mac:lns-binned,bits=8,frac=3",
                                       "mac:lns-lut,bits=12,frac=4",
                                       "mac:mls,e=2,m=1,group=8,gbits=8",
                                       "mxfp4_e2m1"};
    for (size_t i = 0; i < sizeof macs / sizeof *macs; i++) {
        lb_mac mac;
        lb_mac_cost c;
        if (lb_mac_parse(&mac, macs[i], &err)) continue;
        if (lb_mac_cost_get(u, &mac, &c, &err) == LB_OK)
            FUZZ_CHECK(isfinite(c.energy_pj) && c.energy_pj >= 0 &&
                           (isnan(c.area_um2) || (isfinite(c.area_um2) && c.area_um2 >= 0)),
                       "%s: %g pJ, %g um2", macs[i], c.energy_pj, c.area_um2);
        else
            fuzz_check_error(err.msg, 0);
    }
    lb_units_free(u);
    return 0;
}
