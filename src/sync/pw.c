/* Piecewise-linear synchronization of one pair of hosts (see pw.h). */
#include "sync/pw.h"

#include <stdlib.h>
#include <string.h>

typedef __int128 i128;

#define E12       ((i128)1000000000000LL)
#define I128_MAX_ ((i128)(((unsigned __int128)1 << 127) - 1))

/* slopes of ordinary segments (real clocks' rates differ far less), and of bridges
 * over a clock step */
static const hull_slope_limits LIM_N = {PW_NORMAL_DEN, PW_NORMAL_DEN + 1, PW_NORMAL_DEN + 1,
                                        PW_NORMAL_DEN};
static const hull_slope_limits LIM_B = {1, 1024, 1024, 1};

static const hull_slope_limits *lim_of(bool bridge)
{
    return bridge ? &LIM_B : &LIM_N;
}

static bool grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap) return true;
    size_t nc = *cap ? *cap * 2 : 16;
    while (nc <= n) nc *= 2;
    void *na = realloc(*arr, nc * elem);
    if (!na) return false;
    *arr = na;
    *cap = nc;
    return true;
}

static i128 floor_div(i128 a, i128 b) /* b > 0 */
{
    i128 q = a / b;
    if (a % b != 0 && a < 0) q--;
    return q;
}

static i128 ceil_div(i128 a, i128 b) /* b > 0 */
{
    return -floor_div(-a, b);
}

static i128 mid_i128(i128 a, i128 b)
{
    return a + floor_div(b - a, 2);
}

static int64_t clamp64(i128 v)
{
    const i128 lim = (i128)1 << 62;
    return v > lim ? (int64_t)lim : v < -lim ? (int64_t)-lim : (int64_t)v;
}

/* ---- piecewise maps ---------------------------------------------------------- */

void pwmap_init(pwmap *m)
{
    memset(m, 0, sizeof *m);
}

void pwmap_free(pwmap *m)
{
    free(m->start);
    free(m->lm);
    free(m->fa);
    memset(m, 0, sizeof *m);
}

bool pwmap_push(pwmap *m, int64_t start, ts_dec slope, ts_dec offset)
{
    if (m->n && start <= m->start[m->n - 1]) return false;
    m->fast = false;
    if (m->n == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 4;
        int64_t *ns = realloc(m->start, nc * sizeof *ns);
        if (!ns) return false;
        m->start = ns;
        ts_linmap *nl = realloc(m->lm, nc * sizeof *nl);
        if (!nl) return false;
        m->lm = nl;
        m->cap = nc;
    }
    if (dec_sign(slope) <= 0 || !linmap_init(&m->lm[m->n], slope, offset)) return false;
    m->start[m->n] = m->n ? start : INT64_MIN;
    m->n++;
    return true;
}

bool pwmap_build_fast(pwmap *m, int64_t a0)
{
    if (m->fast && m->fast_n == m->n) return true;
    m->fast = false;
    if (!m->n) return true;
    int64_t *fa = realloc(m->fa, 3 * m->n * sizeof *fa);
    if (!fa) return false;
    m->fa = fa;
    const ts_dec scale = dec_i64((int64_t)1 << 48);
    for (size_t k = 0; k < m->n; k++) {
        int64_t a = k ? m->start[k] : m->n > 1 && a0 >= m->start[1] ? m->start[1] - 1 : a0;
        int64_t b, sf;
        if (!linmap_eval(&m->lm[k], a, &b) ||
            !dec_floor_i64(dec_mul(m->lm[k].slope, scale, 0), &sf))
            return true; /* no fast form: exact evaluations */
        fa[3 * k] = a;
        fa[3 * k + 1] = b;
        fa[3 * k + 2] = sf;
    }
    m->fast = true;
    m->fast_n = m->n;
    return true;
}

/* The piece of time t (m->n > 0), from the one of the last call (*hint): times in
 * order mostly stay in it or move to the next. */
static size_t piece_near(const pwmap *m, size_t *hint, int64_t t)
{
    size_t k = *hint < m->n ? *hint : 0;
    if ((k && t < m->start[k]) || (k + 1 < m->n && t >= m->start[k + 1])) {
        if (k + 2 < m->n && t >= m->start[k + 1] && t < m->start[k + 2])
            k++;
        else
            k = pwmap_piece(m, t);
    }
    return *hint = k;
}

bool pwmap_eval_fast(const pwmap *m, size_t *hint, int64_t t, int64_t *v, int64_t *err)
{
    if (!m->fast || m->fast_n != m->n || !m->n) return false;
    size_t k = piece_near(m, hint, t);
    const int64_t *f = m->fa + 3 * k;
    i128 dt = (i128)t - f[0];
    i128 r = f[1] + ((dt * f[2]) >> 48);
    if (r > INT64_MAX / 2 || r < INT64_MIN / 2) return false;
    i128 adt = dt < 0 ? -dt : dt;
    *v = (int64_t)r;
    *err = (int64_t)(adt >> 48) + 3;
    return true;
}

bool pwmap_set_linear(pwmap *m, ts_dec slope, ts_dec offset)
{
    m->n = 0;
    return pwmap_push(m, INT64_MIN, slope, offset);
}

bool pwmap_copy(pwmap *dst, const pwmap *src)
{
    dst->n = 0;
    for (size_t i = 0; i < src->n; i++)
        if (!pwmap_push(dst, src->start[i], src->lm[i].slope, src->lm[i].offset)) return false;
    return true;
}

size_t pwmap_piece(const pwmap *m, int64_t t)
{
    size_t lo = 0, hi = m->n;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (m->start[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

bool pwmap_eval(const pwmap *m, int64_t t, int64_t *out)
{
    return m->n && linmap_eval(&m->lm[pwmap_piece(m, t)], t, out);
}

bool pwmap_eval_near(const pwmap *m, size_t *hint, int64_t t, int64_t *out)
{
    return m->n && linmap_eval(&m->lm[piece_near(m, hint, t)], t, out);
}

/* b(t) for the search below, saturated */
static int64_t eval_sat(const pwmap *m, int64_t t)
{
    int64_t v;
    if (pwmap_eval(m, t, &v)) return v;
    return t < 0 ? INT64_MIN : INT64_MAX;
}

/* smallest t with b(t) >= a (b non-decreasing); INT64_MAX / 2 if none below it */
static int64_t first_reaching(const pwmap *b, int64_t a)
{
    i128 lo = -((i128)1 << 62), hi = (i128)1 << 62;
    if (eval_sat(b, (int64_t)lo) >= a) return (int64_t)lo;
    if (eval_sat(b, (int64_t)hi) < a) return (int64_t)hi;
    while (hi - lo > 1) { /* b(lo) < a <= b(hi) */
        i128 mid = lo + (hi - lo) / 2;
        if (eval_sat(b, (int64_t)mid) >= a)
            hi = mid;
        else
            lo = mid;
    }
    return (int64_t)hi;
}

int64_t pwmap_first_reaching(const pwmap *b, int64_t a)
{
    return first_reaching(b, a);
}

int64_t pwmap_first_reaching_near(const pwmap *b, int64_t a, int64_t guess, size_t *hint)
{
    const int64_t lim = (int64_t)1 << 62;
    if (guess <= -lim || guess >= lim) return first_reaching(b, a);
    int64_t v;
    /* b(lo) < a <= b(hi), by steps doubling from the guess */
    int64_t lo, hi, step = 1;
    bool up = !pwmap_eval_near(b, hint, guess, &v) || v < a;
    if (up) {
        lo = guess;
        for (;;) {
            if (step > lim / 2 || lo > lim - step) return first_reaching(b, a);
            hi = lo + step;
            if (pwmap_eval_near(b, hint, hi, &v) && v >= a) break;
            lo = hi;
            step *= 2;
        }
    } else {
        hi = guess;
        for (;;) {
            if (step > lim / 2 || hi < -lim + step) return first_reaching(b, a);
            lo = hi - step;
            if (!pwmap_eval_near(b, hint, lo, &v) || v < a) break;
            hi = lo;
            step *= 2;
        }
    }
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (pwmap_eval_near(b, hint, mid, &v) && v >= a)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

bool pwmap_compose(const pwmap *a, const pwmap *b, int digits, pwmap *out)
{
    size_t nb = b->n + a->n;
    int64_t *bp = malloc((nb ? nb : 1) * sizeof *bp);
    if (!bp) return false;
    size_t n = 0;
    for (size_t i = 1; i < b->n; i++) bp[n++] = b->start[i];
    for (size_t i = 1; i < a->n; i++) bp[n++] = first_reaching(b, a->start[i]);
    qsort(bp, n, sizeof *bp, cmp_i64);
    out->n = 0;
    bool ok = true;
    int64_t prev = INT64_MIN;
    for (size_t i = 0; i <= n && ok; i++) {
        int64_t s = i == 0 ? INT64_MIN : bp[i - 1];
        if (i > 0 && s == prev) continue;
        /* the pieces of b and a over [s, next) */
        size_t jb = i == 0 ? 0 : pwmap_piece(b, s);
        int64_t bs = i == 0 ? (n ? bp[0] - 1 : 0) : s;
        size_t ja = a->n > 1 ? pwmap_piece(a, eval_sat(b, bs)) : 0;
        /* exactly where possible: a piece anchored on a match must stay on it (an
         * identity piece keeps the other as it is; else exact products, unless they
         * outgrow the decimals) */
        const ts_linmap *la = &a->lm[ja], *lb = &b->lm[jb];
        ts_dec sl, of;
        if (dec_is_one(la->slope) && dec_sign(la->offset) == 0) {
            sl = lb->slope;
            of = lb->offset;
        } else if (dec_is_one(lb->slope) && dec_sign(lb->offset) == 0) {
            sl = la->slope;
            of = la->offset;
        } else {
            lin_compose(la->slope, la->offset, lb->slope, lb->offset, digits, &sl, &of);
            ts_dec ex = dec_add(dec_mul(la->slope, lb->offset, 0), la->offset);
            if (!dec_bad(ex)) of = ex;
        }
        ok = pwmap_push(out, s, sl, of);
        prev = s;
    }
    free(bp);
    return ok;
}

int64_t pwmap_max_slope_fx(const pwmap *m)
{
    int64_t best = 0;
    for (size_t i = 0; i < m->n; i++) {
        int64_t v;
        if (!dec_ceil_i64(dec_mul(m->lm[i].slope, dec_i64(PW_FX_ONE), 0), &v)) return INT64_MAX;
        if (v > best) best = v;
    }
    return best;
}

/* ---- one pair: input ------------------------------------------------------------ */

static int cmp_out(const void *va, const void *vb)
{
    const pw_outlier *a = va, *b = vb;
    if (a->x != b->x) return a->x < b->x ? -1 : 1;
    if (a->o_to_r != b->o_to_r) return a->o_to_r ? -1 : 1;
    return a->y < b->y ? -1 : a->y > b->y;
}

void pw_init(pw_pair *p, bool detect_outliers)
{
    memset(p, 0, sizeof *p);
    p->detect_outliers = detect_outliers;
    pwmap_init(&p->back);
    pwmap_init(&p->fwd);
}

static void bounds_release(pw_pair *p);

void pw_free(pw_pair *p)
{
    free(p->u);
    free(p->l);
    free(p->seg);
    free(p->pool);
    free(p->out);
    pwmap_free(&p->back);
    pwmap_free(&p->fwd);
    bounds_release(p);
    free(p->pat);
    memset(p, 0, sizeof *p);
}

bool pw_add(pw_pair *p, bool o_to_r, int64_t x, int64_t y)
{
    pwpt **a = o_to_r ? &p->u : &p->l;
    size_t *n = o_to_r ? &p->nu : &p->nl, *cap = o_to_r ? &p->capu : &p->capl;
    if (!grow((void **)a, cap, *n, sizeof **a)) return false;
    (*a)[(*n)++] = (pwpt){x, y};
    return true;
}

static bool pt_lt(pwpt a, pwpt b)
{
    return a.x < b.x || (a.x == b.x && a.y < b.y);
}

static int cmp_pt(const void *va, const void *vb)
{
    pwpt a = *(const pwpt *)va, b = *(const pwpt *)vb;
    return pt_lt(a, b) ? -1 : pt_lt(b, a);
}

/* Insertion sort while the input is nearly sorted (matches arrive almost in time
 * order: linear), quicksort otherwise. */
static void sort_pts(pwpt *a, size_t n)
{
    size_t moves = 0, budget = 8 * n + 1024;
    for (size_t i = 1; i < n; i++) {
        if (!pt_lt(a[i], a[i - 1])) continue;
        pwpt v = a[i];
        size_t j = i;
        while (j > 0 && pt_lt(v, a[j - 1])) {
            a[j] = a[j - 1];
            j--;
            if (++moves > budget) {
                a[j] = v;
                qsort(a, n, sizeof *a, cmp_pt);
                return;
            }
        }
        a[j] = v;
    }
}

/* a[0..k) sorted, a[k..n) not: sort the tail, merge */
static bool merge_tail(pwpt *a, size_t k, size_t n)
{
    if (k >= n) return true;
    sort_pts(a + k, n - k);
    if (!k || !pt_lt(a[k], a[k - 1])) return true;
    pwpt *t = malloc((n - k) * sizeof *t);
    if (!t) return false;
    memcpy(t, a + k, (n - k) * sizeof *t);
    /* from the back: the larger of the two heads */
    size_t i = k, j = n - k, w = n;
    while (j > 0) {
        if (i > 0 && pt_lt(t[j - 1], a[i - 1]))
            a[--w] = a[--i];
        else
            a[--w] = t[--j];
    }
    free(t);
    return true;
}

bool pw_merge_added(pw_pair *p, size_t nu0, size_t nl0)
{
    return merge_tail(p->u, nu0, p->nu) && merge_tail(p->l, nl0, p->nl);
}

/* ---- regions: the lines consistent with a set of points ------------------------ */

typedef struct region {
    const hpt *U, *L;
    size_t nU, nL;
    bool has_amax, has_amin;
    hpt amax_u, amax_l, amin_l, amin_u;
    const hull_slope_limits *lim;
} region;

static region region_of_seg(const pw_pair *p, const pw_seg *s)
{
    region r = {p->pool + s->hu, p->pool + s->hl, s->nhu,           s->nhl,
                s->has_amax,     s->has_amin,     s->amax_u,        s->amax_l,
                s->amin_l,       s->amin_u,       lim_of(s->bridge)};
    return r;
}

typedef pwrat rat;

static rat slope_of(hpt a, hpt b) /* a.x < b.x */
{
    return (rat){(i128)b.y - a.y, (i128)b.x - a.x};
}

static int rat_cmp(rat a, rat b)
{
    i128 l = a.n * b.d, r = b.n * a.d;
    return l < r ? -1 : l > r;
}

static ts_dec rat_dec(rat a)
{
    return dec_div(dec_i128(a.n), dec_i128(a.d), TS_DEC_DIGITS);
}

/* floor and ceil of y + r * (x0 - x) */
static void line_at(int64_t x, int64_t y, rat r, int64_t x0, i128 *fl, i128 *ce)
{
    i128 num = r.n * ((i128)x0 - x);
    *fl = y + floor_div(num, r.d);
    *ce = y + ceil_div(num, r.d);
}

/* The values at x0 of the lines consistent with the region (slopes within LIM):
 * [*lo, *hi] rounded inwards to integers; has_lo / has_hi false when unbounded. */
static void band(const region *g, int64_t x0, i128 *lo, bool *has_lo, i128 *hi, bool *has_hi)
{
    const rat slo = {g->lim->lo_n, g->lim->lo_d}, shi = {g->lim->hi_n, g->lim->hi_d};
    rat amax = g->has_amax ? slope_of(g->amax_u, g->amax_l) : shi;
    rat amin = g->has_amin ? slope_of(g->amin_l, g->amin_u) : slo;
    bool max_by_lim = !g->has_amax || rat_cmp(amax, shi) > 0;
    bool min_by_lim = !g->has_amin || rat_cmp(amin, slo) < 0;
    if (max_by_lim) amax = shi;
    if (min_by_lim) amin = slo;
    *has_lo = g->nU > 0;
    *has_hi = g->nL > 0;
    bool any = false;
    i128 mn = 0, mx = 0;
#define CAND(px, py, r)                                                                            \
    do {                                                                                           \
        i128 f_, c_;                                                                               \
        line_at((px), (py), (r), x0, &f_, &c_);                                                    \
        if (!any || c_ < mn) mn = c_;                                                              \
        if (!any || f_ > mx) mx = f_;                                                              \
        any = true;                                                                                \
    } while (0)
    if (!max_by_lim) CAND(g->amax_u.x, g->amax_u.y, amax);
    if (!min_by_lim) CAND(g->amin_l.x, g->amin_l.y, amin);
    for (size_t i = 0; i + 1 < g->nU; i++) {
        rat r = slope_of(g->U[i], g->U[i + 1]);
        if (rat_cmp(r, amin) >= 0 && rat_cmp(r, amax) <= 0) CAND(g->U[i].x, g->U[i].y, r);
    }
    for (size_t i = 0; i + 1 < g->nL; i++) {
        rat r = slope_of(g->L[i], g->L[i + 1]);
        if (rat_cmp(r, amin) >= 0 && rat_cmp(r, amax) <= 0) CAND(g->L[i].x, g->L[i].y, r);
    }
    /* vertices at a limit slope: the lowest line of that slope above U, the highest
     * below L */
    for (int k = 0; k < 2; k++) {
        if (!(k ? max_by_lim : min_by_lim)) continue;
        rat r = k ? shi : slo;
        for (int side = 0; side < 2; side++) {
            const hpt *v = side ? g->L : g->U;
            size_t nv = side ? g->nL : g->nU;
            size_t best = nv;
            i128 bv = 0;
            for (size_t i = 0; i < nv; i++) {
                i128 b = (i128)v[i].y * r.d - r.n * (i128)v[i].x;
                if (best == nv || (side ? b < bv : b > bv)) best = i, bv = b;
            }
            if (best < nv) CAND(v[best].x, v[best].y, r);
        }
    }
#undef CAND
    if (!any) *has_lo = *has_hi = false;
    *lo = mn;
    *hi = mx;
}

/* The slopes of the lines through (jx, jy) consistent with the region: [*a1, *a2];
 * *d1 / *d2 tell whether a point (rather than LIM) sets that end.  False if none. */
static bool pencil(const region *g, int64_t jx, int64_t jy, rat *a1, bool *d1, rat *a2, bool *d2)
{
    *a1 = (rat){g->lim->lo_n, g->lim->lo_d};
    *a2 = (rat){g->lim->hi_n, g->lim->hi_d};
    *d1 = *d2 = false;
    for (int side = 0; side < 2; side++) { /* 0: U (line above), 1: L (line below) */
        const hpt *v = side ? g->L : g->U;
        size_t nv = side ? g->nL : g->nU;
        for (size_t i = 0; i < nv; i++) {
            hpt q = v[i];
            if (q.x == jx) {
                if (side ? q.y < jy : q.y > jy) return false;
                continue;
            }
            rat r = q.x > jx ? (rat){(i128)q.y - jy, (i128)q.x - jx}
                             : (rat){(i128)jy - q.y, (i128)jx - q.x};
            /* U right of J or L left of J: a lower bound; otherwise an upper bound */
            bool lower = (q.x > jx) == (side == 0);
            if (lower) {
                if (rat_cmp(r, *a1) > 0) *a1 = r, *d1 = true;
            } else {
                if (rat_cmp(r, *a2) < 0) *a2 = r, *d2 = true;
            }
        }
    }
    return rat_cmp(*a1, *a2) <= 0;
}

/* A slope inside the pencil [a1, a2]: its middle when it is narrow (under 1e-4: the
 * points pin the slope down), else the preferred slope (the neighbour's) kept at
 * min(width / 4, 1e-6) from the ends, so that a segment with few points does not
 * take an arbitrary steep or flat slope. */
static ts_dec choose_slope(rat a1, rat a2, ts_dec pref)
{
    const int P = TS_DEC_DIGITS;
    ts_dec n1 = dec_i128(a1.n), d1 = dec_i128(a1.d), n2 = dec_i128(a2.n), d2 = dec_i128(a2.d);
    /* mid = (a1 + a2) / 2 = (n1 d2 + n2 d1) / (2 d1 d2) */
    ts_dec mid = dec_div(dec_add(dec_mul(n1, d2, 0), dec_mul(n2, d1, 0)),
                         dec_mul(dec_i64(2), dec_mul(d1, d2, 0), 0), P);
    ts_dec lo = dec_div(n1, d1, P), hi = dec_div(n2, d2, P), w = dec_sub(hi, lo);
    ts_dec narrow = dec_div(dec_i64(1), dec_i64(10000), P),
           ppm = dec_div(dec_i64(1), dec_i64(1000000), P);
    if (dec_cmp(w, narrow) < 0) return mid;
    ts_dec m = dec_div(w, dec_i64(4), P);
    if (dec_cmp(m, ppm) > 0) m = ppm;
    lo = dec_add(lo, m);
    hi = dec_sub(hi, m);
    return dec_cmp(pref, lo) < 0 ? lo : dec_cmp(pref, hi) > 0 ? hi : pref;
}

/* ---- the sweep ------------------------------------------------------------------- */

typedef struct rpt {
    pwpt pt;
    bool o_to_r;
    size_t iu, il; /* the sweep's position before it (next_pt from there gives it) */
} rpt;

#define RING 128 /* >= PW_BACKTRACK + 1 and >= PW_NEIGHBOURS */

typedef struct sweep {
    pw_pair *p;
    size_t iu, il; /* next points */
    rpt ring[RING];
    size_t rn, rh; /* count, index of the oldest */
    ts_hull cur, nxt, tmp;
    size_t siu, sil, sout; /* the current segment's first point, its first outlier */
    bool has_left, has_kt, bridge, has_wlo, has_whi;
    int64_t kx, kt, wlo, whi; /* the current segment's knot, its aim, its window */
} sweep;

static bool next_pt(const pw_pair *p, size_t *iu, size_t *il, rpt *out)
{
    if (*iu < p->nu && (*il >= p->nl || p->u[*iu].x <= p->l[*il].x)) {
        *out = (rpt){p->u[*iu], true, *iu, *il};
        ++*iu;
        return true;
    }
    if (*il < p->nl) {
        *out = (rpt){p->l[*il], false, *iu, *il};
        ++*il;
        return true;
    }
    return false;
}

static rpt ring_get(const sweep *w, size_t k) /* k = 0: oldest */
{
    return w->ring[(w->rh + k) % RING];
}

static void ring_push(sweep *w, rpt q)
{
    if (w->rn < RING) {
        w->ring[(w->rh + w->rn++) % RING] = q;
    } else {
        w->ring[w->rh] = q;
        w->rh = (w->rh + 1) % RING;
    }
}

static bool record(pw_pair *p, rpt q, pw_outlier_kind kind)
{
    if (!grow((void **)&p->out, &p->capout, p->nout, sizeof *p->out)) return false;
    p->out[p->nout++] = (pw_outlier){q.pt.x, q.pt.y, q.o_to_r, kind, 0};
    if (kind == PW_ISOLATED)
        p->isolated++;
    else
        p->conflicts++;
    return true;
}

static int try_add(ts_hull *h, rpt q, bool bridge)
{
    return hull_try_add(h, q.o_to_r, q.pt.x, q.pt.y, lim_of(bridge));
}

/* Is q (which does not fit the current segment) an isolated impossible point?
 * -1 when out of memory. */
static int isolated(sweep *w, rpt q)
{
    pw_pair *p = w->p;
    if (!hull_copy(&w->tmp, &w->cur)) return -1;
    size_t iu = w->iu, il = w->il, n = 0, same = 0;
    rpt after[PW_NEIGHBOURS];
    rpt a;
    while ((n < 4 || same < 2) && n < PW_LOOKAHEAD && next_pt(p, &iu, &il, &a)) {
        int r = try_add(&w->tmp, a, w->bridge);
        if (r < 0) return -1;
        if (r == 0) return 0; /* the next points do not fit either: a change of regime */
        if (n < PW_NEIGHBOURS) after[n] = a;
        same += a.o_to_r == q.o_to_r;
        n++;
    }
    if (same < 1 || n < 2) return 0; /* too little data to tell */
    /* q fits no line with its neighbours? */
    hull_reset(&w->tmp);
    size_t k0 = w->rn > PW_NEIGHBOURS ? w->rn - PW_NEIGHBOURS : 0;
    for (size_t k = k0; k < w->rn; k++)
        if (try_add(&w->tmp, ring_get(w, k), true) < 0) return -1;
    for (size_t k = 0; k < n && k < PW_NEIGHBOURS; k++)
        if (try_add(&w->tmp, after[k], true) < 0) return -1;
    int r = try_add(&w->tmp, q, true); /* not even with a bridge's slope */
    return r < 0 ? -1 : r == 0;
}

static bool save_region(pw_pair *p, pw_seg *s, const ts_hull *h)
{
    size_t need = p->npool + h->U.n + h->L.n;
    if (need > p->cappool) {
        size_t nc = p->cappool ? p->cappool : 64;
        while (nc < need) nc *= 2;
        hpt *np = realloc(p->pool, nc * sizeof *np);
        if (!np) return false;
        p->pool = np;
        p->cappool = nc;
    }
    s->hu = p->npool;
    s->nhu = h->U.n;
    if (h->U.n) memcpy(p->pool + p->npool, h->U.p, h->U.n * sizeof *h->U.p);
    p->npool += h->U.n;
    s->hl = p->npool;
    s->nhl = h->L.n;
    if (h->L.n) memcpy(p->pool + p->npool, h->L.p, h->L.n * sizeof *h->L.p);
    p->npool += h->L.n;
    s->has_amax = h->has_amax;
    s->has_amin = h->has_amin;
    s->amax_u = h->amax_u;
    s->amax_l = h->amax_l;
    s->amin_l = h->amin_l;
    s->amin_u = h->amin_u;
    return true;
}

static bool push_seg(pw_pair *p, sweep *w)
{
    if (!grow((void **)&p->seg, &p->capseg, p->nseg, sizeof *p->seg)) return false;
    pw_seg *s = &p->seg[p->nseg];
    memset(s, 0, sizeof *s);
    s->has_left = w->has_left;
    s->kx = w->kx;
    s->has_kt = w->has_kt;
    s->kt = w->kt;
    s->bridge = w->bridge;
    s->has_wlo = w->has_wlo;
    s->has_whi = w->has_whi;
    s->wlo = w->wlo;
    s->whi = w->whi;
    if (!save_region(p, s, &w->cur)) return false;
    p->nseg++;
    return true;
}

/* Where the matches at or before x locate the O clock at x, at slope sr (assuming it
 * runs at that rate there): above the second highest of the U points' lines (robust
 * to one corrupted point) and below the second lowest of the L points', among the
 * 2 * PW_NEAR last of each direction.  has_* false if none. */
#define PW_NEAR 4
static void estimate(const pw_pair *p, int64_t x, rat sr, i128 *lo, bool *hlo, i128 *hi, bool *hhi)
{
    for (int d = 0; d < 2; d++) {
        const pwpt *a = d ? p->l : p->u;
        size_t n = d ? p->nl : p->nu, b = 0, e = n;
        while (b < e) { /* first point with x > x */
            size_t mid = (b + e) / 2;
            if (a[mid].x <= x)
                b = mid + 1;
            else
                e = mid;
        }
        i128 best = 0, second = 0;
        int cnt = 0;
        for (size_t i = b > 2 * PW_NEAR ? b - 2 * PW_NEAR : 0; i < b; i++) {
            i128 num = sr.n * ((i128)x - a[i].x);
            i128 v = a[i].y + (d ? ceil_div(num, sr.d) : floor_div(num, sr.d));
            if (d) v = -v; /* the L side keeps the lowest: negate */
            if (cnt == 0 || v > best) {
                second = best;
                best = v;
            } else if (cnt == 1 || v > second) {
                second = v;
            }
            cnt++;
        }
        i128 r = cnt >= 3 ? second : best;
        if (d) {
            *hi = -r;
            *hhi = cnt > 0;
        } else {
            *lo = r;
            *hlo = cnt > 0;
        }
    }
}

/* The local slope: the middle of the region's slope bounds when they are within
 * 1e-3 of each other, else the pair's overall slope. */
static rat local_slope(const pw_pair *p, const region *g)
{
    if (g->has_amax && g->has_amin) {
        rat a = slope_of(g->amax_u, g->amax_l), b = slope_of(g->amin_l, g->amin_u);
        /* (a - b) < 1e-3 <=> (na db - nb da) * 1000 < da db */
        i128 w = a.n * b.d - b.n * a.d;
        if (w >= 0 && a.d < ((i128)1 << 62) / 1000 && w * 1000 < a.d * b.d)
            return (rat){a.n * b.d + b.n * a.d, 2 * a.d * b.d};
    }
    return p->sref;
}

/* The first outlier recorded at or after R time x (they are recorded in sweep order). */
static size_t out_from(const pw_pair *p, int64_t x)
{
    size_t k = p->nout;
    while (k > 0 && p->out[k - 1].x >= x) k--;
    return k;
}

/* Was point a of the current segment left out (an outlier recorded since the
 * segment began)?  *c: a cursor into p->out, for points visited in sweep order. */
static bool left_out_here(const pw_pair *p, rpt a, size_t *c)
{
    while (*c < p->nout && p->out[*c].x < a.pt.x) ++*c;
    for (size_t k = *c; k < p->nout && p->out[k].x == a.pt.x; k++)
        if (p->out[k].y == a.pt.y && p->out[k].o_to_r == a.o_to_r) return true;
    return false;
}

/* Start the new segment at the knot (xj; window [lo, hi]) with the points from sweep
 * position (ju, jl) up to q: 1 if they fit an ordinary segment (then it is the current
 * one), 0 if not, -1 when out of memory.  Built in w->tmp: w->nxt keeps the candidate
 * the caller found near the end. */
static int restart_at(sweep *w, rpt q, int64_t xj, i128 lo, bool hlo, i128 hi, bool hhi, size_t ju,
                      size_t jl)
{
    pw_pair *p = w->p;
    hull_reset(&w->tmp);
    int r = 1;
    if (hlo) r = hull_try_add(&w->tmp, true, xj, clamp64(lo), &LIM_N);
    if (r > 0 && hhi) r = hull_try_add(&w->tmp, false, xj, clamp64(hi), &LIM_N);
    size_t iu = ju, il = jl, c = w->sout;
    rpt a;
    while (r > 0 && (iu < q.iu || il < q.il) && next_pt(p, &iu, &il, &a))
        if (!left_out_here(p, a, &c)) r = try_add(&w->tmp, a, false);
    if (r > 0) r = try_add(&w->tmp, q, false);
    if (r <= 0) return r;
    ts_hull t = w->cur;
    w->cur = w->tmp;
    w->tmp = t;
    w->rn = w->rh = 0; /* the ring: the last of the moved points, and q */
    iu = ju, il = jl, c = w->sout;
    while ((iu < q.iu || il < q.il) && next_pt(p, &iu, &il, &a))
        if (!left_out_here(p, a, &c)) ring_push(w, a);
    ring_push(w, q);
    return 1;
}

/* The new segment's knot at xj: its window [lo, hi] there, its aim, where its points
 * begin (sweep position (su, sl)). */
static void set_knot(sweep *w, bool bridge, int64_t xj, i128 lo, bool hlo, i128 hi, bool hhi,
                     bool has_target, i128 target, size_t su, size_t sl)
{
    w->has_left = true;
    w->bridge = bridge;
    w->kx = xj;
    w->has_wlo = hlo;
    w->has_whi = hhi;
    w->wlo = clamp64(lo);
    w->whi = clamp64(hi);
    w->has_kt = has_target;
    w->kt = clamp64(target);
    w->siu = su;
    w->sil = sl;
    w->sout = out_from(w->p, xj);
}

/* The far knot: when the old segment's values near its end have left where the
 * matches locate the clock (its lines bent away with the clock before the last
 * point forced the break), the knot goes back -- 256, 512, ... points, at most half
 * of the segment -- to the latest of those places where the old segment's window
 * still holds that location, if an ordinary segment fits from there.  Linear overall:
 * each try costs its distance, the distances double. */
static int far_knot(sweep *w, rpt q, const region *g)
{
    pw_pair *p = w->p;
    size_t n = (q.iu - w->siu) + (q.il - w->sil);
    size_t ju = q.iu, jl = q.il, walked = 0;
    for (size_t d = 2 * RING; d <= n / 2; d *= 2) {
        /* back d points from q (sweep order, in reverse) */
        while (walked < d) {
            bool take_l = jl > w->sil && (ju == w->siu || p->l[jl - 1].x >= p->u[ju - 1].x);
            if (take_l)
                jl--;
            else
                ju--;
            walked++;
        }
        /* the knot is on that point's x; the new segment starts after it */
        size_t tu = ju, tl = jl;
        rpt kp;
        if (!next_pt(p, &tu, &tl, &kp)) break;
        int64_t xj = kp.pt.x;
        if (w->has_left && xj <= w->kx) break;
        i128 lo, hi, elo = 0, ehi = 0;
        bool hlo, hhi, helo = false, hehi = false;
        band(g, xj, &lo, &hlo, &hi, &hhi);
        const i128 lim = (i128)1 << 62;
        if ((hlo && hhi && lo > hi) || (hlo && lo > lim) || (hhi && hi < -lim)) continue;
        estimate(p, xj, local_slope(p, g), &elo, &helo, &ehi, &hehi);
        if (!helo || !hehi || elo > ehi) continue;
        i128 target = mid_i128(elo, ehi), tol = (ehi - elo) / 4;
        if ((hhi && hi < target - tol) || (hlo && lo > target + tol)) continue;
        int r = restart_at(w, q, xj, lo, hlo, hi, hhi, tu, tl);
        if (r < 0) return -1;
        if (r == 0) continue;
        set_knot(w, false, xj, lo, hlo, hi, hhi, true, target, tu, tl);
        return 1;
    }
    return 0;
}

/* q does not fit the current segment: start a new one joined to it, or report q.
 * 1: done, -1: out of memory. */
static int join(sweep *w, rpt q)
{
    pw_pair *p = w->p;
    if (!push_seg(p, w)) return -1;
    region g = region_of_seg(p, &p->seg[p->nseg - 1]);
    const i128 lim = (i128)1 << 62;
    size_t back_max = w->rn ? (w->rn - 1 < PW_BACKTRACK ? w->rn - 1 : PW_BACKTRACK) : 0;
    /* An ordinary segment if one can start, else a bridge (a clock step).  The knot
     * goes to the latest of the last points where the old segment's values still
     * agree with where the nearby matches locate the clock (a segment ends only once
     * the clock has bent away from it by the whole slack: its values at its very end
     * may already be off); failing that, to the latest where the new segment fits. */
    /* a bridge over a step starts at the last point of q's direction: the clock
     * jumped after it (the points of the other direction since then fit anyway) */
    int64_t last_same = INT64_MIN;
    for (size_t k = w->rn; k-- > 0;)
        if (ring_get(w, k).o_to_r == q.o_to_r) {
            last_same = ring_get(w, k).pt.x;
            break;
        }
    for (int pass = 0; pass < 4; pass++)
        for (size_t back = 0; w->rn && back <= back_max; back++) {
            int bridge = pass >= 2, agree = !(pass & 1);
            size_t kj = w->rn - 1 - back; /* the knot is on this point's x */
            int64_t xj = ring_get(w, kj).pt.x;
            if (bridge && last_same != INT64_MIN && xj > last_same) continue;
            if (w->has_left && xj <= w->kx) break; /* knots strictly increase */
            i128 lo, hi;
            bool hlo, hhi;
            band(&g, xj, &lo, &hlo, &hi, &hhi);
            if ((hlo && hhi && lo > hi) || (hlo && lo > lim) || (hhi && hi < -lim)) continue;
            /* the knot will aim where the matches before it locate the clock: knots
             * chosen anywhere in wide windows would carry the map away, segment after
             * segment */
            i128 elo = 0, ehi = 0;
            bool helo = false, hehi = false;
            estimate(p, xj, local_slope(p, &g), &elo, &helo, &ehi, &hehi);
            if (helo && hehi && elo > ehi) elo = ehi = mid_i128(ehi, elo);
            i128 target = helo && hehi ? mid_i128(elo, ehi) : helo ? elo : hehi ? ehi : 0;
            bool has_target = helo || hehi;
            if (agree && helo && hehi) {
                i128 tol = (ehi - elo) / 2;
                if ((hhi && hi < elo - tol) || (hlo && lo > ehi + tol)) continue;
            }
            hull_reset(&w->nxt);
            int r = 1;
            const hull_slope_limits *sl = lim_of(bridge);
            if (hlo) r = hull_try_add(&w->nxt, true, xj, clamp64(lo), sl);
            if (r > 0 && hhi) r = hull_try_add(&w->nxt, false, xj, clamp64(hi), sl);
            for (size_t k = kj + 1; r > 0 && k < w->rn; k++)
                r = try_add(&w->nxt, ring_get(w, k), bridge);
            if (r > 0) r = try_add(&w->nxt, q, bridge);
            if (r < 0) return -1;
            if (r == 0) continue;
            /* a drift change (an ordinary segment can follow): perhaps a far knot */
            if (!bridge && !w->bridge) {
                int fr = far_knot(w, q, &g);
                if (fr) return fr;
            }
            /* the new segment: the moved points and q */
            ts_hull t = w->cur;
            w->cur = w->nxt;
            w->nxt = t;
            rpt moved[RING];
            size_t nm = 0;
            for (size_t k = kj + 1; k < w->rn; k++) moved[nm++] = ring_get(w, k);
            set_knot(w, bridge, xj, lo, hlo, hi, hhi, has_target, target, nm ? moved[0].iu : q.iu,
                     nm ? moved[0].il : q.il);
            w->rn = w->rh = 0;
            for (size_t k = 0; k < nm; k++) ring_push(w, moved[k]);
            ring_push(w, q);
            return 1;
        }
    /* no continuous increasing map through this segment satisfies q */
    p->nseg--;
    p->npool = p->seg[p->nseg].hu;
    return record(p, q, PW_CONFLICT) ? 1 : -1;
}

/* The sweep; *last receives the last segment's hull. */
static ts_status forward(pw_pair *p, ts_hull *last, ts_error *err)
{
    sweep *w = calloc(1, sizeof *w);
    if (!w) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    w->p = p;
    hull_init(&w->cur, false);
    hull_init(&w->nxt, false);
    hull_init(&w->tmp, false);
    ts_status st = TS_OK;
    rpt q;
    while (next_pt(p, &w->iu, &w->il, &q)) {
        int r = try_add(&w->cur, q, w->bridge);
        if (r > 0) {
            ring_push(w, q);
            continue;
        }
        if (r == 0 && p->detect_outliers) {
            r = isolated(w, q);
            if (r > 0) {
                if (!record(p, q, PW_ISOLATED)) r = -1;
                if (r > 0) continue;
            }
        }
        if (r == 0) r = join(w, q);
        if (r < 0) {
            st = ts_error_set(err, TS_ERR_NOMEM, "out of memory");
            break;
        }
    }
    if (!st && !push_seg(p, w)) st = ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    ts_hull t = *last;
    *last = w->cur;
    w->cur = t;
    hull_free(&w->cur);
    hull_free(&w->nxt);
    hull_free(&w->tmp);
    free(w);
    return st;
}

/* ---- lines and maps ----------------------------------------------------------------- */

static bool set_line(pw_seg *s, int64_t px, ts_dec py, ts_dec slope)
{
    s->slope = slope;
    s->offset = dec_sub(py, dec_mul(slope, dec_i64(px), 0));
    return dec_sign(slope) > 0 && linmap_init(&s->lm, s->slope, s->offset);
}

static ts_dec rat_dec_p(i128 n, i128 d)
{
    return dec_div(dec_i128(n), dec_i128(d), TS_DEC_DIGITS);
}

/* The values v at x such that the line from (x, v) to (jx, jy) fits the region: the
 * real interval [*l, *h] (as fractions).  false if no line fits at all. */
static bool left_interval(const region *g, int64_t x, int64_t jx, int64_t jy, rat *l, rat *h)
{
    rat a1, a2;
    bool d1, d2;
    if (!pencil(g, jx, jy, &a1, &d1, &a2, &d2)) return false;
    i128 dx = (i128)jx - x;
    *l = (rat){(i128)jy * a2.d - a2.n * dx, a2.d};
    *h = (rat){(i128)jy * a1.d - a1.n * dx, a1.d};
    return true;
}

/* A value in [l, h]: the integer nearest to target if there is one, else the middle. */
static ts_dec pick(rat l, rat h, bool has_t, int64_t t, bool *rounded)
{
    i128 lo = ceil_div(l.n, l.d), hi = floor_div(h.n, h.d);
    if (lo <= hi) return dec_i128(has_t ? (t < lo ? lo : t > hi ? hi : t) : mid_i128(lo, hi));
    *rounded = true;
    return dec_half(dec_add(rat_dec_p(l.n, l.d), rat_dec_p(h.n, h.d)));
}

/* floor of a knot value and its fraction */
static void split(ts_dec v, int64_t *f, ts_dec *frac)
{
    dec_floor_i64(v, f);
    *frac = dec_sub(v, dec_i64(*f));
}

/* the first segment's slope through its right knot (x, v): a slope of the pencil,
 * interpolated between the integers around v when v is not one */
static bool first_slope(const region *g, int64_t x, ts_dec v, ts_dec pref, ts_dec *out)
{
    int64_t f;
    ts_dec lam;
    split(v, &f, &lam);
    ts_dec sl[2];
    for (int i = 0; i < 2; i++) {
        rat a1, a2;
        bool d1, d2;
        if (i == 1 && dec_sign(lam) == 0) break;
        if (!pencil(g, x, f + i, &a1, &d1, &a2, &d2)) return false;
        sl[i] = choose_slope(a1, a2, pref);
    }
    *out = dec_sign(lam) == 0 ? sl[0] : dec_add(sl[0], dec_mul(lam, dec_sub(sl[1], sl[0]), 0));
    *out = dec_round(*out, TS_DEC_DIGITS);
    return true;
}

/* The knots and lines, from the last segment to the first: each knot as near as its
 * range allows to where the nearby matches locate the clock.  A knot value is an
 * integer when its range holds one, else an exact decimal: the feasible pairs (knot
 * value, line) are convex, so interpolating between the integers around stays
 * feasible. */
static bool backward(pw_pair *p)
{
    size_t m = p->nseg;
    for (size_t k = m; k-- > 0;) {
        pw_seg *s = &p->seg[k];
        region g = region_of_seg(p, s);
        bool rounded = false;
        if (k == m - 1) { /* the last: its knot within its values there */
            i128 lo, hi;
            bool hlo, hhi;
            band(&g, s->kx, &lo, &hlo, &hi, &hhi);
            if (!hlo && !hhi) return false;
            i128 v = hlo && hhi ? mid_i128(lo, hi) : hlo ? lo : hi;
            if (s->has_kt) v = hlo && s->kt < lo ? lo : hhi && s->kt > hi ? hi : s->kt;
            s->ky = clamp64(v);
            s->kyd = dec_i64(s->ky);
            rat a1, a2;
            bool d1, d2;
            if (!pencil(&g, s->kx, s->ky, &a1, &d1, &a2, &d2)) return false;
            ts_dec pref = dec_i64(1); /* the middle of its slope bounds, if it has both */
            if (s->has_amax && s->has_amin)
                pref = dec_half(dec_add(rat_dec(slope_of(s->amax_u, s->amax_l)),
                                        rat_dec(slope_of(s->amin_l, s->amin_u))));
            if (!set_line(s, s->kx, s->kyd, choose_slope(a1, a2, pref))) return false;
            continue;
        }
        const pw_seg *nx = &p->seg[k + 1];
        if (k == 0) { /* the first: through the next knot */
            ts_dec sl;
            if (!first_slope(&g, nx->kx, nx->kyd, nx->slope, &sl) ||
                !set_line(s, nx->kx, nx->kyd, sl))
                return false;
            continue;
        }
        /* a middle one: its left knot such that the line to the right knot fits */
        int64_t f;
        ts_dec lam;
        split(nx->kyd, &f, &lam);
        ts_dec v[2];
        for (int i = 0; i < 2; i++) {
            rat l, h;
            if (i == 1 && dec_sign(lam) == 0) break;
            if (!left_interval(&g, s->kx, nx->kx, f + i, &l, &h)) return false;
            v[i] = pick(l, h, s->has_kt, s->kt, &rounded);
        }
        /* exactly: rounding could move it past a match it must respect */
        s->kyd = dec_sign(lam) == 0 ? v[0] : dec_add(v[0], dec_mul(lam, dec_sub(v[1], v[0]), 0));
        if (dec_bad(s->kyd) && dec_sign(lam) != 0)
            s->kyd = dec_add(v[0], dec_mul(lam, dec_sub(v[1], v[0]), TS_DEC_DIGITS));
        if (!dec_floor_i64(s->kyd, &s->ky)) return false;
        if (rounded || dec_sign(lam) != 0) p->rounded++;
        ts_dec sl =
            dec_div(dec_sub(nx->kyd, s->kyd), dec_i128((i128)nx->kx - s->kx), TS_DEC_DIGITS);
        if (dec_cmp(s->kyd, nx->kyd) >= 0 || !set_line(s, s->kx, s->kyd, sl)) return false;
    }
    return true;
}

static bool build_maps(pw_pair *p, const ts_hull *last)
{
    p->back.n = p->fwd.n = 0;
    if (p->nseg == 1) { /* one line: the linear hull's formula */
        ts_dec fs, fo, bs, bo;
        if (!hull_maps(last, &fs, &fo, &bs, &bo)) return false;
        p->seg[0].slope = bs;
        p->seg[0].offset = bo;
        return linmap_init(&p->seg[0].lm, bs, bo) && pwmap_push(&p->back, INT64_MIN, bs, bo) &&
               pwmap_push(&p->fwd, INT64_MIN, fs, fo);
    }
    if (!backward(p)) return false;
    /* Both maps 1e-15 ns above their lines: a line whose rounded slope passes a match
     * with no slack by 1e-22 on the wrong side would floor it 1 ns early (an O->R
     * match through the map, an R->O one through its inverse); the floors leave the
     * other side 1 ns of room. */
    const ts_dec e15 = dec_i64(1000000000000000LL);
    const ts_dec bias = dec_div(dec_i64(1), e15, TS_DEC_DIGITS);
    for (size_t k = 0; k < p->nseg; k++) {
        const pw_seg *s = &p->seg[k];
        if (!pwmap_push(&p->back, k ? s->kx : INT64_MIN, s->slope, dec_add(s->offset, bias)))
            return false;
    }
    /* the inverse: its pieces pass exactly through the knots (ky, kx) and start at
     * the first integer O time at or past their knot.  Their slopes (rounded decimals)
     * err on the safe side by 1e-30: above the true inverse after the anchor (piece k
     * >= 1, anchored at its left knot), below it before (piece 0, anchored at its
     * right knot), so that a match the map meets exactly (receive = send) never maps
     * 1 ns before its send through the inverse; over 2^62 ns, 5e-12 ns. */
    const ts_dec eps = dec_div(dec_i64(1), dec_mul(e15, e15, 0), TS_DEC_DIGITS);
    for (size_t k = 0; k < p->nseg; k++) {
        const pw_seg *s = &p->seg[k];
        const pw_seg *ref = k ? s : &p->seg[1];
        ts_dec is = dec_div(dec_i64(1), s->slope, TS_DEC_DIGITS);
        is = k ? dec_add(is, eps) : dec_sub(is, eps);
        ts_dec io = dec_add(dec_sub(dec_i64(ref->kx), dec_mul(is, ref->kyd, 0)), bias);
        int64_t st = INT64_MIN;
        if (k && !dec_ceil_i64(s->kyd, &st)) return false;
        /* a piece whose start does not lie past the previous one covers nothing */
        if (k >= 2 && st <= p->fwd.start[p->fwd.n - 1]) p->fwd.n--;
        if (!pwmap_push(&p->fwd, st, is, io)) return false;
    }
    return true;
}

/* ---- bounds --------------------------------------------------------------------- */

#define RHO_INF ((int64_t)1 << 52) /* 1e-12 units: a rate of about 4500 */

/* ceil(v * 1e12) for v >= 0, capped at RHO_INF */
static int64_t ppt_ceil(ts_dec v)
{
    int64_t out;
    if (dec_sign(v) <= 0) return 0;
    if (!dec_ceil_i64(dec_mul(v, dec_i64(1000000000000LL), 0), &out) || out > RHO_INF)
        return RHO_INF;
    return out;
}

bool pw_left_out(const pw_pair *p, pwpt q, bool o_to_r)
{
    size_t lo = 0, hi = p->nout;
    pw_outlier key = {q.x, q.y, o_to_r, PW_ISOLATED, 0};
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = cmp_out(&p->out[mid], &key);
        if (c == 0) return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* The slope bounds from a segment's own points (not the knots' windows, which pin the
 * line and can tilt it beyond what the data alone allow): from its hull's vertices,
 * leaving out the window's two virtual points (a subset of its points: bounds at
 * least as wide as its points', so on the safe side). */
static bool data_slopes(pw_pair *p, ts_dec *amin, unsigned char *has_min, ts_dec *amax,
                        unsigned char *has_max)
{
    ts_hull h;
    hull_init(&h, false);
    bool ok = true;
    for (size_t k = 0; k < p->nseg && ok; k++) {
        const pw_seg *s = &p->seg[k];
        hull_reset(&h);
        const hpt *U = p->pool + s->hu, *L = p->pool + s->hl;
        size_t iu = 0, il = 0;
        while (iu < s->nhu || il < s->nhl) {
            bool u = iu < s->nhu && (il >= s->nhl || U[iu].x <= L[il].x);
            hpt q = u ? U[iu++] : L[il++];
            if (s->has_left && q.x == s->kx &&
                (u ? s->has_wlo && q.y == s->wlo : s->has_whi && q.y == s->whi))
                continue;
            if (hull_try_add(&h, u, q.x, q.y, NULL) < 0) ok = false;
        }
        has_min[k] = h.has_amin;
        has_max[k] = h.has_amax;
        if (h.has_amin) amin[k] = rat_dec(slope_of(h.amin_l, h.amin_u));
        if (h.has_amax) amax[k] = rat_dec(slope_of(h.amax_u, h.amax_l));
    }
    hull_free(&h);
    return ok;
}

/* rho: how much slower than the map the true clock may run in each segment: 5 ppm,
 * plus the map's slope minus the lowest slope its points allow, plus the largest
 * slope change to the nearest ordinary segment on either side; rho_up likewise
 * upwards.  A bridge (a clock step) only knows that the clock does not go back. */
static bool compute_rho(pw_pair *p)
{
    size_t m = p->nseg;
    ts_dec *amin = malloc(2 * m * sizeof *amin);
    unsigned char *hm = malloc(2 * m * sizeof *hm); /* 1: its own bound, 2: borrowed */
    if (!amin || !hm || !data_slopes(p, amin, hm, amin + m, hm + m)) {
        free(amin);
        free(hm);
        return false;
    }
    /* the slope uncertainty below (u = 0) and above (u = 1) the map's slope, from a
     * segment's own points (-1: none) */
    int64_t *unc = malloc(2 * m * sizeof *unc);
    if (!unc) {
        free(amin);
        free(hm);
        return false;
    }
    /* a segment at (or near) the ordinary slope limit bridges a step too: it took the
     * steepest or flattest slope allowed to bridge a jump (no drift change is that fast) */
    bool *br = malloc(m * sizeof *br);
    if (!br) {
        free(amin);
        free(hm);
        free(unc);
        free(br);
        return false;
    }
    ts_dec near = dec_div(dec_i64(9), dec_i64(10 * PW_NORMAL_DEN), TS_DEC_DIGITS);
    for (size_t k = 0; k < m; k++) {
        ts_dec dv = dec_sub(p->seg[k].slope, dec_i64(1));
        if (dec_sign(dv) < 0) dv = dec_neg(dv);
        br[k] = p->seg[k].bridge || dec_cmp(dv, near) >= 0;
    }
    for (size_t k = 0; k < m; k++) {
        const pw_seg *s = &p->seg[k];
        unc[k] = hm[k] ? ppt_ceil(dec_sub(s->slope, amin[k])) : -1;
        unc[m + k] = hm[m + k] ? ppt_ceil(dec_sub(amin[m + k], s->slope)) : -1;
    }
    for (size_t k = 0; k < m; k++) {
        pw_seg *s = &p->seg[k];
        int64_t cap = ppt_ceil(s->slope); /* the true rate is >= 0 */
        s->rho = cap;
        s->rho_up = -1;
        if (br[k]) {
            /* a step.  Steeper than its neighbours: the O clock jumped ahead once and
             * ran at their rate the rest of the time, so it is slower than the bridge
             * by the difference.  Flatter: the R clock jumped, and over the R times it
             * skipped the map of the true clocks is flat: only monotonicity. */
            int64_t normal = -1; /* the slowest neighbour's rate, 1e-12 */
            bool steep = true;
            for (int d = -1; d <= 1; d += 2) {
                size_t j = k;
                while ((d < 0 ? j > 0 : j + 1 < m) && br[j = (size_t)((ptrdiff_t)j + d)])
                    ;
                if (j == k || br[j]) continue;
                if (dec_cmp(p->seg[j].slope, s->slope) >= 0) steep = false;
                int64_t r =
                    ppt_ceil(p->seg[j].slope) - PW_RHO0_PPT - (unc[j] >= 0 ? unc[j] : PW_RHO0_PPT);
                if (normal < 0 || r < normal) normal = r;
            }
            if (steep && normal > 0 && cap - normal < cap) s->rho = cap - normal;
            continue;
        }
        /* the nearest ordinary segments on either side: a drift change makes the true
         * rate bend inside this segment as far as their slopes; and the true rate is no
         * further from the map's than this segment's points allow, or than theirs allow
         * theirs (a short segment pins little) */
        ts_dec bend = dec_i64(0);
        int64_t nb[2] = {-1, -1};
        for (int d = -1; d <= 1; d += 2) {
            size_t j = k;
            while ((d < 0 ? j > 0 : j + 1 < m) && br[j = (size_t)((ptrdiff_t)j + d)])
                ;
            if (j == k || br[j]) continue;
            ts_dec diff = dec_sub(s->slope, p->seg[j].slope);
            if (dec_sign(diff) < 0) diff = dec_neg(diff);
            if (dec_cmp(diff, bend) > 0) bend = diff;
            for (int u = 0; u < 2; u++)
                if (unc[u * m + j] >= 0 && unc[u * m + j] > nb[u]) nb[u] = unc[u * m + j];
        }
        int64_t e[2];
        for (int u = 0; u < 2; u++) {
            int64_t own = unc[u * m + k];
            e[u] = own < 0 ? nb[u] : nb[u] < 0 || own < nb[u] ? own : nb[u];
        }
        int64_t bd = ppt_ceil(bend);
        if (e[0] >= 0 && PW_RHO0_PPT + bd + e[0] < cap) s->rho = PW_RHO0_PPT + bd + e[0];
        if (e[1] >= 0 && PW_RHO0_PPT + bd + e[1] < RHO_INF) s->rho_up = PW_RHO0_PPT + bd + e[1];
        /* and outside steps the clocks' relative rate stays within the ordinary slopes
         * (what the segments assume): a segment that pins its rate poorly (a single
         * exchange) gets no more than that */
        int64_t lo =
            cap -
            ppt_ceil(dec_div(dec_i64(PW_NORMAL_DEN), dec_i64(PW_NORMAL_DEN + 1), TS_DEC_DIGITS)) +
            1;
        int64_t hi =
            ppt_ceil(dec_div(dec_i64(PW_NORMAL_DEN + 1), dec_i64(PW_NORMAL_DEN), TS_DEC_DIGITS)) -
            cap + 1;
        if (lo > 0 && s->rho > lo) s->rho = lo;
        if (hi > 0 && (s->rho_up < 0 || s->rho_up > hi)) s->rho_up = hi;
    }
    free(unc);
    free(br);
    free(amin);
    free(hm);
    return true;
}

static int64_t anchor(const pw_pair *p, size_t k)
{
    return k ? p->seg[k].kx : p->px0;
}

/* P (up = false) or Pup (up = true) at x, x in segment k's domain; 1e-12 ns */
static i128 pf(const pw_pair *p, size_t k, int64_t x, bool up)
{
    const pw_seg *s = &p->seg[k];
    i128 dx = (i128)x - anchor(p, k);
    return up ? p->pat[p->nseg + k] + (i128)(s->rho_up < 0 ? RHO_INF : s->rho_up) * dx
              : p->pat[k] + (i128)s->rho * dx;
}

static bool pfun_init(pw_pair *p)
{
    free(p->pat);
    p->pat = malloc(2 * p->nseg * sizeof *p->pat);
    if (!p->pat) return false;
    p->px0 = p->u[0].x < p->l[0].x ? p->u[0].x : p->l[0].x;
    p->pat[0] = p->pat[p->nseg] = 0;
    for (size_t k = 1; k < p->nseg; k++) {
        p->pat[k] = pf(p, k - 1, p->seg[k].kx, false);
        p->pat[p->nseg + k] = pf(p, k - 1, p->seg[k].kx, true);
    }
    return true;
}

/* corrected slack of a point of segment k, ns, rounded up: U: g(x) - y; L: y - g(x) */
static bool slack(const pw_pair *p, size_t k, pwpt q, bool o_to_r, int64_t *out)
{
    int64_t g;
    if (!linmap_eval(&p->seg[k].lm, q.x, &g)) return false;
    *out = o_to_r ? g + 1 - q.y : q.y - g;
    if (*out < 0) *out = 0;
    return true;
}

#define KINF (((i128)1) << 120) /* no cone */

static int64_t ns_of(i128 v) /* 1e-12 ns -> ns, rounded up; -1 if unbounded */
{
    if (v >= KINF / 2) return -1;
    if (v < 0) return 0;
    if (v <= (i128)UINT64_MAX) { /* bounds under 18 ms: a 64-bit division */
        uint64_t u = (uint64_t)v;
        return (int64_t)(u / 1000000000000ULL + (u % 1000000000000ULL != 0));
    }
    i128 ns = ceil_div(v, E12);
    return ns > ((i128)1 << 62) ? -1 : (int64_t)ns;
}

static i128 kmax(i128 a, i128 b)
{
    return a > b ? a : b;
}

/* the running maximum of a bound (-1 = unbounded absorbs) */
static void bmax(int64_t *m, int64_t v)
{
    if (*m < 0) return;
    if (v < 0 || v > *m) *m = v;
}

static void bounds_release(pw_pair *p)
{
    free(p->fu);
    p->fu = p->bl = NULL;
    free(p->ustart);
    p->ustart = p->lstart = NULL;
}

/* any segment from a to b (inclusive) whose rho_up is unbounded? */
static bool up_unbounded(const pw_pair *p, size_t a, size_t b)
{
    for (size_t k = a; k <= b && k < p->nseg; k++)
        if (p->seg[k].rho_up < 0) return true;
    return false;
}

/* below (EL) and above (EH) the map at t in segment k, in 1e-12 ns (KINF: unbounded):
 * from the running minimum c of the keys (have: some point counts), else the
 * extrapolation from the first U / last L point */
static i128 el_raw(const pw_pair *p, size_t k, int64_t t, bool have, i128 c)
{
    if (have) return c >= KINF / 2 ? KINF : pf(p, k, t, false) + c;
    if (p->ext_ku == SIZE_MAX || up_unbounded(p, k, p->ext_ku)) return KINF;
    return p->ext_u - pf(p, k, t, true);
}

static i128 eh_raw(const pw_pair *p, size_t k, int64_t t, bool have, i128 c)
{
    if (have) return c >= KINF / 2 ? KINF : c - pf(p, k, t, false);
    if (p->ext_kl == SIZE_MAX || up_unbounded(p, p->ext_kl, k)) return KINF;
    return p->ext_l + pf(p, k, t, true);
}

/* a bound in the other host's time: divided by the slowest rate, slope - rho, but at
 * least half the slope (a clock never runs at half speed; where the rate allowance is
 * that large, a clock step is the reason, and a step only shortens the other way). */
static int64_t conv_one(const pw_seg *s, int64_t v)
{
    if (v < 0) return -1;
    i128 sl = (i128)ppt_ceil(s->slope) - 1; /* 1e-12 units, rounded down */
    i128 rate = sl - s->rho;
    if (rate < sl / 2) rate = sl / 2;
    if (rate <= 0) return -1;
    return clamp64(ceil_div((i128)v * E12, rate));
}

/* The cones, in 1e-12 ns: an O->R point (x, y) with slack a (the map above it by a,
 * rounded up) bounds how far the map is above the true clock at t >= x by
 * a + P(t) - P(x), the key a - P(x) (so: P(t) + the least key up to t); an R->O point
 * with slack b bounds how far it is below at t <= x by b + P(x) - P(t).  Before the
 * first O->R point and after the last R->O point, that point's cone at the fastest
 * rate (ext_u, ext_l).  Outliers do not count.
 *
 * One pass forward over the U points and one backward over the L points give the
 * largest bounds of every segment over [lo_r, hi_r]: between two U points the bound
 * below rises (falls while extrapolating), so its largest values are at the ends of
 * the domain and just before each U point; likewise above.  keep: also store the
 * running minima (fu, bl) for pw_bound_at. */
static bool sweep_bounds(pw_pair *p, int64_t lo_r, int64_t hi_r, bool keep)
{
    size_t m = p->nseg;
    bounds_release(p);
    p->ustart = malloc(2 * (m + 1) * sizeof *p->ustart);
    if (keep) p->fu = malloc((p->nu + p->nl + 1) * sizeof *p->fu);
    if (!p->ustart || (keep && !p->fu)) {
        bounds_release(p);
        return false;
    }
    p->lstart = p->ustart + m + 1;
    if (keep) p->bl = p->fu + p->nu;
    p->ext_u = p->ext_l = KINF;
    p->ext_ku = p->ext_kl = SIZE_MAX;
    /* the first U point kept and the last L point kept, for the extrapolations */
    for (size_t i = 0; i < p->nu && p->ext_ku == SIZE_MAX; i++) {
        size_t k = pw_seg_at(p, p->u[i].x);
        int64_t sl;
        if ((p->nout && pw_left_out(p, p->u[i], true)) || !slack(p, k, p->u[i], true, &sl))
            continue;
        p->ext_u = (i128)sl * E12 + pf(p, k, p->u[i].x, true);
        p->ext_ku = k;
    }
    for (size_t i = p->nl; i-- > 0 && p->ext_kl == SIZE_MAX;) {
        size_t k = pw_seg_at(p, p->l[i].x);
        int64_t sl;
        if ((p->nout && pw_left_out(p, p->l[i], false)) || !slack(p, k, p->l[i], false, &sl))
            continue;
        p->ext_l = (i128)sl * E12 - pf(p, k, p->l[i].x, true);
        p->ext_kl = k;
    }
    /* below the map: forward over the U points */
    size_t i = 0;
    bool have = false;
    i128 pm = KINF;
    for (size_t k = 0; k < m; k++) {
        pw_seg *s = &p->seg[k];
        int64_t e = k + 1 < m ? p->seg[k + 1].kx : INT64_MAX; /* domain [kx, e) */
        int64_t a = k ? s->kx : lo_r, b = k + 1 < m ? e - 1 : hi_r;
        if (a < lo_r) a = lo_r;
        if (b > hi_r) b = hi_r;
        bool inr = a <= b;
        p->ustart[k] = i;
        i128 best = inr ? el_raw(p, k, a, have, pm) : 0;
        for (; i < p->nu && p->u[i].x < e; i++) {
            pwpt q = p->u[i];
            int64_t sl;
            if ((p->nout && pw_left_out(p, q, true)) || !slack(p, k, q, true, &sl)) {
                if (keep) p->fu[i] = pm;
                continue;
            }
            s->nu++;
            if (q.x < s->first_x) s->first_x = q.x;
            if (q.x > s->last_x) s->last_x = q.x;
            i128 px = pf(p, k, q.x, false);
            if (inr && q.x >= a && q.x <= b)
                best = kmax(best, el_raw(p, k, q.x, have, pm)); /* left limit */
            i128 v = (i128)sl * E12 - px;
            if (v < pm) pm = v;
            have = true;
            if (keep) p->fu[i] = pm;
        }
        if (inr) best = kmax(best, el_raw(p, k, b, have, pm));
        s->max_lo = inr ? ns_of(best) : 0;
    }
    p->ustart[m] = p->nu;
    /* above the map: backward over the L points */
    i = p->nl;
    have = false;
    i128 sm = KINF;
    for (size_t k = m; k-- > 0;) {
        pw_seg *s = &p->seg[k];
        int64_t st = k ? s->kx : INT64_MIN;
        int64_t a = k ? s->kx : lo_r, b = k + 1 < m ? p->seg[k + 1].kx - 1 : hi_r;
        if (a < lo_r) a = lo_r;
        if (b > hi_r) b = hi_r;
        bool inr = a <= b;
        p->lstart[k + 1] = i;
        i128 best = inr ? eh_raw(p, k, b, have, sm) : 0;
        for (; i > 0 && p->l[i - 1].x >= st; i--) {
            pwpt q = p->l[i - 1];
            int64_t sl;
            if ((p->nout && pw_left_out(p, q, false)) || !slack(p, k, q, false, &sl)) {
                if (keep) p->bl[i - 1] = sm;
                continue;
            }
            s->nl++;
            if (q.x < s->first_x) s->first_x = q.x;
            if (q.x > s->last_x) s->last_x = q.x;
            i128 px = pf(p, k, q.x, false);
            if (inr && q.x >= a && q.x <= b)
                best = kmax(best, eh_raw(p, k, q.x, have, sm)); /* right limit */
            i128 v = (i128)sl * E12 + px;
            if (v < sm) sm = v;
            have = true;
            if (keep) p->bl[i - 1] = sm;
        }
        if (inr) best = kmax(best, eh_raw(p, k, a, have, sm));
        s->max_hi = inr ? ns_of(best) : 0;
    }
    p->lstart[0] = 0;
    return true;
}

bool pw_bounds(pw_pair *p, int64_t range_lo, int64_t range_hi, bool keep)
{
    p->max_lo = p->max_hi = -1;
    if (!p->has_maps || !p->nseg) return true;
    size_t m = p->nseg;
    for (size_t k = 0; k < m; k++) {
        pw_seg *s = &p->seg[k];
        s->max_lo = s->max_hi = 0;
        s->nu = s->nl = 0;
        s->first_x = INT64_MAX;
        s->last_x = INT64_MIN;
    }
    if (!pfun_init(p)) return false;
    int64_t lo_r = range_lo < p->px0 ? range_lo : p->px0, hi_r = range_hi;
    if (p->u[p->nu - 1].x > hi_r) hi_r = p->u[p->nu - 1].x;
    if (p->l[p->nl - 1].x > hi_r) hi_r = p->l[p->nl - 1].x;
    if (!sweep_bounds(p, lo_r, hi_r, keep)) return false;
    p->max_lo = p->max_hi = 0;
    for (size_t k = 0; k < m; k++) {
        pw_seg *s = &p->seg[k];
        bmax(&p->max_lo, s->max_lo);
        bmax(&p->max_hi, s->max_hi);
        int64_t v = s->max_lo;
        bmax(&v, s->max_hi);
        s->max_bound = v;
        bmax(&s->max_bound, conv_one(s, v));
    }
    return true;
}

size_t pw_seg_at(const pw_pair *p, int64_t x)
{
    size_t lo = 0, hi = p->nseg;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (p->seg[mid].kx <= x)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

void pw_conv(const pw_pair *p, int64_t x, bool child_is_r, int64_t *lo, int64_t *hi)
{
    if (child_is_r) return;
    const pw_seg *s = &p->seg[pw_seg_at(p, x)];
    int64_t l = conv_one(s, *hi), h = conv_one(s, *lo); /* swapped */
    *lo = l;
    *hi = h;
}

/* number of points of a[0..n) with x below t (strict) or at most t; searched from
 * *hint (the last answer) outwards, so that times in order cost little */
static size_t count_le(const pwpt *a, size_t n, int64_t t, bool strict, size_t *hint)
{
#define BELOW(i) (strict ? a[(i)].x < t : a[(i)].x <= t)
    size_t h = *hint <= n ? *hint : n, lo, hi;
    if (h < n && BELOW(h)) { /* the answer lies above h: gallop up */
        size_t step = 1;
        lo = h + 1;
        for (;;) {
            if (n - lo <= step) {
                hi = n;
                break;
            }
            if (!BELOW(lo + step - 1)) {
                hi = lo + step - 1;
                break;
            }
            lo += step;
            step *= 2;
        }
    } else if (h > 0 && !BELOW(h - 1)) { /* below h: gallop down */
        size_t step = 1;
        hi = h - 1;
        for (;;) {
            if (hi <= step) {
                lo = 0;
                break;
            }
            if (BELOW(hi - step)) {
                lo = hi - step + 1;
                break;
            }
            hi -= step;
            step *= 2;
        }
    } else {
        return *hint = h;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (BELOW(mid))
            lo = mid + 1;
        else
            hi = mid;
    }
#undef BELOW
    return *hint = lo;
}

static size_t seg_at_near(const pw_pair *p, int64_t x, size_t *hint)
{
    size_t k = *hint < p->nseg ? *hint : 0;
    if ((k && x < p->seg[k].kx) || (k + 1 < p->nseg && x >= p->seg[k + 1].kx)) {
        if (k + 2 < p->nseg && x >= p->seg[k + 1].kx && x < p->seg[k + 2].kx)
            k++;
        else
            k = pw_seg_at(p, x);
    }
    return *hint = k;
}

void pw_bound_at_near(const pw_pair *p, int64_t x, int side, int64_t *lo, int64_t *hi, pw_cursor *c)
{
    *lo = *hi = -1;
    if (!p->fu || !p->nseg) return;
    size_t k = seg_at_near(p, x, &c->k);
    /* below: the U points up to x (before x for the limit from the left) */
    size_t n = count_le(p->u, p->nu, x, side < 0, &c->u);
    bool have = n > 0 && p->fu[n - 1] < KINF / 2;
    *lo = ns_of(el_raw(p, k, x, have, have ? p->fu[n - 1] : KINF));
    /* above: the L points from x on (after x for the limit from the right) */
    size_t b = count_le(p->l, p->nl, x, side <= 0, &c->l);
    have = b < p->nl && p->bl[b] < KINF / 2;
    *hi = ns_of(eh_raw(p, k, x, have, have ? p->bl[b] : KINF));
}

void pw_bound_at(const pw_pair *p, int64_t x, int side, int64_t *lo, int64_t *hi)
{
    pw_cursor c = {0, 0, 0};
    pw_bound_at_near(p, x, side, lo, hi, &c);
}

int64_t *pw_breakpoints(const pw_pair *p, size_t *n)
{
    size_t cap = p->nu + p->nl + p->nseg + 1;
    int64_t *v = malloc(cap * sizeof *v);
    if (!v) return NULL;
    size_t c = 0;
    for (size_t i = 0; i < p->nu; i++) v[c++] = p->u[i].x;
    for (size_t i = 0; i < p->nl; i++) v[c++] = p->l[i].x;
    for (size_t k = 1; k < p->nseg; k++) v[c++] = p->seg[k].kx;
    qsort(v, c, sizeof *v, cmp_i64);
    size_t w = 0;
    for (size_t i = 0; i < c; i++)
        if (!w || v[i] != v[w - 1]) v[w++] = v[i];
    *n = w;
    return v;
}

/* ---- solve -------------------------------------------------------------------------- */

ts_status pw_solve(pw_pair *p, ts_hull *single, ts_error *err)
{
    p->nseg = p->npool = p->nout = 0;
    p->isolated = p->conflicts = p->rounded = 0;
    p->single = false;
    p->has_maps = false;
    p->max_lo = p->max_hi = -1;
    bounds_release(p);
    p->back.n = p->fwd.n = 0;
    sort_pts(p->u, p->nu);
    sort_pts(p->l, p->nl);
    if (p->nu + p->nl == 0) {
        p->quality = TS_SYNC_ABSENT;
        return TS_OK;
    }
    if (p->nu == 0 || p->nl == 0) {
        p->quality = TS_SYNC_INCOMPLETE;
        return TS_OK;
    }
    /* the overall slope: from the first to the last point */
    pwpt a = p->u[0].x <= p->l[0].x ? p->u[0] : p->l[0];
    pwpt b = p->u[p->nu - 1].x >= p->l[p->nl - 1].x ? p->u[p->nu - 1] : p->l[p->nl - 1];
    p->sref = b.x > a.x && b.y > a.y ? (rat){(i128)b.y - a.y, (i128)b.x - a.x} : (rat){1, 1};
    ts_hull last;
    hull_init(&last, false);
    ts_status st = forward(p, &last, err);
    if (st) {
        hull_free(&last);
        return st;
    }
    if (p->nout) qsort(p->out, p->nout, sizeof *p->out, cmp_out);
    p->has_maps = build_maps(p, &last);
    if (single && p->nseg == 1 && p->nout == 0) { /* the single line's hull, as it is */
        ts_hull t = *single;
        *single = last;
        last = t;
        p->single = true;
    }
    hull_free(&last);
    p->quality = TS_SYNC_ACCURATE;
    for (size_t k = 0; k < p->nseg; k++)
        if (!p->seg[k].has_amax || !p->seg[k].has_amin) p->quality = TS_SYNC_APPROXIMATE;
    if (!p->has_maps) return TS_OK;
    if (!compute_rho(p)) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    /* the outliers' latencies once corrected (R time) */
    for (size_t i = 0; i < p->nout; i++) {
        pw_outlier *o = &p->out[i];
        int64_t fy;
        if (pwmap_eval(&p->fwd, o->y, &fy)) o->latency_ns = o->o_to_r ? o->x - fy : fy - o->x;
    }
    return TS_OK;
}
