/* cli/cmd_formats.c — `lowbit formats [--csv] [--spec SPEC]...`: every registry entry (or the
 * given specs) with bits, range and a description. The CSV is what the workflow and the report
 * read, so no script parses a spec: per format
 *   name, family, spec (family:params; a --spec row: the spec as given, a registered name
 *   expanded), bits (element bits), block (elements per block scale; 0: none, -1: a whole
 *   axis), scale_bits, bits_per_element (with amortised block scales), max, min_pos,
 *   min_normal, scaled, has_inf, has_nan, encodable, precision, precision_kind, mac_model (the
 *   explicit `lowbit energy --mac` model of the format; "" if it has none), description. */
#include <string.h>

#include "cli/cli.h"

static void print_row(const char *name, const lb_format *f, const char *params, const char *desc,
                      int csv)
{
    lb_format_info in;
    lb_format_info_get(f, &in);
    if (csv) {
        lb_cli_csv_field(stdout, name);
        printf(",%s,", f->family->key);
        char spec[160];
        if (params)
            snprintf(spec, sizeof spec, "%s:%s", f->family->key, params);
        else
            snprintf(spec, sizeof spec, "%s", name);
        lb_cli_csv_field(stdout, spec);
        char mac[128] = "";
        lb_mac_model mm;
        lb_error err;
        if (lb_format_mac(f, &mm, &err) == LB_OK) lb_mac_model_spec(&mm, mac, sizeof mac);
        printf(",%d,%d,%d,%.9g,%.9g,%.9g,%.9g,%d,%d,%d,%d,%.9g,%s,", in.bits, in.block,
               in.scale_bits, in.bits_per_element, in.max, in.min_pos, in.min_normal, in.scaled,
               in.has_inf, in.has_nan, in.encodable, in.precision,
               in.precision_absolute ? "absolute" : "relative");
        lb_cli_csv_field(stdout, mac);
        putchar(',');
        lb_cli_csv_field(stdout, desc ? desc : in.description);
        putchar('\n');
    } else {
        char mx[32], mn[32];
        snprintf(mx, sizeof mx, "%s%.4g", in.scaled ? "x" : "", in.max);
        snprintf(mn, sizeof mn, "%s%.4g", in.scaled ? "x" : "", in.min_pos);
        printf("%-14s %4d %12s %12s  %s\n", name, in.bits, mx, mn, desc ? desc : in.description);
    }
}

int lb_cmd_formats(int argc, char **argv)
{
    int csv = 0, nspec = 0;
    const char *specs[64];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--csv"))
            csv = 1;
        else if (!strcmp(argv[i], "--spec")) {
            if (i + 1 >= argc) return lb_cli_error("formats: option --spec needs a value");
            if (nspec == 64) return lb_cli_error("formats: at most 64 --spec options");
            specs[nspec++] = argv[++i];
        } else
            return lb_cli_error("formats: unknown option '%s' (accepted: --csv, --spec SPEC)",
                                argv[i]);
    }
    lb_format fs[64];
    for (int i = 0; i < nspec; i++) { /* check every spec before printing anything */
        lb_error err;
        if (lb_format_parse(&fs[i], specs[i], &err)) return lb_cli_error("--spec: %s", err.msg);
    }
    if (csv)
        printf("name,family,spec,bits,block,scale_bits,bits_per_element,max,min_pos,min_normal,"
               "scaled,has_inf,has_nan,encodable,precision,precision_kind,mac_model,"
               "description\n");
    else
        printf("%-14s %4s %12s %12s  %s\n", "name", "bits", "max", "min>0", "description");
    if (nspec) {
        int n;
        const lb_registry_entry *reg = lb_registry(&n);
        for (int i = 0; i < nspec; i++) {
            const char *params = NULL;
            for (int j = 0; j < n; j++)
                if (!strcmp(reg[j].name, specs[i])) params = reg[j].params;
            print_row(specs[i], &fs[i], params, NULL, csv);
        }
        return 0;
    }
    int n;
    const lb_registry_entry *reg = lb_registry(&n);
    for (int i = 0; i < n; i++) {
        lb_format f;
        lb_error err;
        if (lb_format_parse(&f, reg[i].name, &err)) {
            fprintf(stderr, "lowbit: registry entry %s is invalid: %s\n", reg[i].name, err.msg);
            return 1;
        }
        print_row(reg[i].name, &f, reg[i].params, reg[i].description, csv);
    }
    if (!csv) printf("\n(x: relative to a per-tensor/per-channel scale)\n");
    return 0;
}
