/* Placement of guest events against their vCPU's out-periods, in raw
 * timestamps (each trace's own clock), for truth.json.
 *
 * Definition (the one truth.json documents):
 * - Host state events of a vCPU thread: kvm_x86_exit (VMM on), kvm_x86_entry
 *   (VMM off), sched_switch switching the thread out (PREEMPT on) and in
 *   (PREEMPT off).  Out-periods are the open intervals (on, next off) of each
 *   bit; a period still open when the host trace ends extends to infinity.
 * - A guest event at raw time g on CPU n is checked against vCPU n:
 *   unchecked if g is before the first or after the last host state event of
 *   that vCPU; otherwise outside when some out-period (s, e) has s < g < e.
 *
 * Host events arrive in raw order, guest events too; a guest event is decided
 * as soon as a host state event later than it has been seen, so memory stays
 * bounded by the clock difference between the two traces. */
#include "sim/world.h"

#include <stdlib.h>

#define NONE INT64_MIN

int vchk_init(vchk *c)
{
    memset(c, 0, sizeof *c);
    c->first = NONE;
    c->last = NONE;
    c->vmm_open = NONE;
    c->pre_open = NONE;
    c->cache_hi = NONE;
    c->host_begin = INT64_MIN;
    c->host_end = INT64_MAX;
    return 0;
}

void vchk_free(vchk *c)
{
    free(c->vmm.v);
    free(c->pre.v);
    free(c->pend);
    memset(c, 0, sizeof *c);
}

static int list_push(vchk_list *l, int64_t s, int64_t e)
{
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 16;
        vchk_period *nv = malloc(ncap * sizeof *nv);
        if (!nv) return -1;
        for (size_t i = 0; i < l->n; i++) nv[i] = l->v[(l->head + i) % l->cap];
        free(l->v);
        l->v = nv;
        l->cap = ncap;
        l->head = 0;
    }
    vchk_period *p = &l->v[(l->head + l->n) % l->cap];
    p->s = s;
    p->e = e;
    l->n++;
    return 0;
}

/* Is g strictly inside a period of the list (or after the start of the open one)? */
static int inside(vchk_list *l, int64_t open, int64_t g)
{
    while (l->n && l->v[l->head].e <= g) {
        l->head = (l->head + 1) % l->cap;
        l->n--;
    }
    if (l->n && l->v[l->head].s < g) return 1;
    return open != NONE && open < g;
}

/* Up to where (exclusive) the verdict "inside a period of this list" found
 * for g stays the same, knowing the host events up to c->last. */
static int64_t verdict_end(const vchk_list *l, int64_t open, int64_t g, int in)
{
    int64_t end = INT64_MAX;
    for (size_t i = 0; i < l->n; i++) {
        const vchk_period *p = &l->v[(l->head + i) % l->cap];
        if (in && p->s < g && g < p->e && p->e < end) end = p->e;
        if (!in && p->s >= g) {
            if (p->s + 1 < end) end = p->s + 1;
            break;
        }
    }
    if (!in && open != NONE && open >= g && open + 1 < end) end = open + 1;
    return end;
}

static void decide(vchk *c, int64_t g)
{
    if (c->first == NONE || g < c->first || g > c->last) {
        c->unchecked++;
        return;
    }
    /* evaluate both lists (each drops the periods it no longer needs) */
    int a = inside(&c->vmm, c->vmm_open, g);
    int b = inside(&c->pre, c->pre_open, g);
    if (a || b) c->outside++;
    /* the same verdict holds for the next guest events up to the next change
     * (host events still to come start at or after c->last) */
    int64_t hi = c->last;
    if (a || b) {
        int64_t ea = a ? verdict_end(&c->vmm, c->vmm_open, g, 1) : INT64_MIN;
        int64_t eb = b ? verdict_end(&c->pre, c->pre_open, g, 1) : INT64_MIN;
        int64_t e = ea > eb ? ea : eb;
        if (e < hi) hi = e;
    } else {
        int64_t ea = verdict_end(&c->vmm, c->vmm_open, g, 0);
        int64_t eb = verdict_end(&c->pre, c->pre_open, g, 0);
        if (ea < hi) hi = ea;
        if (eb < hi) hi = eb;
    }
    c->cache_hi = hi;
    c->cache_outside = a || b;
}

/* Place g, with the cached verdict when it still holds. */
static inline void place(vchk *c, int64_t g)
{
    if (g < c->cache_hi)
        c->outside += (uint64_t)c->cache_outside;
    else
        decide(c, g);
}

static void drain(vchk *c)
{
    while (c->pend_n && c->pend[c->pend_head] < c->last) {
        place(c, c->pend[c->pend_head]);
        c->pend_head = (c->pend_head + 1) % c->pend_cap;
        c->pend_n--;
    }
}

void vchk_host(vchk *c, int64_t raw, int kind)
{
    if (c->first == NONE) c->first = raw;
    c->last = raw;
    switch (kind) {
    case 0:
        if (c->vmm_open == NONE) c->vmm_open = raw;
        break;
    case 1:
        if (c->vmm_open != NONE) {
            if (list_push(&c->vmm, c->vmm_open, raw)) c->oom = 1;
            c->vmm_open = NONE;
        }
        break;
    case 2:
        if (c->pre_open == NONE) c->pre_open = raw;
        break;
    default:
        if (c->pre_open != NONE) {
            if (list_push(&c->pre, c->pre_open, raw)) c->oom = 1;
            c->pre_open = NONE;
        }
        break;
    }
    drain(c);
}

void vchk_guest(vchk *c, int64_t g)
{
    c->total++;
    if (g < c->cache_hi && !c->pend_n) {
        c->outside += (uint64_t)c->cache_outside;
        return;
    }
    if (g < c->host_begin || g > c->host_end) {
        /* before any or after every host event: no need to wait */
        c->unchecked++;
        return;
    }
    if (!c->pend_n && c->first != NONE && g < c->last) {
        decide(c, g);
        return;
    }
    if (c->pend_n == c->pend_cap) {
        size_t ncap = c->pend_cap ? c->pend_cap * 2 : 1024;
        int64_t *nv = malloc(ncap * sizeof *nv);
        if (!nv) {
            c->unchecked++; /* out of memory: cannot place it */
            c->oom = 1;
            return;
        }
        for (size_t i = 0; i < c->pend_n; i++) nv[i] = c->pend[(c->pend_head + i) % c->pend_cap];
        free(c->pend);
        c->pend = nv;
        c->pend_cap = ncap;
        c->pend_head = 0;
    }
    c->pend[(c->pend_head + c->pend_n) % c->pend_cap] = g;
    c->pend_n++;
}

void vchk_finish(vchk *c)
{
    drain(c);
    while (c->pend_n) {
        place(c, c->pend[c->pend_head]);
        c->pend_head = (c->pend_head + 1) % c->pend_cap;
        c->pend_n--;
    }
}
