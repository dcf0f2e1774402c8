/* optim/schedule.c — the learning-rate schedules of optim/schedules.def and their registry.
 * One rate per epoch (no warm-up, no per-step change). */
#include <math.h>
#include <string.h>

#include "lowbit/train.h"

static double lr_constant(double lr0, int epoch, int epochs)
{
    (void)epoch, (void)epochs;
    return lr0;
}

/* x0.1 from epoch epochs/2, x0.01 from 3·epochs/4 (integer division) */
static double lr_step(double lr0, int epoch, int epochs)
{
    return lr0 * (epoch >= (3 * epochs) / 4 ? 0.01 : epoch >= epochs / 2 ? 0.1 : 1.0);
}

/* SGDR without restarts (Loshchilov & Hutter 2017) evaluated per epoch, minimum 0 */
static double lr_cosine(double lr0, int epoch, int epochs)
{
    return 0.5 * lr0 * (1.0 + cos(3.14159265358979323846 * (double)epoch / (double)epochs));
}

static const lb_schedule_entry schedules[] = {
#define LB_SCHEDULE(name, lr, description) {#name, lr, description},
#include "optim/schedules.def"
#undef LB_SCHEDULE
};
static const char schedule_list[] =
#define LB_SCHEDULE(name, ...) ", " #name
#include "optim/schedules.def"
#undef LB_SCHEDULE
    ;

const lb_schedule_entry *lb_schedule_registry(int *n)
{
    *n = (int)(sizeof schedules / sizeof schedules[0]);
    return schedules;
}

const lb_schedule_entry *lb_schedule_find(const char *name, lb_error *err)
{
    for (size_t i = 0; name && i < sizeof schedules / sizeof schedules[0]; i++)
        if (!strcmp(schedules[i].name, name)) return &schedules[i];
    lb_fail(err, LB_ERR_ARG, "--schedule '%s' is not one of %s", name ? name : "",
            schedule_list + 2);
    return NULL;
}
