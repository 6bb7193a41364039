/* Durations and times: exact parsing, human formatting. */
#include "tracesync/timefmt.h"
#include "unit.h"

TEST(duration_units)
{
    int64_t v;
    CHECK(ts_parse_duration("1.5ms", &v, NULL) == TS_OK);
    CHECK_EQ_I64(v, 1500000);
    CHECK(ts_parse_duration("-5us", &v, NULL) == TS_OK);
    CHECK_EQ_I64(v, -5000);
    CHECK(ts_parse_duration("200", &v, NULL) == TS_OK);
    CHECK_EQ_I64(v, 200);
    CHECK(ts_parse_duration("+2s", &v, NULL) == TS_OK);
    CHECK_EQ_I64(v, 2000000000);
    CHECK(ts_parse_duration("1361214078.861347508s", &v, NULL) == TS_OK);
    CHECK_EQ_I64(v, 1361214078861347508LL);
    CHECK(ts_parse_duration("3min", &v, NULL) == TS_OK);
    CHECK_EQ_I64(v, 180000000000LL);
    CHECK(ts_parse_duration("0.25\xc2\xb5s", &v, NULL) == TS_OK);
    CHECK_EQ_I64(v, 250);
    CHECK(ts_parse_duration("0.0005us", &v, NULL) == TS_ERR_ARG); /* finer than 1 ns */
}

TEST(duration_errors)
{
    int64_t v;
    ts_error e;
    CHECK(ts_parse_duration("", &v, &e) == TS_ERR_ARG);
    CHECK(ts_parse_duration("abc", &v, &e) == TS_ERR_ARG);
    CHECK(ts_parse_duration("5 parsecs", &v, &e) == TS_ERR_ARG);
    CHECK(strstr(e.msg, "unknown unit") != NULL);
    CHECK(ts_parse_duration("99999999999999999999s", &v, &e) == TS_ERR_ARG);
}

TEST(time_relative)
{
    int64_t v;
    bool rel;
    CHECK(ts_parse_time("+1.5s", &v, &rel, NULL) == TS_OK);
    CHECK(rel);
    CHECK_EQ_I64(v, 1500000000);
    CHECK(ts_parse_time("1234", &v, &rel, NULL) == TS_OK);
    CHECK(!rel);
    CHECK_EQ_I64(v, 1234);
}

TEST(format_duration)
{
    char b[32];
    CHECK_STR(ts_format_duration(999, b, sizeof b), "999 ns");
    CHECK_STR(ts_format_duration(12345, b, sizeof b), "12.345 us");
    CHECK_STR(ts_format_duration(-1500000, b, sizeof b), "-1.500 ms");
    CHECK_STR(ts_format_duration(2500000000LL, b, sizeof b), "2.500 s");
    CHECK_STR(ts_format_time(1361214078861347508LL, b, sizeof b), "1361214078.861347508");
}
