/* tracesync latency: match events across traces and measure the latency of every match. */
#include "cli.h"
#include "tracesync/latency.h"
#include "tracesync/sync.h"
#include "tracesync/timefmt.h"
#include "tracesync/traceset.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tracesync latency [options] PATH...\n\n"
            "Match the events that cross machines (TCP packets, vmsync hypercalls) in the traces\n"
            "found under PATH (NAME=PATH names them) and show the latency (receive - send) of the\n"
            "matches, per ordered pair of traces and kind, and in total.\n\n"
            "  --json FILE          the statistics and the matching diagnostics as JSON\n"
            "  --csv FILE           every match: source, destination, kind, send and receive\n"
            "                       times, latency (corrected and raw), key\n"
            "  --sort ORDER         CSV order: send (default), receive, latency or pair\n"
            "  --svg FILE           scatter plot of latency against send time, one colour per\n"
            "                       ordered pair\n"
            "  --begin T, --end T   only events in [T, T]: ns from origin, a duration with unit\n"
            "                       (1361214078.5s), or +DURATION from the set's start\n"
            "  --offset NAME=DURATION\n"
            "                       add DURATION (e.g. -5us, 1.5ms) to the times of trace NAME\n"
            "                       (repeatable)\n"
            "  --formulas FILE      apply the clock formulas written by 'tracesync sync'\n"
            "                       (with --offset or --formulas, the statistics are shown\n"
            "                       without (raw) and with (corr) the correction)\n"
            "  --kind tcp|vmsync    match only this kind of event (repeatable; default: both)\n"
            "  --max-age DURATION   drop an unmatched event once the events read are DURATION\n"
            "                       later (default 10s; 'none': never)\n"
            "  --max-pending N      hold at most N unmatched events (default 1048576)\n"
            "  --no-cleanup         do not drop unmatched events by the cleanup rule\n"
            "  --tracecompass-rules match as Trace Compass does: only the first of identical\n"
            "                       keys waits, no latency plausibility check\n"
            "  --svg-raw            plot the uncorrected latencies\n"
            "  --threads N          decoding threads (default: one per core)\n"
            "  -q, --quiet          do not print the matching diagnostics table\n");
}

typedef struct args {
    const char *json, *csv, *svg, *formulas, *begin, *end;
    const char **offsets;
    size_t noffsets;
    ts_latency_options o;
    bool quiet;
} args;

static int parse_args(int argc, char **argv, args *a)
{
    static const struct option opts[] = {
        {"json", required_argument, 0, 'j'},     {"csv", required_argument, 0, 'c'},
        {"sort", required_argument, 0, 's'},     {"svg", required_argument, 0, 'g'},
        {"svg-raw", no_argument, 0, 'G'},        {"begin", required_argument, 0, 'b'},
        {"end", required_argument, 0, 'e'},      {"offset", required_argument, 0, 'o'},
        {"formulas", required_argument, 0, 'F'}, {"kind", required_argument, 0, 'k'},
        {"max-age", required_argument, 0, 'a'},  {"max-pending", required_argument, 0, 'p'},
        {"no-cleanup", no_argument, 0, 'n'},     {"tracecompass-rules", no_argument, 0, 'T'},
        {"threads", required_argument, 0, 't'},  {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0},
    };
    const char *cmd = argv[0];
    ts_error err;
    char *end;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            a->json = optarg;
            break;
        case 'c':
            a->csv = optarg;
            break;
        case 'g':
            a->svg = optarg;
            break;
        case 'G':
            a->o.svg_uncorrected = true;
            break;
        case 'b':
            a->begin = optarg;
            break;
        case 'e':
            a->end = optarg;
            break;
        case 'F':
            a->formulas = optarg;
            break;
        case 'n':
            a->o.match.no_cleanup = true;
            break;
        case 'T':
            a->o.match.tracecompass_rules = true;
            break;
        case 'q':
            a->quiet = true;
            break;
        case 's':
            if (ts_latency_sort_parse(optarg, &a->o.csv_sort, &err))
                return cli_usage_error(cmd, "--sort: %s", err.msg);
            break;
        case 'o':
            if (cli_push_arg(&a->offsets, &a->noffsets, optarg))
                return cli_usage_error(cmd, "out of memory");
            break;
        case 'k':
            if (!strcmp(optarg, "tcp"))
                a->o.match.kinds |= 1u << TS_MATCH_TCP;
            else if (!strcmp(optarg, "vmsync"))
                a->o.match.kinds |= 1u << TS_MATCH_VMSYNC;
            else
                return cli_usage_error(cmd, "--kind: '%s' (expected tcp or vmsync)", optarg);
            break;
        case 'a':
            if (!strcmp(optarg, "none")) {
                a->o.match.max_age_ns = -1;
            } else {
                int64_t v;
                if (ts_parse_duration(optarg, &v, &err))
                    return cli_usage_error(cmd, "--max-age: %s", err.msg);
                if (v <= 0)
                    return cli_usage_error(cmd, "--max-age: '%s' is not positive (or 'none')",
                                           optarg);
                a->o.match.max_age_ns = v;
            }
            break;
        case 'p': {
            unsigned long long v = strtoull(optarg, &end, 10);
            if (!*optarg || *end || v == 0 || optarg[0] == '-')
                return cli_usage_error(cmd, "--max-pending: '%s' is not a positive integer",
                                       optarg);
            a->o.match.max_pending = (size_t)v;
            break;
        }
        case 't': {
            long v = strtol(optarg, &end, 10);
            if (!*optarg || *end || v < 1 || v > 1024)
                return cli_usage_error(cmd, "--threads: '%s' is not a number from 1 to 1024",
                                       optarg);
            a->o.match.nthreads = (unsigned)v;
            break;
        }
        case 'h':
            usage(stdout);
            return -1;
        default:
            return cli_usage_error(cmd, "unknown option");
        }
    }
    if (optind >= argc) return cli_usage_error(cmd, "no trace given");
    return 0;
}

/* --offset and --formulas: formulas installed as time maps on the set. */
static int apply_corrections(const char *cmd, args *a, ts_traceset *set, ts_formulas **out)
{
    ts_error err;
    int rc = cli_load_formulas(cmd, set, a->formulas, a->offsets, a->noffsets, out);
    if (rc || !*out) return rc;
    ts_formulas *f = *out;
    if (ts_formulas_apply(f, set, &err)) return cli_error(cmd, &err);
    return 0;
}

static void print_hint(const ts_latency_result *r)
{
    if (r->total.stats.count) return;
    uint64_t events = 0, expired = 0;
    for (size_t t = 0; t < r->match.ntraces; t++)
        for (int k = 0; k < TS_MATCH_NKINDS; k++)
            for (int d = 0; d < 2; d++) {
                events += r->match.traces[t].counts[k][d].seen;
                expired += r->match.traces[t].counts[k][d].expired;
            }
    if (!events)
        fprintf(stderr, "note: no event with a matching key (TCP header or vmsync) in these "
                        "traces\n");
    else if (expired)
        fprintf(stderr,
                "note: no match; %llu unmatched event(s) were dropped by the age bound: "
                "if the clocks differ by more than it, try a larger --max-age or an "
                "--offset\n",
                (unsigned long long)expired);
}

int cmd_latency(int argc, char **argv)
{
    const char *cmd = argv[0];
    args a;
    memset(&a, 0, sizeof a);
    int rc = parse_args(argc, argv, &a);
    if (rc) {
        free(a.offsets);
        return rc < 0 ? 0 : rc;
    }
    a.o.csv_path = a.csv;
    a.o.svg_path = a.svg;

    ts_error err;
    ts_traceset *set = NULL;
    ts_formulas *f = NULL;
    ts_formulas_errors fe = {0};
    ts_latency_result r;
    memset(&r, 0, sizeof r);
    if (ts_traceset_open((const char *const *)argv + optind, (size_t)(argc - optind), &set, &err)) {
        rc = cli_error(cmd, &err);
        goto out;
    }
    if ((rc = apply_corrections(cmd, &a, set, &f))) goto out;
    bool corrected = f != NULL;
    /* the latency check allows for the formulas' error bounds (as sync's passes do) */
    if (f) {
        if (ts_formulas_errors_init(&fe, f, set, &err)) {
            rc = cli_error(cmd, &err);
            goto out;
        }
        a.o.match.time_error = ts_formulas_errors_at;
        a.o.match.time_error_ctx = &fe;
    }
    if (a.begin || a.end) {
        if ((rc = cli_parse_window(cmd, set, a.begin, a.end, &a.o.match.begin_ns,
                                   &a.o.match.end_ns)))
            goto out;
        a.o.match.window = true;
    }
    if (ts_latency_run(set, &a.o, &r, &err)) {
        cli_print_diags(cmd, set);
        rc = cli_error(cmd, &err);
        goto out;
    }
    char *table = ts_latency_format_table(&r, set, corrected);
    char *diag = a.quiet ? NULL : ts_latency_format_diagnostics(&r, set);
    if (!table || (!a.quiet && !diag)) {
        free(table);
        free(diag);
        err.code = TS_ERR_NOMEM;
        snprintf(err.msg, sizeof err.msg, "out of memory");
        rc = cli_error(cmd, &err);
        goto out;
    }
    fputs(table, stdout);
    if (diag) printf("\nmatching (s/r = sends/receives):\n%s", diag);
    free(table);
    free(diag);
    print_hint(&r);
    if (a.json && ts_latency_write_json(&r, set, corrected, a.json, &err)) {
        rc = cli_error(cmd, &err);
        goto out;
    }
    cli_print_diags(cmd, set);
    rc = ts_traceset_error_count(set) ? 3 : 0;
out:
    ts_latency_result_free(&r);
    ts_traceset_free(set);
    ts_formulas_free(f);
    ts_formulas_errors_free(&fe);
    free(a.offsets);
    return rc;
}
