/* tests/unit/test_data_idx.c — the IDX loader (lb_idx_load, and "mnist"/"fashion-mnist" of
 * lb_dataset_load) on files this test writes in a temporary directory, plain and gzip: good
 * files (shape, pixel and label values), and one corruption each — wrong magic, short header,
 * truncated pixels or labels, trailing bytes, count mismatch, zero images or rows, a header
 * announcing 2^31-1 images, labels out of range for 10 and for a smaller class count, corrupt
 * gzip data, missing file and directory. Every error must carry the right status, name the
 * file, say what is wrong, and leave the split empty.
 * Then, if the Debian package dataset-fashion-mnist is installed, the real files: 60000/10000
 * examples of 28×28, labels 0..9 with 6000 (train) and 1000 (test) per class, and values read
 * independently with Python's gzip module. Without it those checks are skipped with a note. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "lowbit/data.h"

static char dir[256];

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

static void write_file(const char *path, const unsigned char *buf, size_t len, int gz)
{
    gzFile f = gzopen(path, gz ? "wb" : "wbT");
    if (!f || (len && gzwrite(f, buf, (unsigned)len) != (int)len) || gzclose(f) != Z_OK) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

/* A corruption of the generated pair; all zero = good files. */
typedef struct corrupt {
    uint32_t imagic, lmagic; /* 0: the right magic */
    uint32_t n_img, n_lab;   /* counts in the headers (0: the real count) */
    uint32_t rows;           /* 0: 3 */
    size_t cut_img, cut_lab; /* bytes removed from the end of each file */
    size_t add_img;          /* bytes appended to the image file */
    int bad_label;           /* value written as the last label (0: none) */
} corrupt;

#define N_EX 5
#define ROWS 3
#define COLS 2

/* Write stem-images / stem-labels (with .gz if gz): N_EX images of ROWS×COLS, pixel k of image
 * i = 10·i + k, label i = (3·i + 1) mod 10. */
static void write_pair(const char *stem, int gz, corrupt c)
{
    unsigned char buf[4096];
    char ip[512], lp[512];
    snprintf(ip, sizeof ip, "%s/%s-images%s", dir, stem, gz ? ".gz" : "");
    snprintf(lp, sizeof lp, "%s/%s-labels%s", dir, stem, gz ? ".gz" : "");
    put32(buf, c.imagic ? c.imagic : 0x803);
    put32(buf + 4, c.n_img ? c.n_img : N_EX);
    put32(buf + 8, c.rows ? c.rows : ROWS);
    put32(buf + 12, COLS);
    size_t len = 16;
    for (int i = 0; i < N_EX; i++)
        for (int k = 0; k < ROWS * COLS; k++)
            buf[len++] = (unsigned char)(10 * i + k);
    for (size_t k = 0; k < c.add_img; k++)
        buf[len++] = 7;
    write_file(ip, buf, len - c.cut_img, gz);
    put32(buf, c.lmagic ? c.lmagic : 0x801);
    put32(buf + 4, c.n_lab ? c.n_lab : N_EX);
    for (int i = 0; i < N_EX; i++)
        buf[8 + i] = (unsigned char)((3 * i + 1) % 10);
    if (c.bad_label) buf[8 + N_EX - 1] = (unsigned char)c.bad_label;
    write_file(lp, buf, 8 + N_EX - c.cut_lab, gz);
}

static lb_status load(const char *stem, int gz, int classes, lb_dataset *d, lb_error *err)
{
    char ip[512], lp[512];
    snprintf(ip, sizeof ip, "%s/%s-images%s", dir, stem, gz ? ".gz" : "");
    snprintf(lp, sizeof lp, "%s/%s-labels%s", dir, stem, gz ? ".gz" : "");
    memset(err->msg, 0, sizeof err->msg);
    return lb_idx_load(d, ip, lp, classes, err);
}

static int is_empty(const lb_dataset *d)
{
    return d->x == NULL && d->y == NULL && d->n == 0;
}

static void check_good(const lb_dataset *d, const char *what)
{
    CHECK(d->n == N_EX && d->c == 1 && d->h == ROWS && d->w == COLS && d->classes == 10 &&
              d->augment == 0,
          "%s: shape n=%lld c=%d h=%d w=%d classes=%d", what, (long long)d->n, d->c, d->h, d->w,
          d->classes);
    int bad = 0;
    for (int i = 0; i < N_EX; i++) {
        bad += d->y[i] != (3 * i + 1) % 10;
        for (int k = 0; k < ROWS * COLS; k++)
            bad += d->x[i * ROWS * COLS + k] != (float)(10 * i + k) * (1.0f / 255.0f);
    }
    CHECK(bad == 0, "%s: %d wrong pixel or label values", what, bad);
}

static void test_good(void)
{
    lb_dataset d;
    lb_error err;
    for (int gz = 0; gz < 2; gz++) {
        write_pair("good", gz, (corrupt){0});
        CHECK(load("good", gz, 10, &d, &err) == LB_OK, "good file (gz=%d): %s", gz, err.msg);
        check_good(&d, gz ? "good gzip" : "good plain");
        lb_dataset_free(&d);
        CHECK(is_empty(&d), "lb_dataset_free leaves an empty split");
    }
}

static void test_corrupt(void)
{
    struct {
        const char *stem;
        corrupt c;
        int classes;
        lb_status want;
        const char *word, *file; /* the message names `file` (images/labels) and says `word` */
    } bad[] = {
        {"imagic", {.imagic = 0x804}, 10, LB_ERR_DATA, "bad IDX magic 0x00000804", "images"},
        {"lmagic", {.lmagic = 0x803}, 10, LB_ERR_DATA, "bad IDX magic 0x00000803", "labels"},
        {"ihead", {.cut_img = 16 + N_EX * ROWS * COLS - 10}, 10, LB_ERR_DATA, "header", "images"},
        {"itrunc",
         {.cut_img = 7},
         10,
         LB_ERR_DATA,
         "truncated: expected 30 pixel bytes, got 23",
         "images"},
        {"ltrunc",
         {.cut_lab = 2},
         10,
         LB_ERR_DATA,
         "truncated: expected 5 label bytes, got 3",
         "labels"},
        {"itrail", {.add_img = 3}, 10, LB_ERR_DATA, "3 bytes after", "images"},
        {"count", {.n_lab = 4}, 10, LB_ERR_DATA, "4 labels for 5 images", "labels"},
        {"huge",
         {.n_img = 0x7fffffff, .n_lab = 0x7fffffff},
         10,
         LB_ERR_DATA,
         "truncated",
         "images"},
        {"rows", {.rows = 0xffffffff}, 10, LB_ERR_DATA, "implausible image size", "images"},
        {"label",
         {.bad_label = 12},
         10,
         LB_ERR_DATA,
         "label 12 of example 4 is out of range [0, 10)",
         "labels"},
        {"label7", {.bad_label = 7}, 6, LB_ERR_DATA, "out of range [0, 6)", "labels"},
    };
    for (int gz = 0; gz < 2; gz++)
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            lb_dataset d;
            lb_error err;
            write_pair(bad[i].stem, gz, bad[i].c);
            lb_status st = load(bad[i].stem, gz, bad[i].classes, &d, &err);
            char file[64];
            snprintf(file, sizeof file, "%s-%s", bad[i].stem, bad[i].file);
            CHECK(st == bad[i].want, "%s (gz=%d): status %d (%s), want %d", bad[i].stem, gz,
                  (int)st, err.msg, (int)bad[i].want);
            CHECK(strstr(err.msg, bad[i].word) && strstr(err.msg, file) && !strchr(err.msg, '\n'),
                  "%s (gz=%d): message '%s' lacks '%s' or '%s'", bad[i].stem, gz, err.msg,
                  bad[i].word, file);
            CHECK(is_empty(&d), "%s (gz=%d): half-loaded data left behind", bad[i].stem, gz);
        }

    /* zero images, with labels that agree */
    lb_dataset d;
    lb_error err;
    write_pair("none", 0, (corrupt){0});
    char ip[512];
    snprintf(ip, sizeof ip, "%s/none-images", dir);
    unsigned char head[16];
    put32(head, 0x803), put32(head + 4, 0), put32(head + 8, 3), put32(head + 12, 2);
    write_file(ip, head, 16, 0);
    CHECK(load("none", 0, 10, &d, &err) == LB_ERR_DATA && strstr(err.msg, "0 images"),
          "zero images: '%s'", err.msg);

    /* gzip data corrupted in the middle of the deflate stream (trailer intact) */
    write_pair("gzbad", 1, (corrupt){0});
    snprintf(ip, sizeof ip, "%s/gzbad-images.gz", dir);
    FILE *f = fopen(ip, "r+b");
    unsigned char b[512];
    size_t len = fread(b, 1, sizeof b, f);
    for (size_t k = 12; k + 8 < len; k += 3)
        b[k] ^= 0x5a;
    rewind(f);
    fwrite(b, 1, len, f);
    fclose(f);
    lb_status st = load("gzbad", 1, 10, &d, &err);
    CHECK(st == LB_ERR_DATA && strstr(err.msg, "gzbad-images.gz") &&
              (strstr(err.msg, "corrupt") || strstr(err.msg, "truncated") ||
               strstr(err.msg, "magic")),
          "corrupt gzip: status %d, '%s'", (int)st, err.msg);
    CHECK(is_empty(&d), "corrupt gzip: half-loaded data left behind");

    /* missing files */
    CHECK(load("missing", 1, 10, &d, &err) == LB_ERR_IO && strstr(err.msg, "missing-images.gz"),
          "missing file: '%s'", err.msg);
    write_pair("nolab", 0, (corrupt){0});
    char lp[512];
    snprintf(lp, sizeof lp, "%s/nolab-labels", dir);
    unlink(lp);
    CHECK(load("nolab", 0, 10, &d, &err) == LB_ERR_IO && strstr(err.msg, "nolab-labels"),
          "missing label file: '%s'", err.msg);
    CHECK(load("good", 0, 0, &d, &err) == LB_ERR_ARG, "classes 0 is a bad argument");
    CHECK(load("good", 0, 300, &d, &err) == LB_ERR_ARG, "classes 300 cannot be byte labels");
}

/* "mnist" by name: the standard file names, some plain and some gzip */
static void test_named(void)
{
    char sub[300], path[400];
    snprintf(sub, sizeof sub, "%s/mnist", dir);
    CHECK(mkdir(sub, 0755) == 0, "mkdir %s", sub);
    const char *names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                            "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    /* reuse the generated pair: train plain, test gzip */
    for (int k = 0; k < 4; k++) {
        int gz = k >= 2;
        char src[512];
        snprintf(src, sizeof src, "%s/good-%s%s", dir, k % 2 ? "labels" : "images",
                 gz ? ".gz" : "");
        snprintf(path, sizeof path, "%s/%s%s", sub, names[k], gz ? ".gz" : "");
        CHECK(link(src, path) == 0, "link %s", path);
    }
    lb_dataset tr, te;
    lb_error err;
    CHECK(lb_dataset_load(&tr, &te, "mnist", sub, &err) == LB_OK, "mnist by name: %s", err.msg);
    check_good(&tr, "mnist train (plain)");
    check_good(&te, "mnist test (gzip)");
    lb_dataset_free(&tr), lb_dataset_free(&te);
    snprintf(path, sizeof path, "%s/%s.gz", sub, names[3]);
    unlink(path);
    CHECK(lb_dataset_load(&tr, &te, "mnist", sub, &err) == LB_ERR_IO &&
              strstr(err.msg, "t10k-labels-idx1-ubyte") && is_empty(&tr) && is_empty(&te),
          "missing test labels: '%s'", err.msg);
    CHECK(lb_dataset_load(&tr, &te, "fashion-mnist", "/nonexistent/dir", &err) == LB_ERR_IO &&
              strstr(err.msg, "/nonexistent/dir") && strstr(err.msg, "dataset-fashion-mnist"),
          "missing directory: '%s'", err.msg);
    CHECK(lb_dataset_load(&tr, &te, "mnist", NULL, &err) == LB_ERR_ARG, "mnist needs a dir");
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The Debian Fashion-MNIST files. Expected values from Python's gzip module:
 * train label 0 and test label 0 are 9, the last train label 5; pixel sums of train image 0,
 * the last train image and test image 0 are 76247, 16684 and 33456. */
static void test_fashion_mnist(void)
{
    const char *fm = "/usr/share/datasets/fashion-mnist";
    if (access(fm, F_OK)) {
        printf("note: %s not installed (Debian: dataset-fashion-mnist); real-data checks "
               "skipped\n",
               fm);
        return;
    }
    lb_dataset tr, te;
    lb_error err;
    double t0 = now_s();
    lb_status st = lb_dataset_load(&tr, &te, "fashion-mnist", fm, &err);
    double t1 = now_s();
    CHECK(st == LB_OK, "Fashion-MNIST: %s", err.msg);
    if (st) return;
    printf("Fashion-MNIST loaded in %.3f s\n", t1 - t0);
    CHECK(tr.n == 60000 && te.n == 10000 && tr.c == 1 && tr.h == 28 && tr.w == 28 && te.h == 28 &&
              te.w == 28 && tr.classes == 10,
          "Fashion-MNIST shape: %lld/%lld of %dx%dx%d", (long long)tr.n, (long long)te.n, tr.c,
          tr.h, tr.w);
    long cnt[2][10] = {{0}};
    int out = 0;
    for (int s = 0; s < 2; s++) {
        const lb_dataset *d = s ? &te : &tr;
        for (int64_t i = 0; i < d->n; i++) {
            if (d->y[i] < 0 || d->y[i] > 9)
                out++;
            else
                cnt[s][d->y[i]]++;
        }
    }
    CHECK(out == 0, "%d labels outside 0..9", out);
    for (int k = 0; k < 10; k++)
        CHECK(cnt[0][k] == 6000 && cnt[1][k] == 1000, "class %d: %ld train, %ld test examples", k,
              cnt[0][k], cnt[1][k]);
    CHECK(tr.y[0] == 9 && te.y[0] == 9 && tr.y[59999] == 5, "first/last labels");
    double sums[3] = {0};
    const float *imgs[3] = {tr.x, tr.x + 59999 * 784, te.x};
    for (int j = 0; j < 3; j++)
        for (int k = 0; k < 784; k++)
            sums[j] += imgs[j][k] * 255.0;
    CHECK(fabs(sums[0] - 76247) < 0.05 && fabs(sums[1] - 16684) < 0.05 &&
              fabs(sums[2] - 33456) < 0.05,
          "pixel sums %.2f %.2f %.2f", sums[0], sums[1], sums[2]);
    double mean[1], sd[1], m2[1], s2[1];
    lb_dataset_stats(&tr, mean, sd);
    lb_dataset_normalize(&tr, mean, sd);
    lb_dataset_stats(&tr, m2, s2);
    CHECK(fabs(m2[0]) < 1e-4 && fabs(s2[0] - 1) < 1e-4, "normalised: mean %g std %g", m2[0], s2[0]);
    /* Fashion-MNIST's training mean and std are 0.2860 and 0.3530 (as widely quoted) */
    CHECK(fabs(mean[0] - 0.2860) < 1e-3 && fabs(sd[0] - 0.3530) < 1e-3, "mean %g std %g", mean[0],
          sd[0]);
    lb_dataset_free(&tr);
    lb_dataset_free(&te);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/lowbit_test_idx_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    test_good();
    test_corrupt();
    test_named();
    test_fashion_mnist();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) return 1;
    return lb_check_summary("test_data_idx");
}
