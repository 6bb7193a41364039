/* ts_match_run: keys from trace events (through ts_request / ts_iter), fed to the
 * pure matcher.  Which events and fields: include/tracesync/match.h. */
#include "match/events.h"
#include "match/matcher.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VMSYNC_HYPERCALL_NR 5

/* Paths of the TCP header fields in the network events, in the order tried:
 * lttng-modules 2.9+ (IPv4, IPv6; the transport variant option is `tcp` whether it
 * is selected by `protocol` (2.9, 2.10) or `transport_header_type` (2.11+)), then the
 * old experimental layout Trace Compass also reads. */
static const char *const net_prefixes[] = {
    "network_header.ipv4.transport_header.tcp.",
    "network_header.ipv6.transport_header.tcp.",
    "transport_fields.thtype_tcp.",
};
static const char *const tcp_fields[3] = {"seq", "ack_seq", "flags"};
static const char *const vmsync_fields[2] = {"vm_uid", "cnt"};
static const char *const hcall_fields[3] = {"nr", "a0", "a1"};

static ts_status request_fields(ts_request *rq, const ts_match_evdef *d, ts_error *err)
{
    ts_status st = TS_OK;
    char path[128];
    switch (d->shape) {
    case TS_SHAPE_NET:
        for (unsigned f = 0; f < 3 && !st; f++)
            for (size_t p = 0; p < sizeof net_prefixes / sizeof net_prefixes[0] && !st; p++) {
                snprintf(path, sizeof path, "%s%s", net_prefixes[p], tcp_fields[f]);
                st = ts_request_field(rq, d->name, path, f, err);
            }
        break;
    case TS_SHAPE_INET:
        for (unsigned f = 0; f < 3 && !st; f++)
            st = ts_request_field(rq, d->name, tcp_fields[f], f, err);
        break;
    case TS_SHAPE_VMSYNC:
        for (unsigned f = 0; f < 2 && !st; f++)
            st = ts_request_field(rq, d->name, vmsync_fields[f], f, err);
        break;
    default:
        for (unsigned f = 0; f < 3 && !st; f++)
            st = ts_request_field(rq, d->name, hcall_fields[f], f, err);
        break;
    }
    return st;
}

/* Fills in->key from the event's slots; false if a field is missing. */
static bool extract_key(const ts_match_evdef *d, const ts_event *ev, ts_match_input *in)
{
    const ts_value *s = ev->slots;
    switch (d->shape) {
    case TS_SHAPE_NET:
    case TS_SHAPE_INET:
        if (!ts_value_is_int(&s[0]) || !ts_value_is_int(&s[1]) || !ts_value_is_int(&s[2]))
            return false;
        in->key[0] = ts_value_u64(&s[0]);
        in->key[1] = ts_value_u64(&s[1]);
        in->key[2] = ts_value_u64(&s[2]);
        return true;
    case TS_SHAPE_VMSYNC:
        if (!ts_value_is_int(&s[0]) || !ts_value_is_int(&s[1])) return false;
        in->key[0] = ts_value_u64(&s[0]);
        in->key[1] = ts_value_u64(&s[1]);
        in->key[2] = 0;
        return true;
    default:
        if (!ts_value_is_int(&s[1]) || !ts_value_is_int(&s[2])) return false;
        in->key[0] = ts_value_u64(&s[2]);
        in->key[1] = ts_value_u64(&s[1]) & 0xffffffffu; /* cnt is a 32-bit counter */
        in->key[2] = 0;
        return true;
    }
}

typedef struct run_state {
    ts_request *rq;
    ts_iter *it;
    ts_matcher *m;
    uint32_t *host;
    bool *use_hcall;
    int *def_of_key; /* request key -> defs index, -1 */
    size_t nkeys;
} run_state;

static void run_state_free(run_state *r)
{
    ts_iter_free(r->it);
    ts_request_free(r->rq);
    ts_matcher_free(r->m);
    free(r->host);
    free(r->use_hcall);
    free(r->def_of_key);
}

static ts_status build_request(run_state *r, unsigned kinds, ts_error *err)
{
    int keys[TS_MATCH_NEVENTS];
    int maxkey = -1;
    r->rq = ts_request_new();
    if (!r->rq) return ts_error_set(err, TS_ERR_NOMEM, "matching: out of memory");
    for (size_t i = 0; i < TS_MATCH_NEVENTS; i++) {
        keys[i] = -1;
        if (!(kinds & (1u << ts_match_defs[i].kind))) continue;
        keys[i] = ts_request_event(r->rq, ts_match_defs[i].name);
        if (keys[i] < 0) return ts_error_set(err, TS_ERR_NOMEM, "matching: out of memory");
        ts_status st = request_fields(r->rq, &ts_match_defs[i], err);
        if (st) return ts_error_prefix(err, "matching: event %s", ts_match_defs[i].name);
        if (keys[i] > maxkey) maxkey = keys[i];
    }
    r->nkeys = (size_t)(maxkey + 1);
    r->def_of_key = malloc((r->nkeys ? r->nkeys : 1) * sizeof *r->def_of_key);
    if (!r->def_of_key) return ts_error_set(err, TS_ERR_NOMEM, "matching: out of memory");
    for (size_t k = 0; k < r->nkeys; k++) r->def_of_key[k] = -1;
    for (size_t i = 0; i < TS_MATCH_NEVENTS; i++)
        if (keys[i] >= 0) r->def_of_key[keys[i]] = (int)i;
    return TS_OK;
}

static ts_status assign_hosts(run_state *r, const ts_traceset *set, size_t n, ts_error *err)
{
    r->host = malloc(n * sizeof *r->host);
    r->use_hcall = malloc(n * sizeof *r->use_hcall);
    if (!r->host || !r->use_hcall)
        return ts_error_set(err, TS_ERR_NOMEM, "matching: out of memory");
    uint32_t nhosts = 0;
    for (size_t i = 0; i < n; i++) {
        const ts_trace *t = ts_traceset_trace(set, i);
        const char *hid = ts_trace_host_id(t);
        size_t j = 0;
        while (j < i && strcmp(ts_trace_host_id(ts_traceset_trace(set, j)), hid) != 0) j++;
        r->host[i] = j < i ? r->host[j] : nhosts++;
        /* a host that records vmsync_gh_host has the module: its hypercalls would
         * duplicate those events */
        r->use_hcall[i] = !ts_trace_has_event(t, "vmsync_gh_host");
    }
    return TS_OK;
}

static ts_status run_loop(run_state *r, ts_error *err)
{
    const ts_event *ev;
    ts_status st;
    while ((st = ts_iter_next(r->it, &ev, err)) == TS_OK && ev) {
        if (ev->key < 0 || (size_t)ev->key >= r->nkeys) continue;
        int di = r->def_of_key[ev->key];
        if (di < 0) continue;
        const ts_match_evdef *d = &ts_match_defs[di];
        if (d->shape == TS_SHAPE_HCALL) {
            if (!r->use_hcall[ev->trace]) continue;
            if (ts_value_is_int(&ev->slots[0]) &&
                ts_value_u64(&ev->slots[0]) != VMSYNC_HYPERCALL_NR)
                continue; /* another hypercall: not a vmsync event at all */
        }
        ts_match_input in;
        bool usable = extract_key(d, ev, &in);
        if (d->shape == TS_SHAPE_HCALL && !ts_value_is_int(&ev->slots[0])) usable = false;
        ts_matcher_note_event(r->m, ev->trace, (size_t)di, usable);
        if (!usable) continue;
        in.trace = ev->trace;
        in.dir = d->dir;
        in.kind = d->kind;
        in.ts = ev->ts;
        in.ts_raw = ev->ts_raw;
        if ((st = ts_matcher_feed(r->m, &in, err))) return st;
        if (ts_matcher_stopped(r->m)) break;
    }
    return st;
}

ts_status ts_match_run(ts_traceset *set, const ts_match_options *opt, ts_match_cb cb, void *ctx,
                       ts_match_stats *stats, ts_error *err)
{
    if (stats) memset(stats, 0, sizeof *stats);
    size_t n = ts_traceset_count(set);
    if (n == 0) return ts_error_set(err, TS_ERR_ARG, "matching: the trace set is empty");
    unsigned kinds = (opt && opt->kinds) ? opt->kinds : (1u << TS_MATCH_NKINDS) - 1;
    run_state r;
    memset(&r, 0, sizeof r);
    ts_status st = build_request(&r, kinds, err);
    if (!st) st = assign_hosts(&r, set, n, err);
    if (!st) st = ts_matcher_new(r.host, n, opt, cb, ctx, &r.m, err);
    if (!st) st = ts_iter_new_ex(set, r.rq, opt ? opt->nthreads : 0, &r.it, err);
    if (!st && opt && opt->window) ts_iter_set_window(r.it, opt->begin_ns, opt->end_ns);
    if (!st) st = run_loop(&r, err);
    if (r.m) ts_matcher_finish(r.m);
    if (stats && r.m) {
        stats->traces = malloc(n * sizeof *stats->traces);
        if (stats->traces) {
            stats->ntraces = n;
            for (uint32_t i = 0; i < n; i++) stats->traces[i] = *ts_matcher_stats(r.m, i);
        } else if (!st) {
            st = ts_error_set(err, TS_ERR_NOMEM, "matching: out of memory");
        }
        stats->matches = ts_matcher_reported(r.m);
        stats->pending_peak = ts_matcher_pending_peak(r.m);
        stats->max_age_ns = ts_matcher_max_age(r.m);
        stats->max_pending = ts_matcher_max_pending(r.m);
        stats->cleanup = !(opt && opt->no_cleanup);
        stats->tracecompass_rules = opt && opt->tracecompass_rules;
    }
    run_state_free(&r);
    return st;
}

void ts_match_stats_free(ts_match_stats *stats)
{
    if (!stats) return;
    free(stats->traces);
    stats->traces = NULL;
    stats->ntraces = 0;
}
