/* gemm/internal.h — what a GEMM kernel file implements (one vtable per kernel, listed in
 * kernels.def). Not installed. */
#ifndef LB_GEMM_INTERNAL_H
#define LB_GEMM_INTERNAL_H

#include <stddef.h>

#include "core/internal.h"
#include "lowbit/format.h"
#include "lowbit/gemm.h"

/* Counters a kernel adds to once per call (the registry owns them; atomic adds). */
typedef struct lb_gemm_counts {
    uint64_t macs, overflows, underflows;
} lb_gemm_counts;

typedef struct lb_gemm_vtable {
    const char *name;
    const char *desc;      /* one line for `lowbit kernels` and the report */
    const char *keys_help; /* accepted keys, e.g. "gamma=1..16,table=4..24" ("" if none) */
    /* Parse the kv list (mark keys used; unused keys are rejected by the registry), allocate
     * the state, write the canonical parameter string ("" if none) into canon. */
    lb_status (*create)(void **state, lb_kv *kv, int nkv, char *canon, size_t ncanon,
                        lb_error *err);
    /* C = alpha·op(A)·op(B) + beta·C; thread-safe for a shared state; adds its counts to *n. */
    lb_status (*run)(const void *state, const lb_gemm_call *c, lb_gemm_counts *n);
    void (*destroy)(void *state);
    /* optional (NULL): see lb_gemm_histogram */
    size_t (*histogram)(const void *state, uint64_t *counts, size_t cap);
    /* optional (NULL): see lb_gemm_lns_adder */
    const struct lb_lns_adder *(*lns_adder)(const void *state, int *bits);
    /* optional (NULL: no hardware model): see lb_gemm_mac */
    void (*mac)(const void *state, lb_mac_model *m);
} lb_gemm_vtable;

/* Per-thread scratch buffer `slot` (0 .. LB_GEMM_SCRATCH_SLOTS-1) of at least `bytes`, grown as
 * needed and kept between calls (conv layers call a kernel once per image: fresh allocations
 * would page-fault every time). NULL if out of memory. One kernel call per thread at a time
 * uses them, so kernels share the slots. */
#define LB_GEMM_SCRATCH_SLOTS 12
void *lb_gemm_scratch(int slot, size_t bytes);

/* Element (i, k) of op(A) and (k, j) of op(B) of a call. */
static inline float lb_gemm_a(const lb_gemm_call *c, int i, int k)
{
    return c->ta ? c->A[(size_t)k * c->M + i] : c->A[(size_t)i * c->K + k];
}
static inline float lb_gemm_b(const lb_gemm_call *c, int k, int j)
{
    return c->tb ? c->B[(size_t)j * c->K + k] : c->B[(size_t)k * c->N + j];
}

/* Copy op(A) into row-major (M,K) and op(B) into column-major, i.e. (N,K) rows, so that both
 * operands of every dot product are contiguous. a and b hold M·K and N·K floats. */
void lb_gemm_pack(const lb_gemm_call *c, float *a, float *bt);

/* C = alpha·acc + beta·C for one element, beta 0 ignoring C (which may be uninitialised). */
static inline void lb_gemm_store(const lb_gemm_call *c, int i, int j, double acc)
{
    float *p = &c->C[(size_t)i * c->N + j];
    *p = c->beta == 0.0f ? (float)(c->alpha * acc) : (float)(c->alpha * acc + c->beta * *p);
}

#endif
