"""A small CTF trace writer for the lttng-modules 2.10 network events (tests only).

lttng-modules 2.9 and 2.10 record the TCP header of net_dev_queue / net_if_receive_skb
with the transport variant selected by the IP header's `protocol` (`nexthdr` for IPv6);
2.11+ select it with a separate `transport_header_type`.  No public trace of those
versions with TCP headers is at hand, so this module writes one: the metadata is the
real one of tests/data/traces/tc-uneven-streams-partial (lttng-modules 2.10), read back
with `babeltrace2 --output-format=ctf-metadata`, reduced to its declarations and its two
network events; the stream holds one packet of events encoded by hand (extended event
headers, 64-bit timestamps).  Tests check the result with babeltrace2 before use.
"""
import os
import re
import struct
import subprocess

import harness

SOURCE = os.path.join(harness.TRACES, "tc-uneven-streams-partial")
EVENT_IDS = {"net_dev_queue": 0, "net_if_receive_skb": 1}


def _real_metadata():
    p = subprocess.run(["babeltrace2", "--output-format=ctf-metadata", SOURCE],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=True)
    return p.stdout


def _event_block(meta, name):
    m = re.search(r'event \{\n\tname = "%s";.*?\n\};\n' % name, meta, re.S)
    if not m:
        raise AssertionError("no event %s in %s's metadata" % (name, SOURCE))
    return m.group(0)


def metadata(hostname, clock_uuid, trace_uuid, offset_ns):
    meta = _real_metadata()
    head = meta[:meta.index("\nevent {")] + "\n"
    head = re.sub(r'hostname = "[^"]*"', 'hostname = "%s"' % hostname, head)
    head = re.sub(r'(clock \{.*?uuid = ")[^"]*"', r'\g<1>%s"' % clock_uuid, head, flags=re.S)
    head = re.sub(r'(trace \{.*?uuid = ")[^"]*"', r'\g<1>%s"' % trace_uuid, head, flags=re.S)
    head = re.sub(r"offset = \d+;", "offset = %d;" % offset_ns, head)
    out = "/* CTF 1.8 */\n" + head
    for name, eid in EVENT_IDS.items():
        out += "\n" + re.sub(r"\tid = \d+;", "\tid = %d;" % eid, _event_block(meta, name))
    return out


def tcp_header(seq, ack, flags, sport=22, dport=40000, doff=5):
    return (struct.pack(">HHII", sport, dport, seq, ack)
            + struct.pack(">H", (doff << 12) | (0 << 9) | (flags & 0x1ff))
            + struct.pack(">HHH", 501, 0xbeef, 0))


def net_payload(ip=4, proto=6, tcp=None, ifname="eth0", skb=0xffff880012345678, length=66):
    """Payload of net_dev_queue / net_if_receive_skb in the 2.10 layout.
    ip: 4, 6 or None (network_header_type unknown); tcp: (seq, ack, flags) or None."""
    b = struct.pack("<QI", skb, length) + ifname.encode() + b"\0"
    if ip is None:
        return b + bytes([0])
    th = tcp_header(*tcp) if (proto == 6 and tcp) else b""
    if ip == 4:
        b += bytes([1])
        b += bytes([(4 << 4) | 5, 0]) + struct.pack(">HHHB", 52, 0x1234, 0x4000, 64)
        b += bytes([proto]) + struct.pack(">H", 0xabcd) + bytes([10, 0, 0, 1, 10, 0, 0, 2])
    else:
        b += bytes([2])
        b += bytes([(6 << 4) | 0]) + bytes([0, 0, 0]) + struct.pack(">H", 32)
        b += bytes([proto, 64]) + struct.pack(">8H", 0xfe80, 0, 0, 0, 0, 0, 0, 1)
        b += struct.pack(">8H", 0xfe80, 0, 0, 0, 0, 0, 0, 2)
    return b + th


def stream(trace_uuid, events, cpu=0):
    """One packet holding events [(timestamp cycles, event name, payload bytes)]."""
    body = b""
    for ts, name, payload in events:
        # event_header_compact, extended: id enum = 31 (5 bits, then padding to the
        # byte), uint32 id, uint64 timestamp
        body += bytes([31]) + struct.pack("<IQ", EVENT_IDS[name], ts) + payload
    header = struct.pack("<I", 0xC1FC1FC1) + bytes.fromhex(trace_uuid.replace("-", ""))
    header += struct.pack("<IQ", 0, cpu)
    size_bits = (len(header) + 52 + len(body)) * 8
    ctx = struct.pack("<QQQQQQI", events[0][0], events[-1][0], size_bits, size_bits, 0, 0, cpu)
    return header + ctx + body


def write_trace(path, hostname, clock_uuid, trace_uuid, offset_ns, events):
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "metadata"), "w") as f:
        f.write(metadata(hostname, clock_uuid, trace_uuid, offset_ns))
    with open(os.path.join(path, "channel0_0"), "wb") as f:
        f.write(stream(trace_uuid, sorted(events, key=lambda e: e[0])))
