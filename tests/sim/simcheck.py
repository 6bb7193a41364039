"""Independent checks of `tracesync simulate` output, from babeltrace2's decoding.

Nothing here uses tracesync's own reader: traces are decoded with the bt2
Python bindings, and truth.json's counts are recomputed from the decoded
events with the definition truth.json documents (see truth.json
"definitions").
"""
import bisect
import json
import os

import bt2


def _source(path):
    return bt2.ComponentSpec.from_named_plugin_and_component_class("ctf", "fs", {"inputs": [path]})


def events(path):
    """Yield (ns_from_origin, cpu_id, event) for every event of a trace, in time order."""
    it = bt2.TraceCollectionMessageIterator(_source(path))
    for msg in it:
        if type(msg) is bt2._EventMessageConst:
            ev = msg.event
            yield msg.default_clock_snapshot.ns_from_origin, int(ev.packet.context_field["cpu_id"]), ev


def stream_files(path):
    return sorted(f for f in os.listdir(path) if f.startswith("channel0_"))


def load_truth(out):
    with open(os.path.join(out, "truth.json")) as f:
        return json.load(f)


def vcpu_threads(host_trace, qemu_pids):
    """{tid: (qemu_pid, vcpu)} from the host's lttng_statedump_process_state events."""
    out = {}
    for _ts, _cpu, ev in events(host_trace):
        if ev.name != "lttng_statedump_process_state":
            continue
        pid = int(ev.payload_field["pid"])
        name = str(ev.payload_field["name"])
        if pid in qemu_pids and name.startswith("CPU ") and name.endswith("/KVM"):
            out[int(ev.payload_field["tid"])] = (pid, int(name[4:-4]))
    return out


def host_state_events(host_events, threads):
    """Per vCPU thread tid: ordered list of (ns, kind), kind in 'exit',
    'entry', 'out', 'in', from the host's (ns, cpu, event) sequence.  kvm events
    are attributed to the thread that the last sched_switch on their CPU
    switched in."""
    current = {}
    per = {tid: [] for tid in threads}
    for ts, cpu, ev in host_events:
        name = ev.name
        if name == "sched_switch":
            prev = int(ev.payload_field["prev_tid"])
            nxt = int(ev.payload_field["next_tid"])
            if prev in per:
                per[prev].append((ts, "out"))
            if nxt in per:
                per[nxt].append((ts, "in"))
            current[cpu] = nxt
        elif name in ("kvm_x86_exit", "kvm_x86_entry"):
            tid = current.get(cpu)
            if tid in per:
                per[tid].append((ts, "exit" if name == "kvm_x86_exit" else "entry"))
    return per


class Periods:
    """Open out-periods of one vCPU and its first/last host state event."""

    INF = float("inf")

    def __init__(self, evs):
        self.first = evs[0][0] if evs else None
        self.last = evs[-1][0] if evs else None
        self.periods = []
        vmm = pre = None
        for ts, kind in evs:
            if kind == "exit" and vmm is None:
                vmm = ts
            elif kind == "entry" and vmm is not None:
                self.periods.append((vmm, ts))
                vmm = None
            elif kind == "out" and pre is None:
                pre = ts
            elif kind == "in" and pre is not None:
                self.periods.append((pre, ts))
                pre = None
        for s in (vmm, pre):
            if s is not None:
                self.periods.append((s, self.INF))
        self.periods.sort()
        self.starts = [p[0] for p in self.periods]
        # prefix maximum of the ends, to find any period (s, e) with s < g < e
        self.maxend = []
        m = -1
        for _s, e in self.periods:
            m = max(m, e)
            self.maxend.append(m)

    def margins(self, g):
        """(time since the last period end, time to the next period start) at g."""
        i = bisect.bisect_left(self.starts, g)
        before = min((g - e for s, e in self.periods[:i] if e <= g), default=None)
        after = self.starts[i] - g if i < len(self.starts) else None
        return before, after

    def place(self, g):
        """'unchecked', 'outside' or 'inside' for a guest raw time g."""
        if self.first is None or g < self.first or g > self.last:
            return "unchecked"
        i = bisect.bisect_left(self.starts, g)  # periods with s < g are [0, i)
        if i and self.maxend[i - 1] > g:
            return "outside"
        return "inside"


def true_of(knots, c):
    """Smallest true time (ns) at which a clock given by its knots reaches c."""
    if c < knots[0][1]:
        return knots[0][0] - (knots[0][1] - c)
    lo, hi = 0, len(knots) - 1
    while lo < hi:  # last knot with value <= c
        mid = (lo + hi + 1) // 2
        if knots[mid][1] <= c:
            lo = mid
        else:
            hi = mid - 1
    t0, c0 = knots[lo]
    if lo + 1 >= len(knots):
        return t0 + (c - c0)
    t1, c1 = knots[lo + 1]
    return t0 + -(-(c - c0) * (t1 - t0) // (c1 - c0))


def recount(out, true_time=False, margins=None):
    """Recompute every guest's events_total, events_outside_running_raw and
    events_unchecked_raw (also per vCPU) from the traces under out.  With
    true_time, every timestamp is first mapped back to true time through its
    machine's clock knots (truth.json): the placement with perfect clocks."""
    truth = load_truth(out)
    knots = {m["name"]: m["clock"]["knots"] for m in truth["machines"]}

    def stamps(name):
        for ts, cpu, ev in events(os.path.join(out, name, "kernel")):
            yield (true_of(knots[name], ts) if true_time else ts), cpu, ev

    hosts = {}
    for g in truth["guests"]:
        hosts.setdefault(g["host"], {})[g["qemu_pid"]] = g["name"]
    result = {}
    for host, pids in hosts.items():
        threads = vcpu_threads(os.path.join(out, host, "kernel"), set(pids))
        per = host_state_events(stamps(host), threads)
        placers = {}
        for tid, (pid, vcpu) in threads.items():
            placers[(pids[pid], vcpu)] = Periods(per[tid])
        for pid, guest in pids.items():
            counts = {}
            for ts, cpu, _ev in stamps(guest):
                c = counts.setdefault(cpu, {"total": 0, "outside": 0, "unchecked": 0})
                c["total"] += 1
                p = placers.get((guest, cpu))
                verdict = p.place(ts) if p else "unchecked"
                if verdict != "inside":
                    c[verdict] += 1
                elif margins is not None:
                    b, a = p.margins(ts)
                    mb, ma = margins.get(guest, (None, None))
                    if b is not None and (mb is None or b < mb):
                        mb = b
                    if a is not None and (ma is None or a < ma):
                        ma = a
                    margins[guest] = (mb, ma)
            result[guest] = counts
    return truth, result
