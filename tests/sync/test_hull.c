/* Convex hull per host pair: Trace Compass's worked example (SyncTest) in compat
 * mode, and the exact default mode on the same data. */
#include "unit.h"

#include "sim/rng.h"
#include "sync/hull.h"

#include <stdio.h>

static const char *fmt(ts_dec d, char *buf)
{
    return dec_format(d, buf, TS_DEC_STR_MAX);
}

/* one match between t1 (= R, sorts first) and t2 */
typedef struct tmatch {
    int from; /* 1: t1 -> t2 (R->O), 2: t2 -> t1 (O->R) */
    int64_t send, recv;
} tmatch;

static void add(ts_hull *h, tmatch m)
{
    if (m.from == 2)
        hull_add(h, true, m.recv, m.send); /* x = receive on t1, y = send on t2 */
    else
        hull_add(h, false, m.send, m.recv); /* x = send on t1, y = receive on t2 */
}

/* SyncTest.testFullyIncremental, rows 1..10 (anchor notes 4.7) */
static const tmatch rows[10] = {
    {2, 1, 1}, {1, 1, 3}, {2, 2, 3}, {1, 3, 5}, {1, 4, 8},
    {2, 4, 5}, {2, 4, 6}, {1, 6, 7}, {1, 7, 4}, {2, 7, 3},
};
static const ts_sync_quality row_q[10] = {
    TS_SYNC_INCOMPLETE, TS_SYNC_INCOMPLETE, TS_SYNC_APPROXIMATE, TS_SYNC_ACCURATE, TS_SYNC_ACCURATE,
    TS_SYNC_ACCURATE,   TS_SYNC_ACCURATE,   TS_SYNC_ACCURATE,    TS_SYNC_ACCURATE, TS_SYNC_FAIL,
};
static const char *const row_alpha[10] = {"1",     "1",     "1",     "0.75",  "0.75",
                                          "1.125", "1.125", "0.725", "0.375", "0.375"};
static const char *const row_beta[10] = {"0",     "0",     "0.5",   "1.25",  "1.25",
                                         "0.875", "0.875", "1.275", "1.625", "1.625"};

TEST(sync_tc_worked_example)
{
    ts_hull h;
    char b1[TS_DEC_STR_MAX], b2[TS_DEC_STR_MAX];
    hull_init(&h, true);
    CHECK_EQ_I64(hull_quality(&h), TS_SYNC_ABSENT);
    CHECK_STR(fmt(h.alpha, b1), "1");
    CHECK_STR(fmt(h.beta, b2), "0");
    for (int i = 0; i < 10; i++) {
        add(&h, rows[i]);
        CHECK_MSG(hull_quality(&h) == row_q[i], "row %d: quality %s, expected %s", i + 1,
                  ts_sync_quality_name(hull_quality(&h)), ts_sync_quality_name(row_q[i]));
        CHECK_MSG(!strcmp(fmt(h.alpha, b1), row_alpha[i]) && !strcmp(fmt(h.beta, b2), row_beta[i]),
                  "row %d: alpha %s beta %s, expected %s %s", i + 1, b1, b2, row_alpha[i],
                  row_beta[i]);
    }
    CHECK_EQ_U64(h.matches, 10);
    CHECK_EQ_U64(h.fail_match, 10);
    /* the formula after the FAIL row is the one of row 9: T_t1 = T_t2/0.375 - 1.625/0.375 */
    ts_dec fs, fo, bs, bo;
    CHECK(hull_maps(&h, &fs, &fo, &bs, &bo));
    CHECK_STR(fmt(fs, b1), "2.666666666666666666666666666666667");
    CHECK_STR(fmt(fo, b2), "-4.333333333333333333333333333333333");
    hull_free(&h);
}

TEST(sync_tc_one_hull)
{
    static const tmatch m[4] = {{1, 1, 3}, {1, 2, 5}, {1, 3, 5}, {1, 4, 7}};
    ts_hull h;
    char b1[TS_DEC_STR_MAX], b2[TS_DEC_STR_MAX];
    hull_init(&h, true);
    for (int i = 0; i < 4; i++) {
        add(&h, m[i]);
        CHECK_EQ_I64(hull_quality(&h), TS_SYNC_INCOMPLETE);
        CHECK_STR(fmt(h.alpha, b1), "1");
        CHECK_STR(fmt(h.beta, b2), "0");
    }
    ts_dec fs, fo, bs, bo;
    CHECK(!hull_maps(&h, &fs, &fo, &bs, &bo)); /* identity */
    hull_free(&h);
}

TEST(sync_tc_disjoint)
{
    static const tmatch m[7] = {{1, 1, 3}, {1, 2, 5}, {1, 3, 5}, {1, 4, 7},
                                {2, 7, 6}, {2, 8, 6}, {2, 10, 8}};
    ts_hull h;
    char b1[TS_DEC_STR_MAX], b2[TS_DEC_STR_MAX];
    hull_init(&h, true);
    for (int i = 0; i < 7; i++) {
        add(&h, m[i]);
        if (i < 4) {
            CHECK_EQ_I64(hull_quality(&h), TS_SYNC_INCOMPLETE);
            continue;
        }
        CHECK_MSG(hull_quality(&h) == TS_SYNC_APPROXIMATE, "match %d: %s", i + 1,
                  ts_sync_quality_name(hull_quality(&h)));
        if (i == 4) {
            CHECK_STR(fmt(h.alpha, b1), "0.9");
            CHECK_STR(fmt(h.beta, b2), "2.6");
        }
    }
    CHECK_STR(fmt(h.alpha, b1), "1");
    CHECK_STR(fmt(h.beta, b2), "2.5");
    hull_free(&h);
}

/* every point consistent with T_O = alpha*T_R + beta (U points on or below, L on or above) */
static int consistent(const tmatch *m, int n, ts_dec alpha, ts_dec beta)
{
    for (int i = 0; i < n; i++) {
        int64_t x = m[i].from == 2 ? m[i].recv : m[i].send;
        int64_t y = m[i].from == 2 ? m[i].send : m[i].recv;
        ts_dec line = dec_add(dec_mul(alpha, dec_i64(x), 0), beta);
        int c = dec_cmp(dec_i64(y), line);
        if (m[i].from == 2 ? c > 0 : c < 0) return 0;
    }
    return 1;
}

TEST(sync_exact_worked_example)
{
    /* Same rows in the default mode: consistent formulas throughout, and the bad
     * point of row 9 is caught at row 9 (Trace Compass notices only at row 10). */
    ts_hull h;
    hull_init(&h, false);
    for (int i = 0; i < 10; i++) {
        add(&h, rows[i]);
        ts_sync_quality q = hull_quality(&h);
        if (i == 0) CHECK_EQ_I64(q, TS_SYNC_INCOMPLETE);
        if (i >= 3 && i < 8)
            CHECK_MSG(q == TS_SYNC_ACCURATE, "row %d: %s", i + 1, ts_sync_quality_name(q));
        if (i >= 8) CHECK_MSG(q == TS_SYNC_FAIL, "row %d: %s", i + 1, ts_sync_quality_name(q));
        ts_dec fs, fo, bs, bo;
        if (i >= 1 && hull_maps(&h, &fs, &fo, &bs, &bo))
            CHECK_MSG(consistent(rows, i < 8 ? i + 1 : 8, bs, bo),
                      "row %d: formula inconsistent with the matches", i + 1);
        if (i == 7) {
            /* by hand: the steepest line joins (1,1) and (6,7), slope 1.2; the flattest
             * joins (1,3) and (5,4), slope 0.25; here Trace Compass agrees */
            char b1[TS_DEC_STR_MAX], b2[TS_DEC_STR_MAX];
            ts_dec amax, amin;
            bool hmax, hmin;
            hull_bounds(&h, &amax, &hmax, &amin, &hmin);
            CHECK(hmax && hmin);
            CHECK_STR(fmt(amax, b1), "1.2");
            CHECK_STR(fmt(amin, b2), "0.25");
            CHECK_STR(fmt(bs, b1), "0.725");
            CHECK_STR(fmt(bo, b2), "1.275");
            /* error bound: gap between the lines |0.95 t - 2.95| at the ends of the
             * range widened to the lines' points [1, 6], halved, over alpha 0.725, in
             * whole ns, + 1 for the floor: [1,6] -> 2.75/2/0.725 = 1.9 -> 3;
             * [0,10] -> 6.55/2/0.725 = 4.5 -> 6 */
            CHECK_EQ_I64(hull_error_bound(&h, 1, 0), 3);
            CHECK_EQ_I64(hull_error_bound(&h, 0, 10), 6);
        }
    }
    CHECK_EQ_U64(h.fail_match, 9);
    CHECK_EQ_I64(h.fail_time, 7);
    hull_free(&h);
}

TEST(sync_exact_disjoint_consistent)
{
    /* Trace Compass's disjoint case gives alpha 1 beta 2.5; the default mode picks the
     * slope nearest 1 within the one bound and the middle of the allowed intercepts. */
    static const tmatch m[7] = {{1, 1, 3}, {1, 2, 5}, {1, 3, 5}, {1, 4, 7},
                                {2, 7, 6}, {2, 8, 6}, {2, 10, 8}};
    ts_hull h;
    hull_init(&h, false);
    for (int i = 0; i < 7; i++) add(&h, m[i]);
    CHECK_EQ_I64(hull_quality(&h), TS_SYNC_APPROXIMATE);
    ts_dec fs, fo, bs, bo;
    CHECK(hull_maps(&h, &fs, &fo, &bs, &bo));
    CHECK(consistent(m, 7, bs, bo));
    hull_free(&h);
}

TEST(sync_exact_order_independent)
{
    /* The default mode's bounds do not depend on the arrival order of the points. */
    enum { NPT = 400 };
    tmatch m[NPT];
    sim_rng seed;
    rng_seed(&seed, 0x9E3779B97F4A7C15ULL, 0);
    const int64_t base = 1700000000000000000LL;
    for (int i = 0; i < NPT; i++) {
        int64_t t = base + (int64_t)rng_below(&seed, 1000000000);
        int64_t lat = 20000 + (int64_t)rng_below(&seed, 300000);
        /* O clock = T_R * (1 + 50e-6) + 12345 (approximately, integer) */
        int64_t o_of = 12345 + (t - base) / 20000;
        if (i % 2) /* R -> O: send on R at t, receive on O at t+lat */
            m[i] = (tmatch){1, t, t + lat + o_of};
        else /* O -> R: send on O at t, receive on R at t+lat */
            m[i] = (tmatch){2, t + o_of, t + lat};
    }
    ts_hull a, b;
    hull_init(&a, false);
    hull_init(&b, false);
    /* a: sorted by x (R time); b: in generation order (random) */
    int idx[NPT];
    for (int i = 0; i < NPT; i++) idx[i] = i;
    for (int i = 1; i < NPT; i++)
        for (int j = i; j > 0; j--) {
            int64_t xj = m[idx[j]].from == 2 ? m[idx[j]].recv : m[idx[j]].send;
            int64_t xk = m[idx[j - 1]].from == 2 ? m[idx[j - 1]].recv : m[idx[j - 1]].send;
            if (xk <= xj) break;
            int t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
    for (int i = 0; i < NPT; i++) {
        add(&a, m[idx[i]]);
        add(&b, m[i]);
    }
    CHECK_EQ_I64(hull_quality(&a), TS_SYNC_ACCURATE);
    CHECK_EQ_I64(hull_quality(&b), TS_SYNC_ACCURATE);
    ts_dec a1, a2, b1, b2;
    bool h1, h2, h3, h4;
    hull_bounds(&a, &a1, &h1, &a2, &h2);
    hull_bounds(&b, &b1, &h3, &b2, &h4);
    CHECK(dec_cmp(a1, b1) == 0 && dec_cmp(a2, b2) == 0);
    CHECK_EQ_U64(a.U.n, b.U.n);
    CHECK_EQ_U64(a.L.n, b.L.n);
    CHECK(consistent(m, NPT, dec_i64(1), dec_i64(0)) == 0); /* the data is not trivially aligned */
    ts_dec fs, fo, bs, bo;
    CHECK(hull_maps(&b, &fs, &fo, &bs, &bo));
    CHECK(consistent(m, NPT, bs, bo));
    hull_free(&a);
    hull_free(&b);
}
