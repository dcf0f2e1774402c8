/* io/h5results.c — the HDF5 result file (layout in lowbit/results.h).
 * Strings are variable-length UTF-8 so h5py returns str; numbers are float64 or int64.
 * Writing goes to "<path>.tmp.<pid>", is sealed (a CRC-32 of the HDF5 bytes in the file's
 * 512-byte user block, which libhdf5 and h5py skip) and renamed into place only after
 * H5Fclose succeeds. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "io/h5probe.h"
#include "lowbit/results.h"

typedef enum { ATTR_STR, ATTR_INT, ATTR_NUM } attr_kind;

typedef struct attr {
    char key[64];
    attr_kind kind;
    char *s;
    int64_t i;
    double d;
} attr;

typedef struct extra {
    char name[64];
    double *v;
    size_t n, cap;
} extra;

struct lb_results {
    attr *attrs;
    size_t nattr, capattr;
    lb_epoch_row *epochs;
    size_t nep, capep;
    lb_op_row *ops;
    size_t nops, capops;
    extra *extras;
    size_t nextra, capextra;
};

static int grow(void **p, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap) return 0;
    size_t nc = *cap ? *cap * 2 : 16;
    void *np = realloc(*p, nc * elem);
    if (!np) return -1;
    *p = np;
    *cap = nc;
    return 0;
}

lb_results *lb_results_new(void)
{
    return calloc(1, sizeof(lb_results));
}

void lb_results_free(lb_results *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->nattr; i++)
        free(r->attrs[i].s);
    for (size_t i = 0; i < r->nextra; i++)
        free(r->extras[i].v);
    free(r->attrs);
    free(r->epochs);
    free(r->ops);
    free(r->extras);
    free(r);
}

static attr *attr_slot(lb_results *r, const char *key)
{
    if (strlen(key) >= sizeof r->attrs[0].key) return NULL;
    for (size_t i = 0; i < r->nattr; i++)
        if (!strcmp(r->attrs[i].key, key)) {
            free(r->attrs[i].s);
            r->attrs[i].s = NULL;
            return &r->attrs[i];
        }
    if (grow((void **)&r->attrs, &r->capattr, r->nattr, sizeof *r->attrs)) return NULL;
    attr *a = &r->attrs[r->nattr++];
    memset(a, 0, sizeof *a);
    strcpy(a->key, key);
    return a;
}

lb_status lb_results_set_str(lb_results *r, const char *key, const char *value)
{
    attr *a = attr_slot(r, key);
    if (!a) return LB_ERR_NOMEM;
    a->kind = ATTR_STR;
    a->s = strdup(value ? value : "");
    return a->s ? LB_OK : LB_ERR_NOMEM;
}

lb_status lb_results_set_int(lb_results *r, const char *key, int64_t value)
{
    attr *a = attr_slot(r, key);
    if (!a) return LB_ERR_NOMEM;
    a->kind = ATTR_INT;
    a->i = value;
    return LB_OK;
}

lb_status lb_results_set_num(lb_results *r, const char *key, double value)
{
    attr *a = attr_slot(r, key);
    if (!a) return LB_ERR_NOMEM;
    a->kind = ATTR_NUM;
    a->d = value;
    return LB_OK;
}

lb_status lb_results_add_epoch(lb_results *r, const lb_epoch_row *row)
{
    if (grow((void **)&r->epochs, &r->capep, r->nep, sizeof *r->epochs)) return LB_ERR_NOMEM;
    r->epochs[r->nep++] = *row;
    return LB_OK;
}

lb_status lb_results_add_op(lb_results *r, const lb_op_row *row)
{
    if (grow((void **)&r->ops, &r->capops, r->nops, sizeof *r->ops)) return LB_ERR_NOMEM;
    r->ops[r->nops++] = *row;
    return LB_OK;
}

lb_status lb_results_add_extra(lb_results *r, const char *name, double value)
{
    extra *e = NULL;
    for (size_t i = 0; i < r->nextra; i++)
        if (!strcmp(r->extras[i].name, name)) e = &r->extras[i];
    if (!e) {
        if (strlen(name) >= sizeof e->name) return LB_ERR_ARG;
        if (grow((void **)&r->extras, &r->capextra, r->nextra, sizeof *r->extras))
            return LB_ERR_NOMEM;
        e = &r->extras[r->nextra++];
        memset(e, 0, sizeof *e);
        strcpy(e->name, name);
    }
    if (grow((void **)&e->v, &e->cap, e->n, sizeof *e->v)) return LB_ERR_NOMEM;
    e->v[e->n++] = value;
    return LB_OK;
}

size_t lb_results_epoch_count(const lb_results *r)
{
    return r->nep;
}

const lb_epoch_row *lb_results_epoch(const lb_results *r, size_t i)
{
    return i < r->nep ? &r->epochs[i] : NULL;
}

const char *lb_results_get_str(const lb_results *r, const char *key)
{
    for (size_t i = 0; i < r->nattr; i++)
        if (!strcmp(r->attrs[i].key, key) && r->attrs[i].kind == ATTR_STR) return r->attrs[i].s;
    return NULL;
}

int lb_results_get_num(const lb_results *r, const char *key, double *value)
{
    for (size_t i = 0; i < r->nattr; i++)
        if (!strcmp(r->attrs[i].key, key) && r->attrs[i].kind != ATTR_STR) {
            *value = r->attrs[i].kind == ATTR_INT ? (double)r->attrs[i].i : r->attrs[i].d;
            return 1;
        }
    return 0;
}

/* ---- HDF5 writing ----------------------------------------------------------------------- */

static hid_t str_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

static int write_attr(hid_t loc, const attr *a)
{
    hid_t sp = H5Screate(H5S_SCALAR), t, at;
    int rc = -1;
    if (a->kind == ATTR_STR) {
        t = str_type();
        at = H5Acreate2(loc, a->key, t, sp, H5P_DEFAULT, H5P_DEFAULT);
        const char *s = a->s;
        if (at >= 0 && H5Awrite(at, t, &s) >= 0) rc = 0;
        H5Tclose(t);
    } else if (a->kind == ATTR_INT) {
        at = H5Acreate2(loc, a->key, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
        if (at >= 0 && H5Awrite(at, H5T_NATIVE_INT64, &a->i) >= 0) rc = 0;
    } else {
        at = H5Acreate2(loc, a->key, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
        if (at >= 0 && H5Awrite(at, H5T_NATIVE_DOUBLE, &a->d) >= 0) rc = 0;
    }
    if (at >= 0) H5Aclose(at);
    H5Sclose(sp);
    return rc;
}

/* 1-D dataset of n elements of file type ft from memory type mt. */
static int write_col(hid_t g, const char *name, hid_t ft, hid_t mt, size_t n, const void *buf)
{
    hsize_t dim = n;
    hid_t sp = H5Screate_simple(1, &dim, NULL);
    hid_t d = H5Dcreate2(g, name, ft, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc =
        (d >= 0 && (n == 0 || H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0)) ? 0 : -1;
    if (d >= 0) H5Dclose(d);
    H5Sclose(sp);
    return rc;
}

#define COL_D(field)                                                                               \
    do {                                                                                           \
        for (size_t i = 0; i < r->nep; i++)                                                        \
            dbuf[i] = r->epochs[i].field;                                                          \
        rc |= write_col(g, #field, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, r->nep, dbuf);               \
    } while (0)
#define COL_I(field)                                                                               \
    do {                                                                                           \
        for (size_t i = 0; i < r->nops; i++)                                                       \
            ibuf[i] = r->ops[i].field;                                                             \
        rc |= write_col(g, #field, H5T_STD_I64LE, H5T_NATIVE_INT64, r->nops, ibuf);                \
    } while (0)
#define COL_S(field)                                                                               \
    do {                                                                                           \
        for (size_t i = 0; i < r->nops; i++)                                                       \
            sbuf[i] = r->ops[i].field;                                                             \
        rc |= write_col(g, #field, st, st, r->nops, sbuf);                                         \
    } while (0)

static int write_file(const lb_results *r, hid_t f)
{
    int rc = 0;
    for (size_t i = 0; i < r->nattr; i++)
        rc |= write_attr(f, &r->attrs[i]);
    size_t nmax = (r->nep > r->nops ? r->nep : r->nops) + 1;
    double *dbuf = malloc(nmax * sizeof *dbuf);
    int64_t *ibuf = malloc(nmax * sizeof *ibuf);
    const char **sbuf = malloc(nmax * sizeof *sbuf);
    if (!dbuf || !ibuf || !sbuf) rc = -1;
    hid_t st = str_type();
    if (!rc) {
        hid_t g = H5Gcreate2(f, "epochs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        COL_D(epoch);
        COL_D(train_loss);
        COL_D(train_acc);
        COL_D(test_loss);
        COL_D(test_acc);
        COL_D(seconds);
        COL_D(update_rel_err);
        COL_D(update_zero_frac);
        H5Gclose(g);
        g = H5Gcreate2(f, "ops", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        COL_S(layer);
        COL_S(pass);
        COL_I(macs);
        COL_S(fmt_a);
        COL_S(fmt_b);
        COL_I(bytes_a);
        COL_I(bytes_b);
        COL_I(bytes_out);
        COL_I(batch);
        H5Gclose(g);
        if (r->nextra) {
            g = H5Gcreate2(f, "extra", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            for (size_t i = 0; i < r->nextra; i++)
                rc |= write_col(g, r->extras[i].name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                                r->extras[i].n, r->extras[i].v);
            H5Gclose(g);
        }
    }
    H5Tclose(st);
    free(dbuf);
    free(ibuf);
    free(sbuf);
    return rc;
}

/* ---- the seal: "lowbit-results 1\ncrc32 XXXXXXXX\nsize N\n" in the user block ---------- */

/* CRC-32 (zlib's, as Python's zlib.crc32) of bytes [LB_RESULTS_SEAL_BYTES, end) of fd and
 * their count; -1 on a read error. */
static int seal_crc(int fd, uint32_t *crc, int64_t *size)
{
    unsigned char buf[1 << 16];
    uLong c = crc32(0L, Z_NULL, 0);
    int64_t n = 0;
    off_t off = LB_RESULTS_SEAL_BYTES;
    for (;;) {
        ssize_t k = pread(fd, buf, sizeof buf, off);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return -1;
        if (k == 0) break;
        c = crc32(c, buf, (uInt)k);
        n += k, off += k;
    }
    *crc = (uint32_t)c, *size = n;
    return 0;
}

/* The user block of a file whose bytes after it have this CRC-32 and size: the seal's text,
 * then NUL bytes to the end of the block. The one form a reader accepts. */
static void seal_render(char head[LB_RESULTS_SEAL_BYTES], uint32_t crc, int64_t size)
{
    memset(head, 0, LB_RESULTS_SEAL_BYTES);
    snprintf(head, LB_RESULTS_SEAL_BYTES, "%s\ncrc32 %08" PRIx32 "\nsize %" PRId64 "\n",
             LB_RESULTS_SEAL_MAGIC, crc, size);
}

static int seal_write(const char *path)
{
    int fd = open(path, O_RDWR);
    if (fd < 0) return -1;
    uint32_t crc;
    int64_t size;
    char head[LB_RESULTS_SEAL_BYTES];
    int rc = seal_crc(fd, &crc, &size);
    if (!rc) {
        seal_render(head, crc, size);
        rc = pwrite(fd, head, sizeof head, 0) == (ssize_t)sizeof head ? 0 : -1;
    }
    if (close(fd)) rc = -1;
    return rc;
}

lb_status lb_results_verify(const char *path, int *sealed, lb_error *err)
{
    *sealed = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return lb_fail(err, LB_ERR_IO, "%s: no such readable file", path);
    char head[LB_RESULTS_SEAL_BYTES + 1] = {0};
    ssize_t k = pread(fd, head, LB_RESULTS_SEAL_BYTES, 0);
    const size_t ml = strlen(LB_RESULTS_SEAL_MAGIC);
    if (k != LB_RESULTS_SEAL_BYTES || strncmp(head, LB_RESULTS_SEAL_MAGIC, ml) ||
        head[ml] != '\n') {
        close(fd);
        return LB_OK; /* not sealed: not written by lowbit (or by one before the seal) */
    }
    *sealed = 1;
    unsigned long long want_crc = 0;
    long long want_size = -1;
    char tail = 0;
    lb_status st = LB_OK;
    /* the numbers, then the block they render must be the file's, byte for byte (sscanf alone
     * would take other spacing, signs or trailing bytes) */
    int ok = sscanf(head + ml, "\ncrc32 %8llx\nsize %lld%c", &want_crc, &want_size, &tail) == 3 &&
             tail == '\n' && want_size >= 0 && want_crc <= UINT32_MAX;
    if (ok) {
        char want[LB_RESULTS_SEAL_BYTES];
        seal_render(want, (uint32_t)want_crc, want_size);
        ok = !memcmp(want, head, LB_RESULTS_SEAL_BYTES);
    }
    if (!ok) st = lb_fail(err, LB_ERR_DATA, "%s: damaged seal of a lowbit result file", path);
    uint32_t crc = 0;
    int64_t size = 0;
    if (!st && seal_crc(fd, &crc, &size))
        st = lb_fail(err, LB_ERR_IO, "%s: read error: %s", path, strerror(errno));
    if (!st && (size != want_size || crc != (uint32_t)want_crc))
        st = lb_fail(err, LB_ERR_DATA,
                     "%s: checksum mismatch (sealed: crc32 %08llx, %lld bytes; now: %08" PRIx32
                     ", %" PRId64 " bytes): the file changed after lowbit wrote it",
                     path, want_crc, want_size, crc, size);
    close(fd);
    return st;
}

lb_status lb_results_write(const lb_results *r, const char *path, lb_error *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return lb_fail(err, LB_ERR_ARG, "%s: path too long", path);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* the library reports errors, HDF5 stays quiet */
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    if (fcpl < 0 || H5Pset_userblock(fcpl, LB_RESULTS_SEAL_BYTES) < 0) {
        if (fcpl >= 0) H5Pclose(fcpl);
        return lb_fail(err, LB_ERR_IO, "%s: cannot set up the HDF5 user block", tmp);
    }
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    H5Pclose(fcpl);
    if (f < 0) return lb_fail(err, LB_ERR_IO, "%s: cannot create HDF5 file", tmp);
    int rc = write_file(r, f);
    if (H5Fclose(f) < 0) rc = -1;
    if (!rc) rc = seal_write(tmp);
    if (rc) {
        unlink(tmp);
        return lb_fail(err, LB_ERR_IO, "%s: writing the HDF5 result file failed", path);
    }
    if (rename(tmp, path)) {
        unlink(tmp);
        return lb_fail(err, LB_ERR_IO, "%s: cannot rename the temporary result file into place",
                       path);
    }
    return LB_OK;
}

/* ---- reading (epochs + root attributes) -------------------------------------------------- */

static herr_t read_attr_cb(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
    (void)info;
    lb_results *r = data;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return 0;
    hid_t t = H5Aget_type(a);
    H5T_class_t c = H5Tget_class(t);
    if (c == H5T_STRING && H5Tis_variable_str(t) > 0) {
        hid_t mt = str_type();
        char *s = NULL;
        if (H5Aread(a, mt, &s) >= 0 && s) {
            lb_results_set_str(r, name, s);
            H5free_memory(s);
        }
        H5Tclose(mt);
    } else if (c == H5T_INTEGER) {
        int64_t v;
        if (H5Aread(a, H5T_NATIVE_INT64, &v) >= 0) lb_results_set_int(r, name, v);
    } else if (c == H5T_FLOAT) {
        double v;
        if (H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0) lb_results_set_num(r, name, v);
    }
    H5Tclose(t);
    H5Aclose(a);
    return 0;
}

static int read_col(hid_t f, const char *name, double **out, size_t *n)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t sp = H5Dget_space(d);
    hsize_t dim = 0;
    int rc = -1;
    if (H5Sget_simple_extent_ndims(sp) == 1 && H5Sget_simple_extent_dims(sp, &dim, NULL) == 1) {
        *out = malloc((dim + 1) * sizeof **out);
        if (*out &&
            (dim == 0 || H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) >= 0)) {
            *n = dim;
            rc = 0;
        }
    }
    H5Sclose(sp);
    H5Dclose(d);
    return rc;
}

static lb_status results_read(lb_results *r, const char *path, lb_error *err)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (access(path, R_OK)) return lb_fail(err, LB_ERR_IO, "%s: no such readable file", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return lb_fail(err, LB_ERR_DATA, "%s: not an HDF5 file", path);
    hsize_t idx = 0;
    H5Aiterate2(f, H5_INDEX_NAME, H5_ITER_INC, &idx, read_attr_cb, r);
    static const char *cols[6] = {"epochs/epoch",     "epochs/train_loss", "epochs/train_acc",
                                  "epochs/test_loss", "epochs/test_acc",   "epochs/seconds"};
    double *v[6] = {0};
    size_t n[6] = {0};
    lb_status st = LB_OK;
    for (int c = 0; c < 6 && !st; c++)
        if (read_col(f, cols[c], &v[c], &n[c]) || n[c] != n[0])
            st =
                lb_fail(err, LB_ERR_DATA, "%s: missing or inconsistent dataset /%s", path, cols[c]);
    if (!st) {
        r->nep = 0;
        for (size_t i = 0; i < n[0] && !st; i++) {
            lb_epoch_row row = {v[0][i], v[1][i], v[2][i], v[3][i], v[4][i], v[5][i], 0, 0};
            st = lb_results_add_epoch(r, &row);
        }
    }
    for (int c = 0; c < 6; c++)
        free(v[c]);
    H5Fclose(f);
    return st;
}

/* One 1-D column of /ops: integers into ibuf (n entries) or strings into the rows. */
static int read_ops_col(hid_t f, const char *col, size_t *n, int64_t **ibuf, char ***sbuf)
{
    char name[64];
    snprintf(name, sizeof name, "ops/%s", col);
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t sp = H5Dget_space(d);
    hsize_t dim = 0;
    int rc = -1;
    if (H5Sget_simple_extent_ndims(sp) == 1 && H5Sget_simple_extent_dims(sp, &dim, NULL) == 1 &&
        (*n == (size_t)-1 || *n == dim)) {
        *n = dim;
        if (ibuf) {
            *ibuf = malloc((dim + 1) * sizeof **ibuf);
            if (*ibuf && (dim == 0 ||
                          H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, *ibuf) >= 0))
                rc = 0;
        } else {
            hid_t t = str_type();
            *sbuf = calloc(dim + 1, sizeof **sbuf);
            if (*sbuf && (dim == 0 || H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, *sbuf) >= 0))
                rc = 0;
            H5Tclose(t);
        }
    }
    H5Sclose(sp);
    H5Dclose(d);
    return rc;
}

static lb_status results_read_ops(const char *path, lb_op_row **rows, size_t *n, lb_error *err)
{
    *rows = NULL, *n = 0;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (access(path, R_OK)) return lb_fail(err, LB_ERR_IO, "%s: no such readable file", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return lb_fail(err, LB_ERR_DATA, "%s: not an HDF5 file", path);
    static const char *scol[4] = {"layer", "pass", "fmt_a", "fmt_b"};
    static const char *icol[5] = {"macs", "bytes_a", "bytes_b", "bytes_out", "batch"};
    char **s[4] = {0};
    int64_t *v[5] = {0};
    size_t m = (size_t)-1;
    lb_status st = LB_OK;
    for (int c = 0; c < 4 && !st; c++)
        if (read_ops_col(f, scol[c], &m, NULL, &s[c]))
            st = lb_fail(err, LB_ERR_DATA, "%s: missing or inconsistent dataset /ops/%s", path,
                         scol[c]);
    for (int c = 0; c < 5 && !st; c++)
        if (read_ops_col(f, icol[c], &m, &v[c], NULL))
            st = lb_fail(err, LB_ERR_DATA, "%s: missing or inconsistent dataset /ops/%s", path,
                         icol[c]);
    if (!st && m == 0) st = lb_fail(err, LB_ERR_DATA, "%s: /ops is empty", path);
    if (!st) {
        *rows = calloc(m, sizeof **rows);
        if (!*rows) st = lb_fail(err, LB_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; !st && i < m; i++) {
        lb_op_row *r = &(*rows)[i];
        snprintf(r->layer, sizeof r->layer, "%s", s[0][i] ? s[0][i] : "");
        snprintf(r->pass, sizeof r->pass, "%s", s[1][i] ? s[1][i] : "");
        snprintf(r->fmt_a, sizeof r->fmt_a, "%s", s[2][i] ? s[2][i] : "");
        snprintf(r->fmt_b, sizeof r->fmt_b, "%s", s[3][i] ? s[3][i] : "");
        r->macs = v[0][i], r->bytes_a = v[1][i], r->bytes_b = v[2][i];
        r->bytes_out = v[3][i], r->batch = v[4][i];
    }
    if (!st) *n = m;
    for (int c = 0; c < 4; c++) {
        if (s[c] && m != (size_t)-1)
            for (size_t i = 0; i < m; i++)
                H5free_memory(s[c][i]);
        free(s[c]);
    }
    for (int c = 0; c < 5; c++)
        free(v[c]);
    H5Fclose(f);
    return st;
}

/* The readers run first in a forked child (io/h5probe.h): a result file that crashes or hangs
 * libhdf5 itself is refused with LB_ERR_DATA. */
typedef struct read_args {
    lb_results *r;
    const char *path;
    lb_op_row **rows;
    size_t *n;
} read_args;

static lb_status read_cb(void *arg, lb_error *err)
{
    read_args *a = arg;
    return results_read(a->r, a->path, err);
}

static lb_status read_ops_cb(void *arg, lb_error *err)
{
    read_args *a = arg;
    return results_read_ops(a->path, a->rows, a->n, err);
}

lb_status lb_results_read(lb_results *r, const char *path, lb_error *err)
{
    int sealed;
    lb_status st = lb_results_verify(path, &sealed, err);
    if (st) return st;
    read_args a = {r, path, NULL, NULL};
    return lb_h5_probe_read(path, read_cb, &a, err);
}

lb_status lb_results_read_ops(const char *path, lb_op_row **rows, size_t *n, lb_error *err)
{
    *rows = NULL, *n = 0;
    int sealed;
    lb_status st = lb_results_verify(path, &sealed, err);
    if (st) return st;
    read_args a = {NULL, path, rows, n};
    return lb_h5_probe_read(path, read_ops_cb, &a, err);
}
