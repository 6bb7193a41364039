/* Exact decimal arithmetic for clock formulas (internal).
 *
 * A ts_dec is coefficient * 10^exponent with a 640-bit coefficient (about 190
 * decimal digits), enough for every value the synchronization computes: slopes
 * and offsets rounded to 34 (Trace Compass compatible) or 40 significant digits
 * and the exact sums and products of those with epoch-scale nanoseconds.
 * Operations never fail: a result that does not fit (or a division by zero) is
 * marked bad, and the mark propagates; callers check dec_bad() on final results.
 * Results are normalized (no trailing zeros in the coefficient; zero is +0).
 * Rounding is half to even, to a number of significant digits (0 = exact).
 */
#ifndef TS_SYNC_DEC_H
#define TS_SYNC_DEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TS_DEC_LIMBS         10
#define TS_DEC_COMPAT_DIGITS 34 /* Java MathContext.DECIMAL128 */
#define TS_DEC_DIGITS        40 /* our default precision */
#define TS_DEC_STR_MAX       256

typedef struct ts_dec {
    uint64_t m[TS_DEC_LIMBS]; /* magnitude of the coefficient, little-endian limbs */
    int32_t e;                /* decimal exponent */
    uint8_t neg;
    uint8_t bad;
} ts_dec;

ts_dec dec_i64(int64_t v);
ts_dec dec_i128(__int128 v);
ts_dec dec_add(ts_dec a, ts_dec b); /* exact */
ts_dec dec_sub(ts_dec a, ts_dec b); /* exact */
ts_dec dec_neg(ts_dec a);
ts_dec dec_mul(ts_dec a, ts_dec b, int digits); /* digits 0 = exact */
ts_dec dec_div(ts_dec a, ts_dec b, int digits); /* digits > 0 */
ts_dec dec_round(ts_dec a, int digits);
/* a / 2 exactly */
ts_dec dec_half(ts_dec a);
int dec_cmp(ts_dec a, ts_dec b); /* -1, 0, 1 (0 if either is bad) */
int dec_sign(ts_dec a);
static inline bool dec_bad(ts_dec a)
{
    return a.bad != 0;
}
bool dec_is_one(ts_dec a);
/* Plain decimal text ("-12.5", "0.000123", "1400"); "NaN" if bad. */
const char *dec_format(ts_dec a, char *buf, size_t size);
/* Parse [+-]digits[.digits][(e|E)[+-]digits]; false on bad syntax or size. */
bool dec_parse(const char *s, ts_dec *out);
/* floor(a) / ceil(a) as int64; false if out of range or bad. */
bool dec_floor_i64(ts_dec a, int64_t *out);
bool dec_ceil_i64(ts_dec a, int64_t *out);
/* Approximate value (for printed statistics only). */
double dec_to_double(ts_dec a);

/* Linear maps t -> a*t + b as decimal pairs, `digits` significant digits:
 * compose: (a1,b1) o (a2,b2) = (a1*a2, a1*b2 + b1), apply (a2,b2) first (products
 * rounded, the final sum exact); invert: (1/a, -b/a) (both divisions rounded). */
void lin_compose(ts_dec a1, ts_dec b1, ts_dec a2, ts_dec b2, int digits, ts_dec *a, ts_dec *b);
void lin_invert(ts_dec a, ts_dec b, int digits, ts_dec *ia, ts_dec *ib);

/* A linear map t -> floor(slope * t + offset), evaluated exactly and fast:
 * integer parts plus 128-bit binary fractions, with an exact fallback in the
 * (astronomically rare) cases the binary fractions cannot decide the floor. */
typedef struct ts_linmap {
    ts_dec slope, offset;
    int64_t qs;             /* floor part of the slope */
    __int128 qo;            /* floor part of the offset (may exceed int64) */
    unsigned __int128 F, G; /* floor(frac(slope) * 2^128), floor(frac(offset) * 2^128) */
} ts_linmap;

/* false if slope or offset are bad, the slope's integer part does not fit int64 or
 * the offset's exceeds 2^125. */
bool linmap_init(ts_linmap *lm, ts_dec slope, ts_dec offset);
/* false if the result does not fit int64. */
bool linmap_eval(const ts_linmap *lm, int64_t t, int64_t *out);
/* The same, with decimal arithmetic only (reference for tests). */
bool linmap_eval_exact(ts_dec slope, ts_dec offset, int64_t t, int64_t *out);

#endif
