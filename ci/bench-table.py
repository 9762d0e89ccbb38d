#!/usr/bin/env python3
"""Prints criterion results (target/criterion) as Markdown tables, one per benchmark group.

Usage: python3 ci/bench-table.py [GROUP_REGEX]

Each row: the benchmark, its median time, its throughput, and its ratio to the group's
baseline (the `memcpy` or `*ping_pong*` row, whichever the group has): for throughput groups
the ratio of bandwidths (higher is better), for latency groups the ratio of times (lower is
better).
"""
import json
import pathlib
import re
import sys

root = pathlib.Path("target/criterion")
pattern = re.compile(sys.argv[1] if len(sys.argv) > 1 else ".")


def fmt_time(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def fmt_rate(per_s, unit):
    if unit == "B":
        return f"{per_s / 2**30:.3g} GiB/s"
    for suffix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if per_s >= scale:
            return f"{per_s / scale:.3g} {suffix}elem/s"
    return f"{per_s:.3g} elem/s"


groups = {}
for bench in sorted(root.glob("**/new/benchmark.json")):
    meta = json.loads(bench.read_text())
    if not pattern.search(meta["full_id"]):
        continue
    est = json.loads((bench.parent / "estimates.json").read_text())
    median = est["median"]["point_estimate"]
    name = meta["function_id"] + (f"/{meta['value_str']}" if meta["value_str"] else "")
    groups.setdefault(meta["group_id"], []).append((name, median, meta.get("throughput")))

for group, rows in groups.items():
    base = next((r for r in rows if r[0] == "memcpy" or "ping_pong" in r[0]), None)
    print(f"\n#### `{group}`\n")
    print("| benchmark | median | throughput | vs baseline |")
    print("|---|---|---|---|")
    for name, median, thr in rows:
        rate, ratio = "", ""
        if thr:
            (unit, amount), = thr.items()
            unit = "B" if unit == "Bytes" else "elem"
            per_s = amount * 1e9 / median
            rate = fmt_rate(per_s, unit)
            if base and base[2]:
                base_rate = list(base[2].values())[0] * 1e9 / base[1]
                ratio = f"{per_s / base_rate:.2f}x bandwidth"
        elif base:
            ratio = f"{median / base[1]:.2f}x time"
        print(f"| {name} | {fmt_time(median)} | {rate} | {ratio} |")
