/* io/checkpoint.h — the training checkpoint file (written after every epoch, read by --resume).
 * Internal to the library.
 *
 * Layout (native little-endian; every byte covered by the trailing checksum):
 *   "LBCKPT02"                      8 bytes
 *   u32 L, fingerprint[L]           the run's configuration and data-set identity (text)
 *   i32 epochs_done, i32 first_step, u64 step
 *   u32 R (= epochs_done), R rows   of 8 float64 (lb_epoch_row, field by field)
 *   u64 C, C x u64                  accumulated counters (GEMM counts, histograms, ...)
 *   u32 A, A x (u64 n, n x f32)     arrays (parameters, optimizer state, model state)
 *   u32 CRC-32C of everything before it
 * Reading trusts nothing: the file size, the checksum, the fingerprint and every count and
 * range are checked against what the caller expects before anything is copied out. */
#ifndef LB_IO_CHECKPOINT_H
#define LB_IO_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "lowbit/results.h"
#include "lowbit/status.h"

#define LB_CKPT_MAX_ARRAYS 4

typedef struct lb_ckpt {
    /* what the run expects (set before reading; the same values when writing) */
    const char *fingerprint;
    int epochs;               /* epochs_done must lie in [0, epochs]; rows holds epochs rows */
    uint64_t steps_per_epoch; /* step must be epochs_done * steps_per_epoch */
    size_t ncounters;
    int narrays;
    struct {
        float *data;
        uint64_t n;
    } arrays[LB_CKPT_MAX_ARRAYS];
    /* the state (written, or filled in by reading) */
    int epochs_done, first_step;
    uint64_t step;
    lb_epoch_row *rows;
    uint64_t *counters;
} lb_ckpt;

/* Write atomically (temporary name, then rename). */
lb_status lb_ckpt_write(const char *path, const lb_ckpt *c, lb_error *err);
/* Read path into c (arrays, counters, rows, epochs_done, first_step, step). *found = 0 and
 * LB_OK if the file does not exist. LB_ERR_DATA (message naming the file and the problem) if it
 * is corrupt, truncated, out of range or from another configuration; c is then unchanged. */
lb_status lb_ckpt_read(const char *path, lb_ckpt *c, int *found, lb_error *err);

/* CRC-32C (Castagnoli, reflected, as iSCSI/ext4): crc of 0 bytes is 0; chain by passing the
 * previous value. */
uint32_t lb_crc32c(uint32_t crc, const void *data, size_t n);

#endif
