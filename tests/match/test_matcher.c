/* The pure matcher: data-driven cases (tests/match/cases/NAME.match, format below) and a
 * differential test against a naive model of the same rules.
 *
 * Case format, one command per line, '#' starts a comment:
 *   traces NAME=HOST ...            declare the traces (in index order) and their hosts
 *   option report_same_host | no_cleanup | tracecompass_rules | max_age=N | max_pending=N |
 *          kinds=tcp|vmsync
 *   send|recv TRACE TS KIND K0 [K1 [K2]]   feed one event (raw ts = ts + 1000)
 *   match SRC TS DST TS             the next reported match (in order) is SRC@TS -> DST@TS
 *   nomatch                         every reported match so far was expected
 *   pending TRACE send|recv [KIND] N    unmatched events held
 *   refused TRACE N                 same-host refusals of TRACE (all kinds)
 *   implausible TRACE N             candidates TRACE's events passed over (all kinds)
 *   finish                          end of input (counts what is left)
 *   count TRACE KIND send|recv FIELD N   a ts_match_counts field
 *   reported N                      matches reported in all
 * At the end of a case every reported match must have been expected. */
#include "match/matcher.h"
#include "unit.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#define MAXTR  16
#define MAXGOT 256

typedef struct mcase {
    const char *path;
    int line;
    char names[MAXTR][32];
    uint32_t host[MAXTR];
    size_t ntr;
    ts_match_options opt;
    ts_matcher *m;
    ts_match got[MAXGOT];
    size_t ngot, next;
} mcase;

static int on_match(void *ctx, const ts_match *mt)
{
    mcase *c = ctx;
    if (c->ngot < MAXGOT) c->got[c->ngot++] = *mt;
    return 0;
}

static int trace_index(const mcase *c, const char *name)
{
    for (size_t i = 0; i < c->ntr; i++)
        if (!strcmp(c->names[i], name)) return (int)i;
    return -1;
}

static int parse_kind(const char *s)
{
    return !strcmp(s, "tcp") ? TS_MATCH_TCP : !strcmp(s, "vmsync") ? TS_MATCH_VMSYNC : -1;
}

static int parse_dir(const char *s)
{
    return !strcmp(s, "send") ? TS_MATCH_SEND : !strcmp(s, "recv") ? TS_MATCH_RECV : -1;
}

static const uint64_t *count_field(const ts_match_counts *k, const char *f)
{
    if (!strcmp(f, "seen")) return &k->seen;
    if (!strcmp(f, "matched")) return &k->matched;
    if (!strcmp(f, "same_host")) return &k->same_host;
    if (!strcmp(f, "duplicate")) return &k->duplicate;
    if (!strcmp(f, "expired")) return &k->expired;
    if (!strcmp(f, "cleaned")) return &k->cleaned;
    if (!strcmp(f, "evicted")) return &k->evicted;
    if (!strcmp(f, "left")) return &k->left;
    return NULL;
}

#define CFAIL(...)                                                                                 \
    do {                                                                                           \
        unit_fail(c->path, c->line, __VA_ARGS__);                                                  \
        return 1;                                                                                  \
    } while (0)

static int ensure_matcher(mcase *c)
{
    if (c->m) return 0;
    ts_error e;
    if (ts_matcher_new(c->host, c->ntr, &c->opt, on_match, c, &c->m, &e) != TS_OK)
        CFAIL("ts_matcher_new: %s", e.msg);
    return 0;
}

static int run_command(mcase *c, char **tok, int nt)
{
    const char *cmd = tok[0];
    if (!strcmp(cmd, "traces")) {
        for (int i = 1; i < nt && c->ntr < MAXTR; i++) {
            char *eq = strchr(tok[i], '=');
            if (!eq) CFAIL("traces: expected NAME=HOST, got '%s'", tok[i]);
            *eq = 0;
            snprintf(c->names[c->ntr], sizeof c->names[0], "%s", tok[i]);
            uint32_t h = (uint32_t)c->ntr; /* hosts: index of the first trace naming it */
            for (size_t j = 0; j < c->ntr; j++) {
                char *hj = c->names[j] + strlen(c->names[j]) + 1;
                if (!strcmp(hj, eq + 1)) h = c->host[j];
            }
            /* keep the host name after the trace name's NUL */
            snprintf(c->names[c->ntr] + strlen(tok[i]) + 1, sizeof c->names[0] - strlen(tok[i]) - 1,
                     "%s", eq + 1);
            c->host[c->ntr++] = h;
        }
        /* dense host indexes */
        uint32_t map[MAXTR], n = 0;
        for (size_t i = 0; i < c->ntr; i++) map[i] = UINT32_MAX;
        for (size_t i = 0; i < c->ntr; i++) {
            if (map[c->host[i]] == UINT32_MAX) map[c->host[i]] = n++;
            c->host[i] = map[c->host[i]];
        }
        return 0;
    }
    if (!strcmp(cmd, "option")) {
        if (nt != 2) CFAIL("option: one option per line");
        if (!strcmp(tok[1], "report_same_host"))
            c->opt.report_same_host = true;
        else if (!strcmp(tok[1], "no_cleanup"))
            c->opt.no_cleanup = true;
        else if (!strcmp(tok[1], "tracecompass_rules"))
            c->opt.tracecompass_rules = true;
        else if (!strncmp(tok[1], "max_age=", 8))
            c->opt.max_age_ns = atoll(tok[1] + 8);
        else if (!strncmp(tok[1], "max_pending=", 12))
            c->opt.max_pending = (size_t)atoll(tok[1] + 12);
        else if (!strncmp(tok[1], "kinds=", 6))
            c->opt.kinds = 1u << parse_kind(tok[1] + 6);
        else
            CFAIL("unknown option '%s'", tok[1]);
        return 0;
    }
    if (ensure_matcher(c)) return 1;
    if (!strcmp(cmd, "send") || !strcmp(cmd, "recv")) {
        if (nt < 5 || nt > 7) CFAIL("%s: expected TRACE TS KIND K0 [K1 [K2]]", cmd);
        ts_match_input in;
        memset(&in, 0, sizeof in);
        int t = trace_index(c, tok[1]), k = parse_kind(tok[3]);
        if (t < 0 || k < 0) CFAIL("%s: unknown trace or kind", cmd);
        in.trace = (uint32_t)t;
        in.kind = (uint8_t)k;
        in.dir = (uint8_t)parse_dir(cmd);
        in.ts = atoll(tok[2]);
        in.ts_raw = in.ts + 1000;
        for (int i = 4; i < nt; i++) in.key[i - 4] = strtoull(tok[i], NULL, 0);
        ts_error e;
        if (ts_matcher_feed(c->m, &in, &e) != TS_OK) CFAIL("feed: %s", e.msg);
        return 0;
    }
    if (!strcmp(cmd, "match")) {
        if (nt != 5) CFAIL("match: expected SRC TS DST TS");
        if (c->next >= c->ngot)
            CFAIL("expected a match %s@%s -> %s@%s, none reported", tok[1], tok[2], tok[3], tok[4]);
        const ts_match *g = &c->got[c->next++];
        int s = trace_index(c, tok[1]), d = trace_index(c, tok[3]);
        if ((int)g->src_trace != s || g->send_ns != atoll(tok[2]) || (int)g->dst_trace != d ||
            g->recv_ns != atoll(tok[4]))
            CFAIL("expected match %s@%s -> %s@%s, got %s@%lld -> %s@%lld", tok[1], tok[2], tok[3],
                  tok[4], c->names[g->src_trace], (long long)g->send_ns, c->names[g->dst_trace],
                  (long long)g->recv_ns);
        if (g->send_raw != g->send_ns + 1000 || g->recv_raw != g->recv_ns + 1000)
            CFAIL("raw times not carried into the match");
        return 0;
    }
    if (!strcmp(cmd, "nomatch")) {
        if (c->next != c->ngot)
            CFAIL("unexpected match %s@%lld -> %s@%lld", c->names[c->got[c->next].src_trace],
                  (long long)c->got[c->next].send_ns, c->names[c->got[c->next].dst_trace],
                  (long long)c->got[c->next].recv_ns);
        return 0;
    }
    if (!strcmp(cmd, "pending")) {
        if (nt != 4 && nt != 5) CFAIL("pending: expected TRACE DIR [KIND] N");
        int t = trace_index(c, tok[1]), d = parse_dir(tok[2]);
        int k = nt == 5 ? parse_kind(tok[3]) : -1;
        if (t < 0 || d < 0 || (nt == 5 && k < 0)) CFAIL("pending: bad trace, direction or kind");
        size_t want = (size_t)atoll(tok[nt - 1]);
        size_t got = ts_matcher_pending(c->m, (uint32_t)t, d, k);
        if (got != want) CFAIL("pending %s %s: expected %zu, got %zu", tok[1], tok[2], want, got);
        return 0;
    }
    if (!strcmp(cmd, "refused")) {
        int t = trace_index(c, tok[1]);
        if (nt != 3 || t < 0) CFAIL("refused: expected TRACE N");
        const ts_match_trace_stats *rs = ts_matcher_stats(c->m, (uint32_t)t);
        uint64_t got = rs->same_host_refused[0] + rs->same_host_refused[1];
        if (got != (uint64_t)atoll(tok[2]))
            CFAIL("refused %s: expected %s, got %llu", tok[1], tok[2], (unsigned long long)got);
        return 0;
    }
    if (!strcmp(cmd, "implausible")) {
        int t = trace_index(c, tok[1]);
        if (nt != 3 || t < 0) CFAIL("implausible: expected TRACE N");
        const ts_match_trace_stats *rs = ts_matcher_stats(c->m, (uint32_t)t);
        uint64_t got = rs->implausible[0] + rs->implausible[1];
        if (got != (uint64_t)atoll(tok[2]))
            CFAIL("implausible %s: expected %s, got %llu", tok[1], tok[2], (unsigned long long)got);
        return 0;
    }
    if (!strcmp(cmd, "finish")) {
        ts_matcher_finish(c->m);
        return 0;
    }
    if (!strcmp(cmd, "count")) {
        if (nt != 6) CFAIL("count: expected TRACE KIND DIR FIELD N");
        int t = trace_index(c, tok[1]), k = parse_kind(tok[2]), d = parse_dir(tok[3]);
        if (t < 0 || k < 0 || d < 0) CFAIL("count: bad trace, kind or direction");
        const uint64_t *f = count_field(&ts_matcher_stats(c->m, (uint32_t)t)->counts[k][d], tok[4]);
        if (!f) CFAIL("count: unknown field '%s'", tok[4]);
        if (*f != (uint64_t)atoll(tok[5]))
            CFAIL("count %s %s %s %s: expected %s, got %llu", tok[1], tok[2], tok[3], tok[4],
                  tok[5], (unsigned long long)*f);
        return 0;
    }
    if (!strcmp(cmd, "reported")) {
        if (nt != 2) CFAIL("reported: expected N");
        if (ts_matcher_reported(c->m) != (uint64_t)atoll(tok[1]) ||
            c->ngot != ts_matcher_reported(c->m))
            CFAIL("reported: expected %s, got %llu", tok[1],
                  (unsigned long long)ts_matcher_reported(c->m));
        return 0;
    }
    CFAIL("unknown command '%s'", cmd);
}

/* Every seen event ends in exactly one disposition (after finish). */
static int check_conservation(mcase *c)
{
    for (uint32_t t = 0; t < c->ntr; t++)
        for (int k = 0; k < TS_MATCH_NKINDS; k++)
            for (int d = 0; d < 2; d++) {
                const ts_match_counts *x = &ts_matcher_stats(c->m, t)->counts[k][d];
                uint64_t sum =
                    x->matched + x->same_host + x->duplicate + ts_match_counts_unmatched(x);
                if (sum != x->seen)
                    CFAIL("trace %s kind %d dir %d: seen %llu but dispositions sum to %llu",
                          c->names[t], k, d, (unsigned long long)x->seen, (unsigned long long)sum);
            }
    return 0;
}

static int run_case(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        unit_fail(path, 0, "cannot open");
        return 1;
    }
    mcase *c = calloc(1, sizeof *c);
    c->path = path;
    char buf[512];
    int rc = 0;
    while (!rc && fgets(buf, sizeof buf, f)) {
        c->line++;
        char *hash = strchr(buf, '#');
        if (hash) *hash = 0;
        char *tok[16];
        int nt = 0;
        for (char *p = strtok(buf, " \t\r\n"); p && nt < 16; p = strtok(NULL, " \t\r\n"))
            tok[nt++] = p;
        if (nt) rc = run_command(c, tok, nt);
    }
    fclose(f);
    if (!rc && c->m) {
        c->line++;
        if (c->next != c->ngot) {
            unit_fail(path, c->line, "%zu reported match(es) not expected by the case",
                      c->ngot - c->next);
            rc = 1;
        }
        ts_matcher_finish(c->m);
        if (!rc) rc = check_conservation(c);
    }
    ts_matcher_free(c->m);
    free(c);
    return rc;
}

TEST(matcher_cases)
{
    const char *dir = "tests/match/cases";
    DIR *d = opendir(dir);
    CHECK_MSG(d != NULL, "cannot open %s", dir);
    char *names[128];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 128) {
        size_t len = strlen(de->d_name);
        if (len > 6 && !strcmp(de->d_name + len - 6, ".match")) names[n++] = strdup(de->d_name);
    }
    closedir(d);
    int failed = 0;
    for (int i = 0; i < n; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        failed += run_case(path);
        free(names[i]);
    }
    CHECK_MSG(n >= 17, "expected the 17+ case files in %s, found %d", dir, n);
    CHECK_MSG(failed == 0, "%d case file(s) failed", failed);
}

/* ---- differential test against a naive model --------------------------- */

/* The rules of match.h written plainly: unmatched events in one array in arrival
 * order, every search a linear scan. */
#define NHIST  32 /* the matcher's GATE_* constants */
#define NMIN   4
#define NMAD   16
#define NFLOOR 500000
#define NRESET 8
#define NDEPTH 8

typedef struct npair {
    bool valid;
    int64_t s, d;
    int64_t lat[NHIST];
    uint32_t n, pos, fresh, nrefused;
    int64_t refused[NRESET];
    int64_t med, tol, refused_ts;
    uint32_t refused_trace;
} npair;

typedef struct naive {
    size_t ntr;
    const uint32_t *host;
    size_t nhosts;
    int64_t max_age;
    size_t max_pending;
    bool cleanup, report_same_host, tc;
    const int64_t *terr; /* per trace: the latency check's allowance (NULL: none) */
    ts_match_input *v;
    size_t n;
    ts_match_trace_stats st[8];
    npair pair[2][8][8];
    ts_match out[4096];
    size_t nout;
} naive;

static size_t list_index(const ts_match_input *in)
{
    return ((size_t)in->trace * TS_MATCH_NKINDS + in->kind) * 2 + in->dir;
}

static void naive_remove(naive *z, size_t i)
{
    memmove(&z->v[i], &z->v[i + 1], (z->n - i - 1) * sizeof *z->v);
    z->n--;
}

static void naive_drop(naive *z, size_t i, int why)
{
    ts_match_counts *c = &z->st[z->v[i].trace].counts[z->v[i].kind][z->v[i].dir];
    if (why == 0)
        c->expired++;
    else if (why == 1)
        c->cleaned++;
    else
        c->evicted++;
    naive_remove(z, i);
}

static void naive_clean(naive *z, uint32_t trace, int kind, int dir, int64_t limit)
{
    for (size_t i = 0; i < z->n;) {
        const ts_match_input *e = &z->v[i];
        if (e->trace == trace && e->kind == kind && e->dir == dir && e->ts < limit)
            naive_drop(z, i, 1);
        else
            i++;
    }
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t nabs(int64_t x)
{
    return x < 0 ? -x : x;
}

/* the errors of the random rounds: per trace (-1 unknown), halved on odd raw times
 * (so that the time passed matters) */
static int64_t test_terr(const int64_t *terr, uint32_t trace, int64_t raw_ns)
{
    return terr[trace] < 0 ? -1 : raw_ns % 2 ? terr[trace] / 2 : terr[trace];
}

static int64_t test_terr_cb(void *ctx, uint32_t trace, int64_t raw_ns)
{
    return test_terr(ctx, trace, raw_ns);
}

static bool naive_plausible(npair *p, int64_t lat, int64_t allow)
{
    if (p->n < NMIN) return true;
    if (p->fresh && (p->n < NHIST || p->fresh >= 8)) {
        int64_t v[NHIST];
        memcpy(v, p->lat, p->n * sizeof *v);
        qsort(v, p->n, sizeof *v, cmp_ll);
        p->med = v[p->n / 2];
        for (uint32_t i = 0; i < p->n; i++) v[i] = nabs(v[i] - p->med);
        qsort(v, p->n, sizeof *v, cmp_ll);
        p->tol = v[p->n / 2] * NMAD > NFLOOR ? v[p->n / 2] * NMAD : NFLOOR;
        p->fresh = 0;
    }
    return nabs(lat - p->med) <= p->tol + allow;
}

static void naive_feed(naive *z, const ts_match_input *in)
{
    if (z->max_age >= 0)
        for (size_t i = 0; i < z->n;) {
            if (z->v[i].ts < in->ts - z->max_age)
                naive_drop(z, i, 0);
            else
                i++;
        }
    ts_match_trace_stats *st = &z->st[in->trace];
    st->counts[in->kind][in->dir].seen++;
    uint32_t me = z->host[in->trace];
    /* candidates, in arrival order = array order */
    size_t cand[1500], nc = 0, nown = 0, per_trace[8] = {0};
    bool refused = false;
    for (size_t i = 0; i < z->n; i++) {
        const ts_match_input *e = &z->v[i];
        if (e->kind != in->kind || memcmp(e->key, in->key, sizeof e->key)) continue;
        if (e->dir == in->dir) {
            if (e->trace == in->trace) nown++;
            continue;
        }
        if (in->dir == TS_MATCH_SEND && z->host[e->trace] == me) {
            refused = true;
            continue;
        }
        if (per_trace[e->trace]++ < NDEPTH) cand[nc++] = i; /* the first 8 of a trace's */
    }
    if (refused) st->same_host_refused[in->kind]++;
    long best = -1;
    for (size_t k = 0; k < nc && best < 0; k++) {
        const ts_match_input *e = &z->v[cand[k]];
        uint32_t other = z->host[e->trace];
        /* vmsync keys name one round: no check */
        if (z->tc || in->kind == TS_MATCH_VMSYNC || other == me) {
            best = (long)cand[k];
            break;
        }
        bool send = in->dir == TS_MATCH_SEND;
        npair *p = send ? &z->pair[in->kind][me][other] : &z->pair[in->kind][other][me];
        int64_t lat = send ? e->ts - in->ts : in->ts - e->ts;
        int64_t ea = z->terr ? test_terr(z->terr, in->trace, in->ts_raw) : -1;
        int64_t eb = z->terr ? test_terr(z->terr, e->trace, e->ts_raw) : -1;
        bool known = ea >= 0 && eb >= 0;
        int64_t allow = known ? ea + eb : 0;
        if (known && lat < -allow) { /* impossible */
            st->implausible[in->kind]++;
            continue;
        }
        if (naive_plausible(p, lat, allow)) {
            best = (long)cand[k];
            break;
        }
        st->implausible[in->kind]++;
        if (p->nrefused && p->refused_ts == e->ts && p->refused_trace == e->trace) continue;
        p->refused_ts = e->ts;
        p->refused_trace = e->trace;
        if (p->nrefused == NRESET) { /* keep the latest NRESET */
            for (int j = 1; j < NRESET; j++) p->refused[j - 1] = p->refused[j];
            p->nrefused--;
        }
        p->refused[p->nrefused++] = lat;
        if (p->nrefused == NRESET) {
            int64_t lo = INT64_MAX, hi = INT64_MIN;
            for (int j = 0; j < NRESET; j++) {
                if (p->refused[j] < lo) lo = p->refused[j];
                if (p->refused[j] > hi) hi = p->refused[j];
            }
            if (hi - lo <= p->tol) { /* the clocks stepped: a new history */
                for (int j = 0; j < NRESET; j++) p->lat[j] = p->refused[j];
                p->n = p->fresh = NRESET;
                p->pos = NRESET % NHIST;
                p->nrefused = 0;
                best = (long)cand[k];
            }
        }
    }
    if (best < 0) {
        if (nown && z->tc) {
            st->counts[in->kind][in->dir].duplicate++;
            return;
        }
        if (z->n >= z->max_pending) {
            size_t o = 0;
            for (size_t i = 1; i < z->n; i++)
                if (z->v[i].ts < z->v[o].ts ||
                    (z->v[i].ts == z->v[o].ts && list_index(&z->v[i]) < list_index(&z->v[o])))
                    o = i;
            naive_drop(z, o, 2);
        }
        z->v[z->n++] = *in;
        return;
    }
    ts_match_input c = z->v[best];
    naive_remove(z, (size_t)best);
    const ts_match_input *s = in->dir == TS_MATCH_SEND ? in : &c;
    const ts_match_input *d = in->dir == TS_MATCH_SEND ? &c : in;
    ts_match mt = {s->trace, d->trace, s->ts_raw, d->ts_raw, s->ts, d->ts, in->kind, {0, 0, 0}};
    memcpy(mt.key, in->key, sizeof mt.key);
    uint32_t hs = z->host[s->trace], hd = z->host[d->trace];
    if (hs == hd) {
        z->st[s->trace].counts[in->kind][0].same_host++;
        z->st[d->trace].counts[in->kind][1].same_host++;
    } else {
        z->st[s->trace].counts[in->kind][0].matched++;
        z->st[d->trace].counts[in->kind][1].matched++;
        npair *p = &z->pair[in->kind][hs][hd];
        p->valid = true;
        p->s = s->ts;
        p->d = d->ts;
        p->lat[p->pos] = d->ts - s->ts;
        p->pos = (p->pos + 1) % NHIST;
        if (p->n < NHIST) p->n++;
        p->fresh++;
        p->nrefused = 0;
        if (z->cleanup) {
            size_t cov = 0;
            int64_t e = INT64_MAX;
            for (size_t h = 0; h < z->nhosts; h++)
                if (h != hs && z->pair[in->kind][hs][h].valid) {
                    cov++;
                    if (z->pair[in->kind][hs][h].s < e) e = z->pair[in->kind][hs][h].s;
                }
            if (cov + 1 == z->nhosts) naive_clean(z, s->trace, in->kind, 0, e);
            cov = 0;
            e = INT64_MAX;
            for (size_t h = 0; h < z->nhosts; h++)
                if (h != hd && z->pair[in->kind][h][hd].valid) {
                    cov++;
                    if (z->pair[in->kind][h][hd].d < e) e = z->pair[in->kind][h][hd].d;
                }
            if (cov + 1 == z->nhosts) naive_clean(z, d->trace, in->kind, 1, e);
        }
    }
    if ((hs != hd || z->report_same_host) && z->nout < 4096) z->out[z->nout++] = mt;
}

typedef struct sink {
    ts_match out[4096];
    size_t n;
} sink;

static int sink_cb(void *ctx, const ts_match *m)
{
    sink *s = ctx;
    if (s->n < 4096) s->out[s->n++] = *m;
    return 0;
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

TEST(matcher_vs_naive_model)
{
    uint64_t rng = 0x1234567887654321ULL;
    for (int round = 0; round < 300; round++) {
        size_t ntr = 2 + rng_next(&rng) % 5;
        uint32_t host[8];
        size_t nh = 0;
        for (size_t i = 0; i < ntr; i++) {
            if (i > 0 && rng_next(&rng) % 4 == 0)
                host[i] = host[rng_next(&rng) % i];
            else
                host[i] = (uint32_t)nh++;
        }
        ts_match_options opt;
        memset(&opt, 0, sizeof opt);
        int64_t ages[] = {-1, 40000, 3000000};
        size_t pend[] = {0, 6, 40};
        opt.max_age_ns = ages[rng_next(&rng) % 3];
        opt.max_pending = pend[rng_next(&rng) % 3];
        opt.no_cleanup = rng_next(&rng) % 2;
        opt.report_same_host = rng_next(&rng) % 2;
        opt.tracecompass_rules = rng_next(&rng) % 3 == 0;
        /* allowances for the traces' time errors, in a third of the rounds */
        int64_t terr[8];
        for (size_t i = 0; i < ntr; i++) {
            int64_t v = (int64_t)(rng_next(&rng) % 4);
            terr[i] = v == 3 ? -1 : v * 700000; /* -1: unknown */
        }
        bool with_terr = rng_next(&rng) % 3 == 0;
        if (with_terr) {
            opt.time_error = test_terr_cb;
            opt.time_error_ctx = terr;
        }
        naive *z = calloc(1, sizeof *z);
        z->terr = with_terr ? terr : NULL;
        z->ntr = ntr;
        z->host = host;
        z->nhosts = nh;
        z->max_age = opt.max_age_ns;
        z->max_pending = opt.max_pending ? opt.max_pending : TS_MATCH_DEFAULT_MAX_PENDING;
        z->cleanup = !opt.no_cleanup;
        z->report_same_host = opt.report_same_host;
        z->tc = opt.tracecompass_rules;
        z->v = calloc(2000, sizeof *z->v);
        sink *s = calloc(1, sizeof *s);
        ts_matcher *m;
        CHECK(ts_matcher_new(host, ntr, &opt, sink_cb, s, &m, NULL) == TS_OK);
        int64_t ts = 1000;
        uint64_t keyspace = 4 + rng_next(&rng) % 60;
        for (int i = 0; i < 1500; i++) {
            ts_match_input in;
            memset(&in, 0, sizeof in);
            /* microseconds apart, now and then milliseconds: latencies vary enough for
             * the plausibility check to refuse some candidates */
            ts += (int64_t)(rng_next(&rng) % 4) * 1000;
            if (rng_next(&rng) % 64 == 0) ts += 1500000;
            in.trace = (uint32_t)(rng_next(&rng) % ntr);
            in.dir = (uint8_t)(rng_next(&rng) % 2);
            in.kind = (uint8_t)(rng_next(&rng) % 2);
            in.key[0] = rng_next(&rng) % keyspace;
            in.key[1] = in.key[0] % 3;
            in.key[2] = 7;
            in.ts = ts;
            in.ts_raw = ts * 2 + (int64_t)(rng_next(&rng) % 2);
            CHECK(ts_matcher_feed(m, &in, NULL) == TS_OK);
            naive_feed(z, &in);
            CHECK_MSG(ts_matcher_pending_total(m) == z->n, "round %d event %d: pending %zu vs %zu",
                      round, i, ts_matcher_pending_total(m), z->n);
        }
        ts_matcher_finish(m);
        CHECK_EQ_U64(s->n, z->nout);
        for (size_t i = 0; i < s->n; i++)
            CHECK_MSG(
                (s->out[i].src_trace == z->out[i].src_trace &&
                 s->out[i].dst_trace == z->out[i].dst_trace &&
                 s->out[i].send_ns == z->out[i].send_ns && s->out[i].recv_ns == z->out[i].recv_ns &&
                 s->out[i].send_raw == z->out[i].send_raw &&
                 s->out[i].recv_raw == z->out[i].recv_raw && s->out[i].kind == z->out[i].kind &&
                 !memcmp(s->out[i].key, z->out[i].key, sizeof s->out[i].key)),
                "round %d: match %zu differs", round, i);
        for (uint32_t t = 0; t < ntr; t++) {
            const ts_match_trace_stats *a = ts_matcher_stats(m, t);
            for (int k = 0; k < 2; k++)
                for (int d = 0; d < 2; d++) {
                    ts_match_counts b = z->st[t].counts[k][d];
                    b.left = 0;
                    for (size_t i = 0; i < z->n; i++)
                        if (z->v[i].trace == t && z->v[i].kind == k && z->v[i].dir == d) b.left++;
                    CHECK_MSG(!memcmp(&a->counts[k][d], &b, sizeof b),
                              "round %d trace %u kind %d dir %d: counts differ", round, t, k, d);
                }
            CHECK(!memcmp(a->implausible, z->st[t].implausible, sizeof a->implausible));
            CHECK(!memcmp(a->same_host_refused, z->st[t].same_host_refused,
                          sizeof a->same_host_refused));
        }
        ts_matcher_free(m);
        free(z->v);
        free(z);
        free(s);
    }
}

/* Many keys at once: the table grows, deletions shift entries back; every send
 * finds its receive. */
TEST(matcher_large_table)
{
    uint32_t host[2] = {0, 1};
    sink *s = calloc(1, sizeof *s);
    ts_matcher *m;
    ts_match_options opt;
    memset(&opt, 0, sizeof opt);
    opt.max_age_ns = -1;
    opt.no_cleanup = true;
    CHECK(ts_matcher_new(host, 2, &opt, NULL, NULL, &m, NULL) == TS_OK);
    const uint64_t n = 200000;
    for (uint64_t i = 0; i < n; i++) {
        ts_match_input in = {0, TS_MATCH_SEND, TS_MATCH_TCP, {i * 7919, i, 0x18}, (int64_t)i, 0};
        CHECK(ts_matcher_feed(m, &in, NULL) == TS_OK);
    }
    CHECK_EQ_U64(ts_matcher_pending_total(m), n);
    /* receive them in another order: odd keys first, then even ones */
    for (int pass = 0; pass < 2; pass++)
        for (uint64_t i = (uint64_t)(1 - pass); i < n; i += 2) {
            ts_match_input in = {
                1, TS_MATCH_RECV, TS_MATCH_TCP, {i * 7919, i, 0x18}, (int64_t)(n + i), 0};
            CHECK(ts_matcher_feed(m, &in, NULL) == TS_OK);
        }
    CHECK_EQ_U64(ts_matcher_pending_total(m), 0);
    CHECK_EQ_U64(ts_matcher_reported(m), n);
    CHECK_EQ_U64(ts_matcher_pending_peak(m), n);
    ts_matcher_free(m);
    free(s);
}

TEST(matcher_bad_input)
{
    uint32_t host[2] = {0, 1};
    ts_matcher *m;
    ts_error e;
    CHECK(ts_matcher_new(host, 0, NULL, NULL, NULL, &m, &e) == TS_ERR_ARG);
    CHECK(ts_matcher_new(host, 2, NULL, NULL, NULL, &m, &e) == TS_OK);
    ts_match_input in = {5, TS_MATCH_SEND, TS_MATCH_TCP, {1, 2, 3}, 0, 0};
    CHECK(ts_matcher_feed(m, &in, &e) == TS_ERR_ARG);
    CHECK(strstr(e.msg, "trace 5") != NULL);
    in.trace = 0;
    in.kind = 9;
    CHECK(ts_matcher_feed(m, &in, &e) == TS_ERR_ARG);
    ts_matcher_free(m);
}

static int stop_cb(void *ctx, const ts_match *m)
{
    (*(int *)ctx)++;
    return 1;
}

TEST(matcher_callback_stops)
{
    uint32_t host[2] = {0, 1};
    ts_matcher *m;
    int calls = 0;
    CHECK(ts_matcher_new(host, 2, NULL, stop_cb, &calls, &m, NULL) == TS_OK);
    for (int i = 0; i < 3; i++) {
        ts_match_input s = {0, TS_MATCH_SEND, TS_MATCH_TCP, {(uint64_t)i, 0, 0}, 10 * i, 0};
        ts_match_input r = {1, TS_MATCH_RECV, TS_MATCH_TCP, {(uint64_t)i, 0, 0}, 10 * i + 1, 0};
        CHECK(ts_matcher_feed(m, &s, NULL) == TS_OK);
        CHECK(ts_matcher_feed(m, &r, NULL) == TS_OK);
    }
    CHECK(ts_matcher_stopped(m));
    CHECK_EQ_I64(calls, 1);
    ts_matcher_free(m);
}

TEST(match_event_names)
{
    CHECK_STR(ts_match_kind_name(TS_MATCH_TCP), "tcp");
    CHECK_STR(ts_match_kind_name(TS_MATCH_VMSYNC), "vmsync");
    CHECK_STR(ts_match_event_name(0), "net_dev_queue");
    CHECK(ts_match_event_name(TS_MATCH_NEVENTS) == NULL);
    int n_recv = 0;
    for (size_t i = 0; i < TS_MATCH_NEVENTS; i++)
        if (strstr(ts_match_event_name(i), "receive_skb")) n_recv++;
    CHECK_EQ_I64(n_recv, 2);
}

/* A storm of identical keys (duplicate ACKs while the receiver is far behind): every
 * one waits, in order, and the receives take them first in, first out -- however
 * many there are -- interleaved with other keys of the same table slot chain. */
TEST(matcher_duplicate_storm)
{
    uint32_t host[2] = {0, 1};
    sink *s = calloc(1, sizeof *s);
    ts_matcher *m;
    ts_match_options opt;
    memset(&opt, 0, sizeof opt);
    opt.no_cleanup = true; /* the other keys stay */
    CHECK(ts_matcher_new(host, 2, &opt, sink_cb, s, &m, NULL) == TS_OK);
    for (int i = 0; i < 3000; i++) {
        ts_match_input in = {0, TS_MATCH_SEND, TS_MATCH_TCP, {7, 8, 16}, 1000 + i, 0};
        CHECK(ts_matcher_feed(m, &in, NULL) == TS_OK);
        ts_match_input o = {0, TS_MATCH_SEND, TS_MATCH_TCP, {(uint64_t)i, 9, 16}, 1000 + i, 0};
        CHECK(ts_matcher_feed(m, &o, NULL) == TS_OK);
    }
    CHECK_EQ_U64(ts_matcher_pending(m, 0, TS_MATCH_SEND, -1), 6000);
    CHECK_EQ_U64(ts_matcher_stats(m, 0)->counts[TS_MATCH_TCP][TS_MATCH_SEND].duplicate, 0);
    for (int i = 0; i < 3000; i++) {
        ts_match_input r = {1, TS_MATCH_RECV, TS_MATCH_TCP, {7, 8, 16}, 500000 + i, 0};
        CHECK(ts_matcher_feed(m, &r, NULL) == TS_OK);
    }
    CHECK_EQ_U64(s->n, 3000);
    bool fifo = true;
    for (int i = 0; i < 3000 && i < (int)s->n; i++)
        fifo = fifo && s->out[i].send_ns == 1000 + i && s->out[i].recv_ns == 500000 + i;
    CHECK(fifo);
    CHECK_EQ_U64(ts_matcher_pending(m, 0, TS_MATCH_SEND, -1), 3000);
    ts_matcher_free(m);
    free(s);
}
