/* Simulated clocks: knots, exact and incremental evaluation, construction from a spec. */
#include "sim/clock.h"

#include <stdlib.h>
#include <string.h>

#define MAX_KNOTS (8u << 20)

void clockfn_free(sim_clockfn *f)
{
    free(f->k);
    f->k = NULL;
    f->n = f->cap = 0;
}

int clockfn_push(sim_clockfn *f, int64_t t, int64_t c)
{
    if (f->n == f->cap) {
        size_t ncap = f->cap ? f->cap * 2 : 64;
        sim_knot *nk = realloc(f->k, ncap * sizeof *nk);
        if (!nk) return -1;
        f->k = nk;
        f->cap = ncap;
    }
    f->k[f->n].t = t;
    f->k[f->n].c = c;
    f->n++;
    return 0;
}

static int64_t floor_div128(__int128 a, int64_t b)
{
    __int128 q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return (int64_t)q;
}

/* Last knot index i with k[i].t <= t, or -1 if t precedes every knot. */
static long find_seg(const sim_clockfn *f, int64_t t)
{
    long lo = 0, hi = (long)f->n - 1, ans = -1;
    while (lo <= hi) {
        long mid = lo + (hi - lo) / 2;
        if (f->k[mid].t <= t) {
            ans = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return ans;
}

int64_t clockfn_eval(const sim_clockfn *f, int64_t t)
{
    if (!f->n) return t;
    long i = find_seg(f, t);
    if (i < 0) return f->k[0].c + (t - f->k[0].t);
    if ((size_t)i == f->n - 1) return f->k[i].c + (t - f->k[i].t);
    const sim_knot *a = &f->k[i], *b = &f->k[i + 1];
    __int128 num = (__int128)(t - a->t) * (b->c - a->c);
    return a->c + floor_div128(num, b->t - a->t);
}

size_t clockfn_first_bad(const sim_clockfn *f)
{
    for (size_t i = 1; i < f->n; i++) {
        if (f->k[i].t < f->k[i - 1].t || f->k[i].c <= f->k[i - 1].c) return i;
    }
    return 0;
}

void clock_cursor_init(clock_cursor *cc, const sim_clockfn *f)
{
    memset(cc, 0, sizeof *cc);
    cc->f = f;
}

int64_t clock_cursor_eval_slow(clock_cursor *cc, int64_t t)
{
    const sim_clockfn *f = cc->f;
    cc->valid = 1;
    cc->t_last = t;
    cc->q = 0;
    cc->rem = 0;
    long i = f->n ? find_seg(f, t) : -1;
    if (i < 0 || (size_t)i == f->n - 1) {
        /* Outside the knots: slope 1 from the nearest knot. */
        int64_t t0 = f->n ? (i < 0 ? f->k[0].t : f->k[i].t) : 0;
        int64_t c0 = f->n ? (i < 0 ? f->k[0].c : f->k[i].c) : 0;
        cc->seg = i < 0 ? 0 : (size_t)i;
        cc->t_i = t0;
        cc->c_i = c0;
        cc->t_next = i < 0 ? (f->n ? f->k[0].t : INT64_MAX) : INT64_MAX;
        cc->dt = 1;
        cc->s = 0;
        if (i < 0) cc->valid = 0; /* rare: do not cache before the first knot */
        return c0 + (t - t0);
    }
    const sim_knot *a = &f->k[i], *b = &f->k[i + 1];
    cc->seg = (size_t)i;
    cc->t_i = a->t;
    cc->c_i = a->c;
    cc->t_next = b->t;
    cc->dt = b->t - a->t;
    cc->s = (b->c - a->c) - cc->dt;
    __int128 num = (__int128)(t - a->t) * cc->s;
    cc->q = floor_div128(num, cc->dt);
    cc->rem = (int64_t)(num - (__int128)cc->q * cc->dt);
    return a->c + (t - a->t) + cc->q;
}

/* ---- construction ------------------------------------------------------ */

typedef struct tl {
    int64_t *v;
    size_t n, cap;
} tl;

static int tl_push(tl *l, int64_t x)
{
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 64;
        if (ncap > MAX_KNOTS * 4) return -1;
        int64_t *nv = realloc(l->v, ncap * sizeof *nv);
        if (!nv) return -1;
        l->v = nv;
        l->cap = ncap;
    }
    l->v[l->n++] = x;
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Piecewise-linear random walk sampled at multiples of `interval`. */
typedef struct walk {
    int64_t interval;
    int64_t *val; /* val[k] at k * interval */
    size_t n;
} walk;

static int walk_make(walk *w, int64_t span, int64_t interval, int64_t lo, int64_t hi,
                     int first_zero, sim_rng *rng)
{
    w->interval = interval;
    w->n = (size_t)(span / interval) + 2;
    if (w->n > MAX_KNOTS) return -1;
    w->val = malloc(w->n * sizeof *w->val);
    if (!w->val) return -1;
    for (size_t k = 0; k < w->n; k++)
        w->val[k] = (k == 0 && first_zero) ? 0 : rng_range(rng, lo, hi);
    return 0;
}

static int64_t walk_eval(const walk *w, int64_t t)
{
    if (!w->val) return 0;
    size_t k = (size_t)(t / w->interval);
    if (k + 1 >= w->n) return w->val[w->n - 1];
    int64_t t0 = (int64_t)k * w->interval;
    int64_t a = w->val[k], b = w->val[k + 1];
    return a + floor_div128((__int128)(t - t0) * (b - a), w->interval);
}

static int64_t base_eval(const sim_clock_spec *s, int64_t t)
{
    /* offset + integral of the drift (ppb) over [0, t] */
    __int128 acc = 0;
    int64_t from = 0, ppb = s->drift_ppb;
    for (size_t i = 0; i < s->nslews && s->slews[i].at < t; i++) {
        acc += (__int128)(s->slews[i].at - from) * ppb;
        from = s->slews[i].at;
        ppb = s->slews[i].ppb;
    }
    acc += (__int128)(t - from) * ppb;
    int64_t v = s->offset + floor_div128(acc, 1000000000);
    for (size_t i = 0; i < s->nsteps; i++)
        if (s->steps[i].at <= t) v += s->steps[i].delta;
    return v;
}

static int64_t osc_eval(const sim_clock_spec *s, int64_t t)
{
    if (s->osc_amp == 0 || s->osc_period <= 0) return 0;
    int64_t ph = t % s->osc_period;
    int64_t rise = s->osc_period - s->osc_snap;
    if (ph <= rise) return floor_div128((__int128)s->osc_amp * ph, rise);
    return floor_div128((__int128)s->osc_amp * (s->osc_period - ph), s->osc_snap);
}

/* The error of a followed clock at t: just before and from t on (they differ at a step). */
static void follow_err(const sim_clockfn *f, int64_t t, int64_t *pre, int64_t *post)
{
    *post = clockfn_eval(f, t) - t;
    *pre = *post;
    size_t lo = 0, hi = f->n; /* first knot with k.t >= t */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->k[mid].t < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo + 1 < f->n && f->k[lo].t == t && f->k[lo + 1].t == t) *pre = f->k[lo].c - t;
}

ts_status clock_build(const sim_clock_spec *spec, const sim_clockfn *follow, int64_t origin,
                      int64_t span, sim_rng *rng, sim_clockfn *out, ts_error *err)
{
    ts_status st = TS_OK;
    tl bp = {0};
    walk wander = {0}, jit = {0};
    memset(out, 0, sizeof *out);
    if (spec->wander > 0) {
        if (walk_make(&wander, span, spec->wander_interval, -spec->wander / 2, spec->wander / 2, 1,
                      rng))
            goto toomany;
    }
    if (spec->jitter > 0) {
        if (walk_make(&jit, span, spec->jitter_interval, -spec->jitter, spec->jitter, 0, rng))
            goto toomany;
    }
    if (tl_push(&bp, 0) || tl_push(&bp, span)) goto nomem;
    for (size_t i = 0; i < spec->nslews; i++)
        if (spec->slews[i].at > 0 && spec->slews[i].at < span && tl_push(&bp, spec->slews[i].at))
            goto nomem;
    for (size_t i = 0; i < spec->nsteps; i++)
        if (spec->steps[i].at > 0 && spec->steps[i].at < span && tl_push(&bp, spec->steps[i].at))
            goto nomem;
    if (wander.val)
        for (int64_t t = spec->wander_interval; t < span; t += spec->wander_interval)
            if (tl_push(&bp, t)) goto toomany;
    if (jit.val)
        for (int64_t t = spec->jitter_interval; t < span; t += spec->jitter_interval)
            if (tl_push(&bp, t)) goto toomany;
    if (spec->osc_amp && spec->osc_period > 0) {
        for (int64_t t = 0; t < span; t += spec->osc_period) {
            if (tl_push(&bp, t) || tl_push(&bp, t + spec->osc_period - spec->osc_snap))
                goto toomany;
        }
    }
    if (follow) {
        for (size_t i = 0; i < follow->n; i++) {
            int64_t t = follow->k[i].t - origin;
            if (t > 0 && t < span && tl_push(&bp, t)) goto toomany;
        }
    }
    if (bp.n > MAX_KNOTS) goto toomany;
    if (bp.n) qsort(bp.v, bp.n, sizeof *bp.v, cmp_i64);
    for (size_t i = 0; i < bp.n; i++) {
        int64_t t = bp.v[i];
        if (i > 0 && t == bp.v[i - 1]) continue;
        if (t < 0 || t > span) continue;
        int64_t own =
            base_eval(spec, t) + walk_eval(&wander, t) + osc_eval(spec, t) + walk_eval(&jit, t);
        int64_t own_step = 0;
        for (size_t j = 0; j < spec->nsteps; j++)
            if (spec->steps[j].at == t && t > 0) own_step += spec->steps[j].delta;
        int64_t fpre = 0, fpost = 0;
        if (follow) follow_err(follow, origin + t, &fpre, &fpost);
        int64_t post = own + fpost, pre = own - own_step + fpre;
        /* a step (ours or the followed clock's): the value just before, then after */
        if (pre != post && t > 0 && clockfn_push(out, origin + t, origin + t + pre)) goto nomem;
        if (clockfn_push(out, origin + t, origin + t + post)) goto nomem;
    }
    goto done;
nomem:
    st = ts_error_set(err, TS_ERR_NOMEM, "out of memory building a clock");
    goto done;
toomany:
    st = ts_error_set(err, TS_ERR_ARG, "clock needs more than %u knots (interval too short)",
                      MAX_KNOTS);
done:
    free(bp.v);
    free(wander.val);
    free(jit.val);
    if (st != TS_OK) clockfn_free(out);
    return st;
}
