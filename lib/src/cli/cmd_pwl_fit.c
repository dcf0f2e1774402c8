/* cli/cmd_pwl_fit.c — `lowbit pwl-fit --bits T --frac F [--segments 16] [--seed S]
 * [--cost mean|max|weighted] [--histogram H.csv] [--iters N] [--x-ub 12] [--name NAME]
 * --out TABLE.csv`: a PWL table for LNS addition at one bit-width by simulated annealing
 * (lowbit/lnsadd.h: lb_pwl_fit), written in the layout of the published tables. Progress on
 * stderr (function, move, temperature, best cost); the last line gives the start and final cost
 * of Δ+ and Δ-, re-evaluated from the written table. The histogram (weighted cost) is a CSV
 * with the header d,count: counts of the integer code d in [0, 16·2^F] (the last: every larger
 * d; ignored, every approximation is 0 there), as `lowbit train --gemm lns-...,dhist=1` writes
 * to RUN.h5.dhist.csv. */
#include <errno.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lowbit/lnsadd.h"

static void progress(void *arg, int plus, long it, double temp, double best)
{
    const long *iters = arg;
    fprintf(stderr, "pwl-fit: %s move %ld/%ld T=%.3g best=%.6g\n",
            plus ? "delta_plus " : "delta_minus", it, *iters, temp, best);
}

static int read_histogram(const char *path, int frac, double *w)
{
    FILE *fp = fopen(path, "r");
    if (!fp) return lb_cli_error("pwl-fit: %s: %s", path, strerror(errno));
    char line[256];
    int lineno = 0, n = 16 << frac, rows = 0;
    for (int d = 0; d < n; d++)
        w[d] = 0;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        if (lineno == 1) {
            if (strcmp(line, "d,count")) {
                fclose(fp);
                return lb_cli_error("pwl-fit: %s:1: expected the header d,count", path);
            }
            continue;
        }
        if (!line[0]) continue;
        char *e1, *e2;
        long d = strtol(line, &e1, 10);
        double c = *e1 == ',' ? strtod(e1 + 1, &e2) : -1;
        if (*e1 != ',' || *e2 || d < 0 || d > n || !(c >= 0)) {
            fclose(fp);
            return lb_cli_error("pwl-fit: %s:%d: expected d,count with 0 <= d <= %d, count >= 0",
                                path, lineno, n);
        }
        if (d < n) w[d] += c; /* d = 16·2^F: the run's bin of larger d, where every Δ is 0 */
        rows++;
    }
    fclose(fp);
    if (!rows) return lb_cli_error("pwl-fit: %s: no rows", path);
    return 0;
}

int lb_cmd_pwl_fit(int argc, char **argv)
{
    int bits = 0, frac = -1, segments = 16, iters_i = 1000000;
    unsigned long long seed = 1;
    double x_ub = 12.0;
    const char *out = NULL, *cost = "mean", *hist = NULL, *name = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc || a[0] != '-')
            return lb_cli_error("pwl-fit: option %s needs a value (or is unknown)", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--bits")) {
            if (lb_cli_parse_int("pwl-fit: --bits", v, 6, 24, &bits)) return LB_EXIT_USAGE;
        } else if (!strcmp(a, "--frac")) {
            if (lb_cli_parse_int("pwl-fit: --frac", v, 2, 10, &frac)) return LB_EXIT_USAGE;
        } else if (!strcmp(a, "--segments")) {
            if (lb_cli_parse_int("pwl-fit: --segments", v, 2, LB_PWL_MAXSEG, &segments))
                return LB_EXIT_USAGE;
        } else if (!strcmp(a, "--iters")) {
            if (lb_cli_parse_int("pwl-fit: --iters", v, 0, 100000000, &iters_i))
                return LB_EXIT_USAGE;
        } else if (!strcmp(a, "--seed")) {
            if (lb_cli_parse_u64(v, &seed))
                return lb_cli_error("pwl-fit: --seed '%s' is not a non-negative integer", v);
        } else if (!strcmp(a, "--x-ub")) {
            char *e;
            x_ub = strtod(v, &e);
            if (!*v || *e || !(x_ub > 0 && x_ub <= 16))
                return lb_cli_error("pwl-fit: --x-ub '%s': expected a number in (0, 16]", v);
        } else if (!strcmp(a, "--cost")) {
            cost = v;
        } else if (!strcmp(a, "--histogram")) {
            hist = v;
        } else if (!strcmp(a, "--out")) {
            out = v;
        } else if (!strcmp(a, "--name")) {
            name = v;
        } else {
            return lb_cli_error("pwl-fit: unknown option %s (--bits --frac --segments --seed "
                                "--cost --histogram --iters --x-ub --name --out)",
                                a);
        }
    }
    if (!bits || frac < 0 || !out)
        return lb_cli_error("pwl-fit: --bits T, --frac F and --out TABLE.csv are required");
    if (frac > bits - 4)
        return lb_cli_error("pwl-fit: --frac %d leaves no integer bits in a %d-bit LNS", frac,
                            bits);
    lb_pwl_fit_opts o;
    memset(&o, 0, sizeof o);
    o.frac = frac, o.segments = segments, o.x_ub = x_ub, o.seed = seed;
    o.iters = iters_i, o.t0 = 0.05, o.t1 = 1e-4;
    if (!strcmp(cost, "mean"))
        o.cost = LB_PWL_COST_MEAN;
    else if (!strcmp(cost, "max"))
        o.cost = LB_PWL_COST_MAX;
    else if (!strcmp(cost, "weighted"))
        o.cost = LB_PWL_COST_WEIGHTED;
    else
        return lb_cli_error("pwl-fit: --cost '%s': expected mean, max or weighted", cost);
    if ((o.cost == LB_PWL_COST_WEIGHTED) != (hist != NULL))
        return lb_cli_error("pwl-fit: --histogram H.csv goes with --cost weighted (and only "
                            "with it)");
    lb_error err;
    if (name && lb_pwl_check_name(name, &err)) return lb_cli_error("pwl-fit: --name: %s", err.msg);
    /* fail before the work: --out must be a writable file path (the table is written under
     * OUT.tmp and renamed; a directory, or a missing or read-only directory, fails here) */
    {
        char tmp[4096];
        if (snprintf(tmp, sizeof tmp, "%s.tmp", out) >= (int)sizeof tmp)
            return lb_cli_error("pwl-fit: --out '%.80s...' is too long", out);
        struct stat sb;
        if (!stat(out, &sb) && S_ISDIR(sb.st_mode))
            return lb_cli_error("pwl-fit: --out %s is a directory", out);
        FILE *fp = fopen(tmp, "w");
        if (!fp)
            return lb_cli_error("pwl-fit: --out %s: cannot write %s: %s", out, tmp,
                                strerror(errno));
        fclose(fp);
        remove(tmp);
    }
    double *w = NULL;
    if (hist) {
        w = malloc(sizeof *w * (size_t)(16 << frac));
        if (!w) return lb_cli_error("pwl-fit: out of memory");
        if (read_histogram(hist, frac, w)) return free(w), LB_EXIT_USAGE;
        o.weights = w;
    }
    long iters = o.iters;
    o.progress = progress, o.arg = &iters;
    char nm[64];
    snprintf(nm, sizeof nm, "%s", name ? name : "annealed");
    lb_pwl_table t;
    double c0[2], c1[2];
    lb_status st = lb_pwl_fit(&o, nm, &t, c0, c1, &err);
    if (!st) st = lb_pwl_write(out, &t, &err);
    if (st) {
        free(w);
        return lb_cli_error("pwl-fit: %s", err.msg);
    }
    fprintf(stderr,
            "pwl-fit: %d/%d %s cost: delta_plus %.6g -> %.6g, delta_minus %.6g -> %.6g "
            "(table %s: %.6g, %.6g)\n",
            bits, frac, cost, c0[0], c1[0], c0[1], c1[1], out, lb_pwl_cost_of(&o, &t, 1),
            lb_pwl_cost_of(&o, &t, 0));
    free(w);
    return 0;
}
