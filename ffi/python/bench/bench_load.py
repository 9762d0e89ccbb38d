"""Times a 64-byte record load from Python (``Subscriber.load`` of a seqlock, and a ring's
``latest``) with ``timeit``, for BENCHMARKS.md. Run: ``python ffi/python/bench/bench_load.py``."""

import os
import timeit

import numpy as np

import rtshm

Pose64 = np.dtype(
    [("stamp", "<u8"), ("position", "<f8", 3), ("orientation", "<f4", 4),
     ("velocity", "<f4", 3), ("frame", "<u2"), ("quality", "u1"), ("flags", "u1")],
    align=True,
)
assert Pose64.itemsize == 64


def best_ns(stmt, number=100_000, repeat=7):
    """The best of `repeat` runs of `number` calls, in ns per call (the least disturbed)."""
    return min(timeit.repeat(stmt, number=number, repeat=repeat)) / number * 1e9


def main():
    name = f"bench-py-{os.getpid()}"
    value = np.zeros((), Pose64)
    rows = []
    with rtshm.Publisher.create(name, Pose64) as pub:
        sub = rtshm.Subscriber.open(name, Pose64)
        pub.store(value)
        rows.append(("seqlock Subscriber.load()", best_ns(sub.load)))
        rows.append(("seqlock Publisher.store(record)", best_ns(lambda: pub.store(value))))
    with rtshm.Publisher.create(name, Pose64, "ring", 64) as pub:
        sub = rtshm.Subscriber.open(name, Pose64, "ring")
        pub.push(value)
        rows.append(("ring Subscriber.latest()", best_ns(sub.latest)))
    raw = np.empty(64, np.uint8)
    rows.append(("baseline: np.empty(1, Pose64)[0]", best_ns(lambda: np.empty(1, Pose64)[0])))
    rows.append(("baseline: bytes(raw) (64-byte copy)", best_ns(lambda: bytes(raw))))
    for label, ns in rows:
        print(f"{label:40} {ns:8.0f} ns")


if __name__ == "__main__":
    main()
