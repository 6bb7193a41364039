/* Benchmark: the synchronization step alone (hulls per host pair, then the tree
 * and the formulas) on generated matches.
 *
 *   build/bench_sync_bench [MATCHES] [HOSTS] [METHODS]
 *       (default 10000000 matches, 4 hosts; METHODS: any of d (default mode),
 *        t (Trace Compass compatible), p (piecewise), w (piecewise, clocks that
 *        wander: a drift change every 2 minutes); default "dtpw")
 *
 * Matches are generated in chunks outside the timed region: linear clocks (drift
 * up to 50 ppm, offsets up to 1 s), messages between random host pairs in time
 * order over one hour, latencies of 20 us plus an excess clustered near zero.
 * Prints the CPU time of ts_sync_add_match over all matches and of ts_sync_solve. */
#include "sim/rng.h"
#include "tracesync/sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#define T0    1700000000000000000LL
#define CHUNK (1 << 20)

typedef struct clk {
    int64_t off, ppb;
} clk;

static int64_t clock_at(clk c, int64_t t)
{
    return t + c.off + (int64_t)((__int128)(t - T0) * c.ppb / 1000000000);
}

/* wandering clocks: +-(ppb / 2) around the drift, changing every 2 minutes,
 * continuous (integrated piecewise) */
#define WANDER_STEP (120LL * 1000000000LL)
static int64_t wander_at(clk c, int h, int64_t t)
{
    int64_t v = t + c.off, base = T0;
    for (int k = 0; base < t; k++, base += WANDER_STEP) {
        int64_t end = t < base + WANDER_STEP ? t : base + WANDER_STEP;
        int64_t ppb = c.ppb + (int64_t)(((uint64_t)(h * 7919 + k * 104729) % 20001) - 10000);
        v += (int64_t)((__int128)(end - base) * ppb / 1000000000);
    }
    return v;
}

static int run(ts_sync_mode mode, bool pw, bool wander, long n, int nh)
{
    ts_error err;
    ts_sync *s = ts_sync_new(mode);
    if (pw && ts_sync_set_method(s, TS_SYNC_METHOD_PIECEWISE, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    clk c[64];
    sim_rng seed;
    rng_seed(&seed, 0x2545F4914F6CDD1DULL, 0);
    const int64_t span = 3600LL * 1000000000LL;
    for (int h = 0; h < nh; h++) {
        char name[16];
        snprintf(name, sizeof name, "host%d", h);
        c[h].off = h ? rng_range(&seed, -1000000000, 1000000000) : 0;
        c[h].ppb = h ? rng_range(&seed, -50000, 50000) : 0;
        if (ts_sync_add_trace(s, name, "", name, clock_at(c[h], T0), clock_at(c[h], T0 + span),
                              &err)) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
    }
    ts_match *ms = calloc(CHUNK, sizeof *ms);
    if (!ms) return 1;
    double t_add = 0;
    for (long done = 0; done < n;) {
        long k = n - done < CHUNK ? n - done : CHUNK;
        for (long i = 0; i < k; i++) {
            int64_t t = T0 + (int64_t)((__int128)span * (done + i) / n);
            uint32_t a = (uint32_t)rng_below(&seed, (uint64_t)nh);
            uint32_t b = (uint32_t)rng_below(&seed, (uint64_t)nh - 1);
            if (b >= a) b++;
            uint64_t r = rng_next(&seed);
            int64_t excess =
                (int64_t)((r & 0xFFFF) * ((r >> 16) & 0xFFFF) >> 20); /* 0..4 ms, mostly small */
            ms[i].src_trace = a;
            ms[i].dst_trace = b;
            if (wander) {
                ms[i].send_raw = wander_at(c[a], (int)a, t);
                ms[i].recv_raw = wander_at(c[b], (int)b, t + 20000 + excess);
            } else {
                ms[i].send_raw = clock_at(c[a], t);
                ms[i].recv_raw = clock_at(c[b], t + 20000 + excess);
            }
        }
        double t1 = cpu_now();
        for (long i = 0; i < k; i++)
            if (ts_sync_add_match(s, &ms[i], &err)) {
                fprintf(stderr, "%s\n", err.msg);
                return 1;
            }
        t_add += cpu_now() - t1;
        done += k;
    }
    double t1 = cpu_now();
    ts_formulas *f = NULL;
    if (ts_sync_solve(s, 0, &f, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double t_solve = cpu_now() - t1;
    size_t hull_pts = 0, segs = 0;
    for (size_t i = 0; i < ts_sync_pair_count(s); i++) {
        ts_sync_pair_info pi;
        ts_sync_pair(s, i, &pi);
        hull_pts += pi.hull_upper + pi.hull_lower;
        segs += pi.segments;
    }
    if (getenv("SYNC_BENCH_SEGMENTS")) /* per pair, its segments (for inspection) */
        for (size_t i = 0; i < ts_sync_pair_count(s); i++) {
            ts_sync_pair_info pi;
            ts_sync_pair(s, i, &pi);
            fprintf(stderr, "pair %zu: bound %lld below %lld above %lld\n", i,
                    (long long)pi.error_bound_ns, (long long)pi.max_below_ns,
                    (long long)pi.max_above_ns);
            for (size_t j = 0; j < pi.segments; j++) {
                ts_sync_segment_info g;
                ts_sync_pair_segment(s, i, j, &g);
                fprintf(stderr,
                        "pair %zu seg %zu: %lld..%lld %s%+.3f ppm below %lld above %lld max %lld\n",
                        i, j, (long long)(g.first_match_ns - T0), (long long)(g.last_match_ns - T0),
                        g.bridge ? "bridge " : "", g.drift_ppm, (long long)g.max_below_ns,
                        (long long)g.max_above_ns, (long long)g.max_bound_ns);
            }
        }
    ts_sync_trace_info ti;
    ts_sync_trace(s, (size_t)nh - 1, &ti);
    const char *name = pw                        ? (wander ? "pw-wander" : "piecewise")
                       : mode == TS_SYNC_DEFAULT ? "default"
                                                 : "tracecompass";
    printf("%-12s %ld matches, %d hosts: add %.3f s (%.1f ns/match), solve %.4f s, "
           "total %.3f s; %zu hull points kept, %zu segments; last host %s, error bound "
           "%lld ns\n",
           name, n, nh, t_add, t_add * 1e9 / (double)n, t_solve, t_add + t_solve, hull_pts, segs,
           ts_sync_quality_name(ti.quality), (long long)ti.error_bound_ns);
    free(ms);
    ts_formulas_free(f);
    ts_sync_free(s);
    return 0;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10000000L;
    int nh = argc > 2 ? atoi(argv[2]) : 4;
    const char *methods = argc > 3 ? argv[3] : "dtpw";
    if (n < 1 || nh < 2 || nh > 64) {
        fprintf(stderr, "usage: %s [MATCHES >= 1] [HOSTS 2..64] [METHODS: dtpw]\n", argv[0]);
        return 2;
    }
    for (const char *m = methods; *m; m++) {
        int r = *m == 'd'   ? run(TS_SYNC_DEFAULT, false, false, n, nh)
                : *m == 't' ? run(TS_SYNC_COMPAT_TRACECOMPASS, false, false, n, nh)
                : *m == 'p' ? run(TS_SYNC_DEFAULT, true, false, n, nh)
                : *m == 'w' ? run(TS_SYNC_DEFAULT, true, true, n, nh)
                            : 2;
        if (r) return r;
    }
    return 0;
}
