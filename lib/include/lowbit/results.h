/* lowbit/results.h — the HDF5 result file of one run (one file per training run).
 *
 * Layout (h5py reads it directly; documented in the README):
 *   /                  attributes: every setting of the run (strings, integers, doubles),
 *                      plus lowbit_version, git_sha, compiler, blis_arch, threads, command
 *   /epochs/<col>      1-D float64 datasets, one row per epoch:
 *                      epoch, train_loss, train_acc, test_loss, test_acc, seconds
 *   /ops/<col>         one row per (layer, pass) of ONE training iteration (one batch):
 *                      layer (string), pass (string: forward | backward_data | backward_weight),
 *                      macs (int64), fmt_a, fmt_b (strings: operand formats of the GEMM),
 *                      bytes_a, bytes_b, bytes_out (int64: operand and result sizes in bytes
 *                      at their stored formats' widths), batch (int64)
 *   /extra/<name>      optional 1-D float64 series an experiment adds (e.g. update errors)
 * The file is written to "<path>.tmp.<pid>" and renamed over <path>, so an interrupted run
 * never leaves a file that looks complete. Before the rename it is sealed: the HDF5 file
 * starts after a 512-byte user block (HDF5's own mechanism; libhdf5 and h5py skip it) that
 * holds, in text padded with NUL bytes,
 *   lowbit-results 1\n crc32 XXXXXXXX\n size N\n
 * the CRC-32 (zlib's polynomial: Python's zlib.crc32) of the N bytes after the user block.
 * Readers check the seal before they parse anything (lb_results_verify here,
 * experiments/scripts/lbio.py's open_results in the workflow). */
#ifndef LOWBIT_RESULTS_H
#define LOWBIT_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "lowbit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lb_results lb_results;

typedef struct lb_epoch_row {
    double epoch, train_loss, train_acc, test_loss, test_acc, seconds;
    /* stored low-precision weights (--weight-format): mean over the epoch's steps of the
     * relative error of the update that landed on the grid, and of the fraction of updates
     * that vanished; 0 with float32 weights */
    double update_rel_err, update_zero_frac;
} lb_epoch_row;

typedef struct lb_op_row {
    char layer[48];
    char pass[24];
    int64_t macs;
    char fmt_a[96], fmt_b[96];
    int64_t bytes_a, bytes_b, bytes_out, batch;
} lb_op_row;

lb_results *lb_results_new(void);
void lb_results_free(lb_results *r);

/* Root attributes; a key set twice keeps the last value. */
lb_status lb_results_set_str(lb_results *r, const char *key, const char *value);
lb_status lb_results_set_int(lb_results *r, const char *key, int64_t value);
lb_status lb_results_set_num(lb_results *r, const char *key, double value);

lb_status lb_results_add_epoch(lb_results *r, const lb_epoch_row *row);
lb_status lb_results_add_op(lb_results *r, const lb_op_row *row);
/* Append to /extra/<name> (created on first use). */
lb_status lb_results_add_extra(lb_results *r, const char *name, double value);

size_t lb_results_epoch_count(const lb_results *r);
const lb_epoch_row *lb_results_epoch(const lb_results *r, size_t i);

#define LB_RESULTS_SEAL_BYTES 512
#define LB_RESULTS_SEAL_MAGIC "lowbit-results 1"

/* Write atomically (temporary name, sealed, then rename). */
lb_status lb_results_write(const lb_results *r, const char *path, lb_error *err);

/* Check a result file's seal. A sealed file (*sealed = 1) whose bytes no longer match it, or
 * whose seal is damaged: LB_ERR_DATA "PATH: checksum mismatch (...): the file changed after
 * lowbit wrote it". A file without a seal (*sealed = 0: not written by lowbit, e.g. a
 * hand-made /ops table for `lowbit energy`) passes: callers that accept only lowbit's own
 * files check *sealed. LB_ERR_IO if it cannot be read. Reads the file once; parses nothing. */
lb_status lb_results_verify(const char *path, int *sealed, lb_error *err);

/* The two readers below check the seal first (lb_results_verify: a sealed file that changed is
 * LB_ERR_DATA; an unsealed one is read), then run in a forked child process: a file that
 * crashes or hangs the HDF5 library itself is LB_ERR_DATA ("PATH: corrupt HDF5 file: ..."),
 * see lb_hdf5_load. */
/* Read back a result file's epochs (for --resume and tests): fills r's epoch table and the
 * string/number attributes. */
lb_status lb_results_read(lb_results *r, const char *path, lb_error *err);
/* Read a result file's /ops table into a new array (*rows, *n; free() it). LB_ERR_IO for a
 * missing file, LB_ERR_DATA if it is not a lowbit result file or has no /ops. */
lb_status lb_results_read_ops(const char *path, lb_op_row **rows, size_t *n, lb_error *err);
/* Attribute lookup after read or set: NULL / 0 if absent. */
const char *lb_results_get_str(const lb_results *r, const char *key);
int lb_results_get_num(const lb_results *r, const char *key, double *value);

#ifdef __cplusplus
}
#endif
#endif
