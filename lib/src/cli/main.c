/* cli/main.c — the `lowbit` command: subcommand dispatch, help, shared error helpers.
 * Exit status: 0 success, 2 bad usage or input (one line on stderr saying what and where),
 * 1 internal failure. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lowbit/gemm_lns.h"
#include "lowbit/info.h"

int lb_cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("lowbit: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return LB_EXIT_USAGE;
}

void lb_cli_csv_field(FILE *fp, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"') fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

int lb_cli_parse_u64(const char *s, unsigned long long *out)
{
    char *end;
    if (!s || !*s || *s == '-') return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno) return -1;
    *out = v;
    return 0;
}

typedef struct lb_cmd {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} lb_cmd;

static const lb_cmd cmds[] = {
    {"formats", lb_cmd_formats,
     "list every registered format, or describe --spec SPEC (--csv for CSV: family, spec, bits, "
     "block, scale_bits, bits_per_element, range, mac_model, ...)"},
    {"quantize", lb_cmd_quantize,
     "quantize float32 values from stdin: --format SPEC [--round rne|rna|rtz|sr] [--seed N] "
     "[--raw]"},
    {"train", lb_cmd_train,
     "train a model: --model NAME (lowbit models) [--hidden H1,H2 --width W --depth D] --dataset "
     "fashion-mnist --epochs N --out RUN.h5 "
     "[--batch --lr --momentum --weight-decay --optimizer NAME (lowbit optimizers) --schedule "
     "NAME (lowbit schedules) --seed --threads "
     "--w-format --a-format --e-format --g-format --gemm KERNEL --weight-format --kahan-format "
     "--madam-round nearest|sr|ghat --madam-beta --all-lns "
     "--last-layer-format [--last-layer-roles WAEG] --loss-scale 2^k --train-subset --test-subset "
     "--data-dir --checkpoint --resume --save-weights W.npy]"},
    {"models", lb_cmd_models, "list the models `train --model` accepts, with options (--csv)"},
    {"optimizers", lb_cmd_optimizers, "list the optimizers `train --optimizer` accepts (--csv)"},
    {"schedules", lb_cmd_schedules, "list the schedules `train --schedule` accepts (--csv)"},
    {"datasets", lb_cmd_datasets,
     "list the data set names `train --dataset` accepts, or check --check NAME [--data-dir DIR] "
     "[--names-only] (name, parameters, files present; reads no data)"},
    {"energy", lb_cmd_energy,
     "energy per training iteration of a run, with the datapath it simulated: RUN.h5 "
     "[--units TABLE.csv] [--csv OUT|-] [--formats w=SPEC,a=SPEC,e=SPEC] "
     "[--datapath formats|KERNEL:params] [--acc fp32|fp16] [--acc-bits N] [--buffer BYTES]; or "
     "one MAC: --mac SPEC [--k K] [--acc fp32|fp16] [--csv OUT|-]"},
    {"lns-delta", lb_cmd_lns_delta,
     "LNS addition tables: --bits T --frac F --approx exact|lut|pwl:NAME [--tables FILE]; CSV "
     "d,dplus,dminus (integer codes) for every d in [0, 16*2^F)"},
    {"pwl-fit", lb_cmd_pwl_fit,
     "anneal a PWL table for LNS addition: --bits T --frac F --out TABLE.csv [--segments 16 "
     "--seed S --cost mean|max|weighted --histogram H.csv --iters N --x-ub 12 --name NAME]"},
    {"kernels", lb_cmd_kernels,
     "list the GEMM kernels of --gemm (lib/src/gemm/kernels.def), or check --spec SPEC (--csv "
     "for CSV: name, ref, description, keys, spec)"},
    {"gemm-err", lb_cmd_gemm_err,
     "error of one GEMM kernel vs the exact (double) sum on seeded random operands: --gemm SPEC "
     "--m M --n N --k K [--seed S --dist normal|positive --operands FORMAT --csv]; relative "
     "error, swamped products, overflows"},
    {"info", lb_cmd_info, "version, build and CPU/BLIS kernel choice"},
};

static void usage(FILE *fp)
{
    fprintf(fp, "usage: lowbit <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        fprintf(fp, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
    fprintf(fp, "  %-10s %s\n", "help", "this text");
    fprintf(fp, "\nFormat specs: a registered name (lowbit formats) or family:key=value,...\n"
                "  e.g. fp:e=5,m=2,sat  fx:wl=8,fl=6  int:bits=8,scale=tensor  "
                "lns:bits=8,frac=3,scale=tensor\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return LB_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("lowbit %s (%s)\n", lb_version(), lb_git_sha());
        return 0;
    }
    const char *pwl = getenv("LOWBIT_PWL_TABLES"); /* the library reads no environment */
    if (pwl && *pwl) lb_gemm_lns_set_tables(pwl);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(argv[1], cmds[i].name)) continue;
        for (int j = 2; j < argc; j++) /* `lowbit CMD --help`: that command's line of help */
            if (!strcmp(argv[j], "--help") || !strcmp(argv[j], "-h")) {
                printf("usage: lowbit %s: %s\n", cmds[i].name, cmds[i].summary);
                return 0;
            }
        int rc = cmds[i].fn(argc - 1, argv + 1);
        /* a write error on standard output (a full disk, > /dev/full) is an error */
        if (fflush(stdout) != 0 || ferror(stdout)) {
            int e = errno;
            fprintf(stderr, "lowbit: %s: cannot write standard output: %s\n", cmds[i].name,
                    strerror(e ? e : EIO));
            return rc ? rc : 1;
        }
        return rc;
    }
    return lb_cli_error("unknown command '%s' (try: lowbit help)", argv[1]);
}
