/* tracesync: events that cross machines, matched into (send, receive) pairs.
 * (The matcher API is completed in this header by the matching module.) */
#ifndef TRACESYNC_MATCH_H
#define TRACESYNC_MATCH_H

#include "tracesync/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ts_match_kind {
    TS_MATCH_TCP = 0,    /* (seq, ack_seq, flags) of a TCP header */
    TS_MATCH_VMSYNC = 1, /* (vm_uid, cnt) of vmsync / kvm hypercall events */
} ts_match_kind;

/* One matched pair: the cause (send) in trace src, the effect (receive) in dst. */
typedef struct ts_match {
    uint32_t src_trace, dst_trace; /* indexes in the trace set */
    int64_t send_raw, recv_raw;    /* ns from origin as recorded in each trace */
    int64_t send_ns, recv_ns;      /* the same after the traces' time maps (== raw if none) */
    uint8_t kind;                  /* ts_match_kind */
    uint64_t key[3];               /* tcp: seq, ack_seq, flags; vmsync: vm_uid, cnt, 0 */
} ts_match;

#ifdef __cplusplus
}
#endif
#endif
