/* gemm/lns_madam.c — bit-true LNS dot products of the LNS-Madam datapath (docs/methods.md#p1;
 * patent US 11,886,980; the suite simulates it for research comparison):
 *
 * Operands: each float is taken to its LNS code K = round(γ·log2|x|) (γ = 2^frac; exact when
 * the role formats are LNS with the same frac, e.g. lns8) and a sign; zeros are skipped.
 * A product is sign XOR and an integer add of codes, P = Ka + Kb = q·γ + r (0 <= r < γ).
 *
 * "lns-exact:frac=F"   2^(P/γ) in double, FP64 accumulation, one rounding of the sum back to
 *                      the LNS grid (nearest in log2), returned as float.
 * "lns-binned:frac=F,table=W,acc=A,hybrid=H"
 *   hybrid=0 (default): each product adds ±2^(q-qlo) (an integer) into bin r of γ bins; at the
 *   end bin r is multiplied by T[r] = round(2^(r/γ)·2^W) (a γ-entry table of W fraction bits;
 *   the published Q8 table for γ = 8 is 256, 279, 304, 332, 362, 394, 431, 470 — ours rounds
 *   2^(5/8)·256 = 394.8 to 395, so table=8 differs from it in that entry [choice]) and the bins
 *   are added; the integer sum is converted back to LNS by a leading-one detector and a nearest
 *   comparison of the mantissa against the remainder midpoints 2^((r+1/2)/γ) (30 fraction bits).
 *   hybrid=H (1 <= H < F): bins by the H high remainder bits only, the low bits approximated by
 *   Mitchell's 2^(rl/γ) ≈ 1 + rl/γ: a product adds ±(γ + rl)·2^(q-qlo) into bin rh, bin rh is
 *   multiplied by round(2^(rh/2^H)·2^W), and the sum is divided by γ.
 *   The accumulator keeps A bits below the largest possible product of the call: products
 *   with q < qlo = qmax - A are dropped and counted as underflows. A is reduced when the sum
 *   could overflow 63 bits for this K (never happens for A <= 40, W <= 12, K <= 2^10).
 * beta = 1 calls (weight gradients summed over images) add the LNS-rounded result to C in
 * float32.
 *
 * Two implementations of lns-binned: lns_binned_ref (the bins, literally) and the fast kernel,
 * which adds ±T[r]·2^(q-qlo) for every product straight into one integer accumulator through a
 * table indexed by P. Integer multiplication distributes over the bin sums exactly, so both give
 * bit-identical results (tested) as long as nothing overflows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm/internal.h"

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

typedef struct lnsk {
    int exact; /* lns-exact */
    int F, g;  /* frac, γ */
    int W, A, H;
    int ref;                     /* 1: the literal bin implementation (tests, benchmarks) */
    uint64_t thr[(1 << 10) + 1]; /* thr[j] = 2^((j-1/2)/γ) with 30 fraction bits, j = 1..γ */
    double pw[1 << 10];          /* 2^(r/γ) */
    /* float -> nearest code: mantissa bucket b (top F+1 bits) holds at most one midpoint;
     * j = base[b] + (mantissa >= mthr[b]) */
    int16_t base[2 << 10];
    uint32_t mthr[2 << 10];
} lnsk;

static lb_status parse_common(lnsk *k, lb_kv *kv, int nkv, lb_error *err)
{
    lb_status st;
    k->F = 3;
    if ((st = lb_kv_int(kv, nkv, "frac", 0, 10, &k->F, err))) return st;
    k->g = 1 << k->F;
    for (int j = 1; j <= k->g; j++)
        k->thr[j] = (uint64_t)llround(exp2((j - 0.5) / k->g) * 1073741824.0);
    for (int r = 0; r < k->g; r++)
        k->pw[r] = exp2((double)r / k->g);
    const int nbk = 2 << k->F, shift = 23 - (k->F + 1);
    for (int b = 0; b < nbk; b++) {
        uint32_t lo = (uint32_t)b << shift, hi = (uint32_t)(b + 1) << shift;
        k->base[b] = 0, k->mthr[b] = UINT32_MAX;
        for (int j = 1; j <= k->g; j++) {
            /* smallest 23-bit mantissa m with 1 + m/2^23 >= 2^((j-1/2)/γ) */
            uint32_t t = (uint32_t)ceil((exp2((j - 0.5) / k->g) - 1) * 8388608.0);
            if (t <= lo)
                k->base[b]++;
            else if (t < hi)
                k->mthr[b] = t;
        }
    }
    return LB_OK;
}

static lb_status exact_create(void **state, lb_kv *kv, int nkv, char *canon, size_t ncanon,
                              lb_error *err)
{
    lnsk *k = calloc(1, sizeof *k);
    if (!k) return lb_fail(err, LB_ERR_NOMEM, "out of memory");
    lb_status st = parse_common(k, kv, nkv, err);
    if (st) return free(k), st;
    k->exact = 1;
    snprintf(canon, ncanon, "frac=%d", k->F);
    *state = k;
    return LB_OK;
}

static lb_status binned_create_impl(void **state, lb_kv *kv, int nkv, char *canon, size_t ncanon,
                                    lb_error *err, int ref)
{
    lnsk *k = calloc(1, sizeof *k);
    if (!k) return lb_fail(err, LB_ERR_NOMEM, "out of memory");
    lb_status st = parse_common(k, kv, nkv, err);
    k->W = 8, k->A = 40, k->H = 0, k->ref = ref;
    if (!st) st = lb_kv_int(kv, nkv, "table", 2, 24, &k->W, err);
    if (!st) st = lb_kv_int(kv, nkv, "acc", 8, 56, &k->A, err);
    if (!st) st = lb_kv_int(kv, nkv, "hybrid", 0, 9, &k->H, err);
    if (!st && k->H && k->H >= k->F)
        st = lb_fail(err, LB_ERR_SPEC, "key 'hybrid': %d must be below frac (%d)", k->H, k->F);
    if (st) return free(k), st;
    snprintf(canon, ncanon, "frac=%d,table=%d,acc=%d,hybrid=%d", k->F, k->W, k->A, k->H);
    *state = k;
    return LB_OK;
}

static lb_status binned_create(void **state, lb_kv *kv, int nkv, char *canon, size_t ncanon,
                               lb_error *err)
{
    return binned_create_impl(state, kv, nkv, canon, ncanon, err, 0);
}

static lb_status binned_ref_create(void **state, lb_kv *kv, int nkv, char *canon, size_t ncanon,
                                   lb_error *err)
{
    return binned_create_impl(state, kv, nkv, canon, ncanon, err, 1);
}

static void destroy(void *state)
{
    free(state);
}

/* lb_gemm_scratch slots 0..3: codes, signs, combined codes, tables */

/* floor division for possibly negative a */
static inline int32_t fdiv(int32_t a, int g)
{
    return a >= 0 ? a / g : -((-a + g - 1) / g);
}

/* The nearest LNS code (log2 domain) of a finite nonzero float: q from the exponent, the
 * remainder from the mantissa bucket (subnormals through log2). */
static inline int32_t code_of(const lnsk *k, float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    int e = (int)((u >> 23) & 0xff);
    if (e == 0) return (int32_t)lrint(k->g * log2(fabs((double)x)));
    uint32_t m = u & 0x7fffff;
    uint32_t b = m >> (23 - (k->F + 1));
    return (e - 127) * k->g + k->base[b] + (m >= k->mthr[b]);
}

/* Codes and signs of op(A) as (M,K) rows and op(B) as (N,K) rows. */
typedef struct packed {
    int32_t *ka, *kb;
    int8_t *sa, *sb;
    int32_t kmin, kmax; /* over nonzero codes of both */
    int32_t amax, bmax; /* largest code of A, of B */
    int any;
} packed;

static int pack(const lb_gemm_call *c, const lnsk *kn, packed *p)
{
    size_t na = (size_t)c->M * c->K, nb = (size_t)c->N * c->K;
    p->ka = lb_gemm_scratch(0, (na + nb) * sizeof *p->ka);
    p->sa = lb_gemm_scratch(1, na + nb);
    if (!p->ka || !p->sa) return -1;
    p->kb = p->ka + na, p->sb = p->sa + na;
    p->amax = p->bmax = INT32_MIN, p->kmin = INT32_MAX, p->kmax = INT32_MIN;
    p->any = 0;
    for (int side = 0; side < 2; side++) {
        int rows = side ? c->N : c->M;
        int32_t *kk = side ? p->kb : p->ka;
        int8_t *ss = side ? p->sb : p->sa;
        int32_t *mx = side ? &p->bmax : &p->amax;
        for (int i = 0; i < rows; i++)
            for (int k = 0; k < c->K; k++) {
                float x = side ? lb_gemm_b(c, k, i) : lb_gemm_a(c, i, k);
                size_t o = (size_t)i * c->K + k;
                if (x == 0 || !isfinite(x)) { /* non-finite operands count as zero */
                    kk[o] = 0, ss[o] = 0;
                    continue;
                }
                int32_t K = code_of(kn, x);
                kk[o] = K, ss[o] = x < 0 ? -1 : 1;
                if (K > *mx) *mx = K;
                if (K < p->kmin) p->kmin = K;
                if (K > p->kmax) p->kmax = K;
                p->any = 1;
            }
    }
    return 0;
}

/* Nearest LNS value (log2 domain, frac F) of v·2^e2, v an integer (sign included). */
static float to_lns(i128 v, int e2, const lnsk *k)
{
    if (v == 0) return 0.0f;
    int neg = v < 0;
    u128 u = neg ? (u128)(-v) : (u128)v;
    uint64_t hi = (uint64_t)(u >> 64); /* leading one */
    int n = hi ? 127 - __builtin_clzll(hi) : 63 - __builtin_clzll((uint64_t)u);
    /* mantissa m = u / 2^n in [1, 2) with 30 fraction bits (truncated) */
    uint64_t m30 = n >= 30 ? (uint64_t)(u >> (n - 30)) : (uint64_t)(u << (30 - n));
    const int g = k->g;
    int r = 0; /* the largest r with m >= 2^((r - 1/2)/γ), i.e. the nearest remainder */
    for (int j = 1; j <= g; j++)
        r += m30 >= k->thr[j];
    double val = ldexp(k->pw[r == g ? 0 : r], n + e2 + (r == g));
    return (float)(neg ? -val : val);
}

/* Σ TT[xa[t] + xb[t]]: scalar on purpose (gathers are slower than scalar loads here: measured
 * 0.65 vs 1.0+ GMAC/s on an AMD EPYC with AVX-512) */
__attribute__((optimize("no-tree-vectorize"))) static int64_t
dot_tt(const int32_t *xa, const int32_t *xb, const int64_t *TT, int K)
{
    int64_t a0 = 0, a1 = 0;
    int t = 0;
    for (; t + 1 < K; t += 2) { /* two chains */
        a0 += TT[xa[t] + xb[t]];
        a1 += TT[xa[t + 1] + xb[t + 1]];
    }
    if (t < K) a0 += TT[xa[t] + xb[t]];
    return a0 + a1;
}

static lb_status run(const void *state, const lb_gemm_call *c, lb_gemm_counts *cnt)
{
    const lnsk *k = state;
    const int g = k->g, F = k->F;
    packed p;
    if (pack(c, k, &p)) return LB_ERR_NOMEM;
    const int K = c->K;
    uint64_t under = 0;
    lb_status st = LB_OK;
    if (k->exact) {
        for (int i = 0; i < c->M; i++)
            for (int j = 0; j < c->N; j++) {
                const int32_t *a = p.ka + (size_t)i * K, *b = p.kb + (size_t)j * K;
                const int8_t *sa = p.sa + (size_t)i * K, *sb = p.sb + (size_t)j * K;
                double acc = 0;
                for (int t = 0; t < K; t++) {
                    int s = sa[t] * sb[t];
                    if (!s) continue;
                    int32_t P = a[t] + b[t], q = fdiv(P, g);
                    acc += s * ldexp(k->pw[P - q * g], q);
                }
                /* one rounding back to the LNS grid: nearest in log2 */
                float r = 0.0f;
                if (acc != 0) {
                    double L = log2(fabs(acc)) * g;
                    int32_t Kr = (int32_t)floor(L);
                    double lo = ldexp(k->pw[Kr - fdiv(Kr, g) * g], fdiv(Kr, g));
                    while (lo > fabs(acc)) /* floor(L) off by one near a grid point */
                        Kr--, lo = ldexp(k->pw[Kr - fdiv(Kr, g) * g], fdiv(Kr, g));
                    double hi = ldexp(k->pw[(Kr + 1) - fdiv(Kr + 1, g) * g], fdiv(Kr + 1, g));
                    while (hi <= fabs(acc)) {
                        Kr++, lo = hi;
                        hi = ldexp(k->pw[(Kr + 1) - fdiv(Kr + 1, g) * g], fdiv(Kr + 1, g));
                    }
                    double v = fabs(acc) >= sqrt(lo * hi) ? hi : lo;
                    r = (float)(acc < 0 ? -v : v);
                }
                lb_gemm_store(c, i, j, r);
            }
        goto done;
    }
    {
        /* fixed-point accumulator: LSB 2^qlo; the bins/table carry W more fraction bits */
        /* no nonzero product when either operand is all zero */
        const int prods = p.amax != INT32_MIN && p.bmax != INT32_MIN;
        const int32_t qmax = prods ? fdiv(p.amax + p.bmax, g) : 0;
        int logK = 0;
        while ((1 << logK) < K)
            logK++;
        int A = k->A;
        int head = k->W + 2 + (k->H ? F + 1 : 0) + logK; /* bits above the accumulator's A */
        if (A + head > 62) A = 62 - head;
        if (A < 1) {
            st = LB_ERR_ARG; /* K too large for a 64-bit accumulator */
            goto done;
        }
        const int32_t qlo = qmax - A;
        const int Hb = k->H ? k->H : F, nb = 1 << Hb, low = F - Hb; /* bins, low remainder bits */
        int64_t T[1 << 10];
        for (int r = 0; r < nb; r++)
            T[r] = llround(exp2((double)r / nb) * ldexp(1.0, k->W));
        /* Fast kernel: operand codes re-based and combined with the sign, c = 4·(K - kmin) + sign
         * (zero operands: 4·2R), so that one integer add indexes a table of signed product
         * values: TT[ca + cb] = ±T[r]·2^(q-qlo) (slots 4P'+{0,2} positive, 4P'+1 negative), 0
         * for pairs with a zero; UF flags the dropped (underflowing) products. */
        const int32_t R = p.any ? p.kmax - p.kmin + 1 : 1, kmin0 = p.any ? p.kmin : 0;
        const size_t ntab = 4 * (size_t)(4 * R + 1);
        int64_t *TT = NULL;
        uint8_t *UF = NULL;
        int32_t *ca = NULL;
        if (!k->ref) {
            TT = lb_gemm_scratch(3, ntab * (sizeof *TT + 1));
            UF = TT ? (uint8_t *)(TT + ntab) : NULL;
            ca = lb_gemm_scratch(2, (size_t)(c->M + c->N) * K * sizeof *ca);
            if (!TT || !ca) {
                st = LB_ERR_NOMEM;
                goto done;
            }
            memset(TT, 0, ntab * sizeof *TT);
            memset(UF, 0, ntab);
            for (int32_t pp = 0; pp <= 2 * R - 2; pp++) {
                int32_t P = pp + 2 * kmin0, q = fdiv(P, g), r = P - q * g, sh = q - qlo;
                int64_t unit = k->H ? (int64_t)(g + (r & ((1 << low) - 1))) * T[r >> low] : T[r];
                /* sh > A only for code pairs that cannot occur (P above amax + bmax) */
                int64_t v = sh < 0 || sh > 62 - k->W - 2 - (k->H ? F + 1 : 0) ? 0 : unit << sh;
                TT[4 * pp] = TT[4 * pp + 2] = v, TT[4 * pp + 1] = -v;
                UF[4 * pp] = UF[4 * pp + 1] = UF[4 * pp + 2] = sh < 0;
            }
            for (size_t o = 0; o < (size_t)(c->M + c->N) * K; o++) /* ka, kb are contiguous */
                ca[o] = p.sa[o] ? 4 * (p.ka[o] - kmin0) + (p.sa[o] < 0) : 8 * R;
        }
        const int e2 = qlo - k->W - (k->H ? F : 0);
        /* no product can underflow when the smallest possible one is at or above qlo */
        const int need_uf = p.any && fdiv(2 * p.kmin, g) < qlo;
        if (!k->ref) {
            int64_t accs[4];
            for (int i = 0; i < c->M; i++) {
                const int32_t *xa = ca + (size_t)i * K;
                for (int j0 = 0; j0 < c->N; j0 += 4) {
                    const int nj = c->N - j0 < 4 ? c->N - j0 : 4;
                    for (int jj = 0; jj < nj; jj++) {
                        const int32_t *xb = ca + ((size_t)c->M + j0 + jj) * K;
                        accs[jj] = dot_tt(xa, xb, TT, K);
                        if (need_uf) {
                            uint32_t uf = 0;
                            for (int t = 0; t < K; t++)
                                uf += UF[xa[t] + xb[t]];
                            under += uf;
                        }
                    }
                    for (int jj = 0; jj < nj; jj++)
                        lb_gemm_store(c, i, j0 + jj, to_lns(accs[jj], e2, k));
                }
            }
        } else
            for (int i = 0; i < c->M; i++)
                for (int j = 0; j < c->N; j++) {
                    const int32_t *a = p.ka + (size_t)i * K, *b = p.kb + (size_t)j * K;
                    const int8_t *sa = p.sa + (size_t)i * K, *sb = p.sb + (size_t)j * K;
                    /* the datapath: γ (or 2^H) bins of ±2^(q-qlo) */
                    int64_t bins[1 << 10];
                    memset(bins, 0, sizeof(int64_t) * (size_t)nb);
                    for (int t = 0; t < K; t++) {
                        int s = sa[t] * sb[t];
                        if (!s) continue;
                        int32_t P = a[t] + b[t], q = fdiv(P, g), r = P - q * g, sh = q - qlo;
                        if (sh < 0) {
                            under++;
                            continue;
                        }
                        int64_t one =
                            k->H ? (int64_t)(g + (r & ((1 << low) - 1))) << sh : (int64_t)1 << sh;
                        bins[k->H ? r >> low : r] += s * one;
                    }
                    i128 total = 0;
                    for (int r = 0; r < nb; r++)
                        total += (i128)bins[r] * T[r];
                    lb_gemm_store(c, i, j, to_lns(total, e2, k));
                }
    }
done:
    cnt->macs += (uint64_t)c->M * c->N * (uint64_t)K;
    cnt->underflows += under;
    return st;
}

/* The binned datapath's widths (lowbit/energy.h prices them); the operand width is the
 * operands' own (the kernel takes LNS codes as given). */
static void binned_mac(const void *state, lb_mac_model *m)
{
    const lnsk *k = state;
    m->kind = LB_MAC_LNS_BINNED;
    m->frac = k->F, m->acc = k->A, m->table = k->W;
}

const lb_gemm_vtable lb_gemm_lns_exact = {
    "lns-exact",
    "LNS products (code add), exact conversion to linear, FP64 sum, one rounding back to LNS",
    "frac=0..10",
    exact_create,
    run,
    destroy,
    NULL,
    NULL,
    NULL};
const lb_gemm_vtable lb_gemm_lns_binned = {
    "lns-binned",
    "LNS-Madam datapath: integer sums in 2^frac remainder bins, 2^(r/γ) table, nearest "
    "conversion back (hybrid: Mitchell low bits)",
    "frac=0..10,table=2..24,acc=8..56,hybrid=0..frac-1",
    binned_create,
    run,
    destroy,
    NULL,
    NULL,
    binned_mac};
const lb_gemm_vtable lb_gemm_lns_binned_ref = {
    "lns-binned-ref",
    "lns-binned computed literally with bins (scalar reference; slow)",
    "frac=0..10,table=2..24,acc=8..56,hybrid=0..frac-1",
    binned_ref_create,
    run,
    destroy,
    NULL,
    NULL,
    binned_mac};
