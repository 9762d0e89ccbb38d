"""Python-only behaviour of the bindings: round trips in every kind, cursors and laps, time
queries, errors, waits and the GIL."""

import threading
import time

import numpy as np
import pytest

import rtshm

Imu = np.dtype(
    [("stamp", "<u8"), ("accel", "<f4", 3), ("gyro", "<f4", 3), ("status", "<u2")],
    align=True,
)


def test_a_seqlock_round_trips_a_structured_record(name):
    with rtshm.Publisher.create(name, Imu) as pub:
        sub = rtshm.Subscriber.open(name, Imu)
        value = sub.try_load()
        assert sub.version == 0 and value["stamp"] == 0
        assert sub.load_if_newer(0) is None
        assert pub.store((7, (0.0, 0.0, 9.81), (0.1, 0.2, 0.3), 3)) == 1
        record = np.zeros((), Imu)
        record["stamp"] = 8
        record["accel"] = (1.0, 2.0, 3.0)
        assert pub.store(record) == 2
        value = sub.load()
        assert value["stamp"] == 8
        newer, version = sub.load_if_newer(1)
        assert (newer["stamp"], version) == (8, 2)
        assert sub.load_if_newer(2) is None
        assert value["accel"].tolist() == [1.0, 2.0, 3.0]
        assert sub.version == 2
        # A copy: later stores do not change a value already loaded.
        pub.store((9, (0, 0, 0), (0, 0, 0), 0))
        assert value["stamp"] == 8


def test_scalar_and_array_dtypes_round_trip(name):
    with rtshm.Publisher.create(name, np.float64) as pub:
        sub = rtshm.Subscriber.open(name, np.float64)
        pub.store(2.5)
        assert sub.load() == 2.5
    with rtshm.Publisher.create(name, np.dtype((np.float32, (2, 3))), "ring", 4) as pub:
        sub = rtshm.Subscriber.open(name, np.dtype((np.float32, (2, 3))), "ring")
        pub.push(np.arange(6, dtype=np.float32).reshape(2, 3))
        n, value = sub.latest()
        assert n == 0 and value.shape == (2, 3) and value[1, 2] == 5.0
        with pytest.raises(ValueError):
            pub.push(np.zeros(5))


def test_a_ring_cursor_reads_in_order_and_reports_laps(name):
    with rtshm.Publisher.create(name, Imu, "ring", 8) as pub:
        sub = rtshm.Subscriber.open(name, Imu, "ring")
        cursor = sub.cursor("oldest")
        assert cursor.next() is None
        for i in range(5):
            assert pub.push((i, (i, 0, 0), (0, 0, 0), 0)) == i
        assert [int(v["stamp"]) for v in cursor] == [0, 1, 2, 3, 4]
        for i in range(5, 25):
            pub.push((i, (i, 0, 0), (0, 0, 0), 0))
        with pytest.raises(rtshm.LappedError) as lap:
            cursor.next()
        assert lap.value.missed == 12 and cursor.position == 17
        assert [int(v["stamp"]) for v in cursor] == list(range(17, 25))
        assert (cursor.laps, cursor.missed) == (1, 12)
        assert sub.written == 25 and sub.capacity == 8
        assert int(sub.get(20)["stamp"]) == 20
        with pytest.raises(rtshm.OverwrittenError) as gone:
            sub.get(3)
        assert gone.value.oldest == 17
        with pytest.raises(rtshm.NotYetError):
            sub.get(25)
        newest = sub.cursor("newest")
        assert int(newest.next()["stamp"]) == 24
        assert sub.cursor("next").next() is None
        # A saved position resumes there; one long overwritten reports the exact loss.
        assert int(sub.cursor(22).next()["stamp"]) == 22
        with pytest.raises(rtshm.LappedError) as lap:
            sub.cursor(2).next()
        assert lap.value.missed == 15
        with pytest.raises(ValueError):
            sub.cursor(-1)


def test_open_waits_for_a_segment_created_later(name):

    def later():
        time.sleep(0.05)
        with rtshm.Publisher.create(name, np.float64) as pub:
            pub.store(4.5)
            time.sleep(0.5)

    thread = threading.Thread(target=later)
    thread.start()
    try:
        sub = rtshm.Subscriber.open("/" + name, np.float64, wait=5.0)
        assert sub.wait_newer(0, 5.0)[0] == 4.5
    finally:
        thread.join()
    with pytest.raises(rtshm.NotFoundError):
        rtshm.Subscriber.open(name + "-never", np.float64, wait=0.02)


def test_time_series_queries(name):
    Xy = np.dtype([("x", "<f8"), ("y", "<f8"), ("n", "<i4")], align=True)
    with rtshm.Publisher.create(name, Xy, "timeseries", 16) as pub:
        sub = rtshm.Subscriber.open(name, Xy, "timeseries")
        with pytest.raises(rtshm.EmptyError):
            sub.interpolation_pair(5)
        for i in range(10):
            pub.push((i * 1.0, -i * 2.0, i), stamp=1_000 + i * 100)
        with pytest.raises(rtshm.NonMonotonicError) as back:
            pub.push((0, 0, 0), stamp=5)
        assert (back.value.last, back.value.given) == (1_900, 5)
        latest = sub.latest()
        assert (latest.stamp, float(latest.value["x"]), latest.seq) == (1_900, 9.0, 9)
        assert sub.closest(1_340, 50).stamp == 1_300
        assert sub.closest(1_350, 50).stamp == 1_300  # a tie goes to the earlier sample
        assert sub.closest(1_350, 49) is None
        before, after, alpha = sub.interpolation_pair(1_425)
        assert (before.stamp, after.stamp, alpha) == (1_400, 1_500, 0.25)
        value = sub.interpolate(1_425)
        assert (float(value["x"]), float(value["y"]), int(value["n"])) == (4.25, -8.5, 4)
        assert sub.interpolate(1_425, lambda b, a, t: t) == 0.25
        with pytest.raises(rtshm.OutOfRangeError) as out:
            sub.interpolation_pair(5_000)
        assert (out.value.oldest, out.value.newest) == (1_000, 1_900)
        assert sub.latest_if_fresh(100, now=1_950).stamp == 1_900
        assert sub.latest_if_fresh(10, now=1_950) is None
        # A default stamp is the monotonic clock.
        before_push = rtshm.monotonic_ns()
        pub.push((0, 0, 0))
        assert sub.latest().stamp >= before_push
        assert [s.value["n"] for s in sub.cursor("oldest")][:3] == [0, 1, 2]


def test_the_wrong_dtype_kind_or_schema_is_refused(name):
    with rtshm.Publisher.create(name, Imu, "ring", 4):
        # A packed dtype (36 bytes; a C struct of these fields has 40) has no C layout.
        with pytest.raises(ValueError, match="align=True"):
            rtshm.Subscriber.open(name, np.dtype([("stamp", "<u8"), ("x", "<f4", 7)]), "ring")
        with pytest.raises(rtshm.TypeMismatchError, match="field `x`: the segment has no such"):
            rtshm.Subscriber.open(name, np.dtype([("stamp", "<u8"), ("x", "<f4", 7)], align=True), "ring")
        # Same size, other fields: refused, the field named.
        same_size = np.dtype([("a", "<u8"), ("b", "<f4", 7)], align=True)
        assert same_size.itemsize == Imu.itemsize
        with pytest.raises(rtshm.TypeMismatchError, match="field `a`: the segment has no such field"):
            rtshm.Subscriber.open(name, same_size, "ring")
        # Without a dtype or kind: the segment's.
        auto = rtshm.Subscriber.open(name)
        assert (auto.kind, auto.dtype.names, auto.dtype.itemsize) == ("ring", Imu.names, Imu.itemsize)
        with pytest.raises(rtshm.KindMismatchError):
            rtshm.Subscriber.open(name, Imu, "seqlock")
        with pytest.raises(rtshm.InvalidSegmentError):
            rtshm.Subscriber.open(name, Imu, "timeseries")
    schema = rtshm.schema_id("tests/pose@1")
    with rtshm.Publisher.create(name, Imu, "ring", 4, schema=schema):
        rtshm.Subscriber.open(name, Imu, "ring", schema=schema)
        with pytest.raises(rtshm.TypeMismatchError):
            rtshm.Subscriber.open(name, np.dtype((np.uint8, 16)), "ring", schema=schema)
    with pytest.raises(rtshm.NotFoundError):
        rtshm.Subscriber.open(name, Imu)
    with pytest.raises(FileNotFoundError):
        rtshm.Subscriber.open(name, Imu)
    with pytest.raises(rtshm.InvalidNameError):
        rtshm.Publisher.create("a/b", Imu)
    with pytest.raises(ValueError):
        rtshm.Publisher.create(name, Imu, "ring", 12)
    with pytest.raises(ValueError):
        rtshm.Publisher.create(name, Imu, "ring")


def test_one_writer_at_a_time_and_takeover(name):
    pub = rtshm.Publisher.create(name, Imu)
    with pytest.raises(rtshm.AlreadyExistsError):
        rtshm.Publisher.create(name, Imu)
    with pytest.raises(rtshm.WriterAliveError):
        rtshm.Publisher.open_existing(name, Imu)
    pub.store((1, (0, 0, 0), (0, 0, 0), 0))
    pub.persist()
    pub.close()
    sub = rtshm.Subscriber.open(name, Imu)
    assert sub.writer_status().state == "unowned"
    with rtshm.Publisher.create_or_recover(name, Imu) as again:
        assert again.epoch == 1
        assert sub.writer_status().state == "alive"
        assert sub.writer_pid == __import__("os").getpid()
        assert again.store((2, (0, 0, 0), (0, 0, 0), 0)) == 2
    with pytest.raises(rtshm.NotFoundError):
        rtshm.Subscriber.open(name, Imu)
    with pytest.raises(RuntimeError):
        pub.store((3, (0, 0, 0), (0, 0, 0), 0))


def test_wait_newer_times_out(name):
    with rtshm.Publisher.create(name, Imu) as pub:
        sub = rtshm.Subscriber.open(name, Imu)
        start = time.monotonic()
        with pytest.raises(rtshm.TimedOutError):
            sub.wait_newer(0, timeout=0.1)
        assert time.monotonic() - start >= 0.1
        pub.store((5, (0, 0, 0), (0, 0, 0), 0))
        value, version = sub.wait_newer(0, timeout=1.0)
        assert (int(value["stamp"]), version) == (5, 1)
        with pytest.raises(TimeoutError):
            sub.wait_newer(1, timeout=0.01)


def test_a_wait_releases_the_gil(name):
    """The store that ends the wait runs in another Python thread: with the GIL held by the
    waiter it could not run, and the wait would time out. Meanwhile a third thread counts."""
    with rtshm.Publisher.create(name, Imu, "ring", 8) as pub:
        sub = rtshm.Subscriber.open(name, Imu, "ring")
        cursor = sub.cursor("next")
        waiting = threading.Event()
        counted = []

        def count():
            n = 0
            waiting.wait()
            deadline = time.monotonic() + 0.2
            while time.monotonic() < deadline:
                n += 1
            counted.append(n)

        def publish():
            waiting.wait()
            time.sleep(0.3)
            pub.push((42, (0, 0, 0), (0, 0, 0), 0))

        threads = [threading.Thread(target=count), threading.Thread(target=publish)]
        for t in threads:
            t.start()
        waiting.set()
        start = time.monotonic()
        value = cursor.wait_next(timeout=10.0)
        waited = time.monotonic() - start
        for t in threads:
            t.join()
        assert int(value["stamp"]) == 42
        assert 0.25 < waited < 5.0
        # The counter ran for its 0.2 s while the main thread waited.
        assert counted and counted[0] > 1000


def test_list_shows_segments(name):
    with rtshm.Publisher.create(name, Imu, "ring", 4) as pub:
        pub.push((1, (0, 0, 0), (0, 0, 0), 0))
        entry = next(d for d in rtshm.list() if d["name"] == name)
        assert entry["kind"] == "ring" and entry["capacity"] == 4
        assert entry["record_size"] == Imu.itemsize and entry["written"] == 1
        assert entry["writer"] == "alive" and entry["fingerprint"] == rtshm.dtype_schema(Imu)
    assert all(d["name"] != name for d in rtshm.list())


def test_kind_specific_calls_on_the_wrong_kind_raise_type_error(name):
    with rtshm.Publisher.create(name, Imu, "ring", 4) as pub:
        with pytest.raises(TypeError):
            pub.store((1, (0, 0, 0), (0, 0, 0), 0))
        sub = rtshm.Subscriber.open(name, Imu, "ring")
        with pytest.raises(TypeError):
            sub.load()
        with pytest.raises(TypeError):
            sub.closest(0, 1)
        with pytest.raises(ValueError):
            pub.push((1, (0, 0, 0), (0, 0, 0), 0), stamp=5)


# ---- lifecycle hardening (issue 18) ----------------------------------------------------------


def test_create_or_recover_checks_the_capacity_and_leaves_a_mismatch_untouched(name):
    with rtshm.Publisher.create_or_recover(name, np.uint32, "ring", 4) as pub:
        pub.persist()
    with pytest.raises(rtshm.RtshmError, match="4 slots, not the 8"):
        rtshm.Publisher.create_or_recover(name, np.uint32, "ring", 8)
    sub = rtshm.Subscriber.open(name, np.uint32, "ring")
    assert sub.epoch == 0 and sub.writer_status().state == "unowned"
    with rtshm.Publisher.create_or_recover(name, np.uint32, "ring", 4) as pub:
        assert pub.epoch == 1


def test_object_dtypes_are_refused_at_create(name):
    with pytest.raises(ValueError, match="Python objects"):
        rtshm.Publisher.create(name, np.dtype(object))


def test_a_huge_ring_is_refused_for_lack_of_space_not_created(name):
    with pytest.raises(rtshm.RtshmError, match="no space"):
        rtshm.Publisher.create(name, np.dtype((np.uint8, 1 << 20)), "ring", 1 << 26)


def test_subscribers_close_and_work_as_context_managers(name):
    with rtshm.Publisher.create(name, np.float64) as pub:
        pub.store(1.5)
        with rtshm.Subscriber.open(name, np.float64) as sub:
            assert sub.load() == 1.5
        with pytest.raises(RuntimeError, match="closed"):
            sub.load()
        sub.close()  # idempotent


def test_a_nan_timeout_is_a_value_error_in_waits_as_in_opens(name):
    with rtshm.Publisher.create(name, np.float64):
        with pytest.raises(ValueError):
            rtshm.Subscriber.open(name, np.float64, timeout=float("nan"))
        sub = rtshm.Subscriber.open(name, np.float64)
        with pytest.raises(ValueError):
            sub.wait_newer(0, float("nan"))
        with pytest.raises(ValueError):
            sub.wait_newer(0, -1.0)
