/* Aligned text tables (internal): cells are added row by row, widths are computed
 * at rendering (in UTF-8 characters).
 *
 *   ts_table *t = ts_table_new(3);
 *   ts_table_header(t, 0, "trace", false); ts_table_header(t, 1, "count", true); ...
 *   ts_table_add(t, "scp_src"); ts_table_addf(t, "%d", 46); ...
 *   ts_table_render(t, &sb);
 */
#ifndef TS_REPORT_TABLE_H
#define TS_REPORT_TABLE_H

#include "util/strbuf.h"

#include <stdbool.h>

typedef struct ts_table ts_table;

ts_table *ts_table_new(size_t ncols); /* NULL if out of memory */
void ts_table_free(ts_table *t);
/* Column title and alignment (right = numbers). */
void ts_table_header(ts_table *t, size_t col, const char *title, bool right);
/* The next cell, row-major; a row ends after ncols cells. NULL = empty cell. */
void ts_table_add(ts_table *t, const char *cell);
void ts_table_addf(ts_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Draw a rule before the next row (e.g. above a total). */
void ts_table_rule(ts_table *t);
size_t ts_table_rows(const ts_table *t);
/* Append the table (header, rule, rows; lines end with '\n'; no trailing blanks). */
void ts_table_render(const ts_table *t, ts_strbuf *out);
/* True if an allocation failed (the table is then incomplete). */
bool ts_table_failed(const ts_table *t);

/* Display width of a UTF-8 string (code points). */
size_t ts_utf8_width(const char *s);

#endif
