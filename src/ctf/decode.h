/* CTF binary decoding (internal): a bit cursor and one walker over the type
 * tree that can skip (by size), extract requested fields into slots, capture
 * header/context roles, and drive a visitor. */
#ifndef TS_CTF_DECODE_H
#define TS_CTF_DECODE_H

#include "ctf/types.h"
#include "tracesync/traceset.h"

#include <string.h>

typedef struct ctf_cursor {
    const uint8_t *buf;
    uint64_t pos; /* bits from buf */
    uint64_t end; /* bits: nothing at or beyond may be read */
} ctf_cursor;

/* Marks of one type tree for a request: by node_id, MARK_NONE, MARK_INSIDE
 * (an ancestor of a requested field) or the slot (>= 0) to fill. */
#define MARK_NONE   (-1)
#define MARK_INSIDE (-2)

typedef struct ctf_decoder {
    int64_t *saved;     /* saved values for tags and lengths (meta->nsaves) */
    uint64_t *clock;    /* clock to update with mapped ints, or NULL */
    bool clock_updates; /* apply mapped ints to *clock */
    /* extraction */
    const int16_t *marks; /* NULL: nothing requested in this tree */
    ts_value *out;        /* TS_MAX_SLOTS */
    /* roles */
    uint64_t roles[ROLE_COUNT];
    uint32_t roles_seen; /* bit per role */
    const uint8_t *uuid; /* where ROLE_UUID bytes were found */
    /* visitor */
    const ts_field_visitor *vis;
    void *vctx;
    /* error */
    const char *error;  /* static description */
    uint64_t error_pos; /* bits */
} ctf_decoder;

/* Read `size` bits (1..64) at bit `pos` of buf in byte order be (CTF bit
 * order: little-endian fields fill each byte from its least significant bit,
 * big-endian ones from its most significant).  The caller checked bounds;
 * buf must have 8 readable bytes past the last one read (all decoder buffers
 * carry that slack). */
static inline uint64_t ctf_read_bits(const uint8_t *buf, uint64_t pos, uint32_t size, int be)
{
    const uint8_t *p = buf + (pos >> 3);
    unsigned shift = (unsigned)(pos & 7);
    uint64_t w;
    if (shift + size <= 64) {
        memcpy(&w, p, 8);
        if (!be) {
            w >>= shift;
            return size == 64 ? w : w & (((uint64_t)1 << size) - 1);
        }
        w = __builtin_bswap64(w);
        return (w << shift) >> (64 - size);
    }
    /* spans 9 bytes */
    unsigned __int128 acc = 0;
    if (!be) {
        for (unsigned i = 9; i-- > 0;) acc = (acc << 8) | p[i];
        acc >>= shift;
    } else {
        for (unsigned i = 0; i < 9; i++) acc = (acc << 8) | p[i];
        acc >>= (72 - shift - size);
    }
    uint64_t v = (uint64_t)acc;
    return size == 64 ? v : v & (((uint64_t)1 << size) - 1);
}

/* Decode one value of type t at the cursor.  Returns 0, or -1 with
 * d->error/d->error_pos set (the cursor is then unspecified). */
int ctf_decode(ctf_decoder *d, ctf_cursor *c, const ctf_type *t, const char *name);

/* Apply a mapped integer of `bits` bits to a clock (CTF 1.8 §8: one overflow). */
static inline uint64_t ctf_clock_update(uint64_t clk, uint64_t v, uint32_t bits)
{
    if (bits >= 64) return v;
    uint64_t mask = ((uint64_t)1 << bits) - 1;
    if (v < (clk & mask)) clk += mask + 1;
    return (clk & ~mask) | v;
}

#endif
