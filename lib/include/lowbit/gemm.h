/* lowbit/gemm.h — GEMM kernels by name: how a layer's matrix products are computed.
 *
 * Every GEMM of a linear or conv layer (forward, backward-data, backward-weight) goes through
 * the kernel selected with `lowbit train --gemm SPEC`. The operands reach the kernel already
 * quantized by role (lowbit/nn.h); the kernel decides how products and sums are formed:
 *   "fp32"   BLIS sgemm on the float operands (fake quantization; the default)
 *   others   bit-true arithmetic (LNS, MLS ...) added one file each under lib/src/gemm/ and one
 *            line in lib/src/gemm/kernels.def.
 * A spec is NAME or NAME:key=value,... (the kernel parses its own parameters).
 *
 * LNS-only entry points (distance histograms, the kernel's LNS adder) are in lowbit/gemm_lns.h.
 *
 * Thread safety: lb_gemm_run may be called from several threads at once on one kernel object
 * (conv layers run one GEMM per image per thread); kernels keep per-call state on the stack and
 * count events with atomics. */
#ifndef LOWBIT_GEMM_H
#define LOWBIT_GEMM_H

#include <stdint.h>

#include "lowbit/format.h"
#include "lowbit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { LB_PASS_FORWARD = 0, LB_PASS_BACKWARD_DATA = 1, LB_PASS_BACKWARD_WEIGHT = 2 };

/* One call: C (M,N) = alpha · op(A) · op(B) + beta · C, row-major; op = transpose when ta/tb.
 * A is (M,K) or (K,M) if ta; B is (K,N) or (N,K) if tb. */
typedef struct lb_gemm_call {
    int pass; /* LB_PASS_* (kernels may treat passes differently) */
    int ta, tb, M, N, K;
    float alpha;
    const float *A, *B;
    float beta;
    float *C;
} lb_gemm_call;

/* Counters a kernel may keep (all zero for fp32). */
typedef struct lb_gemm_stats {
    uint64_t calls, macs;
    uint64_t overflows;  /* accumulator or result saturations, kernel-defined */
    uint64_t underflows; /* results flushed to zero, kernel-defined */
} lb_gemm_stats;

typedef struct lb_gemm_kernel lb_gemm_kernel;

/* Parse a spec and create the kernel. Unknown names or parameters: LB_ERR_ARG, err names them. */
lb_status lb_gemm_create(lb_gemm_kernel **k, const char *spec, lb_error *err);
void lb_gemm_destroy(lb_gemm_kernel *k);

/* The canonical spec (NAME:key=value,... with every parameter) for result files. */
const char *lb_gemm_spec(const lb_gemm_kernel *k);
/* 1 for the plain float kernel (layers may then use their own fast paths). */
int lb_gemm_is_float(const lb_gemm_kernel *k);

/* The datapath the kernel simulates, for the cost model (lowbit/energy.h): its MAC model with
 * the widths it computes with (accumulator, group accumulator, table bits; lowbit/format.h).
 * bits 0 means "the operands' own width" (lns-binned takes its operands as given); an fp
 * model with e = m = 0 (fpacc) multiplies the operands' own format. Float
 * kernels (fp32, fp64) and kernels without a hardware model: LB_ERR_ARG naming the kernel. */
lb_status lb_gemm_mac(const lb_gemm_kernel *k, lb_mac_model *m, lb_error *err);

/* Run one GEMM. k NULL: BLIS sgemm. */
lb_status lb_gemm_run(const lb_gemm_kernel *k, const lb_gemm_call *c);

void lb_gemm_get_stats(const lb_gemm_kernel *k, lb_gemm_stats *s);

void lb_gemm_reset_stats(lb_gemm_kernel *k);

/* Registered kernel names and one-line descriptions, NULL-terminated. */
const char *const *lb_gemm_names(void);
const char *lb_gemm_describe(const char *name);
/* The keys a kernel accepts ("" if none), NULL for an unknown name. */
const char *lb_gemm_keys_help(const char *name);

/* C (M,N) = alpha · op(A) · op(B) + beta · C, row-major; op = transpose when ta/tb; BLIS sgemm
 * (gemm/blas.c, the one BLIS call). A is (M,K) or (K,M) if ta; B is (K,N) or (N,K) if tb. */
void lb_sgemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, const float *B,
              float beta, float *C);
/* Threads BLIS uses (>= 1). */
void lb_gemm_set_threads(int threads);

#ifdef __cplusplus
}
#endif
#endif
