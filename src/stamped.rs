//! [`Stamped<T>`]: a value with its timestamp and the publisher's sequence number.

use core::mem::offset_of;

use bytemuck::Pod;

use crate::payload::{Payload, Sealed};
use crate::time::Timestamp;

/// A value with the time it was sampled and a publisher-assigned sequence number.
///
/// `repr(C)` with the two `u64`s first, so the layout is the same in every process and language:
/// `stamp` at offset 0, `seq` at 8, `value` at 16 (for values aligned to at most 16).
///
/// ```
/// use rtshm::{Stamped, Timestamp};
///
/// let s = Stamped::new(Timestamp::from_nanos(1_000), 7, [1.0f32, 2.0, 3.0]);
/// assert_eq!((s.stamp.as_nanos(), s.seq, s.value[2]), (1_000, 7, 3.0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(C)]
#[allow(
    clippy::exhaustive_structs,
    reason = "a repr(C) layout shared with other processes and languages"
)]
pub struct Stamped<T> {
    /// When the value was sampled.
    pub stamp: Timestamp,
    /// The publisher's sequence number for this value.
    pub seq: u64,
    /// The value.
    pub value: T,
}

static_assertions::const_assert_eq!(offset_of!(Stamped<u8>, stamp), 0);
static_assertions::const_assert_eq!(offset_of!(Stamped<u8>, seq), 8);
static_assertions::const_assert_eq!(offset_of!(Stamped<u8>, value), 16);
static_assertions::const_assert_eq!(offset_of!(Stamped<[u64; 3]>, value), 16);

impl<T> Stamped<T> {
    /// `value` sampled at `stamp`, with sequence number `seq`.
    #[must_use]
    pub const fn new(stamp: Timestamp, seq: u64, value: T) -> Self {
        Self { stamp, seq, value }
    }
}

/// `value` stamped with the current monotonic time ([`Timestamp::now`]) and sequence `seq`.
///
/// ```
/// let s = rtshm::stamp([0.5f64; 4], 1);
/// assert!(s.stamp > rtshm::Timestamp::ZERO);
/// ```
#[cfg(feature = "std")]
#[must_use]
pub fn stamp<T>(value: T, seq: u64) -> Stamped<T> {
    Stamped::new(Timestamp::now(), seq, value)
}

impl<T: Pod> Sealed for Stamped<T> {}

/// Copied field by field: `Stamped<T>` may have trailing padding (`Stamped<[u8; 3]>`), which
/// must never be read.
impl<T: Pod> Payload for Stamped<T> {
    const VALUE_SIZE: usize = core::mem::size_of::<T>();

    #[inline(always)]
    fn zeroed() -> Self {
        Self::new(Timestamp::ZERO, 0, T::zeroed())
    }

    #[inline(always)]
    fn for_each_part(&self, mut f: impl FnMut(usize, &[u8])) {
        f(offset_of!(Self, stamp), bytemuck::bytes_of(&self.stamp));
        f(offset_of!(Self, seq), bytemuck::bytes_of(&self.seq));
        f(offset_of!(Self, value), bytemuck::bytes_of(&self.value));
    }

    #[inline(always)]
    fn for_each_part_mut(&mut self, mut f: impl FnMut(usize, &mut [u8])) {
        f(
            offset_of!(Self, stamp),
            bytemuck::bytes_of_mut(&mut self.stamp),
        );
        f(offset_of!(Self, seq), bytemuck::bytes_of_mut(&mut self.seq));
        f(
            offset_of!(Self, value),
            bytemuck::bytes_of_mut(&mut self.value),
        );
    }
}

// SAFETY: all fields are valid when zeroed (`Timestamp` and `u64` are integers, `T: Zeroable`);
// padding may exist, which `Zeroable` allows.
unsafe impl<T: bytemuck::Zeroable> bytemuck::Zeroable for Stamped<T> {}

impl<T: crate::Schema> crate::Schema for Stamped<T> {
    /// `stamp_ns` (the stamp in nanoseconds, `uint64`), `seq`, then `value`; the trailing
    /// padding, if any, is not a field.
    const TYPE: crate::schema::Type = crate::schema::Type::Struct(&crate::schema::Struct {
        name: "Stamped",
        size: core::mem::size_of::<Self>(),
        align: core::mem::align_of::<Self>(),
        fields: &[
            crate::schema::Field::new(
                "stamp_ns",
                core::mem::offset_of!(Self, stamp),
                <Timestamp as crate::Schema>::TYPE,
            ),
            crate::schema::Field::new("seq", core::mem::offset_of!(Self, seq), u64::TYPE),
            crate::schema::Field::new("value", core::mem::offset_of!(Self, value), T::TYPE),
        ],
    });
}
