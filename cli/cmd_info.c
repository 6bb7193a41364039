/* tracesync info: what each trace holds (clock, streams, events, losses). */
#include "cli.h"
#include "tracesync/timefmt.h"
#include "tracesync/traceset.h"
#include "util/strbuf.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

typedef struct trace_stats {
    uint64_t events;
    int64_t first, last;
    uint64_t *per_class; /* by class index */
    size_t nclasses;
} trace_stats;

static void usage(FILE *f)
{
    fprintf(f, "usage: tracesync info [--json] [--top N] PATH...\n\n"
               "Describe every trace found under PATH (a trace directory, or any folder holding\n"
               "traces; NAME=PATH names them): name, path, hostname, host id (clock uuid),\n"
               "tracer, clock, streams and CPUs, packets, events, discarded events, first and\n"
               "last event time, and the count per event name.\n\n"
               "  --json    the same as one JSON object on stdout\n"
               "  --top N   event names listed per trace (default 20, 0 = all)\n");
}

typedef struct name_count {
    const char *name;
    uint64_t n;
} name_count;

static int cmp_count(const void *a, const void *b)
{
    const name_count *x = a, *y = b;
    if (x->n != y->n) return x->n < y->n ? 1 : -1;
    return strcmp(x->name, y->name);
}

/* Event names of a trace by decreasing count (names shared by several classes
 * of different streams are summed). */
static size_t sorted_counts(const ts_trace *t, const trace_stats *s, name_count **out)
{
    size_t n = 0;
    name_count *v = calloc(s->nclasses + 1, sizeof *v);
    if (!v) {
        *out = NULL;
        return 0;
    }
    for (size_t c = 0; c < s->nclasses; c++) {
        if (!s->per_class[c]) continue;
        const char *nm = ts_trace_event_class_name(t, c);
        size_t k;
        for (k = 0; k < n; k++)
            if (!strcmp(v[k].name, nm)) break;
        if (k == n) v[n++].name = nm;
        v[k].n += s->per_class[c];
    }
    qsort(v, n, sizeof *v, cmp_count);
    *out = v;
    return n;
}

static const char *cpu_list(const ts_trace *t, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    uint32_t prev = UINT32_MAX;
    for (size_t i = 0; i < ts_trace_stream_count(t) && len + 16 < size; i++) {
        ts_stream_info si;
        ts_trace_stream(t, i, &si);
        if (si.cpu == UINT32_MAX || si.cpu == prev) continue;
        len += (size_t)snprintf(buf + len, size - len, "%s%u", len ? "," : "", si.cpu);
        prev = si.cpu;
    }
    return buf;
}

static void print_text(const ts_traceset *set, const trace_stats *stats, int top)
{
    for (size_t i = 0; i < ts_traceset_count(set); i++) {
        const ts_trace *t = ts_traceset_trace(set, i);
        const trace_stats *s = &stats[i];
        ts_clock_info ck;
        ts_trace_clock(t, &ck);
        uint64_t packets = 0, bytes = 0, disc = 0, lostp = 0, files = 0;
        for (size_t k = 0; k < ts_trace_stream_count(t); k++) {
            ts_stream_info si;
            ts_trace_stream(t, k, &si);
            packets += si.packets;
            bytes += si.bytes;
            disc += si.discarded;
            lostp += si.lost_packets;
            files += si.nfiles;
        }
        const char *tracer = ts_trace_env_str(t, "tracer_name");
        int64_t maj = -1, min = -1, pl = -1;
        ts_trace_env_int(t, "tracer_major", &maj);
        ts_trace_env_int(t, "tracer_minor", &min);
        ts_trace_env_int(t, "tracer_patchlevel", &pl);
        const char *domain = ts_trace_env_str(t, "domain");
        char b1[48], b2[48], b3[48], cpus[512];
        printf("trace %s\n", ts_trace_name(t));
        printf("  path:        %s\n", ts_trace_path(t));
        printf("  hostname:    %s\n", ts_trace_hostname(t)[0] ? ts_trace_hostname(t) : "(none)");
        printf("  host id:     %s\n", ts_trace_host_id(t));
        printf("  tracer:      %s", tracer ? tracer : "(unknown)");
        if (maj >= 0) printf(" %lld.%lld", (long long)maj, (long long)(min < 0 ? 0 : min));
        if (pl >= 0) printf(".%lld", (long long)pl);
        if (domain) printf(" (domain %s)", domain);
        printf("\n");
        printf("  clock:       %s, %llu Hz, offset %s s (offset_s %lld, offset %lld cycles)\n",
               ck.name, (unsigned long long)ck.freq,
               ts_format_time(ck.offset_s * 1000000000LL +
                                  (int64_t)((__int128)ck.offset * 1000000000 / (__int128)ck.freq),
                              b1, sizeof b1),
               (long long)ck.offset_s, (long long)ck.offset);
        printf("  streams:     %zu (CPUs %s) in %llu file(s), %llu packets, %.1f MiB\n",
               ts_trace_stream_count(t), cpu_list(t, cpus, sizeof cpus)[0] ? cpus : "-",
               (unsigned long long)files, (unsigned long long)packets, (double)bytes / 1048576.0);
        printf("  events:      %llu\n", (unsigned long long)s->events);
        printf("  discarded:   %llu event(s), %llu packet(s) lost\n", (unsigned long long)disc,
               (unsigned long long)lostp);
        if (s->events) {
            printf("  first event: %s\n", ts_format_time(s->first, b1, sizeof b1));
            printf("  last event:  %s (duration %s)\n", ts_format_time(s->last, b2, sizeof b2),
                   ts_format_duration(s->last - s->first, b3, sizeof b3));
        }
        name_count *v;
        size_t n = sorted_counts(t, s, &v);
        size_t shown = top > 0 && (size_t)top < n ? (size_t)top : n;
        if (n) printf("  events by name (%s%zu of %zu):\n", shown < n ? "top " : "", shown, n);
        for (size_t k = 0; k < shown; k++)
            printf("    %-36s %12llu\n", v[k].name, (unsigned long long)v[k].n);
        free(v);
        if (i + 1 < ts_traceset_count(set)) printf("\n");
    }
}

static void print_json(const ts_traceset *set, const trace_stats *stats, int top)
{
    ts_strbuf sb;
    sb_init(&sb);
    sb_puts(&sb, "{\"traces\":[");
    for (size_t i = 0; i < ts_traceset_count(set); i++) {
        const ts_trace *t = ts_traceset_trace(set, i);
        const trace_stats *s = &stats[i];
        ts_clock_info ck;
        ts_trace_clock(t, &ck);
        if (i) sb_putc(&sb, ',');
        sb_puts(&sb, "{\"name\":");
        sb_put_json_str(&sb, ts_trace_name(t), strlen(ts_trace_name(t)));
        sb_puts(&sb, ",\"path\":");
        sb_put_json_str(&sb, ts_trace_path(t), strlen(ts_trace_path(t)));
        sb_puts(&sb, ",\"hostname\":");
        sb_put_json_str(&sb, ts_trace_hostname(t), strlen(ts_trace_hostname(t)));
        sb_puts(&sb, ",\"host_id\":");
        sb_put_json_str(&sb, ts_trace_host_id(t), strlen(ts_trace_host_id(t)));
        const char *tracer = ts_trace_env_str(t, "tracer_name");
        sb_puts(&sb, ",\"tracer\":{\"name\":");
        if (tracer)
            sb_put_json_str(&sb, tracer, strlen(tracer));
        else
            sb_puts(&sb, "null");
        const char *keys[] = {"tracer_major", "tracer_minor", "tracer_patchlevel"};
        const char *jk[] = {"major", "minor", "patchlevel"};
        for (int k = 0; k < 3; k++) {
            int64_t v;
            sb_printf(&sb, ",\"%s\":", jk[k]);
            if (ts_trace_env_int(t, keys[k], &v))
                sb_put_i64(&sb, v);
            else
                sb_puts(&sb, "null");
        }
        const char *domain = ts_trace_env_str(t, "domain");
        sb_puts(&sb, ",\"domain\":");
        if (domain)
            sb_put_json_str(&sb, domain, strlen(domain));
        else
            sb_puts(&sb, "null");
        sb_puts(&sb, "},\"clock\":{\"name\":");
        sb_put_json_str(&sb, ck.name, strlen(ck.name));
        sb_puts(&sb, ",\"uuid\":");
        sb_put_json_str(&sb, ck.uuid, strlen(ck.uuid));
        sb_printf(&sb, ",\"freq\":%llu,\"offset_s\":%lld,\"offset\":%lld}",
                  (unsigned long long)ck.freq, (long long)ck.offset_s, (long long)ck.offset);
        sb_puts(&sb, ",\"streams\":[");
        uint64_t disc = 0, lostp = 0, packets = 0;
        for (size_t k = 0; k < ts_trace_stream_count(t); k++) {
            ts_stream_info si;
            ts_trace_stream(t, k, &si);
            disc += si.discarded;
            lostp += si.lost_packets;
            packets += si.packets;
            if (k) sb_putc(&sb, ',');
            sb_printf(&sb, "{\"stream_class\":%llu,\"instance\":%llu,\"cpu\":",
                      (unsigned long long)si.stream_class_id, (unsigned long long)si.instance_id);
            if (si.cpu == UINT32_MAX)
                sb_puts(&sb, "null");
            else
                sb_put_u64(&sb, si.cpu);
            sb_printf(&sb,
                      ",\"files\":%u,\"packets\":%llu,\"bytes\":%llu,\"discarded\":%llu,"
                      "\"lost_packets\":%llu,\"first_file\":",
                      si.nfiles, (unsigned long long)si.packets, (unsigned long long)si.bytes,
                      (unsigned long long)si.discarded, (unsigned long long)si.lost_packets);
            sb_put_json_str(&sb, si.first_file, strlen(si.first_file));
            sb_putc(&sb, '}');
        }
        sb_printf(&sb,
                  "],\"packets\":%llu,\"events\":%llu,\"discarded\":%llu,\"lost_packets\":%llu",
                  (unsigned long long)packets, (unsigned long long)s->events,
                  (unsigned long long)disc, (unsigned long long)lostp);
        if (s->events)
            sb_printf(&sb, ",\"first_ns\":%lld,\"last_ns\":%lld", (long long)s->first,
                      (long long)s->last);
        else
            sb_puts(&sb, ",\"first_ns\":null,\"last_ns\":null");
        sb_puts(&sb, ",\"event_counts\":[");
        name_count *v;
        size_t n = sorted_counts(t, s, &v);
        size_t shown = top > 0 && (size_t)top < n ? (size_t)top : n;
        for (size_t k = 0; k < shown; k++) {
            if (k) sb_putc(&sb, ',');
            sb_puts(&sb, "{\"name\":");
            sb_put_json_str(&sb, v[k].name, strlen(v[k].name));
            sb_printf(&sb, ",\"count\":%llu}", (unsigned long long)v[k].n);
        }
        free(v);
        sb_printf(&sb, "],\"event_names\":%zu}", n);
    }
    sb_puts(&sb, "],\"diagnostics\":[");
    for (size_t i = 0; i < ts_traceset_diag_count(set); i++) {
        if (i) sb_putc(&sb, ',');
        const char *d = ts_traceset_diag(set, i);
        sb_put_json_str(&sb, d, strlen(d));
    }
    sb_puts(&sb, "]}\n");
    fwrite(sb.data, 1, sb.len, stdout);
    sb_free(&sb);
}

int cmd_info(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, 0, 'j'},
        {"top", required_argument, 0, 'n'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int json = 0, top = 20, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "jn:h", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = 1;
            break;
        case 'n':
            top = atoi(optarg);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) return cli_usage_error(argv[0], "no trace path given");
    ts_error err;
    ts_traceset *set;
    if (ts_traceset_open((const char *const *)argv + optind, (size_t)(argc - optind), &set, &err))
        return cli_error(argv[0], &err);
    size_t nt = ts_traceset_count(set);
    trace_stats *stats = calloc(nt + 1, sizeof *stats);
    ts_request *rq = ts_request_new();
    ts_iter *it = NULL;
    int rc = 1;
    if (!stats || !rq) goto out;
    for (size_t i = 0; i < nt; i++) {
        stats[i].nclasses = ts_trace_event_class_count(ts_traceset_trace(set, i));
        stats[i].per_class = calloc(stats[i].nclasses + 1, sizeof(uint64_t));
        if (!stats[i].per_class) goto out;
    }
    ts_request_all_events(rq);
    if (ts_iter_new(set, rq, &it, &err)) {
        rc = cli_error(argv[0], &err);
        goto out;
    }
    const ts_event *ev;
    while (ts_iter_next(it, &ev, &err) == TS_OK && ev) {
        trace_stats *s = &stats[ev->trace];
        if (!s->events) s->first = ev->ts;
        s->last = ev->ts;
        s->events++;
        s->per_class[ev->class_index]++;
    }
    if (json)
        print_json(set, stats, top);
    else
        print_text(set, stats, top);
    cli_print_diags(argv[0], set);
    rc = ts_traceset_error_count(set) ? 3 : 0;
out:
    ts_iter_free(it);
    ts_request_free(rq);
    if (stats)
        for (size_t i = 0; i < nt; i++) free(stats[i].per_class);
    free(stats);
    ts_traceset_free(set);
    return rc;
}
