/* Synchronization engine: hosts, one hull per host pair, the tree of pairs to
 * the reference host, and the composed formula of every trace. */
#include "tracesync/sync.h"

#include "sync/dec.h"
#include "sync/formulas.h"
#include "sync/hull.h"
#include "report/outfile.h"
#include "sync/pw.h"
#include "util/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct strace {
    char *name, *path;
    int64_t begin, end;
    size_t host;
} strace;

typedef struct shost {
    char *id;
    size_t first_trace;
    /* solve results */
    bool reached;
    size_t parent, via_pair, depth;
    ts_dec slope, offset; /* host time -> reference time */
    int64_t bound;        /* accumulated error bound, -1 unbounded */
    ts_sync_quality worst;
    size_t *path; /* first traces of the hosts from this one to the reference */
    size_t path_len;
    /* Dijkstra key: fails, approximations, sum of bounds */
    uint64_t k_fail, k_approx;
    int64_t k_bound;
    /* piecewise: map host time -> reference time */
    pwmap map;
    uint64_t cross, cross_unmet;   /* matches off its path that its map meets / misses */
    uint64_t changed_at, tried_at; /* reconciliation epochs (tried_at: UINT64_MAX: never) */
} shost;

typedef struct spair {
    size_t r, o; /* host indexes, id(r) < id(o) */
    ts_hull h;
    /* solve results */
    bool has_maps, in_tree;
    ts_dec fwd_s, fwd_o, back_s, back_o;
    int64_t bound;
    /* piecewise method: every match, the segments, the maps */
    pw_pair pw;
    int64_t pw_bound;  /* largest bound over the segments, either host's time (-1) */
    int64_t pw_weight; /* the typical one, for the tree (-1: unbounded somewhere) */
    /* a tree edge whose map was refitted to matches with hosts off the path (see
     * reconcile): its points plus those matches; the bounds stay pw's, shifted */
    pw_pair fit;
    bool has_fit;
    int64_t fit_shift; /* largest |fit - pw| over the pair's range, O ns */
} spair;

struct ts_sync {
    ts_sync_mode mode;
    ts_sync_method method;
    bool outliers;
    bool keep_bounds; /* keep what per-instant bounds need */
    bool solved_pw;   /* the last solve used the piecewise method */
    strace *t;
    size_t nt, capt;
    shost *h;
    size_t nh, caph;
    spair *p;
    size_t np, capp;
    int32_t *pidx;  /* nh * nh: pair index or -1 */
    uint64_t epoch; /* reconciliation: maps refitted so far */
    size_t pidx_dim;
    uint64_t same_host;
};

ts_sync *ts_sync_new(ts_sync_mode mode)
{
    ts_sync *s = calloc(1, sizeof *s);
    if (s) {
        s->mode = mode;
        s->outliers = true;
    }
    return s;
}

ts_status ts_sync_set_method(ts_sync *s, ts_sync_method method, ts_error *err)
{
    if (method != TS_SYNC_METHOD_HULL && method != TS_SYNC_METHOD_PIECEWISE)
        return ts_error_set(err, TS_ERR_ARG, "unknown synchronization method %d", (int)method);
    if (method == TS_SYNC_METHOD_PIECEWISE && s->mode == TS_SYNC_COMPAT_TRACECOMPASS)
        return ts_error_set(err, TS_ERR_ARG,
                            "the piecewise method has no Trace Compass compatible mode");
    if (s->np && method != s->method)
        return ts_error_set(err, TS_ERR_ARG,
                            "the synchronization method must be chosen before the matches");
    s->method = method;
    return TS_OK;
}

ts_sync_method ts_sync_get_method(const ts_sync *s)
{
    return s->method;
}

void ts_sync_keep_bounds(ts_sync *s, bool keep)
{
    s->keep_bounds = keep;
}

void ts_sync_set_outliers(ts_sync *s, bool detect)
{
    s->outliers = detect;
    for (size_t i = 0; i < s->np; i++) s->p[i].pw.detect_outliers = detect;
}

void ts_sync_free(ts_sync *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nt; i++) {
        free(s->t[i].name);
        free(s->t[i].path);
    }
    for (size_t i = 0; i < s->nh; i++) {
        free(s->h[i].id);
        free(s->h[i].path);
        pwmap_free(&s->h[i].map);
    }
    for (size_t i = 0; i < s->np; i++) {
        hull_free(&s->p[i].h);
        pw_free(&s->p[i].pw);
        pw_free(&s->p[i].fit);
    }
    free(s->t);
    free(s->h);
    free(s->p);
    free(s->pidx);
    free(s);
}

const char *ts_sync_quality_name(ts_sync_quality q)
{
    static const char *const names[] = {"absent", "incomplete", "approximate", "accurate", "fail"};
    return (unsigned)q < 5 ? names[q] : "?";
}

static bool grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap) return true;
    size_t nc = *cap ? *cap * 2 : 8;
    void *na = realloc(*arr, nc * elem);
    if (!na) return false;
    *arr = na;
    *cap = nc;
    return true;
}

ts_status ts_sync_add_trace(ts_sync *s, const char *name, const char *path, const char *host_id,
                            int64_t begin_ns, int64_t end_ns, ts_error *err)
{
    if (!name || !host_id)
        return ts_error_set(err, TS_ERR_ARG, "a trace needs a name and a host id");
    size_t host = s->nh;
    for (size_t i = 0; i < s->nh; i++)
        if (!strcmp(s->h[i].id, host_id)) host = i;
    if (!grow((void **)&s->t, &s->capt, s->nt, sizeof *s->t))
        return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    if (host == s->nh) {
        if (!grow((void **)&s->h, &s->caph, s->nh, sizeof *s->h))
            return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        shost *hh = &s->h[s->nh];
        memset(hh, 0, sizeof *hh);
        if (!(hh->id = strdup(host_id))) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        hh->first_trace = s->nt;
        s->nh++;
        /* rebuild the pair index matrix */
        int32_t *np = malloc(s->nh * s->nh * sizeof *np);
        if (!np) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < s->nh * s->nh; i++) np[i] = -1;
        for (size_t i = 0; i < s->np; i++) {
            np[s->p[i].r * s->nh + s->p[i].o] = (int32_t)i;
            np[s->p[i].o * s->nh + s->p[i].r] = (int32_t)i;
        }
        free(s->pidx);
        s->pidx = np;
        s->pidx_dim = s->nh;
    }
    strace *t = &s->t[s->nt];
    memset(t, 0, sizeof *t);
    t->name = strdup(name);
    t->path = strdup(path ? path : "");
    if (!t->name || !t->path) {
        free(t->name);
        free(t->path);
        return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    }
    t->begin = begin_ns;
    t->end = end_ns;
    t->host = host;
    s->nt++;
    return TS_OK;
}

ts_status ts_sync_add_match(ts_sync *s, const ts_match *m, ts_error *err)
{
    if (m->src_trace >= s->nt || m->dst_trace >= s->nt)
        return ts_error_set(err, TS_ERR_ARG, "match between traces %u and %u: only %zu traces",
                            m->src_trace, m->dst_trace, s->nt);
    if (m->send_raw > TS_HULL_TIME_MAX || m->send_raw < -TS_HULL_TIME_MAX ||
        m->recv_raw > TS_HULL_TIME_MAX || m->recv_raw < -TS_HULL_TIME_MAX)
        return ts_error_set(err, TS_ERR_ARG,
                            "match %s -> %s: time %lld or %lld ns is beyond +-2^62 ns",
                            s->t[m->src_trace].name, s->t[m->dst_trace].name,
                            (long long)m->send_raw, (long long)m->recv_raw);
    size_t a = s->t[m->src_trace].host, b = s->t[m->dst_trace].host;
    if (a == b) {
        s->same_host++;
        return TS_OK;
    }
    int32_t pi = s->pidx[a * s->nh + b];
    if (pi < 0) {
        if (!grow((void **)&s->p, &s->capp, s->np, sizeof *s->p))
            return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        spair *p = &s->p[s->np];
        memset(p, 0, sizeof *p);
        bool a_first = strcmp(s->h[a].id, s->h[b].id) < 0;
        p->r = a_first ? a : b;
        p->o = a_first ? b : a;
        hull_init(&p->h, s->mode == TS_SYNC_COMPAT_TRACECOMPASS);
        pw_init(&p->pw, s->outliers);
        pw_init(&p->fit, s->outliers);
        pi = (int32_t)s->np++;
        s->pidx[a * s->nh + b] = s->pidx[b * s->nh + a] = pi;
    }
    spair *p = &s->p[pi];
    bool o_to_r = a == p->o;
    int64_t x = o_to_r ? m->recv_raw : m->send_raw, y = o_to_r ? m->send_raw : m->recv_raw;
    /* piecewise: kept until the solve, which also builds the single line from them */
    bool ok = s->method == TS_SYNC_METHOD_PIECEWISE ? pw_add(&p->pw, o_to_r, x, y)
                                                    : hull_add(&p->h, o_to_r, x, y);
    return ok ? TS_OK : ts_error_set(err, TS_ERR_NOMEM, "out of memory");
}

uint64_t ts_sync_same_host_matches(const ts_sync *s)
{
    return s->same_host;
}

/* ---- solving ------------------------------------------------------------------ */

static int qrank(ts_sync_quality q) /* for "worst on the path" */
{
    return q == TS_SYNC_ACCURATE ? 0 : q == TS_SYNC_APPROXIMATE ? 1 : 2;
}

static int64_t add_bound(int64_t a, int64_t b)
{
    if (a < 0 || b < 0) return -1;
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* A bound b of pair p's own matches, for the map the tree uses: a refit moves the map
 * by up to fit_shift O ns within them (in R time: over the slowest rate, 200/201 at
 * least, rounded up). */
static int64_t refit_bound(const spair *p, int64_t b)
{
    return p->has_fit && b >= 0 ? add_bound(b, p->fit_shift + p->fit_shift / 128 + 2) : b;
}

/* time range of host `host` in the R time of pair p (approximately, through the formula) */
static void pair_range(const ts_sync *s, const spair *p, int64_t *lo, int64_t *hi)
{
    bool any = false;
    for (size_t i = 0; i < s->nt; i++) {
        const strace *t = &s->t[i];
        if ((t->host != p->r && t->host != p->o) || (t->begin == 0 && t->end == 0)) continue;
        int64_t b = t->begin, e = t->end;
        if (t->host == p->o) {
            ts_linmap lm;
            if (!linmap_init(&lm, p->fwd_s, p->fwd_o) || !linmap_eval(&lm, t->begin, &b) ||
                !linmap_eval(&lm, t->end, &e))
                continue;
        }
        if (!any || b < *lo) *lo = b;
        if (!any || e > *hi) *hi = e;
        any = true;
    }
    if (!any) { /* no known range: the hull's own x range (always included) alone */
        *lo = INT64_MAX;
        *hi = INT64_MIN;
    }
}

/* the tree being built: the single lines' (pw false) or the piecewise maps' */
static bool edge_ok(const spair *p, bool pw)
{
    return pw ? p->pw.has_maps : p->has_maps;
}

static ts_sync_quality edge_quality(const spair *p, bool pw)
{
    return pw ? p->pw.quality : hull_quality(&p->h);
}

static void edge_key(const spair *p, bool pw, uint64_t *f, uint64_t *a, int64_t *b)
{
    ts_sync_quality q = edge_quality(p, pw);
    int64_t bound = pw ? p->pw_weight : p->bound;
    *f = q == TS_SYNC_FAIL;
    *a = q == TS_SYNC_APPROXIMATE;
    *b = bound < 0 ? 0 : bound;
}

static int key_cmp(uint64_t f1, uint64_t a1, int64_t b1, uint64_t f2, uint64_t a2, int64_t b2)
{
    if (f1 != f2) return f1 < f2 ? -1 : 1;
    if (a1 != a2) return a1 < a2 ? -1 : 1;
    return b1 < b2 ? -1 : b1 > b2;
}

static bool tree_tracecompass(ts_sync *s, size_t root, bool pw)
{
    /* breadth-first from the root; adjacency in pair creation order, R->O then O->R */
    size_t *queue = malloc(s->nh * sizeof *queue);
    if (!queue) return false;
    size_t qh = 0, qt = 0;
    queue[qt++] = root;
    while (qh < qt) {
        size_t v = queue[qh++];
        for (size_t i = 0; i < s->np; i++) {
            spair *p = &s->p[i];
            if (!edge_ok(p, pw) || (p->r != v && p->o != v)) continue;
            size_t w = p->r == v ? p->o : p->r;
            if (s->h[w].reached) continue;
            s->h[w].reached = true;
            s->h[w].parent = v;
            s->h[w].via_pair = i;
            s->h[w].depth = s->h[v].depth + 1;
            queue[qt++] = w;
        }
    }
    free(queue);
    return true;
}

static bool tree_accuracy(ts_sync *s, size_t root, bool pw)
{
    /* Dijkstra on (fail edges, approximate edges, sum of error bounds) */
    bool *done = calloc(s->nh, sizeof *done);
    if (!done) return false;
    for (;;) {
        size_t v = s->nh;
        for (size_t i = 0; i < s->nh; i++) {
            const shost *h = &s->h[i];
            if (!h->reached || done[i]) continue;
            if (v == s->nh || key_cmp(h->k_fail, h->k_approx, h->k_bound, s->h[v].k_fail,
                                      s->h[v].k_approx, s->h[v].k_bound) < 0)
                v = i;
        }
        if (v == s->nh) break;
        done[v] = true;
        for (size_t i = 0; i < s->np; i++) {
            spair *p = &s->p[i];
            if (!edge_ok(p, pw) || (p->r != v && p->o != v)) continue;
            size_t w = p->r == v ? p->o : p->r;
            if (done[w]) continue;
            uint64_t f, a;
            int64_t b;
            edge_key(p, pw, &f, &a, &b);
            f += s->h[v].k_fail;
            a += s->h[v].k_approx;
            b = add_bound(b, s->h[v].k_bound);
            shost *hw = &s->h[w];
            if (!hw->reached || key_cmp(f, a, b, hw->k_fail, hw->k_approx, hw->k_bound) < 0) {
                hw->reached = true;
                hw->k_fail = f;
                hw->k_approx = a;
                hw->k_bound = b;
                hw->parent = v;
                hw->via_pair = i;
                hw->depth = s->h[v].depth + 1;
            }
        }
    }
    free(done);
    return true;
}

/* A trace's piecewise map as FORMULAS segments: the first and last extend over the
 * trace's range (every piece applies from its start; the first before it too).  A
 * map of one piece equal to the single line needs none. */
static const pw_pair *edge_pw(const spair *p);

/* The largest error bound of host v's map over [a, b] of its own time: along its path,
 * the sum of the largest bounds of the edges' segments that the interval maps into
 * (refitted edges: plus their shift, as for the trace's bound); -1: unbounded. */
static int64_t piece_bound(const ts_sync *s, size_t v, int64_t a, int64_t b)
{
    int64_t total = 0;
    for (; s->h[v].path_len > 1; v = s->h[v].parent) {
        const spair *p = &s->p[s->h[v].via_pair];
        const pw_pair *e = edge_pw(p);
        bool child_is_r = p->r == v;
        int64_t xa = a, xb = b, pa, pb;
        if (!child_is_r && (!pwmap_eval(&e->fwd, a, &xa) || !pwmap_eval(&e->fwd, b, &xb)))
            return -1;
        int64_t m = 0;
        for (size_t k = pw_seg_at(&p->pw, xa), k1 = pw_seg_at(&p->pw, xb); k <= k1; k++) {
            int64_t sb = p->pw.seg[k].max_bound;
            if (sb < 0) return -1;
            if (sb > m) m = sb;
        }
        total = add_bound(total, refit_bound(p, m));
        const pwmap *up = child_is_r ? &e->back : &e->fwd; /* v's time -> the parent's */
        if (!pwmap_eval(up, a, &pa) || !pwmap_eval(up, b, &pb)) return -1;
        a = pa;
        b = pb;
    }
    return total;
}

static ts_status set_segments(ts_formulas *f, const ts_sync *s, const strace *t, const shost *h,
                              ts_error *err)
{
    const pwmap *m = &h->map;
    if (m->n == 1 && !dec_cmp(m->lm[0].slope, h->slope) && !dec_cmp(m->lm[0].offset, h->offset))
        return TS_OK;
    ts_formula_segment *sg = calloc(m->n, sizeof *sg);
    char(*txt)[2][TS_DEC_TEXT_MAX] = calloc(m->n, sizeof *txt);
    if (!sg || !txt) {
        free(sg);
        free(txt);
        return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    }
    bool known = t->begin != 0 || t->end != 0;
    for (size_t i = 0; i < m->n; i++) {
        sg[i].start_ns = m->start[i];
        sg[i].end_ns = i + 1 < m->n ? m->start[i + 1] : INT64_MAX;
        if (i == 0)
            sg[i].start_ns = m->n > 1
                                 ? (known && t->begin < sg[i].end_ns ? t->begin : sg[i].end_ns - 1)
                                 : (known ? t->begin : INT64_MIN);
        if (i + 1 == m->n)
            sg[i].end_ns = known && t->end > sg[i].start_ns ? t->end
                           : m->n > 1                       ? sg[i].start_ns + 1
                                                            : INT64_MAX;
        if (sg[i].end_ns <= sg[i].start_ns) sg[i].end_ns = sg[i].start_ns + 1;
        dec_format(m->lm[i].slope, txt[i][0], TS_DEC_TEXT_MAX);
        dec_format(m->lm[i].offset, txt[i][1], TS_DEC_TEXT_MAX);
        sg[i].slope = txt[i][0];
        sg[i].offset_ns = txt[i][1];
        /* its largest bound, within the trace's time range */
        int64_t a = sg[i].start_ns, b = sg[i].end_ns - 1;
        if (known && a < t->begin) a = t->begin;
        if (known && b > t->end) b = t->end;
        if (a <= b && a > INT64_MIN && b < INT64_MAX) {
            sg[i].error_bound_ns = piece_bound(s, t->host, a, b);
            sg[i].has_error_bound = sg[i].error_bound_ns >= 0;
        }
    }
    ts_status st = ts_formulas_set_segments(f, t->name, sg, m->n, err);
    free(sg);
    free(txt);
    return st;
}

static ts_status build_formulas(ts_sync *s, size_t root, int reference, ts_formulas **out,
                                ts_error *err)
{
    ts_formulas *f = ts_formulas_new();
    if (!f) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    size_t ref_trace = reference >= 0 ? (size_t)reference : s->h[root].first_trace;
    ts_status st = ts_formulas_set_reference(f, s->t[ref_trace].name, err);
    ts_strbuf sb;
    sb_init(&sb);
    for (size_t i = 0; i < s->nt && !st; i++) {
        const strace *t = &s->t[i];
        const shost *h = &s->h[t->host];
        ts_sync_trace_info info;
        ts_sync_trace(s, i, &info);
        const char *q = info.is_reference ? "reference" : ts_sync_quality_name(info.quality);
        if ((st = ts_formulas_set_dec(f, t->name, h->slope, h->offset, err)) ||
            (st = ts_formulas_set_info(f, t->name, t->path, h->id, q, err)))
            break;
        sb_reset(&sb);
        sb_putc(&sb, '[');
        for (size_t j = 0; j < info.path_len; j++) {
            const char *n = s->t[info.path[j]].name;
            if (j) sb_puts(&sb, ", ");
            sb_put_json_str(&sb, n, strlen(n));
        }
        sb_putc(&sb, ']');
        if (sb.oom)
            st = ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        else
            ts_formulas_set_extra(f, t->name, info.reachable ? info.error_bound_ns : -1,
                                  info.reachable ? sb.data : NULL);
        if (!st && s->solved_pw && info.reachable && !info.is_reference)
            st = set_segments(f, s, t, h, err);
    }
    sb_free(&sb);
    if (st) {
        ts_formulas_free(f);
        return st;
    }
    *out = f;
    return TS_OK;
}

static void reset_hosts(ts_sync *s)
{
    for (size_t i = 0; i < s->nh; i++) {
        shost *h = &s->h[i];
        free(h->path);
        h->path = NULL;
        h->path_len = 0;
        h->reached = false;
        h->depth = 0;
        h->k_fail = h->k_approx = 0;
        h->k_bound = 0;
        h->bound = -1;
        h->cross = h->cross_unmet = 0;
        h->changed_at = 0;
        h->tried_at = UINT64_MAX;
        h->worst = TS_SYNC_ACCURATE;
    }
}

static bool make_paths(ts_sync *s, size_t root)
{
    for (size_t i = 0; i < s->nh; i++) {
        shost *h = &s->h[i];
        if (!h->reached) continue;
        h->path = malloc((h->depth + 1) * sizeof *h->path);
        if (!h->path) return false;
        size_t v = i, n = 0;
        for (;;) {
            h->path[n++] = s->h[v].first_trace;
            if (v == root) break;
            v = s->h[v].parent;
        }
        h->path_len = n;
    }
    return true;
}

/* The piecewise maps per pair: the points sorted, the segments; and the single line
 * from the same points (the hull method's, unless the pair needs one segment and
 * no point was left out: then it is that segment's hull). */
static ts_status pw_pairs(ts_sync *s, ts_error *err)
{
    for (size_t i = 0; i < s->np; i++) {
        spair *p = &s->p[i];
        hull_reset(&p->h);
        ts_status st = pw_solve(&p->pw, &p->h, err);
        if (st) return st;
        if (p->pw.single) continue;
        hull_reset(&p->h); /* in time order: where it fails is where the first break is */
        size_t iu = 0, il = 0;
        while ((iu < p->pw.nu || il < p->pw.nl) && !p->h.failed) {
            bool u = iu < p->pw.nu && (il >= p->pw.nl || p->pw.u[iu].x <= p->pw.l[il].x);
            pwpt q = u ? p->pw.u[iu++] : p->pw.l[il++];
            if (!hull_add(&p->h, u, q.x, q.y))
                return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        }
        /* once failed it keeps its state: count the rest */
        p->h.o_to_r += p->pw.nu - iu;
        p->h.r_to_o += p->pw.nl - il;
        p->h.matches += (p->pw.nu - iu) + (p->pw.nl - il);
    }
    return TS_OK;
}

/* range of the hosts of pair p in its R time, through the piecewise map */
static void pw_range(const ts_sync *s, const spair *p, int64_t *lo, int64_t *hi)
{
    bool any = false;
    for (size_t i = 0; i < s->nt; i++) {
        const strace *t = &s->t[i];
        if ((t->host != p->r && t->host != p->o) || (t->begin == 0 && t->end == 0)) continue;
        int64_t b = t->begin, e = t->end;
        if (t->host == p->o &&
            (!pwmap_eval(&p->pw.fwd, t->begin, &b) || !pwmap_eval(&p->pw.fwd, t->end, &e)))
            continue;
        if (!any || b < *lo) *lo = b;
        if (!any || e > *hi) *hi = e;
        any = true;
    }
    if (!any) {
        *lo = INT64_MAX;
        *hi = INT64_MIN;
    }
}

/* the pair's maps the tree uses: the refitted ones if any */
static const pw_pair *edge_pw(const spair *p)
{
    return p->has_fit ? &p->fit : &p->pw;
}

/* Every match of a pair that one convex hull holds (one segment, nothing left out)
 * meets maps that are single lines?  A linear function of the points is largest at
 * a vertex of their hull: with T_O(y) - T_R(x) (exact, before the floors) at most 0
 * on the O->R hull's vertices and T_R(x) - T_O(y) on the R->O hull's, it is so at
 * every match, and the floors keep the order. */
static bool hull_meets(const spair *q, const pwmap *mr, const pwmap *mo)
{
    if (!q->pw.single || mr->n != 1 || mo->n != 1) return false;
    const ts_linmap *a = &mr->lm[0], *b = &mo->lm[0];
    for (int side = 0; side < 2; side++) {
        const hside *hs = side ? &q->h.L : &q->h.U;
        for (size_t i = 0; i < hs->n; i++) {
            ts_dec tr = dec_add(dec_mul(a->slope, dec_i64(hs->p[i].x), 0), a->offset);
            ts_dec to = dec_add(dec_mul(b->slope, dec_i64(hs->p[i].y), 0), b->offset);
            if (dec_bad(tr) || dec_bad(to)) return false;
            int c = dec_cmp(to, tr);
            if (side ? c < 0 : c > 0) return false;
        }
    }
    return true;
}

/* Which matches a refit takes (see reconcile): those whose slack under x's map is
 * below a sixteenth of the edge's window (the first round), or that it makes receive
 * before their send (the next ones). */
typedef enum cross_sel { SEL_NEAR, SEL_VIOLATED } cross_sel;

/* The matches of pair q (between host x and a host y whose map is final) whose
 * receive maps before their send with x's map mx; with add, each one (as sel picks
 * them) also becomes a match between x and its parent par on pair e: the parent's
 * time where the parent's map reaches the other end's mapped time. */
static uint64_t cross_check(const ts_sync *s, const spair *q, size_t x, const pwmap *mx,
                            const spair *e, const shost *par, bool root_parent, pw_pair *add,
                            cross_sel sel, uint64_t *n_added, bool *ok)
{
    size_t y = q->r == x ? q->o : q->r;
    const pwmap *my = &s->h[y].map;
    uint64_t bad = 0;
    if (!add && hull_meets(q, q->r == x ? mx : my, q->r == x ? my : mx)) return 0;
    /* pieces of the last evaluation: the points come in order of R time */
    size_t hx = 0, hy = 0, hp = 0, hg = 0, he = 0;
    pw_cursor cur = {0, 0, 0}, cur2 = {0, 0, 0};
    /* adding: a match whose slack surely exceeds what the selection takes is passed
     * over without exact values (SEL_NEAR: a sixteenth of the edge's widest window) */
    int64_t skip = 0;
    if (add && sel == SEL_NEAR)
        skip =
            e->pw.max_lo >= 0 && e->pw.max_hi >= 0 ? (e->pw.max_lo + e->pw.max_hi) / 16 : INT64_MAX;
    for (int dir = 0; dir < 2; dir++) {
        const pwpt *pts = dir ? q->pw.l : q->pw.u;
        size_t n = dir ? q->pw.nl : q->pw.nu;
        bool o_to_r = !dir;
        for (size_t i = 0; i < n && *ok; i++) {
            if (q != e && q->pw.nout && pw_left_out(&q->pw, pts[i], o_to_r)) continue;
            /* sender and receiver */
            size_t sh = o_to_r ? q->o : q->r;
            int64_t ts = o_to_r ? pts[i].y : pts[i].x, tr = o_to_r ? pts[i].x : pts[i].y;
            bool x_sends = sh == x;
            int64_t ax = x_sends ? ts : tr, by = x_sends ? tr : ts, mxv, myv;
            if (!add || skip < INT64_MAX) { /* exact values only when close */
                int64_t ey, ex;
                if (pwmap_eval_fast(my, &hy, by, &myv, &ey) &&
                    pwmap_eval_fast(mx, &hx, ax, &mxv, &ex)) {
                    int64_t lat = x_sends ? myv - mxv : mxv - myv;
                    if (lat - (ey + ex) > skip) continue;
                    if (!add && lat < -(ey + ex)) {
                        bad++;
                        continue;
                    }
                }
            }
            if (!pwmap_eval_near(my, &hy, by, &myv)) continue;
            bool have_x = pwmap_eval_near(mx, &hx, ax, &mxv);
            if (have_x && (x_sends ? mxv > myv : myv > mxv)) bad++;
            if (!add) continue;
            /* x sends: x's map must stay at or below myv at ax: the parent received at
             * the last of its times mapping to myv at most; x receives: the parent sent
             * at the first of its times mapping to myv at least */
            int64_t pt, pv, pa;
            /* near the parent time where x's current edge map puts ax, moved by how far
             * the parent's map there is from myv */
            int64_t guess = root_parent ? myv : ax;
            const pwmap *em = e->r == x ? &edge_pw(e)->back : &edge_pw(e)->fwd;
            if (!root_parent && pwmap_eval_near(em, &he, ax, &pa) &&
                pwmap_eval_near(&par->map, &hp, pa, &pv))
                guess = pa - (pv - myv);
            bool x_is_o = e->o == x;
            if (have_x) {
                /* the refit is checked against every match afterwards: the ones it
                 * leaves receiving before their send enter the next round */
                int64_t slack = x_sends ? myv - mxv : mxv - myv, l0, h0;
                if (sel == SEL_VIOLATED && slack >= 0) continue;
                if (sel == SEL_NEAR) {
                    pw_bound_at_near(&e->pw, x_is_o ? guess : ax, 0, &l0, &h0, &cur);
                    if (l0 >= 0 && h0 >= 0 && slack > (l0 + h0) / 16) continue;
                }
            } else if (sel == SEL_VIOLATED) {
                continue;
            }
            if (root_parent)
                pt = myv;
            else if (x_sends)
                pt = myv == INT64_MAX
                         ? myv
                         : pwmap_first_reaching_near(&par->map, myv + 1, guess, &hp) - 1;
            else
                pt = pwmap_first_reaching_near(&par->map, myv, guess, &hp);
            if (pt > TS_HULL_TIME_MAX || pt < -TS_HULL_TIME_MAX) continue;
            /* as a match of pair e: x -> parent or parent -> x */
            bool e_o_to_r = x_sends == x_is_o;
            int64_t ex = x_is_o ? pt : ax, ey = x_is_o ? ax : pt;
            /* no further than the edge's own matches allow (a quarter of the window
             * inside), plus the parent's bound (the parent's map may lie that far off,
             * and the edge's map then makes up for it): where the other host's map
             * lies too far, this one goes part of the way, and the other one may come
             * the rest when its turn comes */
            int64_t g, bl, bh;
            if (pwmap_eval_near(&e->pw.back, &hg, ex, &g)) {
                pw_bound_at_near(&e->pw, ex, 0, &bl, &bh, &cur2);
                int64_t mg = bl >= 0 && bh >= 0 ? (bl + bh) / 4 + 2 : 2;
                int64_t pb = root_parent || par->bound < 0 ? 0 : par->bound;
                if (e_o_to_r && bh >= 0 && bh + pb >= mg && ey > g + bh + pb - mg)
                    ey = g + bh + pb - mg;
                if (!e_o_to_r && bl >= 0 && bl + pb >= mg && ey < g - bl - pb + mg)
                    ey = g - bl - pb + mg;
            }
            if (!pw_add(add, e_o_to_r, ex, ey)) *ok = false;
            (*n_added)++;
        }
    }
    return bad;
}

/* the violations of a host's map on its own edge (its points may be left out by a
 * refit) */
static uint64_t edge_check(const ts_sync *s, const spair *e, size_t x, const pwmap *mx)
{
    bool ok = true;
    uint64_t n = 0;
    return cross_check(s, e, x, mx, e, NULL, false, NULL, SEL_NEAR, &n, &ok);
}

/* Does the refitted map fit of pair e stay within the bounds of e's own matches (at
 * every point and knot of both, within the pair's range; out by the window's width
 * plus pb, the parent's bound, at most)?  Matches with other hosts may only choose
 * within what the pair's own matches allow: a refit that leaves it follows wrong
 * matches, or another host's map that lies too far off.  (Where it is out, the
 * bounds shifted to it and cut at zero still hold: they only say less.) */
static bool within_bounds(spair *e, const pw_pair *fit, int64_t lo, int64_t hi, int64_t pb)
{
    if (!e->pw.fu && !pw_bounds(&e->pw, lo, hi, true)) return false;
    /* where the bounds or the shift may bend: e's points and knots, the refit's knots
     * (each sequence in order) */
    for (int w = 0; w < 4; w++) {
        size_t n = w == 0 ? e->pw.nu : w == 1 ? e->pw.nl : w == 2 ? e->pw.nseg : fit->nseg;
        size_t ha = 0, hb = 0;
        pw_cursor c = {0, 0, 0};
        for (size_t i = w >= 2; i < n; i++) {
            int64_t x = w == 0   ? e->pw.u[i].x
                        : w == 1 ? e->pw.l[i].x
                        : w == 2 ? e->pw.seg[i].kx
                                 : fit->seg[i].kx;
            if (x < lo || x > hi) continue;
            int64_t a, b;
            if (!pwmap_eval_near(&fit->back, &ha, x, &a) ||
                !pwmap_eval_near(&e->pw.back, &hb, x, &b))
                return false;
            int64_t d = a - b;
            for (int side = -1; side <= 1; side += 2) {
                int64_t l, h;
                pw_bound_at_near(&e->pw, x, side, &l, &h, &c);
                /* out by more than the window's width (where the refit bends
                 * faster than rho allows, it may leave the window a little) */
                int64_t tol = (l >= 0 && h >= 0 ? l + h : 0) + pb;
                if ((l >= 0 && l + d < -tol) || (h >= 0 && h - d < -tol)) return false;
            }
        }
    }
    return true;
}

/* is pair q one of host x's pairs off the tree, with a host in `with`?  Not a pair
 * whose own matches no continuous increasing map fits (conflicts): some of them are
 * wrong (mismatched packets), and so may be the rest */
static bool cross_pair(const ts_sync *s, const spair *q, const spair *e, size_t x, const bool *with)
{
    return q != e && !q->in_tree && (q->r == x || q->o == x) && with[q->r == x ? q->o : q->r] &&
           !q->pw.conflicts;
}

/* matches of host x's pairs off its path (with hosts in `with`) that its map m
 * makes receive before their send */
static uint64_t cross_bad(const ts_sync *s, size_t x, const spair *e, const pwmap *m,
                          const bool *with)
{
    uint64_t bad = 0, n = 0;
    bool ok = true;
    for (size_t i = 0; i < s->np; i++)
        if (cross_pair(s, &s->p[i], e, x, with))
            bad += cross_check(s, &s->p[i], x, m, e, NULL, false, NULL, SEL_NEAR, &n, &ok);
    return bad;
}

/* Host x's map, composed along its edge, need not agree with matches between x and
 * hosts off its path (the errors of two paths add up): when some of those matches
 * (with the hosts in `with`, whose maps are final for now) would receive before
 * their send, the edge is refitted to its own matches plus those ones, carried over
 * to the parent's time through the hosts' maps (each kept within the edge's bounds
 * plus the parent's).  Kept when fewer matches (its own included) receive before
 * their send and it stays near the bounds of the edge's own matches
 * (within_bounds), which remain its bounds (shifted to the refitted map, cut at 0).
 * A pair whose own matches conflict, and the matches it left out, are not used. */
#define RECON_ROUNDS 4 /* refits of one edge in one reconciliation, at most */

static ts_status reconcile(ts_sync *s, size_t x, const bool *with, int64_t lo, int64_t hi,
                           bool *changed, ts_error *err)
{
    shost *h = &s->h[x];
    const shost *par = &s->h[h->parent];
    spair *e = &s->p[h->via_pair];
    bool root_parent = h->depth == 1; /* the reference's map is the identity */
    h->cross = 0;
    for (size_t i = 0; i < s->np; i++)
        if (cross_pair(s, &s->p[i], e, x, with)) h->cross += s->p[i].pw.nu + s->p[i].pw.nl;
    uint64_t before = cross_bad(s, x, e, &h->map, with);
    h->cross_unmet = before;
    if (!before) return TS_OK;
    /* tried before, and no other map changed since: the same refit again */
    if (h->tried_at != UINT64_MAX) {
        bool moved = false;
        for (size_t j = 0; j < s->nh && !moved; j++)
            moved = j != x && s->h[j].changed_at > h->tried_at;
        if (!moved) return TS_OK;
    }
    h->tried_at = s->epoch;
    if (!e->pw.fu && !pw_bounds(&e->pw, lo, hi, true))
        return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    before += edge_check(s, e, x, &h->map);
    pw_pair fit;
    pw_init(&fit, s->outliers);
    bool ok = true;
    uint64_t n = 0;
    for (size_t i = 0; i < e->pw.nu && ok; i++) ok = pw_add(&fit, true, e->pw.u[i].x, e->pw.u[i].y);
    for (size_t i = 0; i < e->pw.nl && ok; i++)
        ok = pw_add(&fit, false, e->pw.l[i].x, e->pw.l[i].y);
    pwmap m;
    pwmap_init(&m);
    const pwmap *em = e->r == h->parent ? &fit.fwd : &fit.back;
    uint64_t after = 0, unmet = 0;
    ts_status st = TS_OK;
    bool keep = false;
    /* each round's pass over the matches also counts those the previous refit leaves
     * receiving before their send */
    for (int round = 0; round < RECON_ROUNDS && ok; round++) {
        size_t nu0 = round ? fit.nu : e->pw.nu, nl0 = round ? fit.nl : e->pw.nl;
        uint64_t n0 = n, bad = 0;
        for (size_t i = 0; i < s->np && ok; i++)
            if (cross_pair(s, &s->p[i], e, x, with))
                bad += cross_check(s, &s->p[i], x, round ? &m : &h->map, e, par, root_parent, &fit,
                                   round ? SEL_VIOLATED : SEL_NEAR, &n, &ok);
        if (round) unmet = bad;
        if (round && n == n0) break; /* nothing more to take */
        ok = ok && pw_merge_added(&fit, nu0, nl0);
        if (!ok) break;
        if ((st = pw_solve(&fit, NULL, err))) break;
        keep = fit.has_maps && pwmap_compose(&par->map, em, TS_DEC_DIGITS, &m) &&
               pwmap_build_fast(&m, s->t[h->first_trace].begin);
        if (!keep) break;
        if (round + 1 == RECON_ROUNDS) unmet = cross_bad(s, x, e, &m, with);
    }
    if (!ok && !st) st = ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    if (st) keep = false;
    if (keep) {
        after = unmet + edge_check(s, e, x, &m);
        keep = after < before &&
               within_bounds(e, &fit, lo, hi, root_parent || par->bound < 0 ? 0 : par->bound);
    }
    if (!keep) {
        pwmap_free(&m);
        pw_free(&fit);
        return st;
    }
    pwmap_free(&h->map);
    h->map = m;
    h->cross_unmet = unmet;
    *changed = true;
    h->changed_at = h->tried_at = ++s->epoch;
    pw_free(&e->fit);
    e->fit = fit;
    e->has_fit = true;
    /* the largest shift between the two R -> O maps: at their knots and the ends */
    int64_t sh = 0;
    for (int w = 0; w < 2; w++) {
        const pw_pair *pp = w ? &e->fit : &e->pw;
        for (size_t k = 1; k <= pp->nseg + 1; k++) {
            int64_t t = k == pp->nseg ? lo : k == pp->nseg + 1 ? hi : pp->seg[k].kx;
            int64_t a, b;
            if (!pwmap_eval(&e->fit.back, t, &a) || !pwmap_eval(&e->pw.back, t, &b)) continue;
            int64_t d = a > b ? a - b : b - a;
            if (d > sh) sh = d;
        }
    }
    e->fit_shift = sh;
    return TS_OK;
}

#define PW_ROUNDS 8 /* reconciliation rounds, at most */

/* The piecewise tree and maps (after the single lines'). */
static ts_status pw_tree(ts_sync *s, size_t root, ts_error *err)
{
    for (size_t i = 0; i < s->np; i++) {
        spair *p = &s->p[i];
        p->pw_bound = -1;
        if (!p->pw.has_maps) continue;
        int64_t lo, hi;
        pw_range(s, p, &lo, &hi);
        if (!pw_bounds(&p->pw, lo, hi, s->keep_bounds))
            return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        /* the largest bound (reported), and for choosing paths the typical one: the
         * segments' largest bounds weighted by the time they cover (one bridge over a
         * clock step should not divert every path) */
        p->pw_bound = 0;
        __int128 wsum = 0, wlen = 0;
        bool unb = false;
        for (size_t k = 0; k < p->pw.nseg; k++) {
            int64_t v = p->pw.seg[k].max_bound;
            int64_t a = k ? p->pw.seg[k].kx : lo, b = k + 1 < p->pw.nseg ? p->pw.seg[k + 1].kx : hi;
            __int128 len = b > a ? (__int128)b - a : 1;
            if (v < 0 || p->pw_bound < 0)
                p->pw_bound = -1;
            else if (v > p->pw_bound)
                p->pw_bound = v;
            if (v < 0)
                unb = true;
            else
                wsum += (__int128)v * len, wlen += len;
        }
        p->pw_weight = unb || !wlen ? -1 : (int64_t)(wsum / wlen);
    }
    reset_hosts(s);
    for (size_t i = 0; i < s->np; i++) {
        s->p[i].in_tree = false;
        s->p[i].has_fit = false;
        s->p[i].fit_shift = 0;
    }
    bool *done = calloc(s->nh, sizeof *done);
    if (!done) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    done[root] = true;
    s->epoch = 0;
    s->h[root].reached = true;
    if (!tree_accuracy(s, root, true) ||
        !pwmap_set_linear(&s->h[root].map, dec_i64(1), dec_i64(0)) ||
        !pwmap_build_fast(&s->h[root].map, 0)) {
        free(done);
        return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    }
    s->h[root].bound = 0;
    /* in order of depth (parents first); the first round reconciles each host with
     * those mapped before it, the next ones with every other host (and recompose the
     * maps below a host whose map changed) */
    for (int round = 0; round < PW_ROUNDS; round++) {
        uint64_t unmet = 0;
        bool changed = false;
        for (size_t d = 1; d <= s->nh; d++)
            for (size_t i = 0; i < s->nh; i++) {
                shost *h = &s->h[i];
                if (!h->reached || h->depth != d) continue;
                const shost *par = &s->h[h->parent];
                spair *p = &s->p[h->via_pair];
                if (!par->reached) {
                    h->reached = false;
                    continue;
                }
                /* the edge parent -> i maps i time -> parent time */
                const pwmap *e = p->r == h->parent ? &edge_pw(p)->fwd : &edge_pw(p)->back;
                if (!pwmap_compose(&par->map, e, TS_DEC_DIGITS, &h->map)) {
                    h->reached = false; /* out of range: unusable */
                    continue;
                }
                if (!pwmap_build_fast(&h->map, s->t[h->first_trace].begin)) {
                    free(done);
                    return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
                }
                p->in_tree = true;
                int64_t lo, hi;
                pw_range(s, p, &lo, &hi);
                ts_status st = reconcile(s, i, done, lo, hi, &changed, err);
                if (st) {
                    free(done);
                    return st;
                }
                done[i] = true;
                unmet += h->cross_unmet;
                h->bound = add_bound(par->bound, refit_bound(p, p->pw_bound));
                ts_sync_quality q = p->pw.quality;
                h->worst = qrank(q) > qrank(par->worst) ? q : par->worst;
            }
        if (!unmet || (round && !changed)) break;
    }
    /* what is left: every pair off the paths, counted at both its hosts */
    for (size_t i = 0; i < s->nh; i++) {
        shost *h = &s->h[i];
        h->cross = h->cross_unmet = 0;
        if (!h->reached || i == root) continue;
        const spair *e = &s->p[h->via_pair];
        for (size_t j = 0; j < s->np; j++)
            if (cross_pair(s, &s->p[j], e, i, done)) h->cross += s->p[j].pw.nu + s->p[j].pw.nl;
        if (h->cross) h->cross_unmet = cross_bad(s, i, e, &h->map, done);
    }
    free(done);
    if (!make_paths(s, root)) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    return TS_OK;
}

ts_status ts_sync_solve(ts_sync *s, int reference, ts_formulas **out, ts_error *err)
{
    bool compat = s->mode == TS_SYNC_COMPAT_TRACECOMPASS;
    bool pw = s->method == TS_SYNC_METHOD_PIECEWISE;
    int digits = compat ? TS_DEC_COMPAT_DIGITS : TS_DEC_DIGITS;
    *out = NULL;
    s->solved_pw = false;
    if (s->nt == 0) return ts_error_set(err, TS_ERR_ARG, "no traces to synchronize");
    if (reference >= (int)s->nt)
        return ts_error_set(err, TS_ERR_ARG, "reference trace %d: only %zu traces", reference,
                            s->nt);
    ts_status st;
    if (pw && (st = pw_pairs(s, err))) return st;
    /* pair maps and bounds */
    for (size_t i = 0; i < s->np; i++) {
        spair *p = &s->p[i];
        p->in_tree = false;
        p->has_maps = hull_maps(&p->h, &p->fwd_s, &p->fwd_o, &p->back_s, &p->back_o);
        p->bound = -1;
        if (p->has_maps) {
            int64_t lo, hi;
            pair_range(s, p, &lo, &hi);
            p->bound = hull_error_bound(&p->h, lo, hi);
        }
    }
    reset_hosts(s);
    for (size_t i = 0; i < s->nh; i++) {
        s->h[i].slope = dec_i64(1);
        s->h[i].offset = dec_i64(0);
    }
    /* root */
    size_t root = reference >= 0 ? s->t[reference].host : s->t[0].host;
    if (compat && reference < 0) {
        bool found = false;
        for (size_t i = 0; i < s->np; i++) {
            const spair *p = &s->p[i];
            if (!p->has_maps) continue;
            size_t c[2] = {p->r, p->o};
            for (int k = 0; k < 2; k++)
                if (!found || strcmp(s->h[c[k]].id, s->h[root].id) < 0) {
                    root = c[k];
                    found = true;
                }
        }
    }
    s->h[root].reached = true;
    if (!(compat ? tree_tracecompass(s, root, false) : tree_accuracy(s, root, false)))
        return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    /* formulas in order of depth, so that parents come first */
    s->h[root].bound = 0;
    for (size_t d = 1; d <= s->nh; d++)
        for (size_t i = 0; i < s->nh; i++) {
            shost *h = &s->h[i];
            if (!h->reached || h->depth != d) continue;
            const shost *par = &s->h[h->parent];
            spair *p = &s->p[h->via_pair];
            if (!par->reached) { /* its parent's formula was unusable */
                h->reached = false;
                continue;
            }
            /* the edge parent -> i is labelled with the map i-time -> parent-time */
            ts_dec ls = p->r == h->parent ? p->fwd_s : p->back_s;
            ts_dec lo = p->r == h->parent ? p->fwd_o : p->back_o;
            if (d == 1 && compat) { /* identity o X = X */
                h->slope = ls;
                h->offset = lo;
            } else {
                lin_compose(par->slope, par->offset, ls, lo, digits, &h->slope, &h->offset);
            }
            ts_linmap lm;
            if (!linmap_init(&lm, h->slope, h->offset)) { /* out of int64 range: unusable */
                h->reached = false;
                h->slope = dec_i64(1);
                h->offset = dec_i64(0);
                continue;
            }
            p->in_tree = true;
            h->bound = add_bound(par->bound, p->bound);
            ts_sync_quality q = hull_quality(&p->h);
            h->worst = qrank(q) > qrank(par->worst) ? q : par->worst;
        }
    if (!make_paths(s, root)) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    /* piecewise: the hosts keep their single lines; the tree, paths, bounds and
     * qualities become the piecewise maps' */
    if (pw) {
        if ((st = pw_tree(s, root, err))) return st;
        s->solved_pw = true;
    }
    return build_formulas(s, root, reference, out, err);
}

/* ---- results ------------------------------------------------------------------- */

size_t ts_sync_pair_count(const ts_sync *s)
{
    return s->np;
}

void ts_sync_pair(const ts_sync *s, size_t i, ts_sync_pair_info *out)
{
    const spair *p = &s->p[i];
    const ts_hull *h = &p->h;
    memset(out, 0, sizeof *out);
    out->ref_host = s->h[p->r].id;
    out->other_host = s->h[p->o].id;
    out->ref_trace = s->h[p->r].first_trace;
    out->other_trace = s->h[p->o].first_trace;
    out->quality = hull_quality(h);
    if (p->has_maps) {
        dec_format(p->back_s, out->alpha, sizeof out->alpha);
        dec_format(p->back_o, out->beta, sizeof out->beta);
    } else {
        snprintf(out->alpha, sizeof out->alpha, "1");
        snprintf(out->beta, sizeof out->beta, "0");
    }
    if (h->compat && p->has_maps) { /* the pair's own alpha, beta (before inversion) */
        dec_format(h->alpha, out->alpha, sizeof out->alpha);
        dec_format(h->beta, out->beta, sizeof out->beta);
    }
    ts_dec amax, amin;
    bool hmax, hmin;
    hull_bounds(h, &amax, &hmax, &amin, &hmin);
    if (hmax) dec_format(amax, out->alpha_max, sizeof out->alpha_max);
    if (hmin) dec_format(amin, out->alpha_min, sizeof out->alpha_min);
    out->accuracy = hmax && hmin ? dec_to_double(dec_sub(amax, amin)) : -1;
    out->error_bound_ns = p->bound;
    out->matches = h->matches;
    out->o_to_r = h->o_to_r;
    out->r_to_o = h->r_to_o;
    out->used = h->used;
    out->hull_upper = h->U.n;
    out->hull_lower = h->L.n;
    out->in_tree = p->in_tree;
    out->fail_match = h->failed ? h->fail_match : 0;
    out->fail_time_ns = h->failed ? h->fail_time : 0;
    out->hull_quality = out->quality;
    out->hull_error_bound_ns = out->error_bound_ns;
    out->max_below_ns = out->max_above_ns = -1;
    if (s->solved_pw) {
        out->quality = p->pw.quality;
        out->error_bound_ns = p->pw_bound;
        out->segments = p->pw.has_maps ? p->pw.nseg : 0;
        out->outliers = p->pw.isolated;
        out->conflicts = p->pw.conflicts;
        out->max_below_ns = p->pw.max_lo;
        out->max_above_ns = p->pw.max_hi;
    }
}

void ts_sync_pair_segment(const ts_sync *s, size_t pair, size_t j, ts_sync_segment_info *out)
{
    const pw_pair *p = &s->p[pair].pw;
    const pw_seg *g = &p->seg[j];
    memset(out, 0, sizeof *out);
    out->start_ns = j ? g->kx : INT64_MIN;
    out->end_ns = j + 1 < p->nseg ? p->seg[j + 1].kx : INT64_MAX;
    if (g->nu + g->nl) {
        out->first_match_ns = g->first_x;
        out->last_match_ns = g->last_x;
    }
    out->o_to_r = g->nu;
    out->r_to_o = g->nl;
    dec_format(g->slope, out->slope, sizeof out->slope);
    dec_format(g->offset, out->offset, sizeof out->offset);
    out->drift_ppm = dec_to_double(dec_mul(dec_sub(g->slope, dec_i64(1)), dec_i64(1000000), 0));
    out->bridge = g->bridge;
    out->quality = g->has_amax && g->has_amin ? TS_SYNC_ACCURATE : TS_SYNC_APPROXIMATE;
    out->max_below_ns = g->max_lo;
    out->max_above_ns = g->max_hi;
    out->max_bound_ns = g->max_bound;
}

size_t ts_sync_pair_outlier_count(const ts_sync *s, size_t pair)
{
    return s->solved_pw ? s->p[pair].pw.nout : 0;
}

void ts_sync_pair_outlier(const ts_sync *s, size_t pair, size_t i, ts_sync_outlier *out)
{
    const pw_outlier *o = &s->p[pair].pw.out[i];
    memset(out, 0, sizeof *out);
    out->o_to_r = o->o_to_r;
    /* O->R: sent on O at y, received on R at x; R->O: sent on R at x, received at y */
    out->send_ns = o->o_to_r ? o->y : o->x;
    out->recv_ns = o->o_to_r ? o->x : o->y;
    out->conflict = o->kind == PW_CONFLICT;
    out->latency_ns = o->latency_ns;
}

void ts_sync_trace(const ts_sync *s, size_t trace, ts_sync_trace_info *out)
{
    const strace *t = &s->t[trace];
    const shost *h = &s->h[t->host];
    memset(out, 0, sizeof *out);
    out->is_reference = h->reached && h->path_len == 1;
    out->reachable = h->reached;
    out->quality = h->worst;
    if (!h->reached) {
        /* the best that its pairs reached */
        out->quality = TS_SYNC_ABSENT;
        for (size_t i = 0; i < s->np; i++)
            if ((s->p[i].r == t->host || s->p[i].o == t->host) &&
                edge_quality(&s->p[i], s->solved_pw) > out->quality)
                out->quality = edge_quality(&s->p[i], s->solved_pw);
    }
    dec_format(h->slope, out->slope, sizeof out->slope);
    dec_format(h->offset, out->offset_ns, sizeof out->offset_ns);
    out->drift_ppm = dec_to_double(dec_mul(dec_sub(h->slope, dec_i64(1)), dec_i64(1000000), 0));
    ts_linmap lm;
    int64_t mapped;
    if (linmap_init(&lm, h->slope, h->offset) && linmap_eval(&lm, t->begin, &mapped))
        out->offset_at_start_ns = mapped - t->begin;
    out->error_bound_ns = h->reached ? h->bound : -1;
    out->pair = h->reached && h->path_len > 1 ? (int)h->via_pair : -1;
    out->path_len = h->path_len;
    out->path = h->path;
    out->segments = s->solved_pw && h->reached ? h->map.n : 0;
    if (s->solved_pw && h->reached) {
        out->cross_matches = h->cross;
        out->cross_unmet = h->cross_unmet;
    }
}

/* ---- per-instant bounds (piecewise method) ------------------------------------------ */

static int64_t add_sat(int64_t a, int64_t b)
{
    if (a < 0 || b < 0) return -1;
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* v * slope (fixed point, 2^-40 units), rounded up; -1 stays -1 */
static int64_t scale_up(int64_t v, int64_t fx)
{
    if (v < 0 || fx == INT64_MAX) return v < 0 ? -1 : (v ? -1 : 0);
    __int128 r = ((__int128)v * fx + PW_FX_ONE - 1) / PW_FX_ONE;
    return r > ((__int128)1 << 62) ? -1 : (int64_t)r;
}

/* a pair's bounds at R time x in the parent's time, the largest over [x - wl, x + wh]
 * (the ends and the middle: the bounds are monotonic between matches); side: which
 * limit at x on the R side (on the O side, both) */
static void edge_bounds(const spair *p, bool child_is_r, int64_t x, int64_t wl, int64_t wh,
                        int side, int64_t *lo, int64_t *hi)
{
    int64_t xs[3] = {x, x - wl, x + wh};
    *lo = *hi = 0;
    for (int i = 0; i < (wl || wh ? 3 : 1) * 2; i++) {
        /* on the O side, x is the floor of the mapped time: the instant lies at x or
         * just past it, so both limits at x count */
        int sd = i % 2 ? 1 : -1;
        if (child_is_r && i % 2) continue;
        if (child_is_r) sd = i / 2 ? 0 : side;
        int64_t l, h;
        pw_bound_at(&p->pw, xs[i / 2], sd, &l, &h);
        if (p->has_fit) { /* relative to the refitted map: shifted by d = fit - pw */
            int64_t a, b;
            if (pwmap_eval(&p->fit.back, xs[i / 2], &a) && pwmap_eval(&p->pw.back, xs[i / 2], &b)) {
                int64_t d = a - b;
                if (l >= 0) l = l + d > 0 ? l + d : 0;
                if (h >= 0) h = h - d > 0 ? h - d : 0;
            } else {
                l = h = -1;
            }
        }
        pw_conv(&p->pw, xs[i / 2], child_is_r, &l, &h);
        if (l < 0 || *lo < 0)
            *lo = -1;
        else if (l > *lo)
            *lo = l;
        if (h < 0 || *hi < 0)
            *hi = -1;
        else if (h > *hi)
            *hi = h;
    }
}

static ts_status bounds_at(const ts_sync *s, size_t trace, int64_t t, int side, int64_t *below,
                           int64_t *above, ts_error *err)
{
    *below = *above = -1;
    if (!s->solved_pw || trace >= s->nt || !s->keep_bounds)
        return ts_error_set(err, TS_ERR_ARG,
                            "bounds per instant need the piecewise method and "
                            "ts_sync_keep_bounds before ts_sync_solve");
    size_t v = s->t[trace].host;
    if (!s->h[v].reached)
        return ts_error_set(err, TS_ERR_ARG, "trace '%s' is not joined to the reference",
                            s->t[trace].name);
    int64_t x = t, lo = 0, hi = 0; /* the true time of host v lies in [x - lo, x + hi] */
    bool first = true;
    while (s->h[v].path_len > 1) {
        const spair *p = &s->p[s->h[v].via_pair];
        bool child_is_r = p->r == v;
        const pwmap *e = child_is_r ? &edge_pw(p)->back : &edge_pw(p)->fwd;
        int64_t nx, xr, wl = 0, wh = 0;
        if (!pwmap_eval(e, x, &nx)) return ts_error_set(err, TS_ERR_ARG, "time out of range");
        xr = child_is_r ? x : nx; /* the pair's R time */
        if (lo < 0 || hi < 0) {
            *below = *above = -1;
            return TS_OK;
        }
        if (child_is_r) {
            wl = lo;
            wh = hi;
        } else { /* the window in R time, through the map (rounded outwards) */
            int64_t a, b;
            if (pwmap_eval(e, x - lo, &a) && pwmap_eval(e, x + hi, &b)) {
                wl = nx - a + 1;
                wh = b - nx + 1;
            }
        }
        int64_t el, eh;
        edge_bounds(p, child_is_r, xr, first ? 0 : wl, first ? 0 : wh, first ? side : 0, &el, &eh);
        int64_t fx = pwmap_max_slope_fx(e);
        lo = add_sat(scale_up(lo, fx), el);
        hi = add_sat(scale_up(hi, fx), eh);
        x = nx;
        v = s->h[v].parent;
        first = false;
    }
    *below = lo;
    *above = hi;
    return TS_OK;
}

ts_status ts_sync_trace_bounds_at(const ts_sync *s, size_t trace, int64_t t, int64_t *below_ns,
                                  int64_t *above_ns, ts_error *err)
{
    return bounds_at(s, trace, t, 0, below_ns, above_ns, err);
}

typedef struct brow {
    int64_t t;
    int side;
} brow;

static int cmp_brow(const void *a, const void *b)
{
    const brow *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->side < y->side ? -1 : x->side > y->side;
}

/* the own times of trace host h where its bounds may bend or jump */
static brow *bound_rows(const ts_sync *s, size_t h, size_t *n, ts_error *err)
{
    brow *rows = NULL;
    size_t nr = 0, cap = 0;
    pwmap part; /* own time -> time of host v */
    pwmap_init(&part);
    bool ok = pwmap_set_linear(&part, dec_i64(1), dec_i64(0));
    for (size_t v = h; ok && s->h[v].path_len > 1; v = s->h[v].parent) {
        const spair *p = &s->p[s->h[v].via_pair];
        bool child_is_r = p->r == v;
        /* the breakpoints of its own bounds, and of the refitted map's shift */
        for (int w = 0; w < (p->has_fit ? 2 : 1) && ok; w++) {
            size_t nb;
            int64_t *bp = pw_breakpoints(w ? &p->fit : &p->pw, &nb);
            if (!bp) {
                ok = false;
                break;
            }
            for (size_t i = 0; i < nb && ok; i++) {
                /* the breakpoint in v's time: exact (an integer) on the R side; on the O side
                 * between the map's values around it */
                int64_t a, b;
                if (child_is_r) {
                    a = b = bp[i];
                } else if (pwmap_eval(&edge_pw(p)->back, bp[i], &a)) {
                    b = a + 1;
                } else {
                    continue;
                }
                int64_t ta = v == h ? a : pwmap_first_reaching(&part, a);
                int64_t tb = v == h ? b : pwmap_first_reaching(&part, b);
                if (nr + 2 > cap) {
                    size_t nc = cap ? 2 * cap : 1024;
                    brow *nrw = realloc(rows, nc * sizeof *nrw);
                    if (!nrw) {
                        ok = false;
                        break;
                    }
                    rows = nrw;
                    cap = nc;
                }
                if (ta == tb) { /* a jump at an instant: both limits */
                    rows[nr++] = (brow){ta, -1};
                    rows[nr++] = (brow){ta, 1};
                } else {
                    rows[nr++] = (brow){ta, 0};
                    rows[nr++] = (brow){tb, 0};
                }
            }
            free(bp);
        }
        const pwmap *e = child_is_r ? &edge_pw(p)->back : &edge_pw(p)->fwd;
        pwmap np;
        pwmap_init(&np);
        ok = ok && pwmap_compose(e, &part, TS_DEC_DIGITS, &np);
        pwmap_free(&part);
        part = np;
    }
    pwmap_free(&part);
    if (!ok) {
        free(rows);
        ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (nr) qsort(rows, nr, sizeof *rows, cmp_brow);
    size_t w = 0;
    for (size_t i = 0; i < nr; i++)
        if (!w || rows[i].t != rows[w - 1].t || rows[i].side != rows[w - 1].side)
            rows[w++] = rows[i];
    *n = w;
    return rows ? rows : calloc(1, sizeof *rows);
}

ts_status ts_sync_write_bounds(const ts_sync *s, const ts_formulas *f, const char *path,
                               ts_error *err)
{
    if (!s->solved_pw || !s->keep_bounds)
        return ts_error_set(err, TS_ERR_ARG,
                            "bounds per instant need the piecewise method and "
                            "ts_sync_keep_bounds before ts_sync_solve");
    ts_outfile o;
    ts_status st = ts_outfile_open(&o, path, err);
    if (st) return st;
    sb_puts(&o.sb, "trace,own_ns,ref_ns,below_ns,above_ns\n");
    for (size_t i = 0; i < s->nt && !st; i++) {
        const shost *h = &s->h[s->t[i].host];
        if (!h->reached || h->path_len <= 1) continue;
        size_t n;
        brow *rows = bound_rows(s, s->t[i].host, &n, err);
        if (!rows) {
            st = err->code;
            break;
        }
        int fi = ts_formulas_find(f, s->t[i].name);
        for (size_t r = 0; r < n && !st; r++) {
            int64_t ref, lo, hi;
            if (fi < 0 || !ts_formulas_entry_map(f, (size_t)fi, rows[r].t, &ref)) continue;
            if (bounds_at(s, i, rows[r].t, rows[r].side, &lo, &hi, err)) continue;
            ts_csv_field(&o.sb, s->t[i].name);
            sb_printf(&o.sb, ",%lld,%lld,%lld,%lld\n", (long long)rows[r].t, (long long)ref,
                      (long long)lo, (long long)hi);
            st = ts_outfile_flush(&o, false, err);
        }
        free(rows);
    }
    if (st) {
        ts_outfile_discard(&o);
        return st;
    }
    return ts_outfile_close(&o, err);
}
