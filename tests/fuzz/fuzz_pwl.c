/* tests/fuzz/fuzz_pwl.c — PWL table CSVs of LNS addition (lowbit/lnsadd.h): the input is
 * written to a .csv file and read as `lowbit lns-delta`/`--gemm lns-pwl:FILE.csv` read it,
 * lb_lns_adder_from_spec("pwl:FILE.csv") (its first table), here into a small adder (7 bits,
 * F = 3: 128 codes, so that an input costs microseconds); then the same table is read with
 * lb_pwl_read and evaluated with lb_pwl_eval for F = 10 and F = 5 at every segment's ends
 * (breakpoint code -1, 0, +1, and d = 0, 1, 16·2^F - 1): within a segment Δ± is monotone in d,
 * so overflows show at the ends. Checked: no crash or sanitizer report (a shift by a negative
 * amount, a signed overflow or a NaN converted to an integer is a UBSan report: such a table
 * must be refused when read), a message on failure, and sums within the format's log range. */
#include "fuzz_util.h"

#include "lowbit/lnsadd.h"

static void eval_ends(const lb_pwl_table *t, int frac)
{
    const int32_t n = 16 << frac;
    for (int plus = 0; plus < 2; plus++) {
        const int f = plus ? 0 : 1;
        int32_t d[3 + 3 * LB_PWL_MAXSEG];
        int nd = 0;
        d[nd++] = 0, d[nd++] = 1, d[nd++] = n - 1;
        for (int k = 0; k < t->nseg[f]; k++) {
            /* the breakpoint on the grid, as lb_pwl_eval truncates it (bp checked 0..64) */
            const int32_t b = (int32_t)(t->bp[f][k] * (double)(1 << frac));
            for (int o = -1; o <= 1; o++)
                if (b + o >= 0 && b + o < n) d[nd++] = b + o;
        }
        for (int i = 0; i < nd; i++)
            (void)lb_pwl_eval(t, frac, plus, d[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 16)) return 0;
    char path[512], spec[600];
    fuzz_write(fuzz_path(path, sizeof path, "table.csv"), data, size);
    snprintf(spec, sizeof spec, "pwl:%s", path);
    lb_lns_adder a;
    lb_error err = {{0}};
    if (lb_lns_adder_from_spec(&a, 7, 3, spec, NULL, &err)) {
        fuzz_check_error(err.msg, 0);
        return 0;
    }
    lb_lns_val x = {3, 0, 0}, y = {-7, 1, 0}, z = {a.maxlog, 0, 0};
    lb_lns_val s = lb_lns_add(&a, lb_lns_add(&a, x, y), z);
    FUZZ_CHECK(s.log >= -a.maxlog && s.log <= a.maxlog, "sum log %d", s.log);
    lb_lns_adder_free(&a);
    /* the table's name: the config cell of the first row that is neither a comment nor the
     * header (what lb_lns_adder_from_spec takes) */
    char cfg[64] = "";
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (len && p[0] != '#' && !(len >= 7 && !memcmp(p, "config,", 7))) {
            size_t c = 0;
            while (c < len && c < sizeof cfg - 1 && p[c] != ',' && p[c] != '\0')
                c++;
            memcpy(cfg, p, c);
            cfg[c] = 0;
            break;
        }
        p = nl ? nl + 1 : end;
    }
    lb_pwl_table *t = malloc(sizeof *t);
    if (!t) abort();
    if (lb_pwl_read(path, cfg, t, &err) == LB_OK) {
        eval_ends(t, 10);
        eval_ends(t, 5);
    }
    free(t);
    return 0;
}
