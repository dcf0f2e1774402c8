/* tests/fuzz/fuzz_data.h — the loader contract of lowbit/data.h, checked by the data-set
 * harnesses (fuzz_idx.c, fuzz_cifar.c, fuzz_hdf5.c). */
#ifndef LB_FUZZ_DATA_H
#define LB_FUZZ_DATA_H

#include "fuzz_util.h"
#include "lowbit/data.h"

/* The loader contract of lowbit/data.h for one split after a load returned st. */
static inline void fuzz_check_split(const lb_dataset *d, lb_status st)
{
    if (st) {
        FUZZ_CHECK(!d->x && !d->y && d->n == 0, "a failed load left a split of %lld examples",
                   (long long)d->n);
        return;
    }
    FUZZ_CHECK(d->n >= 1 && d->n <= INT32_MAX && d->x && d->y, "loaded split with n = %lld",
               (long long)d->n);
    FUZZ_CHECK(d->c >= 1 && d->c <= LB_DATASET_MAX_CHANNELS && d->h >= 1 && d->w >= 1,
               "loaded shape %dx%dx%d", d->c, d->h, d->w);
    const size_t px = (size_t)d->c * (size_t)d->h * (size_t)d->w;
    for (int64_t i = 0; i < d->n; i++) {
        FUZZ_CHECK(d->y[i] >= 0 && d->y[i] < d->classes, "label %d of example %lld, %d classes",
                   d->y[i], (long long)i, d->classes);
        for (size_t k = 0; k < px; k++) {
            const float v = d->x[(size_t)i * px + k];
            FUZZ_CHECK(v >= 0.0f && v <= 1.0f, "pixel %g outside [0, 1]", v);
        }
    }
}

/* Both splits of a lb_dataset_load-style call after it returned st (err its message): the
 * split contract, shapes and classes that agree, and the splits freed. */
static inline void fuzz_check_pair(lb_dataset *tr, lb_dataset *te, lb_status st,
                                   const lb_error *err)
{
    if (st) fuzz_check_error(err->msg, 1);
    fuzz_check_split(tr, st);
    fuzz_check_split(te, st);
    if (!st)
        FUZZ_CHECK(tr->c == te->c && tr->h == te->h && tr->w == te->w && tr->classes == te->classes,
                   "train %dx%dx%d, test %dx%dx%d", tr->c, tr->h, tr->w, te->c, te->h, te->w);
    lb_dataset_free(tr);
    lb_dataset_free(te);
}

#endif
