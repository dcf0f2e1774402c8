/* lowbit/rng.h — counter-based random numbers.
 * Every random draw is a pure function of (seed, stream, step, index): no state, no globals,
 * no clock. Stochastic rounding keys stream = tensor id, so a result does not depend on the
 * thread count or on the order in which elements are processed.
 *
 * Construction: the 64-bit key (seed, stream, step) is mixed once per call with the splitmix64
 * finaliser into two 32-bit words k0, k1; each element then draws
 *     h = lowbias32((index_lo * 0x9E3779B9) ^ k0) ^ k1, h = lowbias32(h + index_hi)
 * where lowbias32 is C. Wellons' 32-bit integer hash (x ^= x>>16; x *= 0x7feb352d;
 * x ^= x>>15; x *= 0x846ca68b; x ^= x>>16), a bijection with low avalanche bias. This is not a
 * cryptographic generator; it is tested for uniformity of the bits stochastic rounding uses. */
#ifndef LOWBIT_RNG_H
#define LOWBIT_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lb_rng_key {
    uint32_t k0, k1;
} lb_rng_key;

static inline uint64_t lb_splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static inline uint32_t lb_lowbias32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

/* Key for one (seed, stream, step) triple. */
static inline lb_rng_key lb_rng_make_key(uint64_t seed, uint64_t stream, uint64_t step)
{
    uint64_t h = lb_splitmix64(seed);
    h = lb_splitmix64(h ^ stream);
    h = lb_splitmix64(h ^ step);
    lb_rng_key k = {(uint32_t)h, (uint32_t)(h >> 32)};
    return k;
}

/* 32 uniform bits for element `index` under key k. */
static inline uint32_t lb_rng_u32(lb_rng_key k, uint64_t index)
{
    uint32_t h = lb_lowbias32(((uint32_t)index * 0x9E3779B9u) ^ k.k0) ^ k.k1;
    return lb_lowbias32(h + (uint32_t)(index >> 32));
}

/* Uniform float in [0, 1) with 24 random bits. */
static inline float lb_rng_uniform(lb_rng_key k, uint64_t index)
{
    return (float)(lb_rng_u32(k, index) >> 8) * 0x1p-24f;
}

#ifdef __cplusplus
}
#endif
#endif
