"""The Python peer of the C/C++ interop tests (interop.sh): the protocol of peer.c.

    python peer.py write PREFIX   # PREFIX-seqlock, -ring, -series: COUNT samples each
    python peer.py read PREFIX    # checks them (values, time queries), removes them
"""
import sys

import numpy as np

import rtshm

# tests/sample.h's Sample: the same names, types and offsets (align=True: C's layout).
Sample = np.dtype(
    [("n", "<u8"), ("position", "<f8", 3), ("quality", "<f4"), ("id", "<i4"),
     ("frame", "<u2"), ("flags", "u1", 6)],
    align=True,
)
assert Sample.itemsize == 48
COUNT, CAPACITY, STEP_NS = 100, 128, 1000


def sample(i: int) -> np.ndarray:
    v = np.zeros((), Sample)
    v["n"] = i
    v["position"] = [i * 0.5, -float(i), 1000.0 + i]  # -0.0 for 0, as in C and Rust
    v["quality"] = i / 4.0
    v["id"] = -i
    v["frame"] = i % 65536
    v["flags"] = [i % 256, 1, 2, 3, 4, 5]
    return v


def same(a, b) -> bool:
    return np.asarray(a, Sample).tobytes() == np.asarray(b, Sample).tobytes()


def write(prefix: str) -> None:
    lock = rtshm.Publisher.create(f"{prefix}-seqlock", Sample, "seqlock")
    ring = rtshm.Publisher.create(f"{prefix}-ring", Sample, "ring", CAPACITY)
    series = rtshm.Publisher.create(f"{prefix}-series", Sample, "timeseries", CAPACITY)
    for i in range(COUNT):
        lock.store(sample(i))
        ring.push(sample(i))
        series.push(sample(i), stamp=(i + 1) * STEP_NS, seq=i)
    for p in (lock, ring, series):
        p.persist()
        p.close()


def read(prefix: str) -> None:
    names = [f"{prefix}-{k}" for k in ("seqlock", "ring", "series")]
    lock, ring, series = (
        rtshm.Subscriber.open(n, Sample, k, wait=5.0)
        for n, k in zip(names, ("seqlock", "ring", "timeseries"))
    )
    assert same(lock.load(), sample(COUNT - 1)), "the last stored sample"
    cursor = ring.cursor("oldest")
    for i in range(COUNT):
        assert same(cursor.wait_next(1.0), sample(i)), f"ring value {i}"
    near = series.closest(51 * STEP_NS + 400, STEP_NS)
    assert near is not None and near.stamp == 51 * STEP_NS and near.seq == 50
    assert same(near.value, sample(50))
    before, after, alpha = series.interpolation_pair(51 * STEP_NS + 500)
    assert (before.seq, after.seq, alpha) == (50, 51, 0.5)
    for p in (lock, ring, series):
        p.close()
    for n in names:
        rtshm.remove(n)


if __name__ == "__main__":
    {"write": write, "read": read}[sys.argv[1]](sys.argv[2])
