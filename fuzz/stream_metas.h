/* The metadata files the stream fuzz target (and its regression test) pick
 * from with the first input byte: compact and large headers, little and big
 * endian, sequences, enums, bit-fields. Paths are relative to the repository. */
#ifndef TS_FUZZ_STREAM_METAS_H
#define TS_FUZZ_STREAM_METAS_H

static const char *const fuzz_stream_metas[] = {
    "tests/data/traces/bt-lttng-tracefile-rotation/kernel/metadata", /* compact LE, 2.10 */
    "tests/data/traces/tc-synctraces/scp_src/metadata",              /* large header, 2.1 */
    "tests/data/traces/tc-flipping-endianness/metadata",             /* big endian */
    "tests/data/traces/bt-multi-domains/kernel/metadata", /* arrays, sequences, enums, bit-fields */
};
#define FUZZ_STREAM_NMETAS (sizeof fuzz_stream_metas / sizeof fuzz_stream_metas[0])

#endif
