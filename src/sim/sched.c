/* CPU actors: what a physical CPU of a host or machine runs over time (idle,
 * host task bursts, vCPU threads), the KVM entry/exit cycle of a vCPU thread,
 * the guest activity while it runs in guest mode, interrupts and wake-ups. */
#include "sim/act.h"
#include "sim/emit.h"
#include "sim/net.h"

#include <stdlib.h>

static inline sim_machine *mach(sim_world *w, int i)
{
    return &w->m[i];
}

static int64_t rnd(sim_rng *r, int64_t lo, int64_t hi)
{
    return rng_range(r, lo, hi);
}

/* ---- host side ------------------------------------------------------------------ */

static int cur_task(const sim_cpu *c)
{
    return c->occ == OCC_IDLE ? c->cpu : c->occ == OCC_TASK ? c->task : c->vc->task;
}

/* sched_switch on a host CPU, with the checker hooks of vCPU threads. */
static void host_switch(sim_world *w, sim_cpu *c, int64_t t, int prev, int64_t prev_state, int next)
{
    sim_machine *m = mach(w, c->machine);
    ev_sched_switch(&c->out, t, &m->tasks[prev], prev_state, &m->tasks[next]);
    m->tasks[next].cpu = (uint32_t)c->cpu;
    if (m->vcpu_of_task) {
        int vp = m->vcpu_of_task[prev], vn = m->vcpu_of_task[next];
        if (vp >= 0) vchk_host(&w->vcpus[vp].chk, c->out.last_raw, 2);
        if (vn >= 0) vchk_host(&w->vcpus[vn].chk, c->out.last_raw, 3);
    }
}

static int64_t slice_len(sim_rng *r)
{
    return rnd(r, 3 * MS, 30 * MS);
}

static uint32_t machine_load(sim_world *w, const sim_machine *m, int64_t t)
{
    return world_stress_load(w, t, m->spec->load_ppm);
}

static int64_t idle_mean(uint32_t load_ppm, int64_t busy_mean)
{
    if (load_ppm >= 1000000) return 1000;
    if (load_ppm == 0) return INT64_MAX / 4;
    return (int64_t)((__int128)busy_mean * (1000000 - load_ppm) / load_ppm);
}

static void start_task(sim_world *w, sim_cpu *c, int task, int64_t t)
{
    sim_machine *m = mach(w, c->machine);
    c->occ = OCC_TASK;
    c->task = task;
    c->preempted = 0;
    c->occ_end = t + 1000 + rng_exp(&c->rng, m->busy_mean);
    sim_task *tk = &m->tasks[task];
    if (tk->blocked_sys >= 0) {
        /* it resumes in the system call it slept in */
        c->act.in_sys = 1;
        c->act.sys = (uint8_t)tk->blocked_sys;
        c->act.next = t + rnd(&c->rng, 300, 2500);
        c->act.tick_next = t + (int64_t)rng_below(&c->rng, (uint64_t)m->spec->tick);
        tk->blocked_sys = -1;
    } else {
        act_start(&c->act, t, m, &c->rng);
    }
}

static void go_idle(sim_world *w, sim_cpu *c, int64_t t)
{
    sim_machine *m = mach(w, c->machine);
    c->occ = OCC_IDLE;
    c->task = -1;
    c->preempted = 0;
    uint32_t load = machine_load(w, m, t);
    int64_t im = idle_mean(load, m->busy_mean);
    int64_t d = rng_exp(&c->rng, im);
    c->occ_end = d > w->t_end - t ? INT64_MAX : t + 1000 + d;
}

/* Choose what runs next on c at time t; prev_state is the state of the task
 * leaving the CPU (0 runnable/preempted, 1 sleeping). */
static void schedule(sim_world *w, sim_cpu *c, int64_t t, int64_t prev_state, int leaving_idle)
{
    sim_machine *m = mach(w, c->machine);
    int prev = cur_task(c);
    if (c->nrunq > 0) {
        sim_vcpu *v = c->runq[0];
        memmove(c->runq, c->runq + 1, (size_t)(c->nrunq - 1) * sizeof *c->runq);
        c->nrunq--;
        host_switch(w, c, t, prev, prev_state, v->task);
        c->occ = OCC_VCPU;
        c->vc = v;
        c->task = -1;
        v->st = VC_RUNNING;
        v->mode = VM_VMM;
        v->vmm_end = t + rnd(&c->rng, 800, 3000);
        v->run_start = t;
        v->slice_end = c->nrunq > 0 ? t + slice_len(&c->rng) : INT64_MAX;
        return;
    }
    uint32_t load = machine_load(w, m, t);
    int burst = leaving_idle || (c->occ != OCC_TASK && rng_below(&c->rng, 1000000) < load);
    if (burst && m->napp > 0) {
        int task = m->app_tasks[rng_below(&c->rng, (uint64_t)m->napp)];
        /* a task runs on one CPU at a time: the others use a per-CPU kworker */
        for (int i = 0; i < w->ncpus; i++) {
            sim_cpu *o = &w->cpus[i];
            if (o != c && o->machine == c->machine && o->occ == OCC_TASK && o->task == task) {
                task = m->ncpus + c->cpu; /* kworker/N of this CPU */
                break;
            }
        }
        if (task != prev) host_switch(w, c, t, prev, prev_state, task);
        start_task(w, c, task, t);
    } else {
        if (prev != c->cpu) host_switch(w, c, t, prev, prev_state, c->cpu);
        go_idle(w, c, t);
    }
}

/* The running task's period ends at t. */
static void end_task(sim_world *w, sim_cpu *c, int64_t t)
{
    sim_machine *m = mach(w, c->machine);
    int64_t prev_state = 0;
    if (!c->preempted && c->task >= 0) {
        sim_task *tk = &m->tasks[c->task];
        if (c->act.in_sys) {
            tk->blocked_sys = (int8_t)c->act.sys;
        } else {
            int s = act_blocking_sys(m, &c->rng);
            if (s >= 0) {
                emit_syscall(&c->out, t, s, 0, rng_next(&c->rng), tk->pid);
                tk->blocked_sys = (int8_t)s;
            }
        }
        prev_state = 1;
    } else if (c->task >= 0 && c->act.in_sys) {
        m->tasks[c->task].blocked_sys = (int8_t)c->act.sys;
    }
    c->act.next = INT64_MAX;
    schedule(w, c, t, prev_state, 0);
}

/* ---- vCPU threads ------------------------------------------------------------------- */

static uint64_t guest_rip(sim_rng *r)
{
    return 0xffffffff81000000ULL + (rng_next(r) & 0xfffff0ULL);
}

/* End the guest-mode segment of a running vCPU at t (an interrupt for the
 * host), keeping the usual distance from the last guest event. */
static void cut_segment(sim_vcpu *v, int64_t t)
{
    if (v->mode != VM_GUEST) return;
    int64_t min = v->t_last + GUEST_M2;
    if (t < min) t = min;
    if (t < v->seg_end) {
        v->seg_end = t;
        v->exit_reason = EXIT_EXTERNAL_INTERRUPT;
    }
}

/* Wake a halted vCPU at t (guest timer or work for it). */
static void wake_vcpu(sim_world *w, sim_cpu *c, sim_vcpu *v, int64_t t, int timer)
{
    if (v->st != VC_HALTED) return;
    v->st = VC_RUNNABLE;
    v->woken = 1;
    v->wake_timer = (uint8_t)timer;
    if (timer) {
        uint64_t tm = 0xffff9b0000000000ULL + (uint64_t)v->id * 0x4000;
        uopq_push(&c->q, t, OP_HRT_ENTRY, 0, 0, tm);
        uopq_push(&c->q, t + 300, OP_WAKING, (uint16_t)c->cpu, (uint32_t)v->task, 0);
        uopq_push(&c->q, t + 800, OP_WAKEUP, (uint16_t)c->cpu, (uint32_t)v->task, 0);
        uopq_push(&c->q, t + 1100, OP_HRT_EXIT, 0, 0, tm);
    } else {
        uopq_push(&c->q, t, OP_WAKING, (uint16_t)c->cpu, (uint32_t)v->task, 0);
        uopq_push(&c->q, t + 500, OP_WAKEUP, (uint16_t)c->cpu, (uint32_t)v->task, 0);
    }
    c->runq[c->nrunq++] = v;
    if (c->occ == OCC_IDLE) {
        int64_t e = t + rnd(&c->rng, 2 * US, 8 * US);
        if (e < c->occ_end) c->occ_end = e;
        c->preempted = 1;
    } else if (c->occ == OCC_TASK) {
        int64_t e = t + rnd(&c->rng, 1500, 4 * US);
        if (e < c->occ_end) c->occ_end = e;
        c->preempted = 1;
    } else {
        sim_vcpu *u = c->vc;
        if (u->slice_end == INT64_MAX) {
            int64_t se = u->run_start + slice_len(&c->rng);
            if (se < t + 200 * US) se = t + 200 * US;
            u->slice_end = se;
        }
        if (u->slice_end < u->seg_end) cut_segment(u, u->slice_end < t ? t : u->slice_end);
    }
}

/* Work for a vCPU at true time t: run it now if the guest runs, else keep it
 * and wake the vCPU. */
static void vcpu_deliver(sim_world *w, sim_cpu *c, sim_vcpu *v, int64_t t, const uop *u)
{
    if (v->st == VC_RUNNING && v->mode == VM_GUEST && t + 2 * US < v->seg_end - GUEST_M2) {
        /* guest time resumed at vt_stop (GUEST_M1 after the entry) */
        int64_t vt = t - v->shift;
        if (vt < v->vt_stop) vt = v->vt_stop;
        if (u->op == OP_NET_RECV) {
            const sim_machine *g = mach(w, v->guest);
            (void)g;
            uopq_push(&v->q, vt, OP_IRQ_ENTRY, 0, 0, 0);
            uopq_push(&v->q, vt + 300, OP_SOFTIRQ_RAISE, SOFTIRQ_NET_RX, 0, 0);
            uopq_push(&v->q, vt + 600, OP_IRQ_EXIT, 0, 0, 0);
            uopq_push(&v->q, vt + 800, OP_SOFTIRQ_ENTRY, SOFTIRQ_NET_RX, 0, 0);
            uopq_push(&v->q, vt + 1200, OP_NET_RECV, 0, u->b, 0);
            uopq_push(&v->q, vt + 2000 + (int64_t)rng_below(&v->rng, 1500), OP_SOFTIRQ_EXIT,
                      SOFTIRQ_NET_RX, 0, 0);
        } else {
            uopq_push(&v->q, vt, u->op, u->a, u->b, u->c);
        }
        if (!v->busy) {
            /* work arrived during the last moments of an idle transition */
            v->busy = 1;
            v->work_end = vt + 20 * US;
        }
        return;
    }
    if (v->npending == v->cappending) {
        uint32_t ncap = v->cappending ? v->cappending * 2 : 16;
        uop *np = realloc(v->pending, ncap * sizeof *np);
        if (!np) {
            w->fail = 1;
            return;
        }
        v->pending = np;
        v->cappending = ncap;
    }
    v->pending[v->npending++] = *u;
    if (v->st == VC_HALTED) wake_vcpu(w, c, v, t, 0);
}

/* kvm_x86_entry: the guest resumes at t + GUEST_M1. */
static void vcpu_enter(sim_world *w, sim_cpu *c, sim_vcpu *v, int64_t t)
{
    sim_machine *g = mach(w, v->guest);
    ev_kvm_entry(&c->out, t, v->entry_vcpu_id);
    vchk_host(&v->chk, c->out.last_raw, 1);
    if (v->hg_pending) {
        ev_vmsync(&c->out, EV_VMSYNC_HG_HOST, t, v->hg_cnt, g->vm_uid);
        v->hg_true = t;
        v->hg_raw = c->out.last_raw;
        v->hg_pending = 0;
        v->hg_guest = 1;
    }
    v->mode = VM_GUEST;
    v->shift = (t + GUEST_M1) - v->vt_stop;
    int64_t seg = 2 * US + rng_exp(&v->rng, g->spec->exits);
    v->seg_end = t + GUEST_M1 + GUEST_M2 + seg;
    uint64_t x = rng_below(&v->rng, 100);
    v->exit_reason = x < 20   ? EXIT_EXTERNAL_INTERRUPT
                     : x < 50 ? EXIT_MSR_WRITE
                     : x < 70 ? EXIT_EPT_VIOLATION
                     : x < 80 ? EXIT_IO
                     : x < 90 ? EXIT_EPT_MISCONFIG
                     : x < 95 ? EXIT_PREEMPTION_TIMER
                              : EXIT_CPUID;
    if (v->slice_end < v->seg_end) {
        int64_t se = v->slice_end;
        if (se < t + GUEST_M1 + GUEST_M2 + 200) se = t + GUEST_M1 + GUEST_M2 + 200;
        v->seg_end = se;
        v->exit_reason = EXIT_EXTERNAL_INTERRUPT;
    }
    int64_t vt = v->vt_stop;
    if (v->hg_guest) uopq_push(&v->q, vt, OP_VMSYNC_HG, 0, 0, 0), vt += 200;
    if (v->woken) {
        v->woken = 0;
        if (!v->busy) {
            v->busy = 1;
            v->work_end = vt + 20 * US + rng_exp(&v->rng, g->busy_mean);
            act_start(&v->act, vt, g, &v->rng);
        }
        if (v->wake_timer) {
            uint64_t tm = 0xffff9a0000000000ULL + (uint64_t)v->index * 0x40000ULL + 0x1d8c0;
            uopq_push(&v->q, vt, OP_HRT_ENTRY, 0, 0, tm);
            uopq_push(&v->q, vt + 200, OP_SOFTIRQ_RAISE, SOFTIRQ_TIMER, 0, 0);
            uopq_push(&v->q, vt + 400, OP_HRT_EXIT, 0, 0, tm);
            uopq_push(&v->q, vt + 700, OP_SOFTIRQ_ENTRY, SOFTIRQ_TIMER, 0, 0);
            uopq_push(&v->q, vt + 1500 + (int64_t)rng_below(&v->rng, 1500), OP_SOFTIRQ_EXIT,
                      SOFTIRQ_TIMER, 0, 0);
            vt += 3200;
        }
        if (v->gtask < g->ncpus && g->napp) {
            int next = g->app_tasks[rng_below(&v->rng, (uint64_t)g->napp)];
            uopq_push(&v->q, vt, OP_WAKING, (uint16_t)v->index, (uint32_t)next, 0);
            uopq_push(&v->q, vt + 400, OP_WAKEUP, (uint16_t)v->index, (uint32_t)next, 0);
            uopq_push(&v->q, vt + 900, OP_GUEST_SWITCH, 0, (uint32_t)next, 0);
            vt += 1500;
        }
    }
    if (v->npending) {
        /* work that arrived while the vCPU was out: receives first, in a softirq */
        int nrecv = 0;
        for (uint32_t i = 0; i < v->npending; i++) nrecv += v->pending[i].op == OP_NET_RECV;
        if (nrecv) {
            uopq_push(&v->q, vt, OP_IRQ_ENTRY, 0, 0, 0);
            uopq_push(&v->q, vt + 300, OP_SOFTIRQ_RAISE, SOFTIRQ_NET_RX, 0, 0);
            uopq_push(&v->q, vt + 600, OP_IRQ_EXIT, 0, 0, 0);
            uopq_push(&v->q, vt + 800, OP_SOFTIRQ_ENTRY, SOFTIRQ_NET_RX, 0, 0);
            vt += 1100;
            for (uint32_t i = 0; i < v->npending; i++) {
                if (v->pending[i].op != OP_NET_RECV) continue;
                uopq_push(&v->q, vt, OP_NET_RECV, 0, v->pending[i].b, 0);
                vt += 700;
            }
            uopq_push(&v->q, vt + 500, OP_SOFTIRQ_EXIT, SOFTIRQ_NET_RX, 0, 0);
            vt += 1200;
        }
        for (uint32_t i = 0; i < v->npending; i++) {
            const uop *u = &v->pending[i];
            if (u->op == OP_NET_RECV) continue;
            uopq_push(&v->q, vt, u->op, u->a, u->b, u->c);
            vt += 500;
        }
        v->npending = 0;
        if (!v->busy) {
            v->busy = 1;
            v->work_end = vt + 20 * US + rng_exp(&v->rng, g->busy_mean / 4);
            act_start(&v->act, vt, g, &v->rng);
        }
    }
}

/* kvm_x86_exit at t; the vCPU enters the hypervisor. */
static void vcpu_exit(sim_world *w, sim_cpu *c, sim_vcpu *v, int64_t t)
{
    sim_rng *r = &v->rng;
    uint32_t reason = v->exit_reason;
    uint64_t info1 = 0, info2 = 0;
    uint32_t intr = 0;
    if (reason == EXIT_EXTERNAL_INTERRUPT) intr = 0x800000ecu | (uint32_t)rng_below(r, 16);
    if (reason == EXIT_EPT_VIOLATION)
        info1 = 0x181 + rng_below(r, 4), info2 = rng_next(r) & 0xfffff000ULL;
    if (reason == EXIT_IO) info1 = 0x1f00000 + (rng_below(r, 8) << 16);
    ev_kvm_exit(&c->out, t, reason, guest_rip(r), info1, info2, intr, 0, (uint32_t)v->index);
    vchk_host(&v->chk, c->out.last_raw, 0);
    int64_t stop = v->seg_end - GUEST_M2 - v->shift;
    v->vt_stop = stop > v->vt_last ? stop : v->vt_last;
    v->mode = VM_VMM;
    switch (reason) {
    case EXIT_HLT:
        v->halting = 1;
        v->vmm_end = t + rnd(r, 800, 2500);
        break;
    case EXIT_VMCALL: {
        int64_t th = t + rnd(r, 400, 900);
        uopq_push(&c->q, th, OP_HYPERCALL, 0, (uint32_t)v->id, 0);
        v->vmm_end = th + rnd(r, 500, 1500);
        break;
    }
    case EXIT_MSR_WRITE:
        uopq_push(&c->q, t + 300, OP_KVM_MSR, 0, (uint32_t)v->id, 0);
        v->vmm_end = t + rnd(r, 1000, 3000);
        break;
    case EXIT_IO:
        uopq_push(&c->q, t + 400, OP_KVM_PIO, 0, (uint32_t)v->id, 0);
        v->vmm_end = t + rnd(r, 20 * US, 150 * US);
        break;
    case EXIT_EPT_VIOLATION:
        v->vmm_end = t + rnd(r, 2 * US, 20 * US);
        break;
    case EXIT_EPT_MISCONFIG:
        v->vmm_end = t + rnd(r, 5 * US, 40 * US);
        break;
    case EXIT_EXTERNAL_INTERRUPT:
        v->vmm_end = t + rnd(r, 1000, 4000);
        break;
    default:
        v->vmm_end = t + rnd(r, 800, 2500);
        break;
    }
}

/* End of a hypervisor period: block, yield the CPU or enter the guest again. */
static void vcpu_vmm_end(sim_world *w, sim_cpu *c, sim_vcpu *v, int64_t t)
{
    if (c->q.n) {
        /* host work (interrupts, hypercall events) runs before the next entry */
        v->vmm_end = uopq_top(&c->q) + 300;
        if (v->vmm_end <= t) v->vmm_end = t + 300;
        return;
    }
    sim_machine *g = mach(w, v->guest);
    if (v->halting) {
        v->halting = 0;
        if (!v->npending && !v->q.n && !v->busy) {
            /* the vCPU thread sleeps until the guest timer or work for it */
            v->st = VC_HALTED;
            v->slice_end = INT64_MAX;
            uint32_t load = world_stress_load(w, t, g->spec->load_ppm);
            int64_t d = 20 * US + rng_exp(&v->rng, idle_mean(load, g->busy_mean));
            v->wake_gen++;
            if (d < w->t_end - t) world_post(w, c, t + d, AI_WAKE, 0, (uint32_t)v->id, v->wake_gen);
            schedule(w, c, t, 1, 0);
            return;
        }
        v->woken = 1;
        v->wake_timer = 0;
    }
    if (t >= v->slice_end && c->nrunq > 0) {
        /* time slice over: the next runnable vCPU thread takes the CPU */
        v->st = VC_RUNNABLE;
        v->slice_end = INT64_MAX;
        c->runq[c->nrunq++] = v;
        schedule(w, c, t, 0, 0);
        return;
    }
    vcpu_enter(w, c, v, t);
}

/* ---- guest micro-ops and host micro-ops ------------------------------------------- */

static const sim_irq *irq_of(const sim_machine *m, int i)
{
    return &m->irqs[i & 3];
}

/* Micro-ops common to host and guest contexts. */
static int common_op(sim_world *w, sim_cpu *c, sim_out *o, sim_machine *m, const uop *u, int64_t t,
                     uopq *q, int64_t tq, int cur)
{
    switch (u->op) {
    case OP_SYS_ENTRY:
    case OP_SYS_EXIT:
        emit_syscall(o, t, u->a, u->op == OP_SYS_EXIT, rng_next(&c->rng), m->tasks[cur].pid);
        return 1;
    case OP_IRQ_ENTRY:
        ev_irq_entry(o, t, irq_of(m, u->a));
        return 1;
    case OP_IRQ_EXIT:
        ev_irq_exit(o, t, irq_of(m, u->a));
        return 1;
    case OP_SOFTIRQ_RAISE:
        ev_u32(o, EV_SOFTIRQ_RAISE, t, u->a);
        return 1;
    case OP_SOFTIRQ_ENTRY:
        ev_u32(o, EV_SOFTIRQ_ENTRY, t, u->a);
        return 1;
    case OP_SOFTIRQ_EXIT:
        ev_u32(o, EV_SOFTIRQ_EXIT, t, u->a);
        return 1;
    case OP_HRT_START:
        ev_hrtimer_start(o, t, u->c, 0xffffffff811a2b30ULL, o->last_raw - m->clock_offset + 4 * MS);
        return 1;
    case OP_HRT_CANCEL:
        ev_u64(o, EV_HRTIMER_CANCEL, t, u->c);
        return 1;
    case OP_HRT_ENTRY:
        ev_hrtimer_entry(o, t, u->c, clock_cursor_eval(&o->cc, t) - m->clock_offset,
                         0xffffffff811a2b30ULL);
        return 1;
    case OP_HRT_EXIT:
        ev_u64(o, EV_HRTIMER_EXPIRE_EXIT, t, u->c);
        return 1;
    case OP_NET_SEND:
        net_send(w, c, o, u->b, t);
        return 1;
    case OP_NET_RECV:
        net_recv(w, c, o, q, u->b, t, tq);
        return 1;
    case OP_FLOW:
        flow_action(w, (int)u->b, u->a >> 8, u->a & 0xff, (uint32_t)u->c, q, tq, o, t);
        return 1;
    case OP_WAKING:
        ev_wake(o, EV_SCHED_WAKING, t, &m->tasks[u->b], u->a);
        return 1;
    case OP_WAKEUP:
        ev_wake(o, EV_SCHED_WAKEUP, t, &m->tasks[u->b], u->a);
        return 1;
    case OP_FORK:
        ev_fork(o, t, &m->tasks[u->b], (int32_t)u->c);
        return 1;
    case OP_WAKEUP_NEW: {
        sim_task child = m->tasks[u->b];
        child.tid = child.pid = (int32_t)u->c;
        ev_wake(o, EV_SCHED_WAKEUP_NEW, t, &child, (int)(u->c % (uint64_t)m->ncpus));
        return 1;
    }
    case OP_EXIT:
        ev_process_exit(o, t, m->tasks[u->b].comm, (int32_t)u->c, m->tasks[u->b].prio);
        return 1;
    case OP_STATEDUMP:
        if (u->a == 0)
            ev_empty(o, EV_STATEDUMP_START, t);
        else if (u->a == 2)
            ev_empty(o, EV_STATEDUMP_END, t);
        else
            ev_statedump_process(o, t, &m->tasks[u->b], 0xffff8f0000000000ULL + u->b * 0x1c0ULL);
        return 1;
    default:
        return 0;
    }
}

static void host_op(sim_world *w, sim_cpu *c, const uop *u, int64_t t)
{
    sim_machine *m = mach(w, c->machine);
    if (common_op(w, c, &c->out, m, u, t, &c->q, t, cur_task(c))) return;
    switch (u->op) {
    case OP_HYPERCALL: {
        sim_vcpu *v = &w->vcpus[u->b];
        sim_machine *g = mach(w, v->guest);
        ev_kvm_hypercall(&c->out, t, 5, v->gh_cnt, g->vm_uid, 0, 0);
        ev_vmsync(&c->out, EV_VMSYNC_GH_HOST, t, v->gh_cnt, g->vm_uid);
        truth_vmsync(w, v->guest, v->gh_raw, m->index, c->out.last_raw, t - v->gh_true, g->vm_uid,
                     v->gh_cnt);
        v->hg_pending = 1;
        v->hg_cnt = v->gh_cnt + 1;
        break;
    }
    case OP_KVM_MSR: {
        sim_vcpu *v = &w->vcpus[u->b];
        ev_kvm_msr(&c->out, t, 1, 0x6e0, (uint64_t)(c->out.last_raw - m->clock_offset) * 3);
        (void)v;
        break;
    }
    case OP_KVM_PIO:
        ev_kvm_pio(&c->out, t, 1, 0xc000 + (uint32_t)rng_below(&c->rng, 64) * 0x40, 2);
        break;
    default:
        break;
    }
}

static void guest_op(sim_world *w, sim_cpu *c, sim_vcpu *v, const uop *u, int64_t t, int64_t vt)
{
    sim_machine *g = mach(w, v->guest);
    switch (u->op) {
    case OP_GUEST_SWITCH: {
        int prev = v->gtask, next = (int)u->b;
        if (prev != next) ev_sched_switch(&v->out, t, &g->tasks[prev], u->a, &g->tasks[next]);
        v->gtask = next;
        return;
    }
    case OP_GUEST_IDLE:
        if (v->npending || v->q.n || !v->busy) {
            if (v->busy) {
                v->work_end = vt + 10 * US + rng_exp(&v->rng, 30 * US);
                v->act.next = vt + 500;
            }
            return;
        }
        if (v->gtask != v->index)
            ev_sched_switch(&v->out, t, &g->tasks[v->gtask], 1, &g->tasks[v->index]);
        v->gtask = v->index;
        v->busy = 0;
        v->act.next = INT64_MAX;
        v->seg_end = t + GUEST_TRIG;
        v->exit_reason = EXIT_HLT;
        return;
    case OP_VMSYNC_GH:
        ev_vmsync(&v->out, EV_VMSYNC_GH_GUEST, t, v->softirq_count, g->vm_uid);
        v->gh_cnt = v->softirq_count;
        v->gh_true = t;
        v->gh_raw = v->out.last_raw;
        v->softirq_count++;
        v->seg_end = t + GUEST_TRIG;
        v->exit_reason = EXIT_VMCALL;
        return;
    case OP_VMSYNC_HG:
        ev_vmsync(&v->out, EV_VMSYNC_HG_GUEST, t, v->hg_cnt, g->vm_uid);
        truth_vmsync(w, mach(w, c->machine)->index, v->hg_raw, v->guest, v->out.last_raw,
                     t - v->hg_true, g->vm_uid, v->hg_cnt);
        v->hg_guest = 0;
        return;
    case OP_SOFTIRQ_EXIT:
        ev_u32(&v->out, EV_SOFTIRQ_EXIT, t, u->a);
        if (g->spec->vmsync && v->index == g->spec->vmsync_cpu) {
            v->softirq_count++;
            if (v->softirq_count % 3 == 0)
                uopq_push(&v->q, vt + 150 + (int64_t)rng_below(&v->rng, 200), OP_VMSYNC_GH, 0, 0,
                          0);
        }
        return;
    default:
        common_op(w, c, &v->out, g, u, t, &v->q, vt, v->gtask);
        return;
    }
}

/* ---- the actor ------------------------------------------------------------------------ */

/* Candidate sources, in tie order. */
enum { SRC_NONE, SRC_AHEAP, SRC_DEADLINE, SRC_HOSTQ, SRC_ACT, SRC_GUESTQ, SRC_GUESTACT };

static int64_t next_of(const sim_cpu *c, int *src)
{
    int64_t best = INT64_MAX;
    int s = SRC_NONE;
    int64_t x = aheap_top(&c->ah);
    if (x < best) best = x, s = SRC_AHEAP;
    int in_guest = c->occ == OCC_VCPU && c->vc->mode == VM_GUEST;
    x = c->occ == OCC_VCPU ? (in_guest ? c->vc->seg_end : c->vc->vmm_end) : c->occ_end;
    if (x < best) best = x, s = SRC_DEADLINE;
    if (!in_guest) {
        x = uopq_top(&c->q);
        if (x < best) best = x, s = SRC_HOSTQ;
    }
    if (c->occ == OCC_TASK) {
        x = c->act.next;
        if (x < best) best = x, s = SRC_ACT;
    }
    if (in_guest) {
        const sim_vcpu *v = c->vc;
        int64_t limit = v->seg_end - GUEST_M2;
        int64_t q = uopq_top(&v->q);
        if (q != INT64_MAX && q + v->shift < limit && q + v->shift < best)
            best = q + v->shift, s = SRC_GUESTQ;
        if (v->busy && v->act.next != INT64_MAX) {
            int64_t a = v->act.next + v->shift;
            if (a < limit && a < best) best = a, s = SRC_GUESTACT;
        }
    }
    *src = s;
    return best;
}

int64_t cpu_next(sim_world *w, sim_cpu *c, int *src)
{
    (void)w;
    return next_of(c, src);
}

static void on_item(sim_world *w, sim_cpu *c, const aitem *it)
{
    int64_t t = it->t;
    switch (it->kind) {
    case AI_ARRIVAL: {
        sim_pkt *p = &w->pkts[it->ref];
        sim_flow *fl = &w->flows[p->flow];
        int side = 1 - p->dir;
        int vi = fl->vcpu[side];
        if (vi < 0) {
            /* physical NIC interrupt on this CPU */
            if (c->occ == OCC_VCPU) cut_segment(c->vc, t);
            uopq_push(&c->q, t + 100, OP_IRQ_ENTRY, 0, 0, 0);
            uopq_push(&c->q, t + 400, OP_SOFTIRQ_RAISE, SOFTIRQ_NET_RX, 0, 0);
            uopq_push(&c->q, t + 700, OP_IRQ_EXIT, 0, 0, 0);
            uopq_push(&c->q, t + 1000, OP_SOFTIRQ_ENTRY, SOFTIRQ_NET_RX, 0, 0);
            uopq_push(&c->q, t + 1500, OP_NET_RECV, 0, it->ref, 0);
            uopq_push(&c->q, t + 2500 + (int64_t)rng_below(&c->rng, 2000), OP_SOFTIRQ_EXIT,
                      SOFTIRQ_NET_RX, 0, 0);
        } else {
            uop u = {t, 0, OP_NET_RECV, 0, it->ref, 0};
            vcpu_deliver(w, c, &w->vcpus[vi], t, &u);
        }
        break;
    }
    case AI_FLOW: {
        sim_flow *fl = &w->flows[it->ref];
        int side = it->a >> 8;
        int vi = fl->vcpu[side];
        if (vi < 0) {
            if (c->occ == OCC_VCPU) cut_segment(c->vc, t);
            uopq_push(&c->q, t, OP_FLOW, it->a, it->ref, it->c);
        } else {
            uop u = {t, 0, OP_FLOW, it->a, it->ref, it->c};
            vcpu_deliver(w, c, &w->vcpus[vi], t, &u);
        }
        break;
    }
    case AI_WAKE: {
        sim_vcpu *v = &w->vcpus[it->ref];
        if (v->wake_gen == it->c && v->st == VC_HALTED) wake_vcpu(w, c, v, t, 1);
        break;
    }
    default:
        break;
    }
}

void cpu_step(sim_world *w, sim_cpu *c, int64_t t, int src)
{
    /* work scheduled while it could not run (guest mode) runs late, never back in time */
    if (t < c->now) t = c->now;
    c->now = t;
    switch (src) {
    case SRC_AHEAP: {
        aitem it;
        aheap_pop(&c->ah, &it);
        on_item(w, c, &it);
        break;
    }
    case SRC_DEADLINE:
        if (c->occ == OCC_VCPU) {
            sim_vcpu *v = c->vc;
            if (v->mode == VM_GUEST)
                vcpu_exit(w, c, v, t);
            else
                vcpu_vmm_end(w, c, v, t);
        } else if (c->occ == OCC_TASK) {
            end_task(w, c, t);
        } else {
            schedule(w, c, t, 0, !c->preempted);
        }
        break;
    case SRC_HOSTQ: {
        uop u;
        uopq_pop(&c->q, &u);
        host_op(w, c, &u, t);
        break;
    }
    case SRC_ACT: {
        sim_machine *m = mach(w, c->machine);
        act_step(&c->act, &c->out, &c->q, t, t, m, c->task, 0, &c->rng);
        break;
    }
    case SRC_GUESTQ: {
        sim_vcpu *v = c->vc;
        uop u;
        uopq_pop(&v->q, &u);
        v->vt_last = u.t;
        v->t_last = t;
        guest_op(w, c, v, &u, t, u.t);
        break;
    }
    case SRC_GUESTACT: {
        sim_vcpu *v = c->vc;
        sim_machine *g = mach(w, v->guest);
        int64_t vt = v->act.next;
        v->vt_last = vt;
        v->t_last = t;
        act_step(&v->act, &v->out, &v->q, t, vt, g, v->gtask, 1, &v->rng);
        if (!v->act.in_sys && v->act.next >= v->work_end) {
            v->act.next = INT64_MAX;
            uopq_push(&v->q, v->work_end > vt ? v->work_end : vt + 100, OP_GUEST_IDLE, 0, 0, 0);
        }
        break;
    }
    default:
        break;
    }
}

void cpu_start(sim_world *w, sim_cpu *c)
{
    sim_machine *m = mach(w, c->machine);
    int64_t t = w->t0;
    c->occ = OCC_IDLE;
    c->task = -1;
    c->act.next = INT64_MAX;
    c->occ_end = t + 1000 + (int64_t)rng_below(&c->rng, 200 * US);
    if (c->cpu == 0) {
        /* the session daemon runs the state dump on CPU 0 */
        int sessiond = m->sessiond_task;
        int64_t s = t + 5 * US;
        uopq_push(&c->q, s, OP_STATEDUMP, 0, 0, 0);
        for (int i = 0; i < m->ntasks; i++) {
            if (i < m->ncpus) continue; /* swappers are not listed */
            s += 800 + (int64_t)rng_below(&c->rng, 1200);
            uopq_push(&c->q, s, OP_STATEDUMP, 1, (uint32_t)i, 0);
        }
        s += 2 * US;
        uopq_push(&c->q, s, OP_STATEDUMP, 2, 0, 0);
        c->occ = OCC_TASK;
        c->task = sessiond;
        c->occ_end = s + 10 * US;
    }
}
