/* data/idx.c — IDX files (MNIST, Fashion-MNIST; LeCun's format), plain or gzip (zlib reads
 * both): big-endian magic 0x00000803, n, rows, cols, then n·rows·cols pixel bytes (row-major)
 * for images; 0x00000801, n, then n label bytes for labels.
 * Checks: magic, a short header, zero or implausible sizes, image and label counts, the
 * payload length both ways (truncated, trailing bytes), corrupt gzip data (zlib errors and the
 * trailer's CRC-32), label range.
 * The payload length is known before anything large is allocated: the file size of a plain
 * file; for gzip the trailer's ISIZE (length mod 2^32), and where that disagrees with the
 * header a counting pass over the stream, so a corrupt header cannot ask for terabytes.
 * Not here: IDX files of other element types or ranks (only what MNIST-style sets use). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <zlib.h>

#include "data/internal.h"
#include "lowbit/data.h"

#define IDX_IMAGES_MAGIC 0x00000803u /* unsigned byte, 3 dimensions */
#define IDX_LABELS_MAGIC 0x00000801u /* unsigned byte, 1 dimension */
#define IDX_MAX_SIDE     4096
#define IDX_CHUNK        ((size_t)1 << 20)

typedef struct idx_file {
    const char *path;
    gzFile f;
    int gz;          /* gzip-compressed (else plain) */
    uint64_t stored; /* plain: the file size; gzip: ISIZE, the length mod 2^32 */
} idx_file;

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Read up to len bytes; returns the number read, or -1 on a zlib error. */
static int64_t gz_read_n(gzFile f, unsigned char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        unsigned chunk = len - got > (1u << 30) ? (1u << 30) : (unsigned)(len - got);
        int r = gzread(f, buf + got, chunk);
        if (r < 0) return -1;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (int64_t)got;
}

static const char *gz_msg(gzFile f)
{
    int code = 0;
    const char *m = gzerror(f, &code);
    return m && *m ? m : "read error";
}

/* Probe the compression and stored size, open with zlib, and read magic + nwords words. */
static lb_status idx_open(idx_file *x, const char *path, uint32_t magic, int nwords,
                          uint32_t *words, lb_error *err)
{
    memset(x, 0, sizeof *x);
    x->path = path;
    lb_status st = lb_data_check_file(path, "an IDX file", err);
    if (st) return st;
    FILE *p = fopen(path, "rb");
    if (!p) return lb_fail(err, LB_ERR_IO, "%s: no such readable file", path);
    unsigned char m2[2] = {0}, tail[4] = {0};
    size_t got2 = fread(m2, 1, 2, p);
    x->gz = got2 == 2 && m2[0] == 0x1f && m2[1] == 0x8b;
    int ok = fseeko(p, 0, SEEK_END) == 0;
    off_t size = ok ? ftello(p) : -1;
    if (x->gz && size >= 18 && fseeko(p, -4, SEEK_END) == 0 && fread(tail, 1, 4, p) == 4)
        x->stored = (uint64_t)tail[0] | (uint64_t)tail[1] << 8 | (uint64_t)tail[2] << 16 |
                    (uint64_t)tail[3] << 24;
    else if (!x->gz && size >= 0)
        x->stored = (uint64_t)size;
    fclose(p);
    if (size < 0) return lb_fail(err, LB_ERR_IO, "%s: cannot determine the file size", path);

    x->f = gzopen(path, "rb");
    if (!x->f) return lb_fail(err, LB_ERR_IO, "%s: cannot open", path);
    gzbuffer(x->f, 256 * 1024);
    unsigned char head[16];
    size_t want = 4 * (size_t)(nwords + 1);
    int64_t got = gz_read_n(x->f, head, want);
    if (got < 0)
        st = lb_fail(err, LB_ERR_DATA, "%s: corrupt gzip data (%s)", path, gz_msg(x->f));
    else if ((size_t)got != want)
        st = lb_fail(err, LB_ERR_DATA, "%s: truncated: the IDX header needs %zu bytes, got %lld",
                     path, want, (long long)got);
    else if (be32(head) != magic)
        st = lb_fail(err, LB_ERR_DATA, "%s: bad IDX magic 0x%08x (expected 0x%08x for %s)", path,
                     be32(head), magic, magic == IDX_IMAGES_MAGIC ? "images" : "labels");
    if (st) {
        gzclose(x->f);
        x->f = NULL;
        return st;
    }
    for (int i = 0; i < nwords; i++)
        words[i] = be32(head + 4 * (i + 1));
    return LB_OK;
}

static void idx_close(idx_file *x)
{
    if (x->f) gzclose(x->f);
    x->f = NULL;
}

/* Check that the file holds exactly hdr + payload bytes; `what` names the payload. */
static lb_status idx_check_length(const idx_file *x, size_t hdr, uint64_t payload, const char *what,
                                  lb_error *err)
{
    uint64_t expect = hdr + payload, actual = x->stored;
    if (x->gz && x->stored != (expect & 0xffffffffu)) {
        /* ISIZE disagrees (truncated, trailing data, or several gzip members): count */
        gzFile f = gzopen(x->path, "rb");
        if (!f) return lb_fail(err, LB_ERR_IO, "%s: cannot open", x->path);
        unsigned char *buf = malloc(IDX_CHUNK);
        if (!buf) {
            gzclose(f);
            return lb_fail(err, LB_ERR_NOMEM, "%s: out of memory", x->path);
        }
        actual = 0;
        int r;
        while ((r = gzread(f, buf, (unsigned)IDX_CHUNK)) > 0)
            actual += (uint64_t)r;
        lb_status st = LB_OK;
        /* a stream cut short is reported as truncated below, not as a zlib error */
        if (r < 0 && actual >= expect)
            st = lb_fail(err, LB_ERR_DATA, "%s: corrupt gzip data (%s)", x->path, gz_msg(f));
        free(buf);
        gzclose(f);
        if (st) return st;
    }
    if (actual < expect)
        return lb_fail(err, LB_ERR_DATA, "%s: truncated: expected %llu %s bytes, got %llu", x->path,
                       (unsigned long long)payload, what,
                       (unsigned long long)(actual > hdr ? actual - hdr : 0));
    if (actual > expect)
        return lb_fail(err, LB_ERR_DATA,
                       "%s: %llu bytes after the %llu %s bytes the header announces", x->path,
                       (unsigned long long)(actual - expect), (unsigned long long)payload, what);
    return LB_OK;
}

/* x[i] = byte i / 255 for the total payload bytes of fi, through a 1 MiB buffer (no second
 * full-size copy of the pixels). */
static lb_status idx_read_pixels(idx_file *fi, float *x, size_t total, lb_error *err)
{
    unsigned char *buf = malloc(IDX_CHUNK);
    if (!buf) return lb_fail(err, LB_ERR_NOMEM, "%s: out of memory", fi->path);
    size_t done = 0;
    int64_t got = 0;
    while (done < total) {
        size_t want = total - done < IDX_CHUNK ? total - done : IDX_CHUNK;
        if ((got = gz_read_n(fi->f, buf, want)) <= 0) break;
        for (size_t i = 0; i < (size_t)got; i++)
            x[done + i] = buf[i] * (1.0f / 255.0f);
        done += (size_t)got;
    }
    free(buf);
    if (got < 0)
        return lb_fail(err, LB_ERR_DATA, "%s: corrupt gzip data (%s)", fi->path, gz_msg(fi->f));
    if (done != total) /* only if the file changed under us: the length was checked */
        return lb_fail(err, LB_ERR_DATA, "%s: truncated: expected %zu pixel bytes, got %zu",
                       fi->path, total, done);
    return LB_OK;
}

/* Read once past the payload so that zlib reaches the gzip trailer and checks its CRC-32
 * (a stream that inflates to the right length can still be corrupt). */
static lb_status idx_check_end(idx_file *fi, lb_error *err)
{
    unsigned char extra;
    int64_t r = gz_read_n(fi->f, &extra, 1);
    if (r < 0)
        return lb_fail(err, LB_ERR_DATA, "%s: corrupt gzip data (%s)", fi->path, gz_msg(fi->f));
    if (r > 0) return lb_fail(err, LB_ERR_DATA, "%s: bytes after the announced data", fi->path);
    return LB_OK;
}

lb_status lb_idx_load(lb_dataset *d, const char *images_path, const char *labels_path, int classes,
                      lb_error *err)
{
    if (!d || !images_path || !labels_path)
        return lb_fail(err, LB_ERR_ARG, "lb_idx_load: NULL argument");
    memset(d, 0, sizeof *d);
    if (classes < 1 || classes > 256)
        return lb_fail(err, LB_ERR_ARG, "%s: classes %d out of range [1, 256] for byte labels",
                       labels_path, classes);
    uint32_t iw[3] = {0}, lw[1] = {0};
    idx_file fi, fl;
    lb_status st = idx_open(&fi, images_path, IDX_IMAGES_MAGIC, 3, iw, err);
    if (st) return st;
    st = idx_open(&fl, labels_path, IDX_LABELS_MAGIC, 1, lw, err);
    if (st) {
        idx_close(&fi);
        return st;
    }
    unsigned char *lab = NULL;
    const uint32_t n = iw[0], rows = iw[1], cols = iw[2];
    if (n == 0 || n > INT32_MAX) {
        st = lb_fail(err, LB_ERR_DATA, "%s: header announces %u images (expected 1 to 2^31-1)",
                     images_path, n);
        goto done;
    }
    if (rows == 0 || cols == 0 || rows > IDX_MAX_SIDE || cols > IDX_MAX_SIDE) {
        st = lb_fail(err, LB_ERR_DATA, "%s: implausible image size %ux%u (expected 1 to %d)",
                     images_path, rows, cols, IDX_MAX_SIDE);
        goto done;
    }
    if (lw[0] != n) {
        st = lb_fail(err, LB_ERR_DATA, "%s: %u labels for %u images in %s", labels_path, lw[0], n,
                     images_path);
        goto done;
    }
    const size_t px = (size_t)rows * cols, total = (size_t)n * px;
    if ((st = idx_check_length(&fi, 16, total, "pixel", err))) goto done;
    if ((st = idx_check_length(&fl, 8, n, "label", err))) goto done;
    if ((st = lb_dataset_alloc(d, n, 1, (int)rows, (int)cols, classes, err))) goto done;
    lab = malloc(n);
    if (!lab) {
        st = lb_fail(err, LB_ERR_NOMEM, "%s: out of memory for %u labels", labels_path, n);
        goto done;
    }
    if ((st = idx_read_pixels(&fi, d->x, total, err))) goto done;
    int64_t got = gz_read_n(fl.f, lab, n);
    if (got < 0)
        st = lb_fail(err, LB_ERR_DATA, "%s: corrupt gzip data (%s)", labels_path, gz_msg(fl.f));
    else if (got != (int64_t)n)
        st = lb_fail(err, LB_ERR_DATA, "%s: truncated: expected %u label bytes, got %lld",
                     labels_path, n, (long long)got);
    if (!st) st = idx_check_end(&fi, err);
    if (!st) st = idx_check_end(&fl, err);
    for (uint32_t i = 0; !st && i < n; i++) {
        if (lab[i] >= classes)
            st = lb_fail(err, LB_ERR_DATA, "%s: label %u of example %u is out of range [0, %d)",
                         labels_path, lab[i], i, classes);
        d->y[i] = lab[i];
    }
done:
    free(lab);
    idx_close(&fi);
    idx_close(&fl);
    if (st) lb_dataset_free(d);
    return st;
}
