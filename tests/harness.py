"""Shared helpers for the Python tests (imported as `harness`)."""
import json
import os
import subprocess

ROOT = os.environ.get("TS_ROOT") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("TS_BUILD") or os.path.join(ROOT, "build")
BIN = os.path.join(BUILD, "tracesync")
TRACES = os.path.join(ROOT, "tests", "data", "traces")  # bundled copies of ../shared/traces
SHARED = os.environ.get("TS_SHARED") or os.path.join(os.path.dirname(ROOT), "shared")


def run(args, check=True, **kw):
    """Run the tracesync CLI; returns the CompletedProcess (text mode)."""
    p = subprocess.run([BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, **kw)
    if check and p.returncode != 0:
        raise AssertionError("tracesync %s failed (%d):\n%s" % (" ".join(args), p.returncode,
                                                                 p.stderr[-3000:]))
    return p


def run_json_lines(args):
    p = run(args)
    return [json.loads(l) for l in p.stdout.splitlines() if l.strip()]


def trace_dirs(root):
    """Every trace directory (holding a metadata file with stream files) under root."""
    out = []
    for d, _dirs, files in os.walk(root):
        if "metadata" in files:
            out.append(d)
    return sorted(out)
