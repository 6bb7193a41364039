/* VM analysis on a trace set: the three passes with ts_iter, and the CSV and SVG of
 * the bad events.
 *
 * Pass 1 (model) reads the whole set, requesting only the events the model needs.
 * Pass 2 (state) reads the host traces with vCPU threads and pass 3 (check) every
 * event of the guests' traces: each through a set opened on those traces alone (so
 * that the other traces are not even merged), with the formulas installed on it. */
#include "report/outfile.h"
#include "report/scatter.h"
#include "vm/vm_impl.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- output of the bad events --------------------------------------------------- */

typedef struct run_out {
    ts_vm *vm;
    const ts_traceset *set;
    ts_outfile csv;
    bool csv_open;
    ts_scatter *sc;
    int *series; /* per guest, -1 until its first bad event */
    ts_vm_bad_fn user;
    void *user_ctx;
    ts_status st;
    ts_error err;
} run_out;

static void on_bad(void *ctx, const ts_vm_bad *b)
{
    run_out *o = ctx;
    if (o->csv_open && !o->st) {
        ts_strbuf *sb = &o->csv.sb;
        const vm_guest *G = &o->vm->guests[b->guest];
        ts_csv_field(sb, G->name);
        sb_putc(sb, ',');
        ts_csv_field(sb, o->vm->traces[b->trace].name);
        sb_putc(sb, ',');
        sb_put_u64(sb, b->vcpu);
        sb_putc(sb, ',');
        ts_csv_field(sb, b->event);
        const int64_t v[5] = {b->ts, b->ts_raw, b->distance_ns,
                              b->distance_ns < 0 ? -b->distance_ns : b->distance_ns, b->out_begin};
        for (int i = 0; i < 5; i++) {
            sb_putc(sb, ',');
            sb_put_i64(sb, v[i]);
        }
        sb_putc(sb, ',');
        if (b->out_end != INT64_MAX) sb_put_i64(sb, b->out_end);
        sb_putc(sb, ',');
        sb_put_i64(sb, b->host_tid);
        sb_putc(sb, '\n');
        o->st = ts_outfile_flush(&o->csv, false, &o->err);
    }
    if (o->sc && o->series) {
        if (o->series[b->guest] < 0)
            o->series[b->guest] = ts_scatter_series(o->sc, o->vm->guests[b->guest].name);
        if (o->series[b->guest] >= 0)
            ts_scatter_add(o->sc, o->series[b->guest], b->ts, b->distance_ns);
    }
    if (o->user) o->user(o->user_ctx, b);
}

/* ---- requests ------------------------------------------------------------------ */

typedef struct model_rq {
    ts_request *rq;
    int kind_of_key[32];
    bool gh_of_key[32];
} model_rq;

static ts_status want(model_rq *m, const char *name, const char *const *fields, ts_error *err)
{
    int key = ts_request_event(m->rq, name);
    if (key < 0 || key >= 32) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    bool gh = false;
    m->kind_of_key[key] = ts_vm_event_kind_from_name(name, &gh);
    m->gh_of_key[key] = gh;
    for (unsigned s = 0; fields && fields[s]; s++) {
        if (!fields[s][0]) continue;
        ts_status st = ts_request_field(m->rq, name, fields[s], s, err);
        if (st) return st;
    }
    return TS_OK;
}

static ts_status build_request(model_rq *m, bool state_only, ts_error *err)
{
    memset(m, 0, sizeof *m);
    for (int i = 0; i < 32; i++) m->kind_of_key[i] = -1;
    m->rq = ts_request_new();
    if (!m->rq) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    static const char *const sw[] = {"prev_tid", "next_tid", "prev_comm", "next_comm", NULL};
    static const char *const sw_state[] = {"prev_tid", "next_tid", NULL};
    static const char *const vcpu[] = {"vcpu_id", NULL};
    static const char *const hc[] = {"nr", "a0", "a1", NULL};
    static const char *const vs[] = {"cnt", "vm_uid", NULL};
    static const char *const sd[] = {"tid", "pid", "name", NULL};
    static const char *const fk[] = {"child_tid", "child_pid", "child_comm", NULL};
    ts_status st = want(m, "sched_switch", state_only ? sw_state : sw, err);
    const char *kvm[] = {"kvm_x86_entry", "kvm_entry", "kvm_x86_exit", "kvm_exit"};
    for (size_t i = 0; i < 4 && !st; i++) st = want(m, kvm[i], state_only ? NULL : vcpu, err);
    if (state_only || st) return st;
    const char *hcs[] = {"kvm_x86_hypercall", "kvm_hypercall"};
    for (size_t i = 0; i < 2 && !st; i++) st = want(m, hcs[i], hc, err);
    const char *vms[] = {"vmsync_gh_host", "vmsync_hg_host", "vmsync_gh_guest", "vmsync_hg_guest"};
    for (size_t i = 0; i < 4 && !st; i++) st = want(m, vms[i], vs, err);
    if (!st) st = want(m, "lttng_statedump_process_state", sd, err);
    if (!st) st = want(m, "sched_process_fork", fk, err);
    return st;
}

static int64_t sval(const ts_value *v, int64_t def)
{
    return ts_value_is_int(v) ? (int64_t)ts_value_u64(v) : def;
}

/* ts_event -> ts_vm_event (slots as build_request laid them out). */
static bool to_vm_event(const model_rq *m, const ts_event *e, uint32_t trace, ts_vm_event *ev)
{
    if (e->key < 0 || e->key >= 32 || m->kind_of_key[e->key] < 0) return false;
    memset(ev, 0, sizeof *ev);
    ev->ts = e->ts;
    ev->trace = trace;
    ev->cpu = e->cpu;
    ev->kind = m->kind_of_key[e->key];
    ev->gh = m->gh_of_key[e->key];
    ev->vcpu_id = -1;
    const ts_value *s = e->slots;
    switch (ev->kind) {
    case TS_VM_EV_SCHED_SWITCH:
        ev->tid = (int32_t)sval(&s[0], -1);
        ev->tid2 = (int32_t)sval(&s[1], -1);
        if (s[2].type == TS_VAL_STR) ev->comm = s[2].s, ev->comm_len = s[2].len;
        if (s[3].type == TS_VAL_STR) ev->comm2 = s[3].s, ev->comm2_len = s[3].len;
        break;
    case TS_VM_EV_KVM_ENTRY:
    case TS_VM_EV_KVM_EXIT:
        ev->vcpu_id = ts_value_is_int(&s[0]) ? (int64_t)(uint32_t)ts_value_u64(&s[0]) : -1;
        break;
    case TS_VM_EV_KVM_HYPERCALL:
        ev->nr = ts_value_u64(&s[0]);
        ev->a0 = ts_value_u64(&s[1]);
        ev->a1 = ts_value_u64(&s[2]);
        break;
    case TS_VM_EV_VMSYNC_HOST:
    case TS_VM_EV_VMSYNC_GUEST:
        ev->has_vm_uid = ts_value_is_int(&s[1]);
        ev->vm_uid = ts_value_u64(&s[1]);
        break;
    case TS_VM_EV_PROCESS:
        ev->tid = (int32_t)sval(&s[0], -1);
        ev->pid = (int32_t)sval(&s[1], -1);
        if (s[2].type == TS_VAL_STR) ev->comm = s[2].s, ev->comm_len = s[2].len;
        break;
    default:
        break;
    }
    return true;
}

/* ---- subsets ------------------------------------------------------------------- */

typedef struct subset {
    ts_traceset *set; /* NULL: the main set is used */
    int *orig;        /* subset trace -> main set trace (-1: not wanted) */
    size_t n;
    ts_formulas *formulas; /* installed on set */
} subset;

static void subset_free(subset *s)
{
    ts_traceset_free(s->set);
    ts_formulas_free(s->formulas);
    free(s->orig);
    memset(s, 0, sizeof *s);
}

static ts_status copy_formula(const ts_formulas *f, const char *from, ts_formulas *dst,
                              const char *to, ts_error *err)
{
    int i = ts_formulas_find(f, from);
    if (i < 0) return TS_OK;
    ts_formula_info fi;
    ts_formulas_get(f, (size_t)i, &fi);
    ts_status st = ts_formulas_set_linear(dst, to, fi.slope, fi.offset_ns, err);
    if (st || !fi.nsegments) return st;
    ts_formula_segment *segs = calloc(fi.nsegments, sizeof *segs);
    char(*txt)[2][TS_DEC_TEXT_MAX] = calloc(fi.nsegments, sizeof *txt);
    if (!segs || !txt) {
        free(segs);
        free(txt);
        return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    }
    for (size_t j = 0; j < fi.nsegments; j++) {
        ts_formulas_get_segment(f, (size_t)i, j, &segs[j].start_ns, &segs[j].end_ns, txt[j][0],
                                txt[j][1]);
        segs[j].slope = txt[j][0];
        segs[j].offset_ns = txt[j][1];
        segs[j].error_bound_ns = ts_formulas_segment_error_bound(f, (size_t)i, j);
        segs[j].has_error_bound = segs[j].error_bound_ns >= 0;
    }
    st = ts_formulas_set_segments(dst, to, segs, fi.nsegments, err);
    free(segs);
    free(txt);
    return st;
}

/* Open the traces `pick` selects as a set of their own, with the formulas; on any
 * trouble fall back to the main set (events of other traces are then skipped). */
static ts_status subset_open(ts_traceset *main, const bool *pick, const ts_formulas *f, subset *out,
                             ts_error *err)
{
    memset(out, 0, sizeof *out);
    size_t n = ts_traceset_count(main), k = 0;
    const char **paths = malloc((n ? n : 1) * sizeof *paths);
    if (!paths) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (pick[i]) paths[k++] = ts_trace_path(ts_traceset_trace(main, i));
    ts_error e2;
    ts_traceset *sub = NULL;
    bool ok = k > 0 && ts_traceset_open(paths, k, &sub, &e2) == TS_OK;
    free(paths);
    if (ok) {
        out->n = ts_traceset_count(sub);
        out->orig = malloc((out->n ? out->n : 1) * sizeof *out->orig);
        if (!out->orig) {
            ts_traceset_free(sub);
            return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        }
        size_t found = 0;
        for (size_t i = 0; i < out->n; i++) {
            out->orig[i] = -1;
            const char *p = ts_trace_path(ts_traceset_trace(sub, i));
            for (size_t j = 0; j < n; j++)
                if (pick[j] && !strcmp(p, ts_trace_path(ts_traceset_trace(main, j)))) {
                    out->orig[i] = (int)j;
                    found++;
                    break;
                }
        }
        ok = found == k;
        if (ok && f) {
            out->formulas = ts_formulas_new();
            if (!out->formulas) ok = false;
            for (size_t i = 0; i < out->n && ok; i++)
                if (out->orig[i] >= 0 &&
                    copy_formula(f, ts_trace_name(ts_traceset_trace(main, (size_t)out->orig[i])),
                                 out->formulas, ts_trace_name(ts_traceset_trace(sub, i)), &e2))
                    ok = false;
            if (ok && ts_formulas_apply(out->formulas, sub, &e2)) ok = false;
        }
        out->set = sub;
        if (ok) return TS_OK;
        subset_free(out);
    }
    /* fallback: the main set itself */
    out->n = n;
    out->orig = malloc((n ? n : 1) * sizeof *out->orig);
    if (!out->orig) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) out->orig[i] = pick[i] ? (int)i : -1;
    for (size_t i = 0; i < n; i++) ts_traceset_set_time_map(main, i, NULL, NULL);
    if (f) return ts_formulas_apply(f, main, err);
    return TS_OK;
}

/* pick[i] for every trace of the main set (NULL when out of memory) */
static bool *pick_traces(const ts_traceset *set, const ts_vm *vm, int which)
{
    size_t n = ts_traceset_count(set);
    bool *pick = calloc(n ? n : 1, sizeof *pick);
    for (size_t i = 0; pick && i < n; i++) {
        const ts_trace *t = ts_traceset_trace(set, i);
        switch (which) {
        case 0: /* hosts: traces that declare kvm entry/exit events */
            pick[i] = ts_trace_has_event(t, "kvm_x86_entry") ||
                      ts_trace_has_event(t, "kvm_entry") || ts_trace_has_event(t, "kvm_x86_exit") ||
                      ts_trace_has_event(t, "kvm_exit");
            break;
        case 1: /* guests: traces that declare vmsync guest events */
            pick[i] = ts_trace_has_event(t, "vmsync_gh_guest") ||
                      ts_trace_has_event(t, "vmsync_hg_guest");
            break;
        case 2:
            pick[i] = ts_vm_needs_state(vm, i);
            break;
        default:
            pick[i] = ts_vm_needs_check(vm, i);
            break;
        }
    }
    return pick;
}

/* ---- the passes -------------------------------------------------------------------- */

/* Pass 1: the hosts (traces that declare kvm entry/exit events) in full; then the
 * other traces that declare vmsync guest events, only until each has shown its
 * vm_uid and vmsync CPU (the first vmsync events of a guest give them). */
static ts_status pass_model(ts_traceset *main, ts_vm *vm, unsigned nthreads, ts_error *err)
{
    ts_status st = TS_OK;
    bool *hosts = pick_traces(main, vm, 0), *guests = pick_traces(main, vm, 1);
    if (!hosts || !guests) st = ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    size_t n = ts_traceset_count(main), nh = 0, ng = 0;
    for (size_t i = 0; !st && i < n; i++) {
        if (hosts[i]) guests[i] = false;
        nh += hosts[i];
        ng += guests[i];
    }
    for (int round = 0; round < 2 && !st; round++) {
        if (!(round ? ng : nh)) continue;
        subset sub;
        st = subset_open(main, round ? guests : hosts, NULL, &sub, err);
        if (st) break;
        model_rq m;
        st = build_request(&m, false, err);
        ts_iter *it = NULL;
        if (!st) st = ts_iter_new_ex(sub.set ? sub.set : main, m.rq, nthreads, &it, err);
        const ts_event *e;
        ts_vm_event ev;
        size_t pending = round ? ng : 0;
        while (!st && (st = ts_iter_next(it, &e, err)) == TS_OK && e) {
            int orig = e->trace < sub.n ? sub.orig[e->trace] : -1;
            if (orig < 0 || !to_vm_event(&m, e, (uint32_t)orig, &ev)) continue;
            if (round && ev.kind != TS_VM_EV_VMSYNC_GUEST) continue;
            st = ts_vm_model_event(vm, &ev, err);
            if (round && guests[orig] && vm->traces[orig].has_vm_uid &&
                vm->traces[orig].vmsync_cpu >= 0) {
                guests[orig] = false;
                if (--pending == 0) break;
            }
        }
        ts_iter_free(it);
        ts_request_free(m.rq);
        subset_free(&sub);
    }
    free(hosts);
    free(guests);
    if (!st) st = ts_vm_model_finish(vm, err);
    return st;
}

static ts_status add_losses(ts_traceset *set, ts_vm *vm, const ts_formulas *f, ts_error *err)
{
    for (size_t i = 0; i < ts_traceset_count(set); i++) {
        if (!ts_vm_needs_state(vm, i)) continue;
        const ts_trace *t = ts_traceset_trace(set, i);
        ts_loss *l;
        size_t nl;
        ts_status st = ts_trace_losses(t, &l, &nl, err);
        for (size_t k = 0; k < nl && !st; k++) {
            int64_t b = l[k].begin_ns, e = l[k].end_ns;
            if (f) {
                st = ts_formulas_map(f, ts_trace_name(t), b, &b, err);
                if (!st) st = ts_formulas_map(f, ts_trace_name(t), e, &e, err);
            }
            if (!st) st = ts_vm_add_loss(vm, (uint32_t)i, b, e, err);
        }
        free(l);
        if (st) return st;
    }
    return TS_OK;
}

static ts_status pass_state(ts_traceset *main, ts_vm *vm, const ts_vm_options *o, ts_error *err)
{
    subset sub;
    bool *pick = pick_traces(main, vm, 2);
    if (!pick) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    ts_status st = subset_open(main, pick, o->formulas, &sub, err);
    free(pick);
    if (st) return st;
    model_rq m;
    st = build_request(&m, true, err);
    ts_iter *it = NULL;
    if (!st) st = ts_iter_new_ex(sub.set ? sub.set : main, m.rq, o->nthreads, &it, err);
    const ts_event *e;
    ts_vm_event ev;
    while (!st && (st = ts_iter_next(it, &e, err)) == TS_OK && e) {
        if (e->trace >= sub.n || sub.orig[e->trace] < 0) continue;
        if (to_vm_event(&m, e, (uint32_t)sub.orig[e->trace], &ev))
            st = ts_vm_state_event(vm, &ev, err);
    }
    ts_iter_free(it);
    ts_request_free(m.rq);
    subset_free(&sub);
    if (!st) st = ts_vm_state_finish(vm, err);
    return st;
}

/* One part of the check pass: some guest traces, their own set and iterator. */
typedef struct check_part {
    ts_vm *vm;
    const ts_vm_options *o;
    subset sub;
    ts_traceset *set; /* sub.set, or the main set when the subset fell back on it */
    int **ids;        /* per subset trace and event class: name id */
    unsigned nthreads;
    ts_status st;
    ts_error err;
} check_part;

static void part_free(check_part *p)
{
    for (size_t i = 0; p->ids && i < p->sub.n; i++) free(p->ids[i]);
    free(p->ids);
    p->ids = NULL;
    subset_free(&p->sub);
}

/* Open the part's set and intern its event names (so that the check itself only
 * reads the shared name table). */
static ts_status part_prepare(ts_traceset *main, ts_vm *vm, const ts_vm_options *o,
                              const bool *pick, check_part *p, ts_error *err)
{
    memset(p, 0, sizeof *p);
    p->vm = vm;
    p->o = o;
    p->nthreads = o->nthreads;
    ts_status st = subset_open(main, pick, o->formulas, &p->sub, err);
    if (st) return st;
    ts_traceset *set = p->set = p->sub.set ? p->sub.set : main;
    p->ids = calloc(p->sub.n ? p->sub.n : 1, sizeof *p->ids);
    if (!p->ids) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < p->sub.n; i++) {
        if (p->sub.orig[i] < 0) continue;
        const ts_trace *t = ts_traceset_trace(set, i);
        size_t nc = ts_trace_event_class_count(t);
        p->ids[i] = malloc((nc ? nc : 1) * sizeof **p->ids);
        if (!p->ids[i]) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        for (size_t c = 0; c < nc; c++) {
            const char *name = ts_trace_event_class_name(t, c);
            p->ids[i][c] = ts_vm_name_id(vm, name ? name : "", name ? strlen(name) : 0);
            if (p->ids[i][c] < 0) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        }
    }
    return TS_OK;
}

static void *part_run(void *arg)
{
    check_part *p = arg;
    ts_request *rq = ts_request_new();
    ts_iter *it = NULL;
    if (!rq) {
        p->st = ts_error_set(&p->err, TS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    ts_request_all_events(rq);
    p->st = ts_iter_new_ex(p->set, rq, p->nthreads, &it, &p->err);
    if (!p->st && p->o->window) ts_iter_set_window(it, p->o->begin_ns, p->o->end_ns);
    const ts_event *e;
    while (!p->st && (p->st = ts_iter_next(it, &e, &p->err)) == TS_OK && e) {
        int orig = e->trace < p->sub.n ? p->sub.orig[e->trace] : -1;
        if (orig < 0) continue;
        ts_vm_check_event(p->vm, (uint32_t)orig, e->cpu, e->ts, e->ts_raw,
                          p->ids[e->trace][e->class_index]);
    }
    ts_iter_free(it);
    ts_request_free(rq);
    return NULL;
}

typedef struct part_pool {
    check_part *parts;
    size_t n, next;
    pthread_mutex_t mu;
} part_pool;

static void *pool_worker(void *arg)
{
    part_pool *pool = arg;
    for (;;) {
        pthread_mutex_lock(&pool->mu);
        size_t i = pool->next++;
        pthread_mutex_unlock(&pool->mu);
        if (i >= pool->n) return NULL;
        part_run(&pool->parts[i]);
    }
}

/* Pass 3.  Guests are independent, so without ordered outputs (CSV, SVG, callback:
 * bad events in time order) each guest is checked by a thread of its own. */
static ts_status pass_check(ts_traceset *main, ts_vm *vm, const ts_vm_options *o, ts_error *err)
{
    size_t n = ts_traceset_count(main), ng = vm->nguests, nparts = 0;
    long ncores = sysconf(_SC_NPROCESSORS_ONLN);
    bool *pick = calloc(n ? n : 1, sizeof *pick);
    check_part *parts = calloc(ng ? ng : 1, sizeof *parts);
    ts_status st = pick && parts ? TS_OK : ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    size_t checked_guests = 0;
    for (size_t g = 0; g < ng; g++) {
        bool any = false;
        for (size_t k = 0; k < vm->guests[g].ntraces; k++)
            any |= ts_vm_needs_check(vm, vm->guests[g].traces[k]);
        checked_guests += any;
    }
    bool parallel = !st && checked_guests > 1 && ncores > 1 && o->nthreads != 1 && !o->csv_path &&
                    !o->svg_path && !o->on_bad;
    if (parallel) {
        for (size_t g = 0; g < ng && !st; g++) {
            bool any = false;
            for (size_t i = 0; i < n; i++) {
                pick[i] = ts_vm_needs_check(vm, i) && vm->traces[i].guest == (int)g;
                any |= pick[i];
            }
            if (!any) continue;
            st = part_prepare(main, vm, o, pick, &parts[nparts++], err);
            if (!st && !parts[nparts - 1].sub.set) parallel = false; /* fell back on the main set */
        }
        if (!st && parallel) {
            size_t nthreads = (size_t)ncores < nparts ? (size_t)ncores : nparts;
            size_t per = (size_t)ncores / nparts;
            for (size_t i = 0; i < nparts; i++)
                parts[i].nthreads = o->nthreads ? o->nthreads : per > 1 ? (unsigned)per : 1;
            part_pool pool = {.parts = parts, .n = nparts};
            pthread_mutex_init(&pool.mu, NULL);
            pthread_t *th = calloc(nthreads, sizeof *th);
            size_t started = 0;
            for (size_t i = 0; th && i < nthreads; i++)
                if (pthread_create(&th[started], NULL, pool_worker, &pool) == 0) started++;
            if (!started) pool_worker(&pool); /* no thread: do it here */
            for (size_t i = 0; i < started; i++) pthread_join(th[i], NULL);
            free(th);
            pthread_mutex_destroy(&pool.mu);
            for (size_t i = 0; i < nparts && !st; i++)
                if (parts[i].st) {
                    st = parts[i].st;
                    *err = parts[i].err;
                }
        }
        for (size_t i = 0; i < nparts; i++) part_free(&parts[i]);
        /* not parallel after all (nothing was counted yet): one part below */
        if (!st && parallel) {
            free(pick);
            free(parts);
            return ts_vm_check_finish(vm, err);
        }
    }
    if (!st) {
        for (size_t i = 0; i < n; i++) pick[i] = ts_vm_needs_check(vm, i);
        st = part_prepare(main, vm, o, pick, &parts[0], err);
        if (!st) {
            part_run(&parts[0]);
            if (parts[0].st) {
                st = parts[0].st;
                *err = parts[0].err;
            }
        }
        part_free(&parts[0]);
    }
    free(pick);
    free(parts);
    if (!st) st = ts_vm_check_finish(vm, err);
    return st;
}

ts_status ts_vm_run(ts_traceset *set, const ts_vm_options *opt, ts_vm **out, ts_error *err)
{
    *out = NULL;
    ts_vm_options defaults;
    memset(&defaults, 0, sizeof defaults);
    const ts_vm_options *o = opt ? opt : &defaults;
    if (o->formulas)
        for (size_t i = 0; i < ts_formulas_count(o->formulas); i++) {
            ts_formula_info fi;
            ts_formulas_get(o->formulas, i, &fi);
            if (ts_traceset_find(set, fi.name) < 0)
                return ts_error_set(err, TS_ERR_NOTFOUND,
                                    "formulas name trace '%s', which is not in the trace set",
                                    fi.name);
        }
    ts_vm *vm = ts_vm_new();
    if (!vm) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    ts_status st = TS_OK;
    for (size_t i = 0; i < ts_traceset_count(set) && !st; i++) {
        const ts_trace *t = ts_traceset_trace(set, i);
        st = ts_vm_add_trace(vm, ts_trace_name(t), ts_trace_host_id(t),
                             ts_trace_env_str(t, "kernel_release"), err);
    }
    for (size_t i = 0; i < o->nguest_pids && !st; i++)
        st = ts_vm_set_guest_pid(vm, &o->guest_pids[i], err);
    ts_vm_set_run_info(vm, o->formulas != NULL, o->window, o->begin_ns, o->end_ns);
    run_out ro;
    memset(&ro, 0, sizeof ro);
    ro.vm = vm;
    ro.set = set;
    ro.user = o->on_bad;
    ro.user_ctx = o->on_bad_ctx;
    if (!st && o->csv_path) {
        st = ts_outfile_open(&ro.csv, o->csv_path, err);
        if (!st) {
            ro.csv_open = true;
            sb_puts(&ro.csv.sb, "guest,trace,vcpu,event,time_ns,raw_ns,distance_ns,abs_distance_ns,"
                                "out_begin_ns,out_end_ns,host_tid\n");
        }
    }
    if (!st && o->svg_path) st = ts_scatter_new(0, &ro.sc, err);
    if (ro.csv_open || ro.sc || ro.user) ts_vm_set_bad_callback(vm, on_bad, &ro);

    /* the caller's time maps are not ours to use in pass 1: the model needs no order
     * across traces, only within each one */
    if (!st) st = pass_model(set, vm, o->nthreads, err);
    if (!st && ro.sc) {
        ro.series = malloc((vm->nguests ? vm->nguests : 1) * sizeof *ro.series);
        if (!ro.series) st = ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        for (size_t g = 0; ro.series && g < vm->nguests; g++) ro.series[g] = -1;
    }
    if (!st) st = add_losses(set, vm, o->formulas, err);
    if (!st) st = pass_state(set, vm, o, err);
    if (!st) st = pass_check(set, vm, o, err);
    if (!st && ro.st) {
        st = ro.st;
        *err = ro.err;
    }
    if (ro.csv_open) {
        if (st)
            ts_outfile_discard(&ro.csv);
        else
            st = ts_outfile_close(&ro.csv, err);
    }
    if (!st && ro.sc) {
        ts_scatter_style style = {
            .title = "Guest events outside their vCPU's running periods",
            .x_label = "event time (host clock)",
            .y_label = "distance (+ guest late, - guest early)",
        };
        st = ts_scatter_write(ro.sc, &style, o->svg_path, err);
    }
    ts_scatter_free(ro.sc);
    free(ro.series);
    if (st) {
        ts_vm_free(vm);
        return st;
    }
    *out = vm;
    return TS_OK;
}
