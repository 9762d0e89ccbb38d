"""rtshm: real-time, lock-free shared-memory segments, from Python.

A :class:`Publisher` writes a named segment (``/dev/shm/<name>``) that any number of
:class:`Subscriber` processes read without locks and without ever seeing a torn value, in
Python or in Rust. The payload is described by a numpy dtype::

    import numpy as np
    import rtshm

    Imu = np.dtype([("stamp", "<u8"), ("accel", "<f4", 3), ("gyro", "<f4", 3)], align=True)

    with rtshm.Publisher.create("robot-imu", Imu, kind="seqlock") as pub:
        pub.store((1, (0.0, 0.0, 9.81), (0.0, 0.0, 0.0)))
        sub = rtshm.Subscriber.open("robot-imu")   # the dtype comes from the segment
        print(sub.load()["accel"])

Three structures (``kind``): ``"seqlock"`` (the latest value), ``"ring"`` (the last
``capacity`` values, read in order by cursors that report laps) and ``"timeseries"`` (a ring
of stamped values with time queries).

Agreeing on the payload type
----------------------------
Every segment records the schema of its values (field names, types, offsets) and every reader
compares it with its own, field by field. A publisher writes the schema of its dtype (a
structured dtype with ``align=True`` has the layout of a Rust ``#[repr(C)]`` struct; little
endian, numbers and fixed arrays of them, nested structs); ``Subscriber.open(name)`` builds
the dtype from the segment's schema, and a dtype given explicitly is checked against it. A Rust
program reading a Python segment (or the other way round) derives ``rtshm::Schema`` on a struct
with the same field names at the same offsets. A difference raises :class:`TypeMismatchError`
naming the field (``field `accel`: segment has [f32; 3] at offset 8, this program [f64; 3]``).
An explicit ``schema=rtshm.schema_id("robot/Imu@1")`` is also recorded and must match on
both sides.

Time
----
Stamps and time distances are integers in nanoseconds (``CLOCK_MONOTONIC`` by default, as
``time.monotonic_ns()``); timeouts are seconds, as everywhere in Python. Waits release the
GIL.
"""

from __future__ import annotations

import math
import time
from typing import Any, Callable, Iterator, Literal, NamedTuple, Optional

import numpy as np

from . import _native
from . import errors
from .errors import *  # noqa: F401,F403 (re-exported: rtshm.TypeMismatchError...)
from .errors import BusyError, LappedError, TimedOutError

__all__ = [
    "Publisher",
    "Subscriber",
    "Cursor",
    "Sample",
    "WriterStatus",
    "schema_id",
    "dtype_schema",
    "segment_dtype",
    "list",
    "remove",
    "monotonic_ns",
    *errors.__all__,
]

Kind = Literal["seqlock", "ring", "timeseries"]
_KINDS = ("seqlock", "ring", "timeseries")

#: The list builtin, kept before ``list`` below shadows it in this module.
_list = list


def schema_id(name: str) -> int:
    """The schema id named ``name``: the same number as Rust's
    ``rtshm::layout::schema_id(name)``. Version the name when the layout changes
    (``"robot/Pose@2"``)."""
    return _native.schema_id(name)


def dtype_schema(dtype: np.dtype) -> int:
    """The fingerprint a segment of ``dtype`` records when no ``schema`` id is given: the hash
    of its schema (field names, types and offsets), the number Rust's
    ``rtshm::layout::fingerprint::<T>()`` gives for a struct with the same fields."""
    return _native.schema_fingerprint(_native.encode_schema(_dtype_tree(np.dtype(dtype))))


_PRIMS = {
    ("u", 1): "u8", ("u", 2): "u16", ("u", 4): "u32", ("u", 8): "u64",
    ("i", 1): "i8", ("i", 2): "i16", ("i", 4): "i32", ("i", 8): "i64",
    ("f", 4): "f32", ("f", 8): "f64",
}
_FORMATS = {v: f"<{k[0]}{k[1]}" for k, v in _PRIMS.items()}


def _struct_name(field: str) -> str:
    """A nested struct's name from its field's (``left_wheel`` -> ``LeftWheel``)."""
    return "".join(part[:1].upper() + part[1:] for part in field.split("_") if part) or "Value"


def _dtype_tree(dtype: np.dtype, name: str = "Value") -> tuple:
    """The schema of ``dtype`` as the native tree: ``("struct", name, size, align, fields)``,
    ``("array", len, element)``, ``("prim", "f32")``. ``ValueError`` for what a schema cannot
    describe (booleans, strings, objects, big-endian numbers)."""
    if dtype.hasobject:
        raise ValueError(f"dtype {dtype} holds Python objects: shared memory holds plain numbers only")
    if dtype.subdtype is not None:
        base, shape = dtype.subdtype
        tree = _dtype_tree(base, name)
        for n in reversed(shape):
            tree = ("array", n, tree)
        return tree
    if dtype.names is not None:
        fields = []
        align = dtype.alignment
        for field in dtype.names:
            fdtype, offset = dtype.fields[field][:2]
            fields.append((field, offset, _dtype_tree(fdtype, _struct_name(field))))
            align = max(align, fdtype.alignment)
        # A dtype built without align=True whose fields all sit at aligned offsets has the C
        # layout anyway: its alignment is its widest field's.
        if dtype.itemsize % align != 0:
            align = dtype.alignment
        return ("struct", name, dtype.itemsize, align, fields)
    prim = _PRIMS.get((dtype.kind, dtype.itemsize))
    if prim is None or dtype.byteorder == ">":
        raise ValueError(
            f"dtype {dtype} has no schema type: use little-endian uint8..uint64, int8..int64, "
            "float32 or float64 (a bool as uint8)"
        )
    return ("prim", prim)


def _tree_dtype(tree: tuple) -> np.dtype:
    """The numpy dtype of a native schema tree (the inverse of :func:`_dtype_tree`)."""
    tag = tree[0]
    if tag == "prim":
        return np.dtype(_FORMATS[tree[1]])
    if tag == "array":
        shape = []
        while tree[0] == "array":
            shape.append(tree[1])
            tree = tree[2]
        return np.dtype((_tree_dtype(tree), tuple(shape)))
    _, _, size, _, fields = tree
    return np.dtype(
        {
            "names": [f[0] for f in fields],
            "formats": [_tree_dtype(f[2]) for f in fields],
            "offsets": [f[1] for f in fields],
            "itemsize": size,
        },
        align=True,
    )


def segment_dtype(name: str, timeout: float = 1.0) -> np.dtype:
    """The dtype of the values of segment ``name``, built from the schema it records (names,
    offsets, itemsize). ``ValueError`` if it records none (its creator named a schema id
    only)."""
    _kind, tree, _size = _native.describe(name, timeout)
    if tree is None:
        raise ValueError(f"segment {name!r} records no schema: pass its dtype")
    return _tree_dtype(tree)


def monotonic_ns() -> int:
    """``CLOCK_MONOTONIC`` now, in nanoseconds: the default stamp of a time series push."""
    return _native.monotonic_ns()


class Sample(NamedTuple):
    """A time series value with its stamp (nanoseconds) and the publisher's sequence number."""

    stamp: int
    value: Any
    seq: int


class WriterStatus(NamedTuple):
    """The writer's liveness: ``state`` is ``"alive"`` (heartbeat within the threshold),
    ``"stale"`` (process running, no heartbeat for longer), ``"dead"`` (process gone: the
    segment can be taken over), ``"unknown"`` (the process cannot be checked from here: another
    PID namespace, or a hidden /proc; never taken over) or ``"unowned"`` (no writer); ``age`` is
    the heartbeat's age in seconds (alive, stale and unknown only)."""

    state: str
    age: Optional[float]


def _check_kind(kind: str) -> str:
    if kind not in _KINDS:
        raise ValueError(f"unknown kind {kind!r}: expected one of {_KINDS}")
    return kind


def _spec(dtype: Any, kind: str, schema: Optional[int]) -> tuple[np.dtype, str, tuple]:
    """The dtype, the kind, and the native arguments describing them: (kind, size, alignment,
    explicit schema id or None, encoded schema)."""
    dtype = np.dtype(dtype)
    kind = _check_kind(kind)
    tree = _dtype_tree(dtype)
    try:
        descriptor = _native.encode_schema(tree)
    except ValueError as e:
        raise ValueError(
            f"dtype {dtype} has no C layout ({e}): build it with np.dtype(..., align=True)"
        ) from None
    align = tree[3] if tree[0] == "struct" else dtype.alignment
    return dtype, kind, (kind, dtype.itemsize, align, schema, descriptor)


#: How long ``load`` retries reads that overlap stores: Rust's ``rtshm::shm::LOAD_PATIENCE``.
_LOAD_PATIENCE = 0.05


def _deadline(timeout: float) -> float:
    """The monotonic deadline of a wait of ``timeout`` seconds; ``ValueError`` for a timeout
    that is not a duration (negative, NaN, infinite), as an open's timeout raises."""
    if not math.isfinite(timeout) or timeout < 0:
        raise ValueError(f"{timeout} is not a duration in seconds")
    return time.monotonic() + timeout


def _capacity(kind: str, capacity: Optional[int]) -> int:
    if kind == "seqlock":
        if capacity not in (None, 1):
            raise ValueError("a seqlock holds one value: capacity must be 1 (or omitted)")
        return 1
    if capacity is None:
        raise ValueError(f"a {kind} needs a capacity (a power of two)")
    return capacity


class _Typed:
    """What publishers and subscribers share: the dtype and its conversions to bytes."""

    def __init__(self, name: str, dtype: np.dtype, kind: str) -> None:
        self._name = name
        self._dtype = np.dtype(dtype)
        self._kind = kind

    @property
    def name(self) -> str:
        """The segment's name."""
        return self._name

    @property
    def dtype(self) -> np.dtype:
        """The payload's dtype."""
        return self._dtype

    @property
    def kind(self) -> str:
        """``"seqlock"``, ``"ring"`` or ``"timeseries"``."""
        return self._kind

    def _need(self, kind: str, operation: str) -> None:
        if self._kind != kind:
            raise TypeError(f"{operation}() is for a {kind}; this segment is a {self._kind}")

    def _bytes(self, value: Any) -> np.ndarray:
        """``value`` as the dtype's bytes (a contiguous ``uint8`` array)."""
        dtype = self._dtype
        if dtype.subdtype is not None:
            base, shape = dtype.subdtype
            array = np.ascontiguousarray(value, dtype=base)
            if array.shape != shape:
                raise ValueError(f"expected an array of shape {shape}, got {array.shape}")
        else:
            array = np.ascontiguousarray(value, dtype=dtype)
            if array.size != 1:
                raise ValueError(f"expected one {dtype} value, got an array of shape {array.shape}")
        return array.reshape(-1).view(np.uint8)


class Publisher(_Typed):
    """The single writer of a segment. Create it with :meth:`create`, or take a segment over
    from a writer that died with :meth:`open_existing` / :meth:`create_or_recover`.

    The segment is removed when the publisher is closed (or garbage collected) unless
    :meth:`persist` was called. Use it as a context manager to close it deterministically.

    Stores never block: no lock, no allocation and no system call unless a reader waits.
    """

    def __init__(self, native: Any, name: str, dtype: np.dtype, kind: str) -> None:
        super().__init__(name, dtype, kind)
        self._native = native

    @classmethod
    def create(
        cls,
        name: str,
        dtype: Any,
        kind: Kind = "seqlock",
        capacity: Optional[int] = None,
        *,
        schema: Optional[int] = None,
        mode: int = 0o600,
        clock: Literal["monotonic", "realtime"] = "monotonic",
    ) -> "Publisher":
        """Creates the segment ``name`` holding a ``kind`` of ``dtype`` values (``capacity``,
        a power of two, for a ring or time series) with file mode ``mode``.

        Raises :class:`AlreadyExistsError` if it exists, :class:`InvalidNameError`,
        :class:`PermissionDeniedError`, ``ValueError`` for a bad kind or capacity.
        """
        return cls._create(name, dtype, kind, capacity, schema, mode, clock, None)

    @classmethod
    def open_existing(
        cls,
        name: str,
        dtype: Any,
        kind: Kind = "seqlock",
        *,
        schema: Optional[int] = None,
        timeout: float = 1.0,
    ) -> "Publisher":
        """Takes over the existing segment ``name`` from a writer that died or exited. A
        store the dead writer left half done is redone by the next store, so no reader ever
        accepts it. Raises :class:`WriterAliveError` while the writer runs."""
        dtype, kind, spec = _spec(dtype, kind, schema)
        native = _native.RawWriter.open_existing(name, *spec, timeout)
        return cls(native, name, dtype, kind)

    @classmethod
    def create_or_recover(
        cls,
        name: str,
        dtype: Any,
        kind: Kind = "seqlock",
        capacity: Optional[int] = None,
        *,
        schema: Optional[int] = None,
        mode: int = 0o600,
        clock: Literal["monotonic", "realtime"] = "monotonic",
        timeout: float = 1.0,
    ) -> "Publisher":
        """Creates the segment, or takes it over if it exists and its writer is dead: the
        usual start-up of a node that may have crashed before. Of processes racing on one
        name exactly one wins (the others get :class:`WriterAliveError`); an existing segment
        must hold ``capacity`` slots (``RtshmError`` otherwise, leaving it untouched)."""
        return cls._create(name, dtype, kind, capacity, schema, mode, clock, timeout)

    @classmethod
    def _create(
        cls,
        name: str,
        dtype: Any,
        kind: str,
        capacity: Optional[int],
        schema: Optional[int],
        mode: int,
        clock: str,
        recover_timeout: Optional[float],
    ) -> "Publisher":
        """:meth:`create`, or with ``recover_timeout`` :meth:`create_or_recover`."""
        dtype, kind, spec = _spec(dtype, kind, schema)
        if clock not in ("monotonic", "realtime"):
            raise ValueError("clock must be 'monotonic' or 'realtime'")
        capacity = _capacity(kind, capacity)
        realtime = clock == "realtime"
        native = _native.RawWriter.create(name, *spec, capacity, mode, realtime, recover_timeout)
        return cls(native, name, dtype, kind)

    def store(self, value: Any) -> int:
        """Stores ``value`` (anything numpy converts to the dtype: a record, a tuple, an
        array) into a seqlock; returns its version (stores so far)."""
        self._need("seqlock", "store")
        return self._native.store(self._bytes(value))

    def push(self, value: Any, stamp: Optional[int] = None, seq: Optional[int] = None) -> int:
        """Appends ``value`` to a ring, or to a time series stamped ``stamp`` (nanoseconds,
        default :func:`monotonic_ns`) with sequence number ``seq`` (default: the write
        number); returns its write number. A time series refuses a stamp earlier than the
        last one (:class:`NonMonotonicError`)."""
        if self._kind == "ring":
            if stamp is not None or seq is not None:
                raise ValueError("a ring's values carry no stamp: use kind='timeseries'")
            return self._native.push(self._bytes(value))
        self._need("timeseries", "push")
        stamp = _native.monotonic_ns() if stamp is None else stamp
        seq = self._native.written() if seq is None else seq
        return self._native.push_stamped(stamp, seq, self._bytes(value))

    def heartbeat(self) -> None:
        """Refreshes the heartbeat; a publisher idle for longer than its readers' staleness
        threshold calls it to stay ``alive``."""
        self._native.heartbeat()

    def persist(self) -> None:
        """Keeps the segment after this publisher closes (remove it with :func:`remove`)."""
        self._native.persist()

    @property
    def epoch(self) -> int:
        """The number of takeovers the segment has seen."""
        return self._native.epoch()

    @property
    def written(self) -> int:
        """Values written so far."""
        return self._native.written()

    def close(self) -> None:
        """Releases the segment (removing it unless persisted). Idempotent."""
        self._native.close()

    def __enter__(self) -> "Publisher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<rtshm.Publisher {self._name!r} {self._kind} of {self._dtype}>"


class _Closed:
    """Stands in for a closed subscriber's native reader."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError("the subscriber is closed")


class Subscriber(_Typed):
    """A reader of a segment. Reads are wait-free and bounded: a value is never torn; a read
    that overlaps stores for too long raises :class:`BusyError`. Every read returns a copy.
    """

    def __init__(self, native: Any, name: str, dtype: np.dtype, kind: str) -> None:
        super().__init__(name, dtype, kind)
        self._native = native
        self._record = self._record_dtype()

    @classmethod
    def open(
        cls,
        name: str,
        dtype: Any = None,
        kind: Optional[Kind] = None,
        *,
        schema: Optional[int] = None,
        timeout: float = 1.0,
        wait: float = 0.0,
    ) -> "Subscriber":
        """Opens the segment ``name`` (``"imu"``, or ``"/imu"`` as POSIX spells it), waiting
        up to ``timeout`` seconds for a creator that is still initializing it, and up to
        ``wait`` seconds for a segment that does not exist yet to appear (a reader started
        before its publisher; the default fails at once). Without ``dtype`` the dtype is built
        from the segment's schema (:func:`segment_dtype`); without ``kind`` the segment's kind
        is taken. A ``dtype`` or ``kind`` given is checked against the segment.

        Raises :class:`NotFoundError`, :class:`KindMismatchError`,
        :class:`TypeMismatchError` (another dtype, naming the field, or schema id),
        :class:`InvalidSegmentError` (corrupt), :class:`NotInitializedError`.
        """
        if dtype is None or kind is None:
            found_kind, tree, _size = _native.describe(name, timeout, wait)
            if kind is None:
                kind = found_kind
            if found_kind == "queue":
                raise KindMismatchError(
                    f"segment {name!r} is a queue: its values belong to its consumer "
                    "(a Rust QueueConsumer); a Subscriber would read without popping them"
                )
            if dtype is None:
                if tree is None:
                    raise ValueError(f"segment {name!r} records no schema: pass its dtype")
                dtype = _tree_dtype(tree)
        dtype, kind, spec = _spec(dtype, kind, schema)
        native = _native.RawReader.open(name, *spec, timeout, wait)
        return cls(native, name, dtype, kind)

    def _record_dtype(self) -> np.dtype:
        """The stored record: the dtype, or for a time series ``Stamped<T>``."""
        if self._kind != "timeseries":
            return self._dtype
        record = np.dtype(
            {
                "names": ["stamp", "seq", "value"],
                "formats": ["<u8", "<u8", self._dtype],
                "offsets": [0, 8, self._native.value_offset],
                "itemsize": self._native.record_size,
            }
        )
        return record

    def _empty(self) -> tuple[np.ndarray, np.ndarray]:
        out = np.empty(1, self._record)
        return out, out.view(np.uint8)

    def _value(self, out: np.ndarray) -> Any:
        if self._kind == "timeseries":
            r = out[0]
            return Sample(int(r["stamp"]), r["value"], int(r["seq"]))
        return out[0]

    # ---- seqlock --------------------------------------------------------------------------

    def load(self) -> Any:
        """The latest value of a seqlock (zeros before the first store), retrying reads that
        overlap stores for up to 50 ms (Rust's ``LOAD_PATIENCE``); then raises
        :class:`BusyError` (the writer died or stopped mid-store)."""
        return self._load_patiently()[0]

    def try_load(self) -> Any:
        """The latest value of a seqlock (zeros before the first store). Raises
        :class:`BusyError` if every bounded attempt overlapped a store."""
        return self._load_versioned()[0]

    def load_if_newer(self, version: int) -> Optional[tuple[Any, int]]:
        """``(value, version)`` if a store newer than ``version`` has completed, else
        ``None`` (also while a newer value cannot be read: see :meth:`load`)."""
        self._need("seqlock", "load_if_newer")
        if self.version <= version:
            return None
        try:
            value, now = self._load_patiently()
        except BusyError:
            return None
        return (value, now) if now > version else None

    def _load_patiently(self) -> tuple[Any, int]:
        """:meth:`_load_versioned`, retried for up to ``_LOAD_PATIENCE`` seconds while reads
        overlap stores; then :class:`BusyError`."""
        deadline = time.monotonic() + _LOAD_PATIENCE
        while True:
            try:
                return self._load_versioned()
            except BusyError:
                if time.monotonic() >= deadline:
                    raise

    def _load_versioned(self) -> tuple[Any, int]:
        """The latest value of a seqlock and its version (stores completed)."""
        self._need("seqlock", "load")
        out, raw = self._empty()
        latest = self._native.latest_into(raw)
        return out[0], 0 if latest is None else latest + 1

    @property
    def version(self) -> int:
        """A seqlock's stores completed so far (its version)."""
        return self._native.written()

    def wait_newer(self, version: int, timeout: float) -> tuple[Any, int]:
        """Blocks (GIL released, no CPU while asleep) until a store newer than ``version``
        completes; returns the value and its version. Raises :class:`TimedOutError` after
        ``timeout`` seconds."""
        self._need("seqlock", "wait_newer")
        deadline = _deadline(timeout)
        while True:
            remaining = max(0.0, deadline - time.monotonic())
            if self._native.wait_beyond(version, remaining) is None:
                raise TimedOutError(f"no store newer than version {version} in {timeout} s")
            try:
                value, now = self._load_versioned()
            except BusyError:
                continue
            if now > version:
                return value, now

    # ---- ring and time series -------------------------------------------------------------

    @property
    def written(self) -> int:
        """Values written so far."""
        return self._native.written()

    @property
    def capacity(self) -> int:
        """Slots (1 for a seqlock)."""
        return self._native.capacity

    def latest(self) -> Any:
        """The newest value: ``(write number, value)`` for a ring, a :class:`Sample` for a
        time series, ``None`` if nothing was written."""
        self._need_slots("latest")
        out, raw = self._empty()
        n = self._native.latest_into(raw)
        if n is None:
            return None
        return self._value(out) if self._kind == "timeseries" else (n, out[0])

    def get(self, number: int) -> Any:
        """Write number ``number``. Raises :class:`OverwrittenError` (with the ``oldest``
        still held) or :class:`NotYetError`."""
        self._need_slots("get")
        out, raw = self._empty()
        self._native.get_into(number, raw)
        return self._value(out)

    def cursor(self, start: Literal["oldest", "newest", "next"] | int = "oldest") -> "Cursor":
        """A cursor reading values in write order from the oldest value held, the newest,
        the next one written, or a write number (a saved :attr:`Cursor.position`)."""
        self._need_slots("cursor")
        if isinstance(start, int) and not isinstance(start, bool):
            if not 0 <= start < 2**64:
                raise ValueError(f"a cursor position is a write number, not {start}")
            return Cursor(self, start)
        written = self._native.written()
        if start == "oldest":
            position = max(0, written - self.capacity)
        elif start == "newest":
            position = max(0, written - 1)
        elif start == "next":
            position = written
        else:
            raise ValueError("start must be 'oldest', 'newest', 'next' or a write number")
        return Cursor(self, position)

    def _need_slots(self, operation: str) -> None:
        if self._kind == "seqlock":
            raise TypeError(f"{operation}() is for a ring or time series; this is a seqlock")

    # ---- time series ----------------------------------------------------------------------

    def latest_if_fresh(self, max_age: int, now: Optional[int] = None) -> Optional[Sample]:
        """The newest sample if its stamp is at most ``max_age`` ns older than ``now``
        (default :func:`monotonic_ns`), else ``None``."""
        self._need("timeseries", "latest_if_fresh")
        sample = self.latest()
        now = _native.monotonic_ns() if now is None else now
        if sample is None or now - sample.stamp > max_age:
            return None
        return sample

    def closest(self, t: int, max_distance: int) -> Optional[Sample]:
        """The sample stamped nearest to ``t`` (ns) if at most ``max_distance`` ns away; the
        earlier one on a tie."""
        self._need("timeseries", "closest")
        out, raw = self._empty()
        if not self._native.closest_into(t, max_distance, raw):
            return None
        return self._value(out)

    def interpolation_pair(self, t: int) -> tuple[Sample, Sample, float]:
        """The samples around ``t`` and ``alpha = (t - before.stamp) / (after.stamp -
        before.stamp)`` (an exact hit gives the same sample twice and 0.0). Raises
        :class:`EmptyError` or :class:`OutOfRangeError` (never extrapolates)."""
        self._need("timeseries", "interpolation_pair")
        before, before_raw = self._empty()
        after, after_raw = self._empty()
        alpha = self._native.pair_into(t, before_raw, after_raw)
        return self._value(before), self._value(after), alpha

    def interpolate(self, t: int, lerp: Optional[Callable[[Any, Any, float], Any]] = None) -> Any:
        """The value at ``t`` interpolated between the samples around it: ``lerp(before,
        after, alpha)``, by default linear on every numeric field (a quaternion wants its own
        ``lerp``, e.g. slerp)."""
        b, a, alpha = self.interpolation_pair(t)
        if lerp is not None:
            return lerp(b.value, a.value, alpha)
        return _lerp(b.value, a.value, alpha, self._dtype)

    # ---- writer ---------------------------------------------------------------------------

    def writer_status(self, threshold: float = 1.0) -> WriterStatus:
        """The writer's liveness, ``stale`` when its heartbeat is older than ``threshold``
        seconds."""
        return WriterStatus(*self._native.writer_status(threshold))

    @property
    def writer_pid(self) -> Optional[int]:
        """The writer's process id, if the segment has one."""
        return self._native.writer_pid()

    @property
    def epoch(self) -> int:
        """The number of takeovers the segment has seen."""
        return self._native.epoch()

    def close(self) -> None:
        """Unmaps the segment now (never removes it). Idempotent; any later read raises
        ``RuntimeError``."""
        self._native = _Closed()

    def __enter__(self) -> "Subscriber":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<rtshm.Subscriber {self._name!r} {self._kind} of {self._dtype}>"


def _lerp(b: Any, a: Any, alpha: float, dtype: np.dtype) -> Any:
    """Linear interpolation of every numeric field (integers rounded)."""
    if dtype.names is None:
        bv, av = np.asarray(b), np.asarray(a)
        mixed = bv + (av.astype(np.float64) - bv) * alpha
        if np.issubdtype(bv.dtype, np.integer):
            mixed = np.rint(mixed)
        return np.asarray(mixed).astype(bv.dtype)[()]
    out = np.zeros((), dtype)
    for field in dtype.names:
        out[field] = _lerp(b[field], a[field], alpha, dtype.fields[field][0])
    return out[()]


class Cursor:
    """A reader's position in a ring or time series: reads values in write order and reports
    the ones the writer overwrote first. Create it with :meth:`Subscriber.cursor`.

    ``next()`` raises :class:`LappedError` on a lap; iterating yields the values available now
    and counts laps in :attr:`laps` and :attr:`missed` instead.
    """

    def __init__(self, subscriber: Subscriber, position: int) -> None:
        self._subscriber = subscriber
        self.position = position
        #: Laps met so far (iteration and next()).
        self.laps = 0
        #: Values lost to laps so far.
        self.missed = 0

    def next(self) -> Any:
        """The next value (a value for a ring, a :class:`Sample` for a time series), or
        ``None`` when the cursor has caught up. Raises :class:`LappedError` when values were
        overwritten first (the cursor moves to the oldest one held)."""
        sub = self._subscriber
        out, raw = sub._empty()
        self.position, read, missed = sub._native.next_into(self.position, raw)
        if missed:
            self.laps += 1
            self.missed += missed
            raise LappedError(
                f"lapped by the writer: {missed} values overwritten before they were read",
                missed=missed,
            )
        return None if read is None else sub._value(out)

    def wait_next(self, timeout: float) -> Any:
        """Blocks (GIL released) until the next value is written and returns it. Raises
        :class:`TimedOutError` after ``timeout`` seconds, :class:`LappedError` on a lap."""
        deadline = _deadline(timeout)
        while True:
            value = self.next()
            if value is not None:
                return value
            remaining = max(0.0, deadline - time.monotonic())
            if self._subscriber._native.wait_beyond(self.position, remaining) is None:
                raise TimedOutError(f"no value after {timeout} s")

    def __iter__(self) -> Iterator[Any]:
        while True:
            try:
                value = self.next()
            except LappedError:
                continue
            if value is None:
                return
            yield value

    def __repr__(self) -> str:
        return f"<rtshm.Cursor at {self.position}, {self.laps} laps, {self.missed} missed>"


def list() -> _list[dict]:  # noqa: A001 (rtshm.list mirrors rtshm::shm::list)
    """Every rtshm segment in ``/dev/shm``: dicts with ``name``, ``kind``, ``record_size``,
    ``capacity``, ``fingerprint``, ``size``, ``created_ns``, ``written``, ``writer``
    (``alive``/``stale``/``dead``/``unowned``), ``heartbeat_age``, ``writer_pid`` and
    ``epoch``; a corrupt segment has ``name`` and ``error`` only."""
    return _native.list_segments()


def remove(name: str) -> None:
    """Unlinks the segment ``name`` (readers that have it open keep their mapping)."""
    _native.remove(name)
