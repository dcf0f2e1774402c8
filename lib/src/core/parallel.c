/* core/parallel.c — fixed chunking of element ranges over OpenMP threads. Results never depend
 * on the thread count because kernels are element-wise and random bits are keyed by index. */
#include "formats/round_core.h"

void lb_parallel_range(lb_range_fn fn, void *arg, size_t n, int threads)
{
    if (threads <= 1) {
        fn(arg, 0, n);
        return;
    }
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int c = 0; c < threads; c++) {
        size_t lo, hi;
        lb_chunk(n, c, threads, &lo, &hi);
        if (lo < hi) fn(arg, lo, hi);
    }
}
