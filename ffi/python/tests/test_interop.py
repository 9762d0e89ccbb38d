"""Rust and Python processes exchange values of a structured dtype through one segment, both
ways: the Rust example `python_peer` (examples/python_peer.rs) writes while pytest reads, and
reads while pytest writes. The segment carries the schema: Python reads without a dtype, and a
field reordered or retyped on either side is refused with the field named."""

import os
import pathlib
import subprocess
import time

import numpy as np
import pytest

import rtshm

ROOT = pathlib.Path(__file__).resolve().parents[3]  # the repository

# `#[repr(C)] struct Pose64` of examples/python_peer.rs: 64 bytes, aligned to 8.
Pose64 = np.dtype(
    [
        ("stamp", "<u8"),
        ("position", "<f8", 3),
        ("orientation", "<f4", 4),
        ("velocity", "<f4", 3),
        ("frame", "<u2"),
        ("quality", "u1"),
        ("flags", "u1"),
    ],
    align=True,
)
# The same fields with `frame` and `quality` swapped (same size, same alignment).
Reordered = np.dtype(
    [
        ("stamp", "<u8"),
        ("position", "<f8", 3),
        ("orientation", "<f4", 4),
        ("velocity", "<f4", 3),
        ("quality", "u1"),
        ("flags", "u1"),
        ("frame", "<u2"),
    ],
    align=True,
)
COUNT = 40


def pose(i):
    """Pose number `i`, as `pose(i)` in python_peer.rs computes it."""
    return (
        i * 1000,
        (float(i), -float(i), 0.5 * i),
        (1.0, 0.0, 0.0, np.float32(i) / np.float32(100.0)),
        (float(i),) * 3,
        i % 65536,
        i % 256,
        0xA5,
    )


@pytest.fixture(scope="session")
def peer():
    """The `python_peer` example binary (built here unless RTSHM_PEER names one)."""
    if "RTSHM_PEER" in os.environ:
        return os.environ["RTSHM_PEER"]
    subprocess.run(
        ["cargo", "build", "--quiet", "--example", "python_peer"], cwd=ROOT, check=True
    )
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return str(target / "debug" / "examples" / "python_peer")


def test_the_dtype_has_the_rust_layout():
    assert (Pose64.itemsize, Pose64.alignment) == (64, 8)
    assert [Pose64.fields[f][1] for f in Pose64.names] == [0, 8, 32, 48, 60, 62, 63]


def test_a_rust_writer_and_a_python_reader(peer, name):
    child = subprocess.Popen(
        [peer, "write", name, str(COUNT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                sub = rtshm.Subscriber.open(name)
                break
            except rtshm.NotFoundError:
                assert time.monotonic() < deadline, "the Rust writer did not create the segment"
                time.sleep(0.005)
        # Without a dtype: the segment's schema gives names, offsets and itemsize.
        assert sub.kind == "ring"
        assert sub.dtype.names == Pose64.names
        assert sub.dtype.itemsize == Pose64.itemsize
        assert [sub.dtype.fields[f][1] for f in Pose64.names] == [
            Pose64.fields[f][1] for f in Pose64.names
        ]
        assert sub.writer_status().state == "alive"
        assert sub.writer_pid == child.pid
        cursor = sub.cursor("oldest")
        for i in range(COUNT):
            got = cursor.wait_next(timeout=10.0)
            expected = np.array(pose(i), Pose64)
            assert got.tobytes() == expected.tobytes(), f"pose {i}: {got} != {expected}"
        assert cursor.missed == 0
        last = sub.latest()[1]
        assert last["stamp"] == (COUNT - 1) * 1000 and last["flags"] == 0xA5
        # The explicit dtype is checked against the segment's schema, field by field.
        assert rtshm.Subscriber.open(name, Pose64, "ring").dtype == Pose64
        with pytest.raises(rtshm.TypeMismatchError, match="field `quality`: segment has u8 at offset 62, this program u8 at offset 60"):
            rtshm.Subscriber.open(name, Reordered, "ring")
        retyped = np.dtype([(n, "<f8" if n == "stamp" else Pose64.fields[n][0]) for n in Pose64.names], align=True)
        with pytest.raises(rtshm.TypeMismatchError, match="field `stamp`: segment has u64 at offset 0, this program f64"):
            rtshm.Subscriber.open(name, retyped, "ring")
    finally:
        out, _ = child.communicate(input="", timeout=10)
    assert child.returncode == 0
    assert out.strip() == f"wrote {COUNT}"


def test_a_python_writer_and_a_rust_reader(peer, name):
    with rtshm.Publisher.create(name, Pose64, "ring", 64) as pub:
        child = subprocess.Popen(
            [peer, "read", name, str(COUNT)], stdout=subprocess.PIPE, text=True
        )
        try:
            for i in range(COUNT):
                pub.push(pose(i))
                time.sleep(0.001)
            out, _ = child.communicate(timeout=20)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    assert child.returncode == 0, out
    assert out.strip() == f"read {COUNT}"


def test_a_rust_reader_refuses_a_python_dtype_with_reordered_fields_naming_the_field(peer, name):
    with rtshm.Publisher.create(name, Reordered, "ring", 64):
        done = subprocess.run(
            [peer, "read", name, "1"], capture_output=True, text=True, timeout=20
        )
    assert done.returncode == 1
    assert "field `frame`: segment has u16 at offset 62, this program u16 at offset 60" in done.stderr, done.stderr


def test_a_rust_queue_is_listed_and_not_read_as_a_subscriber(peer, name):
    child = subprocess.Popen(
        [peer, "queue", name, "5"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "pushed 5"
        entry = next(d for d in rtshm.list() if d["name"] == name)
        assert entry["kind"] == "queue"
        # Reading would not pop: a Subscriber refuses, saying who owns the values.
        with pytest.raises(rtshm.KindMismatchError, match="is a queue"):
            rtshm.Subscriber.open(name)
    finally:
        child.communicate(input="", timeout=10)
    assert child.returncode == 0
