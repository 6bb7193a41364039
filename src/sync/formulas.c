/* Clock formulas per trace: exact decimal linear (or piecewise linear) maps,
 * FORMULAS.json reading and writing, offsets, and installation as time maps. */
#include "tracesync/sync.h"

#include "sync/dec.h"
#include "sync/formulas.h"
#include "tracesync/timefmt.h"
#include "util/fileio.h"
#include "util/json.h"
#include "util/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fseg {
    int64_t start, end;
    ts_linmap lm; /* holds the exact slope and offset */
    int64_t eb;   /* the largest error bound over it, -1 unknown */
} fseg;

typedef struct fentry {
    char *name, *path, *host_id, *quality;
    ts_linmap lm;
    fseg *segs;
    size_t nseg;
    int64_t error_bound_ns; /* -1 unknown */
    char *refpath;          /* JSON array text of the path to the reference, or NULL */
} fentry;

struct ts_formulas {
    char *reference;
    fentry *e;
    size_t n, cap;
};

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

ts_formulas *ts_formulas_new(void)
{
    return calloc(1, sizeof(ts_formulas));
}

static void entry_free(fentry *e)
{
    free(e->name);
    free(e->path);
    free(e->host_id);
    free(e->quality);
    free(e->segs);
    free(e->refpath);
}

void ts_formulas_free(ts_formulas *f)
{
    if (!f) return;
    for (size_t i = 0; i < f->n; i++) entry_free(&f->e[i]);
    free(f->e);
    free(f->reference);
    free(f);
}

int ts_formulas_find(const ts_formulas *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (!strcmp(f->e[i].name, name)) return (int)i;
    return -1;
}

size_t ts_formulas_count(const ts_formulas *f)
{
    return f->n;
}

const char *ts_formulas_reference(const ts_formulas *f)
{
    return f->reference;
}

/* the entry of `name`, created as the identity if absent */
static fentry *get_entry(ts_formulas *f, const char *name, ts_error *err)
{
    int i = ts_formulas_find(f, name);
    if (i >= 0) return &f->e[i];
    if (f->n == f->cap) {
        size_t nc = f->cap ? f->cap * 2 : 8;
        fentry *ne = realloc(f->e, nc * sizeof *ne);
        if (!ne) {
            ts_error_set(err, TS_ERR_NOMEM, "out of memory");
            return NULL;
        }
        f->e = ne;
        f->cap = nc;
    }
    fentry *e = &f->e[f->n];
    memset(e, 0, sizeof *e);
    e->name = strdup(name);
    e->error_bound_ns = -1;
    if (!e->name) {
        ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    linmap_init(&e->lm, dec_i64(1), dec_i64(0));
    f->n++;
    return e;
}

static ts_status set_str(char **dst, const char *v, ts_error *err)
{
    if (!v) return TS_OK;
    char *c = strdup(v);
    if (!c) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    free(*dst);
    *dst = c;
    return TS_OK;
}

ts_status ts_formulas_set_reference(ts_formulas *f, const char *name, ts_error *err)
{
    char *c = NULL;
    if (name && !(c = strdup(name))) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    free(f->reference);
    f->reference = c;
    return TS_OK;
}

ts_status ts_formulas_set_info(ts_formulas *f, const char *name, const char *path,
                               const char *host_id, const char *quality, ts_error *err)
{
    fentry *e = get_entry(f, name, err);
    if (!e) return err ? err->code : TS_ERR_NOMEM;
    ts_status st;
    if ((st = set_str(&e->path, path, err)) || (st = set_str(&e->host_id, host_id, err)) ||
        (st = set_str(&e->quality, quality, err)))
        return st;
    return TS_OK;
}

/* Install an exact linear map, checking slope > 0 and the ranges. */
static ts_status make_map(ts_linmap *lm, ts_dec slope, ts_dec offset, const char *what,
                          ts_error *err)
{
    if (dec_bad(slope) || dec_bad(offset))
        return ts_error_set(err, TS_ERR_ARG, "%s: slope or offset out of range", what);
    if (dec_sign(slope) <= 0) {
        char b[TS_DEC_STR_MAX];
        return ts_error_set(err, TS_ERR_ARG,
                            "%s: slope %s is not positive (a clock map must increase)", what,
                            dec_format(slope, b, sizeof b));
    }
    if (!linmap_init(lm, slope, offset))
        return ts_error_set(err, TS_ERR_ARG, "%s: slope or offset too large for ns times", what);
    return TS_OK;
}

ts_status ts_formulas_set_dec(ts_formulas *f, const char *name, ts_dec slope, ts_dec offset,
                              ts_error *err)
{
    ts_linmap lm;
    ts_status st = make_map(&lm, slope, offset, name, err);
    if (st) return st;
    fentry *e = get_entry(f, name, err);
    if (!e) return err ? err->code : TS_ERR_NOMEM;
    e->lm = lm;
    free(e->segs);
    e->segs = NULL;
    e->nseg = 0;
    return TS_OK;
}

ts_status ts_formulas_set_linear(ts_formulas *f, const char *name, const char *slope,
                                 const char *offset_ns, ts_error *err)
{
    ts_dec s, o;
    if (!dec_parse(slope, &s))
        return ts_error_set(err, TS_ERR_ARG, "%s: slope '%s' is not a decimal number", name, slope);
    if (!dec_parse(offset_ns, &o))
        return ts_error_set(err, TS_ERR_ARG, "%s: offset_ns '%s' is not a decimal number", name,
                            offset_ns);
    return ts_formulas_set_dec(f, name, s, o, err);
}

void ts_formulas_set_extra(ts_formulas *f, const char *name, int64_t error_bound_ns,
                           const char *refpath_json)
{
    int i = ts_formulas_find(f, name);
    if (i < 0) return;
    f->e[i].error_bound_ns = error_bound_ns;
    free(f->e[i].refpath);
    f->e[i].refpath = xstrdup(refpath_json);
}

static ts_status check_segments(const char *name, const fseg *s, size_t n, ts_error *err)
{
    for (size_t j = 0; j < n; j++) {
        if (s[j].start >= s[j].end)
            return ts_error_set(err, TS_ERR_ARG, "%s: segment %zu: start_ns %lld >= end_ns %lld",
                                name, j, (long long)s[j].start, (long long)s[j].end);
        if (j > 0 && s[j].start < s[j - 1].end)
            return ts_error_set(err, TS_ERR_ARG,
                                "%s: segment %zu starts at %lld, before the end of segment %zu "
                                "(%lld): segments must be sorted and must not overlap",
                                name, j, (long long)s[j].start, j - 1, (long long)s[j - 1].end);
    }
    return TS_OK;
}

ts_status ts_formulas_set_segments(ts_formulas *f, const char *name, const ts_formula_segment *segs,
                                   size_t n, ts_error *err)
{
    fseg *ns = n ? calloc(n, sizeof *ns) : NULL;
    if (n && !ns) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    ts_status st = TS_OK;
    for (size_t j = 0; j < n && !st; j++) {
        ts_dec s, o;
        ns[j].start = segs[j].start_ns;
        ns[j].end = segs[j].end_ns;
        ns[j].eb =
            segs[j].has_error_bound && segs[j].error_bound_ns >= 0 ? segs[j].error_bound_ns : -1;
        if (!dec_parse(segs[j].slope, &s) || !dec_parse(segs[j].offset_ns, &o))
            st = ts_error_set(err, TS_ERR_ARG,
                              "%s: segment %zu: slope or offset_ns is not a "
                              "decimal number",
                              name, j);
        else
            st = make_map(&ns[j].lm, s, o, name, err);
    }
    if (!st) st = check_segments(name, ns, n, err);
    fentry *e = st ? NULL : get_entry(f, name, err);
    if (st || !e) {
        free(ns);
        return st ? st : TS_ERR_NOMEM;
    }
    free(e->segs);
    e->segs = ns;
    e->nseg = n;
    return TS_OK;
}

/* The segment for time t (e->nseg > 0): the last one with start <= t (the first one
 * before every start). */
static const fseg *entry_seg_for(const fentry *e, int64_t t)
{
    size_t lo = 0, hi = e->nseg;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (e->segs[mid].start <= t)
            lo = mid;
        else
            hi = mid;
    }
    return &e->segs[lo];
}

static const ts_linmap *entry_map_for(const fentry *e, int64_t t)
{
    return e->nseg ? &entry_seg_for(e, t)->lm : &e->lm;
}

ts_status ts_formulas_map(const ts_formulas *f, const char *trace_name, int64_t t, int64_t *out,
                          ts_error *err)
{
    int i = ts_formulas_find(f, trace_name);
    if (i < 0) {
        *out = t;
        return TS_OK;
    }
    if (!linmap_eval(entry_map_for(&f->e[i], t), t, out))
        return ts_error_set(err, TS_ERR_ARG, "%s: time %lld maps outside the int64 ns range",
                            trace_name, (long long)t);
    return TS_OK;
}

bool ts_formulas_entry_map(const ts_formulas *f, size_t i, int64_t t, int64_t *out)
{
    return linmap_eval(entry_map_for(&f->e[i], t), t, out);
}

ts_status ts_formulas_add_offset(ts_formulas *f, const char *trace_name, int64_t offset_ns,
                                 ts_error *err)
{
    fentry *e = get_entry(f, trace_name, err);
    if (!e) return err ? err->code : TS_ERR_NOMEM;
    ts_dec d = dec_i64(offset_ns);
    ts_linmap lm;
    ts_status st = make_map(&lm, e->lm.slope, dec_add(e->lm.offset, d), trace_name, err);
    if (st) return st;
    for (size_t j = 0; j < e->nseg; j++) {
        ts_linmap sl;
        if ((st = make_map(&sl, e->segs[j].lm.slope, dec_add(e->segs[j].lm.offset, d), trace_name,
                           err)))
            return st;
    }
    e->lm = lm;
    for (size_t j = 0; j < e->nseg; j++)
        make_map(&e->segs[j].lm, e->segs[j].lm.slope, dec_add(e->segs[j].lm.offset, d), trace_name,
                 err);
    return TS_OK;
}

ts_status ts_formulas_add_offset_arg(ts_formulas *f, const ts_traceset *set, const char *arg,
                                     ts_error *err)
{
    const char *eq = strrchr(arg, '=');
    if (!eq || eq == arg)
        return ts_error_set(err, TS_ERR_ARG, "offset '%s': expected NAME=DURATION", arg);
    char *name = strndup(arg, (size_t)(eq - arg));
    if (!name) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    int64_t ns;
    ts_status st = ts_parse_duration(eq + 1, &ns, err);
    if (st) {
        ts_error_prefix(err, "offset '%s'", arg);
    } else if (ts_traceset_find(set, name) < 0) {
        ts_strbuf sb;
        sb_init(&sb);
        for (size_t t = 0; t < ts_traceset_count(set); t++)
            sb_printf(&sb, "%s%s", t ? ", " : "", ts_trace_name(ts_traceset_trace(set, t)));
        st = ts_error_set(err, TS_ERR_NOTFOUND,
                          "offset '%s': no trace named '%s' (the traces are: %s)", arg, name,
                          sb.data ? sb.data : "none");
        sb_free(&sb);
    } else {
        st = ts_formulas_add_offset(f, name, ns, err);
    }
    free(name);
    return st;
}

void ts_formulas_get(const ts_formulas *f, size_t i, ts_formula_info *out)
{
    const fentry *e = &f->e[i];
    memset(out, 0, sizeof *out);
    out->name = e->name;
    out->path = e->path ? e->path : "";
    out->host_id = e->host_id ? e->host_id : "";
    out->quality = e->quality ? e->quality : "";
    dec_format(e->lm.slope, out->slope, sizeof out->slope);
    dec_format(e->lm.offset, out->offset_ns, sizeof out->offset_ns);
    out->nsegments = e->nseg;
    out->error_bound_ns = e->error_bound_ns;
}

int64_t ts_formulas_segment_error_bound(const ts_formulas *f, size_t i, size_t j)
{
    return f->e[i].segs[j].eb;
}

void ts_formulas_get_segment(const ts_formulas *f, size_t i, size_t j, int64_t *start_ns,
                             int64_t *end_ns, char *slope, char *offset_ns)
{
    const fseg *s = &f->e[i].segs[j];
    *start_ns = s->start;
    *end_ns = s->end;
    if (slope) dec_format(s->lm.slope, slope, TS_DEC_TEXT_MAX);
    if (offset_ns) dec_format(s->lm.offset, offset_ns, TS_DEC_TEXT_MAX);
}

/* ---- installation as time maps ------------------------------------------ */

static int64_t time_map_cb(void *ctx, int64_t ns)
{
    const fentry *e = ctx;
    int64_t out;
    if (linmap_eval(entry_map_for(e, ns), ns, &out)) return out;
    /* out of range: saturate (keeps the map non-decreasing) */
    return dec_sign(dec_add(dec_mul(entry_map_for(e, ns)->slope, dec_i64(ns), 0),
                            entry_map_for(e, ns)->offset)) < 0
               ? INT64_MIN
               : INT64_MAX;
}

ts_status ts_formulas_apply(const ts_formulas *f, ts_traceset *set, ts_error *err)
{
    for (size_t i = 0; i < f->n; i++)
        if (ts_traceset_find(set, f->e[i].name) < 0)
            return ts_error_set(err, TS_ERR_NOTFOUND,
                                "formulas name trace '%s', which is not in the trace set",
                                f->e[i].name);
    for (size_t i = 0; i < f->n; i++)
        ts_traceset_set_time_map(set, (size_t)ts_traceset_find(set, f->e[i].name), time_map_cb,
                                 (void *)&f->e[i]);
    return TS_OK;
}

int64_t ts_formulas_error_at(const ts_formulas *f, int i, int64_t t)
{
    if (i < 0 || (size_t)i >= f->n) return -1;
    const fentry *e = &f->e[i];
    if (e->nseg && entry_seg_for(e, t)->eb >= 0) return entry_seg_for(e, t)->eb;
    return e->error_bound_ns >= 0 ? e->error_bound_ns : -1;
}

ts_status ts_formulas_errors_init(ts_formulas_errors *e, const ts_formulas *f,
                                  const ts_traceset *set, ts_error *err)
{
    e->f = f;
    e->n = ts_traceset_count(set);
    e->idx = malloc((e->n ? e->n : 1) * sizeof *e->idx);
    if (!e->idx) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < e->n; i++)
        e->idx[i] = ts_formulas_find(f, ts_trace_name(ts_traceset_trace(set, i)));
    return TS_OK;
}

void ts_formulas_errors_free(ts_formulas_errors *e)
{
    free(e->idx);
    e->idx = NULL;
    e->n = 0;
}

int64_t ts_formulas_errors_at(void *ctx, uint32_t trace, int64_t raw_ns)
{
    const ts_formulas_errors *e = ctx;
    return trace < e->n ? ts_formulas_error_at(e->f, e->idx[trace], raw_ns) : -1;
}

/* ---- FORMULAS.json -------------------------------------------------------- */

char *ts_formulas_to_json(const ts_formulas *f)
{
    ts_strbuf sb;
    sb_init(&sb);
    char b[TS_DEC_STR_MAX];
    sb_puts(&sb, "{\n  \"reference\": ");
    if (f->reference)
        sb_put_json_str(&sb, f->reference, strlen(f->reference));
    else
        sb_puts(&sb, "null");
    sb_puts(&sb, ",\n  \"traces\": [");
    for (size_t i = 0; i < f->n; i++) {
        const fentry *e = &f->e[i];
        sb_puts(&sb, i ? ",\n    {" : "\n    {");
        sb_puts(&sb, "\"name\": ");
        sb_put_json_str(&sb, e->name, strlen(e->name));
        if (e->path) {
            sb_puts(&sb, ", \"path\": ");
            sb_put_json_str(&sb, e->path, strlen(e->path));
        }
        if (e->host_id) {
            sb_puts(&sb, ", \"host_id\": ");
            sb_put_json_str(&sb, e->host_id, strlen(e->host_id));
        }
        if (e->quality) {
            sb_puts(&sb, ", \"quality\": ");
            sb_put_json_str(&sb, e->quality, strlen(e->quality));
        }
        sb_printf(&sb, ",\n     \"slope\": \"%s\"", dec_format(e->lm.slope, b, sizeof b));
        sb_printf(&sb, ", \"offset_ns\": \"%s\"", dec_format(e->lm.offset, b, sizeof b));
        if (e->error_bound_ns >= 0)
            sb_printf(&sb, ", \"error_bound_ns\": %lld", (long long)e->error_bound_ns);
        if (e->refpath) sb_printf(&sb, ",\n     \"path_to_reference\": %s", e->refpath);
        if (e->nseg) {
            sb_puts(&sb, ",\n     \"segments\": [");
            for (size_t j = 0; j < e->nseg; j++) {
                const fseg *s = &e->segs[j];
                sb_printf(&sb, "%s\n       {\"start_ns\": %lld, \"end_ns\": %lld", j ? "," : "",
                          (long long)s->start, (long long)s->end);
                sb_printf(&sb, ", \"slope\": \"%s\"", dec_format(s->lm.slope, b, sizeof b));
                sb_printf(&sb, ", \"offset_ns\": \"%s\"", dec_format(s->lm.offset, b, sizeof b));
                if (s->eb >= 0) sb_printf(&sb, ", \"error_bound_ns\": %lld", (long long)s->eb);
                sb_puts(&sb, "}");
            }
            sb_puts(&sb, "]");
        }
        sb_puts(&sb, "}");
    }
    sb_puts(&sb, f->n ? "\n  ]\n}\n" : "]\n}\n");
    if (sb.oom) {
        sb_free(&sb);
        return NULL;
    }
    return sb_take(&sb);
}

ts_status ts_formulas_write(const ts_formulas *f, const char *path, ts_error *err)
{
    char *text = ts_formulas_to_json(f);
    if (!text) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    ts_status st = ts_write_file(path, text, strlen(text), err);
    free(text);
    return st;
}

static ts_status jerr(ts_error *err, const char *source, const ts_json *v, const char *fmt,
                      const char *a, const char *b)
{
    char what[2 * TS_ERROR_MSG_MAX + 256];
    snprintf(what, sizeof what, fmt, a, b);
    return ts_error_set(err, TS_ERR_FORMAT, "%s: line %d, column %d (byte %zu): %s", source,
                        v->line, v->col, v->offset, what);
}

/* a decimal given as a string or a number */
static ts_status read_dec(const ts_json *obj, const char *key, const char *def, ts_dec *out,
                          const char *source, const char *tname, ts_error *err)
{
    const ts_json *v = ts_json_get(obj, key);
    const char *text = def;
    if (v) {
        text = v->type == TS_JSON_STRING ? v->str : ts_json_number_text(v);
        if (!text)
            return jerr(err, source, v, "trace '%s': \"%s\" must be a decimal string or a number",
                        tname, key);
    }
    if (!dec_parse(text, out))
        return jerr(err, source, v ? v : obj,
                    "trace '%s': \"%s\" is not a decimal number (digits, an optional '.', an "
                    "optional exponent)",
                    tname, key);
    return TS_OK;
}

static ts_status read_i64(const ts_json *obj, const char *key, int64_t *out, const char *source,
                          const char *tname, ts_error *err)
{
    const ts_json *v = ts_json_get(obj, key);
    if (!v) return jerr(err, source, obj, "trace '%s': segment without \"%s\"", tname, key);
    ts_dec d;
    const char *text = v->type == TS_JSON_STRING ? v->str : ts_json_number_text(v);
    if (!text || !dec_parse(text, &d) || !dec_floor_i64(d, out) || dec_cmp(d, dec_i64(*out)) != 0)
        return jerr(err, source, v, "trace '%s': \"%s\" must be an integer number of ns", tname,
                    key);
    return TS_OK;
}

static ts_status read_trace(ts_formulas *f, const ts_json *t, const char *source, ts_error *err)
{
    if (t->type != TS_JSON_OBJECT)
        return jerr(err, source, t, "a trace must be an object, found %s%s",
                    ts_json_type_name(t->type), "");
    const char *name = ts_json_str(ts_json_get(t, "name"));
    if (!name || !*name)
        return jerr(err, source, t, "a trace needs a \"name\" (a non-empty string)%s%s", "", "");
    if (ts_formulas_find(f, name) >= 0)
        return jerr(err, source, t, "trace '%s' appears twice%s", name, "");
    const char *keys[] = {"path", "host_id", "quality"};
    for (size_t k = 0; k < 3; k++) {
        const ts_json *v = ts_json_get(t, keys[k]);
        if (v && v->type != TS_JSON_STRING && v->type != TS_JSON_NULL)
            return jerr(err, source, v, "trace '%s': \"%s\" must be a string", name, keys[k]);
    }
    ts_dec slope, offset;
    ts_status st;
    if ((st = read_dec(t, "slope", "1", &slope, source, name, err)) ||
        (st = read_dec(t, "offset_ns", "0", &offset, source, name, err)))
        return st;
    const ts_json *off = ts_json_get(t, "offset");
    if (off) {
        int64_t ns;
        ts_error e2;
        if (off->type != TS_JSON_STRING)
            return jerr(err, source, off,
                        "trace '%s': \"offset\" must be a duration string such "
                        "as \"1.5ms\"%s",
                        name, "");
        if (ts_parse_duration(off->str, &ns, &e2))
            return jerr(err, source, off, "trace '%s': \"offset\": %s", name, e2.msg);
        offset = dec_add(offset, dec_i64(ns));
    }
    char what[300];
    snprintf(what, sizeof what, "%s: trace '%s'", source, name);
    ts_linmap lm;
    if ((st = make_map(&lm, slope, offset, what, err))) return st;
    const ts_json *segs = ts_json_get(t, "segments");
    fseg *ss = NULL;
    size_t nseg = 0;
    if (segs && segs->type != TS_JSON_NULL) {
        if (segs->type != TS_JSON_ARRAY)
            return jerr(err, source, segs, "trace '%s': \"segments\" must be an array%s", name, "");
        ss = segs->n ? calloc(segs->n, sizeof *ss) : NULL;
        if (segs->n && !ss) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        for (size_t j = 0; j < segs->n && !st; j++) {
            const ts_json *sj = &segs->items[j];
            ts_dec s, o;
            if (sj->type != TS_JSON_OBJECT)
                st = jerr(err, source, sj, "trace '%s': a segment must be an object%s", name, "");
            else if (!(st = read_i64(sj, "start_ns", &ss[j].start, source, name, err)) &&
                     !(st = read_i64(sj, "end_ns", &ss[j].end, source, name, err)) &&
                     !(st = read_dec(sj, "slope", "1", &s, source, name, err)) &&
                     !(st = read_dec(sj, "offset_ns", "0", &o, source, name, err)))
                st = make_map(&ss[j].lm, s, o, what, err);
            int64_t seb;
            if (!st)
                ss[j].eb =
                    ts_json_int64(ts_json_get(sj, "error_bound_ns"), &seb) && seb >= 0 ? seb : -1;
        }
        nseg = segs->n;
        if (!st) st = check_segments(what, ss, nseg, err);
        if (st) {
            free(ss);
            return st;
        }
    }
    fentry *e = get_entry(f, name, err);
    if (!e) {
        free(ss);
        return err ? err->code : TS_ERR_NOMEM;
    }
    e->lm = lm;
    e->segs = ss;
    e->nseg = nseg;
    int64_t eb;
    if (ts_json_int64(ts_json_get(t, "error_bound_ns"), &eb)) e->error_bound_ns = eb;
    const ts_json *rp = ts_json_get(t, "path_to_reference");
    if (rp && rp->type == TS_JSON_ARRAY) { /* kept as written (names only) */
        ts_strbuf sb;
        sb_init(&sb);
        sb_putc(&sb, '[');
        for (size_t j = 0; j < rp->n; j++)
            if (rp->items[j].type == TS_JSON_STRING) {
                if (sb.len > 1) sb_puts(&sb, ", ");
                sb_put_json_str(&sb, rp->items[j].str, rp->items[j].len);
            }
        sb_putc(&sb, ']');
        free(e->refpath);
        e->refpath = sb.oom ? NULL : sb_take(&sb);
        sb_free(&sb);
    }
    if ((st = set_str(&e->path, ts_json_str(ts_json_get(t, "path")), err)) ||
        (st = set_str(&e->host_id, ts_json_str(ts_json_get(t, "host_id")), err)) ||
        (st = set_str(&e->quality, ts_json_str(ts_json_get(t, "quality")), err)))
        return st;
    return TS_OK;
}

ts_status ts_formulas_parse(const char *text, size_t len, const char *source, ts_formulas **out,
                            ts_error *err)
{
    ts_json *doc;
    *out = NULL;
    ts_status st = ts_json_parse(text, len, source, &doc, err);
    if (st) return st;
    ts_formulas *f = ts_formulas_new();
    if (!f) {
        ts_json_free(doc);
        return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    }
    const ts_json *traces = ts_json_get(doc, "traces");
    const ts_json *ref = ts_json_get(doc, "reference");
    if (doc->type != TS_JSON_OBJECT)
        st = jerr(err, source, doc,
                  "expected an object {\"reference\": ..., \"traces\": [...]}%s%s", "", "");
    else if (!traces || traces->type != TS_JSON_ARRAY)
        st = jerr(err, source, traces ? traces : doc, "expected \"traces\": an array of traces%s%s",
                  "", "");
    else if (ref && ref->type != TS_JSON_STRING && ref->type != TS_JSON_NULL)
        st = jerr(err, source, ref, "\"reference\" must be a trace name (a string) or null%s%s", "",
                  "");
    if (!st && ref && ref->type == TS_JSON_STRING) st = ts_formulas_set_reference(f, ref->str, err);
    for (size_t i = 0; !st && i < traces->n; i++)
        st = read_trace(f, &traces->items[i], source, err);
    ts_json_free(doc);
    if (st) {
        ts_formulas_free(f);
        return st;
    }
    *out = f;
    return TS_OK;
}

ts_status ts_formulas_read(const char *path, ts_formulas **out, ts_error *err)
{
    uint8_t *data;
    size_t len;
    *out = NULL;
    ts_status st = ts_read_file(path, &data, &len, err);
    if (st) return st;
    st = ts_formulas_parse((const char *)data, len, path, out, err);
    free(data);
    return st;
}

/* ---- violations ------------------------------------------------------------ */

void ts_sync_violations_add(ts_sync_violations *v, const ts_match *m)
{
    int64_t lat = m->recv_ns - m->send_ns;
    v->matches++;
    if (lat >= 0) return;
    if (!v->negative || lat < v->worst_ns) {
        v->worst_ns = lat;
        v->worst_send_ns = m->send_ns;
        v->worst_src = m->src_trace;
        v->worst_dst = m->dst_trace;
    }
    v->negative++;
}
