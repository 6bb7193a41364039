/* tracesync vm: guest events placed against their vCPU's state on the host. */
#include "cli.h"
#include "tracesync/sync.h"
#include "tracesync/timefmt.h"
#include "tracesync/traceset.h"
#include "tracesync/vm.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tracesync vm [options] PATH...\n\n"
            "Check a host trace and its guests' traces (found under PATH; NAME=PATH names them):\n"
            "every guest event, its time mapped onto the host clock, must fall where the host\n"
            "ran that guest's vCPU in guest mode.  An event that falls where the vCPU thread was\n"
            "preempted or in the hypervisor (between a kvm exit and the next entry) is bad; its\n"
            "distance to the nearest running time measures the clock error (+: guest clock late,\n"
            "-: early).  Prints the model (hosts, guests, QEMU processes, vCPU threads) and, per\n"
            "guest, vCPU and event name: events, checked, bad, distances, histogram.\n\n"
            "  --formulas FILE      map the clocks with the formulas of 'tracesync sync'\n"
            "  --offset NAME=DURATION\n"
            "                       add DURATION (e.g. -5us, 1.5ms) to the times of trace NAME\n"
            "                       (repeatable; with --formulas, added to them)\n"
            "  --guest NAME=PID[@HOST]\n"
            "                       guest trace NAME runs in QEMU process PID (of host trace\n"
            "                       HOST), for traces without vmsync events (repeatable)\n"
            "  --begin T, --end T   check only guest events in [T, T] (host clock): ns from\n"
            "                       origin, a duration with unit (1361214078.5s), or +DURATION\n"
            "                       from the set's start\n"
            "  --json FILE          the model and statistics as JSON\n"
            "  --csv FILE           every bad event: guest, trace, vCPU, event, times, distance,\n"
            "                       out-period, host thread\n"
            "  --svg FILE           bad events' distance against time, one colour per guest\n"
            "  --top N              event names shown per guest (default 10; 0: all)\n"
            "  --threads N          decoding threads (default: one per core)\n");
}

typedef struct args {
    const char *json, *csv, *svg, *formulas, *begin, *end;
    const char **offsets;
    size_t noffsets;
    const char **guests;
    size_t nguests;
    size_t top;
    unsigned threads;
} args;

static int parse_args(int argc, char **argv, args *a)
{
    static const struct option opts[] = {
        {"json", required_argument, 0, 'j'},     {"csv", required_argument, 0, 'c'},
        {"svg", required_argument, 0, 'g'},      {"begin", required_argument, 0, 'b'},
        {"end", required_argument, 0, 'e'},      {"offset", required_argument, 0, 'o'},
        {"formulas", required_argument, 0, 'F'}, {"guest", required_argument, 0, 'G'},
        {"top", required_argument, 0, 'T'},      {"threads", required_argument, 0, 't'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0},
    };
    const char *cmd = argv[0];
    char *end;
    int c;
    a->top = 10;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
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
        case 'b':
            a->begin = optarg;
            break;
        case 'e':
            a->end = optarg;
            break;
        case 'F':
            a->formulas = optarg;
            break;
        case 'o':
            if (cli_push_arg(&a->offsets, &a->noffsets, optarg))
                return cli_usage_error(cmd, "out of memory");
            break;
        case 'G': {
            char buf[512];
            ts_vm_guest_pid gp;
            ts_error err;
            if (ts_vm_guest_pid_parse(optarg, buf, sizeof buf, &gp, &err))
                return cli_usage_error(cmd, "%s", err.msg);
            if (cli_push_arg(&a->guests, &a->nguests, optarg))
                return cli_usage_error(cmd, "out of memory");
            break;
        }
        case 'T': {
            long v = strtol(optarg, &end, 10);
            if (!*optarg || *end || v < 0)
                return cli_usage_error(cmd, "--top: '%s' is not a number >= 0", optarg);
            a->top = (size_t)v;
            break;
        }
        case 't': {
            long v = strtol(optarg, &end, 10);
            if (!*optarg || *end || v < 1 || v > 1024)
                return cli_usage_error(cmd, "--threads: '%s' is not a number from 1 to 1024",
                                       optarg);
            a->threads = (unsigned)v;
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

int cmd_vm(int argc, char **argv)
{
    const char *cmd = argv[0];
    args a;
    memset(&a, 0, sizeof a);
    int rc = parse_args(argc, argv, &a);
    ts_error err;
    ts_traceset *set = NULL;
    ts_formulas *f = NULL;
    ts_vm *vm = NULL;
    ts_vm_guest_pid *gp = NULL;
    char(*gbuf)[512] = NULL;
    if (rc) {
        rc = rc < 0 ? 0 : rc;
        goto out;
    }
    if (ts_traceset_open((const char *const *)argv + optind, (size_t)(argc - optind), &set, &err)) {
        rc = cli_error(cmd, &err);
        goto out;
    }
    rc = cli_load_formulas(cmd, set, a.formulas, a.offsets, a.noffsets, &f);
    if (rc) goto out;
    ts_vm_options o;
    memset(&o, 0, sizeof o);
    o.formulas = f;
    o.nthreads = a.threads;
    o.csv_path = a.csv;
    o.svg_path = a.svg;
    if (a.nguests) {
        gp = calloc(a.nguests, sizeof *gp);
        gbuf = calloc(a.nguests, sizeof *gbuf);
        if (!gp || !gbuf) {
            rc = cli_usage_error(cmd, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < a.nguests; i++)
            if (ts_vm_guest_pid_parse(a.guests[i], gbuf[i], sizeof gbuf[i], &gp[i], &err)) {
                rc = cli_usage_error(cmd, "%s", err.msg);
                goto out;
            }
        o.guest_pids = gp;
        o.nguest_pids = a.nguests;
    }
    if (a.begin || a.end) {
        if ((rc = cli_parse_window(cmd, set, a.begin, a.end, &o.begin_ns, &o.end_ns))) goto out;
        o.window = true;
    }
    if (ts_vm_run(set, &o, &vm, &err)) {
        cli_print_diags(cmd, set);
        rc = err.code == TS_ERR_ARG || err.code == TS_ERR_NOTFOUND
                 ? cli_usage_error(cmd, "%s", err.msg)
                 : cli_error(cmd, &err);
        goto out;
    }
    char *txt = ts_vm_format_report(vm, a.top);
    if (!txt) {
        err.code = TS_ERR_NOMEM;
        snprintf(err.msg, sizeof err.msg, "out of memory");
        rc = cli_error(cmd, &err);
        goto out;
    }
    fputs(txt, stdout);
    free(txt);
    if (a.json && ts_vm_write_json(vm, a.json, &err)) {
        rc = cli_error(cmd, &err);
        goto out;
    }
    cli_print_diags(cmd, set);
    rc = ts_traceset_error_count(set) ? 3 : 0;
out:
    ts_vm_free(vm);
    ts_traceset_free(set);
    ts_formulas_free(f);
    free(gp);
    free(gbuf);
    free(a.offsets);
    free(a.guests);
    return rc;
}
