/* tests/unit/test_nn_layers.c — layer gradients by central finite differences (every layer),
 * the im2col convolution against the direct 7-loop reference (stride 1 and 2, padding 0..2),
 * the accumulate-into-gradients contract, and quantized GEMM operands (bf16 roles change the
 * result by no more than bf16's precision allows). The loss is L = sum(out · R) for a fixed
 * random R, so dL/dout = R. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lowbit/nn.h"
#include "lowbit/rng.h"

/* Finite differences in float: step h, truncation O(h^2) plus rounding ~eps/h. */
#define FD_STEP    1e-2f
#define FD_REL_TOL 2e-2
#define FD_ABS_TOL 2e-3

static void randn(float *x, size_t n, uint64_t seed)
{
    lb_rng_key k = lb_rng_make_key(seed, 1, 2);
    for (size_t i = 0; i < n; i++)
        x[i] = lb_rng_uniform(k, i) * 2.0f - 1.0f;
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

static int close_enough(double got, double ref)
{
    return fabs(got - ref) <= FD_ABS_TOL + FD_REL_TOL * fabs(ref);
}

static lb_workspace ws;

/* ---- linear --------------------------------------------------------------------------- */
static double linear_loss(const float *in, const float *w, const float *b, const float *R, int B,
                          int C, int OC)
{
    float *out = malloc(sizeof(float) * B * OC);
    lb_linear_forward(out, in, w, b, B, C, OC, NULL, 0, &ws);
    double l = dot(out, R, (size_t)B * OC);
    free(out);
    return l;
}

static void test_linear(void)
{
    enum { B = 4, C = 7, OC = 5 };
    float in[B * C], w[OC * C], b[OC], R[B * OC], din[B * C] = {0}, dw[OC * C] = {0}, db[OC] = {0};
    randn(in, B * C, 1), randn(w, OC * C, 2), randn(b, OC, 3), randn(R, B * OC, 4);
    CHECK(lb_linear_backward(din, dw, db, R, in, w, B, C, OC, NULL, 0, &ws) == LB_OK, "linear bwd");
    float *params[3] = {in, w, b}, *grads[3] = {din, dw, db};
    size_t sizes[3] = {B * C, OC * C, OC};
    for (int t = 0; t < 3; t++)
        for (size_t i = 0; i < sizes[t]; i++) {
            float keep = params[t][i];
            params[t][i] = keep + FD_STEP;
            double lp = linear_loss(in, w, b, R, B, C, OC);
            params[t][i] = keep - FD_STEP;
            double lm = linear_loss(in, w, b, R, B, C, OC);
            params[t][i] = keep;
            double fd = (lp - lm) / (2 * FD_STEP);
            CHECK(close_enough(grads[t][i], fd), "linear grad %d[%zu]: %g vs fd %g", t, i,
                  grads[t][i], fd);
        }
    /* backward accumulates */
    float dw2[OC * C];
    memcpy(dw2, dw, sizeof dw);
    lb_linear_backward(NULL, dw, NULL, R, in, w, B, C, OC, NULL, 0, &ws);
    for (int i = 0; i < OC * C; i++)
        CHECK(fabsf(dw[i] - 2 * dw2[i]) <= 1e-5f * (1 + fabsf(dw2[i])), "accumulate");
}

/* ---- conv2d ---------------------------------------------------------------------------- */
static double conv_loss(const float *in, const float *w, const float *b, const float *R,
                        const lb_conv_shape *s)
{
    size_t n = (size_t)s->B * s->OC * s->OH * s->OW;
    float *out = malloc(n * sizeof *out);
    lb_conv2d_forward(out, in, w, b, s, NULL, 0, &ws);
    double l = dot(out, R, n);
    free(out);
    return l;
}

/* C, OC: small shapes take the plain-loop path, OC·C·K·K > 4096 the BLIS path */
static void test_conv_hw(int stride, int pad, int K, int C, int OC, int H, int W)
{
    lb_conv_shape s = {
        .B = 3, .C = C, .H = H, .W = W, .OC = OC, .K = K, .stride = stride, .pad = pad};
    lb_conv_shape_init(&s);
    size_t nin = (size_t)s.B * s.C * s.H * s.W, nw = (size_t)s.OC * s.C * K * K,
           nout = (size_t)s.B * s.OC * s.OH * s.OW;
    float *in = malloc(nin * 4), *w = malloc(nw * 4), *b = malloc(s.OC * 4), *R = malloc(nout * 4);
    float *out = malloc(nout * 4), *ref = malloc(nout * 4);
    float *din = calloc(nin, 4), *dw = calloc(nw, 4), *db = calloc(s.OC, 4);
    randn(in, nin, 5), randn(w, nw, 6), randn(b, s.OC, 7), randn(R, nout, 8);
    lb_conv2d_forward(out, in, w, b, &s, NULL, 0, &ws);
    lb_conv2d_forward_ref(ref, in, w, b, &s);
    for (size_t i = 0; i < nout; i++)
        CHECK(fabsf(out[i] - ref[i]) <= 1e-5f * (1 + fabsf(ref[i])),
              "conv K%d s%d p%d: out[%zu] %g vs ref %g", K, stride, pad, i, out[i], ref[i]);
    CHECK(lb_conv2d_backward(din, dw, db, R, in, w, &s, NULL, 0, &ws) == LB_OK, "conv bwd");
    float *params[3] = {in, w, b}, *grads[3] = {din, dw, db};
    size_t sizes[3] = {nin, nw, (size_t)s.OC};
    for (int t = 0; t < 3; t++)
        for (size_t i = 0; i < sizes[t]; i++) {
            float keep = params[t][i];
            params[t][i] = keep + FD_STEP;
            double lp = conv_loss(in, w, b, R, &s);
            params[t][i] = keep - FD_STEP;
            double lm = conv_loss(in, w, b, R, &s);
            params[t][i] = keep;
            double fd = (lp - lm) / (2 * FD_STEP);
            CHECK(close_enough(grads[t][i], fd), "conv K%d s%d p%d grad %d[%zu]: %g vs fd %g", K,
                  stride, pad, t, i, grads[t][i], fd);
        }
    free(in), free(w), free(b), free(R), free(out), free(ref), free(din), free(dw), free(db);
}

static void test_conv(int stride, int pad, int K, int C, int OC)
{
    test_conv_hw(stride, pad, K, C, OC, 7, 6);
}

/* ---- maxpool, relu, softmax-xent ---------------------------------------------------------- */
static void test_pool_relu_xent(void)
{
    enum {
        B = 2,
        C = 2,
        H = 4,
        W = 6,
        k = 2,
        OH = 2,
        OW = 3,
        N = B * C * H * W,
        NO = B * C * OH * OW
    };
    float in[N], out[NO], R[NO], din[N] = {0};
    int32_t idx[NO];
    randn(in, N, 9), randn(R, NO, 10);
    lb_maxpool2d_forward(out, idx, in, B, C, H, W, k);
    lb_maxpool2d_backward(din, R, idx, B, C, OH, OW);
    for (int i = 0; i < N; i++) {
        float keep = in[i];
        float o2[NO];
        int32_t i2[NO];
        in[i] = keep + 1e-3f;
        lb_maxpool2d_forward(o2, i2, in, B, C, H, W, k);
        double lp = dot(o2, R, NO);
        in[i] = keep - 1e-3f;
        lb_maxpool2d_forward(o2, i2, in, B, C, H, W, k);
        double lm = dot(o2, R, NO);
        in[i] = keep;
        CHECK(close_enough(din[i], (lp - lm) / 2e-3), "maxpool grad [%d]: %g vs %g", i, din[i],
              (lp - lm) / 2e-3);
    }
    { /* avgpool: finite differences (the loss is linear in x, so they are exact up to rounding) */
        float ao[NO], ad[N] = {0};
        lb_avgpool2d_forward(ao, in, B, C, H, W, k);
        lb_avgpool2d_backward(ad, R, B, C, H, W, k);
        for (int i = 0; i < N; i++) {
            float keep = in[i];
            in[i] = keep + 1e-2f;
            lb_avgpool2d_forward(ao, in, B, C, H, W, k);
            double lp = dot(ao, R, NO);
            in[i] = keep - 1e-2f;
            lb_avgpool2d_forward(ao, in, B, C, H, W, k);
            double lm = dot(ao, R, NO);
            in[i] = keep;
            CHECK(close_enough(ad[i], (lp - lm) / 2e-2), "avgpool grad [%d]: %g vs %g", i, ad[i],
                  (lp - lm) / 2e-2);
        }
    }
    float r[N], dr[N] = {0};
    lb_relu_forward(r, in, N);
    lb_relu_backward(dr, in, in, N);
    for (int i = 0; i < N; i++)
        CHECK(r[i] == (in[i] > 0 ? in[i] : 0) && dr[i] == (in[i] > 0 ? in[i] : 0), "relu");

    enum { BB = 3, K = 5 };
    float z[BB * K], p[BB * K], dz[BB * K] = {0};
    int32_t y[BB] = {1, 4, 0};
    randn(z, BB * K, 11);
    long hits = 0;
    double loss = lb_softmax_xent_forward(p, z, y, BB, K, &hits);
    lb_softmax_xent_backward(dz, p, y, BB, K);
    for (int i = 0; i < BB * K; i++) {
        float keep = z[i];
        z[i] = keep + FD_STEP;
        double lp = lb_softmax_xent_forward(p, z, y, BB, K, NULL);
        z[i] = keep - FD_STEP;
        double lm = lb_softmax_xent_forward(p, z, y, BB, K, NULL);
        z[i] = keep;
        CHECK(close_enough(dz[i], (lp - lm) / (2 * FD_STEP)), "xent grad [%d]", i);
    }
    /* hand case: uniform logits -> loss log K */
    float zu[K] = {0}, pu[K];
    int32_t yu = 2;
    CHECK(fabs(lb_softmax_xent_forward(pu, zu, &yu, 1, K, NULL) - log(K)) < 1e-6, "log K");
    /* large logits stay finite */
    float zl[2] = {1000.0f, -1000.0f}, pl[2];
    int32_t yl = 1;
    CHECK(isfinite(lb_softmax_xent_forward(pl, zl, &yl, 1, 2, NULL)), "stable softmax");
    (void)loss;
}

/* ---- batchnorm, global average pool, dropout ---------------------------------------------- */
static double bn_loss(const float *x, const float *g, const float *b, const float *R, int B, int C,
                      int HW)
{
    float y[2 * 3 * 5], rm[3] = {0}, rv[3] = {1, 1, 1};
    lb_batchnorm_forward(y, NULL, NULL, rm, rv, x, g, b, B, C, HW, 1);
    return dot(y, R, (size_t)B * C * HW);
}

static void test_bn_gap_dropout(void)
{
    enum { B = 2, C = 3, HW = 5, N = B * C * HW };
    float x[N], g[C], b[C], R[N], y[N], sm[C], si[C], rm[C] = {0}, rv[C] = {1, 1, 1};
    float dx[N] = {0}, dg[C] = {0}, db[C] = {0};
    randn(x, N, 20), randn(g, C, 21), randn(b, C, 22), randn(R, N, 23);
    lb_batchnorm_forward(y, sm, si, rm, rv, x, g, b, B, C, HW, 1);
    lb_batchnorm_backward(dx, dg, db, R, x, g, sm, si, B, C, HW);
    float *params[3] = {x, g, b}, *grads[3] = {dx, dg, db};
    int sizes[3] = {N, C, C};
    for (int t = 0; t < 3; t++)
        for (int i = 0; i < sizes[t]; i++) {
            float keep = params[t][i];
            params[t][i] = keep + FD_STEP;
            double lp = bn_loss(x, g, b, R, B, C, HW);
            params[t][i] = keep - FD_STEP;
            double lm = bn_loss(x, g, b, R, B, C, HW);
            params[t][i] = keep;
            double fd = (lp - lm) / (2 * FD_STEP);
            CHECK(close_enough(grads[t][i], fd), "bn grad %d[%d]: %g vs fd %g", t, i, grads[t][i],
                  fd);
        }
    /* running statistics after one update: 0.9·init + 0.1·batch (unbiased variance) */
    for (int c = 0; c < C; c++) {
        double s = 0, s2 = 0;
        for (int i = 0; i < B; i++)
            for (int p = 0; p < HW; p++)
                s += x[(i * C + c) * HW + p];
        double mu = s / (B * HW);
        for (int i = 0; i < B; i++)
            for (int p = 0; p < HW; p++)
                s2 += pow(x[(i * C + c) * HW + p] - mu, 2);
        CHECK(fabs(rm[c] - 0.1 * mu) < 1e-6, "running mean %g vs %g", rm[c], 0.1 * mu);
        CHECK(fabs(rv[c] - (0.9 + 0.1 * s2 / (B * HW - 1))) < 1e-5, "running var");
    }
    /* eval mode uses the running statistics */
    lb_batchnorm_forward(y, NULL, NULL, rm, rv, x, g, b, B, C, HW, 0);
    double want = g[1] * (x[7] - rm[1]) / sqrt(rv[1] + 1e-5) + b[1];
    CHECK(fabs(y[7] - want) < 1e-5, "bn eval %g vs %g", y[7], want);

    float gout[B * C], gd[N] = {0};
    lb_gap_forward(gout, x, B, C, HW);
    double s = 0;
    for (int p = 0; p < HW; p++)
        s += x[HW + p];
    CHECK(fabs(gout[1] - s / HW) < 1e-6, "gap");
    lb_gap_backward(gd, R, B, C, HW);
    CHECK(fabs(gd[HW + 2] - R[1] / HW) < 1e-7, "gap backward");

    enum { ND = 100000 };
    static float ones[ND], o1[ND], o2[ND], dd[ND];
    for (int i = 0; i < ND; i++)
        ones[i] = 1.0f;
    lb_dropout_forward(o1, ones, ND, 0.3f, 5, 1, 2);
    lb_dropout_forward(o2, ones, ND, 0.3f, 5, 1, 2);
    CHECK(!memcmp(o1, o2, sizeof o1), "dropout deterministic");
    long kept = 0;
    for (int i = 0; i < ND; i++)
        kept += o1[i] != 0;
    double sigma = sqrt(ND * 0.3 * 0.7);
    CHECK(fabs(kept - 0.7 * ND) < 5 * sigma, "dropout keeps %ld of %d", kept, ND);
    lb_dropout_backward(dd, ones, ND, 0.3f, 5, 1, 2);
    CHECK(!memcmp(dd, o1, sizeof dd), "dropout backward uses the forward mask");
}

/* ---- quantized roles --------------------------------------------------------------------- */
static void test_quantized_roles(void)
{
    enum { B = 8, C = 32, OC = 16 };
    float in[B * C], w[OC * C], out[B * OC], outq[B * OC];
    randn(in, B * C, 12), randn(w, OC * C, 13);
    lb_qroles q;
    memset(&q, 0, sizeof q);
    lb_error err;
    lb_format_parse(&q.w, "bf16", &err);
    lb_format_parse(&q.a, "bf16", &err);
    q.w_on = q.a_on = 1;
    lb_linear_forward(out, in, w, NULL, B, C, OC, NULL, 0, &ws);
    lb_linear_forward(outq, in, w, NULL, B, C, OC, &q, 0, &ws);
    /* each product carries <= 2 * 2^-9 relative error; the sum of C of them at most C times */
    double maxdiff = 0, bound = 0;
    for (int i = 0; i < B * OC; i++)
        maxdiff = fmax(maxdiff, fabs(out[i] - outq[i]));
    for (int i = 0; i < B; i++)
        for (int o = 0; o < OC; o++) {
            double s = 0;
            for (int c = 0; c < C; c++)
                s += fabs(in[i * C + c] * w[o * C + c]);
            bound = fmax(bound, s * 2 * 0x1p-9 * 1.01);
        }
    CHECK(maxdiff > 0, "bf16 roles changed nothing");
    CHECK(maxdiff <= bound, "bf16 roles: max difference %g above bound %g", maxdiff, bound);
}

int main(void)
{
    lb_nn_set_threads(2);
    test_linear();
    test_conv(1, 0, 3, 3, 4);
    test_conv(1, 1, 3, 3, 4);
    test_conv(2, 1, 3, 3, 4);
    test_conv(1, 2, 5, 3, 4);
    test_conv(2, 0, 1, 3, 4);   /* 1x1 stride 2: ResNet projection shortcut */
    test_conv(1, 1, 3, 16, 36); /* 5184 weights: BLIS path */
    test_conv(2, 0, 3, 20, 24); /* 4320 weights: BLIS path, stride 2 */
    /* the small-channel loops: 16-column blocks plus a tail (P = 100, 64, 36), rows in blocks
     * of 4 plus 1, 2 or 3 (OC = 6, 16, 5, 7) */
    test_conv_hw(1, 2, 5, 1, 6, 10, 10);
    test_conv_hw(1, 0, 5, 6, 16, 14, 14);
    test_conv_hw(1, 0, 3, 2, 5, 10, 10);
    test_conv_hw(1, 1, 3, 3, 7, 6, 6);
    test_pool_relu_xent();
    test_bn_gap_dropout();
    test_quantized_roles();
    lb_workspace_free(&ws);
    return lb_check_summary("test_nn_layers");
}
