#!/usr/bin/env python3
"""Run otp_bench workloads several times, interleaved, and summarise.

    bench/matrix.py BUILD/bench/otp_bench [--runs 5] [--threads 1,2]
                    [--workloads ping_pong,ring] [--raw out.jsonl]

Each round runs every (workload, threads) pair once, so drift on a shared
machine spreads over all cells instead of biasing one. Prints, per cell, the
median [min-max] of the headline figure. A failed run is reported and
counted, never silently dropped.
"""
import argparse
import json
import statistics
import subprocess
import sys

# The headline figure of each workload in docs/benchmarks.md: (JSON field,
# unit, scale).
HEADLINE = {
    "spawn_exit": ("ns_per_op", "ns/process", 1),
    "live_procs_memory": ("rss_bytes_per_proc", "bytes/process", 1),
    "ping_pong": ("ns_per_op", "ns/round trip", 1),
    "ring": ("ns_per_op", "ns/hop", 1),
    "fan_in": ("wall_s", "ms for all", 1000),
    "skynet": ("wall_s", "ms", 1000),
}
ALSO = {"spawn_exit": "peak_rss_bytes", "skynet": "peak_rss_bytes",
        "fan_in": "msgs_per_s"}


def fmt(v):
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("exe")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--workloads", default=",".join(HEADLINE))
    ap.add_argument("--raw", help="append every JSON line to this file")
    a = ap.parse_args()
    threads = [int(t) for t in a.threads.split(",")]
    names = a.workloads.split(",")
    results = {(w, t): [] for w in names for t in threads}
    failures = 0
    raw = open(a.raw, "a") if a.raw else None
    for r in range(a.runs):
        for w in names:
            for t in threads:
                p = subprocess.run([a.exe, w, "--threads", str(t)],
                                   capture_output=True, text=True,
                                   timeout=900)
                if p.returncode != 0:
                    failures += 1
                    print(f"run {r} {w} S{t}: exit {p.returncode}: "
                          f"{p.stderr.strip()}", file=sys.stderr)
                    continue
                j = json.loads(p.stdout.strip().splitlines()[-1])
                results[(w, t)].append(j)
                if raw:
                    raw.write(json.dumps(j) + "\n")
                    raw.flush()
                print(f"run {r} {w} S{t}: {p.stdout.strip()}",
                      file=sys.stderr)
    for w in names:
        field, unit, scale = HEADLINE.get(w, ("ns_per_op", "ns/op", 1))
        for t in threads:
            js = results[(w, t)]
            if not js:
                print(f"{w} S{t}: no successful run")
                continue
            v = [j[field] * scale for j in js]
            line = (f"{w} S{t}: {fmt(statistics.median(v))} "
                    f"[{fmt(min(v))}-{fmt(max(v))}] {unit} (n={len(v)})")
            if field in ("ns_per_op", "wall_s") and "cpu_s" in js[0]:
                # The same figure computed from CPU time instead of wall
                # time: what a run that never waited for a core would show
                # (S1 only; with S2 idle spinning adds CPU time).
                c = [j[field] * scale * j["cpu_s"] / j["wall_s"]
                     for j in js if j["wall_s"] > 0]
                line += f"; cpu-time based {fmt(statistics.median(c))}"
            if w in ALSO:
                extra = [j[ALSO[w]] for j in js]
                line += f"; {ALSO[w]} median {fmt(statistics.median(extra))}"
            print(line)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
