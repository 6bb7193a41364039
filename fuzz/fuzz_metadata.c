/* libFuzzer target: the metadata reader (packetized or text) and the TSDL
 * parser.  Any input must give a parsed metadata or a clean error. */
#include "ctf/meta.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;
    size_t len;
    ts_error err;
    if (ctf_metadata_text(data, size, "fuzz", &text, &len, &err) != TS_OK) return 0;
    ctf_meta *m = NULL;
    if (ctf_meta_parse(text, len, "fuzz", &m, &err) == TS_OK) ctf_meta_free(m);
    free(text);
    return 0;
}
