//! [`Queue`]: a lossless single-producer single-consumer queue. Where a [`Ring`](crate::Ring)
//! overwrites what a slow reader has not read, a queue tells its producer "full": for commands,
//! events and log records, which must not be lost.
//!
//! ```
//! use rtshm::{Full, Queue};
//!
//! static COMMANDS: Queue<[u8; 16], 4> = Queue::new();
//!
//! let mut producer = COMMANDS.producer().unwrap(); // an interrupt handler, a thread...
//! let mut consumer = COMMANDS.consumer().unwrap(); // ...and the main loop
//! for c in 0..4 {
//!     producer.try_push(&[c; 16]).unwrap();
//! }
//! assert_eq!(producer.try_push(&[9; 16]), Err(Full)); // nothing overwritten
//! assert_eq!(consumer.try_pop(), Some([0; 16]));
//! assert!(producer.try_push(&[4; 16]).is_ok());
//! let mut rest = [[0u8; 16]; 8];
//! assert_eq!(consumer.pop_into_slice(&mut rest), 4);
//! assert_eq!(rest[3], [4; 16]);
//! ```
//!
//! # Protocol
//!
//! Two 64-bit indices count the values ever pushed (`tail`, written only by the producer) and
//! popped (`head`, written only by the consumer); value `n` lives in slot `n & (N - 1)`. Each
//! index sits on its own 128-byte line, and each side keeps a private copy of the other's,
//! refreshed only when the queue looks full (producer) or empty (consumer): the common path
//! touches only the caller's own line and the slot (the technique of rtrb and crossbeam).
//!
//! ```text
//! producer, value t:                        consumer, value h:
//!   if t - head_cache == N:                   if h == tail_cache:
//!     head_cache = head.load(Acquire)           tail_cache = tail.load(Acquire)
//!     still N -> Full                           still equal -> empty
//!   copy the value into slot t & mask         copy the value out of slot h & mask
//!   tail.store(t + 1, Release)                head.store(h + 1, Release)
//! ```
//!
//! `queue-publish`: the producer's Release store of `tail` pairs with the consumer's Acquire
//! load, so the consumer sees the value of every slot below `tail`. `queue-release`: the
//! consumer's Release store of `head` pairs with the producer's Acquire load, so the consumer's
//! copy out of a slot happens before the producer's next store into it.
//!
//! # Slots
//!
//! The two sync points hand each slot to one side at a time: the producer owns the slots from
//! `tail` up to `head + N`, the consumer those from `head` up to `tail`, and each side moves
//! its own boundary only after its copy. No slot is ever accessed by both sides at once, so,
//! unlike a seqlock's value (which a reader copies while the writer may store it), a slot holds
//! no shared bytes in the sense of the crate's rule: its value moves by a plain copy (`memcpy`
//! for large values), as rtrb's does. (With atomic word copies, eight stores and eight
//! loads per 64-byte value, the queue took 2.2-2.6 times rtrb's time per value:
//! BENCHMARKS.md.) The loom models (`tests/loom_queue.rs`) check the hand-off on every slot
//! access (loom's `UnsafeCell` reports an access that is not ordered after the other side's
//! last one), and Miri's race detector runs the threaded tests.
//!
//! A queue segment (`shm::QueueProducer`, `shm::QueueConsumer`) keeps atomic word copies:
//! its other side is another process, which the protocol cannot make behave.
//!
//! # Cost (worst case)
//! - [`Producer::try_push`], [`Consumer::try_pop`]: one copy of `T`, one atomic store, and one
//!   atomic load of the other side's line only when the cached index says full (empty). Never
//!   blocks, no allocation, no syscall.
//! - The batch forms ([`Producer::push_slice`], [`Consumer::pop_into_slice`]) publish once for
//!   the whole batch.

use core::fmt;

use crate::Payload;
use crate::seqlock::{WriterTaken, claim_flag, release_flag};
use crate::stats::{Count, Counters};
use crate::sync::{AtomicBool, AtomicU64, Ordering, const_fn};

/// One side's line: its index and its claim flag, alone on a 128-byte line (the width of a
/// cache-line pair that x86_64 and aarch64 prefetch together).
#[repr(C, align(128))]
struct Line {
    index: AtomicU64,
    claimed: AtomicBool,
}

impl Line {
    const_fn! {
        const_if: #[cfg(not(rtshm_loom))];
        const fn new() -> Self {
            Self {
                index: AtomicU64::new(0),
                claimed: AtomicBool::new(false),
            }
        }
    }
}

/// A lossless single-producer single-consumer queue of `N` values (`N` a power of two, checked
/// at compile time) that owns its storage. `Queue::new` is a `const fn`, so a queue can be a
/// `static` (an interrupt handler pushes, the main loop pops). One [`Producer`] and one
/// [`Consumer`] at a time, each claimed like a ring's writer.
///
/// ```
/// use rtshm::Queue;
///
/// // Commands from a control thread to a motor driver thread: none may be lost.
/// static COMMANDS: Queue<[i16; 2], 16> = Queue::new();
///
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         let mut producer = COMMANDS.producer().unwrap();
///         for speed in 0..100i16 {
///             while producer.try_push(&[speed, -speed]).is_err() {
///                 std::thread::yield_now(); // full: the driver has not caught up
///             }
///         }
///     });
///     let mut consumer = COMMANDS.consumer().unwrap();
///     let mut next = 0i16;
///     while next < 100 {
///         match consumer.try_pop() {
///             Some(command) => {
///                 assert_eq!(command, [next, -next]); // every one, in order
///                 next += 1;
///             }
///             None => std::thread::yield_now(),
///         }
///     }
/// });
/// assert!(COMMANDS.is_empty());
/// ```
#[repr(C)]
pub struct Queue<T, const N: usize> {
    producer: Line,
    consumer: Line,
    slots: [Slot<T>; N],
}

#[cfg(not(rtshm_loom))]
use core::cell::UnsafeCell;
#[cfg(rtshm_loom)]
use loom::cell::UnsafeCell;

/// One value's storage. The index protocol hands each slot to one side at a time: to the
/// producer while its number is at or above `tail` (the consumer released it: `queue-release`),
/// to the consumer while it is below `tail` and at or above `head` (the producer published it:
/// `queue-publish`). Neither side touches a slot the other owns, so its value moves by plain
/// copies (module docs, "Slots"); under loom the cell checks that hand-off on every access.
#[repr(transparent)]
struct Slot<T>(UnsafeCell<T>);

impl<T: Payload> Slot<T> {
    const_fn! {
        const_if: #[cfg(not(rtshm_loom))];
        /// A slot holding an all-zero `T`.
        const fn zeroed() -> Self {
            // SAFETY: every `Payload` is valid when all-zero (`Pod` types and `Stamped` of them).
            Self(UnsafeCell::new(unsafe { core::mem::MaybeUninit::<T>::zeroed().assume_init() }))
        }
    }

    /// Copies `value` into the slot.
    ///
    /// # Safety
    /// The calling producer owns the slot: its number is at or above `tail` (not published
    /// yet) and below `head + N`, with `head` loaded with Acquire (the consumer's copy out of
    /// it is done). So no other access to it runs.
    #[inline(always)]
    unsafe fn write(&self, value: &T) {
        #[cfg(not(rtshm_loom))]
        // SAFETY: the caller's contract: no concurrent access; the pointer is valid and aligned.
        unsafe {
            self.0.get().write(*value);
        }
        #[cfg(rtshm_loom)]
        // SAFETY: as above; loom checks the caller's claim of exclusive access.
        self.0.with_mut(|p| unsafe { p.write(*value) });
    }

    /// Copies the slot's value into `dst`.
    ///
    /// # Safety
    /// The calling consumer owns the slot: its number is at or above `head` (not released
    /// yet) and below `tail`, loaded with Acquire (the producer's copy into it is done). So no
    /// store to it runs.
    #[inline(always)]
    unsafe fn read(&self, dst: &mut T) {
        #[cfg(not(rtshm_loom))]
        // SAFETY: the caller's contract: no concurrent store; the pointer is valid and aligned.
        unsafe {
            *dst = self.0.get().read();
        }
        #[cfg(rtshm_loom)]
        // SAFETY: as above; loom checks the caller's claim.
        self.0.with(|p| *dst = unsafe { p.read() });
    }
}

// SAFETY: the indices and flags are atomics; a slot is accessed only by the side that owns it
// under the index protocol (module docs, "Slots"), and one `Producer` and one `Consumer` exist
// at a time (claim flags); `T: Payload` values carry no references. Sharing `&Queue` is
// race-free.
unsafe impl<T: Payload + Send, const N: usize> Sync for Queue<T, N> {}

// SAFETY: an all-zero queue is an empty one: both indices 0, neither side claimed, zeroed
// values (valid: `T: Zeroable`). A zeroed queue whose `N` is not a power of two is still
// rejected at compile time by `producer`/`consumer`, which every use goes through. This lets
// large queues be built on the heap with `bytemuck::zeroed_box`.
#[cfg(not(rtshm_loom))]
unsafe impl<T: bytemuck::Zeroable, const N: usize> bytemuck::Zeroable for Queue<T, N> {}

unit_error! {
    /// [`Producer::try_push`] found the queue full: the consumer has not popped the oldest value
    /// yet. Nothing was written.
    Full,
    "the queue is full: the consumer has not caught up"
}

unit_error! {
    /// [`Queue::consumer`] found another [`Consumer`] of the queue alive.
    ConsumerTaken,
    "the queue's consumer is already claimed"
}

/// `N` zeroed slots (loom: built one by one, its atomics are not `const`).
#[cfg(not(rtshm_loom))]
const fn empty_slots<T: Payload, const N: usize>() -> [Slot<T>; N] {
    [const { Slot::zeroed() }; N]
}

#[cfg(rtshm_loom)]
fn empty_slots<T: Payload, const N: usize>() -> [Slot<T>; N] {
    core::array::from_fn(|_| Slot::zeroed())
}

impl<T: Payload, const N: usize> Queue<T, N> {
    const MASK: u64 = match crate::Capacity::new(N) {
        Ok(c) => c.get() as u64 - 1,
        Err(_) => panic!("Queue capacity N must be a power of two between 1 and Capacity::MAX"),
    };

    const_fn! {
        const_if: #[cfg(not(rtshm_loom))];
        /// An empty queue.
        #[must_use]
        pub const fn new() -> Self {
            let _ = Self::MASK;
            Self {
                producer: Line::new(),
                consumer: Line::new(),
                slots: empty_slots(),
            }
        }
    }

    /// Claims the single producer; fails with [`WriterTaken`] while another [`Producer`] of
    /// this queue exists (dropping it releases the claim).
    ///
    /// ```
    /// use rtshm::{Queue, WriterTaken};
    ///
    /// let queue: Queue<u32, 8> = Queue::new();
    /// let producer = queue.producer().unwrap();
    /// assert_eq!(queue.producer().err(), Some(WriterTaken));
    /// drop(producer);
    /// assert!(queue.producer().is_ok());
    /// ```
    pub fn producer(&self) -> Result<Producer<'_, T, N>, WriterTaken> {
        let _ = Self::MASK;
        claim_flag(&self.producer.claimed)?;
        // Relaxed: only producers store `tail`, and the claim's Acquire ordered the previous
        // producer's stores before this load.
        let tail = self.producer.index.load(Ordering::Relaxed);
        let head = self.consumer.index.load(Ordering::Acquire);
        Ok(Producer {
            queue: self,
            end: TailEnd { tail, head },
            counters: Counters::default(),
        })
    }

    /// Claims the single consumer; fails with [`ConsumerTaken`] while another [`Consumer`] of
    /// this queue exists (dropping it releases the claim).
    ///
    /// ```
    /// use rtshm::{ConsumerTaken, Queue};
    ///
    /// let queue: Queue<u32, 8> = Queue::new();
    /// let consumer = queue.consumer().unwrap();
    /// assert_eq!(queue.consumer().err(), Some(ConsumerTaken));
    /// ```
    pub fn consumer(&self) -> Result<Consumer<'_, T, N>, ConsumerTaken> {
        let _ = Self::MASK;
        claim_flag(&self.consumer.claimed).map_err(|WriterTaken| ConsumerTaken)?;
        let head = self.consumer.index.load(Ordering::Relaxed);
        let tail = self.producer.index.load(Ordering::Acquire);
        Ok(Consumer {
            queue: self,
            end: HeadEnd { head, tail },
            counters: Counters::default(),
        })
    }

    /// The number of slots, `N`.
    ///
    /// ```
    /// let queue: rtshm::Queue<u8, 32> = rtshm::Queue::new();
    /// assert_eq!(queue.capacity(), 32);
    /// ```
    #[must_use]
    pub const fn capacity(&self) -> usize {
        N
    }

    /// The values pushed and not yet popped, as an observer sees them (either side may move
    /// before the answer is used).
    ///
    /// ```
    /// let queue: rtshm::Queue<u8, 8> = rtshm::Queue::new();
    /// queue.producer().unwrap().push_slice(&[1, 2, 3]);
    /// assert_eq!(queue.len(), 3); // as an observer (a monitor thread) sees it
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        let head = self.consumer.index.load(Ordering::Relaxed);
        let tail = self.producer.index.load(Ordering::Relaxed);
        tail.saturating_sub(head).min(N as u64) as usize
    }

    /// Whether [`len`](Self::len) is 0.
    ///
    /// ```
    /// let queue: rtshm::Queue<u8, 8> = rtshm::Queue::new();
    /// assert!(queue.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline(always)]
    fn slot(&self, n: u64) -> &Slot<T> {
        &self.slots[(n & Self::MASK) as usize]
    }
}

impl<T: Payload, const N: usize> Default for Queue<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Payload, const N: usize> fmt::Debug for Queue<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("capacity", &N)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// The producer's side of the index protocol (module docs), over any storage of the two
/// indices: the in-process [`Queue`] and a shared-memory queue segment.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TailEnd {
    /// The next value's number: only this producer stores `tail`, so it is kept here.
    pub(crate) tail: u64,
    /// The consumer's `head` as last loaded: at most the real one.
    pub(crate) head: u64,
}

impl TailEnd {
    /// Free slots of `capacity`, refreshing the consumer's index from `head` if fewer than
    /// `want` look free.
    #[inline(always)]
    pub(crate) fn free(&mut self, capacity: u64, want: u64, head: &AtomicU64) -> u64 {
        let free = Self::room(capacity, self.tail, self.head);
        if free >= want {
            return free;
        }
        // SYNC POINT queue-release (producer). Acquire: pairs with the consumer's Release
        // store of `head`: its copies out of the slots below `head` are done before this
        // producer stores into them again.
        self.head = head.load(Ordering::Acquire);
        Self::room(capacity, self.tail, self.head)
    }

    /// Free slots between the indices. A `head` that no consumer could have stored (beyond
    /// `tail`, or more than `capacity` behind it: another process's memory can say anything)
    /// leaves no room, never an overflow.
    #[inline(always)]
    fn room(capacity: u64, tail: u64, head: u64) -> u64 {
        capacity.saturating_sub(tail.wrapping_sub(head))
    }

    /// Stores as many of `values` as fit into the slots from `tail` on (`store(number,
    /// value)`), not published yet; returns how many.
    #[inline(always)]
    pub(crate) fn fill<T>(
        &mut self,
        capacity: u64,
        values: &[T],
        head: &AtomicU64,
        mut store: impl FnMut(u64, &T),
    ) -> u64 {
        let n = self
            .free(capacity, values.len() as u64, head)
            .min(values.len() as u64);
        for (i, value) in values[..n as usize].iter().enumerate() {
            store(self.tail.wrapping_add(i as u64), value);
        }
        n
    }

    /// Makes values `tail..tail + n` visible to the consumer by storing `tail`.
    #[inline(always)]
    pub(crate) fn publish(&mut self, n: u64, tail: &AtomicU64) {
        self.tail = self.tail.wrapping_add(n);
        // SYNC POINT queue-publish (producer). Release: pairs with the consumer's Acquire load
        // of `tail`: every value below it is visible to the consumer.
        tail.store(self.tail, Ordering::Release);
    }
}

/// The consumer's side of the index protocol (module docs), as [`TailEnd`] is the producer's.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HeadEnd {
    /// The next value's number: only this consumer stores `head`, so it is kept here.
    pub(crate) head: u64,
    /// The producer's `tail` as last loaded: at most the real one.
    pub(crate) tail: u64,
}

impl HeadEnd {
    /// Values ready, refreshing the producer's index from `tail` if fewer than `want` look
    /// ready.
    #[inline(always)]
    pub(crate) fn ready(&mut self, capacity: u64, want: u64, tail: &AtomicU64) -> u64 {
        let ready = Self::held(capacity, self.tail, self.head);
        if ready >= want {
            return ready;
        }
        // SYNC POINT queue-publish (consumer). Acquire: pairs with the producer's Release store
        // of `tail`: every value below it is visible to the copies that follow.
        self.tail = tail.load(Ordering::Acquire);
        Self::held(capacity, self.tail, self.head)
    }

    /// Values between the indices. A `tail` that no producer could have stored (behind
    /// `head`, or more than `capacity` ahead: another process's memory can say anything) holds
    /// nothing, never an overflow.
    #[inline(always)]
    fn held(capacity: u64, tail: u64, head: u64) -> u64 {
        let n = tail.wrapping_sub(head);
        if n > capacity { 0 } else { n }
    }

    /// Copies as many values as are ready, at most `dst.len()`, out of the slots from `head` on
    /// (`load(number, dst)`), not released yet; returns how many.
    #[inline(always)]
    pub(crate) fn take<T>(
        &mut self,
        capacity: u64,
        dst: &mut [T],
        tail: &AtomicU64,
        mut load: impl FnMut(u64, &mut T),
    ) -> u64 {
        let n = self
            .ready(capacity, dst.len() as u64, tail)
            .min(dst.len() as u64);
        for (i, d) in dst[..n as usize].iter_mut().enumerate() {
            load(self.head.wrapping_add(i as u64), d);
        }
        n
    }

    /// Frees values `head..head + n` for the producer by storing `head`.
    #[inline(always)]
    pub(crate) fn release(&mut self, n: u64, head: &AtomicU64) {
        self.head = self.head.wrapping_add(n);
        // SYNC POINT queue-release (consumer). Release: pairs with the producer's Acquire load
        // of `head`: the copies out of those slots are done before the producer stores into
        // them again.
        head.store(self.head, Ordering::Release);
    }
}

// The two handles never share a cache line with each other (or anything else).
static_assertions::const_assert_eq!(core::mem::align_of::<Producer<'static, u64, 1>>(), 128);
static_assertions::const_assert_eq!(core::mem::align_of::<Consumer<'static, u64, 1>>(), 128);

/// The single producer of a [`Queue`], from [`Queue::producer`].
///
/// ```
/// let queue: rtshm::Queue<u64, 4> = rtshm::Queue::new();
/// let mut producer = queue.producer().unwrap();
/// producer.try_push(&1).unwrap();
/// assert_eq!((producer.len(), producer.capacity(), producer.is_empty()), (1, 4, false));
/// ```
///
/// The handle is aligned to 128 bytes (two cache lines), as the consumer is: each writes its
/// cached indices on every operation, and a producer and a consumer kept side by side (fields
/// of one struct, locals of one stack frame) would otherwise share a cache line (false
/// sharing: 17-49 ns per value instead of 7.5 ns, measured). (The shared-memory handles are
/// not over-aligned: the Python bindings hold them in objects whose allocator gives 16 bytes,
/// which pyo3 does not correct; they are large enough that their hot words rarely meet.)
#[repr(align(128))]
pub struct Producer<'a, T: Payload, const N: usize> {
    queue: &'a Queue<T, N>,
    end: TailEnd,
    counters: Counters,
}

impl<T: Payload, const N: usize> Producer<'_, T, N> {
    #[inline(always)]
    fn free(&mut self, want: u64) -> u64 {
        self.end.free(N as u64, want, &self.queue.consumer.index)
    }

    /// Stores and publishes as many of `values` as fit; returns how many.
    #[inline(always)]
    fn push_from(&mut self, values: &[T]) -> u64 {
        let queue = self.queue;
        let n = self
            .end
            .fill(N as u64, values, &queue.consumer.index, |n, v| {
                // SAFETY: `fill` passes only numbers from `tail` to below `head + N` (`head`
                // as loaded with Acquire): slots this producer owns, not yet published.
                unsafe { queue.slot(n).write(v) };
            });
        if n > 0 {
            self.end.publish(n, &queue.producer.index);
            self.counters.add(Count::Stores, n);
        }
        n
    }

    /// Appends `value`, or returns [`Full`] (nothing written) when the consumer has `N` values
    /// still to pop. Never blocks, no allocation, no syscall.
    ///
    /// ```
    /// use rtshm::{Full, Queue};
    ///
    /// let queue: Queue<u8, 2> = Queue::new();
    /// let mut producer = queue.producer().unwrap();
    /// assert_eq!(producer.try_push(&1), Ok(()));
    /// assert_eq!(producer.try_push(&2), Ok(()));
    /// assert_eq!(producer.try_push(&3), Err(Full)); // nothing overwritten
    /// assert!(producer.is_full());
    /// ```
    #[inline]
    pub fn try_push(&mut self, value: &T) -> Result<(), Full> {
        // One value without the batch loop: measured 0.25 ns faster per push + pop.
        if self.end.free(N as u64, 1, &self.queue.consumer.index) == 0 {
            return Err(Full);
        }
        // SAFETY: `tail` is below `head + N` (`free`, with `head` loaded with Acquire) and not
        // published: the producer owns the slot.
        unsafe { self.queue.slot(self.end.tail).write(value) };
        self.end.publish(1, &self.queue.producer.index);
        self.counters.add(Count::Stores, 1);
        Ok(())
    }

    /// Appends as many of `values` as fit, in order, published together; returns how many.
    ///
    /// ```
    /// let queue: rtshm::Queue<u16, 4> = rtshm::Queue::new();
    /// let mut producer = queue.producer().unwrap();
    /// assert_eq!(producer.push_slice(&[1, 2, 3, 4, 5, 6]), 4); // what fits
    /// assert_eq!(producer.len(), 4);
    /// assert_eq!(producer.pushed(), 4);
    /// ```
    pub fn push_slice(&mut self, values: &[T]) -> usize {
        self.push_from(values) as usize
    }

    /// Values pushed and not yet popped (the consumer may pop more at any time).
    ///
    /// ```
    /// let queue: rtshm::Queue<u8, 8> = rtshm::Queue::new();
    /// let mut producer = queue.producer().unwrap();
    /// producer.push_slice(&[1, 2]);
    /// assert_eq!(producer.len(), 2);
    /// ```
    #[must_use]
    pub fn len(&mut self) -> usize {
        (N as u64 - self.free(N as u64)) as usize
    }

    /// Whether the consumer has popped everything pushed.
    ///
    /// ```
    /// let queue: rtshm::Queue<u8, 8> = rtshm::Queue::new();
    /// let mut producer = queue.producer().unwrap();
    /// assert!(producer.is_empty());
    /// producer.try_push(&1).unwrap();
    /// assert!(!producer.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&mut self) -> bool {
        self.len() == 0
    }

    /// Whether a push now would fail with [`Full`].
    ///
    /// ```
    /// let queue: rtshm::Queue<u8, 1> = rtshm::Queue::new();
    /// let mut producer = queue.producer().unwrap();
    /// producer.try_push(&1).unwrap();
    /// assert!(producer.is_full()); // the next push would fail with Full
    /// ```
    #[must_use]
    pub fn is_full(&mut self) -> bool {
        self.free(1) == 0
    }

    /// The number of slots, `N`.
    ///
    /// ```
    /// let queue: rtshm::Queue<u8, 16> = rtshm::Queue::new();
    /// assert_eq!(queue.producer().unwrap().capacity(), 16);
    /// ```
    #[must_use]
    pub const fn capacity(&self) -> usize {
        N
    }

    /// The number the next pushed value gets (values pushed so far).
    ///
    /// ```
    /// let queue: rtshm::Queue<u8, 4> = rtshm::Queue::new();
    /// let mut producer = queue.producer().unwrap();
    /// producer.try_push(&1).unwrap();
    /// drop(producer);
    /// assert_eq!(queue.producer().unwrap().pushed(), 1); // a new claim resumes the count
    /// ```
    #[must_use]
    pub fn pushed(&self) -> u64 {
        self.end.tail
    }

    /// This producer's counts: values pushed (feature `stats`).
    #[cfg(feature = "stats")]
    #[must_use]
    pub fn stats(&self) -> crate::Stats {
        self.counters.snapshot()
    }
}

impl<T: Payload, const N: usize> Drop for Producer<'_, T, N> {
    fn drop(&mut self) {
        release_flag(&self.queue.producer.claimed);
    }
}

impl<T: Payload, const N: usize> fmt::Debug for Producer<'_, T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Producer")
            .field("pushed", &self.end.tail)
            .finish_non_exhaustive()
    }
}

/// The single consumer of a [`Queue`], from [`Queue::consumer`].
///
/// ```
/// let queue: rtshm::Queue<u64, 4> = rtshm::Queue::new();
/// queue.producer().unwrap().push_slice(&[1, 2, 3, 4]);
/// let mut consumer = queue.consumer().unwrap();
/// assert!(consumer.is_full());
/// assert_eq!(consumer.try_pop(), Some(1));
/// assert_eq!((consumer.len(), consumer.capacity()), (3, 4));
/// ```
///
/// Aligned to 128 bytes, as [`Producer`] is (no false sharing with a producer beside it).
#[repr(align(128))]
pub struct Consumer<'a, T: Payload, const N: usize> {
    queue: &'a Queue<T, N>,
    end: HeadEnd,
    counters: Counters,
}

impl<T: Payload, const N: usize> Consumer<'_, T, N> {
    #[inline(always)]
    fn ready(&mut self, want: u64) -> u64 {
        self.end.ready(N as u64, want, &self.queue.producer.index)
    }

    /// Copies out and releases as many values as are ready, at most `dst.len()`; returns how
    /// many.
    #[inline(always)]
    fn pop_to(&mut self, dst: &mut [T]) -> u64 {
        let queue = self.queue;
        let n = self.end.take(N as u64, dst, &queue.producer.index, |n, d| {
            // SAFETY: `take` passes only numbers from `head` to below `tail` (loaded with
            // Acquire): slots this consumer owns, not yet released.
            unsafe { queue.slot(n).read(d) };
        });
        if n > 0 {
            self.end.release(n, &queue.consumer.index);
            self.counters.add(Count::Reads, n);
        }
        n
    }

    /// Removes the oldest value into `dst`; `false` (and `dst` untouched) when the queue is
    /// empty. For large values, which should not pass through the stack.
    ///
    /// ```
    /// let queue: rtshm::Queue<[u8; 1024], 2> = rtshm::Queue::new();
    /// queue.producer().unwrap().try_push(&[7; 1024]).unwrap();
    /// let mut consumer = queue.consumer().unwrap();
    /// let mut buffer = [0u8; 1024];
    /// assert!(consumer.pop_into(&mut buffer));
    /// assert_eq!(buffer[0], 7);
    /// assert!(!consumer.pop_into(&mut buffer)); // empty
    /// ```
    #[inline]
    pub fn pop_into(&mut self, dst: &mut T) -> bool {
        // One value without the batch loop, as `Producer::try_push`.
        if self.end.ready(N as u64, 1, &self.queue.producer.index) == 0 {
            return false;
        }
        // SAFETY: `head` is below `tail` (`ready`, with `tail` loaded with Acquire) and not
        // released: the consumer owns the slot.
        unsafe { self.queue.slot(self.end.head).read(dst) };
        self.end.release(1, &self.queue.consumer.index);
        self.counters.add(Count::Reads, 1);
        true
    }

    /// Removes and returns the oldest value, or `None` when the queue is empty. Never blocks,
    /// no allocation, no syscall.
    ///
    /// ```
    /// let queue: rtshm::Queue<u32, 4> = rtshm::Queue::new();
    /// let (mut producer, mut consumer) = (queue.producer().unwrap(), queue.consumer().unwrap());
    /// producer.try_push(&10).unwrap();
    /// producer.try_push(&11).unwrap();
    /// assert_eq!(consumer.len(), 2);
    /// assert_eq!(consumer.try_pop(), Some(10));
    /// assert_eq!(consumer.try_pop(), Some(11));
    /// assert_eq!(consumer.try_pop(), None);
    /// assert!(consumer.is_empty());
    /// assert_eq!(consumer.popped(), 2);
    /// ```
    #[inline]
    pub fn try_pop(&mut self) -> Option<T> {
        let mut value = T::zeroed();
        self.pop_into(&mut value).then_some(value)
    }

    /// Removes up to `dst.len()` values into `dst`, oldest first, released together; returns
    /// how many.
    ///
    /// ```
    /// let queue: rtshm::Queue<u32, 8> = rtshm::Queue::new();
    /// queue.producer().unwrap().push_slice(&[1, 2, 3]);
    /// let mut consumer = queue.consumer().unwrap();
    /// let mut batch = [0u32; 8];
    /// let n = consumer.pop_into_slice(&mut batch);
    /// assert_eq!(&batch[..n], &[1, 2, 3]);
    /// ```
    pub fn pop_into_slice(&mut self, dst: &mut [T]) -> usize {
        self.pop_to(dst) as usize
    }

    /// Values ready to pop (the producer may push more at any time).
    ///
    /// ```
    /// let queue: rtshm::Queue<u8, 8> = rtshm::Queue::new();
    /// queue.producer().unwrap().push_slice(&[1, 2, 3]);
    /// assert_eq!(queue.consumer().unwrap().len(), 3);
    /// ```
    #[must_use]
    pub fn len(&mut self) -> usize {
        self.ready(N as u64) as usize
    }

    /// Whether a pop now would find nothing.
    ///
    /// ```
    /// let queue: rtshm::Queue<u8, 8> = rtshm::Queue::new();
    /// assert!(queue.consumer().unwrap().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&mut self) -> bool {
        self.ready(1) == 0
    }

    /// Whether the queue holds `N` values (the producer is blocked until a pop).
    ///
    /// ```
    /// let queue: rtshm::Queue<u8, 2> = rtshm::Queue::new();
    /// queue.producer().unwrap().push_slice(&[1, 2]);
    /// assert!(queue.consumer().unwrap().is_full()); // the producer waits for a pop
    /// ```
    #[must_use]
    pub fn is_full(&mut self) -> bool {
        self.ready(N as u64) == N as u64
    }

    /// The number of slots, `N`.
    ///
    /// ```
    /// let queue: rtshm::Queue<u8, 16> = rtshm::Queue::new();
    /// assert_eq!(queue.consumer().unwrap().capacity(), 16);
    /// ```
    #[must_use]
    pub const fn capacity(&self) -> usize {
        N
    }

    /// The number of the next value popped (values popped so far).
    ///
    /// ```
    /// let queue: rtshm::Queue<u8, 4> = rtshm::Queue::new();
    /// queue.producer().unwrap().push_slice(&[1, 2]);
    /// let mut consumer = queue.consumer().unwrap();
    /// consumer.try_pop();
    /// assert_eq!(consumer.popped(), 1);
    /// ```
    #[must_use]
    pub fn popped(&self) -> u64 {
        self.end.head
    }

    /// This consumer's counts: values popped (`reads`, feature `stats`).
    #[cfg(feature = "stats")]
    #[must_use]
    pub fn stats(&self) -> crate::Stats {
        self.counters.snapshot()
    }
}

impl<T: Payload, const N: usize> Drop for Consumer<'_, T, N> {
    fn drop(&mut self) {
        release_flag(&self.queue.consumer.claimed);
    }
}

impl<T: Payload, const N: usize> fmt::Debug for Consumer<'_, T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consumer")
            .field("popped", &self.end.head)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(rtshm_loom)))]
mod tests {
    use super::*;

    #[test]
    fn full_and_empty_edges_across_many_wrap_arounds() {
        let q: Queue<u32, 4> = Queue::new();
        let mut p = q.producer().unwrap();
        let mut c = q.consumer().unwrap();
        let (mut next_in, mut next_out) = (0u32, 0u32);
        for round in 0..50u32 {
            // Fill to the brim, one over, then drain a varying amount.
            while p.try_push(&next_in).is_ok() {
                next_in += 1;
            }
            assert!(p.is_full() && c.is_full());
            assert_eq!((p.len(), c.len(), q.len()), (4, 4, 4));
            for _ in 0..=(round % 4) {
                assert_eq!(c.try_pop(), Some(next_out));
                next_out += 1;
            }
        }
        while let Some(v) = c.try_pop() {
            assert_eq!(v, next_out);
            next_out += 1;
        }
        assert_eq!(next_in, next_out);
        assert!(c.is_empty() && p.is_empty() && q.is_empty());
        assert_eq!(c.try_pop(), None);
        assert_eq!(p.pushed(), u64::from(next_in));
        assert_eq!(c.popped(), u64::from(next_out));
    }

    #[test]
    fn batches_take_what_fits_and_keep_order() {
        let q: Queue<u16, 8> = Queue::new();
        let mut p = q.producer().unwrap();
        let mut c = q.consumer().unwrap();
        let values: [u16; 11] = core::array::from_fn(|i| i as u16);
        assert_eq!(p.push_slice(&values), 8);
        assert_eq!(p.push_slice(&values[8..]), 0);
        let mut out = [0u16; 3];
        assert_eq!(c.pop_into_slice(&mut out), 3);
        assert_eq!(out, [0, 1, 2]);
        assert_eq!(p.push_slice(&values[8..]), 3);
        let mut rest = [0u16; 16];
        assert_eq!(c.pop_into_slice(&mut rest), 8);
        assert_eq!(&rest[..8], &[3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(c.pop_into_slice(&mut rest), 0);
        assert_eq!(p.push_slice(&[]), 0);
    }

    #[test]
    fn each_side_is_claimed_once_and_a_new_claim_resumes_where_the_last_stopped() {
        let q: Queue<u8, 2> = Queue::new();
        let mut p = q.producer().unwrap();
        assert_eq!(q.producer().err(), Some(WriterTaken));
        let c = q.consumer().unwrap();
        assert_eq!(q.consumer().err(), Some(ConsumerTaken));
        p.try_push(&1).unwrap();
        drop(p);
        drop(c);
        let mut p = q.producer().unwrap();
        let mut c = q.consumer().unwrap();
        p.try_push(&2).unwrap();
        assert_eq!(p.try_push(&3), Err(Full));
        assert_eq!(
            (c.try_pop(), c.try_pop(), c.try_pop()),
            (Some(1), Some(2), None)
        );
    }

    #[cfg(feature = "std")]
    #[test]
    fn two_threads_move_every_value_once_in_order() {
        let q: Queue<[u64; 3], 16> = Queue::new();
        let count: u64 = if cfg!(miri) { 200 } else { 200_000 };
        std::thread::scope(|s| {
            s.spawn(|| {
                let mut p = q.producer().unwrap();
                let mut v = 0;
                while v < count {
                    if p.try_push(&[v, v ^ 0xff, !v]).is_ok() {
                        v += 1;
                    } else {
                        core::hint::spin_loop();
                    }
                }
            });
            let mut c = q.consumer().unwrap();
            let mut expected = 0;
            let mut batch = [[0u64; 3]; 5];
            while expected < count {
                let n = c.pop_into_slice(&mut batch);
                for v in &batch[..n] {
                    assert_eq!(*v, [expected, expected ^ 0xff, !expected]);
                    expected += 1;
                }
                if n == 0 {
                    core::hint::spin_loop();
                }
            }
            assert_eq!(c.try_pop(), None);
        });
    }
}
