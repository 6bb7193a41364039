/* The small JSON parser (src/util/json.c). */
#include "unit.h"

#include "util/json.h"

#include <stdio.h>

static ts_json *parse(const char *text, ts_error *err)
{
    ts_json *v = NULL;
    if (ts_json_parse(text, strlen(text), "t.json", &v, err)) return NULL;
    return v;
}

TEST(json_values)
{
    ts_error err;
    ts_json *v =
        parse(" {\"a\": [1, -2.50e+3, true, false, null], \"s\": \"x\\n\\u00e9\\ud83d\\ude00\\\"\","
              " \"big\": 18446744073709551616, \"i\": -9223372036854775808, \"o\": {}}\n",
              &err);
    CHECK_MSG(v, "%s", err.msg);
    CHECK_EQ_I64(v->type, TS_JSON_OBJECT);
    CHECK_EQ_U64(v->n, 5);
    const ts_json *a = ts_json_get(v, "a");
    CHECK(a && a->type == TS_JSON_ARRAY && a->n == 5);
    CHECK_STR(ts_json_number_text(&a->items[1]), "-2.50e+3"); /* exact text kept */
    int64_t i64;
    CHECK(ts_json_int64(&a->items[0], &i64) && i64 == 1);
    CHECK(!ts_json_int64(&a->items[1], &i64));
    CHECK(a->items[2].type == TS_JSON_BOOL && a->items[2].b);
    CHECK(a->items[3].type == TS_JSON_BOOL && !a->items[3].b);
    CHECK(a->items[4].type == TS_JSON_NULL);
    CHECK_STR(ts_json_str(ts_json_get(v, "s")), "x\n\xc3\xa9\xf0\x9f\x98\x80\"");
    CHECK(!ts_json_int64(ts_json_get(v, "big"), &i64)); /* 2^64 does not fit */
    CHECK(ts_json_int64(ts_json_get(v, "i"), &i64) && i64 == INT64_MIN);
    CHECK(ts_json_get(v, "o")->type == TS_JSON_OBJECT && ts_json_get(v, "o")->n == 0);
    CHECK(ts_json_get(v, "missing") == NULL);
    CHECK_EQ_I64(a->line, 1);
    CHECK_EQ_I64(a->col, 8); /* 1-based: the 8th character */
    ts_json_free(v);
}

TEST(json_errors)
{
    static const struct {
        const char *text;
        const char *where; /* expected "line L, column C" */
    } bad[] = {
        {"{\"a\": 1,}", "line 1, column 9"},
        {"[1 2]", "line 1, column 4"},
        {"{\n  \"a\": tru}", "line 2, column 8"},
        {"\"abc", "line 1, column 1"},
        {"[01]", "line 1, column 3"},
        {"{\"a\" 1}", "line 1, column 6"},
        {"\"\\x\"", "line 1, column 3"},
        {"\"\\ud800\"", "line 1, column 8"},
        {"[1] [2]", "line 1, column 5"},
        {"", "line 1, column 1"},
        {"-", "line 1, column 2"},
        {"\"a\tb\"", "line 1, column 3"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ts_error err;
        err.msg[0] = 0;
        ts_json *v = parse(bad[i].text, &err);
        CHECK_MSG(!v, "'%s' parsed", bad[i].text);
        CHECK_MSG(strstr(err.msg, bad[i].where) && strstr(err.msg, "t.json"),
                  "'%s': message '%s' lacks '%s'", bad[i].text, err.msg, bad[i].where);
    }
    /* deep nesting is refused, not a stack overflow */
    char deep[4000];
    memset(deep, '[', sizeof deep - 1);
    deep[sizeof deep - 1] = 0;
    ts_error err;
    CHECK(!parse(deep, &err));
    CHECK(strstr(err.msg, "nested too deeply"));
}
