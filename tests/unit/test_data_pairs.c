/* tests/unit/test_data_pairs.c — the 100-class pairs task (lb_pairs_make, "fashion-mnist-pairs"):
 * on a constructed base set whose every pixel names its split, example and position, each pair
 * image is checked to be exactly two base items side by side, of the classes its label says
 * (left = label / 10, right = label mod 10), taken only from the same split (train pairs never
 * contain a test item); labels are balanced in every prefix; the result is the same for 1 and 2
 * threads and another seed picks other items; the parameter parser and the base-set errors.
 * Then, if the Debian package dataset-fashion-mnist is installed, the real set: shapes, 100
 * classes, and every half of 300 pairs equal to a real item of the right class. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "lowbit/data.h"

enum { BH = 3, BW = 4, BN = 57 }; /* a base split: 57 examples of 1x3x4, 10 classes */

/* pixel (y, x) of base example i of split s: a value that identifies all four */
static float marker(int s, int64_t i, int y, int x)
{
    return (float)(s * 100000 + i * 100 + y * 10 + x);
}

static void make_base(lb_dataset *d, int s, int classes)
{
    lb_error err;
    CHECK(lb_dataset_alloc(d, BN, 1, BH, BW, classes, &err) == LB_OK, "%s", err.msg);
    for (int64_t i = 0; i < BN; i++) {
        d->y[i] = (int32_t)((i * 7 + s) % classes); /* every class present, unordered */
        for (int y = 0; y < BH; y++)
            for (int x = 0; x < BW; x++)
                d->x[(i * BH + y) * BW + x] = marker(s, i, y, x);
    }
}

/* Which base example of split s is half h of pair image p (-1 if none matches exactly). */
static int64_t which_item(const float *p, int h, int s)
{
    int64_t i = (int64_t)(p[h * BW] - (float)s * 100000) / 100;
    if (i < 0 || i >= BN) return -1;
    for (int y = 0; y < BH; y++)
        for (int x = 0; x < BW; x++)
            if (p[y * 2 * BW + h * BW + x] != marker(s, i, y, x)) return -1;
    return i;
}

static void test_constructed(void)
{
    lb_dataset base[2], pairs[2], again;
    lb_error err;
    for (int s = 0; s < 2; s++)
        make_base(&base[s], s, 10);
    const int64_t n = 1000;
    for (int s = 0; s < 2; s++) {
        omp_set_num_threads(1);
        CHECK(lb_pairs_make(&pairs[s], &base[s], n, 9, (uint64_t)s, &err) == LB_OK, "%s", err.msg);
        CHECK(pairs[s].n == n && pairs[s].classes == 100 && pairs[s].c == 1 && pairs[s].h == BH &&
                  pairs[s].w == 2 * BW,
              "pairs shape");
        int wrong = 0, foreign = 0, unbalanced = 0;
        for (int64_t i = 0; i < n; i++) {
            const float *p = pairs[s].x + i * BH * 2 * BW;
            int k = pairs[s].y[i];
            unbalanced += k != (int)(i % 100);
            for (int h = 0; h < 2; h++) {
                int64_t j = which_item(p, h, s);
                if (j < 0) {
                    foreign++;
                    continue;
                }
                wrong += base[s].y[j] != (h ? k % 10 : k / 10);
            }
        }
        CHECK(foreign == 0, "split %d: %d halves are not an item of the same base split", s,
              foreign);
        CHECK(wrong == 0, "split %d: %d halves of the wrong class", s, wrong);
        CHECK(unbalanced == 0, "split %d: labels cycle through 0..99", s);
        omp_set_num_threads(2);
        CHECK(lb_pairs_make(&again, &base[s], n, 9, (uint64_t)s, &err) == LB_OK, "%s", err.msg);
        CHECK(!memcmp(again.x, pairs[s].x, (size_t)n * BH * 2 * BW * sizeof(float)),
              "split %d: 1 and 2 threads give identical pairs", s);
        lb_dataset_free(&again);
        CHECK(lb_pairs_make(&again, &base[s], n, 10, (uint64_t)s, &err) == LB_OK, "%s", err.msg);
        CHECK(memcmp(again.x, pairs[s].x, (size_t)n * BH * 2 * BW * sizeof(float)) != 0,
              "split %d: another seed picks other items", s);
        lb_dataset_free(&again);
    }
    CHECK(memcmp(pairs[0].x, pairs[1].x, (size_t)n * BH * 2 * BW * sizeof(float)) != 0,
          "train and test pairs differ");
    /* a base class without examples, a label out of range */
    lb_dataset bad;
    make_base(&bad, 0, 10);
    for (int64_t i = 0; i < BN; i++)
        if (bad.y[i] == 3) bad.y[i] = 4;
    CHECK(lb_pairs_make(&again, &bad, 10, 1, 0, &err) == LB_ERR_DATA && strstr(err.msg, "class 3"),
          "missing class named: %s", err.msg);
    bad.y[5] = 10;
    CHECK(lb_pairs_make(&again, &bad, 10, 1, 0, &err) == LB_ERR_DATA && strstr(err.msg, "label 10"),
          "label out of range named: %s", err.msg);
    CHECK(lb_pairs_make(&again, &base[0], 0, 1, 0, &err) == LB_ERR_ARG && strstr(err.msg, "n=0"),
          "n = 0 rejected: %s", err.msg);
    lb_dataset_free(&bad);
    for (int s = 0; s < 2; s++) {
        lb_dataset_free(&base[s]);
        lb_dataset_free(&pairs[s]);
    }
}

static void test_params(void)
{
    lb_dataset tr, te;
    lb_error err;
    static const struct {
        const char *name, *needle;
    } bad[] = {
        {"fashion-mnist-pairs:n=0", "n=0"},
        {"fashion-mnist-pairs:test=0", "test=0"},
        {"fashion-mnist-pairs:n=12x", "n='12x'"},
        {"fashion-mnist-pairs:size=3", "unknown key 'size'"},
        {"fashion-mnist-pairs:seed=-1", "seed=-1"},
        {"fashion-mnist-pairs:n", "not key=value"},
        {"fashion-mnist-pairs:n=5,,test=2", "bad parameter list"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        /* parameters are checked before any file is read: a missing directory is not reached */
        lb_status st = lb_dataset_load(&tr, &te, bad[i].name, "/nonexistent/dir", &err);
        CHECK(st == LB_ERR_ARG && strstr(err.msg, bad[i].needle), "%s: got %d '%s'", bad[i].name,
              (int)st, err.msg);
        CHECK(!tr.x && !te.x && tr.n == 0, "%s: splits left empty", bad[i].name);
    }
    CHECK(lb_dataset_load(&tr, &te, "fashion-mnist-pairsx", NULL, &err) == LB_ERR_ARG &&
              strstr(err.msg, "unknown data set"),
          "a name that only starts like the pairs set is unknown: %s", err.msg);
    CHECK(lb_dataset_load(&tr, &te, "mnist-pairs", "/nonexistent/dir", &err) == LB_ERR_IO &&
              strstr(err.msg, "/nonexistent/dir"),
          "the base set's error comes through: %s", err.msg);
}

#define FMNIST "/usr/share/datasets/fashion-mnist"

static void test_fashion_mnist_pairs(void)
{
    if (access(FMNIST, F_OK)) {
        printf("test_data_pairs: %s not installed, real-data part skipped\n", FMNIST);
        return;
    }
    lb_dataset tr, te, btr, bte;
    lb_error err;
    CHECK(lb_dataset_load(&tr, &te, "fashion-mnist-pairs:n=3000,test=700,seed=2", NULL, &err) ==
              LB_OK,
          "%s", err.msg);
    CHECK(lb_dataset_load(&btr, &bte, "fashion-mnist", NULL, &err) == LB_OK, "%s", err.msg);
    CHECK(tr.n == 3000 && te.n == 700 && tr.classes == 100 && te.classes == 100 && tr.c == 1 &&
              tr.h == 28 && tr.w == 56 && te.w == 56,
          "fashion-mnist-pairs shape: %lld/%lld examples, %d classes, %dx%dx%d", (long long)tr.n,
          (long long)te.n, tr.classes, tr.c, tr.h, tr.w);
    /* every half of the first 150 pairs of each split is a real item of its class and split */
    const lb_dataset *pr[2] = {&tr, &te}, *bs[2] = {&btr, &bte};
    for (int s = 0; s < 2; s++) {
        int missing = 0;
        for (int64_t i = 0; i < 150; i++)
            for (int h = 0; h < 2; h++) {
                int want = h ? pr[s]->y[i] % 10 : pr[s]->y[i] / 10, found = 0;
                for (int64_t j = 0; j < bs[s]->n && !found; j++) {
                    if (bs[s]->y[j] != want) continue;
                    found = 1;
                    for (int y = 0; y < 28 && found; y++)
                        found = !memcmp(pr[s]->x + (i * 28 + y) * 56 + h * 28,
                                        bs[s]->x + (j * 28 + y) * 28, 28 * sizeof(float));
                }
                missing += !found;
            }
        CHECK(missing == 0, "split %d: %d halves are not a real item of their class", s, missing);
    }
    lb_dataset_free(&tr);
    lb_dataset_free(&te);
    lb_dataset_free(&btr);
    lb_dataset_free(&bte);
}

int main(void)
{
    test_constructed();
    test_params();
    test_fashion_mnist_pairs();
    return lb_check_summary("test_data_pairs");
}
