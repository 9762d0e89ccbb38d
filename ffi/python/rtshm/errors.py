"""The exceptions of rtshm: one class per error of the Rust crate, with the same meaning.

Every class derives from :class:`RtshmError`; where a built-in exception means the same thing
(``FileNotFoundError``, ``TimeoutError``...) the class derives from it too, so
``except FileNotFoundError`` works as expected. Attributes carry the details the Rust error has
(``found``/``expected`` fingerprints, the live writer's ``pid``, the values ``missed``...).
"""

from __future__ import annotations

__all__ = [
    "RtshmError",
    "NotFoundError",
    "AlreadyExistsError",
    "PermissionDeniedError",
    "InvalidNameError",
    "InvalidSegmentError",
    "NotInitializedError",
    "VersionMismatchError",
    "KindMismatchError",
    "TypeMismatchError",
    "WriterAliveError",
    "BusyError",
    "TimedOutError",
    "LappedError",
    "OverwrittenError",
    "NotYetError",
    "NonMonotonicError",
    "InterpolationError",
    "EmptyError",
    "OutOfRangeError",
]


class RtshmError(Exception):
    """Base of every rtshm error. Keyword arguments become attributes."""

    def __init__(self, message: str = "", **details: object) -> None:
        super().__init__(message)
        for key, value in details.items():
            setattr(self, key, value)


class NotFoundError(RtshmError, FileNotFoundError):
    """No segment of that name."""


class AlreadyExistsError(RtshmError, FileExistsError):
    """A segment of that name exists already (create it once; take it over with
    ``Publisher.open_existing`` or ``Publisher.create_or_recover``)."""


class PermissionDeniedError(RtshmError, PermissionError):
    """The segment's file mode does not allow this process in."""


class InvalidNameError(RtshmError, ValueError):
    """Not a valid segment name (1 to 255 bytes, no ``/``, not ``.`` or ``..``)."""


class InvalidSegmentError(RtshmError):
    """The segment's header does not describe the segment asked for (corrupt, truncated,
    or a different layout)."""


class NotInitializedError(InvalidSegmentError):
    """The creator did not finish initializing the segment within the timeout."""


class VersionMismatchError(InvalidSegmentError):
    """Written by an rtshm of another layout version (``found``, ``expected``)."""


class KindMismatchError(InvalidSegmentError):
    """The segment holds another structure (a ring, not a seqlock...)."""


class TypeMismatchError(InvalidSegmentError):
    """The segment's payload type differs from the dtype (or schema) asked for: another
    schema id (``found``, ``expected`` fingerprints), or the same schema id with another size
    or alignment."""


class WriterAliveError(RtshmError):
    """The segment's writer (process ``pid``) is alive: there is one writer at a time."""


class BusyError(RtshmError):
    """Every bounded read attempt overlapped a store (a writer faster than the copy, or one
    that died mid-store). Retry, or check ``writer_status()``."""


class TimedOutError(RtshmError, TimeoutError):
    """A wait ended because its timeout passed."""


class LappedError(RtshmError):
    """The writer overwrote ``missed`` values before the cursor read them; the cursor moved to
    the oldest value still held."""


class OverwrittenError(RtshmError, LookupError):
    """The requested write number is gone; ``oldest`` is the oldest still held."""


class NotYetError(RtshmError, LookupError):
    """The requested write number was not written yet (``written`` so far)."""


class NonMonotonicError(RtshmError, ValueError):
    """A time series stamp (``given``) earlier than the last one pushed (``last``)."""


class InterpolationError(RtshmError):
    """No interpolation at the requested time."""


class EmptyError(InterpolationError, LookupError):
    """The time series holds no value."""


class OutOfRangeError(InterpolationError, LookupError):
    """``requested`` is outside the stamps held (``oldest`` to ``newest``): rtshm never
    extrapolates."""
