/* Data-driven tests of the VM analysis: every .vmcase file of tests/vm/cases (format in
 * tests/vm/cases/README.md) is run through the plain-event API of tracesync/vm.h. */
#include "tracesync/vm.h"
#include "unit.h"

#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXTOK 64

typedef struct kv {
    char key[48];
    char val[96];
} kv;

typedef struct cev {
    int64_t t;
    uint32_t trace;
    uint32_t cpu;
    char name[64];
    kv f[8];
    int nf;
    int line;
} cev;

typedef struct ctrace {
    char name[64];
    char host_id[64];
    char kernel[32];
} ctrace;

typedef struct closs {
    uint32_t trace;
    int64_t b, e;
} closs;

typedef struct cline {
    char *buf;
    char *tok[MAXTOK];
    int ntok;
    int line;
} cline;

typedef struct ccase {
    const char *file;
    ctrace traces[16];
    int ntraces;
    cev *ev;
    int nev, capev;
    closs losses[16];
    int nlosses;
} ccase;

typedef struct bad_rec {
    size_t guest;
    uint32_t vcpu;
    int64_t ts, d;
    char event[64];
} bad_rec;

typedef struct bad_list {
    bad_rec *v;
    size_t n, cap;
} bad_list;

static void on_bad(void *ctx, const ts_vm_bad *b)
{
    bad_list *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
    }
    bad_rec *r = &l->v[l->n++];
    r->guest = b->guest;
    r->vcpu = b->vcpu;
    r->ts = b->ts;
    r->d = b->distance_ns;
    snprintf(r->event, sizeof r->event, "%s", b->event);
}

static int split(char *s, char **tok)
{
    char *h = strchr(s, '#');
    if (h) *h = 0;
    int n = 0;
    for (char *p = strtok(s, " \t\r\n"); p && n < MAXTOK; p = strtok(NULL, " \t\r\n")) tok[n++] = p;
    return n;
}

static void unescape(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (p[0] == '%' && p[1] == '2' && p[2] == '0') {
            *o++ = ' ';
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = 0;
}

static int find_trace(const ccase *c, const char *name)
{
    for (int i = 0; i < c->ntraces; i++)
        if (!strcmp(c->traces[i].name, name)) return i;
    return -1;
}

static const char *field(const cev *e, const char *key)
{
    for (int i = 0; i < e->nf; i++)
        if (!strcmp(e->f[i].key, key)) return e->f[i].val;
    return NULL;
}

static int64_t ifield(const cev *e, const char *key, int64_t def)
{
    const char *v = field(e, key);
    return v ? strtoll(v, NULL, 0) : def;
}

static void to_event(const cev *e, int64_t shift, ts_vm_event *ev)
{
    memset(ev, 0, sizeof *ev);
    bool gh = false;
    ev->ts = e->t + shift;
    ev->trace = e->trace;
    ev->cpu = e->cpu;
    ev->kind = ts_vm_event_kind_from_name(e->name, &gh);
    ev->gh = gh;
    ev->vcpu_id = ifield(e, "vcpu_id", -1);
    const char *s;
    switch (ev->kind) {
    case TS_VM_EV_SCHED_SWITCH:
        ev->tid = (int32_t)ifield(e, "prev_tid", -1);
        ev->tid2 = (int32_t)ifield(e, "next_tid", -1);
        if ((s = field(e, "prev_comm"))) ev->comm = s, ev->comm_len = strlen(s);
        if ((s = field(e, "next_comm"))) ev->comm2 = s, ev->comm2_len = strlen(s);
        break;
    case TS_VM_EV_KVM_HYPERCALL:
        ev->nr = (uint64_t)ifield(e, "nr", 0);
        ev->a0 = (uint64_t)ifield(e, "a0", 0);
        ev->a1 = (uint64_t)ifield(e, "a1", 0);
        break;
    case TS_VM_EV_VMSYNC_HOST:
    case TS_VM_EV_VMSYNC_GUEST:
        if ((s = field(e, "vm_uid"))) {
            ev->has_vm_uid = true;
            ev->vm_uid = strtoull(s, NULL, 0);
        }
        break;
    case TS_VM_EV_PROCESS:
        ev->tid = (int32_t)ifield(e, "tid", ifield(e, "child_tid", -1));
        ev->pid = (int32_t)ifield(e, "pid", ifield(e, "child_pid", -1));
        if ((s = field(e, "name")) || (s = field(e, "child_comm")))
            ev->comm = s, ev->comm_len = strlen(s);
        break;
    default:
        break;
    }
}

typedef struct run_ctx {
    const ccase *c;
    int64_t shift[16];
    ts_vm *vm;
    bad_list bad;
    size_t bad_seen; /* 'bad' lines met */
    bool has_bad_lines;
    int failures;
} run_ctx;

#define FAIL(line, ...)                                                                            \
    do {                                                                                           \
        char m_[1400];                                                                             \
        snprintf(m_, sizeof m_, __VA_ARGS__);                                                      \
        unit_fail(r->c->file, line, "%s", m_);                                                     \
        r->failures++;                                                                             \
    } while (0)

static int cmp_check(const void *a, const void *b, void *ctx)
{
    const run_ctx *r = ctx;
    const cev *x = *(const cev *const *)a, *y = *(const cev *const *)b;
    int64_t tx = x->t + r->shift[x->trace], ty = y->t + r->shift[y->trace];
    if (tx != ty) return tx < ty ? -1 : 1;
    return x < y ? -1 : x > y;
}

static int guest_index(const ts_vm *vm, const char *name)
{
    for (size_t g = 0; g < ts_vm_guest_count(vm); g++) {
        ts_vm_guest_info gi;
        ts_vm_guest(vm, g, &gi);
        if (!strcmp(gi.name, name)) return (int)g;
    }
    return -1;
}

static bool check_count(run_ctx *r, int line, const ts_vm_counts *c, const char *key,
                        const char *val)
{
    int64_t want = strtoll(val, NULL, 10);
    int64_t got;
    double dgot;
    if (!strcmp(key, "total"))
        got = (int64_t)c->total;
    else if (!strcmp(key, "checked"))
        got = (int64_t)c->checked;
    else if (!strcmp(key, "bad"))
        got = (int64_t)c->bad;
    else if (!strcmp(key, "no_mapping"))
        got = (int64_t)c->no_mapping;
    else if (!strcmp(key, "before_first"))
        got = (int64_t)c->before_first;
    else if (!strcmp(key, "after_last"))
        got = (int64_t)c->after_last;
    else if (!strcmp(key, "unknown"))
        got = (int64_t)c->unknown;
    else if (!strcmp(key, "max_abs"))
        got = c->max_abs_ns;
    else if (!strcmp(key, "min_signed"))
        got = c->min_signed_ns;
    else if (!strcmp(key, "max_signed"))
        got = c->max_signed_ns;
    else if (!strcmp(key, "mean_abs") || !strcmp(key, "mean_signed")) {
        dgot = !strcmp(key, "mean_abs") ? c->mean_abs_ns : c->mean_signed_ns;
        if (fabs(dgot - (double)want) > 1e-9)
            FAIL(line, "%s: %g, expected %lld", key, dgot, (long long)want);
        return true;
    } else
        return false;
    if (got != want) FAIL(line, "%s: %lld, expected %lld", key, (long long)got, (long long)want);
    return true;
}

static const char *vcpu_src(ts_vm_vcpu_source s)
{
    switch (s) {
    case TS_VM_VCPU_THREAD_NAME:
        return "name";
    case TS_VM_VCPU_EXIT_ID:
        return "exit";
    case TS_VM_VCPU_ENTRY_ID:
        return "entry";
    case TS_VM_VCPU_VMSYNC:
        return "vmsync";
    default:
        return "unmapped";
    }
}

static void do_expect(run_ctx *r, const cline *l)
{
    if (l->ntok < 2) {
        FAIL(l->line, "expect: no guest");
        return;
    }
    int g = guest_index(r->vm, l->tok[1]);
    if (g < 0) {
        FAIL(l->line, "no guest named %s", l->tok[1]);
        return;
    }
    ts_vm_guest_info gi;
    ts_vm_guest(r->vm, (size_t)g, &gi);
    ts_vm_counts c = gi.counts;
    int first = 2;
    enum { GUEST, VCPU, EVENT } scope = GUEST;
    ts_vm_vcpu_info vi;
    if (l->ntok > 2 && !strncmp(l->tok[2], "vcpu=", 5)) {
        scope = VCPU;
        first = 3;
        if (!ts_vm_vcpu(r->vm, (size_t)g, (size_t)atoi(l->tok[2] + 5), &vi)) {
            FAIL(l->line, "guest %s has no vCPU %s", l->tok[1], l->tok[2] + 5);
            return;
        }
        c = vi.counts;
    } else if (l->ntok > 2 && !strncmp(l->tok[2], "event=", 6)) {
        scope = EVENT;
        first = 3;
        bool found = false;
        for (size_t i = 0; i < gi.nnames && !found; i++) {
            ts_vm_name_info ni;
            ts_vm_name(r->vm, (size_t)g, i, &ni);
            if (!strcmp(ni.name, l->tok[2] + 6)) {
                found = true;
                c = ni.counts;
            }
        }
        if (!found) {
            FAIL(l->line, "guest %s has no event named %s", l->tok[1], l->tok[2] + 6);
            return;
        }
    }
    for (int i = first; i < l->ntok; i++) {
        char key[64];
        const char *eq = strchr(l->tok[i], '=');
        if (!eq || (size_t)(eq - l->tok[i]) >= sizeof key) {
            FAIL(l->line, "bad token %s", l->tok[i]);
            continue;
        }
        memcpy(key, l->tok[i], (size_t)(eq - l->tok[i]));
        key[eq - l->tok[i]] = 0;
        const char *val = eq + 1;
        if (check_count(r, l->line, &c, key, val)) continue;
        if (scope == GUEST && !strcmp(key, "host")) {
            const char *h =
                gi.host_trace >= 0 ? ts_vm_trace_name(r->vm, (size_t)gi.host_trace) : "-";
            if (strcmp(h, val)) FAIL(l->line, "host: %s, expected %s", h, val);
        } else if (scope == GUEST && !strcmp(key, "pid")) {
            if (gi.qemu_pid != atoi(val))
                FAIL(l->line, "pid: %d, expected %s", (int)gi.qemu_pid, val);
        } else if (scope == GUEST && !strcmp(key, "mapping")) {
            const char *m = ts_vm_map_source_name(gi.source);
            if (strcmp(m, val)) FAIL(l->line, "mapping: %s, expected %s", m, val);
        } else if (scope == VCPU && !strcmp(key, "tid")) {
            if (vi.tid != atoi(val)) FAIL(l->line, "tid: %d, expected %s", (int)vi.tid, val);
        } else if (scope == VCPU && !strcmp(key, "source")) {
            if (strcmp(vcpu_src(vi.source), val))
                FAIL(l->line, "source: %s, expected %s", vcpu_src(vi.source), val);
        } else {
            FAIL(l->line, "unknown key %s", key);
        }
    }
}

static int64_t parse_end(const char *s)
{
    return !strcmp(s, "inf") ? INT64_MAX : strtoll(s, NULL, 10);
}

static void do_periods(run_ctx *r, const cline *l, bool unknown)
{
    if (l->ntok < 4) {
        FAIL(l->line, "periods: GUEST VCPU S-E ...");
        return;
    }
    int g = guest_index(r->vm, l->tok[1]);
    if (g < 0) {
        FAIL(l->line, "no guest named %s", l->tok[1]);
        return;
    }
    size_t v = (size_t)atoi(l->tok[2]);
    size_t k = 0;
    int64_t s, e;
    bool none = l->ntok == 4 && !strcmp(l->tok[3], "none");
    for (int i = 3; i < l->ntok && !none; i++, k++) {
        const char *dash = strchr(l->tok[i] + 1, '-');
        if (!dash) {
            FAIL(l->line, "bad period %s", l->tok[i]);
            return;
        }
        int64_t ws = strtoll(l->tok[i], NULL, 10), we = parse_end(dash + 1);
        if (!ts_vm_vcpu_period(r->vm, (size_t)g, v, unknown, k, &s, &e)) {
            FAIL(l->line, "only %zu %s", k, unknown ? "unknown ranges" : "out-periods");
            return;
        }
        if (s != ws || e != we)
            FAIL(l->line, "%s %zu: %lld-%lld, expected %s", unknown ? "unknown range" : "period", k,
                 (long long)s, (long long)e, l->tok[i]);
    }
    if (ts_vm_vcpu_period(r->vm, (size_t)g, v, unknown, k, &s, &e))
        FAIL(l->line, "more %s than expected: %lld-%lld",
             unknown ? "unknown ranges" : "out-periods", (long long)s, (long long)e);
}

static void do_bad(run_ctx *r, const cline *l)
{
    r->has_bad_lines = true;
    if (l->ntok < 6) {
        FAIL(l->line, "bad: GUEST VCPU TIME DISTANCE EVENT");
        return;
    }
    size_t i = r->bad_seen++;
    if (i >= r->bad.n) {
        FAIL(l->line, "only %zu bad event(s)", r->bad.n);
        return;
    }
    const bad_rec *b = &r->bad.v[i];
    int g = guest_index(r->vm, l->tok[1]);
    if ((int)b->guest != g || b->vcpu != (uint32_t)atoi(l->tok[2]) ||
        b->ts != strtoll(l->tok[3], NULL, 10) || b->d != strtoll(l->tok[4], NULL, 10) ||
        strcmp(b->event, l->tok[5]))
        FAIL(l->line, "bad event %zu: guest %zu vcpu %u time %lld distance %lld %s", i, b->guest,
             b->vcpu, (long long)b->ts, (long long)b->d, b->event);
}

static void do_note(run_ctx *r, const cline *l)
{
    char want[400] = "";
    size_t n = 0;
    for (int i = 1; i < l->ntok; i++)
        n += (size_t)snprintf(want + n, sizeof want - n, "%s%s", i > 1 ? " " : "", l->tok[i]);
    for (size_t i = 0; i < ts_vm_note_count(r->vm); i++)
        if (strstr(ts_vm_note(r->vm, i), want)) return;
    FAIL(l->line, "no note contains \"%s\" (%zu notes)", want, ts_vm_note_count(r->vm));
    for (size_t i = 0; i < ts_vm_note_count(r->vm); i++)
        printf("      note: %s\n", ts_vm_note(r->vm, i));
}

/* Run the analysis for one 'run' block. */
static void run_block(const ccase *c, const cline *head, const cline *body, int nbody)
{
    run_ctx rc;
    memset(&rc, 0, sizeof rc);
    rc.c = c;
    run_ctx *r = &rc;
    ts_error err;
    ts_vm *vm = ts_vm_new();
    rc.vm = vm;
    for (int i = 0; i < c->ntraces; i++)
        if (ts_vm_add_trace(vm, c->traces[i].name,
                            c->traces[i].host_id[0] ? c->traces[i].host_id : NULL,
                            c->traces[i].kernel[0] ? c->traces[i].kernel : NULL, &err)) {
            FAIL(head->line, "add_trace: %s", err.msg);
            goto out;
        }
    for (int i = 2; i < head->ntok; i++) {
        if (!strncmp(head->tok[i], "shift=", 6)) {
            char *colon = strrchr(head->tok[i], ':');
            if (!colon) {
                FAIL(head->line, "shift=TRACE:NS");
                goto out;
            }
            *colon = 0;
            int t = find_trace(c, head->tok[i] + 6);
            *colon = ':';
            if (t < 0) {
                FAIL(head->line, "shift: no such trace");
                goto out;
            }
            rc.shift[t] = strtoll(colon + 1, NULL, 10);
        } else if (!strncmp(head->tok[i], "guest=", 6)) {
            char buf[256];
            ts_vm_guest_pid gp;
            if (ts_vm_guest_pid_parse(head->tok[i] + 6, buf, sizeof buf, &gp, &err) ||
                ts_vm_set_guest_pid(vm, &gp, &err)) {
                FAIL(head->line, "guest=: %s", err.msg);
                goto out;
            }
        } else {
            FAIL(head->line, "unknown run option %s", head->tok[i]);
            goto out;
        }
    }
    ts_vm_set_bad_callback(vm, on_bad, &rc.bad);
    ts_vm_event ev;
    for (int i = 0; i < c->nev; i++) {
        to_event(&c->ev[i], rc.shift[c->ev[i].trace], &ev);
        if (ts_vm_model_event(vm, &ev, &err)) {
            FAIL(c->ev[i].line, "model: %s", err.msg);
            goto out;
        }
    }
    if (ts_vm_model_finish(vm, &err)) {
        FAIL(head->line, "model finish: %s", err.msg);
        goto out;
    }
    for (int i = 0; i < c->nlosses; i++)
        if (ts_vm_add_loss(vm, c->losses[i].trace, c->losses[i].b + rc.shift[c->losses[i].trace],
                           c->losses[i].e + rc.shift[c->losses[i].trace], &err)) {
            FAIL(head->line, "loss: %s", err.msg);
            goto out;
        }
    for (int i = 0; i < c->nev; i++) {
        if (!ts_vm_needs_state(vm, c->ev[i].trace)) continue;
        to_event(&c->ev[i], rc.shift[c->ev[i].trace], &ev);
        if (ts_vm_state_event(vm, &ev, &err)) {
            FAIL(c->ev[i].line, "state: %s", err.msg);
            goto out;
        }
    }
    if (ts_vm_state_finish(vm, &err)) {
        FAIL(head->line, "state finish: %s", err.msg);
        goto out;
    }
    {
        const cev **order = malloc((size_t)(c->nev ? c->nev : 1) * sizeof *order);
        int n = 0;
        for (int i = 0; i < c->nev; i++)
            if (ts_vm_needs_check(vm, c->ev[i].trace)) order[n++] = &c->ev[i];
        qsort_r(order, (size_t)n, sizeof *order, cmp_check, &rc);
        for (int i = 0; i < n; i++) {
            const cev *e = order[i];
            int id = ts_vm_name_id(vm, e->name, strlen(e->name));
            ts_vm_check_event(vm, e->trace, e->cpu, e->t + rc.shift[e->trace], e->t, id);
        }
        free(order);
    }
    if (ts_vm_check_finish(vm, &err)) {
        FAIL(head->line, "check finish: %s", err.msg);
        goto out;
    }
    for (int i = 0; i < nbody; i++) {
        const cline *l = &body[i];
        const char *k = l->tok[0];
        if (!strcmp(k, "expect"))
            do_expect(r, l);
        else if (!strcmp(k, "periods"))
            do_periods(r, l, false);
        else if (!strcmp(k, "unknown"))
            do_periods(r, l, true);
        else if (!strcmp(k, "bad"))
            do_bad(r, l);
        else if (!strcmp(k, "note"))
            do_note(r, l);
        else if (!strcmp(k, "host")) {
            int t = l->ntok > 2 ? find_trace(c, l->tok[1]) : -1;
            if (t < 0)
                FAIL(l->line, "host TRACE yes|no");
            else if (ts_vm_trace_is_host(vm, (size_t)t) != !strcmp(l->tok[2], "yes"))
                FAIL(l->line, "trace %s: host is %d", l->tok[1],
                     (int)ts_vm_trace_is_host(vm, (size_t)t));
        } else
            FAIL(l->line, "unknown directive %s", k);
    }
    if (rc.has_bad_lines && rc.bad_seen < rc.bad.n)
        FAIL(head->line, "run %s: %zu bad event(s), %zu listed; next: time %lld distance %lld %s",
             head->ntok > 1 ? head->tok[1] : "?", rc.bad.n, rc.bad_seen,
             (long long)rc.bad.v[rc.bad_seen].ts, (long long)rc.bad.v[rc.bad_seen].d,
             rc.bad.v[rc.bad_seen].event);
out:
    if (rc.failures)
        printf("    (in run '%s' of %s)\n", head->ntok > 1 ? head->tok[1] : "?", c->file);
    free(rc.bad.v);
    ts_vm_free(vm);
}

static int run_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        unit_fail(path, 0, "cannot open");
        return 1;
    }
    ccase c;
    memset(&c, 0, sizeof c);
    c.file = path;
    cline *lines = NULL;
    int nlines = 0, caplines = 0;
    char buf[2048];
    int lineno = 0, bad = 0;
    while (fgets(buf, sizeof buf, f)) {
        lineno++;
        char *copy = strdup(buf);
        cline l;
        l.buf = copy;
        l.ntok = split(copy, l.tok);
        l.line = lineno;
        if (!l.ntok) {
            free(copy);
            continue;
        }
        if (nlines == caplines) {
            caplines = caplines ? caplines * 2 : 64;
            lines = realloc(lines, (size_t)caplines * sizeof *lines);
        }
        lines[nlines++] = l;
    }
    fclose(f);
    for (int i = 0; i < nlines && !bad; i++) {
        cline *l = &lines[i];
        const char *k = l->tok[0];
        if (!strcmp(k, "trace")) {
            ctrace *t = &c.traces[c.ntraces++];
            snprintf(t->name, sizeof t->name, "%s", l->ntok > 1 ? l->tok[1] : "?");
            for (int j = 2; j < l->ntok; j++) {
                if (!strncmp(l->tok[j], "host_id=", 8))
                    snprintf(t->host_id, sizeof t->host_id, "%s", l->tok[j] + 8);
                if (!strncmp(l->tok[j], "kernel=", 7))
                    snprintf(t->kernel, sizeof t->kernel, "%s", l->tok[j] + 7);
            }
        } else if (!strcmp(k, "loss")) {
            int t = l->ntok == 4 ? find_trace(&c, l->tok[1]) : -1;
            if (t < 0) {
                unit_fail(path, l->line, "loss TRACE BEGIN END");
                bad = 1;
                break;
            }
            c.losses[c.nlosses].trace = (uint32_t)t;
            c.losses[c.nlosses].b = strtoll(l->tok[2], NULL, 10);
            c.losses[c.nlosses].e = strtoll(l->tok[3], NULL, 10);
            c.nlosses++;
        } else if (!strcmp(k, "run")) {
            int j = i + 1;
            while (j < nlines && strcmp(lines[j].tok[0], "end")) j++;
            if (j >= nlines) {
                unit_fail(path, l->line, "run without end");
                bad = 1;
                break;
            }
            run_block(&c, l, &lines[i + 1], j - i - 1);
            i = j;
        } else if (k[0] >= '0' && k[0] <= '9') {
            if (l->ntok < 4) {
                unit_fail(path, l->line, "event: TIME TRACE CPU NAME [k=v ...]");
                bad = 1;
                break;
            }
            int t = find_trace(&c, l->tok[1]);
            if (t < 0) {
                unit_fail(path, l->line, "no trace named %s", l->tok[1]);
                bad = 1;
                break;
            }
            if (c.nev == c.capev) {
                c.capev = c.capev ? c.capev * 2 : 64;
                c.ev = realloc(c.ev, (size_t)c.capev * sizeof *c.ev);
            }
            cev *e = &c.ev[c.nev++];
            memset(e, 0, sizeof *e);
            e->t = strtoll(k, NULL, 10);
            e->trace = (uint32_t)t;
            e->cpu = !strcmp(l->tok[2], "-") ? UINT32_MAX : (uint32_t)atoi(l->tok[2]);
            snprintf(e->name, sizeof e->name, "%s", l->tok[3]);
            e->line = l->line;
            for (int j = 4; j < l->ntok && e->nf < 8; j++) {
                char *eq = strchr(l->tok[j], '=');
                if (!eq) continue;
                *eq = 0;
                snprintf(e->f[e->nf].key, sizeof e->f[e->nf].key, "%s", l->tok[j]);
                snprintf(e->f[e->nf].val, sizeof e->f[e->nf].val, "%s", eq + 1);
                unescape(e->f[e->nf].val);
                *eq = '=';
                e->nf++;
            }
        } else {
            unit_fail(path, l->line, "unknown line '%s'", k);
            bad = 1;
        }
    }
    for (int i = 0; i < nlines; i++) free(lines[i].buf);
    free(lines);
    free(c.ev);
    return bad;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

TEST(vm_cases)
{
    const char *dir = "tests/vm/cases";
    DIR *d = opendir(dir);
    CHECK_MSG(d, "cannot open %s", dir);
    char *files[256];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 256) {
        size_t l = strlen(de->d_name);
        if (l > 7 && !strcmp(de->d_name + l - 7, ".vmcase")) {
            char p[512];
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            files[n++] = strdup(p);
        }
    }
    closedir(d);
    qsort(files, (size_t)n, sizeof *files, cmp_str);
    CHECK_MSG(n > 0, "no .vmcase file in %s", dir);
    for (int i = 0; i < n; i++) {
        run_file(files[i]);
        free(files[i]);
    }
}
