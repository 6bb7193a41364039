/* tracesync: clock synchronization from matched events, and clock formulas.
 *
 * Formulas (ts_formulas): per trace name, a map from the trace's own time T
 * (ns from origin, as recorded) to the reference clock:
 *     T_ref = floor(slope * T + offset_ns)
 * slope and offset_ns are exact decimals (kept and written with every digit),
 * so an epoch-scale time (1.7e18 ns) loses no nanosecond; the only rounding is
 * the final floor to an integer ns.  A formula may instead be a list of
 * segments, each a linear map over [start_ns, end_ns) of the trace's own time
 * (the first and last segments extend to -inf / +inf).  slope > 0, so a map is
 * non-decreasing (strictly increasing before the floor).
 *
 * FORMULAS.json:
 *   {"reference": NAME,
 *    "traces": [{"name": N, "path": P, "host_id": H, "quality": Q,
 *                "slope": "1.000000012", "offset_ns": "-17280.5", ...,
 *                "segments": [{"start_ns": S, "end_ns": E, "slope": .., "offset_ns": ..}]}]}
 * Only "traces" and each trace's "name" are required; slope defaults to 1 and
 * offset_ns to 0; both may be strings or JSON numbers (read exactly).  An
 * optional "offset" (a duration text such as "1.5ms") is added to offset_ns.
 *
 * Synchronization (ts_sync): per unordered pair of hosts, the convex hulls of
 * the matches of both directions bound the lines T_O = alpha * T_R + beta
 * compatible with every match (R = the host id that sorts first); the formula
 * is the bisector of the steepest and flattest such lines.  Hosts are joined to
 * the reference host along a tree of pairs and the formulas composed.
 *
 * The piecewise method (ts_sync_set_method) replaces the single line per pair by
 * a continuous, strictly increasing piecewise-linear map: consecutive segments,
 * each consistent with every match inside it, a new one starting only when no
 * single line (joined to the previous one) fits any more; isolated impossible
 * matches are left out and reported.  For every instant it reports the bounds the
 * matches allow.  The maps are composed along the tree of pairs; where that puts
 * matches between hosts off each other's path receive-before-send, a host's edge
 * is refitted to them too (within its bounds).  docs/cli-sync.md tells the whole
 * story.
 */
#ifndef TRACESYNC_SYNC_H
#define TRACESYNC_SYNC_H

#include "tracesync/common.h"
#include "tracesync/match.h"
#include "tracesync/traceset.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- formulas ----------------------------------------------------------- */

typedef struct ts_formulas ts_formulas; /* per trace name: linear (or piecewise) map */

#define TS_DEC_TEXT_MAX 256 /* room for the decimal text of a slope or offset */

ts_formulas *ts_formulas_new(void);
void ts_formulas_free(ts_formulas *f);
ts_status ts_formulas_read(const char *path, ts_formulas **out, ts_error *err);
/* The same from text in memory; source names it in error messages. */
ts_status ts_formulas_parse(const char *text, size_t len, const char *source, ts_formulas **out,
                            ts_error *err);
ts_status ts_formulas_write(const ts_formulas *f, const char *path, ts_error *err);
/* FORMULAS.json text (malloc'd, caller frees), or NULL when out of memory. */
char *ts_formulas_to_json(const ts_formulas *f);

/* Compose a constant offset onto a trace's formula (creating identity+offset if
 * absent): T_ref' = T_ref + offset_ns.  The slope (and every segment) is kept. */
ts_status ts_formulas_add_offset(ts_formulas *f, const char *trace_name, int64_t offset_ns,
                                 ts_error *err);
/* The same from a command-line argument "NAME=DURATION" (DURATION as
 * ts_parse_duration reads it: "-5us", "1.5ms"); NAME must be a trace of the set
 * (the error lists the set's trace names). */
ts_status ts_formulas_add_offset_arg(ts_formulas *f, const ts_traceset *set, const char *arg,
                                     ts_error *err);
/* Install the formulas as time maps on the set (ts_traceset_set_time_map), by
 * trace name; a name in f that is not in the set is an error naming it.  f must
 * outlive the set's iterations and stay unchanged while installed. */
ts_status ts_formulas_apply(const ts_formulas *f, ts_traceset *set, ts_error *err);
/* The error bound of formula i (ts_formulas_find) at its trace's own time t: its
 * segment's when the segment has one, else the trace's; -1 when unknown or unbounded
 * (or i < 0). */
int64_t ts_formulas_error_at(const ts_formulas *f, int i, int64_t t);
/* The formulas' errors for the traces of a set, as ts_match_options.time_error wants
 * them: opts.time_error = ts_formulas_errors_at, opts.time_error_ctx = &e. */
typedef struct ts_formulas_errors {
    const ts_formulas *f;
    int *idx; /* per trace of the set: its formula, or -1 */
    size_t n;
} ts_formulas_errors;
ts_status ts_formulas_errors_init(ts_formulas_errors *e, const ts_formulas *f,
                                  const ts_traceset *set, ts_error *err);
void ts_formulas_errors_free(ts_formulas_errors *e);
int64_t ts_formulas_errors_at(void *ctx, uint32_t trace, int64_t raw_ns);
/* Time t of trace `name` mapped to the reference: floor(slope * t + offset),
 * exact.  A trace without a formula maps to itself.  TS_ERR_ARG if the result
 * does not fit int64. */
ts_status ts_formulas_map(const ts_formulas *f, const char *trace_name, int64_t t, int64_t *out,
                          ts_error *err);

/* Building and inspecting. */
ts_status ts_formulas_set_reference(ts_formulas *f, const char *name, ts_error *err);
const char *ts_formulas_reference(const ts_formulas *f); /* NULL if none */
/* Set a trace's linear formula from decimal texts (creating the trace); removes segments. */
ts_status ts_formulas_set_linear(ts_formulas *f, const char *name, const char *slope,
                                 const char *offset_ns, ts_error *err);
/* Descriptive fields (NULL leaves a field unchanged); creates the trace if absent. */
ts_status ts_formulas_set_info(ts_formulas *f, const char *name, const char *path,
                               const char *host_id, const char *quality, ts_error *err);

typedef struct ts_formula_segment {
    int64_t start_ns, end_ns; /* [start, end) of the trace's own time */
    const char *slope, *offset_ns;
    bool has_error_bound;   /* the largest error bound over the segment is known: */
    int64_t error_bound_ns; /* (FORMULAS.json: the segment's "error_bound_ns") */
} ts_formula_segment;
/* Replace a trace's segments (sorted, non-overlapping, start < end, slope > 0). */
ts_status ts_formulas_set_segments(ts_formulas *f, const char *name, const ts_formula_segment *segs,
                                   size_t n, ts_error *err);

size_t ts_formulas_count(const ts_formulas *f);
int ts_formulas_find(const ts_formulas *f, const char *name); /* index or -1 */
typedef struct ts_formula_info {
    const char *name, *path, *host_id, *quality; /* "" when unknown */
    char slope[TS_DEC_TEXT_MAX], offset_ns[TS_DEC_TEXT_MAX];
    size_t nsegments;
    int64_t error_bound_ns; /* -1: unknown or unbounded */
} ts_formula_info;
void ts_formulas_get(const ts_formulas *f, size_t i, ts_formula_info *out);
/* Segment j of trace i (texts valid while f is unchanged). */
void ts_formulas_get_segment(const ts_formulas *f, size_t i, size_t j, int64_t *start_ns,
                             int64_t *end_ns, char *slope, char *offset_ns);
/* Segment j of trace i: its error bound, -1 when unknown. */
int64_t ts_formulas_segment_error_bound(const ts_formulas *f, size_t i, size_t j);

/* ---- synchronization ---------------------------------------------------- */

typedef enum ts_sync_quality {
    TS_SYNC_ABSENT = 0,      /* no match between the two hosts */
    TS_SYNC_INCOMPLETE = 1,  /* matches in one direction only: identity */
    TS_SYNC_APPROXIMATE = 2, /* both directions, but only one bound on the slope (or none) */
    TS_SYNC_ACCURATE = 3,    /* both bounds: every match is consistent with the formula */
    TS_SYNC_FAIL = 4,        /* no line fits every match (bounds crossed): last good kept */
} ts_sync_quality;
const char *ts_sync_quality_name(ts_sync_quality q); /* "absent", "incomplete", ... */

typedef enum ts_sync_mode {
    TS_SYNC_DEFAULT = 0,
    /* Trace Compass's SyncAlgorithmFullyIncremental, quirks included: pivot walk,
     * sticky fail, 34-digit decimal arithmetic, shortest-hop tree rooted at the
     * lexicographically first host id unless a reference is given. */
    TS_SYNC_COMPAT_TRACECOMPASS = 1,
} ts_sync_mode;

typedef struct ts_sync ts_sync;

ts_sync *ts_sync_new(ts_sync_mode mode);
void ts_sync_free(ts_sync *s);

typedef enum ts_sync_method {
    TS_SYNC_METHOD_HULL = 0,      /* one line per pair (the default) */
    TS_SYNC_METHOD_PIECEWISE = 1, /* a continuous piecewise-linear map per pair */
} ts_sync_method;
/* Before the first match.  The piecewise method keeps every match (16 bytes each)
 * until ts_sync_solve; TS_ERR_ARG in the Trace Compass compatible mode. */
ts_status ts_sync_set_method(ts_sync *s, ts_sync_method method, ts_error *err);
ts_sync_method ts_sync_get_method(const ts_sync *s);
/* Piecewise: leave out isolated impossible matches (default true). */
void ts_sync_set_outliers(ts_sync *s, bool detect);
/* Piecewise: keep (16 bytes per match) what ts_sync_trace_bounds_at and
 * ts_sync_write_bounds need; before ts_sync_solve. */
void ts_sync_keep_bounds(ts_sync *s, bool keep);
/* Declare the traces in the order of their indexes in ts_match (0, 1, ...).
 * begin/end: the trace's time range (own clock; both 0 if unknown), used for
 * offsets at start and error bounds. */
ts_status ts_sync_add_trace(ts_sync *s, const char *name, const char *path, const char *host_id,
                            int64_t begin_ns, int64_t end_ns, ts_error *err);
/* Feed one match (its send_raw and recv_raw times).  Matches between traces of one
 * host are counted and ignored. */
ts_status ts_sync_add_match(ts_sync *s, const ts_match *m, ts_error *err);
/* Build the formulas relative to the host of trace `reference` (-1: default mode:
 * trace 0; compat mode: the host id that sorts first among connected hosts).
 * May be called again after more matches. */
ts_status ts_sync_solve(ts_sync *s, int reference, ts_formulas **out, ts_error *err);

/* Results (valid after ts_sync_solve). */
size_t ts_sync_pair_count(const ts_sync *s);
typedef struct ts_sync_pair_info {
    const char *ref_host, *other_host; /* R sorts before O */
    size_t ref_trace, other_trace;     /* first trace of each host */
    ts_sync_quality quality;
    /* T_O = alpha * T_R + beta, and the steepest/flattest lines (decimal texts;
     * "" when the bound does not exist) */
    char alpha[TS_DEC_TEXT_MAX], beta[TS_DEC_TEXT_MAX];
    char alpha_max[TS_DEC_TEXT_MAX], alpha_min[TS_DEC_TEXT_MAX];
    double accuracy;               /* alpha_max - alpha_min, or -1 if a bound is missing */
    int64_t error_bound_ns;        /* bound on |formula - any consistent line| over the hosts'
                                      time ranges, in R time; -1 if unbounded */
    uint64_t matches;              /* matches between the two hosts */
    uint64_t o_to_r, r_to_o;       /* of which in each direction */
    uint64_t used;                 /* points that changed the hulls' bounds ("accurate" in TC) */
    size_t hull_upper, hull_lower; /* points kept: O->R hull, R->O hull */
    bool in_tree;                  /* used on a path to the reference */
    /* FAIL: the match (1-based, among this pair's) at which the bounds crossed, its
     * R time, and the last good bounds' slopes at that moment */
    uint64_t fail_match;
    int64_t fail_time_ns;
    /* quality and error_bound_ns are the method's; these the single line's (the hull
     * method's) */
    ts_sync_quality hull_quality;
    int64_t hull_error_bound_ns;
    /* piecewise method (0 / -1 otherwise) */
    size_t segments;                    /* ts_sync_pair_segment */
    uint64_t outliers;                  /* isolated impossible matches left out */
    uint64_t conflicts;                 /* matches no continuous increasing map fits */
    int64_t max_below_ns, max_above_ns; /* largest bounds (O time), -1: unbounded */
} ts_sync_pair_info;
void ts_sync_pair(const ts_sync *s, size_t i, ts_sync_pair_info *out);

/* Piecewise method: segment j of pair i, in the pair's R time.  Its map is
 * T_O = slope * T_R + offset over [start_ns, end_ns). */
typedef struct ts_sync_segment_info {
    int64_t start_ns, end_ns;              /* INT64_MIN / INT64_MAX for the first / last */
    int64_t first_match_ns, last_match_ns; /* its matches' R times (0 if none) */
    uint64_t o_to_r, r_to_o;               /* its matches (outliers left out) */
    char slope[TS_DEC_TEXT_MAX], offset[TS_DEC_TEXT_MAX];
    double drift_ppm;        /* (slope - 1) * 1e6, for printing */
    bool bridge;             /* bridges a clock step (slope far from 1) */
    ts_sync_quality quality; /* accurate: its matches bound its slope both ways */
    /* the largest bounds over its domain (within the hosts' time ranges): the true O
     * time lies at most max_below_ns below and max_above_ns above the map; -1 when
     * unbounded.  max_bound_ns: the larger, in R or O time, whichever is larger. */
    int64_t max_below_ns, max_above_ns, max_bound_ns;
} ts_sync_segment_info;
void ts_sync_pair_segment(const ts_sync *s, size_t pair, size_t j, ts_sync_segment_info *out);

/* Piecewise method: match i left out of pair `pair`'s map. */
typedef struct ts_sync_outlier {
    bool o_to_r;              /* sent by O, received by R */
    int64_t send_ns, recv_ns; /* as recorded (own clocks) */
    bool conflict;            /* true: no continuous increasing map through its segment fits
                                 it; false: an isolated impossible point */
    int64_t latency_ns;       /* its latency once corrected, R time (< 0: receive before send) */
} ts_sync_outlier;
size_t ts_sync_pair_outlier_count(const ts_sync *s, size_t pair);
void ts_sync_pair_outlier(const ts_sync *s, size_t pair, size_t i, ts_sync_outlier *out);

typedef struct ts_sync_trace_info {
    bool is_reference;       /* on the reference host */
    bool reachable;          /* joined to the reference (else identity) */
    ts_sync_quality quality; /* worst pair quality on its path (reference: accurate) */
    char slope[TS_DEC_TEXT_MAX], offset_ns[TS_DEC_TEXT_MAX];
    double drift_ppm;           /* (slope - 1) * 1e6 */
    int64_t offset_at_start_ns; /* T_ref(begin) - begin */
    int64_t error_bound_ns;     /* accumulated along the path; -1 if unbounded */
    int pair;                   /* pair joining this host to the next on the path (-1: none) */
    size_t path_len;            /* hosts on the path, this one first, the reference last */
    const size_t *path;         /* their first traces' indexes */
    size_t segments;            /* piecewise: pieces of its map to the reference (0: none) */
    /* piecewise: matches between its host and the other hosts not next to it on its
     * path (its map is refitted to them, within its bounds, when some would receive
     * before their send), and how many of them still do; a pair whose own matches
     * conflict is not counted (nor are the matches a pair left out) */
    uint64_t cross_matches, cross_unmet;
} ts_sync_trace_info;
/* slope / offset_ns: the single line (the hull method's formula, in both methods);
 * quality, error bound and path: the method's. */
void ts_sync_trace(const ts_sync *s, size_t trace, ts_sync_trace_info *out);

/* Piecewise method, after ts_sync_solve: the bounds at own time t of a trace: the
 * true reference time lies within [mapped - *below_ns, mapped + *above_ns] (-1:
 * unbounded).  Along a path of several pairs, the pairs' bounds add up.  TS_ERR_ARG
 * if the trace is not joined to the reference by the piecewise method. */
ts_status ts_sync_trace_bounds_at(const ts_sync *s, size_t trace, int64_t t, int64_t *below_ns,
                                  int64_t *above_ns, ts_error *err);
/* Piecewise method: the bounds of every trace joined to the reference, as CSV:
 *   trace,own_ns,ref_ns,below_ns,above_ns
 * with rows at every instant where they may bend or jump (every match and knot on
 * its path, two rows -- just before and at -- where they jump), so that between two
 * rows each bound is at least the straight line joining them. */
ts_status ts_sync_write_bounds(const ts_sync *s, const ts_formulas *f, const char *path,
                               ts_error *err);
uint64_t ts_sync_same_host_matches(const ts_sync *s);

/* Negative latencies after correction: feed matches with corrected times
 * (send_ns/recv_ns, e.g. from ts_match_run on a set with the formulas applied). */
typedef struct ts_sync_violations {
    uint64_t matches;      /* matches seen */
    uint64_t negative;     /* of which receive before send */
    int64_t worst_ns;      /* most negative latency (0 if none) */
    int64_t worst_send_ns; /* send time of that match (corrected) */
    uint32_t worst_src, worst_dst;
} ts_sync_violations;
void ts_sync_violations_add(ts_sync_violations *v, const ts_match *m);

#ifdef __cplusplus
}
#endif
#endif
