/* cli/cmd_formats.c — `lowbit formats [--csv]`: every registry entry with bits, range and a
 * description. The CSV is what the workflow and the report read. */
#include <string.h>

#include "cli/cli.h"

static void csv_field(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"') putchar('"');
        putchar(*s);
    }
    putchar('"');
}

int lb_cmd_formats(int argc, char **argv)
{
    int csv = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--csv")) csv = 1;
        else return lb_cli_error("formats: unknown option '%s' (accepted: --csv)", argv[i]);
    }
    int n;
    const lb_registry_entry *reg = lb_registry(&n);
    if (csv)
        printf("name,family,spec,bits,max,min_pos,min_normal,scaled,has_inf,has_nan,encodable,"
               "description\n");
    else
        printf("%-14s %4s %12s %12s  %s\n", "name", "bits", "max", "min>0", "description");
    for (int i = 0; i < n; i++) {
        lb_format f;
        lb_error err;
        if (lb_format_parse(&f, reg[i].name, &err)) {
            fprintf(stderr, "lowbit: registry entry %s is invalid: %s\n", reg[i].name, err.msg);
            return 1;
        }
        lb_format_info in;
        lb_format_info_get(&f, &in);
        if (csv) {
            printf("%s,%s,", reg[i].name, f.family->key);
            char spec[160];
            snprintf(spec, sizeof spec, "%s:%s", f.family->key, reg[i].params);
            csv_field(spec);
            printf(",%d,%.9g,%.9g,%.9g,%d,%d,%d,%d,", in.bits, in.max, in.min_pos, in.min_normal,
                   in.scaled, in.has_inf, in.has_nan, in.encodable);
            csv_field(reg[i].description);
            putchar('\n');
        } else {
            char mx[32], mn[32];
            snprintf(mx, sizeof mx, "%s%.4g", in.scaled ? "x" : "", in.max);
            snprintf(mn, sizeof mn, "%s%.4g", in.scaled ? "x" : "", in.min_pos);
            printf("%-14s %4d %12s %12s  %s\n", reg[i].name, in.bits, mx, mn, reg[i].description);
        }
    }
    if (!csv) printf("\n(x: relative to a per-tensor/per-channel scale)\n");
    return 0;
}
