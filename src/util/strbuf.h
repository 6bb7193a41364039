/* Growable byte/string buffer (internal). */
#ifndef TS_UTIL_STRBUF_H
#define TS_UTIL_STRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ts_strbuf {
    char *data; /* always NUL-terminated when cap > 0 */
    size_t len;
    size_t cap;
    int oom; /* set once an allocation failed; later appends are no-ops */
} ts_strbuf;

void sb_init(ts_strbuf *sb);
void sb_free(ts_strbuf *sb);
void sb_reset(ts_strbuf *sb);
int sb_reserve(ts_strbuf *sb, size_t extra);
void sb_putc(ts_strbuf *sb, char c);
void sb_append(ts_strbuf *sb, const char *s, size_t n);
void sb_puts(ts_strbuf *sb, const char *s);
void sb_printf(ts_strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(ts_strbuf *sb, const char *fmt, va_list ap);
void sb_put_i64(ts_strbuf *sb, int64_t v);
void sb_put_u64(ts_strbuf *sb, uint64_t v);
/* Append s as a JSON string literal (with quotes), escaping as needed; n bytes. */
void sb_put_json_str(ts_strbuf *sb, const char *s, size_t n);
/* Detach the buffer (caller frees); sb is reset. */
char *sb_take(ts_strbuf *sb);

#endif
