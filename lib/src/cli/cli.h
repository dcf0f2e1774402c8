/* cli/cli.h — shared helpers of the `lowbit` command (the only code that prints and exits). */
#ifndef LB_CLI_H
#define LB_CLI_H

#include <stdio.h>

#include "lowbit/format.h"

#define LB_EXIT_USAGE 2

/* Print "lowbit: <msg>" on stderr (one line) and return LB_EXIT_USAGE. */
int lb_cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* Write a CSV field, quoted only when it needs to be (RFC 4180). */
void lb_cli_csv_field(FILE *fp, const char *s);

/* Parse a non-negative integer option value; returns 0 on success. */
int lb_cli_parse_u64(const char *s, unsigned long long *out);

int lb_cmd_formats(int argc, char **argv);
int lb_cmd_quantize(int argc, char **argv);
int lb_cmd_info(int argc, char **argv);
int lb_cmd_train(int argc, char **argv);
int lb_cmd_energy(int argc, char **argv);
int lb_cmd_lns_delta(int argc, char **argv);
int lb_cmd_pwl_fit(int argc, char **argv);
int lb_cmd_models(int argc, char **argv);
int lb_cmd_optimizers(int argc, char **argv);
int lb_cmd_schedules(int argc, char **argv);
int lb_cmd_datasets(int argc, char **argv);
int lb_cmd_kernels(int argc, char **argv);
int lb_cmd_gemm_err(int argc, char **argv);

/* The text input of `lowbit quantize`: one float per line of buf[0..len) (modified in place;
 * buf[len] must exist: a last line without a newline gets its terminator there), blank lines
 * skipped; *vals (malloc'd) and the count, or -1 after lb_cli_error (tests/fuzz
 * calls it directly). */
long lb_quantize_parse_text(char *buf, size_t len, float **vals);

/* Parse an integer option value in [lo, hi]; prints the error and returns nonzero if not. */
int lb_cli_parse_int(const char *opt, const char *v, long lo, long hi, int *out);
/* The PWL table file: LOWBIT_PWL_TABLES, else the published tables of the source tree. */
const char *lb_cli_pwl_tables(void);

#endif
