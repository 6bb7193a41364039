/* The events the matcher reads: name, key kind, direction, payload shape (internal). */
#ifndef TS_MATCH_EVENTS_H
#define TS_MATCH_EVENTS_H

#include "tracesync/match.h"

enum ts_match_shape {
    TS_SHAPE_NET,    /* net_dev_queue & co: TCP header inside network_header */
    TS_SHAPE_INET,   /* addons inet_sock_local_*: top-level seq, ack_seq, flags */
    TS_SHAPE_VMSYNC, /* vmsync_*: vm_uid, cnt */
    TS_SHAPE_HCALL,  /* kvm hypercall: nr, a0 (cnt), a1 (vm_uid) */
};

typedef struct ts_match_evdef {
    const char *name;
    uint8_t kind, dir, shape;
} ts_match_evdef;

/* Indexed like ts_match_trace_stats.events (ts_match_event_name). */
extern const ts_match_evdef ts_match_defs[TS_MATCH_NEVENTS];

#endif
