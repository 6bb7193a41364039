/* libFuzzer target: FORMULAS.json reading (the JSON parser, exact decimals,
 * segments).  Any input must give formulas or a clean error; formulas written
 * back and read again must map every time the same way. */
#include "tracesync/sync.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ts_error err;
    ts_formulas *f = NULL, *g = NULL;
    if (ts_formulas_parse((const char *)data, size, "fuzz", &f, &err) != TS_OK) return 0;
    char *text = ts_formulas_to_json(f);
    if (!text) abort();
    if (ts_formulas_parse(text, strlen(text), "fuzz-again", &g, &err) != TS_OK) abort();
    if (ts_formulas_count(f) != ts_formulas_count(g)) abort();
    static const int64_t ts[] = {INT64_MIN, -1, 0, 1, 1000, 1700000000000000000LL, INT64_MAX};
    for (size_t i = 0; i < ts_formulas_count(f); i++) {
        ts_formula_info fi;
        ts_formulas_get(f, i, &fi);
        for (size_t k = 0; k < sizeof ts / sizeof ts[0]; k++) {
            int64_t a = 0, b = 0;
            ts_status sa = ts_formulas_map(f, fi.name, ts[k], &a, &err);
            ts_status sb = ts_formulas_map(g, fi.name, ts[k], &b, &err);
            if (sa != sb || (sa == TS_OK && a != b)) abort();
        }
    }
    free(text);
    ts_formulas_free(f);
    ts_formulas_free(g);
    return 0;
}
