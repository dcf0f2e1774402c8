/* tests/fuzz/fuzz_dataset_name.c — data set names with their parameters (lb_dataset_check of
 * lowbit/data.h: the lookup of lb_dataset_load, the pairs and synthetic parameter parsers,
 * the path joins), which the workflow runs on every --dataset of a config before any job.
 * The input is the name; the data directory is this process's empty private directory, so
 * no loader finds files. Checked: no crash or sanitizer report; a failure leaves a one-line
 * message (one line unless the name has a newline); the name-and-parameter check (files 0) and the
 * full check (files 1) agree: a name the first refuses, the second refuses with the same message,
 * and a name the second accepts (synthetic data needs no files), the first accepts. */
#include "fuzz_util.h"

#include "lowbit/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 512) return 0;
    char *name = fuzz_cstr(data, size);
    lb_error e0 = {{0}}, e1 = {{0}};
    lb_status s0 = lb_dataset_check(name, fuzz_dir(), 0, &e0);
    lb_status s1 = lb_dataset_check(name, fuzz_dir(), 1, &e1);
    const int one_line = !strchr(name, '\n'); /* messages echo the name */
    if (s0) fuzz_check_error(e0.msg, one_line);
    if (s1) fuzz_check_error(e1.msg, one_line);
    FUZZ_CHECK(!s0 || (s1 == s0 && !strcmp(e0.msg, e1.msg)),
               "names-only refused '%s' (%s) but the full check said %d (%s)", name, e0.msg, s1,
               e1.msg);
    FUZZ_CHECK(s1 || !s0, "the full check accepted '%s' that names-only refused", name);
    free(name);
    return 0;
}
