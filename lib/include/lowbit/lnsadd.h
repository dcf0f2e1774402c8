/* lowbit/lnsadd.h — addition in the log-fixed-point LNS of QAA-LNS (docs/methods.md#p2).
 *
 * A value is (sign, zero flag, log): log a two's-complement fixed-point log2 with F fraction
 * bits, |log| <= maxlog = 2^(L-1) - 1, L = total bits - 2 (16/8, 15/7, 14/6, 13/5: L = 14..11).
 * Multiply: logs add, saturating at +-maxlog, signs XOR. Add: d = |la - lb| (an integer code),
 * result log = max(la, lb) + Δ(d) saturating at +-maxlog, sign of the operand with the larger
 * log; Δ = Δ+ when the signs agree, Δ- when they differ, and d = 0 with different signs is an
 * exact cancellation (zero). Δ± are integer codes (units of 2^-F) given by one of:
 *   exact  Δ+(d) = round(2^F log2(1 + 2^-x)), Δ-(d) = round(2^F log2(1 - 2^-x)), x = d / 2^F
 *          (round half away from zero, in double precision);
 *   lut    64 entries over x in [0, 16), step 1/4, each the function at its bin centre
 *          truncated toward zero to the F-bit grid (QAA-LNS): index d >> (F - 2);
 *   pwl    a table of segments (breakpoint, shift, intercept) per function: the first segment
 *          k with d <= bp_k applies, Δ+ = ic_k - (d >> s_k), Δ- = ic_k + (d << s_k) (d >> -s_k
 *          for s_k < 0), bp_k and ic_k truncated toward zero to the F-bit grid; 0 beyond the last
 *          breakpoint. Shifts, adds and compares only.
 * Every approximation gives 0 for d >= 16·2^F. Tables are CSV files with the columns
 * config,function,segment,breakpoint,shift,intercept (experiments/data/qaa_lns_pwl_tables.csv:
 * the published ones; `lowbit pwl-fit` writes ours in the same layout). */
#ifndef LOWBIT_LNSADD_H
#define LOWBIT_LNSADD_H

#include <stdint.h>

#include <stddef.h>

#include "lowbit/format.h"
#include "lowbit/gemm_lns.h" /* the LNS kernels' adder and distance histogram */
#include "lowbit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LB_PWL_MAXSEG 64

typedef struct lb_pwl_table {
    char name[64];
    int nseg[2]; /* [0] delta_plus, [1] delta_minus */
    double bp[2][LB_PWL_MAXSEG];
    int shift[2][LB_PWL_MAXSEG];
    double icpt[2][LB_PWL_MAXSEG];
} lb_pwl_table;

/* Reads the table `config` (a value of the config column) from a CSV file. Every cell is
 * validated (lns_add.c, pwl_segment_problem: finite breakpoints in [0, 64], not decreasing; Δ+
 * shifts 0..31, Δ- shifts -31..31; finite intercepts within ±2^16; no int32 overflow on the
 * grid): LB_ERR_DATA naming file:line and the column. */
lb_status lb_pwl_read(const char *path, const char *config, lb_pwl_table *t, lb_error *err);
/* The same checks on a table in memory, and on a table name (a config cell: 1-63 of
 * A-Z a-z 0-9 _ . / + -, not "config"). */
lb_status lb_pwl_check(const lb_pwl_table *t, lb_error *err);
lb_status lb_pwl_check_name(const char *name, lb_error *err);
/* Writes t as config `t->name` (a new file, written under a temporary name then renamed); a
 * table lb_pwl_check rejects is not written. */
lb_status lb_pwl_write(const char *path, const lb_pwl_table *t, lb_error *err);

typedef enum lb_delta_approx { LB_DELTA_EXACT, LB_DELTA_LUT, LB_DELTA_PWL } lb_delta_approx;

typedef struct lb_lns_adder {
    int frac;  /* F, 2..10 */
    int32_t n; /* 16·2^F: codes d >= n give Δ± = 0 */
    int32_t maxlog;
    lb_delta_approx approx;
    int32_t *dp, *dm; /* Δ+ and Δ- for every d in [0, n) (dm[0] unused: cancellation) */
} lb_lns_adder;

/* An adder for `bits` total bits (L = bits - 2 log bits) with `frac` fraction bits; t is the
 * PWL table for LB_DELTA_PWL (ignored otherwise). Free with lb_lns_adder_free. */
lb_status lb_lns_adder_init(lb_lns_adder *a, int bits, int frac, lb_delta_approx approx,
                            const lb_pwl_table *t, lb_error *err);
void lb_lns_adder_free(lb_lns_adder *a);

/* Parses "exact", "lut" or "pwl:NAME" (NAME a config of the table file `tables`, or a path to
 * a CSV file holding one table) into an adder. */
lb_status lb_lns_adder_from_spec(lb_lns_adder *a, int bits, int frac, const char *spec,
                                 const char *tables, lb_error *err);

/* Δ+ (plus = 1) or Δ- (plus = 0) of a PWL table at code d, evaluated with shifts and adds. */
int32_t lb_pwl_eval(const lb_pwl_table *t, int frac, int plus, int32_t d);

/* Simulated annealing of a PWL table for one bit-width (docs/methods.md#p2 [choice]): per function
 * (Δ+, Δ-) a state of `segments` breakpoints on the F-bit grid, the last fixed at x_ub·2^F, and
 * one integer shift per segment (Δ+: 0..16, Δ-: -16..10); the intercept of each segment is
 * chosen in closed form as an integer code (mean cost: the weighted median of the residuals,
 * max cost: their mid-range), so the table is exact on the grid. The cost runs over every code d
 * in [0, 16·2^F) (Δ-: from d = 1), 0 beyond the last breakpoint included: mean |error|, max
 * |error|, or mean weighted by `weights` (one per code: a histogram of d seen in training).
 * Moves: one breakpoint by ±1..2^F/2 codes (kept strictly increasing) or one shift by ±1;
 * Metropolis acceptance at T_i = t0 · (t1/t0)^(i/iters) (t0, t1 relative to the start cost);
 * random draws from lb_rng keyed by the seed, so a seed gives one table. The start is uniform
 * breakpoints with each segment's best shift; the best state seen is returned, never worse
 * than the start. */
typedef enum lb_pwl_cost { LB_PWL_COST_MEAN, LB_PWL_COST_MAX, LB_PWL_COST_WEIGHTED } lb_pwl_cost;

typedef struct lb_pwl_fit_opts {
    int frac, segments; /* F; segments per function (2..LB_PWL_MAXSEG) */
    double x_ub;        /* last breakpoint in log2 units (12 in the paper) */
    uint64_t seed;
    lb_pwl_cost cost;
    const double *weights; /* LB_PWL_COST_WEIGHTED: 16·2^F weights, else NULL */
    long iters;            /* moves per function */
    double t0, t1;         /* start and end temperature, relative to the start cost */
    /* called about every iters/20 moves and at the end (may be NULL) */
    void (*progress)(void *arg, int plus, long it, double temp, double best);
    void *arg;
} lb_pwl_fit_opts;

/* Fits both functions into out (named `name`); cost_start/cost_best receive [Δ+, Δ-] costs in
 * log2 units (either may be NULL). */
lb_status lb_pwl_fit(const lb_pwl_fit_opts *o, const char *name, lb_pwl_table *out,
                     double cost_start[2], double cost_best[2], lb_error *err);

/* The cost of table t for one function under o's cost rule (the same one the annealer uses). */
double lb_pwl_cost_of(const lb_pwl_fit_opts *o, const lb_pwl_table *t, int plus);

typedef struct lb_lns_val {
    int32_t log;
    uint8_t neg, zero;
} lb_lns_val;

static inline int32_t lb_lns_delta(const lb_lns_adder *a, int same_sign, int32_t d)
{
    return d >= a->n ? 0 : same_sign ? a->dp[d] : a->dm[d];
}

static inline lb_lns_val lb_lns_add(const lb_lns_adder *a, lb_lns_val x, lb_lns_val y)
{
    if (x.zero) return y;
    if (y.zero) return x;
    lb_lns_val r;
    int32_t d = x.log > y.log ? x.log - y.log : y.log - x.log;
    int same = x.neg == y.neg;
    r.neg = x.log > y.log ? x.neg : y.neg;
    r.zero = !same && d == 0;
    int32_t l = (x.log > y.log ? x.log : y.log) + lb_lns_delta(a, same, d);
    r.log = r.zero ? 0 : l > a->maxlog ? a->maxlog : l < -a->maxlog ? -a->maxlog : l;
    return r;
}

static inline lb_lns_val lb_lns_mul(const lb_lns_adder *a, lb_lns_val x, lb_lns_val y)
{
    lb_lns_val r;
    int32_t l = x.log + y.log;
    r.zero = x.zero | y.zero;
    r.neg = x.neg ^ y.neg;
    r.log = r.zero ? 0 : l > a->maxlog ? a->maxlog : l < -a->maxlog ? -a->maxlog : l;
    return r;
}

/* Sum of n >= 1 values in the order of the bit-true LNS GEMM: cut into blocks of 16 (the last
 * padded with zeros, the identity), each reduced by recursive halving
 *     for h = 8, 4, 2, 1:  v[t] = v[t] + v[t + h]   (t < h),
 * then the sequence of block sums the same way, level after level, until one value is left.
 * v is overwritten. With hist (ad->n + 1 bins), counts the distance d of every addition of two
 * nonzero values (bin min(d, n)). n = 0 gives zero. */
lb_lns_val lb_lns_tree_sum(const lb_lns_adder *ad, lb_lns_val *v, size_t n, uint64_t *hist);

/* The all-LNS arithmetic of a training run (docs/methods.md#p2: every tensor and every operation in
 * LNS): an adder (Δ± approximation, owned elsewhere) and the value format
 * lns:bits=T,frac=F,scale=none,zero=flag,underflow=sat. Floats enter through the format's
 * encoder (nearest in the log domain, saturating) and leave as its grid values, so a value that
 * is already on the grid round-trips exactly. */
typedef struct lb_lns_ops {
    const lb_lns_adder *ad;
    lb_format f;
    int bits, frac;
} lb_lns_ops;

lb_status lb_lns_ops_init(lb_lns_ops *o, const lb_lns_adder *ad, int bits, lb_error *err);
/* One code of that format (sign | zero flag | L = bits-2 log bits) as a value, the log clamped
 * to [-maxlog, maxlog] (the most negative code, -2^(L-1), is raised to -maxlog). */
static inline lb_lns_val lb_lns_unpack(int bits, int32_t maxlog, uint16_t code)
{
    const int L = bits - 2;
    const uint32_t u = code;
    const int32_t l = (int32_t)(u << (32 - L)) >> (32 - L);
    lb_lns_val v;
    v.zero = (uint8_t)((u >> L) & 1u);
    v.log = v.zero ? 0 : (l < -maxlog ? -maxlog : l);
    v.neg = (uint8_t)(v.zero ? 0 : (u >> (bits - 1)) & 1u);
    return v;
}
/* Floats -> values and back (any n; chunked through the format's codec). */
void lb_lns_ops_enc(const lb_lns_ops *o, const float *x, size_t n, lb_lns_val *v);
void lb_lns_ops_dec(const lb_lns_ops *o, const lb_lns_val *v, size_t n, float *x);
lb_lns_val lb_lns_ops_enc1(const lb_lns_ops *o, float x);
float lb_lns_ops_dec1(const lb_lns_ops *o, lb_lns_val v);
/* dst[i] = dst[i] + src[i] in LNS (floats in and out). */
void lb_lns_ops_accum(const lb_lns_ops *o, float *dst, const float *src, size_t n);

static inline lb_lns_val lb_lns_negate(lb_lns_val x)
{
    x.neg = (uint8_t)(!x.zero && !x.neg);
    return x;
}

/* 1/sqrt(x) of a positive value: log -> -log/2, halves rounded to nearest, ties toward +inf
 * [choice]; x <= 0 gives the largest value. */
static inline lb_lns_val lb_lns_rsqrt(const lb_lns_adder *a, lb_lns_val x)
{
    lb_lns_val r = {a->maxlog, 0, 0};
    if (x.zero || x.neg) return r;
    int32_t h = (x.log + 1) >> 1; /* floor((l + 1) / 2): nearest, ties up */
    r.log = -h > a->maxlog ? a->maxlog : -h < -a->maxlog ? -a->maxlog : -h;
    return r;
}

#ifdef __cplusplus
}
#endif

#endif
