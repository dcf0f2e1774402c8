/* tests/unit/test_torch_fixtures.c — lowbit's layers and one LeNet-5 SGD step against
 * PyTorch on the same inputs (fixtures written by tests/reference/make_fixtures.py into
 * $LOWBIT_FIXTURE_DIR before this test runs; see tests/tests.cmake). Tolerances are float
 * rounding of the differently ordered sums, relative to the magnitude of the terms. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lowbit/nn.h"
#include "lowbit/optim.h"
#include "nn/model.h"

#define TOL_FWD  1e-5 /* outputs: relative to the largest |value| of the tensor */
#define TOL_GRAD 1e-4 /* gradients */
#define TOL_STEP 1e-5 /* parameters after one step */

static const char *dir;
static void *loaded[64]; /* every buffer load() returns, freed at the end */
static int nloaded;

static void *load(const char *name, const char *ext, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "test_torch_fixtures: %s missing (run tests/reference/make_fixtures.py)\n",
                path);
        exit(1);
    }
    void *p = malloc(n * 4);
    if (!p || nloaded == 64) {
        fprintf(stderr, "test_torch_fixtures: out of memory\n");
        exit(1);
    }
    loaded[nloaded++] = p;
    size_t got = fread(p, 4, n, f);
    fclose(f);
    if (got != n) {
        fprintf(stderr, "test_torch_fixtures: %s has %zu values, expected %zu\n", path, got, n);
        exit(1);
    }
    return p;
}
static float *lf(const char *name, size_t n)
{
    return load(name, "f32", n);
}

static void compare(const char *what, const float *got, const float *ref, size_t n, double tol)
{
    double scale = 0, worst = 0;
    for (size_t i = 0; i < n; i++)
        scale = fmax(scale, fabs(ref[i]));
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs(got[i] - ref[i]));
    CHECK(worst <= tol * (scale + 1e-30), "%s: max |lowbit - torch| %g, tolerance %g", what, worst,
          tol * scale);
}

static lb_workspace ws;

int main(void)
{
    dir = getenv("LOWBIT_FIXTURE_DIR");
    if (!dir) {
        fprintf(stderr, "test_torch_fixtures: LOWBIT_FIXTURE_DIR is not set\n");
        return 1;
    }
    lb_nn_set_threads(1);
    { /* linear */
        float *x = lf("lin_x", 28), *w = lf("lin_w", 35), *b = lf("lin_b", 5), *y = lf("lin_y", 20);
        float *R = lf("lin_R", 20), *dx = lf("lin_dx", 28), *dw = lf("lin_dw", 35),
              *db = lf("lin_db", 5);
        float out[20], gx[28] = {0}, gw[35] = {0}, gb[5] = {0};
        lb_linear_forward(out, x, w, b, 4, 7, 5, NULL, 0, &ws);
        lb_linear_backward(gx, gw, gb, R, x, w, 4, 7, 5, NULL, 0, &ws);
        compare("linear out", out, y, 20, TOL_FWD);
        compare("linear dx", gx, dx, 28, TOL_GRAD);
        compare("linear dw", gw, dw, 35, TOL_GRAD);
        compare("linear db", gb, db, 5, TOL_GRAD);
    }
    { /* conv2d stride 2 pad 1 */
        lb_conv_shape s = {.B = 2, .C = 3, .H = 8, .W = 8, .OC = 4, .K = 3, .stride = 2, .pad = 1};
        lb_conv_shape_init(&s);
        CHECK(s.OH == 4 && s.OW == 4, "conv shape %dx%d", s.OH, s.OW);
        float *x = lf("conv_x", 384), *w = lf("conv_w", 108), *b = lf("conv_b", 4),
              *y = lf("conv_y", 128);
        float *R = lf("conv_R", 128), *dx = lf("conv_dx", 384), *dw = lf("conv_dw", 108),
              *db = lf("conv_db", 4);
        float out[128], gx[384] = {0}, gw[108] = {0}, gb[4] = {0};
        lb_conv2d_forward(out, x, w, b, &s, NULL, 0, &ws);
        lb_conv2d_backward(gx, gw, gb, R, x, w, &s, NULL, 0, &ws);
        compare("conv out", out, y, 128, TOL_FWD);
        compare("conv dx", gx, dx, 384, TOL_GRAD);
        compare("conv dw", gw, dw, 108, TOL_GRAD);
        compare("conv db", gb, db, 4, TOL_GRAD);
    }
    { /* maxpool */
        float *x = lf("pool_x", 216), *y = lf("pool_y", 54), *R = lf("pool_R", 54),
              *dx = lf("pool_dx", 216);
        float out[54], gx[216] = {0};
        int32_t idx[54];
        lb_maxpool2d_forward(out, idx, x, 2, 3, 6, 6, 2);
        lb_maxpool2d_backward(gx, R, idx, 2, 3, 3, 3);
        compare("maxpool out", out, y, 54, 0.0);
        compare("maxpool dx", gx, dx, 216, 0.0);
    }
    { /* softmax cross-entropy */
        float *z = lf("xent_z", 60), *loss = lf("xent_loss", 1), *dz = lf("xent_dz", 60);
        int32_t *y = load("xent_y", "i32", 6);
        float p[60], g[60] = {0};
        double l = lb_softmax_xent_forward(p, z, y, 6, 10, NULL);
        lb_softmax_xent_backward(g, p, y, 6, 10);
        CHECK(fabs(l - loss[0]) <= TOL_FWD * fabs(loss[0]), "xent loss %g vs torch %g", l, loss[0]);
        compare("xent dz", g, dz, 60, TOL_GRAD);
    }
    { /* one LeNet-5 SGD step */
        lb_model m;
        lb_error err;
        CHECK(lb_model_build(&m, lb_model_find("lenet5", &err), 1, 28, 28, 10, NULL, 1, &err) ==
                  LB_OK,
              "%s", err.msg);
        CHECK(m.nparams == 61706, "lenet5 has %zu parameters, torch 61706", m.nparams);
        float *p0 = lf("lenet_p0", m.nparams), *p1 = lf("lenet_p1", m.nparams);
        float *grad = lf("lenet_grad", m.nparams), *x = lf("lenet_x", 8 * 784),
              *loss = lf("lenet_loss", 1);
        int32_t *y = load("lenet_y", "i32", 8);
        memcpy(m.params, p0, m.nparams * 4);
        lb_model_alloc_batch(&m, 8);
        double l;
        memset(m.grads, 0, m.nparams * 4);
        lb_model_forward(&m, x, y, 8, NULL, &l, NULL);
        lb_model_backward(&m, x, y, 8, NULL);
        CHECK(fabs(l - loss[0]) <= TOL_FWD * fabs(loss[0]), "lenet loss %.9g vs torch %.9g", l,
              loss[0]);
        compare("lenet gradients", m.grads, grad, m.nparams, TOL_GRAD);
        float *buf = calloc(m.nparams, 4);
        int first = 1;
        lb_sgd_step(m.params, m.grads, buf, m.nparams, 0.1f, 0.9f, 1e-4f, &first);
        compare("lenet params after one SGD step", m.params, p1, m.nparams, TOL_STEP);
        lb_model_free(&m);
        free(buf);
    }
    { /* tiny ResNet-8 (width 0.25) and VGG-11 (width 1/16) in train mode: batchnorm, residual
       * adds, 1x1 stride-2 shortcuts, odd-size pooling, global average pool */
        struct {
            const char *tag, *model;
            lb_model_opts o;
            int c, h, w;
        } nets[2] = {{"resnet8", "resnet", {0, 0, 0.25, 8}, 3, 8, 8},
                     {"vgg11", "vgg", {0, 0, 0.0625, 0}, 1, 16, 16}};
        for (int k = 0; k < 2; k++) {
            lb_model m;
            lb_error err;
            CHECK(lb_model_build(&m, lb_model_find(nets[k].model, &err), nets[k].c, nets[k].h,
                                 nets[k].w, 5, &nets[k].o, 1, &err) == LB_OK,
                  "%s", err.msg);
            char nm[64];
            snprintf(nm, sizeof nm, "%s_p0", nets[k].tag);
            float *p0 = lf(nm, m.nparams);
            snprintf(nm, sizeof nm, "%s_grad", nets[k].tag);
            float *grad = lf(nm, m.nparams);
            snprintf(nm, sizeof nm, "%s_x", nets[k].tag);
            float *x = lf(nm, (size_t)4 * nets[k].c * nets[k].h * nets[k].w);
            snprintf(nm, sizeof nm, "%s_loss", nets[k].tag);
            float *loss = lf(nm, 1);
            snprintf(nm, sizeof nm, "%s_y", nets[k].tag);
            int32_t *y = load(nm, "i32", 4);
            memcpy(m.params, p0, m.nparams * 4);
            lb_model_alloc_batch(&m, 4);
            double l;
            memset(m.grads, 0, m.nparams * 4);
            lb_model_forward(&m, x, y, 4, NULL, &l, NULL);
            lb_model_backward(&m, x, y, 4, NULL);
            CHECK(fabs(l - loss[0]) <= 10 * TOL_FWD * fabs(loss[0]), "%s loss %.9g vs torch %.9g",
                  nets[k].tag, l, loss[0]);
            snprintf(nm, sizeof nm, "%s gradients", nets[k].tag);
            compare(nm, m.grads, grad, m.nparams, 10 * TOL_GRAD);
            lb_model_free(&m);
        }
    }
    lb_workspace_free(&ws);
    for (int i = 0; i < nloaded; i++)
        free(loaded[i]);
    return lb_check_summary("test_torch_fixtures");
}
