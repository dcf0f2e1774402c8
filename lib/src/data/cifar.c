/* data/cifar.c — the CIFAR-10/100 "binary version" (Krizhevsky, cs.toronto.edu/~kriz/cifar):
 * fixed-size records, no header. CIFAR-10: data_batch_1..5.bin (train) and test_batch.bin,
 * records of 1 label byte (< 10) + 3072 pixel bytes. CIFAR-100: train.bin and test.bin,
 * records of a coarse label byte (< 20), a fine label byte (< 100, the label used) + 3072 pixel
 * bytes. Pixels are the 1024 R, then G, then B values of a 32×32 image, rows top to bottom,
 * i.e. already CHW. Checks: missing files, empty files, sizes that are not whole records
 * (truncated), labels out of range. The record counts of the official files (10000 per batch,
 * 50000/10000 for CIFAR-100) are not required, so the tests can use small files. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "data/internal.h"
#include "lowbit/data.h"

#define CIFAR_PIXELS  3072
#define CIFAR_RECORDS 1024 /* records read and converted per fread */

typedef struct cifar_kind {
    int label_bytes, classes, coarse_classes;
    const char *subdir;
} cifar_kind;

static lb_status cifar_split(lb_dataset *d, const char *dir, const char *const *names, int nfiles,
                             const cifar_kind *k, int augment, lb_error *err)
{
    const size_t rec = (size_t)k->label_bytes + CIFAR_PIXELS;
    char path[8][4096];
    uint64_t records[8], total = 0;
    for (int i = 0; i < nfiles; i++) {
        int len = snprintf(path[i], sizeof path[i], "%s/%s", dir, names[i]);
        if (len < 0 || (size_t)len >= sizeof path[i])
            return lb_fail(err, LB_ERR_ARG, "%s: data directory path too long", dir);
        lb_status st = lb_data_check_file(path[i], "a CIFAR batch file", err);
        if (st) return st;
        FILE *f = fopen(path[i], "rb");
        if (!f) return lb_fail(err, LB_ERR_IO, "%s: no such readable file", path[i]);
        off_t size = fseeko(f, 0, SEEK_END) == 0 ? ftello(f) : -1;
        fclose(f);
        if (size < 0) return lb_fail(err, LB_ERR_IO, "%s: cannot determine the file size", path[i]);
        if (size == 0) return lb_fail(err, LB_ERR_DATA, "%s: empty file", path[i]);
        if ((uint64_t)size % rec)
            return lb_fail(err, LB_ERR_DATA,
                           "%s: truncated: %lld bytes is not a whole number of %zu-byte records "
                           "(%lld records + %lld bytes)",
                           path[i], (long long)size, rec, (long long)((uint64_t)size / rec),
                           (long long)((uint64_t)size % rec));
        records[i] = (uint64_t)size / rec;
        total += records[i];
    }
    if (total > INT32_MAX)
        return lb_fail(err, LB_ERR_DATA, "%s: %llu records are more than 2^31-1", dir,
                       (unsigned long long)total);
    lb_status st = lb_dataset_alloc(d, (int64_t)total, 3, 32, 32, k->classes, err);
    if (st) return st;
    unsigned char *buf = malloc(CIFAR_RECORDS * rec);
    if (!buf) {
        lb_dataset_free(d);
        return lb_fail(err, LB_ERR_NOMEM, "out of memory for CIFAR records");
    }
    size_t out = 0;
    for (int i = 0; !st && i < nfiles; i++) {
        FILE *f = fopen(path[i], "rb");
        if (!f) {
            st = lb_fail(err, LB_ERR_IO, "%s: no such readable file", path[i]);
            break;
        }
        for (uint64_t r0 = 0; !st && r0 < records[i]; r0 += CIFAR_RECORDS) {
            size_t nr = records[i] - r0 < CIFAR_RECORDS ? (size_t)(records[i] - r0) : CIFAR_RECORDS;
            if (fread(buf, rec, nr, f) != nr) {
                st = lb_fail(err, LB_ERR_DATA, "%s: truncated: read error near record %llu",
                             path[i], (unsigned long long)r0);
                break;
            }
            for (size_t r = 0; r < nr; r++) {
                const unsigned char *p = buf + r * rec;
                int fine = p[k->label_bytes - 1];
                if (fine >= k->classes || (k->label_bytes == 2 && p[0] >= k->coarse_classes)) {
                    int coarse = k->label_bytes == 2 && p[0] >= k->coarse_classes;
                    st = lb_fail(err, LB_ERR_DATA,
                                 "%s: %slabel %d of record %llu is out of range [0, %d)", path[i],
                                 coarse ? "coarse " : (k->label_bytes == 2 ? "fine " : ""),
                                 coarse ? p[0] : fine, (unsigned long long)(r0 + r),
                                 coarse ? k->coarse_classes : k->classes);
                    break;
                }
                d->y[out + r] = fine;
            }
            if (st) break;
            float *x = d->x + out * CIFAR_PIXELS;
#pragma omp parallel for schedule(static)
            for (size_t r = 0; r < nr; r++)
                for (int q = 0; q < CIFAR_PIXELS; q++)
                    x[r * CIFAR_PIXELS + (size_t)q] =
                        buf[r * rec + (size_t)k->label_bytes + (size_t)q] * (1.0f / 255.0f);
            out += nr;
        }
        fclose(f);
    }
    free(buf);
    if (st) {
        lb_dataset_free(d);
        return st;
    }
    d->augment = augment;
    return LB_OK;
}

lb_status lb_cifar_load(lb_dataset *train, lb_dataset *test, const char *dir, int classes,
                        lb_error *err)
{
    static const char *const c10_train[] = {"data_batch_1.bin", "data_batch_2.bin",
                                            "data_batch_3.bin", "data_batch_4.bin",
                                            "data_batch_5.bin"};
    static const char *const c10_test[] = {"test_batch.bin"};
    static const char *const c100_train[] = {"train.bin"}, *const c100_test[] = {"test.bin"};
    static const cifar_kind c10 = {1, 10, 0, "cifar-10-batches-bin"},
                            c100 = {2, 100, 20, "cifar-100-binary"};
    if (!train || !test || !dir) return lb_fail(err, LB_ERR_ARG, "lb_cifar_load: NULL argument");
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    if (classes != 10 && classes != 100)
        return lb_fail(err, LB_ERR_ARG, "CIFAR classes %d (accepted: 10, 100)", classes);
    const cifar_kind *k = classes == 10 ? &c10 : &c100;
    const char *const *tr = classes == 10 ? c10_train : c100_train;
    const char *const *te = classes == 10 ? c10_test : c100_test;
    int ntr = classes == 10 ? 5 : 1;
    if (access(dir, F_OK))
        return lb_fail(err, LB_ERR_IO,
                       "%s: no such data directory for cifar%d (the CIFAR binary "
                       "version, unpacked)",
                       dir, classes);
    /* the directory the tarball unpacks to, if dir is its parent */
    char sub[4096], probe[4096 + 64];
    snprintf(probe, sizeof probe, "%s/%s", dir, tr[0]);
    if (access(probe, F_OK)) {
        int len = snprintf(sub, sizeof sub, "%s/%s", dir, k->subdir);
        snprintf(probe, sizeof probe, "%s/%s", sub, tr[0]);
        if (len > 0 && (size_t)len < sizeof sub && !access(probe, F_OK)) dir = sub;
    }
    lb_status st = cifar_split(train, dir, tr, ntr, k, 1, err);
    if (!st) st = cifar_split(test, dir, te, 1, k, 0, err);
    if (st) lb_dataset_free(train);
    return st;
}
