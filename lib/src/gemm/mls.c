/* gemm/mls.c — bit-true MLS GEMM (docs/methods.md#p3, "convolution arithmetic [choice]"):
 *
 *   "mls:e=E,m=M,gbits=G,group=N,gacc=GA,acc=WA,accfrac=F"   (and "mls-ref", same keys)
 *
 * Each operand of C = op(A)·op(B) is taken to the MLS integer form of lib/src/formats/mls.c
 * with groups of N elements along the reduction dimension K (rows of op(A), columns of op(B):
 * "groups follow the reduction dimensions of the convolution"), rounding to nearest:
 *     a[i][k] = sA · 2^-kA[i][g] · va[i][k] · 2^-(M + emin),   emin = 2^E - 1,
 * va a signed integer of at most M + 1 + emin bits (sign, exponent add and (M+1)x(M+1)-bit
 * mantissa product become one integer product va·vb). Then, for every output element:
 *   1. group pair sums   P_g = Σ_{k in group g} va[i][k]·vb[j][k], an integer of GA bits
 *                        (saturating; each saturation counts as an overflow);
 *   2. wide accumulator  acc += P_g shifted by F - (kA + kB): left, or right with truncation
 *                        toward -inf (dropped nonzero bits count as an underflow); acc is a
 *                        WA-bit two's-complement integer with F fraction bits (saturating;
 *                        counts as an overflow); groups in ascending order;
 *   3. one scaling       C = alpha · acc · 2^-(F + 2(M + emin)) · sA · sB (+ beta·C), in
 *                        double, rounded once to float.
 * The operand's "tensor" scale is its matrix's max |x| (for conv layers: per image and GEMM).
 * The kernel quantizes the operands itself; use it with the role formats at fp32 (or the
 * operands are quantized twice, the second time with GEMM-layout groups). Rounding inside the
 * kernel is rne for every operand (SR for errors is available through --e-format).
 * With WA, F and GA wide enough nothing is lost and the result is the exact sum of the
 * quantized products times the scales (tests/unit/test_gemm_mls.c checks this against
 * fake quantization + FP64 accumulation).
 * Two implementations with identical results: "mls-ref" (scalar, int64 group sums, 128-bit
 * accumulator, literal) and "mls" (when WA <= 64 and a group sum fits 31 bits: int16 operands,
 * int32 group sums of 64 output columns at once, a 64-bit accumulator; else the literal loop). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/mls.h"
#include "gemm/internal.h"

__extension__ typedef __int128 i128;

typedef struct mlsk {
    lb_format f; /* the operand format: mls:e,m,gbits,group */
    lb_mls_params p;
    int gacc, acc, accfrac;
    int ref;
} mlsk;

static lb_status create_common(void **state, lb_kv *kv, int nkv, char *canon, size_t ncanon,
                               lb_error *err, int ref)
{
    int e = 2, m = 1, g = 8, group = 16, gacc = 32, acc = 64, accfrac = -1;
    lb_status st;
    if ((st = lb_kv_int(kv, nkv, "e", 1, 4, &e, err))) return st;
    if ((st = lb_kv_int(kv, nkv, "m", 1, 10, &m, err))) return st;
    if ((st = lb_kv_int(kv, nkv, "gbits", 0, 8, &g, err))) return st;
    if ((st = lb_kv_int(kv, nkv, "group", 1, 4096, &group, err))) return st;
    if ((st = lb_kv_int(kv, nkv, "gacc", 8, 64, &gacc, err))) return st;
    if ((st = lb_kv_int(kv, nkv, "acc", 16, 127, &acc, err))) return st;
    if ((st = lb_kv_int(kv, nkv, "accfrac", 0, 120, &accfrac, err))) return st;
    const int vbits = m + 1 + (1 << e) - 1; /* magnitude bits of an element integer */
    if (vbits > 15)
        return lb_fail(err, LB_ERR_ARG,
                       "mls: e=%d, m=%d: element integers of %d bits exceed int16 (need "
                       "m + 2^e <= 15)",
                       e, m, vbits + 1);
    /* default F: 16 bits of headroom for sums above the largest group-pair sum */
    if (accfrac < 0) accfrac = acc - 1 - (2 * vbits + 4) - 16;
    if (accfrac < 0) accfrac = 0;
    mlsk *k = calloc(1, sizeof *k);
    if (!k) return LB_ERR_NOMEM;
    char spec[96];
    snprintf(spec, sizeof spec, "mls:e=%d,m=%d,gbits=%d,group=%d", e, m, g, group);
    if ((st = lb_format_parse(&k->f, spec, err))) return free(k), st;
    lb_mls_params_get(&k->f, &k->p);
    k->gacc = gacc, k->acc = acc, k->accfrac = accfrac, k->ref = ref;
    snprintf(canon, ncanon, "e=%d,m=%d,gbits=%d,group=%d,gacc=%d,acc=%d,accfrac=%d", e, m, g, group,
             gacc, acc, accfrac);
    *state = k;
    return LB_OK;
}

static lb_status mls_create(void **s, lb_kv *kv, int nkv, char *c, size_t nc, lb_error *err)
{
    return create_common(s, kv, nkv, c, nc, err, 0);
}
static lb_status mls_ref_create(void **s, lb_kv *kv, int nkv, char *c, size_t nc, lb_error *err)
{
    return create_common(s, kv, nkv, c, nc, err, 1);
}
static void destroy(void *s)
{
    free(s);
}

/* lb_gemm_scratch slots */
enum { SC_A, SC_BT, SC_VA, SC_KA, SC_VB, SC_KB, SC_VBT, SC_KBT, SC_WORK, SC_N };

/* One operand in integer form: rows of K elements, groups of N along K. */
typedef struct operand {
    int16_t *v;
    int32_t *k; /* rows · ng */
    float s;
} operand;

static lb_status encode(const mlsk *mk, const float *x, int rows, int K, operand *o, size_t *nf,
                        int slot_v, int slot_k)
{
    lb_qctx c;
    memset(&c, 0, sizeof c);
    c.ndim = 2, c.axis = 1, c.dims[0] = rows, c.dims[1] = K;
    lb_blocks bl;
    lb_error err;
    size_t n = (size_t)rows * K;
    if (lb_blocks_get(&c, n, mk->p.group, 0, &bl, &err)) return LB_ERR_ARG;
    o->v = lb_gemm_scratch(slot_v, (n + 1) * sizeof *o->v);
    o->k = lb_gemm_scratch(slot_k, (bl.nblocks + 1) * sizeof *o->k);
    float *work = lb_gemm_scratch(SC_WORK, lb_mls_work_size(&bl, n) * sizeof(float));
    if (!o->v || !o->k || !work) return LB_ERR_NOMEM;
    return lb_mls_encode_int(&mk->f, &bl, o->v, o->k, &o->s, x, n, LB_ROUND_RNE, &c, nf, work);
}

/* Steps 1 and 2 for one group pair: saturate P to GA bits, shift into the accumulator. The
 * accumulator is kept as i128 here; the WA-bit saturation is applied by the caller through
 * acc_add. */
typedef struct accst {
    i128 lim;     /* 2^(WA-1) - 1 */
    int64_t plim; /* 2^(GA-1) - 1 */
    int F;
    uint64_t ovf, unf;
} accst;

static inline i128 acc_add(accst *a, i128 acc, int64_t P, int sh)
{
    if (P > a->plim) P = a->plim, a->ovf++;
    if (P < -a->plim) P = -a->plim, a->ovf++;
    if (!P) return acc;
    int d = a->F - sh; /* left shift by d (d >= 0) or right shift by -d */
    i128 t;
    if (d >= 0) {
        /* the shifted |P| must stay below 2^(WA-1): else the accumulator saturates */
        uint64_t mag = P < 0 ? -(uint64_t)P : (uint64_t)P;
        int bl = 64 - __builtin_clzll(mag); /* bit length of |P| (P != 0) */
        if (bl + d > 126 || ((i128)mag << d) > a->lim) {
            a->ovf++;
            return P < 0 ? -a->lim : a->lim;
        }
        t = (i128)P * ((i128)1 << d); /* no left shift of a negative value */
    } else {
        int r = -d;
        if (r >= 63) {
            t = P < 0 ? -1 : 0;
        } else {
            t = (i128)(P >> r); /* arithmetic: toward -inf */
        }
        if (r >= 63 || (uint64_t)(P >> r) << r != (uint64_t)P) a->unf++;
    }
    i128 s = acc + t;
    if (s > a->lim) s = a->lim, a->ovf++;
    if (s < -a->lim) s = -a->lim, a->ovf++;
    return s;
}

static void finish(const lb_gemm_call *c, const mlsk *mk, const operand *A, const operand *B, int i,
                   int j, i128 acc)
{
    double v = ldexp((double)acc, -(mk->accfrac + 2 * (mk->p.m + mk->p.emin)));
    lb_gemm_store(c, i, j, v * (double)A->s * (double)B->s);
}

/* The fast path (WA <= 64): for one row i of op(A) and a tile of JT output columns, the group
 * sums of every column at once (B transposed to (K, N): the inner loop runs over columns and
 * vectorises), then steps 1-2 for the tile in branch-free 64-bit arithmetic with the same
 * results and counts as acc_add on a 128-bit accumulator. */
enum { JT = 64 };

static void row_fast(const mlsk *mk, const int16_t *va, const int32_t *ka, const int16_t *vbT,
                     const int32_t *kbT, int N, int K, int G, int ng, int j0, int jn, int64_t *acc,
                     uint64_t *ovf_out, uint64_t *unf_out)
{
    const int64_t lim = mk->acc >= 64 ? INT64_MAX : (int64_t)((UINT64_C(1) << (mk->acc - 1)) - 1);
    const int64_t plim =
        mk->gacc >= 64 ? INT64_MAX : (int64_t)((UINT64_C(1) << (mk->gacc - 1)) - 1);
    const int F = mk->accfrac;
    uint64_t ovf = 0, unf = 0;
    int64_t P[JT];
    for (int j = 0; j < jn; j++)
        acc[j] = 0;
    for (int g = 0; g < ng; g++) {
        const int k0 = g * G, k1 = k0 + G < K ? k0 + G : K;
        int32_t P32[JT];
        for (int j = 0; j < jn; j++)
            P32[j] = 0;
        for (int t = k0; t < k1; t++) {
            const int32_t x = va[t];
            const int16_t *b = vbT + (size_t)t * N + j0;
            for (int j = 0; j < jn; j++)
                P32[j] += x * (int32_t)b[j];
        }
        for (int j = 0; j < jn; j++)
            P[j] = P32[j];
        const int32_t *kb = kbT + (size_t)g * N + j0;
        for (int j = 0; j < jn; j++) {
            int64_t p = P[j];
            int64_t pc = p > plim ? plim : p < -plim ? -plim : p;
            ovf += pc != p;
            int d = F - (ka[g] + kb[j]);
            int dl = d < 0 ? 0 : d > 63 ? 63 : d, r = d < 0 ? (-d > 63 ? 63 : -d) : 0;
            int64_t mag = pc < 0 ? -pc : pc;
            int64_t room = d > 62 ? 0 : lim >> dl;
            int big = d >= 0 && mag > room && pc != 0; /* the shifted term alone overflows */
            int64_t tl = (int64_t)((uint64_t)pc << dl);
            int64_t tr = pc >> r;
            int lost = d < 0 && pc != 0 && (-d >= 63 || (uint64_t)tr << r != (uint64_t)pc);
            tr = (d < 0 && -d >= 63) ? (pc < 0 ? -1 : 0) : tr;
            int64_t t = d >= 0 ? tl : tr;
            unf += lost;
            int64_t a = acc[j];
            int64_t s = (int64_t)((uint64_t)a + (uint64_t)t);
            int wrap = ((a ^ s) & (t ^ s)) < 0; /* int64 wrap-around */
            int hi = wrap ? t > 0 : s > lim, lo = wrap ? t < 0 : s < -lim;
            s = hi ? lim : lo ? -lim : s;
            ovf += (hi || lo) && !big;
            ovf += big;
            s = big ? (pc < 0 ? -lim : lim) : s;
            acc[j] = pc == 0 ? a : s;
        }
    }
    *ovf_out += ovf, *unf_out += unf;
}

static lb_status run(const void *state, const lb_gemm_call *c, lb_gemm_counts *cnt)
{
    const mlsk *mk = state;
    const int M = c->M, N = c->N, K = c->K;
    const int G = mk->p.group < K ? mk->p.group : K, ng = K ? (K + G - 1) / G : 0;
    float *a = lb_gemm_scratch(SC_A, ((size_t)M * K + 1) * sizeof *a),
          *bt = lb_gemm_scratch(SC_BT, ((size_t)N * K + 1) * sizeof *bt);
    operand A = {0}, B = {0};
    lb_status st = LB_ERR_NOMEM;
    size_t nf = 0, nf2 = 0;
    if (!a || !bt) goto out;
    lb_gemm_pack(c, a, bt);
    if ((st = encode(mk, a, M, K, &A, &nf, SC_VA, SC_KA)) ||
        (st = encode(mk, bt, N, K, &B, &nf2, SC_VB, SC_KB)))
        goto out;
    accst as = {0};
    as.lim = (((i128)1) << (mk->acc - 1)) - 1;
    as.plim = mk->gacc >= 64 ? INT64_MAX : (int64_t)((((uint64_t)1) << (mk->gacc - 1)) - 1);
    as.F = mk->accfrac;
    const int vbits = mk->p.m + mk->p.emin + 1;
    int logG = 0;
    while ((1 << logG) < G)
        logG++;
    /* the int32 vector path is exact when a group sum cannot exceed 2^31 */
    const int small = 2 * (vbits - 1) + logG < 31 && !mk->ref;
    int16_t *vbT = NULL;
    int32_t *kbT = NULL;
    if (small && mk->acc <= 64) { /* the fast path's transposed B */
        vbT = lb_gemm_scratch(SC_VBT, ((size_t)K * N + 1) * sizeof *vbT);
        kbT = lb_gemm_scratch(SC_KBT, ((size_t)ng * N + 1) * sizeof *kbT);
        if (!vbT || !kbT) {
            st = LB_ERR_NOMEM;
            goto out;
        }
        for (int j = 0; j < N; j++) {
            for (int t = 0; t < K; t++)
                vbT[(size_t)t * N + j] = B.v[(size_t)j * K + t];
            for (int g = 0; g < ng; g++)
                kbT[(size_t)g * N + j] = B.k[(size_t)j * ng + g];
        }
    }
    for (int i = 0; i < M; i++) {
        const int16_t *va = A.v + (size_t)i * K;
        const int32_t *ka = A.k + (size_t)i * ng;
        int j = 0;
        if (vbT)
            for (; j < N; j += JT) {
                int64_t acc[JT];
                int jn = N - j < JT ? N - j : JT;
                row_fast(mk, va, ka, vbT, kbT, N, K, G, ng, j, jn, acc, &as.ovf, &as.unf);
                for (int u = 0; u < jn; u++)
                    finish(c, mk, &A, &B, i, j + u, acc[u]);
            }
        for (; j < N; j++) { /* the reference loop (and the tail of the fast one) */
            const int16_t *vb = B.v + (size_t)j * K;
            const int32_t *kb = B.k + (size_t)j * ng;
            i128 acc = 0;
            for (int g = 0; g < ng; g++) {
                const int k0 = g * G, k1 = k0 + G < K ? k0 + G : K;
                int64_t P = 0;
                for (int t = k0; t < k1; t++)
                    P += (int64_t)va[t] * vb[t];
                acc = acc_add(&as, acc, P, ka[g] + kb[g]);
            }
            finish(c, mk, &A, &B, i, j, acc);
        }
    }
    __atomic_fetch_add(&cnt->macs, (uint64_t)M * N * K, __ATOMIC_RELAXED);
    __atomic_fetch_add(&cnt->overflows, as.ovf, __ATOMIC_RELAXED);
    __atomic_fetch_add(&cnt->underflows, as.unf, __ATOMIC_RELAXED);
    st = LB_OK;
out:
    return st;
}

/* The MLS datapath's widths: elements, groups, group-pair and outer accumulators. */
static void mls_mac(const void *state, lb_mac_model *m)
{
    const mlsk *k = state;
    lb_error e2;
    lb_format_mac(&k->f, m, &e2); /* mls(e, m, group, gbits) of the operand format */
    m->gacc = k->gacc, m->acc = k->acc;
}

const lb_gemm_vtable lb_gemm_mls = {
    "mls",
    "bit-true MLS: integer element products, group-pair sums, shifted wide accumulator",
    "e=1..4,m=1..10,gbits=0..8,group=1..4096,gacc=8..64,acc=16..127,accfrac=0..120",
    mls_create,
    run,
    destroy,
    NULL,
    NULL,
    mls_mac};

const lb_gemm_vtable lb_gemm_mls_ref = {
    "mls-ref",
    "mls computed literally (scalar int64 group sums; reference for tests and benchmarks)",
    "e=1..4,m=1..10,gbits=0..8,group=1..4096,gacc=8..64,acc=16..127,accfrac=0..120",
    mls_ref_create,
    run,
    destroy,
    NULL,
    NULL,
    mls_mac};
