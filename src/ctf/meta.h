/* CTF trace metadata (internal): what the TSDL describes, after parsing and
 * resolution of tags, lengths and clock mappings. */
#ifndef TS_CTF_META_H
#define TS_CTF_META_H

#include "ctf/types.h"
#include "tracesync/common.h"

typedef struct ctf_env_entry {
    char *key;
    char *str;    /* string value, or NULL */
    int64_t ival; /* integer value when str == NULL */
} ctf_env_entry;

typedef struct ctf_clock {
    char *name;
    char *uuid; /* "" if none */
    char *description;
    uint64_t freq;
    int64_t offset_s;
    int64_t offset; /* cycles */
    bool absolute;
} ctf_clock;

typedef struct ctf_event_class {
    char *name;
    uint64_t id;
    uint64_t stream_id;
    int loglevel;
    ctf_type *context; /* event.context, or NULL */
    ctf_type *fields;  /* event.fields, or NULL */
    uint32_t index;    /* index in ctf_meta.events */
} ctf_event_class;

typedef struct ctf_stream_class {
    uint64_t id;
    bool has_id;
    ctf_type *packet_context;
    ctf_type *event_header;
    ctf_type *event_context;
    /* event classes of this stream, indexed by id when ids are dense */
    ctf_event_class **by_id;
    size_t nby_id;
} ctf_stream_class;

typedef struct ctf_meta {
    int major, minor;
    char *uuid; /* trace uuid as 16 raw bytes */
    bool has_uuid;
    uint8_t uuid_bytes[16];
    uint8_t byte_order; /* default byte order of the trace */
    ctf_type *packet_header;

    ctf_env_entry *env;
    size_t nenv;
    ctf_clock *clocks;
    size_t nclocks;
    ctf_stream_class *streams;
    size_t nstreams;
    ctf_event_class *events;
    size_t nevents;

    uint32_t nsaves; /* saved-value slots used by tags and lengths */
} ctf_meta;

/* Parse TSDL text.  `what` names the source in error messages (a file path). */
ts_status ctf_meta_parse(const char *text, size_t len, const char *what, ctf_meta **out,
                         ts_error *err);
/* Read a metadata file (text, or packetized with 0x75D11D57 packets) and parse it. */
ts_status ctf_meta_read_file(const char *path, ctf_meta **out, ts_error *err);
/* Extract the TSDL text of a metadata file image (packetized or text); malloc'd. */
ts_status ctf_metadata_text(const uint8_t *data, size_t len, const char *what, char **text,
                            size_t *text_len, ts_error *err);
void ctf_meta_free(ctf_meta *m);

const ctf_stream_class *ctf_meta_stream(const ctf_meta *m, uint64_t id);
const ctf_event_class *ctf_meta_event(const ctf_stream_class *sc, uint64_t id);
const ctf_env_entry *ctf_meta_env(const ctf_meta *m, const char *key);

#endif
