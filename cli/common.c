/* Helpers the subcommands share: time windows, diagnostics, corrections. */
#include "cli.h"
#include "tracesync/sync.h"
#include "tracesync/timefmt.h"
#include "tracesync/traceset.h"

#include <stdio.h>
#include <stdlib.h>

int cli_parse_window(const char *cmd, ts_traceset *set, const char *b, const char *e, int64_t *wb,
                     int64_t *we)
{
    int64_t start, end;
    ts_traceset_time_range(set, &start, &end);
    *wb = INT64_MIN;
    *we = INT64_MAX;
    ts_error err;
    bool rel;
    if (b) {
        if (ts_parse_time(b, wb, &rel, &err)) return cli_error(cmd, &err);
        if (rel) *wb += start;
    }
    if (e) {
        if (ts_parse_time(e, we, &rel, &err)) return cli_error(cmd, &err);
        if (rel) *we += start;
    }
    if (*wb > *we) return cli_usage_error(cmd, "--begin is after --end");
    return 0;
}

void cli_print_diags(const char *cmd, const ts_traceset *set)
{
    for (size_t i = 0; i < ts_traceset_diag_count(set); i++)
        fprintf(stderr, "tracesync %s: %s\n", cmd, ts_traceset_diag(set, i));
}

int cli_load_formulas(const char *cmd, const struct ts_traceset *set, const char *formulas,
                      const char *const *offsets, size_t noffsets, struct ts_formulas **out)
{
    ts_error err;
    ts_formulas *f = NULL;
    *out = NULL;
    if (!formulas && !noffsets) return 0;
    if (formulas) {
        if (ts_formulas_read(formulas, &f, &err)) return cli_error(cmd, &err);
    } else if (!(f = ts_formulas_new())) {
        return cli_usage_error(cmd, "out of memory");
    }
    for (size_t i = 0; i < noffsets; i++)
        if (ts_formulas_add_offset_arg(f, set, offsets[i], &err)) {
            ts_formulas_free(f);
            return cli_usage_error(cmd, "--offset: %s", err.msg);
        }
    *out = f;
    return 0;
}

int cli_push_arg(const char ***v, size_t *n, const char *s)
{
    const char **p = realloc(*v, (*n + 1) * sizeof *p);
    if (!p) return -1;
    *v = p;
    (*v)[(*n)++] = s;
    return 0;
}
