/* io/checkpoint.c — the training checkpoint (layout and checks in io/checkpoint.h). */
#define _POSIX_C_SOURCE 200809L
#include "io/checkpoint.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC     "LBCKPT02"
#define ROW_BYTES (8 * sizeof(double))

/* ---- CRC-32C, slice-by-8 (polynomial 0x82F63B78 reflected) ------------------------------- */
static uint32_t crc_tab[8][256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_tab[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^ crc_tab[0][crc_tab[t - 1][i] & 0xff];
}

uint32_t lb_crc32c(uint32_t crc, const void *data, size_t n)
{
    static int ready; /* the table is a pure function of the polynomial: a race writes the same */
    if (!ready) crc_init(), ready = 1;
    const unsigned char *p = data;
    crc = ~crc;
    for (; n >= 8; n -= 8, p += 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                             (uint32_t)p[3] << 24);
        crc = crc_tab[7][lo & 0xff] ^ crc_tab[6][(lo >> 8) & 0xff] ^ crc_tab[5][(lo >> 16) & 0xff] ^
              crc_tab[4][lo >> 24] ^ crc_tab[3][p[4]] ^ crc_tab[2][p[5]] ^ crc_tab[1][p[6]] ^
              crc_tab[0][p[7]];
    }
    while (n--)
        crc = (crc >> 8) ^ crc_tab[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

/* ---- writing ----------------------------------------------------------------------------- */

typedef struct wbuf {
    FILE *f;
    uint32_t crc;
    int ok;
} wbuf;

static void put(wbuf *w, const void *p, size_t n)
{
    if (!w->ok || !n) return;
    w->ok = fwrite(p, 1, n, w->f) == n;
    w->crc = lb_crc32c(w->crc, p, n);
}

static void put_row(wbuf *w, const lb_epoch_row *r)
{
    const double v[8] = {r->epoch,    r->train_loss, r->train_acc,      r->test_loss,
                         r->test_acc, r->seconds,    r->update_rel_err, r->update_zero_frac};
    put(w, v, sizeof v);
}

lb_status lb_ckpt_write(const char *path, const lb_ckpt *c, lb_error *err)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return lb_fail(err, LB_ERR_ARG, "%s: path too long", path);
    wbuf w = {fopen(tmp, "wb"), 0, 1};
    if (!w.f) return lb_fail(err, LB_ERR_IO, "%s: cannot write checkpoint", tmp);
    uint32_t fl = (uint32_t)strlen(c->fingerprint), nrows = (uint32_t)c->epochs_done;
    int32_t ed = c->epochs_done, fs = c->first_step;
    uint64_t nc = c->ncounters;
    uint32_t na = (uint32_t)c->narrays;
    put(&w, MAGIC, 8);
    put(&w, &fl, 4);
    put(&w, c->fingerprint, fl);
    put(&w, &ed, 4);
    put(&w, &fs, 4);
    put(&w, &c->step, 8);
    put(&w, &nrows, 4);
    for (uint32_t i = 0; i < nrows; i++)
        put_row(&w, &c->rows[i]);
    put(&w, &nc, 8);
    put(&w, c->counters, nc * 8);
    put(&w, &na, 4);
    for (int a = 0; a < c->narrays; a++) {
        put(&w, &c->arrays[a].n, 8);
        put(&w, c->arrays[a].data, c->arrays[a].n * sizeof(float));
    }
    uint32_t crc = w.crc;
    w.ok = w.ok && fwrite(&crc, 4, 1, w.f) == 1;
    int ok = w.ok & (fclose(w.f) == 0);
    if (!ok || rename(tmp, path)) {
        unlink(tmp);
        return lb_fail(err, LB_ERR_IO, "%s: writing the checkpoint failed", path);
    }
    return LB_OK;
}

/* ---- reading ----------------------------------------------------------------------------- */

typedef struct rbuf {
    const unsigned char *p;
    size_t n, at;
} rbuf;

static int get(rbuf *r, void *out, size_t n)
{
    if (n > r->n - r->at) return -1;
    memcpy(out, r->p + r->at, n);
    r->at += n;
    return 0;
}

static lb_status bad(lb_error *err, const char *path, const char *what)
{
    return lb_fail(err, LB_ERR_DATA, "%s: checkpoint %s; delete it to start the run over", path,
                   what);
}

lb_status lb_ckpt_read(const char *path, lb_ckpt *c, int *found, lb_error *err)
{
    *found = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT) return LB_OK;
        return lb_fail(err, LB_ERR_IO, "%s: cannot read checkpoint (%s)", path, strerror(errno));
    }
    *found = 1;
    /* the largest file this run can have written */
    size_t fl = strlen(c->fingerprint),
           max = 8 + 4 + fl + 16 + 4 + (size_t)c->epochs * ROW_BYTES + 8 + c->ncounters * 8 + 4 + 4;
    for (int a = 0; a < c->narrays; a++)
        max += 8 + c->arrays[a].n * sizeof(float);
    struct stat sb;
    unsigned char *buf = NULL;
    lb_status st = LB_OK;
    if (fstat(fileno(f), &sb) || !S_ISREG(sb.st_mode))
        st = bad(err, path, "is not a regular file");
    else if ((uint64_t)sb.st_size < 8 + 4 + 4 || (uint64_t)sb.st_size > max)
        st = bad(err, path, "has the wrong size for this run (truncated, or another run's)");
    else if (!(buf = malloc((size_t)sb.st_size)))
        st = lb_fail(err, LB_ERR_NOMEM, "%s: out of memory reading the checkpoint", path);
    else if (fread(buf, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size)
        st = bad(err, path, "could not be read in full");
    fclose(f);
    if (st) {
        free(buf);
        return st;
    }
    size_t n = (size_t)sb.st_size - 4;
    uint32_t crc;
    memcpy(&crc, buf + n, 4);
    rbuf r = {buf, n, 0};
    char magic[8];
    uint32_t sfl = 0, nrows = 0, na = 0;
    int32_t ed = 0, fs = 0;
    uint64_t step = 0, nc = 0;
    if (get(&r, magic, 8) || memcmp(magic, MAGIC, 8))
        st = bad(err, path, "is not a lowbit checkpoint (bad magic)");
    else if (lb_crc32c(0, buf, n) != crc)
        st = bad(err, path, "checksum mismatch (the file is corrupt)");
    else if (get(&r, &sfl, 4) || sfl != fl || r.n - r.at < fl ||
             memcmp(r.p + r.at, c->fingerprint, fl))
        st = lb_fail(err, LB_ERR_ARG,
                     "%s: made with a different configuration or data set; delete it or match it",
                     path);
    else if ((r.at += fl, get(&r, &ed, 4)) || get(&r, &fs, 4) || get(&r, &step, 8) ||
             get(&r, &nrows, 4))
        st = bad(err, path, "is truncated");
    else if (ed < 0 || ed > c->epochs || (uint32_t)ed != nrows)
        st = bad(err, path, "has epochs_done out of range for this run");
    else if ((fs != 0 && fs != 1) || step != (uint64_t)ed * c->steps_per_epoch)
        st = bad(err, path, "has a step count inconsistent with epochs_done");
    lb_epoch_row *rows = NULL;
    if (!st && !(rows = calloc((size_t)nrows + 1, sizeof *rows)))
        st = lb_fail(err, LB_ERR_NOMEM, "%s: out of memory", path);
    for (uint32_t i = 0; !st && i < nrows; i++) {
        double v[8];
        if (get(&r, v, sizeof v)) {
            st = bad(err, path, "is truncated");
            break;
        }
        for (int k = 0; k < 8 && !st; k++)
            if (!isfinite(v[k])) st = bad(err, path, "has a non-finite epoch value");
        if (!st && v[0] != (double)(i + 1)) st = bad(err, path, "has epoch rows out of order");
        rows[i] = (lb_epoch_row){v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
    }
    if (!st && (get(&r, &nc, 8) || nc != c->ncounters))
        st = bad(err, path, "has the wrong number of counters for this run");
    size_t counters_at = r.at;
    if (!st && nc * 8 > r.n - r.at)
        st = bad(err, path, "is truncated");
    else if (!st)
        r.at += nc * 8;
    if (!st && (get(&r, &na, 4) || na != (uint32_t)c->narrays))
        st = bad(err, path, "has the wrong number of arrays for this run");
    size_t array_at[LB_CKPT_MAX_ARRAYS] = {0};
    for (int a = 0; !st && a < c->narrays; a++) {
        uint64_t an = 0;
        if (get(&r, &an, 8) || an != c->arrays[a].n)
            st = bad(err, path, "has an array of the wrong size for this run (another model?)");
        else if (an * sizeof(float) > r.n - r.at)
            st = bad(err, path, "is truncated");
        else
            array_at[a] = r.at, r.at += an * sizeof(float);
    }
    if (!st && r.at != r.n) st = bad(err, path, "has trailing bytes");
    if (!st) { /* everything checked: copy out */
        c->epochs_done = ed, c->first_step = fs, c->step = step;
        memcpy(c->rows, rows, (size_t)nrows * sizeof *rows);
        memcpy(c->counters, buf + counters_at, nc * 8);
        for (int a = 0; a < c->narrays; a++)
            memcpy(c->arrays[a].data, buf + array_at[a], c->arrays[a].n * sizeof(float));
    }
    free(rows);
    free(buf);
    return st;
}
