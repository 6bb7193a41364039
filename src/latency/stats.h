/* Latency statistics accumulator (internal): exact moments, and quantiles from the
 * values themselves or, past a memory budget, from a log-linear histogram. */
#ifndef TS_LATENCY_STATS_H
#define TS_LATENCY_STATS_H

#include "tracesync/latency.h"

/* Histogram of int64 values: per sign, groups of TS_HIST_SUB buckets; group 0 holds
 * magnitudes 0..SUB-1 exactly, group g >= 1 magnitudes [SUB << (g-1), SUB << g) in
 * buckets of width 1 << (g-1): relative width below 1 / SUB. */
#define TS_HIST_SUB_BITS 10
#define TS_HIST_SUB      (1 << TS_HIST_SUB_BITS)
#define TS_HIST_GROUPS   (64 - TS_HIST_SUB_BITS + 1)

typedef struct ts_hist {
    uint64_t *b[2][TS_HIST_GROUPS]; /* [negative][group] -> TS_HIST_SUB counts, lazily */
} ts_hist;

typedef struct ts_latacc {
    uint64_t n, negative;
    int64_t min, max;
    __int128 sum;
    int64_t shift; /* first value: Welford runs on value - shift */
    double wmean, m2;
    int64_t *vals; /* exact mode */
    size_t nvals, cap;
    ts_hist *hist; /* histogram mode (vals freed) */
    bool failed;   /* an allocation failed */
} ts_latacc;

void ts_latacc_init(ts_latacc *a);
void ts_latacc_free(ts_latacc *a);
/* Add a value; false if memory ran out (the accumulator is then marked failed). */
bool ts_latacc_add(ts_latacc *a, int64_t v);
/* Switch to the histogram (frees the values); false if memory ran out. */
bool ts_latacc_to_hist(ts_latacc *a);
/* Values held exactly (0 in histogram mode). */
size_t ts_latacc_exact_count(const ts_latacc *a);
/* Compute the statistics (sorts the values in place). */
void ts_latacc_result(ts_latacc *a, ts_latency_stats *out);

/* Quantile q = num/den of sorted values, linear interpolation at rank (n-1) q. */
double ts_quantile_sorted(const int64_t *v, size_t n, uint64_t num, uint64_t den);

#endif
