/* Latency statistics accumulator (see stats.h). */
#include "latency/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ts_latacc_init(ts_latacc *a)
{
    memset(a, 0, sizeof *a);
}

static void hist_free(ts_hist *h)
{
    if (!h) return;
    for (int s = 0; s < 2; s++)
        for (int g = 0; g < TS_HIST_GROUPS; g++) free(h->b[s][g]);
    free(h);
}

void ts_latacc_free(ts_latacc *a)
{
    free(a->vals);
    hist_free(a->hist);
    memset(a, 0, sizeof *a);
}

static void hist_index(uint64_t mag, int *g, int *i)
{
    if (mag < TS_HIST_SUB) {
        *g = 0;
        *i = (int)mag;
        return;
    }
    int e = 63 - __builtin_clzll(mag); /* >= SUB_BITS */
    *g = e - TS_HIST_SUB_BITS + 1;
    *i = (int)((mag >> (e - TS_HIST_SUB_BITS)) - TS_HIST_SUB);
}

/* Middle of a bucket's magnitudes. */
static uint64_t hist_value(int g, int i)
{
    if (g == 0) return (uint64_t)i;
    unsigned shift = (unsigned)(g - 1);
    uint64_t lo = ((uint64_t)TS_HIST_SUB + (uint64_t)i) << shift;
    uint64_t width = (uint64_t)1 << shift;
    return lo + (width - 1) / 2;
}

static bool hist_add(ts_hist *h, int64_t v)
{
    int neg = v < 0;
    uint64_t mag = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    int g, i;
    hist_index(mag, &g, &i);
    if (!h->b[neg][g]) {
        h->b[neg][g] = calloc(TS_HIST_SUB, sizeof(uint64_t));
        if (!h->b[neg][g]) return false;
    }
    h->b[neg][g][i]++;
    return true;
}

bool ts_latacc_to_hist(ts_latacc *a)
{
    if (a->hist || a->failed) return !a->failed;
    a->hist = calloc(1, sizeof *a->hist);
    if (!a->hist) {
        a->failed = true;
        return false;
    }
    for (size_t k = 0; k < a->nvals; k++)
        if (!hist_add(a->hist, a->vals[k])) {
            a->failed = true;
            return false;
        }
    free(a->vals);
    a->vals = NULL;
    a->nvals = a->cap = 0;
    return true;
}

bool ts_latacc_add(ts_latacc *a, int64_t v)
{
    if (a->n == 0) {
        a->min = a->max = a->shift = v;
    } else {
        if (v < a->min) a->min = v;
        if (v > a->max) a->max = v;
    }
    a->n++;
    if (v < 0) a->negative++;
    a->sum += v;
    double d = (double)((__int128)v - a->shift);
    double delta = d - a->wmean;
    a->wmean += delta / (double)a->n;
    a->m2 += delta * (d - a->wmean);
    if (a->failed) return false;
    if (a->hist) {
        if (!hist_add(a->hist, v)) a->failed = true;
        return !a->failed;
    }
    if (a->nvals == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 256;
        int64_t *p = realloc(a->vals, cap * sizeof *p);
        if (!p) {
            a->failed = true;
            return false;
        }
        a->vals = p;
        a->cap = cap;
    }
    a->vals[a->nvals++] = v;
    return true;
}

size_t ts_latacc_exact_count(const ts_latacc *a)
{
    return a->hist ? 0 : a->nvals;
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

double ts_quantile_sorted(const int64_t *v, size_t n, uint64_t num, uint64_t den)
{
    if (n == 0) return NAN;
    unsigned __int128 r = (unsigned __int128)(n - 1) * num;
    size_t lo = (size_t)(r / den);
    uint64_t frac = (uint64_t)(r % den);
    if (frac == 0 || lo + 1 >= n) return (double)v[lo];
    return (double)v[lo] + (double)((__int128)v[lo + 1] - v[lo]) * (double)frac / (double)den;
}

/* k-th smallest value (0-based) in the histogram, clamped to [min, max]. */
static int64_t hist_kth(const ts_latacc *a, uint64_t k)
{
    const ts_hist *h = a->hist;
    uint64_t seen = 0;
    int64_t v = a->max;
    bool found = false;
    /* negatives: largest magnitude first */
    for (int g = TS_HIST_GROUPS - 1; g >= 0 && !found; g--) {
        if (!h->b[1][g]) continue;
        for (int i = TS_HIST_SUB - 1; i >= 0; i--) {
            seen += h->b[1][g][i];
            if (seen > k) {
                v = -(int64_t)hist_value(g, i);
                found = true;
                break;
            }
        }
    }
    for (int g = 0; g < TS_HIST_GROUPS && !found; g++) {
        if (!h->b[0][g]) continue;
        for (int i = 0; i < TS_HIST_SUB; i++) {
            seen += h->b[0][g][i];
            if (seen > k) {
                uint64_t m = hist_value(g, i);
                v = m > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)m;
                found = true;
                break;
            }
        }
    }
    if (v < a->min) v = a->min;
    if (v > a->max) v = a->max;
    return v;
}

static double hist_quantile(const ts_latacc *a, uint64_t num, uint64_t den)
{
    unsigned __int128 r = (unsigned __int128)(a->n - 1) * num;
    uint64_t lo = (uint64_t)(r / den), frac = (uint64_t)(r % den);
    int64_t x = hist_kth(a, lo);
    if (frac == 0 || lo + 1 >= a->n) return (double)x;
    int64_t y = hist_kth(a, lo + 1);
    return (double)x + (double)((__int128)y - x) * (double)frac / (double)den;
}

void ts_latacc_result(ts_latacc *a, ts_latency_stats *out)
{
    memset(out, 0, sizeof *out);
    out->count = a->n;
    out->negative = a->negative;
    out->exact = !a->hist && !a->failed;
    if (a->n == 0) {
        out->mean_ns = out->stddev_ns = out->median_ns = out->p99_ns = NAN;
        return;
    }
    out->min_ns = a->min;
    out->max_ns = a->max;
    __int128 q = a->sum / (__int128)a->n, r = a->sum % (__int128)a->n;
    out->mean_ns = (double)q + (double)r / (double)a->n;
    out->stddev_ns = a->n >= 2 ? sqrt(a->m2 / (double)(a->n - 1)) : NAN;
    if (a->hist && !a->failed) {
        out->median_ns = hist_quantile(a, 1, 2);
        out->p99_ns = hist_quantile(a, 99, 100);
    } else if (!a->failed) {
        if (a->nvals) qsort(a->vals, a->nvals, sizeof *a->vals, cmp_i64);
        out->median_ns = ts_quantile_sorted(a->vals, a->nvals, 1, 2);
        out->p99_ns = ts_quantile_sorted(a->vals, a->nvals, 99, 100);
    } else {
        out->median_ns = out->p99_ns = NAN;
    }
}
