/* tests/unit/test_data_batch.c — what the training loop draws from a split: the per-epoch
 * shuffle (a permutation, the documented Fisher–Yates, deterministic, different per epoch
 * and seed, uniform over the 24 orders of 4 items), the batch iterator (every example once
 * per epoch, short last batch, subsets, index order without shuffling, augmentation only when
 * asked and allowed, same batches for 1 and 2 threads), crop+flip augmentation (deterministic,
 * always a zero-padded crop, optionally mirrored, of the source; all 81 offsets and both flips
 * occur about equally often), per-channel statistics and normalisation, truncation, allocation
 * limits, and the data set name lookup's errors. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lowbit/data.h"
#include "lowbit/rng.h"

static int is_permutation(const int32_t *p, int64_t n)
{
    char *seen = calloc((size_t)n + 1, 1);
    int ok = 1;
    for (int64_t i = 0; i < n && ok; i++) {
        ok = p[i] >= 0 && p[i] < n && !seen[p[i]];
        if (ok) seen[p[i]] = 1;
    }
    free(seen);
    return ok;
}

static void test_shuffle(void)
{
    const int64_t sizes[] = {0, 1, 2, 7, 1000, 60000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int64_t n = sizes[s];
        int32_t *a = malloc((size_t)(n + 1) * sizeof *a), *b = malloc((size_t)(n + 1) * 4);
        int32_t *ref = malloc((size_t)(n + 1) * sizeof *ref);
        CHECK(lb_data_shuffle(a, n, 42, 3) == LB_OK, "shuffle n=%lld", (long long)n);
        CHECK(is_permutation(a, n), "n=%lld: not a permutation", (long long)n);
        lb_data_shuffle(b, n, 42, 3);
        CHECK(!memcmp(a, b, (size_t)n * 4), "n=%lld: not deterministic", (long long)n);
        /* the documented construction, for a few keys (low positions differ between keys) */
        for (uint64_t key = 0; key < 4; key++) {
            lb_data_shuffle(a, n, 42 + key, 3 * key);
            lb_rng_key k = lb_rng_make_key(42 + key, LB_DATA_STREAM_SHUFFLE, 3 * key);
            for (int64_t i = 0; i < n; i++)
                ref[i] = (int32_t)i;
            for (int64_t i = n - 1; i > 0; i--) {
                int64_t j =
                    (int64_t)(((uint64_t)lb_rng_u32(k, (uint64_t)i) * (uint64_t)(i + 1)) >> 32);
                int32_t t = ref[i];
                ref[i] = ref[j], ref[j] = t;
            }
            CHECK(!memcmp(a, ref, (size_t)n * 4),
                  "n=%lld key %llu: not the documented Fisher-Yates", (long long)n,
                  (unsigned long long)key);
        }
        lb_data_shuffle(a, n, 42, 3);
        if (n >= 7) {
            lb_data_shuffle(b, n, 42, 4);
            CHECK(memcmp(a, b, (size_t)n * 4) != 0, "n=%lld: epochs 3 and 4 give the same order",
                  (long long)n);
            lb_data_shuffle(b, n, 43, 3);
            CHECK(memcmp(a, b, (size_t)n * 4) != 0, "n=%lld: seeds 42 and 43 give the same order",
                  (long long)n);
        }
        free(a), free(b), free(ref);
    }
    /* uniform over the 24 orders of 4 items: 24000 epochs, chi-square with 23 degrees of
     * freedom; 60 is exceeded with probability ~3e-5 (fixed seed: the result never changes) */
    long count[256] = {0};
    for (uint64_t e = 0; e < 24000; e++) {
        int32_t p[4];
        lb_data_shuffle(p, 4, 7, e);
        count[p[0] * 64 + p[1] * 16 + p[2] * 4 + p[3]]++;
    }
    double chi2 = 0;
    int orders = 0;
    for (int c = 0; c < 256; c++)
        if (count[c]) orders++, chi2 += (count[c] - 1000.0) * (count[c] - 1000.0) / 1000.0;
    CHECK(orders == 24 && chi2 < 60, "shuffle of 4: %d orders, chi2 %.1f", orders, chi2);
    int32_t p[2];
    CHECK(lb_data_shuffle(p, -1, 0, 0) == LB_ERR_ARG, "n < 0 rejected");
    CHECK(lb_data_shuffle(p, (int64_t)INT32_MAX + 1, 0, 0) == LB_ERR_ARG, "n > 2^31-1 rejected");
    CHECK(lb_data_shuffle(NULL, 0, 0, 0) == LB_OK, "n = 0 with NULL is fine");
}

/* A split of n examples of c×h×w: pixel k of example i = i + k/1000, label i mod 7. */
static void make_split(lb_dataset *d, int64_t n, int c, int h, int w)
{
    lb_error err;
    if (lb_dataset_alloc(d, n, c, h, w, 7, &err)) {
        fprintf(stderr, "lb_dataset_alloc: %s\n", err.msg);
        exit(1);
    }
    size_t px = (size_t)c * h * w;
    for (int64_t i = 0; i < n; i++) {
        d->y[i] = (int32_t)(i % 7);
        for (size_t k = 0; k < px; k++)
            d->x[(size_t)i * px + k] = (float)i + (float)k / 1000.0f;
    }
}

/* One epoch of the iterator: batch sizes, every example once, x/y match, order = perm. */
static void check_epoch(lb_batch_iter *it, const lb_dataset *d, int64_t n, int batch,
                        const int32_t *want_order, int augmented, uint64_t seed, uint64_t epoch,
                        const char *what)
{
    size_t px = (size_t)d->c * d->h * d->w;
    float *x = malloc((size_t)batch * px * sizeof *x), *aug = malloc(px * sizeof *aug);
    int32_t *y = malloc((size_t)batch * sizeof *y);
    int64_t *idx = malloc((size_t)batch * sizeof *idx);
    int32_t *order = malloc((size_t)n * sizeof *order);
    int64_t pos = 0;
    int b, nb = 0, wrong_size = 0, wrong = 0;
    while ((b = lb_batch_next(it, x, y, idx)) > 0) {
        int64_t left = n - pos;
        wrong_size += b != (left < batch ? left : batch);
        for (int k = 0; k < b && pos < n; k++, pos++) {
            order[pos] = (int32_t)idx[k];
            wrong += y[k] != d->y[idx[k]];
            const float *src = d->x + (size_t)idx[k] * px;
            if (augmented) {
                lb_augment_crop_flip(aug, src, d->c, d->h, d->w, LB_AUGMENT_PAD, seed, epoch,
                                     (uint64_t)idx[k]);
                src = aug;
            }
            wrong += memcmp(x + (size_t)k * px, src, px * sizeof *x) != 0;
        }
        nb++;
    }
    CHECK(pos == n && nb == (int)((n + batch - 1) / batch) && wrong_size == 0,
          "%s: %lld examples in %d batches (%d of wrong size)", what, (long long)pos, nb,
          wrong_size);
    CHECK(wrong == 0, "%s: %d examples with wrong pixels or labels", what, wrong);
    CHECK(is_permutation(order, n), "%s: not every example exactly once", what);
    if (want_order) CHECK(!memcmp(order, want_order, (size_t)n * 4), "%s: unexpected order", what);
    CHECK(lb_batch_next(it, x, y, idx) == 0, "%s: still returns data after the epoch", what);
    free(x), free(aug), free(y), free(idx), free(order);
}

static void test_iterator(void)
{
    lb_dataset d;
    lb_error err;
    lb_batch_iter it;
    make_split(&d, 103, 1, 4, 4);
    int32_t *perm = malloc(103 * sizeof *perm), *ident = malloc(103 * sizeof *ident);
    for (int i = 0; i < 103; i++)
        ident[i] = i;

    CHECK(lb_batch_iter_init(&it, &d, 10, 0, LB_BATCH_SHUFFLE, 5, &err) == LB_OK, "%s", err.msg);
    lb_data_shuffle(perm, 103, 5, 0);
    check_epoch(&it, &d, 103, 10, perm, 0, 5, 0, "shuffled epoch 0");
    lb_batch_iter_epoch(&it, 1);
    lb_data_shuffle(perm, 103, 5, 1);
    check_epoch(&it, &d, 103, 10, perm, 0, 5, 1, "shuffled epoch 1");
    lb_batch_iter_epoch(&it, 0);
    lb_data_shuffle(perm, 103, 5, 0);
    check_epoch(&it, &d, 103, 10, perm, 0, 5, 0, "epoch 0 again");
    lb_batch_iter_free(&it);

    CHECK(lb_batch_iter_init(&it, &d, 16, 0, 0, 5, &err) == LB_OK, "%s", err.msg);
    check_epoch(&it, &d, 103, 16, ident, 0, 5, 0, "unshuffled");
    lb_batch_iter_free(&it);

    /* a subset: the first 50 examples, shuffled among themselves */
    CHECK(lb_batch_iter_init(&it, &d, 8, 50, LB_BATCH_SHUFFLE, 5, &err) == LB_OK, "%s", err.msg);
    lb_batch_iter_epoch(&it, 2);
    lb_data_shuffle(perm, 50, 5, 2);
    check_epoch(&it, &d, 50, 8, perm, 0, 5, 2, "subset 50");
    lb_batch_iter_free(&it);
    CHECK(lb_batch_iter_init(&it, &d, 1000, 500, 0, 5, &err) == LB_OK && it.n == 103,
          "a subset larger than the split is the split");
    check_epoch(&it, &d, 103, 1000, ident, 0, 5, 0, "one batch larger than the split");
    lb_batch_iter_free(&it);

    /* augmentation: not for a split without the augment flag, even if asked */
    CHECK(lb_batch_iter_init(&it, &d, 10, 0, LB_BATCH_SHUFFLE | LB_BATCH_AUGMENT, 5, &err) == LB_OK,
          "%s", err.msg);
    lb_data_shuffle(perm, 103, 5, 0);
    check_epoch(&it, &d, 103, 10, perm, 0, 5, 0, "augment asked, split not CIFAR-like");
    lb_batch_iter_free(&it);
    lb_dataset_free(&d);

    /* a CIFAR-like split, 1 and 2 threads */
    make_split(&d, 300, 3, 32, 32);
    d.augment = 1;
    const size_t px = 3 * 32 * 32;
    float *xb[2];
    for (int t = 0; t < 2; t++) {
        omp_set_num_threads(t + 1);
        xb[t] = malloc(300 * px * sizeof(float));
        CHECK(lb_batch_iter_init(&it, &d, 64, 0, LB_BATCH_SHUFFLE | LB_BATCH_AUGMENT, 11, &err) ==
                  LB_OK,
              "%s", err.msg);
        lb_batch_iter_epoch(&it, 3);
        int b;
        size_t off = 0;
        while ((b = lb_batch_next(&it, xb[t] + off * px, NULL, NULL)) > 0)
            off += (size_t)b;
        lb_batch_iter_epoch(&it, 3);
        perm = realloc(perm, 300 * sizeof *perm);
        lb_data_shuffle(perm, 300, 11, 3);
        check_epoch(&it, &d, 300, 64, perm, 1, 11, 3, "augmented");
        lb_batch_iter_free(&it);
    }
    CHECK(!memcmp(xb[0], xb[1], 300 * px * sizeof(float)), "augmented batches: 1 vs 2 threads");
    free(xb[0]), free(xb[1]);

    CHECK(lb_batch_iter_init(&it, &d, 0, 0, 0, 0, &err) == LB_ERR_ARG && strstr(err.msg, "0"),
          "batch 0: '%s'", err.msg);
    CHECK(lb_batch_iter_init(&it, &d, 4, 0, 8, 0, &err) == LB_ERR_ARG, "unknown flag");
    lb_dataset_free(&d);
    CHECK(lb_batch_iter_init(&it, &d, 4, 0, 0, 0, &err) == LB_ERR_ARG, "empty split");
    free(perm), free(ident);
}

/* Find the (dy, dx, flip) for which dst is the padded crop of src; -1 if none. */
static int find_crop(const float *dst, const float *src, int c, int h, int w, int pad, int *dy,
                     int *dx, int *flip)
{
    int found = 0;
    for (int f = 0; f < 2; f++)
        for (int a = -pad; a <= pad; a++)
            for (int b = -pad; b <= pad; b++) {
                int ok = 1;
                for (int ch = 0; ch < c && ok; ch++)
                    for (int y = 0; y < h && ok; y++)
                        for (int x = 0; x < w && ok; x++) {
                            int sy = y + a, sx = (f ? w - 1 - x : x) + b;
                            float want = sy >= 0 && sy < h && sx >= 0 && sx < w
                                             ? src[(ch * h + sy) * w + sx]
                                             : 0.0f;
                            ok = dst[(ch * h + y) * w + x] == want;
                        }
                if (ok) *dy = a, *dx = b, *flip = f, found++;
            }
    return found == 1 ? 0 : -1;
}

static void test_augment(void)
{
    enum { C = 2, H = 6, W = 5, PAD = 4 };
    float src[C * H * W], d1[C * H * W], d2[C * H * W];
    for (int i = 0; i < C * H * W; i++)
        src[i] = (float)(i + 1); /* all distinct and non-zero: a crop is identifiable */
    lb_augment_crop_flip(d1, src, C, H, W, PAD, 9, 3, 17);
    lb_augment_crop_flip(d2, src, C, H, W, PAD, 9, 3, 17);
    CHECK(!memcmp(d1, d2, sizeof d1), "augmentation deterministic");
    long offsets[2 * PAD + 1][2 * PAD + 1] = {{0}}, flips = 0, not_crop = 0, differ_epoch = 0;
    const int draws = 16200;
    for (int idx = 0; idx < draws; idx++) {
        int dy, dx, flip;
        lb_augment_crop_flip(d1, src, C, H, W, PAD, 9, 0, (uint64_t)idx);
        if (find_crop(d1, src, C, H, W, PAD, &dy, &dx, &flip)) {
            not_crop++;
            continue;
        }
        offsets[dy + PAD][dx + PAD]++, flips += flip;
        lb_augment_crop_flip(d2, src, C, H, W, PAD, 9, 1, (uint64_t)idx);
        differ_epoch += memcmp(d1, d2, sizeof d1) != 0;
    }
    CHECK(not_crop == 0, "%ld outputs are not a padded crop (+ flip) of the source", not_crop);
    /* 200 expected per offset: 4.5 standard deviations either side */
    long lo = draws, hi = 0;
    for (int a = 0; a <= 2 * PAD; a++)
        for (int b = 0; b <= 2 * PAD; b++)
            lo = offsets[a][b] < lo ? offsets[a][b] : lo,
            hi = offsets[a][b] > hi ? offsets[a][b] : hi;
    CHECK(lo > 140 && hi < 260, "offset counts %ld..%ld, want about 200 each", lo, hi);
    CHECK(labs(flips - draws / 2) < 4 * 64, "%ld flips in %d", flips, draws);
    CHECK(differ_epoch > draws * 9 / 10, "epochs 0 and 1 differ for %ld of %d", differ_epoch,
          draws);
    /* pad 0: identity or mirror; negative pad counts as 0 */
    for (int idx = 0; idx < 50; idx++) {
        int dy, dx, flip;
        lb_augment_crop_flip(d1, src, C, H, W, idx % 2 ? 0 : -3, 9, 0, (uint64_t)idx);
        CHECK(find_crop(d1, src, C, H, W, 0, &dy, &dx, &flip) == 0, "pad 0: identity or mirror");
    }
}

static void test_stats(void)
{
    lb_dataset d;
    lb_error err;
    /* 2 examples of 2 channels of 1×2: channel 0 = {0, 1, 2, 5}, channel 1 constant 0.5 */
    CHECK(lb_dataset_alloc(&d, 2, 2, 1, 2, 3, &err) == LB_OK, "%s", err.msg);
    const float v[8] = {0, 1, 0.5f, 0.5f, 2, 5, 0.5f, 0.5f};
    memcpy(d.x, v, sizeof v);
    double mean[2], sd[2];
    lb_dataset_stats(&d, mean, sd);
    CHECK(mean[0] == 2.0 && fabs(sd[0] - sqrt(3.5)) < 1e-12, "channel 0: mean %g std %g", mean[0],
          sd[0]);
    CHECK(mean[1] == 0.5 && sd[1] == 1.0, "constant channel: mean %g std %g (want 0.5, 1)", mean[1],
          sd[1]);
    lb_dataset_normalize(&d, mean, sd);
    CHECK(fabsf(d.x[0] - (float)(-2 / sqrt(3.5))) < 1e-6f && d.x[2] == 0 && d.x[7] == 0,
          "normalised values");
    lb_dataset_truncate(&d, 1);
    CHECK(d.n == 1, "truncate to 1");
    lb_dataset_truncate(&d, 5);
    CHECK(d.n == 1, "truncate beyond n changes nothing");
    lb_dataset_free(&d);

    /* the same statistics for 1 and 2 threads, bit for bit */
    make_split(&d, 5000, 3, 8, 8);
    double m1[3], s1[3], m2[3], s2[3];
    omp_set_num_threads(1);
    lb_dataset_stats(&d, m1, s1);
    omp_set_num_threads(2);
    lb_dataset_stats(&d, m2, s2);
    CHECK(!memcmp(m1, m2, sizeof m1) && !memcmp(s1, s2, sizeof s1), "stats: 1 vs 2 threads");
    lb_dataset_normalize(&d, m1, s1);
    lb_dataset_stats(&d, m2, s2);
    for (int c = 0; c < 3; c++)
        CHECK(fabs(m2[c]) < 1e-5 && fabs(s2[c] - 1) < 1e-5, "channel %d after: %g %g", c, m2[c],
              s2[c]);
    lb_dataset_free(&d);

    CHECK(lb_dataset_alloc(&d, 10, 5, 2, 2, 3, &err) == LB_ERR_ARG && strstr(err.msg, "(10,5,2,2)"),
          "5 channels: '%s'", err.msg);
    CHECK(lb_dataset_alloc(&d, 0, 1, 2, 2, 3, &err) == LB_ERR_ARG, "0 examples");
    CHECK(!d.x && !d.y && !d.n, "failed alloc leaves an empty split");
}

static void test_lookup(void)
{
    lb_dataset tr, te;
    lb_error err;
    CHECK(lb_dataset_load(&tr, &te, "cifar-7", "/tmp", &err) == LB_ERR_ARG &&
              strstr(err.msg, "'cifar-7'") && strstr(err.msg, "fashion-mnist") &&
              strstr(err.msg, "cifar100") && strstr(err.msg, "hdf5:PATH") &&
              strstr(err.msg, "synthetic:classes="),
          "unknown name: '%s'", err.msg);
    CHECK(lb_dataset_load(&tr, &te, NULL, "/tmp", &err) == LB_ERR_ARG, "NULL name");
    CHECK(lb_dataset_load(&tr, &te, "hdf5", "/tmp", &err) == LB_ERR_ARG, "hdf5 without a path");
}

int main(void)
{
    test_shuffle();
    test_iterator();
    test_augment();
    test_stats();
    test_lookup();
    return lb_check_summary("test_data_batch");
}
