/* Background activity of busy CPU contexts (internal): system calls, timer
 * ticks, wake-ups, forks.  Used for host tasks and for busy guest vCPUs. */
#ifndef TS_SIM_ACT_H
#define TS_SIM_ACT_H

#include "sim/world.h"

/* Precompute the machine's system call mix (from its catalog). */
void act_tables(sim_machine *m);
/* Restart the activity at time t (the context's time base). */
void act_start(sim_act *a, int64_t t, const sim_machine *m, sim_rng *r);
/* Emit the activity's next event at true time t (a->next == tq in the
 * context's time base); ticks and wake-ups are pushed on q. */
void act_step(sim_act *a, sim_out *out, uopq *q, int64_t t, int64_t tq, sim_machine *m, int task,
              int guest, sim_rng *r);
/* A system call a task can sleep in, -1 if none is declared. */
int act_blocking_sys(const sim_machine *m, sim_rng *r);
/* Write a system call entry or exit with plausible arguments derived from r. */
void emit_syscall(sim_out *o, int64_t t, int sys, int is_exit, uint64_t r, int32_t pid);

#endif
