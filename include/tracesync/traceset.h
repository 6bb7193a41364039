/* tracesync: a set of CTF traces read as one time-ordered event stream.
 *
 *   ts_traceset *set;
 *   ts_traceset_open(paths, npaths, &set, &err);     // discovers every trace under the paths
 *   ts_request *rq = ts_request_new();
 *   int k_send = ts_request_event(rq, "net_dev_queue");
 *   ts_request_field(rq, "net_dev_queue", "network_header.ipv4.transport_header.tcp.seq", 0);
 *   ts_iter *it;
 *   ts_iter_new(set, rq, &it, &err);
 *   const ts_event *ev;
 *   while (ts_iter_next(it, &ev, &err) == TS_OK && ev) {
 *       if (ev->key == k_send && ev->slots[0].type != TS_VAL_NONE) ...
 *   }
 *   ts_iter_free(it); ts_request_free(rq); ts_traceset_free(set);
 *
 * Events come out in order of their (transformed) timestamp across all traces.
 * Only requested events are decoded; the others are skipped by size.
 * Data errors met while reading (a corrupt packet, a truncated file) do not stop
 * the iteration: they are recorded as diagnostics (ts_traceset_diag_*) and the
 * rest of the trace is read.
 */
#ifndef TRACESYNC_TRACESET_H
#define TRACESYNC_TRACESET_H

#include "tracesync/common.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ts_traceset ts_traceset;
typedef struct ts_trace ts_trace;
typedef struct ts_request ts_request;
typedef struct ts_iter ts_iter;

/* ---- values ------------------------------------------------------------ */

typedef enum ts_value_type {
    TS_VAL_NONE = 0, /* field absent in this event (path not in its layout, other variant option) */
    TS_VAL_INT,      /* signed integer (or enum with signed container): .i */
    TS_VAL_UINT,     /* unsigned integer (or enum with unsigned container): .u */
    TS_VAL_STR,      /* string or char array: .s (not NUL-terminated), .len bytes */
    TS_VAL_DOUBLE,   /* floating point: .d */
} ts_value_type;

typedef struct ts_value {
    uint8_t type; /* ts_value_type */
    uint32_t len; /* for TS_VAL_STR */
    union {
        int64_t i;
        uint64_t u;
        const char *s;
        double d;
    };
} ts_value;

/* Integer view of a value (INT or UINT), 0 otherwise. */
static inline uint64_t ts_value_u64(const ts_value *v)
{
    return v->type == TS_VAL_INT ? (uint64_t)v->i : v->type == TS_VAL_UINT ? v->u : 0;
}
static inline bool ts_value_is_int(const ts_value *v)
{
    return v->type == TS_VAL_INT || v->type == TS_VAL_UINT;
}

/* ---- opening ----------------------------------------------------------- */

/* Open every trace found under the given paths.  A path is a trace directory
 * (it holds a `metadata` file) or any folder holding traces (searched
 * recursively).  "NAME=PATH" names the trace(s) found under PATH explicitly;
 * otherwise a trace is named after the hostname in its env (made unique with
 * a suffix), or its directory name. */
ts_status ts_traceset_open(const char *const *paths, size_t npaths, ts_traceset **out,
                           ts_error *err);
void ts_traceset_free(ts_traceset *set);

size_t ts_traceset_count(const ts_traceset *set);
const ts_trace *ts_traceset_trace(const ts_traceset *set, size_t i);
/* Index of the trace with this name, or -1. */
int ts_traceset_find(const ts_traceset *set, const char *name);

/* Diagnostics: data errors and losses met so far (opening and iteration),
 * one human-readable line each ("<file>: byte <off>: <what>"). */
size_t ts_traceset_diag_count(const ts_traceset *set);
const char *ts_traceset_diag(const ts_traceset *set, size_t i);
/* Number of diagnostics that are errors (corrupt or truncated data), as
 * opposed to notes (discarded events reported by the tracer). */
size_t ts_traceset_error_count(const ts_traceset *set);

/* Time range of the set from packet headers (raw ns from origin, before any
 * time map): the earliest packet begin and the latest packet end. */
void ts_traceset_time_range(const ts_traceset *set, int64_t *begin, int64_t *end);

/* Time transform applied to every timestamp of a trace as events come out
 * (ns from origin -> ns from origin).  Must be non-decreasing.  NULL removes it. */
typedef int64_t (*ts_time_map_fn)(void *ctx, int64_t ns);
void ts_traceset_set_time_map(ts_traceset *set, size_t trace, ts_time_map_fn fn, void *ctx);

/* ---- one trace --------------------------------------------------------- */

const char *ts_trace_name(const ts_trace *t);
const char *ts_trace_path(const ts_trace *t);
const char *ts_trace_hostname(const ts_trace *t); /* env hostname or "" */
/* Host id: the clock uuid (the boot id for LTTng kernel traces), else the name. */
const char *ts_trace_host_id(const ts_trace *t);
size_t ts_trace_index(const ts_trace *t);
/* Env entries: string value, or NULL; integer value via ts_trace_env_int. */
const char *ts_trace_env_str(const ts_trace *t, const char *key);
bool ts_trace_env_int(const ts_trace *t, const char *key, int64_t *out);

typedef struct ts_clock_info {
    const char *name;
    const char *uuid; /* "" if none */
    uint64_t freq;
    int64_t offset_s;
    int64_t offset; /* cycles */
    const char *description;
} ts_clock_info;
void ts_trace_clock(const ts_trace *t, ts_clock_info *out);

size_t ts_trace_event_class_count(const ts_trace *t);
const char *ts_trace_event_class_name(const ts_trace *t, size_t i);
bool ts_trace_has_event(const ts_trace *t, const char *name);

typedef struct ts_stream_info {
    uint64_t stream_class_id;
    uint64_t instance_id;
    uint32_t cpu;          /* from the first packet's cpu_id (UINT32_MAX if none) */
    uint32_t nfiles;       /* files this stream is split over */
    uint64_t packets;      /* packets found by the scan */
    uint64_t bytes;        /* total stream bytes */
    int64_t begin_ns;      /* first packet's timestamp_begin, ns from origin */
    int64_t end_ns;        /* largest timestamp_end, ns from origin */
    uint64_t discarded;    /* events the tracer reported discarded */
    uint64_t lost_packets; /* gaps in packet_seq_num */
    const char *first_file;
} ts_stream_info;
size_t ts_trace_stream_count(const ts_trace *t);
void ts_trace_stream(const ts_trace *t, size_t i, ts_stream_info *out);

/* Where the trace lost events, from its packets: a packet whose discarded count grew
 * lost some between the previous packet's end and its own end; a gap in the packet
 * sequence numbers, between the previous packet's end and the next one's beginning.
 * Ranges in ns from origin (the trace's own clock), per stream in packet order
 * (*out malloc'd, NULL when there are none). */
typedef struct ts_loss {
    int64_t begin_ns, end_ns;
} ts_loss;
ts_status ts_trace_losses(const ts_trace *t, ts_loss **out, size_t *n, ts_error *err);

/* ---- requests: what an analysis wants decoded -------------------------- */

#define TS_MAX_SLOTS 16

ts_request *ts_request_new(void);
void ts_request_free(ts_request *rq);
/* Ask for every event (keys are then -1 for events not named by ts_request_event). */
void ts_request_all_events(ts_request *rq);
/* Ask for events of this name; returns the key events of this name carry
 * (a small integer, the same for every trace), or -1 on allocation failure.
 * Calling twice with one name returns the same key. */
int ts_request_event(ts_request *rq, const char *event_name);
/* Ask for a field of an event (implies ts_request_event).  The path names
 * fields from the payload root, separated by dots; leading underscores of
 * declared names are ignored; a variant is crossed by naming its option
 * ("network_header.ipv4.transport_header.tcp.seq") and the value is absent
 * (TS_VAL_NONE) when another option is selected.  The prefix "context." reads
 * the stream event context instead of the payload.  Several paths may share a
 * slot: the first one present wins.  slot < TS_MAX_SLOTS. */
ts_status ts_request_field(ts_request *rq, const char *event_name, const char *path, unsigned slot,
                           ts_error *err);

/* ---- iteration --------------------------------------------------------- */

typedef struct ts_event {
    int64_t ts;           /* ns from origin, after the trace's time map */
    int64_t ts_raw;       /* ns from origin, as recorded */
    uint64_t cycles;      /* raw clock value */
    uint32_t trace;       /* index in the set */
    uint32_t stream;      /* stream index within the trace */
    uint32_t cpu;         /* packet context cpu_id (UINT32_MAX if none) */
    int32_t key;          /* request key of this event's name, or -1 */
    uint32_t class_index; /* event class index within its trace */
    const char *name;
    const ts_value *slots; /* TS_MAX_SLOTS values (TS_VAL_NONE where absent) */
    const void *priv;      /* decoder-private: lets ts_event_visit decode the payload */
} ts_event;

/* The iterator reads with worker threads (nthreads 0 = one per core). */
ts_status ts_iter_new(ts_traceset *set, const ts_request *rq, ts_iter **out, ts_error *err);
ts_status ts_iter_new_ex(ts_traceset *set, const ts_request *rq, unsigned nthreads, ts_iter **out,
                         ts_error *err);
/* Only events with begin <= ts <= end (transformed time) come out. */
void ts_iter_set_window(ts_iter *it, int64_t begin, int64_t end);
/* *ev is set to the next event (valid until the next call), or NULL at the end. */
ts_status ts_iter_next(ts_iter *it, const ts_event **ev, ts_error *err);
void ts_iter_free(ts_iter *it);

/* ---- full decoding (dump, tests) --------------------------------------- */

typedef struct ts_field_visitor {
    void (*begin_struct)(void *ctx, const char *name); /* name NULL for the root */
    void (*end_struct)(void *ctx);
    void (*begin_array)(void *ctx, const char *name, uint64_t len);
    void (*end_array)(void *ctx);
    void (*begin_variant)(void *ctx, const char *name, const char *option);
    void (*end_variant)(void *ctx);
    /* integer or enum (enum_label non-NULL for an enum with a matching label) */
    void (*integer)(void *ctx, const char *name, const ts_value *v, int base,
                    const char *enum_label);
    void (*string)(void *ctx, const char *name, const char *s, size_t len);
    void (*floating)(void *ctx, const char *name, double v);
} ts_field_visitor;

typedef enum ts_scope {
    TS_SCOPE_PAYLOAD = 0,
    TS_SCOPE_EVENT_CONTEXT = 1, /* stream.event.context, if any */
} ts_scope;

/* Walk the fields of an event returned by ts_iter_next (names without their
 * leading underscore).  Returns TS_ERR_NOTFOUND if the scope is empty. */
ts_status ts_event_visit(const ts_event *ev, ts_scope scope, const ts_field_visitor *v, void *ctx,
                         ts_error *err);

#ifdef __cplusplus
}
#endif
#endif
