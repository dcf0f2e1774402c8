/* lowbit/info.h — build provenance and CPU/BLIS setup recorded in result files. */
#ifndef LOWBIT_INFO_H
#define LOWBIT_INFO_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

const char *lb_version(void);  /* "0.1.0" */
const char *lb_git_sha(void);  /* short SHA of the source tree at build time, or "unknown" */
const char *lb_compiler(void); /* compiler id and version */
/* sizeof the public struct named (e.g. "lb_format", "lb_mac"), 0 for an unknown name: language
 * bindings that mirror the layouts (python/lowbit/_lib.py) check theirs against it on load. */
size_t lb_abi_sizeof(const char *type_name);
/* Offset and size of one field of such a struct (0), or -1 for a struct or field it does not
 * list; and how many fields it lists for the struct. A binding checks every field it mirrors
 * and the count, so a field added, removed, reordered or resized in a header is caught on
 * load even when the struct's size stays the same. */
int lb_abi_field(const char *type_name, const char *field, size_t *offset, size_t *size);
int lb_abi_nfields(const char *type_name);

/* BLIS 0.9 picks kernels from the CPU id and falls back to slow generic kernels on CPUs it
 * does not know (on a Zen 5 machine it picked "generic", 3-4x slower sgemm). If BLIS_ARCH_TYPE is
 * unset, choose from the CPU's features (AVX-512F: 0 = skx; AVX2+FMA: 3 = haswell) and setenv it;
 * call before the first BLIS call. Returns a description such as "0 (skx, chosen by lowbit:
 * avx512f)" or "3 (from environment)". The returned string is static. */
const char *lb_blis_arch_setup(void);
/* The path of a data file shipped with lowbit (PWL tables, unit-cost tables):
 * <directory of the running executable>/../share/lowbit/<file>, which is where the build copies
 * them (build/share/lowbit/) and `cmake --install` puts them. 0 on success, -1 if the executable
 * cannot be located or out is too small. No path is compiled into the library. */
int lb_data_path(const char *file, char *out, size_t n);
/* The description of the last lb_blis_arch_setup() (or "not set up"). */
const char *lb_blis_arch(void);

#ifdef __cplusplus
}
#endif
#endif
