/* VM analysis, second pass: the out-periods of every vCPU from its host thread's
 * sched_switch and kvm entry/exit events. */
#include "vm/vm_impl.h"

#include <stdlib.h>
#include <string.h>

enum { CH_VMM_ON, CH_VMM_OFF, CH_PRE_ON, CH_PRE_OFF };

static ts_status oom(ts_error *err)
{
    return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
}

ts_status ts_vm_add_loss(ts_vm *vm, uint32_t trace, int64_t begin, int64_t end, ts_error *err)
{
    if (!vm->modeled) return ts_error_set(err, TS_ERR_ARG, "loss added before the model pass");
    if (trace >= vm->ntraces)
        return ts_error_set(err, TS_ERR_ARG, "loss on trace %u: only %zu trace(s)", trace,
                            vm->ntraces);
    vm_trace *t = &vm->traces[trace];
    if (t->state_started)
        return ts_error_set(err, TS_ERR_ARG, "trace %s: loss added after its state events",
                            t->name);
    if (end < begin) {
        int64_t x = begin;
        begin = end;
        end = x;
    }
    if (vm_periods_push(&t->losses, begin, end)) return oom(err);
    return TS_OK;
}

static int cmp_period(const void *a, const void *b)
{
    const vm_period *x = a, *y = b;
    if (x->s != y->s) return x->s < y->s ? -1 : 1;
    return x->e < y->e ? -1 : x->e > y->e;
}

/* The state of every vCPU of host trace h becomes unknown: the loss [a, b] is
 * applied once the state pass is past b. */
static int vcpu_loss(vm_vcpu *v, int64_t a)
{
    int64_t s = a;
    if (v->vmm == BIT_ON && v->vmm_s < s) s = v->vmm_s;
    if (v->pre == BIT_ON && v->pre_s < s) s = v->pre_s;
    v->vmm = BIT_UNK;
    v->pre = BIT_UNK;
    if (v->unk_open) {
        if (s < v->unk_s) v->unk_s = s;
    } else {
        v->unk_open = true;
        v->unk_s = s;
    }
    return 0;
}

static void apply_losses(ts_vm *vm, size_t trace, int64_t now, bool all)
{
    vm_trace *t = &vm->traces[trace];
    while (t->next_loss < t->losses.n && (all || t->losses.v[t->next_loss].e < now)) {
        int64_t a = t->losses.v[t->next_loss].s;
        for (size_t g = 0; g < vm->nguests; g++) {
            vm_guest *G = &vm->guests[g];
            if (G->host_trace != (int)trace) continue;
            for (size_t i = 0; i < G->nvcpus; i++)
                if (G->vcpus[i].mapped && G->vcpus[i].host_trace == (int)trace)
                    vcpu_loss(&G->vcpus[i], a);
        }
        t->next_loss++;
    }
}

static int vcpu_change(vm_vcpu *v, int ch, int64_t ts)
{
    if (v->first == VM_NONE) v->first = ts;
    v->last = ts;
    v->state_events++;
    int rc = 0;
    switch (ch) {
    case CH_VMM_ON:
        if (v->vmm != BIT_ON) {
            v->vmm = BIT_ON;
            v->vmm_s = ts;
        }
        break;
    case CH_VMM_OFF:
        if (v->vmm == BIT_ON) rc = vm_periods_push(&v->vmm_p, v->vmm_s, ts);
        v->vmm = BIT_OFF;
        break;
    case CH_PRE_ON:
        if (v->pre != BIT_ON) {
            v->pre = BIT_ON;
            v->pre_s = ts;
        }
        break;
    default:
        if (v->pre == BIT_ON) rc = vm_periods_push(&v->pre_p, v->pre_s, ts);
        v->pre = BIT_OFF;
        break;
    }
    if (v->unk_open && v->vmm != BIT_UNK && v->pre != BIT_UNK) {
        if (vm_periods_push(&v->unk_p, v->unk_s, ts)) rc = -1;
        v->unk_open = false;
    }
    return rc;
}

static vm_vcpu *thread_vcpu(ts_vm *vm, vm_trace *t, int32_t tid)
{
    if (tid < 0) return NULL;
    vm_thread *th = vm_thread_get(t, tid, false);
    if (!th || th->guest < 0 || th->vcpu < 0) return NULL;
    return &vm->guests[th->guest].vcpus[th->vcpu];
}

ts_status ts_vm_state_event(ts_vm *vm, const ts_vm_event *ev, ts_error *err)
{
    if (!vm->modeled || vm->stated)
        return ts_error_set(err, TS_ERR_ARG, "state event outside the state pass");
    if (ev->trace >= vm->ntraces)
        return ts_error_set(err, TS_ERR_ARG, "event of trace %u: only %zu trace(s)", ev->trace,
                            vm->ntraces);
    vm_trace *t = &vm->traces[ev->trace];
    if (!t->vcpu_threads) return TS_OK;
    if (!t->state_started) {
        t->state_started = true;
        if (t->losses.n) qsort(t->losses.v, t->losses.n, sizeof *t->losses.v, cmp_period);
        for (size_t c = 0; c < t->ncpus; c++) t->cur[c] = t->first_prev[c];
    }
    if (t->next_loss < t->losses.n) apply_losses(vm, ev->trace, ev->ts, false);
    bool cpu_ok = ev->cpu < t->ncpus;
    int rc = 0;
    switch (ev->kind) {
    case TS_VM_EV_SCHED_SWITCH: {
        if (ev->tid != ev->tid2) {
            vm_vcpu *p = thread_vcpu(vm, t, ev->tid);
            if (p) rc |= vcpu_change(p, CH_PRE_ON, ev->ts);
            vm_vcpu *n = thread_vcpu(vm, t, ev->tid2);
            if (n) rc |= vcpu_change(n, CH_PRE_OFF, ev->ts);
        }
        if (cpu_ok) t->cur[ev->cpu] = ev->tid2;
        break;
    }
    case TS_VM_EV_KVM_ENTRY:
    case TS_VM_EV_KVM_EXIT: {
        if (!cpu_ok) break;
        vm_vcpu *v = thread_vcpu(vm, t, t->cur[ev->cpu]);
        if (v) rc = vcpu_change(v, ev->kind == TS_VM_EV_KVM_EXIT ? CH_VMM_ON : CH_VMM_OFF, ev->ts);
        break;
    }
    default:
        break;
    }
    return rc ? oom(err) : TS_OK;
}

typedef struct uitem {
    int64_t s, e;
    int unk;
} uitem;

static int cmp_uitem(const void *a, const void *b)
{
    const uitem *x = a, *y = b;
    if (x->s != y->s) return x->s < y->s ? -1 : 1;
    if (x->e != y->e) return x->e < y->e ? -1 : 1;
    return x->unk - y->unk;
}

static int add_items(uitem *it, size_t *n, const vm_periods *p, int unk)
{
    for (size_t i = 0; i < p->n; i++) {
        /* an empty open interval holds no instant; an unknown range is closed */
        if (!unk && p->v[i].s >= p->v[i].e) continue;
        it[*n].s = p->v[i].s;
        it[*n].e = p->v[i].e;
        it[*n].unk = unk;
        (*n)++;
    }
    return 0;
}

/* Union of the flags' periods and the unknown ranges: components that only touch
 * stay apart; a component holding an unknown range is unknown as a whole. */
static int vcpu_finish(vm_vcpu *v)
{
    if (v->vmm == BIT_ON && vm_periods_push(&v->vmm_p, v->vmm_s, INT64_MAX)) return -1;
    if (v->pre == BIT_ON && vm_periods_push(&v->pre_p, v->pre_s, INT64_MAX)) return -1;
    if (v->unk_open && vm_periods_push(&v->unk_p, v->unk_s, INT64_MAX)) return -1;
    size_t total = v->vmm_p.n + v->pre_p.n + v->unk_p.n, n = 0;
    uitem *it = malloc((total ? total : 1) * sizeof *it);
    if (!it) return -1;
    add_items(it, &n, &v->vmm_p, 0);
    add_items(it, &n, &v->pre_p, 0);
    add_items(it, &n, &v->unk_p, 1);
    if (n > 1) qsort(it, n, sizeof *it, cmp_uitem);
    int rc = 0;
    size_t i = 0;
    while (i < n && !rc) {
        uitem cur = it[i++];
        while (i < n && it[i].s < cur.e) {
            if (it[i].e > cur.e) cur.e = it[i].e;
            cur.unk |= it[i].unk;
            i++;
        }
        rc = vm_periods_push(cur.unk ? &v->unk : &v->out, cur.s, cur.e);
    }
    free(it);
    free(v->vmm_p.v);
    free(v->pre_p.v);
    free(v->unk_p.v);
    memset(&v->vmm_p, 0, sizeof v->vmm_p);
    memset(&v->pre_p, 0, sizeof v->pre_p);
    memset(&v->unk_p, 0, sizeof v->unk_p);
    return rc;
}

ts_status ts_vm_state_finish(ts_vm *vm, ts_error *err)
{
    if (!vm->modeled || vm->stated)
        return ts_error_set(err, TS_ERR_ARG, "state pass finished out of order");
    for (size_t i = 0; i < vm->ntraces; i++) {
        vm_trace *t = &vm->traces[i];
        if (!t->vcpu_threads) continue;
        if (!t->state_started) {
            t->state_started = true;
            if (t->losses.n) qsort(t->losses.v, t->losses.n, sizeof *t->losses.v, cmp_period);
        }
        if (t->losses.n)
            vm_note(vm,
                    "host %s: events were lost in %zu place(s); the vCPU states around them are "
                    "unknown (guest events there are not checked)",
                    t->name, t->losses.n);
        apply_losses(vm, i, 0, true);
    }
    for (size_t g = 0; g < vm->nguests; g++) {
        vm_guest *G = &vm->guests[g];
        for (size_t i = 0; i < G->nvcpus; i++) {
            vm_vcpu *v = &G->vcpus[i];
            if (!v->mapped) continue;
            if (vcpu_finish(v)) return oom(err);
            if (v->first == VM_NONE)
                vm_note(vm,
                        "guest %s: vCPU %zu (host thread %d) has no state event (sched_switch, "
                        "kvm entry/exit) in the host trace: its events are not checked",
                        G->name, i, (int)v->tid);
        }
    }
    if (vm->oom) return oom(err);
    vm->stated = true;
    return TS_OK;
}
