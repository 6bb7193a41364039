/* Rendering decoded events as JSON objects or babeltrace-like text. */
#include "trace/event_format.h"

#include "tracesync/timefmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct fmt_ctx {
    ts_strbuf *sb;
    int json;
    int first[72]; /* per nesting level: no element printed yet */
    int in_array[72];
    int depth;
    int variant_depth[72];
} fmt_ctx;

static void sep_and_name(fmt_ctx *c, const char *name)
{
    if (!c->first[c->depth]) sb_puts(c->sb, c->json ? "," : ", ");
    c->first[c->depth] = 0;
    if (name && !c->in_array[c->depth]) {
        if (c->json) {
            sb_put_json_str(c->sb, name, strlen(name));
            sb_putc(c->sb, ':');
        } else {
            sb_puts(c->sb, name);
            sb_puts(c->sb, " = ");
        }
    }
}

static void push(fmt_ctx *c, int array)
{
    if (c->depth < 70) c->depth++;
    c->first[c->depth] = 1;
    c->in_array[c->depth] = array;
}

static void v_begin_struct(void *ctx, const char *name)
{
    fmt_ctx *c = ctx;
    if (c->depth > 0 || name) sep_and_name(c, name);
    sb_puts(c->sb, c->json ? "{" : "{ ");
    push(c, 0);
}

static void v_end_struct(void *ctx)
{
    fmt_ctx *c = ctx;
    c->depth--;
    sb_puts(c->sb, c->json ? "}" : " }");
}

static void v_begin_array(void *ctx, const char *name, uint64_t len)
{
    fmt_ctx *c = ctx;
    (void)len;
    sep_and_name(c, name);
    sb_puts(c->sb, c->json ? "[" : "[ ");
    push(c, 1);
}

static void v_end_array(void *ctx)
{
    fmt_ctx *c = ctx;
    c->depth--;
    sb_puts(c->sb, c->json ? "]" : " ]");
}

static void v_begin_variant(void *ctx, const char *name, const char *option)
{
    fmt_ctx *c = ctx;
    sep_and_name(c, name);
    if (c->json) {
        sb_putc(c->sb, '{');
        sb_put_json_str(c->sb, option, strlen(option));
        sb_putc(c->sb, ':');
    } else {
        sb_printf(c->sb, "{ %s = ", option);
    }
    push(c, 1); /* the option's value is printed without a name */
}

static void v_end_variant(void *ctx)
{
    fmt_ctx *c = ctx;
    c->depth--;
    sb_puts(c->sb, c->json ? "}" : " }");
}

static void v_integer(void *ctx, const char *name, const ts_value *v, int base, const char *label)
{
    fmt_ctx *c = ctx;
    sep_and_name(c, name);
    if (!c->json && label) sb_printf(c->sb, "( \"%s\" : container = ", label);
    if (!c->json && base == 16)
        sb_printf(c->sb, "0x%llx", (unsigned long long)ts_value_u64(v));
    else if (!c->json && base == 8)
        sb_printf(c->sb, "0%llo", (unsigned long long)ts_value_u64(v));
    else if (v->type == TS_VAL_INT)
        sb_put_i64(c->sb, v->i);
    else
        sb_put_u64(c->sb, v->u);
    if (!c->json && label) sb_puts(c->sb, " )");
}

static void v_string(void *ctx, const char *name, const char *s, size_t len)
{
    fmt_ctx *c = ctx;
    sep_and_name(c, name);
    sb_put_json_str(c->sb, s, len);
}

static void v_floating(void *ctx, const char *name, double v)
{
    fmt_ctx *c = ctx;
    sep_and_name(c, name);
    if (isnan(v) || isinf(v))
        sb_puts(c->sb, c->json ? "null" : (isnan(v) ? "nan" : "inf"));
    else
        sb_printf(c->sb, "%.17g", v);
}

static const ts_field_visitor visitor = {
    v_begin_struct, v_end_struct, v_begin_array, v_end_array, v_begin_variant,
    v_end_variant,  v_integer,    v_string,      v_floating,
};

ts_status ts_event_format_json(const ts_traceset *set, const ts_event *ev, ts_strbuf *sb,
                               ts_error *err)
{
    const char *tn = ts_trace_name(ts_traceset_trace(set, ev->trace));
    sb_puts(sb, "{\"trace\":");
    sb_put_json_str(sb, tn, strlen(tn));
    sb_puts(sb, ",\"ts\":");
    sb_put_i64(sb, ev->ts);
    sb_puts(sb, ",\"name\":");
    sb_put_json_str(sb, ev->name, strlen(ev->name));
    sb_puts(sb, ",\"cpu\":");
    if (ev->cpu == UINT32_MAX)
        sb_puts(sb, "null");
    else
        sb_put_u64(sb, ev->cpu);
    fmt_ctx c;
    memset(&c, 0, sizeof c);
    c.sb = sb;
    c.json = 1;
    sb_puts(sb, ",\"fields\":");
    size_t before = sb->len;
    ts_status st = ts_event_visit(ev, TS_SCOPE_PAYLOAD, &visitor, &c, err);
    if (st == TS_ERR_NOTFOUND) {
        sb->len = before;
        sb_puts(sb, "{}");
    } else if (st) {
        return st;
    }
    memset(&c, 0, sizeof c);
    c.sb = sb;
    c.json = 1;
    before = sb->len;
    sb_puts(sb, ",\"context\":");
    st = ts_event_visit(ev, TS_SCOPE_EVENT_CONTEXT, &visitor, &c, err);
    if (st == TS_ERR_NOTFOUND) {
        sb->len = before;
        sb->data[before] = '\0';
    } else if (st) {
        return st;
    }
    sb_putc(sb, '}');
    return TS_OK;
}

ts_status ts_event_format_text(const ts_traceset *set, const ts_event *ev, ts_strbuf *sb,
                               ts_error *err)
{
    char tb[48];
    const char *tn = ts_trace_name(ts_traceset_trace(set, ev->trace));
    sb_printf(sb, "[%s] %s %s: { cpu_id = ", ts_format_time(ev->ts, tb, sizeof tb), tn, ev->name);
    if (ev->cpu == UINT32_MAX)
        sb_puts(sb, "?");
    else
        sb_put_u64(sb, ev->cpu);
    sb_puts(sb, " }");
    fmt_ctx c;
    memset(&c, 0, sizeof c);
    c.sb = sb;
    size_t before = sb->len;
    sb_puts(sb, ", ");
    ts_status st = ts_event_visit(ev, TS_SCOPE_EVENT_CONTEXT, &visitor, &c, err);
    if (st == TS_ERR_NOTFOUND) {
        sb->len = before;
        sb->data[before] = '\0';
    } else if (st) {
        return st;
    }
    memset(&c, 0, sizeof c);
    c.sb = sb;
    sb_puts(sb, ", ");
    st = ts_event_visit(ev, TS_SCOPE_PAYLOAD, &visitor, &c, err);
    if (st == TS_ERR_NOTFOUND)
        sb_puts(sb, "{ }");
    else if (st)
        return st;
    return TS_OK;
}
