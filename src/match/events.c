/* The events the matcher reads (see events.h). */
#include "match/events.h"

const ts_match_evdef ts_match_defs[TS_MATCH_NEVENTS] = {
    {"net_dev_queue", TS_MATCH_TCP, TS_MATCH_SEND, TS_SHAPE_NET},
    {"netif_receive_skb", TS_MATCH_TCP, TS_MATCH_RECV, TS_SHAPE_NET},
    {"net_if_receive_skb", TS_MATCH_TCP, TS_MATCH_RECV, TS_SHAPE_NET},
    {"inet_sock_local_out", TS_MATCH_TCP, TS_MATCH_SEND, TS_SHAPE_INET},
    {"inet_sock_local_in", TS_MATCH_TCP, TS_MATCH_RECV, TS_SHAPE_INET},
    {"vmsync_gh_guest", TS_MATCH_VMSYNC, TS_MATCH_SEND, TS_SHAPE_VMSYNC},
    {"vmsync_gh_host", TS_MATCH_VMSYNC, TS_MATCH_RECV, TS_SHAPE_VMSYNC},
    {"vmsync_hg_host", TS_MATCH_VMSYNC, TS_MATCH_SEND, TS_SHAPE_VMSYNC},
    {"vmsync_hg_guest", TS_MATCH_VMSYNC, TS_MATCH_RECV, TS_SHAPE_VMSYNC},
    {"kvm_x86_hypercall", TS_MATCH_VMSYNC, TS_MATCH_RECV, TS_SHAPE_HCALL},
    {"kvm_hypercall", TS_MATCH_VMSYNC, TS_MATCH_RECV, TS_SHAPE_HCALL},
};

const char *ts_match_kind_name(int kind)
{
    return kind == TS_MATCH_TCP ? "tcp" : kind == TS_MATCH_VMSYNC ? "vmsync" : "?";
}

const char *ts_match_event_name(size_t i)
{
    return i < TS_MATCH_NEVENTS ? ts_match_defs[i].name : NULL;
}
