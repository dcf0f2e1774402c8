/* core/status.c — status names and the error-message helper. */
#include <stdarg.h>
#include <stdio.h>

#include "lowbit/status.h"

const char *lb_status_str(lb_status s)
{
    switch (s) {
    case LB_OK:
        return "ok";
    case LB_ERR_SPEC:
        return "bad format spec";
    case LB_ERR_ARG:
        return "bad argument";
    case LB_ERR_UNSUPPORTED:
        return "unsupported";
    case LB_ERR_IO:
        return "i/o error";
    case LB_ERR_DATA:
        return "bad data";
    case LB_ERR_NOMEM:
        return "out of memory";
    }
    return "unknown status";
}

lb_status lb_fail(lb_error *err, lb_status s, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return s;
}
