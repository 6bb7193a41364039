/* TSDL parser: the CTF 1.8 metadata language as LTTng (2.1 to 2.14) and
 * babeltrace write it: typealias/typedef, integer, floating_point, string,
 * enum (ranges, auto-increment, repeated labels), struct (align), variant,
 * arrays and sequences, and the trace/env/clock/stream/event blocks. */
#include "ctf/meta.h"
#include "ctf/tsdl_lex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BO_NATIVE 2 /* resolved to the trace byte order once it is known */

typedef struct alias {
    char *name; /* "uint32_t", "unsigned long", "struct foo", "enum bar" */
    ctf_type *type;
} alias;

typedef struct parser {
    tsdl_lexer lx;
    tsdl_token cur;
    const char *what;
    ts_error *err;
    int failed;
    alias *aliases;
    size_t naliases, capaliases;
    ctf_meta *m;
    int depth;
} parser;

/* ---- errors and tokens ------------------------------------------------- */

static void perr(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void perr(parser *p, const char *fmt, ...)
{
    if (p->failed) return;
    p->failed = 1;
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ts_error_set(p->err, TS_ERR_FORMAT, "%s: line %d: %s", p->what, p->cur.line, msg);
}

static void describe(const tsdl_token *t, char *buf, size_t n)
{
    if (t->kind == TK_EOF)
        snprintf(buf, n, "end of metadata");
    else
        snprintf(buf, n, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), t->start);
}

static void advance(parser *p)
{
    if (p->failed) {
        p->cur.kind = TK_EOF;
        return;
    }
    if (tsdl_lex_next(&p->lx, &p->cur) == TK_ERROR) {
        perr(p, "%s", p->lx.error);
        p->cur.kind = TK_EOF;
    }
}

static int is(parser *p, tsdl_tok k)
{
    return !p->failed && p->cur.kind == k;
}

static int is_kw(parser *p, const char *kw)
{
    size_t n = strlen(kw);
    return is(p, TK_IDENT) && p->cur.len == n && !memcmp(p->cur.start, kw, n);
}

static int expect(parser *p, tsdl_tok k, const char *ctx)
{
    if (is(p, k)) {
        advance(p);
        return 1;
    }
    char d[64];
    describe(&p->cur, d, sizeof d);
    perr(p, "expected %s %s, found %s", tsdl_tok_name(k), ctx, d);
    return 0;
}

static char *tok_str(const tsdl_token *t)
{
    char *s = malloc(t->len + 1);
    if (s) {
        memcpy(s, t->start, t->len);
        s[t->len] = '\0';
    }
    return s;
}

/* ---- aliases ----------------------------------------------------------- */

static ctf_type *find_alias(parser *p, const char *name)
{
    for (size_t i = p->naliases; i-- > 0;)
        if (!strcmp(p->aliases[i].name, name)) return p->aliases[i].type;
    return NULL;
}

static void add_alias(parser *p, const char *name, ctf_type *t)
{
    if (p->naliases == p->capaliases) {
        size_t nc = p->capaliases ? p->capaliases * 2 : 64;
        alias *na = realloc(p->aliases, nc * sizeof *na);
        if (!na) {
            ctf_type_free(t);
            perr(p, "out of memory");
            return;
        }
        p->aliases = na;
        p->capaliases = nc;
    }
    char *n = strdup(name);
    if (!n) {
        ctf_type_free(t);
        perr(p, "out of memory");
        return;
    }
    p->aliases[p->naliases].name = n;
    p->aliases[p->naliases].type = t;
    p->naliases++;
}

/* ---- values ------------------------------------------------------------ */

typedef struct value {
    enum { V_NONE, V_INT, V_STR, V_IDENT } kind;
    int neg;
    uint64_t u;
    char *s; /* V_STR / V_IDENT (dotted identifiers joined with '.') */
} value;

static void value_free(value *v)
{
    free(v->s);
    v->s = NULL;
}

static int64_t value_i64(const value *v)
{
    return v->neg ? -(int64_t)v->u : (int64_t)v->u;
}

/* integer, string, or dotted identifier */
static int parse_value(parser *p, value *v)
{
    memset(v, 0, sizeof *v);
    if (is(p, TK_MINUS) || is(p, TK_PLUS)) {
        v->neg = is(p, TK_MINUS);
        advance(p);
        if (!is(p, TK_INT)) {
            perr(p, "expected an integer after the sign");
            return 0;
        }
    }
    if (is(p, TK_INT)) {
        v->kind = V_INT;
        v->u = p->cur.ival;
        advance(p);
        return 1;
    }
    if (is(p, TK_STRING)) {
        v->kind = V_STR;
        v->s = strdup(p->cur.sval);
        advance(p);
        return v->s != NULL;
    }
    if (is(p, TK_IDENT)) {
        size_t cap = 64, n = 0;
        char *s = malloc(cap);
        if (!s) return 0;
        for (;;) {
            if (n + p->cur.len + 2 > cap) {
                cap = (n + p->cur.len + 2) * 2;
                char *ns = realloc(s, cap);
                if (!ns) {
                    free(s);
                    return 0;
                }
                s = ns;
            }
            memcpy(s + n, p->cur.start, p->cur.len);
            n += p->cur.len;
            s[n] = '\0';
            advance(p);
            if ((is(p, TK_DOT) || is(p, TK_ARROW))) {
                s[n++] = '.';
                s[n] = '\0';
                advance(p);
                if (!is(p, TK_IDENT)) {
                    free(s);
                    perr(p, "expected an identifier after '.'");
                    return 0;
                }
                continue;
            }
            break;
        }
        v->kind = V_IDENT;
        v->s = s;
        return 1;
    }
    char d[64];
    describe(&p->cur, d, sizeof d);
    perr(p, "expected a value, found %s", d);
    return 0;
}

static int value_bool(parser *p, const value *v, const char *attr)
{
    if (v->kind == V_INT) return v->u != 0;
    if (v->kind == V_IDENT && (!strcmp(v->s, "true") || !strcmp(v->s, "TRUE"))) return 1;
    if (v->kind == V_IDENT && (!strcmp(v->s, "false") || !strcmp(v->s, "FALSE"))) return 0;
    perr(p, "attribute '%s' expects true or false", attr);
    return 0;
}

static int parse_byte_order(parser *p, const value *v)
{
    if (v->kind == V_IDENT || v->kind == V_STR) {
        if (!strcmp(v->s, "le")) return CTF_LE;
        if (!strcmp(v->s, "be") || !strcmp(v->s, "network")) return CTF_BE;
        if (!strcmp(v->s, "native")) return BO_NATIVE;
    }
    perr(p, "byte_order must be le, be, network or native");
    return CTF_LE;
}

static int parse_encoding(parser *p, const value *v)
{
    if (v->kind == V_IDENT || v->kind == V_STR) {
        if (!strcmp(v->s, "none")) return CTF_ENC_NONE;
        if (!strcmp(v->s, "UTF8") || !strcmp(v->s, "utf8")) return CTF_ENC_UTF8;
        if (!strcmp(v->s, "ASCII") || !strcmp(v->s, "ascii")) return CTF_ENC_ASCII;
    }
    perr(p, "encoding must be none, UTF8 or ASCII");
    return CTF_ENC_NONE;
}

static int parse_base(parser *p, const value *v)
{
    if (v->kind == V_INT) {
        if (v->u == 2 || v->u == 8 || v->u == 10 || v->u == 16) return (int)v->u;
    } else if (v->kind == V_IDENT) {
        const char *s = v->s;
        if (!strcmp(s, "decimal") || !strcmp(s, "dec") || !strcmp(s, "d") || !strcmp(s, "i") ||
            !strcmp(s, "u"))
            return 10;
        if (!strcmp(s, "hexadecimal") || !strcmp(s, "hex") || !strcmp(s, "x") || !strcmp(s, "X") ||
            !strcmp(s, "p"))
            return 16;
        if (!strcmp(s, "octal") || !strcmp(s, "oct") || !strcmp(s, "o")) return 8;
        if (!strcmp(s, "binary") || !strcmp(s, "b")) return 2;
    }
    perr(p, "bad integer base");
    return 10;
}

/* ---- type specifiers ---------------------------------------------------- */

static ctf_type *parse_type_spec(parser *p);
static int parse_fields(parser *p, ctf_type *st);

static int find_clock(parser *p, const char *name)
{
    for (size_t i = 0; i < p->m->nclocks; i++)
        if (!strcmp(p->m->clocks[i].name, name)) return (int)i;
    return -1;
}

/* The attributes of a type's block, `name = value;` each, up to the closing brace
 * (consumed): each one goes to `set`.  false when the parser failed. */
typedef void (*attr_fn)(parser *p, ctf_type *t, const char *key, value *v, int *flags);
static bool parse_attrs(parser *p, const char *what, ctf_type *t, attr_fn set, int *flags)
{
    while (!p->failed && !is(p, TK_RBRACE)) {
        if (!is(p, TK_IDENT)) {
            perr(p, "%s: expected an attribute name", what);
            break;
        }
        char *key = tok_str(&p->cur);
        advance(p);
        value v;
        if (!key || !expect(p, TK_ASSIGN, "after attribute") || !parse_value(p, &v)) {
            free(key);
            break;
        }
        set(p, t, key, &v, flags);
        free(key);
        value_free(&v);
        if (!expect(p, TK_SEMI, "after attribute")) break;
    }
    if (p->failed) return false;
    advance(p); /* } */
    return true;
}

/* One attribute of an integer; *flags: 1 size given, 2 align given. */
static void int_attr(parser *p, ctf_type *t, const char *key, value *v, int *flags)
{
    if (!strcmp(key, "size")) {
        if (v->kind != V_INT || v->u == 0 || v->u > 64) perr(p, "integer size must be 1 to 64");
        t->size = (uint32_t)v->u;
        *flags |= 1;
    } else if (!strcmp(key, "align")) {
        if (v->kind != V_INT || v->u == 0 || (v->u & (v->u - 1)) || v->u > 4096)
            perr(p, "integer align must be a power of two");
        t->align = (uint32_t)v->u;
        *flags |= 2;
    } else if (!strcmp(key, "signed")) {
        t->is_signed = value_bool(p, v, "signed");
    } else if (!strcmp(key, "byte_order")) {
        t->byte_order = (uint8_t)parse_byte_order(p, v);
    } else if (!strcmp(key, "encoding")) {
        t->encoding = (uint8_t)parse_encoding(p, v);
    } else if (!strcmp(key, "base")) {
        t->base = (uint8_t)parse_base(p, v);
    } else if (!strcmp(key, "map")) {
        /* clock.<name>.value */
        const char *s = v->kind == V_IDENT ? v->s : NULL;
        if (!s || strncmp(s, "clock.", 6) != 0) {
            perr(p, "integer map must be clock.<name>.value");
        } else {
            char name[128];
            const char *dot = strchr(s + 6, '.');
            size_t n = dot ? (size_t)(dot - (s + 6)) : strlen(s + 6);
            if (n >= sizeof name) n = sizeof name - 1;
            memcpy(name, s + 6, n);
            name[n] = '\0';
            t->map_clock = find_clock(p, name);
            if (t->map_clock < 0) perr(p, "integer mapped to unknown clock '%s'", name);
        }
    }
    /* unknown attributes are ignored, as babeltrace does */
}

/* One attribute of a floating_point; *flags: 2 align given. */
static void float_attr(parser *p, ctf_type *t, const char *key, value *v, int *flags)
{
    if (!strcmp(key, "exp_dig"))
        t->exp_dig = (uint32_t)v->u;
    else if (!strcmp(key, "mant_dig"))
        t->mant_dig = (uint32_t)v->u;
    else if (!strcmp(key, "byte_order"))
        t->byte_order = (uint8_t)parse_byte_order(p, v);
    else if (!strcmp(key, "align")) {
        if (v->kind != V_INT || v->u == 0 || (v->u & (v->u - 1)) || v->u > 4096)
            perr(p, "floating_point align must be a power of two");
        t->align = (uint32_t)v->u;
        *flags |= 2;
    }
}

/* One attribute of a string. */
static void string_attr(parser *p, ctf_type *t, const char *key, value *v, int *flags)
{
    if (!strcmp(key, "encoding")) t->encoding = (uint8_t)parse_encoding(p, v);
}

/* A new type of `kind` and its block `{ name = value; ... }` (set by `set`); NULL
 * (the parser failed) on error. */
static ctf_type *parse_type_block(parser *p, ctf_kind kind, const char *what, attr_fn set,
                                  int *flags)
{
    ctf_type *t = ctf_type_new(kind);
    if (!t) {
        perr(p, "out of memory");
        return NULL;
    }
    t->byte_order = BO_NATIVE;
    char after[48];
    snprintf(after, sizeof after, "after '%s'", what);
    if (!expect(p, TK_LBRACE, after) || !parse_attrs(p, what, t, set, flags)) {
        ctf_type_free(t);
        return NULL;
    }
    return t;
}

static ctf_type *parse_integer_body(parser *p)
{
    int flags = 0; /* 1: size given, 2: align given */
    ctf_type *t = parse_type_block(p, CTF_INT, "integer", int_attr, &flags);
    if (!t) return NULL;
    if (!(flags & 1)) {
        perr(p, "integer without size");
        goto fail;
    }
    if (!(flags & 2)) t->align = (t->size % 8) ? 1 : 8;
    return t;
fail:
    ctf_type_free(t);
    return NULL;
}

static ctf_type *parse_float_body(parser *p)
{
    int flags = 0; /* 2: align given */
    ctf_type *t = parse_type_block(p, CTF_FLOAT, "floating_point", float_attr, &flags);
    if (!t) return NULL;
    t->size = t->exp_dig + t->mant_dig;
    if (!(t->exp_dig == 8 && t->mant_dig == 24) && !(t->exp_dig == 11 && t->mant_dig == 53)) {
        perr(p, "floating_point must be 32-bit (8/24) or 64-bit (11/53)");
        goto fail;
    }
    if (!(flags & 2)) t->align = 8;
    return t;
fail:
    ctf_type_free(t);
    return NULL;
}

static ctf_type *parse_string_spec(parser *p)
{
    ctf_type *t = ctf_type_new(CTF_STRING);
    if (!t) {
        perr(p, "out of memory");
        return NULL;
    }
    t->align = 8;
    t->encoding = CTF_ENC_UTF8;
    int flags = 0;
    if (is(p, TK_LBRACE)) {
        advance(p);
        parse_attrs(p, "string", t, string_attr, &flags);
    }
    if (p->failed) {
        ctf_type_free(t);
        return NULL;
    }
    return t;
}

static int parse_align_suffix(parser *p, ctf_type *t)
{
    if (!is_kw(p, "align")) return 1;
    advance(p);
    if (!expect(p, TK_LPAREN, "after 'align'")) return 0;
    if (!is(p, TK_INT) || p->cur.ival == 0 || (p->cur.ival & (p->cur.ival - 1)) ||
        p->cur.ival > 4096) {
        perr(p, "align() needs a power of two");
        return 0;
    }
    if (p->cur.ival > t->align) t->align = (uint32_t)p->cur.ival;
    advance(p);
    return expect(p, TK_RPAREN, "after align value");
}

static ctf_type *parse_struct_spec(parser *p)
{
    char *name = NULL;
    if (is(p, TK_IDENT) && !is_kw(p, "align")) {
        name = tok_str(&p->cur);
        advance(p);
    }
    ctf_type *t = NULL;
    if (is(p, TK_LBRACE)) {
        advance(p);
        t = ctf_type_new(CTF_STRUCT);
        if (!t)
            perr(p, "out of memory");
        else if (!parse_fields(p, t)) {
            ctf_type_free(t);
            t = NULL;
        }
        if (t && !parse_align_suffix(p, t)) {
            ctf_type_free(t);
            t = NULL;
        }
        if (t && name) {
            char key[300];
            snprintf(key, sizeof key, "struct %s", name);
            ctf_type *c = ctf_type_clone(t);
            if (c) add_alias(p, key, c);
        }
    } else if (name) {
        char key[300];
        snprintf(key, sizeof key, "struct %s", name);
        ctf_type *a = find_alias(p, key);
        if (!a)
            perr(p, "unknown struct '%s'", name);
        else if (!(t = ctf_type_clone(a)))
            perr(p, "out of memory");
        if (t && !parse_align_suffix(p, t)) {
            ctf_type_free(t);
            t = NULL;
        }
    } else {
        perr(p, "struct without name or body");
    }
    free(name);
    return t;
}

static char *parse_ref_path(parser *p, tsdl_tok closer)
{
    /* dotted identifiers up to the closer ('>' or ']') */
    size_t cap = 64, n = 0;
    char *s = malloc(cap);
    if (!s) return NULL;
    s[0] = '\0';
    while (!p->failed && !is(p, closer)) {
        if (is(p, TK_IDENT)) {
            if (n + p->cur.len + 2 > cap) {
                cap = (n + p->cur.len + 2) * 2;
                char *ns = realloc(s, cap);
                if (!ns) {
                    free(s);
                    return NULL;
                }
                s = ns;
            }
            memcpy(s + n, p->cur.start, p->cur.len);
            n += p->cur.len;
            s[n] = '\0';
        } else if (is(p, TK_DOT) || is(p, TK_ARROW)) {
            if (n + 2 > cap) {
                cap *= 2;
                char *ns = realloc(s, cap);
                if (!ns) {
                    free(s);
                    return NULL;
                }
                s = ns;
            }
            s[n++] = '.';
            s[n] = '\0';
        } else {
            char d[64];
            describe(&p->cur, d, sizeof d);
            perr(p, "expected a field path, found %s", d);
            free(s);
            return NULL;
        }
        advance(p);
    }
    if (p->failed) {
        free(s);
        return NULL;
    }
    advance(p); /* closer */
    if (n == 0) {
        perr(p, "empty field path");
        free(s);
        return NULL;
    }
    return s;
}

static ctf_type *parse_variant_spec(parser *p)
{
    char *name = NULL, *tag = NULL;
    ctf_type *t = NULL;
    if (is(p, TK_IDENT)) {
        name = tok_str(&p->cur);
        advance(p);
    }
    if (is(p, TK_LT)) {
        advance(p);
        tag = parse_ref_path(p, TK_GT);
        if (!tag) goto out;
    }
    if (is(p, TK_LBRACE)) {
        advance(p);
        t = ctf_type_new(CTF_VARIANT);
        if (!t) {
            perr(p, "out of memory");
            goto out;
        }
        if (!parse_fields(p, t)) {
            ctf_type_free(t);
            t = NULL;
            goto out;
        }
        if (name) {
            char key[300];
            snprintf(key, sizeof key, "variant %s", name);
            ctf_type *c = ctf_type_clone(t);
            if (c) add_alias(p, key, c);
        }
    } else if (name) {
        char key[300];
        snprintf(key, sizeof key, "variant %s", name);
        ctf_type *a = find_alias(p, key);
        if (!a) {
            perr(p, "unknown variant '%s'", name);
            goto out;
        }
        if (!(t = ctf_type_clone(a))) {
            perr(p, "out of memory");
            goto out;
        }
    } else {
        perr(p, "variant without name or body");
        goto out;
    }
    if (tag) {
        free(t->ref);
        t->ref = tag;
        tag = NULL;
    }
out:
    free(name);
    free(tag);
    return t;
}

static ctf_type *parse_enum_spec(parser *p)
{
    char *name = NULL;
    ctf_type *t = NULL, *cont = NULL;
    if (is(p, TK_IDENT)) {
        name = tok_str(&p->cur);
        advance(p);
    }
    if (is(p, TK_COLON)) {
        advance(p);
        cont = parse_type_spec(p);
        if (!cont) goto out;
        if (cont->kind != CTF_INT) {
            perr(p, "enum container must be an integer");
            goto out;
        }
    }
    if (!is(p, TK_LBRACE)) {
        if (!name) {
            perr(p, "enum without name or body");
            goto out;
        }
        char key[300];
        snprintf(key, sizeof key, "enum %s", name);
        ctf_type *a = find_alias(p, key);
        if (!a) {
            perr(p, "unknown enum '%s'", name);
            goto out;
        }
        t = ctf_type_clone(a);
        if (!t) perr(p, "out of memory");
        goto out;
    }
    advance(p);
    if (!cont) {
        ctf_type *a = find_alias(p, "int");
        if (!a) {
            perr(p, "enum without container type and no 'int' alias");
            goto out;
        }
        cont = ctf_type_clone(a);
        if (!cont) goto out;
    }
    t = cont;
    cont = NULL;
    t->kind = CTF_ENUM;
    uint64_t next = 0;
    while (!p->failed && !is(p, TK_RBRACE)) {
        char *label = NULL;
        if (is(p, TK_STRING))
            label = strdup(p->cur.sval);
        else if (is(p, TK_IDENT))
            label = tok_str(&p->cur);
        else {
            perr(p, "expected an enum label");
            break;
        }
        advance(p);
        if (!label) {
            perr(p, "out of memory");
            break;
        }
        uint64_t lo = next, hi = next;
        if (is(p, TK_ASSIGN)) {
            advance(p);
            value v;
            if (!parse_value(p, &v) || v.kind != V_INT) {
                if (!p->failed) perr(p, "enum value must be an integer");
                value_free(&v);
                free(label);
                break;
            }
            lo = hi = (uint64_t)value_i64(&v);
            if (is(p, TK_ELLIPSIS)) {
                advance(p);
                value w;
                if (!parse_value(p, &w) || w.kind != V_INT) {
                    if (!p->failed) perr(p, "enum range end must be an integer");
                    value_free(&w);
                    free(label);
                    break;
                }
                hi = (uint64_t)value_i64(&w);
            }
        }
        ctf_enum_entry *ne = realloc(t->entries, (t->nentries + 1) * sizeof *ne);
        if (!ne) {
            free(label);
            perr(p, "out of memory");
            break;
        }
        t->entries = ne;
        t->entries[t->nentries].label = label;
        t->entries[t->nentries].lo = lo;
        t->entries[t->nentries].hi = hi;
        t->nentries++;
        next = hi + 1;
        if (is(p, TK_COMMA))
            advance(p);
        else if (!is(p, TK_RBRACE)) {
            char d[64];
            describe(&p->cur, d, sizeof d);
            perr(p, "expected ',' or '}' in enum, found %s", d);
        }
    }
    if (!p->failed) advance(p);
    if (!p->failed && name) {
        char key[300];
        snprintf(key, sizeof key, "enum %s", name);
        ctf_type *c = ctf_type_clone(t);
        if (c) add_alias(p, key, c);
    }
out:
    free(name);
    ctf_type_free(cont);
    if (p->failed) {
        ctf_type_free(t);
        return NULL;
    }
    return t;
}

/* A type name made of one or more identifiers ("uint32_t", "unsigned long"):
 * the longest sequence of identifiers that names an alias.  On return the
 * current token is the first identifier not consumed. */
/* Move back to a token already seen (its start offset and line) and lex it
 * again, so that no pointer into the lexer's string buffer goes stale. */
static void rewind_to(parser *p, size_t offset, int line)
{
    p->lx.pos = offset;
    p->lx.line = line;
    advance(p);
}

static ctf_type *parse_named_type(parser *p)
{
    size_t save_off = (size_t)(p->cur.start - p->lx.src);
    int save_line = p->cur.line;
    char name[256];
    size_t n = 0;
    ctf_type *best = NULL;
    size_t best_off = save_off;
    int best_line = save_line;
    for (int words = 0; words < 6 && is(p, TK_IDENT); words++) {
        if (n + p->cur.len + 2 >= sizeof name) break;
        if (n) name[n++] = ' ';
        memcpy(name + n, p->cur.start, p->cur.len);
        n += p->cur.len;
        name[n] = '\0';
        advance(p);
        ctf_type *a = find_alias(p, name);
        if (a) {
            best = a;
            best_off = (size_t)(p->cur.start - p->lx.src);
            best_line = p->cur.line;
        }
    }
    if (p->failed) return NULL;
    if (!best) {
        rewind_to(p, save_off, save_line);
        char d[64];
        describe(&p->cur, d, sizeof d);
        perr(p, "unknown type %s", d);
        return NULL;
    }
    rewind_to(p, best_off, best_line);
    ctf_type *t = ctf_type_clone(best);
    if (!t) perr(p, "out of memory");
    return t;
}

static ctf_type *parse_type_spec(parser *p)
{
    if (p->failed) return NULL;
    if (++p->depth > 64) {
        perr(p, "types nested too deeply");
        p->depth--;
        return NULL;
    }
    ctf_type *t = NULL;
    while (is_kw(p, "const") || is_kw(p, "volatile")) advance(p);
    if (is_kw(p, "integer")) {
        advance(p);
        t = parse_integer_body(p);
    } else if (is_kw(p, "floating_point")) {
        advance(p);
        t = parse_float_body(p);
    } else if (is_kw(p, "string")) {
        advance(p);
        t = parse_string_spec(p);
    } else if (is_kw(p, "struct")) {
        advance(p);
        t = parse_struct_spec(p);
    } else if (is_kw(p, "variant")) {
        advance(p);
        t = parse_variant_spec(p);
    } else if (is_kw(p, "enum")) {
        advance(p);
        t = parse_enum_spec(p);
    } else if (is(p, TK_IDENT)) {
        t = parse_named_type(p);
    } else {
        char d[64];
        describe(&p->cur, d, sizeof d);
        perr(p, "expected a type, found %s", d);
    }
    p->depth--;
    return t;
}

/* Declarator suffixes: [N] (array) or [path] (sequence), possibly repeated.
 * Dimensions apply right to left: T x[2][3] is an array of 2 arrays of 3 T. */
static ctf_type *parse_declarator_suffix(parser *p, ctf_type *base)
{
    ctf_type *dims[8];
    int ndims = 0;
    while (is(p, TK_LBRACKET)) {
        advance(p);
        ctf_type *d;
        if (is(p, TK_INT)) {
            d = ctf_type_new(CTF_ARRAY);
            if (d) d->length = p->cur.ival;
            advance(p);
            if (!expect(p, TK_RBRACKET, "after array length")) {
                ctf_type_free(d);
                d = NULL;
            }
        } else {
            char *path = parse_ref_path(p, TK_RBRACKET);
            d = path ? ctf_type_new(CTF_SEQUENCE) : NULL;
            if (d)
                d->ref = path;
            else
                free(path);
        }
        if (!d || ndims == 8) {
            if (!p->failed) perr(p, ndims == 8 ? "too many array dimensions" : "out of memory");
            ctf_type_free(d);
            goto fail;
        }
        dims[ndims++] = d;
    }
    ctf_type *t = base;
    for (int i = ndims; i-- > 0;) {
        dims[i]->elem = t;
        t = dims[i];
    }
    return t;
fail:
    for (int i = 0; i < ndims; i++) ctf_type_free(dims[i]);
    ctf_type_free(base);
    return NULL;
}

static void parse_typealias(parser *p);
static void parse_typedef(parser *p);

/* Fields of a struct or options of a variant, up to and including '}'. */
static int parse_fields(parser *p, ctf_type *st)
{
    while (!p->failed && !is(p, TK_RBRACE)) {
        if (is(p, TK_EOF)) {
            perr(p, "unexpected end of metadata inside a struct or variant");
            return 0;
        }
        if (is_kw(p, "typealias")) {
            advance(p);
            parse_typealias(p);
            continue;
        }
        if (is_kw(p, "typedef")) {
            advance(p);
            parse_typedef(p);
            continue;
        }
        ctf_type *base = parse_type_spec(p);
        if (!base) return 0;
        if (is(p, TK_SEMI)) { /* declaration of a named type only */
            ctf_type_free(base);
            advance(p);
            continue;
        }
        for (;;) {
            if (!is(p, TK_IDENT)) {
                char d[64];
                describe(&p->cur, d, sizeof d);
                perr(p, "expected a field name, found %s", d);
                ctf_type_free(base);
                return 0;
            }
            char *fname = tok_str(&p->cur);
            advance(p);
            ctf_type *inst = ctf_type_clone(base);
            if (!fname || !inst) {
                free(fname);
                ctf_type_free(inst);
                ctf_type_free(base);
                perr(p, "out of memory");
                return 0;
            }
            inst = parse_declarator_suffix(p, inst);
            if (!inst) {
                free(fname);
                ctf_type_free(base);
                return 0;
            }
            if (ctf_type_field_index(st, fname) >= 0 &&
                !strcmp(st->fields[ctf_type_field_index(st, fname)].decl, fname)) {
                perr(p, "duplicate field '%s'", fname);
                free(fname);
                ctf_type_free(inst);
                ctf_type_free(base);
                return 0;
            }
            if (ctf_type_add_field(st, fname, inst)) {
                ctf_type_free(inst);
                perr(p, "out of memory");
            }
            free(fname);
            if (is(p, TK_COMMA)) {
                advance(p);
                continue;
            }
            break;
        }
        ctf_type_free(base);
        if (!expect(p, TK_SEMI, "after field declaration")) return 0;
    }
    if (p->failed) return 0;
    advance(p); /* } */
    return 1;
}

/* typealias TYPE [declarator suffix] := NAME WORDS ; */
static void parse_typealias(parser *p)
{
    ctf_type *t = parse_type_spec(p);
    if (!t) return;
    /* optional abstract declarator such as [16] */
    t = parse_declarator_suffix(p, t);
    if (!t) return;
    if (!expect(p, TK_TYPE_ASSIGN, "in typealias")) {
        ctf_type_free(t);
        return;
    }
    char name[256];
    size_t n = 0;
    while (is(p, TK_IDENT) || is(p, TK_STAR)) {
        if (n + p->cur.len + 2 >= sizeof name) {
            perr(p, "typealias name too long");
            ctf_type_free(t);
            return;
        }
        if (n) name[n++] = ' ';
        memcpy(name + n, p->cur.start, p->cur.len);
        n += p->cur.len;
        name[n] = '\0';
        advance(p);
    }
    if (n == 0) {
        perr(p, "typealias without a name");
        ctf_type_free(t);
        return;
    }
    add_alias(p, name, t);
    expect(p, TK_SEMI, "after typealias");
}

/* typedef TYPE name[suffix] ; */
static void parse_typedef(parser *p)
{
    ctf_type *base = parse_type_spec(p);
    if (!base) return;
    for (;;) {
        if (!is(p, TK_IDENT)) {
            perr(p, "expected a typedef name");
            break;
        }
        char *name = tok_str(&p->cur);
        advance(p);
        ctf_type *inst = ctf_type_clone(base);
        if (inst) inst = parse_declarator_suffix(p, inst);
        if (inst && name)
            add_alias(p, name, inst);
        else
            ctf_type_free(inst);
        free(name);
        if (!is(p, TK_COMMA)) break;
        advance(p);
    }
    ctf_type_free(base);
    expect(p, TK_SEMI, "after typedef");
}

/* ---- blocks ------------------------------------------------------------- */

typedef struct block_item {
    char *key;   /* dotted key */
    int is_type; /* key := type */
    value v;     /* key = value */
    ctf_type *type;
} block_item;

/* Parse one "key = value;" or "key := type;" (or a nested typealias). Returns
 * 0 at '}' or on error, 1 with *it filled, 2 for an item that was consumed
 * without producing anything (typealias). */
static int parse_block_item(parser *p, block_item *it)
{
    memset(it, 0, sizeof *it);
    if (is(p, TK_RBRACE) || p->failed) return 0;
    if (is_kw(p, "typealias")) {
        advance(p);
        parse_typealias(p);
        return p->failed ? 0 : 2;
    }
    if (is_kw(p, "typedef")) {
        advance(p);
        parse_typedef(p);
        return p->failed ? 0 : 2;
    }
    if (!is(p, TK_IDENT)) {
        char d[64];
        describe(&p->cur, d, sizeof d);
        perr(p, "expected an attribute name, found %s", d);
        return 0;
    }
    value k;
    if (!parse_value(p, &k)) return 0; /* dotted identifier */
    it->key = k.s;
    if (is(p, TK_TYPE_ASSIGN)) {
        advance(p);
        it->is_type = 1;
        it->type = parse_type_spec(p);
        if (!it->type) return 0;
    } else if (is(p, TK_ASSIGN)) {
        advance(p);
        if (!parse_value(p, &it->v)) return 0;
    } else {
        char d[64];
        describe(&p->cur, d, sizeof d);
        perr(p, "expected '=' or ':=' after '%s', found %s", it->key, d);
        return 0;
    }
    if (!expect(p, TK_SEMI, "after attribute")) return 0;
    return 1;
}

static void block_item_free(block_item *it)
{
    free(it->key);
    value_free(&it->v);
    ctf_type_free(it->type);
    memset(it, 0, sizeof *it);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int parse_uuid(const char *s, uint8_t out[16])
{
    int n = 0;
    for (const char *c = s; *c; c++) {
        if (*c == '-') continue;
        int h = hexval(c[0]);
        int l = c[1] ? hexval(c[1]) : -1;
        if (h < 0 || l < 0 || n >= 16) return -1;
        out[n++] = (uint8_t)(h << 4 | l);
        c++;
    }
    return n == 16 ? 0 : -1;
}

static void parse_trace_block(parser *p)
{
    ctf_meta *m = p->m;
    block_item it;
    int r;
    while ((r = parse_block_item(p, &it)) > 0) {
        if (r == 2) continue;
        if (!strcmp(it.key, "major") && it.v.kind == V_INT)
            m->major = (int)it.v.u;
        else if (!strcmp(it.key, "minor") && it.v.kind == V_INT)
            m->minor = (int)it.v.u;
        else if (!strcmp(it.key, "uuid") && it.v.kind == V_STR) {
            if (parse_uuid(it.v.s, m->uuid_bytes)) perr(p, "bad trace uuid \"%s\"", it.v.s);
            m->has_uuid = 1;
            free(m->uuid);
            m->uuid = strdup(it.v.s);
        } else if (!strcmp(it.key, "byte_order")) {
            int bo = parse_byte_order(p, &it.v);
            m->byte_order = (uint8_t)(bo == BO_NATIVE ? CTF_LE : bo);
        } else if (!strcmp(it.key, "packet.header") && it.is_type) {
            ctf_type_free(m->packet_header);
            m->packet_header = it.type;
            it.type = NULL;
        }
        block_item_free(&it);
    }
    block_item_free(&it);
}

static void parse_env_block(parser *p)
{
    ctf_meta *m = p->m;
    block_item it;
    int r;
    while ((r = parse_block_item(p, &it)) > 0) {
        if (r == 2) continue;
        ctf_env_entry *ne = realloc(m->env, (m->nenv + 1) * sizeof *ne);
        if (!ne) {
            perr(p, "out of memory");
            block_item_free(&it);
            break;
        }
        m->env = ne;
        ctf_env_entry *e = &m->env[m->nenv++];
        e->key = it.key;
        it.key = NULL;
        e->str = NULL;
        e->ival = 0;
        if (it.v.kind == V_INT)
            e->ival = value_i64(&it.v);
        else {
            e->str = it.v.s ? it.v.s : strdup("");
            it.v.s = NULL;
        }
        block_item_free(&it);
    }
    block_item_free(&it);
}

static void parse_clock_block(parser *p)
{
    ctf_meta *m = p->m;
    ctf_clock c = {0};
    c.freq = 1000000000ULL;
    block_item it;
    int r;
    while ((r = parse_block_item(p, &it)) > 0) {
        if (r == 2) continue;
        const char *k = it.key;
        if (!strcmp(k, "name") && it.v.s) {
            free(c.name);
            c.name = strdup(it.v.s);
        } else if (!strcmp(k, "uuid") && it.v.s) {
            free(c.uuid);
            c.uuid = strdup(it.v.s);
        } else if (!strcmp(k, "description") && it.v.s) {
            free(c.description);
            c.description = strdup(it.v.s);
        } else if (!strcmp(k, "freq") && it.v.kind == V_INT) {
            if (it.v.u == 0) perr(p, "clock freq must not be 0");
            c.freq = it.v.u;
        } else if (!strcmp(k, "offset_s") && it.v.kind == V_INT) {
            c.offset_s = value_i64(&it.v);
        } else if (!strcmp(k, "offset") && it.v.kind == V_INT) {
            c.offset = value_i64(&it.v);
        } else if (!strcmp(k, "absolute")) {
            c.absolute = value_bool(p, &it.v, "absolute");
        }
        block_item_free(&it);
    }
    block_item_free(&it);
    if (!p->failed && !c.name) perr(p, "clock without a name");
    if (p->failed) {
        free(c.name);
        free(c.uuid);
        free(c.description);
        return;
    }
    if (!c.uuid) c.uuid = strdup("");
    if (!c.description) c.description = strdup("");
    ctf_clock *nc = realloc(m->clocks, (m->nclocks + 1) * sizeof *nc);
    if (!nc || !c.uuid || !c.description) {
        free(nc == m->clocks ? NULL : NULL);
        if (nc) m->clocks = nc;
        free(c.name);
        free(c.uuid);
        free(c.description);
        perr(p, "out of memory");
        return;
    }
    m->clocks = nc;
    m->clocks[m->nclocks++] = c;
}

static void parse_stream_block(parser *p)
{
    ctf_meta *m = p->m;
    ctf_stream_class sc = {0};
    block_item it;
    int r;
    while ((r = parse_block_item(p, &it)) > 0) {
        if (r == 2) continue;
        if (!strcmp(it.key, "id") && it.v.kind == V_INT) {
            sc.id = it.v.u;
            sc.has_id = 1;
        } else if (it.is_type) {
            ctf_type **dst = NULL;
            if (!strcmp(it.key, "event.header"))
                dst = &sc.event_header;
            else if (!strcmp(it.key, "event.context"))
                dst = &sc.event_context;
            else if (!strcmp(it.key, "packet.context"))
                dst = &sc.packet_context;
            if (dst) {
                ctf_type_free(*dst);
                *dst = it.type;
                it.type = NULL;
            }
        }
        block_item_free(&it);
    }
    block_item_free(&it);
    for (size_t i = 0; !p->failed && i < m->nstreams; i++)
        if (m->streams[i].id == sc.id)
            perr(p, "duplicate stream id %llu", (unsigned long long)sc.id);
    ctf_stream_class *ns = p->failed ? NULL : realloc(m->streams, (m->nstreams + 1) * sizeof *ns);
    if (!ns) {
        if (!p->failed) perr(p, "out of memory");
        ctf_type_free(sc.event_header);
        ctf_type_free(sc.event_context);
        ctf_type_free(sc.packet_context);
        return;
    }
    m->streams = ns;
    m->streams[m->nstreams++] = sc;
}

static void parse_event_block(parser *p)
{
    ctf_meta *m = p->m;
    ctf_event_class ec = {0};
    int have_id = 0;
    block_item it;
    int r;
    while ((r = parse_block_item(p, &it)) > 0) {
        if (r == 2) continue;
        if (!strcmp(it.key, "name") && it.v.s) {
            free(ec.name);
            ec.name = strdup(it.v.s);
        } else if (!strcmp(it.key, "id") && it.v.kind == V_INT) {
            ec.id = it.v.u;
            have_id = 1;
        } else if (!strcmp(it.key, "stream_id") && it.v.kind == V_INT) {
            ec.stream_id = it.v.u;
        } else if (!strcmp(it.key, "loglevel") && it.v.kind == V_INT) {
            ec.loglevel = (int)value_i64(&it.v);
        } else if (it.is_type && !strcmp(it.key, "fields")) {
            ctf_type_free(ec.fields);
            ec.fields = it.type;
            it.type = NULL;
        } else if (it.is_type && !strcmp(it.key, "context")) {
            ctf_type_free(ec.context);
            ec.context = it.type;
            it.type = NULL;
        }
        block_item_free(&it);
    }
    block_item_free(&it);
    if (!p->failed && !ec.name) perr(p, "event without a name");
    if (!p->failed && !have_id) ec.id = m->nevents; /* babeltrace accepts a missing id */
    if (!p->failed && ec.fields && ec.fields->kind != CTF_STRUCT)
        perr(p, "event '%s': fields must be a struct", ec.name);
    ctf_event_class *ne = p->failed ? NULL : realloc(m->events, (m->nevents + 1) * sizeof *ne);
    if (!ne) {
        if (!p->failed) perr(p, "out of memory");
        free(ec.name);
        ctf_type_free(ec.fields);
        ctf_type_free(ec.context);
        return;
    }
    m->events = ne;
    ec.index = (uint32_t)m->nevents;
    m->events[m->nevents++] = ec;
}

static void skip_block(parser *p)
{
    block_item it;
    int r;
    while ((r = parse_block_item(p, &it)) > 0) block_item_free(&it);
    block_item_free(&it);
}

static void parse_top(parser *p)
{
    advance(p);
    while (!p->failed && !is(p, TK_EOF)) {
        if (is_kw(p, "typealias")) {
            advance(p);
            parse_typealias(p);
            continue;
        }
        if (is_kw(p, "typedef")) {
            advance(p);
            parse_typedef(p);
            continue;
        }
        const char *blocks[] = {"trace", "env", "clock", "stream", "event", "callsite"};
        int b = -1;
        for (int i = 0; i < 6; i++)
            if (is_kw(p, blocks[i])) b = i;
        if (b >= 0) {
            advance(p);
            if (!expect(p, TK_LBRACE, "to open the block")) return;
            switch (b) {
            case 0:
                parse_trace_block(p);
                break;
            case 1:
                parse_env_block(p);
                break;
            case 2:
                parse_clock_block(p);
                break;
            case 3:
                parse_stream_block(p);
                break;
            case 4:
                parse_event_block(p);
                break;
            default:
                skip_block(p);
                break;
            }
            if (p->failed) return;
            if (!expect(p, TK_RBRACE, "to close the block")) return;
            expect(p, TK_SEMI, "after the block");
            continue;
        }
        if (is_kw(p, "struct") || is_kw(p, "variant") || is_kw(p, "enum")) {
            ctf_type *t = parse_type_spec(p);
            ctf_type_free(t);
            if (p->failed) return;
            expect(p, TK_SEMI, "after the type declaration");
            continue;
        }
        char d[64];
        describe(&p->cur, d, sizeof d);
        perr(p, "unexpected %s at top level", d);
    }
}

/* ---- resolution --------------------------------------------------------- */

static void resolve_native(ctf_type *t, uint8_t bo)
{
    if (!t) return;
    if (t->byte_order == BO_NATIVE) t->byte_order = bo;
    for (size_t i = 0; i < t->nfields; i++) resolve_native(t->fields[i].type, bo);
    resolve_native(t->elem, bo);
}

/* Dynamic scopes, outermost first. */
enum {
    SC_PKT_HEADER,
    SC_PKT_CONTEXT,
    SC_EV_HEADER,
    SC_STREAM_EV_CTX,
    SC_EV_CTX,
    SC_EV_FIELDS,
    SC_N
};

typedef struct scope_frame {
    ctf_type *st; /* struct being walked */
    size_t upto;  /* fields before this index are visible */
} scope_frame;

typedef struct resolver {
    parser *p;
    ctf_type *roots[SC_N];
    int cur_scope;
    scope_frame frames[64];
    int nframes;
    const char *where;
} resolver;

static ctf_type *lookup_in(ctf_type *st, const char *path)
{
    /* path: a.b.c starting at struct st */
    char buf[256];
    const char *s = path;
    ctf_type *t = st;
    while (*s) {
        const char *dot = strchr(s, '.');
        size_t n = dot ? (size_t)(dot - s) : strlen(s);
        if (n >= sizeof buf || !t || (t->kind != CTF_STRUCT && t->kind != CTF_VARIANT)) return NULL;
        memcpy(buf, s, n);
        buf[n] = '\0';
        int i = ctf_type_field_index(t, buf);
        if (i < 0) return NULL;
        t = t->fields[i].type;
        s = dot ? dot + 1 : s + n;
    }
    return t;
}

static ctf_type *resolve_path(resolver *r, const char *path)
{
    static const struct {
        const char *prefix;
        int scope;
    } abs[] = {
        {"trace.packet.header.", SC_PKT_HEADER}, {"stream.packet.context.", SC_PKT_CONTEXT},
        {"stream.event.header.", SC_EV_HEADER},  {"stream.event.context.", SC_STREAM_EV_CTX},
        {"event.context.", SC_EV_CTX},           {"event.fields.", SC_EV_FIELDS},
    };
    for (size_t i = 0; i < sizeof abs / sizeof abs[0]; i++) {
        size_t n = strlen(abs[i].prefix);
        if (!strncmp(path, abs[i].prefix, n)) {
            if (abs[i].scope > r->cur_scope || !r->roots[abs[i].scope]) return NULL;
            return lookup_in(r->roots[abs[i].scope], path + n);
        }
    }
    /* relative: first component searched in enclosing structs, innermost first */
    char first[256];
    const char *dot = strchr(path, '.');
    size_t n = dot ? (size_t)(dot - path) : strlen(path);
    if (n >= sizeof first) return NULL;
    memcpy(first, path, n);
    first[n] = '\0';
    for (int f = r->nframes; f-- > 0;) {
        ctf_type *st = r->frames[f].st;
        for (size_t i = r->frames[f].upto; i-- > 0;) {
            if (!strcmp(st->fields[i].decl, first) ||
                !strcmp(st->fields[i].name, ctf_strip_name(first))) {
                ctf_type *t = st->fields[i].type;
                return dot ? lookup_in(t, dot + 1) : t;
            }
        }
    }
    /* then the outer dynamic scopes' roots */
    for (int s = r->cur_scope - 1; s >= 0; s--) {
        if (!r->roots[s]) continue;
        int i = ctf_type_field_index(r->roots[s], first);
        if (i >= 0) {
            ctf_type *t = r->roots[s]->fields[i].type;
            return dot ? lookup_in(t, dot + 1) : t;
        }
    }
    return NULL;
}

static int bind_ref(resolver *r, ctf_type *t, int want_enum)
{
    parser *p = r->p;
    ctf_type *target = resolve_path(r, t->ref);
    if (!target) {
        perr(p, "%s: cannot resolve %s '%s'", r->where,
             want_enum ? "variant tag" : "sequence length", t->ref);
        return 0;
    }
    if (want_enum ? target->kind != CTF_ENUM
                  : (target->kind != CTF_INT && target->kind != CTF_ENUM)) {
        perr(p, "%s: '%s' is not %s", r->where, t->ref, want_enum ? "an enum" : "an integer");
        return 0;
    }
    if (target->save_slot < 0) target->save_slot = (int)p->m->nsaves++;
    t->ref_slot = target->save_slot;
    if (want_enum) {
        t->tag_enum = target;
        t->ntag_map = target->nentries;
        t->tag_map = malloc((target->nentries ? target->nentries : 1) * sizeof *t->tag_map);
        if (!t->tag_map) {
            perr(p, "out of memory");
            return 0;
        }
        for (size_t e = 0; e < target->nentries; e++) {
            t->tag_map[e] = ctf_type_field_index(t, target->entries[e].label);
        }
    }
    return 1;
}

static int resolve_type(resolver *r, ctf_type *t)
{
    if (r->p->failed) return 0;
    switch (t->kind) {
    case CTF_STRUCT:
    case CTF_VARIANT: {
        if (t->kind == CTF_VARIANT) {
            if (!t->ref) {
                perr(r->p, "%s: variant without a tag", r->where);
                return 0;
            }
            if (!bind_ref(r, t, 1)) return 0;
        }
        if (r->nframes == 64) {
            perr(r->p, "%s: structures nested too deeply", r->where);
            return 0;
        }
        int fi = r->nframes++;
        r->frames[fi].st = t;
        for (size_t i = 0; i < t->nfields; i++) {
            r->frames[fi].upto = t->kind == CTF_STRUCT ? i : 0;
            if (!resolve_type(r, t->fields[i].type)) return 0;
        }
        r->nframes--;
        return 1;
    }
    case CTF_SEQUENCE:
        if (!bind_ref(r, t, 0)) return 0;
        return resolve_type(r, t->elem);
    case CTF_ARRAY:
        return resolve_type(r, t->elem);
    default:
        return 1;
    }
}

static int resolve_root(resolver *r, int scope, ctf_type *root, const char *where)
{
    r->roots[scope] = root;
    r->cur_scope = scope;
    r->nframes = 0;
    r->where = where;
    if (!root) return 1;
    if (root->kind != CTF_STRUCT) {
        perr(r->p, "%s must be a struct", where);
        return 0;
    }
    return resolve_type(r, root);
}

static int compare_ev(const void *a, const void *b)
{
    const ctf_event_class *x = *(ctf_event_class *const *)a, *y = *(ctf_event_class *const *)b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void finish_meta(parser *p)
{
    ctf_meta *m = p->m;
    uint8_t bo = m->byte_order;
    resolve_native(m->packet_header, bo);
    for (size_t i = 0; i < m->nstreams; i++) {
        resolve_native(m->streams[i].packet_context, bo);
        resolve_native(m->streams[i].event_header, bo);
        resolve_native(m->streams[i].event_context, bo);
    }
    for (size_t i = 0; i < m->nevents; i++) {
        resolve_native(m->events[i].context, bo);
        resolve_native(m->events[i].fields, bo);
    }
    /* A trace without stream blocks has one implicit stream class 0. */
    if (m->nstreams == 0) {
        m->streams = calloc(1, sizeof *m->streams);
        if (!m->streams) {
            perr(p, "out of memory");
            return;
        }
        m->nstreams = 1;
    }
    resolver r;
    memset(&r, 0, sizeof r);
    r.p = p;
    if (!resolve_root(&r, SC_PKT_HEADER, m->packet_header, "trace packet.header")) return;
    for (size_t s = 0; s < m->nstreams; s++) {
        ctf_stream_class *sc = &m->streams[s];
        char where[96];
        snprintf(where, sizeof where, "stream %llu", (unsigned long long)sc->id);
        if (!resolve_root(&r, SC_PKT_CONTEXT, sc->packet_context, where)) return;
        if (!resolve_root(&r, SC_EV_HEADER, sc->event_header, where)) return;
        if (!resolve_root(&r, SC_STREAM_EV_CTX, sc->event_context, where)) return;
        /* events of this stream */
        size_t cnt = 0;
        for (size_t e = 0; e < m->nevents; e++)
            if (m->events[e].stream_id == sc->id) cnt++;
        sc->by_id = calloc(cnt ? cnt : 1, sizeof *sc->by_id);
        if (!sc->by_id) {
            perr(p, "out of memory");
            return;
        }
        for (size_t e = 0; e < m->nevents; e++) {
            ctf_event_class *ec = &m->events[e];
            if (ec->stream_id != sc->id) continue;
            sc->by_id[sc->nby_id++] = ec;
            char ew[400];
            snprintf(ew, sizeof ew, "event '%s'", ec->name);
            if (!resolve_root(&r, SC_EV_CTX, ec->context, ew)) return;
            if (!resolve_root(&r, SC_EV_FIELDS, ec->fields, ew)) return;
            r.roots[SC_EV_CTX] = r.roots[SC_EV_FIELDS] = NULL;
        }
        qsort(sc->by_id, sc->nby_id, sizeof *sc->by_id, compare_ev);
        for (size_t e = 1; e < sc->nby_id; e++)
            if (sc->by_id[e]->id == sc->by_id[e - 1]->id) {
                perr(p, "stream %llu: two events with id %llu ('%s' and '%s')",
                     (unsigned long long)sc->id, (unsigned long long)sc->by_id[e]->id,
                     sc->by_id[e - 1]->name, sc->by_id[e]->name);
                return;
            }
    }
    for (size_t e = 0; e < m->nevents; e++) {
        int found = 0;
        for (size_t s = 0; s < m->nstreams; s++)
            if (m->streams[s].id == m->events[e].stream_id) found = 1;
        if (!found) {
            perr(p, "event '%s' names unknown stream %llu", m->events[e].name,
                 (unsigned long long)m->events[e].stream_id);
            return;
        }
    }
    /* layout facts, now that saved slots are known */
    if (m->packet_header) ctf_type_finish(m->packet_header);
    for (size_t s = 0; s < m->nstreams; s++) {
        ctf_stream_class *sc = &m->streams[s];
        if (sc->packet_context) ctf_type_finish(sc->packet_context);
        if (sc->event_header) ctf_type_finish(sc->event_header);
        if (sc->event_context) ctf_type_finish(sc->event_context);
    }
    for (size_t e = 0; e < m->nevents; e++) {
        if (m->events[e].context) ctf_type_finish(m->events[e].context);
        if (m->events[e].fields) ctf_type_finish(m->events[e].fields);
    }
}

ts_status ctf_meta_parse(const char *text, size_t len, const char *what, ctf_meta **out,
                         ts_error *err)
{
    parser p;
    memset(&p, 0, sizeof p);
    ts_error local;
    p.err = err ? err : &local;
    p.what = what ? what : "metadata";
    p.m = calloc(1, sizeof *p.m);
    if (!p.m) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    p.m->major = 1;
    p.m->minor = 8;
    tsdl_lex_init(&p.lx, text, len);
    parse_top(&p);
    if (!p.failed) finish_meta(&p);
    tsdl_lex_free(&p.lx);
    for (size_t i = 0; i < p.naliases; i++) {
        free(p.aliases[i].name);
        ctf_type_free(p.aliases[i].type);
    }
    free(p.aliases);
    if (p.failed) {
        ctf_meta_free(p.m);
        *out = NULL;
        return p.err->code ? p.err->code : TS_ERR_FORMAT;
    }
    *out = p.m;
    return TS_OK;
}

void ctf_meta_free(ctf_meta *m)
{
    if (!m) return;
    free(m->uuid);
    ctf_type_free(m->packet_header);
    for (size_t i = 0; i < m->nenv; i++) {
        free(m->env[i].key);
        free(m->env[i].str);
    }
    free(m->env);
    for (size_t i = 0; i < m->nclocks; i++) {
        free(m->clocks[i].name);
        free(m->clocks[i].uuid);
        free(m->clocks[i].description);
    }
    free(m->clocks);
    for (size_t i = 0; i < m->nstreams; i++) {
        ctf_type_free(m->streams[i].packet_context);
        ctf_type_free(m->streams[i].event_header);
        ctf_type_free(m->streams[i].event_context);
        free(m->streams[i].by_id);
    }
    free(m->streams);
    for (size_t i = 0; i < m->nevents; i++) {
        free(m->events[i].name);
        ctf_type_free(m->events[i].context);
        ctf_type_free(m->events[i].fields);
    }
    free(m->events);
    free(m);
}

const ctf_stream_class *ctf_meta_stream(const ctf_meta *m, uint64_t id)
{
    for (size_t i = 0; i < m->nstreams; i++)
        if (m->streams[i].id == id) return &m->streams[i];
    return NULL;
}

const ctf_event_class *ctf_meta_event(const ctf_stream_class *sc, uint64_t id)
{
    size_t lo = 0, hi = sc->nby_id;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (sc->by_id[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < sc->nby_id && sc->by_id[lo]->id == id ? sc->by_id[lo] : NULL;
}

const ctf_env_entry *ctf_meta_env(const ctf_meta *m, const char *key)
{
    for (size_t i = 0; i < m->nenv; i++)
        if (!strcmp(m->env[i].key, key)) return &m->env[i];
    return NULL;
}
