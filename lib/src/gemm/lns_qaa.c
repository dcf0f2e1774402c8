/* gemm/lns_qaa.c — bit-true LNS GEMM with LNS addition (docs/methods.md#p2, QAA-LNS arithmetic):
 *
 *   "lns-pwl:bits=T,frac=F,table=NAME[,file=CSV]", "lns-lut:bits=T,frac=F",
 *   "lns-exactadd:bits=T,frac=F"   (each also as "...-ref": the scalar reference)
 *
 * Operands are encoded to the QAA-LNS format lns:bits=T,frac=F (scale none, zero flag, log
 * rounded to nearest in the log domain, saturating; a log below -maxlog is raised to -maxlog,
 * maxlog = 2^(T-3) - 1, as in lowbit/lnsadd.h). Products: lb_lns_mul (logs add, saturating).
 * Sums: lb_lns_add with Δ± from the adder (exact, LUT or the PWL table NAME of CSV, default
 * the tables file of lb_gemm_lns_tables: the one the application set, else the published
 * tables shipped beside the executable, lb_data_path), in a fixed order:
 * the K products of an output are cut into blocks of 16 (the last padded with zeros, the
 * identity of LNS addition), each block is reduced by recursive halving
 *     for h = 8, 4, 2, 1:  v[t] = v[t] + v[t + h]   (t < h)
 * and the sequence of block sums is reduced the same way, level after level, until one value
 * is left (the reference code's tree over blocks of 16; lb_lns_tree_sum). The sum is decoded to
 * float32 (the grid value 2^(log/2^F) with its sign) and stored as alpha·sum + beta·C.
 * "-ref": one output at a time, array of structs, literal. The fast kernel: 16 output columns
 * at once in struct-of-arrays lanes (branch-free, vectorised by GCC with table gathers).
 * Both give the same bits (tests/unit/test_gemm_lns_add.c).
 * Key dhist=1: count the operand distance d of every LNS addition between two nonzero values
 * (lb_gemm_histogram; the data of `lowbit pwl-fit --cost weighted`); the kernel then runs the
 * reference loop, which visits the additions in the same order. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm/internal.h"
#include "lowbit/info.h"
#include "lowbit/lnsadd.h"

static char pwl_tables_set[4096], pwl_tables_default[4096];

void lb_gemm_lns_set_tables(const char *path)
{
    snprintf(pwl_tables_set, sizeof pwl_tables_set, "%s", path ? path : "");
}

const char *lb_gemm_lns_tables(void)
{
    if (pwl_tables_set[0]) return pwl_tables_set;
    if (lb_data_path("qaa_lns_pwl_tables.csv", pwl_tables_default, sizeof pwl_tables_default))
        return "qaa_lns_pwl_tables.csv"; /* not locatable: relative to the working directory */
    return pwl_tables_default;
}

typedef struct lnsadd_k {
    lb_lns_adder ad;
    lb_lns_ops ops;         /* ad and its value format lns:bits=T,frac=F (lowbit/lnsadd.h) */
    int32_t *tab;           /* [0, n]: Δ+ (tab[n] = 0), [n+1, 2n+1]: Δ- (tab[2n+1] = 0) */
    uint32_t pow2[1 << 10]; /* bits of fl(2^(j/2^F)), j < 2^F: decoding without exp2 */
    int bits, frac, ref;
    uint64_t *hist; /* dhist=1: n + 1 bins (last: d >= n), atomic adds */
} lnsadd_k;

static lb_status create_common(void **state, lb_kv *kv, int nkv, char *canon, size_t ncanon,
                               lb_error *err, lb_delta_approx ap, int ref)
{
    int bits = 13, frac = 5, dhist = 0;
    lb_status st;
    if ((st = lb_kv_int(kv, nkv, "dhist", 0, 1, &dhist, err))) return st;
    if ((st = lb_kv_int(kv, nkv, "bits", 8, 16, &bits, err))) return st;
    if ((st = lb_kv_int(kv, nkv, "frac", 2, 10, &frac, err))) return st;
    if (frac > bits - 4)
        return lb_fail(err, LB_ERR_SPEC, "lns gemm: frac %d leaves no integer bits in %d bits",
                       frac, bits);
    char tname[64] = "", spec[160];
    const char *file = NULL;
    if (ap == LB_DELTA_PWL) {
        const char *t = lb_kv_get(kv, nkv, "table");
        snprintf(tname, sizeof tname, "%s", t ? t : "");
        if (!t) snprintf(tname, sizeof tname, "%d/%d", bits, frac);
        file = lb_kv_get(kv, nkv, "file");
        if (!file) file = lb_gemm_lns_tables();
    }
    lnsadd_k *k = calloc(1, sizeof *k);
    if (!k) return lb_fail(err, LB_ERR_NOMEM, "lns gemm: out of memory");
    k->bits = bits, k->frac = frac, k->ref = ref;
    snprintf(spec, sizeof spec, "%s",
             ap == LB_DELTA_EXACT ? "exact"
             : ap == LB_DELTA_LUT ? "lut"
                                  : "");
    if (ap == LB_DELTA_PWL) snprintf(spec, sizeof spec, "pwl:%s", tname);
    st = lb_lns_adder_from_spec(&k->ad, bits, frac, spec, file, err);
    if (!st) st = lb_lns_ops_init(&k->ops, &k->ad, bits, err);
    const int32_t n = 16 << frac;
    if (!st && !(k->tab = malloc(sizeof *k->tab * (size_t)(2 * n + 2))))
        st = lb_fail(err, LB_ERR_NOMEM, "lns gemm: out of memory");
    if (st) {
        lb_lns_adder_free(&k->ad);
        free(k);
        return st;
    }
    if (dhist && !(k->hist = calloc((size_t)n + 1, sizeof *k->hist))) {
        lb_lns_adder_free(&k->ad);
        free(k->tab), free(k);
        return lb_fail(err, LB_ERR_NOMEM, "lns gemm: out of memory");
    }
    for (int j = 0; j < (1 << frac); j++) {
        float p = (float)exp2((double)j / (double)(1 << frac));
        memcpy(&k->pow2[j], &p, sizeof p);
    }
    memcpy(k->tab, k->ad.dp, sizeof *k->tab * (size_t)n);
    memcpy(k->tab + n + 1, k->ad.dm, sizeof *k->tab * (size_t)n);
    k->tab[n] = k->tab[2 * n + 1] = 0;
    if (ap == LB_DELTA_PWL)
        snprintf(canon, ncanon, "bits=%d,frac=%d,table=%s%s", bits, frac, tname,
                 dhist ? ",dhist=1" : "");
    else
        snprintf(canon, ncanon, "bits=%d,frac=%d%s", bits, frac, dhist ? ",dhist=1" : "");
    *state = k;
    return LB_OK;
}

static void destroy(void *state)
{
    lnsadd_k *k = state;
    if (!k) return;
    lb_lns_adder_free(&k->ad);
    free(k->tab);
    free(k->hist);
    free(k);
}

static const lb_lns_adder *lns_adder(const void *state, int *bits)
{
    const lnsadd_k *k = state;
    *bits = k->bits;
    return &k->ad;
}

static size_t histogram(const void *state, uint64_t *counts, size_t cap)
{
    const lnsadd_k *k = state;
    if (!k->hist) return 0;
    size_t bins = (size_t)k->ad.n + 1;
    for (size_t i = 0; i < bins && i < cap; i++)
        counts[i] = __atomic_load_n(&k->hist[i], __ATOMIC_RELAXED);
    return bins;
}

/* Operand codes -> (log, neg, zero) arrays (lb_lns_unpack). */
static void unpack(const lnsadd_k *k, const uint16_t *c, size_t n, int32_t *lg, int32_t *ng,
                   int32_t *zr)
{
    for (size_t i = 0; i < n; i++) {
        lb_lns_val v = lb_lns_unpack(k->bits, k->ad.maxlog, c[i]);
        lg[i] = v.log, ng[i] = v.neg, zr[i] = v.zero;
    }
}

/* The grid value sign·2^(log/2^F) = fl(2^(j/2^F))·2^q (log = q·2^F + j; |log/2^F| < 32, so
 * always a float32 normal): the exponent field moved by q, the format's own grid value. */
static float decode1(const lnsadd_k *k, lb_lns_val v)
{
    if (v.zero) return 0.0f;
    const int32_t q = v.log >> k->frac, j = v.log & ((1 << k->frac) - 1);
    uint32_t b = k->pow2[j] + ((uint32_t)q << 23) + ((uint32_t)(v.neg & 1u) << 31);
    float m;
    memcpy(&m, &b, sizeof m);
    return m;
}

/* ---- the fast kernel: 32 output columns at once in struct-of-arrays lanes (16 for a short
 * last group), lns_qaa_lanes.h ---- */
#define ZLOG  (-(1 << 24))
#define ZTHR  (-(1 << 23))
#define LANES 32
#include "gemm/lns_qaa_lanes.h"
#undef LANES
#define LANES 16
#include "gemm/lns_qaa_lanes.h"
#undef LANES

static lb_status run(const void *state, const lb_gemm_call *c, lb_gemm_counts *cnt)
{
    const lnsadd_k *k = state;
    const int M = c->M, N = c->N, K = c->K;
    const int Np = (N + 31) / 32 * 32; /* op(B) columns padded with zeros to whole lanes */
    const size_t na = (size_t)M * K, nb = (size_t)Np * K;
    /* op(A) row-major (M,K) and op(B) as (K,Np) row-major: lanes run along N */
    float *fa = lb_gemm_scratch(1, sizeof *fa * (na + nb + 1)), *fb = fa + na;
    uint16_t *codes = lb_gemm_scratch(2, sizeof *codes * (na + nb + 1));
    int32_t *buf = lb_gemm_scratch(3, sizeof *buf * 3 * (na + nb + 1));
    if (!fa || !codes || !buf) return LB_ERR_NOMEM;
    for (int i = 0; i < M; i++)
        for (int kk = 0; kk < K; kk++)
            fa[(size_t)i * K + kk] = lb_gemm_a(c, i, kk);
    for (int kk = 0; kk < K; kk++)
        for (int j = 0; j < Np; j++)
            fb[(size_t)kk * Np + j] = j < N ? lb_gemm_b(c, kk, j) : 0.0f;
    lb_qctx q;
    memset(&q, 0, sizeof q);
    q.threads = 1;
    lb_status st = lb_encode(&k->ops.f, codes, fa, na + nb, &q);
    if (st) return st;
    int32_t *al = buf, *as = al + na, *az = as + na;
    int32_t *bl = az + na, *bs = bl + nb, *bz = bs + nb;
    unpack(k, codes, na, al, as, az);
    unpack(k, codes + na, nb, bl, bs, bz);
    if (k->ref || k->hist) {
        lb_lns_val *v = malloc(sizeof *v * (size_t)(K > 0 ? K : 1));
        uint64_t *h = k->hist ? calloc((size_t)k->ad.n + 1, sizeof *h) : NULL;
        if (!v || (k->hist && !h)) return free(v), free(h), LB_ERR_NOMEM;
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                for (int kk = 0; kk < K; kk++) {
                    size_t ia = (size_t)i * K + kk, ib = (size_t)kk * Np + j;
                    lb_lns_val x = {al[ia], (uint8_t)as[ia], (uint8_t)az[ia]};
                    lb_lns_val y = {bl[ib], (uint8_t)bs[ib], (uint8_t)bz[ib]};
                    v[kk] = lb_lns_mul(&k->ad, x, y);
                }
                lb_lns_val zero = {0, 0, 1};
                lb_gemm_store(c, i, j,
                              decode1(k, K ? lb_lns_tree_sum(&k->ad, v, (size_t)K, h) : zero));
            }
        if (h)
            for (int32_t d = 0; d <= k->ad.n; d++)
                if (h[d]) __atomic_fetch_add(&k->hist[d], h[d], __ATOMIC_RELAXED);
        free(v), free(h);
    } else {
        for (size_t q = 0; q < na; q++)
            al[q] = az[q] ? ZLOG : al[q];
        for (size_t q = 0; q < nb; q++)
            bl[q] = bz[q] ? ZLOG : bl[q];
        const int nblk = (K + 15) / 16;
        int nomem = 0;
        /* rows in parallel when called from serial code (a linear layer); inside a caller's
         * parallel region (conv: images in parallel) one thread. Every output is computed by
         * one thread in the same order: the result does not depend on the thread count. */
#pragma omp parallel if (!omp_in_parallel() && M > 1)
        {
            lanes_32 *v = lb_gemm_scratch(0, sizeof *v * (size_t)(nblk > 0 ? nblk : 1));
            if (!v) {
#pragma omp atomic write
                nomem = 1;
            }
            int32_t ol[32], os[32];
#pragma omp for schedule(static)
            for (int i = 0; i < M; i++)
                for (int j0 = 0; j0 < N && v; j0 += 32) {
                    const int w =
                        N - j0 > 16 ? 32 : 16; /* a last group of <= 16 columns: 16 lanes */
                    if (w == 32)
                        group_32(k, al, as, bl, bs, i, j0, K, Np, v, ol, os);
                    else
                        group_16(k, al, as, bl, bs, i, j0, K, Np, (lanes_16 *)v, ol, os);
                    for (int q = 0; q < w && j0 + q < N; q++) {
                        int zero = ol[q] < ZTHR;
                        lb_lns_val r = {zero ? 0 : ol[q], (uint8_t)(zero ? 0 : os[q]),
                                        (uint8_t)zero};
                        lb_gemm_store(c, i, j0 + q, decode1(k, r));
                    }
                }
        }
        if (nomem) return LB_ERR_NOMEM;
    }
    cnt->macs += (uint64_t)M * N * K;
    return LB_OK;
}

/* The QAA-LNS log-domain MAC at the kernel's width T/F with its Δ± circuit (PWL or LUT).
 * lns-exactadd has none: Δ± rounded exactly is a numerical reference, not a circuit. */
static void pwl_mac(const void *state, lb_mac_model *m)
{
    const lnsadd_k *k = state;
    m->kind = LB_MAC_LNS_PWL, m->bits = k->bits, m->frac = k->frac;
}
static void lut_mac(const void *state, lb_mac_model *m)
{
    pwl_mac(state, m);
    m->kind = LB_MAC_LNS_LUT;
}

#define LNSADD_VT(ID, NAME, AP, REF, MAC, DESC, KEYS)                                              \
    static lb_status ID##_create(void **s, lb_kv *kv, int nkv, char *c, size_t nc, lb_error *err)  \
    {                                                                                              \
        return create_common(s, kv, nkv, c, nc, err, AP, REF);                                     \
    }                                                                                              \
    const lb_gemm_vtable lb_gemm_##ID = {NAME,    DESC,      KEYS,      ID##_create, run,          \
                                         destroy, histogram, lns_adder, MAC};

LNSADD_VT(lns_pwl, "lns-pwl", LB_DELTA_PWL, 0, pwl_mac,
          "bit-true QAA-LNS GEMM, PWL LNS addition, tree over blocks of 16 (vectorised)",
          "bits=8..16,frac=2..10,table=NAME,file=CSV,dhist=0|1")
LNSADD_VT(lns_pwl_ref, "lns-pwl-ref", LB_DELTA_PWL, 1, pwl_mac,
          "bit-true QAA-LNS GEMM, PWL LNS addition (scalar reference)",
          "bits=8..16,frac=2..10,table=NAME,file=CSV,dhist=0|1")
LNSADD_VT(lns_lut, "lns-lut", LB_DELTA_LUT, 0, lut_mac,
          "bit-true QAA-LNS GEMM, 64-entry LUT LNS addition (vectorised)",
          "bits=8..16,frac=2..10,dhist=0|1")
LNSADD_VT(lns_lut_ref, "lns-lut-ref", LB_DELTA_LUT, 1, lut_mac,
          "bit-true QAA-LNS GEMM, 64-entry LUT LNS addition (scalar reference)",
          "bits=8..16,frac=2..10,dhist=0|1")
LNSADD_VT(lns_exactadd, "lns-exactadd", LB_DELTA_EXACT, 0, NULL,
          "bit-true QAA-LNS GEMM, LNS addition with Δ± rounded exactly (vectorised)",
          "bits=8..16,frac=2..10,dhist=0|1")
LNSADD_VT(lns_exactadd_ref, "lns-exactadd-ref", LB_DELTA_EXACT, 1, NULL,
          "bit-true QAA-LNS GEMM, LNS addition with Δ± rounded exactly (scalar reference)",
          "bits=8..16,frac=2..10,dhist=0|1")
