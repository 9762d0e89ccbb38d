"""FORMAT.md is complete: `format_reader.py`, written from it alone (no rtshm package), reads a
SeqLock (retrying around stores in progress) and a Ring written by Rust (`python_peer`)."""

import subprocess
import time

import numpy as np
import pytest

import format_reader
from test_interop import COUNT, Pose64, peer, pose  # noqa: F401 (the fixture)



def wait_for(name, deadline=10.0):
    end = time.monotonic() + deadline
    while True:
        try:
            return format_reader.Segment(name)
        except (FileNotFoundError, AssertionError, ValueError):
            assert time.monotonic() < end, "the Rust writer did not create the segment"
            time.sleep(0.005)


def consistent(record):
    """Whether a record is one whole `pose(i)` (every field from the same i)."""
    i = int(record["stamp"]) // 1000
    return np.array(pose(i), Pose64).tobytes() == np.array(record, Pose64).tobytes()


def test_a_seqlock_under_constant_stores_reads_whole_values(peer, name):
    child = subprocess.Popen([peer, "store", name, "1000"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "stored 1000"
        seg = wait_for(name)
        assert seg.kind == format_reader.SEQLOCK
        assert seg.dtype.names == Pose64.names
        assert seg.fingerprint == seg.schema_hash
        last = -1
        for _ in range(2000):
            try:
                record, version = seg.load()
            except format_reader.Busy:
                continue
            assert consistent(record), record
            assert version >= 1000 and version >= last
            last = version
    finally:
        child.communicate(input="", timeout=10)
    assert child.returncode == 0


def test_a_ring_reads_every_value_in_order(peer, name):
    child = subprocess.Popen([peer, "write", name, str(COUNT)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == f"wrote {COUNT}"
        seg = wait_for(name)
        assert (seg.kind, seg.capacity, seg.written()) == (format_reader.RING, 64, COUNT)
        assert seg.fingerprint == seg.schema_hash
        for i in range(COUNT):
            record = seg.get(i)
            assert np.array(record, Pose64).tobytes() == np.array(pose(i), Pose64).tobytes()
        assert seg.get(COUNT) is None
    finally:
        child.communicate(input="", timeout=10)
    assert child.returncode == 0
