/* tests/fuzz/fuzz_pwl.c — PWL table CSVs of LNS addition (lb_pwl_read through
 * lb_lns_adder_from_spec("pwl:FILE.csv"), lowbit/lnsadd.h): the input is written to a .csv
 * file whose first table is read and turned into adders for 16/10 and 13/5 bits (every Δ± code
 * evaluated), then a few additions. Checked: no crash or sanitizer report (the evaluation
 * shifts and adds table values: a shift by a negative amount, a signed overflow or a NaN
 * converted to an integer is a UBSan report: such a table must be refused when read), a
 * message on failure, and sums that stay within the format's log range. */
#include "fuzz_util.h"

#include "lowbit/lnsadd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 16)) return 0;
    char path[512], spec[600];
    fuzz_write(fuzz_path(path, sizeof path, "table.csv"), data, size);
    snprintf(spec, sizeof spec, "pwl:%s", path);
    static const int bf[2][2] = {{16, 10}, {13, 5}};
    for (int c = 0; c < 2; c++) {
        lb_lns_adder a;
        lb_error err = {{0}};
        if (lb_lns_adder_from_spec(&a, bf[c][0], bf[c][1], spec, NULL, &err)) {
            fuzz_check_error(err.msg, 0);
            continue;
        }
        lb_lns_val x = {3, 0, 0}, y = {-7, 1, 0}, z = {a.maxlog, 0, 0};
        lb_lns_val s = lb_lns_add(&a, lb_lns_add(&a, x, y), z);
        FUZZ_CHECK(s.log >= -a.maxlog && s.log <= a.maxlog, "sum log %d", s.log);
        lb_lns_adder_free(&a);
    }
    return 0;
}
