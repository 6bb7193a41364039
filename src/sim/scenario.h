/* Scenario model (internal): what ts_sim_scenario_parse produces and the
 * engine consumes.  Times are ns; true times are relative to the start. */
#ifndef TS_SIM_SCENARIO_H
#define TS_SIM_SCENARIO_H

#include "tracesync/sim.h"
#include "sim/catalog.h"
#include "sim/clock.h"

#define SCN_MAX_MACHINES     64
#define SCN_MAX_CPUS         256
#define SCN_NAME_MAX         32
#define SCN_MAX_CLOCK_EVENTS 64

typedef struct scn_machine {
    char name[SCN_NAME_MAX];
    char hostname[64];
    char kernel[64];
    sim_role role;
    int ncpus; /* physical CPUs, or vCPUs for a guest */
    int host;  /* guest: index of its host machine */
    int npin;  /* guest: host CPUs its vCPU threads are pinned to (vCPU n -> pin[n % npin]) */
    int pin[SCN_MAX_CPUS];
    int small_events;  /* fewer than 31 event classes: compact event header */
    uint32_t load_ppm; /* busy fraction of CPU time (host tasks, or guest work) */
    int64_t burst;     /* mean busy period */
    int64_t rate;      /* events per second of busy CPU time */
    int64_t exits;     /* guest: mean guest-mode time between VM exits */
    int64_t tick;      /* timer tick period while busy */
    int vmsync;        /* guest: run the vmsync hypercall rounds */
    int vmsync_cpu;
    int entry_vcpu_id_pointer; /* kvm_x86_entry.vcpu_id = low bits of a pointer (kernels >= 5.9) */
    int64_t uptime;            /* monotonic clock value at the start */
    int64_t packet_size;       /* sub-buffer size */
    sim_clock_spec clock;      /* its slews/steps point into the arrays below */
    sim_clock_slew slews[SCN_MAX_CLOCK_EVENTS];
    sim_clock_step steps[SCN_MAX_CLOCK_EVENTS];
    int has_clock;
    int line, clock_line;
} scn_machine;

typedef struct scn_latency {
    int64_t min, mean;  /* body: min + exponential(mean - min) */
    uint32_t tail_ppm;  /* probability of a tail sample */
    int64_t tail_scale; /* tail: min + pareto(scale, alpha 1.5) */
    int64_t tail_max;
    uint32_t loss_ppm;
    int set;
} scn_latency;

typedef enum scn_flow_kind { FLOW_TCP, FLOW_UDP, FLOW_PING, FLOW_NOISE } scn_flow_kind;

typedef struct scn_flow {
    scn_flow_kind kind;
    int a, b;           /* client/sender, server/receiver */
    int64_t interval;   /* mean time between requests / datagrams / pings */
    uint32_t req, resp; /* bytes */
    int64_t service;    /* server think time */
    int stream;         /* tcp: bulk transfer a -> b instead of request/response */
    int ipv6;
    int reply; /* udp: b answers each datagram */
    uint16_t port;
    int64_t start, stop; /* tcp: handshake at start / FIN at stop (-1: open for the whole trace) */
    uint32_t noheader_ppm; /* receive events recorded without network headers */
    int line;
} scn_flow;

typedef struct scn_stress {
    int64_t from, to;
    uint32_t latency_x100; /* latency multiplier x100 */
    uint32_t load_ppm;     /* busy fraction of every machine during the window (0: unchanged) */
    int line;
} scn_stress;

struct ts_sim_scenario {
    char name[64];
    int64_t duration;
    int64_t start_epoch; /* true time of the start, ns since the epoch */
    uint64_t seed;
    int nmachines;
    scn_machine m[SCN_MAX_MACHINES];
    scn_latency lat[SCN_MAX_MACHINES][SCN_MAX_MACHINES]; /* [from][to] */
    int nflows;
    scn_flow *flows;
    int nstress;
    scn_stress *stress;
};

/* The presets' scenario texts (presets.c). */
typedef struct scn_preset {
    const char *name;
    const char *summary;
    const char *text;
} scn_preset;
extern const scn_preset scn_presets[];
extern const size_t scn_npresets;

#endif
