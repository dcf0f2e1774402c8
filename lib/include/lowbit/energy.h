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
 * MAC models (one multiply and one accumulate; per-dot-product work amortized over K):
 *   fp(e,m)       mantissa multiplier int_mult(m+1), exponent add int_add(e+1); accumulate
 *                 into FP32 (e 8, m 23): exponent compare, align shifter(27), add int_add(27),
 *                 normalise lzd(27) + shifter(27), exponent adjust int_add(8)
 *   int(b)        int_mult(b) + accumulator int_add(acc), acc = 2b + 8 (or --acc-bits)
 *   lns-binned(L,F)  LNS-Madam datapath: code add int_add(L+1), bin select decode(2^F),
 *                 one-hot shift shifter(acc) and add int_add(acc) into a bin (acc 24 bits);
 *                 per dot product: 2^F bin x table products int_mult(acc) and adds, lzd, 2^F
 *                 compares, amortized over K
 *   lns-pwl(T,F)  QAA-LNS log-domain MAC: product int_add(T); addition compare(T) (max),
 *                 int_add(T) (d), Δ by 16-segment PWL: 4 compare(T) (binary search), a
 *                 shifter(T) and int_add(T), then the final int_add(T)
 *   lns-lut(T,F)  the same with Δ read from a 64-entry lut(64, F+2)
 *   mls(e,m,g,G)  element product int_mult(m+1) + int_add(e+1), shift into the group
 *                 accumulator shifter(a) + int_add(a), a = 2(m+1) + 2^(e+1) + log2 g; per
 *                 group pair: int_add(G) exponent add, shifter(48) + int_add(48), amortized
 *                 over g; MX formats are mls with g = 32, G = 8 and their element e, m.
 * Memory: every operand element is read once and every output written once at its format's
 * width, from a 32 KB-class SRAM (sram32k_read per 64 bits) [choice]. */
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
    int acc_bits;     /* 0: the model's default */
    int k;            /* dot-product length for amortized per-output work (default 256) */
    char name[96];
} lb_mac;

/* A MAC model from a spec: any format spec of the library, registered or family:key=value (its
 * family's MAC model, lb_format_mac in lowbit/format.h: fp -> fp(e,m); fx, int -> int(bits);
 * lns with a zero flag (QAA-LNS) -> lns-pwl, with a zero code (LNS-Madam) -> lns-binned; mx ->
 * mls(e, m, 32, 8), MXINT8 as e 0, m 6; mls -> mls(e, m, group, gbits)), or an explicit model
 * "mac:KIND,key=value..." with KIND fp (e, m), int (bits), lns-binned / lns-pwl / lns-lut
 * (bits, frac), mls (e, m, group, gbits), mx (e, m), and optional acc, k. Unknown specs, keys
 * or out-of-range values: LB_ERR_SPEC naming them. */
lb_status lb_mac_parse(lb_mac *mac, const char *spec, lb_error *err);

typedef struct lb_mac_cost {
    double energy_pj, area_um2;
    double mult_pj, add_pj, other_pj; /* breakdown of the energy */
} lb_mac_cost;
lb_status lb_mac_cost_get(const lb_units *u, const lb_mac *mac, lb_mac_cost *c, lb_error *err);

/* Bits per stored element of an operand format (format spec), for memory traffic. */
lb_status lb_energy_format_bits(const char *spec, double *bits, lb_error *err);

/* One /ops row costed: the MAC model of the pair of operand formats (the operand with more
 * bits decides; fp32 with fp32 is fp(8,23)). */
typedef struct lb_energy_row {
    char layer[48], pass[24], mac[96];
    double macs, mac_pj, compute_pj, memory_pj;
} lb_energy_row;

/* Cost every row; overrides (NULL: as recorded): formats of the W, A, E roles. */
lb_status lb_energy_rows(const lb_units *u, const lb_op_row *ops, size_t n, const char *w_fmt,
                         const char *a_fmt, const char *e_fmt, int acc_bits, lb_energy_row *out,
                         lb_error *err);

#ifdef __cplusplus
}
#endif
#endif
