/* tracesync: events that cross machines, matched into (send, receive) pairs.
 *
 *   ts_match_stats st;
 *   ts_match_run(set, NULL, on_match, ctx, &st, &err);   // one pass over the set
 *   ...
 *   ts_match_stats_free(&st);
 *
 * Keys (docs/cli-latency.md tells the whole story):
 * - TCP: (seq, ack_seq, flags) of the TCP header.  Send = net_dev_queue or the old
 *   inet_sock_local_out; receive = netif_receive_skb (lttng-modules <= 2.6),
 *   net_if_receive_skb (2.7+) or inet_sock_local_in.  IPv4 and IPv6, every layout
 *   (2.9/2.10 select the transport by `protocol`, 2.11+ by `transport_header_type`).
 *   Events without a TCP header are counted (unusable), not matched.
 * - vmsync: (vm_uid, cnt).  vmsync_gh_guest -> vmsync_gh_host and vmsync_hg_host ->
 *   vmsync_hg_guest; on a host trace without the vmsync_gh_host event,
 *   kvm_x86_hypercall / kvm_hypercall with nr == 5 (a0 = cnt, a1 = vm_uid) is the receive.
 *
 * Semantics: events are read in time order (after the traces' time maps); a
 * receive may come before its send (clocks differ) and waits for it.
 * - Identical keys (repeated pure ACKs, retransmissions) wait in arrival order, one
 *   queue per key, trace and direction, and are taken first in, first out: packets
 *   between two hosts arrive in order.  The first 8 of each queue are candidates.
 * - Latency check: a candidate whose latency would be far from the recent latencies
 *   of its pair of hosts (more than max(16 MAD, 0.5 ms) from their median, once 4
 *   are known) is passed over (counted as implausible): it is typically a lost
 *   packet's event that carries the same key as the next one.  When the clocks of a
 *   pair step, 8 refused candidates that agree among themselves become the pair's
 *   new reference.  TCP only: a vmsync key names one exchange round, and the rounds
 *   right after a clock step are the ones that show the step.
 * - Same host (same host id): a send never takes a receive of its own host (refused:
 *   the packet came through this host); a receive that finds a send of its own host
 *   pairs with it as an internal hop (bridge, veth, loopback): both are consumed,
 *   the pair is counted and not reported (unless report_same_host).
 * - tracecompass_rules: Trace Compass's rules instead: while a key waits in a trace,
 *   later events with that key and direction there are ignored (the first is
 *   kept), and the earliest candidate is taken without the latency check.
 *
 * Bounded memory: an unmatched event is dropped when
 *  (a) cleanup (Trace Compass's rule; no_cleanup turns it off): once a host H has a
 *      reported match of a kind with every other host of the set, the unmatched
 *      sends of that kind in the matched send's trace older than the oldest of
 *      those latest matches' send times are taken as lost, and symmetrically for
 *      receives;
 *  (b) age: it is older than max_age_ns (trace time) behind the event being read;
 *  (c) the table is full (max_pending entries): the oldest goes.
 * Each drop is counted per trace, kind and direction.
 */
#ifndef TRACESYNC_MATCH_H
#define TRACESYNC_MATCH_H

#include "tracesync/common.h"
#include "tracesync/traceset.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ts_match_kind {
    TS_MATCH_TCP = 0,    /* (seq, ack_seq, flags) of a TCP header */
    TS_MATCH_VMSYNC = 1, /* (vm_uid, cnt) of vmsync / kvm hypercall events */
} ts_match_kind;
#define TS_MATCH_NKINDS 2

/* Direction of an event: index of the second dimension of ts_match_trace_stats.counts. */
typedef enum ts_match_dir {
    TS_MATCH_SEND = 0, /* cause */
    TS_MATCH_RECV = 1, /* effect */
} ts_match_dir;

/* One matched pair: the cause (send) in trace src, the effect (receive) in dst. */
typedef struct ts_match {
    uint32_t src_trace, dst_trace; /* indexes in the trace set */
    int64_t send_raw, recv_raw;    /* ns from origin as recorded in each trace */
    int64_t send_ns, recv_ns;      /* the same after the traces' time maps (== raw if none) */
    uint8_t kind;                  /* ts_match_kind */
    uint64_t key[3];               /* tcp: seq, ack_seq, flags; vmsync: vm_uid, cnt, 0 */
} ts_match;

/* "tcp" or "vmsync" ("?" for anything else). */
const char *ts_match_kind_name(int kind);

/* Called for every reported match, in the order matches are found (the time of the
 * later of its two events).  A non-zero return stops the run (ts_match_run returns TS_OK). */
typedef int (*ts_match_cb)(void *ctx, const ts_match *m);

#define TS_MATCH_DEFAULT_MAX_AGE_NS  (10LL * 1000000000LL) /* 10 s */
#define TS_MATCH_DEFAULT_MAX_PENDING ((size_t)1 << 20)     /* ~75 MB of unmatched events */

/* Zero-initialised = defaults. */
typedef struct ts_match_options {
    unsigned kinds;          /* bit mask of 1u << ts_match_kind; 0 = every kind */
    int64_t max_age_ns;      /* age bound (trace time); 0 = default; < 0 = no age bound */
    size_t max_pending;      /* bound on unmatched events held; 0 = default */
    bool no_cleanup;         /* disable rule (a) (the cleanup) */
    bool tracecompass_rules; /* Trace Compass's matching: while a key waits in a trace, later
                                events with that key and direction there are ignored; the
                                earliest candidate is taken, without the latency check */
    bool report_same_host;   /* also report internal-hop pairs (same host id) */
    bool window;             /* read only events with begin_ns <= ts <= end_ns (after maps) */
    int64_t begin_ns, end_ns;
    unsigned nthreads; /* reader threads for ts_iter_new_ex (0 = library default) */
    /* How far the times of a trace of the set may be off the reference clock around
     * its own (raw) time raw_ns, in ns (the error bounds of the clock formulas
     * installed; < 0: unknown); NULL: unknown everywhere.  For a candidate whose two
     * events' errors are both known, the latency check refuses it only when it is
     * further from its pair's median than its tolerance plus both errors (corrected
     * times that are off near a clock step must not hide the matches that show the
     * step), and never takes it when its receive comes before its send by more than
     * both errors (impossible: in a storm of identical keys, a receive waiting for a
     * lost packet's send must not take a later one's). */
    int64_t (*time_error)(void *ctx, uint32_t trace, int64_t raw_ns);
    void *time_error_ctx;
} ts_match_options;

/* Dispositions of the events of one trace, one kind, one direction.  Every event
 * with a key ends in exactly one of: matched, same_host, duplicate, expired,
 * cleaned, evicted, left (so seen is their sum). */
typedef struct ts_match_counts {
    uint64_t seen;      /* events with a usable key */
    uint64_t matched;   /* in a reported match */
    uint64_t same_host; /* in an internal-hop pair (same host id): not reported */
    uint64_t duplicate; /* tracecompass_rules: ignored, an event with this key already
                           waited in this trace and direction (else always 0) */
    uint64_t expired;   /* dropped unmatched by the age bound */
    uint64_t cleaned;   /* dropped unmatched by the cleanup rule */
    uint64_t evicted;   /* dropped unmatched because the table was full */
    uint64_t left;      /* still unmatched at the end */
} ts_match_counts;

/* Unmatched = dropped or left at the end. */
static inline uint64_t ts_match_counts_unmatched(const ts_match_counts *c)
{
    return c->expired + c->cleaned + c->evicted + c->left;
}

/* The event names the matcher reads, in a fixed order (index for events[]/unusable[]). */
#define TS_MATCH_NEVENTS 11
const char *ts_match_event_name(size_t i);

typedef struct ts_match_trace_stats {
    ts_match_counts counts[TS_MATCH_NKINDS][2]; /* [kind][ts_match_dir] */
    uint64_t events[TS_MATCH_NEVENTS];          /* events read, per name (hypercalls: nr 5 only) */
    uint64_t unusable[TS_MATCH_NEVENTS]; /* of those, without a usable key (no TCP header...) */
    /* per kind: sends that found their key waiting as a receive of their own host,
     * and were not paired with it */
    uint64_t same_host_refused[TS_MATCH_NKINDS];
    /* per kind: candidates passed over because the latency they would give was
     * implausible for their pair of hosts (a lost packet with the same key) */
    uint64_t implausible[TS_MATCH_NKINDS];
} ts_match_trace_stats;

typedef struct ts_match_stats {
    size_t ntraces;
    ts_match_trace_stats *traces; /* ntraces entries (allocated by ts_match_run) */
    uint64_t matches;             /* reported matches */
    uint64_t pending_peak;        /* most unmatched events held at once */
    int64_t max_age_ns;           /* the bounds in force (< 0: none) */
    size_t max_pending;
    bool cleanup, tracecompass_rules; /* the rules in force */
} ts_match_stats;

/* One pass over the set: reads the matching events of every trace in time order and
 * calls cb for each match.  opt may be NULL; stats may be NULL (else it is filled and
 * must be released with ts_match_stats_free, even after an error). */
ts_status ts_match_run(ts_traceset *set, const ts_match_options *opt, ts_match_cb cb, void *ctx,
                       ts_match_stats *stats, ts_error *err);
void ts_match_stats_free(ts_match_stats *stats);

#ifdef __cplusplus
}
#endif
#endif
