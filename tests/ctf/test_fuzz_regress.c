/* Inputs that once crashed a fuzz target (tests/data/fuzz-regress/): each
 * must now end in a clean result or error. */
#include "ctf/meta.h"
#include "unit.h"
#include "util/fileio.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

TEST(fuzz_regress_metadata)
{
    DIR *d = opendir("tests/data/fuzz-regress");
    CHECK(d != NULL);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, "metadata-", 9)) continue;
        char p[512];
        snprintf(p, sizeof p, "tests/data/fuzz-regress/%s", de->d_name);
        uint8_t *data;
        size_t len;
        ts_error e;
        CHECK(ts_read_file(p, &data, &len, &e) == TS_OK);
        char *text;
        size_t tl;
        if (ctf_metadata_text(data, len, p, &text, &tl, &e) == TS_OK) {
            ctf_meta *m = NULL;
            ts_status st = ctf_meta_parse(text, tl, p, &m, &e);
            CHECK(st == TS_OK || (m == NULL && e.msg[0]));
            ctf_meta_free(m);
            free(text);
        }
        free(data);
        n++;
    }
    closedir(d);
    CHECK(n >= 1);
}
