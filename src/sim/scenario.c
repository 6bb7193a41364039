/* Scenario files: a line-oriented, commented format (see docs/cli-simulate.md).
 *
 *   sim duration=5s seed=1
 *   machine host0 role=host cpus=4
 *   machine guest1 role=guest host=host0 vcpus=2 pin=0,1
 *   clock guest1 offset=-35us drift=+12ppm
 *   link host0 guest1 min=10us mean=60us
 *   tcp guest1 host0 rate=200/s
 *
 * Every error names the file and line. */
#include "sim/scenario.h"
#include "tracesync/timefmt.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1000000000LL

typedef struct parser {
    const char *file;
    int line;
    ts_sim_scenario *s;
    ts_error *err;
} parser;

static ts_status perr(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static ts_status perr(parser *p, const char *fmt, ...)
{
    char msg[TS_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ts_error_set(p->err, TS_ERR_FORMAT, "%s:%d: %s", p->file, p->line, msg);
}

/* ---- value parsers --------------------------------------------------------- */

ts_status ts_sim_parse_decimal(const char *s, int decimals, uint64_t *out, ts_error *err)
{
    const char *p = s;
    uint64_t ip = 0, frac = 0;
    int fd = 0, digits = 0;
    if (*p == '+') p++;
    while (isdigit((unsigned char)*p)) {
        if (ip > (UINT64_MAX - 9) / 10) goto bad;
        ip = ip * 10 + (uint64_t)(*p++ - '0');
        digits++;
    }
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) {
            if (fd >= decimals) {
                if (*p != '0') goto bad;
            } else {
                frac = frac * 10 + (uint64_t)(*p - '0');
                fd++;
            }
            p++;
            digits++;
        }
    }
    if (!digits || *p) goto bad;
    uint64_t scale = 1;
    for (int i = 0; i < decimals; i++) scale *= 10;
    for (int i = fd; i < decimals; i++) frac *= 10;
    if (ip > (UINT64_MAX - frac) / scale) goto bad;
    *out = ip * scale + frac;
    return TS_OK;
bad:
    return ts_error_set(err, TS_ERR_ARG,
                        "'%s': expected a non-negative decimal number with at most %d decimals", s,
                        decimals);
}

static int parse_dur(parser *p, const char *key, const char *v, int64_t *out, int allow_neg)
{
    ts_error e;
    if (ts_parse_duration(v, out, &e) != TS_OK) {
        perr(p, "%s=%s: expected a duration such as 250ns, 10us, 1.5ms, 2s, 5min, 1h, 3d", key, v);
        return -1;
    }
    if (!allow_neg && *out < 0) {
        perr(p, "%s=%s: expected a non-negative duration", key, v);
        return -1;
    }
    return 0;
}

static int parse_uint(parser *p, const char *key, const char *v, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi) {
        perr(p, "%s=%s: expected an integer from %ld to %ld", key, v, lo, hi);
        return -1;
    }
    *out = (int)x;
    return 0;
}

/* "0.3" or "30%" -> ppm of one. */
static int parse_fraction(parser *p, const char *key, const char *v, uint32_t *ppm)
{
    char buf[64];
    size_t n = strlen(v);
    uint64_t x;
    if (n && n < sizeof buf && v[n - 1] == '%') {
        memcpy(buf, v, n - 1);
        buf[n - 1] = 0;
        if (ts_sim_parse_decimal(buf, 4, &x, NULL) != TS_OK || x > 1000000) goto bad;
        *ppm = (uint32_t)x;
        return 0;
    }
    if (ts_sim_parse_decimal(v, 6, &x, NULL) != TS_OK || x > 1000000) goto bad;
    *ppm = (uint32_t)x;
    return 0;
bad:
    perr(p, "%s=%s: expected a fraction from 0 to 1 (0.25) or a percentage (25%%)", key, v);
    return -1;
}

/* "+12ppm", "-3.5ppm", "300ppb", "12" (ppm) -> parts per billion. */
static int parse_ppb(parser *p, const char *key, const char *v, int64_t *ppb)
{
    char buf[64];
    int neg = 0;
    const char *q = v;
    if (*q == '+' || *q == '-') neg = *q++ == '-';
    size_t n = strlen(q);
    int unit_ppb = 0;
    if (n > 3 && !strcmp(q + n - 3, "ppb")) {
        unit_ppb = 1;
        n -= 3;
    } else if (n > 3 && !strcmp(q + n - 3, "ppm")) {
        n -= 3;
    }
    if (!n || n >= sizeof buf) goto bad;
    memcpy(buf, q, n);
    buf[n] = 0;
    uint64_t x;
    if (ts_sim_parse_decimal(buf, unit_ppb ? 0 : 3, &x, NULL) != TS_OK || x > 200000000ULL)
        goto bad;
    *ppb = neg ? -(int64_t)x : (int64_t)x;
    return 0;
bad:
    perr(p, "%s=%s: expected a drift such as +12ppm, -3.5ppm or 300ppb (at most 200000ppm)", key,
         v);
    return -1;
}

/* "200/s", "5/min", "1/h", "2.5k/s", "1000" (per second) -> mean interval in ns. */
static int parse_rate(parser *p, const char *key, const char *v, int64_t *interval)
{
    char buf[64];
    size_t n = strcspn(v, "/");
    if (!n || n >= sizeof buf) goto bad;
    memcpy(buf, v, n);
    buf[n] = 0;
    uint64_t mult = 1;
    if (n > 1 && (buf[n - 1] == 'k' || buf[n - 1] == 'M')) {
        mult = buf[n - 1] == 'k' ? 1000 : 1000000;
        buf[n - 1] = 0;
    }
    uint64_t cnt;
    if (ts_sim_parse_decimal(buf, 3, &cnt, NULL) != TS_OK || cnt == 0) goto bad;
    int64_t unit = NS_PER_S;
    if (v[n] == '/') {
        const char *u = v + n + 1;
        if (!strcmp(u, "s"))
            unit = NS_PER_S;
        else if (!strcmp(u, "ms"))
            unit = NS_PER_S / 1000;
        else if (!strcmp(u, "min"))
            unit = 60 * NS_PER_S;
        else if (!strcmp(u, "h"))
            unit = 3600 * NS_PER_S;
        else if (!strcmp(u, "d"))
            unit = 86400 * NS_PER_S;
        else
            goto bad;
    }
    /* interval = unit / (cnt/1000 * mult) */
    unsigned __int128 num = (unsigned __int128)unit * 1000;
    unsigned __int128 den = (unsigned __int128)cnt * mult;
    unsigned __int128 iv = num / den;
    if (iv < 1 || iv > (unsigned __int128)INT64_MAX) goto bad;
    *interval = (int64_t)iv;
    return 0;
bad:
    perr(p, "%s=%s: expected a rate such as 200/s, 5/min, 2.5k/s or 1000", key, v);
    return -1;
}

static int parse_size(parser *p, const char *key, const char *v, int64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || end == v) goto bad;
    unsigned long long m = 1;
    if (!strcmp(end, "") || !strcmp(end, "B"))
        m = 1;
    else if (!strcmp(end, "KiB") || !strcmp(end, "K") || !strcmp(end, "k"))
        m = 1024;
    else if (!strcmp(end, "MiB") || !strcmp(end, "M"))
        m = 1024 * 1024;
    else
        goto bad;
    if (x > (1ULL << 40) / m) goto bad;
    *out = (int64_t)(x * m);
    return 0;
bad:
    perr(p, "%s=%s: expected a size such as 4096, 64KiB or 1MiB", key, v);
    return -1;
}

static int parse_bool(parser *p, const char *key, const char *v, int *out)
{
    if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1")) {
        *out = 1;
    } else if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0")) {
        *out = 0;
    } else {
        perr(p, "%s=%s: expected on or off", key, v);
        return -1;
    }
    return 0;
}

/* days since 1970-01-01 of a civil date (H. Hinnant's algorithm) */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* "2024-03-15T10:00:00Z", "2024-03-15" or seconds since the epoch ("1710496800"). */
static int parse_start(parser *p, const char *v, int64_t *out)
{
    int Y, M, D, h = 0, mi = 0, se = 0, n = 0;
    if (sscanf(v, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &Y, &M, &D, &h, &mi, &se, &n) == 6 && !v[n]) {
    } else if ((n = 0, sscanf(v, "%4d-%2d-%2d%n", &Y, &M, &D, &n) == 3) && !v[n]) {
        h = mi = se = 0;
    } else {
        int64_t ns;
        char buf[64];
        snprintf(buf, sizeof buf, "%s%s", v, strpbrk(v, "smhd") ? "" : "s");
        if (ts_parse_duration(buf, &ns, NULL) == TS_OK && ns >= 0) {
            *out = ns;
            return 0;
        }
        perr(p, "start=%s: expected a date (2024-03-15T10:00:00Z) or seconds since the epoch", v);
        return -1;
    }
    if (Y < 1971 || Y > 2200 || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || mi > 59 ||
        se > 60) {
        perr(p, "start=%s: date out of range", v);
        return -1;
    }
    *out = ((days_from_civil(Y, M, D) * 86400) + h * 3600 + mi * 60 + se) * NS_PER_S;
    return 0;
}

static int find_machine(const ts_sim_scenario *s, const char *name)
{
    for (int i = 0; i < s->nmachines; i++)
        if (!strcmp(s->m[i].name, name)) return i;
    return -1;
}

static int need_machine(parser *p, const char *name)
{
    int i = find_machine(p->s, name);
    if (i < 0) perr(p, "unknown machine '%s' (declare it with a 'machine' line first)", name);
    return i;
}

/* ---- line handlers --------------------------------------------------------- */

#define MAXTOK 64

typedef struct kv {
    char *key, *val;
} kv;

/* Split "key=value" options; positional arguments come first. */
static int split_options(parser *p, char **tok, int ntok, int npos, kv *opt, int *nopt)
{
    *nopt = 0;
    for (int i = npos; i < ntok; i++) {
        char *eq = strchr(tok[i], '=');
        if (!eq) {
            /* bare flags */
            opt[*nopt].key = tok[i];
            opt[*nopt].val = NULL;
        } else {
            *eq = 0;
            opt[*nopt].key = tok[i];
            opt[*nopt].val = eq + 1;
        }
        (*nopt)++;
    }
    return 0;
}

static int need_val(parser *p, const kv *o)
{
    if (!o->val || !*o->val) {
        perr(p, "option '%s' needs a value (%s=...)", o->key, o->key);
        return -1;
    }
    return 0;
}

static int unknown_opt(parser *p, const char *what, const char *key, const char *known)
{
    perr(p, "unknown option '%s' for %s (expected one of: %s)", key, what, known);
    return -1;
}

static int do_sim(parser *p, char **tok, int ntok)
{
    kv opt[MAXTOK];
    int nopt;
    split_options(p, tok, ntok, 1, opt, &nopt);
    for (int i = 0; i < nopt; i++) {
        kv *o = &opt[i];
        if (need_val(p, o)) return -1;
        if (!strcmp(o->key, "duration")) {
            if (parse_dur(p, o->key, o->val, &p->s->duration, 0)) return -1;
            if (p->s->duration <= 0) return perr(p, "duration must be positive"), -1;
        } else if (!strcmp(o->key, "start")) {
            if (parse_start(p, o->val, &p->s->start_epoch)) return -1;
        } else if (!strcmp(o->key, "seed")) {
            char *end;
            errno = 0;
            unsigned long long x = strtoull(o->val, &end, 0);
            if (errno || *end || end == o->val)
                return perr(p, "seed=%s: expected an unsigned integer", o->val), -1;
            p->s->seed = x;
        } else if (!strcmp(o->key, "name")) {
            snprintf(p->s->name, sizeof p->s->name, "%s", o->val);
        } else {
            return unknown_opt(p, "sim", o->key, "duration, start, seed, name");
        }
    }
    return 0;
}

static int valid_name(const char *s)
{
    if (!*s || strlen(s) >= SCN_NAME_MAX) return 0;
    for (const char *q = s; *q; q++)
        if (!isalnum((unsigned char)*q) && *q != '-' && *q != '_' && *q != '.') return 0;
    return 1;
}

static int parse_pin(parser *p, const char *v, scn_machine *m)
{
    const char *q = v;
    m->npin = 0;
    while (*q) {
        char *end;
        long a = strtol(q, &end, 10);
        if (end == q || a < 0 || a >= SCN_MAX_CPUS) goto bad;
        long b = a;
        if (*end == '-') {
            q = end + 1;
            b = strtol(q, &end, 10);
            if (end == q || b < a || b >= SCN_MAX_CPUS) goto bad;
        }
        for (long c = a; c <= b; c++) {
            if (m->npin >= SCN_MAX_CPUS) goto bad;
            m->pin[m->npin++] = (int)c;
        }
        q = end;
        if (*q == ',')
            q++;
        else if (*q)
            goto bad;
    }
    if (!m->npin) goto bad;
    return 0;
bad:
    perr(p, "pin=%s: expected host CPU numbers such as 0,1 or 2-5", v);
    return -1;
}

static int do_machine(parser *p, char **tok, int ntok)
{
    ts_sim_scenario *s = p->s;
    if (ntok < 2) return perr(p, "expected: machine NAME role=host|guest|machine ..."), -1;
    if (!valid_name(tok[1]))
        return perr(p, "machine name '%s': expected letters, digits, '-', '_' or '.' (at most %d)",
                    tok[1], SCN_NAME_MAX - 1),
               -1;
    if (find_machine(s, tok[1]) >= 0) return perr(p, "machine '%s' declared twice", tok[1]), -1;
    if (s->nmachines >= SCN_MAX_MACHINES)
        return perr(p, "too many machines (at most %d)", SCN_MAX_MACHINES), -1;
    scn_machine *m = &s->m[s->nmachines];
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", tok[1]);
    m->line = p->line;
    m->role = (sim_role)-1;
    m->host = -1;
    m->ncpus = 0;
    m->load_ppm = (uint32_t)-1;
    m->burst = -1;
    m->rate = -1;
    m->exits = 300000;
    m->tick = 4000000;
    m->vmsync = 1;
    m->vmsync_cpu = 0;
    m->uptime = -1;
    m->packet_size = 1 << 20;
    m->clock.follow = -1;
    int cpus_set = 0;
    kv opt[MAXTOK];
    int nopt;
    split_options(p, tok, ntok, 2, opt, &nopt);
    for (int i = 0; i < nopt; i++) {
        kv *o = &opt[i];
        if (need_val(p, o)) return -1;
        if (!strcmp(o->key, "role")) {
            if (!strcmp(o->val, "host"))
                m->role = ROLE_HOST;
            else if (!strcmp(o->val, "guest"))
                m->role = ROLE_GUEST;
            else if (!strcmp(o->val, "machine"))
                m->role = ROLE_MACHINE;
            else
                return perr(p, "role=%s: expected host, guest or machine", o->val), -1;
        } else if (!strcmp(o->key, "cpus") || !strcmp(o->key, "vcpus")) {
            if (parse_uint(p, o->key, o->val, 1, SCN_MAX_CPUS, &m->ncpus)) return -1;
            cpus_set = 1;
        } else if (!strcmp(o->key, "host")) {
            int h = need_machine(p, o->val);
            if (h < 0) return -1;
            if (s->m[h].role != ROLE_HOST)
                return perr(p, "host=%s: that machine is not role=host", o->val), -1;
            m->host = h;
        } else if (!strcmp(o->key, "pin")) {
            if (parse_pin(p, o->val, m)) return -1;
        } else if (!strcmp(o->key, "hostname")) {
            snprintf(m->hostname, sizeof m->hostname, "%s", o->val);
        } else if (!strcmp(o->key, "kernel")) {
            snprintf(m->kernel, sizeof m->kernel, "%s", o->val);
        } else if (!strcmp(o->key, "events")) {
            if (!strcmp(o->val, "full"))
                m->small_events = 0;
            else if (!strcmp(o->val, "small"))
                m->small_events = 1;
            else
                return perr(p, "events=%s: expected full or small", o->val), -1;
        } else if (!strcmp(o->key, "load")) {
            if (parse_fraction(p, o->key, o->val, &m->load_ppm)) return -1;
        } else if (!strcmp(o->key, "burst")) {
            if (parse_dur(p, o->key, o->val, &m->burst, 0)) return -1;
            if (m->burst < 1000) return perr(p, "burst must be at least 1us"), -1;
        } else if (!strcmp(o->key, "rate")) {
            if (parse_rate(p, o->key, o->val, &m->rate)) return -1;
        } else if (!strcmp(o->key, "exits")) {
            if (parse_dur(p, o->key, o->val, &m->exits, 0)) return -1;
            if (m->exits < 2000) return perr(p, "exits must be at least 2us"), -1;
        } else if (!strcmp(o->key, "tick")) {
            if (parse_dur(p, o->key, o->val, &m->tick, 0)) return -1;
            if (m->tick < 100000) return perr(p, "tick must be at least 100us"), -1;
        } else if (!strcmp(o->key, "vmsync")) {
            if (parse_bool(p, o->key, o->val, &m->vmsync)) return -1;
        } else if (!strcmp(o->key, "vmsync_cpu")) {
            if (parse_uint(p, o->key, o->val, 0, SCN_MAX_CPUS - 1, &m->vmsync_cpu)) return -1;
        } else if (!strcmp(o->key, "entry_vcpu_id")) {
            if (!strcmp(o->val, "index"))
                m->entry_vcpu_id_pointer = 0;
            else if (!strcmp(o->val, "pointer"))
                m->entry_vcpu_id_pointer = 1;
            else
                return perr(p, "entry_vcpu_id=%s: expected index or pointer", o->val), -1;
        } else if (!strcmp(o->key, "uptime")) {
            if (parse_dur(p, o->key, o->val, &m->uptime, 0)) return -1;
        } else if (!strcmp(o->key, "packet")) {
            if (parse_size(p, o->key, o->val, &m->packet_size)) return -1;
            if (m->packet_size < 4096 || m->packet_size % 4096 || m->packet_size > (64 << 20))
                return perr(p, "packet=%s: expected a multiple of 4KiB up to 64MiB", o->val), -1;
        } else {
            return unknown_opt(p, "machine", o->key,
                               "role, cpus, vcpus, host, pin, hostname, kernel, events, load, "
                               "burst, rate, exits, tick, vmsync, vmsync_cpu, entry_vcpu_id, "
                               "uptime, packet");
        }
    }
    if ((int)m->role < 0)
        return perr(p, "machine %s: missing role=host|guest|machine", m->name), -1;
    if (m->role == ROLE_GUEST) {
        if (m->host < 0) return perr(p, "guest %s: missing host=HOST", m->name), -1;
        if (!cpus_set) m->ncpus = 1;
        if (!m->npin) {
            /* default: vCPU threads spread over the host's CPUs */
            m->npin = s->m[m->host].ncpus;
            for (int c = 0; c < m->npin; c++) m->pin[c] = c;
        }
        for (int c = 0; c < m->npin; c++)
            if (m->pin[c] >= s->m[m->host].ncpus)
                return perr(p, "pin: host %s has only %d CPUs", s->m[m->host].name,
                            s->m[m->host].ncpus),
                       -1;
        if (m->vmsync_cpu >= m->ncpus)
            return perr(p, "vmsync_cpu=%d: guest %s has %d vCPUs", m->vmsync_cpu, m->name,
                        m->ncpus),
                   -1;
    } else {
        if (m->host >= 0) return perr(p, "host= is only for role=guest"), -1;
        if (m->npin) return perr(p, "pin= is only for role=guest"), -1;
        if (!cpus_set) m->ncpus = 2;
    }
    if (!m->hostname[0]) memcpy(m->hostname, m->name, strlen(m->name) + 1);
    if (m->load_ppm == (uint32_t)-1) m->load_ppm = m->role == ROLE_GUEST ? 200000 : 150000;
    if (m->burst < 0) m->burst = m->role == ROLE_GUEST ? 400000 : 250000;
    if (m->rate < 0) m->rate = 2000; /* 500k events per busy second */
    s->nmachines++;
    return 0;
}

/* A clock's timed list, "TIME:VALUE[,TIME:VALUE...]" (v, the value of key): each item
 * goes to `item` with its time and value texts. */
typedef int (*timed_item)(parser *p, const char *v, const char *at, const char *val,
                          scn_machine *m);
static int parse_timed(parser *p, const char *key, const char *what, const char *v, timed_item item,
                       scn_machine *m)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", v);
    char *save = NULL;
    for (char *it = strtok_r(buf, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(it, ':');
        if (!colon) return perr(p, "%s=%s: expected TIME:%s[,TIME:%s...]", key, v, what, what), -1;
        *colon = 0;
        if (item(p, v, it, colon + 1, m)) return -1;
    }
    return 0;
}

/* slew=10s:+5ppm,20s:-2ppm */
static int slew_item(parser *p, const char *v, const char *at, const char *val, scn_machine *m)
{
    if (m->clock.nslews >= SCN_MAX_CLOCK_EVENTS) return perr(p, "too many slews"), -1;
    sim_clock_slew *sl = &m->slews[m->clock.nslews];
    if (parse_dur(p, "slew", at, &sl->at, 0) || parse_ppb(p, "slew", val, &sl->ppb)) return -1;
    if (m->clock.nslews && sl->at <= m->slews[m->clock.nslews - 1].at)
        return perr(p, "slew times must increase"), -1;
    m->clock.nslews++;
    return 0;
}

/* step=8s:400us,20s:1500us */
static int step_item(parser *p, const char *v, const char *at, const char *val, scn_machine *m)
{
    if (m->clock.nsteps >= SCN_MAX_CLOCK_EVENTS) return perr(p, "too many steps"), -1;
    sim_clock_step *st = &m->steps[m->clock.nsteps];
    if (parse_dur(p, "step", at, &st->at, 0) || parse_dur(p, "step", val, &st->delta, 1)) return -1;
    if (st->delta <= 0)
        return perr(p,
                    "step=%s: a monotonic clock only steps forward (use slew= or osc= to "
                    "bring it back)",
                    v),
               -1;
    if (st->at <= 0) return perr(p, "step time must be after the start"), -1;
    if (m->clock.nsteps && st->at <= m->steps[m->clock.nsteps - 1].at)
        return perr(p, "step times must increase"), -1;
    m->clock.nsteps++;
    return 0;
}

/* "A/B" or "A/B/C" durations. */
static int parse_durs(parser *p, const char *key, const char *v, int64_t *d, int n, int need)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", v);
    char *save = NULL;
    int k = 0;
    for (char *it = strtok_r(buf, "/", &save); it; it = strtok_r(NULL, "/", &save)) {
        if (k >= n) goto bad;
        if (parse_dur(p, key, it, &d[k], 0)) return -1;
        k++;
    }
    if (k < need) goto bad;
    return k;
bad:
    perr(p, "%s=%s: expected %d to %d durations separated by '/'", key, v, need, n);
    return -1;
}

static int do_clock(parser *p, char **tok, int ntok)
{
    if (ntok < 2) return perr(p, "expected: clock MACHINE offset=... drift=..."), -1;
    int mi = need_machine(p, tok[1]);
    if (mi < 0) return -1;
    scn_machine *m = &p->s->m[mi];
    if (m->has_clock)
        return perr(p, "clock of %s given twice (line %d)", m->name, m->clock_line), -1;
    m->has_clock = 1;
    m->clock_line = p->line;
    sim_clock_spec *c = &m->clock;
    memset(c, 0, sizeof *c);
    c->follow = -1;
    c->slews = m->slews;
    c->steps = m->steps;
    kv opt[MAXTOK];
    int nopt;
    split_options(p, tok, ntok, 2, opt, &nopt);
    for (int i = 0; i < nopt; i++) {
        kv *o = &opt[i];
        if (need_val(p, o)) return -1;
        int64_t d[3];
        if (!strcmp(o->key, "offset")) {
            if (parse_dur(p, o->key, o->val, &c->offset, 1)) return -1;
        } else if (!strcmp(o->key, "drift")) {
            if (parse_ppb(p, o->key, o->val, &c->drift_ppb)) return -1;
        } else if (!strcmp(o->key, "slew")) {
            if (parse_timed(p, "slew", "DRIFT", o->val, slew_item, m)) return -1;
        } else if (!strcmp(o->key, "step")) {
            if (parse_timed(p, "step", "DELTA", o->val, step_item, m)) return -1;
        } else if (!strcmp(o->key, "wander")) {
            int k = parse_durs(p, o->key, o->val, d, 2, 1);
            if (k < 0) return -1;
            c->wander = d[0];
            c->wander_interval = k > 1 ? d[1] : 64 * NS_PER_S;
            if (c->wander_interval < 1000000)
                return perr(p, "wander interval must be at least 1ms"), -1;
        } else if (!strcmp(o->key, "osc")) {
            int k = parse_durs(p, o->key, o->val, d, 3, 2);
            if (k < 0) return -1;
            c->osc_amp = d[0];
            c->osc_period = d[1];
            c->osc_snap = k > 2 ? d[2] : d[1] / 10;
            if (c->osc_period < 2000000 || c->osc_snap <= 0 || c->osc_snap >= c->osc_period)
                return perr(p,
                            "osc=%s: expected AMPLITUDE/PERIOD[/SNAP] with PERIOD >= 2ms and "
                            "0 < SNAP < PERIOD",
                            o->val),
                       -1;
        } else if (!strcmp(o->key, "follow")) {
            int f = need_machine(p, o->val);
            if (f < 0) return -1;
            if (f == mi) return perr(p, "a clock cannot follow itself"), -1;
            c->follow = f;
        } else if (!strcmp(o->key, "jitter")) {
            int k = parse_durs(p, o->key, o->val, d, 2, 1);
            if (k < 0) return -1;
            c->jitter = d[0];
            c->jitter_interval = k > 1 ? d[1] : NS_PER_S;
            if (c->jitter_interval < 1000000)
                return perr(p, "jitter interval must be at least 1ms"), -1;
        } else {
            return unknown_opt(p, "clock", o->key,
                               "offset, drift, slew, step, wander, osc, follow, jitter");
        }
    }
    return 0;
}

static int parse_latency_opts(parser *p, kv *opt, int nopt, scn_latency *l)
{
    for (int i = 0; i < nopt; i++) {
        kv *o = &opt[i];
        if (need_val(p, o)) return -1;
        if (!strcmp(o->key, "min")) {
            if (parse_dur(p, o->key, o->val, &l->min, 0)) return -1;
        } else if (!strcmp(o->key, "mean")) {
            if (parse_dur(p, o->key, o->val, &l->mean, 0)) return -1;
        } else if (!strcmp(o->key, "tail")) {
            char buf[128];
            snprintf(buf, sizeof buf, "%s", o->val);
            char *colon = strchr(buf, ':');
            if (!colon) return perr(p, "tail=%s: expected PROBABILITY:SCALE (1%%:2ms)", o->val), -1;
            *colon = 0;
            if (parse_fraction(p, o->key, buf, &l->tail_ppm) ||
                parse_dur(p, o->key, colon + 1, &l->tail_scale, 0))
                return -1;
        } else if (!strcmp(o->key, "tailmax")) {
            if (parse_dur(p, o->key, o->val, &l->tail_max, 0)) return -1;
        } else if (!strcmp(o->key, "loss")) {
            if (parse_fraction(p, o->key, o->val, &l->loss_ppm)) return -1;
        } else {
            return unknown_opt(p, "link", o->key, "min, mean, tail, tailmax, loss");
        }
    }
    if (l->min < 1000) return perr(p, "link: min must be at least 1us"), -1;
    if (l->mean < l->min) return perr(p, "link: mean must be at least min"), -1;
    if (l->tail_max < l->min)
        l->tail_max = l->min + 1000 * (l->tail_scale ? l->tail_scale : l->mean);
    l->set = 1;
    return 0;
}

/* Default one-way latencies between two machines by role. */
static scn_latency default_latency(sim_role from, sim_role to, int same_host)
{
    scn_latency l = {0};
    l.set = 1;
    if (from == ROLE_HOST && to == ROLE_GUEST && same_host) {
        l.min = 10000, l.mean = 60000, l.tail_ppm = 5000, l.tail_scale = 200000;
    } else if (from == ROLE_GUEST && to == ROLE_HOST && same_host) {
        l.min = 5000, l.mean = 35000, l.tail_ppm = 5000, l.tail_scale = 150000;
    } else if (from == ROLE_GUEST && to == ROLE_GUEST && same_host) {
        l.min = 15000, l.mean = 80000, l.tail_ppm = 5000, l.tail_scale = 250000;
    } else {
        l.min = 30000, l.mean = 120000, l.tail_ppm = 10000, l.tail_scale = 400000;
    }
    l.tail_max = 20000000;
    return l;
}

static scn_latency pair_default(const ts_sim_scenario *s, int a, int b)
{
    const scn_machine *ma = &s->m[a], *mb = &s->m[b];
    int same = (ma->role == ROLE_GUEST && mb->role == ROLE_GUEST && ma->host == mb->host) ||
               (ma->role == ROLE_GUEST && ma->host == b) ||
               (mb->role == ROLE_GUEST && mb->host == a);
    return default_latency(ma->role, mb->role, same);
}

static int do_link(parser *p, char **tok, int ntok)
{
    if (ntok < 2) return perr(p, "expected: link A B ... or link A->B ..."), -1;
    int a, b, both;
    char *arrow = strstr(tok[1], "->");
    int npos;
    if (arrow) {
        *arrow = 0;
        a = need_machine(p, tok[1]);
        if (a < 0) return -1;
        b = need_machine(p, arrow + 2);
        both = 0;
        npos = 2;
    } else {
        if (ntok < 3) return perr(p, "expected: link A B ... or link A->B ..."), -1;
        a = need_machine(p, tok[1]);
        if (a < 0) return -1;
        b = need_machine(p, tok[2]);
        both = 1;
        npos = 3;
    }
    if (b < 0) return -1;
    if (a == b) return perr(p, "a link joins two different machines"), -1;
    kv opt[MAXTOK];
    int nopt;
    split_options(p, tok, ntok, npos, opt, &nopt);
    scn_latency l = p->s->lat[a][b].set ? p->s->lat[a][b] : pair_default(p->s, a, b);
    if (parse_latency_opts(p, opt, nopt, &l)) return -1;
    p->s->lat[a][b] = l;
    if (both) p->s->lat[b][a] = l;
    return 0;
}

static int do_flow(parser *p, char **tok, int ntok, scn_flow_kind kind)
{
    static const char *const names[] = {"tcp", "udp", "ping", "noise"};
    if (ntok < 3) return perr(p, "expected: %s FROM TO [options]", names[kind]), -1;
    int a = need_machine(p, tok[1]);
    if (a < 0) return -1;
    int b = need_machine(p, tok[2]);
    if (b < 0) return -1;
    if (a == b) return perr(p, "%s: FROM and TO must differ", names[kind]), -1;
    ts_sim_scenario *s = p->s;
    scn_flow *nf = realloc(s->flows, (size_t)(s->nflows + 1) * sizeof *nf);
    if (!nf) return ts_error_set(p->err, TS_ERR_NOMEM, "out of memory"), -1;
    s->flows = nf;
    scn_flow *f = &s->flows[s->nflows];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->a = a;
    f->b = b;
    f->line = p->line;
    f->interval = kind == FLOW_PING ? NS_PER_S : kind == FLOW_NOISE ? NS_PER_S / 2 : NS_PER_S / 100;
    f->req = kind == FLOW_UDP ? 120 : 200;
    f->resp = 1200;
    f->service = 40000;
    f->port = (uint16_t)(kind == FLOW_UDP ? 5353 : 5000 + s->nflows);
    f->start = f->stop = -1;
    kv opt[MAXTOK];
    int nopt;
    split_options(p, tok, ntok, 3, opt, &nopt);
    for (int i = 0; i < nopt; i++) {
        kv *o = &opt[i];
        if (!strcmp(o->key, "ipv6") && !o->val && kind != FLOW_NOISE) {
            f->ipv6 = 1;
            continue;
        }
        if (!strcmp(o->key, "reply") && !o->val && kind == FLOW_UDP) {
            f->reply = 1;
            continue;
        }
        if (need_val(p, o)) return -1;
        int v;
        if (!strcmp(o->key, "rate") && kind != FLOW_PING) {
            if (parse_rate(p, o->key, o->val, &f->interval)) return -1;
        } else if (!strcmp(o->key, "interval") && kind == FLOW_PING) {
            if (parse_dur(p, o->key, o->val, &f->interval, 0)) return -1;
            if (f->interval < 1000000) return perr(p, "interval must be at least 1ms"), -1;
        } else if ((!strcmp(o->key, "req") || !strcmp(o->key, "size")) &&
                   (kind == FLOW_TCP || kind == FLOW_UDP)) {
            if (parse_uint(p, o->key, o->val, 1, kind == FLOW_UDP ? 1400 : 1 << 20, &v)) return -1;
            f->req = (uint32_t)v;
        } else if (!strcmp(o->key, "resp") && kind == FLOW_TCP) {
            if (parse_uint(p, o->key, o->val, 1, 1 << 20, &v)) return -1;
            f->resp = (uint32_t)v;
        } else if (!strcmp(o->key, "service") && kind == FLOW_TCP) {
            if (parse_dur(p, o->key, o->val, &f->service, 0)) return -1;
        } else if (!strcmp(o->key, "pattern") && kind == FLOW_TCP) {
            if (!strcmp(o->val, "rpc"))
                f->stream = 0;
            else if (!strcmp(o->val, "stream"))
                f->stream = 1;
            else
                return perr(p, "pattern=%s: expected rpc or stream", o->val), -1;
        } else if (!strcmp(o->key, "port") && (kind == FLOW_TCP || kind == FLOW_UDP)) {
            if (parse_uint(p, o->key, o->val, 1, 65535, &v)) return -1;
            f->port = (uint16_t)v;
        } else if (!strcmp(o->key, "start") && kind == FLOW_TCP) {
            if (parse_dur(p, o->key, o->val, &f->start, 0)) return -1;
        } else if (!strcmp(o->key, "stop") && kind == FLOW_TCP) {
            if (parse_dur(p, o->key, o->val, &f->stop, 0)) return -1;
        } else if (!strcmp(o->key, "noheader") && kind != FLOW_NOISE) {
            if (parse_fraction(p, o->key, o->val, &f->noheader_ppm)) return -1;
        } else {
            static const char *const known[] = {
                "rate, req, resp, service, pattern, port, start, stop, noheader, ipv6",
                "rate, size, port, noheader, reply, ipv6", "interval, noheader, ipv6", "rate"};
            return unknown_opt(p, names[kind], o->key, known[kind]);
        }
    }
    if (f->start >= 0 && f->stop >= 0 && f->stop <= f->start)
        return perr(p, "tcp: stop must come after start"), -1;
    s->nflows++;
    return 0;
}

static int do_stress(parser *p, char **tok, int ntok)
{
    ts_sim_scenario *s = p->s;
    scn_stress *ns = realloc(s->stress, (size_t)(s->nstress + 1) * sizeof *ns);
    if (!ns) return ts_error_set(p->err, TS_ERR_NOMEM, "out of memory"), -1;
    s->stress = ns;
    scn_stress *w = &s->stress[s->nstress];
    memset(w, 0, sizeof *w);
    w->from = -1;
    w->to = -1;
    w->latency_x100 = 100;
    w->line = p->line;
    kv opt[MAXTOK];
    int nopt;
    split_options(p, tok, ntok, 1, opt, &nopt);
    for (int i = 0; i < nopt; i++) {
        kv *o = &opt[i];
        if (need_val(p, o)) return -1;
        if (!strcmp(o->key, "from")) {
            if (parse_dur(p, o->key, o->val, &w->from, 0)) return -1;
        } else if (!strcmp(o->key, "to")) {
            if (parse_dur(p, o->key, o->val, &w->to, 0)) return -1;
        } else if (!strcmp(o->key, "latency")) {
            uint64_t x;
            const char *v = o->val[0] == 'x' ? o->val + 1 : o->val;
            if (ts_sim_parse_decimal(v, 2, &x, NULL) != TS_OK || x < 1 || x > 100000)
                return perr(p, "latency=%s: expected a multiplier such as x20 or x1.5", o->val), -1;
            w->latency_x100 = (uint32_t)x;
        } else if (!strcmp(o->key, "load")) {
            if (parse_fraction(p, o->key, o->val, &w->load_ppm)) return -1;
        } else {
            return unknown_opt(p, "stress", o->key, "from, to, latency, load");
        }
    }
    if (w->from < 0 || w->to <= w->from)
        return perr(p, "stress: expected from=TIME to=TIME with to > from"), -1;
    s->nstress++;
    return 0;
}

static int parse_line(parser *p, char *line)
{
    char *hash = strchr(line, '#');
    if (hash) *hash = 0;
    char *tok[MAXTOK];
    int ntok = 0;
    char *save = NULL;
    for (char *t = strtok_r(line, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
        if (ntok == MAXTOK) return perr(p, "too many words on one line"), -1;
        tok[ntok++] = t;
    }
    if (!ntok) return 0;
    const char *d = tok[0];
    if (!strcmp(d, "sim")) return do_sim(p, tok, ntok);
    if (!strcmp(d, "machine")) return do_machine(p, tok, ntok);
    if (!strcmp(d, "clock")) return do_clock(p, tok, ntok);
    if (!strcmp(d, "link")) return do_link(p, tok, ntok);
    if (!strcmp(d, "tcp")) return do_flow(p, tok, ntok, FLOW_TCP);
    if (!strcmp(d, "udp")) return do_flow(p, tok, ntok, FLOW_UDP);
    if (!strcmp(d, "ping")) return do_flow(p, tok, ntok, FLOW_PING);
    if (!strcmp(d, "noise")) return do_flow(p, tok, ntok, FLOW_NOISE);
    if (!strcmp(d, "stress")) return do_stress(p, tok, ntok);
    perr(p,
         "unknown directive '%s' (expected sim, machine, clock, link, tcp, udp, ping, noise or "
         "stress)",
         d);
    return -1;
}

static ts_status finish(parser *p)
{
    ts_sim_scenario *s = p->s;
    if (!s->nmachines) {
        p->line = 0;
        return ts_error_set(p->err, TS_ERR_FORMAT, "%s: no machine declared", p->file);
    }
    /* clock follow chains must not loop */
    for (int i = 0; i < s->nmachines; i++) {
        int j = i, hops = 0;
        while (s->m[j].clock.follow >= 0 && hops <= s->nmachines) {
            j = s->m[j].clock.follow;
            hops++;
        }
        if (hops > s->nmachines) {
            p->line = s->m[i].clock_line;
            return perr(p, "clock of %s: follow= makes a loop", s->m[i].name);
        }
    }
    for (int a = 0; a < s->nmachines; a++) {
        for (int b = 0; b < s->nmachines; b++) {
            if (a == b || s->lat[a][b].set) continue;
            s->lat[a][b] = pair_default(s, a, b);
        }
    }
    for (int i = 0; i < s->nstress; i++) {
        if (s->stress[i].from >= s->duration) {
            p->line = s->stress[i].line;
            return perr(p, "stress window starts after the end (duration %" PRId64 " ns)",
                        s->duration);
        }
    }
    return TS_OK;
}

ts_status ts_sim_scenario_parse(const char *text, size_t len, const char *filename,
                                ts_sim_scenario **out, ts_error *err)
{
    *out = NULL;
    ts_sim_scenario *s = calloc(1, sizeof *s);
    if (!s) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    s->duration = 5 * NS_PER_S;
    s->start_epoch = 1710496800LL * NS_PER_S; /* 2024-03-15T10:00:00Z */
    s->seed = 1;
    snprintf(s->name, sizeof s->name, "%s", filename ? filename : "scenario");
    parser p = {filename ? filename : "<scenario>", 0, s, err};
    size_t off = 0;
    char line[4096];
    while (off < len) {
        size_t n = 0;
        while (off + n < len && text[off + n] != '\n') n++;
        p.line++;
        if (n >= sizeof line) {
            perr(&p, "line longer than %zu characters", sizeof line - 1);
            ts_sim_scenario_free(s);
            return TS_ERR_FORMAT;
        }
        memcpy(line, text + off, n);
        line[n] = 0;
        off += n + 1;
        if (memchr(line, 0, n)) {
            perr(&p, "NUL byte in the scenario text");
            ts_sim_scenario_free(s);
            return TS_ERR_FORMAT;
        }
        if (parse_line(&p, line)) {
            ts_sim_scenario_free(s);
            return err ? err->code : TS_ERR_FORMAT;
        }
    }
    if (finish(&p) != TS_OK) {
        ts_sim_scenario_free(s);
        return err ? err->code : TS_ERR_FORMAT;
    }
    *out = s;
    return TS_OK;
}

ts_status ts_sim_scenario_load(const char *path, ts_sim_scenario **out, ts_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return ts_error_set(err, TS_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 > cap) {
            cap = cap ? cap * 2 : 8192;
            if (cap > (16u << 20)) {
                free(buf);
                fclose(f);
                return ts_error_set(err, TS_ERR_FORMAT, "%s: larger than 16 MiB", path);
            }
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
            }
            buf = nb;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0) break;
    }
    int rerr = ferror(f);
    fclose(f);
    if (rerr) {
        free(buf);
        return ts_error_set(err, TS_ERR_IO, "cannot read %s", path);
    }
    ts_status st = ts_sim_scenario_parse(buf ? buf : "", len, path, out, err);
    free(buf);
    return st;
}

void ts_sim_scenario_free(ts_sim_scenario *s)
{
    if (!s) return;
    free(s->flows);
    free(s->stress);
    free(s);
}

size_t ts_sim_preset_count(void)
{
    return scn_npresets;
}

const char *ts_sim_preset_name(size_t i)
{
    return i < scn_npresets ? scn_presets[i].name : NULL;
}

const char *ts_sim_preset_summary(size_t i)
{
    return i < scn_npresets ? scn_presets[i].summary : NULL;
}

const char *ts_sim_preset_text(const char *name)
{
    for (size_t i = 0; i < scn_npresets; i++)
        if (!strcmp(scn_presets[i].name, name)) return scn_presets[i].text;
    return NULL;
}

ts_status ts_sim_scenario_preset(const char *name, ts_sim_scenario **out, ts_error *err)
{
    const char *text = ts_sim_preset_text(name);
    if (!text) {
        char list[512] = "";
        for (size_t i = 0; i < scn_npresets; i++) {
            if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
            strncat(list, scn_presets[i].name, sizeof list - strlen(list) - 1);
        }
        *out = NULL;
        return ts_error_set(err, TS_ERR_NOTFOUND, "unknown preset '%s' (expected one of: %s)", name,
                            list);
    }
    char fname[96];
    snprintf(fname, sizeof fname, "preset:%s", name);
    ts_status st = ts_sim_scenario_parse(text, strlen(text), fname, out, err);
    if (st == TS_OK) snprintf((*out)->name, sizeof(*out)->name, "%s", name);
    return st;
}
