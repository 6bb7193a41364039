/* Streaming JSON writer (see json_writer.h). */
#include "report/json_writer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void ts_jw_init(ts_jw *w, ts_strbuf *sb, int indent)
{
    memset(w, 0, sizeof *w);
    w->sb = sb;
    w->indent = indent;
    w->first[0] = true;
}

static void newline(ts_jw *w)
{
    if (!w->indent) return;
    sb_putc(w->sb, '\n');
    for (int i = 0; i < w->depth * w->indent; i++) sb_putc(w->sb, ' ');
}

/* Separator and indentation before a value (or a key). */
static void before_item(ts_jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth > 0) {
        if (!w->first[w->depth]) sb_putc(w->sb, ',');
        newline(w);
    }
    w->first[w->depth] = false;
}

static void jw_open(ts_jw *w, char c)
{
    before_item(w);
    sb_putc(w->sb, c);
    if (w->depth + 1 < TS_JW_MAX_DEPTH) w->depth++;
    w->first[w->depth] = true;
}

static void jw_close(ts_jw *w, char c)
{
    bool empty = w->first[w->depth];
    if (w->depth > 0) w->depth--;
    if (!empty) newline(w);
    sb_putc(w->sb, c);
}

void ts_jw_begin_object(ts_jw *w)
{
    jw_open(w, '{');
}

void ts_jw_end_object(ts_jw *w)
{
    jw_close(w, '}');
}

void ts_jw_begin_array(ts_jw *w)
{
    jw_open(w, '[');
}

void ts_jw_end_array(ts_jw *w)
{
    jw_close(w, ']');
}

void ts_jw_key(ts_jw *w, const char *key)
{
    before_item(w);
    sb_put_json_str(w->sb, key, strlen(key));
    sb_putc(w->sb, ':');
    if (w->indent) sb_putc(w->sb, ' ');
    w->after_key = true;
}

void ts_jw_strn(ts_jw *w, const char *s, size_t n)
{
    before_item(w);
    sb_put_json_str(w->sb, s, n);
}

void ts_jw_str(ts_jw *w, const char *s)
{
    if (!s)
        ts_jw_null(w);
    else
        ts_jw_strn(w, s, strlen(s));
}

void ts_jw_i64(ts_jw *w, int64_t v)
{
    before_item(w);
    sb_put_i64(w->sb, v);
}

void ts_jw_u64(ts_jw *w, uint64_t v)
{
    before_item(w);
    sb_put_u64(w->sb, v);
}

void ts_jw_bool(ts_jw *w, bool v)
{
    before_item(w);
    sb_puts(w->sb, v ? "true" : "false");
}

void ts_jw_null(ts_jw *w)
{
    before_item(w);
    sb_puts(w->sb, "null");
}

void ts_jw_double(ts_jw *w, double v, int decimals)
{
    if (!isfinite(v)) {
        ts_jw_null(w);
        return;
    }
    before_item(w);
    char buf[64];
    if (decimals < 0) decimals = 0;
    if (decimals > 17) decimals = 17;
    int n = snprintf(buf, sizeof buf, "%.*f", decimals, v);
    if (n <= 0 || (size_t)n >= sizeof buf) n = snprintf(buf, sizeof buf, "%.17g", v);
    if (strchr(buf, '.') && !strchr(buf, 'e')) {
        while (n > 0 && buf[n - 1] == '0') buf[--n] = 0;
        if (n > 0 && buf[n - 1] == '.') buf[--n] = 0;
    }
    if (!strcmp(buf, "-0")) strcpy(buf, "0");
    sb_puts(w->sb, buf);
}

void ts_jw_kv_str(ts_jw *w, const char *key, const char *s)
{
    ts_jw_key(w, key);
    ts_jw_str(w, s);
}

void ts_jw_kv_i64(ts_jw *w, const char *key, int64_t v)
{
    ts_jw_key(w, key);
    ts_jw_i64(w, v);
}

void ts_jw_kv_u64(ts_jw *w, const char *key, uint64_t v)
{
    ts_jw_key(w, key);
    ts_jw_u64(w, v);
}

void ts_jw_kv_bool(ts_jw *w, const char *key, bool v)
{
    ts_jw_key(w, key);
    ts_jw_bool(w, v);
}

void ts_jw_kv_double(ts_jw *w, const char *key, double v, int decimals)
{
    ts_jw_key(w, key);
    ts_jw_double(w, v, decimals);
}
