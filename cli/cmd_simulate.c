/* tracesync simulate: generate synthetic LTTng kernel traces of a KVM host, its
 * guests and other machines, with their true clocks (truth.json). */
#include "cli.h"
#include "tracesync/sim.h"
#include "tracesync/timefmt.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: tracesync simulate (--preset NAME | SCENARIO_FILE) -o DIR [--seed N]\n"
               "                          [--duration DURATION] [--scale X] [--force]\n"
               "       tracesync simulate --list-presets | --print-preset NAME\n\n"
               "Simulate machines whose clocks are known exactly and write one LTTng kernel trace\n"
               "per machine (DIR/<machine>/kernel/, CTF 1.8, lttng-modules 2.13 layout), plus\n"
               "DIR/truth.json (clocks as knots, guests, counts) and DIR/truth-matches.csv (every\n"
               "TCP segment and vmsync message sent and received, with its true delay).\n\n"
               "  --preset NAME          a built-in scenario (--list-presets shows them)\n"
               "  SCENARIO_FILE          a scenario file (format: docs/cli-simulate.md)\n"
               "  -o, --output DIR       where to write (created; must be empty unless --force)\n"
               "  --seed N               random seed (default: the scenario's, else 1)\n"
               "  --duration DURATION    simulated time (e.g. 500ms, 10s, 2h; default: the\n"
               "                         scenario's)\n"
               "  --scale X              multiply the event volume (activity density and traffic\n"
               "                         rates) by X, e.g. 0.1 or 40 (default 1)\n"
               "  --no-truth-matches     do not write truth-matches.csv\n"
               "  --truth-matches        write truth-matches.csv (the default)\n"
               "  --force                allow a non-empty output directory\n"
               "  -q, --quiet            print nothing on success\n"
               "  --list-presets         list the presets\n"
               "  --print-preset NAME    print a preset's scenario file\n");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human_bytes(uint64_t b, char *buf, size_t n)
{
    if (b >= (1ULL << 30))
        snprintf(buf, n, "%.2f GiB", (double)b / (1ULL << 30));
    else if (b >= (1ULL << 20))
        snprintf(buf, n, "%.1f MiB", (double)b / (1ULL << 20));
    else
        snprintf(buf, n, "%.1f KiB", (double)b / 1024);
}

int cmd_simulate(int argc, char **argv)
{
    enum { O_PRESET = 256, O_SEED, O_DURATION, O_SCALE, O_NOTM, O_TM, O_FORCE, O_LIST, O_PRINT };
    static const struct option opts[] = {
        {"preset", required_argument, 0, O_PRESET},
        {"output", required_argument, 0, 'o'},
        {"seed", required_argument, 0, O_SEED},
        {"duration", required_argument, 0, O_DURATION},
        {"scale", required_argument, 0, O_SCALE},
        {"no-truth-matches", no_argument, 0, O_NOTM},
        {"truth-matches", no_argument, 0, O_TM},
        {"force", no_argument, 0, O_FORCE},
        {"quiet", no_argument, 0, 'q'},
        {"list-presets", no_argument, 0, O_LIST},
        {"print-preset", required_argument, 0, O_PRINT},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *cmd = argv[0], *preset = NULL, *out = NULL;
    int quiet = 0, c;
    ts_sim_options o;
    ts_sim_options_init(&o);
    ts_error err;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
        switch (c) {
        case O_PRESET:
            preset = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case O_SEED: {
            char *end;
            unsigned long long v = strtoull(optarg, &end, 0);
            if (!*optarg || *end || optarg[0] == '-')
                return cli_usage_error(cmd, "--seed %s: expected an unsigned integer", optarg);
            o.seed = v;
            o.seed_set = true;
            break;
        }
        case O_DURATION:
            if (ts_parse_duration(optarg, &o.duration, &err) != TS_OK || o.duration <= 0)
                return cli_usage_error(cmd,
                                       "--duration %s: expected a positive duration such as "
                                       "500ms, 10s or 2h",
                                       optarg);
            break;
        case O_SCALE:
            if (ts_sim_parse_decimal(optarg, 6, &o.scale_ppm, &err) != TS_OK ||
                o.scale_ppm < 1000 || o.scale_ppm > 1000000000ULL)
                return cli_usage_error(cmd, "--scale %s: expected a number from 0.001 to 1000",
                                       optarg);
            break;
        case O_NOTM:
            o.truth_matches = false;
            break;
        case O_TM:
            o.truth_matches = true;
            break;
        case O_FORCE:
            o.overwrite = true;
            break;
        case 'q':
            quiet = 1;
            break;
        case O_LIST:
            for (size_t i = 0; i < ts_sim_preset_count(); i++)
                printf("%-16s %s\n", ts_sim_preset_name(i), ts_sim_preset_summary(i));
            return 0;
        case O_PRINT: {
            const char *text = ts_sim_preset_text(optarg);
            if (!text) {
                ts_sim_scenario *dummy = NULL;
                ts_sim_scenario_preset(optarg, &dummy, &err);
                return cli_error(cmd, &err);
            }
            fputs(text, stdout);
            return 0;
        }
        case 'h':
            usage(stdout);
            return 0;
        default:
            return cli_usage_error(cmd, "unknown option");
        }
    }
    const char *file = NULL;
    if (optind < argc) file = argv[optind++];
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!!preset == !!file)
        return cli_usage_error(cmd, "give either --preset NAME or a SCENARIO_FILE");
    if (!out) return cli_usage_error(cmd, "missing -o DIR");
    ts_sim_scenario *sc = NULL;
    if ((preset ? ts_sim_scenario_preset(preset, &sc, &err)
                : ts_sim_scenario_load(file, &sc, &err)) != TS_OK)
        return cli_error(cmd, &err);
    ts_sim_result r;
    double t0 = now_s();
    ts_status st = ts_sim_run(sc, &o, out, &r, &err);
    double el = now_s() - t0;
    if (st != TS_OK) {
        ts_sim_scenario_free(sc);
        return cli_error(cmd, &err);
    }
    if (!quiet) {
        char span[32], b[32];
        printf("scenario %s, seed %" PRIu64 ", %s of true time -> %s/\n", ts_sim_scenario_name(sc),
               r.seed, ts_format_duration(r.true_end - r.true_begin, span, sizeof span), out);
        printf("  %-16s %-8s %5s %14s %12s\n", "machine", "role", "cpus", "events", "size");
        for (size_t i = 0; i < r.nmachines; i++) {
            const ts_sim_machine_result *m = &r.machines[i];
            human_bytes(m->bytes, b, sizeof b);
            printf("  %-16s %-8s %5u %14" PRIu64 " %12s\n", m->name, m->role, m->cpus, m->events,
                   b);
        }
        human_bytes(r.bytes, b, sizeof b);
        printf("  %-16s %-8s %5s %14" PRIu64 " %12s\n", "total", "", "", r.events, b);
        printf("  matched pairs: %" PRIu64 " tcp, %" PRIu64 " vmsync; packets lost: %" PRIu64 "\n",
               r.tcp_pairs, r.vmsync_pairs, r.packets_lost);
        printf("  truth: %s/truth.json%s\n", out, o.truth_matches ? ", truth-matches.csv" : "");
        printf("  %.2f s, %.1f M events/s, %.0f MiB/s\n", el,
               el > 0 ? (double)r.events / el / 1e6 : 0.0,
               el > 0 ? (double)r.bytes / el / (1 << 20) : 0.0);
    }
    ts_sim_result_free(&r);
    ts_sim_scenario_free(sc);
    return 0;
}
