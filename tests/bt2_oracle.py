"""babeltrace2 as the reference CTF reader (imported as `bt2_oracle`).

Reads a trace with a src.ctf.fs component connected straight to one sink per
stream (no muxer: the muxer aborts on the 2.1 scp traces whose packets
overlap), and returns every event as a dict shaped like `tracesync dump
--format jsonl`: {"ts", "name", "cpu", "fields", "context"?}.
"""
import bt2


def to_py(f):
    """Convert a bt2 field to the JSON value tracesync dump writes."""
    if isinstance(f, bt2._StructureFieldConst):
        return {k: to_py(v) for k, v in f.items()}
    if isinstance(f, bt2._VariantFieldConst):
        idx = f.selected_option_index
        name = f.cls.option_at_index(idx).name
        return {name: to_py(f.selected_option)}
    if isinstance(f, bt2._StringFieldConst):
        return str(f)
    if isinstance(f, bt2._ArrayFieldConst):
        return [to_py(x) for x in f]
    if isinstance(f, bt2._RealFieldConst):
        return float(f)
    if isinstance(f, bt2._IntegerFieldConst):
        return int(f)
    if isinstance(f, bt2._BoolFieldConst):
        return bool(f)
    raise TypeError("unexpected field type %r" % type(f))


class _Collect(bt2._UserSinkComponent):
    def __init__(self, config, params, obj):
        self._port = self._add_input_port("in")
        self._out = obj

    def _user_graph_is_configured(self):
        self._it = self._create_message_iterator(self._port)

    def _user_consume(self):
        msg = next(self._it)
        if type(msg) is bt2._EventMessageConst:
            ev = msg.event
            d = {
                "ts": msg.default_clock_snapshot.ns_from_origin,
                "name": ev.name,
            }
            cpu = None
            try:
                cpu = int(ev.packet.context_field["cpu_id"])
            except (KeyError, TypeError, AttributeError):
                cpu = None
            d["cpu"] = cpu
            d["fields"] = to_py(ev.payload_field) if ev.payload_field is not None else {}
            if ev.common_context_field is not None:
                d["context"] = to_py(ev.common_context_field)
            self._out.append(d)


def read_trace(path):
    """All events of one trace directory, per stream in stream order."""
    graph = bt2.Graph()
    src_cls = bt2.find_plugin("ctf").source_component_classes["fs"]
    src = graph.add_component(src_cls, "src", params={"inputs": [path]})
    events = []
    for i, (name, port) in enumerate(src.output_ports.items()):
        sink = graph.add_component(_Collect, "sink%d" % i, obj=events)
        graph.connect_ports(port, sink.input_ports["in"])
    graph.run()
    return events
