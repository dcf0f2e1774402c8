/* core/info.c — build provenance and the BLIS kernel choice (see lowbit/info.h). */
#define _POSIX_C_SOURCE 200112L
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lb_gitsha.h" /* generated at build time: LB_GIT_SHA */
#include "lowbit/data.h"
#include "lowbit/energy.h"
#include "lowbit/format.h"
#include "lowbit/gemm.h"
#include "lowbit/info.h"
#include "lowbit/lnsadd.h"
#include "lowbit/results.h"
#include "lowbit/status.h"

#ifndef LB_VERSION
#define LB_VERSION "0.0.0"
#endif
#ifndef LB_GIT_SHA
#define LB_GIT_SHA "unknown"
#endif
#ifndef LB_COMPILER
#define LB_COMPILER "unknown"
#endif

const char *lb_version(void)
{
    return LB_VERSION;
}
const char *lb_git_sha(void)
{
    return LB_GIT_SHA;
}
const char *lb_compiler(void)
{
    return LB_COMPILER;
}

static char blis_desc[128] = "not set up";

const char *lb_blis_arch_setup(void)
{
    const char *env = getenv("BLIS_ARCH_TYPE");
    if (env) {
        snprintf(blis_desc, sizeof blis_desc, "%s (from environment BLIS_ARCH_TYPE)",
                 *env ? env : "0");
        return blis_desc;
    }
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
        setenv("BLIS_ARCH_TYPE", "0", 1);
        snprintf(blis_desc, sizeof blis_desc, "0 (skx kernels, chosen by lowbit: cpu has avx512f)");
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        setenv("BLIS_ARCH_TYPE", "3", 1);
        snprintf(blis_desc, sizeof blis_desc,
                 "3 (haswell kernels, chosen by lowbit: cpu has avx2+fma)");
    } else
        snprintf(blis_desc, sizeof blis_desc, "unset (BLIS chooses; cpu has no avx2)");
#else
    snprintf(blis_desc, sizeof blis_desc, "unset (BLIS chooses)");
#endif
    return blis_desc;
}

const char *lb_blis_arch(void)
{
    return blis_desc;
}

int lb_data_path(const char *file, char *out, size_t n)
{
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) return -1;
    exe[len] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash) return -1;
    *slash = 0;
    int w = snprintf(out, n, "%s/../share/lowbit/%s", exe, file);
    return (w < 0 || (size_t)w >= n) ? -1 : 0;
}

/* Every field of the public structs that python/lowbit/_lib.py mirrors, for lb_abi_field. */
// clang-format off
#define LB_ABI_FIELDS(F) \
    F(lb_error, msg) \
    F(lb_format, family) F(lb_format, name) F(lb_format, bits) F(lb_format, round) \
    F(lb_format, srbits) F(lb_format, scale) F(lb_format, p) \
    F(lb_qctx, seed) F(lb_qctx, tensor_id) F(lb_qctx, step) F(lb_qctx, round_override) \
    F(lb_qctx, threads) F(lb_qctx, ndim) F(lb_qctx, axis) F(lb_qctx, dims) \
    F(lb_qctx, scales_in) F(lb_qctx, scales_out) \
    F(lb_format_info, bits) F(lb_format_info, max) F(lb_format_info, min_pos) \
    F(lb_format_info, min_normal) F(lb_format_info, precision) \
    F(lb_format_info, precision_absolute) F(lb_format_info, scaled) F(lb_format_info, block) \
    F(lb_format_info, scale_bits) F(lb_format_info, bits_per_element) \
    F(lb_format_info, has_inf) F(lb_format_info, has_nan) F(lb_format_info, signed_zero) \
    F(lb_format_info, overflow) F(lb_format_info, next_above_max) \
    F(lb_format_info, log_rounding) F(lb_format_info, encodable) \
    F(lb_format_info, description) \
    F(lb_registry_entry, name) F(lb_registry_entry, family) F(lb_registry_entry, params) \
    F(lb_registry_entry, description) \
    F(lb_mac_model, kind) F(lb_mac_model, e) F(lb_mac_model, m) F(lb_mac_model, bits) \
    F(lb_mac_model, frac) F(lb_mac_model, group) F(lb_mac_model, gbits) F(lb_mac_model, acc) \
    F(lb_mac_model, gacc) F(lb_mac_model, table) F(lb_mac_model, acc_e) F(lb_mac_model, acc_m) \
    F(lb_mac_model, promote) F(lb_mac_model, kahan) \
    F(lb_mac, kind) F(lb_mac, e) F(lb_mac, m) F(lb_mac, bits) F(lb_mac, frac) F(lb_mac, group) \
    F(lb_mac, gbits) F(lb_mac, acc_bits) F(lb_mac, gacc) F(lb_mac, table) F(lb_mac, acc_e) \
    F(lb_mac, acc_m) F(lb_mac, promote) F(lb_mac, kahan) F(lb_mac, k) F(lb_mac, name) \
    F(lb_mac_cost, energy_pj) F(lb_mac_cost, area_um2) F(lb_mac_cost, mult_pj) \
    F(lb_mac_cost, add_pj) F(lb_mac_cost, other_pj) \
    F(lb_gemm_call, pass) F(lb_gemm_call, ta) F(lb_gemm_call, tb) F(lb_gemm_call, M) \
    F(lb_gemm_call, N) F(lb_gemm_call, K) F(lb_gemm_call, alpha) F(lb_gemm_call, A) \
    F(lb_gemm_call, B) F(lb_gemm_call, beta) F(lb_gemm_call, C) \
    F(lb_gemm_stats, calls) F(lb_gemm_stats, macs) F(lb_gemm_stats, overflows) \
    F(lb_gemm_stats, underflows) \
    F(lb_lns_adder, frac) F(lb_lns_adder, n) F(lb_lns_adder, maxlog) F(lb_lns_adder, approx) \
    F(lb_lns_adder, dp) F(lb_lns_adder, dm) \
    F(lb_op_row, layer) F(lb_op_row, pass) F(lb_op_row, macs) F(lb_op_row, fmt_a) \
    F(lb_op_row, fmt_b) F(lb_op_row, bytes_a) F(lb_op_row, bytes_b) F(lb_op_row, bytes_out) \
    F(lb_op_row, batch) \
    F(lb_energy_row, layer) F(lb_energy_row, pass) F(lb_energy_row, mac) \
    F(lb_energy_row, macs) F(lb_energy_row, mac_pj) F(lb_energy_row, compute_pj) \
    F(lb_energy_row, memory_pj) F(lb_energy_row, m) F(lb_energy_row, n) F(lb_energy_row, k) \
    F(lb_energy_row, tile_m) F(lb_energy_row, tile_n) F(lb_energy_row, bits_a) \
    F(lb_energy_row, bits_b) \
    F(lb_energy_opts, w_fmt) F(lb_energy_opts, a_fmt) F(lb_energy_opts, e_fmt) \
    F(lb_energy_opts, datapath) F(lb_energy_opts, acc_bits) F(lb_energy_opts, fp_acc) \
    F(lb_energy_opts, buffer_bytes)
// clang-format on

int lb_abi_field(const char *type_name, const char *field, size_t *offset, size_t *size)
{
    if (!type_name || !field) return -1;
#define LB_ABI_F(t, f)                                                                             \
    if (!strcmp(type_name, #t) && !strcmp(field, #f)) {                                            \
        if (offset) *offset = offsetof(t, f);                                                      \
        if (size) *size = sizeof(((t *)0)->f);                                                     \
        return 0;                                                                                  \
    }
    LB_ABI_FIELDS(LB_ABI_F)
#undef LB_ABI_F
    return -1;
}

int lb_abi_nfields(const char *type_name)
{
    int n = 0;
#define LB_ABI_N(t, f) n += type_name && !strcmp(type_name, #t);
    LB_ABI_FIELDS(LB_ABI_N)
#undef LB_ABI_N
    return n;
}

size_t lb_abi_sizeof(const char *type_name)
{
#define LB_ABI(t)                                                                                  \
    if (type_name && !strcmp(type_name, #t)) return sizeof(t);
    LB_ABI(lb_error)
    LB_ABI(lb_format)
    LB_ABI(lb_qctx)
    LB_ABI(lb_format_info)
    LB_ABI(lb_registry_entry)
    LB_ABI(lb_mac_model)
    LB_ABI(lb_mac)
    LB_ABI(lb_mac_cost)
    LB_ABI(lb_gemm_call)
    LB_ABI(lb_gemm_stats)
    LB_ABI(lb_lns_adder)
    LB_ABI(lb_op_row)
    LB_ABI(lb_energy_row)
    LB_ABI(lb_energy_opts)
#undef LB_ABI
    return 0;
}
