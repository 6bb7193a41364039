/* Reading a CTF metadata file: plain TSDL text, or packetized (a sequence of
 * packets with a 37-byte header, magic 0x75D11D57, in either byte order). */
#include "ctf/meta.h"
#include "util/fileio.h"

#include <stdlib.h>
#include <string.h>

#define META_MAGIC 0x75D11D57u
#define META_HDR   37

static uint32_t rd32(const uint8_t *p, int be)
{
    return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
              : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

ts_status ctf_metadata_text(const uint8_t *data, size_t len, const char *what, char **text,
                            size_t *text_len, ts_error *err)
{
    *text = NULL;
    *text_len = 0;
    int packetized = len >= 4 && (rd32(data, 0) == META_MAGIC || rd32(data, 1) == META_MAGIC);
    if (!packetized) {
        char *t = malloc(len + 1);
        if (!t) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        memcpy(t, data, len);
        t[len] = '\0';
        *text = t;
        *text_len = len;
        return TS_OK;
    }
    int be = rd32(data, 1) == META_MAGIC;
    size_t cap = len + 1, n = 0, off = 0;
    char *t = malloc(cap);
    if (!t) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    uint8_t uuid0[16];
    while (off < len) {
        if (len - off < META_HDR) {
            free(t);
            return ts_error_set(err, TS_ERR_TRUNCATED,
                                "%s: byte %zu: metadata packet header truncated (%zu of 37 bytes)",
                                what, off, len - off);
        }
        const uint8_t *h = data + off;
        if (rd32(h, be) != META_MAGIC) {
            free(t);
            return ts_error_set(
                err, TS_ERR_FORMAT,
                "%s: byte %zu: bad metadata packet magic 0x%08x (expected 0x75d11d57)", what, off,
                rd32(h, be));
        }
        if (off == 0)
            memcpy(uuid0, h + 4, 16);
        else if (memcmp(uuid0, h + 4, 16) != 0) {
            free(t);
            return ts_error_set(
                err, TS_ERR_FORMAT,
                "%s: byte %zu: metadata packet uuid differs from the first packet's", what, off);
        }
        uint32_t content = rd32(h + 24, be), psize = rd32(h + 28, be);
        uint8_t compression = h[32], encryption = h[33], checksum = h[34];
        if (compression || encryption || checksum) {
            free(t);
            return ts_error_set(err, TS_ERR_UNSUPPORTED,
                                "%s: byte %zu: compressed, encrypted or checksummed metadata "
                                "packets are not supported",
                                what, off);
        }
        if (content % 8 || psize % 8 || content < META_HDR * 8 || psize < content) {
            free(t);
            return ts_error_set(err, TS_ERR_FORMAT,
                                "%s: byte %zu: bad metadata packet sizes (content %u bits, packet "
                                "%u bits)",
                                what, off, content, psize);
        }
        if (psize / 8 > len - off) {
            /* A truncated last packet: take what is there of its content. */
            if (content / 8 > len - off) {
                free(t);
                return ts_error_set(err, TS_ERR_TRUNCATED,
                                    "%s: byte %zu: metadata packet announces %u bytes, only %zu "
                                    "remain",
                                    what, off, psize / 8, len - off);
            }
            psize = (uint32_t)((len - off) * 8);
        }
        size_t tl = content / 8 - META_HDR;
        memcpy(t + n, h + META_HDR, tl);
        n += tl;
        off += psize / 8;
    }
    t[n] = '\0';
    *text = t;
    *text_len = n;
    return TS_OK;
}

ts_status ctf_meta_read_file(const char *path, ctf_meta **out, ts_error *err)
{
    uint8_t *data;
    size_t len;
    ts_status st = ts_read_file(path, &data, &len, err);
    if (st) return st;
    char *text;
    size_t tl;
    st = ctf_metadata_text(data, len, path, &text, &tl, err);
    free(data);
    if (st) return st;
    st = ctf_meta_parse(text, tl, path, out, err);
    free(text);
    return st;
}
