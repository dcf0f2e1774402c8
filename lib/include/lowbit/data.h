/* lowbit/data.h — image classification data sets in memory, and their loaders.
 *
 * A data set split is n examples of c×h×w float32 pixels (NCHW, normalised after loading)
 * and int32 labels in [0, classes). Loaders check what they read and fail with LB_ERR_IO
 * (missing/unreadable path) or LB_ERR_DATA (wrong magic, truncated, counts that disagree,
 * labels out of range), with a one-line message naming the file and the problem.
 *
 * Named data sets (lb_dataset_load):
 *   "fashion-mnist", "mnist"  IDX files {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] in dir
 *   "cifar10", "cifar100"     the CIFAR binary version unpacked in dir (see cifar_h5_synth.c)
 *   "hdf5:PATH"               /train/images, /test/images (N,C,H,W) uint8; /train/labels,
 *                             /test/labels (N) integers; root attribute num_classes
 *   "synthetic:classes=C[,n=N,size=S,noise=A]"  seeded many-class set (defaults 10, 20000,
 *                             16, 2.0): class prototypes of +-1 pixels plus U(-A, A) noise. */
#ifndef LOWBIT_DATA_H
#define LOWBIT_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "lowbit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lb_dataset {
    int64_t n;   /* examples */
    int c, h, w; /* image shape */
    int classes;
    float *x;    /* (n, c, h, w), pixel values scaled to [0, 1] by the loader */
    int32_t *y;  /* (n) labels in [0, classes) */
    int augment; /* 1: train with random crop (pad 4) + horizontal flip (CIFAR-like) */
} lb_dataset;

/* Free the arrays of a split (the struct itself is caller-owned). */
void lb_dataset_free(lb_dataset *d);

/* Load one IDX image file and its label file (gzip is detected by the .gz suffix). */
lb_status lb_idx_load(lb_dataset *d, const char *images_path, const char *labels_path, int classes,
                      lb_error *err);

/* Load the train and test splits of a named data set from dir: "fashion-mnist" or "mnist"
 * (both IDX). Unknown names: LB_ERR_ARG naming the accepted ones. */
lb_status lb_dataset_load(lb_dataset *train, lb_dataset *test, const char *name, const char *dir,
                          lb_error *err);

/* Per-channel normalisation with the mean and standard deviation of `ref` (the training split):
 * x = (x - mean_c) / std_c, applied to d (call it on both splits with ref = train). The
 * statistics are computed in double, in a fixed order. mean/std (c entries) are returned if
 * non-NULL. */
void lb_dataset_stats(const lb_dataset *ref, double *mean, double *std);
void lb_dataset_normalize(lb_dataset *d, const double *mean, const double *std);

/* A synthetic split (see above); split 0/1 selects independent noise for train/test. */
lb_status lb_synthetic_make(lb_dataset *d, int classes, int64_t n, int size, double noise,
                            uint64_t seed, uint64_t split, lb_error *err);

/* dst (c,h,w) = src shifted by a random offset in [-pad, pad]^2 (zero fill) and flipped
 * horizontally with probability 1/2, drawn from (seed, epoch, index). */
void lb_augment_crop_flip(float *dst, const float *src, int c, int h, int w, int pad, uint64_t seed,
                          uint64_t epoch, uint64_t index);

/* Non-IDX names of lb_dataset_load (cifar10, cifar100, hdf5:, synthetic:). */
lb_status lb_dataset_load_other(lb_dataset *train, lb_dataset *test, const char *name,
                                const char *dir, lb_error *err);

/* Keep only the first k examples (k <= n); for smoke runs. */
void lb_dataset_truncate(lb_dataset *d, int64_t k);

#ifdef __cplusplus
}
#endif
#endif
