/* Simulator building blocks: random numbers, clocks, scenario parsing, the
 * CTF writer's headers and packets, the raw placement check, the catalog. */
#include "sim/catalog.h"
#include "sim/clock.h"
#include "sim/ctfw.h"
#include "sim/rng.h"
#include "sim/scenario.h"
#include "sim/world.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TEST(sim_rng_deterministic)
{
    sim_rng a, b, c;
    rng_seed(&a, 42, 7);
    rng_seed(&b, 42, 7);
    rng_seed(&c, 42, 8);
    int same_c = 1;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = rng_next(&a), y = rng_next(&b), z = rng_next(&c);
        CHECK_EQ_U64(x, y);
        if (x != z) same_c = 0;
    }
    CHECK(!same_c);
    for (int i = 0; i < 10000; i++) {
        int64_t v = rng_range(&a, -5, 5);
        CHECK(v >= -5 && v <= 5);
        CHECK(rng_below(&a, 3) < 3);
    }
}

TEST(sim_rng_distributions)
{
    sim_rng r;
    rng_seed(&r, 1, 1);
    /* exponential: mean within 2%, no negative values */
    int64_t sum = 0, n = 200000;
    for (int64_t i = 0; i < n; i++) {
        int64_t v = rng_exp(&r, 10000);
        CHECK(v >= 0);
        sum += v;
    }
    int64_t mean = sum / n;
    CHECK_MSG(mean > 9800 && mean < 10200, "exponential mean %lld", (long long)mean);
    /* pareto: never below the scale, capped */
    int over = 0;
    for (int i = 0; i < 100000; i++) {
        int64_t v = rng_pareto(&r, 1000, 150, 50000);
        CHECK(v >= 999 && v <= 50000);
        over += v > 10000;
    }
    /* P(X > 10 * scale) = 10^-1.5 = 3.2% */
    CHECK_MSG(over > 2500 && over < 3900, "pareto tail %d", over);
}

TEST(sim_clock_floor_and_steps)
{
    sim_clockfn f = {0};
    CHECK(!clockfn_push(&f, 0, 0));
    CHECK(!clockfn_push(&f, 3, 4));
    CHECK(!clockfn_push(&f, 10, 11)); /* slope 1 */
    CHECK(!clockfn_push(&f, 10, 20)); /* forward step of 9 */
    CHECK(!clockfn_push(&f, 20, 30));
    CHECK_EQ_I64(clockfn_eval(&f, 1), 1); /* floor(4/3) */
    CHECK_EQ_I64(clockfn_eval(&f, 2), 2); /* floor(8/3) */
    CHECK_EQ_I64(clockfn_eval(&f, 3), 4);
    CHECK_EQ_I64(clockfn_eval(&f, 9), 10);
    CHECK_EQ_I64(clockfn_eval(&f, 10), 20); /* the stepped value from the step on */
    CHECK_EQ_I64(clockfn_eval(&f, 25), 35); /* slope 1 after the last knot */
    CHECK_EQ_I64(clockfn_eval(&f, -5), -5); /* and before the first */
    CHECK_EQ_U64(clockfn_first_bad(&f), 0);
    CHECK(!clockfn_push(&f, 30, 29)); /* goes back */
    CHECK_EQ_U64(clockfn_first_bad(&f), 5);
    clockfn_free(&f);
}

TEST(sim_clock_cursor_matches_exact)
{
    sim_clockfn f = {0};
    sim_rng r;
    rng_seed(&r, 3, 3);
    int64_t t = 1700000000000000000LL, c = t + 12345;
    CHECK(!clockfn_push(&f, t, c));
    for (int i = 0; i < 200; i++) {
        int64_t dt = 1 + rng_range(&r, 0, 3000000000LL);
        int64_t dc = dt + rng_range(&r, -dt / 1000, dt / 1000); /* +-1000 ppm */
        if (dc < 1) dc = 1;
        t += dt;
        c += dc;
        CHECK(!clockfn_push(&f, t, c));
        if (i % 17 == 0) {
            c += 5000; /* a step */
            CHECK(!clockfn_push(&f, t, c));
        }
    }
    clock_cursor cc;
    clock_cursor_init(&cc, &f);
    int64_t x = f.k[0].t - 1000000;
    while (x < t + 5000000000LL) {
        CHECK_EQ_I64(clock_cursor_eval(&cc, x), clockfn_eval(&f, x));
        x += rng_range(&r, 0, rng_below(&r, 8) ? 20000 : 700000000);
    }
    clockfn_free(&f);
}

TEST(sim_clock_build_components)
{
    sim_clock_spec s;
    memset(&s, 0, sizeof s);
    s.follow = -1;
    s.offset = -35000;
    s.drift_ppb = 12000; /* +12 ppm */
    sim_clock_step step = {500000000, 1000};
    s.steps = &step;
    s.nsteps = 1;
    sim_rng r;
    rng_seed(&r, 1, 1);
    sim_clockfn f;
    int64_t o = 1710496800000000000LL;
    CHECK(clock_build(&s, NULL, o, 1000000000, &r, &f, NULL) == TS_OK);
    CHECK_EQ_I64(clockfn_eval(&f, o), o - 35000);
    /* after 1 s: +12 us of drift and the 1 us step */
    CHECK_EQ_I64(clockfn_eval(&f, o + 1000000000), o + 1000000000 - 35000 + 12000 + 1000);
    /* 1 ns of time, 1 ns of drift carried by the floor, the 1 us step */
    CHECK_EQ_I64(clockfn_eval(&f, o + 500000000) - clockfn_eval(&f, o + 499999999), 1002);
    CHECK_EQ_U64(clockfn_first_bad(&f), 0);
    /* a clock that follows this one with jitter stays within the jitter */
    sim_clock_spec g;
    memset(&g, 0, sizeof g);
    g.follow = 0;
    g.jitter = 300;
    g.jitter_interval = 100000000;
    sim_clockfn gf;
    CHECK(clock_build(&g, &f, o, 1000000000, &r, &gf, NULL) == TS_OK);
    for (int64_t t = o; t <= o + 1000000000; t += 7777777) {
        int64_t d = clockfn_eval(&gf, t) - clockfn_eval(&f, t);
        CHECK_MSG(d >= -301 && d <= 301, "jitter %lld", (long long)d);
    }
    /* sawtooth: rises by the amplitude over period - snap, then falls back */
    sim_clock_spec w;
    memset(&w, 0, sizeof w);
    w.follow = -1;
    w.osc_amp = 400000;
    w.osc_period = 4000000000LL;
    w.osc_snap = 150000000;
    sim_clockfn wf;
    CHECK(clock_build(&w, NULL, o, 8000000000LL, &r, &wf, NULL) == TS_OK);
    CHECK_EQ_I64(clockfn_eval(&wf, o + 3850000000LL) - (o + 3850000000LL), 400000);
    CHECK_EQ_I64(clockfn_eval(&wf, o + 4000000000LL) - (o + 4000000000LL), 0);
    CHECK_EQ_U64(clockfn_first_bad(&wf), 0);
    clockfn_free(&f);
    clockfn_free(&gf);
    clockfn_free(&wf);
}

static ts_status parse(const char *text, ts_sim_scenario **s, ts_error *e)
{
    return ts_sim_scenario_parse(text, strlen(text), "t.scn", s, e);
}

TEST(sim_scenario_parse_ok)
{
    ts_sim_scenario *s;
    ts_error e;
    const char *text = "# a comment\n"
                       "sim duration=1.5s seed=9 start=2024-01-01T00:00:00Z\n"
                       "machine h role=host cpus=4   # trailing comment\n"
                       "machine g role=guest host=h vcpus=2 pin=1-2 load=30%\n"
                       "clock g offset=-35us drift=+12.5ppm slew=1s:-3ppm step=0.5s:2us\n"
                       "link h g min=10us mean=60us tail=1%:200us loss=0.1%\n"
                       "tcp g h rate=2.5k/s ipv6\n"
                       "ping h g interval=1s\n"
                       "stress from=0.2s to=0.4s latency=x20 load=0.9\n";
    CHECK(parse(text, &s, &e) == TS_OK);
    CHECK_EQ_I64(s->duration, 1500000000);
    CHECK_EQ_U64(s->seed, 9);
    CHECK_EQ_I64(s->start_epoch, 1704067200LL * 1000000000LL);
    CHECK_EQ_I64(s->nmachines, 2);
    CHECK_EQ_I64(s->m[1].host, 0);
    CHECK_EQ_I64(s->m[1].npin, 2);
    CHECK_EQ_I64(s->m[1].pin[1], 2);
    CHECK_EQ_U64(s->m[1].load_ppm, 300000);
    CHECK_EQ_I64(s->m[1].clock.offset, -35000);
    CHECK_EQ_I64(s->m[1].clock.drift_ppb, 12500);
    CHECK_EQ_I64(s->m[1].clock.slews[0].ppb, -3000);
    CHECK_EQ_I64(s->m[1].clock.steps[0].delta, 2000);
    CHECK_EQ_U64(s->lat[0][1].tail_ppm, 10000);
    CHECK_EQ_U64(s->lat[1][0].loss_ppm, 1000);
    CHECK_EQ_I64(s->flows[0].interval, 400000);
    CHECK(s->flows[0].ipv6);
    CHECK_EQ_U64(s->stress[0].latency_x100, 2000);
    ts_sim_scenario_free(s);
}

TEST(sim_scenario_errors_name_the_line)
{
    static const struct {
        const char *text, *expect;
    } cases[] = {
        {"machine h role=host\n\nbogus x\n", "t.scn:3: unknown directive 'bogus'"},
        {"machine h role=host cpus=4 color=red\n", "t.scn:1: unknown option 'color'"},
        {"machine h role=host\nlink h nowhere min=1us\n", "t.scn:2: unknown machine 'nowhere'"},
        {"machine h role=host\nclock h step=1s:-5us\n", "t.scn:2: step=1s:-5us"},
        {"machine h role=host\nmachine g role=guest\n", "t.scn:2: guest g: missing host="},
        {"machine h role=host\nmachine g role=guest host=h\ntcp g h rate=fast\n",
         "t.scn:3: rate=fast"},
        {"machine h role=host\nmachine g role=guest host=h\nlink g h min=0\n",
         "t.scn:3: link: min must be at least 1us"},
        {"machine h role=host cpus=2\nmachine g role=guest host=h pin=5\n",
         "t.scn:2: pin: host h has only 2 CPUs"},
        {"sim duration=-1s\n", "t.scn:1: duration=-1s"},
        {"machine h role=host\nmachine h role=host\n", "t.scn:2: machine 'h' declared twice"},
        {"", "t.scn: no machine declared"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ts_sim_scenario *s = NULL;
        ts_error e;
        ts_status st = parse(cases[i].text, &s, &e);
        CHECK_MSG(st != TS_OK && !s, "case %zu parsed", i);
        CHECK_MSG(strstr(e.msg, cases[i].expect), "case %zu: got \"%s\"", i, e.msg);
    }
}

TEST(sim_presets_parse)
{
    CHECK(ts_sim_preset_count() >= 7);
    static const char *const want[] = {"default",   "ntp-lan",   "ptp-kvm-idle", "ptp-kvm-stress",
                                       "long-idle", "contended", "lan"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        ts_sim_scenario *s;
        ts_error e;
        CHECK_MSG(ts_sim_scenario_preset(want[i], &s, &e) == TS_OK, "%s: %s", want[i], e.msg);
        CHECK_STR(ts_sim_scenario_name(s), want[i]);
        CHECK(ts_sim_scenario_duration(s) > 0);
        ts_sim_scenario_free(s);
    }
    ts_sim_scenario *s;
    ts_error e;
    CHECK(ts_sim_scenario_preset("nope", &s, &e) == TS_ERR_NOTFOUND);
    CHECK(strstr(e.msg, "default"));
}

TEST(sim_decimal)
{
    uint64_t v;
    CHECK(ts_sim_parse_decimal("2.5", 6, &v, NULL) == TS_OK);
    CHECK_EQ_U64(v, 2500000);
    CHECK(ts_sim_parse_decimal("40", 6, &v, NULL) == TS_OK);
    CHECK_EQ_U64(v, 40000000);
    CHECK(ts_sim_parse_decimal("0.0000001", 6, &v, NULL) != TS_OK);
    CHECK(ts_sim_parse_decimal("-1", 6, &v, NULL) != TS_OK);
    CHECK(ts_sim_parse_decimal("1x", 6, &v, NULL) != TS_OK);
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static uint64_t rdbe64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return v;
}

TEST(sim_ctfw_headers_and_packets)
{
    char dir[] = "/tmp/ts_sim_ctfw_XXXXXX";
    CHECK(mkdtemp(dir));
    char idx[64];
    snprintf(idx, sizeof idx, "%s/index", dir);
    CHECK(mkdir(idx, 0755) == 0);
    uint8_t uuid[16] = {1, 2, 3};
    for (int type = CTFW_HEADER_COMPACT; type <= CTFW_HEADER_LARGE; type++) {
        ctfw_stream s;
        ts_error e;
        CHECK(ctfw_stream_open(&s, dir, 3, uuid, type, 4096, 1000, &e) == TS_OK);
        uint64_t ts = 1000;
        for (int i = 0; i < 400; i++) {
            ts += i == 200 ? (1u << 27) : 100; /* one jump across a 2^27 boundary */
            uint8_t *p = ctfw_event_begin(&s, 5, ts, 8);
            p = put_le64(p, (uint64_t)i);
            ctfw_event_end(&s, p);
        }
        CHECK(ctfw_stream_close(&s, ts + 10, &e) == TS_OK);
        char path[128];
        snprintf(path, sizeof path, "%s/channel0_3", dir);
        FILE *f = fopen(path, "rb");
        CHECK(f);
        static uint8_t buf[1 << 16];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        CHECK(n % 4096 == 0 && n >= 8192);
        /* walk the packets: header, context, events */
        size_t off = 0;
        uint64_t prev_end = 0, events = 0, seq = 0;
        while (off < n) {
            const uint8_t *pk = buf + off;
            CHECK_EQ_U64(pk[0] | pk[1] << 8 | pk[2] << 16 | (uint32_t)pk[3] << 24, 0xC1FC1FC1u);
            CHECK(!memcmp(pk + 4, uuid, 16));
            CHECK_EQ_U64(rd64(pk + 24), 3); /* stream_instance_id */
            uint64_t tb = rd64(pk + 32), te = rd64(pk + 40), content = rd64(pk + 48) / 8,
                     size = rd64(pk + 56) / 8;
            CHECK_EQ_U64(rd64(pk + 64), seq++);
            CHECK_EQ_U64(pk[80], 3); /* cpu_id */
            CHECK(tb >= prev_end && te >= tb && content <= size && size % 4096 == 0);
            prev_end = te;
            /* events: the first one of a packet is extended */
            size_t p = 84;
            uint64_t clk = tb;
            int first = 1;
            while (p < content) {
                uint64_t id, v;
                int ext;
                if (type == CTFW_HEADER_COMPACT) {
                    uint32_t w = (uint32_t)(pk[p] | pk[p + 1] << 8 | pk[p + 2] << 16 |
                                            (uint32_t)pk[p + 3] << 24);
                    ext = (w & 31) == 31;
                    if (ext) {
                        id = pk[p + 1] | pk[p + 2] << 8;
                        clk = rd64(pk + p + 5);
                        p += 13;
                    } else {
                        id = w & 31;
                        v = w >> 5;
                        uint64_t mask = (1u << 27) - 1;
                        if (v < (clk & mask)) clk += mask + 1;
                        clk = (clk & ~mask) | v;
                        p += 4;
                    }
                } else {
                    uint16_t id16 = (uint16_t)(pk[p] | pk[p + 1] << 8);
                    ext = id16 == 65535;
                    if (ext) {
                        id = pk[p + 2] | pk[p + 3] << 8;
                        clk = rd64(pk + p + 6);
                        p += 14;
                    } else {
                        id = id16;
                        v = (uint32_t)(pk[p + 2] | pk[p + 3] << 8 | pk[p + 4] << 16 |
                                       (uint32_t)pk[p + 5] << 24);
                        uint64_t mask = 0xffffffffULL;
                        if (v < (clk & mask)) clk += mask + 1;
                        clk = (clk & ~mask) | v;
                        p += 6;
                    }
                }
                if (first) CHECK(ext);
                first = 0;
                CHECK_EQ_U64(id, 5);
                uint64_t i = rd64(pk + p);
                p += 8;
                uint64_t want = 1000 + 100 * (i + 1) + (i >= 200 ? (1u << 27) - 100 : 0);
                CHECK_MSG(clk == want, "type %d event %llu: clock %llu != %llu", type,
                          (unsigned long long)i, (unsigned long long)clk, (unsigned long long)want);
                CHECK(clk >= tb && clk <= te);
                events++;
            }
            off += size;
        }
        CHECK_EQ_U64(events, 400);
        CHECK(seq >= 2);
        /* the index: one big-endian entry per packet */
        snprintf(path, sizeof path, "%s/index/channel0_3.idx", dir);
        f = fopen(path, "rb");
        CHECK(f);
        n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        CHECK_EQ_U64(n, 16 + 72 * seq);
        CHECK_EQ_U64(buf[0], 0xC1);
        CHECK_EQ_U64(rdbe64(buf + 16), 0);                             /* offset of packet 0 */
        CHECK_EQ_U64(rdbe64(buf + 16 + 72 + 0), 4096);                 /* packet 1 follows it */
        CHECK_EQ_U64(rdbe64(buf + 16 + 72 * (seq - 1) + 64), seq - 1); /* packet_seq_num */
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

TEST(sim_vchk_definition)
{
    vchk c;
    vchk_init(&c);
    vchk_guest(&c, 5);    /* before the first host event: unchecked */
    vchk_host(&c, 10, 0); /* exit: VMM from 10 */
    vchk_guest(&c, 10);   /* boundary: running */
    vchk_guest(&c, 12);   /* outside */
    vchk_host(&c, 14, 2); /* switched out (inside the VMM period) */
    vchk_guest(&c, 14);   /* still strictly inside (10, 20) */
    vchk_host(&c, 18, 3); /* switched in */
    vchk_host(&c, 20, 1); /* entry */
    vchk_guest(&c, 20);   /* boundary */
    vchk_guest(&c, 25);   /* running */
    vchk_host(&c, 30, 2); /* switched out without an exit: PREEMPT from 30 */
    vchk_guest(&c, 30);   /* the last host event's time: checked, a period starts there */
    vchk_guest(&c, 31);   /* after the last host event: unchecked */
    vchk_guest(&c, 40);   /* unchecked */
    vchk_finish(&c);
    CHECK_EQ_U64(c.total, 9);
    CHECK_EQ_U64(c.unchecked, 3);
    CHECK_EQ_U64(c.outside, 2);
    vchk_free(&c);
    /* the guest clock far ahead of the host's: events wait, then get placed */
    vchk_init(&c);
    for (int i = 0; i < 1000; i++) vchk_guest(&c, 1000000 + i);
    for (int i = 0; i < 100; i++) {
        vchk_host(&c, 999000 + 20 * i, 0);
        vchk_host(&c, 999000 + 20 * i + 10, 1);
    }
    vchk_host(&c, 2000000, 0);
    vchk_finish(&c);
    CHECK_EQ_U64(c.total, 1000);
    CHECK_EQ_U64(c.unchecked, 0);
    /* periods (999000+20k, 999000+20k+10) for 999000+20k >= 999991: k in 50..99 */
    CHECK_EQ_U64(c.outside, 50 * 9);
    vchk_free(&c);
}

TEST(sim_catalog_header_choice)
{
    sim_catalog full, small;
    catalog_build(&full, ROLE_HOST, 0);
    catalog_build(&small, ROLE_MACHINE, 1);
    CHECK(full.nevents >= 31);
    CHECK_EQ_I64(full.header_type, CTFW_HEADER_LARGE);
    CHECK(small.nevents < 31);
    CHECK_EQ_I64(small.header_type, CTFW_HEADER_COMPACT);
    CHECK(full.id[EV_KVM_EXIT] != SIM_NOID && small.id[EV_KVM_EXIT] == SIM_NOID);
    /* ids are 0..n-1, each once */
    uint8_t seen[256] = {0};
    for (int ev = 0; ev < (int)EV__COUNT; ev++) {
        if (full.id[ev] == SIM_NOID) continue;
        CHECK(full.id[ev] < full.nevents && !seen[full.id[ev]]);
        seen[full.id[ev]] = 1;
    }
    ts_strbuf o;
    sb_init(&o);
    uint8_t uuid[16] = {0};
    sim_meta_env env = {"h",
                        "6.1.0",
                        "#1",
                        8,
                        "t",
                        "20240315T100000+0000",
                        NULL,
                        uuid,
                        "00000000-0000-0000-0000-000000000001",
                        1710000000000000000LL};
    catalog_metadata(&full, &env, &o);
    CHECK(strstr(o.data, "tracer_minor = 13;"));
    CHECK(strstr(o.data, "event.header := struct event_header_large;"));
    CHECK(strstr(o.data, "name = \"kvm_x86_exit\";"));
    CHECK(strstr(o.data, "\"_tcp\" = 6,"));
    CHECK(strstr(o.data, "integer { size = 9; align = 1; signed = 0; encoding = none; base = 16; "
                         "byte_order = be; } _flags;"));
    CHECK(strstr(o.data, "offset = 1710000000000000000;"));
    sb_free(&o);
}
