/* core/info.c — build provenance and the BLIS kernel choice (see lowbit/info.h). */
#define _POSIX_C_SOURCE 200112L
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
