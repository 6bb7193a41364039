/* Network traffic: flows, latencies, losses, TCP sequence/ack evolution and
 * the net_dev_queue / net_if_receive_skb events (lttng-modules 2.13 layout). */
#include "sim/net.h"
#include "sim/emit.h"

#include <stdlib.h>

#define MSS     1448
#define TCP_FIN 0x001
#define TCP_SYN 0x002
#define TCP_PSH 0x008
#define TCP_ACK 0x010
#define RTO     (200 * MS)

static inline sim_machine *mach(sim_world *w, int i)
{
    return &w->m[i];
}

static sim_cpu *side_cpu(sim_world *w, const sim_flow *fl, int side)
{
    return &w->cpus[fl->cpu[side]];
}

/* Post a flow action for `side` at true time t on the actor that runs it. */
static void post(sim_world *w, sim_flow *fl, int side, int action, int64_t t, uint32_t arg)
{
    if (t >= w->t_end) return;
    world_post(w, side_cpu(w, fl, side), t, AI_FLOW, (uint16_t)((side << 8) | action),
               (uint32_t)fl->idx, arg);
}

void flow_init(sim_world *w, sim_flow *fl)
{
    const scn_flow *f = fl->f;
    for (int s = 0; s < 2; s++) {
        sim_tcp_side *tc = &fl->tcp[s];
        tc->isn = (uint32_t)rng_next(&fl->rng[s]);
        fl->ip_id[s] = (uint16_t)rng_next(&fl->rng[s]);
        fl->last_arrival[1 - s] = 0;
    }
    fl->port[0] = (uint16_t)(32768 + rng_below(&fl->rng[0], 28000));
    fl->port[1] = f->port;
    int established = f->kind == FLOW_TCP && f->start < 0;
    for (int s = 0; s < 2; s++) {
        sim_tcp_side *tc = &fl->tcp[s], *peer = &fl->tcp[1 - s];
        tc->peer_isn = peer->isn;
        if (established) {
            /* a connection opened long before the trace: somewhere in its stream */
            tc->snd_nxt = tc->isn + 1 + (uint32_t)rng_below(&fl->rng[s], 1u << 30);
            tc->established = 1;
        }
    }
    if (!established) {
        for (int s = 0; s < 2; s++) fl->tcp[s].snd_nxt = fl->tcp[s].isn;
    } else {
        for (int s = 0; s < 2; s++) {
            fl->tcp[s].rcv_nxt = fl->tcp[1 - s].snd_nxt;
            /* count messages from the current position */
            fl->tcp[s].peer_isn = fl->tcp[s].rcv_nxt - 1;
        }
    }
    /* --scale multiplies the traffic too */
    fl->interval = (int64_t)((__int128)f->interval * 1000000 / (int64_t)w->scale_ppm);
    if (fl->interval < 1000) fl->interval = 1000;
    fl->fast_rtx = 4 * fl->interval + 2 * w->scn->lat[fl->m[0]][fl->m[1]].mean;
    int64_t first = w->t0 + 50 * US + (int64_t)rng_below(&fl->rng[0], (uint64_t)fl->interval);
    if (f->kind == FLOW_TCP && f->start >= 0) {
        post(w, fl, 0, FA_OPEN, w->t0 + f->start, 0);
    } else {
        post(w, fl, 0, FA_REQUEST, first, 0);
    }
    if (f->kind == FLOW_TCP && f->stop >= 0) post(w, fl, 0, FA_CLOSE, w->t0 + f->stop, 0);
}

/* ---- packets ------------------------------------------------------------------------ */

static uint32_t new_pkt(sim_world *w, sim_flow *fl, int side)
{
    uint32_t i = pkt_alloc(w);
    if (i == UINT32_MAX) return i;
    sim_pkt *p = &w->pkts[i];
    memset(p, 0, sizeof *p);
    const scn_flow *f = fl->f;
    p->flow = fl->idx;
    p->dir = (uint8_t)side;
    p->nh = f->kind == FLOW_NOISE ? 0 : f->ipv6 ? 2 : 1;
    p->th = f->kind == FLOW_TCP ? 1 : f->kind == FLOW_UDP ? 2 : f->kind == FLOW_PING ? 3 : 0;
    if (p->nh == 2 && p->th == 3) p->th = 0; /* ICMPv6 has no transport header type */
    p->sport = fl->port[side];
    p->dport = fl->port[1 - side];
    p->ip_id = fl->ip_id[side]++;
    p->window = 502;
    p->skbaddr = 0xffff888100000000ULL | ((rng_next(&fl->rng[side]) & 0x3fffffff) << 8);
    return i;
}

static uint32_t tcp_pkt(sim_world *w, sim_flow *fl, int side, uint32_t len, uint16_t flags)
{
    uint32_t i = new_pkt(w, fl, side);
    if (i == UINT32_MAX) return i;
    sim_pkt *p = &w->pkts[i];
    sim_tcp_side *tc = &fl->tcp[side];
    p->seq = tc->snd_nxt;
    p->ack = (flags & TCP_ACK) ? tc->rcv_nxt : 0;
    p->flags = flags;
    p->payload = len;
    p->pure_ack = len == 0 && flags == TCP_ACK;
    tc->snd_nxt += len + ((flags & (TCP_SYN | TCP_FIN)) ? 1 : 0);
    if (flags & TCP_ACK) tc->unacked = 0;
    return i;
}

/* Push a message of `bytes` as segments inside a sendto system call. */
static int64_t push_message(sim_world *w, sim_flow *fl, int side, uint32_t bytes, uopq *q,
                            int64_t tq, const sim_machine *m, int syscall)
{
    int sys = SYS_SENDTO;
    if (m->cat.id[ev_sys_entry(sys)] == SIM_NOID) sys = SYS_WRITE;
    int wrap = syscall && m->cat.id[ev_sys_entry(sys)] != SIM_NOID;
    int64_t tt = tq;
    if (wrap) uopq_push(q, tt, OP_SYS_ENTRY, (uint16_t)sys, 0, 0), tt += 700;
    while (bytes) {
        uint32_t len = bytes > MSS ? MSS : bytes;
        bytes -= len;
        uint32_t pk = tcp_pkt(w, fl, side, len, (uint16_t)(TCP_ACK | (bytes ? 0 : TCP_PSH)));
        if (pk == UINT32_MAX) break;
        uopq_push(q, tt, OP_NET_SEND, 0, pk, 0);
        tt += 350;
    }
    if (wrap) uopq_push(q, tt + 200, OP_SYS_EXIT, (uint16_t)sys, 0, 0), tt += 400;
    return tt;
}

static void push_ack(sim_world *w, sim_flow *fl, int side, uopq *q, int64_t tq)
{
    uint32_t pk = tcp_pkt(w, fl, side, 0, TCP_ACK);
    if (pk != UINT32_MAX) uopq_push(q, tq, OP_NET_SEND, 0, pk, 0);
}

void flow_action(sim_world *w, int flow, int side, int action, uint32_t arg, uopq *q, int64_t tq,
                 sim_out *out, int64_t t)
{
    sim_flow *fl = &w->flows[flow];
    const scn_flow *f = fl->f;
    sim_machine *m = mach(w, fl->m[side]);
    sim_rng *r = &fl->rng[side];
    sim_tcp_side *tc = &fl->tcp[side];
    (void)out;
    switch (action) {
    case FA_REQUEST:
        if (f->kind == FLOW_TCP) {
            if (!tc->established || tc->closed) return;
            if (f->stream) {
                uint32_t pk = tcp_pkt(w, fl, side, MSS,
                                      (uint16_t)(TCP_ACK | ((rng_next(r) & 7) ? 0 : TCP_PSH)));
                if (pk != UINT32_MAX) uopq_push(q, tq, OP_NET_SEND, 0, pk, 0);
            } else {
                push_message(w, fl, side, f->req, q, tq, m, 1);
            }
            post(w, fl, side, FA_REQUEST, t + 1000 + rng_exp(r, fl->interval), 0);
        } else if (f->kind == FLOW_UDP) {
            uint32_t pk = new_pkt(w, fl, side);
            if (pk != UINT32_MAX) {
                w->pkts[pk].payload = f->req;
                if (m->cat.id[ev_sys_entry(SYS_SENDTO)] != SIM_NOID) {
                    uopq_push(q, tq, OP_SYS_ENTRY, SYS_SENDTO, 0, 0);
                    uopq_push(q, tq + 900, OP_NET_SEND, 0, pk, 0);
                    uopq_push(q, tq + 1500, OP_SYS_EXIT, SYS_SENDTO, 0, 0);
                } else {
                    uopq_push(q, tq, OP_NET_SEND, 0, pk, 0);
                }
            }
            post(w, fl, side, FA_REQUEST, t + 1000 + rng_exp(r, fl->interval), 0);
        } else if (f->kind == FLOW_PING) {
            uint32_t pk = new_pkt(w, fl, side);
            if (pk != UINT32_MAX) {
                sim_pkt *p = &w->pkts[pk];
                p->icmp_type = 8;
                p->payload = 56;
                p->icmp_rest = ((uint32_t)(fl->idx + 1) << 16) | (++fl->ping_seq & 0xffff);
                uopq_push(q, tq, OP_NET_SEND, 0, pk, 0);
            }
            post(w, fl, side, FA_REQUEST,
                 t + fl->interval - 50 * US + (int64_t)rng_below(r, 100 * US), 0);
        } else {
            uint32_t pk = new_pkt(w, fl, side);
            if (pk != UINT32_MAX) {
                w->pkts[pk].payload = 28; /* ARP */
                uopq_push(q, tq, OP_NET_SEND, 0, pk, 0);
            }
            post(w, fl, side, FA_REQUEST, t + 1000 + rng_exp(r, fl->interval), 0);
        }
        break;
    case FA_RESPOND:
        if (f->kind == FLOW_TCP) {
            int64_t tt = tq;
            for (uint32_t i = 0; i < (arg ? arg : 1); i++)
                tt = push_message(w, fl, side, f->resp, q, tt, m, 1) + 500;
        } else if (f->kind == FLOW_UDP) {
            uint32_t pk = new_pkt(w, fl, side);
            if (pk != UINT32_MAX) {
                w->pkts[pk].payload = f->req;
                uopq_push(q, tq, OP_NET_SEND, 0, pk, 0);
            }
        }
        break;
    case FA_RETX:
        uopq_push(q, tq, OP_NET_SEND, 0, arg, 0);
        break;
    case FA_OPEN: {
        uint32_t pk = tcp_pkt(w, fl, side, 0, TCP_SYN);
        if (pk != UINT32_MAX) {
            w->pkts[pk].ack = 0;
            uopq_push(q, tq, OP_NET_SEND, 0, pk, 0);
        }
        break;
    }
    case FA_CLOSE:
        if (!tc->established || tc->closed) return;
        tc->closed = 1;
        {
            uint32_t pk = tcp_pkt(w, fl, side, 0, TCP_FIN | TCP_ACK);
            if (pk != UINT32_MAX) uopq_push(q, tq, OP_NET_SEND, 0, pk, 0);
        }
        break;
    default:
        break;
    }
}

/* ---- the events ------------------------------------------------------------------------- */

static uint16_t ip_checksum(const uint8_t *h, int n)
{
    uint32_t s = 0;
    for (int i = 0; i < n; i += 2) s += (uint32_t)(h[i] << 8 | h[i + 1]);
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static uint32_t transport_len(const sim_pkt *p)
{
    return p->th == 1 ? 20 : (p->th == 2 || p->th == 3) ? 8 : 0;
}

static void ev_net(sim_out *o, int ev, int64_t t, const sim_pkt *p, const sim_machine *src,
                   const sim_machine *dst, const char *dev, int with_headers, int at_send)
{
    uint8_t *q = out_begin(o, ev, t, 160);
    if (!q) return;
    uint32_t l4 = (p->th ? transport_len(p) : (p->nh ? 8 : 0)) + p->payload;
    uint32_t l3 = p->nh == 1 ? 20 + l4 : p->nh == 2 ? 40 + l4 : 28;
    q = put_le64(q, p->skbaddr);
    q = put_le32(q, at_send ? l3 + 14 : l3);
    q = put_str(q, dev, 15);
    int nh = with_headers ? p->nh : 0;
    q = put_u8(q, (uint8_t)nh);
    if (!nh) goto done;
    uint8_t proto = p->th == 1 ? 6 : p->th == 2 ? 17 : p->th == 3 ? 1 : 58;
    if (nh == 1) {
        uint8_t *h = q;
        q = put_u8(q, 0x45);
        q = put_u8(q, 0);
        q = put_be16(q, (uint16_t)l3);
        q = put_be16(q, p->ip_id);
        q = put_be16(q, 0x4000);
        q = put_u8(q, 64);
        q = put_u8(q, proto);
        q = put_be16(q, 0);
        q = put_be32(q, src->ip4);
        q = put_be32(q, dst->ip4);
        put_be16(h + 10, ip_checksum(h, 20));
    } else {
        uint32_t fl = (uint32_t)(p->skbaddr >> 8) & 0xfffff;
        q = put_u8(q, 0x60);
        q = put_u8(q, (uint8_t)((fl >> 16) & 0x0f));
        q = put_u8(q, (uint8_t)(fl >> 8));
        q = put_u8(q, (uint8_t)fl);
        q = put_be16(q, (uint16_t)l4);
        q = put_u8(q, proto);
        q = put_u8(q, 64);
        for (int i = 0; i < 8; i++) q = put_be16(q, src->ip6[i]);
        for (int i = 0; i < 8; i++) q = put_be16(q, dst->ip6[i]);
    }
    q = put_u8(q, p->th);
    if (p->th == 1) {
        q = put_be16(q, p->sport);
        q = put_be16(q, p->dport);
        q = put_be32(q, p->seq);
        q = put_be32(q, p->ack);
        q = put_be16(q, (uint16_t)((5u << 12) | (p->flags & 0x1ff)));
        q = put_be16(q, p->window);
        q = put_be16(q, (uint16_t)(p->seq * 2654435761u >> 16) ^ (uint16_t)p->ack);
        q = put_be16(q, 0);
    } else if (p->th == 2) {
        q = put_be16(q, p->sport);
        q = put_be16(q, p->dport);
        q = put_be16(q, (uint16_t)(8 + p->payload));
        q = put_be16(q, (uint16_t)(p->skbaddr >> 12));
    } else if (p->th == 3) {
        q = put_u8(q, p->icmp_type);
        q = put_u8(q, 0);
        q = put_be16(q, (uint16_t)(0xf7ff - p->icmp_type * 0x800 - (p->icmp_rest & 0xffff)));
        q = put_be32(q, p->icmp_rest);
    }
done:
    out_end(o, q);
}

static int64_t sample_latency(sim_world *w, const scn_latency *l, sim_rng *r, int64_t t)
{
    int64_t d;
    if (l->tail_ppm && rng_below(r, 1000000) < l->tail_ppm) {
        d = l->min +
            rng_pareto(r, l->tail_scale ? l->tail_scale : l->mean, 150, l->tail_max - l->min);
    } else {
        d = l->min + rng_exp(r, l->mean - l->min);
    }
    return world_stress_latency(w, t, d);
}

void net_send(sim_world *w, sim_cpu *cpu, sim_out *out, uint32_t pi, int64_t t)
{
    sim_pkt *p = &w->pkts[pi];
    sim_flow *fl = &w->flows[p->flow];
    int side = p->dir, rside = 1 - side;
    sim_machine *src = mach(w, fl->m[side]), *dst = mach(w, fl->m[rside]);
    ev_net(out, EV_NET_DEV_QUEUE, t, p, src, dst, fl->dev_tx[side], 1, 1);
    p->send_true = t;
    p->send_raw = out->last_raw;
    w->packets_sent++;
    sim_rng *r = &fl->rng[side];
    const scn_latency *l = &w->scn->lat[fl->m[side]][fl->m[rside]];
    if (l->loss_ppm && rng_below(r, 1000000) < l->loss_ppm) {
        w->packets_lost++;
        /* TCP resends lost segments (not pure ACKs): same header, same key */
        if (p->th == 1 && !p->pure_ack && p->retx < 6) {
            uint32_t c = pkt_alloc(w);
            if (c != UINT32_MAX) {
                p = &w->pkts[pi]; /* the pool may have moved */
                w->pkts[c] = *p;
                w->pkts[c].retx++;
                int64_t d = fl->f->stream ? fl->fast_rtx : (RTO << p->retx);
                post(w, fl, side, FA_RETX, t + d + (int64_t)rng_below(r, 2 * MS), c);
            }
        }
        pkt_free(w, pi);
        return;
    }
    if (fl->f->noheader_ppm && rng_below(r, 1000000) < fl->f->noheader_ppm) p->noheader = 1;
    int64_t arr = t + sample_latency(w, l, r, t);
    if (arr < fl->last_arrival[side] + 200) arr = fl->last_arrival[side] + 200;
    fl->last_arrival[side] = arr;
    (void)cpu;
    if (arr >= w->t_end) {
        pkt_free(w, pi);
        return;
    }
    world_post(w, side_cpu(w, fl, rside), arr, AI_ARRIVAL, 0, pi, 0);
}

static int seq_lt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

/* In-order data arrived: advance rcv_nxt over buffered out-of-order ranges. */
static void tcp_advance(sim_tcp_side *tc)
{
    int moved = 1;
    while (moved) {
        moved = 0;
        for (int i = 0; i < tc->nooo; i++) {
            if (!seq_lt(tc->rcv_nxt, tc->ooo_s[i]) && seq_lt(tc->rcv_nxt, tc->ooo_e[i])) {
                tc->rcv_nxt = tc->ooo_e[i];
                moved = 1;
            }
            if (!seq_lt(tc->rcv_nxt, tc->ooo_e[i])) {
                tc->ooo_s[i] = tc->ooo_s[tc->nooo - 1];
                tc->ooo_e[i] = tc->ooo_e[tc->nooo - 1];
                tc->nooo--;
                i--;
            }
        }
    }
}

static void tcp_recv(sim_world *w, sim_flow *fl, int rs, const sim_pkt *p, uopq *q, int64_t tq,
                     int64_t t)
{
    const scn_flow *f = fl->f;
    sim_tcp_side *tc = &fl->tcp[rs];
    sim_rng *r = &fl->rng[rs];
    int64_t react = tq + 2 * US + (int64_t)rng_below(r, 4 * US);
    if ((p->flags & TCP_SYN) && !(p->flags & TCP_ACK)) {
        tc->peer_isn = p->seq;
        tc->rcv_nxt = p->seq + 1;
        tc->snd_nxt = tc->isn;
        uint32_t pk = tcp_pkt(w, fl, rs, 0, TCP_SYN | TCP_ACK);
        if (pk != UINT32_MAX) uopq_push(q, react, OP_NET_SEND, 0, pk, 0);
        return;
    }
    if ((p->flags & TCP_SYN) && (p->flags & TCP_ACK)) {
        tc->peer_isn = p->seq;
        tc->rcv_nxt = p->seq + 1;
        tc->established = 1;
        push_ack(w, fl, rs, q, react);
        post(w, fl, rs, FA_REQUEST, t + 20 * US + rng_exp(r, fl->interval), 0);
        return;
    }
    if (!tc->established && (p->flags & TCP_ACK) && !p->payload && !(p->flags & TCP_FIN)) {
        tc->established = 1; /* end of the handshake (server) */
        return;
    }
    if (p->payload) {
        if (p->seq == tc->rcv_nxt) {
            tc->rcv_nxt += p->payload;
            tcp_advance(tc);
            tc->unacked++;
        } else if (seq_lt(tc->rcv_nxt, p->seq)) {
            /* a hole: keep the segment, repeat the same pure ACK */
            if (tc->nooo < 8) {
                tc->ooo_s[tc->nooo] = p->seq;
                tc->ooo_e[tc->nooo] = p->seq + p->payload;
                tc->nooo++;
            }
            push_ack(w, fl, rs, q, react);
            return;
        } else {
            push_ack(w, fl, rs, q, react); /* duplicate data */
            return;
        }
        if (f->stream) {
            if (tc->unacked >= 2 || (p->flags & TCP_PSH)) push_ack(w, fl, rs, q, react);
            return;
        }
        uint32_t msg = rs == 1 ? f->req : f->resp;
        uint32_t done = (tc->rcv_nxt - (tc->peer_isn + 1)) / msg;
        if (done != tc->done) {
            uint32_t n = done - tc->done;
            tc->done = done;
            if (rs == 1) {
                /* the server answers after its think time (the answer acks) */
                post(w, fl, rs, FA_RESPOND, t + 2 * US + rng_exp(r, f->service), n);
                if (f->service > 40 * MS) push_ack(w, fl, rs, q, react);
            } else {
                push_ack(w, fl, rs, q, react);
            }
        } else if (tc->unacked >= 2) {
            push_ack(w, fl, rs, q, react);
        }
        return;
    }
    if (p->flags & TCP_FIN) {
        tc->rcv_nxt = p->seq + 1;
        if (!tc->closed) {
            tc->closed = 1;
            uint32_t pk = tcp_pkt(w, fl, rs, 0, TCP_FIN | TCP_ACK);
            if (pk != UINT32_MAX) uopq_push(q, react, OP_NET_SEND, 0, pk, 0);
        } else {
            push_ack(w, fl, rs, q, react);
        }
    }
}

void net_recv(sim_world *w, sim_cpu *cpu, sim_out *out, uopq *q, uint32_t pi, int64_t t, int64_t tq)
{
    (void)cpu;
    sim_pkt *p = &w->pkts[pi];
    sim_flow *fl = &w->flows[p->flow];
    int side = p->dir, rs = 1 - side;
    sim_machine *src = mach(w, fl->m[side]), *dst = mach(w, fl->m[rs]);
    ev_net(out, EV_NET_IF_RECEIVE_SKB, t, p, src, dst, fl->dev_rx[rs], !p->noheader, 0);
    w->packets_received++;
    sim_pkt pk = *p; /* the handlers below may grow the pool */
    pkt_free(w, pi);
    if (pk.th == 1 && pk.nh && !pk.noheader)
        truth_tcp(w, src->index, pk.send_raw, dst->index, out->last_raw, t - pk.send_true, pk.seq,
                  pk.ack, pk.flags);
    const scn_flow *f = fl->f;
    sim_rng *r = &fl->rng[rs];
    switch (f->kind) {
    case FLOW_TCP:
        tcp_recv(w, fl, rs, &pk, q, tq, t);
        break;
    case FLOW_UDP:
        if (f->reply && rs == 1)
            post(w, fl, rs, FA_RESPOND, t + 5 * US + rng_exp(r, f->service), 0);
        break;
    case FLOW_PING:
        if (pk.icmp_type == 8 || (pk.nh == 2 && rs == 1)) {
            /* echo reply from the softirq */
            uint32_t rp = new_pkt(w, fl, rs);
            if (rp != UINT32_MAX) {
                w->pkts[rp].icmp_type = 0;
                w->pkts[rp].payload = pk.payload;
                w->pkts[rp].icmp_rest = pk.icmp_rest;
                uopq_push(q, tq + 3 * US + (int64_t)rng_below(r, 4 * US), OP_NET_SEND, 0, rp, 0);
            }
        }
        break;
    default:
        break;
    }
}
