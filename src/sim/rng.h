/* Deterministic pseudo-random numbers for the simulator (internal).
 *
 * xoshiro256** seeded through splitmix64: the same seed gives the same
 * sequence on every platform.  Distributions use integer and fixed-point
 * arithmetic only (no libm), so generated traces are byte-identical for a
 * given scenario and seed. */
#ifndef TS_SIM_RNG_H
#define TS_SIM_RNG_H

#include <stdbool.h>
#include <stdint.h>

typedef struct sim_rng {
    uint64_t s[4];
} sim_rng;

/* Seed from (seed, stream): distinct streams give independent sequences. */
void rng_seed(sim_rng *r, uint64_t seed, uint64_t stream);

static inline uint64_t rng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(sim_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rng_rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n) (n > 0). */
static inline uint64_t rng_below(sim_rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

/* Uniform in [lo, hi] (lo <= hi). */
static inline int64_t rng_range(sim_rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)rng_below(r, (uint64_t)(hi - lo) + 1);
}

/* True with probability ppm / 1e6. */
static inline bool rng_ppm(sim_rng *r, uint32_t ppm)
{
    return rng_below(r, 1000000) < ppm;
}

/* -ln(U) for U uniform in (0, 1], in Q32 fixed point. */
uint64_t rng_neglog_q32(sim_rng *r);

/* Exponential variate with the given mean (>= 0), rounded down to an integer. */
int64_t rng_exp(sim_rng *r, int64_t mean);

/* Pareto variate: scale * U^(-1/alpha) with alpha = alpha_x100 / 100, capped at max. */
int64_t rng_pareto(sim_rng *r, int64_t scale, uint32_t alpha_x100, int64_t max);

#endif
