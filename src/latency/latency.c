/* The matching-latency analysis: groups, statistics, CSV, SVG, JSON, text tables. */
#include "tracesync/latency.h"

#include "latency/stats.h"
#include "match/events.h"
#include "report/json_writer.h"
#include "report/outfile.h"
#include "report/scatter.h"
#include "report/table.h"
#include "tracesync/timefmt.h"
#include "util/fileio.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct grp {
    uint32_t src, dst;
    int kind;
    ts_latacc cor, raw;
    int series; /* scatter series, -1 */
} grp;

typedef struct rec {
    ts_match m;
    uint32_t g; /* group index, then its rank in the output order */
} rec;

typedef struct lat_ctx {
    const ts_traceset *set;
    size_t ntr;
    int32_t *gidx; /* [src][dst][kind] -> group, -1 */
    grp *g;
    size_t ng, gcap;
    ts_latacc tot_cor, tot_raw;
    size_t budget, stored;
    bool hist_mode;
    rec *recs; /* every match, for the CSV */
    size_t nrecs, rcap;
    bool keep;
    ts_scatter *sc;
    bool svg_raw;
    ts_status st;
    ts_error *err;
} lat_ctx;

ts_status ts_latency_sort_parse(const char *s, ts_latency_sort *out, ts_error *err)
{
    static const char *const names[] = {"send", "receive", "latency", "pair"};
    for (int i = 0; i < 4; i++)
        if (s && !strcmp(s, names[i])) {
            *out = (ts_latency_sort)i;
            return TS_OK;
        }
    return ts_error_set(err, TS_ERR_ARG,
                        "unknown sort order '%s' (expected send, receive, latency or pair)",
                        s ? s : "");
}

/* recv - send, saturated to int64. */
static int64_t diff_ns(int64_t recv, int64_t send)
{
    __int128 d = (__int128)recv - send;
    return d > INT64_MAX ? INT64_MAX : d < INT64_MIN ? INT64_MIN : (int64_t)d;
}

static const char *trace_name(const ts_traceset *set, uint32_t i)
{
    return ts_trace_name(ts_traceset_trace(set, i));
}

static grp *group_for(lat_ctx *c, const ts_match *m)
{
    size_t k = ((size_t)m->src_trace * c->ntr + m->dst_trace) * TS_MATCH_NKINDS + m->kind;
    if (c->gidx[k] >= 0) return &c->g[c->gidx[k]];
    if (c->ng == c->gcap) {
        size_t cap = c->gcap ? c->gcap * 2 : 8;
        grp *g = realloc(c->g, cap * sizeof *g);
        if (!g) return NULL;
        c->g = g;
        c->gcap = cap;
    }
    grp *g = &c->g[c->ng];
    memset(g, 0, sizeof *g);
    g->src = m->src_trace;
    g->dst = m->dst_trace;
    g->kind = m->kind;
    ts_latacc_init(&g->cor);
    ts_latacc_init(&g->raw);
    if (c->hist_mode && (!ts_latacc_to_hist(&g->cor) || !ts_latacc_to_hist(&g->raw))) {
        ts_latacc_free(&g->cor);
        ts_latacc_free(&g->raw);
        return NULL;
    }
    g->series = -1;
    if (c->sc) {
        char name[512];
        snprintf(name, sizeof name, "%s \xe2\x86\x92 %s %s", trace_name(c->set, g->src),
                 trace_name(c->set, g->dst), ts_match_kind_name(g->kind));
        g->series = ts_scatter_series(c->sc, name);
        if (g->series < 0) return NULL;
    }
    c->gidx[k] = (int32_t)c->ng;
    return &c->g[c->ng++];
}

static bool to_hist_mode(lat_ctx *c)
{
    c->hist_mode = true;
    bool ok = ts_latacc_to_hist(&c->tot_cor) && ts_latacc_to_hist(&c->tot_raw);
    for (size_t i = 0; i < c->ng && ok; i++)
        ok = ts_latacc_to_hist(&c->g[i].cor) && ts_latacc_to_hist(&c->g[i].raw);
    c->stored = 0;
    return ok;
}

static int on_match(void *ctx, const ts_match *m)
{
    lat_ctx *c = ctx;
    grp *g = group_for(c, m);
    if (!g) goto nomem;
    int64_t cor = diff_ns(m->recv_ns, m->send_ns), raw = diff_ns(m->recv_raw, m->send_raw);
    bool ok = ts_latacc_add(&g->cor, cor) && ts_latacc_add(&g->raw, raw) &&
              ts_latacc_add(&c->tot_cor, cor) && ts_latacc_add(&c->tot_raw, raw);
    if (!ok) goto nomem;
    if (!c->hist_mode && (c->stored += 4) > c->budget && !to_hist_mode(c)) goto nomem;
    if (c->sc) ts_scatter_add(c->sc, g->series, m->send_ns, c->svg_raw ? raw : cor);
    if (c->keep) {
        if (c->nrecs == c->rcap) {
            size_t cap = c->rcap ? c->rcap * 2 : 1024;
            rec *r = realloc(c->recs, cap * sizeof *r);
            if (!r) goto nomem;
            c->recs = r;
            c->rcap = cap;
        }
        c->recs[c->nrecs].m = *m;
        c->recs[c->nrecs].g = (uint32_t)(g - c->g);
        c->nrecs++;
    }
    return 0;
nomem:
    c->st = ts_error_set(c->err, TS_ERR_NOMEM, "latency: out of memory after %llu matches",
                         (unsigned long long)c->tot_cor.n);
    return 1;
}

/* ---- output order ------------------------------------------------------ */

typedef struct gsort {
    const grp *g;
    const char *src, *dst;
    size_t index;
} gsort;

static int cmp_gsort(const void *x, const void *y)
{
    const gsort *a = x, *b = y;
    int c = strcmp(a->src, b->src);
    if (!c) c = strcmp(a->dst, b->dst);
    if (!c) c = a->g->kind - b->g->kind;
    return c;
}

static int cmp_i64(int64_t a, int64_t b)
{
    return (a > b) - (a < b);
}

static int cmp_tail(const rec *a, const rec *b)
{
    int c = cmp_i64(a->m.send_ns, b->m.send_ns);
    if (!c) c = cmp_i64(a->m.recv_ns, b->m.recv_ns);
    if (!c) c = (int)a->g - (int)b->g;
    return c;
}

static int cmp_send(const void *x, const void *y)
{
    return cmp_tail(x, y);
}

static int cmp_recv(const void *x, const void *y)
{
    const rec *a = x, *b = y;
    int c = cmp_i64(a->m.recv_ns, b->m.recv_ns);
    return c ? c : cmp_tail(a, b);
}

static int cmp_lat(const void *x, const void *y)
{
    const rec *a = x, *b = y;
    int c = cmp_i64(diff_ns(a->m.recv_ns, a->m.send_ns), diff_ns(b->m.recv_ns, b->m.send_ns));
    return c ? c : cmp_tail(a, b);
}

static int cmp_pair(const void *x, const void *y)
{
    const rec *a = x, *b = y;
    int c = (a->g > b->g) - (a->g < b->g);
    return c ? c : cmp_tail(a, b);
}

static void put_key(ts_strbuf *sb, const ts_match *m)
{
    if (m->kind == TS_MATCH_TCP)
        sb_printf(sb, "seq=%llu ack_seq=%llu flags=0x%llx", (unsigned long long)m->key[0],
                  (unsigned long long)m->key[1], (unsigned long long)m->key[2]);
    else
        sb_printf(sb, "vm_uid=0x%llx cnt=%llu", (unsigned long long)m->key[0],
                  (unsigned long long)m->key[1]);
}

static ts_status write_csv(lat_ctx *c, const char *path, ts_latency_sort sort, ts_error *err)
{
    int (*cmp)(const void *, const void *) = sort == TS_LATENCY_SORT_RECEIVE   ? cmp_recv
                                             : sort == TS_LATENCY_SORT_LATENCY ? cmp_lat
                                             : sort == TS_LATENCY_SORT_PAIR    ? cmp_pair
                                                                               : cmp_send;
    if (c->nrecs > 1) qsort(c->recs, c->nrecs, sizeof *c->recs, cmp);
    ts_outfile o;
    ts_status st = ts_outfile_open(&o, path, err);
    if (st) return st;
    sb_puts(&o.sb, "source,destination,kind,send_ns,receive_ns,latency_ns,send_raw_ns,"
                   "receive_raw_ns,latency_raw_ns,key\n");
    for (size_t i = 0; i < c->nrecs && !st; i++) {
        const ts_match *m = &c->recs[i].m;
        ts_csv_field(&o.sb, trace_name(c->set, m->src_trace));
        sb_putc(&o.sb, ',');
        ts_csv_field(&o.sb, trace_name(c->set, m->dst_trace));
        sb_printf(&o.sb, ",%s,%lld,%lld,%lld,%lld,%lld,%lld,", ts_match_kind_name(m->kind),
                  (long long)m->send_ns, (long long)m->recv_ns,
                  (long long)diff_ns(m->recv_ns, m->send_ns), (long long)m->send_raw,
                  (long long)m->recv_raw, (long long)diff_ns(m->recv_raw, m->send_raw));
        put_key(&o.sb, m);
        sb_putc(&o.sb, '\n');
        st = ts_outfile_flush(&o, false, err);
    }
    if (st) {
        ts_outfile_discard(&o);
        return st;
    }
    return ts_outfile_close(&o, err);
}

static ts_status write_svg(lat_ctx *c, const ts_latency_options *opt, ts_error *err)
{
    ts_scatter_style style;
    memset(&style, 0, sizeof style);
    style.title = opt->svg_title ? opt->svg_title : "Event matching latency";
    style.x_label = "send time";
    style.y_label =
        opt->svg_uncorrected ? "latency, uncorrected (receive - send)" : "latency (receive - send)";
    return ts_scatter_write(c->sc, &style, opt->svg_path, err);
}

/* ---- the run ----------------------------------------------------------- */

static void ctx_free(lat_ctx *c)
{
    for (size_t i = 0; i < c->ng; i++) {
        ts_latacc_free(&c->g[i].cor);
        ts_latacc_free(&c->g[i].raw);
    }
    free(c->g);
    free(c->gidx);
    free(c->recs);
    ts_latacc_free(&c->tot_cor);
    ts_latacc_free(&c->tot_raw);
    ts_scatter_free(c->sc);
}

static ts_status finish(lat_ctx *c, ts_latency_result *out, ts_error *err)
{
    gsort *gs = malloc((c->ng ? c->ng : 1) * sizeof *gs);
    out->groups = calloc(c->ng ? c->ng : 1, sizeof *out->groups);
    if (!gs || !out->groups) {
        free(gs);
        return ts_error_set(err, TS_ERR_NOMEM, "latency: out of memory");
    }
    for (size_t i = 0; i < c->ng; i++) {
        gs[i].g = &c->g[i];
        gs[i].src = trace_name(c->set, c->g[i].src);
        gs[i].dst = trace_name(c->set, c->g[i].dst);
        gs[i].index = i;
    }
    if (c->ng) qsort(gs, c->ng, sizeof *gs, cmp_gsort);
    uint32_t *rank = malloc((c->ng ? c->ng : 1) * sizeof *rank);
    if (!rank) {
        free(gs);
        return ts_error_set(err, TS_ERR_NOMEM, "latency: out of memory");
    }
    for (size_t r = 0; r < c->ng; r++) {
        grp *g = &c->g[gs[r].index];
        ts_latency_group *o = &out->groups[r];
        o->src_trace = g->src;
        o->dst_trace = g->dst;
        o->kind = g->kind;
        ts_latacc_result(&g->cor, &o->stats);
        ts_latacc_result(&g->raw, &o->uncorrected);
        rank[gs[r].index] = (uint32_t)r;
    }
    out->ngroups = c->ng;
    for (size_t i = 0; i < c->nrecs; i++) c->recs[i].g = rank[c->recs[i].g];
    free(rank);
    free(gs);
    out->total.src_trace = out->total.dst_trace = TS_LATENCY_ALL;
    out->total.kind = -1;
    ts_latacc_result(&c->tot_cor, &out->total.stats);
    ts_latacc_result(&c->tot_raw, &out->total.uncorrected);
    return TS_OK;
}

ts_status ts_latency_run(ts_traceset *set, const ts_latency_options *opt, ts_latency_result *out,
                         ts_error *err)
{
    memset(out, 0, sizeof *out);
    ts_latency_options def;
    memset(&def, 0, sizeof def);
    if (!opt) opt = &def;
    lat_ctx c;
    memset(&c, 0, sizeof c);
    c.set = set;
    c.ntr = ts_traceset_count(set);
    c.err = err;
    c.budget = opt->exact_budget ? opt->exact_budget : TS_LATENCY_DEFAULT_EXACT_BUDGET;
    c.keep = opt->csv_path != NULL;
    c.svg_raw = opt->svg_uncorrected;
    ts_latacc_init(&c.tot_cor);
    ts_latacc_init(&c.tot_raw);
    if (c.ntr == 0) return ts_error_set(err, TS_ERR_ARG, "latency: the trace set is empty");
    size_t n = c.ntr * c.ntr * TS_MATCH_NKINDS;
    c.gidx = malloc(n * sizeof *c.gidx);
    if (!c.gidx) return ts_error_set(err, TS_ERR_NOMEM, "latency: out of memory");
    for (size_t i = 0; i < n; i++) c.gidx[i] = -1;
    ts_status st = TS_OK;
    if (opt->svg_path) st = ts_scatter_new(0, &c.sc, err);
    if (!st) st = ts_match_run(set, &opt->match, on_match, &c, &out->match, err);
    if (!st && c.st) st = c.st;
    if (!st) st = finish(&c, out, err);
    if (!st && opt->csv_path) st = write_csv(&c, opt->csv_path, opt->csv_sort, err);
    if (!st && opt->svg_path) st = write_svg(&c, opt, err);
    ctx_free(&c);
    return st;
}

void ts_latency_result_free(ts_latency_result *r)
{
    if (!r) return;
    free(r->groups);
    ts_match_stats_free(&r->match);
    memset(r, 0, sizeof *r);
}

/* ---- JSON ---------------------------------------------------------------- */

static void json_stats(ts_jw *w, const ts_latency_stats *s)
{
    ts_jw_kv_u64(w, "count", s->count);
    ts_jw_key(w, "min_ns");
    if (s->count)
        ts_jw_i64(w, s->min_ns);
    else
        ts_jw_null(w);
    ts_jw_key(w, "max_ns");
    if (s->count)
        ts_jw_i64(w, s->max_ns);
    else
        ts_jw_null(w);
    ts_jw_kv_double(w, "mean_ns", s->mean_ns, 3);
    ts_jw_kv_double(w, "stddev_ns", s->stddev_ns, 3);
    ts_jw_kv_double(w, "median_ns", s->median_ns, 3);
    ts_jw_kv_double(w, "p99_ns", s->p99_ns, 3);
    ts_jw_kv_u64(w, "negative", s->negative);
    ts_jw_kv_bool(w, "exact_quantiles", s->exact);
}

static void json_group(ts_jw *w, const ts_latency_group *g, bool corrected)
{
    json_stats(w, &g->stats);
    if (corrected) {
        ts_jw_key(w, "uncorrected");
        ts_jw_begin_object(w);
        json_stats(w, &g->uncorrected);
        ts_jw_end_object(w);
    }
}

static void json_counts(ts_jw *w, const ts_match_counts *k)
{
    ts_jw_begin_object(w);
    ts_jw_kv_u64(w, "seen", k->seen);
    ts_jw_kv_u64(w, "matched", k->matched);
    ts_jw_kv_u64(w, "same_host", k->same_host);
    ts_jw_kv_u64(w, "duplicate", k->duplicate);
    ts_jw_kv_u64(w, "unmatched", ts_match_counts_unmatched(k));
    ts_jw_kv_u64(w, "expired", k->expired);
    ts_jw_kv_u64(w, "cleaned", k->cleaned);
    ts_jw_kv_u64(w, "evicted", k->evicted);
    ts_jw_kv_u64(w, "left", k->left);
    ts_jw_end_object(w);
}

/* {event name: count} for the event names with a count */
static void json_event_counts(ts_jw *w, const char *key, const uint64_t *n)
{
    ts_jw_key(w, key);
    ts_jw_begin_object(w);
    for (size_t e = 0; e < TS_MATCH_NEVENTS; e++)
        if (n[e]) ts_jw_kv_u64(w, ts_match_event_name(e), n[e]);
    ts_jw_end_object(w);
}

static void json_matching(ts_jw *w, const ts_latency_result *r, const ts_traceset *set)
{
    const ts_match_stats *m = &r->match;
    ts_jw_begin_object(w);
    ts_jw_kv_u64(w, "matches", m->matches);
    ts_jw_key(w, "max_age_ns");
    if (m->max_age_ns >= 0)
        ts_jw_i64(w, m->max_age_ns);
    else
        ts_jw_null(w);
    ts_jw_kv_u64(w, "max_pending", m->max_pending);
    ts_jw_kv_u64(w, "pending_peak", m->pending_peak);
    ts_jw_kv_str(w, "rules", m->tracecompass_rules ? "tracecompass" : "fifo");
    ts_jw_kv_bool(w, "cleanup", m->cleanup);
    ts_jw_key(w, "traces");
    ts_jw_begin_array(w);
    for (size_t t = 0; t < m->ntraces; t++) {
        const ts_match_trace_stats *s = &m->traces[t];
        ts_jw_begin_object(w);
        ts_jw_kv_str(w, "name", trace_name(set, (uint32_t)t));
        for (int k = 0; k < TS_MATCH_NKINDS; k++) {
            ts_jw_key(w, ts_match_kind_name(k));
            ts_jw_begin_object(w);
            ts_jw_key(w, "send");
            json_counts(w, &s->counts[k][TS_MATCH_SEND]);
            ts_jw_key(w, "receive");
            json_counts(w, &s->counts[k][TS_MATCH_RECV]);
            ts_jw_kv_u64(w, "same_host_refused", s->same_host_refused[k]);
            ts_jw_kv_u64(w, "implausible", s->implausible[k]);
            ts_jw_end_object(w);
        }
        json_event_counts(w, "events", s->events);
        json_event_counts(w, "unusable", s->unusable);
        ts_jw_end_object(w);
    }
    ts_jw_end_array(w);
    ts_jw_end_object(w);
}

ts_status ts_latency_write_json(const ts_latency_result *r, const ts_traceset *set, bool corrected,
                                const char *path, ts_error *err)
{
    ts_strbuf sb;
    sb_init(&sb);
    ts_jw w;
    ts_jw_init(&w, &sb, 2);
    ts_jw_begin_object(&w);
    ts_jw_kv_bool(&w, "corrected", corrected);
    ts_jw_key(&w, "traces");
    ts_jw_begin_array(&w);
    for (size_t i = 0; i < ts_traceset_count(set); i++) {
        const ts_trace *t = ts_traceset_trace(set, i);
        ts_jw_begin_object(&w);
        ts_jw_kv_str(&w, "name", ts_trace_name(t));
        ts_jw_kv_str(&w, "host_id", ts_trace_host_id(t));
        ts_jw_kv_str(&w, "path", ts_trace_path(t));
        ts_jw_end_object(&w);
    }
    ts_jw_end_array(&w);
    ts_jw_key(&w, "pairs");
    ts_jw_begin_array(&w);
    for (size_t i = 0; i < r->ngroups; i++) {
        const ts_latency_group *g = &r->groups[i];
        ts_jw_begin_object(&w);
        ts_jw_kv_str(&w, "source", trace_name(set, g->src_trace));
        ts_jw_kv_str(&w, "destination", trace_name(set, g->dst_trace));
        ts_jw_kv_str(&w, "kind", ts_match_kind_name(g->kind));
        json_group(&w, g, corrected);
        ts_jw_end_object(&w);
    }
    ts_jw_end_array(&w);
    ts_jw_key(&w, "total");
    ts_jw_begin_object(&w);
    json_group(&w, &r->total, corrected);
    ts_jw_end_object(&w);
    ts_jw_key(&w, "matching");
    json_matching(&w, r, set);
    ts_jw_end_object(&w);
    sb_putc(&sb, '\n');
    ts_status st = sb.oom ? ts_error_set(err, TS_ERR_NOMEM, "latency: out of memory")
                          : ts_write_file(path, sb.data, sb.len, err);
    sb_free(&sb);
    return st;
}

/* ---- text tables --------------------------------------------------------- */

static void cell_dur(ts_table *t, int64_t ns, bool have)
{
    char b[32];
    ts_table_add(t, have ? ts_format_duration(ns, b, sizeof b) : "-");
}

static void cell_durd(ts_table *t, double ns)
{
    char b[32];
    if (!isfinite(ns) || fabs(ns) > 9.2e18) {
        ts_table_add(t, "-");
        return;
    }
    ts_table_add(t, ts_format_duration((int64_t)llround(ns), b, sizeof b));
}

enum { ST_MIN, ST_MAX, ST_MEAN, ST_STDDEV, ST_MEDIAN, ST_P99, ST_NEG, ST_N };
static const char *const stat_names[ST_N] = {"min",    "max", "mean",    "stddev",
                                             "median", "p99", "negative"};

static void cell_stat(ts_table *t, const ts_latency_stats *s, int which)
{
    bool have = s->count > 0;
    switch (which) {
    case ST_MIN:
        cell_dur(t, s->min_ns, have);
        break;
    case ST_MAX:
        cell_dur(t, s->max_ns, have);
        break;
    case ST_MEAN:
        cell_durd(t, s->mean_ns);
        break;
    case ST_STDDEV:
        cell_durd(t, s->stddev_ns);
        break;
    case ST_MEDIAN:
        cell_durd(t, s->median_ns);
        break;
    case ST_P99:
        cell_durd(t, s->p99_ns);
        break;
    default:
        ts_table_addf(t, "%llu", (unsigned long long)s->negative);
    }
}

static void table_row(ts_table *t, const char *src, const char *dst, const char *kind,
                      const ts_latency_group *g, bool corrected)
{
    ts_table_add(t, src);
    ts_table_add(t, dst);
    ts_table_add(t, kind);
    ts_table_addf(t, "%llu", (unsigned long long)g->stats.count);
    for (int s = 0; s < ST_N; s++) {
        if (corrected) cell_stat(t, &g->uncorrected, s);
        cell_stat(t, &g->stats, s);
    }
}

char *ts_latency_format_table(const ts_latency_result *r, const ts_traceset *set, bool corrected)
{
    size_t ncols = 4 + (size_t)ST_N * (corrected ? 2 : 1);
    ts_table *t = ts_table_new(ncols);
    if (!t) return NULL;
    ts_table_header(t, 0, "source", false);
    ts_table_header(t, 1, "destination", false);
    ts_table_header(t, 2, "kind", false);
    ts_table_header(t, 3, "count", true);
    for (int s = 0, c = 4; s < ST_N; s++) {
        char h[32];
        if (corrected) {
            snprintf(h, sizeof h, "%s raw", stat_names[s]);
            ts_table_header(t, (size_t)c++, h, true);
            snprintf(h, sizeof h, "%s corr", stat_names[s]);
            ts_table_header(t, (size_t)c++, h, true);
        } else {
            ts_table_header(t, (size_t)c++, stat_names[s], true);
        }
    }
    for (size_t i = 0; i < r->ngroups; i++) {
        const ts_latency_group *g = &r->groups[i];
        table_row(t, trace_name(set, g->src_trace), trace_name(set, g->dst_trace),
                  ts_match_kind_name(g->kind), g, corrected);
    }
    ts_table_rule(t);
    table_row(t, "total", "", "", &r->total, corrected);
    ts_strbuf sb;
    sb_init(&sb);
    ts_table_render(t, &sb);
    if (corrected)
        sb_puts(&sb, "raw: from the times as recorded; corr: after the corrections "
                     "(--offset, --formulas)\n");
    if (!r->total.stats.exact && r->total.stats.count)
        sb_puts(&sb, "median and p99 from a histogram (relative error < 0.1%): too many "
                     "matches to keep them all\n");
    bool failed = ts_table_failed(t);
    ts_table_free(t);
    if (failed || sb.oom) {
        sb_free(&sb);
        return NULL;
    }
    return sb_take(&sb);
}

static void cell_pair(ts_table *t, uint64_t a, uint64_t b)
{
    ts_table_addf(t, "%llu/%llu", (unsigned long long)a, (unsigned long long)b);
}

char *ts_latency_format_diagnostics(const ts_latency_result *r, const ts_traceset *set)
{
    const ts_match_stats *m = &r->match;
    static const char *const heads[] = {
        "trace",         "kind",          "events s/r", "matched s/r", "same-host s/r",
        "duplicate s/r", "unmatched s/r", "refused",    "implausible", "no key"};
    size_t ncols = sizeof heads / sizeof heads[0];
    ts_table *t = ts_table_new(ncols);
    if (!t) return NULL;
    for (size_t c = 0; c < ncols; c++) ts_table_header(t, c, heads[c], c >= 2);
    for (size_t i = 0; i < m->ntraces; i++) {
        const ts_match_trace_stats *s = &m->traces[i];
        for (int k = 0; k < TS_MATCH_NKINDS; k++) {
            const ts_match_counts *cs = &s->counts[k][TS_MATCH_SEND],
                                  *cr = &s->counts[k][TS_MATCH_RECV];
            uint64_t nokey = 0, events = 0;
            for (size_t e = 0; e < TS_MATCH_NEVENTS; e++)
                if (ts_match_defs[e].kind == k) {
                    nokey += s->unusable[e];
                    events += s->events[e];
                }
            if (!events) continue;
            ts_table_add(t, trace_name(set, (uint32_t)i));
            ts_table_add(t, ts_match_kind_name(k));
            cell_pair(t, cs->seen, cr->seen);
            cell_pair(t, cs->matched, cr->matched);
            cell_pair(t, cs->same_host, cr->same_host);
            cell_pair(t, cs->duplicate, cr->duplicate);
            cell_pair(t, ts_match_counts_unmatched(cs), ts_match_counts_unmatched(cr));
            ts_table_addf(t, "%llu", (unsigned long long)s->same_host_refused[k]);
            ts_table_addf(t, "%llu", (unsigned long long)s->implausible[k]);
            ts_table_addf(t, "%llu", (unsigned long long)nokey);
        }
    }
    ts_strbuf sb;
    sb_init(&sb);
    if (ts_table_rows(t) == 0)
        sb_puts(&sb, "no network (TCP) or vmsync events in these traces\n");
    else
        ts_table_render(t, &sb);
    bool failed = ts_table_failed(t);
    ts_table_free(t);
    if (failed || sb.oom) {
        sb_free(&sb);
        return NULL;
    }
    return sb_take(&sb);
}
