/* cli/cmd_quantize.c — `lowbit quantize --format SPEC [--round R] [--seed N] [--raw]
 * [--shape D0,D1,... --axis A]`: float32 values on stdin (text, one per line; or raw
 * little-endian float32 with --raw), quantized values on stdout (%.9g, or raw).
 * All input is read and checked before anything is written, so a bad line leaves stdout empty. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int read_all(FILE *fp, char **buf, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    if (!b) return -1;
    for (;;) {
        if (n == cap) {
            char *nb = realloc(b, cap *= 2);
            if (!nb) {
                free(b);
                return -1;
            }
            b = nb;
        }
        size_t r = fread(b + n, 1, cap - n, fp);
        n += r;
        if (r == 0) break;
    }
    if (ferror(fp)) {
        free(b);
        return -1;
    }
    *buf = b;
    *len = n;
    return 0;
}

/* Parse text floats; returns count or -1 after printing the error. */
long lb_quantize_parse_text(char *buf, size_t len, float **vals)
{
    size_t cap = 1024, n = 0, line = 0;
    float *v = malloc(cap * sizeof *v);
    if (!v) return lb_cli_error("out of memory"), -1;
    char *p = buf, *end = buf + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        line++;
        *le = 0;
        char *s = p;
        while (isspace((unsigned char)*s))
            s++;
        char *t = s + strlen(s);
        while (t > s && isspace((unsigned char)t[-1]))
            *--t = 0;
        if (*s) {
            char *e;
            errno = 0;
            float x = strtof(s, &e);
            if (*e || e == s) {
                free(v);
                lb_cli_error("quantize: stdin line %zu: '%.40s' is not a number", line, s);
                return -1;
            }
            /* beyond the float32 range: an error, not a silent inf (an explicit inf parses
             * without ERANGE; values below the range round to a subnormal or 0 as strtof
             * does) */
            if (errno == ERANGE && isinf(x)) {
                free(v);
                lb_cli_error("quantize: stdin line %zu: '%.40s' is beyond the float32 range "
                             "(largest 3.40282347e+38)",
                             line, s);
                return -1;
            }
            if (n == cap) {
                float *nv = realloc(v, (cap *= 2) * sizeof *v);
                if (!nv) return free(v), lb_cli_error("out of memory"), -1;
                v = nv;
            }
            v[n++] = x;
        }
        p = le + 1;
    }
    *vals = v;
    return (long)n;
}

static int parse_shape(const char *s, lb_qctx *ctx)
{
    ctx->ndim = 0;
    const char *p = s;
    while (*p) {
        char *e;
        long long d = strtoll(p, &e, 10);
        if (e == p || d <= 0 || ctx->ndim == 8) return -1;
        ctx->dims[ctx->ndim++] = d;
        if (*e == ',')
            e++;
        else if (*e)
            return -1;
        p = e;
    }
    return ctx->ndim ? 0 : -1;
}

int lb_cmd_quantize(int argc, char **argv)
{
    const char *spec = NULL, *round = NULL, *shape = NULL;
    unsigned long long seed = 0, axis = 0;
    int raw = 0, have_axis = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_val = i + 1 < argc;
        if (!strcmp(a, "--raw"))
            raw = 1;
        else if (!strcmp(a, "--format") || !strcmp(a, "--round") || !strcmp(a, "--seed") ||
                 !strcmp(a, "--shape") || !strcmp(a, "--axis")) {
            if (!has_val) return lb_cli_error("quantize: option %s needs a value", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--format"))
                spec = v;
            else if (!strcmp(a, "--round"))
                round = v;
            else if (!strcmp(a, "--shape"))
                shape = v;
            else if (!strcmp(a, "--seed")) {
                if (lb_cli_parse_u64(v, &seed))
                    return lb_cli_error("quantize: --seed '%s' is not a non-negative integer", v);
            } else {
                if (lb_cli_parse_u64(v, &axis) || axis > 7)
                    return lb_cli_error("quantize: --axis '%s' is not an integer in 0..7", v);
                have_axis = 1;
            }
        } else
            return lb_cli_error("quantize: unknown option '%s' (accepted: --format, --round, "
                                "--seed, --raw, --shape, --axis)",
                                a);
    }
    if (!spec) return lb_cli_error("quantize: missing --format SPEC (see: lowbit formats)");
    lb_format f;
    lb_error err;
    if (lb_format_parse(&f, spec, &err)) return lb_cli_error("--format: %s", err.msg);
    lb_qctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.seed = seed;
    if (round) {
        lb_round r;
        if (lb_round_parse(&r, round))
            return lb_cli_error("quantize: --round '%s' is not one of rne, rna, rtz, sr", round);
        ctx.round_override = 1 + (int)r;
    }
    if (shape && parse_shape(shape, &ctx))
        return lb_cli_error(
            "quantize: --shape '%s' is not a list of positive integers like 128,3,32,32", shape);
    if (have_axis && !shape) return lb_cli_error("quantize: --axis needs --shape");
    ctx.axis = (int)axis;
    if (shape && ctx.axis >= ctx.ndim)
        return lb_cli_error("quantize: --axis %d is beyond the %d dimensions of --shape", ctx.axis,
                            ctx.ndim);

    char *buf;
    size_t len;
    if (read_all(stdin, &buf, &len)) return lb_cli_error("quantize: cannot read stdin");
    float *vals;
    long n;
    if (raw) {
        if (len % 4)
            return free(buf),
                   lb_cli_error("quantize: stdin has %zu bytes, not a multiple of 4 (raw float32)",
                                len);
        n = (long)(len / 4);
        vals = (float *)(void *)buf;
        buf = NULL;
    } else {
        n = lb_quantize_parse_text(buf, len, &vals);
        free(buf);
        if (n < 0) return LB_EXIT_USAGE;
    }
    if (shape) { /* for every format, not only those that use the shape */
        long long total = 1;
        for (int d = 0; d < ctx.ndim && total > 0; d++)
            total = ctx.dims[d] > (1LL << 40) / total ? -1 : total * ctx.dims[d];
        if (total != n)
            return free(vals),
                   lb_cli_error("quantize: --shape %s has %lld elements but %ld values were read",
                                shape, total, n);
    }
    lb_status st = lb_quantize(&f, vals, vals, (size_t)n, &ctx);
    if (st) return free(vals), lb_cli_error("quantize: %s", lb_status_str(st));
    if (raw)
        fwrite(vals, 4, (size_t)n, stdout);
    else
        for (long i = 0; i < n; i++)
            printf("%.9g\n", vals[i]);
    free(vals);
    return 0; /* main reports a write error on stdout */
}
