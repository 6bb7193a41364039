/* A small JSON parser: recursive descent into a DOM (see json.h). */
#include "util/json.h"

#include "util/fileio.h"

#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 256

typedef struct parser {
    const char *s;
    size_t len, pos;
    const char *source;
    int line;
    size_t line_start; /* byte offset where the current line begins */
    ts_error *err;
} parser;

static ts_status perr(parser *p, size_t at, const char *what)
{
    /* recompute line/column of `at` (errors are rare: a scan is fine) */
    int line = 1;
    size_t ls = 0;
    for (size_t i = 0; i < at && i < p->len; i++)
        if (p->s[i] == '\n') {
            line++;
            ls = i + 1;
        }
    if (at >= p->len)
        return ts_error_set(p->err, TS_ERR_FORMAT,
                            "%s: line %d, column %zu (byte %zu): %s, found the end of the text",
                            p->source, line, at - ls + 1, at, what);
    return ts_error_set(p->err, TS_ERR_FORMAT, "%s: line %d, column %zu (byte %zu): %s", p->source,
                        line, at - ls + 1, at, what);
}

static void skip_ws(parser *p)
{
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c == '\n') {
            p->line++;
            p->line_start = p->pos + 1;
        } else if (c != ' ' && c != '\t' && c != '\r') {
            break;
        }
        p->pos++;
    }
}

static void set_pos(parser *p, ts_json *v)
{
    v->offset = p->pos;
    v->line = p->line;
    v->col = (int)(p->pos - p->line_start + 1);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static ts_status read_hex4(parser *p, unsigned *out)
{
    if (p->len - p->pos < 4) return perr(p, p->pos, "expected 4 hex digits after \\u");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p->s[p->pos + (size_t)i]);
        if (h < 0) return perr(p, p->pos + (size_t)i, "expected a hex digit in a \\u escape");
        v = v * 16 + (unsigned)h;
    }
    p->pos += 4;
    *out = v;
    return TS_OK;
}

static size_t put_utf8(char *d, unsigned cp)
{
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xC0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xE0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* p->pos is on the opening quote. */
static ts_status parse_string(parser *p, char **out, size_t *outlen)
{
    size_t start = ++p->pos;
    /* the unescaped text is never longer than the source text */
    size_t end = start;
    while (end < p->len && p->s[end] != '"') end += (p->s[end] == '\\' && end + 1 < p->len) ? 2 : 1;
    if (end >= p->len) return perr(p, start - 1, "unterminated string");
    char *d = malloc(end - start + 1);
    if (!d) return ts_error_set(p->err, TS_ERR_NOMEM, "%s: out of memory", p->source);
    size_t n = 0;
    ts_status st = TS_OK;
    while (p->pos < end) {
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c < 0x20) {
            st = perr(p, p->pos, "control character in a string (escape it)");
            break;
        }
        if (c != '\\') {
            d[n++] = (char)c;
            p->pos++;
            continue;
        }
        char e = p->s[p->pos + 1];
        p->pos += 2;
        switch (e) {
        case '"':
            d[n++] = '"';
            break;
        case '\\':
            d[n++] = '\\';
            break;
        case '/':
            d[n++] = '/';
            break;
        case 'b':
            d[n++] = '\b';
            break;
        case 'f':
            d[n++] = '\f';
            break;
        case 'n':
            d[n++] = '\n';
            break;
        case 'r':
            d[n++] = '\r';
            break;
        case 't':
            d[n++] = '\t';
            break;
        case 'u': {
            unsigned cp;
            if ((st = read_hex4(p, &cp))) break;
            if (cp >= 0xD800 && cp < 0xDC00) {
                unsigned lo;
                if (p->pos + 1 >= end || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u') {
                    st = perr(p, p->pos, "expected a low surrogate \\uDC00-\\uDFFF");
                    break;
                }
                p->pos += 2;
                if ((st = read_hex4(p, &lo))) break;
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    st = perr(p, p->pos - 6, "expected a low surrogate \\uDC00-\\uDFFF");
                    break;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                st = perr(p, p->pos - 6, "unpaired low surrogate");
                break;
            }
            n += put_utf8(d + n, cp);
            break;
        }
        default:
            st = perr(p, p->pos - 1, "unknown escape in a string");
            break;
        }
        if (st) break;
    }
    if (st) {
        free(d);
        return st;
    }
    d[n] = '\0';
    p->pos = end + 1;
    *out = d;
    *outlen = n;
    return TS_OK;
}

static ts_status parse_number(parser *p, ts_json *v)
{
    size_t s = p->pos, i = s;
    const char *t = p->s;
    if (i < p->len && t[i] == '-') i++;
    if (i < p->len && t[i] == '0') {
        i++;
    } else if (i < p->len && t[i] >= '1' && t[i] <= '9') {
        while (i < p->len && t[i] >= '0' && t[i] <= '9') i++;
    } else {
        return perr(p, i, "expected a digit");
    }
    if (i < p->len && t[i] == '.') {
        i++;
        if (i >= p->len || t[i] < '0' || t[i] > '9')
            return perr(p, i, "expected a digit after '.'");
        while (i < p->len && t[i] >= '0' && t[i] <= '9') i++;
    }
    if (i < p->len && (t[i] == 'e' || t[i] == 'E')) {
        i++;
        if (i < p->len && (t[i] == '+' || t[i] == '-')) i++;
        if (i >= p->len || t[i] < '0' || t[i] > '9')
            return perr(p, i, "expected a digit in the exponent");
        while (i < p->len && t[i] >= '0' && t[i] <= '9') i++;
    }
    v->type = TS_JSON_NUMBER;
    v->len = i - s;
    v->str = malloc(v->len + 1);
    if (!v->str) return ts_error_set(p->err, TS_ERR_NOMEM, "%s: out of memory", p->source);
    memcpy(v->str, t + s, v->len);
    v->str[v->len] = '\0';
    p->pos = i;
    return TS_OK;
}

static void free_value(ts_json *v)
{
    for (size_t i = 0; i < v->n; i++) free_value(&v->items[i]);
    free(v->items);
    free(v->str);
    free(v->key);
}

static ts_status parse_value(parser *p, ts_json *v, int depth);

static ts_status push_item(parser *p, ts_json *v, size_t *cap, ts_json **slot)
{
    if (v->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        ts_json *ni = realloc(v->items, nc * sizeof *ni);
        if (!ni) return ts_error_set(p->err, TS_ERR_NOMEM, "%s: out of memory", p->source);
        v->items = ni;
        *cap = nc;
    }
    *slot = &v->items[v->n];
    memset(*slot, 0, sizeof **slot);
    return TS_OK;
}

static ts_status parse_container(parser *p, ts_json *v, int depth)
{
    int is_obj = p->s[p->pos] == '{';
    char close = is_obj ? '}' : ']';
    v->type = is_obj ? TS_JSON_OBJECT : TS_JSON_ARRAY;
    if (depth >= JSON_MAX_DEPTH) return perr(p, p->pos, "values nested too deeply");
    p->pos++;
    size_t cap = 0;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return TS_OK;
    }
    for (;;) {
        ts_json *it = NULL;
        ts_status st = push_item(p, v, &cap, &it);
        if (st) return st;
        skip_ws(p);
        char *key = NULL;
        if (is_obj) {
            size_t klen;
            if (p->pos >= p->len || p->s[p->pos] != '"')
                return perr(p, p->pos, "expected a member name (a string)");
            if ((st = parse_string(p, &key, &klen))) return st;
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') {
                free(key);
                return perr(p, p->pos, "expected ':' after a member name");
            }
            p->pos++;
            skip_ws(p);
        }
        st = parse_value(p, it, depth + 1);
        it->key = key;
        v->n++; /* counted even on error so that free_value releases it */
        if (st) return st;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == close) {
            p->pos++;
            return TS_OK;
        }
        return perr(p, p->pos, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int match_word(parser *p, const char *w)
{
    size_t n = strlen(w);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, w, n) != 0) return 0;
    p->pos += n;
    return 1;
}

static ts_status parse_value(parser *p, ts_json *v, int depth)
{
    skip_ws(p);
    set_pos(p, v);
    if (p->pos >= p->len) return perr(p, p->pos, "expected a value");
    char c = p->s[p->pos];
    switch (c) {
    case '{':
    case '[':
        return parse_container(p, v, depth);
    case '"':
        v->type = TS_JSON_STRING;
        return parse_string(p, &v->str, &v->len);
    case 't':
    case 'f':
    case 'n':
        if (match_word(p, "true")) {
            v->type = TS_JSON_BOOL;
            v->b = true;
        } else if (match_word(p, "false")) {
            v->type = TS_JSON_BOOL;
        } else if (match_word(p, "null")) {
            v->type = TS_JSON_NULL;
        } else {
            return perr(p, p->pos, "expected a value");
        }
        return TS_OK;
    default:
        if (c == '-' || (c >= '0' && c <= '9')) return parse_number(p, v);
        return perr(p, p->pos, "expected a value");
    }
}

ts_status ts_json_parse(const char *text, size_t len, const char *source, ts_json **out,
                        ts_error *err)
{
    parser p = {text, len, 0, source ? source : "JSON text", 1, 0, err};
    *out = NULL;
    ts_json *v = calloc(1, sizeof *v);
    if (!v) return ts_error_set(err, TS_ERR_NOMEM, "%s: out of memory", p.source);
    ts_status st = parse_value(&p, v, 0);
    if (!st) {
        skip_ws(&p);
        if (p.pos < p.len) st = perr(&p, p.pos, "expected the end of the text after the value");
    }
    if (st) {
        ts_json_free(v);
        return st;
    }
    *out = v;
    return TS_OK;
}

ts_status ts_json_parse_file(const char *path, ts_json **out, ts_error *err)
{
    uint8_t *data;
    size_t len;
    ts_status st = ts_read_file(path, &data, &len, err);
    if (st) return st;
    st = ts_json_parse((const char *)data, len, path, out, err);
    free(data);
    return st;
}

void ts_json_free(ts_json *v)
{
    if (!v) return;
    free_value(v);
    free(v);
}

const char *ts_json_type_name(ts_json_type t)
{
    static const char *const names[] = {"null", "boolean", "number", "string", "array", "object"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

const ts_json *ts_json_get(const ts_json *v, const char *key)
{
    if (!v || v->type != TS_JSON_OBJECT) return NULL;
    for (size_t i = 0; i < v->n; i++)
        if (!strcmp(v->items[i].key, key)) return &v->items[i];
    return NULL;
}

const char *ts_json_str(const ts_json *v)
{
    return v && v->type == TS_JSON_STRING ? v->str : NULL;
}

const char *ts_json_number_text(const ts_json *v)
{
    return v && v->type == TS_JSON_NUMBER ? v->str : NULL;
}

bool ts_json_int64(const ts_json *v, int64_t *out)
{
    if (!v || v->type != TS_JSON_NUMBER) return false;
    const char *s = v->str;
    int neg = *s == '-';
    if (neg) s++;
    unsigned __int128 acc = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return false;
        acc = acc * 10 + (unsigned)(*s - '0');
        if (acc > (unsigned __int128)INT64_MAX + 1) return false;
    }
    if (!neg && acc > (unsigned __int128)INT64_MAX) return false;
    *out = neg ? (int64_t)(0 - (uint64_t)acc) : (int64_t)acc;
    return true;
}
