/* FORMULAS.json: reading, writing, offsets, segments, exact mapping. */
#include "unit.h"

#include "sync/formulas.h"
#include "tracesync/sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static ts_formulas *parse(const char *text, ts_error *err)
{
    ts_formulas *f = NULL;
    if (ts_formulas_parse(text, strlen(text), "F.json", &f, err)) return NULL;
    return f;
}

static int64_t map(const ts_formulas *f, const char *name, int64_t t)
{
    int64_t out = -777;
    ts_error err;
    if (ts_formulas_map(f, name, t, &out, &err)) return -777;
    return out;
}

TEST(formulas_hand_written)
{
    ts_error err;
    ts_formulas *f = parse(
        "{\"traces\": [\n"
        "  {\"name\": \"a\", \"offset_ns\": 1500},\n"
        "  {\"name\": \"b\", \"offset\": \"-1.5ms\"},\n"
        "  {\"name\": \"c\", \"slope\": \"0.5\", \"offset_ns\": \"0.5\", \"offset\": \"2ns\"},\n"
        "  {\"name\": \"d\", \"slope\": 2.5e0}\n"
        "]}",
        &err);
    CHECK_MSG(f, "%s", err.msg);
    CHECK_EQ_U64(ts_formulas_count(f), 4);
    CHECK(ts_formulas_reference(f) == NULL);
    CHECK_EQ_I64(map(f, "a", 1000), 2500);
    CHECK_EQ_I64(map(f, "b", 1700000000000000000LL), 1700000000000000000LL - 1500000);
    CHECK_EQ_I64(map(f, "c", 3), 4);  /* 1.5 + 0.5 + 2 */
    CHECK_EQ_I64(map(f, "c", -3), 1); /* floor(-1.5 + 2.5) */
    CHECK_EQ_I64(map(f, "d", 2), 5);
    CHECK_EQ_I64(map(f, "nobody", 42), 42); /* no formula: identity */
    ts_formulas_free(f);
}

TEST(formulas_errors)
{
    static const struct {
        const char *text, *expect;
    } bad[] = {
        {"[]", "expected an object"},
        {"{\"reference\": \"a\"}", "\"traces\""},
        {"{\"traces\": [{\"slope\": \"1\"}]}", "needs a \"name\""},
        {"{\"traces\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}", "appears twice"},
        {"{\"traces\": [{\"name\": \"a\", \"slope\": \"-1\"}]}", "not positive"},
        {"{\"traces\": [{\"name\": \"a\", \"slope\": \"0\"}]}", "not positive"},
        {"{\"traces\": [{\"name\": \"a\", \"slope\": \"one\"}]}", "not a decimal"},
        {"{\"traces\": [{\"name\": \"a\", \"offset_ns\": true}]}", "decimal string or a number"},
        {"{\"traces\": [{\"name\": \"a\", \"offset\": \"3 parsecs\"}]}", "\"offset\""},
        {"{\"traces\": [{\"name\": \"a\", \"segments\": [{\"start_ns\": 10, \"end_ns\": 5}]}]}",
         "start_ns 10 >= end_ns 5"},
        {"{\"traces\": [{\"name\": \"a\", \"segments\": [{\"start_ns\": 0, \"end_ns\": 5},"
         " {\"start_ns\": 4, \"end_ns\": 9}]}]}",
         "must not overlap"},
        {"{\"traces\": [{\"name\": \"a\", \"segments\": [{\"start_ns\": 0.5, \"end_ns\": 5}]}]}",
         "integer number of ns"},
        {"{\"traces\": [{\"name\": \"a\", \"slope\": \"1e400\"}]}", "not a decimal"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ts_error err;
        err.msg[0] = 0;
        ts_formulas *f = parse(bad[i].text, &err);
        CHECK_MSG(!f, "accepted: %s", bad[i].text);
        CHECK_MSG(strstr(err.msg, bad[i].expect) && strstr(err.msg, "F.json"),
                  "%s: message '%s' lacks '%s'", bad[i].text, err.msg, bad[i].expect);
    }
    ts_error err;
    ts_formulas *f = NULL;
    CHECK(ts_formulas_read("/nonexistent/F.json", &f, &err) == TS_ERR_IO);
    CHECK(strstr(err.msg, "/nonexistent/F.json"));
}

TEST(formulas_round_trip)
{
    ts_error err;
    ts_formulas *f = ts_formulas_new();
    CHECK(!ts_formulas_set_reference(f, "host", &err));
    CHECK(!ts_formulas_set_linear(f, "host", "1", "0", &err));
    CHECK(!ts_formulas_set_info(f, "host", "/traces/h", "boot-1", "reference", &err));
    CHECK(!ts_formulas_set_linear(f, "guest \"1\"", "1.000012345678901234567890123456789",
                                  "-20987654321.123456789012345678901", &err));
    ts_formula_segment segs[2] = {{0, 1000, "1", "5", true, 1234},
                                  {1000, 2000, "1.01", "-5", false, 0}};
    CHECK(!ts_formulas_set_segments(f, "vm", segs, 2, &err));
    ts_formulas_set_extra(f, "vm", 5000, NULL);
    char path[] = "/tmp/ts_formulas_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK_MSG(!ts_formulas_write(f, path, &err), "%s", err.msg);
    ts_formulas *g = NULL;
    ts_status st = ts_formulas_read(path, &g, &err);
    unlink(path);
    CHECK_MSG(!st, "%s", err.msg);
    CHECK_STR(ts_formulas_reference(g), "host");
    CHECK_EQ_U64(ts_formulas_count(g), 3);
    ts_formula_info a, b;
    for (size_t i = 0; i < 3; i++) {
        ts_formulas_get(f, i, &a);
        int j = ts_formulas_find(g, a.name);
        CHECK(j >= 0);
        ts_formulas_get(g, (size_t)j, &b);
        CHECK_STR(a.slope, b.slope);
        CHECK_STR(a.offset_ns, b.offset_ns);
        CHECK_STR(a.path, b.path);
        CHECK_STR(a.quality, b.quality);
        CHECK_EQ_U64(a.nsegments, b.nsegments);
        for (int64_t t = -5; t < 3000; t += 7) CHECK_EQ_I64(map(f, a.name, t), map(g, a.name, t));
    }
    CHECK_STR(b.name, "vm");
    /* segments: [0,1000) t+5, [1000,2000) 1.01t-5, extended beyond both ends */
    CHECK_EQ_I64(map(g, "vm", -10), -5);
    CHECK_EQ_I64(map(g, "vm", 999), 1004);
    CHECK_EQ_I64(map(g, "vm", 1000), 1005);
    CHECK_EQ_I64(map(g, "vm", 3000), 3025);
    /* the segments' error bounds: the first's its own, the second's unknown (the
     * trace's then) */
    int v = ts_formulas_find(g, "vm"), h = ts_formulas_find(g, "host");
    CHECK_EQ_I64(ts_formulas_segment_error_bound(g, (size_t)v, 0), 1234);
    CHECK_EQ_I64(ts_formulas_segment_error_bound(g, (size_t)v, 1), -1);
    CHECK_EQ_I64(ts_formulas_error_at(g, v, -10), 1234);
    CHECK_EQ_I64(ts_formulas_error_at(g, v, 999), 1234);
    CHECK_EQ_I64(ts_formulas_error_at(g, v, 1000), 5000);
    CHECK_EQ_I64(ts_formulas_error_at(g, h, 10), -1); /* host: none written */
    CHECK_EQ_I64(ts_formulas_error_at(g, -1, 10), -1);
    ts_formulas_free(f);
    ts_formulas_free(g);
}

TEST(formulas_offset_keeps_slope)
{
    /* Trace Compass flattens a linear transform into a constant when an offset is
     * applied; here the slope and every segment survive */
    ts_error err;
    ts_formulas *f = ts_formulas_new();
    CHECK(!ts_formulas_set_linear(f, "a", "2", "3", &err));
    CHECK(!ts_formulas_add_offset(f, "a", 100, &err));
    CHECK_EQ_I64(map(f, "a", 10), 123);
    CHECK_EQ_I64(map(f, "a", 0), 103);
    CHECK(!ts_formulas_add_offset(f, "b", -7, &err)); /* created as identity + offset */
    CHECK_EQ_I64(map(f, "b", 10), 3);
    ts_formula_segment segs[1] = {{0, 10, "3", "1", false, 0}};
    CHECK(!ts_formulas_set_segments(f, "a", segs, 1, &err));
    CHECK(!ts_formulas_add_offset(f, "a", 1, &err));
    CHECK_EQ_I64(map(f, "a", 2), 8);
    ts_formula_info info;
    ts_formulas_get(f, 0, &info);
    CHECK_STR(info.slope, "2");
    CHECK_STR(info.offset_ns, "104");
    ts_formulas_free(f);
}

TEST(formulas_epoch_exact)
{
    /* no nanosecond lost at epoch scale: slope 1 + 1e-18 adds exactly 1.7 ns at 1.7e18 */
    ts_error err;
    ts_formulas *f = ts_formulas_new();
    CHECK(!ts_formulas_set_linear(f, "a", "1.000000000000000001", "0", &err));
    CHECK(!ts_formulas_set_linear(f, "b", "0.999999999999999999", "0.3", &err));
    CHECK(!ts_formulas_set_linear(f, "c", "1.0000012345", "-2098765432.5", &err));
    const int64_t t = 1700000000000000000LL;
    CHECK_EQ_I64(map(f, "a", t), t + 1);
    CHECK_EQ_I64(map(f, "b", t), t - 2); /* floor(t - 1.7 + 0.3) */
    /* 1700000000000000000 * 1.0000012345 = 1700002098650000000 exactly, minus 2098765432.5 */
    CHECK_EQ_I64(map(f, "c", t), 1700002098650000000LL - 2098765433LL);
    int64_t out;
    CHECK(!ts_formulas_set_linear(f, "big", "100", "0", &err));
    CHECK(ts_formulas_map(f, "big", t, &out, &err) == TS_ERR_ARG);
    CHECK(strstr(err.msg, "big"));
    ts_formulas_free(f);
}
