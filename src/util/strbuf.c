/* Growable byte/string buffer. */
#include "util/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sb_init(ts_strbuf *sb)
{
    sb->data = NULL;
    sb->len = sb->cap = 0;
    sb->oom = 0;
}

void sb_free(ts_strbuf *sb)
{
    free(sb->data);
    sb_init(sb);
}

void sb_reset(ts_strbuf *sb)
{
    sb->len = 0;
    if (sb->data) sb->data[0] = '\0';
}

int sb_reserve(ts_strbuf *sb, size_t extra)
{
    if (sb->oom) return -1;
    if (sb->len + extra + 1 <= sb->cap) return 0;
    size_t ncap = sb->cap ? sb->cap : 64;
    while (ncap < sb->len + extra + 1) ncap *= 2;
    char *n = realloc(sb->data, ncap);
    if (!n) {
        sb->oom = 1;
        return -1;
    }
    sb->data = n;
    sb->cap = ncap;
    return 0;
}

void sb_append(ts_strbuf *sb, const char *s, size_t n)
{
    if (sb_reserve(sb, n)) return;
    memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

void sb_putc(ts_strbuf *sb, char c)
{
    if (sb_reserve(sb, 1)) return;
    sb->data[sb->len++] = c;
    sb->data[sb->len] = '\0';
}

void sb_puts(ts_strbuf *sb, const char *s)
{
    sb_append(sb, s, strlen(s));
}

void sb_vprintf(ts_strbuf *sb, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || sb_reserve(sb, (size_t)n)) return;
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
}

void sb_printf(ts_strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(sb, fmt, ap);
    va_end(ap);
}

void sb_put_u64(ts_strbuf *sb, uint64_t v)
{
    char tmp[24];
    int i = 0;
    do {
        tmp[i++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (sb_reserve(sb, (size_t)i)) return;
    while (i) sb->data[sb->len++] = tmp[--i];
    sb->data[sb->len] = '\0';
}

void sb_put_i64(ts_strbuf *sb, int64_t v)
{
    if (v < 0) {
        sb_putc(sb, '-');
        sb_put_u64(sb, (uint64_t)0 - (uint64_t)v);
    } else {
        sb_put_u64(sb, (uint64_t)v);
    }
}

void sb_put_json_str(ts_strbuf *sb, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (sb_reserve(sb, n + 2)) return;
    sb_putc(sb, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':
            sb_append(sb, "\\\"", 2);
            break;
        case '\\':
            sb_append(sb, "\\\\", 2);
            break;
        case '\n':
            sb_append(sb, "\\n", 2);
            break;
        case '\r':
            sb_append(sb, "\\r", 2);
            break;
        case '\t':
            sb_append(sb, "\\t", 2);
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                sb_append(sb, e, 6);
            } else {
                sb_putc(sb, (char)c);
            }
        }
    }
    sb_putc(sb, '"');
}

char *sb_take(ts_strbuf *sb)
{
    char *d = sb->data;
    if (!d) d = calloc(1, 1);
    sb_init(sb);
    return d;
}
