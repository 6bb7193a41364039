/* tracesync: the scenario generator (`tracesync simulate`).
 *
 * Simulates machines on a true time axis -- physical hosts running QEMU/KVM
 * guests, the guests themselves and other physical machines -- whose clocks
 * are known functions of true time, and writes one LTTng kernel trace per
 * machine (CTF 1.8, the lttng-modules 2.13 layout) plus the ground truth:
 *
 *   OUT/<machine>/kernel/        metadata, channel0_<cpu>, index/channel0_<cpu>.idx
 *   OUT/truth.json               clocks (exact knots), guests, counts, links
 *   OUT/truth-matches.csv        every packet / vmsync message sent and received
 *
 *   ts_sim_scenario *sc;
 *   ts_sim_scenario_preset("default", &sc, &err);       // or ts_sim_scenario_load(path, ...)
 *   ts_sim_options o;
 *   ts_sim_options_init(&o);
 *   o.seed = 7;
 *   ts_sim_result r;
 *   ts_sim_run(sc, &o, "out", &r, &err);
 *   ts_sim_result_free(&r);
 *   ts_sim_scenario_free(sc);
 *
 * The output is a pure function of (scenario, seed, duration, scale): the same
 * inputs give byte-identical files.  Scenario text format: docs/cli-simulate.md
 * and the commented files under scenarios/.
 */
#ifndef TRACESYNC_SIM_H
#define TRACESYNC_SIM_H

#include "tracesync/common.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ts_sim_scenario ts_sim_scenario;

/* Parse scenario text.  `source` names it in error messages ("file:line: ..."). */
ts_status ts_sim_scenario_parse(const char *text, size_t len, const char *source,
                                ts_sim_scenario **out, ts_error *err);
/* Read and parse a scenario file. */
ts_status ts_sim_scenario_load(const char *path, ts_sim_scenario **out, ts_error *err);
/* A built-in scenario by name (see ts_sim_preset_*). */
ts_status ts_sim_scenario_preset(const char *name, ts_sim_scenario **out, ts_error *err);
void ts_sim_scenario_free(ts_sim_scenario *sc);

/* The scenario's name (preset name or file name) and default duration (ns). */
const char *ts_sim_scenario_name(const ts_sim_scenario *sc);
int64_t ts_sim_scenario_duration(const ts_sim_scenario *sc);

/* Built-in presets: count, name, one-line summary, scenario text. */
size_t ts_sim_preset_count(void);
const char *ts_sim_preset_name(size_t i);
const char *ts_sim_preset_summary(size_t i);
/* Scenario text of a preset, or NULL if there is no such preset. */
const char *ts_sim_preset_text(const char *name);

typedef struct ts_sim_options {
    uint64_t seed; /* used when seed_set, else the scenario's `seed` (default 1) */
    bool seed_set;
    int64_t duration;   /* ns of true time; 0 = the scenario's duration */
    uint64_t scale_ppm; /* volume multiplier in millionths (1000000 = 1.0); 0 = 1.0 */
    bool truth_matches; /* write OUT/truth-matches.csv (default true) */
    bool overwrite;     /* allow a non-empty OUT directory */
} ts_sim_options;

void ts_sim_options_init(ts_sim_options *o);

/* Parse a non-negative decimal number ("2.5") exactly into an integer count
 * of 10^-decimals units ("2.5" with 6 decimals -> 2500000), e.g. for --scale. */
ts_status ts_sim_parse_decimal(const char *s, int decimals, uint64_t *out, ts_error *err);

typedef struct ts_sim_machine_result {
    char name[64];
    const char *role; /* "host", "guest" or "machine" */
    uint32_t cpus;    /* streams written */
    uint64_t events;  /* events written */
    uint64_t bytes;   /* stream bytes written */
    uint64_t packets; /* CTF packets written */
} ts_sim_machine_result;

typedef struct ts_sim_result {
    size_t nmachines;
    ts_sim_machine_result *machines;
    uint64_t events;              /* all machines */
    uint64_t bytes;               /* all stream files */
    uint64_t tcp_pairs;           /* TCP packets sent and received (lines of truth-matches.csv) */
    uint64_t vmsync_pairs;        /* vmsync messages sent and received */
    uint64_t packets_lost;        /* packets sent and never received (lost or still in flight) */
    int64_t true_begin, true_end; /* simulated true time span, ns since the epoch */
    uint64_t seed;
} ts_sim_result;

/* Simulate and write the traces and truth files under outdir (created if
 * missing; it must be empty unless o->overwrite).  On success fills res. */
ts_status ts_sim_run(const ts_sim_scenario *sc, const ts_sim_options *o, const char *outdir,
                     ts_sim_result *res, ts_error *err);
void ts_sim_result_free(ts_sim_result *res);

#ifdef __cplusplus
}
#endif
#endif
