/* energy/energy.c — unit tables, MAC models and per-iteration energy (lowbit/energy.h states
 * every modelling rule). */
#define _POSIX_C_SOURCE 200809L /* strtok_r; gcc -fopenmp defines it, clang does not */
#include "lowbit/energy.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "lowbit/format.h"

#define MAX_ROWS 64
/* plausibility bounds of a unit-table row (the 45 nm table's largest: DRAM, 1300 pJ) */
#define LB_UNITS_MAX_BITS 4096.0
#define LB_UNITS_MAX_PJ   1e6
#define LB_UNITS_MAX_UM2  1e12

typedef struct unit_row {
    char prim[32];
    double bits, e, a;
} unit_row;

struct lb_units {
    unit_row r[MAX_ROWS];
    int n;
};

static const char *required[] = {"int_add", "int_mult", "mux2", "reg", "sram32k_read"};

lb_status lb_units_load(lb_units **out, const char *path, lb_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) return lb_fail(err, LB_ERR_IO, "%s: cannot open the unit table", path);
    lb_units *u = calloc(1, sizeof *u);
    if (!u) return fclose(f), lb_fail(err, LB_ERR_NOMEM, "out of memory");
    char line[1024];
    int ln = 0, header = 0;
    lb_status st = LB_OK;
    while (!st && fgets(line, sizeof line, f)) {
        ln++;
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (!*p || *p == '#') continue;
        if (!header) {
            if (strncmp(p, "primitive,bits,energy_pj,area_um2", 33))
                st = lb_fail(err, LB_ERR_DATA,
                             "%s:%d: header must start with primitive,bits,energy_pj,area_um2",
                             path, ln);
            header = 1;
            continue;
        }
        if (u->n == MAX_ROWS) {
            st = lb_fail(err, LB_ERR_DATA, "%s:%d: more than %d rows", path, ln, MAX_ROWS);
            break;
        }
        unit_row *r = &u->r[u->n];
        char *fld[4] = {0};
        /* fields split at every comma: an empty field stays in its column (strtok would skip
         * it and shift the next value, e.g. an area, into the energy column) */
        for (int i = 0; i < 4 && p; i++) {
            fld[i] = p;
            if ((p = strchr(p, ','))) *p++ = 0;
        }
        if (!fld[0] || !fld[1] || !fld[2]) {
            st =
                lb_fail(err, LB_ERR_DATA, "%s:%d: expected primitive,bits,energy_pj,...", path, ln);
            break;
        }
        if (strlen(fld[0]) >= sizeof r->prim) {
            st = lb_fail(err, LB_ERR_DATA, "%s:%d: primitive name longer than %zu characters", path,
                         ln, sizeof r->prim - 1);
            break;
        }
        memcpy(r->prim, fld[0], strlen(fld[0]) + 1);
        char *e1, *e2, *e3 = NULL;
        r->bits = strtod(fld[1], &e1);
        r->e = strtod(fld[2], &e2);
        r->a = fld[3] && *fld[3] && *fld[3] != '\n' ? strtod(fld[3], &e3) : NAN;
        /* an empty area_um2 is "not given" (NaN); a given one must be a finite value >= 0 */
        if (*e1 || !(r->bits > 0 && r->bits <= LB_UNITS_MAX_BITS) || (*e2 && *e2 != '\n') ||
            !(r->e > 0 && r->e <= LB_UNITS_MAX_PJ) ||
            (e3 && ((*e3 && *e3 != '\n') || !(r->a >= 0 && r->a <= LB_UNITS_MAX_UM2)))) {
            st = lb_fail(err, LB_ERR_DATA,
                         "%s:%d: expected bits in (0, %g], energy_pj in (0, %g], area_um2 empty "
                         "or in [0, %g]",
                         path, ln, LB_UNITS_MAX_BITS, LB_UNITS_MAX_PJ, LB_UNITS_MAX_UM2);
            break;
        }
        u->n++;
    }
    fclose(f);
    for (size_t i = 0; !st && i < sizeof required / sizeof required[0]; i++) {
        int found = 0;
        for (int j = 0; j < u->n; j++)
            found |= !strcmp(u->r[j].prim, required[i]);
        if (!found)
            st = lb_fail(err, LB_ERR_DATA, "%s: no row for the primitive '%s'", path, required[i]);
    }
    /* the law through each primitive's rows must stay in range over the widths the MAC models
     * use (two rows at nearly the same width give an absurd exponent: inf or 0 pJ) */
    for (int j = 0; !st && j < u->n; j++)
        for (double b = 1; !st && b <= 1024; b *= 2) {
            double e, a;
            lb_units_cost(u, u->r[j].prim, b, &e, &a);
            if (!(e > 0 && e <= LB_UNITS_MAX_PJ * 1e3) || a > LB_UNITS_MAX_UM2 * 1e3)
                st = lb_fail(err, LB_ERR_DATA,
                             "%s: the rows of '%s' give %g pJ, %g um2 at %g bits (rows at nearly "
                             "the same width?)",
                             path, u->r[j].prim, e, a, b);
        }
    if (st) return free(u), st;
    *out = u;
    return LB_OK;
}

void lb_units_free(lb_units *u)
{
    free(u);
}

/* value at bits from the rows of one primitive: power law (least squares in log-log) through
 * two or more rows, linear in bits through one; col 0 energy, 1 area */
static double scale(const lb_units *u, const char *prim, double bits, int col, int *found)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int n = 0;
    double b1 = 0, v1 = 0;
    for (int i = 0; i < u->n; i++) {
        if (strcmp(u->r[i].prim, prim)) continue;
        double v = col ? u->r[i].a : u->r[i].e;
        if (!(v > 0)) continue;
        double x = log(u->r[i].bits), y = log(v);
        sx += x, sy += y, sxx += x * x, sxy += x * y, n++;
        b1 = u->r[i].bits, v1 = v;
    }
    *found = n > 0;
    if (!n) return NAN;
    if (n == 1 || sxx * n - sx * sx < 1e-12) return v1 * bits / b1;
    double k = (n * sxy - sx * sy) / (n * sxx - sx * sx), c = (sy - k * sx) / n;
    return exp(c + k * log(bits));
}

lb_status lb_units_cost(const lb_units *u, const char *prim, double bits, double *e, double *a)
{
    int fe, fa;
    *e = scale(u, prim, bits, 0, &fe);
    *a = scale(u, prim, bits, 1, &fa);
    if (!fe) return LB_ERR_ARG;
    if (!fa) *a = NAN;
    return LB_OK;
}

/* ---- derived primitives ------------------------------------------------------------------ */
typedef struct acc2 {
    double e, a;
} acc2;

static int clog2(double b)
{
    int k = 0;
    while ((double)(1 << k) < b)
        k++;
    return k;
}

static acc2 prim(const lb_units *u, const char *name, double bits)
{
    acc2 r;
    lb_units_cost(u, name, bits, &r.e, &r.a);
    if (r.a != r.a) r.a = 0;
    return r;
}
static acc2 mux(const lb_units *u, double count)
{
    acc2 m = prim(u, "mux2", 1);
    return (acc2){m.e * count, m.a * count};
}
static acc2 add(const lb_units *u, double b)
{
    return prim(u, "int_add", b);
}
static acc2 mult(const lb_units *u, double b)
{
    return prim(u, "int_mult", b);
}
static acc2 shifter(const lb_units *u, double b)
{
    return mux(u, b * clog2(b));
}
static acc2 lzd(const lb_units *u, double b)
{
    return mux(u, b * clog2(b) / 2);
}
static acc2 lut(const lb_units *u, double n, double w)
{
    return mux(u, (n - 1) * w);
}
static acc2 decode(const lb_units *u, double n)
{
    return mux(u, n);
}
static void put(lb_mac_cost *c, double *part, acc2 x, double times)
{
    *part += x.e * times;
    c->energy_pj += x.e * times;
    c->area_um2 += x.a * (times < 1 ? 1 : times); /* an amortized unit still exists once */
}

/* `times` floating-point accumulations of ea exponent and ma mantissa bits (lowbit/energy.h):
 * exponent compare, align, add, normalise, exponent adjust on w = ma + 4 bits. */
static void fp_accumulate(const lb_units *u, lb_mac_cost *c, int ea, int ma, double times)
{
    const int w = ma + 4;
    put(c, &c->other_pj, add(u, ea), times); /* exponent compare */
    put(c, &c->other_pj, shifter(u, w), times);
    put(c, &c->add_pj, add(u, w), times);
    put(c, &c->other_pj, lzd(u, w), times);
    put(c, &c->other_pj, shifter(u, w), times);
    put(c, &c->other_pj, add(u, ea), times);
}

/* ---- MAC specs --------------------------------------------------------------------------- */
void lb_mac_from_model(lb_mac *mac, const lb_mac_model *mm, const char *name)
{
    memset(mac, 0, sizeof *mac);
    mac->k = 256;
    mac->kind = mm->kind;
    mac->e = mm->e, mac->m = mm->m, mac->bits = mm->bits, mac->frac = mm->frac;
    mac->group = mm->group, mac->gbits = mm->gbits;
    mac->acc_bits = mm->acc, mac->gacc = mm->gacc, mac->table = mm->table;
    mac->acc_e = mm->acc_e, mac->acc_m = mm->acc_m, mac->promote = mm->promote;
    mac->kahan = mm->kahan;
    snprintf(mac->name, sizeof mac->name, "%s", name);
}

/* Defaults: the bit-true kernels' (lb_gemm_mac of lns-binned and mls without keys). */
enum { BINNED_ACC = 40, BINNED_TABLE = 8, MLS_GACC = 32, MLS_ACC = 64 };

int lb_mac_acc_width(const lb_mac *m)
{
    switch (m->kind) {
    case LB_MAC_FP: /* an FP32 sum beside the narrow one when it is promoted */
        return (m->acc_m      ? 1 + m->acc_e + m->acc_m
                : m->acc_bits ? m->acc_bits
                              : 32) +
               (m->promote ? 32 : 0);
    case LB_MAC_INT:
        return m->acc_bits ? m->acc_bits : 2 * m->bits + 8;
    case LB_MAC_LNS_BINNED:
        return (m->acc_bits ? m->acc_bits : BINNED_ACC) << m->frac; /* 2^F bins per output */
    case LB_MAC_LNS_PWL:
    case LB_MAC_LNS_LUT:
        return m->bits;
    case LB_MAC_MLS:
        return m->acc_bits ? m->acc_bits : MLS_ACC;
    default:
        return 32;
    }
}

/* "mac:KIND,key=value,...": every key named in its error. "mx" is mls with group 32, gbits 8. */
static lb_status mac_parse_explicit(lb_mac *mac, const char *spec, lb_error *err)
{
    lb_kv kv[16];
    int nkv;
    lb_error e2;
    if (lb_kv_split(spec + 4, kv, 16, &nkv, &e2))
        return lb_fail(err, LB_ERR_SPEC, "MAC model '%s': %s", spec, e2.msg);
    const char *k = kv[0].key;
    int mx = !strcmp(k, "mx"), found = -1;
    for (int i = 0; i < LB_MAC_KIND_COUNT; i++)
        if (!strcmp(k, lb_mac_kind_name((lb_mac_kind)i))) found = i;
    if (mx) found = LB_MAC_MLS;
    if (kv[0].value[0] || found < 0)
        return lb_fail(err, LB_ERR_SPEC,
                       "MAC model '%s' unknown (fp, int, lns-binned, lns-pwl, lns-lut, mls, mx)",
                       kv[0].key);
    kv[0].used = 1;
    mac->kind = (lb_mac_kind)found;
    static const char *const need[LB_MAC_KIND_COUNT][4] = {
        {"e", "m"},       {"bits"},         {"bits", "frac"},
        {"bits", "frac"}, {"bits", "frac"}, {"e", "m", "group", "gbits"}};
    struct {
        const char *key;
        int lo, hi, *dst;
    } keys[] = {{"e", 0, 11, &mac->e},
                {"m", 0, 52, &mac->m},
                {"bits", 1, 64, &mac->bits},
                {"frac", 0, 16, &mac->frac},
                {"group", 1, 1 << 20, &mac->group},
                {"gbits", 0, 16, &mac->gbits},
                {"acc", 1, 128, &mac->acc_bits},
                {"gacc", 1, 128, &mac->gacc},
                {"table", 1, 32, &mac->table},
                {"ae", 2, 11, &mac->acc_e},
                {"am", 1, 52, &mac->acc_m},
                {"promote", 0, 1 << 24, &mac->promote},
                {"kahan", 0, 1, &mac->kahan},
                {"k", 1, 1 << 30, &mac->k}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (mx && (!strcmp(keys[i].key, "group") || !strcmp(keys[i].key, "gbits"))) continue;
        int present = lb_kv_get(kv, nkv, keys[i].key) != NULL;
        if (lb_kv_int(kv, nkv, keys[i].key, keys[i].lo, keys[i].hi, keys[i].dst, &e2))
            return lb_fail(err, LB_ERR_SPEC, "MAC model '%s': %s", spec, e2.msg);
        int needed = 0;
        for (int j = 0; j < 4 && need[found][j]; j++)
            needed |= !strcmp(need[found][j], keys[i].key) && !(mx && j >= 2);
        if (needed && !present)
            return lb_fail(err, LB_ERR_SPEC, "MAC model '%s': key '%s' is required", spec,
                           keys[i].key);
    }
    if (mx) mac->group = 32, mac->gbits = 8;
    if ((mac->acc_e || mac->acc_m || mac->promote || mac->kahan) && mac->kind != LB_MAC_FP)
        return lb_fail(err, LB_ERR_SPEC,
                       "MAC model '%s': ae, am, promote and kahan are keys of mac:fp only", spec);
    if (!mac->acc_e != !mac->acc_m)
        return lb_fail(err, LB_ERR_SPEC, "MAC model '%s': ae and am go together", spec);
    if (mac->acc_m && mac->acc_bits && mac->acc_bits != 1 + mac->acc_e + mac->acc_m)
        return lb_fail(err, LB_ERR_SPEC, "MAC model '%s': acc=%d is not 1 + ae + am = %d", spec,
                       mac->acc_bits, 1 + mac->acc_e + mac->acc_m);
    for (int i = 0; i < nkv; i++)
        if (!kv[i].used)
            return lb_fail(err, LB_ERR_SPEC, "MAC model '%s': unknown key '%s'", spec, kv[i].key);
    return LB_OK;
}

lb_status lb_mac_parse(lb_mac *mac, const char *spec, lb_error *err)
{
    memset(mac, 0, sizeof *mac);
    mac->k = 256;
    snprintf(mac->name, sizeof mac->name, "%s", spec);
    if (!strncmp(spec, "mac:", 4)) return mac_parse_explicit(mac, spec, err);
    lb_format f;
    lb_mac_model mm;
    lb_error e2;
    if (lb_format_parse(&f, spec, &e2)) return lb_fail(err, LB_ERR_SPEC, "%s", e2.msg);
    if (lb_format_mac(&f, &mm, &e2)) return lb_fail(err, LB_ERR_SPEC, "%s", e2.msg);
    lb_mac_from_model(mac, &mm, spec);
    return LB_OK;
}

lb_status lb_mac_cost_get(const lb_units *u, const lb_mac *m, lb_mac_cost *c, lb_error *err)
{
    memset(c, 0, sizeof *c);
    const double K = m->k > 0 ? m->k : 256;
    switch (m->kind) {
    case LB_MAC_FP: {
        if (!m->acc_m && m->acc_bits && m->acc_bits != 16 && m->acc_bits != 32)
            return lb_fail(err, LB_ERR_SPEC,
                           "MAC '%s': a floating-point accumulator is acc=32 (FP32) or acc=16 "
                           "(FP16), or ae=E,am=M, not %d",
                           m->name, m->acc_bits);
        const int ea = m->acc_m            ? m->acc_e
                       : m->acc_bits == 16 ? 5
                                           : 8,
                  ma = m->acc_m            ? m->acc_m
                       : m->acc_bits == 16 ? 10
                                           : 23;
        put(c, &c->mult_pj, mult(u, m->m + 1), 1);
        put(c, &c->other_pj, add(u, m->e + 1), 1);
        fp_accumulate(u, c, ea, ma, m->kahan ? 4 : 1);
        if (m->promote) fp_accumulate(u, c, 8, 23, 1.0 / m->promote); /* into FP32 */
        break;
    }
    case LB_MAC_INT: {
        int acc = m->acc_bits ? m->acc_bits : 2 * m->bits + 8;
        put(c, &c->mult_pj, mult(u, m->bits), 1);
        put(c, &c->add_pj, add(u, acc), 1);
        break;
    }
    case LB_MAC_LNS_BINNED: {
        int g = 1 << m->frac, acc = m->acc_bits ? m->acc_bits : BINNED_ACC, L = m->bits - 1;
        int W = m->table ? m->table : BINNED_TABLE;
        put(c, &c->other_pj, add(u, L + 1), 1);
        put(c, &c->other_pj, decode(u, g), 1);
        put(c, &c->other_pj, shifter(u, acc), 1);
        put(c, &c->add_pj, add(u, acc), 1);
        /* per dot product: g bin x table products, g adds, lzd, g compares */
        put(c, &c->mult_pj, mult(u, sqrt((double)acc * (W + 1))), g / K);
        put(c, &c->add_pj, add(u, acc + W), g / K);
        put(c, &c->other_pj, lzd(u, acc + W), 1 / K);
        put(c, &c->other_pj, add(u, 30), g / K);
        break;
    }
    case LB_MAC_LNS_PWL:
    case LB_MAC_LNS_LUT: {
        int T = m->bits;
        put(c, &c->mult_pj, add(u, T), 1);  /* the product: a log add */
        put(c, &c->other_pj, add(u, T), 1); /* max(a, b) */
        put(c, &c->other_pj, add(u, T), 1); /* d = |a - b| */
        if (m->kind == LB_MAC_LNS_PWL) {
            put(c, &c->other_pj, add(u, T), 4); /* segment search */
            put(c, &c->other_pj, shifter(u, T), 1);
            put(c, &c->other_pj, add(u, T), 1);
        } else
            put(c, &c->other_pj, lut(u, 64, m->frac + 2), 1);
        put(c, &c->add_pj, add(u, T), 1);
        break;
    }
    case LB_MAC_MLS: {
        int a = m->gacc ? m->gacc : MLS_GACC, outer = m->acc_bits ? m->acc_bits : MLS_ACC;
        put(c, &c->mult_pj, mult(u, m->m + 1), 1);
        put(c, &c->other_pj, add(u, m->e + 1), 1);
        put(c, &c->other_pj, shifter(u, a), 1);
        put(c, &c->add_pj, add(u, a), 1);
        put(c, &c->other_pj, add(u, m->gbits + 1), 1.0 / m->group);
        put(c, &c->other_pj, shifter(u, outer), 1.0 / m->group);
        put(c, &c->add_pj, add(u, outer), 1.0 / m->group);
        break;
    }
    default:
        return lb_fail(err, LB_ERR_ARG, "unknown MAC kind");
    }
    return LB_OK;
}

lb_status lb_energy_shape(const lb_op_row *o, int64_t *M, int64_t *N, int64_t *K, lb_error *err)
{
    const int bw = !strcmp(o->pass, "backward_weight"), bd = !strcmp(o->pass, "backward_data");
    const int64_t nw = (bw ? o->bytes_out : o->bytes_b) / 4,
                  e = (bw || bd ? o->bytes_a : o->bytes_out) / 4;
    *M = *N = *K = 0;
    if (nw <= 0 || o->macs <= 0 || o->macs % nw)
        return lb_fail(err, LB_ERR_DATA,
                       "/ops row %s %s: MACs %lld not a multiple of the weights %lld", o->layer,
                       o->pass, (long long)o->macs, (long long)nw);
    const int64_t bp = o->macs / nw;                      /* output positions over the batch */
    const int64_t oc = e / bp, kc = oc > 0 ? nw / oc : 0; /* output channels, K of forward */
    if (bw)
        *M = oc, *N = kc, *K = bp;
    else if (bd)
        *M = bp, *N = kc, *K = oc;
    else
        *M = bp, *N = oc, *K = kc;
    if (*M <= 0 || *N <= 0 || *K <= 0 || *M * *N * *K != o->macs)
        return lb_fail(err, LB_ERR_DATA,
                       "/ops row %s %s: MACs %lld and byte counts give no GEMM shape", o->layer,
                       o->pass, (long long)o->macs);
    return LB_OK;
}

/* stored bits per element of a format (block scales amortized) */
static lb_status format_bits(const lb_format *f, double *bits)
{
    lb_format_info fi;
    lb_format_info_get(f, &fi);
    *bits = fi.bits_per_element > 0 ? fi.bits_per_element : f->bits;
    return LB_OK;
}

/* The operands' bits when a kernel quantizes them itself (the role formats are then fp32):
 * MLS elements 1+e+m plus the group exponent per group; QAA-LNS T bits; 0: as recorded. */
static double datapath_bits(const lb_mac_model *d)
{
    if (d->kind == LB_MAC_MLS) return 1 + d->e + d->m + (double)d->gbits / d->group;
    if (d->kind == LB_MAC_LNS_PWL || d->kind == LB_MAC_LNS_LUT) return d->bits;
    return 0;
}

lb_status lb_energy_rows(const lb_units *u, const lb_op_row *ops, size_t n,
                         const lb_energy_opts *opts, lb_energy_row *out, lb_error *err)
{
    const lb_energy_opts none = {0};
    const lb_energy_opts *op = opts ? opts : &none;
    const double buffer = op->buffer_bytes > 0 ? op->buffer_bytes : LB_ENERGY_BUFFER_DEFAULT;
    if (op->acc_bits < 0 || op->acc_bits > 128) /* the range of mac:...,acc= and --acc-bits */
        return lb_fail(err, LB_ERR_ARG, "accumulator bits %d out of range [0, 128] (0: default)",
                       op->acc_bits);
    if (!(op->buffer_bytes >= 0 && op->buffer_bytes <= 1e15))
        return lb_fail(err, LB_ERR_ARG, "buffer of %g bytes out of range [0, 1e15] (0: default)",
                       op->buffer_bytes);
    double sram_e, sram_a;
    lb_units_cost(u, "sram32k_read", 64, &sram_e, &sram_a);
    const double per_bit = sram_e / 64;
    for (size_t i = 0; i < n; i++) {
        const lb_op_row *o = &ops[i];
        /* a row from a file: counts and the pass are checked before they are costed */
        if (o->macs < 0 || o->bytes_a < 0 || o->bytes_b < 0 || o->bytes_out < 0 ||
            (strcmp(o->pass, "forward") && strcmp(o->pass, "backward_data") &&
             strcmp(o->pass, "backward_weight")))
            return lb_fail(err, LB_ERR_DATA,
                           "/ops row %zu (layer '%s', pass '%s'): negative MAC or byte count, or "
                           "a pass other than forward, backward_data, backward_weight",
                           i, o->layer, o->pass);
        const char *fa = o->fmt_a, *fb = o->fmt_b;
        int fwd = !strcmp(o->pass, "forward"), bwd_w = !strcmp(o->pass, "backward_weight");
        if (fwd) {
            if (op->a_fmt) fa = op->a_fmt;
            if (op->w_fmt) fb = op->w_fmt;
        } else {
            if (op->e_fmt) fa = op->e_fmt;
            if (bwd_w ? op->a_fmt != NULL : op->w_fmt != NULL) fb = bwd_w ? op->a_fmt : op->w_fmt;
        }
        int64_t M, N, K;
        lb_status st = lb_energy_shape(o, &M, &N, &K, err);
        if (st) return st;
        /* each operand spec parsed once; the operand with more bits decides the MAC model */
        lb_format ff[2];
        lb_error e2;
        if (lb_format_parse(&ff[0], fa, &e2) || lb_format_parse(&ff[1], fb, &e2))
            return lb_fail(err, LB_ERR_SPEC, "%s", e2.msg);
        double ba, bb;
        format_bits(&ff[0], &ba), format_bits(&ff[1], &bb);
        const int wide = ff[0].bits >= ff[1].bits ? 0 : 1;
        lb_mac mac;
        lb_mac_model mm;
        if ((st = lb_format_mac(&ff[wide], &mm, &e2)))
            return lb_fail(err, LB_ERR_SPEC, "%s", e2.msg);
        if (op->datapath) {
            /* the kernel's datapath; a width it leaves at 0 is the operands' (lns-binned) */
            lb_mac_model d = *op->datapath;
            if (!d.bits) d.bits = mm.bits;
            /* an FP accumulator kernel (fpacc) multiplies the operands as recorded */
            if (d.kind == LB_MAC_FP && !d.e && !d.m) {
                if (mm.kind != LB_MAC_FP && mm.kind != LB_MAC_MLS)
                    return lb_fail(err, LB_ERR_SPEC,
                                   "/ops row %s %s: the floating-point accumulator datapath needs "
                                   "floating-point operands, the run recorded '%s'",
                                   o->layer, o->pass, wide ? fb : fa);
                d.e = mm.e, d.m = mm.m;
            }
            if (d.kind == LB_MAC_LNS_BINNED && mm.kind != LB_MAC_LNS_BINNED)
                return lb_fail(err, LB_ERR_SPEC,
                               "/ops row %s %s: the LNS-Madam datapath needs LNS operands, the run "
                               "recorded '%s'",
                               o->layer, o->pass, wide ? fb : fa);
            const double db = datapath_bits(&d);
            if (db > 0) ba = bb = db;
            char name[128];
            lb_mac_model_spec(&d, name, sizeof name);
            lb_mac_from_model(&mac, &d, name);
        } else
            lb_mac_from_model(&mac, &mm, wide ? fb : fa);
        /* an accumulator override replaces the datapath's FP accumulator format too */
        if (op->acc_bits) mac.acc_bits = op->acc_bits, mac.acc_e = mac.acc_m = 0;
        if (op->fp_acc && mac.kind == LB_MAC_FP)
            mac.acc_bits = op->fp_acc, mac.acc_e = mac.acc_m = 0;
        mac.k = K > (1 << 30) ? 1 << 30 : (int)K;
        lb_mac_cost mc;
        if ((st = lb_mac_cost_get(u, &mac, &mc, err))) return st;
        lb_energy_row *r = &out[i];
        memset(r, 0, sizeof *r);
        snprintf(r->layer, sizeof r->layer, "%s", o->layer);
        snprintf(r->pass, sizeof r->pass, "%s", o->pass);
        snprintf(r->mac, sizeof r->mac, "%s", mac.name);
        r->macs = (double)o->macs;
        r->mac_pj = mc.energy_pj;
        r->compute_pj = r->macs * mc.energy_pj;
        /* output-stationary reuse model (lowbit/energy.h) */
        double C = floor(8 * buffer / lb_mac_acc_width(&mac));
        if (C < 1) C = 1;
        int64_t tm = (int64_t)floor(sqrt(C));
        if (tm > M) tm = M;
        int64_t tn = (int64_t)(C / (double)tm);
        if (tn > N) tn = N;
        if (tn < 1) tn = 1;
        const double reads_a = (double)M * K * (double)((N + tn - 1) / tn);
        const double reads_b = (double)K * N * (double)((M + tm - 1) / tm);
        const double bits_out = ba > bb ? ba : bb;
        r->m = M, r->n = N, r->k = K, r->tile_m = tm, r->tile_n = tn;
        r->bits_a = ba, r->bits_b = bb;
        r->memory_pj = per_bit * (reads_a * ba + reads_b * bb + (double)M * N * bits_out);
    }
    return LB_OK;
}
