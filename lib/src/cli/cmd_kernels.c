/* cli/cmd_kernels.c — `lowbit kernels [--csv] [--spec SPEC]...`: the GEMM kernels `lowbit train
 * --gemm` takes, in lib/src/gemm/kernels.def order (or the kernels of the given specs, each
 * created to check it: a bad name or key exits 2 naming it): name, ref (1: the scalar -ref twin
 * of another kernel), description, keys (accepted), spec (canonical, every parameter; the list
 * gives the name). The CSV is what the workflow reads. */
#include <string.h>

#include "cli/cli.h"
#include "lowbit/gemm.h"

int lb_cmd_kernels(int argc, char **argv)
{
    int csv = 0, nspec = 0;
    const char *specs[64];
    char canon[64][160], kname[64][160];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--csv"))
            csv = 1;
        else if (!strcmp(argv[i], "--spec") && i + 1 < argc && nspec < 64)
            specs[nspec++] = argv[++i];
        else
            return lb_cli_error("kernels: unknown option '%s' (accepted: --csv, --spec SPEC)",
                                argv[i]);
    }
    for (int i = 0; i < nspec; i++) { /* check every spec before printing anything */
        lb_gemm_kernel *k;
        lb_error err;
        if (lb_gemm_create(&k, specs[i], &err)) return lb_cli_error("--spec: %s", err.msg);
        snprintf(canon[i], sizeof canon[i], "%s", lb_gemm_spec(k));
        lb_gemm_destroy(k);
    }
    /* the rows: every registered kernel, or the kernel of each spec (name: before the ':' of
     * its canonical spec) */
    const char *spec_of[65] = {0}, *given[65];
    const char *const *names = lb_gemm_names();
    if (nspec) {
        for (int i = 0; i < nspec; i++) {
            snprintf(kname[i], sizeof kname[i], "%.*s", (int)strcspn(canon[i], ":"), canon[i]);
            given[i] = kname[i];
            spec_of[i] = canon[i];
        }
        given[nspec] = NULL;
        names = given;
    }
    if (csv)
        printf("name,ref,description,keys,spec\n");
    else
        printf("%-18s %-3s %s\n", "name", "ref", "description [keys]");
    for (int i = 0; names[i]; i++) {
        size_t n = strlen(names[i]);
        int ref = n > 4 && !strcmp(names[i] + n - 4, "-ref");
        const char *keys = lb_gemm_keys_help(names[i]);
        if (csv) {
            printf("%s,%d,", names[i], ref);
            lb_cli_csv_field(stdout, lb_gemm_describe(names[i]));
            putchar(',');
            lb_cli_csv_field(stdout, keys ? keys : "");
            putchar(',');
            lb_cli_csv_field(stdout, spec_of[i] ? spec_of[i] : names[i]);
            putchar('\n');
        } else
            printf("%-18s %-3s %s%s%s%s\n", names[i], ref ? "yes" : "", lb_gemm_describe(names[i]),
                   keys && *keys ? " [" : "", keys ? keys : "", keys && *keys ? "]" : "");
    }
    return 0;
}
