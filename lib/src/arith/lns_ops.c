/* arith/lns_ops.c — the tree sum of the bit-true LNS GEMM and the all-LNS value codec
 * (definitions in lowbit/lnsadd.h). */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "lowbit/lnsadd.h"

lb_lns_val lb_lns_tree_sum(const lb_lns_adder *ad, lb_lns_val *v, size_t n, uint64_t *h)
{
    const lb_lns_val z = {0, 0, 1};
    if (!n) return z;
    while (n > 1) {
        size_t nb = (n + 15) / 16;
        for (size_t b = 0; b < nb; b++) {
            lb_lns_val t[16];
            for (size_t i = 0; i < 16; i++)
                t[i] = b * 16 + i < n ? v[b * 16 + i] : z;
            for (int s = 8; s >= 1; s >>= 1)
                for (int i = 0; i < s; i++) {
                    if (h && !t[i].zero && !t[i + s].zero) {
                        int32_t d = t[i].log > t[i + s].log ? t[i].log - t[i + s].log
                                                            : t[i + s].log - t[i].log;
                        h[d < ad->n ? d : ad->n]++;
                    }
                    t[i] = lb_lns_add(ad, t[i], t[i + s]);
                }
            v[b] = t[0];
        }
        n = nb;
    }
    return v[0];
}

lb_status lb_lns_ops_init(lb_lns_ops *o, const lb_lns_adder *ad, int bits, lb_error *err)
{
    memset(o, 0, sizeof *o);
    char fs[96];
    snprintf(fs, sizeof fs, "lns:bits=%d,frac=%d,scale=none,zero=flag,underflow=sat", bits,
             ad->frac);
    o->ad = ad, o->bits = bits, o->frac = ad->frac;
    return lb_format_parse(&o->f, fs, err);
}

#define CHUNK 1024

static const lb_qctx q1 = {.threads = 1}; /* callers run inside their own parallel loops */

void lb_lns_ops_enc(const lb_lns_ops *o, const float *x, size_t n, lb_lns_val *v)
{
    uint16_t c[CHUNK];
    for (size_t i0 = 0; i0 < n; i0 += CHUNK) {
        size_t m = n - i0 < CHUNK ? n - i0 : CHUNK;
        lb_encode(&o->f, c, x + i0, m, &q1); /* cannot fail: a valid <= 16-bit format */
        for (size_t i = 0; i < m; i++)
            v[i0 + i] = lb_lns_unpack(o->bits, o->ad->maxlog, c[i]);
    }
}

void lb_lns_ops_dec(const lb_lns_ops *o, const lb_lns_val *v, size_t n, float *x)
{
    const int B = o->bits, L = B - 2;
    uint16_t c[CHUNK];
    for (size_t i0 = 0; i0 < n; i0 += CHUNK) {
        size_t m = n - i0 < CHUNK ? n - i0 : CHUNK;
        for (size_t i = 0; i < m; i++) {
            const lb_lns_val *p = &v[i0 + i];
            uint32_t u = p->zero ? (1u << L)
                                 : ((uint32_t)p->log & ((1u << L) - 1u)) |
                                       ((uint32_t)(p->neg & 1u) << (B - 1));
            c[i] = (uint16_t)u;
        }
        lb_decode(&o->f, x + i0, c, m, &q1);
    }
}

lb_lns_val lb_lns_ops_enc1(const lb_lns_ops *o, float x)
{
    lb_lns_val v;
    lb_lns_ops_enc(o, &x, 1, &v);
    return v;
}

float lb_lns_ops_dec1(const lb_lns_ops *o, lb_lns_val v)
{
    float x;
    lb_lns_ops_dec(o, &v, 1, &x);
    return x;
}

void lb_lns_ops_accum(const lb_lns_ops *o, float *dst, const float *src, size_t n)
{
    lb_lns_val a[CHUNK / 4], b[CHUNK / 4];
    for (size_t i0 = 0; i0 < n; i0 += CHUNK / 4) {
        size_t m = n - i0 < CHUNK / 4 ? n - i0 : CHUNK / 4;
        lb_lns_ops_enc(o, dst + i0, m, a);
        lb_lns_ops_enc(o, src + i0, m, b);
        for (size_t i = 0; i < m; i++)
            a[i] = lb_lns_add(o->ad, a[i], b[i]);
        lb_lns_ops_dec(o, a, m, dst + i0);
    }
}
