/* The piecewise fuzz target's input format and checks, shared with the regression
 * test that replays the inputs it once failed on (tests/data/fuzz-regress/piecewise-*).
 *
 * Input: 8 bytes per match.  Byte 0: bit 0 the direction (O->R or R->O), bits 1-2
 * how far the match's x moves on (0: up to 255 ns, 1: up to 16 us, 2: up to 4 ms,
 * 3: up to 1 s, from bytes 1-3), bit 3 a step of the clock by bytes 4-5 (signed, in
 * us), bits 4-7 the drift change (ppm, signed); bytes 6-7 the latency (ns, bit 15: a
 * corrupt one, negative).  An even size turns outlier detection on. */
#ifndef TS_FUZZ_PW_INPUT_H
#define TS_FUZZ_PW_INPUT_H

#include "sync/pw.h"

#include <stdint.h>
#include <stdlib.h>

/* 0 when every check holds; else which one failed (1: solve, 2: bounds, 3: a match
 * kept but receive-before-send through the map, 4: a map runs backwards). */
static int pw_fuzz_one(const uint8_t *data, size_t size)
{
    const int64_t t0 = 1700000000000000000LL;
    pw_pair p;
    pw_init(&p, size % 2 == 0);
    int64_t x = t0, off = 1000000, ppm = 0;
    for (size_t i = 0; i + 8 <= size && i < 8 * 20000; i += 8) {
        const uint8_t *r = data + i;
        bool o_to_r = r[0] & 1;
        int64_t dx = (int64_t)r[1] | (int64_t)r[2] << 8 | (int64_t)r[3] << 16;
        static const int shift[4] = {-16, -8, 0, 6};
        int s = shift[(r[0] >> 1) & 3];
        dx = s < 0 ? dx >> -s : dx << s;
        if (r[0] & 8) off += (int64_t)(int16_t)(r[4] | r[5] << 8) * 1000;
        ppm += (int64_t)(int8_t)(r[0] & 0xF0) / 16;
        off += dx * ppm / 1000000;
        x += dx;
        int64_t lat = (int64_t)(r[6] | (r[7] & 0x7F) << 8);
        if (r[7] & 0x80) lat = -lat;
        /* the O clock at R time t: t + off */
        if (o_to_r)
            pw_add(&p, true, x + lat, x + off); /* sent by O at x, received by R at x + lat */
        else
            pw_add(&p, false, x, x + lat + off); /* sent by R at x, received by O later */
    }
    ts_error err;
    int bad = 0;
    if (pw_solve(&p, NULL, &err) != TS_OK) bad = 1; /* only out of memory may fail */
    if (!bad && p.has_maps && !pw_bounds(&p, INT64_MIN / 4, INT64_MAX / 4, true)) bad = 2;
    if (!bad && p.has_maps) {
        /* every match kept: consistent with the map O -> R */
        for (int d = 0; d < 2 && !bad; d++) {
            const pwpt *a = d ? p.u : p.l;
            size_t n = d ? p.nu : p.nl;
            for (size_t i = 0; i < n && !bad; i++) {
                if (pw_left_out(&p, a[i], d)) continue;
                int64_t fy;
                if (!pwmap_eval(&p.fwd, a[i].y, &fy)) continue;
                if ((d ? a[i].x - fy : fy - a[i].x) < 0) bad = 3;
                int64_t lo, hi;
                pw_bound_at(&p, a[i].x, 0, &lo, &hi);
            }
        }
        /* both maps non-decreasing across every knot */
        for (int d = 0; d < 2 && !bad; d++) {
            const pwmap *m = d ? &p.fwd : &p.back;
            for (size_t i = 1; i < m->n; i++) {
                int64_t a, b;
                if (pwmap_eval(m, m->start[i] - 1, &a) && pwmap_eval(m, m->start[i], &b) && a > b)
                    bad = 4;
            }
        }
    }
    pw_free(&p);
    return bad;
}

#endif
