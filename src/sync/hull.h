/* Convex-hull synchronization of one pair of hosts (internal).
 *
 * Hosts R (the host id that sorts first) and O.  Matches O->R give points
 * (x = receive time on R, y = send time on O) below the true line
 * T_O = alpha*T_R + beta; matches R->O give points (x = send on R, y = receive
 * on O) above it.  U keeps the upper hull of the former, L the lower hull of
 * the latter.  Lmax (steepest line compatible with every point) goes through a
 * U point on its left and an L point on its right; Lmin (flattest) through an L
 * point on its left and a U point on its right.
 *
 * Two modes:
 *  - compat: Trace Compass's SyncAlgorithmFullyIncremental step by step (only
 *    "qualifying" points enter the hulls, pivot walk with its quirk, Java long
 *    wrap-around cross products, DECIMAL128 arithmetic, sticky FAIL);
 *  - default: exact bounds.  Every point enters its hull (in x order, even when
 *    it arrives out of order); a point that can move a bound is paired with the
 *    other hull's vertices, which gives the exact steepest and flattest lines;
 *    a point that would make the bounds cross is reported as the FAIL point and
 *    the last consistent state is kept.
 * Times must lie within +-2^62 ns so that every product fits in __int128.
 */
#ifndef TS_SYNC_HULL_H
#define TS_SYNC_HULL_H

#include "sync/dec.h"
#include "tracesync/sync.h"

#include <stdbool.h>
#include <stdint.h>

#define TS_HULL_TIME_MAX ((int64_t)1 << 62)

typedef struct hpt {
    int64_t x, y;
    uint64_t id; /* arrival number (Trace Compass compares points by identity) */
} hpt;

typedef struct hside {
    hpt *p;
    size_t n, cap;
} hside;

typedef struct hline {
    hpt pivot, last;
    bool has_pivot, has_last;
} hline;

typedef struct ts_hull {
    bool compat;
    hside U, L;
    uint64_t next_id;
    uint64_t matches, o_to_r, r_to_o, used;
    /* compat state */
    ts_sync_quality quality;
    hline lmax, lmin;
    ts_dec alpha, beta, alphamax, alphamin, betamin, betamax;
    /* default state: Lmax through (amax_u, amax_l), Lmin through (amin_l, amin_u) */
    bool has_amax, has_amin;
    hpt amax_u, amax_l, amin_l, amin_u;
    bool failed;
    uint64_t fail_match; /* 1-based among this pair's matches */
    int64_t fail_time;   /* x (R time) of the failing point */
} ts_hull;

void hull_init(ts_hull *h, bool compat);
void hull_free(ts_hull *h);
/* One match: o_to_r says its direction; x is the R time, y the O time.
 * Returns false when out of memory. */
bool hull_add(ts_hull *h, bool o_to_r, int64_t x, int64_t y);
ts_sync_quality hull_quality(const ts_hull *h);

/* ---- default mode, for the piecewise synchronization (pw.c) ---- */

/* Slopes allowed: lo_n/lo_d <= slope <= hi_n/hi_d (denominators > 0). */
typedef struct hull_slope_limits {
    int64_t lo_n, lo_d, hi_n, hi_d;
} hull_slope_limits;
/* Add the point only if some line is still consistent with every point of the hull
 * (with a slope within lim, when lim is not NULL).  Returns 1 if added, 0 if it would
 * leave no such line (the hull is then unchanged), -1 when out of memory.  Default
 * mode only; the FAIL state is not used. */
int hull_try_add(ts_hull *h, bool o_to_r, int64_t x, int64_t y, const hull_slope_limits *lim);
/* Empty the hull (keeps its buffers). */
void hull_reset(ts_hull *h);
/* Deep copy into an initialised hull (its buffers are reused); false when out of memory. */
bool hull_copy(ts_hull *dst, const ts_hull *src);

/* The pair's formula as two maps, with `digits` significant digits:
 * fwd maps O time to R time, back R time to O time (back = (alpha, beta)).
 * false if there is no usable formula (incomplete, absent, or a slope <= 0). */
bool hull_maps(const ts_hull *h, ts_dec *fwd_slope, ts_dec *fwd_off, ts_dec *back_slope,
               ts_dec *back_off);
/* Slope bounds (false where a bound does not exist). */
void hull_bounds(const ts_hull *h, ts_dec *amax, bool *has_max, ts_dec *amin, bool *has_min);
/* Bound, in R time, on the distance between the formula and any line compatible
 * with the matches, over R times [a, b] (ns) and the span of the lines' points
 * (a > b: that span alone); -1 if unbounded (quality other than accurate). */
int64_t hull_error_bound(const ts_hull *h, int64_t a, int64_t b);

#endif
