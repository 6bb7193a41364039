/* Streaming output to a file (internal): append to o->sb, call ts_outfile_flush
 * now and then (it writes once the buffer holds 1 MiB), ts_outfile_close at the end.
 * Errors name the file and the system's reason. */
#ifndef TS_REPORT_OUTFILE_H
#define TS_REPORT_OUTFILE_H

#include "tracesync/common.h"
#include "util/strbuf.h"

#include <stdbool.h>
#include <stdio.h>

typedef struct ts_outfile {
    FILE *f;
    char *path;
    ts_strbuf sb;
} ts_outfile;

ts_status ts_outfile_open(ts_outfile *o, const char *path, ts_error *err);
/* Write the buffer out if it is large (force: whatever its size). */
ts_status ts_outfile_flush(ts_outfile *o, bool force, ts_error *err);
/* Flush and close; o is released either way. */
ts_status ts_outfile_close(ts_outfile *o, ts_error *err);
/* Release without writing what is buffered (after an error elsewhere). */
void ts_outfile_discard(ts_outfile *o);

/* CSV (RFC 4180): append s as one field, quoted when it holds a comma, a quote, a
 * line break or leading/trailing blanks. */
void ts_csv_field(ts_strbuf *sb, const char *s);

#endif
