/* libFuzzer target: stream decoding.  The first input byte picks the
 * metadata of one of the bundled real traces (compact and large headers,
 * little and big endian, sequences, enums, bit-fields); the rest is the content
 * of one stream file.  The trace is opened, every event is iterated and
 * fully decoded: any input must end in events or diagnostics, never a crash. */
#include "trace/event_format.h"
#include "tracesync/traceset.h"
#include "util/fileio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stream_metas.h"

#define NMETA FUZZ_STREAM_NMETAS
#define metas fuzz_stream_metas
static char dirs[NMETA][256];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *root = getenv("TS_ROOT");
    for (size_t i = 0; i < NMETA; i++) {
        snprintf(dirs[i], sizeof dirs[i], "/tmp/ts-fuzz-%d-%zu", (int)getpid(), i);
        mkdir(dirs[i], 0700);
        char src[512], dst[512];
        snprintf(src, sizeof src, "%s/%s", root ? root : ".", metas[i]);
        snprintf(dst, sizeof dst, "%s/metadata", dirs[i]);
        uint8_t *d;
        size_t n;
        ts_error e;
        if (ts_read_file(src, &d, &n, &e) != TS_OK) {
            fprintf(stderr, "fuzz_stream: %s (run from the repository root or set TS_ROOT)\n",
                    e.msg);
            abort();
        }
        ts_write_file(dst, d, n, &e);
        free(d);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const char *dir = dirs[data[0] % NMETA];
    char path[512];
    snprintf(path, sizeof path, "%s/chan_0", dir);
    ts_error e;
    if (ts_write_file(path, data + 1, size - 1, &e) != TS_OK) return 0;
    ts_traceset *set;
    const char *p[1] = {dir};
    if (ts_traceset_open(p, 1, &set, &e) != TS_OK) return 0;
    ts_request *rq = ts_request_new();
    ts_request_all_events(rq);
    ts_request_field(rq, "net_if_receive_skb", "network_header.ipv4.transport_header.tcp.seq", 0,
                     &e);
    ts_request_field(rq, "sched_switch", "next_comm", 1, &e);
    ts_iter *it;
    if (ts_iter_new_ex(set, rq, 1, &it, &e) == TS_OK) {
        const ts_event *ev;
        ts_strbuf sb;
        sb_init(&sb);
        while (ts_iter_next(it, &ev, &e) == TS_OK && ev) {
            sb_reset(&sb);
            ts_event_format_json(set, ev, &sb, &e);
        }
        sb_free(&sb);
        ts_iter_free(it);
    }
    ts_request_free(rq);
    ts_traceset_free(set);
    return 0;
}
