/* The event classes a simulated machine declares (internal): names and
 * layouts of lttng-modules 2.13 on x86-64, their ids in a machine's trace,
 * and the TSDL metadata text that describes them. */
#ifndef TS_SIM_CATALOG_H
#define TS_SIM_CATALOG_H

#include "tracesync/common.h"
#include "util/strbuf.h"

#include <stdint.h>

typedef enum sim_ev {
    EV_STATEDUMP_START,
    EV_STATEDUMP_END,
    EV_STATEDUMP_PROCESS_STATE,
    EV_SCHED_SWITCH,
    EV_SCHED_WAKING,
    EV_SCHED_WAKEUP,
    EV_SCHED_WAKEUP_NEW,
    EV_SCHED_PROCESS_FORK,
    EV_SCHED_PROCESS_EXIT,
    EV_IRQ_HANDLER_ENTRY,
    EV_IRQ_HANDLER_EXIT,
    EV_SOFTIRQ_RAISE,
    EV_SOFTIRQ_ENTRY,
    EV_SOFTIRQ_EXIT,
    EV_HRTIMER_START,
    EV_HRTIMER_CANCEL,
    EV_HRTIMER_EXPIRE_ENTRY,
    EV_HRTIMER_EXPIRE_EXIT,
    EV_NET_DEV_QUEUE,
    EV_NET_IF_RECEIVE_SKB,
    EV_KVM_ENTRY,
    EV_KVM_EXIT,
    EV_KVM_HYPERCALL,
    EV_KVM_MSR,
    EV_KVM_PIO,
    EV_VMSYNC_GH_GUEST,
    EV_VMSYNC_HG_GUEST,
    EV_VMSYNC_GH_HOST,
    EV_VMSYNC_HG_HOST,
    EV_SYSCALL_FIRST, /* then entry/exit pairs: EV_SYSCALL_FIRST + 2*s (+1 for the exit) */
} sim_ev;

/* System calls the simulator emits (entry + exit events each). */
typedef enum sim_sys {
    SYS_READ,
    SYS_WRITE,
    SYS_FUTEX,
    SYS_SENDTO,
    SYS_RECVFROM,
    SYS_IOCTL,
    SYS_OPENAT,
    SYS_CLOSE,
    SYS_NEWFSTAT,
    SYS_LSEEK,
    SYS_MMAP,
    SYS_MUNMAP,
    SYS_BRK,
    SYS_RT_SIGPROCMASK,
    SYS_NANOSLEEP,
    SYS_CLOCK_NANOSLEEP,
    SYS_SENDMSG,
    SYS_RECVMSG,
    SYS_GETPID,
    SYS_SCHED_YIELD,
    SYS_WRITEV,
    SYS__COUNT
} sim_sys;

#define EV__COUNT (EV_SYSCALL_FIRST + 2 * SYS__COUNT)
#define SIM_NOID  UINT32_MAX

static inline int ev_sys_entry(int sys)
{
    return EV_SYSCALL_FIRST + 2 * sys;
}
static inline int ev_sys_exit(int sys)
{
    return EV_SYSCALL_FIRST + 2 * sys + 1;
}

typedef enum sim_role { ROLE_HOST = 0, ROLE_GUEST = 1, ROLE_MACHINE = 2 } sim_role;

typedef struct sim_catalog {
    uint32_t id[EV__COUNT]; /* event id in this trace, SIM_NOID when not declared */
    uint32_t nevents;
    int header_type;         /* CTFW_HEADER_COMPACT when fewer than 31 events */
    uint8_t sys[SYS__COUNT]; /* declared system calls */
    uint32_t nsys;
} sim_catalog;

/* Declare the events of a machine of this role: the full set (many system
 * calls: the large event header) or a small one (fewer than 31 event ids: the
 * compact event header, as LTTng chooses). */
void catalog_build(sim_catalog *c, sim_role role, int small);

const char *catalog_event_name(int ev);
const char *catalog_sys_name(int sys);

/* What goes into the env and clock blocks. */
typedef struct sim_meta_env {
    const char *hostname;
    const char *kernel_release;
    const char *kernel_version;
    int tracer_patchlevel;
    const char *trace_name;
    const char *creation_datetime;
    const char *product_uuid;  /* NULL: omitted */
    const uint8_t *trace_uuid; /* 16 bytes */
    const char *clock_uuid;    /* boot id, 36 characters */
    int64_t clock_offset;      /* ns since the epoch at cycle 0 */
} sim_meta_env;

/* The whole TSDL text of a machine's metadata. */
void catalog_metadata(const sim_catalog *c, const sim_meta_env *env, ts_strbuf *out);

/* Format 16 bytes as a UUID string (37 bytes with the NUL). */
void catalog_uuid_str(const uint8_t u[16], char out[37]);

#endif
