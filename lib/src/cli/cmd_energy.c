/* cli/cmd_energy.c — `lowbit energy`: the hardware cost model (lowbit/energy.h).
 *   lowbit energy RUN.h5 [--units TABLE.csv] [--csv OUT.csv] [--formats w=S,a=S,e=S]
 *                        [--acc-bits N | --acc fp32|fp16] [--buffer BYTES] [--datapath D]
 *     one line per /ops row (layer, pass, MAC model, MACs, pJ/MAC, compute and memory pJ),
 *     then "compute", "memory" and a last line "total <pJ per training iteration>".
 *     The datapath priced is the run's: a run made with a bit-true --gemm kernel (attribute
 *     `gemm`) is costed with that kernel's widths (lb_gemm_create + lb_gemm_mac on the recorded
 *     spec), a run with float GEMMs with the defaults of its operand formats' MAC models.
 *     --datapath formats ignores the kernel (format defaults); --datapath KERNEL:params prices
 *     another kernel on the run's op counts. --formats implies --datapath formats. --acc fp16
 *     gives the floating-point MACs (only those) an FP16 accumulator; --acc-bits N sets the
 *     accumulator of every MAC. --buffer: the reuse model's on-chip output buffer (bytes).
 *   lowbit energy --mac SPEC [--units TABLE.csv] [--k K] [--acc-bits N | --acc fp16]
 *                 [--csv OUT.csv]
 *     energy (pJ) and area (µm²) of one MAC, with the breakdown. SPEC: any format spec (its
 *     family's MAC model) or an explicit model mac:KIND,key=value,...
 * --csv OUT.csv (or - for standard output, then nothing else is printed) writes the table with
 * stable columns, what scripts read:
 *   run:   layer,pass,mac,macs,mac_pj,compute_pj,memory_pj  and a last row
 *          total,,,,,<compute_pj>,<memory_pj>
 *   --mac: mac,model,multiply_pj,accumulate_pj,other_pj,energy_pj,area_um2
 *          (model: the explicit mac:KIND,... the spec maps to)
 * Exit 2 with one line for bad usage or input; the CSV is written under a temporary name and
 * renamed, so a failure leaves nothing half-written. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "lowbit/energy.h"
#include "lowbit/gemm.h"
#include "lowbit/info.h"
#include "lowbit/results.h"

static int parse_formats(const char *v, char *w, char *a, char *e, size_t len)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", v);
    /* items role=SPEC separated by ';' or by ',' before a role key */
    const char *p = buf;
    while (*p) {
        if (!((p[0] == 'w' || p[0] == 'a' || p[0] == 'e') && p[1] == '=')) return -1;
        char role = p[0];
        const char *s = p + 2, *end = s;
        while (*end && !((end[0] == ',' || end[0] == ';') &&
                         (end[1] == 'w' || end[1] == 'a' || end[1] == 'e') && end[2] == '='))
            end++;
        char *dst = role == 'w' ? w : role == 'a' ? a : e;
        snprintf(dst, len, "%.*s", (int)(end - s), s);
        if (!dst[0]) return -1;
        p = *end ? end + 1 : end;
    }
    return 0;
}

/* The CSV goes to a temporary name renamed at the end ("-": standard output). */
static FILE *open_out(const char *csv, char *tmp, size_t ntmp)
{
    if (!strcmp(csv, "-")) return stdout;
    snprintf(tmp, ntmp, "%s.tmp.%ld", csv, (long)getpid());
    return fopen(tmp, "w");
}

static int close_out(FILE *f, const char *csv, const char *tmp)
{
    if (f == stdout) return 0; /* main checks standard output */
    if (fclose(f) != 0 || rename(tmp, csv)) {
        unlink(tmp);
        return lb_cli_error("energy: %s: cannot write the CSV", csv);
    }
    return 0;
}

int lb_cmd_energy(int argc, char **argv)
{
    char tmp[4096];
    const char *run = NULL, *csv = NULL, *mac_spec = NULL, *fmts = NULL, *datapath = NULL;
    double buffer = 0;
    /* default unit table: LOWBIT_UNITS, else the one shipped beside the executable */
    char units_default[4096] = "horowitz45.csv";
    const char *units_path = getenv("LOWBIT_UNITS");
    if (!units_path || !*units_path) {
        lb_data_path("horowitz45.csv", units_default, sizeof units_default);
        units_path = units_default;
    }
    int acc = 0, fp_acc = 0, k = 256;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-') {
            if (run) return lb_cli_error("energy: more than one run file ('%s')", a);
            run = a;
            continue;
        }
        if (i + 1 >= argc)
            return lb_cli_error("energy: option %s needs a value (or is unknown)", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--units"))
            units_path = v;
        else if (!strcmp(a, "--csv"))
            csv = v;
        else if (!strcmp(a, "--mac"))
            mac_spec = v;
        else if (!strcmp(a, "--formats"))
            fmts = v;
        else if (!strcmp(a, "--datapath"))
            datapath = v;
        else if (!strcmp(a, "--acc")) {
            if (strcmp(v, "fp32") && strcmp(v, "fp16"))
                return lb_cli_error("energy: --acc '%s': fp32 or fp16", v);
            fp_acc = v[2] == '3' ? 32 : 16;
        } else if (!strcmp(a, "--buffer")) {
            char *e;
            buffer = strtod(v, &e);
            if (*e || !(buffer >= 1 && buffer <= 1e12))
                return lb_cli_error("energy: --buffer '%s' is not a byte count in [1, 1e12]", v);
        } else if (!strcmp(a, "--acc-bits") || !strcmp(a, "--k")) {
            char *e;
            long x = strtol(v, &e, 10);
            if (*e || x < 1 || x > (a[2] == 'k' ? 1L << 30 : 128))
                return lb_cli_error("energy: %s '%s' is not a valid integer", a, v);
            if (a[2] == 'k')
                k = (int)x;
            else
                acc = (int)x;
        } else
            return lb_cli_error("energy: unknown option '%s' (see: lowbit help)", a);
    }
    if (!run == !mac_spec) return lb_cli_error("energy: give a run file RUN.h5 or --mac SPEC");
    lb_error err;
    lb_units *u;
    if (lb_units_load(&u, units_path, &err)) return lb_cli_error("energy: %s", err.msg);
    int rc = 0;
    if (mac_spec) {
        lb_mac m;
        lb_mac_cost c;
        lb_status pst = lb_mac_parse(&m, mac_spec, &err);
        if (!pst) {
            m.k = k;
            /* an accumulator override replaces an fp model's ae/am accumulator too */
            int ov = acc ? acc : fp_acc && m.kind == LB_MAC_FP ? fp_acc : 0;
            if (ov) m.acc_bits = ov, m.acc_e = m.acc_m = 0;
        }
        if (pst || lb_mac_cost_get(u, &m, &c, &err)) {
            lb_units_free(u);
            return lb_cli_error("energy: --mac: %s", err.msg);
        }
        lb_units_free(u);
        lb_mac_model mm = {m.kind,     m.e,    m.m,     m.bits,  m.frac,  m.group,   m.gbits,
                           m.acc_bits, m.gacc, m.table, m.acc_e, m.acc_m, m.promote, m.kahan};
        char model[128];
        lb_mac_model_spec(&mm, model, sizeof model);
        if (csv) {
            FILE *f = open_out(csv, tmp, sizeof tmp);
            if (!f) return lb_cli_error("energy: %s: cannot write the CSV", csv);
            fprintf(f, "mac,model,multiply_pj,accumulate_pj,other_pj,energy_pj,area_um2\n");
            fprintf(f, "\"%s\",\"%s\",%.9g,%.9g,%.9g,%.9g,%.9g\n", mac_spec, model, c.mult_pj,
                    c.add_pj, c.other_pj, c.energy_pj, c.area_um2);
            return close_out(f, csv, tmp);
        }
        printf("mac %s\nmultiply_pj %.6g\naccumulate_pj %.6g\nother_pj %.6g\nenergy_pj "
               "%.6g\narea_um2 %.6g\n",
               mac_spec, c.mult_pj, c.add_pj, c.other_pj, c.energy_pj, c.area_um2);
        return 0;
    }
    char w[128] = "", a[128] = "", e[128] = "";
    if (fmts && parse_formats(fmts, w, a, e, sizeof w)) {
        lb_units_free(u);
        return lb_cli_error("energy: --formats '%s' is not w=SPEC,a=SPEC,e=SPEC", fmts);
    }
    lb_op_row *ops = NULL;
    size_t n = 0;
    lb_energy_row *rows = NULL;
    lb_results *res = NULL;
    lb_mac_model dp;
    int use_dp = 0;
    char kspec[256] = "";
    if (lb_results_read_ops(run, &ops, &n, &err)) {
        rc = lb_cli_error("energy: %s", err.msg);
        goto out;
    }
    /* the datapath: --datapath, else the run's recorded kernel (format-only if float) */
    if (datapath && strcmp(datapath, "formats"))
        snprintf(kspec, sizeof kspec, "%s", datapath);
    else if (!datapath && !fmts) {
        res = lb_results_new();
        if (!res || lb_results_read(res, run, &err)) {
            rc = lb_cli_error("energy: %s", res ? err.msg : "out of memory");
            goto out;
        }
        const char *g = lb_results_get_str(res, "gemm");
        snprintf(kspec, sizeof kspec, "%s", g ? g : "fp32");
    }
    if (kspec[0]) {
        lb_gemm_kernel *gk;
        if (lb_gemm_create(&gk, kspec, &err)) {
            rc = lb_cli_error("energy: %s: kernel '%s': %s", run, kspec, err.msg);
            goto out;
        }
        if (!lb_gemm_is_float(gk) && strncmp(kspec, "fp64", 4)) {
            if (lb_gemm_mac(gk, &dp, &err)) {
                lb_gemm_destroy(gk);
                rc = lb_cli_error("energy: %s: %s", run, err.msg);
                goto out;
            }
            use_dp = 1;
        }
        lb_gemm_destroy(gk);
    }
    rows = calloc(n, sizeof *rows);
    if (!rows) {
        rc = lb_cli_error("energy: out of memory");
        goto out;
    }
    lb_energy_opts eo = {
        w[0] ? w : NULL, a[0] ? a : NULL, e[0] ? e : NULL, use_dp ? &dp : NULL, acc,
        fp_acc,          buffer};
    if (lb_energy_rows(u, ops, n, &eo, rows, &err)) {
        rc = lb_cli_error("energy: %s: %s", run, err.msg);
        goto out;
    }
    double comp = 0, mem = 0;
    for (size_t i = 0; i < n; i++)
        comp += rows[i].compute_pj, mem += rows[i].memory_pj;
    if (!csv || strcmp(csv, "-")) {
        printf("%-12s %-16s %-28s %14s %10s %14s %14s\n", "layer", "pass", "mac", "macs", "pJ/mac",
               "compute_pJ", "memory_pJ");
        for (size_t i = 0; i < n; i++)
            printf("%-12s %-16s %-28s %14.0f %10.4f %14.6g %14.6g\n", rows[i].layer, rows[i].pass,
                   rows[i].mac, rows[i].macs, rows[i].mac_pj, rows[i].compute_pj,
                   rows[i].memory_pj);
        printf("compute %.6g\nmemory %.6g\ntotal %.6g\n", comp, mem, comp + mem);
    }
    if (csv) {
        FILE *f = open_out(csv, tmp, sizeof tmp);
        if (!f) {
            rc = lb_cli_error("energy: %s: cannot write the CSV", csv);
            goto out;
        }
        fprintf(f, "layer,pass,mac,macs,mac_pj,compute_pj,memory_pj\n");
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%s,%s,\"%s\",%.0f,%.9g,%.9g,%.9g\n", rows[i].layer, rows[i].pass,
                    rows[i].mac, rows[i].macs, rows[i].mac_pj, rows[i].compute_pj,
                    rows[i].memory_pj);
        fprintf(f, "total,,,,,%.9g,%.9g\n", comp, mem);
        rc = close_out(f, csv, tmp);
    } else
        rc = 0;
out:
    free(ops), free(rows);
    lb_results_free(res);
    lb_units_free(u);
    return rc;
}
