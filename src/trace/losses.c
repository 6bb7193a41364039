/* Where a trace lost events, from its packets (ts_trace_losses).
 *
 * A packet whose events_discarded count grew lost events between the end of the
 * previous packet and its own end; a gap in packet_seq_num lost whole packets
 * between the previous packet's end and the next one's beginning. */
#include "trace/trace_impl.h"

#include <stdlib.h>

static bool push(ts_loss **v, size_t *n, size_t *cap, int64_t b, int64_t e)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        ts_loss *nv = realloc(*v, ncap * sizeof *nv);
        if (!nv) return false;
        *v = nv;
        *cap = ncap;
    }
    (*v)[*n].begin_ns = b;
    (*v)[(*n)++].end_ns = e;
    return true;
}

ts_status ts_trace_losses(const ts_trace *t, ts_loss **out, size_t *n, ts_error *err)
{
    ts_loss *v = NULL;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
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
            bool ok = true;
            if (pk->discarded > prev_disc) ok = push(&v, n, &cap, prev_end, end);
            if (pk->discarded > prev_disc || p == 0) prev_disc = pk->discarded;
            if (ok && s->has_seq && p > 0 && pk->seq_num > s->packets[p - 1].seq_num + 1)
                ok = push(&v, n, &cap, prev_end, begin);
            if (!ok) {
                free(v);
                *n = 0;
                return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
            }
        }
    }
    *out = v;
    return TS_OK;
}
