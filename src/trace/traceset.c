/* Trace sets: discovery of traces under paths, naming, accessors and
 * diagnostics. */
#include "trace/trace_impl.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void ts_traceset_add_diag(ts_traceset *set, bool is_error, const char *fmt, ...)
{
    char buf[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < set->ndiags; i++)
        if (!strcmp(set->diags[i] + 1, buf)) return;
    if (set->ndiags == set->capdiags) {
        size_t nc = set->capdiags ? set->capdiags * 2 : 16;
        char **nd = realloc(set->diags, nc * sizeof *nd);
        if (!nd) return;
        set->diags = nd;
        set->capdiags = nc;
    }
    /* first byte: 'E' error or 'N' note */
    size_t l = strlen(buf);
    char *d = malloc(l + 2);
    if (!d) return;
    d[0] = is_error ? 'E' : 'N';
    memcpy(d + 1, buf, l + 1);
    set->diags[set->ndiags++] = d;
    if (is_error) set->nerrors++;
}

size_t ts_traceset_diag_count(const ts_traceset *set)
{
    return set->ndiags;
}

const char *ts_traceset_diag(const ts_traceset *set, size_t i)
{
    return i < set->ndiags ? set->diags[i] + 1 : NULL;
}

size_t ts_traceset_error_count(const ts_traceset *set)
{
    return set->nerrors;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int has_metadata(const char *dir)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/metadata", dir);
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct found {
    char **dirs;
    size_t n;
} found;

static ts_status find_traces(const char *dir, found *f, int depth, ts_error *err)
{
    if (depth > 32) return TS_OK;
    if (has_metadata(dir)) {
        char **nd = realloc(f->dirs, (f->n + 1) * sizeof *nd);
        if (!nd) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        f->dirs = nd;
        if (!(f->dirs[f->n] = strdup(dir))) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        f->n++;
        return TS_OK;
    }
    DIR *d = opendir(dir);
    if (!d) return ts_error_set(err, TS_ERR_IO, "%s: cannot list: %s", dir, strerror(errno));
    char **subs = NULL;
    size_t ns = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        size_t l = strlen(dir) + strlen(de->d_name) + 2;
        char *p = malloc(l);
        if (!p) break;
        snprintf(p, l, "%s/%s", dir, de->d_name);
        if (!is_dir(p)) {
            free(p);
            continue;
        }
        char **nn = realloc(subs, (ns + 1) * sizeof *nn);
        if (!nn) {
            free(p);
            break;
        }
        subs = nn;
        subs[ns++] = p;
    }
    closedir(d);
    if (ns) qsort(subs, ns, sizeof *subs, cmp_str);
    ts_status st = TS_OK;
    for (size_t i = 0; i < ns; i++) {
        if (!st) st = find_traces(subs[i], f, depth + 1, err);
        free(subs[i]);
    }
    free(subs);
    return st;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* name the traces: explicit names, else hostname, else directory name; unique */
static ts_status name_traces(ts_traceset *set, char **explicit_names, ts_error *err)
{
    for (size_t i = 0; i < set->ntraces; i++) {
        ts_trace *t = set->traces[i];
        const char *n = explicit_names[i];
        char buf[512];
        if (!n) {
            if (t->hostname[0]) {
                n = t->hostname;
            } else {
                /* the directory's name; for an LTTng session's kernel/ or
                 * ust/ folder, "<session>-kernel" */
                char path[512];
                snprintf(path, sizeof path, "%s", t->path);
                size_t l = strlen(path);
                while (l > 1 && path[l - 1] == '/') path[--l] = '\0';
                const char *bn = base_name(path);
                if ((!strcmp(bn, "kernel") || !strcmp(bn, "ust")) && bn > path + 1) {
                    char parent[512];
                    snprintf(parent, sizeof parent, "%.*s", (int)(bn - 1 - path), path);
                    snprintf(buf, sizeof buf, "%.200s-%.200s", base_name(parent), bn);
                } else {
                    snprintf(buf, sizeof buf, "%.400s", bn);
                }
                n = buf;
            }
        }
        t->name = strdup(n);
        if (!t->name) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    }
    /* uniqueness: a group of same-named traces whose domains differ (kernel
     * and ust of one host) becomes name/domain; what still clashes gets a
     * numeric suffix */
    size_t n = set->ntraces;
    bool *rename = calloc(n + 1, sizeof *rename);
    if (!rename) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (explicit_names[i]) continue;
        const ctf_env_entry *di = ctf_meta_env(set->traces[i]->meta, "domain");
        bool dup = false, distinct = di && di->str && di->str[0];
        for (size_t k = 0; k < n; k++) {
            if (k == i || strcmp(set->traces[k]->name, set->traces[i]->name)) continue;
            dup = true;
            const ctf_env_entry *dk = ctf_meta_env(set->traces[k]->meta, "domain");
            if (!dk || !dk->str || (distinct && !strcmp(dk->str, di->str))) distinct = false;
        }
        rename[i] = dup && distinct;
    }
    for (size_t i = 0; i < n; i++) {
        if (!rename[i]) continue;
        const ctf_env_entry *di = ctf_meta_env(set->traces[i]->meta, "domain");
        size_t l = strlen(set->traces[i]->name) + strlen(di->str) + 2;
        char *nn = malloc(l);
        if (!nn) {
            free(rename);
            return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        }
        snprintf(nn, l, "%s/%s", set->traces[i]->name, di->str);
        free(set->traces[i]->name);
        set->traces[i]->name = nn;
    }
    free(rename);
    for (size_t i = 0; i < set->ntraces; i++) {
        int sfx = 1;
        for (size_t k = 0; k < i; k++)
            if (!strcmp(set->traces[k]->name, set->traces[i]->name)) sfx++;
        if (sfx > 1) {
            char nb[600];
            for (;; sfx++) {
                snprintf(nb, sizeof nb, "%s-%d", set->traces[i]->name, sfx);
                int clash = 0;
                for (size_t k = 0; k < set->ntraces; k++)
                    if (!strcmp(set->traces[k]->name, nb)) clash = 1;
                if (!clash) break;
            }
            char *nn = strdup(nb);
            if (!nn) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
            free(set->traces[i]->name);
            set->traces[i]->name = nn;
        }
    }
    for (size_t i = 0; i < set->ntraces; i++) {
        ts_trace *t = set->traces[i];
        if (!t->host_id[0]) {
            free(t->host_id);
            t->host_id = strdup(t->name);
            if (!t->host_id) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        }
    }
    return TS_OK;
}

ts_status ts_traceset_open(const char *const *paths, size_t npaths, ts_traceset **out,
                           ts_error *err)
{
    *out = NULL;
    if (npaths == 0) return ts_error_set(err, TS_ERR_ARG, "no trace path given");
    ts_traceset *set = calloc(1, sizeof *set);
    if (!set) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    char **names = NULL;
    ts_status st = TS_OK;
    for (size_t i = 0; i < npaths && !st; i++) {
        const char *arg = paths[i];
        const char *path = arg;
        char *name = NULL;
        const char *eq = strchr(arg, '=');
        if (eq && eq != arg && !memchr(arg, '/', (size_t)(eq - arg)) && !is_dir(arg)) {
            name = strndup(arg, (size_t)(eq - arg));
            path = eq + 1;
        }
        if (!is_dir(path)) {
            st = ts_error_set(err, TS_ERR_NOTFOUND, "%s: no such directory", path);
            free(name);
            break;
        }
        found f = {0};
        st = find_traces(path, &f, 0, err);
        if (!st && f.n == 0)
            st =
                ts_error_set(err, TS_ERR_NOTFOUND,
                             "%s: no CTF trace found (no 'metadata' file in it or below it)", path);
        for (size_t k = 0; k < f.n; k++) {
            if (!st) {
                ts_trace *t = NULL;
                st = ts_trace_open(f.dirs[k], set, &t, err);
                if (!st) {
                    ts_trace **nt = realloc(set->traces, (set->ntraces + 1) * sizeof *nt);
                    char **nn = realloc(names, (set->ntraces + 1) * sizeof *nn);
                    if (nt) set->traces = nt;
                    if (nn) names = nn;
                    if (!nt || !nn) {
                        ts_trace_free(t);
                        st = ts_error_set(err, TS_ERR_NOMEM, "out of memory");
                    } else {
                        char *nm = NULL;
                        if (name) {
                            if (f.n == 1) {
                                nm = strdup(name);
                            } else {
                                size_t l = strlen(name) + strlen(f.dirs[k]) + 2;
                                nm = malloc(l);
                                if (nm) {
                                    const char *rel = f.dirs[k] + strlen(path);
                                    while (*rel == '/') rel++;
                                    snprintf(nm, l, "%s/%s", name, rel);
                                }
                            }
                        }
                        t->index = set->ntraces;
                        names[set->ntraces] = nm;
                        set->traces[set->ntraces++] = t;
                    }
                }
            }
            free(f.dirs[k]);
        }
        free(f.dirs);
        free(name);
    }
    if (!st) st = name_traces(set, names, err);
    for (size_t i = 0; i < set->ntraces; i++) free(names ? names[i] : NULL);
    free(names);
    if (st) {
        ts_traceset_free(set);
        return st;
    }
    *out = set;
    return TS_OK;
}

void ts_traceset_free(ts_traceset *set)
{
    if (!set) return;
    for (size_t i = 0; i < set->ntraces; i++) ts_trace_free(set->traces[i]);
    free(set->traces);
    for (size_t i = 0; i < set->ndiags; i++) free(set->diags[i]);
    free(set->diags);
    free(set);
}

size_t ts_traceset_count(const ts_traceset *set)
{
    return set->ntraces;
}

const ts_trace *ts_traceset_trace(const ts_traceset *set, size_t i)
{
    return i < set->ntraces ? set->traces[i] : NULL;
}

int ts_traceset_find(const ts_traceset *set, const char *name)
{
    for (size_t i = 0; i < set->ntraces; i++)
        if (!strcmp(set->traces[i]->name, name)) return (int)i;
    return -1;
}

void ts_traceset_set_time_map(ts_traceset *set, size_t trace, ts_time_map_fn fn, void *ctx)
{
    if (trace >= set->ntraces) return;
    set->traces[trace]->map = fn;
    set->traces[trace]->map_ctx = ctx;
}

const char *ts_trace_name(const ts_trace *t)
{
    return t->name;
}
const char *ts_trace_path(const ts_trace *t)
{
    return t->path;
}
const char *ts_trace_hostname(const ts_trace *t)
{
    return t->hostname;
}
const char *ts_trace_host_id(const ts_trace *t)
{
    return t->host_id;
}
size_t ts_trace_index(const ts_trace *t)
{
    return t->index;
}

const char *ts_trace_env_str(const ts_trace *t, const char *key)
{
    const ctf_env_entry *e = ctf_meta_env(t->meta, key);
    return e ? e->str : NULL;
}

bool ts_trace_env_int(const ts_trace *t, const char *key, int64_t *out)
{
    const ctf_env_entry *e = ctf_meta_env(t->meta, key);
    if (!e || e->str) return false;
    *out = e->ival;
    return true;
}

void ts_trace_clock(const ts_trace *t, ts_clock_info *out)
{
    memset(out, 0, sizeof *out);
    if (!t->clock) {
        out->name = "";
        out->uuid = "";
        out->description = "";
        out->freq = 1000000000ULL;
        return;
    }
    out->name = t->clock->name;
    out->uuid = t->clock->uuid;
    out->description = t->clock->description;
    out->freq = t->clock->freq;
    out->offset_s = t->clock->offset_s;
    out->offset = t->clock->offset;
}

size_t ts_trace_event_class_count(const ts_trace *t)
{
    return t->meta->nevents;
}

const char *ts_trace_event_class_name(const ts_trace *t, size_t i)
{
    return i < t->meta->nevents ? t->meta->events[i].name : NULL;
}

bool ts_trace_has_event(const ts_trace *t, const char *name)
{
    for (size_t i = 0; i < t->meta->nevents; i++)
        if (!strcmp(t->meta->events[i].name, name)) return true;
    return false;
}

size_t ts_trace_stream_count(const ts_trace *t)
{
    return t->nstreams;
}

void ts_trace_stream(const ts_trace *t, size_t i, ts_stream_info *out)
{
    memset(out, 0, sizeof *out);
    if (i >= t->nstreams) return;
    const ts_stream *s = &t->streams[i];
    out->stream_class_id = s->sc->id;
    out->instance_id = s->instance_id;
    out->cpu = s->cpu;
    out->nfiles = (uint32_t)s->nfiles;
    out->packets = s->npackets;
    out->bytes = s->bytes;
    out->discarded = s->discarded;
    out->lost_packets = s->lost_packets;
    out->first_file = s->nfiles ? s->files[0] : "";
    if (s->npackets) {
        out->begin_ns = ts_trace_cycles_to_ns(t, s->packets[0].ts_begin);
        uint64_t end = 0;
        for (size_t p = 0; p < s->npackets; p++)
            if (s->packets[p].ts_end > end) end = s->packets[p].ts_end;
        out->end_ns = ts_trace_cycles_to_ns(t, end);
    }
}

void ts_traceset_time_range(const ts_traceset *set, int64_t *begin, int64_t *end)
{
    int64_t b = INT64_MAX, e = INT64_MIN;
    for (size_t i = 0; i < set->ntraces; i++) {
        for (size_t k = 0; k < set->traces[i]->nstreams; k++) {
            ts_stream_info si;
            ts_trace_stream(set->traces[i], k, &si);
            if (!si.packets) continue;
            if (si.begin_ns < b) b = si.begin_ns;
            if (si.end_ns > e) e = si.end_ns;
            if (si.begin_ns > e) e = si.begin_ns;
        }
    }
    if (b == INT64_MAX) b = e = 0;
    *begin = b;
    *end = e;
}
