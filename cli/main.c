/* tracesync: command-line entry point.  Dispatches to one file per subcommand. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"info", cmd_info, "describe traces: clock, streams, events, losses"},
    {"dump", cmd_dump, "print every event in time order (text or JSON lines)"},
    {"latency", cmd_latency, "match events across traces; latency statistics, CSV, SVG"},
    {"sync", cmd_sync, "clock formulas from matched events (convex hull); FORMULAS.json"},
    {"offset", cmd_offset, "write a formulas file of constant offsets per trace"},
    {"simulate", cmd_simulate, "generate host/guest traces with known clocks (truth.json)"},
    {"vm", cmd_vm, "guest events against their vCPU state on the host: clock check"},
};

int cli_error(const char *cmd, const ts_error *err)
{
    fprintf(stderr, "tracesync %s: error: %s\n", cmd,
            err->msg[0] ? err->msg : ts_status_name(err->code));
    return 1;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "tracesync %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'tracesync %s --help')\n", cmd);
    return 2;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: tracesync <command> [options] ...\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'tracesync <command> --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("tracesync %s\n", ts_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "tracesync: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
