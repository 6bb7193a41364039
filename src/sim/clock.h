/* Simulated machine clocks (internal): a clock is a piecewise-linear function
 * of true time given by integer knots (true_ns, clock_ns).
 *
 * Between knots i and i+1 (t_i <= t < t_{i+1}):
 *     clock(t) = c_i + floor((t - t_i) * (c_{i+1} - c_i) / (t_{i+1} - t_i))
 * Two knots with the same true time are a forward step: from that time on the
 * clock takes the second value.  Before the first knot and after the last one
 * the clock runs at slope 1.  Every time is an int64 nanosecond count. */
#ifndef TS_SIM_CLOCK_H
#define TS_SIM_CLOCK_H

#include "tracesync/common.h"
#include "sim/rng.h"

#include <stddef.h>
#include <stdint.h>

typedef struct sim_knot {
    int64_t t; /* true time, ns since the epoch */
    int64_t c; /* clock value, ns since the epoch (clock offset + cycles) */
} sim_knot;

typedef struct sim_clockfn {
    sim_knot *k;
    size_t n, cap;
} sim_clockfn;

void clockfn_free(sim_clockfn *f);
/* Append a knot; returns 0, or -1 when out of memory. */
int clockfn_push(sim_clockfn *f, int64_t t, int64_t c);
/* Exact evaluation (binary search + 128-bit arithmetic). */
int64_t clockfn_eval(const sim_clockfn *f, int64_t t);
/* Check that the clock never goes back (strictly increasing between knots,
 * steps forward only).  Returns the index of the first bad knot, or 0. */
size_t clockfn_first_bad(const sim_clockfn *f);

/* A cursor evaluates one clock at non-decreasing times quickly (no division
 * in the common case); it falls back to the exact evaluation otherwise.
 * Results are identical to clockfn_eval. */
typedef struct clock_cursor {
    const sim_clockfn *f;
    size_t seg;     /* knot index i with t_i <= t < t_{i+1}; n-1 = after the last */
    int64_t t_i;    /* segment start (true) */
    int64_t c_i;    /* segment start (clock) */
    int64_t t_next; /* segment end (true), INT64_MAX after the last knot */
    int64_t dt;     /* t_{i+1} - t_i (1 outside the knots) */
    int64_t s;      /* (c_{i+1} - c_i) - dt: the drift part (0 outside the knots) */
    int64_t t_last; /* last evaluated time */
    int64_t q;      /* floor((t_last - t_i) * s / dt) */
    int64_t rem;    /* (t_last - t_i) * s - q * dt, in [0, dt) */
    int valid;
} clock_cursor;

void clock_cursor_init(clock_cursor *cc, const sim_clockfn *f);
int64_t clock_cursor_eval_slow(clock_cursor *cc, int64_t t);

static inline int64_t clock_cursor_eval(clock_cursor *cc, int64_t t)
{
    if (cc->valid && t >= cc->t_last && t < cc->t_next) {
        int64_t d = t - cc->t_last;
        if (d < ((int64_t)1 << 22) && cc->s < ((int64_t)1 << 40) && cc->s > -((int64_t)1 << 40)) {
            int64_t x = cc->rem + d * cc->s;
            int64_t q = cc->q;
            if (x >= cc->dt || x < 0) {
                int64_t k = x / cc->dt;
                if (x - k * cc->dt < 0) k--;
                q += k;
                x -= k * cc->dt;
            }
            cc->q = q;
            cc->rem = x;
            cc->t_last = t;
            return cc->c_i + (t - cc->t_i) + q;
        }
    }
    return clock_cursor_eval_slow(cc, t);
}

/* What a machine's clock does relative to true time, as a scenario says. */
typedef struct sim_clock_slew {
    int64_t at;  /* true time from the start (ns) */
    int64_t ppb; /* new drift, parts per billion */
} sim_clock_slew;

typedef struct sim_clock_step {
    int64_t at;    /* true time from the start (ns) */
    int64_t delta; /* ns, > 0 */
} sim_clock_step;

typedef struct sim_clock_spec {
    int64_t offset;    /* clock - true at the start, ns */
    int64_t drift_ppb; /* initial drift */
    sim_clock_slew *slews;
    size_t nslews;
    sim_clock_step *steps;
    size_t nsteps;
    int64_t wander, wander_interval;       /* random walk: peak-to-peak ns, knot spacing */
    int64_t osc_amp, osc_period, osc_snap; /* sawtooth: rise over period-snap, fall over snap */
    int follow;                            /* machine whose clock this one follows, or -1 */
    int64_t jitter, jitter_interval;       /* +-jitter ns around the followed clock */
} sim_clock_spec;

/* Build the knots of a clock over true times [origin, origin + span]:
 * clock(t) = t + err(t), err being the sum of the spec's components
 * (plus the followed clock's error, given as `follow` when spec->follow >= 0).
 * Random components draw from rng.  On failure fills err (without location). */
ts_status clock_build(const sim_clock_spec *spec, const sim_clockfn *follow, int64_t origin,
                      int64_t span, sim_rng *rng, sim_clockfn *out, ts_error *err);

#endif
