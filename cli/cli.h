/* tracesync CLI: one file per subcommand; this header declares them and the
 * few helpers they share.  The CLI only parses arguments and prints. */
#ifndef TS_CLI_H
#define TS_CLI_H

#include "tracesync/common.h"

#include <stdio.h>

/* Each subcommand: argv[0] is the subcommand name.  Returns the exit status. */
int cmd_info(int argc, char **argv);
int cmd_dump(int argc, char **argv);

/* Print "tracesync <cmd>: <message>" to stderr; returns exit status 1 (or 2 for usage). */
int cli_error(const char *cmd, const ts_error *err);
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
