/* Synchronization engine: hosts, one hull per host pair, the tree of pairs to
 * the reference host, and the composed formula of every trace. */
#include "tracesync/sync.h"

#include "sync/dec.h"
#include "sync/formulas.h"
#include "sync/hull.h"
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
} shost;

typedef struct spair {
    size_t r, o; /* host indexes, id(r) < id(o) */
    ts_hull h;
    /* solve results */
    bool has_maps, in_tree;
    ts_dec fwd_s, fwd_o, back_s, back_o;
    int64_t bound;
} spair;

struct ts_sync {
    ts_sync_mode mode;
    strace *t;
    size_t nt, capt;
    shost *h;
    size_t nh, caph;
    spair *p;
    size_t np, capp;
    int32_t *pidx; /* nh * nh: pair index or -1 */
    size_t pidx_dim;
    uint64_t same_host;
};

ts_sync *ts_sync_new(ts_sync_mode mode)
{
    ts_sync *s = calloc(1, sizeof *s);
    if (s) s->mode = mode;
    return s;
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
    }
    for (size_t i = 0; i < s->np; i++) hull_free(&s->p[i].h);
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
        pi = (int32_t)s->np++;
        s->pidx[a * s->nh + b] = s->pidx[b * s->nh + a] = pi;
    }
    spair *p = &s->p[pi];
    bool o_to_r = a == p->o;
    bool ok = o_to_r ? hull_add(&p->h, true, m->recv_raw, m->send_raw)
                     : hull_add(&p->h, false, m->send_raw, m->recv_raw);
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

static void edge_key(const spair *p, uint64_t *f, uint64_t *a, int64_t *b)
{
    ts_sync_quality q = hull_quality(&p->h);
    *f = q == TS_SYNC_FAIL;
    *a = q == TS_SYNC_APPROXIMATE;
    *b = p->bound < 0 ? 0 : p->bound;
}

static int key_cmp(uint64_t f1, uint64_t a1, int64_t b1, uint64_t f2, uint64_t a2, int64_t b2)
{
    if (f1 != f2) return f1 < f2 ? -1 : 1;
    if (a1 != a2) return a1 < a2 ? -1 : 1;
    return b1 < b2 ? -1 : b1 > b2;
}

static bool tree_tracecompass(ts_sync *s, size_t root)
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
            if (!p->has_maps || (p->r != v && p->o != v)) continue;
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

static bool tree_accuracy(ts_sync *s, size_t root)
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
            if (!p->has_maps || (p->r != v && p->o != v)) continue;
            size_t w = p->r == v ? p->o : p->r;
            if (done[w]) continue;
            uint64_t f, a;
            int64_t b;
            edge_key(p, &f, &a, &b);
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
    }
    sb_free(&sb);
    if (st) {
        ts_formulas_free(f);
        return st;
    }
    *out = f;
    return TS_OK;
}

ts_status ts_sync_solve(ts_sync *s, int reference, ts_formulas **out, ts_error *err)
{
    bool compat = s->mode == TS_SYNC_COMPAT_TRACECOMPASS;
    int digits = compat ? TS_DEC_COMPAT_DIGITS : TS_DEC_DIGITS;
    *out = NULL;
    if (s->nt == 0) return ts_error_set(err, TS_ERR_ARG, "no traces to synchronize");
    if (reference >= (int)s->nt)
        return ts_error_set(err, TS_ERR_ARG, "reference trace %d: only %zu traces", reference,
                            s->nt);
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
    for (size_t i = 0; i < s->nh; i++) {
        shost *h = &s->h[i];
        free(h->path);
        h->path = NULL;
        h->path_len = 0;
        h->reached = false;
        h->depth = 0;
        h->k_fail = h->k_approx = 0;
        h->k_bound = 0;
        h->slope = dec_i64(1);
        h->offset = dec_i64(0);
        h->bound = -1;
        h->worst = TS_SYNC_ACCURATE;
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
    if (!(compat ? tree_tracecompass(s, root) : tree_accuracy(s, root)))
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
    /* paths */
    for (size_t i = 0; i < s->nh; i++) {
        shost *h = &s->h[i];
        if (!h->reached) continue;
        h->path = malloc((h->depth + 1) * sizeof *h->path);
        if (!h->path) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        size_t v = i, n = 0;
        for (;;) {
            h->path[n++] = s->h[v].first_trace;
            if (v == root) break;
            v = s->h[v].parent;
        }
        h->path_len = n;
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
                hull_quality(&s->p[i].h) > out->quality)
                out->quality = hull_quality(&s->p[i].h);
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
}
