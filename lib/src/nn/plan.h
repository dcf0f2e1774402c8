/* nn/plan.h — a training run's configuration parsed once into typed fields (the run plan):
 * registry entries instead of names, parsed formats, the GEMM kernel, the optimizer settings,
 * the output paths. lb_train_plan_make is the one validation step; nothing after it parses a
 * string of the configuration. Internal to the library. */
#ifndef LB_NN_PLAN_H
#define LB_NN_PLAN_H

#include "lowbit/lnsadd.h"
#include "lowbit/train.h"
#include "nn/model.h"
#include "optim/update.h"

typedef struct lb_train_plan {
    const lb_train_config *cfg; /* the strings as given (recorded as given) */
    const lb_model_entry *model;
    lb_model_opts mopts;
    const lb_schedule_entry *schedule;
    lb_update_config upd; /* optimizer entry, stored-weight and compensation formats */
    lb_qroles q;          /* role formats and the GEMM kernel (owned: q.gemm) */
    lb_qroles q_last;     /* --last-layer-format roles (has_last) */
    int anyq, has_last;
    lb_lns_ops lops; /* --all-lns: the kernel's LNS arithmetic (q.lns points here) */
    int threads;     /* >= 1 */
    char ckpt[4096]; /* checkpoint path */
} lb_train_plan;

/* Parse and check c as a whole (before any data is read). p must not move afterwards (q.lns
 * points into it). On error nothing is left to free. */
lb_status lb_train_plan_make(lb_train_plan *p, const lb_train_config *c, lb_error *err);
void lb_train_plan_free(lb_train_plan *p);

#endif
