/* What the simulator knows and the traces do not say (internal):
 * OUT/truth.json and OUT/truth-matches.csv. */
#ifndef TS_SIM_TRUTH_H
#define TS_SIM_TRUTH_H

#include "sim/world.h"

/* Open OUT/truth-matches.csv (when wanted) and write its header. */
ts_status truth_open(sim_world *w, const char *outdir, int matches, ts_error *err);
/* Write OUT/truth.json (after the run) and close the CSV file. */
ts_status truth_close(sim_world *w, const char *outdir, ts_error *err);

#endif
