/* core/internal.h — private helpers shared by the library's source files (not installed). */
#ifndef LB_CORE_INTERNAL_H
#define LB_CORE_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "lowbit/format.h"
#include "lowbit/rng.h"

/* Element-wise loops (ReLU, bias add, SGD) run over the OpenMP threads from this many elements:
 * below it the parallel region costs more than it saves */
#define LB_PAR_MIN 32768

static inline uint32_t lb_f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static inline float lb_u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Split "k=v,flag,k2=v2" into at most maxkv items; empty items and repeated keys are
 * LB_ERR_SPEC errors naming them. */
lb_status lb_kv_split(const char *s, lb_kv *kv, int maxkv, int *nkv, lb_error *err);
/* Find a key (case-sensitive) in a parsed key list; marks it used. NULL if absent. */
const char *lb_kv_get(lb_kv *kv, int nkv, const char *key);
/* Integer value of a key within [lo, hi]; *out unchanged if absent. */
lb_status lb_kv_int(lb_kv *kv, int nkv, const char *key, int lo, int hi, int *out, lb_error *err);
/* 1 if a flag (key without value) is present; marks it used. */
int lb_kv_flag(lb_kv *kv, int nkv, const char *flag);

/* Per-channel layout from a qctx: channel(i) = (i / inner) % nch. Flat: nch = 1. */
typedef struct lb_chan_layout {
    int64_t inner, nch;
} lb_chan_layout;
lb_status lb_chan_layout_get(const lb_qctx *ctx, size_t n, lb_chan_layout *lay, lb_error *err);

/* Largest |x| over the finite elements of in[0..n) (0 if none). Vectorised. */
float lb_absmax_finite(const float *in, size_t n);

/* Number of threads for a call of n elements (1 below a size where threading pays). */
int lb_qctx_threads(const lb_qctx *ctx, size_t n);

/* Chunking for threaded kernels: the element range [lo, hi) of chunk c of nc. Chunks are
 * aligned to 64 elements so vector loops see aligned-size bodies. */
static inline void lb_chunk(size_t n, int c, int nc, size_t *lo, size_t *hi)
{
    size_t per = ((n + (size_t)nc - 1) / (size_t)nc + 63) & ~(size_t)63;
    *lo = per * (size_t)c;
    *hi = *lo + per;
    if (*lo > n) *lo = n;
    if (*hi > n) *hi = n;
}

#endif
