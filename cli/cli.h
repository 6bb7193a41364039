/* tracesync CLI: one file per subcommand; this header declares them and the
 * few helpers they share.  The CLI only parses arguments and prints. */
#ifndef TS_CLI_H
#define TS_CLI_H

#include "tracesync/common.h"

#include <stdio.h>

/* Each subcommand: argv[0] is the subcommand name.  Returns the exit status. */
int cmd_info(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_latency(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_offset(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_vm(int argc, char **argv);

/* Print "tracesync <cmd>: <message>" to stderr; returns exit status 1 (or 2 for usage). */
int cli_error(const char *cmd, const ts_error *err);
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parse --begin/--end (absolute, or +relative to the set's start) into
 * [*wb, *we]; unset bounds become INT64_MIN/INT64_MAX.  Returns 0 or an exit
 * status (after printing the error). */
struct ts_traceset;
int cli_parse_window(const char *cmd, struct ts_traceset *set, const char *b, const char *e,
                     int64_t *wb, int64_t *we);
/* Print the set's diagnostics (data errors, losses) to stderr. */
void cli_print_diags(const char *cmd, const struct ts_traceset *set);

/* Append s to the array *v of *n (a repeatable option's values); -1 if out of memory. */
int cli_push_arg(const char ***v, size_t *n, const char *s);

/* --formulas FILE and --offset NAME=DURATION (repeatable) into one formulas
 * object (*out NULL when neither is given).  Returns 0 or an exit status
 * (after printing the error). */
struct ts_formulas;
int cli_load_formulas(const char *cmd, const struct ts_traceset *set, const char *formulas,
                      const char *const *offsets, size_t noffsets, struct ts_formulas **out);

/* Exit statuses: 0 success, 1 error, 2 usage, 3 done but the input had data
 * errors (corrupt or truncated; reported on stderr). */

#endif
