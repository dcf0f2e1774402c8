/* tests/unit/test_energy.c — the cost model (lowbit/energy.h) on a toy unit table written here
 * with round numbers, so every expected value below is worked out by hand from the documented
 * composition rules: int_add(b) = b/8 pJ (rows 8 -> 1, 32 -> 4: exponent 1), int_mult(b) =
 * (b/8)^2 pJ (rows 8 -> 1, 32 -> 16), mux2 0.1 pJ, sram32k_read 6.4 pJ per 64 bits.
 * Also: monotonicity in bit-width on the real Horowitz table shape, and the error paths. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "lowbit/energy.h"
#include "lowbit/format.h"

static const char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/lb_units_%ld.csv", (long)getpid());
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static double mac_pj(const lb_units *u, const char *spec, int k)
{
    lb_mac m;
    lb_mac_cost c;
    lb_error err;
    if (lb_mac_parse(&m, spec, &err)) {
        CHECK(0, "%s: %s", spec, err.msg);
        return NAN;
    }
    if (k) m.k = k;
    if (lb_mac_cost_get(u, &m, &c, &err)) return NAN;
    CHECK(fabs(c.mult_pj + c.add_pj + c.other_pj - c.energy_pj) < 1e-9, "%s: breakdown", spec);
    return c.energy_pj;
}

#define NEAR(got, want)                                                                            \
    CHECK(fabs((got) - (want)) <= 1e-9 * (1 + fabs(want)), "%s: %.12g vs %.12g", #got,             \
          (double)(got), (double)(want))

int main(void)
{
    const char *toy = "# toy\nprimitive,bits,energy_pj,area_um2,node_nm,source\n"
                      "int_add,8,1,10,45,t\nint_add,32,4,40,45,t\n"
                      "int_mult,8,1,100,45,t\nint_mult,32,16,1600,45,t\n"
                      "mux2,1,0.1,1,45,t\nreg,1,0.2,2,45,t\nsram32k_read,64,6.4,,45,t\n";
    lb_units *u = NULL;
    lb_error err;
    CHECK(lb_units_load(&u, write_tmp(toy), &err) == LB_OK, "toy table: %s", err.msg);
    if (!u) return lb_check_summary("test_energy");
    double e, a;
    lb_units_cost(u, "int_add", 16, &e, &a);
    NEAR(e, 2.0);
    NEAR(a, 20.0);
    lb_units_cost(u, "int_mult", 12, &e, &a);
    NEAR(e, 2.25);
    /* int8 MAC: mult(8) + add(acc = 2*8+8 = 24) = 1 + 3 */
    NEAR(mac_pj(u, "int8", 0), 4.0);
    NEAR(mac_pj(u, "mac:int,bits=8,acc=32", 0), 1 + 4.0);
    /* fp16 (e5 m10): mult(11) + add(6) + [add(8) + shifter(27) + add(27) + lzd(27) +
     * shifter(27) + add(8)], shifter(27) = 27*5 mux = 13.5, lzd(27) = 6.75 */
    NEAR(mac_pj(u, "fp16", 0), 121.0 / 64 + 0.75 + 1 + 13.5 + 27.0 / 8 + 6.75 + 13.5 + 1);
    /* QAA-LNS 13/5, PWL: product add(13); max add(13); d add(13); 4 compares add(13);
     * shifter(13) = 13*4 mux = 5.2; slope add(13); final add(13): 9 adds of 13/8 */
    NEAR(mac_pj(u, "lns13_5", 0), 9 * 13.0 / 8 + 5.2);
    /* the same with a 64-entry LUT of F+2 = 7 bits: 63*7 mux = 44.1 replacing 4+1 adds and
     * the shifter */
    NEAR(mac_pj(u, "mac:lns-lut,bits=13,frac=5", 0), 4 * 13.0 / 8 + 44.1);
    /* LNS-Madam lns8 (L = 7, F = 3, acc 24, K = 64): add(8) + decode(8) 0.8 + shifter(24)
     * 24*5*0.1 = 12 + add(24) 3 + per dot product [8 mult(24) = 8*9 + 8 add(32) = 8*4 +
     * lzd(32) = 32*5/2*0.1 = 8 + 8 add(30) = 8*3.75] / 64 */
    NEAR(mac_pj(u, "lns8", 64), 1 + 0.8 + 12 + 3 + (72 + 32 + 8 + 30) / 64.0);
    /* MLS e2 m1, group 16, G 8: acc a = 2*2 + 2^3 + 4 = 16: mult(2) 1/16 + add(3) 3/8 +
     * shifter(16) 16*4*0.1 = 6.4 + add(16) 2 + [add(9) 9/8 + shifter(48) 48*6*0.1 = 28.8 +
     * add(48) 6] / 16 */
    NEAR(mac_pj(u, "mac:mls,e=2,m=1,group=16,gbits=8", 0),
         1.0 / 16 + 3.0 / 8 + 6.4 + 2 + (9.0 / 8 + 28.8 + 6) / 16);
    /* /ops rows: forward of a 10-MAC layer, int8 x int8, bytes as float32 storage */
    lb_op_row op = {"fc", "forward", 10, "int8", "int8", 40, 80, 20, 1};
    lb_energy_row r;
    CHECK(lb_energy_rows(u, &op, 1, NULL, NULL, NULL, 0, &r, &err) == LB_OK, "%s", err.msg);
    NEAR(r.compute_pj, 40.0);
    NEAR(r.memory_pj, 0.1 * (10 * 8 + 20 * 8 + 5 * 8)); /* 6.4/64 per bit */
    /* overriding W with fp32 makes the MAC fp32 (the wider operand decides) */
    CHECK(lb_energy_rows(u, &op, 1, "fp32", NULL, NULL, 0, &r, &err) == LB_OK, "%s", err.msg);
    CHECK(!strcmp(r.mac, "fp32"), "override: %s", r.mac);
    lb_units_free(u);

    /* the real table: monotone in width for every model */
    CHECK(lb_units_load(&u, LB_SOURCE_DIR "/energy_model/units/horowitz45.csv", &err) == LB_OK,
          "%s", err.msg);
    if (u) {
        char spec[96];
        double prev = 0;
        for (int m = 1; m <= 23; m++) {
            snprintf(spec, sizeof spec, "mac:fp,e=8,m=%d", m);
            double v = mac_pj(u, spec, 0);
            CHECK(v > prev, "fp m=%d not above m=%d", m, m - 1);
            prev = v;
        }
        prev = 0;
        for (int b = 4; b <= 32; b++) {
            snprintf(spec, sizeof spec, "mac:int,bits=%d", b);
            double v = mac_pj(u, spec, 0);
            CHECK(v > prev, "int %d", b);
            prev = v;
        }
        prev = 0;
        for (int t = 8; t <= 16; t++) {
            snprintf(spec, sizeof spec, "mac:lns-pwl,bits=%d,frac=%d", t, t - 8);
            double v = mac_pj(u, spec, 0);
            CHECK(v > prev, "lns-pwl %d", t);
            prev = v;
        }
        lb_units_cost(u, "int_add", 16, &e, &a);
        CHECK(fabs(e - 0.05) < 0.005, "horowitz int_add(16) %g (published 0.05)", e);
        /* every registered format maps to a MAC model (its family's), costed exactly like the
         * explicit model it names (MX: the documented mls(e, m, 32, 8)) */
        int nreg;
        const lb_registry_entry *reg = lb_registry(&nreg);
        for (int i = 0; i < nreg; i++) {
            lb_format f;
            lb_mac_model mm;
            char spec[128];
            CHECK(lb_format_parse(&f, reg[i].name, &err) == LB_OK, "%s parses", reg[i].name);
            CHECK(lb_format_mac(&f, &mm, &err) == LB_OK, "%s: no MAC model: %s", reg[i].name,
                  err.msg);
            lb_mac_model_spec(&mm, spec, sizeof spec);
            double a1 = mac_pj(u, reg[i].name, 0), a2 = mac_pj(u, spec, 0);
            CHECK(a1 > 0 && a1 == a2, "%s: %g pJ, its model %s %g pJ", reg[i].name, a1, spec, a2);
        }
        NEAR(mac_pj(u, "mxfp4_e2m1", 0), mac_pj(u, "mac:mls,e=2,m=1,group=32,gbits=8", 0));
        NEAR(mac_pj(u, "mac:mx,e=2,m=1", 0), mac_pj(u, "mac:mls,e=2,m=1,group=32,gbits=8", 0));
        lb_units_free(u);
    }

    /* errors name the file and line */
    CHECK(lb_units_load(&u, "/nonexistent/units.csv", &err) == LB_ERR_IO &&
              strstr(err.msg, "/nonexistent/units.csv"),
          "missing: %s", err.msg);
    CHECK(lb_units_load(&u, write_tmp("primitive,bits,energy_pj,area_um2\nint_add,8,x,1\n"),
                        &err) == LB_ERR_DATA &&
              strstr(err.msg, ":2:"),
          "bad number: %s", err.msg);
    CHECK(lb_units_load(&u, write_tmp("primitive,bits,energy_pj,area_um2\nint_add,8,1,1\n"),
                        &err) == LB_ERR_DATA &&
              strstr(err.msg, "int_mult"),
          "missing primitive: %s", err.msg);
    lb_mac m;
    CHECK(lb_mac_parse(&m, "mac:foo,bits=3", &err) == LB_ERR_SPEC, "unknown kind");
    CHECK(lb_mac_parse(&m, "mac:int", &err) == LB_ERR_SPEC && strstr(err.msg, "'bits'"),
          "missing key named: %s", err.msg);
    CHECK(lb_mac_parse(&m, "mac:mls,e=2,m=1,group=0,gbits=8", &err) == LB_ERR_SPEC &&
              strstr(err.msg, "'group'"),
          "group=0 names the key: %s", err.msg);
    CHECK(lb_mac_parse(&m, "mac:int,bits=8,bogus=1", &err) == LB_ERR_SPEC &&
              strstr(err.msg, "'bogus'"),
          "unknown key named: %s", err.msg);
    CHECK(lb_mac_parse(&m, "mls:e=2,m=1,group=0", &err) == LB_ERR_SPEC &&
              strstr(err.msg, "'group'"),
          "an MLS format over a whole axis has no MAC model, and says why: %s", err.msg);
    CHECK(lb_mac_parse(&m, "nosuchformat", &err) == LB_ERR_SPEC, "unknown format");
    unlink(write_tmp(""));
    return lb_check_summary("test_energy");
}
