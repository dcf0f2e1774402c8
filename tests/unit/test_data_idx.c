/* tests/unit/test_data_idx.c — the IDX loader on files this test writes (good, gzip, wrong
 * magic, truncated, count mismatch, label out of range, missing), and on the Debian
 * Fashion-MNIST files when they are installed. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <math.h>

#include "check.h"
#include "lowbit/data.h"

static char dir[256];

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = v;
}

/* Write an IDX image file of n 3x2 images (pixel = i + k) and a label file. */
static void write_pair(const char *stem, uint32_t imagic, uint32_t n_img, uint32_t n_lab,
                       size_t cut_pixels, int bad_label, int gz)
{
    char ip[512], lp[512];
    snprintf(ip, sizeof ip, "%s/%s-images%s", dir, stem, gz ? ".gz" : "");
    snprintf(lp, sizeof lp, "%s/%s-labels%s", dir, stem, gz ? ".gz" : "");
    unsigned char buf[4096];
    put32(buf, imagic), put32(buf + 4, n_img), put32(buf + 8, 3), put32(buf + 12, 2);
    size_t len = 16;
    for (uint32_t i = 0; i < n_img; i++)
        for (int k = 0; k < 6; k++)
            buf[len++] = (unsigned char)(i * 10 + k);
    len -= cut_pixels;
    gzFile f = gzopen(ip, gz ? "wb" : "wbT");
    gzwrite(f, buf, (unsigned)len);
    gzclose(f);
    put32(buf, 0x801), put32(buf + 4, n_lab);
    for (uint32_t i = 0; i < n_lab; i++)
        buf[8 + i] = (unsigned char)(i % 10);
    if (bad_label) buf[8 + n_lab - 1] = 12;
    f = gzopen(lp, gz ? "wb" : "wbT");
    gzwrite(f, buf, 8 + n_lab);
    gzclose(f);
}

static lb_status load(const char *stem, int gz, lb_dataset *d, lb_error *err)
{
    char ip[512], lp[512];
    snprintf(ip, sizeof ip, "%s/%s-images%s", dir, stem, gz ? ".gz" : "");
    snprintf(lp, sizeof lp, "%s/%s-labels%s", dir, stem, gz ? ".gz" : "");
    return lb_idx_load(d, ip, lp, 10, err);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/lowbit_test_idx_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    lb_dataset d;
    lb_error err;
    for (int gz = 0; gz < 2; gz++) {
        write_pair("good", 0x803, 5, 5, 0, 0, gz);
        CHECK(load("good", gz, &d, &err) == LB_OK, "good file (gz=%d): %s", gz, err.msg);
        CHECK(d.n == 5 && d.c == 1 && d.h == 3 && d.w == 2 && d.classes == 10, "shape");
        CHECK(d.x[6 * 4 + 5] == (40 + 5) / 255.0f, "pixel value %g", d.x[29]);
        CHECK(d.y[3] == 3, "label");
        lb_dataset_free(&d);
    }
    struct {
        const char *stem;
        uint32_t magic, ni, nl;
        size_t cut;
        int badlab;
        lb_status want;
        const char *word;
    } bad[] = {
        {"magic", 0x804, 5, 5, 0, 0, LB_ERR_DATA, "magic"},
        {"trunc", 0x803, 5, 5, 7, 0, LB_ERR_DATA, "truncated"},
        {"count", 0x803, 5, 4, 0, 0, LB_ERR_DATA, "4 labels for 5 images"},
        {"label", 0x803, 5, 5, 0, 1, LB_ERR_DATA, "out of range"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_pair(bad[i].stem, bad[i].magic, bad[i].ni, bad[i].nl, bad[i].cut, bad[i].badlab, 1);
        lb_status st = load(bad[i].stem, 1, &d, &err);
        CHECK(st == bad[i].want, "%s: status %d", bad[i].stem, (int)st);
        CHECK(strstr(err.msg, bad[i].word) && strstr(err.msg, bad[i].stem),
              "%s: message '%s' lacks '%s' or the file name", bad[i].stem, err.msg, bad[i].word);
        CHECK(d.x == NULL && d.n == 0, "%s: half-loaded data left behind", bad[i].stem);
    }
    CHECK(load("missing", 1, &d, &err) == LB_ERR_IO, "missing file");
    CHECK(strstr(err.msg, "missing-images") != NULL, "missing: '%s'", err.msg);
    lb_dataset tr, te;
    CHECK(lb_dataset_load(&tr, &te, "cifar-7", dir, &err) == LB_ERR_ARG, "unknown name");
    CHECK(strstr(err.msg, "cifar-7") && strstr(err.msg, "fashion-mnist"), "'%s'", err.msg);
    CHECK(lb_dataset_load(&tr, &te, "fashion-mnist", "/nonexistent", &err) == LB_ERR_IO,
          "missing dir");

    /* the real data set, if installed */
    const char *fm = "/usr/share/datasets/fashion-mnist";
    if (access(fm, F_OK) == 0) {
        CHECK(lb_dataset_load(&tr, &te, "fashion-mnist", fm, &err) == LB_OK, "%s", err.msg);
        CHECK(tr.n == 60000 && te.n == 10000 && tr.h == 28 && tr.w == 28, "Fashion-MNIST shape");
        long cnt[10] = {0};
        for (int64_t i = 0; i < tr.n; i++)
            cnt[tr.y[i]]++;
        for (int k = 0; k < 10; k++)
            CHECK(cnt[k] == 6000, "class %d has %ld examples", k, cnt[k]);
        double mean[1], sd[1];
        lb_dataset_stats(&tr, mean, sd);
        lb_dataset_normalize(&tr, mean, sd);
        double m2[1], s2[1];
        lb_dataset_stats(&tr, m2, s2);
        CHECK(fabs(m2[0]) < 1e-4 && fabs(s2[0] - 1) < 1e-4, "normalised: mean %g std %g", m2[0],
              s2[0]);
        lb_dataset_free(&tr);
        lb_dataset_free(&te);
    } else
        printf("note: %s not installed; real-data checks skipped\n", fm);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) return 1;
    return lb_check_summary("test_data_idx");
}
