/* Writing one event of a simulated machine (internal): true time -> the
 * machine's clock -> cycles, the event header, then a payload encoder per
 * event class (the layouts declared by catalog.c). */
#ifndef TS_SIM_EMIT_H
#define TS_SIM_EMIT_H

#include "sim/world.h"

/* Start an event of class ev at true time t; NULL if the machine does not
 * declare that event.  The payload written must fit in max bytes. */
static inline uint8_t *out_begin(sim_out *o, int ev, int64_t t, size_t max)
{
    uint32_t id = o->ids[ev];
    if (id == SIM_NOID) return NULL;
    int64_t raw = clock_cursor_eval(&o->cc, t);
    o->last_raw = raw;
    if (o->chk) vchk_guest(&o->chk->chk, raw);
    return ctfw_event_begin(&o->w, id, (uint64_t)(raw - o->clock_offset), max);
}

static inline void out_end(sim_out *o, uint8_t *p)
{
    ctfw_event_end(&o->w, p);
}

static inline void ev_sched_switch(sim_out *o, int64_t t, const sim_task *prev, int64_t prev_state,
                                   const sim_task *next)
{
    uint8_t *p = out_begin(o, EV_SCHED_SWITCH, t, 64);
    if (!p) return;
    p = put_comm(p, prev->comm);
    p = put_le32(p, (uint32_t)prev->tid);
    p = put_le32(p, (uint32_t)prev->prio);
    p = put_le64(p, (uint64_t)prev_state);
    p = put_comm(p, next->comm);
    p = put_le32(p, (uint32_t)next->tid);
    p = put_le32(p, (uint32_t)next->prio);
    out_end(o, p);
}

/* sched_waking / sched_wakeup / sched_wakeup_new */
static inline void ev_wake(sim_out *o, int ev, int64_t t, const sim_task *tk, int target_cpu)
{
    uint8_t *p = out_begin(o, ev, t, 32);
    if (!p) return;
    p = put_comm(p, tk->comm);
    p = put_le32(p, (uint32_t)tk->tid);
    p = put_le32(p, (uint32_t)tk->prio);
    p = put_le32(p, (uint32_t)target_cpu);
    out_end(o, p);
}

static inline void ev_fork(sim_out *o, int64_t t, const sim_task *parent, int32_t child_tid)
{
    uint8_t *p = out_begin(o, EV_SCHED_PROCESS_FORK, t, 64);
    if (!p) return;
    p = put_comm(p, parent->comm);
    p = put_le32(p, (uint32_t)parent->tid);
    p = put_le32(p, (uint32_t)parent->pid);
    p = put_le32(p, 0xEFFFFFFCu); /* initial pid namespace inode */
    p = put_comm(p, parent->comm);
    p = put_le32(p, (uint32_t)child_tid);
    p = put_u8(p, 1); /* vtids length */
    p = put_le32(p, (uint32_t)child_tid);
    p = put_le32(p, (uint32_t)child_tid);
    p = put_le32(p, 0xEFFFFFFCu);
    out_end(o, p);
}

static inline void ev_process_exit(sim_out *o, int64_t t, const char *comm, int32_t tid, int prio)
{
    uint8_t *p = out_begin(o, EV_SCHED_PROCESS_EXIT, t, 32);
    if (!p) return;
    p = put_comm(p, comm);
    p = put_le32(p, (uint32_t)tid);
    p = put_le32(p, (uint32_t)prio);
    out_end(o, p);
}

static inline void ev_statedump_process(sim_out *o, int64_t t, const sim_task *tk, uint64_t files)
{
    uint8_t *p = out_begin(o, EV_STATEDUMP_PROCESS_STATE, t, 64);
    if (!p) return;
    p = put_le32(p, (uint32_t)tk->tid);
    p = put_le32(p, (uint32_t)tk->pid);
    p = put_le32(p, (uint32_t)tk->ppid);
    p = put_comm(p, tk->comm);
    p = put_le32(p, tk->kthread ? 1 : 0); /* type: USER_THREAD / KERNEL_THREAD */
    p = put_le32(p, 5);                   /* mode: MODE_UNKNOWN */
    p = put_le32(p, 0);                   /* submode: NONE */
    p = put_le32(p, tk->app ? 2 : 5);     /* status: WAIT_CPU or WAIT */
    p = put_le32(p, tk->cpu);
    p = put_le64(p, tk->kthread ? 0 : files);
    out_end(o, p);
}

static inline void ev_empty(sim_out *o, int ev, int64_t t)
{
    uint8_t *p = out_begin(o, ev, t, 0);
    if (p) out_end(o, p);
}

static inline void ev_irq_entry(sim_out *o, int64_t t, const sim_irq *irq)
{
    uint8_t *p = out_begin(o, EV_IRQ_HANDLER_ENTRY, t, 32);
    if (!p) return;
    p = put_le32(p, (uint32_t)irq->irq);
    p = put_str(p, irq->name, 23);
    out_end(o, p);
}

static inline void ev_irq_exit(sim_out *o, int64_t t, const sim_irq *irq)
{
    uint8_t *p = out_begin(o, EV_IRQ_HANDLER_EXIT, t, 8);
    if (!p) return;
    p = put_le32(p, (uint32_t)irq->irq);
    p = put_le32(p, 1); /* IRQ_HANDLED */
    out_end(o, p);
}

static inline void ev_u32(sim_out *o, int ev, int64_t t, uint32_t v)
{
    uint8_t *p = out_begin(o, ev, t, 4);
    if (!p) return;
    p = put_le32(p, v);
    out_end(o, p);
}

static inline void ev_hrtimer_start(sim_out *o, int64_t t, uint64_t timer, uint64_t fn,
                                    int64_t expires)
{
    uint8_t *p = out_begin(o, EV_HRTIMER_START, t, 32);
    if (!p) return;
    p = put_le64(p, timer);
    p = put_le64(p, fn);
    p = put_le64(p, (uint64_t)expires);
    p = put_le64(p, (uint64_t)expires);
    out_end(o, p);
}

static inline void ev_hrtimer_entry(sim_out *o, int64_t t, uint64_t timer, int64_t now, uint64_t fn)
{
    uint8_t *p = out_begin(o, EV_HRTIMER_EXPIRE_ENTRY, t, 24);
    if (!p) return;
    p = put_le64(p, timer);
    p = put_le64(p, (uint64_t)now);
    p = put_le64(p, fn);
    out_end(o, p);
}

static inline void ev_u64(sim_out *o, int ev, int64_t t, uint64_t v)
{
    uint8_t *p = out_begin(o, ev, t, 8);
    if (!p) return;
    p = put_le64(p, v);
    out_end(o, p);
}

static inline void ev_kvm_entry(sim_out *o, int64_t t, uint32_t vcpu_id)
{
    ev_u32(o, EV_KVM_ENTRY, t, vcpu_id);
}

static inline void ev_kvm_exit(sim_out *o, int64_t t, uint32_t reason, uint64_t rip, uint64_t info1,
                               uint64_t info2, uint32_t intr_info, uint32_t error_code,
                               uint32_t vcpu_id)
{
    uint8_t *p = out_begin(o, EV_KVM_EXIT, t, 48);
    if (!p) return;
    p = put_le32(p, reason);
    p = put_le64(p, rip);
    p = put_le32(p, 1); /* isa: KVM_ISA_VMX */
    p = put_le64(p, info1);
    p = put_le64(p, info2);
    p = put_le32(p, intr_info);
    p = put_le32(p, error_code);
    p = put_le32(p, vcpu_id);
    out_end(o, p);
}

static inline void ev_kvm_hypercall(sim_out *o, int64_t t, uint64_t nr, uint64_t a0, uint64_t a1,
                                    uint64_t a2, uint64_t a3)
{
    uint8_t *p = out_begin(o, EV_KVM_HYPERCALL, t, 40);
    if (!p) return;
    p = put_le64(p, nr);
    p = put_le64(p, a0);
    p = put_le64(p, a1);
    p = put_le64(p, a2);
    p = put_le64(p, a3);
    out_end(o, p);
}

static inline void ev_kvm_msr(sim_out *o, int64_t t, uint32_t write, uint32_t ecx, uint64_t data)
{
    uint8_t *p = out_begin(o, EV_KVM_MSR, t, 24);
    if (!p) return;
    p = put_le32(p, write);
    p = put_le32(p, ecx);
    p = put_le64(p, data);
    p = put_u8(p, 0);
    out_end(o, p);
}

static inline void ev_kvm_pio(sim_out *o, int64_t t, uint32_t rw, uint32_t port, uint32_t size)
{
    uint8_t *p = out_begin(o, EV_KVM_PIO, t, 16);
    if (!p) return;
    p = put_le32(p, rw);
    p = put_le32(p, port);
    p = put_le32(p, size);
    p = put_le32(p, 1);
    out_end(o, p);
}

static inline void ev_vmsync(sim_out *o, int ev, int64_t t, uint32_t cnt, uint64_t vm_uid)
{
    uint8_t *p = out_begin(o, ev, t, 12);
    if (!p) return;
    p = put_le32(p, cnt);
    p = put_le64(p, vm_uid);
    out_end(o, p);
}

#endif
