/* Trace set internals: traces, streams, packets, requests (internal). */
#ifndef TS_TRACE_IMPL_H
#define TS_TRACE_IMPL_H

#include "ctf/decode.h"
#include "ctf/meta.h"
#include "tracesync/traceset.h"

typedef struct ts_packet {
    uint32_t file;         /* index in the stream's files */
    uint64_t offset;       /* byte offset in the file */
    uint64_t size;         /* bytes to read (packet size, clipped to the file) */
    uint64_t content_bits; /* content size in bits (clipped) */
    uint64_t ts_begin;     /* cycles */
    uint64_t ts_end;       /* cycles (0 if unknown) */
    uint64_t discarded;    /* events_discarded snapshot */
    uint64_t seq_num;
    uint32_t cpu;
    uint32_t order; /* position in file order, for stable sorting */
} ts_packet;

typedef struct ts_stream {
    char **files;
    size_t nfiles;
    const ctf_stream_class *sc;
    uint64_t instance_id;
    bool has_instance;
    uint32_t cpu;
    ts_packet *packets;
    size_t npackets, cappackets;
    uint64_t bytes;
    uint64_t discarded;
    uint64_t lost_packets;
    bool has_seq;
} ts_stream;

/* Fast decoding plan of an LTTng-style event header: an id of id_bits
 * (value ext_id = "extended"), then for a compact id a timestamp of cts_bits,
 * for the extended one an id of eid_bits and a timestamp of ets_bits; every
 * field with its alignment; one byte order. */
typedef struct hdr_plan {
    bool fast;
    /* byte-aligned little-endian LTTng layouts (x86): compact = 5-bit id and
     * 27-bit timestamp in one 32-bit word; large = 16-bit id, 32-bit timestamp;
     * extended: 32-bit id then 64-bit timestamp right after the id byte(s) */
    enum { HDR_GENERIC_FAST = 0, HDR_COMPACT_LE8, HDR_LARGE_LE8 } shape;
    bool be;
    uint32_t id_bits, id_align;
    uint64_t ext_id;
    uint32_t cts_bits, cts_align;
    uint32_t eid_bits, eid_align;
    uint32_t ets_bits, ets_align;
} hdr_plan;

/* Per stream class: header plan and id -> class table. */
typedef struct sc_plan {
    hdr_plan hdr;
    const ctf_event_class **by_id; /* dense table, or NULL (then binary search) */
    uint64_t nby_id;
} sc_plan;

struct ts_trace {
    char *name;
    char *path;
    char *hostname;
    char *host_id;
    size_t index;
    ctf_meta *meta;
    const ctf_clock *clock; /* clock of event timestamps (NULL: cycles are ns) */
    ts_stream *streams;
    size_t nstreams;
    ts_time_map_fn map;
    void *map_ctx;
    uint32_t *nodes_fields;  /* node count of each event class's payload tree */
    uint32_t *nodes_context; /* node count of each stream's event context tree */
    sc_plan *plans;          /* per stream class (index in meta->streams) */
};

struct ts_traceset {
    ts_trace **traces;
    size_t ntraces;
    char **diags;
    size_t ndiags, capdiags;
    size_t nerrors;
};

typedef struct rq_field {
    int key;
    char *path;
    unsigned slot;
} rq_field;

struct ts_request {
    bool all;
    char **names;
    size_t nnames;
    rq_field *fields;
    size_t nfields;
};

/* cycles -> ns from origin for a trace */
int64_t ts_trace_cycles_to_ns(const ts_trace *t, uint64_t cycles);

/* Record a diagnostic (deduplicated).  is_error: corrupt/truncated data. */
void ts_traceset_add_diag(ts_traceset *set, bool is_error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Open one trace directory (metadata + stream files). */
ts_status ts_trace_open(const char *dir, ts_traceset *set, ts_trace **out, ts_error *err);
void ts_trace_free(ts_trace *t);

/* Decode the packet header and context found at the start of buf (len bytes).
 * Fills the roles of d.  Returns 0 or -1 with d->error. */
int ts_decode_packet_preamble(const ts_trace *t, const uint8_t *buf, size_t len, ctf_decoder *d,
                              int64_t *saved, const ctf_stream_class **sc,
                              uint64_t *first_event_bit);

uint32_t ctf_type_count_nodes(const ctf_type *t);

#endif
