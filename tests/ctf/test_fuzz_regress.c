/* Inputs that once crashed a fuzz target (tests/data/fuzz-regress/): each
 * must now end in a clean result or error. */
#include "ctf/meta.h"
#include "unit.h"
#include "util/fileio.h"

#include "../../fuzz/stream_metas.h"
#include "tracesync/traceset.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Stream inputs: byte 0 picks the metadata, the rest is one stream file. */
TEST(fuzz_regress_streams)
{
    DIR *d = opendir("tests/data/fuzz-regress");
    CHECK(d != NULL);
    char dir[] = "/tmp/ts-regress-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, "stream-", 7)) continue;
        char p[512], q[512];
        snprintf(p, sizeof p, "tests/data/fuzz-regress/%s", de->d_name);
        uint8_t *data, *md;
        size_t len, mlen;
        ts_error e;
        CHECK(ts_read_file(p, &data, &len, &e) == TS_OK);
        CHECK(len >= 1);
        CHECK(ts_read_file(fuzz_stream_metas[data[0] % FUZZ_STREAM_NMETAS], &md, &mlen, &e) ==
              TS_OK);
        snprintf(q, sizeof q, "%s/metadata", dir);
        CHECK(ts_write_file(q, md, mlen, &e) == TS_OK);
        snprintf(q, sizeof q, "%s/chan_0", dir);
        CHECK(ts_write_file(q, data + 1, len - 1, &e) == TS_OK);
        free(md);
        free(data);
        ts_traceset *set;
        const char *paths[1] = {dir};
        if (ts_traceset_open(paths, 1, &set, &e) == TS_OK) {
            ts_request *rq = ts_request_new();
            ts_request_all_events(rq);
            ts_iter *it;
            if (ts_iter_new_ex(set, rq, 1, &it, &e) == TS_OK) {
                const ts_event *ev;
                while (ts_iter_next(it, &ev, &e) == TS_OK && ev) {
                }
                ts_iter_free(it);
            }
            ts_request_free(rq);
            ts_traceset_free(set);
        }
        unlink(q);
        snprintf(q, sizeof q, "%s/metadata", dir);
        unlink(q);
        n++;
    }
    closedir(d);
    rmdir(dir);
    CHECK(n >= 1);
}
