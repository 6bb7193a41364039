/* Network traffic (internal): flows (TCP connections, UDP, ICMP pings and
 * header-less packets), one-way latencies and losses, the net_dev_queue /
 * net_if_receive_skb events with their IPv4/IPv6 and TCP/UDP/ICMP headers. */
#ifndef TS_SIM_NET_H
#define TS_SIM_NET_H

#include "sim/world.h"

/* Set up a flow's endpoints and post its first timers (world->t0 based). */
void flow_init(sim_world *w, sim_flow *fl);
/* Run a flow action of one side, at true time t; its packets are pushed on q
 * (the context's queue, time base tq) as OP_NET_SEND micro-ops. */
void flow_action(sim_world *w, int flow, int side, int action, uint32_t arg, uopq *q, int64_t tq,
                 sim_out *out, int64_t t);
/* Write net_dev_queue for a packet at true time t and send it on its way. */
void net_send(sim_world *w, sim_cpu *cpu, sim_out *out, uint32_t pkt, int64_t t);
/* Write net_if_receive_skb for a packet at true time t and react to it
 * (acknowledgements, answers) by pushing micro-ops on q (time base tq). */
void net_recv(sim_world *w, sim_cpu *cpu, sim_out *out, uopq *q, uint32_t pkt, int64_t t,
              int64_t tq);

#endif
