/* Exact decimal arithmetic on fixed-width big integers (see dec.h). */
#include "sync/dec.h"

#include <stdio.h>
#include <string.h>

#define N TS_DEC_LIMBS
typedef unsigned __int128 u128;

static const uint64_t P10_19 = 10000000000000000000ULL;

static uint64_t pow10_u64(int k) /* k <= 19 */
{
    uint64_t p = 1;
    while (k-- > 0) p *= 10;
    return p;
}

/* ---- magnitudes ---------------------------------------------------------- */

static bool mag_is_zero(const uint64_t *a)
{
    for (int i = 0; i < N; i++)
        if (a[i]) return false;
    return true;
}

static int mag_cmp(const uint64_t *a, const uint64_t *b)
{
    for (int i = N - 1; i >= 0; i--)
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
}

/* r = a + b; returns the carry out */
static int mag_add(uint64_t *r, const uint64_t *a, const uint64_t *b)
{
    u128 c = 0;
    for (int i = 0; i < N; i++) {
        c += (u128)a[i] + b[i];
        r[i] = (uint64_t)c;
        c >>= 64;
    }
    return (int)c;
}

/* r = a - b, a >= b */
static void mag_sub(uint64_t *r, const uint64_t *a, const uint64_t *b)
{
    uint64_t borrow = 0;
    for (int i = 0; i < N; i++) {
        uint64_t x = a[i], y = b[i];
        uint64_t d = x - y - borrow;
        borrow = (x < y) || (x == y && borrow) || (x - y < borrow) ? 1 : 0;
        r[i] = d;
    }
}

/* a *= m (+ add); returns true on overflow */
static bool mag_mul_small(uint64_t *a, uint64_t m, uint64_t add)
{
    u128 c = add;
    for (int i = 0; i < N; i++) {
        c += (u128)a[i] * m;
        a[i] = (uint64_t)c;
        c >>= 64;
    }
    return c != 0;
}

/* a /= d; returns the remainder */
static uint64_t mag_div_small(uint64_t *a, uint64_t d)
{
    u128 r = 0;
    for (int i = N - 1; i >= 0; i--) {
        r = (r << 64) | a[i];
        a[i] = (uint64_t)(r / d);
        r %= d;
    }
    return (uint64_t)r;
}

/* r = a * b; true on overflow */
static bool mag_mul(uint64_t *r, const uint64_t *a, const uint64_t *b)
{
    uint64_t t[2 * N];
    memset(t, 0, sizeof t);
    for (int i = 0; i < N; i++) {
        if (!a[i]) continue;
        u128 c = 0;
        for (int j = 0; j < N; j++) {
            c += (u128)a[i] * b[j] + t[i + j];
            t[i + j] = (uint64_t)c;
            c >>= 64;
        }
        t[i + N] = (uint64_t)c;
    }
    for (int i = N; i < 2 * N; i++)
        if (t[i]) return true;
    memcpy(r, t, N * sizeof *r);
    return false;
}

static int mag_bits(const uint64_t *a)
{
    for (int i = N - 1; i >= 0; i--)
        if (a[i]) return i * 64 + 64 - __builtin_clzll(a[i]);
    return 0;
}

/* q = a / b, r = a % b (b != 0), by shift and subtract */
static void mag_divmod(uint64_t *q, uint64_t *r, const uint64_t *a, const uint64_t *b)
{
    uint64_t qq[N], rr[N];
    memset(qq, 0, sizeof qq);
    memset(rr, 0, sizeof rr);
    int nb = mag_bits(b);
    bool small = nb <= 64;
    if (small) {
        memcpy(qq, a, sizeof qq);
        rr[0] = mag_div_small(qq, b[0]);
    } else {
        for (int bit = mag_bits(a) - 1; bit >= 0; bit--) {
            /* rr = rr * 2 + bit; rr < 2b fits since b has < N*64 bits... checked by caller */
            uint64_t carry = (a[bit / 64] >> (bit % 64)) & 1;
            for (int i = 0; i < N; i++) {
                uint64_t nc = rr[i] >> 63;
                rr[i] = (rr[i] << 1) | carry;
                carry = nc;
            }
            if (mag_cmp(rr, b) >= 0) {
                mag_sub(rr, rr, b);
                qq[bit / 64] |= (uint64_t)1 << (bit % 64);
            }
        }
    }
    if (q) memcpy(q, qq, sizeof qq);
    if (r) memcpy(r, rr, sizeof rr);
}

/* a *= 10^k; true on overflow */
static bool mag_mul_pow10(uint64_t *a, int k)
{
    while (k >= 19) {
        if (mag_mul_small(a, P10_19, 0)) return true;
        k -= 19;
    }
    return k > 0 && mag_mul_small(a, pow10_u64(k), 0);
}

/* a = floor(a / 10^k); *sticky |= remainder != 0 */
static void mag_div_pow10(uint64_t *a, int k, bool *sticky)
{
    while (k >= 19) {
        if (mag_div_small(a, P10_19)) *sticky = true;
        k -= 19;
    }
    if (k > 0 && mag_div_small(a, pow10_u64(k))) *sticky = true;
}

static int mag_digits(const uint64_t *a)
{
    uint64_t t[N];
    memcpy(t, a, sizeof t);
    int d = 0;
    for (;;) {
        bool high = false;
        for (int i = 1; i < N; i++)
            if (t[i]) high = true;
        if (!high && t[0] < P10_19) break;
        mag_div_small(t, P10_19);
        d += 19;
    }
    uint64_t v = t[0];
    while (v) {
        d++;
        v /= 10;
    }
    return d;
}

/* ---- decimals ------------------------------------------------------------ */

static ts_dec dec_badval(void)
{
    ts_dec r;
    memset(&r, 0, sizeof r);
    r.bad = 1;
    return r;
}

static ts_dec dec_norm(ts_dec a)
{
    if (a.bad) return a;
    if (mag_is_zero(a.m)) {
        a.e = 0;
        a.neg = 0;
        return a;
    }
    for (;;) {
        uint64_t t[N];
        memcpy(t, a.m, sizeof t);
        if (mag_div_small(t, 10)) break;
        memcpy(a.m, t, sizeof t);
        a.e++;
    }
    return a;
}

ts_dec dec_i128(__int128 v)
{
    ts_dec r;
    memset(&r, 0, sizeof r);
    u128 u = v < 0 ? (u128)0 - (u128)v : (u128)v;
    r.m[0] = (uint64_t)u;
    r.m[1] = (uint64_t)(u >> 64);
    r.neg = v < 0;
    return dec_norm(r);
}

ts_dec dec_i64(int64_t v)
{
    return dec_i128(v);
}

ts_dec dec_neg(ts_dec a)
{
    if (!a.bad && !mag_is_zero(a.m)) a.neg ^= 1;
    return a;
}

int dec_sign(ts_dec a)
{
    if (a.bad || mag_is_zero(a.m)) return 0;
    return a.neg ? -1 : 1;
}

/* Round the magnitude m (exponent *e) to `digits` significant digits, half to
 * even; sticky says that nonzero digits were already dropped below m. */
static bool round_mag(uint64_t *m, int32_t *e, int digits, bool sticky)
{
    int nd = mag_digits(m);
    if (digits <= 0 || nd <= digits) return false; /* (sticky only used when dropping) */
    int k = nd - digits;
    mag_div_pow10(m, k - 1, &sticky);
    uint64_t d = mag_div_small(m, 10);
    *e += k;
    bool up = d > 5 || (d == 5 && (sticky || (m[0] & 1)));
    if (up && mag_mul_small(m, 1, 1)) return true;
    if (mag_digits(m) > digits) {
        mag_div_small(m, 10);
        (*e)++;
    }
    return false;
}

ts_dec dec_round(ts_dec a, int digits)
{
    if (a.bad) return a;
    if (round_mag(a.m, &a.e, digits, false)) return dec_badval();
    return dec_norm(a);
}

/* Bring a and b to the same exponent (the smaller); false on overflow. */
static bool align(ts_dec *a, ts_dec *b)
{
    if (a->e > b->e) {
        if (mag_mul_pow10(a->m, a->e - b->e)) return false;
        a->e = b->e;
    } else if (b->e > a->e) {
        if (mag_mul_pow10(b->m, b->e - a->e)) return false;
        b->e = a->e;
    }
    return true;
}

ts_dec dec_add(ts_dec a, ts_dec b)
{
    if (a.bad || b.bad) return dec_badval();
    if (mag_is_zero(a.m)) return b;
    if (mag_is_zero(b.m)) return a;
    if (!align(&a, &b)) return dec_badval();
    ts_dec r = a;
    if (a.neg == b.neg) {
        if (mag_add(r.m, a.m, b.m)) return dec_badval();
    } else if (mag_cmp(a.m, b.m) >= 0) {
        mag_sub(r.m, a.m, b.m);
    } else {
        mag_sub(r.m, b.m, a.m);
        r.neg = b.neg;
    }
    return dec_norm(r);
}

ts_dec dec_sub(ts_dec a, ts_dec b)
{
    return dec_add(a, dec_neg(b));
}

ts_dec dec_mul(ts_dec a, ts_dec b, int digits)
{
    if (a.bad || b.bad) return dec_badval();
    ts_dec r;
    memset(&r, 0, sizeof r);
    if (mag_mul(r.m, a.m, b.m)) return dec_badval();
    r.e = a.e + b.e;
    r.neg = a.neg ^ b.neg;
    return dec_round(dec_norm(r), digits);
}

ts_dec dec_div(ts_dec a, ts_dec b, int digits)
{
    if (a.bad || b.bad || mag_is_zero(b.m) || digits <= 0) return dec_badval();
    if (mag_is_zero(a.m)) return dec_i64(0);
    int na = mag_digits(a.m), nb = mag_digits(b.m);
    int k = digits + nb - na + 1;
    if (k < 0) k = 0;
    ts_dec num = a;
    if (mag_mul_pow10(num.m, k)) return dec_badval();
    /* shift-subtract needs one spare bit for the running remainder */
    if (mag_bits(num.m) >= N * 64 - 1 || mag_bits(b.m) >= N * 64 - 1) return dec_badval();
    ts_dec r;
    memset(&r, 0, sizeof r);
    uint64_t rem[N];
    mag_divmod(r.m, rem, num.m, b.m);
    r.e = a.e - k - b.e;
    r.neg = a.neg ^ b.neg;
    if (round_mag(r.m, &r.e, digits, !mag_is_zero(rem))) return dec_badval();
    return dec_norm(r);
}

ts_dec dec_half(ts_dec a)
{
    if (a.bad) return a;
    if (mag_mul_small(a.m, 5, 0)) return dec_badval();
    a.e -= 1;
    return dec_norm(a);
}

int dec_cmp(ts_dec a, ts_dec b)
{
    if (a.bad || b.bad) return 0;
    int sa = dec_sign(a), sb = dec_sign(b);
    if (sa != sb) return sa < sb ? -1 : 1;
    if (sa == 0) return 0;
    /* same sign: compare magnitudes by adjusted exponent, then aligned */
    int aa = mag_digits(a.m) + a.e, ab = mag_digits(b.m) + b.e;
    int c;
    if (aa != ab) {
        c = aa < ab ? -1 : 1;
    } else {
        if (!align(&a, &b)) return 0; /* cannot happen: same adjusted exponent */
        c = mag_cmp(a.m, b.m);
    }
    return sa < 0 ? -c : c;
}

bool dec_is_one(ts_dec a)
{
    return dec_cmp(a, dec_i64(1)) == 0 && !a.bad;
}

const char *dec_format(ts_dec a, char *buf, size_t size)
{
    if (a.bad) {
        snprintf(buf, size, "NaN");
        return buf;
    }
    char digits[TS_DEC_STR_MAX];
    int nd = 0;
    uint64_t t[N];
    memcpy(t, a.m, sizeof t);
    /* digits in reverse */
    do {
        uint64_t chunk = mag_div_small(t, P10_19);
        bool more = !mag_is_zero(t);
        for (int i = 0; i < 19 && (more || chunk); i++) {
            digits[nd++] = (char)('0' + chunk % 10);
            chunk /= 10;
        }
        if (!more) break;
    } while (1);
    if (nd == 0) digits[nd++] = '0';
    char out[2 * TS_DEC_STR_MAX];
    size_t o = 0;
    if (a.neg) out[o++] = '-';
    int intdigits = nd + a.e; /* digits before the point */
    if (a.e >= 0) {
        for (int i = nd - 1; i >= 0; i--) out[o++] = digits[i];
        for (int i = 0; i < a.e && o < sizeof out - 2; i++) out[o++] = '0';
    } else if (intdigits > 0) {
        for (int i = nd - 1; i >= 0; i--) {
            out[o++] = digits[i];
            if (i == -a.e && i > 0) out[o++] = '.';
        }
    } else {
        out[o++] = '0';
        out[o++] = '.';
        for (int i = 0; i < -intdigits && o < sizeof out - 2; i++) out[o++] = '0';
        for (int i = nd - 1; i >= 0 && o < sizeof out - 1; i--) out[o++] = digits[i];
    }
    out[o] = '\0';
    snprintf(buf, size, "%s", out);
    return buf;
}

bool dec_parse(const char *s, ts_dec *out)
{
    ts_dec r;
    memset(&r, 0, sizeof r);
    const char *p = s;
    if (*p == '+' || *p == '-') r.neg = *p++ == '-';
    int sig = 0, ndig = 0, frac = 0;
    bool point = false;
    for (;; p++) {
        if (*p >= '0' && *p <= '9') {
            ndig++;
            if (sig > 0 || *p != '0') sig++;
            if (sig > 150) return false;
            mag_mul_small(r.m, 10, (uint64_t)(*p - '0'));
            if (point) frac++;
        } else if (*p == '.' && !point) {
            point = true;
        } else {
            break;
        }
    }
    if (ndig == 0) return false;
    long ex = 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        int eneg = 0;
        if (*p == '+' || *p == '-') eneg = *p++ == '-';
        if (*p < '0' || *p > '9') return false;
        while (*p >= '0' && *p <= '9') {
            ex = ex * 10 + (*p++ - '0');
            if (ex > 1000) return false;
        }
        if (eneg) ex = -ex;
    }
    if (*p) return false;
    ex -= frac;
    if (ex < -300 || ex > 300) return false;
    r.e = (int32_t)ex;
    r = dec_norm(r);
    if (!mag_is_zero(r.m) && (mag_digits(r.m) + r.e > 160 || r.e < -200)) return false;
    *out = r;
    return true;
}

static bool dec_to_i128(ts_dec a, bool ceil_, __int128 *out)
{
    if (a.bad) return false;
    bool sticky = false;
    if (a.e > 0) {
        if (a.e > 19 * 2 || mag_mul_pow10(a.m, a.e)) return false;
    } else if (a.e < 0) {
        mag_div_pow10(a.m, -a.e, &sticky);
    }
    /* magnitude truncated; adjust toward -inf (floor) or +inf (ceil) */
    if (sticky && (ceil_ ? !a.neg : a.neg) && mag_mul_small(a.m, 1, 1)) return false;
    for (int i = 2; i < N; i++)
        if (a.m[i]) return false;
    u128 u = ((u128)a.m[1] << 64) | a.m[0];
    if (u >> 126) return false; /* keep |v| < 2^126 */
    *out = a.neg ? -(__int128)u : (__int128)u;
    return true;
}

static bool dec_to_int(ts_dec a, bool ceil_, int64_t *out)
{
    __int128 v;
    if (!dec_to_i128(a, ceil_, &v) || v > INT64_MAX || v < INT64_MIN) return false;
    *out = (int64_t)v;
    return true;
}

bool dec_floor_i64(ts_dec a, int64_t *out)
{
    return dec_to_int(a, false, out);
}

bool dec_ceil_i64(ts_dec a, int64_t *out)
{
    return dec_to_int(a, true, out);
}

double dec_to_double(ts_dec a)
{
    char buf[TS_DEC_STR_MAX * 2];
    double d = 0;
    sscanf(dec_format(a, buf, sizeof buf), "%lf", &d);
    return d;
}

void lin_compose(ts_dec a1, ts_dec b1, ts_dec a2, ts_dec b2, int digits, ts_dec *a, ts_dec *b)
{
    *a = dec_mul(a1, a2, digits);
    *b = dec_add(dec_mul(a1, b2, digits), b1);
}

void lin_invert(ts_dec a, ts_dec b, int digits, ts_dec *ia, ts_dec *ib)
{
    *ia = dec_div(dec_i64(1), a, digits);
    *ib = dec_div(dec_neg(b), a, digits);
}

/* ---- fast exact linear maps ---------------------------------------------- */

/* floor part q and fraction frac*2^128 of x */
static bool split_fraction(ts_dec x, __int128 *q, u128 *frac)
{
    if (!dec_to_i128(x, false, q)) return false;
    ts_dec r = dec_sub(x, dec_i128(*q)); /* in [0, 1) */
    if (r.bad) return false;
    if (mag_is_zero(r.m)) {
        *frac = 0;
        return true;
    }
    /* r = m * 10^e with e < 0: frac = floor(m * 2^128 / 10^-e) */
    uint64_t num[N], den[N], quo[N];
    memcpy(num, r.m, sizeof num);
    if (mag_bits(num) + 128 >= N * 64 - 1) return false;
    memmove(num + 2, num, (N - 2) * sizeof *num);
    num[0] = num[1] = 0;
    memset(den, 0, sizeof den);
    den[0] = 1;
    if (mag_mul_pow10(den, -r.e) || mag_bits(den) >= N * 64 - 1) return false;
    mag_divmod(quo, NULL, num, den);
    *frac = ((u128)quo[1] << 64) | quo[0];
    return true;
}

bool linmap_init(ts_linmap *lm, ts_dec slope, ts_dec offset)
{
    memset(lm, 0, sizeof *lm);
    lm->slope = slope;
    lm->offset = offset;
    if (slope.bad || offset.bad) return false;
    __int128 qs;
    /* the slope's integer part fits int64 (so qs * t fits __int128); the offset's
     * may be far larger (steep or flat maps at epoch scale) */
    if (!split_fraction(slope, &qs, &lm->F) || qs > INT64_MAX || qs < INT64_MIN) return false;
    lm->qs = (int64_t)qs;
    return split_fraction(offset, &lm->qo, &lm->G) && lm->qo < ((__int128)1 << 125) &&
           lm->qo > -((__int128)1 << 125);
}

bool linmap_eval_exact(ts_dec slope, ts_dec offset, int64_t t, int64_t *out)
{
    return dec_floor_i64(dec_add(dec_mul(slope, dec_i64(t), 0), offset), out);
}

bool linmap_eval(const ts_linmap *lm, int64_t t, int64_t *out)
{
    if (t < 0) return linmap_eval_exact(lm->slope, lm->offset, t, out);
    uint64_t ut = (uint64_t)t;
    /* A = F*t + G as a 192-bit number hi:lo */
    u128 p0 = (u128)(uint64_t)lm->F * ut;
    u128 p1 = (u128)(uint64_t)(lm->F >> 64) * ut;
    u128 s1 = p0 + (p1 << 64);
    u128 hi = (p1 >> 64) + (s1 < p0);
    u128 s2 = s1 + lm->G;
    hi += s2 < s1;
    /* the true fraction sum lies in [A, A + t + 1): undecided if that crosses 2^128 */
    if (s2 > ~(u128)0 - (u128)ut - 1) return linmap_eval_exact(lm->slope, lm->offset, t, out);
    __int128 r = (__int128)lm->qs * t + lm->qo + (__int128)hi;
    if (r > INT64_MAX || r < INT64_MIN) return false;
    *out = (int64_t)r;
    return true;
}
