"""Rust and Python processes exchange values of a structured dtype through one segment, both
ways: the Rust example `python_peer` (examples/python_peer.rs) writes while pytest reads, and
reads while pytest writes. Both sides name the schema `rtshm-example/Pose64@1`."""

import os
import pathlib
import subprocess
import time

import numpy as np
import pytest

import rtshm

ROOT = pathlib.Path(__file__).resolve().parents[2]

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
SCHEMA = rtshm.schema_id("rtshm-example/Pose64@1")
COUNT = 40


def pose(i):
    """Pose number `i`, as `pose(i)` in python_peer.rs computes it."""
    return (
        i * 1000,
        (float(i), -float(i), 0.5 * i),
        (1.0, 0.0, 0.0, np.float32(i) / np.float32(100.0)),
        (float(i),) * 3,
        i,
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
                sub = rtshm.Subscriber.open(name, Pose64, "ring", schema=SCHEMA)
                break
            except rtshm.NotFoundError:
                assert time.monotonic() < deadline, "the Rust writer did not create the segment"
                time.sleep(0.005)
        assert sub.writer_status().state == "alive"
        assert sub.writer_pid == child.pid
        cursor = sub.cursor("oldest")
        for i in range(COUNT):
            got = cursor.wait_next(timeout=10.0)
            expected = np.array(pose(i), Pose64)
            assert got.tobytes() == expected.tobytes(), f"pose {i}: {got} != {expected}"
        assert cursor.missed == 0
        # Without the schema the default (the dtype's) fingerprint does not match.
        with pytest.raises(rtshm.TypeMismatchError):
            rtshm.Subscriber.open(name, Pose64, "ring")
    finally:
        out, _ = child.communicate(input="", timeout=10)
    assert child.returncode == 0
    assert out.strip() == f"wrote {COUNT}"


def test_a_python_writer_and_a_rust_reader(peer, name):
    with rtshm.Publisher.create(name, Pose64, "ring", 64, schema=SCHEMA) as pub:
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
