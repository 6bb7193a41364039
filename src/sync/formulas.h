/* Internal formula helpers shared by the synchronization code. */
#ifndef TS_SYNC_FORMULAS_H
#define TS_SYNC_FORMULAS_H

#include "sync/dec.h"
#include "tracesync/sync.h"

/* Set a trace's linear formula from exact decimals (creating the trace). */
ts_status ts_formulas_set_dec(ts_formulas *f, const char *name, ts_dec slope, ts_dec offset,
                              ts_error *err);
/* Error bound (-1: unknown) and the path to the reference as JSON array text. */
void ts_formulas_set_extra(ts_formulas *f, const char *name, int64_t error_bound_ns,
                           const char *refpath_json);
/* Map with entry i; false if out of range. */
bool ts_formulas_entry_map(const ts_formulas *f, size_t i, int64_t t, int64_t *out);

#endif
