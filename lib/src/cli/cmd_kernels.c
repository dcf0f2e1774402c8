/* cli/cmd_kernels.c — `lowbit kernels [--csv]`: the GEMM kernels `lowbit train --gemm` takes, in
 * lib/src/gemm/kernels.def order: name, whether it is the scalar -ref twin of another kernel,
 * a description and the keys it accepts. The CSV is what the workflow reads. */
#include <string.h>

#include "cli/cli.h"
#include "lowbit/gemm.h"

int lb_cmd_kernels(int argc, char **argv)
{
    int csv = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--csv"))
            csv = 1;
        else
            return lb_cli_error("kernels: unknown option '%s' (accepted: --csv)", argv[i]);
    }
    const char *const *names = lb_gemm_names();
    if (csv)
        printf("name,ref,description,keys\n");
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
            putchar('\n');
        } else
            printf("%-18s %-3s %s%s%s%s\n", names[i], ref ? "yes" : "", lb_gemm_describe(names[i]),
                   keys && *keys ? " [" : "", keys ? keys : "", keys && *keys ? "]" : "");
    }
    return 0;
}
