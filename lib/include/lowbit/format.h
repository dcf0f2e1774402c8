/* lowbit/format.h — number formats: spec strings, the registry, quantize, encode/decode.
 *
 * A format is parsed from a spec string: a registered name ("bf16", "fp8_e4m3", ...) or
 * "family:key=value,flag,..." ("fp:e=5,m=2,sat", "fx:wl=8,fl=6", "lns:bits=8,frac=3,scale=tensor").
 * Every family implements the same vtable (lb_family) in one file under lib/src/formats/, and
 * lib/src/formats/formats.def is the one list of registered formats.
 *
 * Semantics shared by every family ("grid semantics"): the format is a finite set of values
 * (its grid, possibly times a per-tensor or per-channel scale). Quantization returns
 *   rne  the nearest grid value; a tie goes to the value whose code is even (least significant
 *        bit 0: IEEE's even significand, an even integer for fixed point and integers); if both
 *        are even (0 and the min normal of a minifloat without subnormals), toward zero
 *   rna  the nearest; a tie goes away from zero
 *   rtz  the largest-magnitude grid value not above |x| (never overflows to inf)
 *   sr   one of the two neighbours, the upper with probability (|x|-lo)/(hi-lo), drawn from
 *        the counter-based generator keyed by (seed, tensor id, step, element index)
 * Values beyond the largest magnitude follow the format's overflow policy. LNS rounds in the
 * log domain (see lns.c). Quantization is fake quantization: the output is float32 and equals
 * decode(encode(x)) bit for bit wherever encode is defined (formats of at most 16 bits). */
#ifndef LOWBIT_FORMAT_H
#define LOWBIT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "lowbit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lb_round { LB_ROUND_RNE = 0, LB_ROUND_RNA, LB_ROUND_RTZ, LB_ROUND_SR } lb_round;

/* What happens to finite values beyond the largest finite magnitude (after rounding). */
typedef enum lb_overflow {
    LB_OVERFLOW_SAT = 0, /* clamp to +-max (also +-inf inputs) */
    LB_OVERFLOW_INF,     /* +-inf (formats with an infinity code) */
    LB_OVERFLOW_NAN      /* NaN (OCP E4M3 non-saturating mode) */
} lb_overflow;

/* Which codes of a minifloat are reserved. */
typedef enum lb_specials {
    LB_SPECIALS_IEEE = 0, /* top exponent: inf (mantissa 0) and NaN */
    LB_SPECIALS_FN,       /* only S.1..1.1..1 is NaN; no infinity (OCP E4M3 "FN") */
    LB_SPECIALS_NONE      /* every code finite; NaN inputs become +0 (MX FP4/FP6 elements) */
} lb_specials;

typedef enum lb_scale_mode {
    LB_SCALE_NONE = 0,
    LB_SCALE_TENSOR, /* one scale for the whole call */
    LB_SCALE_CHANNEL /* one scale per index along lb_qctx.axis */
} lb_scale_mode;

struct lb_family;

#define LB_NAME_LEN 96

/* A parsed format. Plain data: copy it freely. */
typedef struct lb_format {
    const struct lb_family *family;
    char name[LB_NAME_LEN]; /* canonical spec string, e.g. "fp:e=5,m=2,sub,inf" or a preset name */
    int bits;               /* storage bits per element */
    lb_round round;         /* default rounding (spec key round=); a call may override it */
    int srbits;             /* SR draws only this many random bits (spec key srbits=1..32); 0: 32 */
    lb_scale_mode scale;
    union {
        struct {
            int e, m, bias;
            int subnormals; /* 1: gradual underflow; 0: the grid jumps from 0 to the min normal */
            lb_specials specials;
            lb_overflow overflow;
        } fp;
        struct {
            int wl, fl;    /* word length, fractional bits: value = k * 2^-fl */
            int symmetric; /* 1: k in [-(2^(wl-1)-1), 2^(wl-1)-1]; 0: two's complement range */
        } fx;
        struct {
            int bits; /* symmetric: k in [-(2^(bits-1)-1), 2^(bits-1)-1], value = k * scale */
        } iq;
        struct {
            int frac;      /* F: log2 magnitude is a fixed-point number with F fraction bits */
            int logbits;   /* L: bits of the two's-complement log code */
            int zero_flag; /* 1: sign + zero flag + L bits; 0: sign + L bits, most negative code = 0
                            */
            int underflow_zero; /* 1: below the smallest magnitude rounds to 0; 0: saturates */
        } lns;
        uint64_t reserved[8]; /* room for new families' parameters */
    } p;
} lb_format;

/* Per-call quantization context. Zero-initialise, then set what you need. */
typedef struct lb_qctx {
    uint64_t seed; /* stochastic rounding key: (seed, tensor_id, step, element index) */
    uint64_t tensor_id;
    uint64_t step;
    int round_override; /* 0: use the format's round; else 1 + lb_round */
    int threads;        /* 0 or 1: single thread; results are identical for any value */
    /* Shape, for per-channel scales (and block formats): element i belongs to channel
     * (i / inner) % dims[axis], with inner = product of dims after axis. ndim 0 = flat. */
    int ndim;
    int axis;
    int64_t dims[8];
    /* Scales. On quantize/encode of a scaled format the library computes the scale(s) from
     * the data and, if scales_out != NULL, stores them there (1 float, or dims[axis] floats).
     * If scales_in != NULL the library uses those instead of computing them: this is how a
     * test fixes the grid, and how decode gets the scale. For LNS the "scale" is the integer
     * exponent-code offset, stored as a float. Block formats: one float per block. */
    const float *scales_in;
    float *scales_out;
} lb_qctx;

typedef struct lb_format_info {
    int bits;
    double max;        /* largest finite magnitude (times the scale for scaled formats) */
    double min_pos;    /* smallest positive magnitude (times the scale) */
    double min_normal; /* smallest normal magnitude (minifloats), else = min_pos */
    /* Precision: the relative spacing of neighbouring values (minifloats in their normal
     * range: 2^-M; LNS: 2^(2^-F) - 1), or, with precision_absolute = 1, the absolute step
     * (fixed point 2^-F; scaled integers: 1, relative to the scale). */
    double precision;
    int precision_absolute;
    int scaled; /* 1: max/min are relative to a data-dependent scale */
    /* Block formats (MX, MLS): elements share a scale per block of `block` elements along
     * lb_qctx.axis (-1: the whole axis); 0: not a block format. A block format needs the
     * tensor's shape in lb_qctx for the intended blocks (without one the tensor is flat), and
     * its scales_in / scales_out hold one float per block (see lib/src/formats/block.h). */
    int block;
    /* Bits of one stored scale: per block for block formats (MX: 8, MLS: the group exponent
     * bits), per tensor or channel for scaled formats (32: a float); 0 without a scale. */
    int scale_bits;
    /* Storage bits per element with the block scales amortised: bits + scale_bits / block for
     * block formats; = bits otherwise (a per-tensor or per-channel scale is amortised over a
     * whole tensor or channel: ~0 per element). Filled by lb_format_info_get. */
    double bits_per_element;
    int has_inf, has_nan;
    int signed_zero; /* 1: -0 is a distinct value (minifloats); else zeros are +0 */
    lb_overflow overflow;
    /* The virtual grid point just above max used for rounding decisions when overflow is not
     * saturating (max + one ulp for minifloats): a value rounding to it overflows. */
    double next_above_max;
    int log_rounding; /* 1: nearest and midpoints are taken in the log2 domain (LNS) */
    int encodable;    /* 1: encode/decode to integer codes are available (bits <= 16) */
    char description[160];
} lb_format_info;

/* ---- cost: the multiply-accumulate model a format's arithmetic maps to ------------------- */
/* Each family names the MAC model of its formats (lb_family.mac); lowbit/energy.h costs it. */
typedef enum lb_mac_kind {
    LB_MAC_FP,         /* e, m: minifloat product, FP32 accumulation */
    LB_MAC_INT,        /* bits: integer product and accumulator */
    LB_MAC_LNS_BINNED, /* bits (sign + L), frac: the LNS-Madam binned datapath */
    LB_MAC_LNS_PWL,    /* bits T, frac F: QAA-LNS log-domain MAC, PWL addition */
    LB_MAC_LNS_LUT,    /* bits T, frac F: the same with a LUT */
    LB_MAC_MLS,        /* e, m, group, gbits: block-scaled elements (MLS; MX with group 32) */
    LB_MAC_KIND_COUNT
} lb_mac_kind;

typedef struct lb_mac_model {
    lb_mac_kind kind;
    int e, m;         /* fp, mls elements */
    int bits;         /* int: operand bits; lns: total bits */
    int frac;         /* lns: F */
    int group, gbits; /* mls: elements per group, group-exponent bits */
    /* datapath widths a GEMM kernel simulates (lb_gemm_mac); 0: the cost model's default
     * (lowbit/energy.h). acc: accumulator bits (fp: 16 or 32, the FP accumulator format);
     * gacc: MLS group-pair accumulator bits; table: LNS-Madam table fraction bits */
    int acc, gacc, table;
    /* fp only (the fpacc kernel): an accumulator of acc_e exponent and acc_m mantissa bits
     * (0: the one acc names), its partial sums added to an FP32 sum every `promote` products
     * (0: never), kahan 1: Kahan-compensated (four accumulator additions per product) */
    int acc_e, acc_m, promote, kahan;
} lb_mac_model;

/* "fp", "int", "lns-binned", "lns-pwl", "lns-lut", "mls"; NULL for an unknown kind. */
const char *lb_mac_kind_name(lb_mac_kind k);
/* The model as an explicit spec for `lowbit energy --mac`, e.g. "mac:fp,e=4,m=3". */
void lb_mac_model_spec(const lb_mac_model *m, char *s, size_t n);
/* The MAC model of a format (its family's mac entry); LB_ERR_SPEC naming the format and why if
 * the family has none or the format's parameters give none. */
lb_status lb_format_mac(const lb_format *f, lb_mac_model *m, lb_error *err);

/* ---- the family vtable: one per file in lib/src/formats/ --------------------------------- */
typedef struct lb_kv {
    char key[32];
    char value[64]; /* "" for flags */
    int used;
} lb_kv;

typedef struct lb_family {
    const char *key;         /* spec prefix: "fp", "fx", "int", "lns" */
    const char *description; /* one line */
    const char *keys_help;   /* accepted keys, for error messages */
    /* Fill f->p, f->bits, f->scale from kv (family keys); mark each used kv. */
    lb_status (*parse)(lb_format *f, lb_kv *kv, int nkv, lb_error *err);
    void (*info)(const lb_format *f, lb_format_info *out);
    lb_status (*quantize)(const lb_format *f, float *out, const float *in, size_t n, lb_round r,
                          const lb_qctx *ctx);
    /* Optional (NULL if the family has no codes): codes are the low f->bits of each uint16. */
    lb_status (*encode)(const lb_format *f, uint16_t *codes, const float *in, size_t n, lb_round r,
                        const lb_qctx *ctx);
    lb_status (*decode)(const lb_format *f, float *out, const uint16_t *codes, size_t n,
                        const lb_qctx *ctx);
    /* Required: the MAC model of the format (see lb_format_mac). */
    lb_status (*mac)(const lb_format *f, lb_mac_model *m, lb_error *err);
    /* Required: the test oracle (TestFloat style). The value of code `code` (the low f->bits
     * bits; for a block family, of one element code) at the scale `scale` (scaled formats: the
     * value scales_in would carry — a multiplier, or an LNS code offset; 1 or 0 otherwise),
     * computed slowly from the format's definition in double precision and sharing no code with
     * the quantizer. *canonical = 0 for a code the quantizer never produces (an alias of another
     * code's value). *even = 1 if the value wins a round-half-to-even tie against a neighbour
     * with *even = 0 (for codes that encode/decode exist for: the code's lowest bit is 0; when
     * both neighbours are even a tie goes toward zero). tests/exhaustive brute-forces
     * nearest-value rounding from it for every registered format of at most 16 (element) bits;
     * a family without it fails those tests. */
    double (*ref_value)(const lb_format *f, uint32_t code, double scale, int *canonical, int *even);
} lb_family;

/* ---- the registry (lib/src/formats/formats.def) ----------------------------------------- */
typedef struct lb_registry_entry {
    const char *name; /* registered name, usable as a spec */
    const lb_family *family;
    const char *params; /* family parameters, e.g. "e=8,m=7" */
    const char *description;
} lb_registry_entry;

/* The registered formats in formats.def order; *count receives their number. */
const lb_registry_entry *lb_registry(int *count);

/* Parse a spec string. On error returns LB_ERR_SPEC with a message naming the bad key/value. */
lb_status lb_format_parse(lb_format *f, const char *spec, lb_error *err);
void lb_format_info_get(const lb_format *f, lb_format_info *out);

const char *lb_round_name(lb_round r);
lb_status lb_round_parse(lb_round *r, const char *s);

/* out[i] = Q(in[i]); out may alias in. ctx may be NULL (seed 0, flat, format's rounding). */
lb_status lb_quantize(const lb_format *f, float *out, const float *in, size_t n,
                      const lb_qctx *ctx);
/* Integer codes for formats of at most 16 bits (LB_ERR_UNSUPPORTED otherwise). */
lb_status lb_encode(const lb_format *f, uint16_t *codes, const float *in, size_t n,
                    const lb_qctx *ctx);
lb_status lb_decode(const lb_format *f, float *out, const uint16_t *codes, size_t n,
                    const lb_qctx *ctx);

/* Effective rounding of a call. */
static inline lb_round lb_qctx_round(const lb_format *f, const lb_qctx *ctx)
{
    return (ctx && ctx->round_override) ? (lb_round)(ctx->round_override - 1) : f->round;
}

#ifdef __cplusplus
}
#endif
#endif
