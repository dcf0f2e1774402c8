/* tests/unit/test_rng.c — the counter-based generator of lowbit/rng.h:
 *  - known answers: lb_splitmix64 against the published SplitMix64 output, and lb_lowbias32 /
 *    lb_rng_u32 against this file's own implementation of the construction the header
 *    documents (so a silent change of the stream is caught);
 *  - determinism: a pure function of (seed, stream, step, index);
 *  - balance: each of the 32 output bits, over RNG_N indices (low and high index words), and
 *    the XOR of neighbouring indices' outputs, within RNG_SIGMAS binomial sigmas;
 *  - distinct (seed, stream, step) give distinct keys and unrelated streams (the XOR of two
 *    streams is balanced bit by bit);
 *  - lb_rng_uniform lies in [0, 1) on the 2^-24 grid, with a flat histogram.
 * Not a test of cryptographic quality. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "lowbit/rng.h"

#define RNG_SIGMAS 5.0       /* binomial bound: ~6e-7 false alarms per check */
#define RNG_N      (1 << 22) /* indices for the bit balance */
#define RNG_NPAIR  (1 << 16) /* indices per pair of streams */
#define RNG_BINS   64        /* histogram of lb_rng_uniform */

/* |count - n p| within RNG_SIGMAS binomial sigmas */
static int binomial_ok(double count, double n, double p)
{
    return fabs(count - n * p) <= RNG_SIGMAS * sqrt(n * p * (1 - p));
}

/* lowbias32 as documented in lowbit/rng.h (C. Wellons' hash prospector) */
static uint32_t ref_lowbias32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

/* the per-element draw as documented: h = lowbias32((index_lo * 0x9E3779B9) ^ k0) ^ k1,
 * h = lowbias32(h + index_hi) */
static uint32_t ref_u32(uint32_t k0, uint32_t k1, uint64_t index)
{
    uint32_t h = ref_lowbias32(((uint32_t)index * 0x9E3779B9u) ^ k0) ^ k1;
    return ref_lowbias32(h + (uint32_t)(index >> 32));
}

static void test_known_answers(void)
{
    /* SplitMix64 (Steele, Lea, Flood 2014; Vigna's splitmix64.c): the first outputs from
     * state 0 are e220a8397b1dcdaf, 6e789e6aa1b965f4, 06c45d188009454f. lb_splitmix64(x) is
     * the output for state x, and the state advances by the golden gamma. */
    const uint64_t gamma = 0x9E3779B97F4A7C15ull;
    CHECK(lb_splitmix64(0) == 0xe220a8397b1dcdafull, "splitmix64(0) = %016llx",
          (unsigned long long)lb_splitmix64(0));
    CHECK(lb_splitmix64(gamma) == 0x6e789e6aa1b965f4ull, "splitmix64(gamma) = %016llx",
          (unsigned long long)lb_splitmix64(gamma));
    CHECK(lb_splitmix64(2 * gamma) == 0x06c45d188009454full, "splitmix64(2 gamma) = %016llx",
          (unsigned long long)lb_splitmix64(2 * gamma));
    CHECK(lb_lowbias32(0) == 0, "lowbias32(0) = %08x", lb_lowbias32(0));
    uint64_t s = 1;
    for (int i = 0; i < 100000; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull; /* any inputs will do */
        uint32_t x = (uint32_t)(s >> 32);
        CHECK(lb_lowbias32(x) == ref_lowbias32(x), "lowbias32(%08x) = %08x, documented %08x", x,
              lb_lowbias32(x), ref_lowbias32(x));
        lb_rng_key k = lb_rng_make_key(s, s >> 7, s >> 13);
        uint64_t index = s ^ (s << 17);
        CHECK(lb_rng_u32(k, index) == ref_u32(k.k0, k.k1, index),
              "lb_rng_u32 differs from the documented construction at index %llu",
              (unsigned long long)index);
        float u = lb_rng_uniform(k, index);
        CHECK(u == (float)(ref_u32(k.k0, k.k1, index) >> 8) * 0x1p-24f,
              "lb_rng_uniform is not the top 24 bits of lb_rng_u32");
    }
}

static void test_determinism(void)
{
    for (uint64_t seed = 0; seed < 4; seed++) {
        lb_rng_key a = lb_rng_make_key(seed, 7, 11), b = lb_rng_make_key(seed, 7, 11);
        CHECK(a.k0 == b.k0 && a.k1 == b.k1, "key of (%llu, 7, 11) not reproducible",
              (unsigned long long)seed);
        for (uint64_t i = 0; i < 1000; i++)
            CHECK(lb_rng_u32(a, i * 977) == lb_rng_u32(b, i * 977), "draw not reproducible");
    }
}

/* Ones in each bit over n draws u(i) for i = base + t * stride. */
static void bit_balance(lb_rng_key k, uint64_t base, uint64_t stride, const char *what)
{
    long ones[32] = {0}, xones[32] = {0};
    uint32_t prev = lb_rng_u32(k, base);
    for (long t = 1; t <= RNG_N; t++) {
        uint32_t u = lb_rng_u32(k, base + (uint64_t)t * stride), x = u ^ prev;
        for (int b = 0; b < 32; b++) {
            ones[b] += (u >> b) & 1u;
            xones[b] += (x >> b) & 1u;
        }
        prev = u;
    }
    for (int b = 0; b < 32; b++) {
        CHECK(binomial_ok((double)ones[b], RNG_N, 0.5), "%s: bit %d is 1 in %ld of %d draws", what,
              b, ones[b], RNG_N);
        CHECK(binomial_ok((double)xones[b], RNG_N, 0.5),
              "%s: bit %d of u(i) ^ u(i+1) is 1 in %ld of %d", what, b, xones[b], RNG_N);
    }
}

static void test_balance(void)
{
    bit_balance(lb_rng_make_key(42, 9, 3), 0, 1, "consecutive indices");
    bit_balance(lb_rng_make_key(0, 0, 0), 0, 1, "key (0,0,0)");
    /* the high index word: indices 2^32 apart, and a stride of 2^32 */
    bit_balance(lb_rng_make_key(42, 9, 3), (uint64_t)5 << 32, 1, "indices above 2^32");
    bit_balance(lb_rng_make_key(42, 9, 3), 12345, (uint64_t)1 << 32, "stride 2^32");
}

static void test_distinct_keys(void)
{
    /* neighbouring and permuted (seed, stream, step) triples */
    static const uint64_t triples[][3] = {
        {0, 0, 0},   {1, 0, 0},  {0, 1, 0},          {0, 0, 1},          {1, 1, 0},
        {1, 0, 1},   {0, 1, 1},  {2, 0, 0},          {0, 2, 0},          {0, 0, 2},
        {1, 2, 3},   {3, 2, 1},  {2, 1, 3},          {42, 9, 3},         {42, 9, 4},
        {42, 10, 3}, {43, 9, 3}, {UINT64_MAX, 0, 0}, {0, UINT64_MAX, 0}, {0, 0, UINT64_MAX},
    };
    enum { T = sizeof triples / sizeof triples[0] };
    lb_rng_key k[T];
    for (int i = 0; i < T; i++)
        k[i] = lb_rng_make_key(triples[i][0], triples[i][1], triples[i][2]);
    for (int i = 0; i < T; i++)
        for (int j = 0; j < i; j++) {
            CHECK(k[i].k0 != k[j].k0 || k[i].k1 != k[j].k1, "keys %d and %d coincide", i, j);
            long equal = 0, ones[32] = {0};
            for (long t = 0; t < RNG_NPAIR; t++) {
                uint32_t a = lb_rng_u32(k[i], (uint64_t)t), b = lb_rng_u32(k[j], (uint64_t)t);
                equal += a == b;
                for (int bit = 0; bit < 32; bit++)
                    ones[bit] += ((a ^ b) >> bit) & 1u;
            }
            /* equal 32-bit words: expected RNG_NPAIR / 2^32, i.e. almost never */
            CHECK(equal <= 2, "streams of keys %d and %d agree at %ld of %d indices", i, j, equal,
                  RNG_NPAIR);
            for (int bit = 0; bit < 32; bit++)
                CHECK(binomial_ok((double)ones[bit], RNG_NPAIR, 0.5),
                      "streams %d and %d: bit %d agrees in %ld of %d", i, j, bit,
                      RNG_NPAIR - ones[bit], RNG_NPAIR);
        }
}

static void test_uniform(void)
{
    lb_rng_key k = lb_rng_make_key(7, 8, 9);
    long bins[RNG_BINS] = {0}, off_grid = 0, out = 0;
    double sum = 0;
    for (long i = 0; i < RNG_N; i++) {
        float u = lb_rng_uniform(k, (uint64_t)i);
        out += !(u >= 0.0f && u < 1.0f);
        off_grid += u * 0x1p24f != floorf(u * 0x1p24f);
        if (u >= 0.0f && u < 1.0f) bins[(int)(u * RNG_BINS)]++;
        sum += u;
    }
    CHECK(out == 0, "lb_rng_uniform outside [0, 1) %ld times", out);
    CHECK(off_grid == 0, "lb_rng_uniform off the 2^-24 grid %ld times", off_grid);
    for (int b = 0; b < RNG_BINS; b++)
        CHECK(binomial_ok((double)bins[b], RNG_N, 1.0 / RNG_BINS),
              "lb_rng_uniform: bin %d of %d holds %ld of %d", b, RNG_BINS, bins[b], RNG_N);
    double mean_sigma = sqrt(1.0 / 12 / RNG_N);
    CHECK(fabs(sum / RNG_N - 0.5) <= RNG_SIGMAS * mean_sigma, "lb_rng_uniform mean %.6f",
          sum / RNG_N);
    /* extremes are reachable in principle: 0 for u32 < 2^8, max 1 - 2^-24 */
    lb_rng_key z = {0, 0};
    CHECK(lb_rng_uniform(z, 0) == 0.0f, "u32 0 does not map to 0.0");
}

int main(void)
{
    test_known_answers();
    test_determinism();
    test_balance();
    test_distinct_keys();
    test_uniform();
    return lb_check_summary("test_rng");
}
