/* report/: JSON writer, CSV fields, text tables, SVG scatter thinning. */
#include "report/json_writer.h"
#include "report/outfile.h"
#include "report/scatter.h"
#include "report/table.h"
#include "unit.h"

#include <math.h>
#include <stdlib.h>

TEST(json_writer_compact)
{
    ts_strbuf sb;
    sb_init(&sb);
    ts_jw w;
    ts_jw_init(&w, &sb, 0);
    ts_jw_begin_object(&w);
    ts_jw_key(&w, "a");
    ts_jw_i64(&w, -5);
    ts_jw_key(&w, "list");
    ts_jw_begin_array(&w);
    ts_jw_u64(&w, 18446744073709551615ULL);
    ts_jw_str(&w, "q\"\n");
    ts_jw_null(&w);
    ts_jw_begin_object(&w);
    ts_jw_end_object(&w);
    ts_jw_begin_array(&w);
    ts_jw_end_array(&w);
    ts_jw_end_array(&w);
    ts_jw_key(&w, "d");
    ts_jw_double(&w, 2.5, 3);
    ts_jw_key(&w, "e");
    ts_jw_double(&w, NAN, 3);
    ts_jw_key(&w, "f");
    ts_jw_double(&w, -80353581.5, 3);
    ts_jw_key(&w, "g");
    ts_jw_double(&w, 3.0, 3);
    ts_jw_key(&w, "h");
    ts_jw_bool(&w, true);
    ts_jw_end_object(&w);
    CHECK_STR(sb.data, "{\"a\":-5,\"list\":[18446744073709551615,\"q\\\"\\n\",null,{},[]],"
                       "\"d\":2.5,\"e\":null,\"f\":-80353581.5,\"g\":3,\"h\":true}");
    sb_free(&sb);
}

TEST(json_writer_indented)
{
    ts_strbuf sb;
    sb_init(&sb);
    ts_jw w;
    ts_jw_init(&w, &sb, 2);
    ts_jw_begin_object(&w);
    ts_jw_key(&w, "x");
    ts_jw_begin_array(&w);
    ts_jw_i64(&w, 1);
    ts_jw_i64(&w, 2);
    ts_jw_end_array(&w);
    ts_jw_end_object(&w);
    CHECK_STR(sb.data, "{\n  \"x\": [\n    1,\n    2\n  ]\n}");
    sb_free(&sb);
}

TEST(csv_fields)
{
    ts_strbuf sb;
    sb_init(&sb);
    ts_csv_field(&sb, "plain");
    sb_putc(&sb, '|');
    ts_csv_field(&sb, "a,b");
    sb_putc(&sb, '|');
    ts_csv_field(&sb, "say \"hi\"");
    sb_putc(&sb, '|');
    ts_csv_field(&sb, " pad");
    sb_putc(&sb, '|');
    ts_csv_field(&sb, "");
    CHECK_STR(sb.data, "plain|\"a,b\"|\"say \"\"hi\"\"\"|\" pad\"|");
    sb_free(&sb);
}

TEST(outfile_errors_name_the_file)
{
    ts_outfile o;
    ts_error e;
    CHECK(ts_outfile_open(&o, "/nonexistent-dir/f.csv", &e) == TS_ERR_IO);
    CHECK(strstr(e.msg, "/nonexistent-dir/f.csv") != NULL);
}

TEST(table_alignment)
{
    ts_table *t = ts_table_new(3);
    CHECK(t != NULL);
    ts_table_header(t, 0, "name", false);
    ts_table_header(t, 1, "n", true);
    ts_table_header(t, 2, "lat", true);
    ts_table_add(t, "a");
    ts_table_addf(t, "%d", 12345);
    ts_table_add(t, "1.5 \xc2\xb5s");
    ts_table_rule(t);
    ts_table_add(t, "total");
    ts_table_add(t, "7");
    ts_table_add(t, NULL);
    ts_strbuf sb;
    sb_init(&sb);
    ts_table_render(t, &sb);
    CHECK(!ts_table_failed(t));
    CHECK_EQ_U64(ts_table_rows(t), 2);
    CHECK_STR(sb.data, "name       n     lat\n"
                       "--------------------\n"
                       "a      12345  1.5 \xc2\xb5s\n"
                       "--------------------\n"
                       "total      7\n");
    sb_free(&sb);
    ts_table_free(t);
}

TEST(nice_steps_and_units)
{
    CHECK_EQ_I64(ts_nice_step(1000, 6), 200);
    CHECK_EQ_I64(ts_nice_step(999999, 6), 200000);
    CHECK_EQ_I64(ts_nice_step(3, 6), 1);
    CHECK_EQ_I64(ts_nice_step(160000000, 6), 50000000);
    const char *u;
    CHECK_EQ_I64(ts_duration_unit(80000000, &u), 1000000);
    CHECK_STR(u, "ms");
    CHECK_EQ_I64(ts_duration_unit(999, &u), 1);
    CHECK_STR(u, "ns");
    char b[32];
    ts_format_in_unit(-1500000, 1000000, 500000, b, sizeof b);
    CHECK_STR(b, "-1.5");
    ts_format_in_unit(20000000, 1000000, 20000000, b, sizeof b);
    CHECK_STR(b, "20");
    ts_format_in_unit(250, 1000, 50, b, sizeof b);
    CHECK_STR(b, "0.25");
}

TEST(scatter_columns_grow_both_ways)
{
    ts_scatter *sc;
    CHECK(ts_scatter_new(4, &sc, NULL) == TS_OK);
    int s = ts_scatter_series(sc, "s");
    CHECK(s == 0);
    for (int64_t x = 0; x < 100; x++) ts_scatter_add(sc, s, x, x % 10);
    /* width doubled until 4 columns cover [0, 100): width 32 */
    int64_t xa, ya, xb, yb;
    uint64_t n;
    CHECK(ts_scatter_column(sc, s, 0, &xa, &ya, &xb, &yb, &n));
    CHECK_EQ_U64(n, 32);
    CHECK_EQ_I64(ya, 0);
    CHECK_EQ_I64(xa, 0);
    CHECK_EQ_I64(yb, 9);
    CHECK_EQ_I64(xb, 9);
    CHECK(ts_scatter_column(sc, s, 3, &xa, &ya, &xb, &yb, &n));
    CHECK_EQ_U64(n, 4); /* 96..99 */
    /* a point on the left: columns of 64 from -128 */
    ts_scatter_add(sc, s, -5, -1000);
    CHECK(!ts_scatter_column(sc, s, 0, &xa, &ya, &xb, &yb, &n));
    CHECK(ts_scatter_column(sc, s, 1, &xa, &ya, &xb, &yb, &n));
    CHECK_EQ_U64(n, 1);
    CHECK_EQ_I64(xa, -5);
    CHECK_EQ_I64(ya, -1000);
    CHECK(ts_scatter_column(sc, s, 2, &xa, &ya, &xb, &yb, &n));
    CHECK_EQ_U64(n, 64);
    CHECK(ts_scatter_column(sc, s, 3, &xa, &ya, &xb, &yb, &n));
    CHECK_EQ_U64(n, 36);
    CHECK_EQ_U64(ts_scatter_points(sc, s), 101);
    ts_scatter_free(sc);
}

TEST(scatter_million_points_keeps_outliers)
{
    ts_scatter *sc;
    CHECK(ts_scatter_new(0, &sc, NULL) == TS_OK);
    int a = ts_scatter_series(sc, "a \xe2\x86\x92 b tcp");
    int b = ts_scatter_series(sc, "b & <c>");
    uint64_t rng = 42;
    const int64_t t0 = 1361214092775802289LL;
    for (int i = 0; i < 1000000; i++) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        int64_t y = 80000 + (int64_t)(rng >> 40) % 5000;
        if (i == 777777) y = 90000000; /* one outlier among a million */
        ts_scatter_add(sc, i % 2 ? a : b, t0 + (int64_t)i * 1000, i % 2 ? y : -y);
    }
    size_t cols = ts_scatter_columns(sc), kept = ts_scatter_kept(sc, a) + ts_scatter_kept(sc, b);
    CHECK(kept <= 4 * cols);
    bool found = false;
    for (size_t c = 0; c < cols; c++) {
        int64_t xa, ya, xb, yb;
        uint64_t n;
        if (ts_scatter_column(sc, a, c, &xa, &ya, &xb, &yb, &n) && yb == 90000000) found = true;
    }
    CHECK(found);
    ts_strbuf sb;
    sb_init(&sb);
    ts_scatter_style st = {.title = "t", .x_label = "send time", .y_label = "latency"};
    CHECK(ts_scatter_render(sc, &st, &sb, NULL) == TS_OK);
    CHECK(sb.len < 200000); /* small file for a million points */
    CHECK(strstr(sb.data, "b &amp; &lt;c&gt; (500000)") != NULL);
    CHECK(strstr(sb.data, "latency (ms)") != NULL);
    CHECK(strstr(sb.data, "class=\"zero\"") != NULL); /* y = 0 in range */
    size_t markers = 0;
    for (const char *p = sb.data; (p = strstr(p, "h0")); p++) markers++;
    CHECK_EQ_U64(markers, kept);
    sb_free(&sb);
    ts_scatter_free(sc);
}

TEST(scatter_empty_and_bad)
{
    ts_scatter *sc;
    ts_error e;
    CHECK(ts_scatter_new(3, &sc, &e) == TS_ERR_ARG);
    CHECK(ts_scatter_new(0, &sc, &e) == TS_OK);
    ts_strbuf sb;
    sb_init(&sb);
    CHECK(ts_scatter_render(sc, NULL, &sb, &e) == TS_OK);
    CHECK(strstr(sb.data, "no data") != NULL);
    ts_scatter_add(sc, 5, 1, 1); /* no such series: ignored */
    sb_free(&sb);
    ts_scatter_free(sc);
}
