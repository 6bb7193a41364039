/* truth.json and truth-matches.csv: the clocks, guests, links and exact
 * counts the analyses are scored against. */
#include "sim/truth.h"
#include "tracesync/common.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ts_status truth_open(sim_world *w, const char *outdir, int matches, ts_error *err)
{
    w->csv = NULL;
    if (!matches) return TS_OK;
    char path[4200];
    snprintf(path, sizeof path, "%s/truth-matches.csv", outdir);
    w->csv = fopen(path, "w");
    if (!w->csv) return ts_error_set(err, TS_ERR_IO, "cannot create %s: %s", path, strerror(errno));
    setvbuf(w->csv, NULL, _IOFBF, 1 << 16);
    fputs("kind,src,send_ns,dst,recv_ns,delay_ns,key1,key2,key3\n", w->csv);
    return TS_OK;
}

void truth_tcp(sim_world *w, int src, int64_t send_raw, int dst, int64_t recv_raw, int64_t delay,
               uint32_t seq, uint32_t ack, uint16_t flags)
{
    w->matches_tcp++;
    if (!w->csv) return;
    fprintf(w->csv, "tcp,%s,%" PRId64 ",%s,%" PRId64 ",%" PRId64 ",%u,%u,%u\n",
            w->m[src].spec->name, send_raw, w->m[dst].spec->name, recv_raw, delay, seq, ack, flags);
}

void truth_vmsync(sim_world *w, int src, int64_t send_raw, int dst, int64_t recv_raw, int64_t delay,
                  uint64_t vm_uid, uint32_t cnt)
{
    w->matches_vmsync++;
    if (!w->csv) return;
    fprintf(w->csv, "vmsync,%s,%" PRId64 ",%s,%" PRId64 ",%" PRId64 ",%" PRIu64 ",%u,0\n",
            w->m[src].spec->name, send_raw, w->m[dst].spec->name, recv_raw, delay, vm_uid, cnt);
}

static const char *role_name(sim_role r)
{
    return r == ROLE_HOST ? "host" : r == ROLE_GUEST ? "guest" : "machine";
}

static void key(ts_strbuf *o, const char *k)
{
    sb_put_json_str(o, k, strlen(k));
    sb_putc(o, ':');
}

static void kstr(ts_strbuf *o, const char *k, const char *v)
{
    key(o, k);
    sb_put_json_str(o, v, strlen(v));
}

static void ki64(ts_strbuf *o, const char *k, int64_t v)
{
    key(o, k);
    sb_put_i64(o, v);
}

static void ku64(ts_strbuf *o, const char *k, uint64_t v)
{
    key(o, k);
    sb_put_u64(o, v);
}

static const char *const definitions[][2] = {
    {"time", "true_ns and clock_ns are integer ns since the Unix epoch; clock_ns is what "
             "tracesync reports for an event (clock offset + cycles at 1 GHz)"},
    {"clock", "between knots (t0,c0) and (t1,c1): clock_ns(t) = c0 + floor((t - t0) * (c1 - c0) / "
              "(t1 - t0)); equal true times are a forward step; slope 1 outside the knots"},
    {"out_period", "for a vCPU thread: from kvm_x86_exit to the next kvm_x86_entry (attributed "
                   "through the CPU's current thread), and from the sched_switch that switches it "
                   "out to the one that switches it in; open intervals; a period still open at "
                   "the end of the host trace extends to infinity"},
    {"events_outside_running_raw",
     "guest events whose raw timestamp lies strictly inside an out-period of the vCPU of the "
     "same number, comparing raw timestamps of both traces"},
    {"events_unchecked_raw", "guest events before the first or after the last host state event "
                             "(exit, entry, switch out/in) of their vCPU thread"},
    {"truth_matches", "one line per TCP segment or vmsync message both sent and received with "
                      "its key in both events; send_ns/recv_ns as written in the traces; "
                      "delay_ns = true one-way delay; keys: tcp seq,ack_seq,flags; vmsync "
                      "vm_uid,cnt,0"},
};

static ts_status write_json(sim_world *w, const char *outdir, ts_error *err)
{
    ts_strbuf o;
    sb_init(&o);
    const ts_sim_scenario *s = w->scn;
    sb_puts(&o, "{\n  ");
    kstr(&o, "generator", "tracesync simulate " TRACESYNC_VERSION);
    sb_puts(&o, ",\n  ");
    kstr(&o, "scenario", s->name);
    sb_puts(&o, ",\n  ");
    ku64(&o, "seed", w->seed);
    sb_puts(&o, ",\n  ");
    ku64(&o, "scale_ppm", w->scale_ppm);
    sb_puts(&o, ",\n  ");
    ki64(&o, "true_start_ns", w->t0);
    sb_puts(&o, ",\n  ");
    ki64(&o, "true_end_ns", w->t_end);
    sb_puts(&o, ",\n  ");
    key(&o, "definitions");
    sb_puts(&o, "{");
    for (size_t i = 0; i < sizeof definitions / sizeof definitions[0]; i++) {
        sb_puts(&o, i ? ",\n    " : "\n    ");
        kstr(&o, definitions[i][0], definitions[i][1]);
    }
    sb_puts(&o, "\n  },\n  ");
    key(&o, "machines");
    sb_puts(&o, "[");
    for (int i = 0; i < w->nm; i++) {
        const sim_machine *m = &w->m[i];
        char tuuid[37];
        catalog_uuid_str(m->trace_uuid, tuuid);
        sb_puts(&o, i ? ",\n    {" : "\n    {");
        kstr(&o, "name", m->spec->name);
        sb_puts(&o, ", ");
        kstr(&o, "host_id", m->boot_id);
        sb_puts(&o, ", ");
        kstr(&o, "role", role_name(m->role));
        sb_puts(&o, ", ");
        kstr(&o, "hostname", m->spec->hostname);
        sb_puts(&o, ", ");
        char trace[SCN_NAME_MAX + 16];
        snprintf(trace, sizeof trace, "%s/kernel", m->spec->name);
        kstr(&o, "trace", trace);
        sb_puts(&o, ", ");
        kstr(&o, "trace_uuid", tuuid);
        sb_puts(&o, ", ");
        ki64(&o, m->role == ROLE_GUEST ? "vcpus" : "cpus", m->ncpus);
        sb_puts(&o, ", ");
        kstr(&o, "event_header", m->cat.header_type == CTFW_HEADER_COMPACT ? "compact" : "large");
        sb_puts(&o, ", ");
        ku64(&o, "event_classes", m->cat.nevents);
        sb_puts(&o, ", ");
        ku64(&o, "events_total", m->events);
        sb_puts(&o, ",\n     ");
        key(&o, "clock");
        sb_puts(&o, "{");
        kstr(&o, "name", "monotonic");
        sb_puts(&o, ", ");
        kstr(&o, "uuid", m->boot_id);
        sb_puts(&o, ", ");
        ki64(&o, "freq", 1000000000);
        sb_puts(&o, ", ");
        ki64(&o, "offset", m->clock_offset);
        sb_puts(&o, ", ");
        key(&o, "knots");
        sb_puts(&o, "[");
        for (size_t k = 0; k < m->clock.n; k++) {
            if (k) sb_puts(&o, k % 4 ? ", " : ",\n       ");
            sb_putc(&o, '[');
            sb_put_i64(&o, m->clock.k[k].t);
            sb_puts(&o, ", ");
            sb_put_i64(&o, m->clock.k[k].c);
            sb_putc(&o, ']');
        }
        sb_puts(&o, "]}}");
    }
    sb_puts(&o, "\n  ],\n  ");
    key(&o, "guests");
    sb_puts(&o, "[");
    int ng = 0;
    for (int i = 0; i < w->nm; i++) {
        const sim_machine *g = &w->m[i];
        if (g->role != ROLE_GUEST) continue;
        uint64_t tot = 0, outside = 0, unchecked = 0;
        for (int v = 0; v < g->ncpus; v++) {
            const vchk *c = &w->vcpus[g->first_vcpu + v].chk;
            tot += c->total, outside += c->outside, unchecked += c->unchecked;
        }
        sb_puts(&o, ng++ ? ",\n    {" : "\n    {");
        kstr(&o, "name", g->spec->name);
        sb_puts(&o, ", ");
        kstr(&o, "host", w->m[g->spec->host].spec->name);
        sb_puts(&o, ", ");
        ki64(&o, "qemu_pid", g->qemu_pid);
        sb_puts(&o, ", ");
        ku64(&o, "vm_uid", g->vm_uid);
        sb_puts(&o, ", ");
        ku64(&o, "events_total", tot);
        sb_puts(&o, ", ");
        ku64(&o, "events_outside_running_raw", outside);
        sb_puts(&o, ", ");
        ku64(&o, "events_unchecked_raw", unchecked);
        sb_puts(&o, ", ");
        ki64(&o, "vmsync_cpu", g->spec->vmsync ? g->spec->vmsync_cpu : -1);
        sb_puts(&o, ",\n     ");
        key(&o, "vcpus");
        sb_puts(&o, "[");
        for (int v = 0; v < g->ncpus; v++) {
            const sim_vcpu *vc = &w->vcpus[g->first_vcpu + v];
            const sim_machine *h = &w->m[g->spec->host];
            sb_puts(&o, v ? ",\n       {" : "{");
            ki64(&o, "vcpu", v);
            sb_puts(&o, ", ");
            ki64(&o, "tid", h->tasks[vc->task].tid);
            sb_puts(&o, ", ");
            kstr(&o, "thread", h->tasks[vc->task].comm);
            sb_puts(&o, ", ");
            ki64(&o, "host_cpu", w->cpus[vc->cpu].cpu);
            sb_puts(&o, ", ");
            ku64(&o, "kvm_entry_vcpu_id", vc->entry_vcpu_id);
            sb_puts(&o, ", ");
            ku64(&o, "events_total", vc->chk.total);
            sb_puts(&o, ", ");
            ku64(&o, "events_outside_running_raw", vc->chk.outside);
            sb_puts(&o, ", ");
            ku64(&o, "events_unchecked_raw", vc->chk.unchecked);
            sb_puts(&o, "}");
        }
        sb_puts(&o, "]}");
    }
    sb_puts(&o, "\n  ],\n  ");
    key(&o, "links");
    sb_puts(&o, "[");
    int nl = 0;
    for (int a = 0; a < w->nm; a++) {
        for (int b = 0; b < w->nm; b++) {
            if (a == b) continue;
            const scn_latency *l = &s->lat[a][b];
            sb_puts(&o, nl++ ? ",\n    {" : "\n    {");
            kstr(&o, "from", w->m[a].spec->name);
            sb_puts(&o, ", ");
            kstr(&o, "to", w->m[b].spec->name);
            sb_puts(&o, ", ");
            kstr(&o, "model",
                 "min + exponential(mean - min); with tail_ppm: min + pareto("
                 "tail_scale, alpha 1.5) capped at tail_max; x stress factor");
            sb_puts(&o, ", ");
            ki64(&o, "min_ns", l->min);
            sb_puts(&o, ", ");
            ki64(&o, "mean_ns", l->mean);
            sb_puts(&o, ", ");
            ku64(&o, "tail_ppm", l->tail_ppm);
            sb_puts(&o, ", ");
            ki64(&o, "tail_scale_ns", l->tail_scale ? l->tail_scale : l->mean);
            sb_puts(&o, ", ");
            ki64(&o, "tail_max_ns", l->tail_max);
            sb_puts(&o, ", ");
            ku64(&o, "loss_ppm", l->loss_ppm);
            sb_puts(&o, "}");
        }
    }
    sb_puts(&o, "\n  ],\n  ");
    key(&o, "stress");
    sb_puts(&o, "[");
    for (int i = 0; i < s->nstress; i++) {
        const scn_stress *st = &s->stress[i];
        sb_puts(&o, i ? ", {" : "{");
        ki64(&o, "from_ns", w->t0 + st->from);
        sb_puts(&o, ", ");
        ki64(&o, "to_ns", w->t0 + st->to);
        sb_puts(&o, ", ");
        ku64(&o, "latency_x100", st->latency_x100);
        sb_puts(&o, ", ");
        ku64(&o, "load_ppm", st->load_ppm);
        sb_puts(&o, "}");
    }
    sb_puts(&o, "],\n  ");
    key(&o, "counts");
    sb_puts(&o, "{");
    ku64(&o, "packets_sent", w->packets_sent);
    sb_puts(&o, ", ");
    ku64(&o, "packets_received", w->packets_received);
    sb_puts(&o, ", ");
    ku64(&o, "packets_dropped", w->packets_lost);
    sb_puts(&o, ", ");
    ku64(&o, "matches_tcp", w->matches_tcp);
    sb_puts(&o, ", ");
    ku64(&o, "matches_vmsync", w->matches_vmsync);
    sb_puts(&o, "}\n}\n");
    if (o.oom) {
        sb_free(&o);
        return ts_error_set(err, TS_ERR_NOMEM, "out of memory writing truth.json");
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/truth.json", outdir);
    FILE *f = fopen(path, "w");
    if (!f) {
        sb_free(&o);
        return ts_error_set(err, TS_ERR_IO, "cannot create %s: %s", path, strerror(errno));
    }
    size_t wr = fwrite(o.data, 1, o.len, f);
    int bad = wr != o.len;
    if (fclose(f)) bad = 1;
    sb_free(&o);
    if (bad) return ts_error_set(err, TS_ERR_IO, "writing %s failed", path);
    return TS_OK;
}

ts_status truth_close(sim_world *w, const char *outdir, ts_error *err)
{
    ts_status st = TS_OK;
    if (w->csv) {
        int bad = ferror(w->csv);
        if (fclose(w->csv)) bad = 1;
        w->csv = NULL;
        if (bad) st = ts_error_set(err, TS_ERR_IO, "writing %s/truth-matches.csv failed", outdir);
    }
    if (st != TS_OK) return st;
    return write_json(w, outdir, err);
}
