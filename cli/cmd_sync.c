/* tracesync sync: clock formulas from matched events (convex hull per host pair, or a
 * piecewise-linear map per host pair). */
#include "cli.h"
#include "tracesync/latency.h"
#include "tracesync/match.h"
#include "tracesync/sync.h"
#include "tracesync/timefmt.h"
#include "tracesync/traceset.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(
        f, "usage: tracesync sync [options] PATH...\n\n"
           "Compute, from the events that cross machines (TCP packets, vmsync hypercalls), a\n"
           "formula per trace that maps its clock onto the reference trace's clock:\n"
           "T_ref = slope * T + offset_ns.  Per pair of hosts, the convex hulls of the\n"
           "matches of both directions bound the lines consistent with every match; the\n"
           "formula is the bisector of the steepest and flattest of them.\n\n"
           "  --reference NAME     the reference trace (default: the host trace of a VM set,\n"
           "                       else the first trace)\n"
           "  --compat tracecompass\n"
           "                       reproduce Trace Compass's algorithm and numbers exactly\n"
           "                       (34-digit decimals, pivot walk, sticky fail, shortest-hop\n"
           "                       tree; default reference: the host id that sorts first)\n"
           "  --method hull|piecewise\n"
           "                       hull (default): one line per pair of hosts; piecewise: a\n"
           "                       continuous piecewise-linear map per pair, a new segment\n"
           "                       only where no single line fits any more (drifting clocks,\n"
           "                       long traces); FORMULAS.json then carries \"segments\".\n"
           "                       The events are matched again with the formulas found\n"
           "                       applied (matches around clock steps), until that finds\n"
           "                       no receive before its send or nothing new (at most 8\n"
           "                       passes; the best formulas win)\n"
           "  --keep-outliers      piecewise: keep isolated impossible matches (by default they\n"
           "                       are left out and reported)\n"
           "  --bounds FILE        piecewise: write, per trace, the bounds at every instant\n"
           "                       where they change (CSV: trace,own_ns,ref_ns,below_ns,above_ns)\n"
           "  --max-segments N     piecewise: segments listed per pair (default 20, 0: all)\n"
           "  -o, --output FILE    write the formulas as FORMULAS.json\n"
           "  --begin T, --end T   only events in [T, T]: ns from origin, a duration with unit\n"
           "                       (1361214078.5s), or +DURATION from the set's start\n"
           "  --no-latency         do not print the latency statistics before/after\n"
           "  --threads N          decoding threads (default: one per core)\n");
}

/* matches kept (compactly) to check them against the final formulas */
typedef struct kept {
    uint32_t src, dst;
    int64_t send, recv;
} kept;

#define KEEP_MAX ((size_t)4 << 20) /* 96 MiB */

typedef struct run_ctx {
    ts_sync *sync;
    ts_error err;
    ts_status st;
    kept *k;
    size_t nk, capk;
    bool truncated;
    uint64_t nmatch;
} run_ctx;

static int on_match(void *vctx, const ts_match *m)
{
    run_ctx *c = vctx;
    if ((c->st = ts_sync_add_match(c->sync, m, &c->err))) return 1;
    c->nmatch++;
    if (c->nk == c->capk) {
        size_t nc = c->capk ? c->capk * 2 : 1024;
        kept *nk = nc <= KEEP_MAX ? realloc(c->k, nc * sizeof *nk) : NULL;
        if (!nk) {
            c->truncated = true;
            return 0;
        }
        c->k = nk;
        c->capk = nc;
    }
    c->k[c->nk++] = (kept){m->src_trace, m->dst_trace, m->send_raw, m->recv_raw};
    return 0;
}

static void trace_range(const ts_trace *t, int64_t *b, int64_t *e)
{
    *b = *e = 0;
    for (size_t i = 0; i < ts_trace_stream_count(t); i++) {
        ts_stream_info si;
        ts_trace_stream(t, i, &si);
        if (i == 0 || si.begin_ns < *b) *b = si.begin_ns;
        if (i == 0 || si.end_ns > *e) *e = si.end_ns;
    }
}

/* the host trace of a VM set: the first trace that declares KVM's vCPU entry event
 * (not the vmsync events: the vmsync module declares both sides in guests too) */
static int vm_host_trace(const ts_traceset *set)
{
    static const char *const host_events[] = {"kvm_x86_entry", "kvm_entry"};
    for (size_t i = 0; i < ts_traceset_count(set); i++)
        for (size_t k = 0; k < sizeof host_events / sizeof host_events[0]; k++)
            if (ts_trace_has_event(ts_traceset_trace(set, i), host_events[k])) return (int)i;
    return -1;
}

static const char *tname(const ts_traceset *set, size_t i)
{
    return ts_trace_name(ts_traceset_trace(set, i));
}

static const char *dur(int64_t ns, char *buf)
{
    return ts_format_duration(ns, buf, 32);
}

static void print_traces(const ts_traceset *set, const ts_sync *s)
{
    size_t n = ts_traceset_count(set);
    bool pw = ts_sync_get_method(s) == TS_SYNC_METHOD_PIECEWISE;
    int w = 5;
    for (size_t i = 0; i < n; i++)
        if ((int)strlen(tname(set, i)) > w) w = (int)strlen(tname(set, i));
    printf("%-*s  %-11s  %12s  %14s  %12s  %7s  %9s  %s\n", w, "trace", "quality", "drift (ppm)",
           "offset@start", "error bound", "matches", pw ? "segments" : "hull O/R",
           "path to reference");
    for (size_t i = 0; i < n; i++) {
        ts_sync_trace_info ti;
        ts_sync_trace(s, i, &ti);
        char b1[32], b2[32], hull[32] = "-", matches[32] = "-";
        const char *q = ti.is_reference ? "reference"
                        : !ti.reachable ? "unreached"
                                        : ts_sync_quality_name(ti.quality);
        if (ti.pair >= 0) {
            ts_sync_pair_info pi;
            ts_sync_pair(s, (size_t)ti.pair, &pi);
            snprintf(matches, sizeof matches, "%llu", (unsigned long long)pi.matches);
            if (pw)
                snprintf(hull, sizeof hull, "%zu", ti.segments);
            else
                snprintf(hull, sizeof hull, "%zu/%zu", pi.hull_upper, pi.hull_lower);
        }
        printf("%-*s  %-11s  %12.6f  %14s  %12s  %7s  %9s  ", w, tname(set, i), q, ti.drift_ppm,
               dur(ti.offset_at_start_ns, b1),
               ti.error_bound_ns >= 0 ? dur(ti.error_bound_ns, b2) : "unbounded", matches, hull);
        if (!ti.reachable) {
            if (ti.quality == TS_SYNC_ABSENT)
                printf("(no path: identity)\n");
            else /* it has links, none usable: say the best of them */
                printf("(no path: identity; best link %s)\n", ts_sync_quality_name(ti.quality));
            continue;
        }
        for (size_t j = 0; j < ti.path_len; j++)
            printf("%s%s", j ? " -> " : "", tname(set, ti.path[j]));
        printf("\n");
    }
    if (!pw) return;
    /* matches with hosts off the path: the map is refitted when some would go negative */
    bool head = false;
    for (size_t i = 0; i < n; i++) {
        ts_sync_trace_info ti;
        ts_sync_trace(s, i, &ti);
        if (!ti.cross_matches) continue;
        if (!head)
            printf("matches with hosts off the path (the map is refitted to them, within its own "
                   "bounds, when some would receive before their send):\n");
        head = true;
        printf("  %-*s  %llu matches, %llu receive before send\n", w, tname(set, i),
               (unsigned long long)ti.cross_matches, (unsigned long long)ti.cross_unmet);
    }
}

static void print_pairs(const ts_traceset *set, const ts_sync *s)
{
    printf("\nhost pairs (R = the host id that sorts first; T_O = alpha * T_R + beta):\n");
    for (size_t i = 0; i < ts_sync_pair_count(s); i++) {
        ts_sync_pair_info p;
        ts_sync_pair(s, i, &p);
        char b1[32];
        printf("  %s (R) <-> %s (O): %s%s, %llu matches (%llu O->R, %llu R->O), %llu used, "
               "hulls %zu/%zu points\n",
               tname(set, p.ref_trace), tname(set, p.other_trace),
               ts_sync_quality_name(p.hull_quality), p.in_tree ? "" : " (not on a path)",
               (unsigned long long)p.matches, (unsigned long long)p.o_to_r,
               (unsigned long long)p.r_to_o, (unsigned long long)p.used, p.hull_upper,
               p.hull_lower);
        printf("    alpha %s  beta %s\n", p.alpha, p.beta);
        printf("    slope bounds: max %s  min %s", p.alpha_max[0] ? p.alpha_max : "none",
               p.alpha_min[0] ? p.alpha_min : "none");
        if (p.accuracy >= 0) printf("  accuracy (max - min) %.6g", p.accuracy);
        if (p.hull_error_bound_ns >= 0) printf("  error bound %s", dur(p.hull_error_bound_ns, b1));
        printf("\n");
        if (p.hull_quality == TS_SYNC_FAIL) {
            char tb[48];
            printf("    FAIL: no line fits every match: the bounds crossed at match %llu of this "
                   "pair (time %s on %s); the formula is the last consistent one\n",
                   (unsigned long long)p.fail_match, ts_format_time(p.fail_time_ns, tb, sizeof tb),
                   tname(set, p.ref_trace));
        }
    }
}

/* piecewise: per pair, the segments, where they break, their bounds, the outliers */
static void print_segments(const ts_traceset *set, const ts_sync *s, size_t max_seg)
{
    for (size_t i = 0; i < ts_sync_pair_count(s); i++) {
        ts_sync_pair_info p;
        ts_sync_pair(s, i, &p);
        char b1[32], b2[32], tb[48];
        printf("\n%s (R) <-> %s (O): piecewise %s, %zu segment%s", tname(set, p.ref_trace),
               tname(set, p.other_trace), ts_sync_quality_name(p.quality), p.segments,
               p.segments == 1 ? "" : "s");
        if (p.segments)
            printf(", largest bounds: O clock -%s / +%s from the map",
                   p.max_below_ns >= 0 ? dur(p.max_below_ns, b1) : "unbounded",
                   p.max_above_ns >= 0 ? dur(p.max_above_ns, b2) : "unbounded");
        printf("\n");
        if (p.outliers || p.conflicts)
            printf("  left out: %llu isolated impossible match%s, %llu match%s no continuous "
                   "increasing map fits\n",
                   (unsigned long long)p.outliers, p.outliers == 1 ? "" : "es",
                   (unsigned long long)p.conflicts, p.conflicts == 1 ? "" : "es");
        size_t no = ts_sync_pair_outlier_count(s, i);
        for (size_t k = 0; k < no && (!max_seg || k < max_seg); k++) {
            ts_sync_outlier o;
            ts_sync_pair_outlier(s, i, k, &o);
            const char *src = tname(set, o.o_to_r ? p.other_trace : p.ref_trace);
            const char *dst = tname(set, o.o_to_r ? p.ref_trace : p.other_trace);
            printf("    %s %s -> %s sent %s (own clock): latency once corrected %s\n",
                   o.conflict ? "conflict" : "outlier ", src, dst,
                   ts_format_time(o.send_ns, tb, sizeof tb), dur(o.latency_ns, b1));
        }
        if (max_seg && no > max_seg) printf("    ... %zu more\n", no - max_seg);
        if (!p.segments) continue;
        printf("  %-4s  %-22s  %-22s  %8s  %14s  %12s  %12s\n", "seg", "from (R time)",
               "last match (R time)", "matches", "slope-1 (ppm)", "below", "above");
        for (size_t j = 0; j < p.segments; j++) {
            if (max_seg && j == max_seg / 2 && p.segments > max_seg) {
                printf("  ... %zu more\n", p.segments - max_seg);
                j = p.segments - (max_seg - max_seg / 2) - 1;
                continue;
            }
            ts_sync_segment_info g;
            ts_sync_pair_segment(s, i, j, &g);
            char t1[48] = "(start)", t2[48] = "-";
            if (g.start_ns != INT64_MIN) ts_format_time(g.start_ns, t1, sizeof t1);
            if (g.o_to_r + g.r_to_o) ts_format_time(g.last_match_ns, t2, sizeof t2);
            printf("  %-4zu  %-22s  %-22s  %8llu  %14.6f  %12s  %12s%s\n", j, t1, t2,
                   (unsigned long long)(g.o_to_r + g.r_to_o), g.drift_ppm,
                   g.max_below_ns >= 0 ? dur(g.max_below_ns, b1) : "unbounded",
                   g.max_above_ns >= 0 ? dur(g.max_above_ns, b2) : "unbounded",
                   g.bridge ? "  (bridges a clock step)" : "");
        }
    }
}

static void print_formulas(const ts_formulas *f)
{
    printf("\nformulas (T_ref = slope * T + offset_ns, T in the trace's own ns):\n");
    for (size_t i = 0; i < ts_formulas_count(f); i++) {
        ts_formula_info fi;
        ts_formulas_get(f, i, &fi);
        printf("  %s: T_ref = %s * T + %s", fi.name, fi.slope, fi.offset_ns);
        if (fi.nsegments)
            printf("  (the best single line; the map itself: %zu segments in FORMULAS.json)",
                   fi.nsegments);
        printf("\n");
    }
}

/* receive before send once corrected, per ordered pair of traces */
static int print_violations(const ts_traceset *set, const ts_formulas *f, const run_ctx *c)
{
    size_t n = ts_traceset_count(set);
    ts_sync_violations *v = calloc(n * n, sizeof *v);
    if (!v) return -1;
    for (size_t i = 0; i < c->nk; i++) {
        ts_match m;
        memset(&m, 0, sizeof m);
        m.src_trace = c->k[i].src;
        m.dst_trace = c->k[i].dst;
        ts_error err;
        if (ts_formulas_map(f, tname(set, m.src_trace), c->k[i].send, &m.send_ns, &err) ||
            ts_formulas_map(f, tname(set, m.dst_trace), c->k[i].recv, &m.recv_ns, &err))
            continue;
        ts_sync_violations_add(&v[m.src_trace * n + m.dst_trace], &m);
    }
    uint64_t total = 0;
    for (size_t i = 0; i < n * n; i++) total += v[i].negative;
    printf("\nreceive before send after correction: %s%s\n", total ? "" : "none",
           c->truncated ? " (only the first matches were kept to check)" : "");
    for (size_t i = 0; i < n * n; i++) {
        if (!v[i].negative) continue;
        char b1[32], tb[48];
        printf("  %s -> %s: %llu of %llu matches, worst %s at %s (corrected send time)\n",
               tname(set, i / n), tname(set, i % n), (unsigned long long)v[i].negative,
               (unsigned long long)v[i].matches, dur(v[i].worst_ns, b1),
               ts_format_time(v[i].worst_send_ns, tb, sizeof tb));
    }
    free(v);
    return 0;
}

/* a digest of the kept matches (in the order found) */
static uint64_t kept_hash(const run_ctx *c)
{
    uint64_t h = 1469598103934665603ULL ^ c->nmatch ^ ((uint64_t)c->truncated << 63);
    for (size_t i = 0; i < c->nk; i++) {
        uint64_t v[3] = {(uint64_t)c->k[i].src << 32 | c->k[i].dst, (uint64_t)c->k[i].send,
                         (uint64_t)c->k[i].recv};
        for (int j = 0; j < 3; j++) {
            h ^= v[j];
            h *= 1099511628211ULL;
            h ^= h >> 29;
        }
    }
    return h;
}

/* the kept matches receiving before their send under formulas f */
static uint64_t count_negative(const ts_traceset *set, const ts_formulas *f, const run_ctx *c)
{
    uint64_t neg = 0;
    for (size_t i = 0; i < c->nk; i++) {
        int64_t a, b;
        ts_error err;
        if (ts_formulas_map(f, tname(set, c->k[i].src), c->k[i].send, &a, &err) ||
            ts_formulas_map(f, tname(set, c->k[i].dst), c->k[i].recv, &b, &err))
            continue;
        if (b < a) neg++;
    }
    return neg;
}

/* One synchronization: a new ts_sync over the set's traces, fed by a matching pass.
 * Returns 0 or an exit status (after printing the error). */
#define PW_PASSES 8

static int sync_pass(const char *cmd, ts_traceset *set, const ts_match_options *mo, run_ctx *ctx,
                     bool compat, bool piecewise, bool keep_outliers, bool keep_bounds, int ref,
                     ts_formulas **f)
{
    ts_error err;
    ctx->sync = ts_sync_new(compat ? TS_SYNC_COMPAT_TRACECOMPASS : TS_SYNC_DEFAULT);
    if (!ctx->sync) {
        err.code = TS_ERR_NOMEM;
        snprintf(err.msg, sizeof err.msg, "out of memory");
        return cli_error(cmd, &err);
    }
    if (piecewise && ts_sync_set_method(ctx->sync, TS_SYNC_METHOD_PIECEWISE, &err))
        return cli_error(cmd, &err);
    ts_sync_set_outliers(ctx->sync, !keep_outliers);
    ts_sync_keep_bounds(ctx->sync, keep_bounds);
    for (size_t i = 0; i < ts_traceset_count(set); i++) {
        const ts_trace *t = ts_traceset_trace(set, i);
        int64_t tb, te;
        trace_range(t, &tb, &te);
        if (ts_sync_add_trace(ctx->sync, ts_trace_name(t), ts_trace_path(t), ts_trace_host_id(t),
                              tb, te, &err))
            return cli_error(cmd, &err);
    }
    if (ts_match_run(set, mo, on_match, ctx, NULL, &err)) {
        cli_print_diags(cmd, set);
        return cli_error(cmd, &err);
    }
    if (ctx->st) return cli_error(cmd, &ctx->err);
    if (ts_sync_solve(ctx->sync, ref, f, &err)) return cli_error(cmd, &err);
    return 0;
}

int cmd_sync(int argc, char **argv)
{
    static const struct option opts[] = {
        {"reference", required_argument, 0, 'r'},
        {"compat", required_argument, 0, 'c'},
        {"output", required_argument, 0, 'o'},
        {"begin", required_argument, 0, 'b'},
        {"end", required_argument, 0, 'e'},
        {"no-latency", no_argument, 0, 'L'},
        {"threads", required_argument, 0, 't'},
        {"method", required_argument, 0, 'm'},
        {"keep-outliers", no_argument, 0, 'K'},
        {"bounds", required_argument, 0, 'B'},
        {"max-segments", required_argument, 0, 'S'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *cmd = argv[0], *reference = NULL, *output = NULL, *b = NULL, *e = NULL;
    const char *bounds = NULL;
    bool compat = false, no_latency = false, piecewise = false, keep_outliers = false;
    unsigned threads = 0;
    size_t max_seg = 20;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            reference = optarg;
            break;
        case 'c':
            if (strcmp(optarg, "tracecompass") != 0)
                return cli_usage_error(cmd, "--compat: only 'tracecompass' is known, not '%s'",
                                       optarg);
            compat = true;
            break;
        case 'o':
            output = optarg;
            break;
        case 'b':
            b = optarg;
            break;
        case 'e':
            e = optarg;
            break;
        case 'L':
            no_latency = true;
            break;
        case 't': {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*optarg < '0' || *optarg > '9' || *end || v > 1024)
                return cli_usage_error(cmd, "--threads: expected a number, not '%s'", optarg);
            threads = (unsigned)v;
            break;
        }
        case 'm':
            if (!strcmp(optarg, "piecewise"))
                piecewise = true;
            else if (!strcmp(optarg, "hull"))
                piecewise = false;
            else
                return cli_usage_error(cmd, "--method: expected hull or piecewise, not '%s'",
                                       optarg);
            break;
        case 'K':
            keep_outliers = true;
            break;
        case 'B':
            bounds = optarg;
            break;
        case 'S': {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*optarg < '0' || *optarg > '9' || *end || v > 1000000)
                return cli_usage_error(cmd, "--max-segments: expected a number, not '%s'", optarg);
            max_seg = (size_t)v;
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        default:
            return cli_usage_error(cmd, "unknown option");
        }
    }
    if (optind >= argc) return cli_usage_error(cmd, "no trace given");
    if (piecewise && compat)
        return cli_usage_error(cmd, "--method piecewise has no --compat tracecompass mode");
    if (!piecewise && (keep_outliers || bounds))
        return cli_usage_error(cmd, "%s needs --method piecewise",
                               bounds ? "--bounds" : "--keep-outliers");

    ts_error err;
    ts_traceset *set = NULL;
    ts_formulas *f = NULL;
    run_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    int rc = 0;
    if (ts_traceset_open((const char *const *)argv + optind, (size_t)(argc - optind), &set, &err)) {
        rc = cli_error(cmd, &err);
        goto out;
    }
    int ref = -1;
    if (reference) {
        ref = ts_traceset_find(set, reference);
        if (ref < 0) {
            fprintf(stderr, "tracesync %s: --reference: no trace named '%s'; the traces are:", cmd,
                    reference);
            for (size_t t = 0; t < ts_traceset_count(set); t++)
                fprintf(stderr, " %s", tname(set, t));
            fprintf(stderr, "\n");
            rc = 2;
            goto out;
        }
    } else if (!compat) {
        ref = vm_host_trace(set);
        if (ref < 0) ref = 0;
    }
    ts_match_options mo;
    memset(&mo, 0, sizeof mo);
    mo.nthreads = threads;
    if (b || e) {
        if ((rc = cli_parse_window(cmd, set, b, e, &mo.begin_ns, &mo.end_ns))) goto out;
        mo.window = true;
    }
    /* piecewise: the events are matched again with the formulas found installed --
     * as every analysis applying them will -- which finds matches that a clock step
     * made look implausible in raw times.  Formulas under which their own matching
     * finds no receive before its send are final; else a new synchronization on
     * those matches, until a pass finds the same matches as the one before (the
     * same formulas again), at most PW_PASSES matching passes; the formulas whose
     * matching gave the fewest such matches win (ties: the later). */
    int passes = 1;
    if ((rc = sync_pass(cmd, set, &mo, &ctx, compat, piecewise, keep_outliers, bounds != NULL, ref,
                        &f)))
        goto out;
    if (piecewise) {
        ts_formulas *all[PW_PASSES] = {NULL};
        size_t nall = 0;
        ts_sync *cs = NULL;     /* the candidate: its synchronization, formulas, the matches */
        ts_formulas *cf = NULL; /* found with them installed */
        kept *ck = NULL;
        size_t cnk = 0;
        uint64_t cn = 0, cneg = UINT64_MAX;
        bool ctrunc = false;
        uint64_t prev_hash = kept_hash(&ctx);
        for (; passes < PW_PASSES; passes++) {
            ts_sync *ps = ctx.sync;
            ts_formulas *pf = f;
            uint64_t pn = ctx.nmatch;
            all[nall++] = pf;
            ctx.sync = NULL;
            f = NULL;
            ctx.nk = ctx.nmatch = 0;
            ctx.truncated = false;
            for (size_t i = 0; i < ts_traceset_count(set); i++)
                ts_traceset_set_time_map(set, i, NULL, NULL);
            rc = ts_formulas_apply(pf, set, &err) ? cli_error(cmd, &err) : 0;
            /* the latency check allows for the formulas' error bounds */
            ts_formulas_errors fe = {0};
            if (!rc && ts_formulas_errors_init(&fe, pf, set, &err)) rc = cli_error(cmd, &err);
            mo.time_error = ts_formulas_errors_at;
            mo.time_error_ctx = &fe;
            if (!rc)
                rc = sync_pass(cmd, set, &mo, &ctx, compat, piecewise, keep_outliers,
                               bounds != NULL, ref, &f);
            mo.time_error = NULL;
            mo.time_error_ctx = NULL;
            ts_formulas_errors_free(&fe);
            uint64_t neg = rc ? 0 : count_negative(set, pf, &ctx);
            if (!rc && neg <= cneg) { /* ties: the later */
                ts_sync_free(cs);
                free(ck);
                cs = ps;
                cf = pf;
                ck = ctx.k;
                cnk = ctx.nk;
                cn = pn;
                cneg = neg;
                ctrunc = ctx.truncated;
                ctx.k = NULL;
                ctx.nk = ctx.capk = 0;
            } else {
                ts_sync_free(ps);
            }
            /* the same matches as the pass before: the same formulas again */
            uint64_t hs = kept_hash(&ctx);
            bool same = hs == prev_hash;
            prev_hash = hs;
            if (rc || !neg || same || passes + 1 == PW_PASSES) {
                passes++;
                break;
            }
        }
        /* the candidate replaces the last pass */
        ts_sync_free(ctx.sync);
        free(ctx.k);
        ctx.sync = cs;
        ctx.k = ck;
        ctx.nk = ctx.capk = cnk;
        ctx.nmatch = cn;
        ctx.truncated = ctrunc;
        for (size_t i = 0; i < ts_traceset_count(set); i++) /* they point into them */
            ts_traceset_set_time_map(set, i, NULL, NULL);
        for (size_t i = 0; i < nall; i++)
            if (all[i] != cf) ts_formulas_free(all[i]);
        if (f != cf) ts_formulas_free(f);
        f = cf;
        if (rc) goto out;
    }
    printf("reference: %s   mode: %s   method: %s   matches: %llu (%llu within a host, "
           "ignored)",
           ts_formulas_reference(f), compat ? "tracecompass" : "default",
           piecewise ? "piecewise" : "hull", (unsigned long long)ctx.nmatch,
           (unsigned long long)ts_sync_same_host_matches(ctx.sync));
    if (piecewise) printf("   matching passes: %d", passes);
    printf("\n\n");
    print_traces(set, ctx.sync);
    if (piecewise) {
        printf("\nsegments per pair of hosts (R = the host id that sorts first; the map "
               "T_O = slope * T_R + offset per segment; below/above: how far the O clock may "
               "lie from the map):");
        print_segments(set, ctx.sync, max_seg);
        printf("\nthe single line per pair (the hull method's):");
    }
    print_pairs(set, ctx.sync);
    print_formulas(f);
    if (print_violations(set, f, &ctx)) {
        err.code = TS_ERR_NOMEM;
        snprintf(err.msg, sizeof err.msg, "out of memory");
        rc = cli_error(cmd, &err);
        goto out;
    }
    if (output && ts_formulas_write(f, output, &err)) {
        rc = cli_error(cmd, &err);
        goto out;
    }
    if (bounds && ts_sync_write_bounds(ctx.sync, f, bounds, &err)) {
        rc = cli_error(cmd, &err);
        goto out;
    }
    if (!no_latency) {
        /* the latency statistics without and with the formulas */
        ts_latency_options lo;
        ts_latency_result r;
        memset(&lo, 0, sizeof lo);
        memset(&r, 0, sizeof r);
        lo.match = mo;
        char *table = NULL;
        if (ts_formulas_apply(f, set, &err) || ts_latency_run(set, &lo, &r, &err)) {
            ts_latency_result_free(&r);
            rc = cli_error(cmd, &err);
            goto out;
        }
        table = ts_latency_format_table(&r, set, true);
        ts_latency_result_free(&r);
        if (table) printf("\nlatency (raw: before, corr: after the formulas):\n%s", table);
        free(table);
    }
    cli_print_diags(cmd, set);
    rc = ts_traceset_error_count(set) ? 3 : 0;
out:
    ts_traceset_free(set); /* before the formulas its time maps point to */
    ts_formulas_free(f);
    ts_sync_free(ctx.sync);
    free(ctx.k);
    return rc;
}
