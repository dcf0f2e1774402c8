/* tests/unit/test_data_hdf5.c — the HDF5 image-set loader ("hdf5:PATH", lb_hdf5_load) on files
 * this test writes in the documented layout: a good file (shape, values, int64 or uint8 labels,
 * a path relative to the data directory, more examples than one read block), and one fault
 * each — missing file, not HDF5, no num_classes, num_classes not an integer, missing test
 * group, missing labels, images of the wrong rank or type, too many channels, label count
 * mismatch, labels out of range (too large, negative, beyond 32 bits), train/test shapes that
 * differ. Also: HDF5's error printing is restored after loading. */
#define _POSIX_C_SOURCE 200809L
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "lowbit/data.h"

static char dir[256];

typedef struct h5spec {
    int classes;         /* attribute value */
    int no_attr;         /* omit num_classes */
    int float_attr;      /* num_classes as a double */
    int no_test;         /* omit the /test group */
    int no_labels;       /* omit /train/labels */
    int float_images;    /* /train/images as float32 */
    int rank3;           /* /train/images as (N,H,W) */
    int c, h, w;         /* train image shape (test uses test_h for h) */
    int test_h;          /* 0: same as h */
    int n_train, n_test; /* examples */
    int lab_count_delta; /* /train/labels has n_train + delta entries */
    long long bad_label; /* written as the last train label if non-zero */
    int u8_labels;       /* labels stored as uint8 (else int64) */
} h5spec;

static h5spec good_spec(void)
{
    h5spec s = {0};
    s.classes = 3, s.c = 3, s.h = 4, s.w = 5, s.n_train = 6, s.n_test = 4;
    return s;
}

/* pixel k of image i of a split = (7·i + k + split) mod 256; label i = i mod classes */
static void write_split(hid_t f, const char *split, const h5spec *s, int n, int h, int is_test)
{
    hid_t g = H5Gcreate2(f, split, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    size_t px = (size_t)s->c * h * s->w;
    int rank3 = s->rank3 && !is_test, flt = s->float_images && !is_test;
    hsize_t dims4[4] = {(hsize_t)n, (hsize_t)s->c, (hsize_t)h, (hsize_t)s->w};
    hsize_t dims3[3] = {(hsize_t)n, (hsize_t)h, (hsize_t)(s->c * s->w)};
    unsigned char *img = malloc((size_t)n * px);
    float *fimg = malloc((size_t)n * px * sizeof *fimg);
    for (size_t i = 0; i < (size_t)n; i++)
        for (size_t k = 0; k < px; k++) {
            img[i * px + k] = (unsigned char)((7 * i + k + (size_t)is_test) & 255);
            fimg[i * px + k] = img[i * px + k];
        }
    hid_t ds = rank3 ? H5Screate_simple(3, dims3, NULL) : H5Screate_simple(4, dims4, NULL);
    hid_t d = H5Dcreate2(g, "images", flt ? H5T_IEEE_F32LE : H5T_STD_U8LE, ds, H5P_DEFAULT,
                         H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, flt ? H5T_NATIVE_FLOAT : H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT,
             flt ? (void *)fimg : (void *)img);
    H5Dclose(d), H5Sclose(ds), free(img), free(fimg);
    if (!(s->no_labels && !is_test)) {
        int nl = n + (is_test ? 0 : s->lab_count_delta);
        long long *lab = malloc((size_t)nl * sizeof *lab);
        unsigned char *lab8 = malloc((size_t)nl);
        for (int i = 0; i < nl; i++)
            lab[i] = i % s->classes;
        if (s->bad_label && !is_test) lab[nl - 1] = s->bad_label;
        for (int i = 0; i < nl; i++)
            lab8[i] = (unsigned char)lab[i];
        hsize_t ln = (hsize_t)nl;
        ds = H5Screate_simple(1, &ln, NULL);
        d = H5Dcreate2(g, "labels", s->u8_labels ? H5T_STD_U8LE : H5T_STD_I64LE, ds, H5P_DEFAULT,
                       H5P_DEFAULT, H5P_DEFAULT);
        H5Dwrite(d, s->u8_labels ? H5T_NATIVE_UCHAR : H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL,
                 H5P_DEFAULT, s->u8_labels ? (void *)lab8 : (void *)lab);
        H5Dclose(d), H5Sclose(ds), free(lab), free(lab8);
    }
    H5Gclose(g);
}

static void write_h5(const char *name, const h5spec *s)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) {
        fprintf(stderr, "cannot create %s\n", path);
        exit(1);
    }
    if (!s->no_attr) {
        hid_t sp = H5Screate(H5S_SCALAR);
        hid_t a = H5Acreate2(f, "num_classes", s->float_attr ? H5T_IEEE_F64LE : H5T_STD_I32LE, sp,
                             H5P_DEFAULT, H5P_DEFAULT);
        double dv = s->classes;
        H5Awrite(a, s->float_attr ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT,
                 s->float_attr ? (void *)&dv : (void *)&s->classes);
        H5Aclose(a), H5Sclose(sp);
    }
    write_split(f, "train", s, s->n_train, s->h, 0);
    if (!s->no_test) write_split(f, "test", s, s->n_test, s->test_h ? s->test_h : s->h, 1);
    H5Fclose(f);
}

static int is_empty(const lb_dataset *d)
{
    return d->x == NULL && d->y == NULL && d->n == 0;
}

static lb_status load(const char *name, lb_dataset *tr, lb_dataset *te, lb_error *err)
{
    char spec[600];
    snprintf(spec, sizeof spec, "hdf5:%s/%s", dir, name);
    memset(err->msg, 0, sizeof err->msg);
    return lb_dataset_load(tr, te, spec, NULL, err);
}

static void check_values(const lb_dataset *d, int is_test, const char *what)
{
    size_t px = (size_t)d->c * d->h * d->w;
    long bad = 0;
    for (size_t i = 0; i < (size_t)d->n; i++) {
        bad += d->y[i] != (int32_t)(i % (size_t)d->classes);
        for (size_t k = 0; k < px; k++)
            bad +=
                d->x[i * px + k] != (float)((7 * i + k + (size_t)is_test) & 255) * (1.0f / 255.0f);
    }
    CHECK(bad == 0, "%s: %ld wrong values", what, bad);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/lowbit_test_h5_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    lb_dataset tr, te;
    lb_error err;
    H5E_auto2_t func0 = NULL;
    void *data0 = NULL;
    H5Eget_auto2(H5E_DEFAULT, &func0, &data0);

    h5spec s = good_spec();
    write_h5("good.h5", &s);
    CHECK(load("good.h5", &tr, &te, &err) == LB_OK, "hdf5: %s", err.msg);
    CHECK(tr.n == 6 && te.n == 4 && tr.c == 3 && tr.h == 4 && tr.w == 5 && tr.classes == 3 &&
              te.classes == 3 && !tr.augment,
          "hdf5 shape");
    check_values(&tr, 0, "hdf5 train");
    check_values(&te, 1, "hdf5 test");
    lb_dataset_free(&tr), lb_dataset_free(&te);

    /* relative to the data directory; uint8 labels; more than one 8 MB read block */
    s = good_spec();
    s.u8_labels = 1, s.c = 1, s.h = 64, s.w = 64, s.n_train = 2500, s.classes = 200;
    write_h5("big.h5", &s);
    CHECK(lb_dataset_load(&tr, &te, "hdf5:big.h5", dir, &err) == LB_OK, "relative path: %s",
          err.msg);
    CHECK(tr.n == 2500 && tr.h == 64, "big shape");
    check_values(&tr, 0, "hdf5 big train (blocks)");
    lb_dataset_free(&tr), lb_dataset_free(&te);

    struct {
        const char *name;
        h5spec s;
        lb_status want;
        const char *word;
    } bad[] = {
        {"noattr.h5", {.no_attr = 1}, LB_ERR_DATA, "num_classes"},
        {"fattr.h5", {.float_attr = 1}, LB_ERR_DATA, "num_classes must be one integer"},
        {"one.h5", {.classes = 1}, LB_ERR_DATA, "num_classes 1 out of range"},
        {"notest.h5", {.no_test = 1}, LB_ERR_DATA, "no dataset /test/images"},
        {"nolab.h5", {.no_labels = 1}, LB_ERR_DATA, "no dataset /train/labels"},
        {"fimg.h5", {.float_images = 1}, LB_ERR_DATA, "/train/images must hold uint8"},
        {"rank3.h5", {.rank3 = 1}, LB_ERR_DATA, "must be (N,C,H,W), has 3 dimensions"},
        {"c5.h5", {.c = 5}, LB_ERR_DATA, "(6,5,4,5)"},
        {"count.h5", {.lab_count_delta = -1}, LB_ERR_DATA, "has 5 entries for 6 images"},
        {"lab3.h5", {.bad_label = 3}, LB_ERR_DATA, "label 3 of example 5"},
        {"neg.h5", {.bad_label = -1}, LB_ERR_DATA, "label -1 of example 5"},
        {"huge.h5", {.bad_label = 1LL << 40}, LB_ERR_DATA, "label 1099511627776"},
        {"shape.h5", {.test_h = 7}, LB_ERR_DATA, "3x4x5 but /test/images are 3x7x5"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        h5spec b = good_spec(), d = bad[i].s;
        b.no_attr = d.no_attr, b.float_attr = d.float_attr, b.no_test = d.no_test;
        b.no_labels = d.no_labels, b.float_images = d.float_images, b.rank3 = d.rank3;
        b.lab_count_delta = d.lab_count_delta, b.bad_label = d.bad_label, b.test_h = d.test_h;
        if (d.c) b.c = d.c;
        if (d.classes) b.classes = d.classes;
        write_h5(bad[i].name, &b);
        lb_status st = load(bad[i].name, &tr, &te, &err);
        CHECK(st == bad[i].want && strstr(err.msg, bad[i].word) && strstr(err.msg, bad[i].name) &&
                  strstr(err.msg, dir),
              "%s: status %d, message '%s' (want '%s')", bad[i].name, (int)st, err.msg,
              bad[i].word);
        CHECK(is_empty(&tr) && is_empty(&te), "%s: half-loaded data left behind", bad[i].name);
    }

    CHECK(load("none.h5", &tr, &te, &err) == LB_ERR_IO && strstr(err.msg, "none.h5"),
          "missing file: '%s'", err.msg);
    char path[512];
    snprintf(path, sizeof path, "%s/text.h5", dir);
    FILE *f = fopen(path, "w");
    fputs("not hdf5\n", f);
    fclose(f);
    CHECK(load("text.h5", &tr, &te, &err) == LB_ERR_DATA && strstr(err.msg, "not an HDF5 file"),
          "not HDF5: '%s'", err.msg);

    H5E_auto2_t func1 = NULL;
    void *data1 = NULL;
    H5Eget_auto2(H5E_DEFAULT, &func1, &data1);
    CHECK(func1 == func0 && data1 == data0, "HDF5 error printing restored after loading");

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) return 1;
    return lb_check_summary("test_data_hdf5");
}
