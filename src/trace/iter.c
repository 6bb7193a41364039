/* Time-ordered iteration over a trace set.
 *
 * The unit of work is a packet: a job reads one packet into its own buffer
 * and decodes every event header in it, keeping a small record (clock,
 * position, class, requested field values) for each requested event; other
 * events are skipped by size.  Each stream owns a ring of K jobs, so at most K
 * packets per stream are in memory.  Worker threads decode queued jobs ahead
 * of the consumer; the consumer (the caller's thread) merges the streams'
 * current records with a binary heap keyed by (mapped time, trace, stream),
 * and decodes a job itself when no worker has started it yet.  Packets of one
 * stream are independent (each starts its clock at timestamp_begin), so
 * decoding them out of order is safe. */
#include "trace/trace_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { JOB_IDLE, JOB_QUEUED, JOB_RUNNING, JOB_DONE };

/* One decoded event, 24 bytes: a packet holds at most 2^32 bits (checked
 * when it is read). */
typedef struct ev_rec {
    uint64_t clock;     /* clock value (cycles) */
    uint32_t start_bit; /* event header start in the packet buffer */
    uint32_t cls;       /* event class index */
    int32_t slots;      /* offset in job->slots, or -1 */
    int32_t key;        /* request key (-1: wanted without key) */
} ev_rec;

typedef struct it_stream it_stream;

typedef struct job {
    struct job *prev, *next; /* queue links */
    int state;               /* guarded by the iterator's mutex when workers run */
    bool assigned;           /* holds a packet (read and written by the consumer only) */
    it_stream *is;
    size_t pkt;
    uint8_t *buf;
    size_t cap;
    ev_rec *recs;
    size_t nrec, caprec;
    ts_value *slots;
    size_t nslots, capslots;
    int64_t *saved;
    uint32_t cpu; /* the packet's cpu_id */
    bool has_err;
    char err[600];
} job;

typedef struct trace_rq {
    int32_t *cls_key;       /* per class: -2 not wanted, -1 wanted without key, >= 0 key */
    int64_t *skip_bits;     /* per class: payload size when it can be skipped by size (no
                               contexts, fixed size, nothing requested in it), else -1 */
    int16_t **marks_fields; /* per class, or NULL */
    int16_t **marks_ctx;    /* per class (over its stream's event context), or NULL */
} trace_rq;

struct it_stream {
    ts_trace *tr;
    ts_stream *st;
    const trace_rq *rq;
    uint32_t trace_idx, stream_idx;
    job *ring;
    size_t head;
    size_t next_pkt;
    size_t cur;
    bool ready; /* the job at head is decoded (checked once per packet) */
    bool done;
    int64_t ts;     /* mapped time of the current record */
    int64_t ts_raw; /* raw time of the current record */
    bool ns_slow;   /* the clock does not count nanoseconds */
    bool fast;      /* no window, no time map, ns clock: next record = base + clock */
    /* the current record, cached for the consumer's hot path */
    const ev_rec *rec, *rec_end;
    const job *cj;
    const ctf_event_class *events;
    int64_t ns_base; /* otherwise ns = ns_base + cycles */
};

/* Merge order: (time, trace, stream) packed in one unsigned 128-bit key:
 * the time biased by 2^63 in the high half, trace << 32 | stream in the low
 * half; an exhausted or absent leaf holds the maximum. */
typedef unsigned __int128 merge_key;
#define KEY_DONE (~(merge_key)0)

typedef struct tree_node {
    merge_key k;
    size_t s; /* stream (leaf) index */
} tree_node;

typedef struct ev_priv {
    const it_stream *is;
    const job *j;
    const ev_rec *r;
} ev_priv;

struct ts_iter {
    ts_traceset *set;
    it_stream *streams;
    size_t nstreams;
    trace_rq *rqs;
    size_t K;
    /* merge: a tournament tree of losers over the streams (leaves padded to a
     * power of two); tree[0] is the overall winner */
    tree_node *tree; /* tree[0]: the winner; tree[1..nleaves-1]: losers */
    size_t nleaves;
    pthread_t *threads;
    unsigned nthreads;
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done;
    job *qhead, *qtail;
    bool stop;
    bool window;
    int64_t wbegin, wend;
    bool started;
    bool have_last; /* the heap's root was returned last */
    ts_event ev;
    ev_priv priv;
    uint32_t max_saves;
};

/* ---- request compilation -------------------------------------------------- */

/* Mark the node at `path` (dots) under root; ancestors get MARK_INSIDE. */
static void mark_path(int16_t *marks, const ctf_type *root, const char *path, unsigned slot)
{
    const ctf_type *t = root;
    const char *s = path;
    const ctf_type *chain[64];
    int n = 0;
    char comp[256];
    while (t && *s) {
        const char *dot = strchr(s, '.');
        size_t len = dot ? (size_t)(dot - s) : strlen(s);
        if (len >= sizeof comp || n >= 63) return;
        memcpy(comp, s, len);
        comp[len] = '\0';
        if (t->kind != CTF_STRUCT && t->kind != CTF_VARIANT) return;
        int i = ctf_type_field_index(t, comp);
        if (i < 0) return;
        chain[n++] = t;
        t = t->fields[i].type;
        s = dot ? dot + 1 : s + len;
    }
    if (!t || *s) return;
    if (marks[t->node_id] >= 0) return; /* an earlier path wins */
    for (int k = 0; k < n; k++)
        if (marks[chain[k]->node_id] == MARK_NONE) marks[chain[k]->node_id] = MARK_INSIDE;
    marks[t->node_id] = (int16_t)slot;
    /* a text array is extracted whole; a struct or array as a whole is not
     * extractable, its leaves must be named */
}

static int16_t *new_marks(uint32_t n)
{
    int16_t *m = malloc((n ? n : 1) * sizeof *m);
    if (m)
        for (uint32_t i = 0; i < n; i++) m[i] = MARK_NONE;
    return m;
}

static ts_status compile_request(ts_trace *t, const ts_request *rq, trace_rq *out, ts_error *err)
{
    const ctf_meta *m = t->meta;
    size_t ne = m->nevents;
    out->cls_key = malloc((ne + 1) * sizeof *out->cls_key);
    out->marks_fields = calloc(ne + 1, sizeof *out->marks_fields);
    out->marks_ctx = calloc(ne + 1, sizeof *out->marks_ctx);
    out->skip_bits = malloc((ne + 1) * sizeof *out->skip_bits);
    if (!out->cls_key || !out->marks_fields || !out->marks_ctx || !out->skip_bits)
        return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    for (size_t e = 0; e < ne; e++) {
        const ctf_event_class *ec = &m->events[e];
        int32_t key = rq && rq->all ? -1 : -2;
        if (rq)
            for (size_t k = 0; k < rq->nnames; k++)
                if (!strcmp(rq->names[k], ec->name)) key = (int32_t)k;
        out->cls_key[e] = key;
        if (key < 0 || !rq) continue;
        const ctf_stream_class *sc = ctf_meta_stream(m, ec->stream_id);
        for (size_t f = 0; f < rq->nfields; f++) {
            const rq_field *rf = &rq->fields[f];
            if (rf->key != key) continue;
            if (!strncmp(rf->path, "context.", 8)) {
                if (!sc || !sc->event_context) continue;
                if (!out->marks_ctx[e]) {
                    size_t si = (size_t)(sc - m->streams);
                    out->marks_ctx[e] = new_marks(t->nodes_context[si]);
                    if (!out->marks_ctx[e]) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
                }
                mark_path(out->marks_ctx[e], sc->event_context, rf->path + 8, rf->slot);
            } else {
                if (!ec->fields) continue;
                if (!out->marks_fields[e]) {
                    out->marks_fields[e] = new_marks(t->nodes_fields[e]);
                    if (!out->marks_fields[e])
                        return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
                }
                mark_path(out->marks_fields[e], ec->fields, rf->path, rf->slot);
            }
        }
    }
    for (size_t e = 0; e < ne; e++) {
        const ctf_event_class *ec = &m->events[e];
        const ctf_stream_class *sc = ctf_meta_stream(m, ec->stream_id);
        const ctf_type *f = ec->fields;
        bool skippable = sc && !sc->event_context && !ec->context && !out->marks_fields[e] &&
                         (!f || (f->fixed_bits >= 0 && !f->has_saves));
        out->skip_bits[e] = skippable ? (f ? f->fixed_bits : 0) : -1;
    }
    return TS_OK;
}

static void free_request(trace_rq *r, size_t ne)
{
    if (r->marks_fields)
        for (size_t e = 0; e < ne; e++) free(r->marks_fields[e]);
    if (r->marks_ctx)
        for (size_t e = 0; e < ne; e++) free(r->marks_ctx[e]);
    free(r->marks_fields);
    free(r->marks_ctx);
    free(r->cls_key);
    free(r->skip_bits);
}

/* ---- packet decoding (any thread) ------------------------------------------ */

static void job_error(job *j, uint64_t bitpos, const char *what)
{
    const ts_packet *pk = &j->is->st->packets[j->pkt];
    j->has_err = true;
    snprintf(j->err, sizeof j->err,
             "%s: byte %llu: %s (in the packet at byte %llu); the rest of this packet is skipped",
             j->is->st->files[pk->file], (unsigned long long)(pk->offset + bitpos / 8), what,
             (unsigned long long)pk->offset);
}

/* The extended form of an x86 LTTng event header: [id:32][ts:64] at `ext` (after the
 * escape value), `bits` long in all; false (the job's error set) if it does not fit. */
static inline bool ext_header(job *j, ctf_cursor *c, const uint8_t *ext, uint64_t bits,
                              uint64_t *id, uint64_t *clock)
{
    if (c->pos + bits > c->end) {
        job_error(j, c->pos, "event header extends beyond the packet content");
        return false;
    }
    uint32_t eid;
    memcpy(&eid, ext, 4);
    memcpy(clock, ext + 4, 8);
    *id = eid;
    c->pos += bits;
    return true;
}

static int read_packet(job *j)
{
    const ts_packet *pk = &j->is->st->packets[j->pkt];
    if (pk->size >= (1ull << 29)) {
        job_error(j, 0, "packet larger than 512 MiB: not supported");
        return -1;
    }
    if (pk->size + 8 > j->cap) {
        size_t nc = (size_t)pk->size + 8;
        uint8_t *nb = realloc(j->buf, nc);
        if (!nb) {
            job_error(j, 0, "out of memory for the packet");
            return -1;
        }
        j->buf = nb;
        j->cap = nc;
    }
    const char *path = j->is->st->files[pk->file];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        job_error(j, 0, strerror(errno));
        return -1;
    }
    size_t got = 0;
    while (got < pk->size) {
        ssize_t r = pread(fd, j->buf + got, (size_t)pk->size - got, (off_t)(pk->offset + got));
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (got < pk->size) {
        job_error(j, got * 8, "the file is shorter than when it was scanned");
        return -1;
    }
    memset(j->buf + pk->size, 0, 8);
    return 0;
}

static ts_value *new_slots(job *j, int32_t *off)
{
    if (j->nslots + TS_MAX_SLOTS > j->capslots) {
        size_t nc = j->capslots ? j->capslots * 2 : 1024;
        while (nc < j->nslots + TS_MAX_SLOTS) nc *= 2;
        ts_value *ns = realloc(j->slots, nc * sizeof *ns);
        if (!ns) return NULL;
        j->slots = ns;
        j->capslots = nc;
    }
    *off = (int32_t)j->nslots;
    ts_value *v = &j->slots[j->nslots];
    memset(v, 0, TS_MAX_SLOTS * sizeof *v);
    j->nslots += TS_MAX_SLOTS;
    return v;
}

static int grow_recs(job *j, uint64_t at)
{
    size_t nc = j->caprec ? j->caprec * 2 : 4096;
    ev_rec *nr = realloc(j->recs, nc * sizeof *nr);
    if (!nr) {
        job_error(j, at, "out of memory");
        return -1;
    }
    j->recs = nr;
    j->caprec = nc;
    return 0;
}

static void decode_job(job *j)
{
    it_stream *is = j->is;
    const ts_trace *tr = is->tr;
    const ts_packet *pk = &is->st->packets[j->pkt];
    const ctf_stream_class *sc = is->st->sc;
    const trace_rq *rq = is->rq;
    j->nrec = 0;
    j->nslots = 0;
    j->has_err = false;
    j->cpu = pk->cpu;
    if (read_packet(j)) return;
    ctf_decoder d;
    const ctf_stream_class *psc;
    uint64_t first_bit;
    if (ts_decode_packet_preamble(tr, j->buf, (size_t)pk->size, &d, j->saved, &psc, &first_bit)) {
        job_error(j, d.error_pos, d.error);
        return;
    }
    uint64_t clock = pk->ts_begin;
    memset(&d, 0, sizeof d);
    d.saved = j->saved;
    d.clock = &clock;
    d.clock_updates = true;
    ctf_cursor c = {j->buf, first_bit, pk->content_bits};
    const ctf_type *hdr = sc->event_header;
    const sc_plan *pl = &tr->plans[sc - tr->meta->streams];
    const hdr_plan *hp = &pl->hdr;
    uint32_t halign = hdr ? hdr->align : 8;
    const uint8_t *buf = j->buf;
    for (;;) {
        c.pos = halign > 1 ? (c.pos + halign - 1) & ~(uint64_t)(halign - 1) : c.pos;
        if (c.pos >= c.end) break;
        uint64_t start = c.pos;
        uint64_t id = 0;
        if (hp->shape == HDR_COMPACT_LE8 && c.pos + 32 <= c.end && !(c.pos & 7)) {
            /* x86 compact header: [id:5 ts:27] or [31, pad:3][id:32][ts:64] */
            const uint8_t *b = buf + (c.pos >> 3);
            uint32_t w;
            memcpy(&w, b, 4);
            id = w & 31;
            if (id != 31) {
                clock = ctf_clock_update(clock, w >> 5, 27);
                c.pos += 32;
            } else if (!ext_header(j, &c, b + 1, 104, &id, &clock)) {
                return;
            }
        } else if (hp->shape == HDR_LARGE_LE8 && c.pos + 48 <= c.end && !(c.pos & 7)) {
            /* x86 large header: [id:16][ts:32] or [65535][id:32][ts:64] */
            const uint8_t *b = buf + (c.pos >> 3);
            uint16_t id16;
            memcpy(&id16, b, 2);
            id = id16;
            if (id != 65535) {
                uint32_t t32;
                memcpy(&t32, b + 2, 4);
                clock = ctf_clock_update(clock, t32, 32);
                c.pos += 48;
            } else if (!ext_header(j, &c, b + 2, 112, &id, &clock)) {
                return;
            }
        } else if (hp->fast) {
            /* LTTng compact/large header, any alignment and byte order */
            uint64_t pos = (c.pos + hp->id_align - 1) & ~(uint64_t)(hp->id_align - 1);
            if (pos + hp->id_bits > c.end) {
                job_error(j, pos, "event header extends beyond the packet content");
                return;
            }
            id = ctf_read_bits(buf, pos, hp->id_bits, hp->be);
            pos += hp->id_bits;
            if (id != hp->ext_id) {
                pos = (pos + hp->cts_align - 1) & ~(uint64_t)(hp->cts_align - 1);
                if (pos + hp->cts_bits > c.end) {
                    job_error(j, pos, "event header extends beyond the packet content");
                    return;
                }
                clock = ctf_clock_update(clock, ctf_read_bits(buf, pos, hp->cts_bits, hp->be),
                                         hp->cts_bits);
                pos += hp->cts_bits;
            } else {
                pos = (pos + hp->eid_align - 1) & ~(uint64_t)(hp->eid_align - 1);
                if (pos + hp->eid_bits > c.end) {
                    job_error(j, pos, "event header extends beyond the packet content");
                    return;
                }
                id = ctf_read_bits(buf, pos, hp->eid_bits, hp->be);
                pos += hp->eid_bits;
                pos = (pos + hp->ets_align - 1) & ~(uint64_t)(hp->ets_align - 1);
                if (pos + hp->ets_bits > c.end) {
                    job_error(j, pos, "event header extends beyond the packet content");
                    return;
                }
                clock = ctf_clock_update(clock, ctf_read_bits(buf, pos, hp->ets_bits, hp->be),
                                         hp->ets_bits);
                pos += hp->ets_bits;
            }
            c.pos = pos;
        } else if (hdr) {
            d.roles_seen = 0;
            d.marks = NULL;
            d.out = NULL;
            if (ctf_decode(&d, &c, hdr, NULL)) {
                job_error(j, d.error_pos, d.error);
                return;
            }
            id = (d.roles_seen & (1u << ROLE_EVENT_ID)) ? d.roles[ROLE_EVENT_ID] : 0;
        }
        const ctf_event_class *ec = id < pl->nby_id ? pl->by_id[id]
                                    : pl->by_id     ? NULL
                                                    : ctf_meta_event(sc, id);
        if (!ec) {
            char msg[96];
            snprintf(msg, sizeof msg, "event id %llu is not declared in the metadata",
                     (unsigned long long)id);
            job_error(j, start, msg);
            return;
        }
        int32_t key = rq->cls_key[ec->index];
        int64_t skip = rq->skip_bits[ec->index];
        if (skip >= 0) {
            /* no context, fixed-size payload, nothing requested in it */
            const ctf_type *f = ec->fields;
            if (f) {
                uint64_t pos = (c.pos + f->align - 1) & ~(uint64_t)(f->align - 1);
                if (pos + (uint64_t)skip > c.end) {
                    job_error(j, pos, "event payload extends beyond the packet content");
                    return;
                }
                c.pos = pos + (uint64_t)skip;
            }
            if (c.pos == start) {
                job_error(j, start, "event of size zero");
                return;
            }
            if (key == -2) continue;
            if (j->nrec == j->caprec && grow_recs(j, start)) return;
            ev_rec *r = &j->recs[j->nrec++];
            r->key = key;
            r->clock = clock;
            r->start_bit = (uint32_t)start;
            r->cls = ec->index;
            r->slots = -1;
            continue;
        }
        ts_value *out = NULL;
        int32_t soff = -1;
        const int16_t *mf = NULL, *mc = NULL;
        if (key != -2) {
            mf = rq->marks_fields[ec->index];
            mc = rq->marks_ctx[ec->index];
            if (mf || mc) {
                out = new_slots(j, &soff);
                if (!out) {
                    job_error(j, start, "out of memory");
                    return;
                }
            }
        }
        d.out = out;
        const ctf_type *scopes[3] = {sc->event_context, ec->context, ec->fields};
        const int16_t *marks[3] = {mc, NULL, mf};
        for (int k = 0; k < 3; k++) {
            const ctf_type *t = scopes[k];
            if (!t) continue;
            if (!marks[k] && t->fixed_bits >= 0 && !t->has_saves) {
                /* skip by size */
                uint64_t pos = (c.pos + t->align - 1) & ~(uint64_t)(t->align - 1);
                if (pos + (uint64_t)t->fixed_bits > c.end) {
                    job_error(j, pos, "event payload extends beyond the packet content");
                    return;
                }
                c.pos = pos + (uint64_t)t->fixed_bits;
                continue;
            }
            d.marks = marks[k];
            if (ctf_decode(&d, &c, t, NULL)) {
                job_error(j, d.error_pos, d.error);
                return;
            }
        }
        if (c.pos == start) {
            job_error(j, start, "event of size zero");
            return;
        }
        if (key == -2) continue;
        if (j->nrec == j->caprec && grow_recs(j, start)) return;
        ev_rec *r = &j->recs[j->nrec++];
        r->key = key;
        r->clock = clock;
        r->start_bit = (uint32_t)start;
        r->cls = ec->index;
        r->slots = soff;
    }
}

/* ---- workers ------------------------------------------------------------- */

static void queue_push(ts_iter *it, job *j)
{
    j->state = JOB_QUEUED;
    j->next = NULL;
    j->prev = it->qtail;
    if (it->qtail)
        it->qtail->next = j;
    else
        it->qhead = j;
    it->qtail = j;
}

static void queue_remove(ts_iter *it, job *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else
        it->qhead = j->next;
    if (j->next)
        j->next->prev = j->prev;
    else
        it->qtail = j->prev;
    j->prev = j->next = NULL;
}

static void *worker_main(void *arg)
{
    ts_iter *it = arg;
    pthread_mutex_lock(&it->mu);
    for (;;) {
        while (!it->stop && !it->qhead) pthread_cond_wait(&it->cv_work, &it->mu);
        if (it->stop) break;
        job *j = it->qhead;
        queue_remove(it, j);
        j->state = JOB_RUNNING;
        pthread_mutex_unlock(&it->mu);
        decode_job(j);
        pthread_mutex_lock(&it->mu);
        j->state = JOB_DONE;
        pthread_cond_broadcast(&it->cv_done);
    }
    pthread_mutex_unlock(&it->mu);
    return NULL;
}

/* Assign the stream's next packet to job j and queue it (or decode it now
 * when there are no workers). */
static void schedule(ts_iter *it, it_stream *is, job *j)
{
    if (is->next_pkt >= is->st->npackets) {
        j->assigned = false;
        return;
    }
    j->assigned = true;
    j->pkt = is->next_pkt++;
    if (it->nthreads == 0) {
        j->state = JOB_QUEUED; /* decoded lazily by wait_job */
        return;
    }
    pthread_mutex_lock(&it->mu);
    queue_push(it, j);
    pthread_cond_signal(&it->cv_work);
    pthread_mutex_unlock(&it->mu);
}

static void wait_job(ts_iter *it, job *j)
{
    if (it->nthreads == 0) {
        if (j->state == JOB_QUEUED) {
            decode_job(j);
            j->state = JOB_DONE;
        }
        return;
    }
    pthread_mutex_lock(&it->mu);
    if (j->state == JOB_QUEUED) {
        /* no worker took it yet: decode it here */
        queue_remove(it, j);
        j->state = JOB_RUNNING;
        pthread_mutex_unlock(&it->mu);
        decode_job(j);
        pthread_mutex_lock(&it->mu);
        j->state = JOB_DONE;
    }
    while (j->state != JOB_DONE) pthread_cond_wait(&it->cv_done, &it->mu);
    pthread_mutex_unlock(&it->mu);
}

/* ---- merge ---------------------------------------------------------------- */

static int64_t map_ts(const ts_trace *t, int64_t raw)
{
    return t->map ? t->map(t->map_ctx, raw) : raw;
}

/* Make the stream's current record valid (loading packets as needed);
 * applies the window.  Returns false when the stream is exhausted. */
static bool stream_settle(ts_iter *it, it_stream *is)
{
    for (;;) {
        if (is->done) return false;
        job *j = &is->ring[is->head];
        if (!is->ready) {
            if (!j->assigned) {
                is->done = true;
                return false;
            }
            wait_job(it, j);
            is->ready = true;
        }
        if (is->cur < j->nrec) {
            const ev_rec *r = &j->recs[is->cur];
            is->rec = r;
            is->rec_end = j->recs + j->nrec;
            is->cj = j;
            /* unsigned addition: a corrupt clock wraps instead of overflowing */
            is->ts_raw = is->ns_slow ? ts_trace_cycles_to_ns(is->tr, r->clock)
                                     : (int64_t)((uint64_t)is->ns_base + r->clock);
            is->ts = map_ts(is->tr, is->ts_raw);
            if (it->window) {
                if (is->ts > it->wend) {
                    is->done = true;
                    return false;
                }
                if (is->ts < it->wbegin) {
                    is->cur++;
                    continue;
                }
            }
            return true;
        }
        /* job exhausted: report its error, recycle it for a later packet */
        if (j->has_err) ts_traceset_add_diag(it->set, true, "%s", j->err);
        is->cur = 0;
        is->ready = false;
        schedule(it, is, j);
        is->head = (is->head + 1) % it->K;
    }
}

static inline merge_key stream_key(const it_stream *is, bool alive)
{
    return alive ? ((merge_key)((uint64_t)is->ts ^ (1ULL << 63)) << 64) |
                       ((uint64_t)is->trace_idx << 32 | is->stream_idx)
                 : KEY_DONE;
}

static void tree_build(ts_iter *it, const merge_key *keys)
{
    size_t L = it->nleaves;
    tree_node *win = malloc(2 * L * sizeof *win);
    if (!win) {
        /* no memory for the build: replay every leaf into an empty tree */
        for (size_t i = 0; i < L; i++) it->tree[i].k = KEY_DONE, it->tree[i].s = i;
        return;
    }
    for (size_t j = 0; j < L; j++) win[L + j].k = keys[j], win[L + j].s = j;
    for (size_t i = L; i-- > 1;) {
        tree_node a = win[2 * i], b = win[2 * i + 1];
        if (b.k < a.k) {
            tree_node t = a;
            a = b;
            b = t;
        }
        win[i] = a;
        it->tree[i] = b;
    }
    it->tree[0] = L > 1 ? win[1] : win[L];
    free(win);
}

/* The winner's key changed: replay its path to the root. */
static inline void tree_replay(ts_iter *it, size_t s, merge_key k)
{
    tree_node cur = {k, s};
    tree_node *t = it->tree;
    for (size_t i = (it->nleaves + s) / 2; i >= 1; i /= 2) {
        if (t[i].k < cur.k) {
            tree_node x = t[i];
            t[i] = cur;
            cur = x;
        }
    }
    t[0] = cur;
}

/* ---- public API ------------------------------------------------------------ */

ts_status ts_iter_new(ts_traceset *set, const ts_request *rq, ts_iter **out, ts_error *err)
{
    return ts_iter_new_ex(set, rq, 0, out, err);
}

ts_status ts_iter_new_ex(ts_traceset *set, const ts_request *rq, unsigned nthreads, ts_iter **out,
                         ts_error *err)
{
    *out = NULL;
    ts_iter *it = calloc(1, sizeof *it);
    if (!it) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    it->set = set;
    pthread_mutex_init(&it->mu, NULL);
    pthread_cond_init(&it->cv_work, NULL);
    pthread_cond_init(&it->cv_done, NULL);
    ts_status st = TS_OK;
    it->rqs = calloc(set->ntraces + 1, sizeof *it->rqs);
    size_t ns = 0;
    uint64_t maxpkt = 4096;
    for (size_t t = 0; t < set->ntraces; t++) {
        ns += set->traces[t]->nstreams;
        if (set->traces[t]->meta->nsaves > it->max_saves)
            it->max_saves = set->traces[t]->meta->nsaves;
        for (size_t s = 0; s < set->traces[t]->nstreams; s++)
            for (size_t p = 0; p < set->traces[t]->streams[s].npackets; p++)
                if (set->traces[t]->streams[s].packets[p].size > maxpkt)
                    maxpkt = set->traces[t]->streams[s].packets[p].size;
    }
    it->streams = calloc(ns + 1, sizeof *it->streams);
    it->nleaves = 1;
    while (it->nleaves < ns) it->nleaves *= 2;
    it->tree = calloc(it->nleaves, sizeof *it->tree);
    if (!it->rqs || !it->streams || !it->tree) {
        ts_iter_free(it);
        return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    }
    for (size_t t = 0; t < set->ntraces && !st; t++)
        st = compile_request(set->traces[t], rq, &it->rqs[t], err);
    if (st) {
        ts_iter_free(it);
        return st;
    }
    /* read-ahead depth: 2 to 4 packets per stream within 64 MiB of packets */
    uint64_t budget = 64ull << 20;
    uint64_t k = ns ? budget / (ns * maxpkt) : 2;
    it->K = k < 2 ? 2 : k > 4 ? 4 : (size_t)k;
    if (nthreads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        nthreads = n > 0 ? (unsigned)n : 1;
        if (nthreads > 16) nthreads = 16;
    }
    if (nthreads == 1) nthreads = 0; /* the caller's thread alone */
    for (size_t t = 0; t < set->ntraces; t++) {
        ts_trace *tr = set->traces[t];
        for (size_t s = 0; s < tr->nstreams; s++) {
            it_stream *is = &it->streams[it->nstreams++];
            is->tr = tr;
            is->st = &tr->streams[s];
            is->rq = &it->rqs[t];
            is->trace_idx = (uint32_t)t;
            is->stream_idx = (uint32_t)s;
            is->ns_slow = tr->clock && tr->clock->freq != 1000000000ULL;
            is->ns_base = is->ns_slow ? 0 : ts_trace_cycles_to_ns(tr, 0);
            is->fast = !is->ns_slow && !tr->map;
            is->events = tr->meta->events;
            is->ring = calloc(it->K, sizeof *is->ring);
            if (!is->ring) {
                ts_iter_free(it);
                return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
            }
            for (size_t r = 0; r < it->K; r++) {
                is->ring[r].is = is;
                is->ring[r].saved = calloc(it->max_saves + 1, sizeof(int64_t));
                if (!is->ring[r].saved) {
                    ts_iter_free(it);
                    return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
                }
            }
        }
    }
    if (nthreads > 0) {
        it->threads = calloc(nthreads, sizeof *it->threads);
        if (!it->threads) {
            ts_iter_free(it);
            return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        }
        for (unsigned i = 0; i < nthreads; i++) {
            if (pthread_create(&it->threads[i], NULL, worker_main, it) != 0) break;
            it->nthreads++;
        }
    }
    /* schedule the first K packets of every stream */
    for (size_t r = 0; r < it->K; r++)
        for (size_t s = 0; s < it->nstreams; s++)
            schedule(it, &it->streams[s], &it->streams[s].ring[r]);
    *out = it;
    return TS_OK;
}

void ts_iter_set_window(ts_iter *it, int64_t begin, int64_t end)
{
    for (size_t s = 0; s < it->nstreams; s++) it->streams[s].fast = false;
    it->window = true;
    it->wbegin = begin;
    it->wend = end;
}

ts_status ts_iter_next(ts_iter *it, const ts_event **ev, ts_error *err)
{
    (void)err;
    *ev = NULL;
    if (!it->started) {
        it->started = true;
        merge_key *keys = malloc(it->nleaves * sizeof *keys);
        if (!keys) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        for (size_t s = 0; s < it->nleaves; s++)
            keys[s] = s < it->nstreams
                          ? stream_key(&it->streams[s], stream_settle(it, &it->streams[s]))
                          : KEY_DONE;
        tree_build(it, keys);
        free(keys);
    } else if (it->have_last) {
        /* advance the winning stream and replay its path */
        size_t w = it->tree[0].s;
        it_stream *is = &it->streams[w];
        is->cur++;
        const ev_rec *nr = is->rec + 1;
        bool alive;
        if (is->fast && nr < is->rec_end) {
            /* fast path: the next record of the same packet */
            is->rec = nr;
            is->ts = is->ts_raw = (int64_t)((uint64_t)is->ns_base + nr->clock);
            alive = true;
        } else {
            alive = stream_settle(it, is);
        }
        tree_replay(it, w, stream_key(is, alive));
        it->have_last = false;
    }
    if (it->tree[0].k == KEY_DONE) return TS_OK; /* all exhausted */
    size_t s = it->tree[0].s;
    it_stream *is = &it->streams[s];
    const job *j = is->cj;
    const ev_rec *r = is->rec;
    ts_event *e = &it->ev;
    e->ts = is->ts;
    e->ts_raw = is->ts_raw;
    e->cycles = r->clock;
    e->trace = is->trace_idx;
    e->stream = is->stream_idx;
    e->cpu = j->cpu;
    e->key = r->key;
    e->class_index = r->cls;
    e->name = is->events[r->cls].name;
    static const ts_value none[TS_MAX_SLOTS];
    e->slots = r->slots >= 0 ? &j->slots[r->slots] : none;
    it->priv.is = is;
    it->priv.j = j;
    it->priv.r = r;
    e->priv = &it->priv;
    it->have_last = true;
    *ev = e;
    return TS_OK;
}

void ts_iter_free(ts_iter *it)
{
    if (!it) return;
    if (it->nthreads) {
        pthread_mutex_lock(&it->mu);
        it->stop = true;
        pthread_cond_broadcast(&it->cv_work);
        pthread_mutex_unlock(&it->mu);
        for (unsigned i = 0; i < it->nthreads; i++) pthread_join(it->threads[i], NULL);
    }
    free(it->threads);
    for (size_t s = 0; s < it->nstreams; s++) {
        it_stream *is = &it->streams[s];
        if (!is->ring) continue;
        for (size_t r = 0; r < it->K; r++) {
            free(is->ring[r].buf);
            free(is->ring[r].recs);
            free(is->ring[r].slots);
            free(is->ring[r].saved);
        }
        free(is->ring);
    }
    free(it->streams);
    if (it->rqs)
        for (size_t t = 0; t < it->set->ntraces; t++)
            free_request(&it->rqs[t], it->set->traces[t]->meta->nevents);
    free(it->rqs);
    free(it->tree);
    pthread_mutex_destroy(&it->mu);
    pthread_cond_destroy(&it->cv_work);
    pthread_cond_destroy(&it->cv_done);
    free(it);
}

/* ---- full decoding of one event ------------------------------------------ */

ts_status ts_event_visit(const ts_event *ev, ts_scope scope, const ts_field_visitor *v, void *ctx,
                         ts_error *err)
{
    const ev_priv *p = ev->priv;
    const it_stream *is = p->is;
    const ctf_stream_class *sc = is->st->sc;
    const ctf_event_class *ec = &is->tr->meta->events[p->r->cls];
    const ts_packet *pk = &is->st->packets[p->j->pkt];
    const ctf_type *target = scope == TS_SCOPE_EVENT_CONTEXT ? sc->event_context : ec->fields;
    if (!target) return ts_error_set(err, TS_ERR_NOTFOUND, "event has no such scope");
    int64_t saved_local[64];
    int64_t *saved = saved_local;
    uint32_t ns = is->tr->meta->nsaves;
    if (ns > 64) {
        saved = calloc(ns, sizeof *saved);
        if (!saved) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    }
    ctf_decoder d;
    memset(&d, 0, sizeof d);
    d.saved = saved;
    ctf_cursor c = {p->j->buf, p->r->start_bit, pk->content_bits};
    int rc = 0;
    const ctf_type *scopes[3] = {sc->event_header, sc->event_context, ec->context};
    for (int i = 0; i < 3 && !rc; i++) {
        if (!scopes[i]) continue;
        if (scopes[i] == target) break;
        rc = ctf_decode(&d, &c, scopes[i], NULL);
    }
    if (!rc) {
        d.vis = v;
        d.vctx = ctx;
        rc = ctf_decode(&d, &c, target, NULL);
    }
    if (saved != saved_local) free(saved);
    if (rc) return ts_error_set(err, TS_ERR_FORMAT, "decoding event '%s': %s", ec->name, d.error);
    return TS_OK;
}
