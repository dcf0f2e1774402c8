/* arith/lns_add.c — Δ± tables of LNS addition (exact, LUT, PWL) and PWL table files.
 * The definitions are in lowbit/lnsadd.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "lowbit/lnsadd.h"

/* (int)(v · 2^F): truncation toward zero, as the reference code stores breakpoints,
 * intercepts and LUT entries */
static int32_t trunc_grid(double v, int frac)
{
    return (int32_t)(v * (double)(1 << frac));
}

static int32_t round_grid(double v, int frac)
{
    return (int32_t)lround(v * (double)(1 << frac));
}

int32_t lb_pwl_eval(const lb_pwl_table *t, int frac, int plus, int32_t d)
{
    const int f = plus ? 0 : 1;
    for (int k = 0; k < t->nseg[f]; k++) {
        if (d > trunc_grid(t->bp[f][k], frac)) continue;
        int s = t->shift[f][k];
        int32_t ic = trunc_grid(t->icpt[f][k], frac);
        if (plus) return ic - (s >= 31 ? 0 : d >> s);
        return ic + (s >= 0 ? (int32_t)((uint32_t)d << s) : (-s >= 31 ? 0 : d >> -s));
    }
    return 0;
}

lb_status lb_lns_adder_init(lb_lns_adder *a, int bits, int frac, lb_delta_approx approx,
                            const lb_pwl_table *t, lb_error *err)
{
    memset(a, 0, sizeof *a);
    if (frac < 2 || frac > 10)
        return lb_fail(err, LB_ERR_ARG, "LNS addition: frac %d out of range 2..10", frac);
    if (bits < frac + 4 || bits > 24)
        return lb_fail(err, LB_ERR_ARG, "LNS addition: bits %d out of range %d..24", bits,
                       frac + 4);
    if (approx == LB_DELTA_PWL && !t)
        return lb_fail(err, LB_ERR_ARG, "LNS addition: pwl needs a table");
    a->frac = frac;
    a->n = 16 << frac;
    a->maxlog = (1 << (bits - 3)) - 1; /* L = bits - 2 log bits, two's complement */
    a->approx = approx;
    a->dp = malloc((size_t)a->n * sizeof *a->dp);
    a->dm = malloc((size_t)a->n * sizeof *a->dm);
    if (!a->dp || !a->dm) {
        lb_lns_adder_free(a);
        return lb_fail(err, LB_ERR_NOMEM, "LNS addition: out of memory");
    }
    const double g = (double)(1 << frac);
    for (int32_t d = 0; d < a->n; d++) {
        double x = d / g;
        switch (approx) {
        case LB_DELTA_EXACT:
            a->dp[d] = round_grid(log2(1.0 + exp2(-x)), frac);
            a->dm[d] = d ? round_grid(log2(1.0 - exp2(-x)), frac) : 0;
            break;
        case LB_DELTA_LUT: {
            double c = ((d >> (frac - 2)) + 0.5) * 0.25; /* bin centre */
            a->dp[d] = trunc_grid(log2(1.0 + exp2(-c)), frac);
            a->dm[d] = trunc_grid(log2(1.0 - exp2(-c)), frac);
            break;
        }
        default:
            a->dp[d] = lb_pwl_eval(t, frac, 1, d);
            a->dm[d] = lb_pwl_eval(t, frac, 0, d);
            break;
        }
    }
    return LB_OK;
}

void lb_lns_adder_free(lb_lns_adder *a)
{
    free(a->dp), free(a->dm);
    a->dp = a->dm = NULL;
}

/* One CSV field (no quoting: the layout has none); advances *p past the comma. */
static char *field(char **p)
{
    char *s = *p, *c = strchr(s, ',');
    if (c)
        *c = 0, *p = c + 1;
    else
        *p = s + strlen(s);
    return s;
}

lb_status lb_pwl_read(const char *path, const char *config, lb_pwl_table *t, lb_error *err)
{
    FILE *fp = fopen(path, "r");
    if (!fp) return lb_fail(err, LB_ERR_IO, "%s: %s", path, strerror(errno));
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", config);
    char line[512];
    int lineno = 0, header = 0;
    lb_status st = LB_OK;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#') continue;
        if (!header) {
            if (strcmp(line, "config,function,segment,breakpoint,shift,intercept")) {
                st = lb_fail(err, LB_ERR_DATA,
                             "%s:%d: expected the header "
                             "config,function,segment,breakpoint,shift,intercept",
                             path, lineno);
                break;
            }
            header = 1;
            continue;
        }
        char *p = line, *cfg = field(&p), *fn = field(&p), *seg = field(&p), *bp = field(&p),
             *sh = field(&p), *ic = field(&p);
        if (strcmp(cfg, config)) continue;
        int f = !strcmp(fn, "delta_plus") ? 0 : !strcmp(fn, "delta_minus") ? 1 : -1;
        char *e1, *e2, *e3, *e4;
        long k = strtol(seg, &e1, 10), s = strtol(sh, &e2, 10);
        double b = strtod(bp, &e3), c = strtod(ic, &e4);
        if (f < 0 || !*seg || *e1 || !*sh || *e2 || !*bp || *e3 || !*ic || *e4 || *p) {
            st = lb_fail(err, LB_ERR_DATA,
                         "%s:%d: malformed row (function must be delta_plus or "
                         "delta_minus; segment, shift integers; breakpoint, intercept numbers)",
                         path, lineno);
            break;
        }
        /* what lb_pwl_eval can evaluate without overflow for every F <= 10 (d < 2^14): Δ+
         * shifts right only; Δ- shifts left by at most 16; breakpoints and intercepts finite
         * and within ±64 log2 units (Δ± of a 2^14-code range never need more) */
        if (!(b >= 0 && b <= 64) || !(c >= -64 && c <= 64) || (f == 0 ? s < 0 : s > 16)) {
            st = lb_fail(err, LB_ERR_DATA,
                         "%s:%d: %s segment %ld: breakpoint %g (expected 0..64), intercept %g "
                         "(expected -64..64) or shift %ld (expected %s) out of range",
                         path, lineno, fn, k, b, c, s, f == 0 ? "0..31" : "-31..16");
            break;
        }
        if (k != t->nseg[f] || k >= LB_PWL_MAXSEG || s < -31 || s > 31) {
            st = lb_fail(err, LB_ERR_DATA,
                         "%s:%d: segment %ld out of order or beyond %d, or shift %ld beyond "
                         "+-31",
                         path, lineno, k, LB_PWL_MAXSEG, s);
            break;
        }
        if (k && b < t->bp[f][k - 1]) {
            st = lb_fail(err, LB_ERR_DATA, "%s:%d: breakpoints must not decrease", path, lineno);
            break;
        }
        t->bp[f][k] = b, t->shift[f][k] = (int)s, t->icpt[f][k] = c;
        t->nseg[f]++;
    }
    if (!st && ferror(fp)) st = lb_fail(err, LB_ERR_IO, "%s: read error", path);
    fclose(fp);
    if (!st && (!t->nseg[0] || !t->nseg[1]))
        st = lb_fail(err, LB_ERR_DATA, "%s: no table '%s' with both delta_plus and delta_minus",
                     path, config);
    return st;
}

lb_status lb_pwl_write(const char *path, const lb_pwl_table *t, lb_error *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return lb_fail(err, LB_ERR_ARG, "%s: path too long", path);
    FILE *fp = fopen(tmp, "w");
    if (!fp) return lb_fail(err, LB_ERR_IO, "%s: %s", tmp, strerror(errno));
    fprintf(fp, "# PWL approximation of LNS addition (lowbit pwl-fit); layout of "
                "lowbit/lnsadd.h\nconfig,function,segment,breakpoint,shift,intercept\n");
    for (int f = 0; f < 2; f++)
        for (int k = 0; k < t->nseg[f]; k++)
            fprintf(fp, "%s,%s,%d,%.17g,%d,%.17g\n", t->name, f ? "delta_minus" : "delta_plus", k,
                    t->bp[f][k], t->shift[f][k], t->icpt[f][k]);
    int bad = ferror(fp);
    bad |= fclose(fp) != 0;
    if (bad || rename(tmp, path)) {
        remove(tmp);
        return lb_fail(err, LB_ERR_IO, "%s: could not write", path);
    }
    return LB_OK;
}

lb_status lb_lns_adder_from_spec(lb_lns_adder *a, int bits, int frac, const char *spec,
                                 const char *tables, lb_error *err)
{
    if (!strcmp(spec, "exact")) return lb_lns_adder_init(a, bits, frac, LB_DELTA_EXACT, NULL, err);
    if (!strcmp(spec, "lut")) return lb_lns_adder_init(a, bits, frac, LB_DELTA_LUT, NULL, err);
    if (strncmp(spec, "pwl:", 4) || !spec[4])
        return lb_fail(err, LB_ERR_SPEC,
                       "LNS addition '%s': expected exact, lut or pwl:NAME (a table of %s, or a "
                       "CSV file)",
                       spec, tables ? tables : "the table file");
    const char *name = spec + 4;
    lb_pwl_table *t = malloc(sizeof *t);
    if (!t) return lb_fail(err, LB_ERR_NOMEM, "LNS addition: out of memory");
    lb_status st;
    size_t len = strlen(name);
    if (len > 4 && !strcmp(name + len - 4, ".csv")) { /* a file with one table: take its first */
        FILE *fp = fopen(name, "r");
        char line[512], cfg[64] = "";
        if (!fp) {
            free(t);
            return lb_fail(err, LB_ERR_IO, "%s: %s", name, strerror(errno));
        }
        while (fgets(line, sizeof line, fp))
            if (line[0] != '#' && strncmp(line, "config,", 7)) {
                snprintf(cfg, sizeof cfg, "%.*s", (int)strcspn(line, ","), line);
                break;
            }
        fclose(fp);
        st = lb_pwl_read(name, cfg, t, err);
    } else {
        st = tables ? lb_pwl_read(tables, name, t, err)
                    : lb_fail(err, LB_ERR_ARG, "LNS addition: no table file for pwl:%s", name);
    }
    if (!st) st = lb_lns_adder_init(a, bits, frac, LB_DELTA_PWL, t, err);
    free(t);
    return st;
}
