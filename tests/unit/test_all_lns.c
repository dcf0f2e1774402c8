/* tests/unit/test_all_lns.c — the all-LNS arithmetic of `lowbit train --all-lns` (docs/methods.md
 * P2): the value codec (every code round-trips; floats land on the nearest log code), the tree
 * order of lb_lns_tree_sum, 1/sqrt, and the LNS versions of SGD, batchnorm, global average
 * pooling and the conv/linear bias and gradient sums against their float32 counterparts. With
 * 16/8 and Δ± rounded exactly, an LNS operation is off by at most about half a log LSB
 * (2^-9 in log2, 0.14 %) plus Δ's rounding, so the float results are met within a few tenths of
 * a percent of the operands' scale; the tolerances below say so per check, and every result
 * must also be a grid value of the format. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lowbit/gemm.h"
#include "lowbit/gemm_lns.h"
#include "lowbit/lnsadd.h"
#include "lowbit/nn.h"
#include "lowbit/optim.h"
#include "lowbit/rng.h"
#include "nn/internal.h"

static void randu(float *x, size_t n, uint64_t seed, float lo, float hi)
{
    lb_rng_key k = lb_rng_make_key(seed, 7, 3);
    for (size_t i = 0; i < n; i++)
        x[i] = lo + (hi - lo) * lb_rng_uniform(k, i);
}

/* every x[i] decodes from its own code */
static int on_grid(const lb_lns_ops *o, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lb_lns_ops_dec1(o, lb_lns_ops_enc1(o, x[i])) != x[i]) return 0;
    return 1;
}

/* ||a - b|| / ||b|| */
static double rel_err(const float *a, const float *b, size_t n)
{
    double e = 0, s = 0;
    for (size_t i = 0; i < n; i++)
        e += ((double)a[i] - b[i]) * ((double)a[i] - b[i]), s += (double)b[i] * b[i];
    return s > 0 ? sqrt(e / s) : sqrt(e);
}

static void test_codec(const lb_lns_ops *o, int bits)
{
    const int32_t mx = o->ad->maxlog;
    long bad = 0;
    for (int32_t l = -mx; l <= mx; l++)
        for (int s = 0; s < 2; s++) {
            lb_lns_val v = {l, (uint8_t)s, 0}, r = lb_lns_ops_enc1(o, lb_lns_ops_dec1(o, v));
            bad += r.log != l || r.neg != s || r.zero;
        }
    CHECK(bad == 0, "%d bits: %ld codes do not round-trip", bits, bad);
    lb_lns_val z = lb_lns_ops_enc1(o, 0.0f);
    CHECK(z.zero && lb_lns_ops_dec1(o, z) == 0.0f, "zero");
    /* off-grid floats: the nearest log code (the format rounds at the geometric mean) */
    float x[2000];
    randu(x, 2000, (uint64_t)bits, -50.0f, 50.0f);
    const double g = (double)(1 << o->frac);
    for (int i = 0; i < 2000; i++) {
        lb_lns_val v = lb_lns_ops_enc1(o, x[i]);
        double want = log2(fabs((double)x[i])) * g;
        CHECK(fabs(v.log - want) <= 0.5 + 1e-6 && v.neg == (x[i] < 0), "%d bits: enc(%g) log %d",
              bits, x[i], v.log);
    }
    lb_lns_val big = lb_lns_ops_enc1(o, 1e30f), tiny = lb_lns_ops_enc1(o, 1e-30f);
    CHECK(big.log == mx && tiny.log == -mx && !tiny.zero, "%d bits: saturation", bits);
}

static void test_tree(const lb_lns_ops *o)
{
    const lb_lns_adder *ad = o->ad;
    float x[40];
    lb_lns_val v[40], w[40];
    randu(x, 40, 11, 0.1f, 4.0f);
    lb_lns_ops_enc(o, x, 40, v);
    for (int n = 1; n <= 40; n++) { /* positive terms: the sum is close to the exact one */
        memcpy(w, v, sizeof v);
        double ref = 0;
        for (int i = 0; i < n; i++)
            ref += lb_lns_ops_dec1(o, v[i]);
        double got = lb_lns_ops_dec1(o, lb_lns_tree_sum(ad, w, (size_t)n, NULL));
        CHECK(fabs(got - ref) <= 0.01 * ref, "tree n=%d: %g vs %g", n, got, ref);
    }
    /* the order: n = 17 is (the 16-block's halving tree) + v[16] */
    memcpy(w, v, sizeof v);
    lb_lns_val t[16];
    memcpy(t, v, sizeof t);
    for (int h = 8; h >= 1; h >>= 1)
        for (int i = 0; i < h; i++)
            t[i] = lb_lns_add(ad, t[i], t[i + h]);
    lb_lns_val z = {0, 0, 1}, blk[16] = {t[0], v[16]};
    for (int i = 2; i < 16; i++)
        blk[i] = z;
    for (int h = 8; h >= 1; h >>= 1)
        for (int i = 0; i < h; i++)
            blk[i] = lb_lns_add(ad, blk[i], blk[i + h]);
    lb_lns_val got = lb_lns_tree_sum(ad, w, 17, NULL);
    CHECK(got.log == blk[0].log && got.neg == blk[0].neg && got.zero == blk[0].zero,
          "tree order at n = 17");
    CHECK(lb_lns_tree_sum(ad, w, 0, NULL).zero, "empty sum is zero");
    /* 1/sqrt */
    for (int32_t l = -200; l <= 200; l += 7) {
        lb_lns_val a = {l, 0, 0}, r = lb_lns_rsqrt(ad, a);
        CHECK(fabs(r.log + l / 2.0) <= 0.5, "rsqrt log %d -> %d", l, r.log);
    }
}

static void test_sgd(const lb_lns_ops *o)
{
    enum { N = 3000 };
    static float w[N], g[N], b[N], wf[N], bf[N];
    randu(w, N, 21, -1.0f, 1.0f);
    for (int i = 0; i < N; i++)
        w[i] = lb_lns_ops_dec1(o, lb_lns_ops_enc1(o, w[i]));
    memcpy(wf, w, sizeof w);
    int first = 1, firstf = 1;
    for (int step = 0; step < 3; step++) {
        randu(g, N, 100 + (uint64_t)step, -0.5f, 0.5f);
        for (int i = 0; i < N; i++)
            g[i] = lb_lns_ops_dec1(o, lb_lns_ops_enc1(o, g[i]));
        lb_lns_sgd_step(o, w, g, b, N, 0.05f, 0.9f, 1e-2f, &first);
        lb_sgd_step(wf, g, bf, N, 0.05f, 0.9f, 1e-2f, &firstf);
    }
    CHECK(!first, "first cleared");
    CHECK(on_grid(o, w, N) && on_grid(o, b, N), "SGD results are LNS values");
    double ew = rel_err(w, wf, N), eb = rel_err(b, bf, N);
    CHECK(ew < 0.004 && eb < 0.004, "LNS SGD vs float: weights %.2e, momentum %.2e", ew, eb);
    /* no momentum: w (+) -lr(x)(g (+) wd(x)w), element by element */
    float w1[4] = {0.5f, -0.25f, 1.0f, 0.0f}, g1[4] = {0.25f, 0.25f, -0.5f, 1.0f}, dummy[4];
    for (int i = 0; i < 4; i++) {
        float ww = w1[i], gg = g1[i];
        int f = 1;
        lb_lns_sgd_step(o, &ww, &gg, dummy, 1, 0.5f, 0.0f, 0.0f, &f);
        CHECK(fabsf(ww - (w1[i] - 0.5f * g1[i])) <= 0.004f * (fabsf(w1[i]) + fabsf(g1[i])),
              "SGD without momentum: %g", ww);
    }
}

static void test_bn(const lb_lns_ops *o)
{
    enum { B = 6, C = 3, HW = 25, N = B * C * HW };
    static float x[N], y[N], yf[N], dy[N], dx[N], dxf[N];
    float g[C] = {1.5f, -0.5f, 0.75f}, bb[C] = {0.25f, 0.0f, -1.0f};
    float sm[C], si[C], smf[C], sif[C], rm[C] = {0}, rv[C] = {1, 1, 1}, rmf[C] = {0},
                                        rvf[C] = {1, 1, 1};
    float dg[C] = {0}, db[C] = {0}, dgf[C] = {0}, dbf[C] = {0};
    randu(x, N, 31, -2.0f, 3.0f);
    randu(dy, N, 32, -1.0f, 1.0f);
    for (int i = 0; i < N; i++)
        x[i] = lb_lns_ops_dec1(o, lb_lns_ops_enc1(o, x[i])),
        dy[i] = lb_lns_ops_dec1(o, lb_lns_ops_enc1(o, dy[i]));
    for (int c = 0; c < C; c++)
        g[c] = lb_lns_ops_dec1(o, lb_lns_ops_enc1(o, g[c])),
        bb[c] = lb_lns_ops_dec1(o, lb_lns_ops_enc1(o, bb[c]));
    CHECK(lb_batchnorm_forward_lns(o, y, sm, si, rm, rv, x, g, bb, B, C, HW, 1) == LB_OK, "bn");
    lb_batchnorm_forward(yf, smf, sif, rmf, rvf, x, g, bb, B, C, HW, 1);
    double ey = rel_err(y, yf, N);
    CHECK(ey < 0.01, "BN forward vs float: %.2e", ey);
    CHECK(rel_err(rm, rmf, C) < 0.01 && rel_err(rv, rvf, C) < 0.01, "running statistics");
    CHECK(on_grid(o, y, N) && on_grid(o, sm, C) && on_grid(o, si, C) && on_grid(o, rm, C) &&
              on_grid(o, rv, C),
          "BN forward results are LNS values");
    memset(dx, 0, sizeof dx), memset(dxf, 0, sizeof dxf);
    CHECK(lb_batchnorm_backward_lns(o, dx, dg, db, dy, x, g, sm, si, B, C, HW) == LB_OK, "bn");
    lb_batchnorm_backward(dxf, dgf, dbf, dy, x, g, smf, sif, B, C, HW);
    double edx = rel_err(dx, dxf, N), edg = rel_err(dg, dgf, C), edb = rel_err(db, dbf, C);
    CHECK(edx < 0.01 && edg < 0.01 && edb < 0.01, "BN backward vs float: dx %.2e dg %.2e db %.2e",
          edx, edg, edb);
    CHECK(on_grid(o, dx, N) && on_grid(o, dg, C) && on_grid(o, db, C), "BN backward on grid");
    /* evaluation mode uses the running statistics */
    CHECK(lb_batchnorm_forward_lns(o, y, NULL, NULL, rm, rv, x, g, bb, B, C, HW, 0) == LB_OK,
          "bn eval");
    lb_batchnorm_forward(yf, NULL, NULL, rm, rv, x, g, bb, B, C, HW, 0);
    CHECK(rel_err(y, yf, N) < 0.01, "BN eval vs float: %.2e", rel_err(y, yf, N));
    /* global average pool */
    float p[B * C], pf[B * C];
    CHECK(lb_gap_forward_lns(o, p, x, B, C, HW) == LB_OK, "gap");
    lb_gap_forward(pf, x, B, C, HW);
    CHECK(rel_err(p, pf, B * C) < 0.01, "GAP vs float: %.2e", rel_err(p, pf, B * C));
    memset(dx, 0, sizeof dx), memset(dxf, 0, sizeof dxf);
    for (int i = 0; i < B * C; i++)
        p[i] = dy[i];
    CHECK(lb_gap_backward_lns(o, dx, p, B, C, HW) == LB_OK, "gap backward");
    lb_gap_backward(dxf, p, B, C, HW);
    CHECK(rel_err(dx, dxf, N) < 0.004 && on_grid(o, dx, N), "GAP backward vs float: %.2e",
          rel_err(dx, dxf, N));
}

/* conv and linear with q->lns vs the same LNS GEMM kernel with float element-wise sums */
static void test_layers(const lb_lns_ops *o, const lb_gemm_kernel *k)
{
    lb_conv_shape s = {.B = 3, .C = 2, .H = 7, .W = 7, .OC = 4, .K = 3, .stride = 1, .pad = 1};
    lb_conv_shape_init(&s);
    const size_t nin = (size_t)s.B * s.C * s.H * s.W, nw = (size_t)s.OC * s.C * 9,
                 nout = (size_t)s.B * s.OC * s.OH * s.OW;
    float *in = malloc(nin * 4), *w = malloc(nw * 4), *out = malloc(nout * 4),
          *outf = malloc(nout * 4), *dout = malloc(nout * 4), *din = calloc(nin, 4),
          *dinf = calloc(nin, 4), *dw = calloc(nw, 4), *dwf = calloc(nw, 4);
    float bias[4] = {0.5f, -0.25f, 0.125f, 1.0f}, db[4] = {0}, dbf[4] = {0};
    randu(in, nin, 41, -1, 1), randu(w, nw, 42, -0.5f, 0.5f), randu(dout, nout, 43, -1, 1);
    lb_qroles q, qf;
    memset(&q, 0, sizeof q);
    q.gemm = k, q.lns = o, qf = q, qf.lns = NULL;
    lb_workspace ws = {0};
    CHECK(!lb_conv2d_forward(out, in, w, bias, &s, &q, 0, &ws), "conv forward");
    CHECK(!lb_conv2d_forward(outf, in, w, bias, &s, &qf, 0, &ws), "conv forward");
    CHECK(rel_err(out, outf, nout) < 0.005 && on_grid(o, out, nout), "conv bias: %.2e",
          rel_err(out, outf, nout));
    CHECK(!lb_conv2d_backward(din, dw, db, dout, in, w, &s, &q, 0, &ws), "conv backward");
    CHECK(!lb_conv2d_backward(dinf, dwf, dbf, dout, in, w, &s, &qf, 0, &ws), "conv backward");
    double ei = rel_err(din, dinf, nin), ew = rel_err(dw, dwf, nw), eb = rel_err(db, dbf, 4);
    CHECK(ei < 0.01 && ew < 0.01 && eb < 0.01, "conv backward: din %.2e dw %.2e db %.2e", ei, ew,
          eb);
    CHECK(on_grid(o, din, nin) && on_grid(o, dw, nw) && on_grid(o, db, 4),
          "conv gradients are LNS values");
    /* linear: (3, 5) -> 4 */
    float li[15], lw[20], lo[12], lof[12], ld[12], ldi[15] = {0}, ldif[15] = {0}, ldw[20] = {0},
                                                   ldwf[20] = {0}, ldb[4] = {0}, ldbf[4] = {0};
    randu(li, 15, 51, -1, 1), randu(lw, 20, 52, -1, 1), randu(ld, 12, 53, -1, 1);
    CHECK(!lb_linear_forward(lo, li, lw, bias, 3, 5, 4, &q, 1, &ws), "linear");
    CHECK(!lb_linear_forward(lof, li, lw, bias, 3, 5, 4, &qf, 1, &ws), "linear");
    CHECK(rel_err(lo, lof, 12) < 0.005 && on_grid(o, lo, 12), "linear bias");
    CHECK(!lb_linear_backward(ldi, ldw, ldb, ld, li, lw, 3, 5, 4, &q, 1, &ws), "linear");
    CHECK(!lb_linear_backward(ldif, ldwf, ldbf, ld, li, lw, 3, 5, 4, &qf, 1, &ws), "linear");
    CHECK(rel_err(ldi, ldif, 15) < 0.005 && rel_err(ldw, ldwf, 20) < 0.005 &&
              rel_err(ldb, ldbf, 4) < 0.005,
          "linear backward");
    CHECK(on_grid(o, ldi, 15) && on_grid(o, ldw, 20) && on_grid(o, ldb, 4), "linear on grid");
    lb_workspace_free(&ws);
    free(in), free(w), free(out), free(outf), free(dout), free(din), free(dinf), free(dw);
    free(dwf);
}

int main(void)
{
    static const int bw[][2] = {{16, 8}, {13, 5}};
    for (int i = 0; i < 2; i++) {
        lb_lns_adder ad;
        lb_lns_ops o;
        lb_error err;
        CHECK(lb_lns_adder_init(&ad, bw[i][0], bw[i][1], LB_DELTA_EXACT, NULL, &err) == LB_OK,
              "adder");
        CHECK(lb_lns_ops_init(&o, &ad, bw[i][0], &err) == LB_OK, "ops: %s", err.msg);
        test_codec(&o, bw[i][0]);
        if (bw[i][0] == 16) { /* the float comparisons need 16/8's precision */
            test_tree(&o);
            test_sgd(&o);
            test_bn(&o);
            lb_gemm_kernel *k;
            CHECK(lb_gemm_create(&k, "lns-exactadd:bits=16,frac=8", &err) == LB_OK, "%s", err.msg);
            int kb = 0;
            CHECK(lb_gemm_lns_adder(k, &kb) != NULL && kb == 16, "kernel adder");
            CHECK(lb_gemm_lns_adder(NULL, &kb) == NULL, "no kernel, no adder");
            test_layers(&o, k);
            lb_gemm_destroy(k);
        }
        lb_lns_adder_free(&ad);
    }
    return lb_check_summary("test_all_lns");
}
