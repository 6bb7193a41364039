/* Error causes: formatting into caller-owned ts_error structs. */
#include "tracesync/common.h"

#include <stdio.h>
#include <string.h>

ts_status ts_error_setv(ts_error *err, ts_status code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    }
    return code;
}

ts_status ts_error_set(ts_error *err, ts_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ts_error_setv(err, code, fmt, ap);
    va_end(ap);
    return code;
}

ts_status ts_error_prefix(ts_error *err, const char *fmt, ...)
{
    if (!err) return TS_ERR_INTERNAL;
    char prefix[TS_ERROR_MSG_MAX];
    char old[TS_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t n = strlen(prefix);
    if (n > sizeof err->msg - 3) n = sizeof err->msg - 3;
    memcpy(err->msg, prefix, n);
    err->msg[n++] = ':';
    err->msg[n++] = ' ';
    size_t m = strlen(old);
    if (m > sizeof err->msg - 1 - n) m = sizeof err->msg - 1 - n;
    memcpy(err->msg + n, old, m);
    err->msg[n + m] = '\0';
    return err->code;
}

void ts_error_clear(ts_error *err)
{
    if (err) {
        err->code = TS_OK;
        err->msg[0] = '\0';
    }
}

const char *ts_status_name(ts_status s)
{
    switch (s) {
    case TS_OK:
        return "ok";
    case TS_ERR_IO:
        return "I/O error";
    case TS_ERR_FORMAT:
        return "format error";
    case TS_ERR_TRUNCATED:
        return "truncated input";
    case TS_ERR_UNSUPPORTED:
        return "unsupported";
    case TS_ERR_NOMEM:
        return "out of memory";
    case TS_ERR_ARG:
        return "bad argument";
    case TS_ERR_NOTFOUND:
        return "not found";
    case TS_ERR_INTERNAL:
        return "internal error";
    }
    return "unknown status";
}

const char *ts_version(void)
{
    return TRACESYNC_VERSION;
}
