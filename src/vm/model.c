/* VM analysis, first pass: traces, roles, host threads, guests and their vCPUs. */
#include "vm/vm_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers -------------------------------------------------------- */

int vm_periods_push(vm_periods *p, int64_t s, int64_t e)
{
    if (p->n == p->cap) {
        size_t ncap = p->cap ? p->cap * 2 : 16;
        vm_period *nv = realloc(p->v, ncap * sizeof *nv);
        if (!nv) return -1;
        p->v = nv;
        p->cap = ncap;
    }
    p->v[p->n].s = s;
    p->v[p->n].e = e;
    p->n++;
    return 0;
}

void vm_note(ts_vm *vm, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < vm->nnotes; i++)
        if (!strcmp(vm->notes[i], buf)) return;
    char **nn = realloc(vm->notes, (vm->nnotes + 1) * sizeof *nn);
    char *s = strdup(buf);
    if (nn) vm->notes = nn;
    if (!nn || !s) {
        free(s);
        vm->oom = true;
        return;
    }
    vm->notes[vm->nnotes++] = s;
}

int32_t vm_parse_vcpu_name(const char *s, size_t len)
{
    /* QEMU names its vCPU threads "CPU <n>/KVM" */
    if (len < 9 || memcmp(s, "CPU ", 4) != 0) return -1;
    size_t i = 4;
    int64_t n = 0;
    if (i >= len || s[i] < '0' || s[i] > '9') return -1;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        n = n * 10 + (s[i] - '0');
        if (n >= VM_MAX_CPU) return -1;
        i++;
    }
    if (len - i < 4 || memcmp(s + i, "/KVM", 4) != 0) return -1;
    i += 4;
    while (i < len && s[i] == '\0') i++; /* char arrays padded with NULs */
    return i == len ? (int32_t)n : -1;
}

bool vm_kernel_entry_is_index(const char *release, bool *known)
{
    /* Linux 5.9 changed the kvm_entry tracepoint to take the vcpu pointer;
     * lttng-modules still records it as "vcpu_id" (anchor notes 1.6). */
    *known = false;
    if (!release) return false;
    char *end;
    long major = strtol(release, &end, 10);
    if (end == release || *end != '.') return false;
    const char *p = end + 1;
    long minor = strtol(p, &end, 10);
    if (end == p) return false;
    *known = true;
    return major < 5 || (major == 5 && minor < 9);
}

static uint32_t hash_tid(int32_t tid)
{
    return (uint32_t)tid * 2654435761u;
}

static int thread_hash_grow(vm_trace *t)
{
    size_t ncap = t->hashcap ? t->hashcap * 2 : 256;
    uint32_t *nh = calloc(ncap, sizeof *nh);
    if (!nh) return -1;
    for (size_t i = 0; i < t->nthreads; i++) {
        size_t h = hash_tid(t->threads[i].tid) & (ncap - 1);
        while (nh[h]) h = (h + 1) & (ncap - 1);
        nh[h] = (uint32_t)i + 1;
    }
    free(t->hash);
    t->hash = nh;
    t->hashcap = ncap;
    return 0;
}

vm_thread *vm_thread_get(vm_trace *t, int32_t tid, bool create)
{
    if (t->hashcap) {
        size_t h = hash_tid(tid) & (t->hashcap - 1);
        while (t->hash[h]) {
            vm_thread *th = &t->threads[t->hash[h] - 1];
            if (th->tid == tid) return th;
            h = (h + 1) & (t->hashcap - 1);
        }
    }
    if (!create) return NULL;
    if ((t->nthreads + 1) * 2 > t->hashcap && thread_hash_grow(t)) return NULL;
    if (t->nthreads == t->capthreads) {
        size_t ncap = t->capthreads ? t->capthreads * 2 : 64;
        vm_thread *nv = realloc(t->threads, ncap * sizeof *nv);
        if (!nv) return NULL;
        t->threads = nv;
        t->capthreads = ncap;
    }
    vm_thread *th = &t->threads[t->nthreads];
    memset(th, 0, sizeof *th);
    th->tid = tid;
    th->pid = -1;
    th->name_vcpu = -1;
    th->exit_vcpu = -1;
    th->entry_vcpu = -1;
    th->guest = -1;
    th->vcpu = -1;
    size_t h = hash_tid(tid) & (t->hashcap - 1);
    while (t->hash[h]) h = (h + 1) & (t->hashcap - 1);
    t->hash[h] = (uint32_t)t->nthreads + 1;
    t->nthreads++;
    return th;
}

int vm_trace_cpu(vm_trace *t, uint32_t cpu)
{
    if (cpu >= VM_MAX_CPU) return -1;
    if (cpu < t->ncpus) return 0;
    size_t n = (size_t)cpu + 1;
    if (n < t->ncpus * 2) n = t->ncpus * 2;
    if (n > VM_MAX_CPU) n = VM_MAX_CPU;
    int32_t *cur = realloc(t->cur, n * sizeof *cur);
    if (cur) t->cur = cur;
    int32_t *fp = realloc(t->first_prev, n * sizeof *fp);
    if (fp) t->first_prev = fp;
    bool *sw = realloc(t->switched, n * sizeof *sw);
    if (sw) t->switched = sw;
    vm_pre *pre = realloc(t->pre, n * sizeof *pre);
    if (pre) t->pre = pre;
    if (!cur || !fp || !sw || !pre) return -1;
    for (size_t i = t->ncpus; i < n; i++) {
        t->cur[i] = -1;
        t->first_prev[i] = -1;
        t->switched[i] = false;
        memset(&t->pre[i], 0, sizeof t->pre[i]);
        t->pre[i].exit_vcpu = -1;
        t->pre[i].entry_vcpu = -1;
    }
    t->ncpus = n;
    return 0;
}

/* ---- creation --------------------------------------------------------------- */

ts_vm *ts_vm_new(void)
{
    return calloc(1, sizeof(ts_vm));
}

static void periods_free(vm_periods *p)
{
    free(p->v);
    memset(p, 0, sizeof *p);
}

static void trace_free_threads(vm_trace *t)
{
    free(t->threads);
    free(t->hash);
    t->threads = NULL;
    t->hash = NULL;
    t->nthreads = t->capthreads = t->hashcap = 0;
}

void ts_vm_free(ts_vm *vm)
{
    if (!vm) return;
    for (size_t i = 0; i < vm->ntraces; i++) {
        vm_trace *t = &vm->traces[i];
        free(t->name);
        free(t->host_id);
        trace_free_threads(t);
        free(t->cur);
        free(t->first_prev);
        free(t->switched);
        free(t->pre);
        periods_free(&t->losses);
    }
    free(vm->traces);
    for (size_t g = 0; g < vm->nguests; g++) {
        vm_guest *G = &vm->guests[g];
        free(G->name);
        free(G->traces);
        free(G->host_id);
        free(G->user_host);
        for (size_t v = 0; v < G->nvcpus; v++) {
            vm_vcpu *c = &G->vcpus[v];
            periods_free(&c->vmm_p);
            periods_free(&c->pre_p);
            periods_free(&c->unk_p);
            periods_free(&c->out);
            periods_free(&c->unk);
        }
        free(G->vcpus);
        free(G->names);
        free(G->order);
    }
    free(vm->guests);
    for (size_t i = 0; i < vm->nnames; i++) free(vm->names[i]);
    free(vm->names);
    free(vm->name_hash);
    for (size_t i = 0; i < vm->nnotes; i++) free(vm->notes[i]);
    free(vm->notes);
    free(vm);
}

ts_status ts_vm_add_trace(ts_vm *vm, const char *name, const char *host_id,
                          const char *kernel_release, ts_error *err)
{
    if (vm->modeled)
        return ts_error_set(err, TS_ERR_ARG, "trace %s declared after the model pass", name);
    vm_trace *nt = realloc(vm->traces, (vm->ntraces + 1) * sizeof *nt);
    if (!nt) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    vm->traces = nt;
    vm_trace *t = &vm->traces[vm->ntraces];
    memset(t, 0, sizeof *t);
    t->name = strdup(name ? name : "");
    t->host_id = strdup(host_id && host_id[0] ? host_id : (name ? name : ""));
    if (!t->name || !t->host_id) {
        free(t->name);
        free(t->host_id);
        return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    }
    t->entry_id_is_index = vm_kernel_entry_is_index(kernel_release, &t->kernel_known);
    t->vmsync_cpu = -1;
    t->guest = -1;
    vm->ntraces++;
    return TS_OK;
}

static int find_trace(const ts_vm *vm, const char *name)
{
    for (size_t i = 0; i < vm->ntraces; i++)
        if (!strcmp(vm->traces[i].name, name)) return (int)i;
    return -1;
}

static ts_status unknown_trace(const ts_vm *vm, const char *what, const char *name, ts_error *err)
{
    char list[700];
    size_t l = 0;
    list[0] = 0;
    for (size_t i = 0; i < vm->ntraces && l < sizeof list - 1; i++)
        l += (size_t)snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", vm->traces[i].name);
    return ts_error_set(err, TS_ERR_NOTFOUND, "%s: no trace named '%s' (the traces are: %s)", what,
                        name, list);
}

/* Guest of a trace's host id, created if needed. */
static int guest_for(ts_vm *vm, size_t trace)
{
    vm_trace *t = &vm->traces[trace];
    if (t->guest >= 0) return t->guest;
    for (size_t g = 0; g < vm->nguests; g++)
        if (!strcmp(vm->guests[g].host_id, t->host_id)) {
            vm_guest *G = &vm->guests[g];
            uint32_t *nt = realloc(G->traces, (G->ntraces + 1) * sizeof *nt);
            if (!nt) return -1;
            G->traces = nt;
            G->traces[G->ntraces++] = (uint32_t)trace;
            t->guest = (int)g;
            return (int)g;
        }
    vm_guest *ng = realloc(vm->guests, (vm->nguests + 1) * sizeof *ng);
    if (!ng) return -1;
    vm->guests = ng;
    vm_guest *G = &vm->guests[vm->nguests];
    memset(G, 0, sizeof *G);
    G->name = strdup(t->name);
    G->host_id = strdup(t->host_id);
    G->traces = malloc(sizeof *G->traces);
    if (!G->name || !G->host_id || !G->traces) {
        free(G->name);
        free(G->host_id);
        free(G->traces);
        return -1;
    }
    G->traces[0] = (uint32_t)trace;
    G->ntraces = 1;
    G->host_trace = -1;
    G->qemu_pid = -1;
    G->vmsync_cpu = -1;
    G->user_pid = -1;
    t->guest = (int)vm->nguests;
    return (int)vm->nguests++;
}

ts_status ts_vm_set_guest_pid(ts_vm *vm, const ts_vm_guest_pid *gp, ts_error *err)
{
    if (vm->modeled) return ts_error_set(err, TS_ERR_ARG, "--guest given after the model pass");
    if (gp->pid <= 0)
        return ts_error_set(err, TS_ERR_ARG, "--guest %s=%d: the QEMU pid must be positive",
                            gp->guest, (int)gp->pid);
    int t = find_trace(vm, gp->guest);
    if (t < 0) return unknown_trace(vm, "--guest", gp->guest, err);
    if (gp->host && find_trace(vm, gp->host) < 0)
        return unknown_trace(vm, "--guest ...@HOST", gp->host, err);
    int g = guest_for(vm, (size_t)t);
    if (g < 0) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    vm_guest *G = &vm->guests[g];
    if (G->user_pid >= 0 && G->user_pid != gp->pid)
        return ts_error_set(err, TS_ERR_ARG, "--guest %s: given twice (pids %d and %d)", gp->guest,
                            (int)G->user_pid, (int)gp->pid);
    G->user_pid = gp->pid;
    free(G->user_host);
    G->user_host = gp->host ? strdup(gp->host) : NULL;
    if (gp->host && !G->user_host) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    return TS_OK;
}

ts_status ts_vm_guest_pid_parse(const char *arg, char *buf, size_t bufsize, ts_vm_guest_pid *out,
                                ts_error *err)
{
    size_t l = strlen(arg);
    if (l + 1 > bufsize) return ts_error_set(err, TS_ERR_ARG, "--guest '%s': too long", arg);
    memcpy(buf, arg, l + 1);
    char *eq = strrchr(buf, '=');
    if (!eq || eq == buf)
        return ts_error_set(err, TS_ERR_ARG, "--guest '%s': expected NAME=QEMU_PID[@HOST]", arg);
    *eq = 0;
    char *pid = eq + 1;
    char *at = strchr(pid, '@');
    out->host = NULL;
    if (at) {
        *at = 0;
        if (!at[1])
            return ts_error_set(err, TS_ERR_ARG, "--guest '%s': empty host name after '@'", arg);
        out->host = at + 1;
    }
    char *end;
    long v = strtol(pid, &end, 10);
    if (!*pid || *end || v <= 0 || v > INT32_MAX)
        return ts_error_set(err, TS_ERR_ARG, "--guest '%s': '%s' is not a process id", arg, pid);
    out->guest = buf;
    out->pid = (int32_t)v;
    return TS_OK;
}

void ts_vm_set_bad_callback(ts_vm *vm, ts_vm_bad_fn fn, void *ctx)
{
    vm->on_bad = fn;
    vm->on_bad_ctx = ctx;
}

/* ---- model pass ---------------------------------------------------------------- */

static void merge_id(int64_t *dst, int64_t v)
{
    if (v < 0) return;
    if (*dst == -1)
        *dst = v;
    else if (*dst != v)
        *dst = -2;
}

static void merge_uid(uint64_t *dst, bool *has, bool *conflict, uint64_t v)
{
    if (!*has) {
        *dst = v;
        *has = true;
    } else if (*dst != v) {
        *conflict = true;
    }
}

static void set_comm(vm_thread *th, const char *s, size_t len)
{
    if (!s || !len) return;
    while (len && s[len - 1] == '\0') len--;
    if (!len) return;
    if (len > 16) len = 16;
    memcpy(th->comm, s, len);
    th->comm[len] = 0;
    int32_t n = vm_parse_vcpu_name(s, len);
    if (n >= 0) th->name_vcpu = n;
}

static ts_status oom(ts_error *err)
{
    return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
}

ts_status ts_vm_model_event(ts_vm *vm, const ts_vm_event *ev, ts_error *err)
{
    if (ev->trace >= vm->ntraces)
        return ts_error_set(err, TS_ERR_ARG, "event of trace %u: only %zu trace(s) declared",
                            ev->trace, vm->ntraces);
    vm_trace *t = &vm->traces[ev->trace];
    bool cpu_ok = ev->cpu != UINT32_MAX && vm_trace_cpu(t, ev->cpu) == 0;
    if (ev->cpu != UINT32_MAX && ev->cpu < VM_MAX_CPU && !cpu_ok) return oom(err);
    switch (ev->kind) {
    case TS_VM_EV_SCHED_SWITCH: {
        vm_thread *p = vm_thread_get(t, ev->tid, true);
        if (!p) return oom(err);
        set_comm(p, ev->comm, ev->comm_len);
        vm_thread *n = vm_thread_get(t, ev->tid2, true);
        if (!n) return oom(err);
        p = vm_thread_get(t, ev->tid, false); /* the table may have moved */
        set_comm(n, ev->comm2, ev->comm2_len);
        if (!cpu_ok) break;
        if (!t->switched[ev->cpu]) {
            t->switched[ev->cpu] = true;
            t->first_prev[ev->cpu] = ev->tid;
            vm_pre *pre = &t->pre[ev->cpu];
            merge_id(&p->exit_vcpu, pre->exit_vcpu);
            merge_id(&p->entry_vcpu, pre->entry_vcpu);
            if (pre->exit_vcpu == -2) p->exit_vcpu = -2;
            if (pre->entry_vcpu == -2) p->entry_vcpu = -2;
            if (pre->has_vm_uid)
                merge_uid(&p->vm_uid, &p->has_vm_uid, &p->vm_uid_conflict, pre->vm_uid);
            if (pre->vm_uid_conflict) p->vm_uid_conflict = true;
            p->kvm_events += pre->kvm_events;
        }
        t->cur[ev->cpu] = ev->tid2;
        break;
    }
    case TS_VM_EV_KVM_ENTRY:
    case TS_VM_EV_KVM_EXIT:
    case TS_VM_EV_KVM_HYPERCALL:
    case TS_VM_EV_VMSYNC_HOST: {
        bool entry = ev->kind == TS_VM_EV_KVM_ENTRY, exit_ = ev->kind == TS_VM_EV_KVM_EXIT;
        if (entry || exit_) t->kvm_events++;
        bool uid = (ev->kind == TS_VM_EV_KVM_HYPERCALL && ev->nr == 5) ||
                   (ev->kind == TS_VM_EV_VMSYNC_HOST && ev->has_vm_uid);
        uint64_t u = ev->kind == TS_VM_EV_KVM_HYPERCALL ? ev->a1 : ev->vm_uid;
        if (!cpu_ok || (!entry && !exit_ && !uid)) break;
        if (!t->switched[ev->cpu]) {
            vm_pre *pre = &t->pre[ev->cpu];
            if (entry || exit_) pre->kvm_events++;
            if (exit_) merge_id(&pre->exit_vcpu, ev->vcpu_id);
            if (entry) merge_id(&pre->entry_vcpu, ev->vcpu_id);
            if (uid) merge_uid(&pre->vm_uid, &pre->has_vm_uid, &pre->vm_uid_conflict, u);
            break;
        }
        if (t->cur[ev->cpu] < 0) break;
        vm_thread *th = vm_thread_get(t, t->cur[ev->cpu], true);
        if (!th) return oom(err);
        if (entry || exit_) th->kvm_events++;
        if (exit_) merge_id(&th->exit_vcpu, ev->vcpu_id);
        if (entry) merge_id(&th->entry_vcpu, ev->vcpu_id);
        if (uid) merge_uid(&th->vm_uid, &th->has_vm_uid, &th->vm_uid_conflict, u);
        break;
    }
    case TS_VM_EV_VMSYNC_GUEST:
        t->vmsync_guest_events++;
        if (ev->has_vm_uid) merge_uid(&t->vm_uid, &t->has_vm_uid, &t->vm_uid_conflict, ev->vm_uid);
        if (ev->gh && ev->cpu != UINT32_MAX && ev->cpu < VM_MAX_CPU) {
            if (t->vmsync_cpu < 0)
                t->vmsync_cpu = (int32_t)ev->cpu;
            else if (t->vmsync_cpu != (int32_t)ev->cpu)
                t->vmsync_cpu_conflict = true;
        }
        break;
    case TS_VM_EV_PROCESS: {
        if (ev->tid < 0) break;
        vm_thread *th = vm_thread_get(t, ev->tid, true);
        if (!th) return oom(err);
        if (ev->pid > 0) th->pid = ev->pid;
        set_comm(th, ev->comm, ev->comm_len);
        break;
    }
    default:
        break;
    }
    return TS_OK;
}

/* ---- resolution ------------------------------------------------------------------ */

static bool is_vcpu_like(const vm_thread *th)
{
    return th->kvm_events > 0 || th->name_vcpu >= 0;
}

static int grow_vcpus(vm_guest *G, size_t n)
{
    if (n <= G->nvcpus) return 0;
    vm_vcpu *nv = realloc(G->vcpus, n * sizeof *nv);
    if (!nv) return -1;
    memset(nv + G->nvcpus, 0, (n - G->nvcpus) * sizeof *nv);
    for (size_t i = G->nvcpus; i < n; i++) {
        nv[i].host_trace = -1;
        nv[i].tid = -1;
        nv[i].first = VM_NONE;
        nv[i].last = VM_NONE;
    }
    G->vcpus = nv;
    G->nvcpus = n;
    return 0;
}

/* vCPU number of a thread of guest G, or -1. */
static int64_t vcpu_number(const vm_trace *h, const vm_thread *th, const vm_guest *G,
                           bool uid_thread, ts_vm_vcpu_source *src)
{
    if (th->name_vcpu >= 0) {
        *src = TS_VM_VCPU_THREAD_NAME;
        return th->name_vcpu;
    }
    if (th->exit_vcpu >= 0 && th->exit_vcpu < VM_MAX_CPU) {
        *src = TS_VM_VCPU_EXIT_ID;
        return th->exit_vcpu;
    }
    if (h->entry_id_is_index && th->entry_vcpu >= 0 && th->entry_vcpu < VM_MAX_CPU) {
        *src = TS_VM_VCPU_ENTRY_ID;
        return th->entry_vcpu;
    }
    if (uid_thread && G->vmsync_cpu >= 0) {
        *src = TS_VM_VCPU_VMSYNC;
        return G->vmsync_cpu;
    }
    return -1;
}

static ts_status map_thread(ts_vm *vm, size_t g, int host, vm_thread *th, bool uid_thread,
                            ts_error *err)
{
    vm_guest *G = &vm->guests[g];
    vm_trace *h = &vm->traces[host];
    if (th->guest >= 0) {
        if ((size_t)th->guest != g)
            vm_note(vm, "host %s: thread %d is claimed by guests %s and %s; kept for %s", h->name,
                    (int)th->tid, vm->guests[th->guest].name, G->name, vm->guests[th->guest].name);
        return TS_OK;
    }
    ts_vm_vcpu_source src = TS_VM_VCPU_UNMAPPED;
    int64_t n = vcpu_number(h, th, G, uid_thread, &src);
    if (n < 0) {
        th->guest = (int32_t)g; /* a thread of the guest, not an orphan, but no vCPU */
        if (!h->entry_id_is_index && th->entry_vcpu >= 0)
            vm_note(vm,
                    "guest %s: host %s thread %d (%s) runs a vCPU whose number is unknown: its "
                    "kvm entry vcpu_id is not an index on kernel%s >= 5.9, and it has no 'CPU "
                    "n/KVM' name nor kvm exit vcpu_id",
                    G->name, h->name, (int)th->tid, th->comm[0] ? th->comm : "?",
                    h->kernel_known ? "s" : " unknown, assumed");
        else
            vm_note(vm,
                    "guest %s: host %s thread %d (%s) runs a vCPU whose number is unknown (no "
                    "'CPU n/KVM' name, no vcpu_id)",
                    G->name, h->name, (int)th->tid, th->comm[0] ? th->comm : "?");
        return TS_OK;
    }
    if (grow_vcpus(G, (size_t)n + 1)) return oom(err);
    vm_vcpu *v = &G->vcpus[n];
    if (v->mapped) {
        vm_thread *other = vm_thread_get(h, v->tid, false);
        bool replace = other && th->kvm_events > other->kvm_events;
        vm_note(vm, "guest %s: vCPU %lld claimed by host threads %d and %d; kept %d", G->name,
                (long long)n, (int)v->tid, (int)th->tid, replace ? (int)th->tid : (int)v->tid);
        if (!replace) return TS_OK;
        other->guest = -1;
        other->vcpu = -1;
    }
    v->present = true;
    v->mapped = true;
    v->source = src;
    v->host_trace = host;
    v->tid = th->tid;
    th->guest = (int32_t)g;
    th->vcpu = (int32_t)n;
    return TS_OK;
}

static void trace_list(const ts_vm *vm, char *buf, size_t size, bool hosts)
{
    size_t l = 0;
    buf[0] = 0;
    for (size_t i = 0; i < vm->ntraces && l < size - 1; i++)
        if (!hosts || vm->traces[i].kvm_events)
            l += (size_t)snprintf(buf + l, size - l, "%s%s", l ? ", " : "", vm->traces[i].name);
}

static ts_status resolve_guest(ts_vm *vm, size_t g, ts_error *err)
{
    vm_guest *G = &vm->guests[g];
    int host = -1;
    int32_t pid = -1;
    if (G->user_pid > 0) {
        int found = 0;
        for (size_t h = 0; h < vm->ntraces; h++) {
            vm_trace *H = &vm->traces[h];
            if (!H->kvm_events) continue;
            if (G->user_host && strcmp(H->name, G->user_host)) continue;
            for (size_t i = 0; i < H->nthreads; i++)
                if (H->threads[i].pid == G->user_pid && is_vcpu_like(&H->threads[i])) {
                    if (host != (int)h) found++;
                    host = (int)h;
                    break;
                }
        }
        if (found > 1) {
            vm_note(vm,
                    "guest %s: process %d has vCPU threads on several hosts; say which with "
                    "--guest %s=%d@HOST; not mapped",
                    G->name, (int)G->user_pid, G->name, (int)G->user_pid);
            return TS_OK;
        }
        if (host < 0) {
            char hosts[600];
            trace_list(vm, hosts, sizeof hosts, true);
            vm_note(vm,
                    "guest %s: no vCPU thread (named 'CPU n/KVM' or running kvm entries/exits) "
                    "of process %d on %s%s; not mapped",
                    G->name, (int)G->user_pid, G->user_host ? "host " : "any host",
                    G->user_host ? G->user_host
                    : hosts[0]   ? ""
                                 : " (no trace has kvm events)");
            return TS_OK;
        }
        pid = G->user_pid;
        G->source = TS_VM_MAP_USER;
    } else if (G->has_vm_uid) {
        /* the host thread(s) that made the guest's vmsync hypercalls */
        size_t nhosts = 0;
        for (size_t h = 0; h < vm->ntraces; h++) {
            vm_trace *H = &vm->traces[h];
            bool hit = false;
            for (size_t i = 0; i < H->nthreads && !hit; i++)
                hit = H->threads[i].has_vm_uid && H->threads[i].vm_uid == G->vm_uid;
            if (hit) {
                if (host < 0) host = (int)h;
                nhosts++;
            }
        }
        if (host < 0) {
            vm_note(vm,
                    "guest %s: no host thread made a vmsync hypercall (kvm_x86_hypercall nr 5 or "
                    "vmsync_gh_host) with its vm_uid %llu; give its QEMU process with --guest "
                    "%s=PID; not mapped",
                    G->name, (unsigned long long)G->vm_uid, G->name);
            return TS_OK;
        }
        if (nhosts > 1)
            vm_note(vm, "guest %s: its vm_uid appears on %zu hosts; using %s", G->name, nhosts,
                    vm->traces[host].name);
        vm_trace *H = &vm->traces[host];
        for (size_t i = 0; i < H->nthreads; i++) {
            vm_thread *th = &H->threads[i];
            if (!th->has_vm_uid || th->vm_uid != G->vm_uid) continue;
            if (th->pid > 0) {
                if (pid < 0)
                    pid = th->pid;
                else if (pid != th->pid)
                    vm_note(vm, "guest %s: its vmsync hypercalls come from processes %d and %d",
                            G->name, (int)pid, (int)th->pid);
            }
        }
        G->source = TS_VM_MAP_VMSYNC;
    } else {
        vm_note(vm,
                "guest %s: its vmsync events carry no vm_uid; give its QEMU process with "
                "--guest %s=PID; not mapped",
                G->name, G->name);
        return TS_OK;
    }
    G->host_trace = host;
    G->qemu_pid = pid;
    vm_trace *H = &vm->traces[host];
    if (pid < 0)
        vm_note(vm,
                "guest %s: the process of host %s's vmsync thread is unknown (no statedump or "
                "fork event for it): only that thread's vCPU is mapped",
                G->name, H->name);
    for (size_t i = 0; i < H->nthreads; i++) {
        vm_thread *th = &H->threads[i];
        bool uid_thread =
            G->source == TS_VM_MAP_VMSYNC && th->has_vm_uid && th->vm_uid == G->vm_uid;
        bool member = uid_thread || (pid > 0 && th->pid == pid && is_vcpu_like(th));
        if (!member) continue;
        ts_status st = map_thread(vm, g, host, th, uid_thread, err);
        if (st) return st;
    }
    return TS_OK;
}

ts_status ts_vm_model_finish(ts_vm *vm, ts_error *err)
{
    if (vm->modeled) return ts_error_set(err, TS_ERR_ARG, "model pass finished twice");
    if (vm->oom) return oom(err);
    /* guests: traces with vmsync guest events (plus those named by --guest already) */
    for (size_t i = 0; i < vm->ntraces; i++)
        if (vm->traces[i].vmsync_guest_events && guest_for(vm, i) < 0) return oom(err);
    /* other traces of a guest's host id belong to it */
    for (size_t i = 0; i < vm->ntraces; i++) {
        if (vm->traces[i].guest >= 0) continue;
        for (size_t g = 0; g < vm->nguests; g++)
            if (!strcmp(vm->guests[g].host_id, vm->traces[i].host_id) && guest_for(vm, i) < 0)
                return oom(err);
    }
    for (size_t g = 0; g < vm->nguests; g++) {
        vm_guest *G = &vm->guests[g];
        for (size_t k = 0; k < G->ntraces; k++) {
            vm_trace *t = &vm->traces[G->traces[k]];
            if (t->has_vm_uid) {
                if (!G->has_vm_uid) {
                    G->has_vm_uid = true;
                    G->vm_uid = t->vm_uid;
                } else if (G->vm_uid != t->vm_uid) {
                    vm_note(vm, "guest %s: its traces carry different vm_uids; using %llu", G->name,
                            (unsigned long long)G->vm_uid);
                }
            }
            if (t->vm_uid_conflict)
                vm_note(vm, "guest %s: trace %s carries several vm_uids; using %llu", G->name,
                        t->name, (unsigned long long)t->vm_uid);
            if (t->vmsync_cpu >= 0 && G->vmsync_cpu < 0) G->vmsync_cpu = t->vmsync_cpu;
            if (t->vmsync_cpu_conflict) G->vmsync_cpu = -1; /* not usable as a vCPU number */
        }
    }
    for (size_t g = 0; g < vm->nguests; g++) {
        ts_status st = resolve_guest(vm, g, err);
        if (st) return st;
    }
    /* hosts: vCPU threads of no known guest; drop the thread tables of other traces */
    for (size_t i = 0; i < vm->ntraces; i++) {
        vm_trace *t = &vm->traces[i];
        if (!t->kvm_events) {
            trace_free_threads(t);
            continue;
        }
        size_t orphans = 0;
        char list[200];
        size_t l = 0;
        list[0] = 0;
        for (size_t k = 0; k < t->nthreads; k++) {
            vm_thread *th = &t->threads[k];
            if (th->guest >= 0) {
                if (th->vcpu >= 0) t->vcpu_threads++;
                continue;
            }
            if (!th->kvm_events) continue;
            orphans++;
            if (l < sizeof list - 40)
                l += (size_t)snprintf(list + l, sizeof list - l, "%s%d", l ? ", " : "",
                                      (int)th->tid);
        }
        if (orphans)
            vm_note(vm,
                    "host %s: %zu thread(s) running kvm entries/exits belong to no guest of "
                    "the set (tids %s%s)",
                    t->name, orphans, list, l >= sizeof list - 40 ? ", ..." : "");
    }
    if (vm->oom) return oom(err);
    vm->modeled = true;
    return TS_OK;
}

bool ts_vm_needs_state(const ts_vm *vm, size_t trace)
{
    return vm->modeled && trace < vm->ntraces && vm->traces[trace].vcpu_threads > 0;
}

bool ts_vm_needs_check(const ts_vm *vm, size_t trace)
{
    return vm->modeled && trace < vm->ntraces && vm->traces[trace].guest >= 0;
}
