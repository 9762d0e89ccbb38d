#!/usr/bin/env python3
"""Prints criterion results (target/criterion) as Markdown tables, one per benchmark group.

Usage: python3 ci/bench-table.py [GROUP_REGEX]

Ratios, per group kind:
- copy groups: bandwidth against the matching memcpy baseline: `memcpy_twice` for store+load
  rows (both move the value twice), `memcpy_rotating_4` for ring pushes (both write a different
  buffer each time), `memcpy` for the rest; also against plain `memcpy`.
- round_trip: time against `cache_line_ping_pong` and against `two_line_ping_pong` (one line
  per direction, as any two-structure protocol has).
- copy groups with peer rows (`iceoryx2_*`, feature `peers`): also time against rtshm's shm
  SeqLock store+load of the same size.
- reader_scaling: total throughput against N times the same structure's one-reader throughput.
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
            return f"{per_s / scale:.3g} {suffix}/s"
    return f"{per_s:.3g} /s"


def rate(row):
    if not row["thr"]:
        return None
    ((_, amount),) = row["thr"].items()
    return amount * 1e9 / row["median"]


groups = {}
for bench in sorted(root.glob("**/new/benchmark.json")):
    meta = json.loads(bench.read_text())
    if not pattern.search(meta["full_id"]):
        continue
    est = json.loads((bench.parent / "estimates.json").read_text())
    name = meta["function_id"] + (f"/{meta['value_str']}" if meta["value_str"] else "")
    groups.setdefault(meta["group_id"], {})[name] = {
        "median": est["median"]["point_estimate"],
        "thr": meta.get("throughput"),
    }

for group, rows in groups.items():
    print(f"\n#### `{group}`\n")
    if group.startswith("copy/"):
        print("| benchmark | median | bandwidth | vs matching memcpy | vs memcpy |")
        print("|---|---|---|---|---|")
        for name, row in rows.items():
            if "store_load" in name or "push_latest" in name:
                match = "memcpy_twice"
            elif name.endswith("push"):
                match = "memcpy_rotating_4"
            else:
                match = "memcpy"
            ratios = []
            for base in (match, "memcpy"):
                b = rows.get(base)
                ratios.append(f"{rate(row) / rate(b):.2f}" if b and not name.startswith("memcpy") else "")
            if name.startswith("memcpy"):
                ratios[1] = f"{rate(row) / rate(rows['memcpy']):.2f}" if "memcpy" in rows else ""
            print(f"| {name} | {fmt_time(row['median'])} | {fmt_rate(rate(row), 'B')} | "
                  f"{ratios[0]} | {ratios[1]} |")
    elif group == "round_trip":
        base = rows.get("cache_line_ping_pong")
        two = rows.get("two_line_ping_pong")
        print("| benchmark | median round trip | vs cache-line ping-pong | vs two-line ping-pong |")
        print("|---|---|---|---|")
        for name, row in rows.items():
            ratio = f"{row['median'] / base['median']:.2f}x" if base else ""
            ratio2 = f"{row['median'] / two['median']:.2f}x" if two else ""
            print(f"| {name} | {fmt_time(row['median'])} | {ratio} | {ratio2} |")
    elif group == "reader_scaling":
        print("| benchmark (structure/readers) | time per round of reads | total reads/s | vs N x one reader |")
        print("|---|---|---|---|")
        for name, row in sorted(rows.items(), key=lambda kv: (kv[0].split("/")[0], int(kv[0].split("/")[1]))):
            kind, n = name.split("/")
            one = rows.get(f"{kind}/1")
            ratio = f"{rate(row) / (int(n) * rate(one)):.2f}" if one else ""
            print(f"| {name} | {fmt_time(row['median'])} | {fmt_rate(rate(row), 'elem')} | {ratio} |")
    else:
        print("| benchmark | median | throughput |")
        print("|---|---|---|")
        for name, row in rows.items():
            r = rate(row)
            print(f"| {name} | {fmt_time(row['median'])} | {fmt_rate(r, 'elem') if r else ''} |")
