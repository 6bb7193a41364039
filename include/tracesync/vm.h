/* tracesync: the VM analysis -- guest events placed against their vCPU's host state.
 *
 * With a host trace and its guests' traces, every guest event should fall where
 * the host ran that guest's vCPU in guest mode.  An event that falls where the
 * vCPU thread was scheduled out on the host (preempted) or was in hypervisor mode
 * (between a kvm exit and the next kvm entry) reveals a clock error; its distance
 * to the nearest running time measures it.  docs/cli-vm.md tells the whole story.
 *
 *   ts_vm_options o = {0};              // raw clocks; o.formulas to correct them
 *   ts_vm *vm;
 *   ts_vm_run(set, &o, &vm, &err);      // model, state and check passes
 *   char *txt = ts_vm_format_report(vm, 10);
 *   ts_vm_write_json(vm, "vm.json", &err);
 *   ts_vm_free(vm);
 *
 * The analysis is also usable without CTF, from plain events (tests do this):
 *   ts_vm_new; ts_vm_add_trace (each trace, in index order);
 *   model pass:  ts_vm_model_event (host sched_switch, statedump, fork, kvm
 *                entry/exit/hypercall, vmsync events) ...; ts_vm_model_finish;
 *   state pass:  ts_vm_add_loss ...; ts_vm_state_event (host sched_switch and kvm
 *                entry/exit, in time order per host trace) ...; ts_vm_state_finish;
 *   check pass:  ts_vm_check_event (every guest event) ...; ts_vm_check_finish.
 *
 * Model (first pass, over whole traces, so that mappings found late apply to
 * events early):
 * - Roles: a trace with kvm entry/exit events (kvm_x86_entry/kvm_x86_exit, or the
 *   old kvm_entry/kvm_exit) is a host; a trace with vmsync_gh_guest/hg_guest events,
 *   or named by a --guest mapping, is a guest.  Traces of the same host id as a
 *   guest trace (its other domains) belong to that guest.
 * - Guest -> QEMU process: the host thread that made the hypercall nr 5 carrying
 *   the guest's vm_uid (kvm_x86_hypercall a1, or vmsync_gh_host/hg_host), and that
 *   thread's process id (statedump `pid`, sched_process_fork `child_pid`); or given
 *   (ts_vm_set_guest_pid).  A guest that cannot be mapped is reported, not guessed.
 * - vCPU threads of a guest: threads of its QEMU process that are named "CPU n/KVM"
 *   or run kvm entries/exits (plus the hypercall thread itself).  vCPU number, in
 *   order of preference: n of the thread name; vcpu_id of kvm_x86_exit; vcpu_id of
 *   kvm_x86_entry only when the host kernel is older than 5.9 (later kernels record
 *   a pointer there); the CPU of the guest's vmsync_gh_guest events for the
 *   hypercall thread.  Guest event CPU = vCPU number.
 * - Host current thread per CPU: next_tid of the last sched_switch; before the
 *   first sched_switch of a CPU, that switch's prev_tid.
 *
 * State (second pass, host traces in time order after the time maps): per vCPU, two
 * flags -- hypervisor (on at a kvm exit of its thread, off at the next kvm entry)
 * and preempted (on when a sched_switch switches the thread out, off when one
 * switches it in).  Each flag gives open intervals (on, off); the out-periods of a
 * vCPU are their union (intervals that merely touch stay apart).  A flag never set
 * counts as off.  Events lost on a host (events_discarded, lost packets) make the
 * state unknown from the start of the out-period open at the loss (or the loss)
 * until both flags are known again; out-periods overlapping that range become
 * unknown as a whole.
 *
 * Check (third pass, every guest event, times mapped onto the host clock): an event
 * at time g on vCPU n is
 * - unchecked, no mapping: the guest or vCPU n is not mapped to a host thread;
 * - unchecked, before / after: g is before the first or after the last state event
 *   of the vCPU thread (sched_switch in or out, kvm entry or exit);
 * - unchecked, unknown: g is in an unknown range;
 * - bad: s < g < e for an out-period (s, e); its distance is g - s (positive, the
 *   guest clock is late) when g - s < e - g, else -(e - g) (negative, the guest
 *   clock is early); an out-period still open at the end has e = +infinity;
 * - otherwise fine (checked, not bad).  Boundaries count as running: state changes
 *   at an instant apply before the guest events of that instant.
 */
#ifndef TRACESYNC_VM_H
#define TRACESYNC_VM_H

#include "tracesync/common.h"
#include "tracesync/sync.h"
#include "tracesync/traceset.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ts_vm ts_vm;

/* ---- results ------------------------------------------------------------ */

/* Histogram of the signed distances of bad events, by decade:
 * bins 0..9: (-inf,-1s], (-1s,-100ms], ..., (-100ns,-10ns], (-10ns,-1ns];
 * bins 10..19: [1ns,10ns), [10ns,100ns), ..., [100ms,1s), [1s,+inf). */
#define TS_VM_HIST_BINS 20
/* Bounds of bin i: |distance| in [lo, hi) (hi = -1 for +infinity), sign = -1 or +1. */
void ts_vm_hist_bin(int i, int *sign, int64_t *lo, int64_t *hi);
/* Bin of a (non-zero) signed distance. */
int ts_vm_hist_index(int64_t d);

typedef struct ts_vm_counts {
    uint64_t total;   /* guest events seen */
    uint64_t checked; /* placed against the vCPU's state (fine + bad) */
    uint64_t bad;     /* inside an out-period */
    /* unchecked = total - checked, by reason */
    uint64_t no_mapping;                  /* guest or vCPU not mapped to a host thread */
    uint64_t before_first;                /* before the first state event of the vCPU thread */
    uint64_t after_last;                  /* after its last state event */
    uint64_t unknown;                     /* in a range made unknown by lost host events */
    int64_t max_abs_ns;                   /* largest |distance| (0 if no bad event) */
    int64_t min_signed_ns, max_signed_ns; /* extreme signed distances (0 if none) */
    double mean_abs_ns;                   /* mean |distance| of bad events (0 if none) */
    double mean_signed_ns; /* mean signed distance: its sign tells a late (+) or early (-)
                              guest clock, its size is a lower bound of the offset left */
    uint64_t hist[TS_VM_HIST_BINS];
} ts_vm_counts;

static inline uint64_t ts_vm_counts_unchecked(const ts_vm_counts *c)
{
    return c->total - c->checked;
}
/* 100 * bad / checked (0 when nothing was checked). */
double ts_vm_bad_percent(const ts_vm_counts *c);

/* How a guest was tied to its QEMU process. */
typedef enum ts_vm_map_source {
    TS_VM_MAP_NONE = 0,   /* not mapped */
    TS_VM_MAP_VMSYNC = 1, /* hypercall nr 5 / vmsync_*_host carrying the guest's vm_uid */
    TS_VM_MAP_USER = 2,   /* given (--guest NAME=PID) */
} ts_vm_map_source;
const char *ts_vm_map_source_name(ts_vm_map_source s); /* "none", "vmsync", "user" */

/* Where a vCPU's number came from. */
typedef enum ts_vm_vcpu_source {
    TS_VM_VCPU_UNMAPPED = 0,    /* seen in guest events only: no host thread */
    TS_VM_VCPU_THREAD_NAME = 1, /* "CPU n/KVM" */
    TS_VM_VCPU_EXIT_ID = 2,     /* kvm_x86_exit vcpu_id */
    TS_VM_VCPU_ENTRY_ID = 3,    /* kvm_x86_entry vcpu_id (kernel < 5.9) */
    TS_VM_VCPU_VMSYNC = 4,      /* CPU of the guest's vmsync_gh_guest events */
} ts_vm_vcpu_source;
const char *ts_vm_vcpu_source_name(ts_vm_vcpu_source s);

typedef struct ts_vm_guest_info {
    const char *name;       /* the guest trace's name */
    size_t ntraces;         /* traces of this guest (same host id) */
    const uint32_t *traces; /* their indexes */
    ts_vm_map_source source;
    int host_trace;   /* index of the host trace, -1 if not mapped */
    int32_t qemu_pid; /* -1 if unknown */
    bool has_vm_uid;  /* the guest's vmsync events carry vm_uid */
    uint64_t vm_uid;
    int32_t vmsync_cpu; /* CPU of its vmsync_gh_guest events, -1 if none */
    size_t nvcpus;      /* vCPU entries: mapped ones and numbers seen in guest events */
    size_t nnames;      /* event names seen in its events */
    ts_vm_counts counts;
} ts_vm_guest_info;

typedef struct ts_vm_vcpu_info {
    uint32_t vcpu;
    ts_vm_vcpu_source source;
    int32_t tid;           /* host thread, -1 if unmapped */
    const char *thread;    /* host thread name ("" if unknown) */
    uint64_t state_events; /* state changes of its thread in the state pass */
    size_t out_periods;    /* out-periods kept */
    size_t unknown_ranges;
    int64_t first_ns, last_ns; /* first/last state event (INT64_MIN if none) */
    ts_vm_counts counts;
} ts_vm_vcpu_info;

typedef struct ts_vm_name_info {
    const char *name;
    ts_vm_counts counts;
} ts_vm_name_info;

size_t ts_vm_trace_count(const ts_vm *vm);
const char *ts_vm_trace_name(const ts_vm *vm, size_t trace);
bool ts_vm_trace_is_host(const ts_vm *vm, size_t trace);
int ts_vm_trace_guest(const ts_vm *vm, size_t trace); /* guest index, or -1 */

size_t ts_vm_guest_count(const ts_vm *vm);
void ts_vm_guest(const ts_vm *vm, size_t g, ts_vm_guest_info *out);
/* vCPU i (0 .. nvcpus-1, by number) of guest g; false if that number has no entry. */
bool ts_vm_vcpu(const ts_vm *vm, size_t g, size_t i, ts_vm_vcpu_info *out);
/* Out-period k (unknown = false) or unknown range k (true) of vCPU i of guest g:
 * out-periods are open intervals (s, e), unknown ranges closed [s, e]; e is
 * INT64_MAX when the period is still open at the end.  False past the last one. */
bool ts_vm_vcpu_period(const ts_vm *vm, size_t g, size_t i, bool unknown, size_t k, int64_t *s,
                       int64_t *e);
/* Event name i (0 .. nnames-1, in order of first appearance) of guest g. */
void ts_vm_name(const ts_vm *vm, size_t g, size_t i, ts_vm_name_info *out);
/* Sum over every guest. */
void ts_vm_total(const ts_vm *vm, ts_vm_counts *out);

/* Notes about the model: unmapped guests, conflicting mappings, host vCPU threads
 * of no known guest, entry vcpu_id not trusted, lost events... one line each. */
size_t ts_vm_note_count(const ts_vm *vm);
const char *ts_vm_note(const ts_vm *vm, size_t i);

/* ---- one bad event ------------------------------------------------------ */

typedef struct ts_vm_bad {
    size_t guest;
    uint32_t trace; /* the guest trace holding the event */
    uint32_t vcpu;
    const char *event;          /* its name */
    int64_t ts;                 /* time on the host clock (after the time map) */
    int64_t ts_raw;             /* as recorded in the guest trace */
    int64_t distance_ns;        /* signed (see above) */
    int64_t out_begin, out_end; /* the out-period (out_end INT64_MAX: still open at the end) */
    int32_t host_tid;
} ts_vm_bad;
typedef void (*ts_vm_bad_fn)(void *ctx, const ts_vm_bad *b);

/* ---- running on a trace set --------------------------------------------- */

/* --guest NAME=PID[@HOST]: guest trace NAME runs in QEMU process PID of host trace
 * HOST (NULL: the host trace where process PID has vCPU threads). */
typedef struct ts_vm_guest_pid {
    const char *guest;
    int32_t pid;
    const char *host;
} ts_vm_guest_pid;

/* Parse "NAME=PID" or "NAME=PID@HOST" (pointers into arg's copy in buf). */
ts_status ts_vm_guest_pid_parse(const char *arg, char *buf, size_t bufsize, ts_vm_guest_pid *out,
                                ts_error *err);

/* Zero-initialised = defaults (raw clocks, whole traces). */
typedef struct ts_vm_options {
    /* Clock corrections: per trace name, the map onto the reference clock (NULL:
     * raw times).  Every name must be a trace of the set.  The set's own time maps
     * are not used: the run opens the traces it needs as sets of their own and
     * installs these formulas there (if that fails it falls back on `set` and
     * replaces its time maps). */
    const ts_formulas *formulas;
    const ts_vm_guest_pid *guest_pids;
    size_t nguest_pids;
    bool window; /* check only guest events with begin_ns <= time <= end_ns (host clock) */
    int64_t begin_ns, end_ns;
    unsigned nthreads;    /* reader threads (0 = library default) */
    const char *csv_path; /* every bad event as CSV */
    const char *svg_path; /* bad events' distance against time */
    ts_vm_bad_fn on_bad;  /* also called for every bad event */
    void *on_bad_ctx;
} ts_vm_options;

/* The three passes over the set.  Model: the traces that declare kvm entry/exit
 * events in full, and the traces that declare vmsync guest events until their first
 * vmsync event with vm_uid and CPU.  State: the host traces with vCPU threads.
 * Check: every event of the guests' traces; guests are checked in parallel (one
 * thread each) unless csv_path, svg_path or on_bad want the bad events in time
 * order, or nthreads is 1.  On success *out holds the results (free with
 * ts_vm_free); on failure *out is NULL. */
ts_status ts_vm_run(ts_traceset *set, const ts_vm_options *o, ts_vm **out, ts_error *err);
void ts_vm_free(ts_vm *vm);

/* Text report (malloc'd; NULL when out of memory): model, per guest / vCPU counts,
 * the top_names event names with the most bad events (0: all), histograms, notes. */
char *ts_vm_format_report(const ts_vm *vm, size_t top_names);
/* JSON document (malloc'd) / written to a file:
 * {"guests": [{"name", "host", "qemu_pid", "mapping", "events_total", "checked",
 *   "unchecked", "bad", "bad_percent", "mean_abs_ns", "max_abs_ns", "mean_signed_ns",
 *   ..., "vcpus": [{"vcpu", the same counts}], "events": [{"name", counts}]}],
 *  "total": {counts}, "window": ..., "notes": [...]} */
char *ts_vm_to_json(const ts_vm *vm);
ts_status ts_vm_write_json(const ts_vm *vm, const char *path, ts_error *err);

/* ---- the analysis from plain events (no CTF) ---------------------------- */

typedef enum ts_vm_event_kind {
    TS_VM_EV_OTHER = 0,
    TS_VM_EV_SCHED_SWITCH,  /* tid = prev_tid, tid2 = next_tid, comm/comm2 = prev/next comm */
    TS_VM_EV_KVM_ENTRY,     /* vcpu_id (-1: absent) */
    TS_VM_EV_KVM_EXIT,      /* vcpu_id (-1: absent) */
    TS_VM_EV_KVM_HYPERCALL, /* nr, a0 (cnt), a1 (vm_uid) */
    TS_VM_EV_VMSYNC_HOST,   /* vmsync_gh_host / vmsync_hg_host: vm_uid (has_vm_uid) */
    TS_VM_EV_VMSYNC_GUEST,  /* vmsync_gh_guest (gh = true) / vmsync_hg_guest: vm_uid */
    TS_VM_EV_PROCESS,       /* statedump process state or fork: tid, pid, comm (may be empty) */
} ts_vm_event_kind;

typedef struct ts_vm_event {
    int64_t ts;
    uint32_t trace;
    uint32_t cpu; /* UINT32_MAX if unknown */
    int kind;     /* ts_vm_event_kind */
    int32_t tid, tid2, pid;
    const char *comm, *comm2; /* not NUL-terminated: comm_len, comm2_len bytes */
    size_t comm_len, comm2_len;
    int64_t vcpu_id;
    uint64_t nr, a0, a1;
    bool has_vm_uid;
    bool gh;
    uint64_t vm_uid;
} ts_vm_event;

/* The kind of an event from its name: both name sets (kvm_x86_* and the old kvm_*),
 * statedump process state and sched_process_fork are TS_VM_EV_PROCESS. */
ts_vm_event_kind ts_vm_event_kind_from_name(const char *name, bool *gh);

ts_vm *ts_vm_new(void); /* NULL if out of memory */
/* Declare trace number ts_vm_trace_count(vm); kernel_release (may be NULL) tells
 * whether kvm entry vcpu_id values are vCPU indexes (kernels < 5.9). */
ts_status ts_vm_add_trace(ts_vm *vm, const char *name, const char *host_id,
                          const char *kernel_release, ts_error *err);
/* A user mapping (before ts_vm_model_finish); errors name the traces. */
ts_status ts_vm_set_guest_pid(ts_vm *vm, const ts_vm_guest_pid *g, ts_error *err);
void ts_vm_set_bad_callback(ts_vm *vm, ts_vm_bad_fn fn, void *ctx);

/* Model pass: events of one trace in time order (any interleaving of traces). */
ts_status ts_vm_model_event(ts_vm *vm, const ts_vm_event *ev, ts_error *err);
ts_status ts_vm_model_finish(ts_vm *vm, ts_error *err);
/* True if the model needs a state pass over this trace (a host with vCPU threads). */
bool ts_vm_needs_state(const ts_vm *vm, size_t trace);
/* True if this trace's events are checked (a trace of a guest). */
bool ts_vm_needs_check(const ts_vm *vm, size_t trace);

/* Events lost on a host trace in [begin, end] (host clock, after the time map);
 * before the state events of that trace. */
ts_status ts_vm_add_loss(ts_vm *vm, uint32_t trace, int64_t begin, int64_t end, ts_error *err);
/* State pass: sched_switch, kvm entry and exit of host traces, in time order per trace. */
ts_status ts_vm_state_event(ts_vm *vm, const ts_vm_event *ev, ts_error *err);
ts_status ts_vm_state_finish(ts_vm *vm, ts_error *err);

/* Check pass: every guest event.  name_id from ts_vm_name_id (the same name gives
 * the same id); events of one vCPU are fastest in time order. */
int ts_vm_name_id(ts_vm *vm, const char *name, size_t len); /* -1 if out of memory */
void ts_vm_check_event(ts_vm *vm, uint32_t trace, uint32_t cpu, int64_t ts, int64_t ts_raw,
                       int name_id);
ts_status ts_vm_check_finish(ts_vm *vm, ts_error *err);

/* The options the results were computed with (for the report): corrected or raw,
 * window. */
void ts_vm_set_run_info(ts_vm *vm, bool corrected, bool window, int64_t begin_ns, int64_t end_ns);

#ifdef __cplusplus
}
#endif
#endif
