/* data/batch.c — the order and content of training batches: the seeded per-epoch shuffle
 * (Fisher–Yates driven by lowbit/rng.h), crop+flip augmentation for CIFAR-like data, and the
 * mini-batch iterator of lowbit/data.h. Every random choice is a pure function of
 * (seed, epoch, position or example index), so batches are identical for any thread count and
 * a run resumed at epoch e sees the same batches as an uninterrupted one.
 * Not here: prefetching or double buffering of batches (copying a batch is cheap next to a
 * training step). */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "lowbit/data.h"
#include "lowbit/rng.h"

#define AUG_STREAM 0x41554721ull /* "AUG!" */

lb_status lb_data_shuffle(int32_t *perm, int64_t n, uint64_t seed, uint64_t epoch)
{
    if (n < 0 || n > INT32_MAX || (n > 0 && !perm)) return LB_ERR_ARG;
    const lb_rng_key key = lb_rng_make_key(seed, LB_DATA_STREAM_SHUFFLE, epoch);
    for (int64_t i = 0; i < n; i++)
        perm[i] = (int32_t)i;
    /* j uniform in [0, i] by multiply-shift (Lemire): bias < (i+1)/2^32, irrelevant here */
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)(((uint64_t)lb_rng_u32(key, (uint64_t)i) * (uint64_t)(i + 1)) >> 32);
        int32_t t = perm[i];
        perm[i] = perm[j], perm[j] = t;
    }
    return LB_OK;
}

void lb_augment_crop_flip(float *dst, const float *src, int c, int h, int w, int pad, uint64_t seed,
                          uint64_t epoch, uint64_t index)
{
    if (pad < 0) pad = 0;
    const lb_rng_key k = lb_rng_make_key(seed, AUG_STREAM, epoch);
    const uint32_t r = lb_rng_u32(k, index), span = 2u * (uint32_t)pad + 1u;
    const int dy = (int)(r % span) - pad;
    const int dx = (int)((r >> 8) % span) - pad;
    const int flip = (int)((r >> 16) & 1);
    for (int ch = 0; ch < c; ch++)
        for (int y = 0; y < h; y++) {
            float *out = dst + ((size_t)ch * h + y) * w;
            const int sy = y + dy;
            if (sy < 0 || sy >= h) {
                memset(out, 0, (size_t)w * sizeof *out);
                continue;
            }
            const float *in = src + ((size_t)ch * h + sy) * w;
            for (int x = 0; x < w; x++) {
                const int sx = (flip ? w - 1 - x : x) + dx;
                out[x] = sx >= 0 && sx < w ? in[sx] : 0.0f;
            }
        }
}

lb_status lb_batch_iter_init(lb_batch_iter *it, const lb_dataset *d, int batch, int64_t subset,
                             int flags, uint64_t seed, lb_error *err)
{
    if (!it || !d) return lb_fail(err, LB_ERR_ARG, "lb_batch_iter_init: NULL argument");
    memset(it, 0, sizeof *it);
    if (batch < 1) return lb_fail(err, LB_ERR_ARG, "batch size %d must be at least 1", batch);
    if (d->n < 1 || d->n > INT32_MAX || !d->x || !d->y)
        return lb_fail(err, LB_ERR_ARG, "batches of an empty or unloaded split (n = %lld)",
                       (long long)d->n);
    if (flags & ~(LB_BATCH_SHUFFLE | LB_BATCH_AUGMENT))
        return lb_fail(err, LB_ERR_ARG, "unknown batch iterator flags 0x%x", (unsigned)flags);
    it->n = subset > 0 && subset < d->n ? subset : d->n;
    it->perm = malloc((size_t)it->n * sizeof *it->perm);
    if (!it->perm)
        return lb_fail(err, LB_ERR_NOMEM, "out of memory for %lld batch indices", (long long)it->n);
    it->d = d, it->batch = batch, it->flags = flags, it->seed = seed;
    lb_batch_iter_epoch(it, 0);
    return LB_OK;
}

void lb_batch_iter_epoch(lb_batch_iter *it, uint64_t epoch)
{
    it->epoch = epoch;
    it->pos = 0;
    if (it->flags & LB_BATCH_SHUFFLE)
        (void)lb_data_shuffle(it->perm, it->n, it->seed, epoch); /* n checked at init */
    else
        for (int64_t i = 0; i < it->n; i++)
            it->perm[i] = (int32_t)i;
}

int lb_batch_next(lb_batch_iter *it, float *x, int32_t *y, int64_t *idx)
{
    const lb_dataset *d = it->d;
    if (!d || it->pos >= it->n) return 0;
    const int b = (int)(it->n - it->pos < it->batch ? it->n - it->pos : it->batch);
    const size_t px = (size_t)d->c * (size_t)d->h * (size_t)d->w;
    const int32_t *order = it->perm + it->pos;
    const int aug = (it->flags & LB_BATCH_AUGMENT) && d->augment;
#pragma omp parallel for schedule(static) if ((size_t)b * px > 65536)
    for (int k = 0; k < b; k++) {
        const int64_t e = order[k];
        const float *src = d->x + (size_t)e * px;
        if (aug)
            lb_augment_crop_flip(x + (size_t)k * px, src, d->c, d->h, d->w, LB_AUGMENT_PAD,
                                 it->seed, it->epoch, (uint64_t)e);
        else
            memcpy(x + (size_t)k * px, src, px * sizeof *x);
        if (y) y[k] = d->y[e];
        if (idx) idx[k] = e;
    }
    it->pos += b;
    return b;
}

void lb_batch_iter_free(lb_batch_iter *it)
{
    if (!it) return;
    free(it->perm);
    memset(it, 0, sizeof *it);
}
