/* lowbit/data.h — image classification data sets in memory: loaders, normalisation, shuffled
 * batches and augmentation. Nothing is downloaded; loaders read files already on disk.
 *
 * A split is n examples of c×h×w float32 pixels (NCHW; uint8 pixels scaled to [0, 1] by the
 * loader, then usually normalised per channel) and int32 labels in [0, classes).
 *
 * Errors: every loader checks what it reads and returns LB_ERR_IO for a missing or unreadable
 * path, LB_ERR_DATA for contents that are wrong (bad magic, truncated, trailing bytes, counts
 * that disagree, shapes that disagree, labels out of range), LB_ERR_ARG for bad arguments or
 * an unknown data set name, LB_ERR_NOMEM; err gets one line naming the file and the problem,
 * e.g. ".../train-images-idx3-ubyte.gz: truncated: expected 47040000 pixel bytes, got 1000".
 * On failure the output splits are left empty (x, y NULL, n 0); nothing is printed.
 *
 * Named data sets (lb_dataset_load, dir = the data directory):
 *   "fashion-mnist", "mnist"  IDX files {train,t10k}-{images-idx3,labels-idx1}-ubyte, each
 *                             plain or gzip-compressed (.gz) in dir; 1×28×28, 10 classes.
 *                             dir NULL: /usr/share/datasets/fashion-mnist (Debian package
 *                             dataset-fashion-mnist) for "fashion-mnist".
 *   "fashion-mnist-pairs[:n=N,test=M,seed=K]", "mnist-pairs[:...]"
 *                             100 classes from the 10-class set above: two items side by
 *                             side, 1×28×56, label 10·left + right; train pairs from the
 *                             training split only, test pairs from the test split only;
 *                             defaults N 60000, M 10000, K 1. See lb_pairs_make.
 *   "cifar10"                 the CIFAR-10 binary version: data_batch_1..5.bin, test_batch.bin
 *                             in dir or dir/cifar-10-batches-bin; records of 1 label byte +
 *                             3072 pixel bytes (R, G, B planes of 32×32); 10 classes.
 *   "cifar100"                the CIFAR-100 binary version: train.bin, test.bin in dir or
 *                             dir/cifar-100-binary; records of a coarse label byte (< 20), a fine
 *                             label byte (used, < 100) and 3072 pixel bytes.
 *   "hdf5:PATH"               any image data set (TinyImageNet is converted to this), PATH
 *                             as given or, if relative and not found, relative to dir:
 *                               /train/images  (N,C,H,W) uint8, C ≤ LB_DATASET_MAX_CHANNELS
 *                               /train/labels  (N) any integer type, values in [0, num_classes)
 *                               /test/images   (M,C,H,W) uint8, same C, H, W as train
 *                               /test/labels   (M) integer
 *                               attribute num_classes on the root group: integer scalar ≥ 2
 *   "synthetic:classes=C[,n=N,test=M,size=S,noise=A,seed=K]"  (or "synthetic") seeded
 *                             many-class set, 1×S×S; defaults C 10, N 20000, M N/5, S 16,
 *                             A 2.0, K 1. See lb_synthetic_make.
 * CIFAR splits have augment = 1 on the training split; the others 0.
 *
 * Determinism: shuffles, augmentation and synthetic data are pure functions of
 * (seed, epoch, example index) through lowbit/rng.h; nothing depends on the thread count.
 * Loaders use OpenMP threads (omp_get_max_threads) only for elementwise conversion. */
#ifndef LOWBIT_DATA_H
#define LOWBIT_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "lowbit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* At most this many channels (grey, RGB, RGBA): callers keep per-channel statistics in
 * fixed arrays of this size. */
#define LB_DATASET_MAX_CHANNELS 4

typedef struct lb_dataset {
    int64_t n;   /* examples, 1 ≤ n ≤ INT32_MAX once loaded */
    int c, h, w; /* image shape */
    int classes;
    float *x;    /* (n, c, h, w), pixel values scaled to [0, 1] by the loader */
    int32_t *y;  /* (n) labels in [0, classes) */
    int augment; /* 1: train with random crop (pad 4) + horizontal flip (CIFAR-like) */
} lb_dataset;

/* Allocate x (n,c,h,w) and y (n) of d, uninitialised, and set its shape (augment 0).
 * LB_ERR_ARG for a shape out of range, LB_ERR_NOMEM. */
lb_status lb_dataset_alloc(lb_dataset *d, int64_t n, int c, int h, int w, int classes,
                           lb_error *err);

/* Free the arrays of a split and zero its fields (the struct itself is caller-owned). */
void lb_dataset_free(lb_dataset *d);

/* Load the train and test splits of a named data set (see above). Unknown names:
 * LB_ERR_ARG naming the value and the accepted ones. */
lb_status lb_dataset_load(lb_dataset *train, lb_dataset *test, const char *name, const char *dir,
                          lb_error *err);

/* What lb_dataset_load(name, dir) rejects before it reads any data: an unknown name, bad
 * parameters (pairs, synthetic), no data directory where one is needed (LB_ERR_ARG; the same
 * one-line messages), and with files != 0 a missing data directory or file (LB_ERR_IO).
 * Reads no pixels, so passing it does not promise that the files parse: the loader still
 * checks all of them. For workflows that check a configuration before they start any job
 * (`lowbit datasets --check NAME [--data-dir DIR] [--names-only]`). */
lb_status lb_dataset_check(const char *name, const char *dir, int files, lb_error *err);

/* The accepted names, as one line ("fashion-mnist, mnist, ..."). */
const char *lb_dataset_names(void);

/* One IDX image file (magic 0x00000803, n, rows, cols, then n·rows·cols bytes) and its label
 * file (0x00000801, n, then n bytes), each plain or gzip; labels must be < classes. */
lb_status lb_idx_load(lb_dataset *d, const char *images_path, const char *labels_path, int classes,
                      lb_error *err);

/* CIFAR binary version from dir (or its cifar-10-batches-bin / cifar-100-binary subdirectory);
 * classes is 10 or 100. */
lb_status lb_cifar_load(lb_dataset *train, lb_dataset *test, const char *dir, int classes,
                        lb_error *err);

/* An HDF5 file in the layout above. The load runs first in a forked child process: a file that
 * crashes or hangs the HDF5 library itself is LB_ERR_DATA ("PATH: corrupt HDF5 file: ..."; time
 * limit 30 s + 1 s per 8 MiB, or LOWBIT_H5_PROBE_TIMEOUT seconds). */
lb_status lb_hdf5_load(lb_dataset *train, lb_dataset *test, const char *path, lb_error *err);

/* A synthetic split of n examples of 1×size×size, classes classes: class k has a prototype
 * P_k with pixels ±1 (bit 0 of the generator keyed by (seed, "PROT", k), pixel index); example
 * i has label i mod classes (balanced) and pixels P_k + noise·U(-1, 1) (generator keyed by
 * (seed, "NOISE", split), index i·size² + pixel). split 0/1 gives independent noise for train
 * and test with the same prototypes. Learnable: a nearest-class-mean classifier separates the
 * classes at the default noise. */
lb_status lb_synthetic_make(lb_dataset *d, int classes, int64_t n, int size, double noise,
                            uint64_t seed, uint64_t split, lb_error *err);

/* Train and test splits from the parameter part of "synthetic:..." (e.g. "classes=100,n=5000";
 * "" for all defaults). Unknown keys and bad numbers: LB_ERR_ARG naming them. */
lb_status lb_synthetic_load(lb_dataset *train, lb_dataset *test, const char *params, lb_error *err);

/* n examples of (c, h, 2w) from a base split src of at most a few classes C: example i has
 * label k = i mod C², its left half an example of class k / C and its right half one of class
 * k mod C of src, each picked by lb_rng_u32(key(seed, "PAIRS", split), 2i or 2i + 1) scaled
 * to the class's example count. Base labels out of range or a class without examples:
 * LB_ERR_DATA. */
lb_status lb_pairs_make(lb_dataset *d, const lb_dataset *src, int64_t n, uint64_t seed,
                        uint64_t split, lb_error *err);

/* Train and test pairs of the named base set (lb_dataset_load(base, dir)) from the parameter
 * part of "<base>-pairs:..." ("" for the defaults); parameters are checked before loading. */
lb_status lb_pairs_load(lb_dataset *train, lb_dataset *test, const char *base, const char *params,
                        const char *dir, lb_error *err);

/* Per-channel statistics of ref (the training split): mean[c] and std[c] (population
 * standard deviation; 1 for a constant channel), each array c entries, either may be NULL.
 * Sums are taken in double over 64 fixed blocks of examples added in order, so the result is
 * the same for any thread count. */
void lb_dataset_stats(const lb_dataset *ref, double *mean, double *std);

/* x = (x - mean[c]) / std[c] for every pixel of d; call it on both splits with the training
 * split's statistics. */
void lb_dataset_normalize(lb_dataset *d, const double *mean, const double *std);

/* Keep only the first k examples (0 ≤ k < n; otherwise nothing changes); for smoke runs. */
void lb_dataset_truncate(lb_dataset *d, int64_t k);

/* dst (c,h,w) = a random h×w crop of src (c,h,w) padded by pad zeros on every side, i.e.
 * src shifted by (dy, dx) uniform in [-pad, pad]^2 with zero fill, then flipped horizontally
 * with probability 1/2: dst[y][x] = src[y+dy][x'+dx], x' = flip ? w-1-x : x. One draw r =
 * lb_rng_u32(key(seed, "AUG!", epoch), index): dy = r mod (2·pad+1) - pad, dx = (r >> 8) mod
 * (2·pad+1) - pad, flip = bit 16 of r. index is the example's index in its split, so the result
 * does not depend on the batch order or the thread count. pad < 0 counts as 0. dst and src must not
 * overlap. */
#define LB_AUGMENT_PAD 4
void lb_augment_crop_flip(float *dst, const float *src, int c, int h, int w, int pad, uint64_t seed,
                          uint64_t epoch, uint64_t index);

/* The stream of the per-epoch shuffle in lowbit/rng.h keys (the value `lowbit train` uses). */
#define LB_DATA_STREAM_SHUFFLE 0x5348554646ull /* "SHUFF" */

/* perm (n) = a permutation of 0..n-1 for (seed, epoch): Fisher–Yates from the identity, for
 * i = n-1 down to 1 swap perm[i] and perm[j], j = (u · (i+1)) >> 32 with
 * u = lb_rng_u32(lb_rng_make_key(seed, LB_DATA_STREAM_SHUFFLE, epoch), i).
 * LB_ERR_ARG if n < 0 or n > INT32_MAX (perm NULL is fine for n = 0). */
lb_status lb_data_shuffle(int32_t *perm, int64_t n, uint64_t seed, uint64_t epoch);

/* Mini-batches over the first `subset` examples of a split (all of them if subset ≤ 0 or
 * subset ≥ n), in the order of lb_data_shuffle(seed, epoch) or in index order:
 *
 *     lb_batch_iter it;
 *     lb_batch_iter_init(&it, &train, 128, 0, LB_BATCH_SHUFFLE | LB_BATCH_AUGMENT, seed, &err);
 *     for (epoch...) {
 *         lb_batch_iter_epoch(&it, epoch);
 *         while ((b = lb_batch_next(&it, x, y, NULL)) > 0) ...   // x (batch,c,h,w), y (batch)
 *     }
 *     lb_batch_iter_free(&it);
 *
 * The last batch of an epoch may be short. The iterator reads d; it does not own it. */
enum {
    LB_BATCH_SHUFFLE = 1, /* a new permutation each epoch (else index order, for evaluation) */
    LB_BATCH_AUGMENT = 2  /* lb_augment_crop_flip(pad LB_AUGMENT_PAD) if d->augment is set */
};

typedef struct lb_batch_iter {
    const lb_dataset *d;
    int32_t *perm; /* (n) example order of the current epoch */
    int64_t n;     /* examples per epoch */
    int64_t pos;   /* next position in perm */
    int batch;
    int flags;
    uint64_t seed, epoch;
} lb_batch_iter;

/* LB_ERR_ARG for batch < 1 or an empty split, LB_ERR_NOMEM. Starts at epoch 0. */
lb_status lb_batch_iter_init(lb_batch_iter *it, const lb_dataset *d, int batch, int64_t subset,
                             int flags, uint64_t seed, lb_error *err);

/* Rewind to the start of `epoch` (and reshuffle for it). */
void lb_batch_iter_epoch(lb_batch_iter *it, uint64_t epoch);

/* Copy the next batch into x (batch,c,h,w) and y (batch), and its example indices into idx
 * (batch) if non-NULL; returns the number of examples copied, 0 at the end of the epoch. */
int lb_batch_next(lb_batch_iter *it, float *x, int32_t *y, int64_t *idx);

void lb_batch_iter_free(lb_batch_iter *it);

#ifdef __cplusplus
}
#endif
#endif
