/* Parsing and printing durations and times in integer nanoseconds. */
#include "tracesync/timefmt.h"

#include <stdio.h>
#include <string.h>

typedef struct unit_def {
    const char *name;
    int64_t ns;
    int digits; /* decimal digits allowed after the point */
} unit_def;

static const unit_def units[] = {
    {"ns", 1, 0},
    {"us", 1000, 3},
    {"\xc2\xb5s", 1000, 3},
    {"ms", 1000000, 6},
    {"s", 1000000000, 9},
    {"min", 60LL * 1000000000, 9},
    {"h", 3600LL * 1000000000, 9},
    {"d", 86400LL * 1000000000, 9},
};

ts_status ts_parse_duration(const char *s, int64_t *out_ns, ts_error *err)
{
    const char *p = s;
    int neg = 0;
    if (!s || !*s) return ts_error_set(err, TS_ERR_ARG, "empty duration");
    if (*p == '+' || *p == '-') neg = (*p++ == '-');
    /* integer and fraction digits */
    unsigned __int128 ip = 0;
    char frac[32];
    size_t nfrac = 0, nint = 0;
    while (*p >= '0' && *p <= '9') {
        ip = ip * 10 + (unsigned)(*p++ - '0');
        nint++;
        if (ip > ((unsigned __int128)1 << 100))
            return ts_error_set(err, TS_ERR_ARG, "duration '%s' is too large", s);
    }
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            if (nfrac >= sizeof frac)
                return ts_error_set(err, TS_ERR_ARG, "duration '%s' has too many digits", s);
            frac[nfrac++] = *p++;
        }
    }
    if (nint == 0 && nfrac == 0)
        return ts_error_set(err, TS_ERR_ARG,
                            "'%s' is not a duration (expected e.g. 1.5ms, -5us, 200)", s);
    const unit_def *u = &units[0];
    if (*p) {
        u = NULL;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (strcmp(p, units[i].name) == 0) u = &units[i];
        if (!u)
            return ts_error_set(err, TS_ERR_ARG,
                                "duration '%s': unknown unit '%s' (use ns, us, ms, s, min, h, d)",
                                s, p);
    }
    /* strip trailing zeros of the fraction */
    while (nfrac > 0 && frac[nfrac - 1] == '0') nfrac--;
    if ((int)nfrac > u->digits)
        return ts_error_set(err, TS_ERR_ARG, "duration '%s' is finer than a nanosecond", s);
    unsigned __int128 v = ip * (unsigned __int128)u->ns;
    int64_t scale = u->ns;
    for (size_t i = 0; i < nfrac; i++) {
        scale /= 10;
        v += (unsigned __int128)(frac[i] - '0') * (unsigned __int128)scale;
    }
    if (v > (unsigned __int128)INT64_MAX)
        return ts_error_set(err, TS_ERR_ARG, "duration '%s' does not fit in 64-bit nanoseconds", s);
    *out_ns = neg ? -(int64_t)v : (int64_t)v;
    return TS_OK;
}

ts_status ts_parse_time(const char *s, int64_t *out_ns, bool *relative, ts_error *err)
{
    if (!s || !*s) return ts_error_set(err, TS_ERR_ARG, "empty time");
    *relative = (s[0] == '+');
    ts_status st = ts_parse_duration(*relative ? s + 1 : s, out_ns, err);
    if (st) ts_error_prefix(err, "bad time '%s'", s);
    return st;
}

const char *ts_format_duration(int64_t ns, char *buf, size_t size)
{
    uint64_t a = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    const char *sign = ns < 0 ? "-" : "";
    if (a < 1000)
        snprintf(buf, size, "%s%llu ns", sign, (unsigned long long)a);
    else if (a < 1000000ULL)
        snprintf(buf, size, "%s%llu.%03llu us", sign, (unsigned long long)(a / 1000),
                 (unsigned long long)(a % 1000));
    else if (a < 1000000000ULL)
        snprintf(buf, size, "%s%llu.%03llu ms", sign, (unsigned long long)(a / 1000000),
                 (unsigned long long)(a % 1000000 / 1000));
    else
        snprintf(buf, size, "%s%llu.%03llu s", sign, (unsigned long long)(a / 1000000000),
                 (unsigned long long)(a % 1000000000 / 1000000));
    return buf;
}

const char *ts_format_time(int64_t ns, char *buf, size_t size)
{
    uint64_t a = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    snprintf(buf, size, "%s%llu.%09llu", ns < 0 ? "-" : "", (unsigned long long)(a / 1000000000),
             (unsigned long long)(a % 1000000000));
    return buf;
}
