/* The simulated world (internal): machines, their tasks and CPU streams, the
 * CPU actors that drive them, guest vCPUs, traffic flows and packets.
 *
 * Time: every time here is true time in ns since the epoch, except the guest
 * activity of a vCPU which runs on its own "guest time" axis (vt): guest time
 * only advances while the vCPU runs in guest mode, true = vt + shift.
 *
 * Execution: a conservative parallel-discrete-event scheme run on one thread.
 * Each physical CPU of a host or machine is an actor that writes its own
 * stream and the streams of the guest vCPUs pinned to it, in true-time order.
 * Actors only interact through packets, which take at least `lookahead` ns to
 * arrive, so an actor may safely run up to (earliest other actor + lookahead). */
#ifndef TS_SIM_WORLD_H
#define TS_SIM_WORLD_H

#include "sim/catalog.h"
#include "sim/clock.h"
#include "sim/ctfw.h"
#include "sim/rng.h"
#include "sim/scenario.h"
#include "util/strbuf.h"

#include <stdio.h>

#define US  1000LL
#define MS  1000000LL
#define SEC 1000000000LL

/* Guest events keep these distances from the host's kvm events (true time):
 * kvm_x86_entry fires before the real VM entry, kvm_x86_exit after the exit. */
#define GUEST_M1   600 /* kvm_x86_entry -> first guest event */
#define GUEST_M2   500 /* last guest event -> kvm_x86_exit */
#define GUEST_TRIG 300 /* guest event that causes the exit (vmcall, hlt) -> kvm_x86_exit */

/* VMX exit reasons */
#define EXIT_EXTERNAL_INTERRUPT 1
#define EXIT_CPUID              10
#define EXIT_HLT                12
#define EXIT_VMCALL             18
#define EXIT_IO                 30
#define EXIT_MSR_WRITE          32
#define EXIT_EPT_VIOLATION      48
#define EXIT_EPT_MISCONFIG      49
#define EXIT_PREEMPTION_TIMER   52

/* softirq vectors */
#define SOFTIRQ_TIMER  1
#define SOFTIRQ_NET_TX 2
#define SOFTIRQ_NET_RX 3
#define SOFTIRQ_SCHED  7
#define SOFTIRQ_RCU    9

typedef struct sim_task {
    int32_t tid, pid, ppid;
    char comm[16];
    int32_t prio; /* as sched_switch shows it (kernel prio - 100) */
    uint8_t kthread;
    uint8_t app;        /* eligible to run bursts */
    int8_t blocked_sys; /* system call it sleeps in, -1 none */
    uint32_t cpu;
} sim_task;

/* ---- output: one CPU stream of a machine ------------------------------------ */

struct sim_vcpu;

typedef struct sim_out {
    ctfw_stream w;
    clock_cursor cc;
    const uint32_t *ids;  /* the machine's event ids */
    int64_t clock_offset; /* metadata clock offset (ns since the epoch at cycle 0) */
    struct sim_vcpu *chk; /* guests: the vCPU whose raw placement is checked */
    int64_t last_raw;     /* raw time (ns since the epoch) of the last event */
    int open;
} sim_out;

/* ---- micro-operations: events scheduled on a context --------------------------- */

typedef enum uop_kind {
    OP_SYS_ENTRY, /* a = syscall */
    OP_SYS_EXIT,  /* a = syscall */
    OP_IRQ_ENTRY, /* a = irq line index in the machine's irq table */
    OP_IRQ_EXIT,
    OP_SOFTIRQ_RAISE, /* a = vec */
    OP_SOFTIRQ_ENTRY,
    OP_SOFTIRQ_EXIT,
    OP_HRT_START, /* c = hrtimer address */
    OP_HRT_CANCEL,
    OP_HRT_ENTRY,
    OP_HRT_EXIT,
    OP_NET_SEND,     /* b = packet */
    OP_NET_RECV,     /* b = packet */
    OP_FLOW,         /* a = (side << 8) | action, b = flow, c = packet or 0 */
    OP_HYPERCALL,    /* host: kvm_x86_hypercall + vmsync_gh_host; b = vcpu */
    OP_KVM_MSR,      /* host; b = vcpu */
    OP_KVM_PIO,      /* host; b = vcpu */
    OP_STATEDUMP,    /* a = 0 start, 1 task b, 2 end */
    OP_VMSYNC_GH,    /* guest: vmsync_gh_guest then vmcall */
    OP_VMSYNC_HG,    /* guest: vmsync_hg_guest */
    OP_GUEST_SWITCH, /* guest: sched_switch to task b (a = prev_state) */
    OP_GUEST_IDLE,   /* guest: end of a busy period (to swapper, then hlt) */
    OP_WAKING,       /* sched_waking of task b (a = target cpu) */
    OP_WAKEUP,       /* sched_wakeup of task b (a = target cpu) */
    OP_FORK,         /* sched_process_fork: parent b, child c */
    OP_WAKEUP_NEW,   /* sched_wakeup_new: parent b, child c */
    OP_EXIT,         /* sched_process_exit of child c */
} uop_kind;

typedef struct uop {
    int64_t t;
    uint32_t seq;
    uint16_t op;
    uint16_t a;
    uint32_t b;
    uint64_t c;
} uop;

typedef struct uopq {
    uop *v;
    uint32_t n, cap;
    uint32_t seq;
    int oom; /* a push failed (out of memory): the run fails at the end */
} uopq;

int uopq_push(uopq *q, int64_t t, uint16_t op, uint16_t a, uint32_t b, uint64_t c);
void uopq_pop(uopq *q, uop *out);
static inline int64_t uopq_top(const uopq *q)
{
    return q->n ? q->v[0].t : INT64_MAX;
}

/* ---- activity: system calls and timer ticks of a busy context -------------- */

typedef struct sim_act {
    int64_t next;      /* time of the next system call event (INT64_MAX: paused) */
    int64_t tick_next; /* next timer tick */
    uint8_t in_sys, sys;
    uint32_t since_switch; /* system calls since the last task change */
} sim_act;

/* ---- actor-local timed items (packet arrivals, timers, wake-ups) ------------ */

typedef enum aitem_kind {
    AI_ARRIVAL, /* ref = packet */
    AI_FLOW,    /* a = (side << 8) | action, ref = flow, c = packet (retransmission) */
    AI_WAKE,    /* ref = vcpu, c = wake generation */
} aitem_kind;

typedef struct aitem {
    int64_t t;
    uint32_t seq;
    uint16_t kind;
    uint16_t a;
    uint32_t ref;
    uint32_t c;
} aitem;

typedef struct aheap {
    aitem *v;
    uint32_t n, cap, seq;
} aheap;

/* ---- guest vCPUs -------------------------------------------------------------- */

typedef enum vc_state { VC_HALTED, VC_RUNNABLE, VC_RUNNING } vc_state;
typedef enum vc_mode { VM_GUEST, VM_VMM } vc_mode;

/* Raw-time placement check of one vCPU's guest events (truth counts). */
typedef struct vchk_period {
    int64_t s, e; /* open interval (s, e); e = INT64_MAX while open */
} vchk_period;

typedef struct vchk_list {
    vchk_period *v;
    size_t head, n, cap; /* ring buffer */
} vchk_list;

typedef struct vchk {
    int64_t first, last;        /* raw times of the first/last host state event (INT64_MIN: none) */
    int64_t vmm_open, pre_open; /* start of the open VMM / PREEMPT period, or INT64_MIN */
    vchk_list vmm, pre;         /* completed periods still needed */
    int64_t *pend;              /* guest raw times waiting for a decision */
    size_t pend_head, pend_n, pend_cap;
    uint64_t total, outside, unchecked;
    int64_t host_begin, host_end; /* raw times of the host trace's start and end */
    int64_t cache_hi;             /* guest times below this get the cached verdict */
    int cache_outside;            /* the cached verdict */
    int oom;                      /* an allocation failed: the counts are not exact */
} vchk;

typedef struct sim_vcpu {
    int id;    /* index in world->vcpus */
    int guest; /* machine index of the guest */
    int index; /* vCPU number (the guest's CPU number) */
    int cpu;   /* actor (host CPU) index */
    int task;  /* host task of the thread "CPU <n>/KVM" */
    uint32_t entry_vcpu_id;
    vc_state st;
    vc_mode mode;
    uint8_t exit_reason;
    uint8_t woken;      /* woke from a halt: start a busy period at the next entry */
    uint8_t wake_timer; /* the wake-up was the guest timer */
    uint8_t halting;    /* HLT exit: block unless work arrived */
    uint8_t hg_pending; /* vmsync: emit vmsync_hg_host at the next entry */
    uint8_t hg_guest;   /* vmsync: emit vmsync_hg_guest when the guest resumes */
    int64_t seg_end;    /* VM_GUEST: planned kvm_x86_exit */
    int64_t vmm_end;    /* VM_VMM: planned kvm_x86_entry (or block / switch) */
    int64_t slice_end;  /* preemption point when another vCPU waits, else INT64_MAX */
    int64_t run_start;
    uint32_t wake_gen;
    /* guest side */
    int64_t shift;    /* true = vt + shift while in guest mode */
    int64_t vt_stop;  /* guest time reached at the last exit */
    int64_t work_end; /* guest time at which the current busy period ends */
    int busy;         /* a busy period is in progress */
    int gtask;        /* guest task running (index in the guest's tasks) */
    sim_act act;
    uopq q;       /* guest micro-ops (guest time) */
    uop *pending; /* work that arrived while not in guest mode */
    uint32_t npending, cappending;
    uint32_t softirq_count;
    uint32_t gh_cnt, hg_cnt; /* vmsync round in progress */
    int64_t gh_true, gh_raw; /* vmsync_gh_guest: true time and raw time */
    int64_t hg_true, hg_raw; /* vmsync_hg_host */
    int64_t vt_last;         /* guest time of the last guest event */
    int64_t t_last;          /* true time of the last guest event */
    sim_out out;
    vchk chk;
    sim_rng rng;
} sim_vcpu;

/* ---- machines ---------------------------------------------------------------- */

typedef struct sim_irq {
    int32_t irq;
    char name[24];
} sim_irq;

typedef struct sim_machine {
    const scn_machine *spec;
    int index;
    sim_role role;
    char dir[4096]; /* OUT/<name>/kernel */
    sim_catalog cat;
    sim_clockfn clock;
    int64_t clock_offset; /* ns since the epoch at cycle 0 */
    uint8_t trace_uuid[16];
    char boot_id[37];
    char product_uuid[37];
    sim_task *tasks;
    int ntasks, captasks;
    int32_t next_tid;
    int first_cpu;  /* actor index of CPU 0 (hosts and machines) */
    int first_vcpu; /* guests: index of vCPU 0 in world->vcpus */
    int ncpus;
    int qemu_pid;      /* guests */
    uint64_t vm_uid;   /* guests */
    int nguests;       /* hosts */
    int sessiond_task; /* lttng-sessiond: runs the state dump on CPU 0 */
    int *app_tasks;    /* tasks that run bursts */
    int napp;
    sim_irq irqs[4]; /* 0: NIC/virtio rx, 1: timer-ish, 2: disk, 3: virtio tx */
    uint32_t ip4;
    uint16_t ip6[8];
    int64_t busy_mean;          /* host bursts / guest busy periods */
    int64_t gap_mean, sys_mean; /* activity density */
    uint8_t sys_pick[256];      /* the system call mix: a random byte -> a system call */
    uint32_t nsys;
    int *vcpu_of_task; /* hosts: task index -> vCPU index in world->vcpus, or -1 */
    uint64_t events, bytes, packets;
    int64_t t_end;
} sim_machine;

/* ---- CPU actors ---------------------------------------------------------------- */

typedef enum occ_kind { OCC_IDLE, OCC_TASK, OCC_VCPU } occ_kind;

typedef struct sim_cpu {
    int index; /* actor index */
    int machine;
    int cpu; /* CPU number in its machine */
    sim_out out;
    occ_kind occ;
    int task;         /* OCC_TASK: the task; OCC_IDLE: -1 */
    sim_vcpu *vc;     /* OCC_VCPU */
    int64_t occ_end;  /* OCC_IDLE / OCC_TASK: end of the period */
    int preempted;    /* the period ends because a vCPU woke up */
    sim_act act;      /* host activity while OCC_TASK */
    uopq q;           /* host micro-ops */
    aheap ah;         /* arrivals, timers, wake-ups */
    sim_vcpu **vcpus; /* pinned here */
    int nvcpus;
    sim_vcpu **runq; /* runnable vCPUs waiting for this CPU (FIFO) */
    int nrunq;
    int64_t key; /* time in the global heap */
    int hpos;    /* position in the global heap */
    int64_t now; /* time of the last step (streams never go back) */
    sim_rng rng;
} sim_cpu;

/* ---- traffic -------------------------------------------------------------------- */

typedef struct sim_pkt {
    int64_t send_true;
    int64_t send_raw;
    uint64_t skbaddr;
    int32_t flow;
    uint8_t dir;      /* 0: side 0 -> side 1 */
    uint8_t nh, th;   /* network header 0/1 ipv4/2 ipv6; transport 0/1 tcp/2 udp/3 icmp */
    uint8_t noheader; /* the receive event carries no headers */
    uint8_t retx;     /* retransmissions so far */
    uint8_t pure_ack;
    uint16_t ip_id;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint16_t flags, window;
    uint32_t payload; /* transport payload bytes */
    uint8_t icmp_type;
    uint32_t icmp_rest; /* id << 16 | seq */
    uint32_t next_free;
} sim_pkt;

typedef struct sim_tcp_side {
    uint32_t isn, snd_nxt, rcv_nxt, peer_isn;
    uint32_t ooo_s[8], ooo_e[8];
    int nooo;
    uint32_t unacked; /* in-order segments received since our last ACK */
    uint32_t done;    /* server: requests answered; client: responses received */
    int established;
    int closed;
} sim_tcp_side;

enum flow_action {
    FA_REQUEST, /* client side: next request / datagram / ping / noise packet */
    FA_RESPOND, /* server side: answer completed requests (tcp) or a datagram (udp) */
    FA_RETX,    /* resend packet c */
    FA_OPEN,    /* tcp: SYN */
    FA_CLOSE,   /* tcp: FIN */
};

typedef struct sim_flow {
    const scn_flow *f;
    int idx;
    int m[2];    /* machines of side 0 (a) and side 1 (b) */
    int cpu[2];  /* actor of each side */
    int vcpu[2]; /* guest side: vCPU index in world->vcpus, else -1 */
    uint16_t port[2];
    const char *dev_tx[2], *dev_rx[2];
    sim_tcp_side tcp[2];
    int64_t last_arrival[2]; /* FIFO per direction */
    uint16_t ip_id[2];
    uint32_t ping_seq;
    int64_t fast_rtx; /* stream pattern: retransmission delay */
    int64_t interval; /* mean time between requests, after --scale */
    sim_rng rng[2];
} sim_flow;

/* ---- the world ------------------------------------------------------------------ */

typedef struct sim_world {
    const ts_sim_scenario *scn;
    uint64_t seed;
    uint64_t scale_ppm;
    int64_t t0, t_end; /* true times, ns since the epoch */
    int64_t lookahead;
    sim_machine *m;
    int nm;
    sim_cpu *cpus;
    int ncpus;
    sim_vcpu *vcpus;
    int nvcpus;
    sim_flow *flows;
    int nflows;
    char *devnames; /* interface names of the flows' sides */
    sim_pkt *pkts;
    uint32_t npkts, cappkts, free_pkt;
    sim_cpu **heap; /* global heap of actors by key */
    int nheap;
    int64_t horizon; /* the running actor may process times < horizon */
    FILE *csv;
    uint64_t matches_tcp, matches_vmsync, packets_sent, packets_lost;
    uint64_t packets_received; /* delivered to the receiver's stream */
    int fail;                  /* an allocation failed */
} sim_world;

/* ---- shared helpers -------------------------------------------------------------- */

/* engine.c */
uint32_t pkt_alloc(sim_world *w);
void pkt_free(sim_world *w, uint32_t i);
int aheap_push(aheap *h, int64_t t, uint16_t kind, uint16_t a, uint32_t ref, uint32_t c);
void aheap_pop(aheap *h, aitem *out);
static inline int64_t aheap_top(const aheap *h)
{
    return h->n ? h->v[0].t : INT64_MAX;
}
/* Schedule an item on an actor (another one or the running one). */
void world_post(sim_world *w, sim_cpu *to, int64_t t, uint16_t kind, uint16_t a, uint32_t ref,
                uint32_t c);
int64_t world_stress_latency(const sim_world *w, int64_t t, int64_t d);
uint32_t world_stress_load(const sim_world *w, int64_t t, uint32_t load_ppm);

/* check.c */
int vchk_init(vchk *c);
void vchk_free(vchk *c);
void vchk_guest(vchk *c, int64_t raw);
/* kind: 0 exit (VMM on), 1 entry (VMM off), 2 switch out (PREEMPT on), 3 switch in (off) */
void vchk_host(vchk *c, int64_t raw, int kind);
void vchk_finish(vchk *c);

/* truth.c: one line of truth-matches.csv per message both sent and received */
void truth_vmsync(sim_world *w, int src, int64_t send_raw, int dst, int64_t recv_raw, int64_t delay,
                  uint64_t vm_uid, uint32_t cnt);
void truth_tcp(sim_world *w, int src, int64_t send_raw, int dst, int64_t recv_raw, int64_t delay,
               uint32_t seq, uint32_t ack, uint16_t flags);

/* sched.c */
void cpu_start(sim_world *w, sim_cpu *c);
/* The time of the actor's next step and what it is (to pass to cpu_step). */
int64_t cpu_next(sim_world *w, sim_cpu *c, int *src);
void cpu_step(sim_world *w, sim_cpu *c, int64_t t, int src);
void cpu_finish(sim_world *w, sim_cpu *c);

#endif
