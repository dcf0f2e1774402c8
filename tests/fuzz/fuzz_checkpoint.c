/* tests/fuzz/fuzz_checkpoint.c — the training checkpoint reader (lb_ckpt_read,
 * lib/src/io/checkpoint.h): the input is written to a file and read with the expectations of
 * a small run (fingerprint "fuzz-run", 4 epochs of 3 steps, 3 counters, arrays of 16 and 5
 * floats). The file ends in a CRC-32C of everything before it, which random mutations almost
 * never keep right, so the first byte chooses: bit 0 set, the rest is the file without its
 * checksum and the harness appends the right one (mutations then reach every field check);
 * clear, the rest is the file as it is (the checksum check itself).
 * Checked: no crash or sanitizer report; a refused file leaves a one-line message and the
 * caller's state untouched (io/checkpoint.h: "c is then unchanged"); an accepted one has
 * epochs_done in [0, 4], step = 3 · epochs_done and epoch rows numbered 1..epochs_done. */
#include "fuzz_util.h"

#include "io/checkpoint.h"

#define EPOCHS 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 16)) return 0;
    char path[512];
    fuzz_path(path, sizeof path, "run.ckpt");
    if (data[0] & 1) {
        uint8_t *file = malloc(size + 3);
        if (!file) abort();
        memcpy(file, data + 1, size - 1);
        const uint32_t crc = lb_crc32c(0, data + 1, size - 1);
        memcpy(file + size - 1, &crc, 4); /* native little-endian, as the writer */
        fuzz_write(path, file, size + 3);
        free(file);
    } else
        fuzz_write(path, data + 1, size - 1);
    float a0[16], a1[5];
    lb_epoch_row rows[EPOCHS];
    uint64_t counters[3];
    memset(a0, 0x5a, sizeof a0), memset(a1, 0x5a, sizeof a1);
    memset(rows, 0x5a, sizeof rows), memset(counters, 0x5a, sizeof counters);
    lb_ckpt c;
    memset(&c, 0, sizeof c);
    c.fingerprint = "fuzz-run";
    c.epochs = EPOCHS, c.steps_per_epoch = 3, c.ncounters = 3, c.narrays = 2;
    c.arrays[0].data = a0, c.arrays[0].n = 16;
    c.arrays[1].data = a1, c.arrays[1].n = 5;
    c.rows = rows, c.counters = counters;
    c.epochs_done = -7, c.first_step = -7, c.step = 77;
    int found = 0;
    lb_error err = {{0}};
    lb_status st = lb_ckpt_read(path, &c, &found, &err);
    FUZZ_CHECK(found == 1, "the file exists");
    if (st) {
        fuzz_check_error(err.msg, 1);
        uint8_t canary[sizeof rows];
        memset(canary, 0x5a, sizeof canary);
        FUZZ_CHECK(c.epochs_done == -7 && c.first_step == -7 && c.step == 77 &&
                       !memcmp(a0, canary, sizeof a0) && !memcmp(a1, canary, sizeof a1) &&
                       !memcmp(rows, canary, sizeof rows) &&
                       !memcmp(counters, canary, sizeof counters),
                   "a refused checkpoint changed the caller's state (%s)", err.msg);
        return 0;
    }
    FUZZ_CHECK(c.epochs_done >= 0 && c.epochs_done <= EPOCHS &&
                   c.step == 3u * (uint64_t)c.epochs_done,
               "accepted epochs_done %d, step %llu", c.epochs_done, (unsigned long long)c.step);
    for (int i = 0; i < c.epochs_done; i++)
        FUZZ_CHECK(rows[i].epoch == i + 1, "row %d is epoch %g", i, rows[i].epoch);
    return 0;
}
