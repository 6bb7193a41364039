/* Requests: the events and fields an analysis wants decoded. */
#include "trace/trace_impl.h"

#include <stdlib.h>
#include <string.h>

ts_request *ts_request_new(void)
{
    return calloc(1, sizeof(ts_request));
}

void ts_request_free(ts_request *rq)
{
    if (!rq) return;
    for (size_t i = 0; i < rq->nnames; i++) free(rq->names[i]);
    free(rq->names);
    for (size_t i = 0; i < rq->nfields; i++) free(rq->fields[i].path);
    free(rq->fields);
    free(rq);
}

void ts_request_all_events(ts_request *rq)
{
    rq->all = true;
}

int ts_request_event(ts_request *rq, const char *event_name)
{
    for (size_t i = 0; i < rq->nnames; i++)
        if (!strcmp(rq->names[i], event_name)) return (int)i;
    char **nn = realloc(rq->names, (rq->nnames + 1) * sizeof *nn);
    if (!nn) return -1;
    rq->names = nn;
    if (!(rq->names[rq->nnames] = strdup(event_name))) return -1;
    return (int)rq->nnames++;
}

ts_status ts_request_field(ts_request *rq, const char *event_name, const char *path, unsigned slot,
                           ts_error *err)
{
    if (slot >= TS_MAX_SLOTS)
        return ts_error_set(err, TS_ERR_ARG, "field slot %u out of range (max %d)", slot,
                            TS_MAX_SLOTS - 1);
    if (!path || !*path) return ts_error_set(err, TS_ERR_ARG, "empty field path");
    int key = ts_request_event(rq, event_name);
    if (key < 0) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    rq_field *nf = realloc(rq->fields, (rq->nfields + 1) * sizeof *nf);
    if (!nf) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    rq->fields = nf;
    rq->fields[rq->nfields].key = key;
    rq->fields[rq->nfields].slot = slot;
    if (!(rq->fields[rq->nfields].path = strdup(path)))
        return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    rq->nfields++;
    return TS_OK;
}
