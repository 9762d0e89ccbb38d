//! [`SeqLock`]: one writer, many wait-free readers, torn reads impossible.
//!
//! # Protocol
//!
//! A 64-bit sequence `seq` guards a [`Payload`] value. `seq` is even when no store is in progress;
//! `seq / 2` is the number of completed stores (the [`Version`]).
//!
//! ```text
//! writer (single):                         reader:
//!   s = seq.load(Relaxed)      // even       s1 = seq.load(Relaxed); fence(Acquire)
//!   seq.store(s + 1, Relaxed)  // odd        if s1 is odd -> retry / Busy
//!   fence(Release)                           copy words (Relaxed loads)
//!   copy words (Relaxed stores)              fence(Acquire)
//!   seq.store(s + 2, Release)                s2 = seq.load(Relaxed)
//!                                            s1 == s2 -> the copy is consistent
//! ```
//!
//! Every payload byte is copied with atomic word accesses (see `words.rs`), so a reader that
//! overlaps a store reads a torn value *without* undefined behaviour, and the sequence check
//! throws it away. Readers only load: they never write shared memory and never delay the writer.
//!
//! # Why it is correct on weakly ordered CPUs (ARM64, ARMv7, RISC-V)
//!
//! Suppose a reader accepts (`s1 == s2`, even) but one payload word it loaded was written by a
//! store `k` that began after the one that produced `s1`:
//! - The writer issued `seq.store(odd_k)` then `fence(Release)` before that word. The reader
//!   loaded the word and then issued `fence(Acquire)`. A release fence followed by a relaxed
//!   store that a relaxed load reads, followed by an acquire fence, synchronizes the two fences
//!   (C++20 \[atomics.fences\]): everything before the writer's fence, `odd_k` included, happens
//!   before the reader's `s2` load, so `s2 >= odd_k > s1`. Contradiction.
//! - Conversely, the reader's first `fence(Acquire)` after loading the even `s1` synchronizes
//!   with the `Release` store that wrote `s1`, so every word of that store is visible: the reader
//!   cannot see words older than the version it reports.
//!
//! On ARMv7 (32-bit) the 64-bit sequence is still one single-copy-atomic access: the compiler
//! uses `ldrexd`/`strexd`. Payload words are 32-bit there. On Cortex-M and RISC-V 32 targets
//! without 64-bit atomics, portable-atomic supplies the sequence (see the README's "Bare metal").
//!
//! On ARM64 the fences become `dmb ishld` (acquire) and `dmb ish` (release), on ARMv7 `dmb ish`;
//! on x86_64 they are compiler barriers only (TSO already orders these accesses), which is why
//! code that "works on x86" without them breaks on a robot's ARM computer. The assembly of both
//! halves is pinned per target in `asm/snapshots/` (checked by `ci/asm.sh`). The loom model in
//! `tests/loom_seqlock.rs` fails if any of the four orderings is weakened.
//!
//! # Cost (worst case)
//! - [`SeqWriter::store`]: two sequence stores, one release fence, and
//!   `size_of::<T>() / size_of::<usize>() + 3` relaxed word stores. Never blocks, never fails,
//!   no allocation, no syscall.
//! - [`SeqLock::try_load`]: at most [`TRY_LOAD_ATTEMPTS`] attempts, each one copy of `T` plus two
//!   sequence loads and a spin hint. Wait-free.
//! - [`SeqLock::load`]: retries until a copy does not overlap a store. It cannot spin forever
//!   in-process, because a store cannot stop half-way without stopping the whole process, but
//!   it is only lock-free: a writer storing flat out can starve it (use a ring for high-rate
//!   producers).
//!
//! # Real-time caveat
//! A reader that preempts the writer *on the same core* at a higher priority (an interrupt
//! handler, or a `SCHED_FIFO` thread on Linux) spins until the writer runs again, which it never
//! does while the reader spins. In such a reader use [`SeqLock::try_load`], which gives up with
//! [`Busy`] after a bounded number of attempts.

use core::fmt;

use crate::Payload;

use crate::stats::{Count, Counters};
use crate::sync::{self, AtomicBool, AtomicU64, Ordering, fence};
use crate::words::Words;

/// Number of attempts [`SeqLock::try_load`] makes before it returns [`Busy`].
///
/// Each attempt that finds a store in progress issues one spin hint before the next, so with
/// small payloads this bound covers a store that is in progress on another core.
pub const TRY_LOAD_ATTEMPTS: u32 = 64;

/// The bound every bounded read and query uses: [`TRY_LOAD_ATTEMPTS`], except in loom models,
/// which use 2 to keep the explored state space small.
pub(crate) const ATTEMPTS: u32 = if cfg!(rtshm_loom) {
    2
} else {
    TRY_LOAD_ATTEMPTS
};

/// A value that one writer stores and many readers load without locks and without ever observing
/// a torn value.
///
/// `SeqLock::new` is a `const fn`, so a `SeqLock` can be a `static` shared with an interrupt
/// handler or other threads:
///
/// ```
/// use bytemuck::{Pod, Zeroable};
/// use rtshm::SeqLock;
///
/// #[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
/// #[repr(C)]
/// struct Imu {
///     accel: [f32; 3],
///     gyro: [f32; 3],
/// }
///
/// impl Imu {
///     const ZERO: Self = Self { accel: [0.0; 3], gyro: [0.0; 3] };
/// }
///
/// static SENSOR: SeqLock<Imu> = SeqLock::new(Imu::ZERO);
///
/// let mut writer = SENSOR.writer().expect("first claim succeeds");
/// assert!(SENSOR.writer().is_err(), "a second writer is refused");
///
/// let sample = Imu { accel: [0.0, 0.0, 9.81], gyro: [0.01, 0.0, 0.0] };
/// let version = writer.store(&sample);
///
/// std::thread::spawn(move || {
///     assert_eq!(SENSOR.load(), sample);
///     assert_eq!(SENSOR.load_if_newer(rtshm::Version::INITIAL), Some((sample, version)));
/// })
/// .join()
/// .unwrap();
/// ```
///
/// For large payloads (camera frames), allocate the lock zeroed on the heap instead of building it
/// on the stack, and read into a buffer you keep:
///
/// ```
/// use rtshm::SeqLock;
///
/// type Frame = [u8; 640 * 480 * 3];
/// let lock: Box<SeqLock<Frame>> = bytemuck::zeroed_box();
/// let mut frame: Box<Frame> = bytemuck::zeroed_box();
/// let version = lock.load_into(&mut frame);
/// assert_eq!(version, rtshm::Version::INITIAL);
/// ```
#[repr(C)]
pub struct SeqLock<T> {
    /// Even: stable, `seq / 2` completed stores. Odd: a store is in progress.
    seq: AtomicU64,
    /// Set while a [`SeqWriter`] exists.
    writer: AtomicBool,
    value: Words<T>,
}

// SAFETY: every access to the shared value goes through atomic word loads and stores
// (`Words`), the sequence and the writer flag are atomics, and `T: Payload` values carry no
// references or ownership, so sharing `&SeqLock<T>` across threads is free of data races.
unsafe impl<T: Payload + Send> Sync for SeqLock<T> {}

// SAFETY: all fields are valid when zeroed: a zero sequence (version 0, no store in progress),
// a cleared writer flag, and a zeroed `T`, valid because `T: Zeroable`.
#[cfg(not(rtshm_loom))]
unsafe impl<T: bytemuck::Zeroable> bytemuck::Zeroable for SeqLock<T> {}

/// A consistent snapshot's version: the number of stores completed before it.
///
/// Version 0 ([`Version::INITIAL`]) is the value given to [`SeqLock::new`]. Versions only grow,
/// so a reader remembers the last one it saw and asks for something newer with
/// [`SeqLock::load_if_newer`].
///
/// ```
/// use rtshm::{SeqLock, Version};
///
/// let lock = SeqLock::new(0u8);
/// let mut seen = Version::INITIAL;
/// lock.writer().unwrap().store(&1);
/// let (_, version) = lock.load_if_newer(seen).unwrap();
/// assert!(version > seen); // versions only grow
/// seen = version;
/// assert_eq!(lock.load_if_newer(seen), None);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(u64);

impl Version {
    /// The version of the initial value, before any store.
    pub const INITIAL: Self = Self(0);

    /// The number of stores completed before this snapshot.
    ///
    /// ```
    /// let lock = rtshm::SeqLock::new(0u8);
    /// lock.writer().unwrap().store(&1);
    /// assert_eq!(lock.version().get(), 1); // stores completed
    /// ```
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The version of a value whose stable (even) sequence is `seq`.
    const fn from_seq(seq: u64) -> Self {
        Self(seq >> 1)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
    }
}

unit_error! {
    /// [`SeqLock::writer`] failed: another [`SeqWriter`] for this lock exists.
    WriterTaken,
    "the SeqLock already has a writer; drop the existing SeqWriter first"
}

unit_error! {
    /// [`SeqLock::try_load`] gave up: every one of its [`TRY_LOAD_ATTEMPTS`] attempts overlapped a
    /// store.
    ///
    /// Retry later, or call [`SeqLock::load`] where waiting for the writer is acceptable.
    Busy,
    "the writer was storing during all {TRY_LOAD_ATTEMPTS} read attempts; retry later"
}

/// One read attempt of a seqlock with sequence word `seq`: `copy` copies the value, and the
/// result is `Some(stable sequence)` if that copy is consistent.
///
/// The reading half of the protocol, shared by typed locks and the untyped `shm::Inspector`.
#[inline(always)]
fn read_once(seq: &AtomicU64, copy: impl FnOnce()) -> Option<u64> {
    let s1 = seq.load(Ordering::Relaxed);
    // SYNC POINT seqlock-publish (reader). Acquire: pairs with the writer's side of
    // seqlock-publish: every word of the store that produced `s1` is visible to the copy below.
    fence(Ordering::Acquire);
    if s1 & 1 == 1 {
        return None;
    }
    copy();
    // SYNC POINT seqlock-begin (reader). Acquire: pairs with the writer's side of
    // seqlock-begin: if the copy saw any word of a later store, the load below sees that
    // store's odd sequence.
    fence(Ordering::Acquire);
    let s2 = seq.load(Ordering::Relaxed);
    (s1 == s2).then_some(s1)
}

/// Up to [`TRY_LOAD_ATTEMPTS`] read attempts ([`read_once`]); returns the version read, or
/// [`Busy`], and how many attempts were repeated.
#[inline(always)]
pub(crate) fn try_read(seq: &AtomicU64, mut copy: impl FnMut()) -> (Result<Version, Busy>, u32) {
    for attempt in 0..ATTEMPTS {
        if let Some(s) = read_once(seq, &mut copy) {
            return (Ok(Version::from_seq(s)), attempt);
        }
        sync::spin_loop();
    }
    (Err(Busy), ATTEMPTS - 1)
}

/// Byte offset of a [`SeqLock`]'s writer flag, for every payload type (`repr(C)`: the `u64`
/// sequence, then the flag).
#[cfg(all(feature = "std", not(rtshm_loom)))]
pub(crate) const WRITER_FLAG_OFFSET: usize = 8;
#[cfg(all(feature = "std", not(rtshm_loom)))]
static_assertions::const_assert_eq!(
    core::mem::offset_of!(SeqLock<[u8; 1]>, writer),
    WRITER_FLAG_OFFSET
);
#[cfg(all(feature = "std", not(rtshm_loom)))]
static_assertions::const_assert_eq!(
    core::mem::offset_of!(SeqLock<[u128; 3]>, writer),
    WRITER_FLAG_OFFSET
);

/// One store of a seqlock with sequence word `seq`: `store` copies the value in. The caller is
/// the only writer (it holds the claim).
///
/// The writing half of the protocol, shared by typed locks and the untyped
/// `shm::RawPublisher`.
#[inline(always)]
pub(crate) fn write_with(seq: &AtomicU64, store: impl FnOnce()) -> Version {
    // Relaxed: only the (single) writer stores `seq`, and it already sees its own or, via
    // the claim side of SYNC POINT writer-claim, the previous writer's last store.
    let s = seq.load(Ordering::Relaxed);
    // An odd `s` means an earlier writer died mid-store (possible only for a lock in shared
    // memory). Keep it odd: adding 1 would make its torn data look valid.
    let odd = s | 1;
    if odd != s {
        seq.store(odd, Ordering::Relaxed);
    }
    // SYNC POINT seqlock-begin (writer). Release: pairs with the reader's side of
    // seqlock-begin: a reader that loads any word stored below then loads `seq >= odd` after
    // its fence, and rejects the copy.
    fence(Ordering::Release);
    store();
    let done = odd.wrapping_add(1);
    // SYNC POINT seqlock-publish (writer). Release: pairs with the reader's side of
    // seqlock-publish: a reader that loads `done` sees every word stored above.
    seq.store(done, Ordering::Release);
    Version::from_seq(done)
}

/// Claims a writer flag (a lock's or a ring's): fails with [`WriterTaken`] while it is set.
#[inline]
pub(crate) fn claim_flag(flag: &AtomicBool) -> Result<(), WriterTaken> {
    // SYNC POINT writer-claim (claim). Acquire: pairs with the release side of writer-claim,
    // so this writer sees the sequences the previous writer left.
    if flag.swap(true, Ordering::Acquire) {
        Err(WriterTaken)
    } else {
        Ok(())
    }
}

/// Releases a writer flag taken by [`claim_flag`].
#[inline]
pub(crate) fn release_flag(flag: &AtomicBool) {
    // SYNC POINT writer-claim (release). Release: pairs with the claim side of writer-claim:
    // the next writer sees this writer's last sequence stores.
    flag.store(false, Ordering::Release);
}

impl<T: Payload> SeqLock<T> {
    crate::sync::const_fn! {
        const_if: #[cfg(not(rtshm_loom))];
        /// A lock holding `value` at [`Version::INITIAL`], with no writer claimed.
        #[must_use]
        pub const fn new(value: T) -> Self {
            Self {
                seq: AtomicU64::new(0),
                writer: AtomicBool::new(false),
                value: Words::new(value),
            }
        }
    }

    /// Claims the single writer. Fails with [`WriterTaken`] while another [`SeqWriter`] for this
    /// lock exists; the claim is released when the `SeqWriter` is dropped.
    ///
    /// ```
    /// let lock = rtshm::SeqLock::new(0u64);
    /// let writer = lock.writer().unwrap();
    /// assert_eq!(lock.writer().err(), Some(rtshm::WriterTaken));
    /// drop(writer);
    /// assert!(lock.writer().is_ok());
    /// ```
    pub fn writer(&self) -> Result<SeqWriter<'_, T>, WriterTaken> {
        claim_flag(&self.writer)?;
        Ok(SeqWriter {
            lock: self,
            counters: Counters::default(),
        })
    }

    /// Stores `value` without claiming the writer.
    ///
    /// For writers that guarantee exclusivity by other means, for example a single interrupt
    /// handler on a microcontroller that owns the lock.
    ///
    /// # Safety
    /// No other store to this lock ([`SeqWriter::store`] or `store_unsynchronized`) may run at
    /// the same time, on any thread or interrupt priority. Two overlapping stores can make a
    /// mixture of both values look consistent to readers (memory stays free of data races, but
    /// the no-torn-read guarantee is lost).
    pub unsafe fn store_unsynchronized(&self, value: &T) -> Version {
        self.store_exclusive(value)
    }

    /// The single-writer store. Callers guarantee that no other store runs concurrently.
    #[inline]
    pub(crate) fn store_exclusive(&self, value: &T) -> Version {
        write_with(&self.seq, || self.value.store(value))
    }

    /// Reads a consistent value into `dst`, giving up with [`Busy`] after
    /// [`TRY_LOAD_ATTEMPTS`] attempts that overlap a store. Wait-free.
    ///
    /// On `Err`, `dst` holds unspecified (possibly torn) bytes.
    ///
    /// ```
    /// let lock = rtshm::SeqLock::new([0u8; 4096]);
    /// lock.writer().unwrap().store(&[5; 4096]);
    /// let mut frame = [0u8; 4096];
    /// let version = lock.try_load_into(&mut frame).unwrap();
    /// assert_eq!((frame[0], version.get()), (5, 1));
    /// ```
    pub fn try_load_into(&self, dst: &mut T) -> Result<Version, Busy> {
        self.try_load_retries(dst).0
    }

    /// [`SeqLock::try_load_into`], also returning how many attempts were repeated (for the
    /// statistics of a handle that counts them).
    #[inline]
    pub(crate) fn try_load_retries(&self, dst: &mut T) -> (Result<Version, Busy>, u32) {
        try_read(&self.seq, || self.value.load(dst))
    }

    /// Reads a consistent value, giving up with [`Busy`] after [`TRY_LOAD_ATTEMPTS`] attempts
    /// that overlap a store. Wait-free: use it where the reader may preempt the writer (an
    /// interrupt handler, a higher-priority real-time thread on the writer's core).
    ///
    /// ```
    /// let lock = rtshm::SeqLock::new([1u16, 2, 3]);
    /// assert_eq!(lock.try_load(), Ok([1, 2, 3]));
    /// ```
    pub fn try_load(&self) -> Result<T, Busy> {
        let mut value = T::zeroed();
        self.try_load_into(&mut value).map(|_| value)
    }

    /// Reads a consistent value into `dst` and returns its version, retrying until a read does
    /// not overlap a store (spinning, then yielding the thread under `std`).
    ///
    /// Use it for large payloads, with a buffer kept between calls, to avoid copying the value
    /// through the stack.
    ///
    /// ```
    /// let lock = rtshm::SeqLock::new([0u8; 8192]);
    /// lock.writer().unwrap().store(&[1; 8192]);
    /// let mut frame = Box::new([0u8; 8192]); // kept between calls, not on the stack
    /// let version = lock.load_into(&mut frame);
    /// assert_eq!((frame[8191], version.get()), (1, 1));
    /// ```
    pub fn load_into(&self, dst: &mut T) -> Version {
        loop {
            if let Ok(version) = self.try_load_into(dst) {
                return version;
            }
            sync::yield_now();
        }
    }

    /// Reads a consistent value, retrying until a read does not overlap a store.
    ///
    /// In-process this always returns: a store cannot stop half-way unless the whole process
    /// stops. See the module docs for the real-time caveat and [`SeqLock::try_load`].
    ///
    /// ```
    /// let lock = rtshm::SeqLock::new(7u32);
    /// assert_eq!(lock.load(), 7);
    /// ```
    #[must_use]
    pub fn load(&self) -> T {
        let mut value = T::zeroed();
        self.load_into(&mut value);
        value
    }

    /// Reads the value if a store newer than `last` has completed, with its version.
    ///
    /// Returns `None` at once (one atomic load, no copy) when nothing newer is there, including
    /// while the next store is still in progress. Otherwise it reads like [`SeqLock::load`].
    ///
    /// ```
    /// let lock = rtshm::SeqLock::new(0u32);
    /// let mut writer = lock.writer().unwrap();
    /// let mut last = rtshm::Version::INITIAL;
    /// assert_eq!(lock.load_if_newer(last), None);
    /// writer.store(&5);
    /// let (value, version) = lock.load_if_newer(last).unwrap();
    /// assert_eq!((value, version.get()), (5, 1));
    /// last = version;
    /// assert_eq!(lock.load_if_newer(last), None);
    /// ```
    #[must_use]
    pub fn load_if_newer(&self, last: Version) -> Option<(T, Version)> {
        if self.version() <= last {
            return None;
        }
        let mut value = T::zeroed();
        let version = self.load_into(&mut value);
        (version > last).then_some((value, version))
    }

    /// The number of completed stores, read without copying the value. A store in progress is
    /// not counted.
    ///
    /// ```
    /// let lock = rtshm::SeqLock::new(0u32);
    /// assert_eq!(lock.version(), rtshm::Version::INITIAL);
    /// lock.writer().unwrap().store(&1);
    /// assert_eq!(lock.version().get(), 1);
    /// ```
    #[must_use]
    pub fn version(&self) -> Version {
        // Relaxed: a hint only; no data is read on the strength of it.
        Version::from_seq(self.seq.load(Ordering::Relaxed))
    }
}

impl<T: Payload> Default for SeqLock<T> {
    /// A lock holding an all-zero `T`.
    fn default() -> Self {
        Self::new(T::zeroed())
    }
}

impl<T: Payload> fmt::Debug for SeqLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeqLock")
            .field("version", &self.version())
            // Relaxed: diagnostic only.
            .field("writer_claimed", &self.writer.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// The single writer of a [`SeqLock`], from [`SeqLock::writer`]. Dropping it releases the claim.
pub struct SeqWriter<'a, T: Payload> {
    lock: &'a SeqLock<T>,
    counters: Counters,
}

impl<T: Payload> SeqWriter<'_, T> {
    /// Stores `value` and returns its version. Never blocks, never fails, no allocation, no
    /// syscall; cost is one copy of `T` plus three atomic accesses and a fence.
    ///
    /// ```
    /// let lock = rtshm::SeqLock::new(0u32);
    /// let mut writer = lock.writer().unwrap();
    /// assert_eq!(writer.store(&7).get(), 1); // the version of this store
    /// assert_eq!(writer.store(&8).get(), 2);
    /// assert_eq!(lock.load(), 8);
    /// ```
    pub fn store(&mut self, value: &T) -> Version {
        self.counters.add(Count::Stores, 1);
        // `SeqWriter` exists only while the claim flag is held, so this is the only store.
        self.lock.store_exclusive(value)
    }

    /// This writer's counts: values stored (feature `stats`).
    #[cfg(feature = "stats")]
    #[must_use]
    pub fn stats(&self) -> crate::Stats {
        self.counters.snapshot()
    }

    /// The lock this writer stores into.
    ///
    /// ```
    /// let lock = rtshm::SeqLock::new(5u32);
    /// let writer = lock.writer().unwrap();
    /// assert_eq!(writer.lock().load(), 5);
    /// ```
    #[must_use]
    pub fn lock(&self) -> &SeqLock<T> {
        self.lock
    }
}

impl<T: Payload> SeqLock<T> {
    /// Releases the writer claim taken by [`SeqLock::writer`].
    pub(crate) fn release_writer(&self) {
        release_flag(&self.writer);
    }
}

impl<T: Payload> Drop for SeqWriter<'_, T> {
    fn drop(&mut self) {
        self.lock.release_writer();
    }
}

impl<T: Payload> fmt::Debug for SeqWriter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeqWriter")
            .field("version", &self.lock.version())
            .finish()
    }
}

#[cfg(all(test, not(rtshm_loom)))]
mod tests {
    use super::*;

    #[test]
    fn store_then_load_returns_value_and_version() {
        let lock = SeqLock::new([0u64; 4]);
        let mut w = lock.writer().unwrap();
        assert_eq!(lock.version(), Version::INITIAL);
        assert_eq!(w.store(&[1, 2, 3, 4]).get(), 1);
        assert_eq!(w.store(&[5, 6, 7, 8]).get(), 2);
        assert_eq!(lock.load(), [5, 6, 7, 8]);
        assert_eq!(lock.version().get(), 2);
    }

    #[test]
    fn second_writer_is_refused_until_first_is_dropped() {
        let lock = SeqLock::new(0u8);
        let w = lock.writer().unwrap();
        assert_eq!(lock.writer().err(), Some(WriterTaken));
        drop(w);
        let mut w2 = lock.writer().unwrap();
        w2.store(&3);
        assert_eq!(lock.load(), 3);
    }

    #[test]
    fn try_load_reports_busy_while_a_store_is_in_progress() {
        let lock = SeqLock::new(9u32);
        // Simulate a writer stopped mid-store (an odd sequence).
        lock.seq.store(1, Ordering::Relaxed);
        assert_eq!(lock.try_load(), Err(Busy));
        let mut buf = 0;
        assert_eq!(lock.try_load_into(&mut buf), Err(Busy));
        // Nothing completed after the initial value, so nothing is newer.
        assert_eq!(lock.load_if_newer(Version::INITIAL), None);
    }

    #[test]
    fn store_after_interrupted_store_keeps_sequence_odd_until_done() {
        let lock = SeqLock::new(0u32);
        lock.seq.store(5, Ordering::Relaxed); // a writer died during store 3
        let mut w = lock.writer().unwrap();
        // The repaired store completes store 3 instead of declaring the torn data valid.
        assert_eq!(w.store(&42).get(), 3);
        assert_eq!(lock.try_load(), Ok(42));
    }

    #[test]
    fn load_if_newer_sees_each_version_once() {
        let lock = SeqLock::new(0u16);
        let mut w = lock.writer().unwrap();
        let mut last = Version::INITIAL;
        for i in 1..=5u16 {
            assert_eq!(lock.load_if_newer(last), None);
            w.store(&i);
            let (v, ver) = lock.load_if_newer(last).unwrap();
            assert_eq!((v, ver.get()), (i, u64::from(i)));
            last = ver;
        }
    }

    #[test]
    fn zero_sized_payload_counts_versions() {
        let lock = SeqLock::new(());
        let mut w = lock.writer().unwrap();
        w.store(&());
        assert_eq!(lock.load_if_newer(Version::INITIAL), Some(((), Version(1))));
    }

    #[test]
    fn errors_explain_themselves() {
        extern crate std;
        use std::string::ToString;
        assert!(WriterTaken.to_string().contains("already has a writer"));
        assert!(Busy.to_string().contains("64 read attempts"));
        assert_eq!(Version(3).to_string(), "v3");
    }
}
