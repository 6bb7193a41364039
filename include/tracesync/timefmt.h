/* tracesync: parsing and printing times and durations (integer nanoseconds). */
#ifndef TRACESYNC_TIMEFMT_H
#define TRACESYNC_TIMEFMT_H

#include "tracesync/common.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Parse a duration: an optional sign, a decimal number and an optional unit
 * (ns, us or µs, ms, s, min, h, d; no unit = ns).  Exact: "1.5ms" -> 1500000.
 * Digits beyond nanosecond resolution are an error. */
ts_status ts_parse_duration(const char *s, int64_t *out_ns, ts_error *err);

/* Parse a time for --begin/--end: "+DURATION" is relative (*relative = true),
 * anything else is an absolute time in ns from origin (a plain integer, or a
 * duration with unit, e.g. "1361214078.5s"). */
ts_status ts_parse_time(const char *s, int64_t *out_ns, bool *relative, ts_error *err);

/* Format a duration with a human unit and 3 significant decimals, e.g.
 * "12.345 us", "-1.500 ms", "999 ns".  buf must hold 32 bytes. */
const char *ts_format_duration(int64_t ns, char *buf, size_t size);
/* Format ns from origin as seconds with 9 decimals ("1361214078.861347508"). */
const char *ts_format_time(int64_t ns, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
