//! [`Ring`]: a power-of-two cyclic buffer with a sequence counter per slot, so a reader knows
//! exactly whether it read a value, found an empty slot, or was lapped by the writer.
//!
//! # Protocol
//!
//! The writer's position `head` counts the values ever pushed; write number `w` goes to slot
//! `w & (capacity - 1)`. Each slot's 64-bit sequence encodes the lap (as in Aeron):
//! `0` never written, `2w + 1` write `w` in progress, `2w + 2` write `w` complete.
//!
//! ```text
//! writer, write number w:                  reader wants write number p in slot p & mask:
//!   slot.seq.store(2w+1, Relaxed)            s1 = slot.seq.load(Relaxed); fence(Acquire)
//!   fence(Release)                           s1 <  2p+1  -> not written yet
//!   store words                              s1 == 2p+1  -> in progress (bounded retry)
//!   slot.seq.store(2w+2, Release)            s1 >  2p+2  -> lapped
//!   head.store(w+1, Release)                 s1 == 2p+2  -> copy words, fence(Acquire),
//!                                                           s2 = slot.seq.load(Relaxed),
//!                                                           s2 == s1 ? value : lapped
//! ```
//!
//! A reader that knows write `p` is complete (it loaded a head above `p` with Acquire: the
//! time-series search over a snapshot) skips `s1`: write `p`'s stores happen before its copy,
//! so only a later write can have touched the words, and that write's odd sequence is then
//! visible to `s2`.
//!
//! The orderings are the seqlock's (see [`crate::seqlock`]), per slot. A reader of the newest
//! value is not starved by a fast writer: slot `head - 1` is left alone for the next
//! `capacity - 1` writes, so prefer a `Ring` with capacity >= 2 over a [`SeqLock`] for high-rate
//! producers.
//!
//! No reader state lives in the ring: each reader owns its [`Cursor`]. Readers only load.
//!
//! # Forms
//! - [`Ring<T, N>`]: owns its slots, `const fn new`, usable as a `static`.
//! - [`RingView<T>`]: the unsized view every read is written on, with a capacity known at run
//!   time; a `Ring<T, N>` dereferences to it, and so does a shared-memory subscriber of a ring
//!   (the segment's layout is the view's).
//!
//! # Cost (worst case)
//! - [`RingWriter::push`]: three atomic stores, one fence and one copy of `T`. Never blocks,
//!   never fails, no allocation, no syscall.
//! - [`RingView::next`], [`RingView::get`], [`RingView::latest`]: at most [`TRY_LOAD_ATTEMPTS`](crate::TRY_LOAD_ATTEMPTS)
//!   attempts, each one copy of `T` and a few atomic loads. Wait-free.
//!
//! [`SeqLock`]: crate::SeqLock

use core::fmt;
use core::marker::PhantomData;

use crate::Payload;
use crate::seqlock::{ATTEMPTS, Busy, WriterTaken};
use crate::stats::{Count, Counters};
use crate::sync::{self, AtomicBool, AtomicU64, Ordering, const_fn, fence};
use crate::words::Words;

/// The largest write number whose slot sequence `2w + 2` fits in a `u64`.
const MAX_WRITE: u64 = (u64::MAX - 2) / 2;

/// A ring capacity: a power of two between 1 and [`Capacity::MAX`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Capacity(usize);

impl Capacity {
    /// One slot.
    pub const ONE: Self = Self(1);

    /// The largest capacity: 2^32 slots (2^30 on 32-bit targets, whose address space could not
    /// hold more).
    pub const MAX: usize = if usize::BITS >= 64 { 1 << 32 } else { 1 << 30 };

    /// Validates `n`: rejects 0, numbers that are not a power of two, and numbers above
    /// [`Capacity::MAX`], with an error that says which.
    ///
    /// ```
    /// use rtshm::{Capacity, CapacityError};
    ///
    /// assert_eq!(Capacity::new(64).map(Capacity::get), Ok(64));
    /// assert_eq!(Capacity::new(0), Err(CapacityError::Zero));
    /// assert_eq!(Capacity::new(100), Err(CapacityError::NotPowerOfTwo { given: 100 }));
    /// ```
    pub const fn new(n: usize) -> Result<Self, CapacityError> {
        if n == 0 {
            Err(CapacityError::Zero)
        } else if n > Self::MAX {
            Err(CapacityError::TooLarge {
                given: n,
                max: Self::MAX,
            })
        } else if !n.is_power_of_two() {
            Err(CapacityError::NotPowerOfTwo { given: n })
        } else {
            Ok(Self(n))
        }
    }

    /// The number of slots.
    #[must_use]
    pub const fn get(self) -> usize {
        self.0
    }

    /// Bytes that `self` slots of `T` occupy, or an error if that overflows `usize`.
    ///
    /// ```
    /// use rtshm::{Capacity, CapacityError};
    ///
    /// let cap = Capacity::new(1 << 20).unwrap();
    /// assert_eq!(cap.slot_bytes::<[u8; 56]>(), Ok((1 << 20) * 64));
    /// # #[cfg(target_pointer_width = "64")]
    /// assert!(matches!(
    ///     Capacity::new(1 << 32).unwrap().slot_bytes::<[u8; 1 << 40]>(),
    ///     Err(CapacityError::Overflow { .. })
    /// ));
    /// ```
    pub const fn slot_bytes<T>(self) -> Result<usize, CapacityError> {
        let slot = core::mem::size_of::<Slot<T>>();
        match self.0.checked_mul(slot) {
            Some(bytes) => Ok(bytes),
            None => Err(CapacityError::Overflow {
                capacity: self.0,
                slot_bytes: slot,
            }),
        }
    }
}

/// Why a ring capacity was rejected.
///
/// ```
/// use rtshm::{Capacity, CapacityError};
///
/// assert_eq!(Capacity::new(48), Err(CapacityError::NotPowerOfTwo { given: 48 }));
/// assert_eq!(Capacity::new(0), Err(CapacityError::Zero));
/// assert_eq!(Capacity::new(64).map(Capacity::get), Ok(64));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CapacityError {
    /// A ring needs at least one slot.
    Zero,
    /// The capacity must be a power of two (slot = write number & (capacity - 1)).
    NotPowerOfTwo {
        /// The capacity asked for.
        given: usize,
    },
    /// The capacity exceeds [`Capacity::MAX`].
    TooLarge {
        /// The capacity asked for.
        given: usize,
        /// The largest capacity allowed.
        max: usize,
    },
    /// The slots would not fit in the address space.
    Overflow {
        /// The capacity asked for.
        capacity: usize,
        /// Bytes per slot.
        slot_bytes: usize,
    },
}

impl fmt::Display for CapacityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Zero => f.write_str("ring capacity must be at least 1"),
            Self::NotPowerOfTwo { given } => write!(
                f,
                "ring capacity {given} is not a power of two (nearest: {})",
                given.checked_next_power_of_two().unwrap_or(Capacity::MAX)
            ),
            Self::TooLarge { given, max } => {
                write!(f, "ring capacity {given} exceeds the maximum {max}")
            }
            Self::Overflow {
                capacity,
                slot_bytes,
            } => write!(
                f,
                "{capacity} slots of {slot_bytes} bytes overflow the address space"
            ),
        }
    }
}

impl core::error::Error for CapacityError {}

/// One slot of a ring: the lap-encoding sequence and a value.
#[repr(C, align(8))]
pub struct Slot<T> {
    seq: AtomicU64,
    value: Words<T>,
}

impl<T: Payload> Slot<T> {
    const_fn! {
        const_if: #[cfg(not(rtshm_loom))];
        /// An empty slot (sequence 0, zeroed value).
        #[must_use]
        pub const fn new() -> Self {
            Self {
                seq: AtomicU64::new(0),
                value: Words::zeroed(),
            }
        }
    }
}

/// `N` empty slots: an array repeat of a `const` block (loom: built one by one, its `Slot::new`
/// is not `const`).
#[cfg(not(rtshm_loom))]
const fn empty_slots<T: Payload, const N: usize>() -> [Slot<T>; N] {
    [const { Slot::new() }; N]
}

#[cfg(rtshm_loom)]
fn empty_slots<T: Payload, const N: usize>() -> [Slot<T>; N] {
    core::array::from_fn(|_| Slot::new())
}

impl<T: Payload> Default for Slot<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> core::fmt::Debug for Slot<T> {
    /// The sequence only: the value may be being written (reading it takes the protocol).
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Slot")
            .field("seq", &self.seq.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

// SAFETY: the slot's value is only accessed through atomic word copies and the sequence is an
// atomic; `T: Payload` values carry no references, so sharing `&Slot<T>` is free of data races.
unsafe impl<T: Payload + Send> Sync for Slot<T> {}

// SAFETY: an all-zero slot is an empty one: sequence 0 (never written) and a zeroed `T`, valid
// because `T: Zeroable`.
#[cfg(not(rtshm_loom))]
unsafe impl<T: bytemuck::Zeroable> bytemuck::Zeroable for Slot<T> {}

/// The writer-owned words of a ring: the write position on its own 128-byte line (the width of
/// a cache-line pair that x86_64 and aarch64 prefetch together), so that it does not share a
/// line with slots that readers load.
#[repr(C, align(128))]
pub struct RingHead {
    head: AtomicU64,
    writer: AtomicBool,
}

static_assertions::const_assert_eq!(core::mem::size_of::<RingHead>(), 128);

impl core::fmt::Debug for RingHead {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RingHead")
            .field("head", &self.head.load(Ordering::Relaxed))
            .field("writer", &self.writer.load(Ordering::Relaxed))
            .finish()
    }
}

// SAFETY: an all-zero head is a new one: write number 0, no writer claimed.
#[cfg(not(rtshm_loom))]
unsafe impl bytemuck::Zeroable for RingHead {}

impl RingHead {
    const_fn! {
        const_if: #[cfg(not(rtshm_loom))];
        /// A head at write number 0 with no writer claimed.
        #[must_use]
        pub const fn new() -> Self {
            Self {
                head: AtomicU64::new(0),
                writer: AtomicBool::new(false),
            }
        }
    }
}

impl RingHead {
    /// Claims the ring's writer and returns the next write number; `seq(n)` is the sequence
    /// word of write `n`'s slot.
    ///
    /// A writer that stopped between completing slot `next` and publishing `head` (only
    /// possible for a ring in shared memory) left a complete value: it is published here.
    pub(crate) fn claim<'s>(
        &self,
        seq: impl FnOnce(u64) -> &'s AtomicU64,
    ) -> Result<u64, WriterTaken> {
        crate::seqlock::claim_flag(&self.writer)?;
        let mut next = self.head.load(Ordering::Relaxed);
        if next <= MAX_WRITE && seq(next).load(Ordering::Relaxed) == 2 * next + 2 {
            next += 1;
            // SYNC POINT ring-head-publish (writer, repairing a takeover). Release: as the
            // writer's side of ring-head-publish.
            self.head.store(next, Ordering::Release);
        }
        Ok(next)
    }

    /// Releases the writer claim taken by [`RingHead::claim`].
    pub(crate) fn release(&self) {
        crate::seqlock::release_flag(&self.writer);
    }

    /// Writes write number `w` into the slot whose sequence word is `seq` (`store` copies the
    /// value in) and publishes `head = w + 1`. The caller holds the writer claim, so no other
    /// write runs concurrently, and passes consecutive numbers.
    ///
    /// The writing half of the ring protocol, shared by typed rings and the untyped
    /// `shm::RawPublisher`.
    #[inline(always)]
    pub(crate) fn push_with(&self, seq: &AtomicU64, w: u64, store: impl FnOnce()) {
        // Wrapping: `w` reaches 2^63 only after centuries at any real rate; a corrupt head in
        // shared memory must not panic the writer.
        let odd = w.wrapping_mul(2).wrapping_add(1);
        seq.store(odd, Ordering::Relaxed);
        // SYNC POINT ring-slot-begin (writer). Release: pairs with the reader's side of
        // ring-slot-begin: a reader that copies any word stored below then sees
        // `seq >= 2w + 1` and reports a lap.
        fence(Ordering::Release);
        store();
        // SYNC POINT ring-slot-publish (writer). Release: pairs with the reader's side of
        // ring-slot-publish: a reader that loads `2w + 2` sees every word stored above.
        seq.store(odd.wrapping_add(1), Ordering::Release);
        // SYNC POINT ring-head-publish (writer). Release: pairs with the reader's side of
        // ring-head-publish: a reader that sees `head = w + 1` sees slot `w` complete.
        self.head.store(w.wrapping_add(1), Ordering::Release);
    }
}

impl Default for RingHead {
    fn default() -> Self {
        Self::new()
    }
}

/// A ring over storage `S`: one generic struct, so that every operation is written once, for
/// [`RingView<T>`] (the unsized view, `S = [Slot<T>]`), and the owned [`Ring<T, N>`]
/// (`S = [Slot<T>; N]`) reaches all of them through `Deref`, as `heapless` writes its queue
/// once over its storage. The layout (`repr(C)`: a 128-byte [`RingHead`], then the slots) is
/// also a shared-memory segment's, so `shm` hands out the same `&RingView<T>`.
#[repr(C)]
pub struct RingBuf<S: ?Sized> {
    head: RingHead,
    slots: S,
}

/// A ring of `N` slots that owns its storage; `N` must be a power of two (checked at compile
/// time). `Ring::new` is a `const fn`, so a ring can be a `static`. Its reads are those of
/// [`RingView`], which it dereferences to.
///
/// ```
/// use rtshm::Ring;
///
/// static SAMPLES: Ring<[f32; 3], 8> = Ring::new();
///
/// let mut writer = SAMPLES.writer().unwrap();
/// let mut cursor = SAMPLES.cursor_from_oldest();
/// for i in 0..3 {
///     writer.push(&[i as f32; 3]);
/// }
/// assert_eq!(SAMPLES.next(&mut cursor), Ok(Some([0.0; 3])));
/// assert_eq!(SAMPLES.latest(), Ok(Some((2, [2.0; 3]))));
/// ```
pub type Ring<T, const N: usize> = RingBuf<[Slot<T>; N]>;

/// The reads of a ring of any capacity: what [`Ring<T, N>`] dereferences to, and what a
/// shared-memory subscriber of a ring dereferences to (its slots mapped read-only). Its slot
/// count is a power of two (every way to get one checks it), chosen at compile time or at run
/// time.
///
/// ```
/// use rtshm::{Ring, RingView};
///
/// // One function for rings of any capacity, and for shared-memory ring subscribers.
/// fn newest(ring: &RingView<u32>) -> Option<u32> {
///     ring.latest().ok().flatten().map(|(_, v)| v)
/// }
/// let small: Ring<u32, 2> = Ring::new();
/// let large: Ring<u32, 1024> = Ring::new();
/// small.writer().unwrap().push(&1);
/// assert_eq!((newest(&small), newest(&large)), (Some(1), None));
/// ```
pub type RingView<T> = RingBuf<[Slot<T>]>;

// SAFETY: an all-zero ring is an empty one (see `RingHead` and `Slot`). A zeroed ring whose `N`
// is not a power of two is still rejected at compile time by `Deref`, which every read goes
// through, and by `writer`. This lets large rings be built on the heap with
// `bytemuck::zeroed_box`.
#[cfg(not(rtshm_loom))]
unsafe impl<T: bytemuck::Zeroable, const N: usize> bytemuck::Zeroable for Ring<T, N> {}

impl<T: Payload, const N: usize> Ring<T, N> {
    const CAPACITY: Capacity = match Capacity::new(N) {
        Ok(c) => c,
        Err(_) => panic!("Ring capacity N must be a power of two between 1 and Capacity::MAX"),
    };

    const_fn! {
        const_if: #[cfg(not(rtshm_loom))];
        /// An empty ring.
        #[must_use]
        pub const fn new() -> Self {
            let _ = Self::CAPACITY;
            Self {
                head: RingHead::new(),
                slots: empty_slots(),
            }
        }
    }

    /// Claims the single writer; fails with [`WriterTaken`] while another [`RingWriter`] for this
    /// ring exists.
    ///
    /// ```
    /// use rtshm::{Ring, WriterTaken};
    ///
    /// let ring: Ring<u32, 4> = Ring::new();
    /// let mut writer = ring.writer().unwrap();
    /// assert_eq!(ring.writer().err(), Some(WriterTaken));
    /// assert_eq!(writer.push(&5), 0); // write number 0
    /// ```
    pub fn writer(&self) -> Result<RingWriter<'_, T>, WriterTaken> {
        (**self).claim_writer()
    }

    /// The number of slots, `N`.
    #[must_use]
    pub const fn capacity(&self) -> usize {
        N
    }
}

impl<T: Payload, const N: usize> core::ops::Deref for Ring<T, N> {
    type Target = RingView<T>;

    #[inline(always)]
    fn deref(&self) -> &RingView<T> {
        let _ = Self::CAPACITY;
        self
    }
}

impl<T: Payload, const N: usize> Default for Ring<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Payload, const N: usize> fmt::Debug for Ring<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

/// What one lap-checked read of write number `p` found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Probe {
    /// The value of write `p` is in the destination.
    Value,
    /// Write `p` has not started.
    NotYet,
    /// Write `p` is in progress.
    InProgress,
    /// The slot holds (or is being overwritten by) the later write `by`.
    Lapped { by: u64 },
}

/// One lap-checked read of write number `p` from a slot with sequence word `seq`: `read` copies
/// what it needs out of the slot, and the result says whether that copy belongs to write `p`.
///
/// The reading half of the ring protocol, shared by typed rings and the untyped
/// `shm::Inspector`. Write numbers above [`MAX_WRITE`] (only a corrupt
/// head gives them) are never written.
#[inline(always)]
pub(crate) fn probe_slot(seq: &AtomicU64, p: u64, read: impl FnOnce()) -> Probe {
    if p > MAX_WRITE {
        return Probe::NotYet;
    }
    let want = 2 * p + 2;
    let s1 = seq.load(Ordering::Relaxed);
    // SYNC POINT ring-slot-publish (reader). Acquire: pairs with the writer's side of
    // ring-slot-publish: every word of write `p` is visible to the copy below.
    fence(Ordering::Acquire);
    if s1 != want {
        return if s1 < want - 1 {
            Probe::NotYet
        } else if s1 == want - 1 {
            Probe::InProgress
        } else {
            Probe::Lapped { by: (s1 - 1) / 2 }
        };
    }
    read();
    // SYNC POINT ring-slot-begin (reader). Acquire: pairs with the writer's side of
    // ring-slot-begin: if the copy saw any word of a later write, the load below sees that
    // write's odd sequence.
    fence(Ordering::Acquire);
    let s2 = seq.load(Ordering::Relaxed);
    if s2 == s1 {
        Probe::Value
    } else {
        Probe::Lapped {
            by: s2.saturating_sub(1) / 2,
        }
    }
}

/// Repeats `probe` while it finds the write in progress, up to [`TRY_LOAD_ATTEMPTS`](crate::TRY_LOAD_ATTEMPTS) times.
#[inline(always)]
pub(crate) fn settle(mut probe: impl FnMut() -> Probe) -> Probe {
    for _ in 1..ATTEMPTS {
        match probe() {
            Probe::InProgress => sync::spin_loop(),
            settled => return settled,
        }
    }
    probe()
}

/// The oldest write number held in a ring of `capacity` slots after a reader of `p` met the
/// later write `by` in its slot, `written` being the head loaded afterwards.
///
/// Write `by` has started, so writes up to `by - capacity` are gone; the head may say more
/// are gone. Always `> p`, so a cursor always makes progress.
pub(crate) fn oldest_after_lap(written: u64, capacity: u64, p: u64, by: u64) -> u64 {
    let head = written.max(by.saturating_add(1));
    head.saturating_sub(capacity).max(p.saturating_add(1))
}

/// The result of a settled probe of write `number` as [`RingView::get`] reports it.
pub(crate) fn get_outcome(
    outcome: Probe,
    number: u64,
    written: impl Fn() -> u64,
    capacity: u64,
) -> Result<(), GetError> {
    match outcome {
        Probe::Value => Ok(()),
        Probe::NotYet => Err(GetError::NotYet { written: written() }),
        Probe::InProgress => Err(GetError::Busy),
        Probe::Lapped { by } => Err(GetError::Overwritten {
            oldest: oldest_after_lap(written(), capacity, number, by),
        }),
    }
}

/// [`RingView::latest_into`] over any storage: `written` loads the head, `probe(p)` copies
/// write `p`.
#[inline(always)]
pub(crate) fn latest_with(
    written: impl Fn() -> u64,
    mut probe: impl FnMut(u64) -> Probe,
) -> Result<Option<u64>, Busy> {
    for _ in 0..ATTEMPTS {
        let Some(p) = written().checked_sub(1) else {
            return Ok(None);
        };
        if let Probe::Value = probe(p) {
            return Ok(Some(p));
        }
        // Overwritten (or being overwritten) since `head` was read: read the new head.
        sync::spin_loop();
    }
    Err(Busy)
}

impl<T: Payload> RingView<T> {
    /// The number of slots (a power of two).
    #[inline]
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The number of values written so far (the next write number).
    ///
    /// ```
    /// let ring: rtshm::Ring<u8, 2> = rtshm::Ring::new();
    /// let mut w = ring.writer().unwrap();
    /// for v in 0..5 {
    ///     w.push(&v);
    /// }
    /// assert_eq!(ring.written(), 5); // write numbers 0..5, the last two still held
    /// assert_eq!(ring.capacity(), 2);
    /// ```
    #[inline]
    #[must_use]
    pub fn written(&self) -> u64 {
        let h = self.head.head.load(Ordering::Relaxed);
        // SYNC POINT ring-head-publish (reader). Acquire: pairs with the writer's side of
        // ring-head-publish: the slots of all writes below `h` are complete for this thread.
        fence(Ordering::Acquire);
        h
    }

    /// The oldest write number that may still be held when `head` values have been written.
    pub(crate) fn oldest(&self, head: u64) -> u64 {
        head.saturating_sub(self.slots.len() as u64)
    }

    #[inline(always)]
    fn slot(&self, number: u64) -> &Slot<T> {
        // The slot count is a power of two, so the mask keeps the index in bounds (and in
        // bounds even if it were not: `n & (len - 1) < len`).
        let mask = self.slots.len().wrapping_sub(1) as u64;
        &self.slots[(number & mask) as usize]
    }

    /// One lap-checked read of write number `p` into `dst`.
    #[inline]
    pub(crate) fn probe(&self, p: u64, dst: &mut T) -> Probe {
        self.probe_with(p, |words| words.load(dst))
    }

    /// One lap-checked read of write number `p`: `read` copies what it needs out of the slot's
    /// storage (all of it, or one part such as a stamp), and the result says whether that copy
    /// belongs to write `p`.
    #[inline]
    pub(crate) fn probe_with(&self, p: u64, read: impl FnOnce(&Words<T>)) -> Probe {
        let slot = self.slot(p);
        probe_slot(&slot.seq, p, || read(&slot.value))
    }

    /// One read of write number `p`, which the caller knows is complete: `p` is below a head
    /// this thread loaded with Acquire (`written`), so write `p`'s stores happen before this
    /// read (ring-head-publish). Only the trailing sequence check remains: if `read` copied any
    /// word of a later write `w` (an overwrite), the writer's `2w + 1` is visible to the load
    /// below (ring-slot-begin), so the sequence is not `2p + 2`; no word can be older than
    /// write `p` (its stores happen before). Returns whether the copy is write `p`. A search
    /// over a snapshot's window (`SeriesView`) saves the leading load of every probe this way.
    ///
    /// A corrupt head from a hostile segment only yields values that are not write `p`'s,
    /// never undefined behaviour: every access is atomic.
    #[inline]
    pub(crate) fn probe_complete(&self, p: u64, read: impl FnOnce(&Words<T>)) -> bool {
        if p > MAX_WRITE {
            return false;
        }
        let slot = self.slot(p);
        read(&slot.value);
        // SYNC POINT ring-slot-begin (reader of a complete write). Acquire: pairs with the
        // writer's side of ring-slot-begin: a copy that saw a word of a later write sees that
        // write's odd sequence below.
        fence(Ordering::Acquire);
        slot.seq.load(Ordering::Relaxed) == 2 * p + 2
    }

    /// Like `probe`, retrying a write in progress up to [`TRY_LOAD_ATTEMPTS`](crate::TRY_LOAD_ATTEMPTS) times.
    #[inline]
    pub(crate) fn probe_settled(&self, p: u64, dst: &mut T) -> Probe {
        settle(|| self.probe(p, dst))
    }

    /// The oldest write number held after a reader of `p` met the later write `by` in its slot.
    /// See [`oldest_after_lap`].
    pub(crate) fn oldest_after_lap(&self, p: u64, by: u64) -> u64 {
        oldest_after_lap(self.written(), self.slots.len() as u64, p, by)
    }

    /// Reads write number `number`.
    ///
    /// ```
    /// use rtshm::{GetError, Ring};
    ///
    /// let ring: Ring<u8, 2> = Ring::new();
    /// let mut w = ring.writer().unwrap();
    /// for v in 10..13 {
    ///     w.push(&v);
    /// }
    /// assert_eq!(ring.get(2), Ok(12));
    /// assert_eq!(ring.get(0), Err(GetError::Overwritten { oldest: 1 }));
    /// assert_eq!(ring.get(3), Err(GetError::NotYet { written: 3 }));
    /// ```
    pub fn get(&self, number: u64) -> Result<T, GetError> {
        let mut value = T::zeroed();
        let outcome = self.probe_settled(number, &mut value);
        get_outcome(outcome, number, || self.written(), self.slots.len() as u64).map(|()| value)
    }

    /// The newest complete value and its write number, or `None` if nothing was written.
    ///
    /// Fails with [`Busy`] only if the writer laps the whole ring during each of
    /// [`TRY_LOAD_ATTEMPTS`](crate::TRY_LOAD_ATTEMPTS) copies (or, with capacity 1, stores during each of them).
    #[inline]
    pub fn latest(&self) -> Result<Option<(u64, T)>, Busy> {
        let mut value = T::zeroed();
        Ok(self.latest_into(&mut value)?.map(|n| (n, value)))
    }

    /// Like [`RingView::latest`], copying into `dst` (for large values such as camera frames,
    /// which should not pass through the stack). Returns the write number; on `Ok(None)` and on
    /// `Err` the contents of `dst` are unspecified (possibly torn).
    ///
    /// ```
    /// use rtshm::Ring;
    ///
    /// type Frame = [u8; 16 << 10];
    /// let ring: Box<Ring<Frame, 2>> = bytemuck::zeroed_box();
    /// let mut frame: Box<Frame> = bytemuck::zeroed_box();
    /// assert_eq!(ring.latest_into(&mut frame), Ok(None));
    /// ring.writer().unwrap().push(&[7; 16 << 10]);
    /// assert_eq!(ring.latest_into(&mut frame), Ok(Some(0)));
    /// assert!(frame.iter().all(|&b| b == 7));
    /// ```
    #[inline]
    pub fn latest_into(&self, dst: &mut T) -> Result<Option<u64>, Busy> {
        latest_with(|| self.written(), |p| self.probe(p, dst))
    }

    /// A cursor at the oldest value still held: the first [`next`](Self::next) with it returns
    /// that value.
    #[must_use]
    pub fn cursor_from_oldest(&self) -> Cursor<T> {
        Cursor::at(self.oldest(self.written()))
    }

    /// A cursor at the newest value: the first [`next`](Self::next) with it returns the newest
    /// value (or the first one written, if the ring is empty).
    ///
    /// ```
    /// let ring: rtshm::Ring<u8, 8> = rtshm::Ring::new();
    /// let mut w = ring.writer().unwrap();
    /// w.push(&1);
    /// w.push(&2);
    /// let mut cursor = ring.cursor_from_newest();
    /// assert_eq!(ring.next(&mut cursor), Ok(Some(2)));
    /// assert_eq!(ring.next(&mut cursor), Ok(None));
    /// ```
    #[must_use]
    pub fn cursor_from_newest(&self) -> Cursor<T> {
        Cursor::at(self.written().saturating_sub(1))
    }

    /// A cursor after the newest value: it returns only values written from now on.
    ///
    /// ```
    /// let ring: rtshm::Ring<u8, 8> = rtshm::Ring::new();
    /// let mut w = ring.writer().unwrap();
    /// w.push(&1);
    /// let mut cursor = ring.cursor_from_next(); // the backlog is skipped
    /// w.push(&2);
    /// assert_eq!(ring.next(&mut cursor), Ok(Some(2)));
    /// ```
    #[must_use]
    pub fn cursor_from_next(&self) -> Cursor<T> {
        Cursor::at(self.written())
    }

    /// Reads the value at `cursor` and moves it on: `Ok(Some(value))`, `Ok(None)` when the
    /// cursor has caught up with the writer (or the next value is still being written), or
    /// `Err(Lapped { missed })` when values were overwritten first, in which case the cursor
    /// moves to the oldest value still held.
    ///
    /// ```
    /// use rtshm::{Lapped, Ring};
    ///
    /// let ring: Ring<u32, 4> = Ring::new();
    /// let mut cursor = ring.cursor_from_oldest();
    /// let mut w = ring.writer().unwrap();
    /// for v in 0..10 {
    ///     w.push(&v);
    /// }
    /// assert_eq!(ring.next(&mut cursor), Err(Lapped { missed: 6 }));
    /// assert_eq!(ring.next(&mut cursor), Ok(Some(6)));
    /// ```
    #[inline]
    pub fn next(&self, cursor: &mut Cursor<T>) -> Result<Option<T>, Lapped> {
        let mut value = T::zeroed();
        self.next_into(cursor, &mut value).map(|n| n.map(|_| value))
    }

    /// Like [`next`](Self::next), reading into `dst` (for large values) and returning the write
    /// number read. On `Ok(None)` and `Err`, `dst` holds unspecified bytes.
    ///
    /// ```
    /// let ring: Box<rtshm::Ring<[u8; 4096], 4>> = bytemuck::zeroed_box();
    /// let mut cursor = ring.cursor_from_oldest();
    /// ring.writer().unwrap().push(&[9; 4096]);
    /// let mut frame = [0u8; 4096];
    /// assert_eq!(ring.next_into(&mut cursor, &mut frame), Ok(Some(0)));
    /// assert_eq!(frame[4095], 9);
    /// ```
    #[inline]
    pub fn next_into(&self, cursor: &mut Cursor<T>, dst: &mut T) -> Result<Option<u64>, Lapped> {
        let p = cursor.next;
        match self.probe_settled(p, dst) {
            Probe::Value => {
                cursor.next = p + 1;
                cursor.counters.add(Count::Reads, 1);
                Ok(Some(p))
            }
            Probe::NotYet | Probe::InProgress => Ok(None),
            Probe::Lapped { by } => {
                let oldest = self.oldest_after_lap(p, by);
                cursor.next = oldest;
                cursor.counters.add(Count::Laps, 1);
                cursor.counters.add(Count::Missed, oldest - p);
                Err(Lapped { missed: oldest - p })
            }
        }
    }

    /// The values available now at `cursor`, in order, each as `Ok(value)` or `Err(Lapped)`;
    /// ends when the cursor has caught up.
    ///
    /// ```
    /// let ring: rtshm::Ring<u8, 8> = rtshm::Ring::new();
    /// let mut cursor = ring.cursor_from_oldest();
    /// let mut w = ring.writer().unwrap();
    /// w.push(&1);
    /// w.push(&2);
    /// let read: Result<Vec<u8>, _> = ring.iter_from(&mut cursor).collect();
    /// assert_eq!(read, Ok(vec![1, 2]));
    /// assert_eq!(cursor.position(), 2);
    /// ```
    pub fn iter_from<'c>(
        &'c self,
        cursor: &'c mut Cursor<T>,
    ) -> impl Iterator<Item = Result<T, Lapped>> + 'c {
        core::iter::from_fn(move || self.next(cursor).transpose())
    }

    /// Moves `cursor` to the oldest value still held; returns how many values that skips (0 if
    /// the cursor was already there or later).
    ///
    /// ```
    /// use rtshm::{Cursor, Ring};
    ///
    /// let ring: Ring<u8, 4> = Ring::new();
    /// let mut w = ring.writer().unwrap();
    /// for v in 0..10 {
    ///     w.push(&v);
    /// }
    /// let mut cursor = Cursor::at(0); // a position saved long ago
    /// assert_eq!(ring.resume_at_oldest(&mut cursor), 6); // skips what is gone, no Lapped error
    /// assert_eq!(ring.next(&mut cursor), Ok(Some(6)));
    /// ```
    pub fn resume_at_oldest(&self, cursor: &mut Cursor<T>) -> u64 {
        cursor.skip_to(self.oldest(self.written()))
    }

    /// Moves `cursor` to the newest value, skipping the backlog; returns how many values that
    /// skips.
    ///
    /// ```
    /// let ring: rtshm::Ring<u8, 8> = rtshm::Ring::new();
    /// let mut cursor = ring.cursor_from_oldest();
    /// let mut w = ring.writer().unwrap();
    /// for v in 0..5 {
    ///     w.push(&v);
    /// }
    /// assert_eq!(ring.resume_at_newest(&mut cursor), 4); // skip the backlog
    /// assert_eq!(ring.next(&mut cursor), Ok(Some(4)));
    /// ```
    pub fn resume_at_newest(&self, cursor: &mut Cursor<T>) -> u64 {
        cursor.skip_to(self.written().saturating_sub(1))
    }

    /// Claims the single writer (the owner of the storage decides who may: [`Ring::writer`],
    /// a shared-memory publisher).
    pub(crate) fn claim_writer(&self) -> Result<RingWriter<'_, T>, WriterTaken> {
        let next = self.head.claim(|n| &self.slot(n).seq)?;
        Ok(RingWriter {
            ring: self,
            next,
            counters: Counters::default(),
        })
    }

    /// Writes `value` as write number `w` and publishes `head = w + 1`. The caller holds the
    /// writer claim, so no other write runs concurrently, and passes consecutive numbers.
    #[inline]
    pub(crate) fn push_exclusive(&self, w: u64, value: &T) {
        let slot = self.slot(w);
        self.head
            .push_with(&slot.seq, w, || slot.value.store(value));
    }

    /// Releases the writer claim taken by [`RingView::claim_writer`].
    pub(crate) fn release_writer(&self) {
        self.head.release();
    }
}

impl<T: Payload> fmt::Debug for RingView<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ring")
            .field("capacity", &self.slots.len())
            .field("written", &self.written())
            .finish_non_exhaustive()
    }
}

/// [`RingView::get`] failed.
///
/// ```
/// use rtshm::{GetError, Ring};
/// let ring: Ring<u8, 2> = Ring::new();
/// assert_eq!(ring.get(0), Err(GetError::NotYet { written: 0 }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GetError {
    /// That write has not happened yet.
    NotYet {
        /// Values written so far (the next write number).
        written: u64,
    },
    /// The writer has overwritten that value.
    Overwritten {
        /// The oldest write number still held.
        oldest: u64,
    },
    /// That write was in progress during every attempt.
    Busy,
}

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::NotYet { written } => {
                write!(f, "not written yet: only {written} values written so far")
            }
            Self::Overwritten { oldest } => {
                write!(
                    f,
                    "overwritten by the writer: the oldest value held is {oldest}"
                )
            }
            Self::Busy => f.write_str("the value was being written during every read attempt"),
        }
    }
}

impl core::error::Error for GetError {}

/// The single writer of a ring, from [`Ring::writer`]. Dropping it releases the claim.
pub struct RingWriter<'a, T: Payload> {
    ring: &'a RingView<T>,
    /// The next write number; only this writer stores `head`, so it is cached here.
    next: u64,
    counters: Counters,
}

impl<T: Payload> RingWriter<'_, T> {
    /// Appends `value`, overwriting the oldest value when the ring is full, and returns its write
    /// number. Never blocks, never fails, no allocation, no syscall.
    ///
    /// ```
    /// let ring: rtshm::Ring<u8, 2> = rtshm::Ring::new();
    /// let mut w = ring.writer().unwrap();
    /// assert_eq!((w.push(&1), w.push(&2), w.push(&3)), (0, 1, 2)); // 3 overwrites 1
    /// assert_eq!(w.next_number(), 3);
    /// assert_eq!(ring.latest(), Ok(Some((2, 3))));
    /// ```
    pub fn push(&mut self, value: &T) -> u64 {
        let w = self.next;
        self.ring.push_exclusive(w, value);
        self.next = w.wrapping_add(1);
        self.counters.add(Count::Stores, 1);
        w
    }

    /// This writer's counts: values pushed (feature `stats`).
    #[cfg(feature = "stats")]
    #[must_use]
    pub fn stats(&self) -> crate::Stats {
        self.counters.snapshot()
    }

    /// The ring this writer appends to.
    ///
    /// ```
    /// let ring: rtshm::Ring<u8, 4> = rtshm::Ring::new();
    /// let mut writer = ring.writer().unwrap();
    /// writer.push(&1);
    /// assert_eq!(writer.ring().written(), 1);
    /// ```
    #[must_use]
    pub fn ring(&self) -> &RingView<T> {
        self.ring
    }

    /// The write number the next [`push`](Self::push) will return.
    #[must_use]
    pub fn next_number(&self) -> u64 {
        self.next
    }
}

impl<T: Payload> Drop for RingWriter<'_, T> {
    fn drop(&mut self) {
        self.ring.release_writer();
    }
}

impl<T: Payload> fmt::Debug for RingWriter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RingWriter")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

/// A reader's position in a ring: the next write number it will read. Owned by the reader;
/// nothing about it is stored in the ring, and it borrows nothing, so it lives next to its
/// ring or subscriber in the reader's own struct. Reads go through the ring
/// ([`RingView::next`], and the same methods on [`Ring`] and on shared-memory subscribers).
///
/// ```
/// use rtshm::{Cursor, Ring};
///
/// struct Node {
///     samples: &'static Ring<u32, 8>,
///     cursor: Cursor<u32>,
/// }
///
/// static SAMPLES: Ring<u32, 8> = Ring::new();
/// let mut node = Node { samples: &SAMPLES, cursor: SAMPLES.cursor_from_next() };
/// SAMPLES.writer().unwrap().push(&5);
/// assert_eq!(node.samples.next(&mut node.cursor), Ok(Some(5)));
///
/// // A position saved earlier (a log, a checkpoint) resumes where it was.
/// let mut again = Cursor::<u32>::at(0);
/// assert_eq!(SAMPLES.next(&mut again), Ok(Some(5)));
/// ```
pub struct Cursor<T> {
    next: u64,
    counters: Counters,
    // `fn() -> T`: a cursor is tied to its value type but holds no `T` (always Send and Sync).
    _value: PhantomData<fn() -> T>,
}

/// The writer overwrote values before the cursor read them.
///
/// The cursor has moved on to the oldest value still held; `missed` values were skipped, so the
/// `missed` counts of successive errors add up to exactly the number of values lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(
    clippy::exhaustive_structs,
    reason = "the exact count lost is the whole report, a promise"
)]
pub struct Lapped {
    /// Values lost.
    pub missed: u64,
}

impl fmt::Display for Lapped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "lapped by the writer: {} values overwritten before they were read",
            self.missed
        )
    }
}

impl core::error::Error for Lapped {}

impl<T> Cursor<T> {
    /// A cursor whose next read is write number `position` (a position saved from
    /// [`Cursor::position`], or any write number: one already overwritten reads as
    /// [`Lapped`], one not yet written as "nothing yet").
    #[must_use]
    pub fn at(position: u64) -> Self {
        Self {
            next: position,
            counters: Counters::default(),
            _value: PhantomData,
        }
    }

    /// This cursor's counts: values read, laps and values missed (feature `stats`).
    #[cfg(feature = "stats")]
    #[must_use]
    pub fn stats(&self) -> crate::Stats {
        self.counters.snapshot()
    }

    /// The write number the next successful read with this cursor returns.
    ///
    /// ```
    /// let ring: rtshm::Ring<u8, 8> = rtshm::Ring::new();
    /// let mut cursor = ring.cursor_from_oldest();
    /// ring.writer().unwrap().push(&1);
    /// assert_eq!(cursor.position(), 0);
    /// ring.next(&mut cursor).unwrap();
    /// assert_eq!(cursor.position(), 1); // save it; `Cursor::at(1)` resumes here
    /// ```
    #[must_use]
    pub fn position(&self) -> u64 {
        self.next
    }

    /// Moves forward to `target` (never back); returns how many values that skips.
    fn skip_to(&mut self, target: u64) -> u64 {
        let skipped = target.saturating_sub(self.next);
        self.next = self.next.max(target);
        skipped
    }
}

impl<T> fmt::Debug for Cursor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cursor")
            .field("position", &self.next)
            .finish_non_exhaustive()
    }
}
