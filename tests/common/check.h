/* tests/common/check.h — minimal checking for tests that enumerate many cases: count checks
 * and failures, print the first few failures, and make the process exit non-zero on any. */
#ifndef LB_TEST_CHECK_H
#define LB_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static long lb_checks, lb_failures;

#ifndef LB_MAX_REPORTED
#define LB_MAX_REPORTED 20
#endif

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        lb_checks++;                                                                               \
        if (!(cond)) {                                                                             \
            if (lb_failures++ < LB_MAX_REPORTED) {                                                 \
                fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                               \
                fprintf(stderr, __VA_ARGS__);                                                      \
                fputc('\n', stderr);                                                               \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/* Print the totals in the plain "N passed, M failed" form and return the exit status. */
static inline int lb_check_summary(const char *name)
{
    printf("%s: %ld passed, %ld failed\n", name, lb_checks - lb_failures, lb_failures);
    return lb_failures ? 1 : 0;
}

#endif
