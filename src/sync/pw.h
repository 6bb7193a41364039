/* Piecewise-linear synchronization of one pair of hosts, and piecewise maps
 * (internal).
 *
 * Points as in hull.h: x = R time, y = O time; a match O->R gives a U point (the
 * true map f: T_R -> T_O passes above it), a match R->O an L point (f passes below
 * it).  pw_solve sorts the points by x (linear on nearly sorted input) and sweeps
 * them once:
 *
 * - Segments.  The current segment keeps the exact region of the lines consistent
 *   with its points (the two half hulls, the steepest and flattest lines:
 *   hull_try_add), slopes within [200/201, 201/200] (an "ordinary" segment: real
 *   clocks' rates differ far less).  A point that would leave no such line ends it:
 *   a new segment starts only when no single line fits any more.
 * - Joins.  The new segment's lines must pass through the window of values the
 *   previous segment's lines take at the knot x (two virtual points), so the map is
 *   continuous.  The knot goes to the latest of the last PW_BACKTRACK points where
 *   the previous segment still agrees with where the nearby matches locate the
 *   clock (a segment ends only once the clock has bent away from it by the whole
 *   slack), else to the latest where the new segment fits.  With dense matches those
 *   points span little time: when an ordinary segment can follow (a drift change),
 *   the knot may go further back -- 256, 512, ... points, at most half the segment --
 *   to the latest of those places where the old segment's window still holds where
 *   the matches locate the clock, if an ordinary segment fits from there (else the
 *   old segment's last values, already bent away, would start the next one off the
 *   clock, and each segment after it the same: short segments of alternating steep
 *   slopes).  If no ordinary segment can start, a bridge (slopes within [1/1024, 1024]: a clock step) starting at
 *   the last point of the breaking point's direction (the step came after it).
 *   Afterwards a backward pass picks each knot's value -- as near as its range
 *   allows to where the matches before it locate the clock -- and each segment's
 *   line through its two knots.  Knot values are integers unless none fits (then
 *   exact decimals: feasible (value, line) pairs are convex).  One segment: the
 *   linear hull's own bisector.
 * - Outliers.  A point that ends a segment is an isolated impossible point when the
 *   points after it, up to two of its own direction (at least four, at most
 *   PW_LOOKAHEAD), all fit the segment without it, and it fits no line together with
 *   its PW_NEIGHBOURS neighbours on each side.  It is left out and reported.  A
 *   point that no continuous increasing map through the segment satisfies (after
 *   backtracking) is left out and reported as a conflict.
 * - Bounds.  An O->R match (x_u, y_u) says the O clock was past y_u at x_u, so at
 *   t >= x_u past y_u + (t - x_u) * r; an R->O match says it was before y_l at x_l,
 *   so at t <= x_l before y_l - (x_l - t) * r; r is the slowest rate the clock may
 *   have had: the map's slope minus rho.  These two envelopes are the bounds the
 *   matches allow, as distances below (lo) and above (hi) the map.  Clocks that
 *   jump forward (steps) keep them valid.  rho = 5 ppm + the largest slope change to
 *   the nearest ordinary segments (a drift change bends the clock inside a segment
 *   as far) + how far below its slope its own points (or its neighbours', if they
 *   pin it better) allow the rate, at most the distance to the ordinary slope limit;
 *   a bridge steeper than its neighbours: its slope minus theirs; a flatter one (the
 *   R clock jumped): only monotonicity.  Before the first O->R match and after the
 *   last R->O match, the first / last one's cone at the fastest rate (assumes no
 *   step there).  Not covered: a bend or a step hidden inside a segment by the
 *   matches' latency (a segment that absorbs a step looks like a fast drift change).
 */
#ifndef TS_SYNC_PW_H
#define TS_SYNC_PW_H

#include "sync/dec.h"
#include "sync/hull.h"

#include <stdbool.h>
#include <stdint.h>

#define PW_BACKTRACK  64 /* points a knot may move back */
#define PW_LOOKAHEAD  64 /* points read ahead to decide that a point is isolated */
#define PW_NEIGHBOURS 4
#define PW_NORMAL_DEN 200       /* ordinary segments: slopes within [200/201, 201/200] */
#define PW_RHO0_PPT   5000000LL /* 5 ppm, in units of 1e-12 */

/* ---- piecewise maps ------------------------------------------------------- */

/* t -> floor(slope_i * t + offset_i) for start[i] <= t < start[i + 1]; piece 0
 * applies from -infinity (start[0] is ignored), the last one up to +infinity. */
typedef struct pwmap {
    size_t n, cap;
    int64_t *start;
    ts_linmap *lm;
    /* the fast form (pwmap_build_fast): per piece an anchor time a, floor(m(a)), and
     * floor(slope * 2^48) */
    int64_t *fa;
    size_t fast_n;
    bool fast;
} pwmap;

void pwmap_init(pwmap *m);
void pwmap_free(pwmap *m);
/* Replace by the single linear piece (slope, offset); false if out of memory or range. */
bool pwmap_set_linear(pwmap *m, ts_dec slope, ts_dec offset);
/* Append a piece starting at start (> the previous start); false if out of memory or range. */
bool pwmap_push(pwmap *m, int64_t start, ts_dec slope, ts_dec offset);
bool pwmap_copy(pwmap *dst, const pwmap *src);
size_t pwmap_piece(const pwmap *m, int64_t t);
bool pwmap_eval(const pwmap *m, int64_t t, int64_t *out);
/* out = a o b (b first), `digits` significant digits for the products; false if
 * out of memory or range. */
bool pwmap_compose(const pwmap *a, const pwmap *b, int digits, pwmap *out);
/* Prepare the fast form (a0: an anchor time for a single first piece, e.g. a time
 * of the data); false if out of memory.  Invalidated by pwmap_push. */
bool pwmap_build_fast(pwmap *m, int64_t a0);
/* m(t) within *err ns (false: no fast form, or out of range), with a hint as below:
 * for comparisons that need the exact value only when close. */
bool pwmap_eval_fast(const pwmap *m, size_t *hint, int64_t t, int64_t *v, int64_t *err);
/* m(t) with a hint: the piece of the last call (for times in order; *hint = 0 to
 * start). */
bool pwmap_eval_near(const pwmap *m, size_t *hint, int64_t t, int64_t *out);
/* The smallest t with m(t) >= a (m non-decreasing), searched within +-2^62. */
int64_t pwmap_first_reaching(const pwmap *m, int64_t a);
/* The same, searched outwards from a guess near it (with a hint as above). */
int64_t pwmap_first_reaching_near(const pwmap *m, int64_t a, int64_t guess, size_t *hint);
/* Largest slope, rounded up to a multiple of 2^-40 (as a fixed-point integer). */
int64_t pwmap_max_slope_fx(const pwmap *m);
#define PW_FX_ONE ((int64_t)1 << 40)

/* ---- one pair --------------------------------------------------------------- */

typedef struct pwpt {
    int64_t x, y;
} pwpt;

typedef struct pwrat {
    __int128 n, d; /* d > 0 */
} pwrat;

typedef enum pw_outlier_kind {
    PW_ISOLATED = 0, /* an isolated impossible point */
    PW_CONFLICT = 1, /* no continuous increasing map through its segment satisfies it */
} pw_outlier_kind;

typedef struct pw_outlier {
    int64_t x, y;
    bool o_to_r;
    pw_outlier_kind kind;
    int64_t latency_ns; /* its latency once corrected (R time); < 0: receive before send */
} pw_outlier;

typedef struct pw_seg {
    bool has_left;  /* joined at its left knot (kx, ky) to the previous segment */
    bool bridge;    /* a bridge over a clock step: slopes within [1/1024, 1024] */
    int64_t kx, ky; /* (R time, O time: ky = floor(kyd)) */
    ts_dec kyd;     /* the exact knot value (an integer unless no integer fits) */
    bool has_kt;
    int64_t kt; /* where the matches near kx locate the O clock: the knot's aim */
    bool has_wlo, has_whi;
    int64_t wlo, whi;        /* the window at kx (its two virtual points) */
    int64_t first_x, last_x; /* first and last of its points (R time) */
    uint64_t nu, nl;         /* its points (in its domain) per direction */
    size_t hu, nhu, hl, nhl; /* its region: hull vertices in the pool */
    bool has_amax, has_amin; /* slope bounds from its points */
    hpt amax_u, amax_l, amin_l, amin_u;
    ts_dec slope, offset; /* its line: T_O = slope * T_R + offset */
    ts_linmap lm;
    int64_t rho, rho_up;    /* 1e-12 units; rho_up < 0: unbounded */
    int64_t max_lo, max_hi; /* largest bounds over its domain, O ns (-1: unbounded) */
    int64_t max_bound;      /* largest of both, in R or O time, whichever is larger (-1) */
} pw_seg;

typedef struct pw_pair {
    /* input (every match, in arrival order until pw_solve sorts them) */
    pwpt *u, *l;
    size_t nu, nl, capu, capl;
    bool detect_outliers;
    /* results */
    pw_seg *seg;
    size_t nseg, capseg;
    hpt *pool;
    size_t npool, cappool;
    pw_outlier *out;
    size_t nout, capout;
    uint64_t isolated, conflicts, rounded;
    bool single; /* pw_solve handed over the single segment's hull */
    bool has_maps;
    pwrat sref;      /* the overall slope of the points */
    pwmap back, fwd; /* R time -> O time, O time -> R time */
    ts_sync_quality quality;
    int64_t max_lo, max_hi; /* over every segment, O ns (-1: unbounded) */
    /* bounds (pw_bounds): P and Pup at each segment's anchor, and the cone keys */
    __int128 *pat;
    int64_t px0;             /* anchor of segment 0: the first point's x */
    __int128 *fu, *bl;       /* per U / L point (see keys() in pw.c) */
    size_t *ustart, *lstart; /* first U / L point of each segment (nseg + 1 entries) */
    __int128 ext_u, ext_l;   /* the extrapolations before the first U, after the last L */
    size_t ext_ku, ext_kl;   /* and their points' segments (SIZE_MAX: none) */
} pw_pair;

void pw_init(pw_pair *p, bool detect_outliers);
void pw_free(pw_pair *p);
bool pw_add(pw_pair *p, bool o_to_r, int64_t x, int64_t y);
/* Sorts the points; segments, knots, lines and maps (p->has_maps: false if the pair
 * has points in one direction only, or no usable map).  When the result is one
 * segment with no point left out and single is not NULL, *single receives its hull
 * (every point, in default mode: what the hull method computes) and p->single is
 * set.  May be called again after more points. */
ts_status pw_solve(pw_pair *p, ts_hull *single, ts_error *err);
/* The points were sorted up to nu0 / nl0 (e.g. copied from a solved pair), then more
 * were added: sort those and merge them in (pw_solve then finds them in order).
 * false if out of memory. */
bool pw_merge_added(pw_pair *p, size_t nu0, size_t nl0);
/* Was this point left out (an outlier or a conflict)?  After pw_solve. */
bool pw_left_out(const pw_pair *p, pwpt q, bool o_to_r);
/* Each segment's points and largest bounds over R times [range_lo, range_hi] (widened
 * to the points' span); keep: also what pw_bound_at needs (16 bytes per point).
 * false when out of memory. */
bool pw_bounds(pw_pair *p, int64_t range_lo, int64_t range_hi, bool keep);
/* Index of the segment whose domain holds R time x. */
size_t pw_seg_at(const pw_pair *p, int64_t x);

/* Bounds at R time x (O ns, below and above the map g), -1 when unbounded.
 * side < 0: the limit from the left, > 0 from the right, 0: at x.  After pw_bounds
 * with keep (else -1). */
void pw_bound_at(const pw_pair *p, int64_t x, int side, int64_t *lo, int64_t *hi);
/* The same for times mostly in order: the cursor keeps where the last one was (zero
 * it to start). */
typedef struct pw_cursor {
    size_t k, u, l;
} pw_cursor;
void pw_bound_at_near(const pw_pair *p, int64_t x, int side, int64_t *lo, int64_t *hi,
                      pw_cursor *c);
/* The bounds in the time of the parent of an edge: child R (parent O) keeps them;
 * child O (parent R) divides them by the slowest rate (slope - rho) of the segment
 * at x and swaps them.  -1 stays -1. */
void pw_conv(const pw_pair *p, int64_t x, bool child_is_r, int64_t *lo, int64_t *hi);
/* The breakpoints of the bounds (R time): every point's x and every knot, sorted,
 * without duplicates (malloc'd; NULL when out of memory). */
int64_t *pw_breakpoints(const pw_pair *p, size_t *n);

#endif
