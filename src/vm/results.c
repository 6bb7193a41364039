/* VM analysis: access to the results. */
#include "vm/vm_impl.h"

#include <string.h>

const char *ts_vm_map_source_name(ts_vm_map_source s)
{
    switch (s) {
    case TS_VM_MAP_VMSYNC:
        return "vmsync";
    case TS_VM_MAP_USER:
        return "user";
    default:
        return "none";
    }
}

const char *ts_vm_vcpu_source_name(ts_vm_vcpu_source s)
{
    switch (s) {
    case TS_VM_VCPU_THREAD_NAME:
        return "thread name";
    case TS_VM_VCPU_EXIT_ID:
        return "kvm exit vcpu_id";
    case TS_VM_VCPU_ENTRY_ID:
        return "kvm entry vcpu_id";
    case TS_VM_VCPU_VMSYNC:
        return "vmsync cpu";
    default:
        return "unmapped";
    }
}

size_t ts_vm_trace_count(const ts_vm *vm)
{
    return vm->ntraces;
}

const char *ts_vm_trace_name(const ts_vm *vm, size_t trace)
{
    return trace < vm->ntraces ? vm->traces[trace].name : "";
}

bool ts_vm_trace_is_host(const ts_vm *vm, size_t trace)
{
    return trace < vm->ntraces && vm->traces[trace].kvm_events > 0;
}

int ts_vm_trace_guest(const ts_vm *vm, size_t trace)
{
    return trace < vm->ntraces ? vm->traces[trace].guest : -1;
}

size_t ts_vm_guest_count(const ts_vm *vm)
{
    return vm->nguests;
}

static void guest_acc(const vm_guest *G, vm_acc *a)
{
    memset(a, 0, sizeof *a);
    vm_acc_add(a, &G->nocpu);
    for (size_t i = 0; i < G->nvcpus; i++) vm_acc_add(a, &G->vcpus[i].acc);
}

void ts_vm_guest(const ts_vm *vm, size_t g, ts_vm_guest_info *out)
{
    memset(out, 0, sizeof *out);
    if (g >= vm->nguests) return;
    const vm_guest *G = &vm->guests[g];
    out->name = G->name;
    out->ntraces = G->ntraces;
    out->traces = G->traces;
    out->source = G->source;
    out->host_trace = G->host_trace;
    out->qemu_pid = G->qemu_pid;
    out->has_vm_uid = G->has_vm_uid;
    out->vm_uid = G->vm_uid;
    out->vmsync_cpu = G->vmsync_cpu;
    out->nvcpus = G->nvcpus;
    out->nnames = G->norder;
    vm_acc a;
    guest_acc(G, &a);
    vm_acc_counts(&a, &out->counts);
}

bool ts_vm_vcpu(const ts_vm *vm, size_t g, size_t i, ts_vm_vcpu_info *out)
{
    memset(out, 0, sizeof *out);
    if (g >= vm->nguests || i >= vm->guests[g].nvcpus) return false;
    const vm_guest *G = &vm->guests[g];
    const vm_vcpu *v = &G->vcpus[i];
    if (!v->present) return false;
    out->vcpu = (uint32_t)i;
    out->source = v->mapped ? v->source : TS_VM_VCPU_UNMAPPED;
    out->tid = v->mapped ? v->tid : -1;
    out->thread = "";
    if (v->mapped && v->host_trace >= 0) {
        const vm_trace *h = &vm->traces[v->host_trace];
        for (size_t k = 0; k < h->nthreads; k++)
            if (h->threads[k].tid == v->tid) out->thread = h->threads[k].comm;
    }
    out->state_events = v->state_events;
    out->out_periods = v->out.n;
    out->unknown_ranges = v->unk.n;
    out->first_ns = v->first;
    out->last_ns = v->last;
    vm_acc_counts(&v->acc, &out->counts);
    return true;
}

void ts_vm_name(const ts_vm *vm, size_t g, size_t i, ts_vm_name_info *out)
{
    memset(out, 0, sizeof *out);
    if (g >= vm->nguests || i >= vm->guests[g].norder) return;
    const vm_guest *G = &vm->guests[g];
    uint32_t id = G->order[i];
    out->name = vm->names[id];
    vm_acc_counts(&G->names[id], &out->counts);
}

void ts_vm_total(const ts_vm *vm, ts_vm_counts *out)
{
    vm_acc_counts(&vm->total, out);
}

size_t ts_vm_note_count(const ts_vm *vm)
{
    return vm->nnotes;
}

const char *ts_vm_note(const ts_vm *vm, size_t i)
{
    return i < vm->nnotes ? vm->notes[i] : "";
}

void ts_vm_set_run_info(ts_vm *vm, bool corrected, bool window, int64_t begin_ns, int64_t end_ns)
{
    vm->corrected = corrected;
    vm->window = window;
    vm->begin_ns = begin_ns;
    vm->end_ns = end_ns;
}

bool ts_vm_vcpu_period(const ts_vm *vm, size_t g, size_t i, bool unknown, size_t k, int64_t *s,
                       int64_t *e)
{
    if (g >= vm->nguests || i >= vm->guests[g].nvcpus) return false;
    const vm_periods *p = unknown ? &vm->guests[g].vcpus[i].unk : &vm->guests[g].vcpus[i].out;
    if (k >= p->n) return false;
    *s = p->v[k].s;
    *e = p->v[k].e;
    return true;
}

ts_vm_event_kind ts_vm_event_kind_from_name(const char *name, bool *gh)
{
    static const struct {
        const char *name;
        ts_vm_event_kind kind;
        bool gh;
    } tab[] = {
        {"sched_switch", TS_VM_EV_SCHED_SWITCH, false},
        {"kvm_x86_entry", TS_VM_EV_KVM_ENTRY, false},
        {"kvm_entry", TS_VM_EV_KVM_ENTRY, false},
        {"kvm_x86_exit", TS_VM_EV_KVM_EXIT, false},
        {"kvm_exit", TS_VM_EV_KVM_EXIT, false},
        {"kvm_x86_hypercall", TS_VM_EV_KVM_HYPERCALL, false},
        {"kvm_hypercall", TS_VM_EV_KVM_HYPERCALL, false},
        {"vmsync_gh_host", TS_VM_EV_VMSYNC_HOST, true},
        {"vmsync_hg_host", TS_VM_EV_VMSYNC_HOST, false},
        {"vmsync_gh_guest", TS_VM_EV_VMSYNC_GUEST, true},
        {"vmsync_hg_guest", TS_VM_EV_VMSYNC_GUEST, false},
        {"lttng_statedump_process_state", TS_VM_EV_PROCESS, false},
        {"sched_process_fork", TS_VM_EV_PROCESS, false},
    };
    if (gh) *gh = false;
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (!strcmp(name, tab[i].name)) {
            if (gh) *gh = tab[i].gh;
            return tab[i].kind;
        }
    return TS_VM_EV_OTHER;
}
