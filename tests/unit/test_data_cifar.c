/* tests/unit/test_data_cifar.c — the CIFAR-10/100 binary loaders on files this test writes:
 * good sets (shape, pixel and label values across batch files, the augment flag, the
 * unpacked-tarball subdirectory), and one corruption each — truncated record, empty file,
 * label out of range (CIFAR-10; CIFAR-100 fine and coarse), missing batch file, missing
 * directory. Errors must carry the right status, name the file and leave both splits empty. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "lowbit/data.h"

static char dir[256];

/* Record r of file `salt`: labels (salt + r + i) mod 10 for label byte i, pixel p = (p + r +
 * salt) mod 256; `bad` replaces label byte bad_byte of the last record with bad_value;
 * `cut` bytes are dropped from the end. */
static void write_cifar(const char *sub, const char *name, int records, int label_bytes, int salt,
                        int bad_byte, int bad_value, int cut)
{
    char path[512];
    snprintf(path, sizeof path, "%s%s%s/%s", dir, sub ? "/" : "", sub ? sub : "", name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
    for (int r = 0; r < records; r++) {
        unsigned char rec[3074];
        int n = label_bytes + 3072;
        for (int i = 0; i < label_bytes; i++)
            rec[i] = (unsigned char)((salt + r + i) % 10);
        if (bad_value && r == records - 1) rec[bad_byte] = (unsigned char)bad_value;
        for (int p = 0; p < 3072; p++)
            rec[label_bytes + p] = (unsigned char)(p + r + salt);
        fwrite(rec, 1, (size_t)(r == records - 1 ? n - cut : n), f);
    }
    fclose(f);
}

static int is_empty(const lb_dataset *d)
{
    return d->x == NULL && d->y == NULL && d->n == 0;
}

static void write_cifar10(const char *sub)
{
    char name[64];
    for (int b = 1; b <= 5; b++) {
        snprintf(name, sizeof name, "data_batch_%d.bin", b);
        write_cifar(sub, name, 3, 1, b, 0, 0, 0);
    }
    write_cifar(sub, "test_batch.bin", 2, 1, 0, 0, 0, 0);
}

#define EXPECT_ERR(st_expr, want, word, file)                                                      \
    do {                                                                                           \
        lb_status st_ = (st_expr);                                                                 \
        CHECK(st_ == (want) && strstr(err.msg, (word)) && strstr(err.msg, (file)),                 \
              "%s: status %d, message '%s'", (file), (int)st_, err.msg);                           \
        CHECK(is_empty(&tr) && is_empty(&te), "%s: half-loaded data left behind", (file));         \
    } while (0)

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/lowbit_test_cifar_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    lb_dataset tr, te;
    lb_error err;

    /* CIFAR-10: 5 train batches of 3 records (salt = batch number) + a test batch of 2 */
    write_cifar10(NULL);
    CHECK(lb_dataset_load(&tr, &te, "cifar10", dir, &err) == LB_OK, "cifar10: %s", err.msg);
    CHECK(tr.n == 15 && te.n == 2 && tr.c == 3 && tr.h == 32 && tr.w == 32 && tr.classes == 10 &&
              te.c == 3 && te.classes == 10 && tr.augment == 1 && te.augment == 0,
          "cifar10 shape");
    int bad = 0;
    for (int i = 0; i < 15; i++) { /* example i = batch i/3 + 1, record i%3 */
        int b = i / 3 + 1, r = i % 3;
        bad += tr.y[i] != (b + r) % 10;
        for (int p = 0; p < 3072; p += 97)
            bad += tr.x[(size_t)i * 3072 + p] != (float)((p + r + b) & 255) * (1.0f / 255.0f);
    }
    bad += te.y[1] != 1 || te.x[3072 + 1023] != (float)((1023 + 1) & 255) * (1.0f / 255.0f);
    CHECK(bad == 0, "cifar10: %d wrong values", bad);
    lb_dataset_free(&tr), lb_dataset_free(&te);

    write_cifar(NULL, "test_batch.bin", 2, 1, 0, 0, 0, 100);
    EXPECT_ERR(lb_dataset_load(&tr, &te, "cifar10", dir, &err), LB_ERR_DATA,
               "truncated: 6046 bytes is not a whole number of 3073-byte records",
               "test_batch.bin");
    write_cifar(NULL, "test_batch.bin", 0, 1, 0, 0, 0, 0);
    EXPECT_ERR(lb_dataset_load(&tr, &te, "cifar10", dir, &err), LB_ERR_DATA, "empty",
               "test_batch.bin");
    write_cifar(NULL, "data_batch_4.bin", 3, 1, 0, 0, 10, 0);
    EXPECT_ERR(lb_dataset_load(&tr, &te, "cifar10", dir, &err), LB_ERR_DATA,
               "label 10 of record 2 is out of range [0, 10)", "data_batch_4.bin");
    char path[512];
    snprintf(path, sizeof path, "%s/data_batch_3.bin", dir);
    unlink(path);
    EXPECT_ERR(lb_dataset_load(&tr, &te, "cifar10", dir, &err), LB_ERR_IO, "no such",
               "data_batch_3.bin");
    EXPECT_ERR(lb_dataset_load(&tr, &te, "cifar10", "/nonexistent/cifar", &err), LB_ERR_IO,
               "no such data directory", "/nonexistent/cifar");
    EXPECT_ERR(lb_dataset_load(&tr, &te, "cifar10", NULL, &err), LB_ERR_ARG, "directory",
               "cifar10");
    EXPECT_ERR(lb_cifar_load(&tr, &te, dir, 20, &err), LB_ERR_ARG, "accepted: 10, 100", "20");

    /* the directory the tarball unpacks to, below the one given */
    for (int b = 1; b <= 5; b++) {
        snprintf(path, sizeof path, "%s/data_batch_%d.bin", dir, b);
        unlink(path);
    }
    char sub[300];
    snprintf(sub, sizeof sub, "%s/cifar-10-batches-bin", dir);
    CHECK(mkdir(sub, 0755) == 0, "mkdir %s", sub);
    write_cifar10("cifar-10-batches-bin");
    CHECK(lb_dataset_load(&tr, &te, "cifar10", dir, &err) == LB_OK && tr.n == 15 && te.n == 2,
          "cifar10 in cifar-10-batches-bin: %s", err.msg);
    lb_dataset_free(&tr), lb_dataset_free(&te);

    /* CIFAR-100: coarse label byte, then the fine label (the one used) */
    write_cifar(NULL, "train.bin", 4, 2, 0, 0, 0, 0);
    write_cifar(NULL, "test.bin", 2, 2, 5, 0, 0, 0);
    CHECK(lb_dataset_load(&tr, &te, "cifar100", dir, &err) == LB_OK, "cifar100: %s", err.msg);
    CHECK(tr.n == 4 && te.n == 2 && tr.classes == 100 && tr.augment && !te.augment,
          "cifar100 shape");
    CHECK(tr.y[2] == 3 && te.y[1] == 7 && tr.x[2 * 3072 + 10] == 12 * (1.0f / 255.0f),
          "cifar100 fine labels %d %d", tr.y[2], te.y[1]);
    lb_dataset_free(&tr), lb_dataset_free(&te);
    write_cifar(NULL, "test.bin", 2, 2, 0, 1, 100, 0);
    EXPECT_ERR(lb_dataset_load(&tr, &te, "cifar100", dir, &err), LB_ERR_DATA,
               "fine label 100 of record 1 is out of range [0, 100)", "test.bin");
    write_cifar(NULL, "test.bin", 2, 2, 0, 0, 20, 0);
    EXPECT_ERR(lb_dataset_load(&tr, &te, "cifar100", dir, &err), LB_ERR_DATA,
               "coarse label 20 of record 1 is out of range [0, 20)", "test.bin");
    write_cifar(NULL, "train.bin", 4, 2, 0, 0, 0, 3073);
    EXPECT_ERR(lb_dataset_load(&tr, &te, "cifar100", dir, &err), LB_ERR_DATA, "truncated",
               "train.bin");

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) return 1;
    return lb_check_summary("test_data_cifar");
}
