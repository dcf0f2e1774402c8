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
#include "lowbit/gemm.h"

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

/* row o with operand formats fa, fb */
static lb_op_row with_formats(lb_op_row o, const char *fa, const char *fb)
{
    snprintf(o.fmt_a, sizeof o.fmt_a, "%s", fa);
    snprintf(o.fmt_b, sizeof o.fmt_b, "%s", fb);
    return o;
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
    /* FP16 accumulation (acc=16: ea 5, ma 10, w = 14): mult(11) + add(6) + [add(5) +
     * shifter(14) 14*4*0.1 + add(14) + lzd(14) 14*4/2*0.1 + shifter(14) + add(5)] */
    NEAR(mac_pj(u, "mac:fp,e=5,m=10,acc=16", 0),
         121.0 / 64 + 0.75 + 0.625 + 5.6 + 14.0 / 8 + 2.8 + 5.6 + 0.625);
    NEAR(mac_pj(u, "mac:fp,e=5,m=10,acc=32", 0), mac_pj(u, "fp16", 0));
    {
        lb_mac m;
        lb_mac_cost c;
        CHECK(lb_mac_parse(&m, "mac:fp,e=4,m=3,acc=24", &err) == LB_OK, "%s", err.msg);
        CHECK(lb_mac_cost_get(u, &m, &c, &err) == LB_ERR_SPEC && strstr(err.msg, "acc"),
              "an FP accumulator of 24 bits is refused: %s", err.msg);
    }
    /* an FP accumulator of any width (the fpacc kernel's eXmY): fp8 e4m3 products into e5m7,
     * w = 11: mult(4) 0.25 + add(5) 0.625 + [add(5) 0.625 + shifter(11) 11*4*0.1 = 4.4 +
     * add(11) 1.375 + lzd(11) 2.2 + shifter(11) 4.4 + add(5) 0.625 = 13.625] */
    NEAR(mac_pj(u, "mac:fp,e=4,m=3,ae=5,am=7", 0), 0.875 + 13.625);
    NEAR(mac_pj(u, "mac:fp,e=4,m=3,ae=5,am=7,acc=13", 0), 0.875 + 13.625);
    NEAR(mac_pj(u, "mac:fp,e=5,m=10,ae=5,am=10", 0), mac_pj(u, "mac:fp,e=5,m=10,acc=16", 0));
    /* promote=128: one FP32 accumulation per 128 products, [add(8) 1 + shifter(27) 13.5 +
     * add(27) 3.375 + lzd(27) 6.75 + shifter(27) 13.5 + add(8) 1 = 39.125] / 128; kahan=1:
     * four accumulations per product */
    NEAR(mac_pj(u, "mac:fp,e=4,m=3,ae=5,am=7,promote=128", 0), 0.875 + 13.625 + 39.125 / 128);
    NEAR(mac_pj(u, "mac:fp,e=4,m=3,ae=5,am=7,kahan=1", 0), 0.875 + 4 * 13.625);
    {
        static const char *const bad[] = {"mac:fp,e=4,m=3,ae=5",
                                          "mac:fp,e=4,m=3,am=7",
                                          "mac:fp,e=4,m=3,ae=5,am=7,acc=16",
                                          "mac:int,bits=8,promote=4",
                                          "mac:fp,e=4,m=3,ae=1,am=7",
                                          "mac:fp,e=4,m=3,ae=5,am=53"};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            lb_mac m;
            CHECK(lb_mac_parse(&m, bad[i], &err) == LB_ERR_SPEC && strstr(err.msg, bad[i]),
                  "%s refused with its name: %s", bad[i], err.msg);
        }
        lb_mac m;
        CHECK(lb_mac_parse(&m, "mac:fp,e=4,m=3,ae=5,am=7,promote=128", &err) == LB_OK &&
                  lb_mac_acc_width(&m) == 13 + 32,
              "an e5m7 accumulator promoted to FP32 keeps 13 + 32 bits per output");
    }
    /* LNS-Madam lns8 (L = 7, F = 3) at the kernel's defaults acc 40, table 8, K = 64:
     * add(8) 1 + decode(8) 0.8 + shifter(40) 40*6*0.1 = 24 + add(40) 5 + per dot product
     * [8 mult(sqrt(40*9)) = 8*360/64 = 45 + 8 add(48) = 48 + lzd(48) = 48*6/2*0.1 = 14.4 +
     * 8 add(30) = 30] / 64 */
    NEAR(mac_pj(u, "lns8", 64), 1 + 0.8 + 24 + 5 + (45 + 48 + 14.4 + 30) / 64.0);
    /* 24-bit bins: shifter(24) 12 + add(24) 3 + [8 mult(sqrt(24*9)) = 8*216/64 = 27 + 8 add(32)
     * = 32 + lzd(32) = 8 + 30] / 64 */
    NEAR(mac_pj(u, "mac:lns-binned,bits=8,frac=3,acc=24", 64),
         1 + 0.8 + 12 + 3 + (27 + 32 + 8 + 30) / 64.0);
    /* the per-dot-product work shrinks with K: K = 4 costs (137.4 - 0) / 4 more than K = 64 */
    NEAR(mac_pj(u, "lns8", 4) - mac_pj(u, "lns8", 64), 137.4 / 4 - 137.4 / 64);
    /* MLS e2 m1, group 16, G 8 at the kernel's defaults gacc 32, acc 64: mult(2) 1/16 + add(3)
     * 3/8 + shifter(32) 32*5*0.1 = 16 + add(32) 4 + [add(9) 9/8 + shifter(64) 64*6*0.1 = 38.4 +
     * add(64) 8] / 16 */
    NEAR(mac_pj(u, "mac:mls,e=2,m=1,group=16,gbits=8", 0),
         1.0 / 16 + 3.0 / 8 + 16 + 4 + (9.0 / 8 + 38.4 + 8) / 16);
    /* gacc 16, acc 48: shifter(16) 6.4 + add(16) 2 + [9/8 + shifter(48) 28.8 + add(48) 6] / 16 */
    NEAR(mac_pj(u, "mac:mls,e=2,m=1,group=16,gbits=8,gacc=16,acc=48", 0),
         1.0 / 16 + 3.0 / 8 + 6.4 + 2 + (9.0 / 8 + 28.8 + 6) / 16);

    /* GEMM shapes from /ops rows: a linear layer B = 2, 4 -> 3 (n_w 12) in all three passes
     * and a conv (1 image, 1x3x3 in, 2 maps of 2x2, 2x2 kernels: n_w 8, K = 4, P = 4) */
    struct {
        lb_op_row o;
        int64_t M, N, K;
    } shp[] = {{{"fc", "forward", 24, "int8", "int8", 32, 48, 24, 2}, 2, 3, 4},
               {{"fc", "backward_data", 24, "int8", "int8", 24, 48, 32, 2}, 2, 4, 3},
               {{"fc", "backward_weight", 24, "int8", "int8", 24, 32, 48, 2}, 3, 4, 2},
               {{"cv", "forward", 32, "int8", "int8", 36, 32, 32, 1}, 4, 2, 4}};
    for (size_t i = 0; i < sizeof shp / sizeof shp[0]; i++) {
        int64_t M, N, K;
        CHECK(lb_energy_shape(&shp[i].o, &M, &N, &K, &err) == LB_OK, "%s", err.msg);
        CHECK(M == shp[i].M && N == shp[i].N && K == shp[i].K,
              "%s %s: (%lld, %lld, %lld), want (%lld, %lld, %lld)", shp[i].o.layer, shp[i].o.pass,
              (long long)M, (long long)N, (long long)K, (long long)shp[i].M, (long long)shp[i].N,
              (long long)shp[i].K);
    }
    {
        lb_op_row bad = shp[0].o;
        int64_t M, N, K;
        bad.macs = 25;
        CHECK(lb_energy_shape(&bad, &M, &N, &K, &err) == LB_ERR_DATA, "inconsistent row");
    }
    /* int8 x int8 forward of the linear layer (M 2, N 3, K 4): compute 24 MACs x 4 pJ. Memory
     * (0.1 pJ per bit): the default buffer holds every output (C = 32768/24 accumulators), so
     * A (8 elements) and B (12) are read once and C (6) written once, 8 bits each */
    lb_op_row op = shp[0].o;
    lb_energy_row r;
    CHECK(lb_energy_rows(u, &op, 1, NULL, &r, &err) == LB_OK, "%s", err.msg);
    NEAR(r.compute_pj, 96.0);
    NEAR(r.memory_pj, 0.1 * 8 * (8 + 12 + 6));
    CHECK(r.m == 2 && r.n == 3 && r.k == 4 && r.tile_m == 2 && r.tile_n == 3, "tile %lld x %lld",
          (long long)r.tile_m, (long long)r.tile_n);
    /* a buffer of one accumulator (3 bytes = 24 bits): A read once per output column (3 x 8),
     * B once per output row (2 x 12) */
    lb_energy_opts eo = {0};
    eo.buffer_bytes = 3;
    CHECK(lb_energy_rows(u, &op, 1, &eo, &r, &err) == LB_OK, "%s", err.msg);
    NEAR(r.memory_pj, 0.1 * 8 * (24 + 24 + 6));
    /* bits per element from the format: MLS e2m1 group 16 G 8 is 4 + 8/16 = 4.5 bits; the
     * output at the wider operand's */
    op = shp[0].o;
    snprintf(op.fmt_a, sizeof op.fmt_a, "mls:e=2,m=1,gbits=8,group=16");
    snprintf(op.fmt_b, sizeof op.fmt_b, "int8");
    CHECK(lb_energy_rows(u, &op, 1, NULL, &r, &err) == LB_OK, "%s", err.msg);
    NEAR(r.memory_pj, 0.1 * (8 * 4.5 + 12 * 8 + 6 * 8));
    /* overriding W with fp32 makes the MAC fp32 (the wider operand decides) */
    op = shp[0].o;
    eo = (lb_energy_opts){0};
    eo.w_fmt = "fp32";
    CHECK(lb_energy_rows(u, &op, 1, &eo, &r, &err) == LB_OK, "%s", err.msg);
    CHECK(!strcmp(r.mac, "fp32"), "override: %s", r.mac);
    /* FP accumulator as an option: fp16 operands, FP16 accumulation */
    eo = (lb_energy_opts){0};
    eo.w_fmt = eo.a_fmt = eo.e_fmt = "fp16";
    eo.acc_bits = 16;
    CHECK(lb_energy_rows(u, &op, 1, &eo, &r, &err) == LB_OK, "%s", err.msg);
    NEAR(r.mac_pj, mac_pj(u, "mac:fp,e=5,m=10,acc=16", 0));

    /* the datapath of a bit-true kernel, read through the kernel registry */
    lb_gemm_kernel *gk = NULL;
    lb_mac_model dp;
    CHECK(lb_gemm_create(&gk, "lns-binned:frac=3,acc=24", &err) == LB_OK, "%s", err.msg);
    CHECK(gk && lb_gemm_mac(gk, &dp, &err) == LB_OK && dp.kind == LB_MAC_LNS_BINNED &&
              dp.acc == 24 && dp.table == 8 && dp.frac == 3 && dp.bits == 0,
          "lns-binned datapath: kind %d acc %d table %d frac %d", dp.kind, dp.acc, dp.table,
          dp.frac);
    lb_gemm_destroy(gk);
    /* an LNS-Madam run (lns8 operands, K = 4 from the row) priced with that datapath costs what
     * the explicit 24-bit model costs at K = 4, not the 40-bit default */
    op = with_formats(shp[0].o, "lns8", "lns8");
    eo = (lb_energy_opts){0};
    eo.datapath = &dp;
    CHECK(lb_energy_rows(u, &op, 1, &eo, &r, &err) == LB_OK, "%s", err.msg);
    NEAR(r.mac_pj, mac_pj(u, "mac:lns-binned,bits=8,frac=3,acc=24", 4));
    CHECK(strstr(r.mac, "acc=24") != NULL, "datapath named: %s", r.mac);
    CHECK(lb_energy_rows(u, &op, 1, NULL, &r, &err) == LB_OK, "%s", err.msg);
    NEAR(r.mac_pj, mac_pj(u, "lns8", 4));
    /* ... and on float operands it refuses */
    CHECK(lb_energy_rows(u, &shp[0].o, 1, &eo, &r, &err) == LB_ERR_SPEC, "binned on int8");
    /* MLS kernel: its widths, its operands (fp32 in /ops) stored at 4.5 bits */
    CHECK(lb_gemm_create(&gk, "mls:e=2,m=1,gbits=8,group=16,gacc=16,acc=48", &err) == LB_OK, "%s",
          err.msg);
    CHECK(gk && lb_gemm_mac(gk, &dp, &err) == LB_OK && dp.kind == LB_MAC_MLS && dp.gacc == 16 &&
              dp.acc == 48 && dp.e == 2 && dp.m == 1 && dp.group == 16 && dp.gbits == 8,
          "mls datapath");
    lb_gemm_destroy(gk);
    op = with_formats(shp[0].o, "fp32", "fp32");
    CHECK(lb_energy_rows(u, &op, 1, &eo, &r, &err) == LB_OK, "%s", err.msg);
    NEAR(r.mac_pj, mac_pj(u, "mac:mls,e=2,m=1,group=16,gbits=8,gacc=16,acc=48", 0));
    NEAR(r.memory_pj, 0.1 * 4.5 * (8 + 12 + 6));
    /* fpacc: the operands' own products (fp8 e4m3 recorded), its accumulator, promotion and
     * Kahan; the name it is priced under says so */
    CHECK(lb_gemm_create(&gk, "fpacc:acc=e5m7,promote=128,kahan=1", &err) == LB_OK, "%s", err.msg);
    CHECK(gk && lb_gemm_mac(gk, &dp, &err) == LB_OK && dp.kind == LB_MAC_FP && dp.e == 0 &&
              dp.m == 0 && dp.acc_e == 5 && dp.acc_m == 7 && dp.promote == 128 && dp.kahan == 1,
          "fpacc datapath: kind %d e%dm%d promote %d kahan %d", dp.kind, dp.acc_e, dp.acc_m,
          dp.promote, dp.kahan);
    lb_gemm_destroy(gk);
    op = with_formats(shp[0].o, "fp8_e4m3", "fp8_e4m3");
    CHECK(lb_energy_rows(u, &op, 1, &eo, &r, &err) == LB_OK, "%s", err.msg);
    NEAR(r.mac_pj, mac_pj(u, "mac:fp,e=4,m=3,ae=5,am=7,promote=128,kahan=1", 0));
    CHECK(strstr(r.mac, "mac:fp,e=4,m=3,ae=5,am=7,promote=128,kahan=1") != NULL,
          "fpacc datapath named: %s", r.mac);
    /* the same run as fake quantization: an FP32 accumulator, cheaper than Kahan in e5m7 */
    {
        lb_energy_row r0;
        CHECK(lb_energy_rows(u, &op, 1, NULL, &r0, &err) == LB_OK, "%s", err.msg);
        NEAR(r0.mac_pj, mac_pj(u, "mac:fp,e=4,m=3", 0));
        CHECK(r0.mac_pj < r.mac_pj, "fp32 accumulation %g vs Kahan e5m7 %g", r0.mac_pj, r.mac_pj);
    }
    /* an accumulator override replaces the kernel's: --acc fp16 prices FP16 accumulation */
    eo.fp_acc = 16;
    CHECK(lb_energy_rows(u, &op, 1, &eo, &r, &err) == LB_OK, "%s", err.msg);
    NEAR(r.mac_pj, mac_pj(u, "mac:fp,e=4,m=3,acc=16,promote=128,kahan=1", 0));
    eo.fp_acc = 0;
    /* ... and integer operands have no floating-point product to accumulate */
    CHECK(lb_energy_rows(u, &shp[0].o, 1, &eo, &r, &err) == LB_ERR_SPEC && strstr(err.msg, "int8"),
          "fpacc on int8: %s", err.msg);
    /* float kernels have no datapath of their own */
    CHECK(lb_gemm_create(&gk, "fp32", &err) == LB_OK, "%s", err.msg);
    CHECK(gk && lb_gemm_mac(gk, &dp, &err) == LB_ERR_ARG, "fp32 has no MAC model");
    lb_gemm_destroy(gk);
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
        for (int am = 1; am <= 23; am++) { /* the fpacc accumulator: wider costs more */
            snprintf(spec, sizeof spec, "mac:fp,e=4,m=3,ae=8,am=%d", am);
            double v = mac_pj(u, spec, 0);
            CHECK(v > prev, "fp accumulator am=%d not above am=%d", am, am - 1);
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
