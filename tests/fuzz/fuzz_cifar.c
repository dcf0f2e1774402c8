/* tests/fuzz/fuzz_cifar.c — the CIFAR binary loader (lib/src/data/cifar.c) through
 * lb_dataset_load("cifar10" / "cifar100") on a directory made from the input.
 * Input: one flags byte, then parts separated by the 4 bytes "CIF~", written in order as
 *   cifar10:  data_batch_1.bin .. data_batch_5.bin, test_batch.bin
 *   cifar100: train.bin, test.bin
 * flags bit 0: cifar100; bit 1: the files go to the subdirectory the tarball unpacks to;
 * a part that is exactly "DIR" becomes a directory of that name; missing parts are missing
 * files. Checked: no crash or sanitizer report, a one-line error on failure, and the contract
 * of lowbit/data.h (empty splits after a failure; labels < classes and pixels in [0, 1]). */
#include "fuzz_data.h"

#define MAXPART 6

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const c10[MAXPART] = {"data_batch_1.bin", "data_batch_2.bin",
                                             "data_batch_3.bin", "data_batch_4.bin",
                                             "data_batch_5.bin", "test_batch.bin"};
    static const char *const c100[2] = {"train.bin", "test.bin"};
    if (size < 1 || size > (1u << 20)) return 0;
    const int flags = data[0], is100 = flags & 1, nfiles = is100 ? 2 : 6;
    fuzz_dir_clear();
    char dir[512];
    if (flags & 2) {
        fuzz_path(dir, sizeof dir, is100 ? "cifar-100-binary" : "cifar-10-batches-bin");
        if (mkdir(dir, 0700)) abort();
    } else
        snprintf(dir, sizeof dir, "%s", fuzz_dir());
    const uint8_t *p = data + 1, *end = data + size;
    for (int k = 0; k < nfiles && p <= end; k++) {
        const uint8_t *s = memmem(p, (size_t)(end - p), "CIF~", 4);
        const size_t len = s ? (size_t)(s - p) : (size_t)(end - p);
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, is100 ? c100[k] : c10[k]);
        if (len == 3 && !memcmp(p, "DIR", 3)) {
            if (mkdir(path, 0700)) abort();
        } else
            fuzz_write(path, p, len);
        if (!s) break;
        p = s + 4;
    }
    lb_dataset tr, te;
    lb_error err = {{0}};
    lb_status st = lb_dataset_load(&tr, &te, is100 ? "cifar100" : "cifar10", fuzz_dir(), &err);
    if (!st)
        FUZZ_CHECK(tr.augment == 1 && te.augment == 0, "augment flags %d %d", tr.augment,
                   te.augment);
    fuzz_check_pair(&tr, &te, st, &err);
    return 0;
}
