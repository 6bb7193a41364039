/* CTF 1.8 writer in the lttng-modules layout (internal): packetized metadata,
 * per-CPU stream files made of packets (packet header + packet context), the
 * large or compact event header with extended headers where LTTng writes them,
 * and the big-endian packet index files (index 1.1).  Little-endian traces. */
#ifndef TS_SIM_CTFW_H
#define TS_SIM_CTFW_H

#include "tracesync/common.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CTFW_HEADER_COMPACT 1
#define CTFW_HEADER_LARGE   2
/* Bytes before the first event of a packet: header (32) + context (52). */
#define CTFW_PACKET_PREFIX 84
/* Largest event header (large, extended). */
#define CTFW_MAX_EVENT_HEADER 14

typedef struct ctfw_stream {
    int fd, idx_fd;
    uint8_t *buf;      /* the packet being filled */
    size_t cap;        /* sub-buffer size in bytes */
    size_t pos;        /* write position */
    uint64_t ts_begin; /* cycles */
    uint64_t last_ts;  /* cycles of the previous event */
    uint64_t seq;      /* packet_seq_num of the packet being filled */
    uint64_t file_off; /* bytes already written to the stream file */
    uint64_t nevents;  /* events written */
    uint32_t cpu;
    uint8_t header_type; /* CTFW_HEADER_* */
    uint8_t first;       /* the next event is the first of its packet */
    uint8_t uuid[16];
    int io_errno;         /* first write error, 0 if none */
    uint64_t regressions; /* events older than their predecessor (a bug: never expected) */
} ctfw_stream;

/* Create <dir>/channel0_<cpu> and <dir>/index/channel0_<cpu>.idx (the index
 * directory must exist) and start the first packet at ts_begin (cycles). */
ts_status ctfw_stream_open(ctfw_stream *s, const char *dir, uint32_t cpu, const uint8_t uuid[16],
                           int header_type, size_t packet_size, uint64_t ts_begin, ts_error *err);
/* Flush the last packet (timestamp_end = ts_end), close the files, free. */
ts_status ctfw_stream_close(ctfw_stream *s, uint64_t ts_end, ts_error *err);
/* Close files and free without flushing (after an error). */
void ctfw_stream_abort(ctfw_stream *s);

/* Close the packet being filled (timestamp_end = ts) and start a new one at ts. */
void ctfw_packet_switch(ctfw_stream *s, uint64_t ts);

/* Little-endian / big-endian stores (the traces are little-endian; network
 * header fields are big-endian as in the kernel's headers). */
static inline uint8_t *put_u8(uint8_t *p, uint8_t v)
{
    *p = v;
    return p + 1;
}
static inline uint8_t *put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    return p + 2;
}
static inline uint8_t *put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
    return p + 4;
}
static inline uint8_t *put_le64(uint8_t *p, uint64_t v)
{
    put_le32(p, (uint32_t)v);
    put_le32(p + 4, (uint32_t)(v >> 32));
    return p + 8;
}
static inline uint8_t *put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return p + 2;
}
static inline uint8_t *put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return p + 4;
}
static inline uint8_t *put_be64(uint8_t *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
    return p + 8;
}
/* A NUL-terminated string (at most max bytes of text). */
static inline uint8_t *put_str(uint8_t *p, const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    memcpy(p, s, n);
    p[n] = 0;
    return p + n + 1;
}
/* A char[16] text array (NUL-padded). */
static inline uint8_t *put_comm(uint8_t *p, const char *s)
{
    size_t n = strnlen(s, 16);
    memcpy(p, s, n);
    memset(p + n, 0, 16 - n);
    return p + 16;
}

/* Start an event: writes its header and returns where the payload goes.
 * At most max_payload bytes may be written there before ctfw_event_end. */
static inline uint8_t *ctfw_event_begin(ctfw_stream *s, uint32_t id, uint64_t ts,
                                        size_t max_payload)
{
    if (ts < s->last_ts) {
        /* a stream's timestamps never go back: keep the trace decodable, count it */
        s->regressions++;
        ts = s->last_ts;
    }
    if (s->pos + CTFW_MAX_EVENT_HEADER + max_payload > s->cap) ctfw_packet_switch(s, ts);
    uint8_t *p = s->buf + s->pos;
    /* LTTng writes a full 64-bit timestamp for the first event of a packet and
     * whenever the bits above bit 27 change since the previous event. */
    bool ext = s->first || ((ts ^ s->last_ts) >> 27) != 0;
    if (s->header_type == CTFW_HEADER_LARGE) {
        if (ext || id > 65534) {
            p = put_le16(p, 65535);
            p = put_le32(p, id);
            p = put_le64(p, ts);
        } else {
            p = put_le16(p, (uint16_t)id);
            p = put_le32(p, (uint32_t)ts);
        }
    } else {
        if (ext || id > 30) {
            p = put_u8(p, 31);
            p = put_le32(p, id);
            p = put_le64(p, ts);
        } else {
            p = put_le32(p, id | (uint32_t)((ts & ((1u << 27) - 1)) << 5));
        }
    }
    s->first = 0;
    s->last_ts = ts;
    return p;
}

static inline void ctfw_event_end(ctfw_stream *s, const uint8_t *end)
{
    s->pos = (size_t)(end - s->buf);
    s->nevents++;
}

/* Write the packetized metadata file (4 KiB packets) for the TSDL text. */
ts_status ctfw_write_metadata(const char *path, const uint8_t uuid[16], const char *text,
                              size_t len, ts_error *err);

#endif
