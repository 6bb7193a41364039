/* tracesync offset: a formulas file holding constant offsets (composed onto an
 * existing one). */
#include "cli.h"
#include "tracesync/sync.h"
#include "tracesync/traceset.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: tracesync offset PATH... --offset NAME=DURATION [--offset ...]\n"
               "                        [--formulas IN.json] [-o FORMULAS.json]\n\n"
               "Write a formulas file (FORMULAS.json) that shifts trace NAME by DURATION (e.g.\n"
               "-80.3ms, 1.5us, 250ns): T_ref = T + DURATION.  With --formulas, the offsets are\n"
               "added to the formulas of IN.json, keeping their slopes.  The file can be given to\n"
               "'tracesync latency --formulas' and the other analyses.\n\n"
               "  --offset NAME=DURATION  shift trace NAME (repeatable; offsets add up)\n"
               "  --formulas FILE         start from these formulas instead of the identity\n"
               "  -o, --output FILE       write there (default: standard output)\n");
}

int cmd_offset(int argc, char **argv)
{
    static const struct option opts[] = {
        {"offset", required_argument, 0, 'O'},
        {"formulas", required_argument, 0, 'F'},
        {"output", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *cmd = argv[0], *in = NULL, *output = NULL;
    const char **offsets = calloc((size_t)argc, sizeof *offsets);
    size_t noffsets = 0;
    int c, rc = 0;
    if (!offsets) return 1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'O':
            offsets[noffsets++] = optarg;
            break;
        case 'F':
            in = optarg;
            break;
        case 'o':
            output = optarg;
            break;
        case 'h':
            usage(stdout);
            free(offsets);
            return 0;
        default:
            free(offsets);
            return cli_usage_error(cmd, "unknown option");
        }
    }
    if (optind >= argc) {
        free(offsets);
        return cli_usage_error(cmd, "no trace given");
    }
    if (!noffsets && !in) {
        free(offsets);
        return cli_usage_error(cmd, "nothing to do: give --offset NAME=DURATION");
    }
    ts_error err;
    ts_traceset *set = NULL;
    ts_formulas *f = NULL;
    if (ts_traceset_open((const char *const *)argv + optind, (size_t)(argc - optind), &set, &err)) {
        rc = cli_error(cmd, &err);
        goto out;
    }
    if (in ? ts_formulas_read(in, &f, &err) : !(f = ts_formulas_new())) {
        if (!in) {
            err.code = TS_ERR_NOMEM;
            snprintf(err.msg, sizeof err.msg, "out of memory");
        }
        rc = cli_error(cmd, &err);
        goto out;
    }
    for (size_t i = 0; i < noffsets; i++)
        if (ts_formulas_add_offset_arg(f, set, offsets[i], &err)) {
            rc = err.code == TS_ERR_NOMEM ? cli_error(cmd, &err)
                                          : cli_usage_error(cmd, "%s", err.msg);
            goto out;
        }
    /* every trace named, with what the set knows about it; the formulas' names must
     * be in the set (as 'latency --formulas' will require) */
    for (size_t i = 0; i < ts_formulas_count(f); i++) {
        ts_formula_info fi;
        ts_formulas_get(f, i, &fi);
        int t = ts_traceset_find(set, fi.name);
        if (t < 0) {
            err.code = TS_ERR_NOTFOUND;
            snprintf(err.msg, sizeof err.msg, "%s: trace '%s' is not among the traces given",
                     in ? in : "formulas", fi.name);
            rc = cli_error(cmd, &err);
            goto out;
        }
        const ts_trace *tr = ts_traceset_trace(set, (size_t)t);
        if (ts_formulas_set_info(f, fi.name, fi.path[0] ? NULL : ts_trace_path(tr),
                                 fi.host_id[0] ? NULL : ts_trace_host_id(tr),
                                 fi.quality[0] ? NULL : "offset", &err)) {
            rc = cli_error(cmd, &err);
            goto out;
        }
    }
    if (output) {
        if (ts_formulas_write(f, output, &err)) rc = cli_error(cmd, &err);
    } else {
        char *text = ts_formulas_to_json(f);
        if (!text) {
            err.code = TS_ERR_NOMEM;
            snprintf(err.msg, sizeof err.msg, "out of memory");
            rc = cli_error(cmd, &err);
            goto out;
        }
        fputs(text, stdout);
        free(text);
    }
out:
    ts_formulas_free(f);
    ts_traceset_free(set);
    free(offsets);
    return rc;
}
