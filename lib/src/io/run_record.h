/* io/run_record.h — the result file of a training run (lowbit/results.h has the layout): every
 * setting of the plan, the totals of the run, provenance, the epochs and the operation counts.
 * Internal to the library. */
#ifndef LB_IO_RUN_RECORD_H
#define LB_IO_RUN_RECORD_H

#include "nn/model.h"
#include "nn/plan.h"
#include "optim/update.h"

typedef struct lb_run_totals {
    int64_t train_examples, test_examples;
    const lb_epoch_row *rows;             /* plan->cfg->epochs rows */
    uint64_t macs, overflows, underflows; /* GEMM counts of the whole run (resumes included) */
    const uint64_t *dhist;                /* LNS-addition distance histogram, dhist_bins bins */
    size_t dhist_bins;
    int classes; /* of the data set: the claims ledger's conditions read it from the result */
} lb_run_totals;

/* Write <out>.dhist.csv (when there is a histogram), then the result file p->cfg->out, each under
 * a temporary name renamed into place. */
lb_status lb_run_record_write(const lb_train_plan *p, const lb_model *m, const lb_update *u,
                              const lb_run_totals *t, lb_error *err);

#endif
