/* tests/fuzz/fuzz_idx.c — the IDX loader (lib/src/data/idx.c) on files made from the input,
 * plain and gzip: lb_idx_load on an image file and a label file, and with four parts the
 * "mnist" pair of lb_dataset_load (train and test, whose image sizes must agree).
 * Input: one flags byte, then parts separated by the 4 bytes "IDX~":
 *   1 part    the image file; the label file is made to match its header (n labels of 0), so
 *             mutations reach the pixel checks
 *   2 parts   image file, label file
 *   4 parts   train images, train labels, test images, test labels (lb_dataset_load "mnist")
 * flags bit k (k < 4): part k is gzip-compressed before it is written (a part may also be gzip
 * data itself: the loader detects gzip by its magic); bits 4-7: classes = 16·(flags >> 4), or
 * 10 if those bits are 0.
 * Checked: no crash or sanitizer report, an error message on failure, and the contract of
 * lowbit/data.h (a failed load leaves empty splits; loaded labels < classes, pixels in [0, 1];
 * train and test shapes agree). */
#include "fuzz_data.h"

#include <zlib.h>

#define SEP     "IDX~"
#define MAXPART 4

static void write_part(const char *path, const uint8_t *p, size_t n, int gz)
{
    if (!gz) {
        fuzz_write(path, p, n);
        return;
    }
    gzFile f = gzopen(path, "wb");
    if (!f || (n && gzwrite(f, p, (unsigned)n) != (int)n) || gzclose(f) != Z_OK) abort();
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20)) return 0;
    const int flags = data[0];
    const int classes = flags >> 4 ? 16 * (flags >> 4) : 10;
    const uint8_t *part[MAXPART];
    size_t len[MAXPART];
    int np = 0;
    const uint8_t *p = data + 1, *end = data + size;
    while (np < MAXPART) {
        const uint8_t *s = memmem(p, (size_t)(end - p), SEP, 4);
        part[np] = p;
        len[np++] = s ? (size_t)(s - p) : (size_t)(end - p);
        if (!s) break;
        p = s + 4;
    }
    if (np == 3) np = 2; /* a third part without a fourth is ignored */
    fuzz_dir_clear();
    char ip[512], lp[512];
    lb_error err = {{0}};
    lb_dataset d, te;
    lb_status st;
    if (np <= 2) {
        fuzz_path(ip, sizeof ip, "images");
        fuzz_path(lp, sizeof lp, "labels");
        write_part(ip, part[0], len[0], flags & 1);
        if (np == 2)
            write_part(lp, part[1], len[1], flags & 2);
        else { /* labels that match the image header, if it has one */
            uint32_t n = len[0] >= 8 ? be32(part[0] + 4) : 0;
            if (n > 65536) n = 65536;
            uint8_t *lab = calloc(8 + (size_t)n, 1);
            if (!lab) abort();
            lab[3] = 0x01, lab[2] = 0x08;
            lab[4] = (uint8_t)(n >> 24), lab[5] = (uint8_t)(n >> 16), lab[6] = (uint8_t)(n >> 8);
            lab[7] = (uint8_t)n;
            write_part(lp, lab, 8 + (size_t)n, flags & 2);
            free(lab);
        }
        st = lb_idx_load(&d, ip, lp, classes, &err);
        if (st) fuzz_check_error(err.msg, 1);
        fuzz_check_split(&d, st);
        lb_dataset_free(&d);
        return 0;
    }
    static const char *const stems[MAXPART] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    for (int k = 0; k < MAXPART; k++) {
        char name[64], path[512];
        snprintf(name, sizeof name, "%s%s", stems[k], flags & (1 << k) ? ".gz" : "");
        write_part(fuzz_path(path, sizeof path, name), part[k], len[k], flags & (1 << k));
    }
    st = lb_dataset_load(&d, &te, "mnist", fuzz_dir(), &err);
    fuzz_check_pair(&d, &te, st, &err);
    return 0;
}
