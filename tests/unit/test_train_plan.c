/* tests/unit/test_train_plan.c — lb_train as a library call: the BLIS and OpenMP thread counts of
 * the caller are the same after a run with another --threads (no process-wide leak), and the
 * registries agree with lb_model_names and their find functions (unique names, NULL and a
 * message listing every name for an unknown one). */
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "lowbit/train.h"

/* BLIS's own thread-count API (blis.h is not on this test's include path; dim_t is int64) */
int64_t bli_thread_get_num_threads(void);
void bli_thread_set_num_threads(int64_t n);

int main(void)
{
    char out[64];
    snprintf(out, sizeof out, "/tmp/lb_test_train_plan.%ld.h5", (long)getpid());
    for (int caller = 1; caller <= 3; caller += 2) { /* callers with 1 and 3 threads */
        omp_set_num_threads(caller);
        bli_thread_set_num_threads(caller);
        lb_train_config c;
        lb_train_config_defaults(&c);
        c.dataset = "synthetic:classes=3,n=32,test=16,size=8";
        c.hidden1 = c.hidden2 = 8;
        c.epochs = 1;
        c.batch = 16;
        c.threads = 2;
        c.out = out;
        lb_error err;
        CHECK(lb_train(&c, NULL, NULL, &err) == LB_OK, "lb_train: %s", err.msg);
        CHECK(omp_get_max_threads() == caller, "OpenMP threads %d after the run, caller had %d",
              omp_get_max_threads(), caller);
        CHECK(bli_thread_get_num_threads() == caller, "BLIS threads %lld after, caller had %d",
              (long long)bli_thread_get_num_threads(), caller);
        unlink(out);
    }

    int n;
    const lb_model_entry *m = lb_model_registry(&n);
    const char *const *names = lb_model_names();
    lb_error err;
    for (int i = 0; i < n; i++) {
        CHECK(names[i] && !strcmp(names[i], m[i].name), "lb_model_names()[%d] is not %s", i,
              m[i].name);
        CHECK(lb_model_find(m[i].name, &err) == &m[i], "lb_model_find(%s)", m[i].name);
        for (int j = 0; j < i; j++)
            CHECK(strcmp(m[i].name, m[j].name), "model %s registered twice", m[i].name);
    }
    CHECK(names[n] == NULL, "lb_model_names() has %d entries past the registry", 1);
    CHECK(lb_model_find("no-such-model", &err) == NULL, "an unknown model was found");
    for (int i = 0; i < n; i++)
        CHECK(strstr(err.msg, m[i].name), "'%s' does not list %s", err.msg, m[i].name);
    const lb_optimizer_entry *o = lb_optimizer_registry(&n);
    for (int i = 0; i < n; i++)
        CHECK(lb_optimizer_find(o[i].name, &err) == &o[i], "lb_optimizer_find(%s)", o[i].name);
    CHECK(lb_optimizer_find("sgdx", &err) == NULL, "an unknown optimizer was found");
    const lb_schedule_entry *s = lb_schedule_registry(&n);
    for (int i = 0; i < n; i++)
        CHECK(lb_schedule_find(s[i].name, &err) == &s[i], "lb_schedule_find(%s)", s[i].name);
    CHECK(lb_schedule_find("linear", &err) == NULL, "an unknown schedule was found");
    return lb_check_summary("test_train_plan");
}
