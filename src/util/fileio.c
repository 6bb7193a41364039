/* Small file helpers. */
#include "util/fileio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ts_status ts_read_file(const char *path, uint8_t **data, size_t *len, ts_error *err)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return ts_error_set(err, TS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap + 1);
    if (!buf) {
        fclose(f);
        return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    }
    for (;;) {
        if (n == cap) {
            cap *= 2;
            uint8_t *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                return ts_error_set(err, TS_ERR_NOMEM, "out of memory reading %s", path);
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return ts_error_set(err, TS_ERR_IO, "%s: read error", path);
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return TS_OK;
}

ts_status ts_write_file(const char *path, const void *data, size_t len, ts_error *err)
{
    FILE *f = fopen(path, "wb");
    if (!f) return ts_error_set(err, TS_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    size_t w = fwrite(data, 1, len, f);
    int bad = (w != len) | (fclose(f) != 0);
    if (bad) return ts_error_set(err, TS_ERR_IO, "%s: write error", path);
    return TS_OK;
}
