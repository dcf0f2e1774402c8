/* lowbit/gemm_lns.h — what only the bit-true LNS GEMM kernels (lib/src/gemm/lns_*.c) provide:
 * the histogram of LNS addition operand distances and the kernel's LNS adder. Kept out of the
 * generic lowbit/gemm.h; any other kernel answers "none". */
#ifndef LOWBIT_GEMM_LNS_H
#define LOWBIT_GEMM_LNS_H

#include <stddef.h>
#include <stdint.h>

#include "lowbit/gemm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The distribution of the operand distance d = |log a - log b| (integer codes) over every LNS
 * addition of a bit-true LNS kernel created with the key dhist=1: counts[d] for d < bins - 1,
 * counts[bins - 1] for every d >= bins - 1. Returns the number of bins (0: the kernel keeps
 * no histogram) and copies min(cap, bins) of them (counts may be NULL with cap 0). */
size_t lb_gemm_histogram(const lb_gemm_kernel *k, uint64_t *counts, size_t cap);

/* The LNS adder of a bit-true LNS-addition kernel (lns-pwl, lns-lut, lns-exactadd and their
 * -ref), owned by the kernel, and its total bit-width in *bits; NULL for any other kernel.
 * `lowbit train --all-lns` does its element-wise arithmetic with it. */
struct lb_lns_adder;
const struct lb_lns_adder *lb_gemm_lns_adder(const lb_gemm_kernel *k, int *bits);

/* The PWL tables file an lns-pwl kernel reads when its spec has no file= key. The library reads
 * no environment variable and has no compiled-in path: the default is the published tables
 * shipped beside the executable (lowbit/info.h lb_data_path, share/lowbit/
 * qaa_lns_pwl_tables.csv); an application sets another with lb_gemm_lns_set_tables (the
 * lowbit command: from LOWBIT_PWL_TABLES). Set it before creating kernels (not thread-safe);
 * NULL or "" restores the default. */
void lb_gemm_lns_set_tables(const char *path);
const char *lb_gemm_lns_tables(void);

#ifdef __cplusplus
}
#endif
#endif
