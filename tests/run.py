#!/usr/bin/python3
"""Run the whole tracesync test suite and end with 'N passed, N failed'.

1. build/unit_tests: the C unit tests (tests/<module>/test_*.c).
2. Every tests/<module>/test_*.py (unittest): differential tests against
   babeltrace2, CLI tests, scenario tests.  They find the binary through the
   TS_BUILD environment variable (set here from --build).

Run from anywhere: `/usr/bin/python3 tests/run.py [--build build] [FILTER]`.
"""
import argparse
import os
import re
import subprocess
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_unit(build, flt):
    exe = os.path.join(ROOT, build, "unit_tests")
    cmd = [exe] + ([flt] if flt else [])
    print("== C unit tests:", " ".join(cmd), flush=True)
    p = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = p.stdout
    passed = failed = 0
    for line in out.splitlines():
        m = re.fullmatch(r"(\d+) passed, (\d+) failed", line.strip())
        if m:
            passed, failed = int(m.group(1)), int(m.group(2))
        elif line.startswith("not ok") or line.startswith("    "):
            print(line)
    if p.returncode != 0 and failed == 0:
        print(out[-4000:])
        print("unit_tests exited with status %d" % p.returncode)
        failed += 1
    print("C unit tests: %d passed, %d failed" % (passed, failed), flush=True)
    return passed, failed


def run_python(flt):
    loader = unittest.TestLoader()
    if flt:
        loader.testNamePatterns = ["*%s*" % flt]
    suite = unittest.TestSuite()
    for d in sorted(os.listdir(os.path.join(ROOT, "tests"))):
        full = os.path.join(ROOT, "tests", d)
        if not os.path.isdir(full) or d in ("data", "__pycache__"):
            continue
        for f in sorted(os.listdir(full)):
            if f.startswith("test_") and f.endswith(".py"):
                sys.path.insert(0, full)
                mod = f[:-3]
                suite.addTests(loader.loadTestsFromName(mod))
                sys.path.pop(0)
    print("== Python tests: %d" % suite.countTestCases(), flush=True)
    res = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    failed = len(res.failures) + len(res.errors) + len(res.unexpectedSuccesses)
    skipped = len(res.skipped)
    passed = res.testsRun - failed - skipped
    return passed, failed, skipped


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("filter", nargs="?")
    a = ap.parse_args()
    os.environ["TS_BUILD"] = os.path.join(ROOT, a.build)
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    os.environ.setdefault("TS_ROOT", ROOT)
    up, uf = run_unit(a.build, a.filter)
    pp, pf, ps = run_python(a.filter)
    passed, failed = up + pp, uf + pf
    if ps:
        # A skipped test is a failure of the suite's promise: report it loudly.
        print("%d test(s) skipped: treated as failures" % ps)
        failed += ps
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
