/* SVG scatter plots with per-column min/max thinning (see scatter.h). */
#include "report/scatter.h"

#include "tracesync/timefmt.h"
#include "util/fileio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct bin {
    int64_t ymin, ymax;
    int64_t x_at_min, x_at_max;
    uint64_t n;
} bin;

typedef struct series {
    char *name;
    bin *bins;
    uint64_t npoints;
} series;

struct ts_scatter {
    size_t ncols;
    bool have;
    __int128 x0, w; /* column i covers [x0 + i w, x0 + (i + 1) w) */
    int64_t xmin, xmax, ymin, ymax;
    series *s;
    size_t ns, cap;
};

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
#define NPALETTE (sizeof palette / sizeof palette[0])

ts_status ts_scatter_new(size_t columns, ts_scatter **out, ts_error *err)
{
    *out = NULL;
    if (!columns) columns = TS_SCATTER_DEFAULT_COLUMNS;
    if (columns < 2 || columns % 2 || columns > ((size_t)1 << 20))
        return ts_error_set(err, TS_ERR_ARG, "scatter: %zu columns (expected an even number >= 2)",
                            columns);
    ts_scatter *sc = calloc(1, sizeof *sc);
    if (!sc) return ts_error_set(err, TS_ERR_NOMEM, "scatter: out of memory");
    sc->ncols = columns;
    sc->w = 1;
    *out = sc;
    return TS_OK;
}

void ts_scatter_free(ts_scatter *sc)
{
    if (!sc) return;
    for (size_t i = 0; i < sc->ns; i++) {
        free(sc->s[i].name);
        free(sc->s[i].bins);
    }
    free(sc->s);
    free(sc);
}

int ts_scatter_series(ts_scatter *sc, const char *name)
{
    if (sc->ns == sc->cap) {
        size_t cap = sc->cap ? sc->cap * 2 : 8;
        series *s = realloc(sc->s, cap * sizeof *s);
        if (!s) return -1;
        sc->s = s;
        sc->cap = cap;
    }
    series *s = &sc->s[sc->ns];
    s->name = strdup(name ? name : "");
    s->bins = calloc(sc->ncols, sizeof *s->bins);
    s->npoints = 0;
    if (!s->name || !s->bins) {
        free(s->name);
        free(s->bins);
        return -1;
    }
    return (int)sc->ns++;
}

size_t ts_scatter_series_count(const ts_scatter *sc)
{
    return sc->ns;
}

static void bin_merge(bin *into, const bin *b)
{
    if (!b->n) return;
    if (!into->n) {
        *into = *b;
        return;
    }
    if (b->ymin < into->ymin) {
        into->ymin = b->ymin;
        into->x_at_min = b->x_at_min;
    }
    if (b->ymax > into->ymax) {
        into->ymax = b->ymax;
        into->x_at_max = b->x_at_max;
    }
    into->n += b->n;
}

/* Double the column width, keeping x0: column i -> i / 2. */
static void grow_right(ts_scatter *sc)
{
    size_t half = sc->ncols / 2;
    for (size_t k = 0; k < sc->ns; k++) {
        bin *b = sc->s[k].bins;
        for (size_t i = 0; i < half; i++) {
            bin m = b[2 * i];
            bin_merge(&m, &b[2 * i + 1]);
            b[i] = m;
        }
        memset(b + half, 0, half * sizeof *b);
    }
    sc->w *= 2;
}

/* Double the column width, moving x0 left by the old range: column i -> (n + i) / 2. */
static void grow_left(ts_scatter *sc)
{
    size_t n = sc->ncols, half = n / 2;
    for (size_t k = 0; k < sc->ns; k++) {
        bin *b = sc->s[k].bins;
        for (size_t j = n; j-- > half;) {
            bin m = b[2 * j - n];
            bin_merge(&m, &b[2 * j - n + 1]);
            b[j] = m;
        }
        memset(b, 0, half * sizeof *b);
    }
    sc->x0 -= (__int128)n * sc->w;
    sc->w *= 2;
}

void ts_scatter_add(ts_scatter *sc, int series_index, int64_t x, int64_t y)
{
    if (series_index < 0 || (size_t)series_index >= sc->ns) return;
    if (!sc->have) {
        sc->have = true;
        sc->x0 = x;
        sc->xmin = sc->xmax = x;
        sc->ymin = sc->ymax = y;
    }
    while (x < sc->x0) grow_left(sc);
    while ((__int128)x >= sc->x0 + (__int128)sc->ncols * sc->w) grow_right(sc);
    if (x < sc->xmin) sc->xmin = x;
    if (x > sc->xmax) sc->xmax = x;
    if (y < sc->ymin) sc->ymin = y;
    if (y > sc->ymax) sc->ymax = y;
    series *s = &sc->s[series_index];
    bin p = {y, y, x, x, 1};
    bin_merge(&s->bins[(size_t)((x - sc->x0) / sc->w)], &p);
    s->npoints++;
}

uint64_t ts_scatter_points(const ts_scatter *sc, int series_index)
{
    return series_index >= 0 && (size_t)series_index < sc->ns ? sc->s[series_index].npoints : 0;
}

size_t ts_scatter_kept(const ts_scatter *sc, int series_index)
{
    if (series_index < 0 || (size_t)series_index >= sc->ns) return 0;
    size_t n = 0;
    const bin *b = sc->s[series_index].bins;
    for (size_t i = 0; i < sc->ncols; i++)
        if (b[i].n) n += (b[i].ymin == b[i].ymax && b[i].x_at_min == b[i].x_at_max) ? 1 : 2;
    return n;
}

size_t ts_scatter_columns(const ts_scatter *sc)
{
    return sc->ncols;
}

bool ts_scatter_column(const ts_scatter *sc, int series_index, size_t col, int64_t *x_at_min,
                       int64_t *ymin, int64_t *x_at_max, int64_t *ymax, uint64_t *n)
{
    if (series_index < 0 || (size_t)series_index >= sc->ns || col >= sc->ncols) return false;
    const bin *b = &sc->s[series_index].bins[col];
    *n = b->n;
    if (!b->n) return false;
    *x_at_min = b->x_at_min;
    *ymin = b->ymin;
    *x_at_max = b->x_at_max;
    *ymax = b->ymax;
    return true;
}

/* ---- axes -------------------------------------------------------------- */

void ts_xml_escape(ts_strbuf *sb, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            sb_puts(sb, "&amp;");
            break;
        case '<':
            sb_puts(sb, "&lt;");
            break;
        case '>':
            sb_puts(sb, "&gt;");
            break;
        case '"':
            sb_puts(sb, "&quot;");
            break;
        default:
            sb_putc(sb, *s);
        }
    }
}

int64_t ts_nice_step(int64_t span, int target)
{
    if (target < 1) target = 1;
    if (span < 1) span = 1;
    int64_t raw = span / target;
    if (raw < 1) return 1;
    int64_t p = 1;
    while (p <= raw / 10) p *= 10;
    /* raw in [p, 10p) */
    if (raw <= p) return p;
    if (raw <= 2 * p) return 2 * p;
    if (raw <= 5 * p) return 5 * p;
    return p <= INT64_MAX / 10 ? 10 * p : p;
}

int64_t ts_duration_unit(int64_t maxabs, const char **name)
{
    if (maxabs >= 1000000000) {
        *name = "s";
        return 1000000000;
    }
    if (maxabs >= 1000000) {
        *name = "ms";
        return 1000000;
    }
    if (maxabs >= 1000) {
        *name = "\xc2\xb5s";
        return 1000;
    }
    *name = "ns";
    return 1;
}

void ts_format_in_unit(int64_t v, int64_t unit, int64_t step, char *buf, size_t size)
{
    int dec = 0;
    for (int64_t u = unit; u > 1 && step % u != 0; u /= 10) dec++;
    bool neg = v < 0;
    uint64_t a = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    uint64_t ip = a / (uint64_t)unit, frac = a % (uint64_t)unit;
    if (dec == 0) {
        snprintf(buf, size, "%s%llu", neg && a ? "-" : "", (unsigned long long)ip);
        return;
    }
    /* frac has log10(unit) digits; keep the first dec */
    int digits = 0;
    for (int64_t u = unit; u > 1; u /= 10) digits++;
    for (int i = 0; i < digits - dec; i++) frac /= 10;
    char fd[24];
    snprintf(fd, sizeof fd, "%019llu", (unsigned long long)frac);
    snprintf(buf, size, "%s%llu.%s", neg && a ? "-" : "", (unsigned long long)ip,
             fd + 19 - (dec > 18 ? 18 : dec));
}

static int64_t iabs64(int64_t v)
{
    return v == INT64_MIN ? INT64_MAX : v < 0 ? -v : v;
}

/* ---- rendering --------------------------------------------------------- */

typedef struct frame {
    double left, top, pw, ph;
    int64_t xa, xb, ya, yb; /* data ranges (x relative to the origin) */
} frame;

static double px_x(const frame *f, int64_t x)
{
    return f->left + (double)(x - f->xa) / (double)(f->xb - f->xa) * f->pw;
}

static double px_y(const frame *f, int64_t y)
{
    return f->top + f->ph - (double)(y - f->ya) / (double)(f->yb - f->ya) * f->ph;
}

/* Extend [*a, *b] to step multiples around the data (never empty). */
static int64_t axis_range(int64_t lo, int64_t hi, int64_t *a, int64_t *b)
{
    if (hi <= lo) {
        int64_t pad = iabs64(lo) / 1000 + 1;
        lo -= pad;
        hi += pad;
    }
    int64_t step = ts_nice_step(hi - lo, 6);
    int64_t fa = lo / step * step;
    if (fa > lo) fa -= step;
    int64_t fb = hi / step * step;
    if (fb < hi) fb += step;
    *a = fa;
    *b = fb;
    return step;
}

static void axis_ticks(ts_strbuf *sb, const frame *f, bool xaxis, int64_t a, int64_t b,
                       int64_t step, int64_t unit)
{
    char lab[64];
    for (int64_t v = a; v <= b; v += step) {
        ts_format_in_unit(v, unit, step, lab, sizeof lab);
        if (xaxis) {
            double x = px_x(f, v);
            sb_printf(sb,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
                      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                      x, f->top, x, f->top + f->ph, x, f->top + f->ph + 16, lab);
        } else {
            double y = px_y(f, v);
            sb_printf(sb,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
                      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                      f->left, y, f->left + f->pw, y, f->left - 6, y + 4, lab);
        }
        if (v > INT64_MAX - step) break;
    }
}

static void put_marker(ts_strbuf *sb, const frame *f, int64_t x, int64_t y)
{
    sb_printf(sb, "M%.1f %.1fh0", px_x(f, x), px_y(f, y));
}

ts_status ts_scatter_render(const ts_scatter *sc, const ts_scatter_style *style, ts_strbuf *sb,
                            ts_error *err)
{
    ts_scatter_style def = {0};
    const ts_scatter_style *st = style ? style : &def;
    int width = st->width > 0 ? st->width : 960, height = st->height > 0 ? st->height : 540;
    size_t legend_chars = 0;
    for (size_t i = 0; i < sc->ns; i++) {
        size_t n = strlen(sc->s[i].name) + 12;
        if (n > legend_chars) legend_chars = n;
    }
    if (legend_chars > 48) legend_chars = 48;
    frame f;
    f.left = 80;
    f.top = 40;
    double legend_w = sc->ns ? 30 + 6.5 * (double)legend_chars : 0;
    f.pw = width - f.left - 20 - legend_w;
    f.ph = height - f.top - 56;
    if (f.pw < 100) f.pw = 100;
    if (f.ph < 100) f.ph = 100;

    int64_t origin = st->has_x_origin ? st->x_origin : (sc->have ? sc->xmin : 0);
    int64_t dx_lo = sc->have ? sc->xmin - origin : 0, dx_hi = sc->have ? sc->xmax - origin : 1;
    int64_t xstep = axis_range(dx_lo, dx_hi, &f.xa, &f.xb);
    int64_t ystep = axis_range(sc->have ? sc->ymin : 0, sc->have ? sc->ymax : 1, &f.ya, &f.yb);
    const char *xu_name, *yu_name;
    int64_t xu =
        ts_duration_unit(iabs64(f.xa) > iabs64(f.xb) ? iabs64(f.xa) : iabs64(f.xb), &xu_name);
    int64_t yu =
        ts_duration_unit(iabs64(f.ya) > iabs64(f.yb) ? iabs64(f.ya) : iabs64(f.yb), &yu_name);

    sb_printf(sb,
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 "
              "%d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
              "<style>.grid{stroke:#ddd;stroke-width:1}.axis{stroke:#333;stroke-width:1;fill:none}"
              ".zero{stroke:#555;stroke-width:1;stroke-dasharray:4 3}"
              ".pts{fill:none;stroke-width:4;stroke-linecap:round}</style>\n"
              "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
              width, height, width, height);
    if (st->title) {
        sb_printf(sb, "<text x=\"%.1f\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">",
                  f.left + f.pw / 2);
        ts_xml_escape(sb, st->title);
        sb_puts(sb, "</text>\n");
    }
    axis_ticks(sb, &f, true, f.xa, f.xb, xstep, xu);
    axis_ticks(sb, &f, false, f.ya, f.yb, ystep, yu);
    sb_printf(sb, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"axis\"/>\n",
              f.left, f.top, f.pw, f.ph);
    if (f.ya < 0 && f.yb > 0) {
        double y0 = px_y(&f, 0);
        sb_printf(sb, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"zero\"/>\n",
                  f.left, y0, f.left + f.pw, y0);
    }
    /* axis titles */
    char obuf[48];
    sb_printf(sb, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", f.left + f.pw / 2,
              f.top + f.ph + 40);
    ts_xml_escape(sb, st->x_label ? st->x_label : "x");
    sb_printf(sb, " (%s after %s s)</text>\n", xu_name, ts_format_time(origin, obuf, sizeof obuf));
    sb_printf(sb, "<text transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\">",
              f.top + f.ph / 2);
    ts_xml_escape(sb, st->y_label ? st->y_label : "y");
    sb_printf(sb, " (%s)</text>\n", yu_name);

    /* points, clipped to the frame */
    sb_printf(sb,
              "<clipPath id=\"plot\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
              "height=\"%.1f\"/></clipPath>\n<g clip-path=\"url(#plot)\">\n",
              f.left - 3, f.top - 3, f.pw + 6, f.ph + 6);
    frame fx = f; /* x relative to the origin */
    fx.xa += origin;
    fx.xb += origin;
    for (size_t k = 0; k < sc->ns; k++) {
        const bin *b = sc->s[k].bins;
        sb_printf(sb, "<path class=\"pts\" stroke=\"%s\" d=\"", palette[k % NPALETTE]);
        size_t nm = 0;
        for (size_t i = 0; i < sc->ncols; i++) {
            if (!b[i].n) continue;
            put_marker(sb, &fx, b[i].x_at_min, b[i].ymin);
            if (b[i].ymax != b[i].ymin || b[i].x_at_max != b[i].x_at_min)
                put_marker(sb, &fx, b[i].x_at_max, b[i].ymax);
            if (++nm % 16 == 0) sb_putc(sb, '\n');
        }
        sb_puts(sb, "\"/>\n");
    }
    sb_puts(sb, "</g>\n");

    /* legend */
    double lx = f.left + f.pw + 16, ly = f.top + 8;
    for (size_t k = 0; k < sc->ns; k++) {
        double y = ly + 18.0 * (double)k;
        sb_printf(sb,
                  "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/><text x=\"%.1f\" "
                  "y=\"%.1f\">",
                  lx + 4, y, palette[k % NPALETTE], lx + 14, y + 4);
        ts_xml_escape(sb, sc->s[k].name);
        sb_printf(sb, " (%llu)</text>\n", (unsigned long long)sc->s[k].npoints);
    }
    if (!sc->have)
        sb_printf(sb, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">no data</text>\n",
                  f.left + f.pw / 2, f.top + f.ph / 2);
    sb_puts(sb, "</svg>\n");
    if (sb->oom) return ts_error_set(err, TS_ERR_NOMEM, "scatter: out of memory");
    return TS_OK;
}

ts_status ts_scatter_write(const ts_scatter *sc, const ts_scatter_style *style, const char *path,
                           ts_error *err)
{
    ts_strbuf sb;
    sb_init(&sb);
    ts_status st = ts_scatter_render(sc, style, &sb, err);
    if (!st) st = ts_write_file(path, sb.data ? sb.data : "", sb.len, err);
    sb_free(&sb);
    return st;
}
