/* Synchronization of several hosts: the tree to the reference, composition along
 * it, unreachable hosts, and a property test on random linear clocks. */
#include "unit.h"

#include "sim/rng.h"
#include "tracesync/sync.h"

#include <stdio.h>
#include <stdlib.h>

#define T0 1700000000000000000LL

/* a host clock: T_h(t) = t + off + floor((t - T0) * ppb / 1e9) */
typedef struct clk {
    int64_t off, ppb;
} clk;

static int64_t clock_at(clk c, int64_t t)
{
    __int128 d = (__int128)(t - T0) * c.ppb;
    __int128 q = d / 1000000000;
    if (d % 1000000000 < 0) q--; /* floor */
    return t + c.off + (int64_t)q;
}

static ts_match mk(uint32_t src, uint32_t dst, int64_t send, int64_t recv)
{
    ts_match m;
    memset(&m, 0, sizeof m);
    m.src_trace = src;
    m.dst_trace = dst;
    m.send_raw = m.send_ns = send;
    m.recv_raw = m.recv_ns = recv;
    return m;
}

/* n two-way messages between traces i and j over [t, t + span) true time */
static void exchange(ts_sync *s, sim_rng *seed, uint32_t i, uint32_t j, const clk *c, int n,
                     int64_t t, int64_t span, int64_t lat_lo, int64_t lat_hi)
{
    ts_error err;
    for (int k = 0; k < n; k++) {
        int64_t ts = t + rng_range(seed, 0, span - 1);
        int64_t lat = rng_range(seed, lat_lo, lat_hi);
        uint32_t a = k % 2 ? i : j, b = k % 2 ? j : i;
        ts_match m = mk(a, b, clock_at(c[a], ts), clock_at(c[b], ts + lat));
        ts_sync_add_match(s, &m, &err);
    }
}

static int64_t fmap(const ts_formulas *f, const char *name, int64_t t)
{
    int64_t out = 0;
    ts_error err;
    ts_formulas_map(f, name, t, &out, &err);
    return out;
}

TEST(sync_tree_by_accuracy)
{
    /* traces: a and a2 share host hA; b, c; d never exchanges anything */
    const clk c[5] = {{0, 0}, {0, 0}, {1000000, 3000}, {-500000, 20000}, {77, 0}};
    const char *names[5] = {"a", "a2", "b", "c", "d"};
    const char *hosts[5] = {"hA", "hA", "hB", "hC", "hD"};
    for (int compat = 0; compat < 2; compat++) {
        ts_sync *s = ts_sync_new(compat ? TS_SYNC_COMPAT_TRACECOMPASS : TS_SYNC_DEFAULT);
        ts_error err;
        for (int i = 0; i < 5; i++)
            CHECK(!ts_sync_add_trace(s, names[i], "/x", hosts[i], clock_at(c[i], T0),
                                     clock_at(c[i], T0 + 10000000000LL), &err));
        sim_rng seed;
        rng_seed(&seed, 42, 0);
        const int64_t span = 10000000000LL;                        /* 10 s */
        exchange(s, &seed, 0, 2, c, 2000, T0, span, 20000, 40000); /* a-b: tight */
        exchange(s, &seed, 2, 3, c, 2000, T0, span, 20000, 40000); /* b-c: tight */
        exchange(s, &seed, 1, 3, c, 6, T0, span, 500000, 5000000); /* a2-c: few, loose */
        ts_match same = mk(0, 1, T0, T0 + 5);
        CHECK(!ts_sync_add_match(s, &same, &err));
        ts_formulas *f = NULL;
        CHECK_MSG(!ts_sync_solve(s, 0, &f, &err), "%s", err.msg);
        CHECK_EQ_U64(ts_sync_same_host_matches(s), 1);
        CHECK_EQ_U64(ts_sync_pair_count(s), 3);
        ts_sync_trace_info ti;
        ts_sync_trace(s, 3, &ti); /* c */
        CHECK(ti.reachable && !ti.is_reference);
        if (compat) {
            /* Trace Compass: shortest hop count, c joins a directly */
            CHECK_EQ_U64(ti.path_len, 2);
            CHECK_EQ_U64(ti.path[1], 0);
        } else {
            /* by accuracy: through b, whose links are much tighter */
            CHECK_EQ_U64(ti.path_len, 3);
            CHECK_EQ_U64(ti.path[1], 2);
            CHECK_EQ_U64(ti.path[2], 0);
            /* the bound cannot be below the smallest latency (20 us a hop: any offset
             * within it fits the matches), but two tight hops beat one loose one */
            int64_t direct = -1;
            for (size_t k = 0; k < ts_sync_pair_count(s); k++) {
                ts_sync_pair_info pi;
                ts_sync_pair(s, k, &pi);
                if (!strcmp(pi.other_host, "hC") && !strcmp(pi.ref_host, "hA")) {
                    direct = pi.error_bound_ns;
                    CHECK(!pi.in_tree);
                }
            }
            CHECK(ti.error_bound_ns >= 20000 && ti.error_bound_ns < 2 * 45000);
            CHECK(direct > ti.error_bound_ns);
            ts_sync_trace_info tb;
            ts_sync_trace(s, 2, &tb);
            CHECK(tb.error_bound_ns >= 0 && tb.error_bound_ns <= ti.error_bound_ns);
        }
        if (compat) {
            /* the path's quality is that of the direct link, whatever it is */
            for (size_t k = 0; k < ts_sync_pair_count(s); k++) {
                ts_sync_pair_info pi;
                ts_sync_pair(s, k, &pi);
                if (!strcmp(pi.other_host, "hC") && !strcmp(pi.ref_host, "hA"))
                    CHECK(pi.in_tree && pi.quality == ti.quality);
            }
        } else {
            CHECK_EQ_I64(ti.quality, TS_SYNC_ACCURATE);
            CHECK(ti.drift_ppm > -25 && ti.drift_ppm < -15); /* c runs 20 ppm fast */
        }
        /* same host, reference */
        ts_sync_trace(s, 1, &ti);
        CHECK(ti.is_reference && ti.reachable);
        CHECK_STR(ti.slope, "1");
        CHECK_STR(ti.offset_ns, "0");
        /* d: no matches, identity, reported */
        ts_sync_trace(s, 4, &ti);
        CHECK(!ti.reachable);
        CHECK_EQ_I64(ti.quality, TS_SYNC_ABSENT);
        CHECK_STR(ti.slope, "1");
        CHECK_EQ_I64(fmap(f, "d", 12345), 12345);
        /* the formulas put c's clock onto a's within a few tens of us */
        for (int64_t t = T0; !compat && t < T0 + span; t += span / 7) {
            int64_t err_ns = fmap(f, "c", clock_at(c[3], t)) - t;
            CHECK_MSG(err_ns > -40000 && err_ns < 40000, "compat %d: c off by %lld ns", compat,
                      (long long)err_ns);
        }
        ts_formula_info fi;
        ts_formulas_get(f, (size_t)ts_formulas_find(f, "a2"), &fi);
        CHECK_STR(fi.quality, "reference");
        CHECK_STR(ts_formulas_reference(f), "a");
        ts_formulas_free(f);
        ts_sync_free(s);
    }
}

TEST(sync_reference_choice)
{
    /* compat without a reference: the host id that sorts first; default: trace 0 */
    const clk c[2] = {{0, 0}, {5000, 0}};
    for (int compat = 0; compat < 2; compat++) {
        ts_sync *s = ts_sync_new(compat ? TS_SYNC_COMPAT_TRACECOMPASS : TS_SYNC_DEFAULT);
        ts_error err;
        CHECK(!ts_sync_add_trace(s, "first", "", "zzz", 0, 0, &err));
        CHECK(!ts_sync_add_trace(s, "second", "", "aaa", 0, 0, &err));
        sim_rng seed;
        rng_seed(&seed, 7, 0);
        exchange(s, &seed, 0, 1, c, 50, T0, 1000000000, 10000, 20000);
        ts_formulas *f = NULL;
        CHECK(!ts_sync_solve(s, -1, &f, &err));
        CHECK_STR(ts_formulas_reference(f), compat ? "second" : "first");
        ts_sync_pair_info pi;
        ts_sync_pair(s, 0, &pi);
        CHECK_STR(pi.ref_host, "aaa");
        CHECK_EQ_U64(pi.ref_trace, 1);
        CHECK_EQ_U64(pi.matches, 50);
        CHECK_EQ_U64(pi.o_to_r + pi.r_to_o, 50);
        ts_formulas_free(f);
        ts_sync_free(s);
    }
}

TEST(sync_fail_reported)
{
    /* a clock that changes rate half way: the linear hull fails, and says where */
    ts_sync *s = ts_sync_new(TS_SYNC_DEFAULT);
    ts_error err;
    CHECK(!ts_sync_add_trace(s, "r", "", "r", 0, 0, &err));
    CHECK(!ts_sync_add_trace(s, "o", "", "o", 0, 0, &err));
    sim_rng seed;
    rng_seed(&seed, 99, 0);
    const int64_t span = 3600000000000LL; /* 1 h */
    clk slow = {0, 0}, fast = {0, 50000}; /* 50 ppm */
    const clk c1[2] = {{0, 0}, slow}, c2[2] = {{0, 0}, fast};
    exchange(s, &seed, 0, 1, c1, 500, T0, span, 20000, 30000);
    exchange(s, &seed, 0, 1, c2, 500, T0 + span, span, 20000, 30000);
    ts_formulas *f = NULL;
    CHECK(!ts_sync_solve(s, 0, &f, &err));
    ts_sync_pair_info pi;
    ts_sync_pair(s, 0, &pi);
    CHECK_EQ_I64(pi.quality, TS_SYNC_FAIL);
    CHECK(pi.fail_match > 500 && pi.fail_match <= 1000);
    CHECK(pi.fail_time_ns >= T0 + span);
    CHECK_EQ_I64(pi.error_bound_ns, -1);
    ts_formulas_free(f);
    ts_sync_free(s);
}

TEST(sync_property_random_linear_clocks)
{
    /* random linear clocks, random positive delays: the true clock lies within the
     * reported bound, the bound is below the smallest latency, and no match has a
     * negative latency after correction */
    for (uint64_t round = 1; round <= 12; round++) {
        sim_rng seed;
        rng_seed(&seed, 0x1234567ULL * round + 17, 0);
        int nh = 2 + (int)(round % 4);
        clk c[6];
        char names[6][16];
        ts_sync *s = ts_sync_new(TS_SYNC_DEFAULT);
        ts_error err;
        const int64_t span = rng_range(&seed, 1000000000LL, 600000000000LL); /* 1 s .. 10 min */
        const int64_t lat_lo = 20000, lat_hi = 1000000;
        for (int h = 0; h < nh; h++) {
            c[h].off = h ? rng_range(&seed, -10000000000LL, 10000000000LL) : 0;
            c[h].ppb = h ? rng_range(&seed, -100000, 100000) : 0; /* +-100 ppm */
            snprintf(names[h], sizeof names[h], "h%d", h);
            CHECK(!ts_sync_add_trace(s, names[h], "", names[h], clock_at(c[h], T0),
                                     clock_at(c[h], T0 + span), &err));
        }
        enum { NM = 3000 };
        ts_match *ms = malloc(NM * sizeof *ms);
        CHECK(ms);
        for (int k = 0; k < NM; k++) {
            uint32_t a = (uint32_t)rng_range(&seed, 0, nh - 1);
            uint32_t b = (uint32_t)rng_range(&seed, 0, nh - 2);
            if (b >= a) b++;
            int64_t t = T0 + rng_range(&seed, 0, span - 1);
            /* latencies cluster near the minimum, as on a network */
            int64_t lat = lat_lo + (int64_t)((double)(lat_hi - lat_lo) *
                                             ((double)rng_range(&seed, 0, 1000000) / 1e6) *
                                             ((double)rng_range(&seed, 0, 1000000) / 1e6) *
                                             ((double)rng_range(&seed, 0, 1000000) / 1e6));
            ms[k] = mk(a, b, clock_at(c[a], t), clock_at(c[b], t + lat));
            CHECK(!ts_sync_add_match(s, &ms[k], &err));
        }
        ts_formulas *f = NULL;
        CHECK_MSG(!ts_sync_solve(s, 0, &f, &err), "%s", err.msg);
        for (int h = 1; h < nh; h++) {
            ts_sync_trace_info ti;
            ts_sync_trace(s, (size_t)h, &ti);
            CHECK_MSG(ti.reachable && ti.quality == TS_SYNC_ACCURATE, "round %llu host %d: %s",
                      (unsigned long long)round, h, ts_sync_quality_name(ti.quality));
            CHECK_MSG(ti.error_bound_ns >= 0, "round %llu host %d: unbounded",
                      (unsigned long long)round, h);
            int64_t worst = 0;
            for (int64_t t = T0; t <= T0 + span; t += span / 50) {
                int64_t e = fmap(f, names[h], clock_at(c[h], t)) - t;
                if (e < 0) e = -e;
                if (e > worst) worst = e;
                CHECK_MSG(e <= ti.error_bound_ns + 2,
                          "round %llu host %d at +%lld ns: error %lld > bound %lld",
                          (unsigned long long)round, h, (long long)(t - T0), (long long)e,
                          (long long)ti.error_bound_ns);
            }
            /* the error itself stays below the smallest one-way latency */
            CHECK_MSG(worst < lat_lo, "round %llu host %d: error %lld ns",
                      (unsigned long long)round, h, (long long)worst);
        }
        ts_sync_violations v;
        memset(&v, 0, sizeof v);
        for (int k = 0; k < NM; k++) {
            ts_match m = ms[k];
            m.send_ns = fmap(f, names[m.src_trace], m.send_raw);
            m.recv_ns = fmap(f, names[m.dst_trace], m.recv_raw);
            ts_sync_violations_add(&v, &m);
        }
        CHECK_EQ_U64(v.matches, NM);
        CHECK_MSG(v.negative == 0, "round %llu: %llu negative latencies, worst %lld",
                  (unsigned long long)round, (unsigned long long)v.negative, (long long)v.worst_ns);
        free(ms);
        ts_formulas_free(f);
        ts_sync_free(s);
    }
}

TEST(sync_violations_count)
{
    ts_sync_violations v;
    memset(&v, 0, sizeof v);
    ts_match m = mk(0, 1, 100, 90);
    ts_sync_violations_add(&v, &m);
    m = mk(1, 0, 200, 150);
    ts_sync_violations_add(&v, &m);
    m = mk(1, 0, 300, 310);
    ts_sync_violations_add(&v, &m);
    CHECK_EQ_U64(v.matches, 3);
    CHECK_EQ_U64(v.negative, 2);
    CHECK_EQ_I64(v.worst_ns, -50);
    CHECK_EQ_I64(v.worst_send_ns, 200);
    CHECK_EQ_U64(v.worst_src, 1);
}
