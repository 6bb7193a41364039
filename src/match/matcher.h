/* The pure matcher (internal): fed keyed events in time order, emits matches.
 * Knows nothing of traces or decoding; ts_match_run (match_run.c) feeds it.
 * Semantics and memory bounds: include/tracesync/match.h. */
#ifndef TS_MATCH_MATCHER_H
#define TS_MATCH_MATCHER_H

#include "tracesync/match.h"

typedef struct ts_matcher ts_matcher;

/* One keyed event.  ts must not decrease from one event to the next. */
typedef struct ts_match_input {
    uint32_t trace; /* < ntraces */
    uint8_t dir;    /* ts_match_dir */
    uint8_t kind;   /* ts_match_kind */
    uint64_t key[3];
    int64_t ts;     /* ns after the trace's time map: ordering, ages, cleanup */
    int64_t ts_raw; /* ns as recorded (copied into matches) */
} ts_match_input;

/* trace_host[i] = host index of trace i (traces of one host share a clock and never
 * match each other).  opt may be NULL.  cb receives every reported match. */
ts_status ts_matcher_new(const uint32_t *trace_host, size_t ntraces, const ts_match_options *opt,
                         ts_match_cb cb, void *ctx, ts_matcher **out, ts_error *err);
void ts_matcher_free(ts_matcher *m);

/* Feed one event.  Fails only on allocation failure (or a bad trace/kind/dir). */
ts_status ts_matcher_feed(ts_matcher *m, const ts_match_input *in, ts_error *err);
/* True once the callback returned non-zero (later feeds do nothing). */
bool ts_matcher_stopped(const ts_matcher *m);
/* Count an event of trace that carried no usable key (ev = ts_match_event_name index). */
void ts_matcher_note_event(ts_matcher *m, uint32_t trace, size_t ev, bool usable);
/* End of input: what is still unmatched is counted as left. */
void ts_matcher_finish(ts_matcher *m);

/* Unmatched events held for (trace, dir), of one kind or of every kind (kind < 0). */
size_t ts_matcher_pending(const ts_matcher *m, uint32_t trace, int dir, int kind);
size_t ts_matcher_pending_total(const ts_matcher *m);
size_t ts_matcher_pending_peak(const ts_matcher *m);
uint64_t ts_matcher_reported(const ts_matcher *m);
const ts_match_trace_stats *ts_matcher_stats(const ts_matcher *m, uint32_t trace);
/* The bounds in force after defaults (max_age < 0: none). */
int64_t ts_matcher_max_age(const ts_matcher *m);
size_t ts_matcher_max_pending(const ts_matcher *m);

#endif
