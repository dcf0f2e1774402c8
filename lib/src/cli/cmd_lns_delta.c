/* cli/cmd_lns_delta.c — `lowbit lns-delta --bits T --frac F --approx exact|lut|pwl:NAME
 * [--tables FILE]`: Δ+ and Δ- of LNS addition as integer codes for every code d in
 * [0, 16·2^F), CSV on stdout (columns d,dplus,dminus; dminus at d = 0 is the cancellation,
 * printed as 0). NAME is a config of the table file (default: the published tables shipped in
 * share/lowbit/ beside the executable's bin/; LOWBIT_PWL_TABLES or --tables overrides) or a CSV
 * file of one table. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lowbit/lnsadd.h"

const char *lb_cli_pwl_tables(void)
{
    const char *t = getenv("LOWBIT_PWL_TABLES");
    return t && *t ? t : lb_gemm_lns_tables();
}

int lb_cli_parse_int(const char *opt, const char *v, long lo, long hi, int *out)
{
    char *e;
    long x = strtol(v, &e, 10);
    if (!*v || *e || x < lo || x > hi)
        return lb_cli_error("%s '%s': expected an integer in %ld..%ld", opt, v, lo, hi);
    *out = (int)x;
    return 0;
}

int lb_cmd_lns_delta(int argc, char **argv)
{
    int bits = 0, frac = -1;
    const char *approx = NULL, *tables = lb_cli_pwl_tables();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc || a[0] != '-')
            return lb_cli_error("lns-delta: option %s needs a value (or is unknown)", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--bits")) {
            if (lb_cli_parse_int("lns-delta: --bits", v, 6, 24, &bits)) return LB_EXIT_USAGE;
        } else if (!strcmp(a, "--frac")) {
            if (lb_cli_parse_int("lns-delta: --frac", v, 2, 10, &frac)) return LB_EXIT_USAGE;
        } else if (!strcmp(a, "--approx")) {
            approx = v;
        } else if (!strcmp(a, "--tables")) {
            tables = v;
        } else {
            return lb_cli_error("lns-delta: unknown option %s (--bits --frac --approx --tables)",
                                a);
        }
    }
    if (!bits || frac < 0 || !approx)
        return lb_cli_error("lns-delta: --bits T, --frac F and --approx exact|lut|pwl:NAME are "
                            "required");
    lb_lns_adder ad;
    lb_error err;
    if (lb_lns_adder_from_spec(&ad, bits, frac, approx, tables, &err))
        return lb_cli_error("lns-delta: %s", err.msg);
    printf("d,dplus,dminus\n");
    for (int32_t d = 0; d < ad.n; d++)
        printf("%d,%d,%d\n", d, ad.dp[d], d ? ad.dm[d] : 0);
    lb_lns_adder_free(&ad);
    if (fflush(stdout) || ferror(stdout)) return lb_cli_error("lns-delta: write error");
    return 0;
}
