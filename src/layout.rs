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
//! offset 128    line 1 (writer-owned): owner, epoch, heartbeat_ns, owner's PID namespace
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

use core::fmt;
use core::mem::{align_of, offset_of, size_of};

use crate::Payload;
use crate::ring::{Capacity, CapacityError, RingHead};
use crate::seqlock::SeqLock;
use crate::time::Clock;

/// `b"RTSHM\0\0\0"` as a little-endian `u64`: the first eight bytes of every segment.
pub const MAGIC: u64 = u64::from_le_bytes(*b"RTSHM\0\0\0");

/// The layout version this crate writes and reads. 0 in a header means "still initializing".
///
/// Version 2 added `value_size` to the header, so that tools can read a time series' samples
/// with the same access widths as its writer without knowing the type. Version 3 moved the
/// futex word to the readers' page (a sleeping bit and a wake epoch, no waiter count) and
/// records the owner's PID namespace.
pub const LAYOUT_VERSION: u32 = 3;

/// The largest payload alignment a segment supports: a ring's slots start one [`RingHead`]
/// (128 bytes) into the page-aligned data.
pub const MAX_PAYLOAD_ALIGN: usize = core::mem::align_of::<RingHead>();

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
    /// A [`SeqLock`] of one value.
    SeqLock = 1,
    /// A [`Ring`](crate::Ring) of values.
    Ring = 2,
    /// A [`TimeSeries`](crate::TimeSeries): a ring of [`Stamped`](crate::Stamped) values.
    TimeSeries = 3,
}

impl Kind {
    /// Values written so far, from the structure's first word: completed stores of a SeqLock
    /// (its sequence over 2: a store in progress is not counted), the head of a ring.
    #[cfg(all(feature = "std", not(rtshm_loom)))] // used by `shm` only
    #[must_use]
    pub(crate) const fn writes(self, first_word: u64) -> u64 {
        match self {
            Self::SeqLock => first_word / 2,
            Self::Ring | Self::TimeSeries => first_word,
        }
    }

    /// The kind stored as `raw` in a header, if it is one.
    #[must_use]
    pub const fn from_raw(raw: u32) -> Option<Self> {
        match raw {
            1 => Some(Self::SeqLock),
            2 => Some(Self::Ring),
            3 => Some(Self::TimeSeries),
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
    /// The payload type's fingerprint ([`fingerprint`] or a schema id).
    pub fingerprint: u64,
    /// `size_of` the stored value type (`T`, or `Stamped<T>` for a time series).
    pub payload_size: u32,
    /// `align_of` the stored value type.
    pub payload_align: u32,
    /// Number of slots (1 for a SeqLock).
    pub capacity: u64,
    /// [`Clock`] of the stamps, as `u32` (0 monotonic, 1 realtime, 2 user).
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
/// pid_ns u64).
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
/// Byte offset of `notify`, the 32-bit futex word readers sleep on (readers' page): bit 0 "a
/// reader may be sleeping", bits 1..31 the wake epoch (ARCHITECTURE.md, "Blocking waits").
pub const NOTIFY_OFFSET: usize = READERS_OFFSET;

/// A 64-bit FNV-1a hash of `bytes`, continuing from `hash`.
const fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// A schema id named by a string: FNV-1a of `"rtshm-schema:"` followed by `name`.
///
/// Processes built separately, or written in other languages (the Python bindings), cannot
/// rely on the default [`fingerprint`], which hashes a Rust type name. They agree on a
/// schema instead: each side passes the same id, such as `schema_id("robot/Pose@1")`, as
/// `CreateOptions::schema`/`OpenOptions::schema` (`rtshm.schema_id` computes the same id in
/// Python). Version the name when the layout changes.
///
/// ```
/// use rtshm::layout::schema_id;
///
/// const POSE: u64 = schema_id("robot/Pose@1");
/// assert_ne!(POSE, schema_id("robot/Pose@2"));
/// ```
#[must_use]
pub const fn schema_id(name: &str) -> u64 {
    fnv1a(
        fnv1a(0xcbf2_9ce4_8422_2325, b"rtshm-schema:"),
        name.as_bytes(),
    )
}

/// The default fingerprint of a payload type: FNV-1a of its size, its alignment and its type
/// name with module paths removed (`rtshm::stamped::Stamped<my_robot::msg::Imu>` hashes as
/// `Stamped<Imu>`), so that two programs that define the same type in different crates or
/// modules agree.
///
/// Types with the same name, size and alignment but different fields are not told apart; and
/// `core::any::type_name` is not guaranteed stable across compiler versions. Programs built
/// separately or in other languages should agree on an explicit schema id instead
/// (`CreateOptions::schema`/`OpenOptions::schema` in `rtshm::shm`).
#[must_use]
pub fn fingerprint<T: Payload>() -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325;
    h = fnv1a(h, &(size_of::<T>() as u64).to_le_bytes());
    h = fnv1a(h, &(align_of::<T>() as u64).to_le_bytes());
    let name = core::any::type_name::<T>().as_bytes();
    // Hash the name without `path::` prefixes: skip every identifier followed by `::`.
    let mut i = 0;
    while i < name.len() {
        let start = i;
        while i < name.len() && (name[i].is_ascii_alphanumeric() || name[i] == b'_') {
            i += 1;
        }
        let is_path = name.len() >= i + 2 && &name[i..i + 2] == b"::";
        if is_path {
            i += 2;
        } else {
            h = fnv1a(h, &name[start..i]);
            if i < name.len() {
                h = fnv1a(h, &name[i..=i]);
                i += 1;
            }
        }
    }
    h
}

/// The shape of the values a segment stores, as its header records them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Shape {
    /// `size_of` the stored value (`T`, or `Stamped<T>` for a time series).
    pub size: usize,
    /// `align_of` the stored value.
    pub align: usize,
    /// `size_of` the user's value `T`.
    pub value_size: usize,
}

impl Shape {
    /// The shape of the stored value type `V` (`T`, or `Stamped<T>`).
    #[must_use]
    pub const fn of<V: Payload>() -> Self {
        Self {
            size: size_of::<V>(),
            align: align_of::<V>(),
            value_size: V::VALUE_SIZE,
        }
    }

    /// The shape `kind` stores for a user's value of `size` bytes aligned to `align` (a power
    /// of two, at most [`MAX_PAYLOAD_ALIGN`]): the value itself, or for a time series the
    /// `Stamped` record holding it (two `u64`s, the value at its alignment, trailing padding).
    /// `None` if the alignment is invalid or a size overflows.
    #[must_use]
    pub const fn stored(kind: Kind, size: usize, align: usize) -> Option<Self> {
        if !align.is_power_of_two() || align > MAX_PAYLOAD_ALIGN || !size.is_multiple_of(align) {
            return None;
        }
        match kind {
            Kind::SeqLock | Kind::Ring => Some(Self {
                size,
                align,
                value_size: size,
            }),
            Kind::TimeSeries => {
                let record_align = if align > 8 { align } else { 8 };
                // `16` rounded up to `align`, as `Geometry::stamped_value_at` computes it.
                let Some(value_at) = round_up(16, align) else {
                    return None;
                };
                let Some(end) = value_at.checked_add(size) else {
                    return None;
                };
                match round_up(end, record_align) {
                    Some(record) => Some(Self {
                        size: record,
                        align: record_align,
                        value_size: size,
                    }),
                    None => None,
                }
            }
        }
    }

    /// The shape recorded in `header`.
    #[must_use]
    pub fn in_header(header: &HeaderLine0) -> Self {
        let [size, align, value_size] =
            [header.payload_size, header.payload_align, header.value_size]
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        Self {
            size,
            align,
            value_size,
        }
    }
}

/// Where everything lives in a segment, computed from (validated) header fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Geometry {
    /// The structure.
    pub kind: Kind,
    /// `size_of` the stored value type.
    pub payload_size: usize,
    /// `align_of` the stored value type.
    pub payload_align: usize,
    /// `size_of` the user's value (`payload_size`, or `T`'s size in a time series of
    /// `Stamped<T>`).
    pub value_size: usize,
    /// Number of slots (1 for a SeqLock).
    pub capacity: usize,
    /// Bytes of the structure, from [`DATA_OFFSET`].
    pub data_len: usize,
    /// The whole segment.
    pub total_len: usize,
}

/// `n` rounded up to a multiple of the power of two `align`, or `None` on overflow.
const fn round_up(n: usize, align: usize) -> Option<usize> {
    match n.checked_add(align - 1) {
        Some(m) => Some(m & !(align - 1)),
        None => None,
    }
}

impl Geometry {
    /// The geometry of a segment holding `kind` of `V` (the stored value type: `T`, or
    /// `Stamped<T>` for a time series) with `capacity` slots.
    ///
    /// Computed from the types themselves (`size_of::<SeqLock<V>>()`, `size_of::<Slot<V>>()`),
    /// which typed handles index.
    pub fn of<V: Payload>(kind: Kind, capacity: usize) -> Result<Self, LayoutError> {
        if align_of::<V>() > MAX_PAYLOAD_ALIGN {
            return Err(LayoutError::AlignmentTooLarge {
                align: align_of::<V>() as u64,
            });
        }
        let data_len = match kind {
            Kind::SeqLock => {
                if capacity != 1 {
                    return Err(LayoutError::Corrupt("a SeqLock segment has capacity 1"));
                }
                size_of::<SeqLock<V>>()
            }
            Kind::Ring | Kind::TimeSeries => {
                let cap = Capacity::new(capacity).map_err(LayoutError::Capacity)?;
                cap.slot_bytes::<V>()
                    .map_err(LayoutError::Capacity)?
                    .checked_add(size_of::<RingHead>())
                    .ok_or(LayoutError::Corrupt("segment size overflows"))?
            }
        };
        let total_len = data_len
            .checked_add(DATA_OFFSET)
            .ok_or(LayoutError::Corrupt("segment size overflows"))?;
        Ok(Self {
            kind,
            payload_size: size_of::<V>(),
            payload_align: align_of::<V>(),
            value_size: V::VALUE_SIZE,
            capacity,
            data_len,
            total_len,
        })
    }

    /// The geometry described by raw header fields, for readers that do not know the payload
    /// type (tools such as [`Inspector`](crate::shm::Inspector)). Equal to [`Geometry::of`]
    /// for every payload type (tested), and checked: sizes that no type has, or that overflow,
    /// are errors.
    pub fn of_raw(
        kind: Kind,
        payload_size: usize,
        payload_align: usize,
        value_size: usize,
        capacity: usize,
    ) -> Result<Self, LayoutError> {
        if !payload_align.is_power_of_two() {
            return Err(LayoutError::Corrupt(
                "payload alignment is not a power of two",
            ));
        }
        if payload_align > MAX_PAYLOAD_ALIGN {
            return Err(LayoutError::AlignmentTooLarge {
                align: payload_align as u64,
            });
        }
        if !payload_size.is_multiple_of(payload_align) {
            return Err(LayoutError::Corrupt(
                "payload size is not a multiple of its alignment",
            ));
        }
        let mut geometry = Self {
            kind,
            payload_size,
            payload_align,
            value_size,
            capacity,
            data_len: 0,
            total_len: 0,
        };
        let value_fits = match kind {
            Kind::SeqLock | Kind::Ring => value_size == payload_size,
            // `Stamped<T>`: two `u64`s, `T` after them, then trailing padding shorter than the
            // alignment.
            Kind::TimeSeries => {
                payload_align >= 8
                    && (geometry.stamped_value_at())
                        .checked_add(value_size)
                        .is_some_and(|end| {
                            end <= payload_size && payload_size - end < payload_align
                        })
            }
        };
        if !value_fits {
            return Err(LayoutError::Corrupt(
                "value size does not fit the payload size",
            ));
        }
        let overflow = LayoutError::Corrupt("segment size overflows");
        let cell = geometry.cell_bytes().ok_or(overflow)?;
        geometry.data_len = match kind {
            Kind::SeqLock => {
                if capacity != 1 {
                    return Err(LayoutError::Corrupt("a SeqLock segment has capacity 1"));
                }
                cell
            }
            Kind::Ring | Kind::TimeSeries => {
                let cap = Capacity::new(capacity).map_err(LayoutError::Capacity)?;
                cap.get()
                    .checked_mul(cell)
                    .ok_or(LayoutError::Capacity(CapacityError::Overflow {
                        capacity,
                        slot_bytes: cell,
                    }))?
                    .checked_add(size_of::<RingHead>())
                    .ok_or(overflow)?
            }
        };
        geometry.total_len = geometry.data_len.checked_add(DATA_OFFSET).ok_or(overflow)?;
        Ok(geometry)
    }

    /// The alignment of a SeqLock or slot: its `u64` sequence's, or the payload's if larger.
    const fn cell_align(&self) -> usize {
        if self.payload_align > 8 {
            self.payload_align
        } else {
            8
        }
    }

    /// Byte offset of the value inside a SeqLock (after the sequence and the writer flag) or a
    /// slot (after the sequence).
    pub(crate) const fn value_in_cell(&self) -> usize {
        let after_seq = match self.kind {
            Kind::SeqLock => 9,
            Kind::Ring | Kind::TimeSeries => 8,
        };
        // Cannot overflow: both operands are at most `MAX_PAYLOAD_ALIGN`.
        (after_seq + self.cell_align() - 1) & !(self.cell_align() - 1)
    }

    /// Byte offset of `value` in a time series' `Stamped<T>` records: after the two `u64`s,
    /// aligned to `T` (whose alignment the record's is, when above 8).
    pub const fn stamped_value_at(&self) -> usize {
        // Cannot overflow: the alignment is at most `MAX_PAYLOAD_ALIGN` (checked first).
        (16 + self.payload_align - 1) & !(self.payload_align - 1)
    }

    /// Bytes of the SeqLock, or of one slot (the stride of a ring's slots).
    pub(crate) const fn cell_bytes(&self) -> Option<usize> {
        let Some(value) = round_up(self.payload_size, self.cell_align()) else {
            return None;
        };
        match self.value_in_cell().checked_add(value) {
            Some(end) => round_up(end, self.cell_align()),
            None => None,
        }
    }
}

/// What the opener expects to find.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(
    clippy::exhaustive_structs,
    reason = "what an opener expects is exactly a kind and a fingerprint"
)]
pub struct Expected {
    /// The structure.
    pub kind: Kind,
    /// The payload fingerprint.
    pub fingerprint: u64,
}

/// Why a header does not describe the segment the opener expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LayoutError {
    /// The file is shorter than a header, or shorter than its header says.
    TooSmall {
        /// The file's size.
        len: u64,
        /// The size needed.
        needed: u64,
    },
    /// The creator has not finished initializing (layout version 0).
    NotInitialized,
    /// Not an rtshm segment.
    BadMagic {
        /// The first eight bytes.
        found: u64,
    },
    /// Written by an incompatible rtshm.
    VersionMismatch {
        /// The version in the header.
        found: u32,
        /// [`LAYOUT_VERSION`].
        expected: u32,
    },
    /// A different structure.
    KindMismatch {
        /// The kind in the header (raw, it may be no valid kind at all).
        found: u32,
        /// The kind asked for.
        expected: Kind,
    },
    /// A different payload type.
    TypeMismatch {
        /// The fingerprint in the header.
        found: u64,
        /// The fingerprint of the type asked for.
        expected: u64,
        /// The size and alignment of the values the segment stores.
        found_shape: Shape,
        /// The size and alignment of the values asked for.
        expected_shape: Shape,
        /// The name of the type asked for (empty for a type known only at run time).
        expected_type: &'static str,
    },
    /// The capacity in the header is invalid.
    Capacity(crate::ring::CapacityError),
    /// The fingerprints (schema ids) agree but the stored values' sizes or alignments do not:
    /// the two sides gave the same schema to different layouts.
    PayloadMismatch {
        /// The shape in the header.
        found: Shape,
        /// The shape the opener expects.
        expected: Shape,
    },
    /// The payload's alignment is above [`MAX_PAYLOAD_ALIGN`].
    AlignmentTooLarge {
        /// The alignment.
        align: u64,
    },
    /// Another inconsistency, named.
    Corrupt(&'static str),
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::TooSmall { len, needed } => write!(
                f,
                "segment is {len} bytes but needs {needed}: truncated or not an rtshm segment"
            ),
            Self::NotInitialized => {
                f.write_str("segment is still being initialized by its creator")
            }
            Self::BadMagic { found } => {
                write!(f, "not an rtshm segment (magic {found:#018x})")
            }
            Self::VersionMismatch { found, expected } => write!(
                f,
                "segment has layout version {found}, this rtshm reads version {expected}"
            ),
            Self::KindMismatch { found, expected } => match Kind::from_raw(found) {
                Some(k) => write!(f, "segment holds a {k}, not a {expected}"),
                None => write!(f, "segment kind {found} is unknown (expected a {expected})"),
            },
            Self::TypeMismatch {
                found,
                expected,
                found_shape: fs,
                expected_shape: es,
                expected_type,
            } => {
                let ty = TypeName(expected_type);
                if fs == es {
                    write!(
                        f,
                        "segment stores values of the same shape as {ty} ({} bytes, align {}) \
                         but of another type (fingerprint {found:#018x}, not {expected:#018x}): \
                         fields in another order, or another type of that size",
                        es.size, es.align
                    )
                } else {
                    write!(
                        f,
                        "segment stores {}-byte values aligned to {} (fingerprint \
                         {found:#018x}), not {ty} ({} bytes, align {}, fingerprint \
                         {expected:#018x}): the processes disagree on the value type",
                        fs.size, fs.align, es.size, es.align
                    )
                }
            }
            Self::PayloadMismatch { found, expected } => write!(
                f,
                "segment stores {}-byte values aligned to {} ({} bytes of user value), not the \
                 {}-byte values aligned to {} ({} bytes) requested: the schema id names two \
                 layouts",
                found.size,
                found.align,
                found.value_size,
                expected.size,
                expected.align,
                expected.value_size
            ),
            Self::Capacity(e) => write!(f, "segment capacity is invalid: {e}"),
            Self::AlignmentTooLarge { align } => write!(
                f,
                "payload alignment {align} is above the {MAX_PAYLOAD_ALIGN} bytes a segment supports"
            ),
            Self::Corrupt(what) => write!(f, "segment header is corrupt: {what}"),
        }
    }
}

impl core::error::Error for LayoutError {}

/// A requested type's name in an error message.
struct TypeName(&'static str);

impl fmt::Display for TypeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("the requested type")
        } else {
            write!(f, "`{}`", self.0)
        }
    }
}

/// Validates a header snapshot against the file length and what the opener expects, and
/// returns the geometry to use. `V` is the stored value type (`T`, or `Stamped<T>`).
///
/// Checks, in order: the file holds a header; magic; version (0: [`LayoutError::NotInitialized`]);
/// kind; fingerprint; payload size, alignment and value size; flags; clock; capacity;
/// `total_len` against the geometry computed here and against `file_len`. Every computation is
/// checked.
pub fn validate<V: Payload>(
    header: &HeaderLine0,
    file_len: u64,
    expected: Expected,
) -> Result<Geometry, LayoutError> {
    let name = core::any::type_name::<V>();
    check_expected(header, file_len, expected, Shape::of::<V>(), name)?;
    check_geometry(header, file_len, |capacity| {
        Geometry::of::<V>(expected.kind, capacity)
    })
}

/// [`validate`] for a stored value known only by its [`Shape`] (a payload type described at
/// run time, such as a Python dtype): the same checks, with the geometry computed by
/// [`Geometry::of_raw`].
pub fn validate_shape(
    header: &HeaderLine0,
    file_len: u64,
    expected: Expected,
    shape: Shape,
) -> Result<Geometry, LayoutError> {
    check_expected(header, file_len, expected, shape, "")?;
    check_geometry(header, file_len, |capacity| {
        Geometry::of_raw(
            expected.kind,
            shape.size,
            shape.align,
            shape.value_size,
            capacity,
        )
    })
}

/// The checks of a typed opener before the geometry's: identity, kind, fingerprint, shape.
fn check_expected(
    header: &HeaderLine0,
    file_len: u64,
    expected: Expected,
    shape: Shape,
    type_name: &'static str,
) -> Result<(), LayoutError> {
    check_identity(header, file_len)?;
    if header.kind != expected.kind as u32 {
        return Err(LayoutError::KindMismatch {
            found: header.kind,
            expected: expected.kind,
        });
    }
    if header.fingerprint != expected.fingerprint {
        return Err(LayoutError::TypeMismatch {
            found: header.fingerprint,
            expected: expected.fingerprint,
            found_shape: Shape::in_header(header),
            expected_shape: shape,
            expected_type: type_name,
        });
    }
    let found = Shape::in_header(header);
    if found != shape {
        return Err(LayoutError::PayloadMismatch {
            found,
            expected: shape,
        });
    }
    Ok(())
}

/// Validates a header snapshot against the file length without knowing the payload type, for
/// tools that show any segment: the checks of [`validate`] except kind and fingerprint
/// matching, with the payload's size, alignment and value size checked for consistency
/// instead ([`Geometry::of_raw`]).
pub fn validate_raw(header: &HeaderLine0, file_len: u64) -> Result<Geometry, LayoutError> {
    check_identity(header, file_len)?;
    let kind = Kind::from_raw(header.kind).ok_or(LayoutError::Corrupt("unknown kind"))?;
    let shape = Shape::in_header(header);
    check_geometry(header, file_len, |capacity| {
        Geometry::of_raw(kind, shape.size, shape.align, shape.value_size, capacity)
    })
}

/// The checks every opener makes first: the file holds a header, with rtshm's magic and this
/// layout version.
fn check_identity(header: &HeaderLine0, file_len: u64) -> Result<(), LayoutError> {
    let min = DATA_OFFSET as u64;
    if file_len < min {
        return Err(LayoutError::TooSmall {
            len: file_len,
            needed: min,
        });
    }
    if header.magic != MAGIC {
        return Err(LayoutError::BadMagic {
            found: header.magic,
        });
    }
    check_version(header.layout_version)
}

/// The checks after the payload's: flags, clock, capacity, and the lengths against
/// `geometry(capacity)`.
fn check_geometry(
    header: &HeaderLine0,
    file_len: u64,
    geometry: impl FnOnce(usize) -> Result<Geometry, LayoutError>,
) -> Result<Geometry, LayoutError> {
    if header.flags != 0 || header.reserved != 0 {
        return Err(LayoutError::Corrupt("unknown flags set"));
    }
    if clock_from_raw(header.clock).is_none() {
        return Err(LayoutError::Corrupt("unknown clock"));
    }
    let capacity = usize::try_from(header.capacity)
        .map_err(|_| LayoutError::Corrupt("capacity does not fit in usize"))?;
    let geometry = geometry(capacity)?;
    if header.total_len != geometry.total_len as u64 {
        return Err(LayoutError::Corrupt(
            "total length differs from the layout's",
        ));
    }
    if file_len < header.total_len {
        return Err(LayoutError::TooSmall {
            len: file_len,
            needed: header.total_len,
        });
    }
    if file_len != header.total_len {
        return Err(LayoutError::Corrupt("file size differs from the header's"));
    }
    Ok(geometry)
}

/// Checks a header's layout version: 0 while initializing, else [`LAYOUT_VERSION`].
pub fn check_version(found: u32) -> Result<(), LayoutError> {
    match found {
        0 => Err(LayoutError::NotInitialized),
        LAYOUT_VERSION => Ok(()),
        found => Err(LayoutError::VersionMismatch {
            found,
            expected: LAYOUT_VERSION,
        }),
    }
}

/// The clock stored as `raw` in a header.
#[must_use]
pub const fn clock_from_raw(raw: u32) -> Option<Clock> {
    match raw {
        0 => Some(Clock::Monotonic),
        1 => Some(Clock::Realtime),
        2 => Some(Clock::User),
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

#[cfg(all(test, not(rtshm_loom)))]
mod tests {
    use super::*;
    use crate::Stamped;
    use crate::ring::CapacityError;

    fn good<V: Payload>(kind: Kind, cap: usize) -> (HeaderLine0, u64, Expected) {
        let g = Geometry::of::<V>(kind, cap).unwrap();
        let mut h = header_for(&g, fingerprint::<V>(), Clock::Monotonic, 1);
        h.layout_version = LAYOUT_VERSION;
        (
            h,
            g.total_len as u64,
            Expected {
                kind,
                fingerprint: fingerprint::<V>(),
            },
        )
    }

    #[test]
    fn a_header_written_for_a_type_validates_for_that_type() {
        let (h, len, e) = good::<[u8; 64]>(Kind::SeqLock, 1);
        let g = validate::<[u8; 64]>(&h, len, e).unwrap();
        assert_eq!(g.total_len, DATA_OFFSET + size_of::<SeqLock<[u8; 64]>>());
        let (h, len, e) = good::<Stamped<[f32; 3]>>(Kind::TimeSeries, 64);
        assert_eq!(
            validate::<Stamped<[f32; 3]>>(&h, len, e).unwrap().capacity,
            64
        );
    }

    #[test]
    fn every_bad_header_field_gets_its_own_error() {
        let (h, len, e) = good::<u64>(Kind::Ring, 16);
        let check = |h: HeaderLine0, len: u64, e: Expected| validate::<u64>(&h, len, e);

        assert_eq!(
            check(h, 100, e),
            Err(LayoutError::TooSmall {
                len: 100,
                needed: DATA_OFFSET as u64
            })
        );
        assert_eq!(
            check(HeaderLine0 { magic: 7, ..h }, len, e),
            Err(LayoutError::BadMagic { found: 7 })
        );
        assert_eq!(
            check(
                HeaderLine0 {
                    layout_version: 0,
                    ..h
                },
                len,
                e
            ),
            Err(LayoutError::NotInitialized)
        );
        assert_eq!(
            check(
                HeaderLine0 {
                    layout_version: 9,
                    ..h
                },
                len,
                e
            ),
            Err(LayoutError::VersionMismatch {
                found: 9,
                expected: LAYOUT_VERSION
            })
        );
        assert_eq!(
            check(
                h,
                len,
                Expected {
                    kind: Kind::SeqLock,
                    ..e
                }
            ),
            Err(LayoutError::KindMismatch {
                found: 2,
                expected: Kind::SeqLock
            })
        );
        assert!(matches!(
            check(
                h,
                len,
                Expected {
                    fingerprint: 5,
                    ..e
                }
            ),
            Err(LayoutError::TypeMismatch {
                found,
                expected: 5,
                ..
            }) if found == e.fingerprint
        ));
        assert!(matches!(
            check(
                HeaderLine0 {
                    payload_size: 4,
                    ..h
                },
                len,
                e
            ),
            Err(LayoutError::PayloadMismatch { found, .. }) if found.size == 4
        ));
        assert_eq!(
            check(HeaderLine0 { capacity: 12, ..h }, len, e),
            Err(LayoutError::Capacity(CapacityError::NotPowerOfTwo {
                given: 12
            }))
        );
        assert_eq!(
            check(HeaderLine0 { capacity: 0, ..h }, len, e),
            Err(LayoutError::Capacity(CapacityError::Zero))
        );
        assert!(matches!(
            check(
                HeaderLine0 {
                    capacity: u64::MAX,
                    ..h
                },
                len,
                e
            ),
            Err(LayoutError::Capacity(_) | LayoutError::Corrupt(_))
        ));
        assert!(matches!(
            check(
                HeaderLine0 {
                    total_len: len + 8,
                    ..h
                },
                len + 8,
                e
            ),
            Err(LayoutError::Corrupt(_))
        ));
        assert_eq!(
            check(h, len - 1, e),
            Err(LayoutError::TooSmall {
                len: len - 1,
                needed: len
            })
        );
        assert!(matches!(check(h, len + 1, e), Err(LayoutError::Corrupt(_))));
        assert!(matches!(
            check(HeaderLine0 { clock: 77, ..h }, len, e),
            Err(LayoutError::Corrupt(_))
        ));
        assert!(matches!(
            check(HeaderLine0 { flags: 1, ..h }, len, e),
            Err(LayoutError::Corrupt(_))
        ));
    }

    /// `of_raw` (tools) against `of` (typed handles) for one payload type in the kinds that
    /// store it, at a few capacities; and `validate_raw` accepts what the typed creator writes.
    fn raw_agrees<V: Payload>(kinds: &[Kind]) {
        for &kind in kinds {
            let caps = match kind {
                Kind::SeqLock => &[1usize][..],
                Kind::Ring | Kind::TimeSeries => &[1, 2, 64][..],
            };
            for &cap in caps {
                let typed = Geometry::of::<V>(kind, cap).unwrap();
                let raw =
                    Geometry::of_raw(kind, size_of::<V>(), align_of::<V>(), V::VALUE_SIZE, cap);
                let name = core::any::type_name::<V>();
                assert_eq!(raw, Ok(typed), "{name} {kind} x{cap}");
                let (h, len, _) = good::<V>(kind, cap);
                assert_eq!(validate_raw(&h, len), Ok(typed), "{name} {kind} x{cap}");
            }
        }
    }

    #[test]
    fn the_raw_geometry_equals_the_typed_one_for_every_size_and_alignment() {
        #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
        #[repr(C, align(16))]
        struct A16([u8; 48]);
        #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
        #[repr(C, align(32))]
        struct A32([u8; 32]);
        #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
        #[repr(C, align(64))]
        struct A64([u8; 192]);
        #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
        #[repr(C, align(128))]
        struct A128([u8; 128]);
        /// `Shape::stored` (run-time types) against the typed shape in every kind.
        fn shape_agrees<T: bytemuck::Pod>() {
            let (size, align) = (size_of::<T>(), align_of::<T>());
            for kind in [Kind::SeqLock, Kind::Ring] {
                assert_eq!(Shape::stored(kind, size, align), Some(Shape::of::<T>()));
            }
            let stamped = Shape::stored(Kind::TimeSeries, size, align);
            assert_eq!(stamped, Some(Shape::of::<Stamped<T>>()));
        }
        macro_rules! both {
            ($($t:ty),*) => { $(
                raw_agrees::<$t>(&[Kind::SeqLock, Kind::Ring]);
                raw_agrees::<Stamped<$t>>(&[Kind::TimeSeries]);
                shape_agrees::<$t>();
            )* };
        }
        both!(
            (),
            u8,
            [u8; 3],
            u16,
            [u16; 3],
            u32,
            [f32; 3],
            u64,
            [u8; 9],
            [u8; 15],
            [u64; 3],
            u128,
            [u8; 1000],
            [u8; 1031],
            A16,
            A32,
            A64,
            A128
        );
    }

    #[test]
    fn raw_headers_with_sizes_no_type_has_are_refused() {
        let (h, len, _) = good::<Stamped<[f32; 3]>>(Kind::TimeSeries, 4);
        assert_eq!((h.payload_size, h.value_size), (32, 12));
        for (size, align, value) in [
            (32, 3, 12),   // alignment not a power of two
            (30, 8, 12),   // size not a multiple of the alignment
            (32, 8, 17),   // value overruns the payload
            (32, 8, 7),    // padding as long as the alignment
            (32, 4, 12),   // a stamped payload is aligned to at least 8
            (32, 256, 12), // above the supported alignment
        ] {
            let bad = HeaderLine0 {
                payload_size: size,
                payload_align: align,
                value_size: value,
                ..h
            };
            assert!(validate_raw(&bad, len).is_err(), "{size} {align} {value}");
        }
        let (h, len, _) = good::<[u8; 24]>(Kind::Ring, 4);
        let bad = HeaderLine0 {
            value_size: 23,
            ..h
        };
        assert!(validate_raw(&bad, len).is_err());
        assert_eq!(
            validate_raw(&HeaderLine0 { kind: 9, ..h }, len),
            Err(LayoutError::Corrupt("unknown kind"))
        );
        assert_eq!(
            validate::<[u8; 24]>(
                &bad,
                len,
                Expected {
                    kind: Kind::Ring,
                    fingerprint: h.fingerprint
                }
            ),
            Err(LayoutError::PayloadMismatch {
                found: Shape {
                    value_size: 23,
                    ..Shape::of::<[u8; 24]>()
                },
                expected: Shape::of::<[u8; 24]>()
            })
        );
    }

    #[test]
    fn payloads_aligned_above_a_ring_head_are_refused() {
        #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
        #[repr(C, align(256))]
        struct A256([u8; 256]);
        assert_eq!(
            Geometry::of::<A256>(Kind::Ring, 4),
            Err(LayoutError::AlignmentTooLarge { align: 256 })
        );
    }

    #[test]
    fn hostile_capacities_never_overflow() {
        for cap in [1usize << 31, usize::MAX / 2 + 1, usize::MAX] {
            let r = Geometry::of::<[u8; 1 << 20]>(Kind::Ring, cap);
            assert!(r.is_err() || r.unwrap().total_len > cap, "cap {cap}");
        }
        assert!(Geometry::of::<u8>(Kind::SeqLock, 2).is_err());
    }

    #[test]
    fn fingerprints_ignore_module_paths() {
        mod a {
            #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
            #[repr(C)]
            pub(super) struct Imu(pub(super) [f32; 6]);
        }
        mod b {
            #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
            #[repr(C)]
            pub(super) struct Imu(pub(super) [f32; 6]);
            #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
            #[repr(C)]
            pub(super) struct Gps(pub(super) [f32; 6]);
        }
        assert_eq!(fingerprint::<a::Imu>(), fingerprint::<b::Imu>());
        assert_eq!(
            fingerprint::<Stamped<a::Imu>>(),
            fingerprint::<Stamped<b::Imu>>()
        );
        assert_ne!(fingerprint::<a::Imu>(), fingerprint::<b::Gps>());
        assert_ne!(fingerprint::<a::Imu>(), fingerprint::<Stamped<a::Imu>>());
    }

    #[test]
    fn fingerprints_differ_between_types_of_equal_size() {
        assert_ne!(fingerprint::<[u32; 2]>(), fingerprint::<u64>());
        assert_ne!(fingerprint::<[u8; 8]>(), fingerprint::<[u16; 4]>());
        assert_eq!(fingerprint::<u64>(), fingerprint::<u64>());
    }

    #[test]
    fn errors_say_what_was_found_and_expected() {
        extern crate std;
        use std::string::ToString;
        let e = LayoutError::KindMismatch {
            found: 3,
            expected: Kind::Ring,
        };
        assert_eq!(e.to_string(), "segment holds a TimeSeries, not a Ring");
        let e = LayoutError::VersionMismatch {
            found: 2,
            expected: 1,
        };
        assert!(e.to_string().contains("version 2"));
    }
}
