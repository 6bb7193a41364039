/* The pure matcher: unmatched events in one open-addressing hash table.
 *
 * Rules (include/tracesync/match.h): identical keys wait in arrival order and are
 * taken first in, first out (packets between two hosts arrive in order), unless the
 * latency a candidate would give is implausible for its pair of hosts (a lost packet
 * with the same key, skipped).  Trace Compass's rules (first of identical keys only,
 * no latency check) are an option.
 *
 * Entries live in a pool (array, free list: no allocation per event) and are linked,
 * in arrival order (= time order), into one list per (trace, kind, direction): the
 * age bound and the cleanup rule drop from the heads of those lists.  Entries with
 * one (kind, key, trace, direction) form a group: a queue in arrival order whose
 * oldest entry (the head) stands in the table for all of them.  The table holds pool
 * indexes of heads (+1, 0 = empty slot), linear probing, backward-shift deletion, load
 * factor at most 1/2.  Every group with one (kind, key) hashes to one home slot, so
 * one probe walk finds the event's own group and every group of the other direction,
 * whatever their traces; a storm of identical keys makes one long queue, not a long
 * probe walk.  The oldest of a (trace, kind, direction) list is the head of its group,
 * so drops from the lists' heads drop group heads. */
#include "match/matcher.h"

#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX

typedef struct mentry {
    uint64_t key[3];
    int64_t ts, ts_raw;
    uint64_t seq; /* arrival number */
    uint32_t trace;
    uint32_t hash;
    uint32_t prev, next;   /* list links; next also chains the free list */
    uint32_t qprev, qnext; /* the group's queue (qprev NIL: the head) */
    uint32_t qtail, qn;    /* head only: the group's last entry and size */
    uint8_t kind, dir;
} mentry;

typedef struct mlist {
    uint32_t head, tail;
    size_t n;
} mlist;

/* Latency plausibility: a candidate pair (send, receive) is implausible when its
 * latency is further than max(GATE_MAD_FACTOR * MAD, GATE_FLOOR_NS) from the median of
 * the pair of hosts' last GATE_HIST reported latencies (MAD: median absolute
 * deviation), once GATE_MIN are known.  When the pair's clocks step, every candidate
 * is refused: GATE_RESET distinct candidates refused with no match of the pair in
 * between, whose latencies agree among themselves (max - min <= the tolerance), become
 * the pair's new history (a storm of stale candidates, whose latencies scatter, does
 * not).  A lost packet's event refused again and again counts once. */
#define GATE_HIST       32
#define GATE_MIN        4
#define GATE_MAD_FACTOR 16
#define GATE_FLOOR_NS   500000
#define GATE_RESET      8
/* Candidates per group: the first CAND_DEPTH of its queue (the latency check may pass
 * over a few lost packets' events). */
#define CAND_DEPTH 8

/* Per kind and ordered pair of hosts (allocated on first use). */
typedef struct pair_state {
    bool valid; /* a match was reported; the latest one: */
    int64_t src_ts, dst_ts;
    int64_t lat[GATE_HIST]; /* latest latencies, a ring */
    uint32_t n, pos, fresh; /* fresh: added since med/tol were computed */
    int64_t med, tol;
    int64_t refused[GATE_RESET]; /* latencies of the distinct candidates refused since the
                                    pair's last match (the latest GATE_RESET) */
    uint32_t nrefused;
    int64_t refused_ts; /* the last one refused (its time and trace) */
    uint32_t refused_trace;
} pair_state;

struct ts_matcher {
    size_t ntraces, nhosts; /* nhosts: largest host index + 1 */
    size_t nhosts_used;     /* distinct host indexes in use */
    uint32_t *host;
    ts_match_cb cb;
    void *ctx;
    bool stopped, finished;
    unsigned kinds;
    int64_t max_age; /* < 0: none */
    size_t max_pending;
    bool cleanup, report_same_host, tc_rules;
    /* errors of the corrected times (ts_match_options.time_error; NULL: unknown) */
    int64_t (*terr)(void *ctx, uint32_t trace, int64_t raw_ns);
    void *terr_ctx;

    mentry *pool;
    size_t pool_cap, pool_used;
    uint32_t free_head;
    size_t npending, peak;

    uint32_t *slots;
    size_t nslots; /* power of two */

    mlist *lists;       /* ntraces * NKINDS * 2 */
    pair_state **pairs; /* NKINDS * nhosts * nhosts, [kind][src host][dst host] */
    uint32_t *cand;     /* scratch: candidates of the event being matched */
    size_t cand_cap;
    int64_t expire_at; /* no entry expires before an event later than this */
    ts_match_trace_stats *stats;
    uint64_t reported;
    uint64_t arrivals;
};

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint32_t key_hash(uint8_t kind, const uint64_t key[3])
{
    uint64_t h = mix64(key[0] ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(kind + 1)));
    h = mix64(h ^ key[1]);
    h = mix64(h ^ key[2] ^ 0x632be59bd9b4e019ULL);
    return (uint32_t)(h ^ (h >> 32));
}

static int64_t sat_add(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b) return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b) return INT64_MIN;
    return a + b;
}

static mlist *list_of(ts_matcher *m, uint32_t trace, unsigned kind, unsigned dir)
{
    return &m->lists[((size_t)trace * TS_MATCH_NKINDS + kind) * 2 + dir];
}

static pair_state *pair_get(const ts_matcher *m, unsigned kind, uint32_t hs, uint32_t hd)
{
    return m->pairs[((size_t)kind * m->nhosts + hs) * m->nhosts + hd];
}

static pair_state *pair_make(ts_matcher *m, unsigned kind, uint32_t hs, uint32_t hd)
{
    pair_state **p = &m->pairs[((size_t)kind * m->nhosts + hs) * m->nhosts + hd];
    if (!*p) *p = calloc(1, sizeof **p);
    return *p;
}

ts_status ts_matcher_new(const uint32_t *trace_host, size_t ntraces, const ts_match_options *opt,
                         ts_match_cb cb, void *ctx, ts_matcher **out, ts_error *err)
{
    *out = NULL;
    if (ntraces == 0 || ntraces >= NIL)
        return ts_error_set(err, TS_ERR_ARG, "matcher: %zu traces (expected 1 to %u)", ntraces,
                            NIL - 1);
    ts_matcher *m = calloc(1, sizeof *m);
    if (!m) return ts_error_set(err, TS_ERR_NOMEM, "matcher: out of memory");
    m->ntraces = ntraces;
    m->cb = cb;
    m->ctx = ctx;
    m->kinds = (opt && opt->kinds) ? opt->kinds : (1u << TS_MATCH_NKINDS) - 1;
    m->max_age = TS_MATCH_DEFAULT_MAX_AGE_NS;
    m->max_pending = TS_MATCH_DEFAULT_MAX_PENDING;
    m->cleanup = true;
    if (opt) {
        if (opt->max_age_ns) m->max_age = opt->max_age_ns < 0 ? -1 : opt->max_age_ns;
        if (opt->max_pending) m->max_pending = opt->max_pending;
        m->cleanup = !opt->no_cleanup;
        m->report_same_host = opt->report_same_host;
        m->tc_rules = opt->tracecompass_rules;
    }
    if (m->max_pending > (size_t)NIL / 4) m->max_pending = (size_t)NIL / 4;
    m->free_head = NIL;
    m->expire_at = INT64_MAX;
    m->host = malloc(ntraces * sizeof *m->host);
    m->lists = malloc(ntraces * TS_MATCH_NKINDS * 2 * sizeof *m->lists);
    m->stats = calloc(ntraces, sizeof *m->stats);
    if (!m->host || !m->lists || !m->stats) goto nomem;
    for (size_t i = 0; i < ntraces; i++) {
        m->host[i] = trace_host ? trace_host[i] : (uint32_t)i;
        if (m->host[i] + (size_t)1 > m->nhosts) m->nhosts = m->host[i] + (size_t)1;
    }
    if (m->nhosts > ntraces) {
        free(m->host);
        free(m->lists);
        free(m->stats);
        free(m);
        return ts_error_set(err, TS_ERR_ARG, "matcher: host index out of range (%zu traces)",
                            ntraces);
    }
    for (size_t i = 0; i < ntraces * TS_MATCH_NKINDS * 2; i++) {
        m->lists[i].head = m->lists[i].tail = NIL;
        m->lists[i].n = 0;
    }
    for (size_t i = 0; i < ntraces; i++) {
        size_t j = 0;
        while (j < i && m->host[j] != m->host[i]) j++;
        if (j == i) m->nhosts_used++;
    }
    m->pairs = calloc(TS_MATCH_NKINDS * m->nhosts * m->nhosts, sizeof *m->pairs);
    m->nslots = 1024;
    m->slots = calloc(m->nslots, sizeof *m->slots);
    m->cand_cap = 16;
    m->cand = malloc(m->cand_cap * sizeof *m->cand);
    if (!m->pairs || !m->slots || !m->cand) goto nomem;
    if (opt) {
        m->terr = opt->time_error;
        m->terr_ctx = opt->time_error_ctx;
    }
    *out = m;
    return TS_OK;
nomem:
    ts_matcher_free(m);
    return ts_error_set(err, TS_ERR_NOMEM, "matcher: out of memory");
}

void ts_matcher_free(ts_matcher *m)
{
    if (!m) return;
    free(m->host);
    free(m->pool);
    free(m->slots);
    free(m->lists);
    if (m->pairs)
        for (size_t i = 0; i < TS_MATCH_NKINDS * m->nhosts * m->nhosts; i++) free(m->pairs[i]);
    free(m->pairs);
    free(m->cand);
    free(m->stats);
    free(m);
}

/* ---- hash table ------------------------------------------------------- */

static size_t find_slot(const ts_matcher *m, uint32_t idx)
{
    size_t mask = m->nslots - 1, i = m->pool[idx].hash & mask;
    while (m->slots[i] != idx + 1) i = (i + 1) & mask;
    return i;
}

/* Backward-shift deletion: no tombstones, probe chains stay short. */
static void slot_delete(ts_matcher *m, size_t hole)
{
    size_t mask = m->nslots - 1, j = hole;
    for (;;) {
        m->slots[hole] = 0;
        for (;;) {
            j = (j + 1) & mask;
            if (!m->slots[j]) return;
            size_t home = m->pool[m->slots[j] - 1].hash & mask;
            /* the entry at j may fill the hole unless its home lies cyclically in (hole, j] */
            bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
            if (!stays) break;
        }
        m->slots[hole] = m->slots[j];
        hole = j;
    }
}

static void slot_insert(uint32_t *slots, size_t nslots, uint32_t hash, uint32_t idx)
{
    size_t mask = nslots - 1, i = hash & mask;
    while (slots[i]) i = (i + 1) & mask;
    slots[i] = idx + 1;
}

static bool table_grow(ts_matcher *m)
{
    size_t n = m->nslots * 2;
    uint32_t *s = calloc(n, sizeof *s);
    if (!s) return false;
    for (size_t i = 0; i < m->nslots; i++)
        if (m->slots[i]) slot_insert(s, n, m->pool[m->slots[i] - 1].hash, m->slots[i] - 1);
    free(m->slots);
    m->slots = s;
    m->nslots = n;
    return true;
}

/* ---- entries ---------------------------------------------------------- */

static void list_unlink(ts_matcher *m, uint32_t idx)
{
    mentry *e = &m->pool[idx];
    mlist *l = list_of(m, e->trace, e->kind, e->dir);
    if (e->prev != NIL)
        m->pool[e->prev].next = e->next;
    else
        l->head = e->next;
    if (e->next != NIL)
        m->pool[e->next].prev = e->prev;
    else
        l->tail = e->prev;
    l->n--;
}

/* Take an entry out of its group: the next one becomes the head (in the head's slot),
 * or the group's slot goes. */
static void group_unlink(ts_matcher *m, uint32_t idx)
{
    mentry *e = &m->pool[idx];
    if (e->qprev == NIL) {
        size_t slot = find_slot(m, idx);
        if (e->qnext == NIL) {
            slot_delete(m, slot);
            return;
        }
        mentry *h = &m->pool[e->qnext];
        h->qprev = NIL;
        h->qtail = e->qtail;
        h->qn = e->qn - 1;
        m->slots[slot] = e->qnext + 1; /* same key: same home slot */
        return;
    }
    uint32_t head = e->qprev;
    while (m->pool[head].qprev != NIL) head = m->pool[head].qprev;
    m->pool[e->qprev].qnext = e->qnext;
    if (e->qnext != NIL)
        m->pool[e->qnext].qprev = e->qprev;
    else
        m->pool[head].qtail = e->qprev;
    m->pool[head].qn--;
}

static void entry_remove(ts_matcher *m, uint32_t idx)
{
    group_unlink(m, idx);
    list_unlink(m, idx);
    m->pool[idx].next = m->free_head;
    m->free_head = idx;
    m->npending--;
}

enum drop_reason { DROP_EXPIRED, DROP_CLEANED, DROP_EVICTED };

static void entry_drop(ts_matcher *m, uint32_t idx, enum drop_reason why)
{
    const mentry *e = &m->pool[idx];
    ts_match_counts *c = &m->stats[e->trace].counts[e->kind][e->dir];
    if (why == DROP_EXPIRED)
        c->expired++;
    else if (why == DROP_CLEANED)
        c->cleaned++;
    else
        c->evicted++;
    entry_remove(m, idx);
}

/* Drop from the head of a list every entry older than limit. */
static void list_drop_before(ts_matcher *m, mlist *l, int64_t limit, enum drop_reason why)
{
    while (l->head != NIL && m->pool[l->head].ts < limit) entry_drop(m, l->head, why);
}

static void recompute_expiry(ts_matcher *m)
{
    m->expire_at = INT64_MAX;
    if (m->max_age < 0) return;
    size_t nl = m->ntraces * TS_MATCH_NKINDS * 2;
    for (size_t i = 0; i < nl; i++)
        if (m->lists[i].head != NIL) {
            int64_t at = sat_add(m->pool[m->lists[i].head].ts, m->max_age);
            if (at < m->expire_at) m->expire_at = at;
        }
}

static void expire(ts_matcher *m, int64_t now)
{
    int64_t limit = sat_add(now, -m->max_age);
    size_t nl = m->ntraces * TS_MATCH_NKINDS * 2;
    for (size_t i = 0; i < nl; i++) list_drop_before(m, &m->lists[i], limit, DROP_EXPIRED);
    recompute_expiry(m);
}

static void evict_oldest(ts_matcher *m)
{
    size_t nl = m->ntraces * TS_MATCH_NKINDS * 2;
    uint32_t best = NIL;
    for (size_t i = 0; i < nl; i++) {
        uint32_t h = m->lists[i].head;
        if (h != NIL && (best == NIL || m->pool[h].ts < m->pool[best].ts)) best = h;
    }
    if (best != NIL) entry_drop(m, best, DROP_EVICTED);
}

/* Does entry e carry in's kind and key? */
static bool same_key(const mentry *e, const ts_match_input *in, uint32_t hash)
{
    return e->hash == hash && e->kind == in->kind && e->key[0] == in->key[0] &&
           e->key[1] == in->key[1] && e->key[2] == in->key[2];
}

/* The head of the group of (in's kind, key, trace, direction), or NIL. */
static uint32_t group_find(const ts_matcher *m, const ts_match_input *in, uint32_t hash)
{
    size_t mask = m->nslots - 1;
    for (size_t i = hash & mask; m->slots[i]; i = (i + 1) & mask) {
        uint32_t idx = m->slots[i] - 1;
        const mentry *e = &m->pool[idx];
        if (same_key(e, in, hash) && e->dir == in->dir && e->trace == in->trace) return idx;
    }
    return NIL;
}

/* head: the head of in's group (NIL: none), as the caller's probe walk found it. */
static ts_status entry_insert(ts_matcher *m, const ts_match_input *in, uint32_t hash, uint32_t head,
                              ts_error *err)
{
    if (m->npending >= m->max_pending) {
        evict_oldest(m);
        head = group_find(m, in, hash); /* the head may have gone */
    }
    if ((m->npending + 1) * 2 > m->nslots && !table_grow(m))
        return ts_error_set(err, TS_ERR_NOMEM, "matcher: out of memory (%zu unmatched events)",
                            m->npending);
    uint32_t idx;
    if (m->free_head != NIL) {
        idx = m->free_head;
        m->free_head = m->pool[idx].next;
    } else {
        if (m->pool_used == m->pool_cap) {
            size_t cap = m->pool_cap ? m->pool_cap * 2 : 1024;
            mentry *p = realloc(m->pool, cap * sizeof *p);
            if (!p)
                return ts_error_set(err, TS_ERR_NOMEM,
                                    "matcher: out of memory (%zu unmatched events)", m->npending);
            m->pool = p;
            m->pool_cap = cap;
        }
        idx = (uint32_t)m->pool_used++;
    }
    mentry *e = &m->pool[idx];
    memcpy(e->key, in->key, sizeof e->key);
    e->ts = in->ts;
    e->ts_raw = in->ts_raw;
    e->seq = m->arrivals++;
    e->trace = in->trace;
    e->hash = hash;
    e->kind = in->kind;
    e->dir = in->dir;
    mlist *l = list_of(m, in->trace, in->kind, in->dir);
    e->prev = l->tail;
    e->next = NIL;
    if (l->tail != NIL)
        m->pool[l->tail].next = idx;
    else
        l->head = idx;
    l->tail = idx;
    l->n++;
    e->qnext = NIL;
    if (head == NIL) { /* a new group */
        e->qprev = NIL;
        e->qtail = idx;
        e->qn = 1;
        slot_insert(m->slots, m->nslots, hash, idx);
    } else {
        mentry *h = &m->pool[head];
        e->qprev = h->qtail;
        m->pool[h->qtail].qnext = idx;
        h->qtail = idx;
        h->qn++;
    }
    if (++m->npending > m->peak) m->peak = m->npending;
    if (m->max_age >= 0) {
        int64_t at = sat_add(in->ts, m->max_age);
        if (at < m->expire_at) m->expire_at = at;
    }
    return TS_OK;
}

/* ---- matching --------------------------------------------------------- */

/* Trace Compass's cleanup, after a reported match src host hs -> dst host hd
 * (whose pair state p records it). */
static void cleanup(ts_matcher *m, const ts_match *mt)
{
    uint32_t hs = m->host[mt->src_trace], hd = m->host[mt->dst_trace];
    unsigned k = mt->kind;
    size_t covered = 0;
    int64_t earliest = INT64_MAX;
    for (uint32_t h = 0; h < m->nhosts; h++) {
        const pair_state *x = h == hs ? NULL : pair_get(m, k, hs, h);
        if (!x || !x->valid) continue;
        covered++;
        if (x->src_ts < earliest) earliest = x->src_ts;
    }
    if (covered + 1 == m->nhosts_used)
        list_drop_before(m, list_of(m, mt->src_trace, k, TS_MATCH_SEND), earliest, DROP_CLEANED);
    covered = 0;
    earliest = INT64_MAX;
    for (uint32_t h = 0; h < m->nhosts; h++) {
        const pair_state *x = h == hd ? NULL : pair_get(m, k, h, hd);
        if (!x || !x->valid) continue;
        covered++;
        if (x->dst_ts < earliest) earliest = x->dst_ts;
    }
    if (covered + 1 == m->nhosts_used)
        list_drop_before(m, list_of(m, mt->dst_trace, k, TS_MATCH_RECV), earliest, DROP_CLEANED);
}

/* ---- latency plausibility ---------------------------------------------- */

static void sort_i64(int64_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            int64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

static int64_t abs_diff(int64_t a, int64_t b)
{
    __int128 d = (__int128)a - b;
    if (d < 0) d = -d;
    return d > INT64_MAX ? INT64_MAX : (int64_t)d;
}

static void pair_refresh(pair_state *p)
{
    int64_t v[GATE_HIST];
    memcpy(v, p->lat, p->n * sizeof *v);
    sort_i64(v, p->n);
    p->med = v[p->n / 2];
    for (uint32_t i = 0; i < p->n; i++) v[i] = abs_diff(v[i], p->med);
    sort_i64(v, p->n);
    int64_t mad = v[p->n / 2];
    p->tol = mad > GATE_FLOOR_NS / GATE_MAD_FACTOR ? mad * GATE_MAD_FACTOR : GATE_FLOOR_NS;
    p->fresh = 0;
}

static bool plausible(pair_state *p, int64_t lat, int64_t allow)
{
    if (!p || p->n < GATE_MIN) return true;
    if (p->fresh && (p->n < GATE_HIST || p->fresh >= 8)) pair_refresh(p);
    return abs_diff(lat, p->med) - p->tol <= allow; /* allow >= 0 */
}

static void pair_record(pair_state *p, const ts_match *mt)
{
    p->valid = true;
    p->src_ts = mt->send_ns;
    p->dst_ts = mt->recv_ns;
    p->lat[p->pos] = (int64_t)((uint64_t)mt->recv_ns - (uint64_t)mt->send_ns);
    p->pos = (p->pos + 1) % GATE_HIST;
    if (p->n < GATE_HIST) p->n++;
    p->fresh++;
    p->nrefused = 0;
}

/* A candidate was refused: true if the refused ones now show the clocks stepped (their
 * latencies then become the pair's history and the candidate is taken). */
static bool pair_refuse(pair_state *p, const mentry *e, int64_t lat)
{
    if (p->nrefused && p->refused_ts == e->ts && p->refused_trace == e->trace) return false;
    p->refused_ts = e->ts;
    p->refused_trace = e->trace;
    if (p->nrefused == GATE_RESET) {
        memmove(p->refused, p->refused + 1, (GATE_RESET - 1) * sizeof *p->refused);
        p->nrefused--;
    }
    p->refused[p->nrefused++] = lat;
    if (p->nrefused < GATE_RESET) return false;
    int64_t lo = p->refused[0], hi = p->refused[0];
    for (uint32_t i = 1; i < GATE_RESET; i++) {
        if (p->refused[i] < lo) lo = p->refused[i];
        if (p->refused[i] > hi) hi = p->refused[i];
    }
    if (abs_diff(hi, lo) > p->tol) return false;
    memcpy(p->lat, p->refused, sizeof p->refused);
    p->n = p->fresh = GATE_RESET;
    p->pos = GATE_RESET % GATE_HIST;
    p->nrefused = 0;
    return true;
}

/* Candidates in arrival order. */
static void sort_candidates(const ts_matcher *m, uint32_t *c, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0; j--) {
            if (m->pool[c[j - 1]].seq < m->pool[c[j]].seq) break;
            uint32_t t = c[j];
            c[j] = c[j - 1];
            c[j - 1] = t;
        }
}

/* The candidate to pair with, or NIL: the first in arrival order whose latency is
 * plausible for its pair of hosts. */
static uint32_t choose(ts_matcher *m, const ts_match_input *in, size_t ncand)
{
    sort_candidates(m, m->cand, ncand);
    /* a vmsync key names one exchange round (vm_uid, counter): nothing to choose
     * between, and right after a clock step the check would only refuse the rounds
     * that show the step */
    if (m->tc_rules || in->kind == TS_MATCH_VMSYNC) return m->cand[0];
    uint32_t my_host = m->host[in->trace];
    for (size_t k = 0; k < ncand; k++) {
        const mentry *e = &m->pool[m->cand[k]];
        uint32_t other = m->host[e->trace];
        if (other == my_host) return m->cand[k]; /* internal hop */
        bool send = in->dir == TS_MATCH_SEND;
        pair_state *p =
            send ? pair_get(m, in->kind, my_host, other) : pair_get(m, in->kind, other, my_host);
        int64_t lat = send ? (int64_t)((uint64_t)e->ts - (uint64_t)in->ts)
                           : (int64_t)((uint64_t)in->ts - (uint64_t)e->ts);
        /* corrected times within known errors: a receive before its send by more
         * than both errors is impossible */
        int64_t allow = 0;
        if (m->terr) {
            int64_t ea = m->terr(m->terr_ctx, in->trace, in->ts_raw);
            int64_t eb = ea < 0 ? -1 : m->terr(m->terr_ctx, e->trace, e->ts_raw);
            if (ea >= 0 && eb >= 0) {
                allow = sat_add(ea, eb);
                if (lat < -allow) {
                    m->stats[in->trace].implausible[in->kind]++;
                    continue;
                }
            }
        }
        if (plausible(p, lat, allow)) return m->cand[k];
        m->stats[in->trace].implausible[in->kind]++;
        if (pair_refuse(p, e, lat)) return m->cand[k];
    }
    return NIL;
}

ts_status ts_matcher_feed(ts_matcher *m, const ts_match_input *in, ts_error *err)
{
    if (m->stopped || m->finished) return TS_OK;
    if (in->trace >= m->ntraces || in->kind >= TS_MATCH_NKINDS || in->dir > TS_MATCH_RECV)
        return ts_error_set(err, TS_ERR_ARG, "matcher: bad event (trace %u, kind %u, dir %u)",
                            in->trace, in->kind, in->dir);
    if (!(m->kinds & (1u << in->kind))) return TS_OK;
    if (in->ts > m->expire_at) expire(m, in->ts);

    ts_match_trace_stats *st = &m->stats[in->trace];
    st->counts[in->kind][in->dir].seen++;

    uint32_t hash = key_hash(in->kind, in->key);
    uint32_t my_host = m->host[in->trace];
    size_t mask = m->nslots - 1, ncand = 0, nown = 0;
    uint32_t own = NIL; /* the head of the event's own group */
    bool refused = false;
    for (size_t i = hash & mask; m->slots[i]; i = (i + 1) & mask) {
        uint32_t idx = m->slots[i] - 1;
        const mentry *e = &m->pool[idx];
        if (!same_key(e, in, hash)) continue;
        if (e->dir == in->dir) {
            if (e->trace == in->trace) {
                own = idx;
                nown = e->qn;
            }
            continue;
        }
        if (in->dir == TS_MATCH_SEND && m->host[e->trace] == my_host) {
            refused = true; /* a receive of our own host: the packet came through us */
            continue;
        }
        /* the first of the group's queue */
        uint32_t k = idx;
        for (int d = 0; d < CAND_DEPTH && k != NIL; d++, k = m->pool[k].qnext) {
            if (ncand == m->cand_cap) {
                uint32_t *c = realloc(m->cand, 2 * m->cand_cap * sizeof *c);
                if (!c) return ts_error_set(err, TS_ERR_NOMEM, "matcher: out of memory");
                m->cand = c;
                m->cand_cap *= 2;
            }
            m->cand[ncand++] = k;
        }
    }
    if (refused) st->same_host_refused[in->kind]++;
    uint32_t best = ncand ? choose(m, in, ncand) : NIL;
    if (best == NIL) {
        if (nown && m->tc_rules) {
            st->counts[in->kind][in->dir].duplicate++;
            return TS_OK;
        }
        return entry_insert(m, in, hash, own, err);
    }

    const mentry *c = &m->pool[best];
    ts_match mt;
    mt.kind = in->kind;
    memcpy(mt.key, in->key, sizeof mt.key);
    if (in->dir == TS_MATCH_RECV) {
        mt.src_trace = c->trace;
        mt.send_ns = c->ts;
        mt.send_raw = c->ts_raw;
        mt.dst_trace = in->trace;
        mt.recv_ns = in->ts;
        mt.recv_raw = in->ts_raw;
    } else {
        mt.src_trace = in->trace;
        mt.send_ns = in->ts;
        mt.send_raw = in->ts_raw;
        mt.dst_trace = c->trace;
        mt.recv_ns = c->ts;
        mt.recv_raw = c->ts_raw;
    }
    entry_remove(m, best);
    bool same = m->host[mt.src_trace] == m->host[mt.dst_trace];
    ts_match_counts *cs = &m->stats[mt.src_trace].counts[mt.kind][TS_MATCH_SEND];
    ts_match_counts *cd = &m->stats[mt.dst_trace].counts[mt.kind][TS_MATCH_RECV];
    if (same) {
        cs->same_host++;
        cd->same_host++;
    } else {
        cs->matched++;
        cd->matched++;
        pair_state *p = pair_make(m, mt.kind, m->host[mt.src_trace], m->host[mt.dst_trace]);
        if (!p) return ts_error_set(err, TS_ERR_NOMEM, "matcher: out of memory");
        pair_record(p, &mt);
        if (m->cleanup) cleanup(m, &mt);
    }
    if (!same || m->report_same_host) {
        m->reported++;
        if (m->cb && m->cb(m->ctx, &mt)) m->stopped = true;
    }
    return TS_OK;
}

bool ts_matcher_stopped(const ts_matcher *m)
{
    return m->stopped;
}

void ts_matcher_note_event(ts_matcher *m, uint32_t trace, size_t ev, bool usable)
{
    if (trace >= m->ntraces || ev >= TS_MATCH_NEVENTS) return;
    m->stats[trace].events[ev]++;
    if (!usable) m->stats[trace].unusable[ev]++;
}

void ts_matcher_finish(ts_matcher *m)
{
    if (m->finished) return;
    m->finished = true;
    for (uint32_t t = 0; t < m->ntraces; t++)
        for (unsigned k = 0; k < TS_MATCH_NKINDS; k++)
            for (unsigned d = 0; d < 2; d++)
                m->stats[t].counts[k][d].left += list_of(m, t, k, d)->n;
}

size_t ts_matcher_pending(const ts_matcher *m, uint32_t trace, int dir, int kind)
{
    if (trace >= m->ntraces || dir < 0 || dir > 1) return 0;
    size_t n = 0;
    for (unsigned k = 0; k < TS_MATCH_NKINDS; k++)
        if (kind < 0 || (unsigned)kind == k)
            n += m->lists[((size_t)trace * TS_MATCH_NKINDS + k) * 2 + (unsigned)dir].n;
    return n;
}

size_t ts_matcher_pending_total(const ts_matcher *m)
{
    return m->npending;
}

size_t ts_matcher_pending_peak(const ts_matcher *m)
{
    return m->peak;
}

uint64_t ts_matcher_reported(const ts_matcher *m)
{
    return m->reported;
}

const ts_match_trace_stats *ts_matcher_stats(const ts_matcher *m, uint32_t trace)
{
    return trace < m->ntraces ? &m->stats[trace] : NULL;
}

int64_t ts_matcher_max_age(const ts_matcher *m)
{
    return m->max_age;
}

size_t ts_matcher_max_pending(const ts_matcher *m)
{
    return m->max_pending;
}
