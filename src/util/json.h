/* A small JSON parser (internal): text -> DOM.
 *
 * Numbers are kept as their exact source text (no conversion through double):
 * ts_json_int64() converts an integer exactly, and callers that need decimals
 * parse ts_json_number_text() themselves.  Strings are unescaped to UTF-8
 * (\uXXXX with surrogate pairs) and NUL-terminated; len counts their bytes
 * (a string may hold an escaped NUL).  Objects keep their members in source
 * order; with duplicate keys ts_json_get returns the first.
 * Errors name the source, the line, the column and the byte offset.
 */
#ifndef TS_UTIL_JSON_H
#define TS_UTIL_JSON_H

#include "tracesync/common.h"

#include <stdbool.h>

typedef enum ts_json_type {
    TS_JSON_NULL = 0,
    TS_JSON_BOOL,
    TS_JSON_NUMBER,
    TS_JSON_STRING,
    TS_JSON_ARRAY,
    TS_JSON_OBJECT,
} ts_json_type;

typedef struct ts_json ts_json;
struct ts_json {
    ts_json_type type;
    bool b;         /* TS_JSON_BOOL */
    char *str;      /* STRING: unescaped bytes; NUMBER: the token text; NUL-terminated */
    size_t len;     /* bytes in str */
    char *key;      /* member name when this value is an object member, else NULL */
    ts_json *items; /* ARRAY elements / OBJECT members */
    size_t n;
    size_t offset; /* byte offset of the value in the source */
    int line, col; /* 1-based position of the value in the source */
};

/* Parse a whole document (one value, surrounding white space allowed).
 * source names the text in error messages (a file name). */
ts_status ts_json_parse(const char *text, size_t len, const char *source, ts_json **out,
                        ts_error *err);
/* Read and parse a file. */
ts_status ts_json_parse_file(const char *path, ts_json **out, ts_error *err);
void ts_json_free(ts_json *v);

const char *ts_json_type_name(ts_json_type t);
/* Member of an object by name (first one), or NULL (also when v is not an object). */
const ts_json *ts_json_get(const ts_json *v, const char *key);
/* String value, or NULL if v is NULL or not a string. */
const char *ts_json_str(const ts_json *v);
/* Token text of a number, or NULL if v is NULL or not a number. */
const char *ts_json_number_text(const ts_json *v);
/* Exact integer value of a number written without fraction or exponent that fits
 * int64_t; false otherwise. */
bool ts_json_int64(const ts_json *v, int64_t *out);

#endif
