/* energy/energy.c — unit tables, MAC models and per-iteration energy (lowbit/energy.h states
 * every modelling rule). */
#define _POSIX_C_SOURCE 200809L /* strtok_r; gcc -fopenmp defines it, clang does not */
#include "lowbit/energy.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- MAC specs --------------------------------------------------------------------------- */
static int kv_int(const char *s, const char *key, int *out)
{
    char pat[32];
    snprintf(pat, sizeof pat, "%s=", key);
    const char *p = strstr(s, pat);
    while (p && p != s && p[-1] != ',' && p[-1] != ':')
        p = strstr(p + 1, pat);
    if (!p) return 0;
    *out = atoi(p + strlen(pat));
    return 1;
}

lb_status lb_mac_parse(lb_mac *mac, const char *spec, lb_error *err)
{
    memset(mac, 0, sizeof *mac);
    mac->k = 256;
    snprintf(mac->name, sizeof mac->name, "%s", spec);
    if (!strncmp(spec, "mac:", 4)) {
        const char *k = spec + 4;
        size_t kl = strcspn(k, ",");
        static const struct {
            const char *n;
            lb_mac_kind kind;
        } kinds[] = {{"fp", LB_MAC_FP},
                     {"int", LB_MAC_INT},
                     {"lns-binned", LB_MAC_LNS_BINNED},
                     {"lns-pwl", LB_MAC_LNS_PWL},
                     {"lns-lut", LB_MAC_LNS_LUT},
                     {"mls", LB_MAC_MLS},
                     {"mx", LB_MAC_MLS}};
        int found = -1;
        for (int i = 0; i < 7; i++)
            if (strlen(kinds[i].n) == kl && !strncmp(k, kinds[i].n, kl)) found = i;
        if (found < 0)
            return lb_fail(err, LB_ERR_SPEC,
                           "MAC model '%.*s' unknown (fp, int, lns-binned, lns-pwl, lns-lut, mls, "
                           "mx)",
                           (int)kl, k);
        mac->kind = kinds[found].kind;
        int ok = 1;
        switch (mac->kind) {
        case LB_MAC_FP:
            ok = kv_int(spec, "e", &mac->e) && kv_int(spec, "m", &mac->m);
            break;
        case LB_MAC_INT:
            ok = kv_int(spec, "bits", &mac->bits);
            break;
        case LB_MAC_LNS_BINNED:
        case LB_MAC_LNS_PWL:
        case LB_MAC_LNS_LUT:
            ok = kv_int(spec, "bits", &mac->bits) && kv_int(spec, "frac", &mac->frac);
            break;
        case LB_MAC_MLS:
            ok = kv_int(spec, "e", &mac->e) && kv_int(spec, "m", &mac->m);
            if (!strncmp(k, "mx", 2))
                mac->group = 32, mac->gbits = 8;
            else
                ok = ok && kv_int(spec, "group", &mac->group) && kv_int(spec, "gbits", &mac->gbits);
            break;
        }
        kv_int(spec, "acc", &mac->acc_bits);
        kv_int(spec, "k", &mac->k);
        if (!ok || mac->e < 0 || mac->m < 0 || mac->e > 11 || mac->m > 52 || mac->bits < 0 ||
            mac->bits > 64 || mac->frac < 0 || mac->frac > 16 ||
            (mac->kind == LB_MAC_MLS && (mac->group < 1 || mac->gbits < 1)) || mac->k < 1 ||
            mac->acc_bits < 0 || mac->acc_bits > 128)
            return lb_fail(err, LB_ERR_SPEC, "MAC model '%s': missing or out-of-range keys", spec);
        return LB_OK;
    }
    lb_format f;
    lb_error e2;
    if (lb_format_parse(&f, spec, &e2)) return lb_fail(err, LB_ERR_SPEC, "%s", e2.msg);
    const char *fam = f.family->key;
    if (!strcmp(fam, "fp")) {
        mac->kind = LB_MAC_FP, mac->e = f.p.fp.e, mac->m = f.p.fp.m;
    } else if (!strcmp(fam, "fx") || !strcmp(fam, "int")) {
        mac->kind = LB_MAC_INT, mac->bits = f.bits;
    } else if (!strcmp(fam, "lns")) {
        mac->kind = f.p.lns.zero_flag ? LB_MAC_LNS_PWL : LB_MAC_LNS_BINNED;
        mac->bits = f.bits, mac->frac = f.p.lns.frac;
    } else
        return lb_fail(err, LB_ERR_SPEC, "no MAC model for the format family '%s' of '%s'", fam,
                       spec);
    return LB_OK;
}

lb_status lb_mac_cost_get(const lb_units *u, const lb_mac *m, lb_mac_cost *c, lb_error *err)
{
    memset(c, 0, sizeof *c);
    const double K = m->k > 0 ? m->k : 256;
    switch (m->kind) {
    case LB_MAC_FP: {
        put(c, &c->mult_pj, mult(u, m->m + 1), 1);
        put(c, &c->other_pj, add(u, m->e + 1), 1);
        /* accumulate in FP32 */
        put(c, &c->other_pj, add(u, 8), 1); /* exponent compare */
        put(c, &c->other_pj, shifter(u, 27), 1);
        put(c, &c->add_pj, add(u, 27), 1);
        put(c, &c->other_pj, lzd(u, 27), 1);
        put(c, &c->other_pj, shifter(u, 27), 1);
        put(c, &c->other_pj, add(u, 8), 1);
        break;
    }
    case LB_MAC_INT: {
        int acc = m->acc_bits ? m->acc_bits : 2 * m->bits + 8;
        put(c, &c->mult_pj, mult(u, m->bits), 1);
        put(c, &c->add_pj, add(u, acc), 1);
        break;
    }
    case LB_MAC_LNS_BINNED: {
        int g = 1 << m->frac, acc = m->acc_bits ? m->acc_bits : 24, L = m->bits - 1;
        put(c, &c->other_pj, add(u, L + 1), 1);
        put(c, &c->other_pj, decode(u, g), 1);
        put(c, &c->other_pj, shifter(u, acc), 1);
        put(c, &c->add_pj, add(u, acc), 1);
        /* per dot product: g bin x table products, g adds, lzd, g compares */
        put(c, &c->mult_pj, mult(u, acc), g / K);
        put(c, &c->add_pj, add(u, acc + 8), g / K);
        put(c, &c->other_pj, lzd(u, acc + 8), 1 / K);
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
        int a = m->acc_bits ? m->acc_bits : 2 * (m->m + 1) + (1 << (m->e + 1)) + clog2(m->group);
        put(c, &c->mult_pj, mult(u, m->m + 1), 1);
        put(c, &c->other_pj, add(u, m->e + 1), 1);
        put(c, &c->other_pj, shifter(u, a), 1);
        put(c, &c->add_pj, add(u, a), 1);
        put(c, &c->other_pj, add(u, m->gbits + 1), 1.0 / m->group);
        put(c, &c->other_pj, shifter(u, 48), 1.0 / m->group);
        put(c, &c->add_pj, add(u, 48), 1.0 / m->group);
        break;
    }
    default:
        return lb_fail(err, LB_ERR_ARG, "unknown MAC kind");
    }
    return LB_OK;
}

lb_status lb_energy_format_bits(const char *spec, double *bits, lb_error *err)
{
    lb_format f;
    lb_error e2;
    if (lb_format_parse(&f, spec, &e2)) return lb_fail(err, LB_ERR_SPEC, "%s", e2.msg);
    *bits = f.bits;
    return LB_OK;
}

lb_status lb_energy_rows(const lb_units *u, const lb_op_row *ops, size_t n, const char *w_fmt,
                         const char *a_fmt, const char *e_fmt, int acc_bits, lb_energy_row *out,
                         lb_error *err)
{
    if (acc_bits < 0 || acc_bits > 128) /* the range of mac:...,acc= and --acc-bits */
        return lb_fail(err, LB_ERR_ARG, "accumulator bits %d out of range [0, 128] (0: default)",
                       acc_bits);
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
            if (a_fmt) fa = a_fmt;
            if (w_fmt) fb = w_fmt;
        } else {
            if (e_fmt) fa = e_fmt;
            if (bwd_w ? a_fmt != NULL : w_fmt != NULL) fb = bwd_w ? a_fmt : w_fmt;
        }
        double ba = 0, bb = 0;
        lb_status st = lb_energy_format_bits(fa, &ba, err);
        if (!st) st = lb_energy_format_bits(fb, &bb, err);
        if (st) return st;
        lb_mac mac;
        if ((st = lb_mac_parse(&mac, ba >= bb ? fa : fb, err))) return st;
        mac.acc_bits = acc_bits;
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
        /* elements = float32 bytes / 4; stored at the format's bits; output at the wider one */
        double bits_out = ba > bb ? ba : bb;
        r->memory_pj = per_bit * ((double)o->bytes_a / 4 * ba + (double)o->bytes_b / 4 * bb +
                                  (double)o->bytes_out / 4 * bits_out);
    }
    return LB_OK;
}
