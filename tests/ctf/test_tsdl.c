/* TSDL parser: real LTTng metadata of every version we carry, and the syntax
 * corners (ranges, repeated labels, auto-increment, sequences, variants). */
#include "ctf/meta.h"
#include "unit.h"

#include <stdio.h>

static ctf_meta *parse_str(const char *s, ts_error *e)
{
    ctf_meta *m = NULL;
    ctf_meta_parse(s, strlen(s), "test", &m, e);
    return m;
}

static const char *prolog =
    "typealias integer { size = 8; align = 8; signed = false; } := uint8_t;\n"
    "typealias integer { size = 16; align = 8; signed = false; } := uint16_t;\n"
    "typealias integer { size = 32; align = 8; signed = false; } := uint32_t;\n"
    "typealias integer { size = 64; align = 8; signed = false; } := uint64_t;\n"
    "typealias integer { size = 64; align = 8; signed = false; } := unsigned long;\n"
    "trace { major = 1; minor = 8; byte_order = le; uuid = "
    "\"830f2129-77d5-cb4e-90cf-b0754d8ce889\";\n"
    "  packet.header := struct { uint32_t magic; uint8_t uuid[16]; uint32_t stream_id; }; };\n"
    "clock { name = monotonic; uuid = \"88cba016-36e2-48c2-aff8-3e4b9aefb05c\"; freq = 1000000000; "
    "/* Hz */ offset = 1564079206484157378; };\n"
    "typealias integer { size = 32; align = 8; signed = false; map = clock.monotonic.value; } := "
    "uint32_clock_monotonic_t;\n"
    "stream { id = 0; event.header := struct { uint16_t id; uint32_clock_monotonic_t timestamp; } "
    "align(8); };\n";

TEST(tsdl_real_metadata_all_versions)
{
    struct {
        const char *path;
        size_t events;
        const char *hostname;
    } cases[] = {
        {"tests/data/traces/tc-many-threads/metadata", 1181, NULL},
        {"tests/data/traces/tc-flipping-endianness/metadata", 6, "qemu0"},
        {"tests/data/traces/tc-uneven-streams-partial/metadata", 1400, NULL},
        {"tests/data/traces/tc-synctraces/scp_src/metadata", 83, "VM1"},
        {"tests/data/traces/tc-bug446190/metadata", 541, NULL},
        {"tests/data/traces/bt-multi-domains/ust/metadata", 1, "joraj-alpa"},
        {"tests/data/traces/bt-multi-domains/kernel/metadata", 1, "joraj-alpa"},
        {"tests/data/traces/metadata-only/tc-kernel_vm/metadata", 777, NULL},
        {"tests/data/traces/metadata-only/tc-django-benchmark/django-db/metadata", 600, NULL},
        {"tests/data/traces/bt-lttng-tracefile-rotation/kernel/metadata", 19, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ctf_meta *m = NULL;
        ts_error e = {0};
        ts_status st = ctf_meta_read_file(cases[i].path, &m, &e);
        CHECK_MSG(st == TS_OK, "%s: %s", cases[i].path, e.msg);
        CHECK_MSG(m->nevents == cases[i].events, "%s: %zu events", cases[i].path, m->nevents);
        CHECK(m->nclocks == 1);
        CHECK_STR(m->clocks[0].name, "monotonic");
        CHECK_EQ_U64(m->clocks[0].freq, 1000000000ULL);
        CHECK(m->has_uuid);
        if (cases[i].hostname) {
            const ctf_env_entry *h = ctf_meta_env(m, "hostname");
            CHECK(h && h->str);
            CHECK_STR(h->str, cases[i].hostname);
        }
        CHECK(m->nstreams >= 1 && m->streams[0].event_header);
        ctf_meta_free(m);
    }
}

TEST(tsdl_net_event_variant_resolution)
{
    ctf_meta *m = NULL;
    ts_error e = {0};
    CHECK(ctf_meta_read_file("tests/data/traces/tc-uneven-streams-partial/metadata", &m, &e) ==
          TS_OK);
    const ctf_event_class *ev = NULL;
    for (size_t i = 0; i < m->nevents; i++)
        if (!strcmp(m->events[i].name, "net_if_receive_skb")) ev = &m->events[i];
    CHECK(ev != NULL);
    int nh = ctf_type_field_index(ev->fields, "network_header");
    CHECK(nh >= 0);
    const ctf_type *v = ev->fields->fields[nh].type;
    CHECK(v->kind == CTF_VARIANT);
    CHECK(v->ref_slot >= 0);
    CHECK(v->nfields == 3);
    int ip = ctf_type_field_index(v, "ipv4");
    CHECK(ip >= 0);
    const ctf_type *ipv4 = v->fields[ip].type;
    int th = ctf_type_field_index(ipv4, "transport_header");
    CHECK(th >= 0);
    const ctf_type *tv = ipv4->fields[th].type;
    /* 2.10: the transport variant is tagged by the protocol enum, whose
     * "_unknown" label has two ranges */
    CHECK(tv->kind == CTF_VARIANT && tv->tag_enum && tv->tag_enum->nentries == 3);
    CHECK(tv->tag_map[0] == tv->tag_map[2]);
    CHECK(ipv4->fields[0].type->byte_order == CTF_BE && ipv4->fields[0].type->size == 4);
    ctf_meta_free(m);
}

TEST(tsdl_enum_ranges_and_autoincrement)
{
    char buf[4096];
    snprintf(buf, sizeof buf,
             "%s event { name = \"e\"; id = 0; stream_id = 0; fields := struct {\n"
             " enum : integer { size = 32; align = 8; signed = 1; } { \"A\", \"B\" = 23, C, \"R\" "
             "= 101 ... 303, D, \"N\" = -5 } _e;\n"
             " uint8_t _len; uint16_t _seq[ _len ]; string _s; uint8_t x[3][2]; }; };",
             prolog);
    ts_error e = {0};
    ctf_meta *m = parse_str(buf, &e);
    CHECK_MSG(m != NULL, "%s", e.msg);
    const ctf_type *en = m->events[0].fields->fields[0].type;
    CHECK(en->kind == CTF_ENUM && en->nentries == 6);
    CHECK_EQ_U64(en->entries[0].lo, 0);
    CHECK_EQ_U64(en->entries[2].lo, 24);
    CHECK_EQ_U64(en->entries[3].hi, 303);
    CHECK_EQ_U64(en->entries[4].lo, 304);
    CHECK_EQ_I64((int64_t)en->entries[5].lo, -5);
    CHECK_STR(ctf_enum_label(en, 200), "R");
    CHECK_STR(ctf_enum_label(en, (uint64_t)-5), "N");
    const ctf_type *seq = m->events[0].fields->fields[2].type;
    CHECK(seq->kind == CTF_SEQUENCE && seq->ref_slot >= 0);
    CHECK(m->events[0].fields->fields[1].type->save_slot == seq->ref_slot);
    const ctf_type *arr = m->events[0].fields->fields[4].type;
    CHECK(arr->kind == CTF_ARRAY && arr->length == 3 && arr->elem->kind == CTF_ARRAY &&
          arr->elem->length == 2);
    CHECK_EQ_I64(arr->fixed_bits, 48);
    CHECK_STR(m->events[0].fields->fields[0].name, "e");
    ctf_meta_free(m);
}

TEST(tsdl_errors_have_line_numbers)
{
    const char *bad[] = {
        "trace { major = 1; minor = 8; byte_order = le; };\nstream { id = 0; event.header := "
        "struct { uint99 x; }; };",
        "typealias integer { size = 8; } := u8;\nevent { name = \"x\"; fields := struct { u8 a; u8 "
        "a; }; };",
        "typealias integer { size = 8; align = 3; } := u8;",
        "clock { name = c; freq = 0; };",
        "typealias integer { size = 8; } := u8;\nevent { name = \"x\"; fields := struct { u8 a[ "
        "nope ]; }; };",
        "typealias integer { size = 8; } := u8;\nevent { name = \"x\"; fields := struct { variant "
        "<tag> { u8 a; } v; }; };",
        "trace { uuid = \"zz\"; };",
        "\"unterminated",
        "event { name = \"x\"; fields := struct { integer { size = 65; } a; }; };",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ts_error e = {0};
        ctf_meta *m = parse_str(bad[i], &e);
        CHECK_MSG(m == NULL, "case %zu parsed", i);
        CHECK_MSG(e.code == TS_ERR_FORMAT, "case %zu: code %d", i, e.code);
        CHECK_MSG(strstr(e.msg, "test: line ") != NULL, "case %zu: %s", i, e.msg);
    }
    ts_error e = {0};
    CHECK(parse_str(bad[1], &e) == NULL);
    CHECK(strstr(e.msg, "line 2") && strstr(e.msg, "duplicate field"));
}
