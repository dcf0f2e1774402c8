/* tests/unit/test_data_more.c — CIFAR-10/100 binary, HDF5 image sets, the synthetic set and
 * crop/flip augmentation, on files this test writes (good and corrupted). */
#define _POSIX_C_SOURCE 200809L
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "lowbit/data.h"

static char dir[256];

static void write_cifar(const char *name, int records, int label_bytes, int bad_label, int cut)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    for (int r = 0; r < records; r++) {
        unsigned char rec[3074];
        int n = label_bytes + 3072;
        for (int i = 0; i < label_bytes; i++)
            rec[i] = (unsigned char)((r + i) % 10);
        if (bad_label && r == records - 1) rec[label_bytes - 1] = 200;
        for (int p = 0; p < 3072; p++)
            rec[label_bytes + p] = (unsigned char)(p + r);
        fwrite(rec, 1, (size_t)(r == records - 1 ? n - cut : n), f);
    }
    fclose(f);
}

static void write_h5(const char *name, int n, int classes, int bad_label, int drop_labels)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, "num_classes", H5T_STD_I32LE, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT, &classes);
    H5Aclose(a), H5Sclose(s);
    const char *splits[2] = {"train", "test"};
    for (int sp = 0; sp < 2; sp++) {
        hid_t g = H5Gcreate2(f, splits[sp], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        hsize_t dims[4] = {(hsize_t)n, 3, 4, 5};
        unsigned char *img = malloc((size_t)n * 60);
        for (int i = 0; i < n * 60; i++)
            img[i] = (unsigned char)i;
        hid_t ds = H5Screate_simple(4, dims, NULL);
        hid_t d = H5Dcreate2(g, "images", H5T_STD_U8LE, ds, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5Dwrite(d, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, img);
        H5Dclose(d), H5Sclose(ds), free(img);
        if (!drop_labels) {
            int lab[64];
            for (int i = 0; i < n; i++)
                lab[i] = i % classes;
            if (bad_label) lab[n - 1] = classes;
            hsize_t ln = (hsize_t)n;
            ds = H5Screate_simple(1, &ln, NULL);
            d = H5Dcreate2(g, "labels", H5T_STD_I32LE, ds, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            H5Dwrite(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, lab);
            H5Dclose(d), H5Sclose(ds);
        }
        H5Gclose(g);
    }
    H5Fclose(f);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/lowbit_test_data_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    lb_dataset tr, te;
    lb_error err;
    /* CIFAR-10: 5 train batches of 3 records + a test batch of 2 */
    char name[64];
    for (int b = 1; b <= 5; b++) {
        snprintf(name, sizeof name, "data_batch_%d.bin", b);
        write_cifar(name, 3, 1, 0, 0);
    }
    write_cifar("test_batch.bin", 2, 1, 0, 0);
    CHECK(lb_dataset_load(&tr, &te, "cifar10", dir, &err) == LB_OK, "cifar10: %s", err.msg);
    CHECK(tr.n == 15 && te.n == 2 && tr.c == 3 && tr.h == 32 && tr.classes == 10 && tr.augment &&
              !te.augment,
          "cifar10 shape");
    CHECK(tr.y[4] == 1 && tr.x[3 * 3072 + 5] ==
                              (unsigned char)(5 + 0) * (1.0f / 255.0f) /* batch 2, record 0 */,
          "cifar10 values");
    lb_dataset_free(&tr), lb_dataset_free(&te);
    write_cifar("test_batch.bin", 2, 1, 0, 100); /* truncated */
    CHECK(lb_dataset_load(&tr, &te, "cifar10", dir, &err) == LB_ERR_DATA &&
              strstr(err.msg, "test_batch.bin") && strstr(err.msg, "records"),
          "truncated: %s", err.msg);
    write_cifar("test_batch.bin", 2, 1, 1, 0); /* bad label */
    CHECK(lb_dataset_load(&tr, &te, "cifar10", dir, &err) == LB_ERR_DATA &&
              strstr(err.msg, "out of range"),
          "bad label: %s", err.msg);
    char path3[512];
    snprintf(path3, sizeof path3, "%s/data_batch_3.bin", dir);
    unlink(path3);
    CHECK(lb_dataset_load(&tr, &te, "cifar10", dir, &err) == LB_ERR_IO &&
              strstr(err.msg, "data_batch_3.bin"),
          "missing batch: %s", err.msg);
    /* CIFAR-100: fine label is the second byte */
    write_cifar("train.bin", 4, 2, 0, 0);
    write_cifar("test.bin", 2, 2, 0, 0);
    CHECK(lb_dataset_load(&tr, &te, "cifar100", dir, &err) == LB_OK, "cifar100: %s", err.msg);
    CHECK(tr.n == 4 && tr.classes == 100 && tr.y[2] == 3, "cifar100 fine label %d", tr.y[2]);
    lb_dataset_free(&tr), lb_dataset_free(&te);

    /* HDF5 */
    write_h5("good.h5", 6, 3, 0, 0);
    char spec[600];
    snprintf(spec, sizeof spec, "hdf5:%s/good.h5", dir);
    CHECK(lb_dataset_load(&tr, &te, spec, NULL, &err) == LB_OK, "hdf5: %s", err.msg);
    CHECK(tr.n == 6 && tr.c == 3 && tr.h == 4 && tr.w == 5 && tr.classes == 3 && tr.y[4] == 1 &&
              tr.x[61] == 61 * (1.0f / 255.0f),
          "hdf5 contents");
    lb_dataset_free(&tr), lb_dataset_free(&te);
    write_h5("badlab.h5", 6, 3, 1, 0);
    snprintf(spec, sizeof spec, "hdf5:%s/badlab.h5", dir);
    CHECK(lb_dataset_load(&tr, &te, spec, NULL, &err) == LB_ERR_DATA &&
              strstr(err.msg, "out of range"),
          "hdf5 bad label: %s", err.msg);
    write_h5("nolab.h5", 6, 3, 0, 1);
    snprintf(spec, sizeof spec, "hdf5:%s/nolab.h5", dir);
    CHECK(lb_dataset_load(&tr, &te, spec, NULL, &err) == LB_ERR_DATA &&
              strstr(err.msg, "/train/labels"),
          "hdf5 no labels: %s", err.msg);
    snprintf(spec, sizeof spec, "hdf5:%s/none.h5", dir);
    CHECK(lb_dataset_load(&tr, &te, spec, NULL, &err) == LB_ERR_IO, "hdf5 missing file");

    /* synthetic */
    lb_dataset a, b;
    CHECK(lb_synthetic_make(&a, 1000, 3000, 8, 1.0, 5, 0, &err) == LB_OK, "%s", err.msg);
    CHECK(lb_synthetic_make(&b, 1000, 3000, 8, 1.0, 5, 0, &err) == LB_OK, "%s", err.msg);
    CHECK(a.n == 3000 && a.classes == 1000 && !memcmp(a.x, b.x, 3000 * 64 * 4) &&
              !memcmp(a.y, b.y, 3000 * 4),
          "synthetic is deterministic");
    CHECK(a.y[1001] == 1, "synthetic labels cycle");
    lb_dataset_free(&b);
    CHECK(lb_synthetic_make(&b, 1000, 3000, 8, 1.0, 5, 1, &err) == LB_OK, "%s", err.msg);
    CHECK(memcmp(a.x, b.x, 3000 * 64 * 4) != 0, "train and test noise differ");
    lb_dataset_free(&a), lb_dataset_free(&b);
    CHECK(lb_dataset_load(&tr, &te, "synthetic:classes=7,bogus=1", NULL, &err) == LB_ERR_ARG &&
              strstr(err.msg, "bogus"),
          "synthetic bad key: %s", err.msg);

    /* augmentation: deterministic, a permutation-with-zeros of the source; pad 0 = flip or not */
    float src[2 * 4 * 4], d1[32], d2[32];
    for (int i = 0; i < 32; i++)
        src[i] = (float)(i + 1);
    lb_augment_crop_flip(d1, src, 2, 4, 4, 2, 9, 3, 17);
    lb_augment_crop_flip(d2, src, 2, 4, 4, 2, 9, 3, 17);
    CHECK(!memcmp(d1, d2, sizeof d1), "augmentation deterministic");
    int flips = 0, shifts = 0;
    for (uint64_t idx = 0; idx < 200; idx++) {
        lb_augment_crop_flip(d1, src, 2, 4, 4, 0, 9, 0, idx);
        int same = !memcmp(d1, src, sizeof d1), mirror = 1;
        for (int c = 0; c < 2; c++)
            for (int y = 0; y < 4; y++)
                for (int x = 0; x < 4; x++)
                    mirror &= d1[c * 16 + y * 4 + x] == src[c * 16 + y * 4 + 3 - x];
        CHECK(same || mirror, "pad 0 gives identity or mirror");
        flips += mirror;
        lb_augment_crop_flip(d2, src, 2, 4, 4, 2, 9, 0, idx);
        shifts += memcmp(d2, src, sizeof d2) != 0;
    }
    CHECK(flips > 60 && flips < 140, "flip frequency %d of 200", flips);
    CHECK(shifts > 100, "crops move the image (%d of 200)", shifts);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) return 1;
    return lb_check_summary("test_data_more");
}
