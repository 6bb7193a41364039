/* Piecewise-linear synchronization of one pair (src/sync/pw.c) on synthetic clocks
 * whose truth is known: drift changes, forward steps, oscillation, sparse and dense
 * exchanges, corrupted timestamps; and piecewise maps (composition). */
#include "unit.h"

#include "sim/rng.h"
#include "sync/pw.h"
#include "tracesync/sync.h"

#include <stdio.h>
#include <stdlib.h>

#define T0 1700000000000000000LL

/* A clock: piecewise linear in true time through knots (t, c); slope 1 outside;
 * equal t = a forward step.  c(t) = c_i + floor((t - t_i) * dc / dt). */
typedef struct tclock {
    int n;
    int64_t t[64], c[64];
} tclock;

static int64_t fdiv(__int128 a, __int128 b)
{
    __int128 q = a / b;
    if (a % b != 0 && ((a < 0) != (b < 0))) q--;
    return (int64_t)q;
}

static int64_t clk(const tclock *k, int64_t t)
{
    if (t < k->t[0]) return k->c[0] + (t - k->t[0]);
    for (int i = k->n - 1; i >= 0; i--) {
        if (t < k->t[i]) continue;
        if (i == k->n - 1) return k->c[i] + (t - k->t[i]);
        return k->c[i] +
               fdiv((__int128)(t - k->t[i]) * (k->c[i + 1] - k->c[i]), k->t[i + 1] - k->t[i]);
    }
    return 0;
}

/* knots from a list of (duration from the previous knot, drift ppb after it, step) */
typedef struct piece {
    int64_t len, ppb, step;
} piece;

static void build(tclock *k, int64_t off, const piece *pc, int n)
{
    int64_t t = T0, c = T0 + off;
    k->n = 0;
    k->t[k->n] = t;
    k->c[k->n++] = c;
    for (int i = 0; i < n; i++) {
        t += pc[i].len;
        c += pc[i].len + fdiv((__int128)pc[i].len * pc[i].ppb, 1000000000);
        k->t[k->n] = t;
        k->c[k->n++] = c;
        if (pc[i].step) {
            c += pc[i].step;
            k->t[k->n] = t;
            k->c[k->n++] = c;
        }
    }
}

typedef struct gen {
    sim_rng rng;
    int64_t lat_min, lat_spread; /* latency = min + spread * u^3 */
} gen;

static int64_t latency(gen *g)
{
    double u = (double)rng_below(&g->rng, 1000000) / 1e6;
    return g->lat_min + (int64_t)((double)g->lat_spread * u * u * u);
}

/* messages between R (true time) and O (clock k) over [T0, T0 + span), one every
 * `gap` ns on average, alternating directions (or in bursts when burst > 1) */
static void feed(pw_pair *p, const tclock *k, gen *g, int64_t span, int64_t gap, int burst)
{
    int64_t t = T0;
    int dir = 0, left = burst;
    while (t < T0 + span) {
        t += 1 + (int64_t)rng_below(&g->rng, (uint64_t)(2 * gap));
        int64_t lat = latency(g);
        if (dir) /* O -> R: sent on O at t, received on R at t + lat */
            pw_add(p, true, t + lat, clk(k, t));
        else /* R -> O */
            pw_add(p, false, t, clk(k, t + lat));
        if (--left <= 0) {
            dir = !dir;
            left = burst;
        }
    }
}

typedef struct check_res {
    int64_t worst_err, worst_bound;
    uint64_t negative, points;
} check_res;

/* every kept point consistent with the maps, the maps continuous and increasing, the
 * truth within the bounds at every point, knot and in between */
static int check_pair(pw_pair *p, const tclock *k, int64_t span, check_res *res, char *why,
                      size_t whylen)
{
    memset(res, 0, sizeof *res);
    if (!p->has_maps) return snprintf(why, whylen, "no maps"), 0;
    /* consistency through the forward map (what FORMULAS carries) */
    for (int d = 0; d < 2; d++) {
        const pwpt *a = d ? p->u : p->l;
        size_t n = d ? p->nu : p->nl;
        for (size_t i = 0; i < n; i++) {
            bool out = false;
            for (size_t j = 0; j < p->nout; j++)
                if (p->out[j].x == a[i].x && p->out[j].y == a[i].y && p->out[j].o_to_r == d)
                    out = true;
            if (out) continue;
            int64_t fy;
            if (!pwmap_eval(&p->fwd, a[i].y, &fy)) return snprintf(why, whylen, "eval"), 0;
            int64_t lat = d ? a[i].x - fy : fy - a[i].x;
            res->points++;
            if (lat < 0) res->negative++;
        }
    }
    /* continuity and monotonicity at every knot, both maps */
    for (int d = 0; d < 2; d++) {
        const pwmap *m = d ? &p->fwd : &p->back;
        for (size_t i = 1; i < m->n; i++) {
            int64_t s = m->start[i], a, b, c;
            if (!pwmap_eval(m, s - 1, &a) || !pwmap_eval(m, s, &b) ||
                !linmap_eval(&m->lm[i - 1], s, &c))
                return snprintf(why, whylen, "eval"), 0;
            if (a > b)
                return snprintf(why, whylen, "map %d runs backwards at %lld", d, (long long)s), 0;
            /* the previous piece evaluated past a knot that is not an integer moves
             * away by up to the slope change */
            int64_t tol = 1;
            ts_dec ds = dec_sub(m->lm[i - 1].slope, m->lm[i].slope);
            int64_t dd;
            if (dec_ceil_i64(dec_sign(ds) < 0 ? dec_neg(ds) : ds, &dd)) tol += dd;
            if (c - b > tol || b - c > tol)
                return snprintf(why, whylen, "map %d jumps %lld ns at %lld", d, (long long)(c - b),
                                (long long)s),
                       0;
        }
    }
    /* the truth within the bounds: at every breakpoint (both limits), every truth knot,
     * and a grid */
    size_t nb;
    int64_t *bp = pw_breakpoints(p, &nb);
    /* before the first O->R match and after the last R->O match the bounds assume that
     * no clock steps there: skip the instants a step separates from those matches */
    int64_t first_u = p->u[0].x, last_l = p->l[p->nl - 1].x;
    size_t ntest = nb * 2 + (size_t)k->n + 2001;
    for (size_t i = 0; i < ntest; i++) {
        int64_t x;
        int side = 0;
        if (i < 2 * nb) {
            x = bp[i / 2];
            side = i % 2 ? 1 : -1;
        } else if (i < 2 * nb + (size_t)k->n) {
            x = k->t[i - 2 * nb];
        } else {
            x = T0 + span * (int64_t)(i - 2 * nb - (size_t)k->n) / 2000;
        }
        if (x < T0 || x > T0 + span) continue;
        int64_t g, lo, hi;
        if (!pwmap_eval(&p->back, x, &g)) return snprintf(why, whylen, "eval"), 0;
        pw_bound_at(p, x, side, &lo, &hi);
        /* the true value lies in [clk, clk + 1) and g in [g, g + 1); at a step the clock
         * may take either value (the limit from the left is the one before) */
        int64_t tru = clk(k, x), tru_l = clk(k, x - 1) + 1;
        int64_t err = tru - g;
        if ((err < 0 ? -err : err) > res->worst_err) res->worst_err = err < 0 ? -err : err;
        int64_t bnd = lo > hi ? lo : hi;
        if (lo < 0 || hi < 0) bnd = -1;
        if (bnd > res->worst_bound) res->worst_bound = bnd;
        bool skip_lo = false, skip_hi = false;
        for (int j = 1; j < k->n; j++)
            if (k->t[j] == k->t[j - 1]) {
                if (k->t[j] >= x && k->t[j] <= first_u) skip_lo = true;
                if (k->t[j] > last_l && k->t[j] <= x) skip_hi = true;
            }
        if ((!skip_lo && lo >= 0 && tru + 1 < g - lo && (side >= 0 || tru_l + 1 < g - lo)) ||
            (!skip_hi && hi >= 0 && tru > g + 1 + hi && side >= 0)) {
            free(bp);
            return snprintf(why, whylen,
                            "at +%lld ns (side %d): truth %lld, map %lld, bounds -%lld +%lld",
                            (long long)(x - T0), side, (long long)tru, (long long)g, (long long)lo,
                            (long long)hi),
                   0;
        }
    }
    free(bp);
    return 1;
}

static void run_case(const char *name, const piece *pc, int npc, int64_t span, int64_t gap,
                     int64_t lat_min, int64_t lat_spread, int burst, uint64_t seed,
                     size_t *nseg_out, check_res *res_out, int *ok)
{
    tclock k;
    build(&k, 123456789, pc, npc);
    pw_pair p;
    pw_init(&p, true);
    gen g = {.lat_min = lat_min, .lat_spread = lat_spread};
    rng_seed(&g.rng, seed, 0);
    feed(&p, &k, &g, span, gap, burst);
    ts_error err;
    *ok = 0;
    if (pw_solve(&p, NULL, &err) || !pw_bounds(&p, T0, T0 + span, true)) {
        printf("    %s: solve failed\n", name);
        pw_free(&p);
        return;
    }
    char why[256] = "";
    check_res res;
    *ok = check_pair(&p, &k, span, &res, why, sizeof why);
    if (!*ok || res.negative)
        printf("    %s: %zu segments, %llu isolated, %llu conflicts, %llu rounded: %s; %llu "
               "negative\n",
               name, p.nseg, (unsigned long long)p.isolated, (unsigned long long)p.conflicts,
               (unsigned long long)p.rounded, why, (unsigned long long)res.negative);
    if (nseg_out) *nseg_out = p.nseg;
    if (res_out) *res_out = res;
    if (p.isolated || p.conflicts) *ok = *ok && 1;
    pw_free(&p);
}

TEST(pw_linear_one_segment_same_as_hull)
{
    /* constant drift: one segment, and the very formula of the linear hull */
    const piece pc[1] = {{3600000000000LL, 37000, 0}};
    tclock k;
    build(&k, -5000000, pc, 1);
    pw_pair p;
    pw_init(&p, true);
    ts_hull h;
    hull_init(&h, false);
    gen g = {.lat_min = 20000, .lat_spread = 500000};
    rng_seed(&g.rng, 5, 0);
    for (int i = 0; i < 20000; i++) {
        int64_t t = T0 + (int64_t)rng_below(&g.rng, 3600000000000ULL);
        int64_t lat = latency(&g);
        bool o_to_r = i % 3 == 0;
        int64_t x = o_to_r ? t + lat : t, y = o_to_r ? clk(&k, t) : clk(&k, t + lat);
        pw_add(&p, o_to_r, x, y);
        hull_add(&h, o_to_r, x, y);
    }
    ts_error err;
    CHECK(!pw_solve(&p, NULL, &err));
    CHECK(pw_bounds(&p, T0, T0 + 3600000000000LL, true));
    CHECK_EQ_U64(p.nseg, 1);
    CHECK_EQ_U64(p.isolated + p.conflicts, 0);
    CHECK_EQ_I64(p.quality, TS_SYNC_ACCURATE);
    ts_dec fs, fo, bs, bo;
    CHECK(hull_maps(&h, &fs, &fo, &bs, &bo));
    CHECK(p.fwd.n == 1 && p.back.n == 1);
    CHECK(dec_cmp(p.fwd.lm[0].slope, fs) == 0 && dec_cmp(p.fwd.lm[0].offset, fo) == 0);
    CHECK(dec_cmp(p.back.lm[0].slope, bs) == 0 && dec_cmp(p.back.lm[0].offset, bo) == 0);
    /* the truth within the bounds, and the bounds are tight: near the smallest latency
     * (20 us) wherever exchanges are around; only near the first O->R and the last
     * R->O match do they grow to those matches' latencies (at most 520 us) */
    check_res res;
    char why[256];
    CHECK_MSG(check_pair(&p, &k, 3600000000000LL, &res, why, sizeof why), "%s", why);
    CHECK_EQ_U64(res.negative, 0);
    CHECK_MSG(res.worst_bound <= 520000, "bound %lld", (long long)res.worst_bound);
    for (int i = 1; i < 100; i++) {
        int64_t lo, hi;
        pw_bound_at(&p, T0 + 36000000000LL * i, 0, &lo, &hi);
        CHECK_MSG(lo >= 0 && lo < 60000 && hi >= 0 && hi < 60000, "at %d%%: %lld %lld", i,
                  (long long)lo, (long long)hi);
    }
    CHECK_MSG(p.max_lo >= 20000 && p.max_lo <= 520000 && p.max_hi >= 20000 && p.max_hi <= 520000,
              "largest bounds %lld %lld", (long long)p.max_lo, (long long)p.max_hi);
    hull_free(&h);
    pw_free(&p);
}

TEST(pw_drift_changes_steps_oscillation)
{
    /* each case: the truth within the bounds everywhere, no negative latency, no
     * outlier, and a number of segments close to the number of true changes */
    static const piece slews[] = {{600000000000LL, 20000, 0},
                                  {900000000000LL, -15000, 0},
                                  {300000000000LL, 60000, 0},
                                  {1200000000000LL, 5000, 0}};
    static const piece steps[] = {{200000000000LL, 10000, 300000},
                                  {300000000000LL, 10000, 2000000},
                                  {400000000000LL, 10000, 0}};
    /* a sawtooth: away by 400 us over 3.85 s, back in 150 ms */
    piece osc[16];
    for (int i = 0; i < 16; i++)
        osc[i] = (piece){i % 2 ? 150000000LL : 3850000000LL, i % 2 ? -2666667 : 103896, 0};
    struct {
        const char *name;
        const piece *pc;
        int n;
        int64_t span, gap, lat_min, lat_spread;
        int burst;
        size_t max_seg;
    } cases[] = {
        {"slews, dense", slews, 4, 3000000000000LL, 20000000, 30000, 2000000, 1, 40},
        {"slews, sparse", slews, 4, 3000000000000LL, 30000000000LL, 30000, 200000, 1, 60},
        {"slews, bursts", slews, 4, 3000000000000LL, 50000000, 30000, 2000000, 7, 60},
        {"steps", steps, 3, 900000000000LL, 10000000, 20000, 100000, 1, 20},
        {"oscillation", osc, 16, 32000000000LL, 1000000, 600, 3000, 1, 200},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (uint64_t seed = 1; seed <= 3; seed++) {
            size_t nseg = 0;
            check_res res;
            int ok;
            run_case(cases[c].name, cases[c].pc, cases[c].n, cases[c].span, cases[c].gap,
                     cases[c].lat_min, cases[c].lat_spread, cases[c].burst, seed, &nseg, &res, &ok);
            CHECK_MSG(ok, "%s, seed %llu", cases[c].name, (unsigned long long)seed);
            CHECK_MSG(res.negative == 0, "%s, seed %llu: %llu negative latencies", cases[c].name,
                      (unsigned long long)seed, (unsigned long long)res.negative);
            CHECK_MSG(nseg >= 2 && nseg <= cases[c].max_seg, "%s, seed %llu: %zu segments",
                      cases[c].name, (unsigned long long)seed, nseg);
        }
}

TEST(pw_dense_drift_changes_follow_the_clock)
{
    /* dense exchanges (one every 400 us on average) over drift changes of 20 ppm: the
     * segments end where the clock bends, not where the matches' slack finally runs
     * out -- no ringing of short segments with slopes far from any true rate, and
     * bounds near the latencies (20 to 24 us each way) */
    static const piece bends[] = {{120000000000LL, 20000, 0},
                                  {120000000000LL, -5000, 0},
                                  {120000000000LL, 15000, 0},
                                  {120000000000LL, -10000, 0}};
    for (uint64_t seed = 1; seed <= 2; seed++) {
        tclock k;
        build(&k, -3000000, bends, 4);
        pw_pair p;
        pw_init(&p, true);
        gen g = {.lat_min = 20000, .lat_spread = 4000};
        rng_seed(&g.rng, seed, 0);
        const int64_t span = 480000000000LL;
        feed(&p, &k, &g, span, 400000, 1);
        ts_error err;
        CHECK(!pw_solve(&p, NULL, &err));
        CHECK(pw_bounds(&p, T0, T0 + span, true));
        check_res res;
        char why[256];
        CHECK_MSG(check_pair(&p, &k, span, &res, why, sizeof why), "%s", why);
        CHECK_EQ_U64(res.negative, 0);
        CHECK_MSG(p.nseg <= 12, "seed %llu: %zu segments", (unsigned long long)seed, p.nseg);
        for (size_t i = 0; i < p.nseg; i++) {
            double ppm = dec_to_double(dec_sub(p.seg[i].slope, dec_i64(1))) * 1e6;
            CHECK_MSG(!p.seg[i].bridge && ppm > -100 && ppm < 100,
                      "seed %llu: segment %zu of %zu: %+.1f ppm", (unsigned long long)seed, i,
                      p.nseg, ppm);
        }
        CHECK_MSG(p.max_lo >= 0 && p.max_lo < 100000 && p.max_hi >= 0 && p.max_hi < 100000,
                  "seed %llu: largest bounds %lld %lld", (unsigned long long)seed,
                  (long long)p.max_lo, (long long)p.max_hi);
        pw_free(&p);
    }
}

TEST(pw_random_clock_histories)
{
    /* random histories: drift changes (within +-50 ppm, a tenth up to +-1000 ppm),
     * forward steps up to 500 us, dense to sparse exchanges, bursts, latencies from
     * 0.5 to 50 us with tails up to 10 times that: the map satisfies every match, is
     * continuous and increasing, and the true clock stays within the bounds.  (With
     * wilder histories -- tails of 40 times the smallest latency, drift changes of
     * 3000 ppm -- about 1 in 150 breaks the bounds somewhere: a bend or a step the
     * matches cannot see, hidden inside a segment by their latency.) */
    int fails = 0;
    for (int r = 0; r < 60; r++) {
        sim_rng g0;
        rng_seed(&g0, 1000 + (uint64_t)r, 7);
        piece pc[24];
        int n = 2 + (int)rng_below(&g0, 20);
        int64_t span = 0, scale = (int64_t)1 << rng_below(&g0, 4);
        for (int i = 0; i < n; i++) {
            pc[i].len = (int64_t)(50000000 + rng_below(&g0, 5000000000ULL)) * scale;
            pc[i].ppb = (int64_t)rng_below(&g0, 100001) - 50000;
            if (rng_below(&g0, 10) == 0) pc[i].ppb = (int64_t)rng_below(&g0, 2000001) - 1000000;
            pc[i].step = rng_below(&g0, 6) == 0 ? (int64_t)rng_below(&g0, 500000) + 1 : 0;
            span += pc[i].len;
        }
        int64_t gap = (int64_t)(100000 + rng_below(&g0, 50000000));
        int64_t lat = (int64_t)(500 + rng_below(&g0, 50000));
        int burst = 1 + (int)rng_below(&g0, 4);
        int64_t spread = lat * (1 + (int64_t)rng_below(&g0, 10));
        size_t nseg;
        check_res res;
        int ok;
        char name[32];
        snprintf(name, sizeof name, "history %d", r);
        run_case(name, pc, n, span, gap, lat, spread, burst, (uint64_t)r, &nseg, &res, &ok);
        if (!ok || res.negative) fails++;
    }
    CHECK_EQ_I64(fails, 0);
}

TEST(pw_outliers_left_out_and_reported)
{
    /* dense two-way exchanges on linear clocks, a few corrupted timestamps: each is
     * left out and reported (with its negative latency), none splits the map, and the
     * map is the linear hull's of the clean matches */
    const piece pc[1] = {{600000000000LL, 20000, 0}};
    tclock k;
    build(&k, 5000000, pc, 1);
    pw_pair p, q;
    pw_init(&p, true);
    pw_init(&q, false); /* detection off */
    ts_hull clean;
    hull_init(&clean, false);
    sim_rng rng;
    rng_seed(&rng, 11, 0);
    int corrupted = 0;
    for (int i = 0; i < 20000; i++) {
        int64_t t = T0 + (int64_t)rng_below(&rng, 600000000000ULL);
        int64_t lat = 30000 + (int64_t)rng_below(&rng, 200000);
        bool o_to_r = i % 2;
        int64_t x = o_to_r ? t + lat : t, y = o_to_r ? clk(&k, t) : clk(&k, t + lat);
        if (i % 4001 == 1000) { /* a send time recorded 5 ms late, a receive 3 ms early */
            y += o_to_r ? 5000000 : -3000000;
            corrupted++;
        } else {
            hull_add(&clean, o_to_r, x, y);
        }
        pw_add(&p, o_to_r, x, y);
        pw_add(&q, o_to_r, x, y);
    }
    ts_error err;
    CHECK(!pw_solve(&p, NULL, &err) && pw_bounds(&p, T0, T0 + 600000000000LL, false));
    CHECK_EQ_U64(p.isolated, (uint64_t)corrupted);
    CHECK_EQ_U64(p.conflicts, 0);
    CHECK_EQ_U64(p.nseg, 1);
    for (size_t i = 0; i < p.nout; i++) {
        CHECK(p.out[i].kind == PW_ISOLATED);
        /* corrupted by 5 ms or 3 ms: receive before send by about that much */
        CHECK_MSG(p.out[i].latency_ns < -2700000 && p.out[i].latency_ns > -5100000, "latency %lld",
                  (long long)p.out[i].latency_ns);
    }
    ts_dec fs, fo, bs, bo;
    CHECK(hull_maps(&clean, &fs, &fo, &bs, &bo));
    CHECK(dec_cmp(p.fwd.lm[0].slope, fs) == 0 && dec_cmp(p.fwd.lm[0].offset, fo) == 0);
    /* without the detection, they are constraints: the map must bend around them */
    CHECK(!pw_solve(&q, NULL, &err));
    CHECK_EQ_U64(q.isolated, 0);
    CHECK(q.nseg > 1 || q.conflicts > 0);
    hull_free(&clean);
    pw_free(&p);
    pw_free(&q);
}

TEST(pw_maps_compose)
{
    /* a o b evaluated in one step equals a evaluated on b, to within the floor of b
     * (a's slope times one ns), and stays non-decreasing */
    sim_rng rng;
    rng_seed(&rng, 3, 0);
    for (int round = 0; round < 20; round++) {
        pwmap a, b, c;
        pwmap_init(&a);
        pwmap_init(&b);
        pwmap_init(&c);
        /* continuous increasing maps: each piece starts where the previous one is */
        for (int m = 0; m < 2; m++) {
            pwmap *x = m ? &a : &b;
            int64_t st = T0;
            ts_dec val = dec_i64(T0 + (int64_t)rng_below(&rng, 1000000));
            for (int i = 0; i < 1 + (int)rng_below(&rng, 8); i++) {
                ts_dec sl =
                    dec_add(dec_i64(1), dec_div(dec_i64((int64_t)rng_below(&rng, 2001) - 1000),
                                                dec_i64(100000), 40));
                if (i)
                    val = dec_add(dec_mul(x->lm[i - 1].slope, dec_i64(st), 0), x->lm[i - 1].offset);
                CHECK(pwmap_push(x, i ? st : INT64_MIN, sl,
                                 dec_sub(val, dec_mul(sl, dec_i64(st), 0))));
                st += 1 + (int64_t)rng_below(&rng, 2000000000);
            }
        }
        CHECK(pwmap_compose(&a, &b, 40, &c));
        int64_t prev = INT64_MIN;
        for (int i = 0; i < 3000; i++) {
            int64_t t = T0 - 1000000000 + (int64_t)rng_below(&rng, 12000000000ULL), bt, abt, ct;
            if (i >= 1500) t = T0 - 1000000000 + (int64_t)(i - 1500) * 8000000; /* in order */
            CHECK(pwmap_eval(&b, t, &bt) && pwmap_eval(&a, bt, &abt) && pwmap_eval(&c, t, &ct));
            CHECK_MSG(ct - abt >= -2 && ct - abt <= 2, "a(b(%lld)) = %lld, (a o b) = %lld",
                      (long long)t, (long long)abt, (long long)ct);
            if (i >= 1500) {
                CHECK(ct >= prev);
                prev = ct;
            }
        }
        pwmap_free(&a);
        pwmap_free(&b);
        pwmap_free(&c);
    }
}

/* A piecewise synchronization (bounds kept) of traces a (the reference), b and c,
 * one host each, whose clocks k run over [T0, T0 + span) */
static const char *const abc_names[3] = {"a", "b", "c"};

static void abc_sync(const tclock k[3], int64_t span, ts_sync **out)
{
    ts_sync *s = *out = ts_sync_new(TS_SYNC_DEFAULT);
    ts_error err;
    CHECK(!ts_sync_set_method(s, TS_SYNC_METHOD_PIECEWISE, &err));
    ts_sync_keep_bounds(s, true);
    for (int i = 0; i < 3; i++)
        CHECK(!ts_sync_add_trace(s, abc_names[i], "", abc_names[i], clk(&k[i], T0),
                                 clk(&k[i], T0 + span), &err));
}

/* messages both ways between traces i and j (clocks ki, kj) over [T0, T0 + span) */
static void exchange_pw(ts_sync *s, sim_rng *rng, uint32_t i, uint32_t j, const tclock *ki,
                        const tclock *kj, int n, int64_t span, int64_t lat_lo, int64_t lat_hi)
{
    ts_error err;
    for (int q = 0; q < n; q++) {
        int64_t t = T0 + (int64_t)rng_below(rng, (uint64_t)span);
        int64_t lat = lat_lo + (int64_t)rng_below(rng, (uint64_t)(lat_hi - lat_lo));
        ts_match m;
        memset(&m, 0, sizeof m);
        bool fw = q % 2;
        m.src_trace = fw ? i : j;
        m.dst_trace = fw ? j : i;
        m.send_raw = m.send_ns = clk(fw ? ki : kj, t);
        m.recv_raw = m.recv_ns = clk(fw ? kj : ki, t + lat);
        ts_sync_add_match(s, &m, &err);
    }
}

TEST(pw_sync_tree_formulas_bounds)
{
    /* a (reference), b exchanging with a, c exchanging only with b: c's map is
     * composed over two pairs; both drift with changes and b steps */
    static const piece pa[1] = {{900000000000LL, 1000, 0}};
    static const piece pb[3] = {
        {300000000000LL, 25000, 0}, {300000000000LL, -10000, 150000}, {300000000000LL, 30000, 0}};
    static const piece pc[2] = {{450000000000LL, -40000, 0}, {450000000000LL, 5000, 0}};
    tclock k[3];
    build(&k[0], 0, pa, 1);
    build(&k[1], 2000000, pb, 3);
    build(&k[2], -7000000, pc, 2);
    const int64_t span = 900000000000LL;
    ts_sync *s;
    abc_sync(k, span, &s);
    ts_error err;
    const char *const *names = abc_names;
    sim_rng rng;
    rng_seed(&rng, 21, 0);
    exchange_pw(s, &rng, 0, 1, &k[0], &k[1], 30000, span, 20000, 200000);
    exchange_pw(s, &rng, 1, 2, &k[1], &k[2], 30000, span, 30000, 300000);
    /* the method cannot change once matches came */
    CHECK(ts_sync_set_method(s, TS_SYNC_METHOD_HULL, &err) == TS_ERR_ARG);
    ts_formulas *f = NULL;
    CHECK_MSG(!ts_sync_solve(s, 0, &f, &err), "%s", err.msg);
    ts_sync_trace_info ti;
    ts_sync_trace(s, 2, &ti);
    CHECK(ti.reachable && ti.path_len == 3 && ti.segments >= 2);
    ts_formula_info fi;
    ts_formulas_get(f, (size_t)ts_formulas_find(f, "c"), &fi);
    CHECK_EQ_U64(fi.nsegments, ti.segments);
    for (size_t i = 0; i < ts_sync_pair_count(s); i++) {
        ts_sync_pair_info pi;
        ts_sync_pair(s, i, &pi);
        CHECK(pi.segments >= 2 && pi.hull_quality == TS_SYNC_FAIL && pi.in_tree);
        CHECK_EQ_U64(pi.outliers + pi.conflicts, 0);
    }
    /* the truth within the bounds at many instants, for b (one pair) and c (two) */
    for (uint32_t tr = 1; tr <= 2; tr++) {
        int64_t worst = 0;
        for (int i = 0; i <= 3000; i++) {
            int64_t t = T0 + span / 100 + (span - span / 50) * i / 3000; /* true time */
            int64_t own = clk(&k[tr], t), mapped, lo, hi;
            CHECK(!ts_formulas_map(f, names[tr], own, &mapped, &err));
            CHECK(!ts_sync_trace_bounds_at(s, tr, own, &lo, &hi, &err));
            int64_t e = mapped - clk(&k[0], t);
            if ((e < 0 ? -e : e) > worst) worst = e < 0 ? -e : e;
            CHECK_MSG(lo >= 0 && hi >= 0 && e <= lo + 2 && -e <= hi + 2,
                      "%s at +%lld s: error %lld, bounds -%lld +%lld", names[tr],
                      (long long)((t - T0) / 1000000000), (long long)e, (long long)lo,
                      (long long)hi);
        }
        ts_sync_trace(s, tr, &ti);
        CHECK(ti.error_bound_ns >= worst);
    }
    ts_formulas_free(f);
    ts_sync_free(s);
}

TEST(pw_sync_off_path_matches)
{
    /* a (reference), b and c with drifting clocks; a <-> b and b <-> c exchange often
     * with long latencies (the tree: c through b), a -> c over a minute only (one way:
     * no map of its own) with short ones: c's
     * map composed over two pairs puts some of those receive-before-send, until it is
     * refitted to them (within its bounds) */
    static const piece pa[1] = {{600000000000LL, 0, 0}};
    static const piece pb[2] = {{300000000000LL, 20000, 0}, {300000000000LL, -15000, 0}};
    static const piece pc[3] = {
        {200000000000LL, -30000, 0}, {200000000000LL, 10000, 0}, {200000000000LL, -5000, 0}};
    tclock k[3];
    build(&k[0], 0, pa, 1);
    build(&k[1], 3000000, pb, 2);
    build(&k[2], -5000000, pc, 3);
    const int64_t span = 600000000000LL;
    ts_sync *s;
    abc_sync(k, span, &s);
    ts_error err;
    const char *const *names = abc_names;
    sim_rng rng;
    rng_seed(&rng, 77, 0);
    exchange_pw(s, &rng, 0, 1, &k[0], &k[1], 20000, span, 50000, 300000);
    exchange_pw(s, &rng, 1, 2, &k[1], &k[2], 20000, span, 50000, 300000);
    /* a -> c, kept to check them */
    enum { NAC = 2000 };
    static ts_match ac[NAC];
    for (int q = 0; q < NAC; q++) {
        int64_t t = T0 + span * 9 / 20 + (int64_t)rng_below(&rng, (uint64_t)span / 10);
        int64_t lat = 5000 + (int64_t)rng_below(&rng, 3000);
        memset(&ac[q], 0, sizeof ac[q]);
        bool fw = true; /* one way: no map of their own, not on the tree */
        ac[q].src_trace = fw ? 0 : 2;
        ac[q].dst_trace = fw ? 2 : 0;
        ac[q].send_raw = ac[q].send_ns = clk(&k[fw ? 0 : 2], t);
        ac[q].recv_raw = ac[q].recv_ns = clk(&k[fw ? 2 : 0], t + lat);
        CHECK(!ts_sync_add_match(s, &ac[q], &err));
    }
    ts_formulas *f = NULL;
    CHECK_MSG(!ts_sync_solve(s, 0, &f, &err), "%s", err.msg);
    ts_sync_trace_info ti;
    ts_sync_trace(s, 2, &ti);
    CHECK(ti.reachable && ti.path_len == 3); /* c -> b -> a */
    CHECK(ti.cross_matches == NAC);
    CHECK_EQ_U64(ti.cross_unmet, 0);
    int neg = 0;
    for (int q = 0; q < NAC; q++) {
        int64_t ms, mr;
        CHECK(!ts_formulas_map(f, names[ac[q].src_trace], ac[q].send_raw, &ms, &err));
        CHECK(!ts_formulas_map(f, names[ac[q].dst_trace], ac[q].recv_raw, &mr, &err));
        if (mr < ms) neg++;
    }
    CHECK_EQ_U64(neg, 0);
    /* and the truth within the bounds */
    for (uint32_t tr = 1; tr <= 2; tr++)
        for (int i = 0; i <= 2000; i++) {
            int64_t t = T0 + span / 100 + (span - span / 50) * i / 2000;
            int64_t own = clk(&k[tr], t), mapped, lo, hi;
            CHECK(!ts_formulas_map(f, names[tr], own, &mapped, &err));
            CHECK(!ts_sync_trace_bounds_at(s, tr, own, &lo, &hi, &err));
            int64_t e = mapped - clk(&k[0], t);
            CHECK_MSG(lo >= 0 && hi >= 0 && e <= lo + 2 && -e <= hi + 2,
                      "%s at +%lld s: error %lld, bounds -%lld +%lld", names[tr],
                      (long long)((t - T0) / 1000000000), (long long)e, (long long)lo,
                      (long long)hi);
        }
    ts_formulas_free(f);
    ts_sync_free(s);
}

TEST(pw_sync_linear_same_as_hull)
{
    /* linear clocks: one segment per pair, and the very formulas of the hull method
     * (so FORMULAS.json needs no segments) */
    static const piece pa[1] = {{600000000000LL, 0, 0}};
    static const piece pb[1] = {{600000000000LL, 33000, 0}};
    static const piece pc[1] = {{600000000000LL, -12000, 0}};
    tclock k[3];
    build(&k[0], 0, pa, 1);
    build(&k[1], 3000000, pb, 1);
    build(&k[2], -1000000, pc, 1);
    ts_formulas *f[2] = {NULL, NULL};
    for (int method = 0; method < 2; method++) {
        ts_sync *s = ts_sync_new(TS_SYNC_DEFAULT);
        ts_error err;
        if (method) CHECK(!ts_sync_set_method(s, TS_SYNC_METHOD_PIECEWISE, &err));
        const char *names[3] = {"a", "b", "c"};
        for (int i = 0; i < 3; i++)
            CHECK(!ts_sync_add_trace(s, names[i], "", names[i], 0, 0, &err));
        sim_rng rng;
        rng_seed(&rng, 5, 0);
        exchange_pw(s, &rng, 0, 1, &k[0], &k[1], 5000, 600000000000LL, 20000, 400000);
        exchange_pw(s, &rng, 0, 2, &k[0], &k[2], 5000, 600000000000LL, 20000, 400000);
        exchange_pw(s, &rng, 1, 2, &k[1], &k[2], 500, 600000000000LL, 200000, 900000);
        CHECK(!ts_sync_solve(s, 0, &f[method], &err));
        if (method)
            for (size_t i = 0; i < ts_sync_pair_count(s); i++) {
                ts_sync_pair_info pi;
                ts_sync_pair(s, i, &pi);
                CHECK_EQ_U64(pi.segments, 1);
                CHECK_EQ_I64(pi.quality, TS_SYNC_ACCURATE);
            }
        ts_sync_free(s);
    }
    char *j0 = ts_formulas_to_json(f[0]), *j1 = ts_formulas_to_json(f[1]);
    CHECK(j0 && j1);
    CHECK(!strstr(j1, "segments"));
    for (int i = 0; i < 3; i++) {
        ts_formula_info a, b;
        ts_formulas_get(f[0], (size_t)i, &a);
        ts_formulas_get(f[1], (size_t)i, &b);
        CHECK_STR(a.slope, b.slope);
        CHECK_STR(a.offset_ns, b.offset_ns);
    }
    free(j0);
    free(j1);
    ts_formulas_free(f[0]);
    ts_formulas_free(f[1]);
    /* no piecewise Trace Compass mode */
    ts_sync *s = ts_sync_new(TS_SYNC_COMPAT_TRACECOMPASS);
    ts_error err;
    CHECK(ts_sync_set_method(s, TS_SYNC_METHOD_PIECEWISE, &err) == TS_ERR_ARG);
    ts_sync_free(s);
}
