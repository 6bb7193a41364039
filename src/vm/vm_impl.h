/* VM analysis internals: the model, the vCPU states and the statistics. */
#ifndef TS_VM_IMPL_H
#define TS_VM_IMPL_H

#include "tracesync/vm.h"

#define VM_NONE    INT64_MIN
#define VM_MAX_CPU 65536 /* larger CPU numbers are "unknown" */

/* Exact accumulators (sums in 128 bits); ts_vm_counts is derived from them. */
typedef struct vm_acc {
    uint64_t total, checked, bad;
    uint64_t no_mapping, before_first, after_last, unknown;
    __int128 sum_abs, sum_signed;
    int64_t max_abs, min_signed, max_signed;
    uint64_t hist[TS_VM_HIST_BINS];
} vm_acc;

void vm_acc_add(vm_acc *dst, const vm_acc *src);
void vm_acc_bad(vm_acc *a, int64_t d);
void vm_acc_counts(const vm_acc *a, ts_vm_counts *out);

/* A host thread seen in the model pass. */
typedef struct vm_thread {
    int32_t tid;
    int32_t pid;        /* process (TGID), -1 unknown */
    int32_t name_vcpu;  /* n of "CPU n/KVM", -1 */
    int64_t exit_vcpu;  /* kvm exit vcpu_id: -1 none, -2 conflicting values */
    int64_t entry_vcpu; /* kvm entry vcpu_id: the same */
    uint64_t vm_uid;    /* from a hypercall nr 5 / vmsync_*_host */
    bool has_vm_uid, vm_uid_conflict;
    uint64_t kvm_events;
    char comm[17];
    int32_t guest, vcpu; /* mapping after the model (-1) */
} vm_thread;

/* Events of a host CPU before its first sched_switch: they belong to that switch's
 * prev_tid, applied when the switch comes. */
typedef struct vm_pre {
    int64_t exit_vcpu, entry_vcpu; /* -1 none, -2 conflict */
    uint64_t vm_uid;
    bool has_vm_uid, vm_uid_conflict;
    uint64_t kvm_events;
} vm_pre;

typedef struct vm_period {
    int64_t s, e;
} vm_period;

typedef struct vm_periods {
    vm_period *v;
    size_t n, cap;
} vm_periods;

enum { BIT_OFF = 0, BIT_ON = 1, BIT_UNK = 2 };

/* One vCPU of a guest (by number). */
typedef struct vm_vcpu {
    bool present; /* entry exists (mapped, or seen in guest events) */
    bool mapped;
    ts_vm_vcpu_source source;
    int host_trace;
    int32_t tid;
    /* state pass */
    uint8_t vmm, pre; /* BIT_* */
    int64_t vmm_s, pre_s;
    bool unk_open;
    int64_t unk_s;
    int64_t first, last;
    uint64_t state_events;
    vm_periods vmm_p, pre_p, unk_p; /* per flag, and unknown ranges (closed) */
    /* after the state pass: union out-periods (open) and unknown ranges (closed) */
    vm_periods out, unk;
    size_t cur_out, cur_unk; /* check cursors */
    vm_acc acc;
} vm_vcpu;

typedef struct vm_guest {
    char *name;
    uint32_t *traces;
    size_t ntraces;
    char *host_id;
    ts_vm_map_source source;
    int host_trace;
    int32_t qemu_pid;
    bool has_vm_uid;
    uint64_t vm_uid;
    int32_t vmsync_cpu;
    int32_t user_pid; /* from ts_vm_set_guest_pid, -1 */
    char *user_host;
    vm_vcpu *vcpus;
    size_t nvcpus;
    vm_acc nocpu;  /* events whose CPU is unknown or too large */
    vm_acc *names; /* per global name id (nnames entries) */
    size_t nnames;
    uint32_t *order; /* name ids in order of first appearance */
    size_t norder;
    bool oom; /* an allocation failed in the check pass (guests may be checked in parallel) */
} vm_guest;

/* Per trace. */
typedef struct vm_trace {
    char *name;
    char *host_id;
    bool entry_id_is_index; /* kernel < 5.9 */
    bool kernel_known;
    uint64_t kvm_events, vmsync_guest_events;
    bool has_vm_uid, vm_uid_conflict;
    uint64_t vm_uid;
    int32_t vmsync_cpu; /* CPU of vmsync_gh_guest events (first seen), -1 */
    bool vmsync_cpu_conflict;
    int guest; /* guest index, -1 */
    /* thread table (every trace during the model pass; hosts afterwards) */
    vm_thread *threads;
    size_t nthreads, capthreads;
    uint32_t *hash; /* open addressing: tid -> index + 1 */
    size_t hashcap;
    /* per CPU */
    int32_t *cur;        /* current tid, -1 unknown */
    int32_t *first_prev; /* prev_tid of the first sched_switch, -1 */
    bool *switched;      /* a sched_switch was seen (model pass) */
    vm_pre *pre;
    size_t ncpus;
    /* losses (host clock), sorted by begin at state time */
    vm_periods losses;
    size_t next_loss;
    bool state_started;
    uint64_t vcpu_threads;
} vm_trace;

struct ts_vm {
    vm_trace *traces;
    size_t ntraces;
    vm_guest *guests;
    size_t nguests;
    char **names; /* interned event names */
    size_t nnames, capnames;
    uint32_t *name_hash;
    size_t name_hashcap;
    char **notes;
    size_t nnotes;
    bool modeled, stated, checked;
    ts_vm_bad_fn on_bad;
    void *on_bad_ctx;
    bool corrected, window;
    int64_t begin_ns, end_ns;
    vm_acc total;
    bool oom;
};

/* helpers shared by the files of the module */
vm_thread *vm_thread_get(vm_trace *t, int32_t tid, bool create);
int vm_trace_cpu(vm_trace *t, uint32_t cpu); /* grow per-CPU arrays; 0 or -1 */
int vm_periods_push(vm_periods *p, int64_t s, int64_t e);
void vm_note(ts_vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "CPU n/KVM" -> n, else -1 */
int32_t vm_parse_vcpu_name(const char *s, size_t len);
/* kernel_release "5.8.0-..." -> true if older than 5.9 */
bool vm_kernel_entry_is_index(const char *release, bool *known);

#endif
