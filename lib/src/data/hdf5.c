/* data/hdf5.c — image data sets stored in HDF5 (TinyImageNet and anything else converted to
 * this layout; lowbit/data.h documents it):
 *     /train/images (N,C,H,W) uint8    /train/labels (N) integer
 *     /test/images  (M,C,H,W) uint8    /test/labels  (M) integer
 *     root attribute num_classes: integer scalar >= 2
 * Checks: file missing (LB_ERR_IO) or not HDF5, attribute missing or bad, datasets missing,
 * wrong rank, element type or shape, label count, train/test shapes, labels out of range
 * (LB_ERR_DATA). Images are read in blocks of examples, so memory is the float array plus a
 * few MB. HDF5's automatic error printing is switched off while loading and then restored:
 * the library never prints. The load runs first in a forked child (io/h5probe.h), so that a
 * file that crashes or hangs libhdf5 itself is refused with LB_ERR_DATA. */
#define _POSIX_C_SOURCE 200809L
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/internal.h"
#include "io/h5probe.h"
#include "lowbit/data.h"

#define H5_BLOCK_BYTES ((size_t)8 << 20) /* uint8 pixels read per hyperslab */

/* The integer num_classes attribute of the root group, or an error. */
static lb_status h5_classes(hid_t f, const char *path, int *classes, lb_error *err)
{
    *classes = 0;
    if (H5Aexists(f, "num_classes") <= 0)
        return lb_fail(err, LB_ERR_DATA, "%s: no root attribute num_classes", path);
    hid_t a = H5Aopen(f, "num_classes", H5P_DEFAULT);
    if (a < 0) return lb_fail(err, LB_ERR_DATA, "%s: cannot open attribute num_classes", path);
    hid_t t = H5Aget_type(a), s = H5Aget_space(a);
    long long v = 0;
    int ok = t >= 0 && s >= 0 && H5Tget_class(t) == H5T_INTEGER &&
             H5Sget_simple_extent_npoints(s) == 1 && H5Aread(a, H5T_NATIVE_LLONG, &v) >= 0;
    if (t >= 0) H5Tclose(t);
    if (s >= 0) H5Sclose(s);
    H5Aclose(a);
    if (!ok)
        return lb_fail(err, LB_ERR_DATA, "%s: attribute num_classes must be one integer", path);
    if (v < 2 || v > 1000000)
        return lb_fail(err, LB_ERR_DATA, "%s: num_classes %lld out of range [2, 1000000]", path, v);
    *classes = (int)v;
    return LB_OK;
}

/* Open /split/name and read its rank, dims and element type class/size/sign. */
static lb_status h5_open_ds(hid_t f, const char *path, const char *name, hid_t *ds, int *rank,
                            hsize_t dims[4], H5T_class_t *cls, size_t *size, H5T_sign_t *sign,
                            lb_error *err)
{
    if (H5Lexists(f, name, H5P_DEFAULT) <= 0 || (*ds = H5Dopen2(f, name, H5P_DEFAULT)) < 0) {
        /* H5Lexists fails (not 0) when the parent group is missing: the same for the user */
        return lb_fail(err, LB_ERR_DATA, "%s: no dataset %s", path, name);
    }
    hid_t sp = H5Dget_space(*ds), t = H5Dget_type(*ds);
    *rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    if (*rank >= 0 && *rank <= 4) H5Sget_simple_extent_dims(sp, dims, NULL);
    *cls = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    *size = t >= 0 ? H5Tget_size(t) : 0;
    *sign = t >= 0 && *cls == H5T_INTEGER ? H5Tget_sign(t) : H5T_SGN_ERROR;
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    return LB_OK;
}

static lb_status h5_split(lb_dataset *d, hid_t f, const char *path, const char *split, int classes,
                          lb_error *err)
{
    char iname[32], lname[32];
    snprintf(iname, sizeof iname, "/%s/images", split);
    snprintf(lname, sizeof lname, "/%s/labels", split);
    hid_t di = -1, dl = -1, mem = -1, fsp = -1;
    unsigned char *raw = NULL;
    int rank = 0, lrank = 0;
    hsize_t dims[4] = {0}, ldims[4] = {0};
    H5T_class_t cls, lcls;
    size_t esize, lsize;
    H5T_sign_t sign, lsign;
    lb_status st = h5_open_ds(f, path, iname, &di, &rank, dims, &cls, &esize, &sign, err);
    if (st) return st;
    if (rank != 4) {
        st = lb_fail(err, LB_ERR_DATA, "%s: %s must be (N,C,H,W), has %d dimensions", path, iname,
                     rank);
        goto out;
    }
    if (cls != H5T_INTEGER || esize != 1 || sign != H5T_SGN_NONE) {
        st = lb_fail(err, LB_ERR_DATA, "%s: %s must hold uint8 pixels", path, iname);
        goto out;
    }
    if (!dims[0] || !dims[1] || !dims[2] || !dims[3] || dims[0] > INT32_MAX ||
        dims[1] > LB_DATASET_MAX_CHANNELS || dims[2] > 65536 || dims[3] > 65536) {
        st = lb_fail(err, LB_ERR_DATA,
                     "%s: %s has shape (%llu,%llu,%llu,%llu); expected N >= 1, C in [1, %d], "
                     "H and W in [1, 65536]",
                     path, iname, (unsigned long long)dims[0], (unsigned long long)dims[1],
                     (unsigned long long)dims[2], (unsigned long long)dims[3],
                     LB_DATASET_MAX_CHANNELS);
        goto out;
    }
    if ((st = h5_open_ds(f, path, lname, &dl, &lrank, ldims, &lcls, &lsize, &lsign, err))) goto out;
    if (lrank != 1 || lcls != H5T_INTEGER) {
        st = lb_fail(err, LB_ERR_DATA, "%s: %s must be a 1-dimensional integer dataset", path,
                     lname);
        goto out;
    }
    if (ldims[0] != dims[0]) {
        st = lb_fail(err, LB_ERR_DATA, "%s: %s has %llu entries for %llu images in %s", path, lname,
                     (unsigned long long)ldims[0], (unsigned long long)dims[0], iname);
        goto out;
    }
    const int64_t n = (int64_t)dims[0];
    if ((st = lb_dataset_alloc(d, n, (int)dims[1], (int)dims[2], (int)dims[3], classes, err)))
        goto out;

    /* labels: any integer type, converted to int64 so that no value is clamped before the
     * range check */
    long long *lab = malloc((size_t)n * sizeof *lab);
    if (!lab) {
        st = lb_fail(err, LB_ERR_NOMEM, "%s: out of memory for %s", path, lname);
        goto out;
    }
    if (H5Dread(dl, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, lab) < 0)
        st = lb_fail(err, LB_ERR_DATA, "%s: cannot read %s as integers", path, lname);
    for (int64_t i = 0; !st && i < n; i++) {
        if (lab[i] < 0 || lab[i] >= classes)
            st = lb_fail(err, LB_ERR_DATA,
                         "%s: label %lld of example %lld in %s is out of range "
                         "[0, %d)",
                         path, lab[i], (long long)i, lname, classes);
        d->y[i] = (int32_t)lab[i];
    }
    free(lab);
    if (st) goto out;

    /* images, a block of examples at a time */
    const size_t px = (size_t)dims[1] * dims[2] * dims[3];
    hsize_t blk = H5_BLOCK_BYTES / px ? H5_BLOCK_BYTES / px : 1;
    if (blk > dims[0]) blk = dims[0];
    raw = malloc((size_t)blk * px);
    fsp = H5Dget_space(di);
    if (!raw || fsp < 0) {
        st = lb_fail(err, LB_ERR_NOMEM, "%s: out of memory reading %s", path, iname);
        goto out;
    }
    for (hsize_t i0 = 0; !st && i0 < dims[0]; i0 += blk) {
        hsize_t cnt[4] = {dims[0] - i0 < blk ? dims[0] - i0 : blk, dims[1], dims[2], dims[3]};
        hsize_t start[4] = {i0, 0, 0, 0};
        if (mem >= 0 && cnt[0] != blk) H5Sclose(mem), mem = -1;
        if (mem < 0) mem = H5Screate_simple(4, cnt, NULL);
        if (mem < 0 || H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, cnt, NULL) < 0 ||
            H5Dread(di, H5T_NATIVE_UCHAR, mem, fsp, H5P_DEFAULT, raw) < 0) {
            st = lb_fail(err, LB_ERR_DATA, "%s: cannot read examples %llu.. of %s", path,
                         (unsigned long long)i0, iname);
            break;
        }
        float *x = d->x + (size_t)i0 * px;
        const size_t m = (size_t)cnt[0] * px;
#pragma omp parallel for schedule(static) if (m > 100000)
        for (size_t k = 0; k < m; k++)
            x[k] = raw[k] * (1.0f / 255.0f);
    }
out:
    free(raw);
    if (mem >= 0) H5Sclose(mem);
    if (fsp >= 0) H5Sclose(fsp);
    if (di >= 0) H5Dclose(di);
    if (dl >= 0) H5Dclose(dl);
    if (st) lb_dataset_free(d);
    return st;
}

static lb_status h5_load_quiet(lb_dataset *train, lb_dataset *test, const char *path, lb_error *err)
{
    if (access(path, R_OK)) return lb_fail(err, LB_ERR_IO, "%s: no such readable file", path);
    lb_status st = lb_data_check_file(path, "an HDF5 file", err);
    if (st) return st;
    if (H5Fis_hdf5(path) <= 0) return lb_fail(err, LB_ERR_DATA, "%s: not an HDF5 file", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return lb_fail(err, LB_ERR_IO, "%s: cannot open as HDF5", path);
    int classes = 0;
    st = h5_classes(f, path, &classes, err);
    if (!st) st = h5_split(train, f, path, "train", classes, err);
    if (!st) st = h5_split(test, f, path, "test", classes, err);
    if (!st && (train->c != test->c || train->h != test->h || train->w != test->w))
        st = lb_fail(err, LB_ERR_DATA,
                     "%s: /train/images are %dx%dx%d but /test/images are %dx%dx%d", path, train->c,
                     train->h, train->w, test->c, test->h, test->w);
    if (st) {
        lb_dataset_free(train);
        lb_dataset_free(test);
    }
    H5Fclose(f);
    return st;
}

typedef struct h5_load_args {
    lb_dataset *train, *test;
    const char *path;
} h5_load_args;

/* The whole load, as the probe of io/h5probe.h runs it (in the child, then here). */
static lb_status h5_load(void *arg, lb_error *err)
{
    h5_load_args *a = arg;
    memset(a->train, 0, sizeof *a->train);
    memset(a->test, 0, sizeof *a->test);
    H5E_auto2_t func = NULL;
    void *data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &func, &data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    lb_status st = h5_load_quiet(a->train, a->test, a->path, err);
    H5Eset_auto2(H5E_DEFAULT, func, data);
    return st;
}

lb_status lb_hdf5_load(lb_dataset *train, lb_dataset *test, const char *path, lb_error *err)
{
    if (!train || !test || !path) return lb_fail(err, LB_ERR_ARG, "lb_hdf5_load: NULL argument");
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    h5_load_args a = {train, test, path};
    return lb_h5_probe_read(path, h5_load, &a, err);
}
