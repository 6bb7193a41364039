/* tracesync info: placeholder until the decoder lands. */
#include "cli.h"
int cmd_info(int argc, char **argv)
{
    (void)argc;
    ts_error e = {TS_ERR_UNSUPPORTED, "not implemented yet"};
    return cli_error(argv[0], &e);
}
