/* Streaming output to a file, and CSV fields (see outfile.h). */
#include "report/outfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FLUSH_AT ((size_t)1 << 20)

ts_status ts_outfile_open(ts_outfile *o, const char *path, ts_error *err)
{
    memset(o, 0, sizeof *o);
    sb_init(&o->sb);
    o->path = strdup(path);
    if (!o->path) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    o->f = fopen(path, "w");
    if (!o->f) {
        int e = errno;
        free(o->path);
        o->path = NULL;
        return ts_error_set(err, TS_ERR_IO, "cannot write %s: %s", path, strerror(e));
    }
    return TS_OK;
}

ts_status ts_outfile_flush(ts_outfile *o, bool force, ts_error *err)
{
    if (o->sb.oom) return ts_error_set(err, TS_ERR_NOMEM, "%s: out of memory", o->path);
    if (!force && o->sb.len < FLUSH_AT) return TS_OK;
    if (o->sb.len && fwrite(o->sb.data, 1, o->sb.len, o->f) != o->sb.len)
        return ts_error_set(err, TS_ERR_IO, "cannot write %s: %s", o->path, strerror(errno));
    sb_reset(&o->sb);
    return TS_OK;
}

ts_status ts_outfile_close(ts_outfile *o, ts_error *err)
{
    ts_status st = ts_outfile_flush(o, true, err);
    if (fclose(o->f) != 0 && !st)
        st = ts_error_set(err, TS_ERR_IO, "cannot write %s: %s", o->path, strerror(errno));
    o->f = NULL;
    free(o->path);
    o->path = NULL;
    sb_free(&o->sb);
    return st;
}

void ts_outfile_discard(ts_outfile *o)
{
    if (o->f) fclose(o->f);
    o->f = NULL;
    free(o->path);
    o->path = NULL;
    sb_free(&o->sb);
}

void ts_csv_field(ts_strbuf *sb, const char *s)
{
    size_t n = strlen(s);
    bool quote = n > 0 && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t');
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) {
        sb_append(sb, s, n);
        return;
    }
    sb_putc(sb, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') sb_putc(sb, '"');
        sb_putc(sb, s[i]);
    }
    sb_putc(sb, '"');
}
