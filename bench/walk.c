/* bench/walk: walk every event of the traces in time order (ids and
 * timestamps, no payload decoding), as `babeltrace2 -c sink.utils.dummy`
 * does; prints events, checksum and the time spent. */
#include "tracesync/traceset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
    unsigned threads = 0;
    int first = 1;
    if (argc > 2 && !strcmp(argv[1], "--threads")) {
        threads = (unsigned)atoi(argv[2]);
        first = 3;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: walk [--threads N] TRACE...\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ts_error err;
    ts_traceset *set;
    if (ts_traceset_open((const char *const *)argv + first, (size_t)(argc - first), &set, &err)) {
        fprintf(stderr, "walk: %s\n", err.msg);
        return 1;
    }
    ts_request *rq = ts_request_new();
    ts_request_all_events(rq);
    ts_iter *it;
    if (ts_iter_new_ex(set, rq, threads, &it, &err)) {
        fprintf(stderr, "walk: %s\n", err.msg);
        return 1;
    }
    const ts_event *ev;
    uint64_t n = 0, sum = 0;
    int64_t prev = INT64_MIN;
    uint64_t backwards = 0;
    while (ts_iter_next(it, &ev, &err) == TS_OK && ev) {
        n++;
        sum += (uint64_t)ev->ts ^ ev->class_index;
        if (ev->ts < prev) backwards++;
        prev = ev->ts;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("events %llu checksum %016llx backwards %llu seconds %.3f events/s %.0f\n",
           (unsigned long long)n, (unsigned long long)sum, (unsigned long long)backwards, s,
           (double)n / s);
    ts_iter_free(it);
    ts_request_free(rq);
    ts_traceset_free(set);
    return 0;
}
