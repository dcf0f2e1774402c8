/* tests/unit/test_results.c — HDF5 result file: write, read back, atomic rename, bad paths. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lowbit/results.h"

static char dir[256];

static void roundtrip(void **state)
{
    (void)state;
    lb_results *r = lb_results_new();
    assert_non_null(r);
    assert_int_equal(lb_results_set_str(r, "model", "lenet5"), LB_OK);
    assert_int_equal(lb_results_set_int(r, "seed", 42), LB_OK);
    assert_int_equal(lb_results_set_num(r, "lr", 0.05), LB_OK);
    assert_int_equal(lb_results_set_str(r, "model", "mlp"), LB_OK); /* last value wins */
    for (int e = 1; e <= 3; e++) {
        lb_epoch_row row = {e, 1.0 / e, 0.5 + e * 0.1, 1.1 / e, 0.4 + e * 0.1, 2.5, 0, 0};
        assert_int_equal(lb_results_add_epoch(r, &row), LB_OK);
    }
    lb_op_row op = {"conv1", "forward", 117600, "fp32", "bf16", 10, 20, 30, 128};
    assert_int_equal(lb_results_add_op(r, &op), LB_OK);
    assert_int_equal(lb_results_add_extra(r, "update_error", 0.25), LB_OK);
    char path[512];
    snprintf(path, sizeof path, "%s/run.h5", dir);
    lb_error err;
    assert_int_equal(lb_results_write(r, path, &err), LB_OK);
    lb_results_free(r);

    lb_results *b = lb_results_new();
    assert_int_equal(lb_results_read(b, path, &err), LB_OK);
    assert_string_equal(lb_results_get_str(b, "model"), "mlp");
    double v;
    assert_true(lb_results_get_num(b, "seed", &v));
    assert_true(v == 42.0);
    assert_true(lb_results_get_num(b, "lr", &v));
    assert_true(v == 0.05);
    assert_int_equal(lb_results_epoch_count(b), 3);
    assert_true(lb_results_epoch(b, 2)->epoch == 3.0);
    assert_true(lb_results_epoch(b, 1)->train_loss == 0.5);
    lb_results_free(b);
    /* no temporary file is left behind */
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s/run.h5.tmp.%ld", dir, (long)getpid());
    assert_int_not_equal(access(tmp, F_OK), 0);
}

static void errors(void **state)
{
    (void)state;
    lb_results *r = lb_results_new();
    lb_error err;
    assert_int_equal(lb_results_write(r, "/nonexistent-dir/x/run.h5", &err), LB_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x/run.h5"));
    assert_int_equal(lb_results_read(r, "/nonexistent-dir/run.h5", &err), LB_ERR_IO);
    char path[512];
    snprintf(path, sizeof path, "%s/noth5.h5", dir);
    FILE *f = fopen(path, "w");
    fputs("not hdf5\n", f);
    fclose(f);
    assert_int_equal(lb_results_read(r, path, &err), LB_ERR_DATA);
    assert_non_null(strstr(err.msg, "noth5.h5"));
    lb_results_free(r);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/lowbit_test_results_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    const struct CMUnitTest tests[] = {cmocka_unit_test(roundtrip), cmocka_unit_test(errors)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) return 1;
    return rc;
}
