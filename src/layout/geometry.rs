//! Where everything lives in a segment: the stored values' [`Shape`] and the [`Geometry`]
//! computed from it with checked arithmetic.

use core::mem::{align_of, size_of};

use super::{DATA_OFFSET, HeaderLine0, Kind, LayoutError};
use crate::Payload;
use crate::ring::{Capacity, CapacityError, RingHead};
use crate::seqlock::SeqLock;
use crate::words::Words;

/// The largest payload alignment a segment supports: a ring's slots start one [`RingHead`]
/// (128 bytes) into the page-aligned data.
pub const MAX_PAYLOAD_ALIGN: usize = core::mem::align_of::<RingHead>();

/// Byte offset of a queue's first slot in the data: the producer's index line, then the line
/// of its `waiting` word (see [`Kind::Queue`] in FORMAT.md).
pub(crate) const QUEUE_SLOTS_AT: usize = 2 * size_of::<RingHead>();

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
            Kind::SeqLock | Kind::Ring | Kind::Queue => Some(Self {
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
    ///
    /// ```
    /// use rtshm::layout::{DATA_OFFSET, Geometry, Kind};
    ///
    /// // What a ring of 1024 `[f32; 6]` occupies in shared memory.
    /// let g = Geometry::of::<[f32; 6]>(Kind::Ring, 1024).unwrap();
    /// assert_eq!((g.payload_size, g.capacity), (24, 1024));
    /// assert!(g.total_len >= DATA_OFFSET + 1024 * 24);
    /// assert!(Geometry::of::<[f32; 6]>(Kind::Ring, 1000).is_err()); // not a power of two
    /// ```
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
            Kind::Queue => Capacity::new(capacity)
                .map_err(LayoutError::Capacity)?
                .get()
                .checked_mul(size_of::<Words<V>>())
                .and_then(|slots| slots.checked_add(QUEUE_SLOTS_AT))
                .ok_or(LayoutError::Corrupt("segment size overflows"))?,
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
            Kind::SeqLock | Kind::Ring | Kind::Queue => value_size == payload_size,
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
            Kind::Queue => Capacity::new(capacity)
                .map_err(LayoutError::Capacity)?
                .get()
                .checked_mul(cell)
                .and_then(|slots| slots.checked_add(QUEUE_SLOTS_AT))
                .ok_or(overflow)?,
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
            // A queue's slot is the value alone: its indices say which slots hold values.
            Kind::Queue => 0,
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
