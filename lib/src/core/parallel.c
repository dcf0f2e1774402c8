/* core/parallel.c — fixed chunking of element ranges over OpenMP threads. Results never depend
 * on the thread count because kernels are element-wise and random bits are keyed by index. */
#include <string.h>

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

float lb_absmax_finite(const float *in, size_t n)
{
    /* compare magnitudes as signed integers (monotonic for non-negative floats; GCC 12
     * vectorises the signed max reduction but not the unsigned one) */
    int32_t m = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t u;
        memcpy(&u, &in[i], 4);
        u &= 0x7fffffff;
        u = u < 0x7f800000 ? u : 0;
        m = m > u ? m : u;
    }
    return lb_u2f((uint32_t)m);
}
