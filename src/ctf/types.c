/* CTF field types: construction, cloning, layout facts. */
#include "ctf/types.h"

#include <stdlib.h>
#include <string.h>

const char *ctf_strip_name(const char *name)
{
    return (name && name[0] == '_') ? name + 1 : name;
}

ctf_type *ctf_type_new(ctf_kind kind)
{
    ctf_type *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->kind = kind;
    t->align = 1;
    t->base = 10;
    t->map_clock = -1;
    t->ref_slot = -1;
    t->save_slot = -1;
    t->fixed_bits = -1;
    return t;
}

void ctf_type_free(ctf_type *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->nentries; i++) free(t->entries[i].label);
    free(t->entries);
    for (size_t i = 0; i < t->nfields; i++) {
        free(t->fields[i].name);
        free(t->fields[i].decl);
        ctf_type_free(t->fields[i].type);
    }
    free(t->fields);
    free(t->ref);
    free(t->tag_map);
    ctf_type_free(t->elem);
    free(t);
}

ctf_type *ctf_type_clone(const ctf_type *t)
{
    if (!t) return NULL;
    ctf_type *c = malloc(sizeof *c);
    if (!c) return NULL;
    *c = *t;
    c->entries = NULL;
    c->fields = NULL;
    c->ref = NULL;
    c->tag_map = NULL;
    c->ntag_map = 0;
    c->tag_enum = NULL;
    c->ref_slot = -1;
    c->save_slot = -1;
    c->elem = NULL;
    c->nentries = c->nfields = 0;
    if (t->nentries) {
        c->entries = calloc(t->nentries, sizeof *c->entries);
        if (!c->entries) goto fail;
        c->nentries = t->nentries;
        for (size_t i = 0; i < t->nentries; i++) {
            c->entries[i] = t->entries[i];
            c->entries[i].label = strdup(t->entries[i].label);
            if (!c->entries[i].label) goto fail;
        }
    }
    if (t->nfields) {
        c->fields = calloc(t->nfields, sizeof *c->fields);
        if (!c->fields) goto fail;
        c->nfields = t->nfields;
        for (size_t i = 0; i < t->nfields; i++) {
            c->fields[i].name = strdup(t->fields[i].name);
            c->fields[i].decl = strdup(t->fields[i].decl);
            c->fields[i].type = ctf_type_clone(t->fields[i].type);
            if (!c->fields[i].name || !c->fields[i].decl || !c->fields[i].type) goto fail;
        }
    }
    if (t->ref && !(c->ref = strdup(t->ref))) goto fail;
    if (t->elem && !(c->elem = ctf_type_clone(t->elem))) goto fail;
    return c;
fail:
    ctf_type_free(c);
    return NULL;
}

int ctf_type_add_field(ctf_type *st, const char *decl_name, ctf_type *type)
{
    ctf_field *n = realloc(st->fields, (st->nfields + 1) * sizeof *n);
    if (!n) return -1;
    st->fields = n;
    ctf_field *f = &st->fields[st->nfields];
    f->decl = strdup(decl_name);
    f->name = strdup(ctf_strip_name(decl_name));
    f->type = type;
    if (!f->decl || !f->name) {
        free(f->decl);
        free(f->name);
        return -1;
    }
    st->nfields++;
    return 0;
}

int ctf_type_field_index(const ctf_type *st, const char *name)
{
    for (size_t i = 0; i < st->nfields; i++)
        if (!strcmp(st->fields[i].decl, name)) return (int)i;
    const char *s = ctf_strip_name(name);
    for (size_t i = 0; i < st->nfields; i++)
        if (!strcmp(st->fields[i].name, s)) return (int)i;
    return -1;
}

static int64_t align_up64(int64_t v, uint32_t a)
{
    return a <= 1 ? v : (v + (int64_t)a - 1) / (int64_t)a * (int64_t)a;
}

static uint32_t finish(ctf_type *t, uint32_t next_id)
{
    t->node_id = next_id++;
    t->has_saves = (t->save_slot >= 0) || (t->map_clock >= 0) || t->role != ROLE_NONE;
    switch (t->kind) {
    case CTF_INT:
    case CTF_ENUM:
    case CTF_FLOAT:
        t->fixed_bits = t->size;
        break;
    case CTF_STRING:
        t->align = 8;
        t->fixed_bits = -1;
        break;
    case CTF_STRUCT: {
        uint32_t al = t->align;
        int64_t off = 0;
        bool fixed = true;
        for (size_t i = 0; i < t->nfields; i++) {
            ctf_type *f = t->fields[i].type;
            next_id = finish(f, next_id);
            if (f->align > al) al = f->align;
            if (f->has_saves) t->has_saves = true;
            if (fixed && f->fixed_bits >= 0)
                off = align_up64(off, f->align) + f->fixed_bits;
            else
                fixed = false;
        }
        t->align = al;
        t->fixed_bits = fixed ? off : -1;
        break;
    }
    case CTF_VARIANT: {
        /* a variant has no alignment of its own; its size depends on the tag
         * unless every option has the same fixed size and alignment. */
        int64_t sz = -2;
        uint32_t al = 0;
        for (size_t i = 0; i < t->nfields; i++) {
            ctf_type *f = t->fields[i].type;
            next_id = finish(f, next_id);
            if (f->has_saves) t->has_saves = true;
            if (sz == -2) {
                sz = f->fixed_bits;
                al = f->align;
            } else if (sz != f->fixed_bits || al != f->align) {
                sz = -1;
            }
        }
        t->align = 1;
        /* Even with equal option sizes the tag must be valid: keep variable. */
        t->fixed_bits = -1;
        (void)sz;
        break;
    }
    case CTF_ARRAY:
    case CTF_SEQUENCE: {
        next_id = finish(t->elem, next_id);
        t->align = t->elem->align;
        t->has_saves = t->has_saves || t->elem->has_saves;
        t->is_text = (t->elem->kind == CTF_INT && t->elem->size == 8 &&
                      t->elem->encoding != CTF_ENC_NONE && t->elem->align <= 8);
        if (t->kind == CTF_ARRAY && t->elem->fixed_bits >= 0) {
            int64_t stride = align_up64(t->elem->fixed_bits, t->elem->align);
            if (t->length == 0 || stride <= INT64_MAX / (int64_t)t->length)
                t->fixed_bits =
                    t->length == 0 ? 0 : stride * (int64_t)(t->length - 1) + t->elem->fixed_bits;
        } else {
            t->fixed_bits = -1;
        }
        break;
    }
    }
    return next_id;
}

uint32_t ctf_type_finish(ctf_type *t)
{
    return finish(t, 0);
}

const char *ctf_enum_label(const ctf_type *e, uint64_t v)
{
    for (size_t i = 0; i < e->nentries; i++) {
        const ctf_enum_entry *en = &e->entries[i];
        if (e->is_signed) {
            if ((int64_t)v >= (int64_t)en->lo && (int64_t)v <= (int64_t)en->hi) return en->label;
        } else if (v >= en->lo && v <= en->hi) {
            return en->label;
        }
    }
    return NULL;
}
