/* tests/unit/test_data_synthetic.c — the seeded synthetic many-class set: deterministic for a
 * seed (and for any thread count), different for another seed, train and test share the
 * prototypes but not the noise, noise within its bound and with the variance of U(-a, a),
 * balanced labels, learnable (a nearest-class-mean classifier on 1000 classes), and the
 * "synthetic:..." parameter parser with its errors. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lowbit/data.h"

static int same_split(const lb_dataset *a, const lb_dataset *b)
{
    size_t px = (size_t)a->c * a->h * a->w;
    return a->n == b->n && a->c == b->c && a->h == b->h && a->w == b->w &&
           a->classes == b->classes && !memcmp(a->x, b->x, (size_t)a->n * px * sizeof *a->x) &&
           !memcmp(a->y, b->y, (size_t)a->n * sizeof *a->y);
}

static void test_determinism(void)
{
    lb_dataset a, b;
    lb_error err;
    omp_set_num_threads(1);
    CHECK(lb_synthetic_make(&a, 1000, 3000, 8, 1.0, 5, 0, &err) == LB_OK, "%s", err.msg);
    omp_set_num_threads(2);
    CHECK(lb_synthetic_make(&b, 1000, 3000, 8, 1.0, 5, 0, &err) == LB_OK, "%s", err.msg);
    CHECK(a.n == 3000 && a.classes == 1000 && a.c == 1 && a.h == 8 && a.w == 8, "synthetic shape");
    CHECK(same_split(&a, &b), "same seed, 1 and 2 threads: identical data");
    int unbalanced = 0;
    for (int64_t i = 0; i < a.n; i++)
        unbalanced += a.y[i] != (int32_t)(i % 1000);
    CHECK(unbalanced == 0, "labels cycle through the classes");
    lb_dataset_free(&b);
    CHECK(lb_synthetic_make(&b, 1000, 3000, 8, 1.0, 6, 0, &err) == LB_OK, "%s", err.msg);
    CHECK(memcmp(a.x, b.x, 3000 * 64 * sizeof(float)) != 0, "another seed, other data");
    lb_dataset_free(&a), lb_dataset_free(&b);
}

/* noise 0.5 < 1: the sign of a pixel is its prototype's */
static void test_prototypes_and_noise(void)
{
    const int C = 50, S = 16, P = S * S;
    const double A = 0.5;
    lb_dataset tr, te;
    lb_error err;
    CHECK(lb_synthetic_make(&tr, C, 5000, S, A, 9, 0, &err) == LB_OK, "%s", err.msg);
    CHECK(lb_synthetic_make(&te, C, 1000, S, A, 9, 1, &err) == LB_OK, "%s", err.msg);
    long sign_mismatch = 0, out_of_bound = 0;
    double s = 0, s2 = 0;
    for (int64_t i = 0; i < tr.n; i++) {
        const float *x = tr.x + i * P, *ref = tr.x + (i % C) * P; /* same class */
        const float *tx = te.x + (i % te.n) * P;                  /* test, class i%C */
        int tk = (int)((i % te.n) % C), k = (int)(i % C);
        for (int p = 0; p < P; p++) {
            float proto = ref[p] > 0 ? 1.0f : -1.0f, u = x[p] - proto;
            sign_mismatch += (x[p] > 0) != (ref[p] > 0);
            if (tk == k) sign_mismatch += (tx[p] > 0) != (ref[p] > 0);
            out_of_bound += fabsf(u) > (float)A;
            s += u, s2 += (double)u * u;
        }
    }
    double cnt = (double)tr.n * P, m = s / cnt, var = s2 / cnt - m * m;
    CHECK(sign_mismatch == 0, "%ld pixels off their class prototype (train or test)",
          sign_mismatch);
    CHECK(out_of_bound == 0, "%ld noise values beyond +-%g", out_of_bound, A);
    /* U(-a, a): mean 0, variance a²/3; 1.28M samples, so 1 % is many standard errors */
    CHECK(fabs(m) < 0.01 * A && fabs(var - A * A / 3) < 0.01 * A * A / 3 + 1e-6,
          "noise mean %g variance %g (want 0, %g)", m, var, A * A / 3);
    CHECK(memcmp(tr.x, te.x, (size_t)te.n * P * sizeof(float)) != 0, "test noise differs");
    /* prototypes of different classes differ in about half of their pixels */
    int lo = P, hi = 0;
    for (int a = 0; a < C; a++)
        for (int b = a + 1; b < C; b++) {
            int diff = 0;
            for (int p = 0; p < P; p++)
                diff += (tr.x[a * P + p] > 0) != (tr.x[b * P + p] > 0);
            lo = diff < lo ? diff : lo, hi = diff > hi ? diff : hi;
        }
    CHECK(lo > P / 4 && hi < 3 * P / 4, "two prototypes differ in %d to %d of %d pixels", lo, hi,
          P);
    lb_dataset_free(&tr), lb_dataset_free(&te);
}

/* Learnable: class means of the training split classify the test split (defaults: size 16,
 * noise 2, 20 examples per class at C = 1000). */
static void test_learnable(void)
{
    lb_dataset tr, te;
    lb_error err;
    CHECK(lb_dataset_load(&tr, &te, "synthetic:classes=1000,test=1000", NULL, &err) == LB_OK, "%s",
          err.msg);
    CHECK(tr.n == 20000 && te.n == 1000 && tr.h == 16 && tr.w == 16 && tr.classes == 1000,
          "synthetic:classes=1000 shape");
    const int C = 1000, P = 256;
    float *mean = calloc((size_t)C * P, sizeof *mean);
    int *cnt = calloc((size_t)C, sizeof *cnt);
    for (int64_t i = 0; i < tr.n; i++) {
        cnt[tr.y[i]]++;
        for (int p = 0; p < P; p++)
            mean[(size_t)tr.y[i] * P + p] += tr.x[i * P + p];
    }
    for (int k = 0; k < C; k++)
        for (int p = 0; p < P; p++)
            mean[(size_t)k * P + p] /= (float)cnt[k];
    int hits = 0;
    for (int64_t i = 0; i < te.n; i++) {
        int best = -1;
        float bd = INFINITY;
        for (int k = 0; k < C; k++) {
            float d = 0;
            for (int p = 0; p < P; p++) {
                float t = te.x[i * P + p] - mean[(size_t)k * P + p];
                d += t * t;
            }
            if (d < bd) bd = d, best = k;
        }
        hits += best == te.y[i];
    }
    printf("nearest class mean, 1000 classes: %.1f %% test accuracy\n", 100.0 * hits / te.n);
    CHECK(hits > 900, "nearest class mean: %d of %lld right", hits, (long long)te.n);
    free(mean), free(cnt);
    lb_dataset_free(&tr), lb_dataset_free(&te);
}

static void test_parser(void)
{
    lb_dataset tr, te, a, b;
    lb_error err;
    CHECK(lb_dataset_load(&tr, &te, "synthetic:classes=1000,n=3000,size=8", NULL, &err) == LB_OK,
          "%s", err.msg);
    CHECK(tr.n == 3000 && te.n == 600 && tr.h == 8 && tr.classes == 1000 && te.classes == 1000,
          "params: n %lld/%lld h %d", (long long)tr.n, (long long)te.n, tr.h);
    CHECK(lb_synthetic_make(&a, 1000, 3000, 8, 2.0, 1, 0, &err) == LB_OK &&
              lb_synthetic_make(&b, 1000, 600, 8, 2.0, 1, 1, &err) == LB_OK &&
              same_split(&a, &tr) && same_split(&b, &te),
          "the lookup is lb_synthetic_make with seed 1, splits 0 and 1");
    lb_dataset_free(&a), lb_dataset_free(&b), lb_dataset_free(&tr), lb_dataset_free(&te);
    CHECK(lb_dataset_load(&tr, &te, "synthetic", NULL, &err) == LB_OK && tr.n == 20000 &&
              te.n == 4000 && tr.classes == 10 && tr.h == 16,
          "synthetic defaults");
    lb_dataset_free(&tr), lb_dataset_free(&te);
    CHECK(lb_dataset_load(&tr, &te, "synthetic:classes=5,n=50,seed=2,noise=0.25,test=7", NULL,
                          &err) == LB_OK &&
              te.n == 7,
          "seed/noise/test keys: %s", err.msg);
    CHECK(lb_synthetic_make(&a, 5, 50, 16, 0.25, 2, 0, &err) == LB_OK && same_split(&a, &tr),
          "seed=2,noise=0.25 reach lb_synthetic_make");
    lb_dataset_free(&a), lb_dataset_free(&tr), lb_dataset_free(&te);

    struct {
        const char *spec, *word;
    } bad[] = {
        {"synthetic:classes=7,bogus=1", "unknown key 'bogus'"},
        {"synthetic:classes=abc", "classes='abc' is not a number"},
        {"synthetic:n=5x", "n='5x' is not a number"},
        {"synthetic:noise=", "noise='' is not a number"},
        {"synthetic:classes", "'classes' is not key=value"},
        {"synthetic:classes=3,,n=4", "bad parameter list"},
        {"synthetic:classes=1", "classes=1 out of range"},
        {"synthetic:classes=4294967298", "classes=4294967298 out of range"},
        {"synthetic:size=0", "size=0 out of range"},
        {"synthetic:n=-3", "n=-3 must not be negative"},
        {"synthetic:n=0", "n=0 out of range"},
        {"synthetic:noise=-1", "noise=-1 out of range"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lb_status st = lb_dataset_load(&tr, &te, bad[i].spec, NULL, &err);
        CHECK(st == LB_ERR_ARG && strstr(err.msg, bad[i].word), "%s: status %d, '%s'", bad[i].spec,
              (int)st, err.msg);
        CHECK(!tr.x && !te.x && !tr.n && !te.n, "%s: data left behind", bad[i].spec);
    }
}

int main(void)
{
    test_determinism();
    test_prototypes_and_noise();
    test_learnable();
    test_parser();
    return lb_check_summary("test_data_synthetic");
}
