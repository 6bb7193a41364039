/* Inputs that once failed the piecewise fuzz target (tests/data/fuzz-regress/
 * piecewise-*): a null memcpy, and maps that put a match without slack 1 ns on the
 * wrong side through their rounded decimals.  Each must now pass every check. */
#include "unit.h"
#include "util/fileio.h"

#include "../../fuzz/pw_input.h"

#include <glob.h>
#include <stdlib.h>

TEST(fuzz_regress_piecewise)
{
    glob_t g;
    int r = glob("tests/data/fuzz-regress/piecewise-*", 0, NULL, &g);
    CHECK(r == 0);
    if (r) return;
    CHECK(g.gl_pathc >= 4);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        uint8_t *data;
        size_t len;
        ts_error e;
        CHECK(ts_read_file(g.gl_pathv[i], &data, &len, &e) == TS_OK);
        int bad = pw_fuzz_one(data, len);
        CHECK_MSG(bad == 0, "%s: check %d fails", g.gl_pathv[i], bad);
        free(data);
    }
    globfree(&g);
}
