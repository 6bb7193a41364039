/* tracesync dump: every event of the given traces in time order. */
#include "cli.h"
#include "trace/event_format.h"
#include "tracesync/timefmt.h"
#include "tracesync/traceset.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tracesync dump [--format text|jsonl] [--begin T] [--end T] [--threads N] "
            "PATH...\n\n"
            "Print every event of the traces found under PATH (a trace directory, or any folder\n"
            "holding traces; NAME=PATH names them) in time order across all traces.\n\n"
            "  --format text|jsonl  text (default): one babeltrace-like line per event;\n"
            "                       jsonl: one JSON object per event with keys trace, ts,\n"
            "                       name, cpu, fields (and context when the stream has one)\n"
            "  --begin T, --end T   only events in [T, T]: ns from origin, a duration with\n"
            "                       unit (1361214078.5s), or +DURATION from the set's start\n"
            "  --threads N          decoding threads (default: one per core)\n");
}

int cmd_dump(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, 0, 'f'}, {"begin", required_argument, 0, 'b'},
        {"end", required_argument, 0, 'e'},    {"threads", required_argument, 0, 't'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0},
    };
    const char *format = "text", *b = NULL, *e = NULL;
    unsigned threads = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:b:e:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            format = optarg;
            break;
        case 'b':
            b = optarg;
            break;
        case 'e':
            e = optarg;
            break;
        case 't':
            threads = (unsigned)atoi(optarg);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    int json = 0;
    if (!strcmp(format, "jsonl") || !strcmp(format, "json"))
        json = 1;
    else if (strcmp(format, "text"))
        return cli_usage_error(argv[0], "unknown --format '%s' (text or jsonl)", format);
    if (optind >= argc) return cli_usage_error(argv[0], "no trace path given");
    ts_error err;
    ts_traceset *set;
    if (ts_traceset_open((const char *const *)argv + optind, (size_t)(argc - optind), &set, &err))
        return cli_error(argv[0], &err);
    int64_t wb, we;
    int rc = cli_parse_window(argv[0], set, b, e, &wb, &we);
    if (rc) {
        ts_traceset_free(set);
        return rc;
    }
    ts_request *rq = ts_request_new();
    ts_iter *it = NULL;
    if (!rq) {
        ts_traceset_free(set);
        return 1;
    }
    ts_request_all_events(rq);
    if (ts_iter_new_ex(set, rq, threads, &it, &err)) {
        rc = cli_error(argv[0], &err);
        goto out;
    }
    if (b || e) ts_iter_set_window(it, wb, we);
    static char obuf[1 << 20];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    ts_strbuf sb;
    sb_init(&sb);
    const ts_event *ev;
    while (ts_iter_next(it, &ev, &err) == TS_OK && ev) {
        sb_reset(&sb);
        ts_status st = json ? ts_event_format_json(set, ev, &sb, &err)
                            : ts_event_format_text(set, ev, &sb, &err);
        if (st) {
            fprintf(stderr, "tracesync dump: %s: %s\n",
                    ts_trace_name(ts_traceset_trace(set, ev->trace)), err.msg);
            continue;
        }
        sb_putc(&sb, '\n');
        fwrite(sb.data, 1, sb.len, stdout);
    }
    sb_free(&sb);
    fflush(stdout);
    cli_print_diags(argv[0], set);
    rc = ts_traceset_error_count(set) ? 3 : 0;
out:
    ts_iter_free(it);
    ts_request_free(rq);
    ts_traceset_free(set);
    return rc;
}
