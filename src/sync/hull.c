/* Convex-hull synchronization of one pair of hosts (see hull.h). */
#include "sync/hull.h"

#include <stdlib.h>
#include <string.h>

typedef __int128 i128;

void hull_init(ts_hull *h, bool compat)
{
    memset(h, 0, sizeof *h);
    h->compat = compat;
    h->quality = TS_SYNC_ABSENT;
    h->alpha = h->alphamax = h->alphamin = dec_i64(1);
    h->beta = h->betamin = h->betamax = dec_i64(0);
}

void hull_free(ts_hull *h)
{
    free(h->U.p);
    free(h->L.p);
    h->U.p = h->L.p = NULL;
}

static bool side_reserve(hside *s, size_t extra)
{
    if (s->n + extra <= s->cap) return true;
    size_t nc = s->cap ? s->cap * 2 : 16;
    while (nc < s->n + extra) nc *= 2;
    hpt *np = realloc(s->p, nc * sizeof *np);
    if (!np) return false;
    s->p = np;
    s->cap = nc;
    return true;
}

/* orientation of p relative to the directed line a->b: > 0 when p is to the
 * left (above, for a.x < b.x) */
static i128 orient(hpt a, hpt b, hpt p)
{
    return (i128)(b.x - a.x) * (p.y - a.y) - (i128)(b.y - a.y) * (p.x - a.x);
}

/* sign of slope(a,b) - slope(c,d), for a.x < b.x and c.x < d.x */
static int cmp_slope(hpt a, hpt b, hpt c, hpt d)
{
    i128 l = (i128)(b.y - a.y) * (d.x - c.x), r = (i128)(d.y - c.y) * (b.x - a.x);
    return l < r ? -1 : l > r;
}

/* ---- Trace Compass compatible mode ---------------------------------------- */

/* Trace Compass's cross product in Java long arithmetic (wraps around). */
static int64_t cross_tc(hpt p, hpt a, hpt b)
{
    i128 v = (i128)(a.x - p.x) * (b.y - p.y) - (i128)(a.y - p.y) * (b.x - p.x);
    return (int64_t)(uint64_t)(unsigned __int128)v;
}

/* s * c > 0 in Java long arithmetic */
static bool pos_tc(int s, int64_t c)
{
    return s > 0 ? c > 0 : (int64_t)(0 - (uint64_t)c) > 0;
}

static bool side_has_id(const hside *s, uint64_t id, size_t *at)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->p[i].id == id) {
            if (at) *at = i;
            return true;
        }
    return false;
}

static void adjust_pivot_tc(hline *line, const hside *hull, int s)
{
    size_t i = 0;
    if (line->has_pivot && !side_has_id(hull, line->pivot.id, &i)) i = 0;
    hpt m = {0, 0, 0};
    bool has_m = false;
    while (i + 1 < hull->n) {
        m = hull->p[i];
        has_m = true;
        hpt n = hull->p[i + 1];
        if (pos_tc(s, cross_tc(m, n, line->last))) {
            if (n.x < line->last.x) {
                i++;
                continue;
            }
            line->has_pivot = false;
            break;
        }
        line->pivot = m;
        line->has_pivot = true;
        break;
    }
    if (!line->has_pivot && has_m) {
        line->pivot = m;
        line->has_pivot = true;
    }
    if (line->has_pivot && line->pivot.x > line->last.x) line->has_pivot = false;
}

static ts_dec slope_tc(const hline *l)
{
    if (!l->has_pivot || l->pivot.x == l->last.x) return dec_i64(1);
    int64_t dy = (int64_t)((uint64_t)l->last.y - (uint64_t)l->pivot.y);
    int64_t dx = (int64_t)((uint64_t)l->last.x - (uint64_t)l->pivot.x);
    return dec_div(dec_i64(dy), dec_i64(dx), TS_DEC_COMPAT_DIGITS);
}

static void recompute_tc(ts_hull *h)
{
    const int P = TS_DEC_COMPAT_DIGITS;
    if (h->lmax.has_pivot || h->lmin.has_pivot) {
        if (h->quality == TS_SYNC_FAIL) return; /* sticky: formula frozen */
        ts_dec amax = slope_tc(&h->lmax), amin = slope_tc(&h->lmin);
        ts_sync_quality q;
        if (!h->lmax.has_pivot || !h->lmin.has_pivot)
            q = TS_SYNC_APPROXIMATE;
        else if (dec_cmp(amax, amin) > 0)
            q = TS_SYNC_ACCURATE;
        else
            q = TS_SYNC_FAIL;
        if (q != TS_SYNC_FAIL) {
            h->alphamax = amax;
            h->betamin =
                dec_sub(dec_i64(h->lmax.last.y), dec_mul(amax, dec_i64(h->lmax.last.x), P));
            h->alphamin = amin;
            h->betamax =
                dec_sub(dec_i64(h->lmin.last.y), dec_mul(amin, dec_i64(h->lmin.last.x), P));
            h->alpha = dec_div(dec_add(h->alphamax, h->alphamin), dec_i64(2), P);
            h->beta = dec_div(dec_add(h->betamin, h->betamax), dec_i64(2), P);
        } else {
            h->failed = true;
            h->fail_match = h->matches;
        }
        h->quality = q;
    } else if ((!h->lmax.has_pivot && !h->lmin.has_last) ||
               (!h->lmax.has_last && !h->lmin.has_pivot)) {
        h->quality = TS_SYNC_INCOMPLETE;
    }
}

static bool add_tc(ts_hull *h, bool o_to_r, hpt p)
{
    hside *side = o_to_r ? &h->U : &h->L;
    hside *other = o_to_r ? &h->L : &h->U;
    hline *line = o_to_r ? &h->lmin : &h->lmax;
    hline *oline = o_to_r ? &h->lmax : &h->lmin;
    int s = o_to_r ? 1 : -1;
    bool qualifies =
        !line->has_pivot || !line->has_last || pos_tc(s, cross_tc(p, line->pivot, line->last));
    if (qualifies) {
        h->used++;
        while (side->n >= 2 && pos_tc(s, cross_tc(p, side->p[side->n - 2], side->p[side->n - 1])))
            side->n--;
        if (!side_reserve(side, 1)) return false;
        side->p[side->n++] = p;
        line->last = p;
        line->has_last = true;
    }
    adjust_pivot_tc(line, other, s);
    if (oline->has_last && !(oline->has_pivot && side_has_id(side, oline->pivot.id, NULL)))
        adjust_pivot_tc(oline, side, -s);
    if (qualifies) {
        bool was_failed = h->failed;
        recompute_tc(h);
        if (h->failed && !was_failed) h->fail_time = p.x;
    }
    return true;
}

/* ---- default mode: exact bounds ------------------------------------------- */

/* Insert p into an x-sorted hull: s = +1 keeps the upper hull, -1 the lower. */
static bool insert_hull(hside *side, hpt p, int s)
{
    if (!side_reserve(side, 1)) return false;
    hpt *a = side->p;
    size_t n = side->n;
    if (n == 0 || p.x > a[n - 1].x) {
        while (n >= 2) {
            i128 o = orient(a[n - 2], a[n - 1], p);
            if (!(s > 0 ? o >= 0 : o <= 0)) break;
            n--;
        }
        a[n++] = p;
        side->n = n;
        return true;
    }
    /* out of order (rare): first index with x >= p.x */
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (a[mid].x < p.x)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t pos = lo;
    if (pos < n && a[pos].x == p.x) {
        if (s * (p.y > a[pos].y ? 1 : p.y < a[pos].y ? -1 : 0) <= 0) return true; /* dominated */
        memmove(a + pos, a + pos + 1, (n - pos - 1) * sizeof *a);
        n--;
    }
    if (pos > 0 && pos < n) {
        i128 o = orient(a[pos - 1], a[pos], p);
        if (s > 0 ? o <= 0 : o >= 0) { /* under (over) the hull edge: not a vertex */
            side->n = n;
            return true;
        }
    }
    memmove(a + pos + 1, a + pos, (n - pos) * sizeof *a);
    a[pos] = p;
    n++;
    while (pos >= 2) {
        i128 o = orient(a[pos - 2], a[pos - 1], a[pos]);
        if (!(s > 0 ? o >= 0 : o <= 0)) break;
        memmove(a + pos - 1, a + pos, (n - pos) * sizeof *a);
        n--;
        pos--;
    }
    while (pos + 2 < n) {
        i128 o = orient(a[pos], a[pos + 1], a[pos + 2]);
        if (!(s > 0 ? o >= 0 : o <= 0)) break;
        memmove(a + pos + 1, a + pos + 2, (n - pos - 2) * sizeof *a);
        n--;
    }
    side->n = n;
    return true;
}

/* sign of slope(a, b) - n/d (d > 0; a.x < b.x) */
static int cmp_slope_q(hpt a, hpt b, int64_t n, int64_t d)
{
    i128 l = (i128)(b.y - a.y) * d, r = (i128)n * (b.x - a.x);
    return l < r ? -1 : l > r;
}

/* The exact incremental step: 1 if p was added, 0 if it would leave no consistent
 * line (with a slope within lim, if given): the hull is then unchanged; -1 out of
 * memory. */
static int add_exact_lim(ts_hull *h, bool o_to_r, hpt p, const hull_slope_limits *lim)
{
    bool has_max = h->has_amax, has_min = h->has_amin, bad = false;
    hpt mu = h->amax_u, ml = h->amax_l, nl = h->amin_l, nu = h->amin_u;
    bool relevant;
    if (o_to_r) {
        /* a U point matters unless it is on or below both bounding lines */
        relevant = !(has_max && has_min && orient(mu, ml, p) <= 0 && orient(nl, nu, p) <= 0);
        if (relevant)
            for (size_t i = 0; i < h->L.n; i++) {
                hpt l = h->L.p[i];
                if (l.x > p.x) {
                    if (!has_max || cmp_slope(p, l, mu, ml) < 0) mu = p, ml = l, has_max = true;
                } else if (l.x < p.x) {
                    if (!has_min || cmp_slope(l, p, nl, nu) > 0) nl = l, nu = p, has_min = true;
                } else if (p.y > l.y) {
                    bad = true;
                }
            }
    } else {
        relevant = !(has_max && has_min && orient(mu, ml, p) >= 0 && orient(nl, nu, p) >= 0);
        if (relevant)
            for (size_t i = 0; i < h->U.n; i++) {
                hpt u = h->U.p[i];
                if (u.x < p.x) {
                    if (!has_max || cmp_slope(u, p, mu, ml) < 0) mu = u, ml = p, has_max = true;
                } else if (u.x > p.x) {
                    if (!has_min || cmp_slope(p, u, nl, nu) > 0) nl = p, nu = u, has_min = true;
                } else if (u.y > p.y) {
                    bad = true;
                }
            }
    }
    if (relevant) {
        if (bad || (has_max && has_min && cmp_slope(nl, nu, mu, ml) > 0)) return 0;
        if (lim && ((has_max && cmp_slope_q(mu, ml, lim->lo_n, lim->lo_d) < 0) ||
                    (has_min && cmp_slope_q(nl, nu, lim->hi_n, lim->hi_d) > 0)))
            return 0;
        h->used++;
        h->has_amax = has_max;
        h->has_amin = has_min;
        h->amax_u = mu;
        h->amax_l = ml;
        h->amin_l = nl;
        h->amin_u = nu;
    }
    return insert_hull(o_to_r ? &h->U : &h->L, p, o_to_r ? 1 : -1) ? 1 : -1;
}

static bool add_exact(ts_hull *h, bool o_to_r, hpt p)
{
    if (h->failed) return true;
    int r = add_exact_lim(h, o_to_r, p, NULL);
    if (r == 0) {
        h->failed = true;
        h->fail_match = h->matches;
        h->fail_time = p.x;
        return true; /* keep the last consistent state */
    }
    return r > 0;
}

int hull_try_add(ts_hull *h, bool o_to_r, int64_t x, int64_t y, const hull_slope_limits *lim)
{
    hpt p = {x, y, h->next_id};
    int r = add_exact_lim(h, o_to_r, p, lim);
    if (r > 0) {
        h->next_id++;
        h->matches++;
        if (o_to_r)
            h->o_to_r++;
        else
            h->r_to_o++;
    }
    return r;
}

void hull_reset(ts_hull *h)
{
    hside U = h->U, L = h->L;
    memset(h, 0, sizeof *h);
    U.n = L.n = 0;
    h->U = U;
    h->L = L;
    h->quality = TS_SYNC_ABSENT;
    h->alpha = h->alphamax = h->alphamin = dec_i64(1);
    h->beta = h->betamin = h->betamax = dec_i64(0);
}

bool hull_copy(ts_hull *dst, const ts_hull *src)
{
    if (!side_reserve(&dst->U, src->U.n) || !side_reserve(&dst->L, src->L.n)) return false;
    hside U = dst->U, L = dst->L;
    *dst = *src;
    dst->U = U;
    dst->L = L;
    if (src->U.n) memcpy(dst->U.p, src->U.p, src->U.n * sizeof *src->U.p);
    if (src->L.n) memcpy(dst->L.p, src->L.p, src->L.n * sizeof *src->L.p);
    dst->U.n = src->U.n;
    dst->L.n = src->L.n;
    return true;
}

bool hull_add(ts_hull *h, bool o_to_r, int64_t x, int64_t y)
{
    h->matches++;
    if (o_to_r)
        h->o_to_r++;
    else
        h->r_to_o++;
    hpt p = {x, y, h->next_id++};
    return h->compat ? add_tc(h, o_to_r, p) : add_exact(h, o_to_r, p);
}

ts_sync_quality hull_quality(const ts_hull *h)
{
    if (h->compat) return h->quality;
    if (h->matches == 0) return TS_SYNC_ABSENT;
    if (h->failed) return TS_SYNC_FAIL;
    if (h->U.n == 0 || h->L.n == 0) return TS_SYNC_INCOMPLETE;
    if (h->has_amax && h->has_amin) return TS_SYNC_ACCURATE;
    return TS_SYNC_APPROXIMATE;
}

static ts_dec slope_dec(hpt a, hpt b, int digits)
{
    return dec_div(dec_i64(b.y - a.y), dec_i64(b.x - a.x), digits);
}

void hull_bounds(const ts_hull *h, ts_dec *amax, bool *has_max, ts_dec *amin, bool *has_min)
{
    if (h->compat) {
        *amax = h->alphamax;
        *amin = h->alphamin;
        *has_max = h->lmax.has_pivot;
        *has_min = h->lmin.has_pivot;
        return;
    }
    *has_max = h->has_amax;
    *has_min = h->has_amin;
    *amax = h->has_amax ? slope_dec(h->amax_u, h->amax_l, TS_DEC_DIGITS) : dec_i64(1);
    *amin = h->has_amin ? slope_dec(h->amin_l, h->amin_u, TS_DEC_DIGITS) : dec_i64(1);
}

/* Default mode: alpha = A/D, beta = B/D exactly (D > 0). */
/* The line y = (A x + B) / D; *pu, *pl: when it passes exactly through an O->R and an
 * R->O point (no slack at either: one slope bound, at which the intercept has no room),
 * those two points, else NULL. */
static bool exact_ratio(const ts_hull *h, ts_dec *A, ts_dec *B, ts_dec *D, const hpt **pu,
                        const hpt **pl)
{
    *pu = *pl = NULL;
    if (h->has_amax && h->has_amin) {
        /* Lmax: slope n1/d1 through l = amax_l; Lmin: n2/d2 through u = amin_u */
        ts_dec n1 = dec_i64(h->amax_l.y - h->amax_u.y), d1 = dec_i64(h->amax_l.x - h->amax_u.x);
        ts_dec n2 = dec_i64(h->amin_u.y - h->amin_l.y), d2 = dec_i64(h->amin_u.x - h->amin_l.x);
        ts_dec nb1 =
            dec_sub(dec_mul(dec_i64(h->amax_l.y), d1, 0), dec_mul(n1, dec_i64(h->amax_l.x), 0));
        ts_dec nb2 =
            dec_sub(dec_mul(dec_i64(h->amin_u.y), d2, 0), dec_mul(n2, dec_i64(h->amin_u.x), 0));
        *A = dec_add(dec_mul(n1, d2, 0), dec_mul(n2, d1, 0));
        *B = dec_add(dec_mul(nb1, d2, 0), dec_mul(nb2, d1, 0));
        *D = dec_mul(dec_i64(2), dec_mul(d1, d2, 0), 0);
        return true;
    }
    /* one bound or none: the slope nearest 1 within the bounds, and the middle
     * of the intercepts that slope allows */
    int64_t n = 1, d = 1;
    if (h->has_amin && cmp_slope(h->amin_l, h->amin_u, (hpt){0, 0, 0}, (hpt){1, 1, 0}) > 0) {
        n = h->amin_u.y - h->amin_l.y;
        d = h->amin_u.x - h->amin_l.x;
    } else if (h->has_amax && cmp_slope(h->amax_u, h->amax_l, (hpt){0, 0, 0}, (hpt){1, 1, 0}) < 0) {
        n = h->amax_l.y - h->amax_u.y;
        d = h->amax_l.x - h->amax_u.x;
    }
    /* intercept * d: low = max over U of (y*d - n*x), high = min over L */
    i128 lo = 0, hi = 0;
    const hpt *at_lo = NULL, *at_hi = NULL;
    for (size_t i = 0; i < h->U.n; i++) {
        i128 v = (i128)h->U.p[i].y * d - (i128)n * h->U.p[i].x;
        if (i == 0 || v > lo) lo = v, at_lo = &h->U.p[i];
    }
    for (size_t i = 0; i < h->L.n; i++) {
        i128 v = (i128)h->L.p[i].y * d - (i128)n * h->L.p[i].x;
        if (i == 0 || v < hi) hi = v, at_hi = &h->L.p[i];
    }
    if (h->U.n && h->L.n && lo == hi) {
        *pu = at_lo;
        *pl = at_hi;
    }
    *A = dec_mul(dec_i64(2), dec_i64(n), 0);
    *B = dec_add(dec_i128(lo), dec_i128(hi));
    *D = dec_mul(dec_i64(2), dec_i64(d), 0);
    return true;
}

bool hull_maps(const ts_hull *h, ts_dec *fwd_slope, ts_dec *fwd_off, ts_dec *back_slope,
               ts_dec *back_off)
{
    ts_sync_quality q = hull_quality(h);
    if (q != TS_SYNC_ACCURATE && q != TS_SYNC_APPROXIMATE && q != TS_SYNC_FAIL) return false;
    if (h->compat) {
        const int P = TS_DEC_COMPAT_DIGITS;
        if (dec_sign(h->alpha) <= 0) return false;
        lin_invert(h->alpha, h->beta, P, fwd_slope, fwd_off);
        /* the inverse edge: Trace Compass inverts the stored transform */
        lin_invert(*fwd_slope, *fwd_off, P, back_slope, back_off);
    } else {
        if (!h->U.n || !h->L.n) return false;
        const int P = TS_DEC_DIGITS;
        ts_dec A, B, D;
        const hpt *pu, *pl;
        exact_ratio(h, &A, &B, &D, &pu, &pl);
        if (dec_sign(A) <= 0) return false;
        *fwd_slope = dec_div(D, A, P);
        *fwd_off = dec_div(dec_neg(B), A, P);
        *back_slope = dec_div(A, D, P);
        *back_off = dec_div(B, D, P);
        /* When the steepest and flattest lines share a point, the formula goes exactly
         * through it (a match with no slack): anchor both offsets there, so that the
         * rounding of the slopes cannot floor it to the wrong side by 1 ns. */
        const hpt *at = NULL;
        if (h->has_amax && h->has_amin) {
            if (h->amax_u.x == h->amin_u.x && h->amax_u.y == h->amin_u.y) at = &h->amax_u;
            if (h->amax_l.x == h->amin_l.x && h->amax_l.y == h->amin_l.y) at = &h->amax_l;
        }
        if (at) {
            *fwd_off = dec_sub(dec_i64(at->x), dec_mul(*fwd_slope, dec_i64(at->y), 0));
            *back_off = dec_sub(dec_i64(at->y), dec_mul(*back_slope, dec_i64(at->x), 0));
        }
        /* Through an O->R point u and an R->O point l, both without slack: each map
         * anchored exactly at one of them, its slope rounded by 1e-30 (far beyond the
         * decimals' rounding; 5e-12 ns over 2^62 ns) to the side that keeps the other
         * one on its side -- T_O at l.x at most l.y, T_R at u.y at most u.x. */
        if (pu && pl && !at) {
            const ts_dec e15 = dec_i64(1000000000000000LL);
            const ts_dec eps = dec_div(dec_i64(1), dec_mul(e15, e15, 0), P);
            *back_slope = pl->x > pu->x ? dec_sub(*back_slope, eps) : dec_add(*back_slope, eps);
            *back_off = dec_sub(dec_i64(pu->y), dec_mul(*back_slope, dec_i64(pu->x), 0));
            *fwd_slope = pu->y > pl->y ? dec_sub(*fwd_slope, eps) : dec_add(*fwd_slope, eps);
            *fwd_off = dec_sub(dec_i64(pl->x), dec_mul(*fwd_slope, dec_i64(pl->y), 0));
        }
    }
    /* both maps must be usable on int64 ns (wild data can give wild slopes) */
    ts_linmap lm;
    return linmap_init(&lm, *fwd_slope, *fwd_off) && linmap_init(&lm, *back_slope, *back_off);
}

int64_t hull_error_bound(const ts_hull *h, int64_t a, int64_t b)
{
    if (hull_quality(h) != TS_SYNC_ACCURATE) return -1;
    const int P = TS_DEC_DIGITS;
    ts_dec amax, bmin, amin, bmax, alpha;
    int64_t tl, tr;
    if (h->compat) {
        amax = h->alphamax;
        bmin = h->betamin;
        amin = h->alphamin;
        bmax = h->betamax;
        alpha = h->alpha;
        tl = h->lmax.pivot.x < h->lmin.pivot.x ? h->lmax.pivot.x : h->lmin.pivot.x;
        tr = h->lmax.last.x > h->lmin.last.x ? h->lmax.last.x : h->lmin.last.x;
    } else {
        amax = slope_dec(h->amax_u, h->amax_l, P);
        amin = slope_dec(h->amin_l, h->amin_u, P);
        bmin = dec_sub(dec_i64(h->amax_l.y), dec_mul(amax, dec_i64(h->amax_l.x), 0));
        bmax = dec_sub(dec_i64(h->amin_u.y), dec_mul(amin, dec_i64(h->amin_u.x), 0));
        ts_dec A, B, D;
        const hpt *pu, *pl;
        exact_ratio(h, &A, &B, &D, &pu, &pl);
        alpha = dec_div(A, D, P);
        tl = h->amax_u.x < h->amin_l.x ? h->amax_u.x : h->amin_l.x;
        tr = h->amax_l.x > h->amin_u.x ? h->amax_l.x : h->amin_u.x;
    }
    if (dec_sign(alpha) <= 0) return -1;
    /* |Lmax(t) - Lmin(t)| / 2 is V-shaped in t: its largest value over the range
     * widened to [tl, tr] is at an end; beyond [tl, tr] every compatible line lies
     * between Lmax and Lmin, inside it the distance is bounded by the ends' */
    int64_t ends[2] = {a < tl ? a : tl, b > tr ? b : tr};
    ts_dec worst = dec_i64(0);
    for (int i = 0; i < 2; i++) {
        ts_dec t = dec_i64(ends[i]);
        ts_dec gap = dec_add(dec_mul(dec_sub(amax, amin), t, 0), dec_sub(bmin, bmax));
        if (dec_sign(gap) < 0) gap = dec_neg(gap);
        if (dec_cmp(gap, worst) > 0) worst = gap;
    }
    /* vertical distance (O time) -> horizontal (R time): divide by the slope */
    ts_dec bound = dec_div(dec_half(worst), alpha, P);
    int64_t out;
    if (dec_bad(bound) || !dec_ceil_i64(bound, &out) || out == INT64_MAX) return -1;
    return out + 1; /* + 1 ns: the floor of the mapped time */
}
