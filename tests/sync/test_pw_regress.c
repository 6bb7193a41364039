/* Inputs that once failed the piecewise fuzz target (tests/data/fuzz-regress/
 * piecewise-*): a null memcpy, and maps that put a match without slack 1 ns on the
 * wrong side through their rounded decimals.  Each must now pass every check. */
#include "unit.h"
#include "util/fileio.h"

#include "../../fuzz/pw_input.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

TEST(fuzz_regress_piecewise)
{
    DIR *d = opendir("tests/data/fuzz-regress");
    CHECK(d != NULL);
    struct dirent *de;
    int n = 0;
    while (d && (de = readdir(d))) {
        if (strncmp(de->d_name, "piecewise-", 10)) continue;
        char p[512];
        snprintf(p, sizeof p, "tests/data/fuzz-regress/%s", de->d_name);
        uint8_t *data;
        size_t len;
        ts_error e;
        CHECK(ts_read_file(p, &data, &len, &e) == TS_OK);
        CHECK_MSG(pw_fuzz_one(data, len) == 0, "%s: check %d fails", de->d_name,
                  pw_fuzz_one(data, len));
        free(data);
        n++;
    }
    if (d) closedir(d);
    CHECK(n >= 4);
}
