/* tests/fuzz/fuzz_quantize_text.c — the numeric text input of `lowbit quantize` (one float per
 * line on stdin; lb_quantize_parse_text in lib/src/cli/cmd_quantize.c), then the values
 * quantized as the command does (flat). Input: the format spec (--format) on the first line,
 * then stdin. Checked: no crash or sanitizer report; a rejected input has
 * an error line naming the stdin line.
 * The CLI's lb_cli_error and lb_cli_parse_u64 live in lib/src/cli/main.c, next to main(); this
 * harness links cmd_quantize.c alone and supplies both: the error line is kept for the check
 * instead of printed, and option parsing is not exercised here. */
#include "fuzz_util.h"

#include <stdarg.h>

#include "cli/cli.h"

static char last_error[512];

int lb_cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return LB_EXIT_USAGE;
}

int lb_cli_parse_u64(const char *s, unsigned long long *out)
{
    (void)s, (void)out;
    return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 16)) return 0;
    const uint8_t *nl = memchr(data, '\n', size);
    if (!nl || nl - data > 200) return 0;
    char spec[256];
    memcpy(spec, data, (size_t)(nl - data));
    spec[nl - data] = 0;
    lb_format f;
    lb_error err;
    if (lb_format_parse(&f, spec, &err)) return 0; /* fuzz_format_spec covers bad specs */
    const size_t len = size - (size_t)(nl + 1 - data);
    /* the command reads stdin into a buffer with room for at least one more byte (the parser
     * writes a terminator after the last line), then parses in place */
    char *buf = malloc(len + 1);
    if (!buf) abort();
    memcpy(buf, nl + 1, len);
    float *vals = NULL;
    last_error[0] = 0;
    long n = lb_quantize_parse_text(buf, len, &vals);
    free(buf);
    if (n < 0) {
        FUZZ_CHECK(!strncmp(last_error, "quantize: stdin line ", 21) ||
                       !strcmp(last_error, "out of memory"),
                   "error '%s'", last_error);
        return 0;
    }
    lb_qctx ctx;
    memset(&ctx, 0, sizeof ctx);
    (void)lb_quantize(&f, vals, vals, (size_t)n, &ctx);
    free(vals);
    return 0;
}
