/* tests/fuzz/fuzz_ops.c — a run's /ops table as `lowbit energy` costs it: lb_energy_rows of
 * lowbit/energy.h on rows from the input, with the default unit table
 * (energy_model/units/horowitz45.csv). Two input forms:
 *   an HDF5 file (starts with the HDF5 signature): read with lb_results_read_ops, the reader
 *     of `lowbit energy RUN.h5` (seeds: result files with an /ops group, from make_corpus.py)
 *   text: one row a line, layer,pass,macs,fmt_a,fmt_b,bytes_a,bytes_b,bytes_out,batch (the
 *     columns of /ops), and optionally a first line "!W,A,E,ACC" with the role format
 *     overrides (empty: none) and --acc-bits of `lowbit energy`
 * Checked: no crash or sanitizer report, a message on failure, and finite non-negative energies
 * for every costed row (a row that cannot be costed must be refused). */
#include "fuzz_util.h"

#include <math.h>

#include "lowbit/energy.h"
#include "lowbit/results.h"

#define MAXROWS 64

/* field i of a comma-separated line (copied into out, cap bytes) */
static void field(const char *line, int i, char *out, size_t cap)
{
    const char *p = line;
    for (; i > 0 && p; i--)
        if ((p = strchr(p, ','))) p++;
    size_t n = p ? strcspn(p, ",") : 0;
    if (n >= cap) n = cap - 1;
    memcpy(out, p ? p : "", n);
    out[n] = 0;
}

static int64_t ifield(const char *line, int i)
{
    char b[32];
    field(line, i, b, sizeof b);
    return strtoll(b, NULL, 10);
}

static size_t parse_rows(char *text, lb_op_row *rows, char ov[3][96], int *acc)
{
    size_t n = 0;
    int first = 1;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && n < MAXROWS;
         line = strtok_r(NULL, "\n", &save), first = 0) {
        if (first && line[0] == '!') {
            for (int k = 0; k < 3; k++)
                field(line + 1, k, ov[k], sizeof ov[k]);
            *acc = (int)ifield(line + 1, 3);
            continue;
        }
        lb_op_row *r = &rows[n++];
        memset(r, 0, sizeof *r);
        field(line, 0, r->layer, sizeof r->layer);
        field(line, 1, r->pass, sizeof r->pass);
        r->macs = ifield(line, 2);
        field(line, 3, r->fmt_a, sizeof r->fmt_a);
        field(line, 4, r->fmt_b, sizeof r->fmt_b);
        r->bytes_a = ifield(line, 5), r->bytes_b = ifield(line, 6);
        r->bytes_out = ifield(line, 7), r->batch = ifield(line, 8);
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static lb_units *units;
    lb_error err = {{0}};
    if (!units && lb_units_load(&units, LB_SOURCE_DIR "/energy_model/units/horowitz45.csv", &err)) {
        fprintf(stderr, "fuzz_ops: %s\n", err.msg);
        abort();
    }
    if (size > (1u << 18)) return 0;
    lb_op_row text_rows[MAXROWS], *rows = text_rows, *file_rows = NULL;
    size_t n = 0;
    char ov[3][96] = {"", "", ""};
    int acc = 0;
    if (size >= 8 && !memcmp(data, "\x89HDF\r\n\x1a\n", 8)) {
        char path[512];
        fuzz_write(fuzz_path(path, sizeof path, "run.h5"), data, size);
        if (lb_results_read_ops(path, &file_rows, &n, &err)) {
            fuzz_check_error(err.msg, 1);
            FUZZ_CHECK(!file_rows && n == 0, "a failed read returned %zu rows", n);
            return 0;
        }
        rows = file_rows;
    } else {
        char *text = fuzz_cstr(data, size);
        n = parse_rows(text, text_rows, ov, &acc);
        free(text);
    }
    lb_energy_row *out = calloc(n ? n : 1, sizeof *out);
    if (!out) abort();
    lb_energy_opts opts = {
        ov[0][0] ? ov[0] : NULL, ov[1][0] ? ov[1] : NULL, ov[2][0] ? ov[2] : NULL, NULL, acc, 0, 0};
    lb_status st = lb_energy_rows(units, rows, n, &opts, out, &err);
    if (st)
        fuzz_check_error(err.msg, 0);
    else
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(isfinite(out[i].mac_pj) && out[i].mac_pj >= 0 &&
                           isfinite(out[i].compute_pj) && out[i].compute_pj >= 0 &&
                           isfinite(out[i].memory_pj) && out[i].memory_pj >= 0,
                       "row %zu (%s %s, %lld MACs): %g pJ/MAC, compute %g pJ, memory %g pJ", i,
                       rows[i].layer, rows[i].pass, (long long)rows[i].macs, out[i].mac_pj,
                       out[i].compute_pj, out[i].memory_pj);
    free(out);
    free(file_rows);
    return 0;
}
