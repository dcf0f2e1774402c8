/* gemm/lns_qaa_lanes.h — the lane code of the fast bit-true LNS GEMM (lns_qaa.c), included
 * once per lane count: define LANES (16 or 32) first; every name gets the suffix _LANES.
 * A lane holds a log and a sign; zero is the log ZLOG, far below any real log, so adding it
 * leaves the other operand (d >= n: Δ = 0) and any sum or product of zeros only stays below
 * ZTHR (then it is zero again): lb_lns_add / lb_lns_mul on (log, neg, zero) values without the
 * zero-flag selects. Not a standalone header. */
#define LN_CAT(a, b) a##_##b
#define LN_X(a, b)   LN_CAT(a, b)
#define LN(name)     LN_X(name, LANES)

typedef struct LN(lanes) {
    int32_t l[LANES], s[LANES];
} LN(lanes);

/* x = x + y lane by lane (lb_lns_add, branch-free) */
static inline void LN(add_lanes)(const int32_t *restrict tab, int32_t n, int32_t mx,
                                 LN(lanes) *restrict x, const LN(lanes) *restrict y)
{
    for (int t = 0; t < LANES; t++) {
        int32_t xl = x->l[t], yl = y->l[t], xs = x->s[t], ys = y->s[t];
        int32_t gt = xl > yl;
        int32_t d = gt ? xl - yl : yl - xl;
        int32_t same = xs == ys;
        int32_t idx = (d < n ? d : n) + (same ? 0 : n + 1);
        int32_t l = (gt ? xl : yl) + tab[idx];
        int32_t zero = (!same & (d == 0)) | (l < ZTHR); /* cancellation, or zeros only */
        l = l > mx ? mx : (l < -mx ? -mx : l);
        x->l[t] = zero ? ZLOG : l;
        x->s[t] = zero ? 0 : (gt ? xs : ys);
    }
}

/* Reduce one block t[0..valid) (valid <= 16, the rest zero padding) by recursive halving into
 * t[0]. A padding zero is the identity of LNS addition (lb_lns_add returns the other operand
 * unchanged), so additions with a padding operand are skipped: same result, less work. */
static inline void LN(block_lanes)(const lnsadd_k *k, LN(lanes) * t, int valid)
{
    for (int h = 8; h >= 1; h >>= 1) {
        for (int i = 0; i < h && i + h < valid; i++)
            LN(add_lanes)(k->tab, k->ad.n, k->ad.maxlog, &t[i], &t[i + h]);
        valid = valid < h ? valid : h;
    }
}

/* Output row i, columns j0 .. j0+LANES-1 (B padded to Np columns, logs with ZLOG for zero):
 * products of one block of 16 reduced at once (the tree's first level, in L1), then the block
 * sums level after level; the sums go to outl/outs. v: scratch of (K + 15) / 16 lane groups. */
static void LN(group)(const lnsadd_k *k, const int32_t *al, const int32_t *as, const int32_t *bl,
                      const int32_t *bs, int i, int j0, int K, int Np, LN(lanes) * v, int32_t *outl,
                      int32_t *outs)
{
    const int32_t mx = k->ad.maxlog;
    const int nblk = (K + 15) / 16;
    for (int b = 0; b < nblk; b++) {
        LN(lanes) t[16];
        const int valid = K - b * 16 < 16 ? K - b * 16 : 16;
        for (int r = 0; r < valid; r++) { /* products, as lb_lns_mul */
            const int kk = b * 16 + r;
            int32_t *restrict pl = t[r].l, *restrict ps = t[r].s;
            const size_t ia = (size_t)i * K + kk, ib = (size_t)kk * Np + j0;
            const int32_t xl = al[ia], xs = as[ia];
            const int32_t *restrict bL = bl + ib, *restrict bS = bs + ib;
            for (int q = 0; q < LANES; q++) {
                int32_t l = xl + bL[q], zero = l < ZTHR;
                l = l > mx ? mx : (l < -mx ? -mx : l);
                pl[q] = zero ? ZLOG : l;
                ps[q] = zero ? 0 : (xs ^ bS[q]);
            }
        }
        LN(block_lanes)(k, t, valid);
        v[b] = t[0];
    }
    for (int n = nblk; n > 1; n = (n + 15) / 16) /* the block sums, level after level */
        for (int b = 0; b < (n + 15) / 16; b++) {
            LN(block_lanes)(k, v + b * 16, n - b * 16 < 16 ? n - b * 16 : 16);
            if (b) v[b] = v[b * 16];
        }
    for (int q = 0; q < LANES; q++)
        outl[q] = nblk ? v[0].l[q] : ZLOG, outs[q] = nblk ? v[0].s[q] : 0;
}

#undef LN
#undef LN_X
#undef LN_CAT
