/* cli/cmd_gemm_err.c — `lowbit gemm-err`: the error of one GEMM kernel against an exact sum.
 *   lowbit gemm-err --gemm SPEC --m M --n N --k K [--seed S] [--dist normal|positive]
 *                   [--operands FORMAT] [--csv]
 * A (M,K) and B (K,N) are drawn from the counter-based generator (lowbit/rng.h) keyed by the
 * seed: `normal` N(0,1) entries (Box-Muller; dot products grow like sqrt(K)), `positive`
 * U[0,1) entries (every product >= 0, the sum grows like K: the case where a narrow
 * accumulator swamps). --operands quantizes A and B to a format (round to nearest; the
 * kernel and the reference see the same values), as training quantizes a GEMM's operands.
 * The reference: each output's K products (exact in double for float operands) summed in
 * double, in order; its own error, at most about K·2^-53 relative to the sum of magnitudes, is
 * far below anything reported here. One row (CSV with a header under --csv, else
 * key: value lines):
 *   gemm (canonical spec), m, n, k, seed, dist, operands,
 *   rel_err   ||C - C_ref||_F / ||C_ref||_F      (C: the kernel's float output)
 *   max_err   max |C - C_ref| / max |C_ref|
 *   macs, swamped (the kernel's underflow count: for fpacc, additions that left the sum
 *   unchanged), swamped_frac = swamped / macs, overflows.
 * Bad usage or input: exit 2 with one line. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lowbit/format.h"
#include "lowbit/gemm.h"
#include "lowbit/rng.h"

enum { DIST_NORMAL, DIST_POSITIVE };

/* Uniform in [0, 1) with 53 random bits: element i of stream `stream`. */
static double unif(uint64_t seed, uint64_t stream, uint64_t i)
{
    lb_rng_key k = lb_rng_make_key(seed, stream, 0);
    uint64_t hi = lb_rng_u32(k, 2 * i) >> 6, lo = lb_rng_u32(k, 2 * i + 1) >> 5;
    return (double)((hi << 27) | lo) * 0x1p-53;
}

static void draw(float *x, size_t n, uint64_t seed, uint64_t stream, int dist)
{
    for (size_t i = 0; i < n; i++) {
        double u = unif(seed, stream, i);
        if (dist == DIST_POSITIVE) {
            x[i] = (float)u;
            continue;
        }
        double v = unif(seed, stream + 2, i); /* Box-Muller, one value per pair */
        x[i] = (float)(sqrt(-2.0 * log1p(-u)) * cos(6.283185307179586 * v));
    }
}

int lb_cmd_gemm_err(int argc, char **argv)
{
    const char *spec = NULL, *operands = NULL;
    int M = 0, N = 0, K = 0, seed = 1, dist = DIST_NORMAL, csv = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--csv")) {
            csv = 1;
            continue;
        }
        if (i + 1 >= argc || strncmp(a, "--", 2))
            return lb_cli_error("gemm-err: option %s needs a value (or is unknown)", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--gemm"))
            spec = v;
        else if (!strcmp(a, "--operands"))
            operands = v;
        else if (!strcmp(a, "--m")) {
            if (lb_cli_parse_int("gemm-err: --m", v, 1, 4096, &M)) return LB_EXIT_USAGE;
        } else if (!strcmp(a, "--n")) {
            if (lb_cli_parse_int("gemm-err: --n", v, 1, 4096, &N)) return LB_EXIT_USAGE;
        } else if (!strcmp(a, "--k")) {
            if (lb_cli_parse_int("gemm-err: --k", v, 1, 1 << 20, &K)) return LB_EXIT_USAGE;
        } else if (!strcmp(a, "--seed")) {
            if (lb_cli_parse_int("gemm-err: --seed", v, 0, 1 << 30, &seed)) return LB_EXIT_USAGE;
        } else if (!strcmp(a, "--dist")) {
            if (!strcmp(v, "normal"))
                dist = DIST_NORMAL;
            else if (!strcmp(v, "positive"))
                dist = DIST_POSITIVE;
            else
                return lb_cli_error("gemm-err: --dist '%s' (accepted: normal, positive)", v);
        } else
            return lb_cli_error("gemm-err: unknown option %s (--gemm --m --n --k --seed --dist "
                                "--operands --csv)",
                                a);
    }
    if (!spec || !M || !N || !K)
        return lb_cli_error("gemm-err: --gemm SPEC, --m, --n and --k are required");
    if ((double)M * N * K > 1e10)
        return lb_cli_error("gemm-err: M·N·K = %.3g products, more than 1e10", (double)M * N * K);
    lb_error err;
    lb_format f;
    if (operands && lb_format_parse(&f, operands, &err))
        return lb_cli_error("gemm-err: --operands: %s", err.msg);
    lb_gemm_kernel *kern;
    if (lb_gemm_create(&kern, spec, &err)) return lb_cli_error("gemm-err: --gemm: %s", err.msg);
    float *A = malloc((size_t)M * K * sizeof *A), *B = malloc((size_t)K * N * sizeof *B),
          *C = malloc((size_t)M * N * sizeof *C);
    if (!A || !B || !C) {
        free(A), free(B), free(C);
        lb_gemm_destroy(kern);
        fprintf(stderr, "lowbit: gemm-err: out of memory\n");
        return 1;
    }
    draw(A, (size_t)M * K, (uint64_t)seed, 0, dist);
    draw(B, (size_t)K * N, (uint64_t)seed, 1, dist);
    lb_status qs = LB_OK;
    if (operands && !(qs = lb_quantize(&f, A, A, (size_t)M * K, NULL)))
        qs = lb_quantize(&f, B, B, (size_t)K * N, NULL);
    if (qs) {
        free(A), free(B), free(C);
        lb_gemm_destroy(kern);
        return lb_cli_error("gemm-err: --operands %s: %s", operands, lb_status_str(qs));
    }
    lb_gemm_call call = {LB_PASS_FORWARD, 0, 0, M, N, K, 1.0f, A, B, 0.0f, C};
    lb_status st = lb_gemm_run(kern, &call);
    if (st) {
        free(A), free(B), free(C);
        lb_gemm_destroy(kern);
        fprintf(stderr, "lowbit: gemm-err: the kernel failed: %s\n", lb_status_str(st));
        return 1;
    }
    lb_gemm_stats s;
    lb_gemm_get_stats(kern, &s);
    double num = 0, den = 0, emax = 0, rmax = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double r = 0;
            for (int k = 0; k < K; k++)
                r += (double)A[(size_t)i * K + k] * B[(size_t)k * N + j];
            double d = C[(size_t)i * N + j] - r;
            num += d * d, den += r * r;
            emax = fabs(d) > emax ? fabs(d) : emax;
            rmax = fabs(r) > rmax ? fabs(r) : rmax;
        }
    double rel = den > 0 ? sqrt(num / den) : (num > 0 ? INFINITY : 0),
           mx = rmax > 0 ? emax / rmax : (emax > 0 ? INFINITY : 0);
    const char *dn = dist == DIST_NORMAL ? "normal" : "positive";
    if (csv) {
        printf("gemm,m,n,k,seed,dist,operands,rel_err,max_err,macs,swamped,swamped_frac,"
               "overflows\n");
        lb_cli_csv_field(stdout, lb_gemm_spec(kern));
        printf(",%d,%d,%d,%d,%s,", M, N, K, seed, dn);
        lb_cli_csv_field(stdout, operands ? operands : "fp32");
        printf(",%.9g,%.9g,%llu,%llu,%.9g,%llu\n", rel, mx, (unsigned long long)s.macs,
               (unsigned long long)s.underflows, s.macs ? (double)s.underflows / s.macs : 0.0,
               (unsigned long long)s.overflows);
    } else
        printf("gemm: %s\nshape: %d x %d x %d (seed %d, %s, operands %s)\nrel_err: %.6g\n"
               "max_err: %.6g\nswamped: %llu of %llu products\noverflows: %llu\n",
               lb_gemm_spec(kern), M, N, K, seed, dn, operands ? operands : "fp32", rel, mx,
               (unsigned long long)s.underflows, (unsigned long long)s.macs,
               (unsigned long long)s.overflows);
    free(A), free(B), free(C);
    lb_gemm_destroy(kern);
    return 0;
}
