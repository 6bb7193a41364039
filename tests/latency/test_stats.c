/* Latency statistics: exact moments and quantiles, the histogram fallback, and the
 * whole analysis on the scp pair with a tiny exact budget. */
#include "latency/stats.h"
#include "tracesync/latency.h"
#include "unit.h"

#include <math.h>
#include <stdlib.h>

static bool close_to(double a, double b, double tol)
{
    return fabs(a - b) <= tol;
}

TEST(latacc_small_exact)
{
    ts_latacc a;
    ts_latacc_init(&a);
    int64_t v[] = {4, -2, 3, 1};
    for (int i = 0; i < 4; i++) CHECK(ts_latacc_add(&a, v[i]));
    ts_latency_stats s;
    ts_latacc_result(&a, &s);
    CHECK_EQ_U64(s.count, 4);
    CHECK_EQ_I64(s.min_ns, -2);
    CHECK_EQ_I64(s.max_ns, 4);
    CHECK_EQ_U64(s.negative, 1);
    CHECK(s.exact);
    CHECK(close_to(s.mean_ns, 1.5, 1e-12));
    /* sorted -2 1 3 4: median (1+3)/2; p99 at rank 3*0.99 = 2.97: 3 + 0.97 * 1 */
    CHECK(close_to(s.median_ns, 2.0, 1e-12));
    CHECK(close_to(s.p99_ns, 3.97, 1e-12));
    /* sample variance: sum of squared deviations 12.25+0.25+2.25+6.25 = 21, / 3 */
    CHECK(close_to(s.stddev_ns, sqrt(7.0), 1e-12));
    ts_latacc_free(&a);
}

TEST(latacc_single_and_empty)
{
    ts_latacc a;
    ts_latacc_init(&a);
    ts_latency_stats s;
    ts_latacc_result(&a, &s);
    CHECK_EQ_U64(s.count, 0);
    CHECK(isnan(s.mean_ns) && isnan(s.median_ns) && isnan(s.stddev_ns));
    CHECK(ts_latacc_add(&a, -80430683));
    ts_latacc_result(&a, &s);
    CHECK_EQ_U64(s.count, 1);
    CHECK(isnan(s.stddev_ns)); /* undefined for one value */
    CHECK(close_to(s.median_ns, -80430683.0, 0));
    CHECK(close_to(s.p99_ns, -80430683.0, 0));
    CHECK_EQ_U64(s.negative, 1);
    ts_latacc_free(&a);
}

TEST(latacc_mean_exact_at_epoch_scale)
{
    /* raw latencies between unsynchronized clocks can be epoch-sized */
    ts_latacc a;
    ts_latacc_init(&a);
    const int64_t base = 1361214092775802289LL;
    for (int i = 0; i < 1000; i++) CHECK(ts_latacc_add(&a, base + (i % 2)));
    ts_latency_stats s;
    ts_latacc_result(&a, &s);
    CHECK_EQ_I64(s.min_ns, base);
    CHECK_EQ_I64(s.max_ns, base + 1);
    CHECK(close_to(s.mean_ns, (double)base + 0.5, 256)); /* double's step there */
    CHECK(close_to(s.stddev_ns, sqrt(0.25 * 1000 / 999), 1e-9));
    ts_latacc_free(&a);
}

static int cmp64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

TEST(latacc_histogram_close_to_exact)
{
    uint64_t rng = 88172645463325252ULL;
    const size_t n = 100000;
    int64_t *v = malloc(n * sizeof *v);
    ts_latacc ex, hi;
    ts_latacc_init(&ex);
    ts_latacc_init(&hi);
    CHECK(ts_latacc_to_hist(&hi));
    for (size_t i = 0; i < n; i++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        /* a wide spread of magnitudes, some negative, an outlier */
        int64_t x = (int64_t)(rng % 2000000) - 300000;
        if (i % 7 == 0) x = (int64_t)(rng % 900);
        if (i == 500) x = 4000000000LL;
        v[i] = x;
        CHECK(ts_latacc_add(&ex, x));
        CHECK(ts_latacc_add(&hi, x));
    }
    CHECK_EQ_U64(ts_latacc_exact_count(&hi), 0);
    ts_latency_stats a, b;
    ts_latacc_result(&ex, &a);
    ts_latacc_result(&hi, &b);
    CHECK(a.exact && !b.exact);
    CHECK_EQ_U64(a.count, b.count);
    CHECK_EQ_I64(a.min_ns, b.min_ns);
    CHECK_EQ_I64(a.max_ns, b.max_ns);
    CHECK_EQ_U64(a.negative, b.negative);
    CHECK(a.mean_ns == b.mean_ns && a.stddev_ns == b.stddev_ns);
    qsort(v, n, sizeof *v, cmp64);
    CHECK(close_to(a.median_ns, ts_quantile_sorted(v, n, 1, 2), 0));
    CHECK_MSG(close_to(b.median_ns, a.median_ns, fabs(a.median_ns) / 1024 + 1), "median %f vs %f",
              b.median_ns, a.median_ns);
    CHECK_MSG(close_to(b.p99_ns, a.p99_ns, fabs(a.p99_ns) / 1024 + 1), "p99 %f vs %f", b.p99_ns,
              a.p99_ns);
    /* small magnitudes are exact in the histogram */
    ts_latacc small;
    ts_latacc_init(&small);
    CHECK(ts_latacc_to_hist(&small));
    for (int i = -500; i <= 500; i++) CHECK(ts_latacc_add(&small, i));
    ts_latency_stats c;
    ts_latacc_result(&small, &c);
    CHECK(close_to(c.median_ns, 0, 0));
    CHECK(close_to(c.p99_ns, 490, 0)); /* rank 1000 * 0.99 = 990 -> value 490 */
    ts_latacc_free(&small);
    ts_latacc_free(&ex);
    ts_latacc_free(&hi);
    free(v);
}

/* The whole analysis with a budget of 8 values: the histogram takes over, the
 * moments stay exact, the quantiles stay within the histogram's precision. */
TEST(latency_run_budget)
{
    const char *paths[] = {"tests/data/traces/tc-synctraces"};
    ts_traceset *set;
    ts_error err;
    CHECK_MSG(ts_traceset_open(paths, 1, &set, &err) == TS_OK, "%s", err.msg);
    ts_latency_result exact, approx;
    ts_latency_options o;
    memset(&o, 0, sizeof o);
    CHECK_MSG(ts_latency_run(set, &o, &exact, &err) == TS_OK, "%s", err.msg);
    o.exact_budget = 8;
    CHECK_MSG(ts_latency_run(set, &o, &approx, &err) == TS_OK, "%s", err.msg);
    CHECK(exact.total.stats.exact);
    CHECK(!approx.total.stats.exact);
    CHECK_EQ_U64(exact.ngroups, approx.ngroups);
    CHECK(exact.ngroups >= 2);
    for (size_t i = 0; i <= exact.ngroups; i++) {
        const ts_latency_group *a = i < exact.ngroups ? &exact.groups[i] : &exact.total;
        const ts_latency_group *b = i < exact.ngroups ? &approx.groups[i] : &approx.total;
        CHECK_EQ_U64(a->stats.count, b->stats.count);
        CHECK_EQ_I64(a->stats.min_ns, b->stats.min_ns);
        CHECK_EQ_I64(a->stats.max_ns, b->stats.max_ns);
        CHECK(a->stats.mean_ns == b->stats.mean_ns);
        CHECK(!b->stats.exact);
        CHECK_MSG(
            close_to(a->stats.median_ns, b->stats.median_ns, fabs(a->stats.median_ns) / 1024 + 1),
            "group %zu median %f vs %f", i, a->stats.median_ns, b->stats.median_ns);
    }
    /* the matcher's view is the same whatever the budget */
    CHECK_EQ_U64(exact.match.matches, approx.match.matches);
    CHECK_EQ_U64(exact.match.matches, exact.total.stats.count);
    ts_latency_result_free(&exact);
    ts_latency_result_free(&approx);
    ts_traceset_free(set);
}

TEST(latency_sort_parse)
{
    ts_latency_sort s;
    ts_error e;
    CHECK(ts_latency_sort_parse("receive", &s, &e) == TS_OK && s == TS_LATENCY_SORT_RECEIVE);
    CHECK(ts_latency_sort_parse("pair", &s, &e) == TS_OK && s == TS_LATENCY_SORT_PAIR);
    CHECK(ts_latency_sort_parse("time", &s, &e) == TS_ERR_ARG);
    CHECK(strstr(e.msg, "'time'") != NULL);
}
