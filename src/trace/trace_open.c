/* Opening one trace: its metadata, then every stream file, grouped into
 * streams (a CPU stream split over several files is one stream) and scanned
 * packet by packet (headers only). */
#include "trace/trace_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CTF_MAGIC 0xC1FC1FC1u

uint32_t ctf_type_count_nodes(const ctf_type *t)
{
    if (!t) return 0;
    uint32_t n = 1;
    for (size_t i = 0; i < t->nfields; i++) n += ctf_type_count_nodes(t->fields[i].type);
    if (t->elem) n += ctf_type_count_nodes(t->elem);
    return n;
}

int64_t ts_trace_cycles_to_ns(const ts_trace *t, uint64_t cycles)
{
    const ctf_clock *c = t->clock;
    if (!c) return (int64_t)cycles;
    if (c->freq == 1000000000ULL)
        return (int64_t)((uint64_t)c->offset_s * 1000000000ULL + (uint64_t)c->offset + cycles);
    __int128 total = (__int128)c->offset + (__int128)cycles;
    __int128 ns = (__int128)c->offset_s * 1000000000 + total * 1000000000 / (__int128)c->freq;
    return (int64_t)ns;
}

/* Roles of header/context fields, by their CTF 1.8 names. */
static void set_roles(ctf_type *root, int kind)
{
    if (!root || root->kind != CTF_STRUCT) return;
    for (size_t i = 0; i < root->nfields; i++) {
        const char *n = root->fields[i].name;
        ctf_type *t = root->fields[i].type;
        int r = ROLE_NONE;
        if (kind == 0) { /* packet header */
            if (!strcmp(n, "magic"))
                r = ROLE_MAGIC;
            else if (!strcmp(n, "uuid"))
                r = ROLE_UUID;
            else if (!strcmp(n, "stream_id"))
                r = ROLE_STREAM_ID;
            else if (!strcmp(n, "stream_instance_id"))
                r = ROLE_STREAM_INSTANCE_ID;
        } else { /* packet context */
            if (!strcmp(n, "timestamp_begin"))
                r = ROLE_TS_BEGIN;
            else if (!strcmp(n, "timestamp_end"))
                r = ROLE_TS_END;
            else if (!strcmp(n, "content_size"))
                r = ROLE_CONTENT_SIZE;
            else if (!strcmp(n, "packet_size"))
                r = ROLE_PACKET_SIZE;
            else if (!strcmp(n, "events_discarded"))
                r = ROLE_DISCARDED;
            else if (!strcmp(n, "cpu_id"))
                r = ROLE_CPU_ID;
            else if (!strcmp(n, "packet_seq_num"))
                r = ROLE_SEQ_NUM;
        }
        if (r == ROLE_UUID && t->kind == CTF_ARRAY)
            t->role = (uint8_t)r;
        else if (r != ROLE_NONE && r != ROLE_UUID && (t->kind == CTF_INT || t->kind == CTF_ENUM))
            t->role = (uint8_t)r;
    }
    ctf_type_finish(root);
}

/* Event header: every integer named "id" gives the event id (the last one
 * decoded wins: the extended form's 32-bit id overrides the compact one). */
static void set_event_id_roles(ctf_type *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->nfields; i++) {
        ctf_type *f = t->fields[i].type;
        if (!strcmp(t->fields[i].name, "id") && (f->kind == CTF_INT || f->kind == CTF_ENUM))
            f->role = ROLE_EVENT_ID;
        set_event_id_roles(f);
    }
}

/* Recognise the LTTng compact/large event header shapes for the fast path. */
static void make_hdr_plan(const ctf_type *h, hdr_plan *p)
{
    memset(p, 0, sizeof *p);
    if (!h || h->kind != CTF_STRUCT || h->nfields != 2) return;
    const ctf_type *id = h->fields[0].type, *v = h->fields[1].type;
    if (id->kind != CTF_ENUM || id->is_signed || id->role != ROLE_EVENT_ID || id->map_clock >= 0)
        return;
    if (v->kind != CTF_VARIANT || v->nfields != 2 || v->tag_enum != id) return;
    if (id->nentries != 2) return;
    /* entry 0: compact = 0 ... ext-1, entry 1: extended = ext */
    const ctf_enum_entry *e0 = &id->entries[0], *e1 = &id->entries[1];
    if (e0->lo != 0 || e1->lo != e1->hi || e0->hi + 1 != e1->lo) return;
    if (v->tag_map[0] < 0 || v->tag_map[1] < 0 || v->tag_map[0] == v->tag_map[1]) return;
    const ctf_type *c = v->fields[v->tag_map[0]].type, *x = v->fields[v->tag_map[1]].type;
    if (c->kind != CTF_STRUCT || c->nfields != 1 || x->kind != CTF_STRUCT || x->nfields != 2)
        return;
    const ctf_type *cts = c->fields[0].type, *eid = x->fields[0].type, *ets = x->fields[1].type;
    if (cts->kind != CTF_INT || cts->map_clock < 0 || ets->kind != CTF_INT || ets->map_clock < 0)
        return;
    if (eid->kind != CTF_INT || eid->role != ROLE_EVENT_ID || eid->is_signed) return;
    if (cts->map_clock != ets->map_clock) return;
    uint8_t bo = id->byte_order;
    if (cts->byte_order != bo || eid->byte_order != bo || ets->byte_order != bo) return;
    /* struct alignments must not exceed their first member's (no extra padding) */
    if (c->align > cts->align || x->align > (eid->align > ets->align ? eid->align : ets->align))
        return;
    p->be = bo == CTF_BE;
    p->id_bits = id->size;
    p->id_align = id->align;
    p->ext_id = e1->lo;
    p->cts_bits = cts->size;
    p->cts_align = c->align > cts->align ? c->align : cts->align;
    p->eid_bits = eid->size;
    p->eid_align = x->align > eid->align ? x->align : eid->align;
    p->ets_bits = ets->size;
    p->ets_align = ets->align;
    p->fast = !cts->is_signed && !ets->is_signed && cts->save_slot < 0 && ets->save_slot < 0 &&
              eid->save_slot < 0;
    bool le8 = !p->be && p->id_align <= 8 && p->cts_align <= 8 && p->eid_align == 8 &&
               p->ets_align <= 8 && p->eid_bits == 32 && p->ets_bits == 64;
    if (p->fast && le8 && p->id_bits == 5 && p->cts_bits == 27 && p->ext_id == 31)
        p->shape = HDR_COMPACT_LE8;
    else if (p->fast && le8 && p->id_bits == 16 && p->id_align == 8 && p->cts_bits == 32 &&
             p->cts_align == 8 && p->ext_id == 65535)
        p->shape = HDR_LARGE_LE8;
}

static int find_event_clock(const ctf_type *t)
{
    if (!t) return -1;
    if ((t->kind == CTF_INT || t->kind == CTF_ENUM) && t->map_clock >= 0) return t->map_clock;
    for (size_t i = 0; i < t->nfields; i++) {
        int c = find_event_clock(t->fields[i].type);
        if (c >= 0) return c;
    }
    return -1;
}

int ts_decode_packet_preamble(const ts_trace *t, const uint8_t *buf, size_t len, ctf_decoder *d,
                              int64_t *saved, const ctf_stream_class **sc,
                              uint64_t *first_event_bit)
{
    const ctf_meta *m = t->meta;
    memset(d, 0, sizeof *d);
    d->saved = saved;
    ctf_cursor c = {buf, 0, (uint64_t)len * 8};
    if (m->packet_header && ctf_decode(d, &c, m->packet_header, NULL)) return -1;
    if (d->roles_seen & (1u << ROLE_UUID)) d->uuid = buf; /* checked by the caller */
    uint64_t sid =
        (d->roles_seen & (1u << ROLE_STREAM_ID)) ? d->roles[ROLE_STREAM_ID] : m->streams[0].id;
    *sc = ctf_meta_stream(m, sid);
    if (!*sc) {
        d->error = "packet names a stream class the metadata does not declare";
        d->error_pos = 0;
        return -1;
    }
    if ((*sc)->packet_context && ctf_decode(d, &c, (*sc)->packet_context, NULL)) return -1;
    *first_event_bit = c.pos;
    return 0;
}

static int cmp_packets(const void *a, const void *b)
{
    const ts_packet *x = a, *y = b;
    if (x->ts_begin != y->ts_begin) return x->ts_begin < y->ts_begin ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Check the uuid array of the packet header against the trace's. */
static int uuid_ok(const ts_trace *t, const uint8_t *buf, size_t len)
{
    const ctf_meta *m = t->meta;
    if (!m->has_uuid || !m->packet_header) return 1;
    int i = ctf_type_field_index(m->packet_header, "uuid");
    if (i < 0) return 1;
    /* uuid follows the magic in every LTTng layout: compute its offset */
    uint64_t pos = 0;
    for (int k = 0; k < i; k++) {
        const ctf_type *f = m->packet_header->fields[k].type;
        if (f->fixed_bits < 0) return 1;
        pos = (pos + f->align - 1) / f->align * f->align + (uint64_t)f->fixed_bits;
    }
    const ctf_type *u = m->packet_header->fields[i].type;
    pos = (pos + u->align - 1) / u->align * u->align;
    if (pos % 8 || pos / 8 + 16 > len) return 1;
    return memcmp(buf + pos / 8, m->uuid_bytes, 16) == 0;
}

typedef struct file_scan {
    char *path;
    uint64_t stream_class;
    uint64_t instance;
    bool has_instance;
    uint32_t cpu;
    ts_packet *packets;
    size_t npackets, cap;
    uint64_t size;
} file_scan;

/* Scan every packet of one file.  Data errors become diagnostics. */
static ts_status scan_file(ts_trace *t, ts_traceset *set, file_scan *fs, ts_error *err)
{
    int fd = open(fs->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ts_error_set(err, TS_ERR_IO, "%s: cannot open: %s", fs->path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return ts_error_set(err, TS_ERR_IO, "%s: cannot stat: %s", fs->path, strerror(errno));
    }
    fs->size = (uint64_t)st.st_size;
    int64_t *saved = calloc(t->meta->nsaves + 1, sizeof *saved);
    size_t cap = 4096;
    uint8_t *buf = malloc(cap + 8); /* the decoder reads up to 8 bytes ahead */
    if (!saved || !buf) {
        free(saved);
        free(buf);
        close(fd);
        return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    }
    uint64_t off = 0;
    const ctf_stream_class *first_sc = NULL;
    while (off < fs->size) {
        size_t want = cap;
        if (fs->size - off < want) want = (size_t)(fs->size - off);
        ssize_t r = pread(fd, buf, want, (off_t)off);
        if (r < 0) {
            ts_traceset_add_diag(set, true, "%s: byte %llu: read error: %s", fs->path,
                                 (unsigned long long)off, strerror(errno));
            break;
        }
        memset(buf + r, 0, 8);
        ctf_decoder d;
        const ctf_stream_class *sc = NULL;
        uint64_t first_bit = 0;
        int rc = ts_decode_packet_preamble(t, buf, (size_t)r, &d, saved, &sc, &first_bit);
        if (rc && (size_t)r == cap && cap < (1u << 20)) {
            /* a header/context larger than what we read: read more */
            cap *= 4;
            uint8_t *nb = realloc(buf, cap + 8);
            if (!nb) break;
            buf = nb;
            continue;
        }
        if (rc) {
            ts_traceset_add_diag(set, true,
                                 "%s: byte %llu: bad packet header or context: %s (%llu bytes "
                                 "remain); the rest of this file is not read",
                                 fs->path, (unsigned long long)(off + d.error_pos / 8), d.error,
                                 (unsigned long long)(fs->size - off));
            break;
        }
        if ((d.roles_seen & (1u << ROLE_MAGIC)) && d.roles[ROLE_MAGIC] != CTF_MAGIC) {
            ts_traceset_add_diag(set, true,
                                 "%s: byte %llu: bad packet magic 0x%08llx (expected 0xc1fc1fc1); "
                                 "the rest of this file is not read",
                                 fs->path, (unsigned long long)off,
                                 (unsigned long long)d.roles[ROLE_MAGIC]);
            break;
        }
        if (!uuid_ok(t, buf, (size_t)r)) {
            ts_traceset_add_diag(set, true,
                                 "%s: byte %llu: packet uuid differs from the metadata's; the "
                                 "rest of this file is not read",
                                 fs->path, (unsigned long long)off);
            break;
        }
        uint64_t psize_bits = (d.roles_seen & (1u << ROLE_PACKET_SIZE)) ? d.roles[ROLE_PACKET_SIZE]
                                                                        : (fs->size - off) * 8;
        uint64_t content =
            (d.roles_seen & (1u << ROLE_CONTENT_SIZE)) ? d.roles[ROLE_CONTENT_SIZE] : psize_bits;
        if (psize_bits == 0 || psize_bits % 8 || content > psize_bits || content < first_bit) {
            ts_traceset_add_diag(set, true,
                                 "%s: byte %llu: bad packet sizes (packet %llu bits, content %llu "
                                 "bits, header+context %llu bits); the rest of this file is not "
                                 "read",
                                 fs->path, (unsigned long long)off, (unsigned long long)psize_bits,
                                 (unsigned long long)content, (unsigned long long)first_bit);
            break;
        }
        if (first_sc && sc != first_sc) {
            ts_traceset_add_diag(set, true,
                                 "%s: byte %llu: packet of stream class %llu in a file of stream "
                                 "class %llu; the rest of this file is not read",
                                 fs->path, (unsigned long long)off, (unsigned long long)sc->id,
                                 (unsigned long long)first_sc->id);
            break;
        }
        ts_packet pk;
        memset(&pk, 0, sizeof pk);
        pk.offset = off;
        pk.size = psize_bits / 8;
        pk.content_bits = content;
        if (pk.size > fs->size - off) {
            uint64_t avail = fs->size - off;
            ts_traceset_add_diag(set, true,
                                 "%s: byte %llu: packet announces %llu bytes but the file ends "
                                 "after %llu (truncated file); events up to the cut are read",
                                 fs->path, (unsigned long long)off, (unsigned long long)pk.size,
                                 (unsigned long long)avail);
            pk.size = avail;
            if (pk.content_bits > avail * 8) pk.content_bits = avail * 8;
        }
        pk.ts_begin = d.roles[ROLE_TS_BEGIN];
        pk.ts_end = d.roles[ROLE_TS_END];
        pk.discarded = d.roles[ROLE_DISCARDED];
        pk.seq_num = d.roles[ROLE_SEQ_NUM];
        pk.cpu = (d.roles_seen & (1u << ROLE_CPU_ID)) ? (uint32_t)d.roles[ROLE_CPU_ID] : UINT32_MAX;
        pk.order = (uint32_t)fs->npackets;
        if (fs->npackets == 0) {
            first_sc = sc;
            fs->stream_class = sc->id;
            fs->has_instance = (d.roles_seen & (1u << ROLE_STREAM_INSTANCE_ID)) != 0;
            fs->instance = d.roles[ROLE_STREAM_INSTANCE_ID];
            fs->cpu = pk.cpu;
        }
        if (fs->npackets == fs->cap) {
            size_t nc = fs->cap ? fs->cap * 2 : 64;
            ts_packet *np = realloc(fs->packets, nc * sizeof *np);
            if (!np) break;
            fs->packets = np;
            fs->cap = nc;
        }
        fs->packets[fs->npackets++] = pk;
        off += pk.size;
    }
    free(saved);
    free(buf);
    close(fd);
    return TS_OK;
}

static int is_stream_file(const char *dir, const char *name)
{
    if (name[0] == '.' || !strcmp(name, "metadata")) return 0;
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static const ctf_env_entry *env_str(const ctf_meta *m, const char *k)
{
    const ctf_env_entry *e = ctf_meta_env(m, k);
    return e && e->str ? e : NULL;
}

ts_status ts_trace_open(const char *dir, ts_traceset *set, ts_trace **out, ts_error *err)
{
    *out = NULL;
    ts_trace *t = calloc(1, sizeof *t);
    if (!t) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    t->path = strdup(dir);
    char mpath[4096];
    snprintf(mpath, sizeof mpath, "%s/metadata", dir);
    ts_status st = ctf_meta_read_file(mpath, &t->meta, err);
    if (st) {
        ts_trace_free(t);
        return st;
    }
    ctf_meta *m = t->meta;
    const ctf_env_entry *h = env_str(m, "hostname");
    t->hostname = strdup(h ? h->str : "");
    /* roles and clock */
    if (m->packet_header) set_roles(m->packet_header, 0);
    int clk = -1;
    for (size_t s = 0; s < m->nstreams; s++) {
        set_roles(m->streams[s].packet_context, 1);
        set_event_id_roles(m->streams[s].event_header);
        if (m->streams[s].event_header) ctf_type_finish(m->streams[s].event_header);
        if (clk < 0) clk = find_event_clock(m->streams[s].event_header);
    }
    if (clk < 0 && m->nclocks > 0) clk = 0;
    t->clock = clk >= 0 ? &m->clocks[clk] : NULL;
    t->host_id = strdup(t->clock && t->clock->uuid[0] ? t->clock->uuid : "");
    t->plans = calloc(m->nstreams + 1, sizeof *t->plans);
    if (!t->plans) {
        ts_trace_free(t);
        return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    }
    for (size_t s = 0; s < m->nstreams; s++) {
        const ctf_stream_class *sc = &m->streams[s];
        sc_plan *pl = &t->plans[s];
        make_hdr_plan(sc->event_header, &pl->hdr);
        uint64_t maxid = 0;
        for (size_t e = 0; e < sc->nby_id; e++)
            if (sc->by_id[e]->id > maxid) maxid = sc->by_id[e]->id;
        if (sc->nby_id && maxid < (1u << 20)) {
            pl->by_id = calloc(maxid + 1, sizeof *pl->by_id);
            if (!pl->by_id) {
                ts_trace_free(t);
                return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
            }
            pl->nby_id = maxid + 1;
            for (size_t e = 0; e < sc->nby_id; e++) pl->by_id[sc->by_id[e]->id] = sc->by_id[e];
        }
    }
    t->nodes_fields = calloc(m->nevents + 1, sizeof *t->nodes_fields);
    t->nodes_context = calloc(m->nstreams + 1, sizeof *t->nodes_context);
    if (!t->path || !t->hostname || !t->host_id || !t->nodes_fields || !t->nodes_context) {
        ts_trace_free(t);
        return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    }
    for (size_t e = 0; e < m->nevents; e++)
        t->nodes_fields[e] = ctf_type_count_nodes(m->events[e].fields);
    for (size_t s = 0; s < m->nstreams; s++)
        t->nodes_context[s] = ctf_type_count_nodes(m->streams[s].event_context);

    /* stream files */
    DIR *dd = opendir(dir);
    if (!dd) {
        ts_trace_free(t);
        return ts_error_set(err, TS_ERR_IO, "%s: cannot list: %s", dir, strerror(errno));
    }
    char **names = NULL;
    size_t nnames = 0;
    struct dirent *de;
    while ((de = readdir(dd))) {
        if (!is_stream_file(dir, de->d_name)) continue;
        char **nn = realloc(names, (nnames + 1) * sizeof *nn);
        if (!nn) break;
        names = nn;
        names[nnames] = strdup(de->d_name);
        if (names[nnames]) nnames++;
    }
    closedir(dd);
    if (nnames) qsort(names, nnames, sizeof *names, cmp_str);
    file_scan *scans = calloc(nnames + 1, sizeof *scans);
    if (!scans) {
        for (size_t i = 0; i < nnames; i++) free(names[i]);
        free(names);
        ts_trace_free(t);
        return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < nnames; i++) {
        size_t l = strlen(dir) + strlen(names[i]) + 2;
        scans[i].path = malloc(l);
        if (scans[i].path) snprintf(scans[i].path, l, "%s/%s", dir, names[i]);
        free(names[i]);
        if (!scans[i].path) continue;
        st = scan_file(t, set, &scans[i], err);
        if (st) break;
    }
    free(names);
    /* group files into streams: same stream class and instance id (or cpu) */
    for (size_t i = 0; st == TS_OK && i < nnames; i++) {
        file_scan *fs = &scans[i];
        if (!fs->path || fs->npackets == 0) continue;
        ts_stream *s = NULL;
        for (size_t k = 0; k < t->nstreams; k++) {
            ts_stream *c = &t->streams[k];
            if (c->sc->id != fs->stream_class) continue;
            if (fs->has_instance ? (c->has_instance && c->instance_id == fs->instance)
                                 : (!c->has_instance && fs->cpu != UINT32_MAX && c->cpu == fs->cpu))
                s = c;
        }
        if (!s) {
            ts_stream *ns = realloc(t->streams, (t->nstreams + 1) * sizeof *ns);
            if (!ns) {
                st = ts_error_set(err, TS_ERR_NOMEM, "out of memory");
                break;
            }
            t->streams = ns;
            s = &t->streams[t->nstreams++];
            memset(s, 0, sizeof *s);
            s->sc = ctf_meta_stream(m, fs->stream_class);
            s->instance_id = fs->instance;
            s->has_instance = fs->has_instance;
            s->cpu = fs->cpu;
            s->has_seq = false;
        }
        char **nf = realloc(s->files, (s->nfiles + 1) * sizeof *nf);
        ts_packet *np = realloc(s->packets, (s->npackets + fs->npackets) * sizeof *np);
        if (nf) s->files = nf;
        if (np) s->packets = np;
        if (!nf || !np) {
            st = ts_error_set(err, TS_ERR_NOMEM, "out of memory");
            break;
        }
        uint32_t fidx = (uint32_t)s->nfiles;
        s->files[s->nfiles++] = fs->path;
        fs->path = NULL;
        for (size_t k = 0; k < fs->npackets; k++) {
            ts_packet pk = fs->packets[k];
            pk.file = fidx;
            pk.order = (uint32_t)s->npackets;
            s->packets[s->npackets++] = pk;
            s->bytes += pk.size;
        }
    }
    for (size_t i = 0; i < nnames; i++) {
        free(scans[i].path);
        free(scans[i].packets);
    }
    free(scans);
    if (st) {
        ts_trace_free(t);
        return st;
    }
    /* order packets by time; count losses */
    int has_seq_field = 0;
    for (size_t sidx = 0; sidx < m->nstreams; sidx++) {
        const ctf_type *pc = m->streams[sidx].packet_context;
        if (pc && ctf_type_field_index(pc, "packet_seq_num") >= 0) has_seq_field = 1;
    }
    for (size_t k = 0; k < t->nstreams; k++) {
        ts_stream *s = &t->streams[k];
        qsort(s->packets, s->npackets, sizeof *s->packets, cmp_packets);
        s->has_seq =
            has_seq_field && ctf_type_field_index(s->sc->packet_context, "packet_seq_num") >= 0;
        uint64_t prev_disc = 0;
        for (size_t p = 0; p < s->npackets; p++) {
            ts_packet *pk = &s->packets[p];
            if (pk->discarded > prev_disc) {
                uint64_t lost = pk->discarded - prev_disc;
                s->discarded += lost;
                ts_traceset_add_diag(set, false,
                                     "%s: byte %llu: the tracer discarded %llu event(s) before "
                                     "this packet (ring buffer full)",
                                     s->files[pk->file], (unsigned long long)pk->offset,
                                     (unsigned long long)lost);
            }
            if (pk->discarded > prev_disc || p == 0) prev_disc = pk->discarded;
            if (s->has_seq && p > 0 && pk->seq_num > s->packets[p - 1].seq_num + 1) {
                uint64_t lp = pk->seq_num - s->packets[p - 1].seq_num - 1;
                s->lost_packets += lp;
                ts_traceset_add_diag(
                    set, false, "%s: byte %llu: %llu packet(s) lost before this one",
                    s->files[pk->file], (unsigned long long)pk->offset, (unsigned long long)lp);
            }
        }
        if (s->has_seq && s->npackets && s->packets[0].seq_num > 0) {
            s->lost_packets += s->packets[0].seq_num;
        }
    }
    *out = t;
    return TS_OK;
}

void ts_trace_free(ts_trace *t)
{
    if (!t) return;
    for (size_t k = 0; k < t->nstreams; k++) {
        for (size_t f = 0; f < t->streams[k].nfiles; f++) free(t->streams[k].files[f]);
        free(t->streams[k].files);
        free(t->streams[k].packets);
    }
    free(t->streams);
    if (t->plans)
        for (size_t s = 0; s < t->meta->nstreams; s++) free(t->plans[s].by_id);
    free(t->plans);
    ctf_meta_free(t->meta);
    free(t->nodes_fields);
    free(t->nodes_context);
    free(t->name);
    free(t->path);
    free(t->hostname);
    free(t->host_id);
    free(t);
}
