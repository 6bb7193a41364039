/* tracesync: status codes, error causes and small shared types.
 *
 * Every fallible library function returns a ts_status (TS_OK = 0) and, when it
 * fails, fills the caller's ts_error with a human-readable cause naming the file,
 * byte offset or line involved.  The library never prints and never exits.
 */
#ifndef TRACESYNC_COMMON_H
#define TRACESYNC_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ts_status {
    TS_OK = 0,
    TS_ERR_IO = 1,        /* cannot open/read/write a file */
    TS_ERR_FORMAT = 2,    /* malformed input (metadata syntax, bad magic, ...) */
    TS_ERR_TRUNCATED = 3, /* input ends before the data it announces */
    TS_ERR_UNSUPPORTED = 4,
    TS_ERR_NOMEM = 5,
    TS_ERR_ARG = 6,      /* bad argument from the caller (or user) */
    TS_ERR_NOTFOUND = 7, /* no such trace / event / field */
    TS_ERR_INTERNAL = 8,
} ts_status;

#define TS_ERROR_MSG_MAX 1024

typedef struct ts_error {
    ts_status code;
    char msg[TS_ERROR_MSG_MAX];
} ts_error;

/* Record an error: formats msg into err (if err is not NULL) and returns code. */
ts_status ts_error_set(ts_error *err, ts_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
ts_status ts_error_setv(ts_error *err, ts_status code, const char *fmt, va_list ap);
/* Prefix an existing message ("<prefix>: <old message>"). Returns err->code. */
ts_status ts_error_prefix(ts_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ts_error_clear(ts_error *err);
const char *ts_status_name(ts_status s);

/* Library version. */
#define TRACESYNC_VERSION "0.1.0"
const char *ts_version(void);

#ifdef __cplusplus
}
#endif
#endif
