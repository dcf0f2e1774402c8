/* cli/cmd_train.c — `lowbit train`: parse options into an lb_train_config, print one progress
 * line per epoch, exit 2 on bad usage or input (one line), 1 on internal failure. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "lowbit/info.h"
#include "lowbit/train.h"

static void progress(const lb_epoch_report *r, void *user)
{
    int stop_after = *(const int *)user;
    printf("epoch %d/%d  train loss %.4f acc %.2f%%  test loss %.4f acc %.2f%%  %.2f s/epoch  "
           "ETA %.0f s\n",
           r->epoch, r->epochs, r->train_loss, 100 * r->train_acc, r->test_loss, 100 * r->test_acc,
           r->seconds, r->eta_seconds);
    fflush(stdout);
    if (stop_after && r->epoch == stop_after) _exit(3); /* a crash right after the checkpoint */
}

static int parse_int(const char *opt, const char *v, long lo, long hi, long *out)
{
    char *e;
    long x = strtol(v, &e, 10);
    if (*e || e == v || x < lo || x > hi) {
        lb_cli_error("train: %s '%s' is not an integer in %ld..%ld", opt, v, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

static int parse_num(const char *opt, const char *v, double *out)
{
    char *e;
    double x = strtod(v, &e);
    if (*e || e == v || x < 0 || x != x) {
        lb_cli_error("train: %s '%s' is not a non-negative number", opt, v);
        return -1;
    }
    *out = x;
    return 0;
}

int lb_cmd_train(int argc, char **argv)
{
    lb_train_config c;
    lb_train_config_defaults(&c);
    char cmdline[2048] = "lowbit";
    for (int i = 0; i < argc; i++) {
        strncat(cmdline, " ", sizeof cmdline - strlen(cmdline) - 1);
        strncat(cmdline, argv[i], sizeof cmdline - strlen(cmdline) - 1);
    }
    c.command = cmdline;
    int stop_after = 0; /* --stop-after-epoch N: testing aid for --resume */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--resume")) {
            c.resume = 1;
            continue;
        }
        if (!strcmp(a, "--all-lns")) {
            c.all_lns = 1;
            continue;
        }
        if (i + 1 >= argc) return lb_cli_error("train: option %s needs a value (or is unknown)", a);
        const char *v = argv[++i];
        long n;
        if (!strcmp(a, "--model"))
            c.model = v;
        else if (!strcmp(a, "--dataset"))
            c.dataset = v;
        else if (!strcmp(a, "--data-dir"))
            c.data_dir = v;
        else if (!strcmp(a, "--out"))
            c.out = v;
        else if (!strcmp(a, "--checkpoint"))
            c.checkpoint = v;
        else if (!strcmp(a, "--save-weights"))
            c.save_weights = v;
        else if (!strcmp(a, "--schedule"))
            c.schedule = v;
        else if (!strcmp(a, "--w-format"))
            c.w_format = v;
        else if (!strcmp(a, "--a-format"))
            c.a_format = v;
        else if (!strcmp(a, "--e-format"))
            c.e_format = v;
        else if (!strcmp(a, "--g-format"))
            c.g_format = v;
        else if (!strcmp(a, "--gemm"))
            c.gemm = v;
        else if (!strcmp(a, "--weight-format"))
            c.weight_format = v;
        else if (!strcmp(a, "--kahan-format"))
            c.kahan_format = v;
        else if (!strcmp(a, "--last-layer-format"))
            c.last_layer_format = v;
        else if (!strcmp(a, "--last-layer-roles"))
            c.last_layer_roles = v;
        else if (!strcmp(a, "--loss-scale")) {
            if (parse_num(a, v, &c.loss_scale)) return LB_EXIT_USAGE;
        } else if (!strcmp(a, "--madam-round")) {
            if (strcmp(v, "nearest") && strcmp(v, "sr") && strcmp(v, "ghat"))
                return lb_cli_error("train: --madam-round '%s' is not nearest, sr or ghat", v);
            c.madam_sr = !strcmp(v, "sr") ? 1 : !strcmp(v, "ghat") ? 2 : 0;
        } else if (!strcmp(a, "--madam-beta")) {
            if (parse_num(a, v, &c.madam_beta) || !(c.madam_beta < 1))
                return lb_cli_error("train: --madam-beta '%s' is not in [0, 1)", v);
        } else if (!strcmp(a, "--optimizer"))
            c.optimizer = v;
        else if (!strcmp(a, "--epochs")) {
            if (parse_int(a, v, 1, 1000, &n)) return LB_EXIT_USAGE;
            c.epochs = (int)n;
        } else if (!strcmp(a, "--batch")) {
            if (parse_int(a, v, 1, 65536, &n)) return LB_EXIT_USAGE;
            c.batch = (int)n;
        } else if (!strcmp(a, "--stop-after-epoch")) {
            if (parse_int(a, v, 1, 1000, &n)) return LB_EXIT_USAGE;
            stop_after = (int)n;
        } else if (!strcmp(a, "--threads")) {
            if (parse_int(a, v, 1, 256, &n)) return LB_EXIT_USAGE;
            c.threads = (int)n;
        } else if (!strcmp(a, "--seed")) {
            unsigned long long s;
            if (lb_cli_parse_u64(v, &s))
                return lb_cli_error("train: --seed '%s' is not a non-negative integer", v);
            c.seed = s;
        } else if (!strcmp(a, "--train-subset") || !strcmp(a, "--test-subset")) {
            if (parse_int(a, v, 1, 100000000, &n)) return LB_EXIT_USAGE;
            if (a[2] == 't' && a[3] == 'r')
                c.train_subset = n;
            else
                c.test_subset = n;
        } else if (!strcmp(a, "--hidden")) {
            char *e;
            long h1 = strtol(v, &e, 10), h2 = h1;
            if (*e == ',') h2 = strtol(e + 1, &e, 10);
            if (*e || h1 < 1 || h2 < 1 || h1 > 65536 || h2 > 65536)
                return lb_cli_error("train: --hidden '%s' is not H or H1,H2 (1..65536)", v);
            c.hidden1 = (int)h1, c.hidden2 = (int)h2;
        } else if (!strcmp(a, "--width")) {
            if (parse_num(a, v, &c.width) || !(c.width > 0))
                return lb_cli_error("train: --width '%s' is not a positive number", v);
        } else if (!strcmp(a, "--depth")) {
            if (parse_int(a, v, 8, 110, &n)) return LB_EXIT_USAGE;
            c.depth = (int)n;
        } else if (!strcmp(a, "--lr")) {
            if (parse_num(a, v, &c.lr)) return LB_EXIT_USAGE;
        } else if (!strcmp(a, "--momentum")) {
            if (parse_num(a, v, &c.momentum)) return LB_EXIT_USAGE;
        } else if (!strcmp(a, "--weight-decay")) {
            if (parse_num(a, v, &c.weight_decay)) return LB_EXIT_USAGE;
        } else
            return lb_cli_error("train: unknown option '%s' (see: lowbit help)", a);
    }
    if (!c.out) return lb_cli_error("train: missing --out RUN.h5");
    lb_blis_arch_setup();
    lb_error err;
    lb_status st = lb_train(&c, progress, &stop_after, &err);
    if (st == LB_ERR_NOMEM) return fprintf(stderr, "lowbit: train: %s\n", err.msg), 1;
    if (st) return lb_cli_error("train: %s", err.msg);
    return 0;
}
