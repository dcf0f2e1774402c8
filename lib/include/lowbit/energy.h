/* lowbit/energy.h — the hardware cost model: energy and area of one multiply-accumulate per
 * arithmetic, composed from unit costs (CSV files in energy_model/units/), and the energy of one
 * training iteration from a run's /ops table.
 *
 * Units (one CSV, rows "primitive,bits,energy_pj,area_um2,node_nm,source"): int_add and
 * int_mult (scaled to any width by the power law through their rows), mux2 and reg (per bit),
 * sram32k_read / sram1m_read / dram_read (per 64-bit access); fp16/fp32 add/mult rows are only
 * used to check the composed floating-point models.
 * Derived primitives (lowbit's rules, stated in the report):
 *   shifter(b)    barrel shifter: b·ceil(log2 b) mux2
 *   compare(b)    = int_add(b) (a subtraction)
 *   lzd(b)        leading-zero detector: b·ceil(log2 b)/2 mux2
 *   lut(n, w)     n-entry ROM read as a mux tree: (n-1)·w mux2
 *   decode(n)     one-hot decoder: n mux2
 * MAC models (one multiply and one accumulate; per-dot-product work amortized over the dot
 * product's length K: the K of each /ops row's GEMM, or --k for a single MAC):
 *   fp(e,m)       mantissa multiplier int_mult(m+1), exponent add int_add(e+1); accumulate in
 *                 floating point of ea exponent and ma mantissa bits: exponent compare
 *                 int_add(ea), align shifter(ma+4), add int_add(ma+4), normalise lzd(ma+4) +
 *                 shifter(ma+4), exponent adjust int_add(ea). The accumulator is a parameter,
 *                 acc = 32 (FP32: ea 8, ma 23; the default) or acc = 16 (FP16: ea 5, ma 10),
 *                 or any ea = ae, ma = am (the fpacc kernel's eXmY; ae 2..11, am 1..52; the
 *                 alignment's rounding, truncation or RNE/SR, is priced alike: w = ma+4 holds
 *                 the guard bits either way, SR's random bits are not priced). kahan = 1: four
 *                 such accumulations per product (Kahan's y, t, c). promote = P: one FP32
 *                 accumulation (ea 8, ma 23 as above) per P products, amortized 1/P; the
 *                 output then keeps an FP32 sum beside the narrow one (the reuse model's
 *                 width: 32 + 1 + ae + am bits).
 *   int(b)        int_mult(b) + accumulator int_add(acc), acc = 2b + 8 by default
 *   lns-binned(L,F)  LNS-Madam datapath: code add int_add(L+1), bin select decode(2^F),
 *                 one-hot shift shifter(acc) and add int_add(acc) into a bin; per dot product:
 *                 2^F bin x table products (an acc x (table+1)-bit multiplier, costed as
 *                 int_mult(sqrt(acc·(table+1))): the same number of partial-product bits),
 *                 2^F adds int_add(acc+table), lzd(acc+table) and 2^F compares int_add(30),
 *                 amortized over K. Defaults acc 40, table 8: the lns-binned kernel's.
 *   lns-pwl(T,F)  QAA-LNS log-domain MAC: product int_add(T); addition compare(T) (max),
 *                 int_add(T) (d), Δ by 16-segment PWL: 4 compare(T) (binary search), a
 *                 shifter(T) and int_add(T), then the final int_add(T)
 *   lns-lut(T,F)  the same with Δ read from a 64-entry lut(64, F+2)
 *   mls(e,m,g,G)  element product int_mult(m+1) + int_add(e+1), shift into the group-pair
 *                 accumulator shifter(gacc) + int_add(gacc); per group pair: int_add(G+1)
 *                 exponent add, shifter(acc) + int_add(acc) into the outer accumulator,
 *                 amortized over g. Defaults gacc 32, acc 64: the mls kernel's. MX formats
 *                 are mls with g = 32, G = 8 and their element e, m.
 * A run made with a bit-true kernel (--gemm) is priced with the widths the kernel computed
 * with (lb_gemm_mac fills an lb_mac_model with acc, gacc, table); a run with float GEMMs
 * (fake quantization) with the defaults above for the operand formats it recorded.
 * Memory (the reuse model) [choices, parameters]: each /ops row is one GEMM C(M,N) = A(M,K)
 * B(K,N) as the simulator runs it (convolutions unrolled by im2col, no window reuse; M, N, K
 * recovered from the row, lb_energy_shape). Output-stationary: an on-chip buffer of `buffer`
 * bytes holds a tile of Tm x Tn output accumulators at the MAC's accumulator width (w bits; the
 * LNS-Madam datapath keeps 2^F bins of acc bits per output), Tm = min(M, floor(sqrt(C))), Tn =
 * min(N, floor(C / Tm)), C = floor(8·buffer / w). Per tile the A rows (Tm x K) and B columns
 * (K x Tn) are read once from SRAM: A is read ceil(N/Tn) times, B ceil(M/Tm) times, C written
 * once, each element at its format's bits_per_element (block scales amortized; the output at
 * the wider operand's). SRAM cost per bit: sram32k_read / 64. No DRAM. */
#ifndef LOWBIT_ENERGY_H
#define LOWBIT_ENERGY_H

#include <stddef.h>

#include "lowbit/format.h"
#include "lowbit/results.h"
#include "lowbit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lb_units lb_units;

/* Load a unit table; missing required primitives, bad numbers or a missing file: one-line
 * error naming the file, line and field. */
lb_status lb_units_load(lb_units **u, const char *path, lb_error *err);
void lb_units_free(lb_units *u);
/* The cost of a primitive at a width (energy pJ, area µm²); LB_ERR_ARG if unknown. */
lb_status lb_units_cost(const lb_units *u, const char *primitive, double bits, double *energy_pj,
                        double *area_um2);

typedef struct lb_mac {
    lb_mac_kind kind;
    int e, m;         /* fp, mls elements */
    int bits;         /* int: operand bits; lns: total bits T (or L+1 for binned) */
    int frac;         /* lns: F */
    int group, gbits; /* mls: elements per group, group-exponent bits */
    int acc_bits;     /* accumulator bits; 0: the model's default */
    int gacc;         /* mls: group-pair accumulator bits; 0: default */
    int table;        /* lns-binned: table fraction bits; 0: default */
    int acc_e, acc_m; /* fp: accumulator exponent/mantissa bits; 0: from acc_bits (32 or 16) */
    int promote;      /* fp: FP32 promotion every `promote` products; 0: none */
    int kahan;        /* fp: 1: Kahan-compensated accumulation */
    int k;            /* dot-product length for amortized per-output work (default 256) */
    char name[128];
} lb_mac;

/* A MAC model from a spec: any format spec of the library, registered or family:key=value (its
 * family's MAC model, lb_format_mac in lowbit/format.h: fp -> fp(e,m); fx, int -> int(bits);
 * lns with a zero flag (QAA-LNS) -> lns-pwl, with a zero code (LNS-Madam) -> lns-binned; mx ->
 * mls(e, m, 32, 8), MXINT8 as e 0, m 6; mls -> mls(e, m, group, gbits)), or an explicit model
 * "mac:KIND,key=value..." with KIND fp (e, m), int (bits), lns-binned / lns-pwl / lns-lut
 * (bits, frac), mls (e, m, group, gbits), mx (e, m), and optional acc, gacc (mls), table
 * (lns-binned), ae, am, promote, kahan (fp: the fpacc kernel's accumulator; ae and am
 * together, acc if also given must be 1 + ae + am), k. Unknown specs, keys or out-of-range values:
 * LB_ERR_SPEC naming them. */
lb_status lb_mac_parse(lb_mac *mac, const char *spec, lb_error *err);
/* The MAC of a model (lb_format_mac, lb_gemm_mac), its widths included; name as given. */
void lb_mac_from_model(lb_mac *mac, const lb_mac_model *mm, const char *name);
/* Bits of one output accumulator of the model (the reuse model's tile size). */
int lb_mac_acc_width(const lb_mac *mac);

typedef struct lb_mac_cost {
    double energy_pj, area_um2;
    double mult_pj, add_pj, other_pj; /* breakdown of the energy */
} lb_mac_cost;
lb_status lb_mac_cost_get(const lb_units *u, const lb_mac *mac, lb_mac_cost *c, lb_error *err);

/* The GEMM of one /ops row, C(M,N) = A(M,K) B(K,N), from its pass, MACs and float32 byte
 * counts (lowbit/results.h: the weight tensor has n_w elements, the layer's output e, its input
 * x; B·P output positions): forward M = B·P, N = e/(B·P), K = n_w/N; backward_data M = B·P,
 * K = e/(B·P), N = n_w/K; backward_weight M = e/(B·P), N = n_w/M, K = B·P; B·P = macs/n_w.
 * LB_ERR_DATA if the row is not consistent (M·N·K != macs). */
lb_status lb_energy_shape(const lb_op_row *o, int64_t *M, int64_t *N, int64_t *K, lb_error *err);

#define LB_ENERGY_BUFFER_DEFAULT 4096 /* bytes of output tile: 1024 FP32 accumulators */

typedef struct lb_energy_opts {
    const char *w_fmt, *a_fmt, *e_fmt; /* overrides of the W, A, E roles; NULL: as recorded */
    const lb_mac_model *datapath;      /* the run's kernel (lb_gemm_mac); NULL: the formats' */
    int acc_bits; /* accumulator bits of every MAC; 0: the model's (or the datapath's) */
    int fp_acc;   /* accumulator of the floating-point MACs only: 32 (FP32), 16 (FP16); 0: 32 */
    double buffer_bytes; /* reuse model's buffer; 0: LB_ENERGY_BUFFER_DEFAULT */
} lb_energy_opts;

/* One /ops row costed: the MAC model of the pair of operand formats (the operand with more
 * bits decides; fp32 with fp32 is fp(8,23)) or of the datapath, with K from the row. */
typedef struct lb_energy_row {
    char layer[48], pass[24], mac[128];
    double macs, mac_pj, compute_pj, memory_pj;
    int64_t m, n, k;        /* the GEMM */
    int64_t tile_m, tile_n; /* the reuse model's output tile */
    double bits_a, bits_b;  /* stored bits per operand element */
} lb_energy_row;

/* Cost every row (opts NULL: everything as recorded, defaults). */
lb_status lb_energy_rows(const lb_units *u, const lb_op_row *ops, size_t n,
                         const lb_energy_opts *opts, lb_energy_row *out, lb_error *err);

#ifdef __cplusplus
}
#endif
#endif
