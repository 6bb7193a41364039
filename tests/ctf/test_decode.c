/* Stream decoding: bit-fields and byte orders, timestamp reconstruction from
 * partial values, and corrupt or truncated streams (errors name the file and
 * byte; the rest is read). Traces are built by hand in a temporary folder. */
#include "ctf/decode.h"
#include "tracesync/traceset.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- a tiny bit writer ---------------------------------------------------- */

typedef struct bw {
    uint8_t buf[1 << 16];
    uint64_t pos; /* bits */
} bw;

static void bw_align(bw *w, unsigned a) /* a in bits, as CTF's align */
{
    w->pos = (w->pos + a - 1) / a * a;
}

static void bw_put(bw *w, uint64_t v, unsigned size, int be)
{
    for (unsigned i = 0; i < size; i++) {
        unsigned bit = be ? (unsigned)((v >> (size - 1 - i)) & 1) : (unsigned)((v >> i) & 1);
        uint64_t p = w->pos + i;
        unsigned shift = be ? 7 - (unsigned)(p & 7) : (unsigned)(p & 7);
        if (bit)
            w->buf[p >> 3] |= (uint8_t)(1u << shift);
        else
            w->buf[p >> 3] &= (uint8_t) ~(1u << shift);
    }
    w->pos += size;
}

static char tmpdir[256];

static void write_file(const char *name, const void *d, size_t n)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "wb");
    fwrite(d, 1, n, f);
    fclose(f);
}

static void make_dir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ts-unit-XXXXXX");
    if (!mkdtemp(tmpdir)) tmpdir[0] = '\0';
}

static void remove_dir(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) tmpdir[0] = '\0';
}

static const char *md_common =
    "/* CTF 1.8 */\n"
    "typealias integer { size = 8; align = 8; signed = false; } := uint8_t;\n"
    "typealias integer { size = 16; align = 8; signed = false; } := uint16_t;\n"
    "typealias integer { size = 32; align = 8; signed = false; } := uint32_t;\n"
    "typealias integer { size = 64; align = 8; signed = false; } := uint64_t;\n"
    "typealias integer { size = 5; align = 1; signed = false; } := uint5_t;\n"
    "typealias integer { size = 27; align = 1; signed = false; } := uint27_t;\n"
    "trace { major = 1; minor = 8; byte_order = le;\n"
    "  packet.header := struct { uint32_t magic; uint32_t stream_id; }; };\n"
    "env { hostname = \"unit\"; };\n"
    "clock { name = \"monotonic\"; uuid = \"11111111-2222-3333-4444-555555555555\"; freq = "
    "1000000000; offset = 1000; };\n"
    "typealias integer { size = 27; align = 1; signed = false; map = clock.monotonic.value; } := "
    "uint27_clock_monotonic_t;\n"
    "typealias integer { size = 64; align = 8; signed = false; map = clock.monotonic.value; } := "
    "uint64_clock_monotonic_t;\n"
    "struct packet_context { uint64_clock_monotonic_t timestamp_begin; uint64_clock_monotonic_t "
    "timestamp_end;\n"
    "  uint64_t content_size; uint64_t packet_size; uint64_t events_discarded; uint32_t cpu_id; "
    "};\n"
    "struct event_header_compact { enum : uint5_t { compact = 0 ... 30, extended = 31 } id;\n"
    "  variant <id> { struct { uint27_clock_monotonic_t timestamp; } compact;\n"
    "  struct { uint32_t id; uint64_clock_monotonic_t timestamp; } extended; } v; } align(8);\n"
    "stream { id = 0; event.header := struct event_header_compact; packet.context := struct "
    "packet_context; };\n";

/* packet header + context; returns the bit position of content_size for patching */
static void put_preamble(bw *w, uint64_t tb, uint64_t te, uint64_t disc, uint32_t cpu,
                         uint64_t *cs_at)
{
    bw_put(w, 0xC1FC1FC1u, 32, 0);
    bw_put(w, 0, 32, 0);
    bw_put(w, tb, 64, 0);
    bw_put(w, te, 64, 0);
    *cs_at = w->pos;
    bw_put(w, 0, 64, 0); /* content_size */
    bw_put(w, 0, 64, 0); /* packet_size */
    bw_put(w, disc, 64, 0);
    bw_put(w, cpu, 32, 0);
}

static void finish_packet(bw *w, uint64_t start_bit, uint64_t cs_at, uint64_t psize_bytes)
{
    uint64_t content = w->pos - start_bit;
    uint64_t save = w->pos;
    w->pos = cs_at;
    bw_put(w, content, 64, 0);
    bw_put(w, psize_bytes * 8, 64, 0);
    w->pos = start_bit + psize_bytes * 8;
    (void)save;
}

static void compact_event(bw *w, unsigned id, uint64_t ts)
{
    bw_align(w, 8);
    bw_put(w, id, 5, 0);
    bw_put(w, ts & ((1u << 27) - 1), 27, 0);
}

static void extended_event(bw *w, unsigned id, uint64_t ts)
{
    bw_align(w, 8);
    bw_put(w, 31, 5, 0);
    bw_align(w, 8);
    bw_put(w, id, 32, 0);
    bw_put(w, ts, 64, 0);
}

typedef struct collected {
    int n;
    int64_t ts[64];
    const char *name[64];
    uint64_t v[64][4];
    int vtype[64][4];
} collected;

static ts_status collect(const char *dir, const char *event, const char *const *paths, int npaths,
                         collected *out, ts_traceset **set_out, ts_error *err)
{
    memset(out, 0, sizeof *out);
    ts_traceset *set;
    const char *p[1] = {dir};
    ts_status st = ts_traceset_open(p, 1, &set, err);
    if (st) return st;
    ts_request *rq = ts_request_new();
    ts_request_all_events(rq);
    for (int i = 0; i < npaths; i++) ts_request_field(rq, event, paths[i], (unsigned)i, err);
    ts_iter *it;
    st = ts_iter_new_ex(set, rq, 1, &it, err);
    if (!st) {
        const ts_event *ev;
        while (ts_iter_next(it, &ev, err) == TS_OK && ev && out->n < 64) {
            out->ts[out->n] = ev->ts;
            out->name[out->n] = ev->name;
            for (int i = 0; i < npaths && i < 4; i++) {
                out->v[out->n][i] = ts_value_u64(&ev->slots[i]);
                out->vtype[out->n][i] = ev->slots[i].type;
            }
            out->n++;
        }
        ts_iter_free(it);
    }
    ts_request_free(rq);
    *set_out = set;
    return st;
}

TEST(decode_read_bits_both_orders)
{
    uint8_t b[16] = {0xA5, 0x3C, 0xFF, 0x01, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    /* LE: bits from the least significant bit of each byte */
    CHECK_EQ_U64(ctf_read_bits(b, 0, 4, 0), 0x5);
    CHECK_EQ_U64(ctf_read_bits(b, 4, 4, 0), 0xA);
    CHECK_EQ_U64(ctf_read_bits(b, 4, 8, 0), 0xCA);
    CHECK_EQ_U64(ctf_read_bits(b, 0, 16, 0), 0x3CA5);
    /* BE: from the most significant bit */
    CHECK_EQ_U64(ctf_read_bits(b, 0, 4, 1), 0xA);
    CHECK_EQ_U64(ctf_read_bits(b, 4, 4, 1), 0x5);
    CHECK_EQ_U64(ctf_read_bits(b, 4, 8, 1), 0x53);
    CHECK_EQ_U64(ctf_read_bits(b, 0, 16, 1), 0xA53C);
    CHECK_EQ_U64(ctf_read_bits(b, 7, 3, 1), 0x4); /* 1 (last bit of A5) then 00 */
    /* 64-bit value at an odd bit offset spans 9 bytes */
    uint8_t c[24];
    for (int i = 0; i < 24; i++) c[i] = (uint8_t)(i * 37 + 1);
    bw w;
    memset(&w, 0, sizeof w);
    w.pos = 3;
    bw_put(&w, 0x0123456789ABCDEFULL, 64, 0);
    CHECK_EQ_U64(ctf_read_bits(w.buf, 3, 64, 0), 0x0123456789ABCDEFULL);
    memset(&w, 0, sizeof w);
    w.pos = 5;
    bw_put(&w, 0xFEDCBA9876543210ULL, 64, 1);
    CHECK_EQ_U64(ctf_read_bits(w.buf, 5, 64, 1), 0xFEDCBA9876543210ULL);
    (void)c;
}

TEST(decode_clock_update_one_overflow)
{
    /* 27-bit partial timestamps: a smaller value than the clock's low bits
     * means one wrap */
    uint64_t clk = 0x12345678ULL << 27 | 100;
    CHECK_EQ_U64(ctf_clock_update(clk, 200, 27), (0x12345678ULL << 27) | 200);
    CHECK_EQ_U64(ctf_clock_update(clk, 50, 27), (0x12345679ULL << 27) | 50);
    CHECK_EQ_U64(ctf_clock_update(clk, 777, 64), 777);
}

TEST(decode_bitfields_and_byte_orders)
{
    make_dir();
    char md[8192];
    snprintf(md, sizeof md,
             "%s event { name = \"bits\"; id = 1; stream_id = 0; fields := struct {\n"
             "  integer { size = 4; align = 4; signed = 0; byte_order = be; } _version;\n"
             "  integer { size = 4; align = 4; signed = 0; byte_order = be; } _ihl;\n"
             "  integer { size = 3; align = 1; signed = 1; } _s3;\n"
             "  integer { size = 5; align = 1; signed = 0; } _u5;\n"
             "  integer { size = 7; align = 8; signed = 0; byte_order = be; } _reserved;\n"
             "  integer { size = 9; align = 1; signed = 0; byte_order = be; } _flags;\n"
             "  integer { size = 16; align = 8; signed = 0; byte_order = be; } _port;\n"
             "  integer { size = 32; align = 32; signed = 1; } _neg;\n"
             "}; };\n",
             md_common);
    write_file("metadata", md, strlen(md));
    bw w;
    memset(&w, 0, sizeof w);
    uint64_t cs_at;
    put_preamble(&w, 5000, 6000, 0, 2, &cs_at);
    compact_event(&w, 1, 5100);
    bw_put(&w, 4, 4, 1);     /* version */
    bw_put(&w, 5, 4, 1);     /* ihl */
    bw_put(&w, 0x5, 3, 0);   /* s3 = -3 */
    bw_put(&w, 0x11, 5, 0);  /* u5 */
    bw_put(&w, 0x7f, 7, 1);  /* reserved: bits of another byte order start a new byte */
    bw_put(&w, 0x112, 9, 1); /* flags */
    bw_align(&w, 8);
    bw_put(&w, 8080, 16, 1);
    bw_align(&w, 32);
    bw_put(&w, (uint32_t)-123456, 32, 0);
    finish_packet(&w, 0, cs_at, 4096);
    write_file("chan_0", w.buf, 4096);
    const char *paths[] = {"version", "ihl", "s3", "flags"};
    collected c;
    ts_traceset *set = NULL;
    ts_error e;
    ts_status st = collect(tmpdir, "bits", paths, 4, &c, &set, &e);
    CHECK_MSG(st == TS_OK, "%s", e.msg);
    CHECK_EQ_I64(c.n, 1);
    CHECK_EQ_I64(c.ts[0], 1000 + 5100);
    CHECK_EQ_U64(c.v[0][0], 4);
    CHECK_EQ_U64(c.v[0][1], 5);
    CHECK(c.vtype[0][2] == TS_VAL_INT);
    CHECK_EQ_I64((int64_t)c.v[0][2], -3);
    CHECK_EQ_U64(c.v[0][3], 0x112);
    CHECK_EQ_I64(ts_traceset_error_count(set), 0);
    ts_traceset_free(set);
    const char *paths2[] = {"port", "neg", "u5", "reserved"};
    st = collect(tmpdir, "bits", paths2, 4, &c, &set, &e);
    CHECK(st == TS_OK);
    CHECK_EQ_U64(c.v[0][0], 8080);
    CHECK_EQ_I64((int64_t)c.v[0][1], -123456);
    CHECK_EQ_U64(c.v[0][2], 0x11);
    CHECK_EQ_U64(c.v[0][3], 0x7f);
    ts_traceset_free(set);
    remove_dir();
}

TEST(decode_timestamp_reconstruction)
{
    make_dir();
    char md[8192];
    snprintf(md, sizeof md,
             "%s event { name = \"e\"; id = 3; stream_id = 0; };\n"
             "event { name = \"big\"; id = 40; stream_id = 0; };\n",
             md_common);
    write_file("metadata", md, strlen(md));
    bw w;
    memset(&w, 0, sizeof w);
    uint64_t cs_at;
    uint64_t base = (5ULL << 27) + 1000; /* clock starts above bit 27 */
    put_preamble(&w, base, base + (3ULL << 27), 0, 0, &cs_at);
    uint64_t t[5] = {base + 10, base + (1ULL << 27) - 5, base + (1ULL << 27) + 20,
                     base + (2ULL << 27) + 100, base + (3ULL << 27)};
    compact_event(&w, 3, t[0]);
    compact_event(&w, 3, t[1]);
    compact_event(&w, 3, t[2]);   /* low bits wrapped: one overflow */
    extended_event(&w, 40, t[3]); /* id > 30: extended header, full timestamp */
    extended_event(&w, 3, t[4]);
    finish_packet(&w, 0, cs_at, 4096);
    write_file("chan_0", w.buf, 4096);
    collected c;
    ts_traceset *set = NULL;
    ts_error e;
    CHECK(collect(tmpdir, "e", NULL, 0, &c, &set, &e) == TS_OK);
    CHECK_EQ_I64(c.n, 5);
    for (int i = 0; i < 5; i++) CHECK_EQ_I64(c.ts[i], (int64_t)t[i] + 1000);
    CHECK_STR(c.name[3], "big");
    ts_traceset_free(set);
    remove_dir();
}

/* Two packets of 3 events; the file is then damaged in various ways. */
static size_t two_packets(bw *w)
{
    memset(w, 0, sizeof *w);
    uint64_t cs_at;
    for (int p = 0; p < 2; p++) {
        uint64_t start = w->pos;
        put_preamble(w, 1000 + (uint64_t)p * 1000, 1900 + (uint64_t)p * 1000, p ? 7 : 0, 1, &cs_at);
        for (int i = 0; i < 3; i++)
            compact_event(w, 3, 1000 + (uint64_t)p * 1000 + (uint64_t)i * 10);
        finish_packet(w, start, cs_at, 256);
    }
    return 512;
}

static int count_events(const char *dir, ts_traceset **set, ts_error *e)
{
    collected c;
    if (collect(dir, "e", NULL, 0, &c, set, e) != TS_OK) return -1;
    return c.n;
}

static int diag_has(const ts_traceset *set, const char *a, const char *b)
{
    for (size_t i = 0; i < ts_traceset_diag_count(set); i++) {
        const char *d = ts_traceset_diag(set, i);
        if (strstr(d, a) && (!b || strstr(d, b))) return 1;
    }
    return 0;
}

TEST(decode_corrupt_streams)
{
    make_dir();
    char md[8192];
    snprintf(md, sizeof md, "%s event { name = \"e\"; id = 3; stream_id = 0; };\n", md_common);
    write_file("metadata", md, strlen(md));
    bw w;
    ts_error e;
    ts_traceset *set;

    /* intact: 6 events, 7 discarded events reported as a note */
    size_t n = two_packets(&w);
    write_file("chan_0", w.buf, n);
    CHECK_EQ_I64(count_events(tmpdir, &set, &e), 6);
    CHECK_EQ_I64(ts_traceset_error_count(set), 0);
    CHECK(diag_has(set, "discarded 7 event", "byte 256"));
    ts_traceset_free(set);

    /* truncated in the middle of the second packet's events (52-byte
     * preamble; 4-byte events at 52, 56, 60) */
    write_file("chan_0", w.buf, 256 + 58);
    CHECK_EQ_I64(count_events(tmpdir, &set, &e), 3 + 1);
    CHECK(ts_traceset_error_count(set) >= 1);
    CHECK(diag_has(set, "chan_0: byte 256", "truncated"));
    ts_traceset_free(set);

    /* truncated inside the second packet's context */
    write_file("chan_0", w.buf, 256 + 46);
    CHECK_EQ_I64(count_events(tmpdir, &set, &e), 3);
    CHECK(diag_has(set, "chan_0: byte 296", "bad packet header or context"));
    ts_traceset_free(set);

    /* bad magic in the second packet */
    two_packets(&w);
    w.buf[256] ^= 0xff;
    write_file("chan_0", w.buf, n);
    CHECK_EQ_I64(count_events(tmpdir, &set, &e), 3);
    CHECK(diag_has(set, "chan_0: byte 256", "bad packet magic"));
    ts_traceset_free(set);

    /* content size larger than packet size */
    two_packets(&w);
    {
        bw t = w;
        t.pos = 24 * 8; /* content_size of packet 0 */
        bw_put(&t, 999999, 64, 0);
        memcpy(w.buf, t.buf, 128);
    }
    write_file("chan_0", w.buf, n);
    CHECK_EQ_I64(count_events(tmpdir, &set, &e), 0);
    CHECK(diag_has(set, "chan_0: byte 0", "bad packet sizes"));
    ts_traceset_free(set);

    /* an undeclared event id in the first packet: the rest of that packet is
     * skipped, the second packet is read */
    two_packets(&w);
    {
        bw t = w;
        t.pos = 56 * 8; /* second event's header */
        bw_put(&t, 9, 5, 0);
        memcpy(w.buf, t.buf, 128);
    }
    write_file("chan_0", w.buf, n);
    CHECK_EQ_I64(count_events(tmpdir, &set, &e), 1 + 3);
    CHECK(diag_has(set, "chan_0: byte 56", "event id 9 is not declared"));
    ts_traceset_free(set);

    /* a file that is not a stream at all */
    write_file("chan_0", "hello, world", 12);
    CHECK_EQ_I64(count_events(tmpdir, &set, &e), 0);
    CHECK(diag_has(set, "chan_0: byte 0", NULL));
    ts_traceset_free(set);
    remove_dir();
}

TEST(decode_metadata_errors_stop_open)
{
    make_dir();
    const char *md = "/* CTF 1.8 */\ntrace { major = 1; minor = 8; byte_order = le; };\n"
                     "stream { id = 0; event.header := struct { uint99 id; }; };\n";
    write_file("metadata", md, strlen(md));
    ts_traceset *set = NULL;
    ts_error e;
    const char *p[1] = {tmpdir};
    CHECK(ts_traceset_open(p, 1, &set, &e) == TS_ERR_FORMAT);
    CHECK(strstr(e.msg, "/metadata: line 3") != NULL);
    /* packetized metadata with a bad magic in its second packet */
    uint8_t pk[2][64];
    memset(pk, 0, sizeof pk);
    for (int i = 0; i < 2; i++) {
        uint32_t magic = i ? 0x12345678u : 0x75D11D57u, content = 64 * 8, size = 64 * 8;
        memcpy(pk[i], &magic, 4);
        memcpy(pk[i] + 24, &content, 4);
        memcpy(pk[i] + 28, &size, 4);
        memset(pk[i] + 37, ' ', 27);
    }
    write_file("metadata", pk, sizeof pk);
    CHECK(ts_traceset_open(p, 1, &set, &e) == TS_ERR_FORMAT);
    CHECK_MSG(strstr(e.msg, "byte 64") && strstr(e.msg, "magic"), "%s", e.msg);
    /* truncated metadata packet */
    write_file("metadata", pk, 64 + 20);
    CHECK(ts_traceset_open(p, 1, &set, &e) == TS_ERR_TRUNCATED);
    remove_dir();
    const char *missing[1] = {"/nonexistent/trace"};
    CHECK(ts_traceset_open(missing, 1, &set, &e) == TS_ERR_NOTFOUND);
    CHECK(strstr(e.msg, "/nonexistent/trace") != NULL);
}
