/* formats/registry.c — the format registry (formats.def), the spec-string parser and the
 * dispatching quantize/encode/decode entry points.
 *
 * Grammar (one for every family):
 *   spec   := NAME | FAMILY ":" item ("," item)*
 *   item   := KEY "=" VALUE | FLAG
 * NAME is a registered name from formats.def; FAMILY a family key ("fp", "fx", "int", "lns").
 * The key "round" (rne|rna|rtz|sr) is common to all families; every other key belongs to the
 * family. Unknown, repeated or malformed keys are errors that name the key. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

#define LB_FORMAT(name, family, params, desc) extern const lb_family family;
#include "formats/formats.def"
#undef LB_FORMAT

static const lb_registry_entry lb_registry_table[] = {
#define LB_FORMAT(name, family, params, desc) {#name, &family, params, desc},
#include "formats/formats.def"
#undef LB_FORMAT
};

const lb_registry_entry *lb_registry(int *count)
{
    if (count) *count = (int)(sizeof lb_registry_table / sizeof lb_registry_table[0]);
    return lb_registry_table;
}

static const lb_family *family_by_key(const char *key)
{
    int n;
    const lb_registry_entry *r = lb_registry(&n);
    for (int i = 0; i < n; i++)
        if (strcmp(r[i].family->key, key) == 0) return r[i].family;
    return NULL;
}

static const char *const round_names[] = {"rne", "rna", "rtz", "sr"};

const char *lb_round_name(lb_round r)
{
    return (r >= LB_ROUND_RNE && r <= LB_ROUND_SR) ? round_names[r] : "?";
}

lb_status lb_round_parse(lb_round *r, const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, round_names[i]) == 0) {
            *r = (lb_round)i;
            return LB_OK;
        }
    return LB_ERR_ARG;
}

const char *lb_kv_get(lb_kv *kv, int nkv, const char *key)
{
    for (int i = 0; i < nkv; i++)
        if (kv[i].value[0] && strcmp(kv[i].key, key) == 0) {
            kv[i].used = 1;
            return kv[i].value;
        }
    return NULL;
}

int lb_kv_flag(lb_kv *kv, int nkv, const char *flag)
{
    for (int i = 0; i < nkv; i++)
        if (!kv[i].value[0] && strcmp(kv[i].key, flag) == 0) {
            kv[i].used = 1;
            return 1;
        }
    return 0;
}

lb_status lb_kv_int(lb_kv *kv, int nkv, const char *key, int lo, int hi, int *out, lb_error *err)
{
    const char *v = lb_kv_get(kv, nkv, key);
    if (!v) return LB_OK;
    char *end;
    long x = strtol(v, &end, 10);
    if (*end || end == v)
        return lb_fail(err, LB_ERR_SPEC, "key '%s': '%s' is not an integer", key, v);
    if (x < lo || x > hi)
        return lb_fail(err, LB_ERR_SPEC, "key '%s': %ld is out of range [%d, %d]", key, x, lo, hi);
    *out = (int)x;
    return LB_OK;
}

/* Split "k=v,flag,k2=v2" into kv; reject empty items and duplicate keys. */
lb_status lb_kv_split(const char *s, lb_kv *kv, int maxkv, int *nkv, lb_error *err)
{
    *nkv = 0;
    const char *p = s;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0) return lb_fail(err, LB_ERR_SPEC, "empty item in '%s'", s);
        if (*nkv == maxkv) return lb_fail(err, LB_ERR_SPEC, "too many items in '%s'", s);
        lb_kv *it = &kv[(*nkv)++];
        memset(it, 0, sizeof *it);
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        size_t vlen = eq ? len - klen - 1 : 0;
        if (klen == 0) return lb_fail(err, LB_ERR_SPEC, "item '%.*s' has no key", (int)len, p);
        if (klen >= sizeof it->key || vlen >= sizeof it->value)
            return lb_fail(err, LB_ERR_SPEC, "item '%.*s' is too long", (int)len, p);
        if (eq && vlen == 0)
            return lb_fail(err, LB_ERR_SPEC, "key '%.*s' has an empty value", (int)klen, p);
        memcpy(it->key, p, klen);
        if (eq) memcpy(it->value, eq + 1, vlen);
        for (int i = 0; i + 1 < *nkv; i++)
            if (strcmp(kv[i].key, it->key) == 0)
                return lb_fail(err, LB_ERR_SPEC, "key '%s' given twice", it->key);
        if (!end) break;
        p = end + 1;
    }
    return LB_OK;
}

static lb_status parse_family(lb_format *f, const lb_family *fam, const char *params,
                              const char *display, lb_error *err)
{
    lb_kv kv[16];
    int nkv;
    lb_status st = lb_kv_split(params, kv, 16, &nkv, err);
    if (st) return st;
    memset(f, 0, sizeof *f);
    f->family = fam;
    f->round = LB_ROUND_RNE;
    const char *r = lb_kv_get(kv, nkv, "round");
    if (r && lb_round_parse(&f->round, r))
        return lb_fail(err, LB_ERR_SPEC, "key 'round': '%s' is not one of rne, rna, rtz, sr", r);
    if ((st = lb_kv_int(kv, nkv, "srbits", 1, 32, &f->srbits, err))) return st;
    st = fam->parse(f, kv, nkv, err);
    if (st) return st;
    for (int i = 0; i < nkv; i++)
        if (!kv[i].used)
            return lb_fail(err, LB_ERR_SPEC, "unknown %s '%s' for family '%s' (accepted: %s)",
                           kv[i].value[0] ? "key" : "flag", kv[i].key, fam->key, fam->keys_help);
    snprintf(f->name, sizeof f->name, "%s", display);
    return LB_OK;
}

lb_status lb_format_parse(lb_format *f, const char *spec, lb_error *err)
{
    if (!f || !spec) return lb_fail(err, LB_ERR_ARG, "null argument");
    if (!*spec) return lb_fail(err, LB_ERR_SPEC, "empty format spec");
    if (strlen(spec) >= LB_NAME_LEN)
        return lb_fail(err, LB_ERR_SPEC, "format spec '%.40s...' is too long", spec);
    for (const char *c = spec; *c; c++)
        if (isspace((unsigned char)*c))
            return lb_fail(err, LB_ERR_SPEC, "format spec '%s' contains white space", spec);
    const char *colon = strchr(spec, ':');
    if (!colon) {
        int n;
        const lb_registry_entry *reg = lb_registry(&n);
        for (int i = 0; i < n; i++)
            if (strcmp(reg[i].name, spec) == 0)
                return parse_family(f, reg[i].family, reg[i].params, spec, err);
        return lb_fail(err, LB_ERR_SPEC,
                       "unknown format '%s' (see `lowbit formats`, or use family:key=value,...)",
                       spec);
    }
    char fam[32];
    size_t flen = (size_t)(colon - spec);
    if (flen == 0 || flen >= sizeof fam)
        return lb_fail(err, LB_ERR_SPEC, "format spec '%s' has no family before ':'", spec);
    memcpy(fam, spec, flen);
    fam[flen] = 0;
    const lb_family *family = family_by_key(fam);
    if (!family) {
        char known[128] = "";
        int n;
        const lb_registry_entry *reg = lb_registry(&n);
        for (int i = 0; i < n; i++)
            if (!strstr(known, reg[i].family->key)) {
                if (known[0]) strncat(known, ", ", sizeof known - strlen(known) - 1);
                strncat(known, reg[i].family->key, sizeof known - strlen(known) - 1);
            }
        return lb_fail(err, LB_ERR_SPEC, "unknown format family '%s' (known: %s)", fam, known);
    }
    if (!colon[1]) return lb_fail(err, LB_ERR_SPEC, "format spec '%s' has no parameters", spec);
    return parse_family(f, family, colon + 1, spec, err);
}

void lb_format_info_get(const lb_format *f, lb_format_info *out)
{
    memset(out, 0, sizeof *out);
    f->family->info(f, out);
    out->bits_per_element = out->bits;
    if (out->block > 0) out->bits_per_element += (double)out->scale_bits / out->block;
}

static const char *const mac_kind_names[LB_MAC_KIND_COUNT] = {"fp",      "int",     "lns-binned",
                                                              "lns-pwl", "lns-lut", "mls"};

const char *lb_mac_kind_name(lb_mac_kind k)
{
    return (k >= 0 && k < LB_MAC_KIND_COUNT) ? mac_kind_names[k] : NULL;
}

void lb_mac_model_spec(const lb_mac_model *m, char *s, size_t n)
{
    const char *kn = lb_mac_kind_name(m->kind);
    switch (m->kind) {
    case LB_MAC_FP:
        snprintf(s, n, "mac:%s,e=%d,m=%d", kn, m->e, m->m);
        break;
    case LB_MAC_INT:
        snprintf(s, n, "mac:%s,bits=%d", kn, m->bits);
        break;
    case LB_MAC_MLS:
        snprintf(s, n, "mac:%s,e=%d,m=%d,group=%d,gbits=%d", kn, m->e, m->m, m->group, m->gbits);
        break;
    case LB_MAC_LNS_BINNED:
    case LB_MAC_LNS_PWL:
    case LB_MAC_LNS_LUT:
        snprintf(s, n, "mac:%s,bits=%d,frac=%d", kn, m->bits, m->frac);
        break;
    default:
        snprintf(s, n, "?");
        return;
    }
    /* the datapath widths a kernel set (lb_gemm_mac) */
    size_t len = strlen(s);
    if (m->acc && len < n) len += (size_t)snprintf(s + len, n - len, ",acc=%d", m->acc);
    if (m->gacc && len < n) len += (size_t)snprintf(s + len, n - len, ",gacc=%d", m->gacc);
    if (m->table && len < n) len += (size_t)snprintf(s + len, n - len, ",table=%d", m->table);
    if (m->acc_m && len < n)
        len += (size_t)snprintf(s + len, n - len, ",ae=%d,am=%d", m->acc_e, m->acc_m);
    if (m->promote && len < n) len += (size_t)snprintf(s + len, n - len, ",promote=%d", m->promote);
    if (m->kahan && len < n) snprintf(s + len, n - len, ",kahan=1");
}

lb_status lb_format_mac(const lb_format *f, lb_mac_model *m, lb_error *err)
{
    memset(m, 0, sizeof *m);
    if (!f->family->mac)
        return lb_fail(err, LB_ERR_SPEC, "format '%s': the family '%s' has no MAC model", f->name,
                       f->family->key);
    return f->family->mac(f, m, err);
}

lb_status lb_chan_layout_get(const lb_qctx *ctx, size_t n, lb_chan_layout *lay, lb_error *err)
{
    lay->inner = (int64_t)n;
    lay->nch = 1;
    if (!ctx || ctx->ndim == 0) return LB_OK;
    if (ctx->ndim < 0 || ctx->ndim > 8 || ctx->axis < 0 || ctx->axis >= ctx->ndim)
        return lb_fail(err, LB_ERR_ARG, "bad shape: ndim %d, axis %d", ctx->ndim, ctx->axis);
    int64_t total = 1, inner = 1;
    for (int d = 0; d < ctx->ndim; d++) {
        if (ctx->dims[d] <= 0)
            return lb_fail(err, LB_ERR_ARG, "bad shape: dim %d is %lld", d,
                           (long long)ctx->dims[d]);
        total *= ctx->dims[d];
        if (d > ctx->axis) inner *= ctx->dims[d];
    }
    if ((size_t)total != n)
        return lb_fail(err, LB_ERR_ARG, "shape has %lld elements but the call has %zu",
                       (long long)total, n);
    lay->inner = inner;
    lay->nch = ctx->dims[ctx->axis];
    return LB_OK;
}

int lb_qctx_threads(const lb_qctx *ctx, size_t n)
{
    int t = ctx ? ctx->threads : 1;
    if (t < 1) t = 1;
    if (n < 16384) t = 1; /* below this, threading costs more than it saves */
    return t;
}

static const lb_qctx lb_qctx_default;

lb_status lb_quantize(const lb_format *f, float *out, const float *in, size_t n, const lb_qctx *ctx)
{
    if (!f || !f->family || (n && (!out || !in))) return LB_ERR_ARG;
    if (!ctx) ctx = &lb_qctx_default;
    return f->family->quantize(f, out, in, n, lb_qctx_round(f, ctx), ctx);
}

lb_status lb_encode(const lb_format *f, uint16_t *codes, const float *in, size_t n,
                    const lb_qctx *ctx)
{
    if (!f || !f->family || (n && (!codes || !in))) return LB_ERR_ARG;
    if (!f->family->encode || f->bits > 16) return LB_ERR_UNSUPPORTED;
    if (!ctx) ctx = &lb_qctx_default;
    return f->family->encode(f, codes, in, n, lb_qctx_round(f, ctx), ctx);
}

lb_status lb_decode(const lb_format *f, float *out, const uint16_t *codes, size_t n,
                    const lb_qctx *ctx)
{
    if (!f || !f->family || (n && (!codes || !out))) return LB_ERR_ARG;
    if (!f->family->decode || f->bits > 16) return LB_ERR_UNSUPPORTED;
    if (!ctx) ctx = &lb_qctx_default;
    return f->family->decode(f, out, codes, n, ctx);
}
