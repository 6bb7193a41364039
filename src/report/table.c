/* Aligned text tables (see table.h). */
#include "report/table.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ts_table {
    size_t ncols;
    char **titles;
    bool *right;
    char **cells; /* row-major */
    size_t ncells, cap;
    size_t *rules; /* row indexes with a rule above */
    size_t nrules, rcap;
    bool failed;
};

ts_table *ts_table_new(size_t ncols)
{
    ts_table *t = calloc(1, sizeof *t);
    if (!t || !ncols) {
        free(t);
        return NULL;
    }
    t->ncols = ncols;
    t->titles = calloc(ncols, sizeof *t->titles);
    t->right = calloc(ncols, sizeof *t->right);
    if (!t->titles || !t->right) {
        ts_table_free(t);
        return NULL;
    }
    return t;
}

void ts_table_free(ts_table *t)
{
    if (!t) return;
    for (size_t i = 0; t->titles && i < t->ncols; i++) free(t->titles[i]);
    for (size_t i = 0; i < t->ncells; i++) free(t->cells[i]);
    free(t->titles);
    free(t->right);
    free(t->cells);
    free(t->rules);
    free(t);
}

void ts_table_header(ts_table *t, size_t col, const char *title, bool right)
{
    if (col >= t->ncols) return;
    free(t->titles[col]);
    t->titles[col] = strdup(title ? title : "");
    if (!t->titles[col]) t->failed = true;
    t->right[col] = right;
}

void ts_table_add(ts_table *t, const char *cell)
{
    if (t->ncells == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        char **c = realloc(t->cells, cap * sizeof *c);
        if (!c) {
            t->failed = true;
            return;
        }
        t->cells = c;
        t->cap = cap;
    }
    char *s = strdup(cell ? cell : "");
    if (!s) {
        t->failed = true;
        return;
    }
    t->cells[t->ncells++] = s;
}

void ts_table_addf(ts_table *t, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ts_table_add(t, buf);
}

void ts_table_rule(ts_table *t)
{
    if (t->nrules == t->rcap) {
        size_t cap = t->rcap ? t->rcap * 2 : 4;
        size_t *r = realloc(t->rules, cap * sizeof *r);
        if (!r) {
            t->failed = true;
            return;
        }
        t->rules = r;
        t->rcap = cap;
    }
    t->rules[t->nrules++] = (t->ncells + t->ncols - 1) / t->ncols;
}

size_t ts_table_rows(const ts_table *t)
{
    return (t->ncells + t->ncols - 1) / t->ncols;
}

bool ts_table_failed(const ts_table *t)
{
    return t->failed;
}

size_t ts_utf8_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) n++;
    return n;
}

static void put_line(const ts_table *t, const size_t *w, char *const *cells, ts_strbuf *out)
{
    ts_strbuf line;
    sb_init(&line);
    for (size_t c = 0; c < t->ncols; c++) {
        const char *s = cells[c] ? cells[c] : "";
        size_t pad = w[c] - ts_utf8_width(s);
        if (c) sb_puts(&line, "  ");
        if (t->right[c])
            for (size_t i = 0; i < pad; i++) sb_putc(&line, ' ');
        sb_puts(&line, s);
        if (!t->right[c])
            for (size_t i = 0; i < pad; i++) sb_putc(&line, ' ');
    }
    while (line.len && line.data[line.len - 1] == ' ') line.data[--line.len] = 0;
    if (line.len) sb_append(out, line.data, line.len);
    sb_putc(out, '\n');
    if (line.oom) out->oom = 1;
    sb_free(&line);
}

static void put_rule(const ts_table *t, const size_t *w, ts_strbuf *out)
{
    size_t total = 0;
    for (size_t c = 0; c < t->ncols; c++) total += w[c] + (c ? 2 : 0);
    for (size_t i = 0; i < total; i++) sb_putc(out, '-');
    sb_putc(out, '\n');
}

void ts_table_render(const ts_table *t, ts_strbuf *out)
{
    size_t *w = calloc(t->ncols, sizeof *w);
    char **row = calloc(t->ncols, sizeof *row);
    if (!w || !row) {
        out->oom = 1;
        free(w);
        free(row);
        return;
    }
    for (size_t c = 0; c < t->ncols; c++) w[c] = t->titles[c] ? ts_utf8_width(t->titles[c]) : 0;
    for (size_t i = 0; i < t->ncells; i++) {
        size_t cw = ts_utf8_width(t->cells[i]);
        if (cw > w[i % t->ncols]) w[i % t->ncols] = cw;
    }
    put_line(t, w, t->titles, out);
    put_rule(t, w, out);
    size_t nrows = ts_table_rows(t), ri = 0;
    for (size_t r = 0; r < nrows; r++) {
        while (ri < t->nrules && t->rules[ri] == r) {
            if (r > 0) put_rule(t, w, out);
            ri++;
        }
        for (size_t c = 0; c < t->ncols; c++) {
            size_t i = r * t->ncols + c;
            row[c] = i < t->ncells ? t->cells[i] : NULL;
        }
        put_line(t, w, row, out);
    }
    free(w);
    free(row);
}
