/* CTF field types (internal): the tree the TSDL parser builds, and the
 * layout facts the decoder needs (alignment, fixed sizes, saved values). */
#ifndef TS_CTF_TYPES_H
#define TS_CTF_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum ctf_kind {
    CTF_INT,
    CTF_ENUM,
    CTF_FLOAT,
    CTF_STRING,
    CTF_STRUCT,
    CTF_VARIANT,
    CTF_ARRAY,
    CTF_SEQUENCE,
} ctf_kind;

typedef enum ctf_byte_order { CTF_LE = 0, CTF_BE = 1 } ctf_byte_order;
typedef enum ctf_encoding { CTF_ENC_NONE = 0, CTF_ENC_UTF8, CTF_ENC_ASCII } ctf_encoding;

typedef struct ctf_type ctf_type;

typedef struct ctf_field {
    char *name; /* declared name, leading underscore stripped */
    char *decl; /* declared name as written */
    ctf_type *type;
} ctf_field;

typedef struct ctf_enum_entry {
    char *label;
    /* range, in the container's signedness (stored as 64 bits) */
    uint64_t lo, hi;
} ctf_enum_entry;

struct ctf_type {
    ctf_kind kind;
    uint32_t align; /* bits, >= 1 */

    /* CTF_INT and CTF_ENUM (container) */
    uint32_t size; /* bits */
    bool is_signed;
    uint8_t byte_order; /* ctf_byte_order, resolved (never "native") */
    uint8_t base;
    uint8_t encoding; /* ctf_encoding */
    int map_clock;    /* index of the clock this int is mapped to, or -1 */

    /* CTF_ENUM */
    ctf_enum_entry *entries;
    size_t nentries;

    /* CTF_FLOAT */
    uint32_t exp_dig, mant_dig;

    /* CTF_STRUCT (fields) and CTF_VARIANT (options) */
    ctf_field *fields;
    size_t nfields;

    /* CTF_VARIANT tag / CTF_SEQUENCE length: path as written, then the
     * saved-value slot the decoder reads (resolved after parsing). */
    char *ref;
    int ref_slot;
    /* CTF_VARIANT: for each entry of the tag enum, the option index (or -1);
     * filled at resolution. */
    int *tag_map;
    size_t ntag_map;
    const ctf_type *tag_enum;

    /* CTF_ARRAY (length) and CTF_SEQUENCE (element type) */
    ctf_type *elem;
    uint64_t length;

    /* Layout facts (computed by ctf_type_finish) */
    int64_t fixed_bits; /* size in bits if independent of data, else -1 */
    bool has_saves;     /* subtree holds a saved value or a clock-mapped int */
    int save_slot;      /* this int/enum is saved for a tag/length lookup, or -1 */
    uint32_t node_id;   /* dense id within its root (for per-request marks) */
    bool is_text;       /* array/sequence of 8-bit encoded ints: decoded as a string */
    uint8_t role;       /* ctf_role: meaning of a header/context field, set by the reader */
};

/* Meaning of a packet header/context or event header field (by its name, as
 * CTF 1.8 defines it). */
typedef enum ctf_role {
    ROLE_NONE = 0,
    ROLE_MAGIC,
    ROLE_UUID,
    ROLE_STREAM_ID,
    ROLE_STREAM_INSTANCE_ID,
    ROLE_TS_BEGIN,
    ROLE_TS_END,
    ROLE_CONTENT_SIZE,
    ROLE_PACKET_SIZE,
    ROLE_DISCARDED,
    ROLE_CPU_ID,
    ROLE_SEQ_NUM,
    ROLE_EVENT_ID,
    ROLE_COUNT
} ctf_role;

ctf_type *ctf_type_new(ctf_kind kind);
ctf_type *ctf_type_clone(const ctf_type *t);
void ctf_type_free(ctf_type *t);
/* Append a field (takes ownership of type; copies name).  Returns 0 or -1. */
int ctf_type_add_field(ctf_type *st, const char *decl_name, ctf_type *type);
/* Find a field by name (declared, or with one leading underscore stripped). */
int ctf_type_field_index(const ctf_type *st, const char *name);
/* Compute alignment (structs), fixed sizes, has_saves, is_text, node ids.
 * Returns the number of nodes. */
uint32_t ctf_type_finish(ctf_type *t);
/* Label of an enum value, or NULL. */
const char *ctf_enum_label(const ctf_type *e, uint64_t v);

/* Strip one leading underscore, as babeltrace does. */
const char *ctf_strip_name(const char *name);

#endif
