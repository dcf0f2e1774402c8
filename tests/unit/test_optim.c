/* tests/unit/test_optim.c — SGD (momentum, weight decay) and Adam/AdamW against a double
 * precision transcription of torch.optim's update rules, over 20 steps with changing
 * gradients. Tolerance: float rounding of ~10 operations per step, accumulated. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "lowbit/optim.h"

#define N     16
#define STEPS 20
#define TOL   1e-5 /* relative, on |w| ~ 1 after 20 float steps */

static double grad(int i, int t)
{
    return sin(0.7 * i + 1.3 * t) * (1 + 0.1 * i);
}

int main(void)
{
    /* SGD */
    float w[N], buf[N];
    double wd_[N], bd[N] = {0};
    for (int i = 0; i < N; i++)
        w[i] = (float)(wd_[i] = 0.5 - 0.05 * i);
    int first = 1;
    const double lr = 0.05, mom = 0.9, wdec = 1e-3;
    for (int t = 0; t < STEPS; t++) {
        float g[N];
        for (int i = 0; i < N; i++)
            g[i] = (float)grad(i, t);
        lb_sgd_step(w, g, buf, N, (float)lr, (float)mom, (float)wdec, &first);
        for (int i = 0; i < N; i++) {
            double gg = (double)g[i] + wdec * wd_[i];
            bd[i] = t == 0 ? gg : mom * bd[i] + gg;
            wd_[i] -= lr * bd[i];
        }
    }
    for (int i = 0; i < N; i++)
        CHECK(fabs(w[i] - wd_[i]) <= TOL * (1 + fabs(wd_[i])), "sgd w[%d] %g vs %g", i, w[i],
              wd_[i]);
    CHECK(first == 0, "sgd first flag");

    /* Adam and AdamW */
    for (int dec = 0; dec < 2; dec++) {
        float wa[N], m[N] = {0}, v[N] = {0};
        double wr[N], mr[N] = {0}, vr[N] = {0};
        const double a = 1e-2, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.01;
        for (int i = 0; i < N; i++)
            wa[i] = (float)(wr[i] = 0.3 + 0.02 * i);
        for (int t = 1; t <= STEPS; t++) {
            float g[N];
            for (int i = 0; i < N; i++)
                g[i] = (float)grad(i, t);
            lb_adam_step(wa, g, m, v, N, (float)a, (float)b1, (float)b2, (float)eps, (float)wd, dec,
                         t);
            for (int i = 0; i < N; i++) {
                double gg = g[i];
                if (dec)
                    wr[i] *= 1 - a * wd;
                else
                    gg += wd * wr[i];
                mr[i] = b1 * mr[i] + (1 - b1) * gg;
                vr[i] = b2 * vr[i] + (1 - b2) * gg * gg;
                double mh = mr[i] / (1 - pow(b1, t)), vh = vr[i] / (1 - pow(b2, t));
                wr[i] -= a * mh / (sqrt(vh) + eps);
            }
        }
        for (int i = 0; i < N; i++)
            CHECK(fabs(wa[i] - wr[i]) <= TOL * (1 + fabs(wr[i])), "%s w[%d] %g vs %g",
                  dec ? "adamw" : "adam", i, wa[i], wr[i]);
    }
    return lb_check_summary("test_optim");
}
