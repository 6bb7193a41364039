/* Rendering decoded events as text or JSON (internal; used by `dump`). */
#ifndef TS_TRACE_EVENT_FORMAT_H
#define TS_TRACE_EVENT_FORMAT_H

#include "tracesync/traceset.h"
#include "util/strbuf.h"

/* One JSON object (no newline): {"trace","ts","name","cpu","fields"[,"context"]}. */
ts_status ts_event_format_json(const ts_traceset *set, const ts_event *ev, ts_strbuf *sb,
                               ts_error *err);
/* One text line (no newline), babeltrace-like:
 * [sec.ns] trace name: { cpu_id = N }, { field = value, ... } */
ts_status ts_event_format_text(const ts_traceset *set, const ts_event *ev, ts_strbuf *sb,
                               ts_error *err);

#endif
