/* tracesync: latency of matched events (the "Event Matching Latency" analysis).
 *
 * One pass of ts_match_run over a set; every match between two hosts gives a
 * latency = receive time - send time, grouped per ordered pair of traces
 * (source -> destination) and key kind, plus a total.  With time maps installed
 * (corrections: --offset, --formulas), each latency is known twice, from the
 * transformed times (the corrected value) and from the raw ones (uncorrected).
 *
 *   ts_latency_options o = {0};
 *   ts_latency_result r;
 *   ts_latency_run(set, &o, &r, &err);
 *   char *table = ts_latency_format_table(&r, set, false);
 *   ...
 *   ts_latency_result_free(&r);
 *
 * Statistics: count, min, max, mean, sample standard deviation (n - 1), median
 * and 99th percentile (linear interpolation between closest ranks, the
 * "inclusive" method of Python's statistics.quantiles: rank (n - 1) q), and the
 * number of negative latencies (receive before send).  Quantiles are exact while
 * the latencies kept fit the budget (opt.exact_budget values, all groups
 * together); beyond it they come from a log-linear histogram (relative error
 * below 2^-10) and `exact` is false, so memory does not grow with trace length.
 */
#ifndef TRACESYNC_LATENCY_H
#define TRACESYNC_LATENCY_H

#include "tracesync/common.h"
#include "tracesync/match.h"
#include "tracesync/traceset.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ts_latency_stats {
    uint64_t count;
    int64_t min_ns, max_ns;
    double mean_ns;
    double stddev_ns; /* sample standard deviation; NaN if count < 2 */
    double median_ns, p99_ns;
    uint64_t negative; /* receive before send */
    bool exact;        /* quantiles exact (else from the histogram) */
} ts_latency_stats;

#define TS_LATENCY_ALL UINT32_MAX /* src_trace/dst_trace of the total */

typedef struct ts_latency_group {
    uint32_t src_trace, dst_trace; /* TS_LATENCY_ALL in the total */
    int kind;                      /* ts_match_kind; -1 in the total */
    ts_latency_stats stats;        /* from the times after the time maps */
    ts_latency_stats uncorrected;  /* from the raw times */
} ts_latency_group;

typedef enum ts_latency_sort {
    TS_LATENCY_SORT_SEND = 0, /* send time, then receive time */
    TS_LATENCY_SORT_RECEIVE,  /* receive time, then send time */
    TS_LATENCY_SORT_LATENCY,  /* latency, then send time */
    TS_LATENCY_SORT_PAIR,     /* source name, destination name, kind, then send time */
} ts_latency_sort;
/* "send", "receive", "latency", "pair" -> 0 and *out; else TS_ERR_ARG. */
ts_status ts_latency_sort_parse(const char *s, ts_latency_sort *out, ts_error *err);

#define TS_LATENCY_DEFAULT_EXACT_BUDGET ((size_t)1 << 22) /* values (8 bytes each) */

typedef struct ts_latency_options {
    ts_match_options match;
    const char *csv_path; /* every match as CSV (NULL: none); kept in memory to sort */
    ts_latency_sort csv_sort;
    const char *svg_path; /* scatter plot (NULL: none) */
    const char *svg_title;
    bool svg_uncorrected; /* plot the raw latencies instead of the corrected ones */
    size_t exact_budget;  /* 0 = TS_LATENCY_DEFAULT_EXACT_BUDGET */
} ts_latency_options;

typedef struct ts_latency_result {
    size_t ngroups;
    ts_latency_group *groups; /* by source name, destination name, kind */
    ts_latency_group total;
    ts_match_stats match; /* the matcher's diagnostics */
} ts_latency_result;

/* Match, measure, and write the CSV and SVG files asked for.  out must be released
 * with ts_latency_result_free (also after an error). */
ts_status ts_latency_run(ts_traceset *set, const ts_latency_options *opt, ts_latency_result *out,
                         ts_error *err);
void ts_latency_result_free(ts_latency_result *r);

/* JSON: {"pairs": [{"source", "destination", "kind", "count", "min_ns", "max_ns",
 * "mean_ns", "stddev_ns", "median_ns", "p99_ns", "negative", ...}], "total": {...},
 * ...}; with corrected, the same keys under "uncorrected" in each pair and the total. */
ts_status ts_latency_write_json(const ts_latency_result *r, const ts_traceset *set, bool corrected,
                                const char *path, ts_error *err);
/* The statistics as an aligned text table (malloc'd; NULL if out of memory).  With
 * corrected, each value without and with the correction side by side. */
char *ts_latency_format_table(const ts_latency_result *r, const ts_traceset *set, bool corrected);
/* The matcher's per-trace diagnostics as a text table (malloc'd; NULL if out of memory). */
char *ts_latency_format_diagnostics(const ts_latency_result *r, const ts_traceset *set);

#ifdef __cplusplus
}
#endif
#endif
