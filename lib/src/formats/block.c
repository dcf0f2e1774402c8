/* formats/block.c — block layout and the two block passes of the block-scaled families. */
#include <math.h>

#include "formats/block.h"

lb_status lb_blocks_get(const lb_qctx *ctx, size_t n, int block, int flat, lb_blocks *bl,
                        lb_error *err)
{
    lb_chan_layout lay;
    lb_status st = lb_chan_layout_get(ctx, n, &lay, err);
    if (st) return st;
    int shaped = ctx && ctx->ndim && !flat;
    bl->A = shaped ? lay.nch : (int64_t)n;
    bl->inner = shaped ? lay.inner : 1;
    bl->outer = (bl->A && bl->inner) ? (int64_t)n / (bl->A * bl->inner) : 0;
    bl->B = block <= 0 || block > bl->A ? bl->A : block;
    bl->nba = bl->B ? (bl->A + bl->B - 1) / bl->B : 0;
    bl->nblocks = (size_t)(bl->outer * bl->nba * bl->inner);
    return LB_OK;
}

/* The loops walk (o, block along A, a in block, j) so the innermost loop is contiguous. */
void lb_blocks_absmax(const lb_blocks *bl, const float *in, float *amax, unsigned char *bad)
{
    const int64_t A = bl->A, I = bl->inner, B = bl->B;
    for (size_t b = 0; b < bl->nblocks; b++) {
        amax[b] = 0.0f;
        if (bad) bad[b] = 0;
    }
    for (int64_t o = 0; o < bl->outer; o++)
        for (int64_t k = 0; k < bl->nba; k++) {
            float *am = amax + (o * bl->nba + k) * I;
            unsigned char *bd = bad ? bad + (o * bl->nba + k) * I : NULL;
            int64_t a1 = (k + 1) * B < A ? (k + 1) * B : A;
            for (int64_t a = k * B; a < a1; a++) {
                const float *x = in + (o * A + a) * I;
                /* magnitudes compared as integers (the bit patterns of non-negative floats
                 * order like the values; >= 0x7f800000 is inf or NaN): vectorises */
                if (I == 1) { /* flat blocks: one run over the block */
                    const uint32_t *xb = (const uint32_t *)(const void *)x;
                    uint32_t m = 0, nf = 0;
                    for (int64_t t = 0; t < a1 - a; t++) {
                        uint32_t v = xb[t] & 0x7fffffffu;
                        uint32_t fin = v < 0x7f800000u;
                        nf |= !fin;
                        v = fin ? v : 0u;
                        m = v > m ? v : m;
                    }
                    am[0] = lb_u2f(m);
                    if (bd && nf) bd[0] = 1;
                    break;
                }
                for (int64_t j = 0; j < I; j++) {
                    float v = fabsf(x[j]);
                    int fin = v <= 3.402823466e38f; /* false for inf and NaN */
                    am[j] = fin && v > am[j] ? v : am[j];
                    if (bd && !fin) bd[j] = 1;
                }
            }
        }
}

/* out[i] = in[i] * or / s[block of i]; `divide` is a constant at both call sites, so each
 * gets its own vectorised loops. */
static inline __attribute__((always_inline)) void
blocks_apply(const lb_blocks *bl, float *out, const float *in, const float *s, const int divide)
{
    const int64_t A = bl->A, I = bl->inner, B = bl->B;
    for (int64_t o = 0; o < bl->outer; o++)
        for (int64_t k = 0; k < bl->nba; k++) {
            const float *sb = s + (o * bl->nba + k) * I;
            int64_t a1 = (k + 1) * B < A ? (k + 1) * B : A;
            if (I == 1) { /* flat blocks: one run */
                const float v = sb[0];
                size_t i0 = (size_t)(o * A + k * B), len = (size_t)(a1 - k * B);
                for (size_t t = 0; t < len; t++)
                    out[i0 + t] = divide ? in[i0 + t] / v : in[i0 + t] * v;
                continue;
            }
            for (int64_t a = k * B; a < a1; a++) {
                size_t i0 = (size_t)((o * A + a) * I);
                for (int64_t j = 0; j < I; j++)
                    out[i0 + j] = divide ? in[i0 + j] / sb[j] : in[i0 + j] * sb[j];
            }
        }
}

void lb_blocks_mul(const lb_blocks *bl, float *out, const float *in, const float *mult)
{
    blocks_apply(bl, out, in, mult, 0);
}

void lb_blocks_div(const lb_blocks *bl, float *out, const float *in, const float *div)
{
    blocks_apply(bl, out, in, div, 1);
}
