/* tests/fuzz/fuzz_hdf5.c — the HDF5 data-set loader (lib/src/data/hdf5.c): the input is
 * written to a file and loaded with lb_hdf5_load. The seeds are valid and invalid files of the
 * layout of lowbit/data.h (tests/fuzz/make_corpus.py writes them with h5py); mutations reach
 * the attribute, rank, type, shape, count and label checks and the HDF5 library's own parser
 * (which is not instrumented: only lowbit's code guides the fuzzer). lb_hdf5_load runs itself
 * first in a forked child (lib/src/io/h5probe.h), so a file that crashes or hangs libhdf5 is an
 * error return here, as for the command; the coverage that guides the fuzzer is that of the
 * second, in-process load. Checked: no crash or sanitizer report, a one-line error on failure,
 * the contract of lowbit/data.h, and train and test shapes that agree. */
#include "fuzz_data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    char path[512];
    fuzz_write(fuzz_path(path, sizeof path, "data.h5"), data, size);
    lb_dataset tr, te;
    lb_error err = {{0}};
    lb_status st = lb_hdf5_load(&tr, &te, path, &err);
    fuzz_check_pair(&tr, &te, st, &err);
    return 0;
}
