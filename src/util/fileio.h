/* Small file helpers (internal). */
#ifndef TS_UTIL_FILEIO_H
#define TS_UTIL_FILEIO_H

#include "tracesync/common.h"

/* Read a whole file into a malloc'd buffer (NUL-terminated, *len excludes the NUL). */
ts_status ts_read_file(const char *path, uint8_t **data, size_t *len, ts_error *err);
/* Write a buffer to a file (created or truncated). */
ts_status ts_write_file(const char *path, const void *data, size_t len, ts_error *err);

#endif
