/* tests/fuzz/fuzz_seal.c — the seal of a result file (lb_results_verify of lowbit/results.h),
 * which every reader of a result file checks before libhdf5 sees a byte. The input is the
 * file. Checked against an independent CRC-32 (bitwise, here; the library uses zlib's):
 *   - a file that does not start with "lowbit-results 1\n" and 512 bytes is "not sealed" and
 *     passes; a file that does is "sealed";
 *   - a sealed file passes exactly when its 512-byte block is the one lowbit writes for the
 *     bytes after it: "lowbit-results 1\ncrc32 %08x\nsize %zu\n" with their CRC-32 and
 *     count, then NUL bytes (rendered here);
 *   - a refused file leaves a one-line message naming the path;
 *   - no crash or sanitizer report. */
#include "fuzz_util.h"

#include "lowbit/results.h"

static uint32_t crc32_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 16)) return 0;
    char path[512];
    fuzz_write(fuzz_path(path, sizeof path, "run.h5"), data, size);
    lb_error err = {{0}};
    int sealed = -1;
    lb_status st = lb_results_verify(path, &sealed, &err);
    const char magic[] = LB_RESULTS_SEAL_MAGIC "\n";
    const int has_seal = size >= LB_RESULTS_SEAL_BYTES && !memcmp(data, magic, sizeof magic - 1);
    FUZZ_CHECK(sealed == has_seal, "sealed = %d for a file that %s the seal's start", sealed,
               has_seal ? "has" : "lacks");
    if (st) {
        fuzz_check_error(err.msg, 1);
        FUZZ_CHECK(strstr(err.msg, path) != NULL, "the message does not name the file: %s",
                   err.msg);
        FUZZ_CHECK(has_seal, "an unsealed file was refused: %s", err.msg);
    }
    if (!has_seal) return 0;
    /* the one block lowbit writes for these bytes: sealed files pass exactly when they have it */
    const uint8_t *body = data + LB_RESULTS_SEAL_BYTES;
    const size_t n = size - LB_RESULTS_SEAL_BYTES;
    char want[LB_RESULTS_SEAL_BYTES] = {0};
    snprintf(want, sizeof want, LB_RESULTS_SEAL_MAGIC "\ncrc32 %08x\nsize %zu\n",
             (unsigned)crc32_bitwise(body, n), n);
    const int intact = !memcmp(want, data, LB_RESULTS_SEAL_BYTES);
    FUZZ_CHECK((st == LB_OK) == intact,
               "%s a sealed file whose block %s the one for its bytes (%s)",
               st ? "refused" : "accepted", intact ? "is" : "is not", st ? err.msg : "no error");
    return 0;
}
