/* Scatter plots of (x ns, y ns) points as SVG (internal, reusable).
 *
 * Points are thinned while they are added, in bounded memory: the x range is cut
 * into `columns` columns (the range widens by doubling as points arrive, so it
 * need not be known in advance) and each series keeps, per column, only its point
 * of smallest y and its point of largest y.  A million points thus make a file of a
 * few thousand markers, and no outlier disappears: the extreme values of every
 * column of every series are drawn.
 *
 *   ts_scatter *sc; ts_scatter_new(0, &sc, &err);
 *   int s = ts_scatter_series(sc, "a -> b");
 *   ts_scatter_add(sc, s, x_ns, y_ns);   // never fails
 *   ts_scatter_style st = {.title = "Latency", .x_label = "send time", .y_label = "latency"};
 *   ts_scatter_write(sc, &st, "out.svg", &err);
 *   ts_scatter_free(sc);
 *
 * Axes: y in a human unit (ns, µs, ms, s) chosen from the data; x as the time
 * elapsed since an origin (the first x, or style.x_origin), in a human unit, with
 * the origin printed in the axis title.  One colour per series, a legend with the
 * number of points of each series, a dashed line at y = 0 when it is in range.
 */
#ifndef TS_REPORT_SCATTER_H
#define TS_REPORT_SCATTER_H

#include "tracesync/common.h"
#include "util/strbuf.h"

#include <stdbool.h>

#define TS_SCATTER_DEFAULT_COLUMNS 1024

typedef struct ts_scatter ts_scatter;

typedef struct ts_scatter_style {
    const char *title;
    const char *x_label; /* e.g. "send time"; the unit and origin are appended */
    const char *y_label; /* e.g. "latency"; the unit is appended */
    bool has_x_origin;   /* else: the smallest x */
    int64_t x_origin;
    int width, height; /* pixels; 0 = 960 x 540 */
} ts_scatter_style;

/* columns: even, >= 2 (0 = TS_SCATTER_DEFAULT_COLUMNS). */
ts_status ts_scatter_new(size_t columns, ts_scatter **out, ts_error *err);
void ts_scatter_free(ts_scatter *sc);
/* Add a series; returns its index, or -1 if out of memory. */
int ts_scatter_series(ts_scatter *sc, const char *name);
size_t ts_scatter_series_count(const ts_scatter *sc);
void ts_scatter_add(ts_scatter *sc, int series, int64_t x, int64_t y);
/* Points added to a series (all of them, before thinning), and markers it keeps. */
uint64_t ts_scatter_points(const ts_scatter *sc, int series);
size_t ts_scatter_kept(const ts_scatter *sc, int series);

/* The thinned content: the column count, and per column of a series its number
 * of points and its lowest and highest point (false if the column is empty). */
size_t ts_scatter_columns(const ts_scatter *sc);
bool ts_scatter_column(const ts_scatter *sc, int series, size_t col, int64_t *x_at_min,
                       int64_t *ymin, int64_t *x_at_max, int64_t *ymax, uint64_t *n);

ts_status ts_scatter_render(const ts_scatter *sc, const ts_scatter_style *style, ts_strbuf *out,
                            ts_error *err);
ts_status ts_scatter_write(const ts_scatter *sc, const ts_scatter_style *style, const char *path,
                           ts_error *err);

/* Helpers shared with other renderers. */
/* Append s with &, <, >, " escaped for XML. */
void ts_xml_escape(ts_strbuf *sb, const char *s);
/* A "nice" step (1, 2 or 5 times a power of ten, >= 1) near span / target. */
int64_t ts_nice_step(int64_t span, int target);
/* Human unit for values up to maxabs (ns): divisor and name ("ns", "µs", "ms", "s"). */
int64_t ts_duration_unit(int64_t maxabs, const char **name);
/* Format v ns in the unit (divisor) with the decimals a step needs, e.g. "1.5". */
void ts_format_in_unit(int64_t v, int64_t unit, int64_t step, char *buf, size_t size);

#endif
