//! The header format: magic, version, kind, the two header lines and the page offsets.

use core::fmt;
use core::mem::{offset_of, size_of};

use super::Geometry;
use crate::ring::RingHead;
use crate::time::Clock;

/// `b"RTSHM\0\0\0"` as a little-endian `u64`: the first eight bytes of every segment.
pub const MAGIC: u64 = u64::from_le_bytes(*b"RTSHM\0\0\0");

/// The layout version this crate writes and reads. 0 in a header means "still initializing".
///
/// Version 2 added `value_size` to the header, so that tools can read a time series' samples
/// with the same access widths as its writer without knowing the type. Version 3 moved the
/// futex word to the readers' page (a sleeping bit and a wake epoch, no waiter count) and
/// records the owner's PID namespace. Version 4 stores the payload's schema in the header page
/// ([`SCHEMA_OFFSET`]) and makes the fingerprint its hash.
pub const LAYOUT_VERSION: u32 = 4;

/// Byte offset of the schema block in the header page: `encoding u32` ([`SCHEMA_ENCODING`], or
/// 0 for a segment without a schema), `len u32`, then `len` bytes of encoded schema
/// (`rtshm_schema`'s binary form, FORMAT.md), written by the creator before the layout version.
pub const SCHEMA_OFFSET: usize = 256;
/// The version of the schema encoding in a schema block.
pub const SCHEMA_ENCODING: u32 = 1;
/// The largest encoded schema a segment holds: the rest of the header page.
pub const SCHEMA_MAX_LEN: usize = LAYOUT_PAGE - SCHEMA_OFFSET - 8;

/// The unit of the layout: the largest page size Linux uses on x86_64 and aarch64, so that the
/// header, the readers' page and the data can be mapped with different protections everywhere.
/// Untouched pages of a tmpfs or memfd segment take no memory.
pub const LAYOUT_PAGE: usize = 64 * 1024;

/// Byte offset of the readers' page.
pub const READERS_OFFSET: usize = LAYOUT_PAGE;
/// Byte offset of the structure.
pub const DATA_OFFSET: usize = 2 * LAYOUT_PAGE;
/// Byte offset of a ring's first slot: its [`RingHead`] (one 128-byte line) comes first, so the
/// slots stay aligned for any payload alignment up to 128.
pub const SLOTS_OFFSET: usize = DATA_OFFSET + size_of::<RingHead>();

/// The structure a segment holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
#[non_exhaustive]
pub enum Kind {
    /// A [`SeqLock`](crate::SeqLock) of one value.
    SeqLock = 1,
    /// A [`Ring`](crate::Ring) of values.
    Ring = 2,
    /// A [`TimeSeries`](crate::TimeSeries): a ring of [`Stamped`](crate::Stamped) values.
    TimeSeries = 3,
    /// A lossless single-producer single-consumer queue (the shared-memory form of
    /// [`Queue`](crate::Queue)): the producer's index and slots in the data, the consumer's
    /// index on the readers' page.
    Queue = 4,
}

impl Kind {
    /// Values written so far, from the structure's first word: completed stores of a SeqLock
    /// (its sequence over 2: a store in progress is not counted), the head of a ring.
    #[cfg(all(feature = "std", not(rtshm_loom)))] // used by `shm` only
    #[must_use]
    pub(crate) const fn writes(self, first_word: u64) -> u64 {
        match self {
            Self::SeqLock => first_word / 2,
            Self::Ring | Self::TimeSeries | Self::Queue => first_word,
        }
    }

    /// The kind stored as `raw` in a header, if it is one.
    #[must_use]
    pub const fn from_raw(raw: u32) -> Option<Self> {
        match raw {
            1 => Some(Self::SeqLock),
            2 => Some(Self::Ring),
            3 => Some(Self::TimeSeries),
            4 => Some(Self::Queue),
            _ => None,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SeqLock => "SeqLock",
            Self::Ring => "Ring",
            Self::TimeSeries => "TimeSeries",
            Self::Queue => "Queue",
        })
    }
}

/// The header's first cache line, written once by the creator. All fields little-endian host
/// order (rtshm runs on little-endian targets only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
#[allow(
    clippy::exhaustive_structs,
    reason = "the on-disk header format: a repr(C) layout changed only with the layout version"
)]
pub struct HeaderLine0 {
    /// [`MAGIC`].
    pub magic: u64,
    /// [`LAYOUT_VERSION`], stored last with `Release`; 0 while the creator initializes.
    pub layout_version: u32,
    /// [`Kind`] as `u32`.
    pub kind: u32,
    /// The payload type's fingerprint ([`fingerprint`](super::fingerprint) or a schema id).
    pub fingerprint: u64,
    /// `size_of` the stored value type (`T`, or `Stamped<T>` for a time series).
    pub payload_size: u32,
    /// `align_of` the stored value type.
    pub payload_align: u32,
    /// Number of slots (1 for a SeqLock).
    pub capacity: u64,
    /// [`Clock`] of the stamps, as `u32` (0 monotonic, 1 realtime, 2 user, 3 another host's
    /// monotonic, 4 another host's realtime).
    pub clock: u32,
    /// Reserved, 0.
    pub flags: u32,
    /// The segment's length in bytes; must equal the file size.
    pub total_len: u64,
    /// Creation time, `CLOCK_REALTIME` nanoseconds.
    pub created_ns: u64,
    /// `size_of` the user's value type: `payload_size` for a SeqLock or Ring, the size of `T` in
    /// `Stamped<T>` for a time series (whose `payload_size` includes the stamp, the sequence
    /// number and trailing padding).
    pub value_size: u32,
    /// Reserved, 0.
    pub reserved: u32,
}

static_assertions::const_assert_eq!(offset_of!(HeaderLine0, magic), 0);
static_assertions::const_assert_eq!(offset_of!(HeaderLine0, layout_version), 8);
static_assertions::const_assert_eq!(offset_of!(HeaderLine0, kind), 12);
static_assertions::const_assert_eq!(offset_of!(HeaderLine0, fingerprint), 16);
static_assertions::const_assert_eq!(offset_of!(HeaderLine0, payload_size), 24);
static_assertions::const_assert_eq!(offset_of!(HeaderLine0, payload_align), 28);
static_assertions::const_assert_eq!(offset_of!(HeaderLine0, capacity), 32);
static_assertions::const_assert_eq!(offset_of!(HeaderLine0, clock), 40);
static_assertions::const_assert_eq!(offset_of!(HeaderLine0, flags), 44);
static_assertions::const_assert_eq!(offset_of!(HeaderLine0, total_len), 48);
static_assertions::const_assert_eq!(offset_of!(HeaderLine0, created_ns), 56);
static_assertions::const_assert_eq!(offset_of!(HeaderLine0, value_size), 64);
static_assertions::const_assert_eq!(offset_of!(HeaderLine0, reserved), 68);
static_assertions::const_assert_eq!(size_of::<HeaderLine0>(), 72);
static_assertions::const_assert!(size_of::<HeaderLine0>() <= WRITER_LINE_OFFSET);

// SAFETY: `repr(C)` of integers whose offsets (asserted above) leave no padding; every bit
// pattern is a valid (if invalid-looking) header, which `validate` checks.
unsafe impl bytemuck::Zeroable for HeaderLine0 {}
// SAFETY: as above.
unsafe impl bytemuck::Pod for HeaderLine0 {}

/// Byte offset of the writer-owned header line (owner u64, epoch u64, heartbeat_ns u64,
/// pid_ns u64, barrier u64, lost_upstream u64).
pub const WRITER_LINE_OFFSET: usize = 128;
/// Byte offset of `owner`, the writer's [`OwnerToken`](crate::liveness::OwnerToken) word.
pub const OWNER_OFFSET: usize = WRITER_LINE_OFFSET;
/// Byte offset of `epoch`, the number of takeovers.
pub const EPOCH_OFFSET: usize = WRITER_LINE_OFFSET + 8;
/// Byte offset of `heartbeat_ns`, the writer's last heartbeat (`CLOCK_MONOTONIC` ns).
pub const HEARTBEAT_OFFSET: usize = WRITER_LINE_OFFSET + 16;
/// Byte offset of `pid_ns`, the owner's PID namespace
/// ([`PidNamespace`](crate::liveness::PidNamespace)): its PID means something only there.
pub const PID_NS_OFFSET: usize = WRITER_LINE_OFFSET + 24;
/// Byte offset of `barrier`, the wait handshake the writer uses (u64): 0 symmetric (`SeqCst`
/// fences on both sides), 1 asymmetric (a compiler fence on the writer's side, `membarrier`
/// on the sleeping reader's; see `wait.rs`). Written by the writer before its first store.
pub const BARRIER_OFFSET: usize = WRITER_LINE_OFFSET + 32;
/// Byte offset of `lost_upstream`, values lost before they reached this writer (u64): a
/// bridge's import counts the gaps in the remote write numbers there; 0 for a local writer.
/// Written by the writer only (`Relaxed`), kept across takeovers.
pub const LOST_UPSTREAM_OFFSET: usize = WRITER_LINE_OFFSET + 40;
/// Byte offset of `notify`, the 32-bit futex word readers sleep on (readers' page): bit 0 "a
/// reader may be sleeping", bits 1..31 the wake epoch (ARCHITECTURE.md, "Blocking waits").
pub const NOTIFY_OFFSET: usize = READERS_OFFSET;

/// The clock stored as `raw` in a header.
#[must_use]
pub const fn clock_from_raw(raw: u32) -> Option<Clock> {
    match raw {
        0 => Some(Clock::Monotonic),
        1 => Some(Clock::Realtime),
        2 => Some(Clock::User),
        3 => Some(Clock::RemoteMonotonic),
        4 => Some(Clock::RemoteRealtime),
        _ => None,
    }
}

/// The raw header value of `clock`.
#[must_use]
pub const fn clock_to_raw(clock: Clock) -> u32 {
    match clock {
        Clock::Monotonic => 0,
        Clock::Realtime => 1,
        Clock::User => 2,
        Clock::RemoteMonotonic => 3,
        Clock::RemoteRealtime => 4,
    }
}

/// The header a creator writes for `geometry` (with `layout_version` 0: the creator stores
/// [`LAYOUT_VERSION`] last, with `Release`).
#[must_use]
pub fn header_for(
    geometry: &Geometry,
    fingerprint: u64,
    clock: Clock,
    created_ns: u64,
) -> HeaderLine0 {
    HeaderLine0 {
        magic: MAGIC,
        layout_version: 0,
        kind: geometry.kind as u32,
        fingerprint,
        payload_size: u32::try_from(geometry.payload_size).unwrap_or(u32::MAX),
        payload_align: u32::try_from(geometry.payload_align).unwrap_or(u32::MAX),
        capacity: geometry.capacity as u64,
        clock: clock_to_raw(clock),
        flags: 0,
        total_len: geometry.total_len as u64,
        created_ns,
        value_size: u32::try_from(geometry.value_size).unwrap_or(u32::MAX),
        reserved: 0,
    }
}
