/* VM analysis: where a host trace lost events, from its packets.
 *
 * The public trace-set API gives each stream's total of discarded events only; the
 * analysis needs where they were lost, so this one function reads the packet index
 * of the trace module (read-only).  A packet whose events_discarded count grew lost
 * events between the end of the previous packet and its own end; a gap in
 * packet_seq_num lost whole packets between the previous packet's end and the next
 * one's beginning. */
#include "trace/trace_impl.h"
#include "vm/losses.h"

#include <stdlib.h>

static int push(vm_loss_list *l, int64_t b, int64_t e)
{
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 8;
        vm_loss *nv = realloc(l->v, ncap * sizeof *nv);
        if (!nv) return -1;
        l->v = nv;
        l->cap = ncap;
    }
    l->v[l->n].begin = b;
    l->v[l->n].end = e;
    l->n++;
    return 0;
}

int vm_trace_losses(const ts_trace *t, vm_loss_list *out)
{
    for (size_t k = 0; k < t->nstreams; k++) {
        const ts_stream *s = &t->streams[k];
        uint64_t prev_disc = 0;
        for (size_t p = 0; p < s->npackets; p++) {
            const ts_packet *pk = &s->packets[p];
            int64_t begin = ts_trace_cycles_to_ns(t, pk->ts_begin);
            int64_t end = pk->ts_end ? ts_trace_cycles_to_ns(t, pk->ts_end) : begin;
            int64_t prev_end =
                p ? ts_trace_cycles_to_ns(t, s->packets[p - 1].ts_end ? s->packets[p - 1].ts_end
                                                                      : s->packets[p - 1].ts_begin)
                  : begin;
            if (pk->discarded > prev_disc && push(out, prev_end, end)) return -1;
            if (pk->discarded > prev_disc || p == 0) prev_disc = pk->discarded;
            if (s->has_seq && p > 0 && pk->seq_num > s->packets[p - 1].seq_num + 1 &&
                push(out, prev_end, begin))
                return -1;
        }
    }
    return 0;
}
