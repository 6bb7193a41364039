/* CTF writer: packets, stream and index files, packetized metadata. */
#include "sim/ctfw.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define PAGE            4096u
#define METADATA_PACKET 4096u
#define METADATA_HEADER 37u

static int write_all(int fd, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return errno ? errno : EIO;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void packet_start(ctfw_stream *s, uint64_t ts)
{
    uint8_t *p = s->buf;
    p = put_le32(p, 0xC1FC1FC1u);
    memcpy(p, s->uuid, 16);
    p += 16;
    p = put_le32(p, 0);      /* stream_id */
    p = put_le64(p, s->cpu); /* stream_instance_id */
    memset(p, 0, 52);        /* packet context, filled at the end */
    s->pos = CTFW_PACKET_PREFIX;
    s->ts_begin = ts;
    s->first = 1;
}

/* Finish the packet being filled: fill its context, write it and its index entry. */
static void packet_finish(ctfw_stream *s, uint64_t ts_end, size_t packet_bytes)
{
    uint64_t content_bits = (uint64_t)s->pos * 8, packet_bits = (uint64_t)packet_bytes * 8;
    uint8_t *p = s->buf + 32;
    p = put_le64(p, s->ts_begin);
    p = put_le64(p, ts_end);
    p = put_le64(p, content_bits);
    p = put_le64(p, packet_bits);
    p = put_le64(p, s->seq);
    p = put_le64(p, 0); /* events_discarded */
    put_le32(p, s->cpu);
    memset(s->buf + s->pos, 0, packet_bytes - s->pos);
    if (!s->io_errno) s->io_errno = write_all(s->fd, s->buf, packet_bytes);
    uint8_t e[72], *q = e;
    q = put_be64(q, s->file_off);
    q = put_be64(q, packet_bits);
    q = put_be64(q, content_bits);
    q = put_be64(q, s->ts_begin);
    q = put_be64(q, ts_end);
    q = put_be64(q, 0);      /* events_discarded */
    q = put_be64(q, 0);      /* stream_id */
    q = put_be64(q, s->cpu); /* stream_instance_id */
    put_be64(q, s->seq);
    if (!s->io_errno) s->io_errno = write_all(s->idx_fd, e, sizeof e);
    s->file_off += packet_bytes;
    s->seq++;
}

void ctfw_packet_switch(ctfw_stream *s, uint64_t ts)
{
    packet_finish(s, ts, s->cap);
    packet_start(s, ts);
}

ts_status ctfw_stream_open(ctfw_stream *s, const char *dir, uint32_t cpu, const uint8_t uuid[16],
                           int header_type, size_t packet_size, uint64_t ts_begin, ts_error *err)
{
    char path[4096];
    memset(s, 0, sizeof *s);
    s->fd = s->idx_fd = -1;
    if (packet_size < PAGE || packet_size % PAGE)
        return ts_error_set(err, TS_ERR_ARG, "packet size %zu: expected a multiple of %u bytes",
                            packet_size, PAGE);
    s->cap = packet_size;
    s->cpu = cpu;
    s->header_type = (uint8_t)header_type;
    memcpy(s->uuid, uuid, 16);
    s->buf = malloc(packet_size);
    if (!s->buf)
        return ts_error_set(err, TS_ERR_NOMEM, "out of memory for a %zu-byte packet", packet_size);
    snprintf(path, sizeof path, "%s/channel0_%u", dir, cpu);
    s->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (s->fd < 0) goto ioerr;
    snprintf(path, sizeof path, "%s/index/channel0_%u.idx", dir, cpu);
    s->idx_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (s->idx_fd < 0) goto ioerr;
    uint8_t h[16], *q = h;
    q = put_be32(q, 0xC1F1DCC1u);
    q = put_be32(q, 1); /* index major */
    q = put_be32(q, 1); /* index minor */
    put_be32(q, 72);    /* entry size */
    int e = write_all(s->idx_fd, h, sizeof h);
    if (e) {
        errno = e;
        goto ioerr;
    }
    packet_start(s, ts_begin);
    return TS_OK;
ioerr:;
    int saved = errno;
    ctfw_stream_abort(s);
    return ts_error_set(err, TS_ERR_IO, "cannot create %s: %s", path, strerror(saved));
}

void ctfw_stream_abort(ctfw_stream *s)
{
    if (s->fd >= 0) close(s->fd);
    if (s->idx_fd >= 0) close(s->idx_fd);
    free(s->buf);
    s->buf = NULL;
    s->fd = s->idx_fd = -1;
}

ts_status ctfw_stream_close(ctfw_stream *s, uint64_t ts_end, ts_error *err)
{
    if (ts_end < s->last_ts) ts_end = s->last_ts;
    if (ts_end < s->ts_begin) ts_end = s->ts_begin;
    /* The last packet is flushed: its size is the content rounded up to a page. */
    size_t bytes = (s->pos + PAGE - 1) / PAGE * PAGE;
    packet_finish(s, ts_end, bytes);
    int e = s->io_errno;
    if (s->fd >= 0 && close(s->fd) && !e) e = errno;
    if (s->idx_fd >= 0 && close(s->idx_fd) && !e) e = errno;
    s->fd = s->idx_fd = -1;
    free(s->buf);
    s->buf = NULL;
    if (e)
        return ts_error_set(err, TS_ERR_IO, "writing stream channel0_%u: %s", s->cpu, strerror(e));
    return TS_OK;
}

ts_status ctfw_write_metadata(const char *path, const uint8_t uuid[16], const char *text,
                              size_t len, ts_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return ts_error_set(err, TS_ERR_IO, "cannot create %s: %s", path, strerror(errno));
    uint8_t pkt[METADATA_PACKET];
    size_t off = 0;
    int e = 0;
    while (!e && (off < len || off == 0)) {
        size_t n = len - off;
        if (n > METADATA_PACKET - METADATA_HEADER) n = METADATA_PACKET - METADATA_HEADER;
        uint8_t *p = pkt;
        p = put_le32(p, 0x75D11D57u);
        memcpy(p, uuid, 16);
        p += 16;
        p = put_le32(p, 0);                                     /* checksum */
        p = put_le32(p, (uint32_t)((METADATA_HEADER + n) * 8)); /* content_size */
        p = put_le32(p, METADATA_PACKET * 8);                   /* packet_size */
        *p++ = 0;                                               /* compression */
        *p++ = 0;                                               /* encryption */
        *p++ = 0;                                               /* checksum scheme */
        *p++ = 1;                                               /* major */
        *p++ = 8;                                               /* minor */
        memcpy(p, text + off, n);
        memset(p + n, 0, METADATA_PACKET - METADATA_HEADER - n);
        e = write_all(fd, pkt, sizeof pkt);
        off += n;
        if (len == 0) break;
    }
    if (close(fd) && !e) e = errno;
    if (e) return ts_error_set(err, TS_ERR_IO, "writing %s: %s", path, strerror(e));
    return TS_OK;
}
