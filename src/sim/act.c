/* Background activity of a busy CPU context: system calls (entry/exit pairs),
 * timer ticks with their softirqs, wake-ups and an occasional fork. */
#include "sim/act.h"
#include "sim/emit.h"

static const uint16_t sys_weight[SYS__COUNT] = {
    [SYS_READ] = 22,    [SYS_WRITE] = 14,         [SYS_FUTEX] = 14,    [SYS_SENDTO] = 4,
    [SYS_RECVFROM] = 6, [SYS_IOCTL] = 10,         [SYS_OPENAT] = 2,    [SYS_CLOSE] = 3,
    [SYS_NEWFSTAT] = 3, [SYS_LSEEK] = 2,          [SYS_MMAP] = 2,      [SYS_MUNMAP] = 1,
    [SYS_BRK] = 1,      [SYS_RT_SIGPROCMASK] = 5, [SYS_NANOSLEEP] = 1, [SYS_CLOCK_NANOSLEEP] = 2,
    [SYS_SENDMSG] = 2,  [SYS_RECVMSG] = 3,        [SYS_GETPID] = 2,    [SYS_SCHED_YIELD] = 1,
    [SYS_WRITEV] = 2,
};

static const char *const files[] = {"/etc/hosts", "/proc/self/stat", "/var/lib/app/data.db",
                                    "/usr/lib/x86_64-linux-gnu/libc.so.6", "/tmp/.lock"};

void act_tables(sim_machine *m)
{
    /* 256 slots shared out in proportion to the weights of the declared calls */
    uint32_t total = 0;
    m->nsys = m->cat.nsys;
    for (uint32_t i = 0; i < m->cat.nsys; i++) total += sys_weight[m->cat.sys[i]];
    uint32_t acc = 0, slot = 0;
    for (uint32_t i = 0; i < m->cat.nsys && total; i++) {
        acc += sys_weight[m->cat.sys[i]];
        uint32_t end = acc * 256 / total;
        while (slot < end) m->sys_pick[slot++] = m->cat.sys[i];
    }
}

static int pick_sys(const sim_machine *m, uint64_t x)
{
    return m->nsys ? m->sys_pick[x & 255] : -1;
}

/* A system call that blocks (for a task that goes to sleep). */
int act_blocking_sys(const sim_machine *m, sim_rng *r)
{
    static const int blocking[] = {SYS_FUTEX, SYS_READ, SYS_RECVFROM, SYS_CLOCK_NANOSLEEP,
                                   SYS_NANOSLEEP};
    int k = (int)rng_below(r, 5);
    for (int i = 0; i < 5; i++) {
        int s = blocking[(k + i) % 5];
        if (m->cat.id[ev_sys_entry(s)] != SIM_NOID) return s;
    }
    return -1;
}

void emit_syscall(sim_out *o, int64_t t, int sys, int is_exit, uint64_t r, int32_t pid)
{
    int ev = is_exit ? ev_sys_exit(sys) : ev_sys_entry(sys);
    uint8_t *p = out_begin(o, ev, t, 96);
    if (!p) return;
    uint32_t fd = 3 + (uint32_t)(r & 15);
    uint64_t ptr = 0x7f0000000000ULL | ((r >> 8) & 0xffffff000ULL);
    uint64_t cnt = 1ULL << (4 + ((r >> 40) & 7));
    int64_t ret = (int64_t)cnt;
    if (!is_exit) {
        switch (sys) {
        case SYS_READ:
            p = put_le32(p, fd);
            p = put_le64(p, cnt);
            break;
        case SYS_WRITE:
            p = put_le32(p, fd);
            p = put_le64(p, ptr);
            p = put_le64(p, cnt);
            break;
        case SYS_FUTEX:
            p = put_le64(p, ptr | 0x40);
            p = put_le32(p, 128 + (uint32_t)(r >> 60)); /* FUTEX_PRIVATE_FLAG | op */
            p = put_le32(p, (uint32_t)(r >> 20) & 3);
            p = put_le64(p, 0);
            p = put_le64(p, 0);
            p = put_le32(p, 0);
            break;
        case SYS_SENDTO:
            p = put_le32(p, fd);
            p = put_le64(p, ptr);
            p = put_le64(p, cnt);
            p = put_le32(p, 0x40); /* MSG_DONTWAIT */
            p = put_le64(p, 0);
            p = put_le32(p, 0);
            break;
        case SYS_RECVFROM:
            p = put_le32(p, fd);
            p = put_le64(p, 65536);
            p = put_le32(p, 0);
            p = put_le64(p, 0);
            break;
        case SYS_IOCTL:
            p = put_le32(p, fd);
            p = put_le32(p, 0x5401 + ((uint32_t)(r >> 33) & 3)); /* TCGETS... */
            p = put_le64(p, ptr);
            break;
        case SYS_OPENAT:
            p = put_le32(p, (uint32_t)-100); /* AT_FDCWD */
            p = put_str(p, files[(r >> 50) % 5], 63);
            p = put_le32(p, 0x80000); /* O_CLOEXEC */
            p = put_le16(p, 0);
            break;
        case SYS_CLOSE:
        case SYS_NEWFSTAT:
            p = put_le32(p, fd);
            break;
        case SYS_LSEEK:
            p = put_le32(p, fd);
            p = put_le64(p, cnt * 4);
            p = put_le32(p, 0);
            break;
        case SYS_MMAP:
            p = put_le64(p, 0);
            p = put_le64(p, cnt * 4096);
            p = put_le32(p, 3);
            p = put_le32(p, 0x22);
            p = put_le32(p, (uint32_t)-1);
            p = put_le64(p, 0);
            break;
        case SYS_MUNMAP:
            p = put_le64(p, ptr);
            p = put_le64(p, cnt * 4096);
            break;
        case SYS_BRK:
            p = put_le64(p, 0x55d000000000ULL + (ptr & 0xfffff000));
            break;
        case SYS_RT_SIGPROCMASK:
            p = put_le32(p, (uint32_t)(r >> 45) & 1);
            p = put_le64(p, ptr);
            p = put_le64(p, 8);
            break;
        case SYS_NANOSLEEP:
            p = put_le64(p, ptr);
            break;
        case SYS_CLOCK_NANOSLEEP:
            p = put_le32(p, 1); /* CLOCK_MONOTONIC */
            p = put_le32(p, 0);
            p = put_le64(p, ptr);
            break;
        case SYS_SENDMSG:
        case SYS_RECVMSG:
            p = put_le32(p, fd);
            p = put_le64(p, ptr);
            p = put_le32(p, 0x40);
            break;
        case SYS_WRITEV:
            p = put_le64(p, fd);
            p = put_le64(p, ptr);
            p = put_le64(p, 2);
            break;
        default:
            break;
        }
    } else {
        switch (sys) {
        case SYS_READ:
            p = put_le64(p, (uint64_t)ret);
            p = put_le64(p, ptr);
            break;
        case SYS_FUTEX:
            p = put_le64(p, 0);
            p = put_le64(p, ptr | 0x40);
            p = put_le64(p, 0);
            break;
        case SYS_RECVFROM:
            p = put_le64(p, (uint64_t)ret);
            p = put_le64(p, ptr);
            p = put_le64(p, 0);
            p = put_le64(p, 0);
            break;
        case SYS_IOCTL:
            p = put_le64(p, 0);
            p = put_le64(p, ptr);
            break;
        case SYS_OPENAT:
            p = put_le64(p, fd);
            break;
        case SYS_CLOSE:
        case SYS_MUNMAP:
            p = put_le64(p, 0);
            break;
        case SYS_NEWFSTAT:
            p = put_le64(p, 0);
            p = put_le64(p, ptr);
            break;
        case SYS_MMAP:
            p = put_le64(p, ptr);
            break;
        case SYS_BRK:
            p = put_le64(p, 0x55d000000000ULL + (ptr & 0xfffff000));
            break;
        case SYS_RT_SIGPROCMASK:
        case SYS_RECVMSG:
        case SYS_WRITEV:
            p = put_le64(p, sys == SYS_RT_SIGPROCMASK ? 0 : (uint64_t)ret);
            p = put_le64(p, ptr);
            break;
        case SYS_NANOSLEEP:
        case SYS_CLOCK_NANOSLEEP:
            p = put_le64(p, 0);
            p = put_le64(p, 0);
            break;
        case SYS_GETPID:
            p = put_le64(p, (uint64_t)(int64_t)pid);
            break;
        case SYS_SCHED_YIELD:
            p = put_le64(p, 0);
            break;
        default: /* write, sendto, sendmsg, lseek: ret only */
            p = put_le64(p, (uint64_t)ret);
            break;
        }
    }
    out_end(o, p);
}

void act_start(sim_act *a, int64_t t, const sim_machine *m, sim_rng *r)
{
    a->in_sys = 0;
    a->next = t + 200 + rng_exp(r, m->gap_mean / 2);
    a->tick_next = t + (int64_t)rng_below(r, (uint64_t)m->spec->tick);
    a->since_switch = 0;
}

/* Push a timer tick (tick_sched_timer, then the TIMER and sometimes RCU softirqs). */
static void push_tick(uopq *q, int64_t tq, sim_rng *r, uint64_t timer)
{
    int64_t t = tq;
    uopq_push(q, t, OP_HRT_ENTRY, 0, 0, timer);
    uopq_push(q, t + 250, OP_SOFTIRQ_RAISE, SOFTIRQ_TIMER, 0, 0);
    uopq_push(q, t + 400, OP_HRT_START, 0, 0, timer);
    uopq_push(q, t + 600, OP_HRT_EXIT, 0, 0, timer);
    int64_t d = 900 + (int64_t)rng_below(r, 600);
    uopq_push(q, t + d, OP_SOFTIRQ_ENTRY, SOFTIRQ_TIMER, 0, 0);
    d += 500 + (int64_t)rng_below(r, 2500);
    uopq_push(q, t + d, OP_SOFTIRQ_EXIT, SOFTIRQ_TIMER, 0, 0);
    if (rng_below(r, 4) == 0) {
        uopq_push(q, t + d + 100, OP_SOFTIRQ_ENTRY, SOFTIRQ_RCU, 0, 0);
        uopq_push(q, t + d + 700 + (int64_t)rng_below(r, 1500), OP_SOFTIRQ_EXIT, SOFTIRQ_RCU, 0, 0);
    }
}

void act_step(sim_act *a, sim_out *out, uopq *q, int64_t t, int64_t tq, sim_machine *m, int task,
              int guest, sim_rng *r)
{
    if (a->tick_next <= tq) {
        push_tick(q, tq, r, 0xffff9a0000000000ULL + (uint64_t)out->w.cpu * 0x40000ULL + 0x1d8c0);
        a->tick_next += m->spec->tick;
        if (a->tick_next <= tq) a->tick_next = tq + m->spec->tick;
    }
    if (!a->in_sys) {
        /* between two system calls: sometimes wake another task or switch */
        a->since_switch++;
        uint64_t x = rng_next(r);
        if (m->napp > 1 && ((x >> 8) & 63) == 0) {
            int other = m->app_tasks[rng_below(r, (uint64_t)m->napp)];
            if (other != task) {
                if (guest && a->since_switch > 200 && (rng_next(r) & 3) == 0) {
                    uopq_push(q, tq, OP_WAKING, (uint16_t)out->w.cpu, (uint32_t)other, 0);
                    uopq_push(q, tq + 400, OP_WAKEUP, (uint16_t)out->w.cpu, (uint32_t)other, 0);
                    uopq_push(q, tq + 900, OP_GUEST_SWITCH, 1, (uint32_t)other, 0);
                    a->since_switch = 0;
                    a->next = tq + 2000 + rng_exp(r, m->gap_mean);
                    return;
                }
                uint16_t target = (uint16_t)rng_below(r, (uint64_t)m->ncpus);
                uopq_push(q, tq, OP_WAKING, target, (uint32_t)other, 0);
                uopq_push(q, tq + 400, OP_WAKEUP, target, (uint32_t)other, 0);
            }
        } else if (((x >> 16) & 0xfff) == 0 && task >= m->ncpus) {
            int32_t child = m->next_tid++;
            uopq_push(q, tq, OP_FORK, 0, (uint32_t)task, (uint64_t)child);
            uopq_push(q, tq + 1500, OP_WAKEUP_NEW, 0, (uint32_t)task, (uint64_t)child);
            uopq_push(q, tq + 20000 + rng_exp(r, 200000), OP_EXIT, 0, (uint32_t)task,
                      (uint64_t)child);
        }
        int s = pick_sys(m, x);
        if (s < 0) {
            a->next = tq + m->gap_mean * 2;
            return;
        }
        a->sys = (uint8_t)s;
        a->in_sys = 1;
        emit_syscall(out, t, s, 0, rng_next(r), m->tasks[task].pid);
        /* uniform spacing with the same mean: cheaper than exponential, same volume */
        a->next = tq + 1 + (int64_t)rng_below(r, 2 * (uint64_t)m->sys_mean);
    } else {
        a->in_sys = 0;
        emit_syscall(out, t, a->sys, 1, rng_next(r), m->tasks[task].pid);
        a->next = tq + 1 + (int64_t)rng_below(r, 2 * (uint64_t)m->gap_mean);
    }
}
