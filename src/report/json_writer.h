/* Streaming JSON writer into a ts_strbuf (internal).  Commas, nesting and
 * (optional) indentation are handled here; strings are escaped by sb_put_json_str.
 *
 *   ts_jw w; ts_jw_init(&w, &sb, 2);
 *   ts_jw_begin_object(&w);
 *   ts_jw_key(&w, "count"); ts_jw_u64(&w, 3);
 *   ts_jw_key(&w, "items"); ts_jw_begin_array(&w); ts_jw_str(&w, "a"); ts_jw_end_array(&w);
 *   ts_jw_end_object(&w);
 */
#ifndef TS_REPORT_JSON_WRITER_H
#define TS_REPORT_JSON_WRITER_H

#include "util/strbuf.h"

#include <stdbool.h>

#define TS_JW_MAX_DEPTH 32

typedef struct ts_jw {
    ts_strbuf *sb;
    int indent; /* spaces per level; 0 = one line */
    int depth;
    bool first[TS_JW_MAX_DEPTH]; /* no value yet at this level */
    bool after_key;
} ts_jw;

void ts_jw_init(ts_jw *w, ts_strbuf *sb, int indent);
void ts_jw_begin_object(ts_jw *w);
void ts_jw_end_object(ts_jw *w);
void ts_jw_begin_array(ts_jw *w);
void ts_jw_end_array(ts_jw *w);
/* Member name; the next value call writes its value. */
void ts_jw_key(ts_jw *w, const char *key);
void ts_jw_str(ts_jw *w, const char *s); /* NULL -> null */
void ts_jw_strn(ts_jw *w, const char *s, size_t n);
void ts_jw_i64(ts_jw *w, int64_t v);
void ts_jw_u64(ts_jw *w, uint64_t v);
void ts_jw_bool(ts_jw *w, bool v);
void ts_jw_null(ts_jw *w);
/* A number with at most `decimals` decimals (trailing zeros dropped); NaN and
 * infinities are written as null. */
void ts_jw_double(ts_jw *w, double v, int decimals);
/* A member: its name and value in one call. */
void ts_jw_kv_str(ts_jw *w, const char *key, const char *s);
void ts_jw_kv_i64(ts_jw *w, const char *key, int64_t v);
void ts_jw_kv_u64(ts_jw *w, const char *key, uint64_t v);
void ts_jw_kv_bool(ts_jw *w, const char *key, bool v);
void ts_jw_kv_double(ts_jw *w, const char *key, double v, int decimals);

#endif
