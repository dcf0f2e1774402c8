/* cli/cmd_registries.c — `lowbit models|optimizers|schedules [--csv]`: the registries of
 * lib/src/nn/models.def, lib/src/optim/optimizers.def and lib/src/optim/schedules.def; and
 * `lowbit datasets [--check NAME [--data-dir DIR] [--names-only]]`, the data set names of
 * lowbit/data.h. The CSV and the check are what the workflow reads to check a config's names before
 * any job. */
#include <string.h>

#include "cli/cli.h"
#include "lowbit/data.h"
#include "lowbit/train.h"

/* argv is [CMD] or [CMD, --csv]; -1 (after printing the error) for anything else. */
static int want_csv(int argc, char **argv)
{
    if (argc == 1) return 0;
    if (argc == 2 && !strcmp(argv[1], "--csv")) return 1;
    lb_cli_error("%s: unknown option '%s' (accepted: --csv)", argv[0], argv[1]);
    return -1;
}

/* Print one row: CSV fields, or the table's columns (all but the last padded to width w). */
static void row(int csv, int nf, const char *const *f, int w)
{
    for (int i = 0; i < nf; i++) {
        if (csv) {
            if (i) putchar(',');
            lb_cli_csv_field(stdout, f[i]);
        } else if (i < nf - 1)
            printf("%-*s ", w, f[i]);
        else
            fputs(f[i], stdout);
    }
    putchar('\n');
}

int lb_cmd_models(int argc, char **argv)
{
    int csv = want_csv(argc, argv), n;
    if (csv < 0) return LB_EXIT_USAGE;
    const lb_model_entry *e = lb_model_registry(&n);
    const char *hdr[4] = {"name", "options", "input", "description"};
    row(csv, 4, hdr, 18);
    for (int i = 0; i < n; i++) {
        char opts[96] = "", input[48];
        const char *o;
        for (int k = 0; (o = lb_model_option_name(e[i].options, k)); k++)
            snprintf(opts + strlen(opts), sizeof opts - strlen(opts), "%s%s", k ? ";" : "", o);
        if (e[i].min_hw > 1)
            snprintf(input, sizeof input, "C,H,W with H,W>=%d", e[i].min_hw);
        else
            snprintf(input, sizeof input, "any C,H,W");
        const char *f[4] = {e[i].name, opts, input, e[i].description};
        row(csv, 4, f, 18);
    }
    return 0;
}

int lb_cmd_optimizers(int argc, char **argv)
{
    int csv = want_csv(argc, argv), n;
    if (csv < 0) return LB_EXIT_USAGE;
    const lb_optimizer_entry *e = lb_optimizer_registry(&n);
    const char *hdr[3] = {"name", "stored_weights", "description"};
    row(csv, 3, hdr, 14);
    for (int i = 0; i < n; i++) {
        /* which --weight-format it can keep its weights in (no float32 master copy) */
        const char *f[3] = {e[i].name, e[i].needs_lns ? "lns-required" : "any", e[i].description};
        row(csv, 3, f, 14);
    }
    return 0;
}

int lb_cmd_schedules(int argc, char **argv)
{
    int csv = want_csv(argc, argv), n;
    if (csv < 0) return LB_EXIT_USAGE;
    const lb_schedule_entry *e = lb_schedule_registry(&n);
    const char *hdr[2] = {"name", "description"};
    row(csv, 2, hdr, 10);
    for (int i = 0; i < n; i++) {
        const char *f[2] = {e[i].name, e[i].description};
        row(csv, 2, f, 10);
    }
    return 0;
}

int lb_cmd_datasets(int argc, char **argv)
{
    const char *name = NULL, *dir = NULL;
    int files = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "--check") || !strcmp(a, "--data-dir")) && i + 1 >= argc)
            return lb_cli_error("datasets: %s needs a value", a);
        if (!strcmp(a, "--check"))
            name = argv[++i];
        else if (!strcmp(a, "--data-dir"))
            dir = argv[++i];
        else if (!strcmp(a, "--names-only"))
            files = 0;
        else
            return lb_cli_error("datasets: unknown option '%s' (accepted: --check NAME, "
                                "--data-dir DIR, --names-only)",
                                a);
    }
    if ((dir || !files) && !name)
        return lb_cli_error("datasets: --data-dir and --names-only need --check NAME");
    if (!name) {
        printf("%s\n", lb_dataset_names());
        return 0;
    }
    lb_error err = {{0}};
    if (lb_dataset_check(name, dir && *dir ? dir : NULL, files, &err))
        return lb_cli_error("datasets: %s", err.msg);
    printf("%s: ok\n", name);
    return 0;
}
