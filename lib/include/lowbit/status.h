/* lowbit/status.h — status codes returned by every liblowbit function.
 * The library never prints or exits; it returns an lb_status and, where a caller passes
 * an lb_error buffer, a one-line message naming the offending value. */
#ifndef LOWBIT_STATUS_H
#define LOWBIT_STATUS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lb_status {
    LB_OK = 0,
    LB_ERR_SPEC,        /* malformed or unknown format spec string */
    LB_ERR_ARG,         /* invalid argument (size, null pointer, out-of-range option) */
    LB_ERR_UNSUPPORTED, /* valid request the format does not support (e.g. encode > 16 bits) */
    LB_ERR_IO,          /* file could not be opened, read or written */
    LB_ERR_DATA,        /* file contents malformed (bad magic, truncated, label out of range) */
    LB_ERR_NOMEM        /* allocation failed */
} lb_status;

/* Human-readable name of a status code ("ok", "bad format spec", ...). Never NULL. */
const char *lb_status_str(lb_status s);

/* A caller-owned buffer for one-line error messages. */
#define LB_ERROR_LEN 256
typedef struct lb_error {
    char msg[LB_ERROR_LEN];
} lb_error;

/* Formats msg into err (if err is non-NULL) and returns s; for library internals. */
lb_status lb_fail(lb_error *err, lb_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#ifdef __cplusplus
}
#endif
#endif
