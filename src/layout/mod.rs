//! The memory layout of a shared-memory segment, and the validation of a header read from one.
//!
//! A segment is a header page, a readers' page, and the structure (a [`SeqLock`], a ring of
//! [`Slot`]s or a time series) from the third page on. Pages are [`LAYOUT_PAGE`] bytes, so that
//! readers can map the header and the data read-only and only the readers' page read-write on
//! any Linux page size (4, 16 or 64 KiB).
//!
//! ```text
//! offset 0      line 0 (written once by the creator): magic, layout_version (stored last),
//!               kind, fingerprint, payload size/align, capacity, clock, flags, total_len,
//!               created_ns, value_size
//! offset 128    line 1 (writer-owned): owner, epoch, heartbeat_ns, owner's PID namespace,
//!               the wait handshake (barrier), values lost upstream
//! offset 256    the schema block: encoding version, length, the encoded schema
//! LAYOUT_PAGE   readers' page: notify (futex word: sleeping bit + wake epoch)
//! 2*LAYOUT_PAGE the structure
//! ```
//!
//! Everything here is pure arithmetic on values the caller read, with checked operations: a
//! hostile header yields an error, never an overflow, a panic or an out-of-bounds offset. Opening
//! code snapshots the [`Geometry`] once and never re-reads it from shared memory.
//!
//! [`SeqLock`]: crate::SeqLock
//! [`Slot`]: crate::Slot
mod geometry;
mod header;
mod schema;
mod validate;

#[cfg(all(feature = "std", not(rtshm_loom)))] // used by `shm` only
pub(crate) use geometry::QUEUE_SLOTS_AT;
pub use geometry::{Geometry, MAX_PAYLOAD_ALIGN, Shape};
pub use header::{
    BARRIER_OFFSET, DATA_OFFSET, EPOCH_OFFSET, HEARTBEAT_OFFSET, HeaderLine0, Kind, LAYOUT_PAGE,
    LAYOUT_VERSION, LOST_UPSTREAM_OFFSET, MAGIC, NOTIFY_OFFSET, OWNER_OFFSET, PID_NS_OFFSET,
    READERS_OFFSET, SCHEMA_ENCODING, SCHEMA_MAX_LEN, SCHEMA_OFFSET, SLOTS_OFFSET,
    WRITER_LINE_OFFSET, clock_from_raw, clock_to_raw, header_for,
};
pub use schema::{fingerprint, schema_id};
pub use validate::{Expected, LayoutError, check_version, validate, validate_raw, validate_shape};

#[cfg(all(test, not(rtshm_loom)))]
mod tests;
