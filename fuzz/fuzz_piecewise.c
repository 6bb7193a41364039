/* libFuzzer target: piecewise synchronization of one pair (src/sync/pw.c) on
 * arbitrary matches: dense and sparse, drifting, stepping, contradictory (the input
 * format: pw_input.h).  Any input must give a result without a crash; the maps it
 * gives must be increasing, and every match it keeps must be consistent with them (no
 * receive before its send). */
#include "pw_input.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (pw_fuzz_one(data, size)) abort();
    return 0;
}
