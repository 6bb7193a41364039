/* CTF binary decoding: one recursive walker over the type tree.
 *
 * Modes combine: with no visitor and no marks it only advances the cursor,
 * skipping fixed-size subtrees in O(1); marks make it store requested
 * fields into slots; roles capture header/context fields; a visitor sees
 * every field.  Every read is bounded by cursor->end. */
#include "ctf/decode.h"

#include <string.h>

static inline uint64_t align_up(uint64_t v, uint32_t a)
{
    return a <= 1 ? v : (v + a - 1) & ~(uint64_t)(a - 1);
}

static int fail(ctf_decoder *d, const ctf_cursor *c, const char *what)
{
    if (!d->error) {
        d->error = what;
        d->error_pos = c->pos;
    }
    return -1;
}

static inline int64_t sign_extend(uint64_t v, uint32_t size)
{
    if (size >= 64) return (int64_t)v;
    uint64_t m = (uint64_t)1 << (size - 1);
    return (int64_t)((v ^ m) - m);
}

static int decode_int(ctf_decoder *d, ctf_cursor *c, const ctf_type *t, const char *name)
{
    c->pos = align_up(c->pos, t->align);
    if (c->pos + t->size > c->end) return fail(d, c, "field extends beyond the packet content");
    uint64_t raw = ctf_read_bits(c->buf, c->pos, t->size, t->byte_order == CTF_BE);
    c->pos += t->size;
    if (t->save_slot >= 0)
        d->saved[t->save_slot] = t->is_signed ? sign_extend(raw, t->size) : (int64_t)raw;
    if (t->map_clock >= 0 && d->clock && d->clock_updates)
        *d->clock = ctf_clock_update(*d->clock, raw, t->size);
    if (t->role) {
        d->roles[t->role] = raw;
        d->roles_seen |= 1u << t->role;
    }
    int16_t mk = d->marks ? d->marks[t->node_id] : MARK_NONE;
    if (mk >= 0 || d->vis) {
        ts_value v;
        memset(&v, 0, sizeof v);
        if (t->is_signed) {
            v.type = TS_VAL_INT;
            v.i = sign_extend(raw, t->size);
        } else {
            v.type = TS_VAL_UINT;
            v.u = raw;
        }
        if (mk >= 0 && d->out[mk].type == TS_VAL_NONE) d->out[mk] = v;
        if (d->vis && d->vis->integer) {
            const char *label = t->kind == CTF_ENUM ? ctf_enum_label(t, raw) : NULL;
            d->vis->integer(d->vctx, name, &v, t->base, label);
        }
    }
    return 0;
}

static int decode_float(ctf_decoder *d, ctf_cursor *c, const ctf_type *t, const char *name)
{
    c->pos = align_up(c->pos, t->align);
    if (c->pos + t->size > c->end) return fail(d, c, "field extends beyond the packet content");
    uint64_t raw = ctf_read_bits(c->buf, c->pos, t->size, t->byte_order == CTF_BE);
    c->pos += t->size;
    int16_t mk = d->marks ? d->marks[t->node_id] : MARK_NONE;
    if (mk >= 0 || d->vis) {
        double dv;
        if (t->size == 32) {
            uint32_t r32 = (uint32_t)raw;
            float f;
            memcpy(&f, &r32, 4);
            dv = f;
        } else {
            memcpy(&dv, &raw, 8);
        }
        if (mk >= 0 && d->out[mk].type == TS_VAL_NONE) {
            d->out[mk].type = TS_VAL_DOUBLE;
            d->out[mk].d = dv;
        }
        if (d->vis && d->vis->floating) d->vis->floating(d->vctx, name, dv);
    }
    return 0;
}

static int decode_string(ctf_decoder *d, ctf_cursor *c, const ctf_type *t, const char *name)
{
    c->pos = align_up(c->pos, 8);
    if (c->pos > c->end) return fail(d, c, "string beyond the packet content");
    const char *s = (const char *)c->buf + (c->pos >> 3);
    size_t avail = (size_t)((c->end - c->pos) >> 3);
    const char *z = memchr(s, '\0', avail);
    if (!z) return fail(d, c, "unterminated string at the end of the packet content");
    size_t len = (size_t)(z - s);
    c->pos += (uint64_t)(len + 1) * 8;
    int16_t mk = d->marks ? d->marks[t->node_id] : MARK_NONE;
    if (mk >= 0 && d->out[mk].type == TS_VAL_NONE) {
        d->out[mk].type = TS_VAL_STR;
        d->out[mk].s = s;
        d->out[mk].len = (uint32_t)len;
    }
    if (d->vis && d->vis->string) d->vis->string(d->vctx, name, s, len);
    return 0;
}

/* Array or sequence of `len` elements. */
static int decode_list(ctf_decoder *d, ctf_cursor *c, const ctf_type *t, uint64_t len,
                       const char *name)
{
    const ctf_type *e = t->elem;
    c->pos = align_up(c->pos, t->align);
    int16_t mk = d->marks ? d->marks[t->node_id] : MARK_NONE;
    if (t->is_text) {
        /* bytes; shown as a string up to the first NUL, as babeltrace does */
        if (len > (c->end - c->pos) / 8) return fail(d, c, "text array beyond the packet content");
        const char *s = (const char *)c->buf + (c->pos >> 3);
        c->pos += len * 8;
        if (mk >= 0 || d->vis) {
            const char *z = memchr(s, '\0', (size_t)len);
            size_t n = z ? (size_t)(z - s) : (size_t)len;
            if (mk >= 0 && d->out[mk].type == TS_VAL_NONE) {
                d->out[mk].type = TS_VAL_STR;
                d->out[mk].s = s;
                d->out[mk].len = (uint32_t)n;
            }
            if (d->vis && d->vis->string) d->vis->string(d->vctx, name, s, n);
        }
        return 0;
    }
    if (!d->vis && mk == MARK_NONE && e->fixed_bits >= 0 && !e->has_saves) {
        if (len == 0) return 0;
        uint64_t stride = align_up((uint64_t)e->fixed_bits, e->align);
        if (stride && len > (c->end - c->pos) / stride + 1)
            return fail(d, c, "array beyond the packet content");
        uint64_t total = stride * (len - 1) + (uint64_t)e->fixed_bits;
        if (c->pos + total > c->end) return fail(d, c, "array beyond the packet content");
        c->pos += total;
        return 0;
    }
    if (len > c->end - c->pos && e->fixed_bits != 0) /* every element takes >= 1 bit */
        return fail(d, c, "array length exceeds the packet content");
    if (d->vis && d->vis->begin_array) d->vis->begin_array(d->vctx, name, len);
    for (uint64_t i = 0; i < len; i++)
        if (ctf_decode(d, c, e, NULL)) return -1;
    if (d->vis && d->vis->end_array) d->vis->end_array(d->vctx);
    return 0;
}

int ctf_decode(ctf_decoder *d, ctf_cursor *c, const ctf_type *t, const char *name)
{
    switch (t->kind) {
    case CTF_INT:
    case CTF_ENUM:
        return decode_int(d, c, t, name);
    case CTF_FLOAT:
        return decode_float(d, c, t, name);
    case CTF_STRING:
        return decode_string(d, c, t, name);
    case CTF_STRUCT: {
        int16_t mk = d->marks ? d->marks[t->node_id] : MARK_NONE;
        if (!d->vis && mk == MARK_NONE && t->fixed_bits >= 0 && !t->has_saves) {
            c->pos = align_up(c->pos, t->align);
            if (c->pos + (uint64_t)t->fixed_bits > c->end)
                return fail(d, c, "structure extends beyond the packet content");
            c->pos += (uint64_t)t->fixed_bits;
            return 0;
        }
        c->pos = align_up(c->pos, t->align);
        if (d->vis && d->vis->begin_struct) d->vis->begin_struct(d->vctx, name);
        for (size_t i = 0; i < t->nfields; i++)
            if (ctf_decode(d, c, t->fields[i].type, t->fields[i].name)) return -1;
        if (d->vis && d->vis->end_struct) d->vis->end_struct(d->vctx);
        return 0;
    }
    case CTF_VARIANT: {
        uint64_t tag = (uint64_t)d->saved[t->ref_slot];
        int opt = -1;
        const ctf_type *en = t->tag_enum;
        for (size_t i = 0; i < en->nentries; i++) {
            const ctf_enum_entry *ee = &en->entries[i];
            int in = en->is_signed
                         ? ((int64_t)tag >= (int64_t)ee->lo && (int64_t)tag <= (int64_t)ee->hi)
                         : (tag >= ee->lo && tag <= ee->hi);
            if (in) {
                opt = t->tag_map[i];
                break;
            }
        }
        if (opt < 0) return fail(d, c, "variant tag value selects no option");
        const ctf_field *f = &t->fields[opt];
        if (d->vis && d->vis->begin_variant) d->vis->begin_variant(d->vctx, name, f->name);
        if (ctf_decode(d, c, f->type, f->name)) return -1;
        if (d->vis && d->vis->end_variant) d->vis->end_variant(d->vctx);
        return 0;
    }
    case CTF_ARRAY:
        return decode_list(d, c, t, t->length, name);
    case CTF_SEQUENCE: {
        int64_t len = d->saved[t->ref_slot];
        if (len < 0) return fail(d, c, "negative sequence length");
        return decode_list(d, c, t, (uint64_t)len, name);
    }
    }
    return fail(d, c, "unknown field type");
}
