//! A lossless queue between two processes: [`QueueProducer`] (the segment's writer) and
//! [`QueueConsumer`], over the index protocol of the in-process [`Queue`](crate::Queue).
//!
//! ```
//! use std::time::Duration;
//! use rtshm::shm::{QueueConsumer, QueueProducer};
//! # if cfg!(miri) { return Ok(()); } // Miri cannot map shared memory
//!
//! let name = format!("doc-queue-{}", std::process::id());
//! let mut commands = QueueProducer::<[f32; 2]>::create(&name, 64)?;
//! // Usually in another process (the motor driver):
//! let mut driver = QueueConsumer::<[f32; 2]>::open(&name)?;
//!
//! commands.try_push(&[0.5, -0.5])?; // Err(Full) when the driver is 64 commands behind
//! commands.push_wait(&[0.0, 0.0], Duration::from_millis(100))?; // or sleep until there is room
//! assert_eq!(driver.pop_wait(Duration::from_secs(1))?, [0.5, -0.5]);
//! assert_eq!(driver.try_pop(), Some([0.0, 0.0]));
//! assert_eq!(driver.try_pop(), None); // nothing lost, nothing twice
//! # Ok::<(), rtshm::Error>(())
//! ```
//!
//! # Layout and pages
//!
//! The producer's index (`tail`, values pushed) and the slots are the segment's data, which
//! only the producer maps writable; the consumer's index (`head`, values popped) and its claim
//! live on the readers' page, which the producer maps read-only (FORMAT.md, "Queue"). Each side
//! keeps a cached copy of the other's index, refreshed only when the queue looks full or empty.
//!
//! # Waits
//!
//! [`QueueProducer::push_wait`] sleeps while the queue is full and [`QueueConsumer::pop_wait`]
//! while it is empty, each on a futex word of the other side's page, with a `waiting` flag on
//! its own page that tells the other side to wake it (`crate::wait`, "queue handshake"): no
//! system call on either side while nobody sleeps, and a compiler fence only (the asymmetric
//! handshake) where the process could register for `membarrier`.
//!
//! # Crashes
//!
//! - A consumer that dies (or exits) leaves `head` at the last value it popped: a new
//!   [`QueueConsumer::open`] claims the queue once the old process is gone and resumes there,
//!   so no value is lost and none popped is delivered again. A value the dead consumer copied
//!   but had not released yet is delivered again: popping is the commit.
//! - A producer that dies is taken over with [`Publisher::open_existing`]: a push it cut short
//!   never stored `tail`, so the consumer never sees it, and the next push rewrites its slot.
//!
//! Liveness of each side: [`QueueProducer::consumer_status`], [`QueueConsumer::producer_status`].
//!
//! # Costs
//!
//! A push or a pop is the copy, an index store, the wake check (one load of the other side's
//! `waiting` flag) and the heartbeat's check (a compare on the index): no allocation, lock or
//! system call unless the other side sleeps, then one `futex` wake. Across two cores, what
//! one value costs depends mostly on how the two sides run against each other (a consumer just
//! behind the producer moves the index and slot lines for each value); at high rates move
//! values in batches ([`QueueProducer::push_slice`], [`QueueConsumer::pop_into_slice`]), which
//! pay the index store, the wake check and the line moves once per batch (BENCHMARKS.md,
//! "Batches across processes").

use core::marker::PhantomData;
use core::time::Duration;
use std::time::Instant;

use bytemuck::Pod;

use super::segment::Segment;
use super::{OpenConfig, OpenError, Publisher, QueueKind, typed};
use crate::layout::QUEUE_SLOTS_AT;
use crate::liveness::{Heartbeat, Liveness, OwnerToken, PidNamespace, WriterStatus};
use crate::queue::{HeadEnd, TailEnd};
use crate::stats::{Count, Counters};
use crate::sync::{AtomicU32, AtomicU64, Ordering, fence};
use crate::words::Words;
use crate::{Full, Schema, TimedOut, Timestamp};

/// The producer of a queue segment: its writer.
pub type QueueProducer<T> = Publisher<QueueKind<T>>;

// Byte offsets. Data (the producer's): `tail` on line 0, the producer's `waiting` and `wakes`
// words on line 1, the slots from `QUEUE_SLOTS_AT`. Readers' page (the consumer's): `head`,
// the consumer's `waiting` and `wakes`, and its claim (owner, epoch, heartbeat, PID namespace,
// handshake), each on its own 128-byte line.
const TAIL_AT: usize = 0;
const PRODUCER_WAITING_AT: usize = 128;
const PRODUCER_WAKES_AT: usize = 132;
const HEAD_AT: usize = 128;
const CONSUMER_WAITING_AT: usize = 256;
const CONSUMER_WAKES_AT: usize = 260;
const CONSUMER_OWNER_AT: usize = 384;
const CONSUMER_EPOCH_AT: usize = 392;
const CONSUMER_HEARTBEAT_AT: usize = 400;
const CONSUMER_PID_NS_AT: usize = 408;
const CONSUMER_BARRIER_AT: usize = 416;

/// A 64-bit word at `offset` of `page`.
///
/// # Safety
/// `page` is a live mapping of at least `offset + 8` bytes, 8-aligned, that outlives `'a`, and
/// the word is only ever accessed atomically (writable mapping, or loads only).
unsafe fn word64<'a>(page: *mut u8, offset: usize) -> &'a AtomicU64 {
    // SAFETY: the caller's contract.
    unsafe { AtomicU64::from_ptr(page.add(offset).cast()) }
}

/// A 32-bit word at `offset` of `page` (as [`word64`]).
///
/// # Safety
/// As [`word64`], for 4 bytes, 4-aligned.
unsafe fn word32<'a>(page: *mut u8, offset: usize) -> &'a AtomicU32 {
    // SAFETY: the caller's contract.
    unsafe { AtomicU32::from_ptr(page.add(offset).cast()) }
}

/// The words of a queue segment, found once in `segment`'s mappings.
#[derive(Clone, Copy)]
struct Pages {
    data: *mut u8,
    consumer: *mut u8,
}

impl Pages {
    /// `None` when the handle does not map the readers' page (a reader without write
    /// permission: it cannot be the consumer).
    fn of(segment: &Segment) -> Option<Self> {
        Some(Self {
            data: segment.data(),
            consumer: segment.readers_page()?,
        })
    }

    // SAFETY (all accessors): `data` is the data mapping (at least `QUEUE_SLOTS_AT` bytes: a
    // queue's geometry, validated at open or computed at creation) and `consumer` the readers'
    // page (LAYOUT_PAGE bytes), both page-aligned and alive while the segment that `Pages` was
    // taken from is; the callers keep that segment borrowed. Every word is accessed only
    // atomically; each side stores only to the words of its own page, which it maps writable.
    fn tail(&self) -> &AtomicU64 {
        // SAFETY: see above.
        unsafe { word64(self.data, TAIL_AT) }
    }
    fn producer_waiting(&self) -> &AtomicU32 {
        // SAFETY: see above.
        unsafe { word32(self.data, PRODUCER_WAITING_AT) }
    }
    fn producer_wakes(&self) -> &AtomicU32 {
        // SAFETY: see above.
        unsafe { word32(self.data, PRODUCER_WAKES_AT) }
    }
    fn head(&self) -> &AtomicU64 {
        // SAFETY: see above.
        unsafe { word64(self.consumer, HEAD_AT) }
    }
    fn consumer_waiting(&self) -> &AtomicU32 {
        // SAFETY: see above.
        unsafe { word32(self.consumer, CONSUMER_WAITING_AT) }
    }
    fn consumer_wakes(&self) -> &AtomicU32 {
        // SAFETY: see above.
        unsafe { word32(self.consumer, CONSUMER_WAKES_AT) }
    }
    fn consumer_word(&self, offset: usize) -> &AtomicU64 {
        // SAFETY: see above (`offset` is one of the consumer line's constants).
        unsafe { word64(self.consumer, offset) }
    }

    /// Slot `n mod capacity`, holding a `T` (`mask` = capacity - 1).
    fn slot<T: Pod>(&self, n: u64, mask: u64) -> &Words<T> {
        let index = (n & mask) as usize;
        // SAFETY: the geometry (of `T`, validated at open or computed at creation) holds
        // `capacity` slots of `size_of::<Words<T>>()` bytes from `QUEUE_SLOTS_AT` (aligned:
        // 128-byte offset into a page-aligned mapping, alignment at most 128), so slot `index`
        // lies inside the mapping; `Words` is only accessed by atomic word copies.
        unsafe {
            &*self
                .data
                .add(QUEUE_SLOTS_AT + index * core::mem::size_of::<Words<T>>())
                .cast::<Words<T>>()
        }
    }

    /// The other side's status, from its owner, PID namespace and heartbeat words.
    fn status(
        owner: &AtomicU64,
        ns: &AtomicU64,
        beat: &AtomicU64,
        threshold: Duration,
    ) -> WriterStatus {
        WriterStatus::of_in(
            OwnerToken::from_raw(owner.load(Ordering::Relaxed)),
            PidNamespace::from_raw(ns.load(Ordering::Relaxed)),
            Timestamp::from_nanos(beat.load(Ordering::Relaxed)),
            Timestamp::now(),
            threshold,
        )
    }
}

/// The producer's indices at its claim (creation or takeover): `tail` as stored, the
/// consumer's `head`; a `waiting` flag a dead producer left raised is lowered, and the
/// consumer's page is made read-only for this process.
pub(super) fn claim_producer(segment: &Segment) -> TailEnd {
    let Some(pages) = Pages::of(segment) else {
        return TailEnd { tail: 0, head: 0 };
    };
    // Best effort: a failure leaves the page writable for this process, which never stores to it.
    let _ = segment.protect_readers_page();
    pages.producer_waiting().store(0, Ordering::Relaxed);
    TailEnd {
        // Relaxed: only producers store `tail`, and the owner claim ordered the previous one's.
        tail: pages.tail().load(Ordering::Relaxed),
        // SYNC POINT queue-release (producer): as in `TailEnd::free`.
        head: pages.head().load(Ordering::Acquire),
    }
}

/// Sleeps on `wakes` (the other side's word) with `waiting` (ours) raised until `check`
/// returns `Some` or `deadline` passes; `mode` is the other side's handshake word.
fn wait_on<R>(
    waiting: &AtomicU32,
    wakes: &AtomicU32,
    mode: &AtomicU64,
    deadline: Option<Instant>,
    check: impl FnMut() -> Option<R>,
) -> Option<R> {
    let ordered = core::cell::Cell::new(true);
    let heavy = || {
        // SYNC POINT wait-mode (reader): after the handshake's SeqCst fence.
        ordered.set(super::barrier::heavy(mode.load(Ordering::Relaxed)));
    };
    let sleep = |wakes: &AtomicU32, expected: u32| {
        let left = match deadline {
            Some(d) => d.saturating_duration_since(Instant::now()),
            None => Duration::MAX,
        };
        if left.is_zero() {
            return false;
        }
        let cap = if ordered.get() {
            Duration::from_secs(3600)
        } else {
            Duration::from_millis(1)
        };
        let nap = left.min(cap);
        let ts = rustix::thread::futex::Timespec {
            tv_sec: nap.as_secs() as _,
            tv_nsec: nap.subsec_nanos() as _,
        };
        // Shared (not PRIVATE): the other side is another process. EAGAIN, ETIMEDOUT and
        // EINTR all lead back to the re-check.
        let _ = rustix::thread::futex::wait(
            wakes.as_core(),
            rustix::thread::futex::Flags::empty(),
            expected,
            Some(&ts),
        );
        true
    };
    crate::wait::wait_flagged(waiting, wakes, heavy, check, sleep)
}

/// After an index store: wakes the other side if its `waiting` flag is up, by bumping our own
/// `wakes` word (each side writes only its own page).
#[inline(always)]
fn wake(waiting: &AtomicU32, wakes: &AtomicU32, asymmetric: bool) -> bool {
    crate::wait::wake_flagged(waiting, wakes, asymmetric, |wakes| {
        let _ =
            rustix::thread::futex::wake(wakes.as_core(), rustix::thread::futex::Flags::empty(), 1);
    })
}

fn deadline(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

impl<T: Pod + Schema> Publisher<QueueKind<T>> {
    fn pages(&self) -> Pages {
        // The writer maps the whole segment: the readers' page is always there.
        Pages::of(&self.writer.segment).unwrap_or(Pages {
            data: self.writer.segment.data(),
            consumer: self.writer.segment.data(),
        })
    }

    fn mask(&self) -> u64 {
        self.writer.segment.capacity().get() as u64 - 1
    }

    fn free(&mut self, want: u64) -> u64 {
        let (pages, capacity) = (self.pages(), self.mask() + 1);
        self.writer.queue.free(capacity, want, pages.head())
    }

    /// Stores and publishes as many of `values` as fit (then wakes a sleeping consumer);
    /// returns how many.
    #[inline(always)]
    fn push_from(&mut self, values: &[T]) -> u64 {
        let (pages, mask) = (self.pages(), self.mask());
        let n = self
            .writer
            .queue
            .fill(mask + 1, values, pages.head(), |n, v| {
                pages.slot::<T>(n, mask).store(v)
            });
        if n > 0 {
            self.publish(pages, n);
        }
        n
    }

    /// Publishes the `n` values stored from `tail` on, then what every push does after: wakes
    /// a sleeping consumer, refreshes the heartbeat when due (keyed on `tail`, which the push
    /// holds anyway, instead of a countdown kept in memory).
    #[inline(always)]
    fn publish(&mut self, pages: Pages, n: u64) {
        let old = self.writer.queue.tail;
        self.writer.queue.publish(n, pages.tail());
        self.writer.counters.add(Count::Stores, n);
        let asymmetric = self.writer.segment.asymmetric();
        if wake(pages.consumer_waiting(), pages.producer_wakes(), asymmetric) {
            self.writer.counters.add(Count::Wakeups, 1);
        }
        self.writer.beat_at(old, old.wrapping_add(n));
    }

    /// Appends `value`, or returns [`Full`] (nothing written) when the consumer has
    /// `capacity` values still to pop. Never blocks, no allocation; no system call unless the
    /// consumer sleeps in [`QueueConsumer::pop_wait`].
    ///
    /// ```
    /// use rtshm::Full;
    /// use rtshm::shm::QueueProducer;
    /// # if cfg!(miri) { return Ok(()); }
    /// let name = format!("doc-queue-try-push-{}", std::process::id());
    /// let mut events = QueueProducer::<u32>::create(&name, 2)?;
    /// events.try_push(&1)?;
    /// events.try_push(&2)?;
    /// assert_eq!(events.try_push(&3), Err(Full)); // nothing overwritten
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    #[inline]
    pub fn try_push(&mut self, value: &T) -> Result<(), Full> {
        // One value without the batch loop, as the in-process `Producer::try_push`.
        let (pages, mask) = (self.pages(), self.mask());
        let end = &mut self.writer.queue;
        if end.free(mask + 1, 1, pages.head()) == 0 {
            return Err(Full);
        }
        pages.slot::<T>(end.tail, mask).store(value);
        self.publish(pages, 1);
        Ok(())
    }

    /// Appends as many of `values` as fit, in order, published together (one index store, at
    /// most one wake); returns how many.
    ///
    /// ```
    /// use rtshm::shm::QueueProducer;
    /// # if cfg!(miri) { return Ok(()); }
    /// let name = format!("doc-queue-push-slice-{}", std::process::id());
    /// let mut log = QueueProducer::<u16>::create(&name, 4)?;
    /// assert_eq!(log.push_slice(&[1, 2, 3, 4, 5]), 4); // what fits
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    pub fn push_slice(&mut self, values: &[T]) -> usize {
        self.push_from(values) as usize
    }

    /// Appends `value`, sleeping while the queue is full until the consumer pops (it wakes
    /// this producer) or `timeout` passes (`Err(TimedOut)`, nothing written).
    ///
    /// ```
    /// use std::time::Duration;
    /// use rtshm::TimedOut;
    /// use rtshm::shm::{QueueConsumer, QueueProducer};
    /// # if cfg!(miri) { return Ok(()); }
    /// let name = format!("doc-queue-push-wait-{}", std::process::id());
    /// let mut producer = QueueProducer::<u64>::create(&name, 1)?;
    /// producer.push_wait(&1, Duration::from_millis(10))?;
    /// let full = producer.push_wait(&2, Duration::from_millis(10));
    /// assert_eq!(full, Err(TimedOut)); // nobody popped
    /// let mut consumer = QueueConsumer::<u64>::open(&name)?;
    /// std::thread::scope(|s| {
    ///     s.spawn(move || consumer.pop_wait(Duration::from_secs(1)));
    ///     producer.push_wait(&2, Duration::from_secs(5)) // woken by the pop
    /// })?;
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    pub fn push_wait(&mut self, value: &T, timeout: Duration) -> Result<(), TimedOut> {
        if self.try_push(value).is_ok() {
            return Ok(());
        }
        let (pages, capacity) = (self.pages(), self.mask() + 1);
        let mode = pages.consumer_word(CONSUMER_BARRIER_AT);
        let end = &mut self.writer.queue;
        let room = wait_on(
            pages.producer_waiting(),
            pages.consumer_wakes(),
            mode,
            deadline(timeout),
            || (end.free(capacity, 1, pages.head()) > 0).then_some(()),
        );
        room.ok_or(TimedOut)?;
        self.try_push(value).map_err(|Full| TimedOut)
    }

    /// Values pushed and not yet popped (the consumer may pop more at any time).
    #[must_use]
    pub fn len(&mut self) -> usize {
        let capacity = self.mask() + 1;
        (capacity - self.free(capacity)) as usize
    }

    /// Whether the consumer has popped everything pushed.
    #[must_use]
    pub fn is_empty(&mut self) -> bool {
        self.len() == 0
    }

    /// Whether a push now would fail with [`Full`].
    #[must_use]
    pub fn is_full(&mut self) -> bool {
        self.free(1) == 0
    }

    /// The number of slots.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.writer.segment.capacity().get()
    }

    /// Values pushed so far (the number the next one gets), across takeovers.
    #[must_use]
    pub fn pushed(&self) -> u64 {
        self.writer.queue.tail
    }

    /// The consumer's status: alive (heartbeat within `threshold`), stale, dead (its values
    /// wait for a new consumer) or unowned (none yet, or it exited).
    ///
    /// ```
    /// use std::time::Duration;
    /// use rtshm::liveness::WriterStatus;
    /// use rtshm::shm::{QueueConsumer, QueueProducer};
    /// # if cfg!(miri) { return Ok(()); }
    /// let name = format!("doc-queue-consumer-status-{}", std::process::id());
    /// let producer = QueueProducer::<u8>::create(&name, 8)?;
    /// let threshold = Duration::from_secs(1);
    /// assert_eq!(producer.consumer_status(threshold), WriterStatus::Unowned);
    /// let consumer = QueueConsumer::<u8>::open(&name)?;
    /// assert!(matches!(producer.consumer_status(threshold), WriterStatus::Alive { .. }));
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    #[must_use]
    pub fn consumer_status(&self, threshold: Duration) -> WriterStatus {
        let pages = self.pages();
        Pages::status(
            pages.consumer_word(CONSUMER_OWNER_AT),
            pages.consumer_word(CONSUMER_PID_NS_AT),
            pages.consumer_word(CONSUMER_HEARTBEAT_AT),
            threshold,
        )
    }
}

/// [`QueueConsumer::open`] could not claim the consumer.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConsumerError {
    /// Opening the segment failed (not found, another type, no write permission...).
    Open(OpenError),
    /// Another consumer of the queue is alive: one consumer at a time.
    Alive {
        /// Its process id.
        pid: i32,
    },
    /// The queue's consumer runs in another PID namespace (or `/proc` is hidden): its
    /// liveness cannot be checked, so it is never replaced.
    Unknown {
        /// Its process id, in its own namespace.
        pid: i32,
    },
}

impl core::fmt::Display for ConsumerError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Open(e) => e.fmt(f),
            Self::Alive { pid } => write!(
                f,
                "the queue's consumer (pid {pid}) is alive; only one consumer at a time"
            ),
            Self::Unknown { pid } => write!(
                f,
                "the queue's consumer (pid {pid}) runs in another PID namespace or behind a \
                 hidden /proc: its liveness cannot be checked, so it is not replaced"
            ),
        }
    }
}

impl std::error::Error for ConsumerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Open(e) => Some(e),
            _ => None,
        }
    }
}

impl From<OpenError> for ConsumerError {
    fn from(e: OpenError) -> Self {
        Self::Open(e)
    }
}

/// The single consumer of a queue segment: pops what the [`QueueProducer`] pushed, each value
/// exactly once, in order. Claimed at open (one per queue, with liveness like a writer's); a
/// dead consumer's successor resumes where it stopped (module docs).
///
/// ```
/// use rtshm::shm::{ConsumerError, QueueConsumer, QueueProducer};
/// # if cfg!(miri) { return Ok(()); }
/// let name = format!("doc-queue-consumer-{}", std::process::id());
/// let mut producer = QueueProducer::<u32>::create(&name, 16)?;
/// producer.push_slice(&[1, 2, 3]);
/// let mut consumer = QueueConsumer::<u32>::open(&name)?;
/// assert!(matches!(QueueConsumer::<u32>::open(&name), Err(ConsumerError::Alive { .. })));
/// assert_eq!(consumer.try_pop(), Some(1));
/// drop(consumer); // exits: the next consumer resumes at 2
/// let mut next = QueueConsumer::<u32>::open(&name)?;
/// let mut batch = [0; 8];
/// assert_eq!(next.pop_into_slice(&mut batch), 2);
/// assert_eq!(&batch[..2], &[2, 3]);
/// # Ok::<(), rtshm::Error>(())
/// ```
pub struct QueueConsumer<T: Pod + Schema> {
    segment: Segment,
    pages: Pages,
    mask: u64,
    end: HeadEnd,
    heartbeat: Heartbeat,
    counters: Counters,
    asymmetric: bool,
    _value: PhantomData<T>,
}

// SAFETY: `pages` points into `segment`'s mappings, which move with it; every shared word is
// accessed atomically. One thread at a time uses the consumer (`&mut self` operations).
unsafe impl<T: Pod + Schema> Send for QueueConsumer<T> {}

impl<T: Pod + Schema> core::fmt::Debug for QueueConsumer<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("QueueConsumer")
            .field("name", &self.segment.name())
            .field("popped", &self.end.head)
            .finish_non_exhaustive()
    }
}

impl<T: Pod + Schema> QueueConsumer<T> {
    /// Opens the queue segment `name` and claims its consumer: fails with
    /// [`ConsumerError::Alive`] while another consumer process runs; a consumer that died or
    /// exited is replaced, resuming at the first value it had not popped.
    pub fn open(name: &str) -> Result<Self, ConsumerError> {
        Self::open_with(name, OpenConfig::default())
    }

    /// [`QueueConsumer::open`], waiting up to `timeout` for the segment to appear (a consumer
    /// started before its producer).
    pub fn open_timeout(name: &str, timeout: Duration) -> Result<Self, ConsumerError> {
        Self::open_with(name, OpenConfig::new().wait_for_creation(timeout))
    }

    /// [`QueueConsumer::open`] with a configuration (schema id, waits).
    pub fn open_with(name: &str, options: OpenConfig) -> Result<Self, ConsumerError> {
        let validate = typed::<QueueKind<T>>(options.schema);
        let segment = Segment::open(name, validate, options)?;
        Self::claim(segment)
    }

    fn claim(segment: Segment) -> Result<Self, ConsumerError> {
        // The consumer stores `head`: it needs the readers' page writable.
        let pages =
            Pages::of(&segment).ok_or(ConsumerError::Open(OpenError::Io(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "a queue's consumer writes the segment's readers' page: no write permission",
            ))))?;
        let owner = pages.consumer_word(CONSUMER_OWNER_AT);
        let ns = PidNamespace::from_raw(
            pages
                .consumer_word(CONSUMER_PID_NS_AT)
                .load(Ordering::Relaxed),
        );
        let me = OwnerToken::current().to_raw();
        // SYNC POINT consumer-claim (load). Acquire: pairs with the CAS of consumer-claim and
        // a previous consumer's release: see `head` as it left it.
        let mut current = owner.load(Ordering::Acquire);
        loop {
            let token = OwnerToken::from_raw(current);
            if current != 0 {
                match token.liveness_in(ns) {
                    Liveness::Alive => {
                        return Err(ConsumerError::Alive {
                            pid: token.pid().unwrap_or(0),
                        });
                    }
                    Liveness::Unknown => {
                        return Err(ConsumerError::Unknown {
                            pid: token.pid().unwrap_or(0),
                        });
                    }
                    _ => {}
                }
            }
            // SYNC POINT consumer-claim (CAS). AcqRel: one of racing consumers wins, and sees
            // `head` as the previous consumer left it.
            match owner.compare_exchange(current, me, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => break,
                Err(now) => current = now,
            }
        }
        if current != 0 {
            pages
                .consumer_word(CONSUMER_EPOCH_AT)
                .fetch_add(1, Ordering::Relaxed);
        }
        pages
            .consumer_word(CONSUMER_PID_NS_AT)
            .store(PidNamespace::current().to_raw(), Ordering::Relaxed);
        // A flag a dead consumer left raised would cost the producer a wake per push.
        pages.consumer_waiting().store(0, Ordering::Relaxed);
        let mode = super::barrier::writer_mode();
        pages
            .consumer_word(CONSUMER_BARRIER_AT)
            .store(mode, Ordering::Relaxed);
        // SYNC POINT wait-mode (writer): the handshake this consumer's pops use, as a
        // publisher records its own (`Segment::set_barrier`).
        fence(Ordering::SeqCst);
        let now = Timestamp::now();
        pages
            .consumer_word(CONSUMER_HEARTBEAT_AT)
            .store(now.as_nanos(), Ordering::Relaxed);
        let end = HeadEnd {
            // Relaxed: only consumers store `head`, and the claim ordered the previous one's.
            head: pages.head().load(Ordering::Relaxed),
            // SYNC POINT queue-publish (consumer): as in `HeadEnd::ready`.
            tail: pages.tail().load(Ordering::Acquire),
        };
        Ok(Self {
            mask: segment.capacity().get() as u64 - 1,
            segment,
            pages,
            end,
            heartbeat: Heartbeat::new(now),
            counters: Counters::default(),
            asymmetric: mode == super::barrier::ASYMMETRIC,
            _value: PhantomData,
        })
    }

    #[inline(always)]
    fn ready(&mut self, want: u64) -> u64 {
        self.end.ready(self.mask + 1, want, self.pages.tail())
    }

    /// Copies out and releases as many values as are ready, at most `dst.len()` (then wakes a
    /// sleeping producer); returns how many.
    #[inline(always)]
    fn pop_to(&mut self, dst: &mut [T]) -> u64 {
        let (pages, mask) = (self.pages, self.mask);
        let n = self.end.take(mask + 1, dst, pages.tail(), |n, d| {
            pages.slot::<T>(n, mask).load(d)
        });
        if n > 0 {
            self.release(n);
        }
        n
    }

    /// Releases the `n` values copied out from `head` on, then what every pop does after:
    /// wakes a sleeping producer, refreshes the heartbeat when due (keyed on `head`).
    #[inline(always)]
    fn release(&mut self, n: u64) {
        let (pages, old) = (self.pages, self.end.head);
        self.end.release(n, pages.head());
        self.counters.add(Count::Reads, n);
        if wake(
            pages.producer_waiting(),
            pages.consumer_wakes(),
            self.asymmetric,
        ) {
            self.counters.add(Count::Wakeups, 1);
        }
        if let Some(now) = self.heartbeat.tick_at(old, old.wrapping_add(n)) {
            self.beat_at(now);
        }
    }

    fn beat_at(&self, now: Timestamp) {
        self.pages
            .consumer_word(CONSUMER_HEARTBEAT_AT)
            .store(now.as_nanos(), Ordering::Relaxed);
    }

    /// Refreshes the heartbeat now: pops refresh it while they come; a consumer idle for
    /// longer than the producer's staleness threshold calls this to stay `Alive`.
    pub fn heartbeat(&mut self) {
        self.beat_at(Timestamp::now());
    }

    /// Removes the oldest value into `dst`; `false` (and `dst` untouched) when the queue is
    /// empty. For large values, which should not pass through the stack.
    #[inline]
    pub fn pop_into(&mut self, dst: &mut T) -> bool {
        // One value without the batch loop, as the in-process `Consumer::pop_into`.
        let (pages, mask) = (self.pages, self.mask);
        if self.end.ready(mask + 1, 1, pages.tail()) == 0 {
            return false;
        }
        pages.slot::<T>(self.end.head, mask).load(dst);
        self.release(1);
        true
    }

    /// Removes and returns the oldest value, or `None` when the queue is empty. Never blocks,
    /// no allocation; no system call unless the producer sleeps in
    /// [`QueueProducer::push_wait`].
    #[inline]
    pub fn try_pop(&mut self) -> Option<T> {
        let mut value = T::zeroed();
        self.pop_into(&mut value).then_some(value)
    }

    /// Removes up to `dst.len()` values into `dst`, oldest first, released together; returns
    /// how many.
    pub fn pop_into_slice(&mut self, dst: &mut [T]) -> usize {
        self.pop_to(dst) as usize
    }

    /// Removes the oldest value, sleeping while the queue is empty until the producer pushes
    /// (it wakes this consumer) or `timeout` passes (`Err(TimedOut)`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use rtshm::TimedOut;
    /// use rtshm::shm::{QueueConsumer, QueueProducer};
    /// # if cfg!(miri) { return Ok(()); }
    /// let name = format!("doc-queue-pop-wait-{}", std::process::id());
    /// let mut producer = QueueProducer::<u64>::create(&name, 8)?;
    /// let mut consumer = QueueConsumer::<u64>::open(&name)?;
    /// assert_eq!(consumer.pop_wait(Duration::from_millis(5)), Err(TimedOut));
    /// producer.try_push(&7)?;
    /// assert_eq!(consumer.pop_wait(Duration::from_secs(1))?, 7);
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    pub fn pop_wait(&mut self, timeout: Duration) -> Result<T, TimedOut> {
        let mut value = T::zeroed();
        self.pop_wait_into(&mut value, timeout)?;
        Ok(value)
    }

    /// [`QueueConsumer::pop_wait`] into `dst` (untouched on `Err(TimedOut)`).
    pub fn pop_wait_into(&mut self, dst: &mut T, timeout: Duration) -> Result<(), TimedOut> {
        if self.pop_into(dst) {
            return Ok(());
        }
        let (pages, capacity) = (self.pages, self.mask + 1);
        // The producer's handshake word is the writer's, in the header.
        let mode = self.segment.writer_mode();
        let end = &mut self.end;
        let ready = wait_on(
            pages.consumer_waiting(),
            pages.producer_wakes(),
            mode,
            deadline(timeout),
            || (end.ready(capacity, 1, pages.tail()) > 0).then_some(()),
        );
        self.counters.add(Count::Waits, 1);
        ready.ok_or(TimedOut)?;
        self.counters.add(Count::Wakeups, 1);
        if self.pop_into(dst) {
            Ok(())
        } else {
            Err(TimedOut)
        }
    }

    /// Values ready to pop (the producer may push more at any time).
    #[must_use]
    pub fn len(&mut self) -> usize {
        self.ready(self.mask + 1) as usize
    }

    /// Whether a pop now would find nothing.
    #[must_use]
    pub fn is_empty(&mut self) -> bool {
        self.ready(1) == 0
    }

    /// The number of slots.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.segment.capacity().get()
    }

    /// Values popped so far by every consumer of this queue (the number of the next value).
    #[must_use]
    pub fn popped(&self) -> u64 {
        self.end.head
    }

    /// The number of times a consumer replaced a dead one.
    #[must_use]
    pub fn epoch(&self) -> u64 {
        self.pages
            .consumer_word(CONSUMER_EPOCH_AT)
            .load(Ordering::Relaxed)
    }

    /// The producer's status, as [`Subscriber::writer_status`](super::Subscriber::writer_status)
    /// reports a writer's.
    #[must_use]
    pub fn producer_status(&self, threshold: Duration) -> WriterStatus {
        self.segment.writer_status(threshold)
    }

    /// This consumer's counts (feature `stats`): values popped (`reads`), waits, and wakes
    /// of a sleeping producer (`wakeups`).
    #[cfg(feature = "stats")]
    #[must_use]
    pub fn stats(&self) -> crate::Stats {
        self.counters.snapshot()
    }

    /// The segment's name (`None` for memfd and file-backed segments).
    #[must_use]
    pub fn name(&self) -> Option<&super::SegmentName> {
        self.segment.name()
    }
}

impl<T: Pod + Schema> Drop for QueueConsumer<T> {
    fn drop(&mut self) {
        self.pages.consumer_waiting().store(0, Ordering::Relaxed);
        // SYNC POINT consumer-claim (release). Release: pairs with the next consumer's Acquire
        // load of consumer-claim: it sees every `head` this consumer stored.
        let _ = self
            .pages
            .consumer_word(CONSUMER_OWNER_AT)
            .compare_exchange(
                OwnerToken::current().to_raw(),
                OwnerToken::NONE.to_raw(),
                Ordering::Release,
                Ordering::Relaxed,
            );
    }
}

/// A queue segment's state as an observer sees it (tools: `rtshm show`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueueState {
    /// Values pushed so far.
    pub pushed: u64,
    /// Values popped so far.
    pub popped: u64,
    /// Consumer replacements.
    pub consumer_epoch: u64,
    /// The consumer's status (from its owner token, PID namespace and heartbeat).
    pub consumer: WriterStatus,
    /// The consumer's process id, if one holds the claim (alive or dead).
    pub consumer_pid: Option<i32>,
}

/// The state of the queue in `segment`, read with loads only, claiming nothing; `None` for
/// other kinds, or when the readers' page is not mapped.
pub(super) fn state(segment: &Segment, threshold: Duration) -> Option<QueueState> {
    if segment.geometry().kind != crate::layout::Kind::Queue {
        return None;
    }
    let pages = Pages {
        data: segment.data(),
        consumer: segment.observed_readers_page()?,
    };
    Some(QueueState {
        pushed: pages.tail().load(Ordering::Relaxed),
        popped: pages.head().load(Ordering::Relaxed),
        consumer_epoch: pages
            .consumer_word(CONSUMER_EPOCH_AT)
            .load(Ordering::Relaxed),
        consumer: Pages::status(
            pages.consumer_word(CONSUMER_OWNER_AT),
            pages.consumer_word(CONSUMER_PID_NS_AT),
            pages.consumer_word(CONSUMER_HEARTBEAT_AT),
            threshold,
        ),
        consumer_pid: OwnerToken::from_raw(
            pages
                .consumer_word(CONSUMER_OWNER_AT)
                .load(Ordering::Relaxed),
        )
        .pid(),
    })
}
