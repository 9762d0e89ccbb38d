//! Shared-memory segments (`std`): one writer process, many reader processes.
//!
//! A [`Publisher`] creates a named POSIX shared-memory segment (`/dev/shm/<name>`, mode `0600`
//! by default) holding a header and one structure, and writes it; a [`Subscriber`] opens it,
//! validates the header against the type it expects, maps the data **read-only**, and reads.
//! The structure is one of three, each with its pair of handles:
//!
//! | structure | writer | reader |
//! |---|---|---|
//! | [`SeqLock`]: the latest value | [`SeqLockPublisher`] | [`SeqLockSubscriber`] |
//! | [`Ring`](crate::Ring): every value, lap-checked | [`RingPublisher`] | [`RingSubscriber`] |
//! | [`TimeSeries`](crate::TimeSeries): stamped values, queried by time | [`TimeSeriesPublisher`] | [`TimeSeriesSubscriber`] |
//!
//! ```
//! use rtshm::shm::{SeqLockPublisher, SeqLockSubscriber};
//! # if cfg!(miri) { return Ok(()); } // Miri cannot map shared memory
//!
//! let name = format!("doc-shm-{}", std::process::id());
//! let mut publisher = SeqLockPublisher::<[f32; 3]>::create(&name)?;
//! publisher.store(&[0.0, 0.0, 9.81]);
//!
//! // Usually in another process:
//! let subscriber = SeqLockSubscriber::<[f32; 3]>::open(&name)?;
//! assert_eq!(subscriber.try_load()?, [0.0, 0.0, 9.81]);
//! # Ok::<(), rtshm::Error>(())
//! ```
//!
//! The handles own everything they need: a node keeps its subscriber and its cursor side by
//! side in its own struct, and a reader started before its publisher waits for the segment
//! with [`Subscriber::open_timeout`]:
//!
//! ```
//! use std::time::Duration;
//! use rtshm::Cursor;
//! use rtshm::shm::{RingPublisher, RingSubscriber};
//! # if cfg!(miri) { return Ok(()); }
//!
//! struct Node {
//!     imu: RingSubscriber<[f32; 6]>,
//!     cursor: Cursor<[f32; 6]>,
//! }
//!
//! impl Node {
//!     fn new(name: &str) -> Result<Self, rtshm::Error> {
//!         let imu = RingSubscriber::open_timeout(name, Duration::from_secs(5))?;
//!         let cursor = imu.cursor_from_oldest();
//!         Ok(Self { imu, cursor })
//!     }
//!
//!     fn step(&mut self) -> Result<Option<[f32; 6]>, rtshm::Error> {
//!         Ok(self.imu.next(&mut self.cursor)?)
//!     }
//! }
//!
//! let name = format!("doc-node-{}", std::process::id());
//! let mut publisher = RingPublisher::<[f32; 6]>::create(&name, 64)?;
//! let mut node = Node::new(&name)?;
//! publisher.push(&[1.0; 6]);
//! assert_eq!(node.step()?, Some([1.0; 6]));
//! assert_eq!(node.step()?, None);
//! # Ok::<(), rtshm::Error>(())
//! ```
//!
//! On 32-bit targets (armv7) readers map the data read-write instead: `core::sync::atomic`
//! allows only pointer-sized loads on read-only memory, and the sequences are 64-bit.
//!
//! The publisher that created a segment unlinks it when dropped, unless [`Publisher::persist`]
//! was called; subscribers never unlink. Readers never trust the segment: the header is
//! validated with checked arithmetic, the geometry is snapshotted at open and never re-read, and
//! every read is bounded (a writer that died mid-store yields [`Busy`], never a hang or a torn
//! value).
//!
//! Every wait takes a timeout and reports it the same way: `Err(TimedOut)`
//! ([`SeqLockSubscriber::wait_newer`], [`TimeSeriesSubscriber::wait_written_beyond`]), or
//! `Err(WaitError::TimedOut)` where a lap can end the wait too ([`Subscriber::wait_next`]).
//!
//! Layout, header and validation: [`crate::layout`].

mod barrier;
mod cells;
mod inspect;
mod list;
mod name;
mod queue;
mod raw;
mod segment;
mod writer;

use crate::stats::{Count, Counters};
use core::marker::PhantomData;
use core::time::Duration;
use std::os::fd::OwnedFd;
use std::path::Path;

use bytemuck::Pod;
use rtshm_schema::{SchemaBuf, TypeView};

use crate::Schema;
use segment::Identity;

pub use inspect::{Inspector, Record};
pub use list::{
    Listed, STALE_AFTER, SegmentInfo, abandoned_builds, list, remove_dead, remove_if_dead,
};
pub use name::{InvalidName, SegmentName};
pub use queue::{ConsumerError, QueueConsumer, QueueProducer, QueueState};
pub use raw::{RawError, RawPublisher, RawType};
pub use segment::{CreateConfig, CreateError, OpenConfig, OpenError, SchemaMismatch, remove};

/// [`Publisher::open_existing`] or [`Publisher::create_or_recover`] failed.
///
/// ```
/// use rtshm::shm::{RingPublisher, TakeoverError};
/// # if cfg!(miri) { return Ok(()); }
///
/// let name = format!("doc-takeover-error-{}", std::process::id());
/// let mut first = RingPublisher::<u8>::create(&name, 8)?;
/// first.persist();
/// drop(first);
/// // The segment exists with 8 slots: asking for 16 leaves it untouched.
/// assert!(matches!(
///     RingPublisher::<u8>::create_or_recover(&name, 16),
///     Err(TakeoverError::CapacityMismatch { found: 8, requested: 16 })
/// ));
/// rtshm::shm::remove(&name)?;
/// # Ok::<(), rtshm::Error>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum TakeoverError {
    /// Creating the segment failed.
    Create(CreateError),
    /// Opening the existing segment failed (not found, wrong type, corrupt...).
    Open(OpenError),
    /// The segment's writer is alive: there can be only one.
    WriterAlive {
        /// Its process id.
        pid: i32,
    },
    /// The segment's writer cannot be checked from this process (it runs in another PID
    /// namespace, or `/proc` hides it): it may be alive, so it is not taken over. Remove the
    /// segment by hand (`rtshm rm --force`) if you know it is gone.
    WriterUnknown {
        /// Its process id, in its own namespace.
        pid: i32,
    },
    /// The existing segment holds a different number of slots than requested.
    CapacityMismatch {
        /// Slots in the segment.
        found: usize,
        /// Slots requested.
        requested: usize,
    },
}

impl core::fmt::Display for TakeoverError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Create(e) => e.fmt(f),
            Self::Open(e) => e.fmt(f),
            Self::WriterAlive { pid } => {
                write!(
                    f,
                    "the segment's writer (pid {pid}) is alive; only one writer at a time"
                )
            }
            Self::WriterUnknown { pid } => write!(
                f,
                "the segment's writer (pid {pid}) cannot be checked from here (another PID \
                 namespace, or /proc hides it); it may be alive, so it is not taken over"
            ),
            Self::CapacityMismatch { found, requested } => write!(
                f,
                "the existing segment has {found} slots, not the {requested} requested"
            ),
        }
    }
}

impl std::error::Error for TakeoverError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Create(e) => Some(e),
            Self::Open(e) => Some(e),
            _ => None,
        }
    }
}

use crate::layout::{self, Expected, Geometry, HeaderLine0, Kind};
use crate::ring::{Cursor, RingView, Slot};
use crate::series::{NonMonotonic, SeriesView};
use crate::{Busy, Payload, SeqLock, Stamped, TimedOut, Version, WaitError};
use segment::Segment;

use crate::liveness::WriterStatus;
use crate::sync::Ordering;
use writer::{Place, Writer};

/// Marks a segment holding one [`SeqLock`] of `T`: [`SeqLockPublisher`],
/// [`SeqLockSubscriber`].
pub struct SeqLockKind<T>(PhantomData<T>);
/// Marks a segment holding a [`Ring`](crate::Ring) of `T` (capacity chosen at creation):
/// [`RingPublisher`], [`RingSubscriber`].
pub struct RingKind<T>(PhantomData<T>);
/// Marks a segment holding a [`TimeSeries`](crate::TimeSeries) of `T`:
/// [`TimeSeriesPublisher`], [`TimeSeriesSubscriber`].
pub struct TimeSeriesKind<T>(PhantomData<T>);
/// Marks a segment holding a lossless queue of `T` (capacity chosen at creation):
/// [`QueueProducer`], [`QueueConsumer`].
pub struct QueueKind<T>(PhantomData<T>);

macro_rules! debug_as_name {
    ($($t:ident),*) => {$(
        impl<T> core::fmt::Debug for $t<T> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, "{}<{}>", stringify!($t), core::any::type_name::<T>())
            }
        }
    )*};
}
debug_as_name!(SeqLockKind, RingKind, TimeSeriesKind, QueueKind);

/// The writer of a segment holding one [`SeqLock`] of `T`.
pub type SeqLockPublisher<T> = Publisher<SeqLockKind<T>>;
/// A reader of a segment holding one [`SeqLock`] of `T`.
pub type SeqLockSubscriber<T> = Subscriber<SeqLockKind<T>>;
/// The writer of a segment holding a [`Ring`](crate::Ring) of `T`.
pub type RingPublisher<T> = Publisher<RingKind<T>>;
/// A reader of a segment holding a [`Ring`](crate::Ring) of `T`.
pub type RingSubscriber<T> = Subscriber<RingKind<T>>;
/// The writer of a segment holding a [`TimeSeries`](crate::TimeSeries) of `T`.
pub type TimeSeriesPublisher<T> = Publisher<TimeSeriesKind<T>>;
/// A reader of a segment holding a [`TimeSeries`](crate::TimeSeries) of `T`.
pub type TimeSeriesSubscriber<T> = Subscriber<TimeSeriesKind<T>>;

mod sealed {
    pub trait Structure {}
    /// Structures with slots, read with cursors: [`RingKind`](super::RingKind) and
    /// [`TimeSeriesKind`](super::TimeSeriesKind).
    pub trait Slotted {}
    /// Structures whose capacity is chosen at creation: rings, time series and queues.
    pub trait WithCapacity {}
}

/// A segment structure: [`SeqLockKind`], [`RingKind`], [`TimeSeriesKind`] or [`QueueKind`] of a
/// [`Pod`] type that has a [`Schema`] (`#[derive(rtshm::Schema)]`): the segment
/// records it, and every opener compares its own, field by field.
pub trait Structure: sealed::Structure {
    /// The value stored in the structure's words (`T`, or `Stamped<T>` for a time series).
    #[doc(hidden)]
    type Value: Payload;
    /// The header's kind.
    #[doc(hidden)]
    const KIND: Kind;
    /// The schema the segment records: the user's value `T` (a time series' stamp and
    /// sequence number are the format's, not the schema's).
    #[doc(hidden)]
    const SCHEMA: crate::schema::Type;
}

impl<T: Pod + Schema> sealed::Structure for SeqLockKind<T> {}
impl<T: Pod + Schema> Structure for SeqLockKind<T> {
    type Value = T;
    const KIND: Kind = Kind::SeqLock;
    const SCHEMA: crate::schema::Type = T::TYPE;
}
impl<T: Pod + Schema> sealed::Structure for RingKind<T> {}
impl<T: Pod + Schema> Structure for RingKind<T> {
    type Value = T;
    const KIND: Kind = Kind::Ring;
    const SCHEMA: crate::schema::Type = T::TYPE;
}
impl<T: Pod + Schema> sealed::Structure for TimeSeriesKind<T> {}
impl<T: Pod + Schema> sealed::Slotted for RingKind<T> {}
impl<T: Pod + Schema> sealed::Slotted for TimeSeriesKind<T> {}
impl<T: Pod + Schema> sealed::WithCapacity for RingKind<T> {}
impl<T: Pod + Schema> sealed::WithCapacity for TimeSeriesKind<T> {}
impl<T: Pod + Schema> sealed::WithCapacity for QueueKind<T> {}
impl<T: Pod + Schema> sealed::Structure for QueueKind<T> {}
impl<T: Pod + Schema> Structure for QueueKind<T> {
    type Value = T;
    const KIND: Kind = Kind::Queue;
    const SCHEMA: crate::schema::Type = T::TYPE;
}
impl<T: Pod + Schema> Structure for TimeSeriesKind<T> {
    type Value = Stamped<T>;
    const KIND: Kind = Kind::TimeSeries;
    const SCHEMA: crate::schema::Type = T::TYPE;
}

/// The expected header of a segment holding `K`: its kind, and the explicit schema id if
/// given, else the hash of `K`'s schema.
fn expected<K: Structure>(schema: Option<u64>) -> Expected {
    Expected {
        kind: K::KIND,
        fingerprint: schema.unwrap_or_else(|| K::SCHEMA.fingerprint()),
    }
}

/// The single writer of a segment: the one that created it, or one that took it over from a
/// dead writer ([`Publisher::open_existing`]).
///
/// ```
/// use rtshm::shm::{Publisher, RingKind, RingPublisher};
/// # if cfg!(miri) { return Ok(()); }
///
/// // The alias and the generic form are the same type.
/// let name = format!("doc-publisher-{}", std::process::id());
/// let mut imu: RingPublisher<[f32; 6]> = Publisher::<RingKind<[f32; 6]>>::create(&name, 64)?;
/// imu.push(&[0.0; 6]);
/// # Ok::<(), rtshm::Error>(())
/// ```
pub struct Publisher<K: Structure> {
    writer: Writer,
    _kind: PhantomData<K>,
}

impl<K: Structure> core::fmt::Debug for Publisher<K> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Publisher")
            .field("name", &self.name())
            .field("kind", &self.writer.segment.geometry().kind)
            .field("epoch", &self.epoch())
            .finish_non_exhaustive()
    }
}

/// A reader of a segment: maps the data read-only and reads with bounded operations.
///
/// ```
/// use std::time::Duration;
/// use rtshm::shm::{RingPublisher, RingSubscriber};
/// # if cfg!(miri) { return Ok(()); }
///
/// let name = format!("doc-subscriber-{}", std::process::id());
/// let mut publisher = RingPublisher::<u32>::create(&name, 8)?;
/// let subscriber = RingSubscriber::<u32>::open(&name)?;
/// let mut cursor = subscriber.cursor_from_next();
/// publisher.push(&1);
/// assert_eq!(subscriber.wait_next(&mut cursor, Duration::from_secs(1))?, 1);
/// assert_eq!((subscriber.written(), subscriber.capacity()), (1, 8));
/// # Ok::<(), rtshm::Error>(())
/// ```
pub struct Subscriber<K: Structure> {
    segment: Segment,
    counters: Counters,
    _kind: PhantomData<K>,
}

impl<K: Structure> core::fmt::Debug for Subscriber<K> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Subscriber")
            .field("name", &self.name())
            .field("kind", &self.segment.geometry().kind)
            .finish_non_exhaustive()
    }
}

/// How a typed handle checks a segment: its header for `K` (with the explicit schema id if
/// given), then its schema against `K`'s.
fn typed<K: Structure>(schema: Option<u64>) -> impl segment::Check + Copy {
    move |header: &HeaderLine0, len, found: Option<TypeView<'_>>| {
        let ours = SchemaBuf::of(&K::SCHEMA).map_err(OpenError::Schema)?;
        let header = layout::validate::<K::Value>(header, len, expected::<K>(schema));
        segment::check_schema(header, found, Some(ours.view()))
    }
}

impl<K: Structure> Publisher<K> {
    /// Creates the segment, then claims its single writer (a fresh segment has none).
    fn create_at(
        place: Place<'_>,
        capacity: usize,
        options: CreateConfig,
    ) -> Result<Self, CreateError> {
        let geometry = Geometry::of::<K::Value>(K::KIND, capacity).map_err(CreateError::Layout)?;
        let schema = SchemaBuf::of(&K::SCHEMA).map_err(CreateError::Schema)?;
        let identity = Identity {
            fingerprint: expected::<K>(options.schema).fingerprint,
            schema: Some(schema.view()),
        };
        Ok(Self::wrap(Writer::create(
            place, geometry, identity, options,
        )?))
    }

    fn wrap(writer: Writer) -> Self {
        Self {
            writer,
            _kind: PhantomData,
        }
    }

    /// Refreshes the heartbeat now. Stores refresh it by themselves while they come; a publisher
    /// that goes idle for longer than readers' staleness threshold calls this to stay `Alive`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rtshm::liveness::WriterStatus;
    /// use rtshm::shm::{SeqLockPublisher, SeqLockSubscriber};
    /// # if cfg!(miri) { return Ok(()); }
    ///
    /// let name = format!("doc-heartbeat-{}", std::process::id());
    /// let mut publisher = SeqLockPublisher::<u32>::create(&name)?;
    /// let subscriber = SeqLockSubscriber::<u32>::open(&name)?;
    /// publisher.heartbeat(); // idle, but alive
    /// let status = subscriber.writer_status(Duration::from_secs(1));
    /// assert!(matches!(status, WriterStatus::Alive { .. }));
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    pub fn heartbeat(&mut self) {
        self.writer.heartbeat();
    }

    /// The number of takeovers this segment has seen.
    ///
    /// ```
    /// use rtshm::shm::SeqLockPublisher;
    /// # if cfg!(miri) { return Ok(()); }
    /// let name = format!("doc-epoch-{}", std::process::id());
    /// let publisher = SeqLockPublisher::<u8>::create(&name)?;
    /// assert_eq!(publisher.epoch(), 0); // a fresh segment; each takeover adds one
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    #[must_use]
    pub fn epoch(&self) -> u64 {
        self.writer.epoch()
    }

    /// This publisher's counts (feature `stats`): values stored, and futex wakes issued to
    /// waiting readers (`wakeups`).
    #[cfg(feature = "stats")]
    #[must_use]
    pub fn stats(&self) -> crate::Stats {
        self.writer.counters.snapshot()
    }

    /// Takes over the named segment from a writer that died (or exited): fails with
    /// [`TakeoverError::WriterAlive`] while the owner process runs. The epoch is incremented,
    /// and a store the dead writer left half done is redone by the next store or push, so no
    /// reader ever accepts its torn bytes.
    ///
    /// ```
    /// use rtshm::shm::{SeqLockPublisher, TakeoverError};
    /// # if cfg!(miri) { return Ok(()); }
    ///
    /// let name = format!("doc-takeover-{}", std::process::id());
    /// let mut first = SeqLockPublisher::<u32>::create(&name)?;
    /// assert!(matches!(
    ///     SeqLockPublisher::<u32>::open_existing(&name),
    ///     Err(TakeoverError::WriterAlive { .. }) // one writer at a time
    /// ));
    /// first.store(&1);
    /// first.persist();
    /// drop(first); // the writer goes away (or dies)
    /// let mut second = SeqLockPublisher::<u32>::open_existing(&name)?;
    /// assert_eq!(second.epoch(), 1);
    /// second.store(&2); // removed when `second` is dropped (it did not persist)
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    pub fn open_existing(name: &str) -> Result<Self, TakeoverError> {
        Self::open_existing_with(name, OpenConfig::default())
    }

    /// [`Publisher::open_existing`] with options.
    ///
    /// ```
    /// use rtshm::shm::{CreateConfig, OpenConfig, SeqLockPublisher};
    /// # if cfg!(miri) { return Ok(()); }
    /// let id = rtshm::layout::schema_id("motor@1");
    /// let name = format!("doc-open-existing-with-{}", std::process::id());
    /// let mut first = SeqLockPublisher::<u8>::create_with(&name, CreateConfig::new().schema(id))?;
    /// first.persist();
    /// drop(first);
    /// let again = SeqLockPublisher::<u8>::open_existing_with(&name, OpenConfig::new().schema(id))?;
    /// assert_eq!(again.epoch(), 1);
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    pub fn open_existing_with(name: &str, options: OpenConfig) -> Result<Self, TakeoverError> {
        let validate = typed::<K>(options.schema);
        Ok(Self::wrap(Writer::open_existing(
            name, validate, None, options,
        )?))
    }

    /// Creates the named segment with `capacity` slots, or recovers it: see
    /// [`Publisher::create_or_recover`](Publisher::<SeqLockKind<T>>::create_or_recover).
    fn recover(name: &str, capacity: usize) -> Result<Self, TakeoverError> {
        let geometry = Geometry::of::<K::Value>(K::KIND, capacity)
            .map_err(|e| TakeoverError::Create(CreateError::Layout(e)))?;
        let schema =
            SchemaBuf::of(&K::SCHEMA).map_err(|e| TakeoverError::Create(CreateError::Schema(e)))?;
        let identity = Identity {
            fingerprint: expected::<K>(None).fingerprint,
            schema: Some(schema.view()),
        };
        let validate = typed::<K>(None);
        let options = (CreateConfig::default(), OpenConfig::default());
        Writer::create_or_recover(name, geometry, identity, validate, options).map(Self::wrap)
    }

    /// A duplicate of the segment's file descriptor without close-on-exec, to hand a memfd
    /// segment to a child process (which opens it with [`Subscriber::from_fd`]).
    ///
    /// ```
    /// use rtshm::shm::{CreateConfig, OpenConfig, SeqLockPublisher, SeqLockSubscriber};
    /// # if cfg!(miri) { return Ok(()); }
    ///
    /// // No name in /dev/shm: the segment lives as long as a handle or a descriptor does.
    /// let mut publisher = SeqLockPublisher::<u64>::create_memfd("imu", CreateConfig::new())?;
    /// publisher.store(&42);
    /// let fd = publisher.share_fd()?; // pass it to a child process (it survives exec)
    /// let subscriber = SeqLockSubscriber::<u64>::from_fd(fd, OpenConfig::new())?;
    /// assert_eq!(subscriber.try_load()?, 42);
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    pub fn share_fd(&self) -> std::io::Result<OwnedFd> {
        self.writer.share_fd()
    }

    /// Writes a file-backed segment's contents to the file (`msync`), e.g. before a planned
    /// shutdown of a flight recorder. A no-op cost for shm and memfd segments.
    pub fn flush(&self) -> std::io::Result<()> {
        self.writer.segment.flush()
    }

    /// Keeps the segment after this publisher is dropped (for readers that start later, or a
    /// restarted publisher). Remove it with [`remove`].
    ///
    /// ```
    /// use rtshm::shm::{self, SeqLockPublisher, SeqLockSubscriber};
    /// # if cfg!(miri) { return Ok(()); }
    ///
    /// let name = format!("doc-persist-{}", std::process::id());
    /// let mut publisher = SeqLockPublisher::<u32>::create(&name)?;
    /// publisher.store(&9);
    /// publisher.persist();
    /// drop(publisher);
    /// assert_eq!(SeqLockSubscriber::<u32>::open(&name)?.try_load()?, 9); // still there
    /// shm::remove(&name)?;
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    pub fn persist(&mut self) {
        self.writer.segment.persist();
    }

    /// The segment's name (`None` for memfd and file-backed segments).
    #[must_use]
    pub fn name(&self) -> Option<&SegmentName> {
        self.writer.name()
    }
}

impl<K: Structure> Subscriber<K> {
    /// Opens the segment `name` (`"imu"`, or `"/imu"` as POSIX spells it), waiting up to 1 s
    /// for a creator that is still initializing it; a segment that does not exist is
    /// [`OpenError::NotFound`] at once ([`Subscriber::open_timeout`] waits for it). Every way
    /// the segment can differ from a `K` is its own error, with the values found and expected.
    pub fn open(name: &str) -> Result<Self, OpenError> {
        Self::open_with(name, OpenConfig::default())
    }

    /// Opens the segment `name`, waiting up to `timeout` for it to appear and be initialized:
    /// for a reader started before its publisher (any start order works). A segment that
    /// exists but differs from `K` fails at once. See [`OpenConfig::wait_for_creation`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use rtshm::shm::{OpenError, SeqLockPublisher, SeqLockSubscriber};
    /// # if cfg!(miri) { return Ok(()); }
    ///
    /// let name = format!("doc-open-timeout-{}", std::process::id());
    /// let late = std::thread::spawn({
    ///     let name = name.clone();
    ///     move || {
    ///         std::thread::sleep(Duration::from_millis(50));
    ///         let mut publisher = SeqLockPublisher::<u8>::create(&name).unwrap();
    ///         publisher.store(&1);
    ///         std::thread::sleep(Duration::from_millis(200));
    ///     }
    /// });
    /// let subscriber = SeqLockSubscriber::<u8>::open_timeout(&name, Duration::from_secs(5))?;
    /// late.join().unwrap();
    /// let missing = SeqLockSubscriber::<u8>::open_timeout("doc-never", Duration::from_millis(20));
    /// assert!(matches!(missing, Err(OpenError::NotFound)));
    /// # drop(subscriber);
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    pub fn open_timeout(name: &str, timeout: Duration) -> Result<Self, OpenError> {
        Self::open_with(name, OpenConfig::new().wait_for_creation(timeout))
    }

    /// [`Subscriber::open`] with a configuration.
    ///
    /// ```
    /// use rtshm::shm::{CreateConfig, OpenConfig, OpenError, SeqLockPublisher, SeqLockSubscriber};
    /// # if cfg!(miri) { return Ok(()); }
    ///
    /// // An explicit schema id (`schema_id("name@version")`): readers must name the same one.
    /// let id = rtshm::layout::schema_id("imu@2");
    /// let name = format!("doc-open-with-{}", std::process::id());
    /// let _publisher = SeqLockPublisher::<u32>::create_with(&name, CreateConfig::new().schema(id))?;
    /// let subscriber = SeqLockSubscriber::<u32>::open_with(&name, OpenConfig::new().schema(id));
    /// assert!(subscriber.is_ok());
    /// assert!(matches!(SeqLockSubscriber::<u32>::open(&name), Err(OpenError::Invalid(_))));
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    pub fn open_with(name: &str, options: OpenConfig) -> Result<Self, OpenError> {
        let segment = Segment::open(name, typed::<K>(options.schema), options)?;
        Ok(Self::wrap(segment))
    }

    /// Opens a file-backed segment (`O_NOFOLLOW`: a symlink is refused).
    pub fn open_file(path: impl AsRef<Path>, options: OpenConfig) -> Result<Self, OpenError> {
        let segment = Segment::open_file(path.as_ref(), typed::<K>(options.schema), options)?;
        Ok(Self::wrap(segment))
    }

    /// Opens a segment from a file descriptor, such as a memfd passed by its creator with
    /// [`Publisher::share_fd`].
    pub fn from_fd(fd: OwnedFd, options: OpenConfig) -> Result<Self, OpenError> {
        let segment = Segment::from_fd(fd, typed::<K>(options.schema), options)?;
        Ok(Self::wrap(segment))
    }

    fn wrap(segment: Segment) -> Self {
        Self {
            segment,
            counters: Counters::default(),
            _kind: PhantomData,
        }
    }

    /// This subscriber's counts (feature `stats`): values read, retries and busy results of
    /// `try_load`/`try_load_into` and `latest`/`latest_into`, waits and the waits that ended
    /// with a value. A cursor counts its own reads and laps
    /// ([`Cursor::stats`](crate::Cursor::stats)); time-series queries are not counted.
    #[cfg(feature = "stats")]
    #[must_use]
    pub fn stats(&self) -> crate::Stats {
        self.counters.snapshot()
    }

    /// `Segment::wait_for`, counting a wait when the first check finds nothing, and a wake-up
    /// when such a wait ends with a value.
    fn wait_counted<R>(
        &self,
        timeout: Duration,
        mut check: impl FnMut() -> Option<R>,
    ) -> Option<R> {
        let mut checks = 0u32;
        let result = self.segment.wait_for(timeout, || {
            checks = checks.saturating_add(1);
            check()
        });
        if checks > 1 || result.is_none() {
            self.counters.add(Count::Waits, 1);
            self.counters
                .add(Count::Wakeups, u64::from(result.is_some()));
        }
        result
    }

    /// The segment's name (`None` for memfd and file-backed segments).
    ///
    /// ```
    /// use rtshm::shm::{CreateConfig, OpenConfig, SeqLockPublisher, SeqLockSubscriber};
    /// # if cfg!(miri) { return Ok(()); }
    /// let name = format!("doc-sub-name-{}", std::process::id());
    /// let _publisher = SeqLockPublisher::<u8>::create(&name)?;
    /// let named = SeqLockSubscriber::<u8>::open(&format!("/{name}"))?;
    /// assert_eq!(named.name().map(|n| n.as_str()), Some(name.as_str())); // without the '/'
    /// let memfd = SeqLockPublisher::<u8>::create_memfd("anonymous", CreateConfig::new())?;
    /// let unnamed = SeqLockSubscriber::<u8>::from_fd(memfd.share_fd()?, OpenConfig::new())?;
    /// assert!(unnamed.name().is_none());
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    #[must_use]
    pub fn name(&self) -> Option<&SegmentName> {
        self.segment.name()
    }

    /// The address and length of the data mapping (for diagnostics and tests). It is read-only
    /// on 64-bit targets; on 32-bit targets, whose 64-bit sequence loads are not allowed on
    /// read-only memory, it is read-write when the process may write the segment (readers
    /// still never store to it).
    ///
    /// ```
    /// use rtshm::shm::{SeqLockPublisher, SeqLockSubscriber};
    /// # if cfg!(miri) { return Ok(()); }
    /// let name = format!("doc-data-mapping-{}", std::process::id());
    /// let _publisher = SeqLockPublisher::<[u8; 100]>::create(&name)?;
    /// let subscriber = SeqLockSubscriber::<[u8; 100]>::open(&name)?;
    /// let (address, len) = subscriber.data_mapping();
    /// assert!(address != 0 && len >= 100);
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    #[must_use]
    pub fn data_mapping(&self) -> (usize, usize) {
        self.segment.data_range()
    }

    /// The writer's status: alive (heartbeat within `threshold`), stale, dead or unowned.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rtshm::liveness::WriterStatus;
    /// use rtshm::shm::{self, SeqLockPublisher, SeqLockSubscriber};
    /// # if cfg!(miri) { return Ok(()); }
    ///
    /// let name = format!("doc-writer-status-{}", std::process::id());
    /// let mut publisher = SeqLockPublisher::<u32>::create(&name)?;
    /// publisher.persist();
    /// let subscriber = SeqLockSubscriber::<u32>::open(&name)?;
    /// let threshold = Duration::from_millis(500);
    /// assert!(matches!(subscriber.writer_status(threshold), WriterStatus::Alive { .. }));
    /// drop(publisher); // exits cleanly: no owner any more
    /// assert_eq!(subscriber.writer_status(threshold), WriterStatus::Unowned);
    /// shm::remove(&name)?;
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    #[must_use]
    pub fn writer_status(&self, threshold: Duration) -> WriterStatus {
        self.segment.writer_status(threshold)
    }

    /// The number of takeovers the segment has seen.
    #[must_use]
    pub fn epoch(&self) -> u64 {
        self.segment.epoch().load(Ordering::Relaxed)
    }

    /// The clock of the stamps: the publisher's choice, or another host's for a segment a
    /// bridge imported ([`Clock::is_remote`](crate::Clock::is_remote)).
    ///
    /// ```
    /// use rtshm::Clock;
    /// use rtshm::shm::{CreateConfig, TimeSeriesPublisher, TimeSeriesSubscriber};
    /// # if cfg!(miri) { return Ok(()); }
    ///
    /// let name = format!("doc-clock-{}", std::process::id());
    /// let config = CreateConfig::new().clock(Clock::Realtime);
    /// let _publisher = TimeSeriesPublisher::<f32>::create_with(&name, 8, config)?;
    /// let subscriber = TimeSeriesSubscriber::<f32>::open(&name)?;
    /// assert_eq!(subscriber.clock(), Clock::Realtime);
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    #[must_use]
    pub fn clock(&self) -> crate::Clock {
        self.segment.clock()
    }

    /// Values lost before they reached the writer: counted by a bridge's import (the gaps in
    /// the remote write numbers); 0 for a segment written locally.
    #[must_use]
    pub fn lost_upstream(&self) -> u64 {
        self.segment.lost_upstream().load(Ordering::Relaxed)
    }

    /// Whether this subscriber could map the readers' page read-write (needed to register as
    /// a waiter; without it, waits poll).
    ///
    /// ```
    /// use rtshm::shm::{SeqLockPublisher, SeqLockSubscriber};
    /// # if cfg!(miri) { return Ok(()); }
    /// let name = format!("doc-can-wait-{}", std::process::id());
    /// let _publisher = SeqLockPublisher::<u8>::create(&name)?; // mode 0o600: this user may write
    /// assert!(SeqLockSubscriber::<u8>::open(&name)?.can_register_waits());
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    #[must_use]
    pub fn can_register_waits(&self) -> bool {
        self.segment.has_readers_page()
    }
}

impl<K: Structure + sealed::WithCapacity> Publisher<K> {
    /// Creates the named segment `name` holding a ring, time series or queue of `capacity`
    /// values (a power of two).
    ///
    /// ```
    /// use rtshm::shm::{CreateError, RingPublisher};
    /// # if cfg!(miri) { return Ok(()); }
    ///
    /// let name = format!("doc-ring-create-{}", std::process::id());
    /// let mut cameras = RingPublisher::<[u8; 64]>::create(&name, 16)?;
    /// assert_eq!(cameras.push(&[1; 64]), 0);
    /// assert!(matches!(RingPublisher::<[u8; 64]>::create(&name, 16), Err(CreateError::AlreadyExists)));
    /// assert!(RingPublisher::<[u8; 64]>::create("doc-odd", 10).is_err()); // not a power of two
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    pub fn create(name: &str, capacity: usize) -> Result<Self, CreateError> {
        Self::create_with(name, capacity, CreateConfig::default())
    }

    /// [`Publisher::create`] with options (the clock is recorded in the header).
    pub fn create_with(
        name: &str,
        capacity: usize,
        options: CreateConfig,
    ) -> Result<Self, CreateError> {
        Self::create_at(Place::Shm(name), capacity, options)
    }

    /// Creates the named segment, or takes it over if it exists and its writer is dead; the
    /// existing segment must have `capacity` slots ([`TakeoverError::CapacityMismatch`]
    /// otherwise, leaving it untouched). See the SeqLock
    /// [`create_or_recover`](Publisher::<SeqLockKind<T>>::create_or_recover) for the rules.
    ///
    /// ```
    /// use rtshm::shm::RingPublisher;
    /// # if cfg!(miri) { return Ok(()); }
    /// let name = format!("doc-ring-recover-{}", std::process::id());
    /// let mut log = RingPublisher::<u32>::create_or_recover(&name, 64)?;
    /// log.push(&1);
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    pub fn create_or_recover(name: &str, capacity: usize) -> Result<Self, TakeoverError> {
        Self::recover(name, capacity)
    }

    /// Creates an anonymous memfd segment; share it with [`Publisher::share_fd`].
    ///
    /// ```
    /// use rtshm::shm::{CreateConfig, OpenConfig, RingPublisher, RingSubscriber};
    /// # if cfg!(miri) { return Ok(()); }
    /// let mut frames = RingPublisher::<[u8; 256]>::create_memfd("frames", 4, CreateConfig::new())?;
    /// frames.push(&[1; 256]);
    /// let reader = RingSubscriber::<[u8; 256]>::from_fd(frames.share_fd()?, OpenConfig::new())?;
    /// assert_eq!(reader.get(0)?, [1; 256]);
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    pub fn create_memfd(
        label: &str,
        capacity: usize,
        options: CreateConfig,
    ) -> Result<Self, CreateError> {
        Self::create_at(Place::Memfd(label), capacity, options)
    }

    /// Creates a file-backed segment at `path` (must not exist; `O_NOFOLLOW`).
    pub fn create_file(
        path: impl AsRef<Path>,
        capacity: usize,
        options: CreateConfig,
    ) -> Result<Self, CreateError> {
        Self::create_at(Place::File(path.as_ref()), capacity, options)
    }
}

// ---- SeqLock ----------------------------------------------------------------------------

impl<T: Pod + Schema> Publisher<SeqLockKind<T>> {
    /// Creates the named segment `name` holding a SeqLock of `T` (zeroed, version 0).
    ///
    /// ```
    /// use rtshm::shm::SeqLockPublisher;
    /// # if cfg!(miri) { return Ok(()); }
    ///
    /// let name = format!("doc-seqlock-create-{}", std::process::id());
    /// let mut imu = SeqLockPublisher::<[f32; 6]>::create(&name)?; // removed when dropped
    /// assert_eq!(imu.store(&[0.0, 0.0, 9.81, 0.0, 0.0, 0.0]).get(), 1);
    /// assert_eq!(imu.name().map(|n| n.as_str()), Some(name.as_str()));
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    pub fn create(name: &str) -> Result<Self, CreateError> {
        Self::create_with(name, CreateConfig::default())
    }

    /// [`Publisher::create`] with options.
    pub fn create_with(name: &str, options: CreateConfig) -> Result<Self, CreateError> {
        Self::create_at(Place::Shm(name), 1, options)
    }

    /// Creates the named segment, or takes it over if it exists and its writer is dead (the
    /// usual start-up of a node that may have crashed before).
    ///
    /// Of several processes racing on one name, exactly one wins; the others get
    /// [`TakeoverError::WriterAlive`]. A writer that cannot be checked (another PID namespace)
    /// is never taken over ([`TakeoverError::WriterUnknown`]). An object that a creator killed
    /// while initialising left under the name (too small for a header, or a header without
    /// its version, and no live owner) is replaced once the init timeout has passed.
    ///
    /// ```
    /// use rtshm::shm::SeqLockPublisher;
    /// # if cfg!(miri) { return Ok(()); }
    ///
    /// let name = format!("doc-recover-{}", std::process::id());
    /// let mut node = SeqLockPublisher::<u64>::create_or_recover(&name)?; // a fresh start: creates
    /// node.store(&1);
    /// node.persist();
    /// drop(node); // a restart (a crash takes the same path)
    /// let again = SeqLockPublisher::<u64>::create_or_recover(&name)?; // takes the segment over
    /// assert_eq!(again.epoch(), 1);
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    pub fn create_or_recover(name: &str) -> Result<Self, TakeoverError> {
        Self::recover(name, 1)
    }

    /// Creates an anonymous memfd segment (`label` names it in `/proc/<pid>/fd`); share it with
    /// [`Publisher::share_fd`].
    pub fn create_memfd(label: &str, options: CreateConfig) -> Result<Self, CreateError> {
        Self::create_at(Place::Memfd(label), 1, options)
    }

    /// Creates a file-backed segment at `path` (must not exist; `O_NOFOLLOW`).
    ///
    /// ```
    /// use rtshm::shm::{CreateConfig, OpenConfig, SeqLockPublisher, SeqLockSubscriber};
    /// # if cfg!(miri) { return Ok(()); }
    ///
    /// // On disk (a flight recorder's last state survives a reboot with `flush`).
    /// let path = std::env::temp_dir().join(format!("doc-file-{}.rtshm", std::process::id()));
    /// let mut publisher = SeqLockPublisher::<u32>::create_file(&path, CreateConfig::new())?;
    /// publisher.store(&3);
    /// publisher.flush()?;
    /// let subscriber = SeqLockSubscriber::<u32>::open_file(&path, OpenConfig::new())?;
    /// assert_eq!(subscriber.try_load()?, 3);
    /// drop(publisher); // removes the file, as a named segment's publisher does
    /// assert!(!path.exists());
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    pub fn create_file(path: impl AsRef<Path>, options: CreateConfig) -> Result<Self, CreateError> {
        Self::create_at(Place::File(path.as_ref()), 1, options)
    }

    /// Stores `value`; never blocks, no allocation, no syscall.
    ///
    /// Readers blocked in [`Subscriber::wait_newer`] are woken; when none waits this costs one
    /// fence and one load, no syscall.
    ///
    /// ```
    /// use rtshm::shm::{SeqLockPublisher, SeqLockSubscriber};
    /// # if cfg!(miri) { return Ok(()); }
    ///
    /// let name = format!("doc-store-{}", std::process::id());
    /// let mut publisher = SeqLockPublisher::<[u16; 4]>::create(&name)?;
    /// let subscriber = SeqLockSubscriber::<[u16; 4]>::open(&name)?;
    /// let version = publisher.store(&[1, 2, 3, 4]);
    /// assert_eq!(subscriber.version(), version);
    /// assert_eq!(subscriber.load()?, [1, 2, 3, 4]);
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    #[inline]
    pub fn store(&mut self, value: &T) -> Version {
        self.writer.store_as(|segment| {
            // SAFETY: the data starts with a `SeqLock<T>` (geometry checked at creation), is
            // mapped read-write for as long as the writer's `segment`, and `SeqLock` is
            // accessed only atomically.
            let lock = unsafe { &*segment.data().cast::<SeqLock<T>>() };
            lock.store_exclusive(value)
        })
    }
}

impl<T: Pod + Schema> Subscriber<SeqLockKind<T>> {
    fn lock(&self) -> &SeqLock<T> {
        // SAFETY: the header was validated for a `SeqLock<T>`, the data mapping (read-only)
        // lives as long as `self`, and only loads are made through this reference.
        unsafe { &*self.segment.data().cast::<SeqLock<T>>() }
    }

    /// Reads a consistent value, or [`Busy`] after [`TRY_LOAD_ATTEMPTS`](crate::TRY_LOAD_ATTEMPTS)
    /// attempts that overlap a store. Wait-free, like [`SeqLock::try_load`].
    #[inline]
    pub fn try_load(&self) -> Result<T, Busy> {
        let mut value = T::zeroed();
        self.try_load_into(&mut value).map(|_| value)
    }

    /// Reads into `dst` (for large values) and returns its version; bounded like
    /// [`Subscriber::try_load`]. On `Err`, `dst` holds unspecified bytes.
    ///
    /// ```
    /// use rtshm::shm::{SeqLockPublisher, SeqLockSubscriber};
    /// # if cfg!(miri) { return Ok(()); }
    /// let name = format!("doc-try-load-into-{}", std::process::id());
    /// let mut publisher = SeqLockPublisher::<[u8; 4096]>::create(&name)?;
    /// let subscriber = SeqLockSubscriber::<[u8; 4096]>::open(&name)?;
    /// publisher.store(&[3; 4096]);
    /// let mut page = Box::new([0u8; 4096]); // reused between reads
    /// let version = subscriber.try_load_into(&mut page)?;
    /// assert_eq!((page[0], version.get()), (3, 1));
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    #[inline]
    pub fn try_load_into(&self, dst: &mut T) -> Result<Version, Busy> {
        let (result, retries) = self.lock().try_load_retries(dst);
        self.counters.add(Count::Retries, u64::from(retries));
        match result {
            Ok(_) => self.counters.add(Count::Reads, 1),
            Err(Busy) => self.counters.add(Count::Busy, 1),
        }
        result
    }

    /// Reads a consistent value, retrying (yielding the thread between tries) while stores
    /// overlap the read, for at most [`LOAD_PATIENCE`]: [`SeqLock::load`]'s behaviour, bounded.
    /// In-process a store cannot stop half-way; across processes the writer can die (or be
    /// stopped) mid-store, and then every read overlaps it until a new writer takes over, so
    /// this returns [`Busy`] instead of spinning forever.
    pub fn load(&self) -> Result<T, Busy> {
        let mut value = T::zeroed();
        self.load_into(&mut value).map(|_| value)
    }

    /// Like [`Subscriber::load`], reading into `dst` and returning its version.
    pub fn load_into(&self, dst: &mut T) -> Result<Version, Busy> {
        let mut since = None;
        loop {
            match self.try_load_into(dst) {
                Ok(version) => return Ok(version),
                Err(Busy) => {
                    let start = *since.get_or_insert_with(std::time::Instant::now);
                    if start.elapsed() >= LOAD_PATIENCE {
                        return Err(Busy);
                    }
                    std::thread::yield_now();
                }
            }
        }
    }

    /// Reads the value if a store newer than `last` has completed, with its version: `None`
    /// at once (one atomic load, no copy) when nothing newer is there, or when a newer value
    /// cannot be read within [`LOAD_PATIENCE`] (see [`Subscriber::load`]).
    /// [`SeqLock::load_if_newer`]'s shape.
    ///
    /// ```
    /// use rtshm::Version;
    /// use rtshm::shm::{SeqLockPublisher, SeqLockSubscriber};
    /// # if cfg!(miri) { return Ok(()); }
    ///
    /// let name = format!("doc-newer-{}", std::process::id());
    /// let mut publisher = SeqLockPublisher::<u32>::create(&name)?;
    /// let subscriber = SeqLockSubscriber::<u32>::open(&name)?;
    /// assert_eq!(subscriber.load_if_newer(Version::INITIAL), None);
    /// publisher.store(&5);
    /// let (value, version) = subscriber.load_if_newer(Version::INITIAL).unwrap();
    /// assert_eq!(value, 5);
    /// assert_eq!(subscriber.load_if_newer(version), None);
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    #[must_use]
    pub fn load_if_newer(&self, last: Version) -> Option<(T, Version)> {
        if self.version() <= last {
            return None;
        }
        let mut value = T::zeroed();
        let version = self.load_into(&mut value).ok()?;
        (version > last).then_some((value, version))
    }

    /// The number of completed stores, read without copying the value.
    #[must_use]
    pub fn version(&self) -> Version {
        self.lock().version()
    }

    /// Blocks until a store newer than `last` completes, or `timeout` passes
    /// (`Err(TimedOut)`); returns the value and its version. Sleeps on a futex (no CPU while
    /// waiting); the publisher wakes it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rtshm::{TimedOut, Version};
    /// use rtshm::shm::{SeqLockPublisher, SeqLockSubscriber};
    /// # if cfg!(miri) { return Ok(()); }
    ///
    /// let name = format!("doc-wait-newer-{}", std::process::id());
    /// let mut publisher = SeqLockPublisher::<u32>::create(&name)?;
    /// let subscriber = SeqLockSubscriber::<u32>::open(&name)?;
    /// let short = Duration::from_millis(1);
    /// assert_eq!(subscriber.wait_newer(Version::INITIAL, short), Err(TimedOut));
    /// publisher.store(&5);
    /// let (value, version) = subscriber.wait_newer(Version::INITIAL, short)?;
    /// assert_eq!((value, version.get()), (5, 1));
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    pub fn wait_newer(&self, last: Version, timeout: Duration) -> Result<(T, Version), TimedOut> {
        let mut value = T::zeroed();
        self.wait_counted(timeout, || {
            if self.lock().version() <= last {
                return None;
            }
            let version = self.try_load_into(&mut value).ok()?;
            (version > last).then_some(version)
        })
        .map(|version| (value, version))
        .ok_or(TimedOut)
    }
}

/// How long [`Subscriber::load`] of a shared-memory SeqLock retries reads that overlap stores
/// before it reports [`Busy`] (a writer that died or stopped mid-store). A store of a 6 MB
/// image takes about 1 ms; a writer preempted mid-store resumes within a scheduler tick.
pub const LOAD_PATIENCE: Duration = Duration::from_millis(50);

// ---- Ring -------------------------------------------------------------------------------

/// The ring in `segment` (a Ring or TimeSeries segment, validated): no check on the way, the
/// geometry and capacity were checked once at open.
#[inline(always)]
fn ring_in<V: Payload>(segment: &Segment) -> &RingView<V> {
    let slots =
        core::ptr::slice_from_raw_parts(segment.data().cast::<Slot<V>>(), segment.capacity().get());
    // SAFETY: the geometry (validated at open, computed at creation) puts a `RingHead` at the
    // data start (page-aligned) followed, at offset 128, by `capacity` (a power of two) slots
    // of `V`: the `repr(C)` layout of a `RingView<V>` with that slot count, which the cast
    // carries as the pointer's metadata. The mapping lives as long as `segment`; every field
    // is accessed only atomically, and subscribers only load (the view has no public write).
    unsafe { &*(slots as *const RingView<V>) }
}

impl<T: Pod + Schema> Publisher<RingKind<T>> {
    /// Appends `value` and returns its write number; never blocks, no allocation, and no
    /// syscall unless a reader waits in [`Subscriber::wait_next`].
    #[inline]
    pub fn push(&mut self, value: &T) -> u64 {
        self.writer
            .push_as(|segment, w| ring_in(segment).push_exclusive(w, value))
    }
}

/// A ring subscriber reads through the same view as an in-process [`Ring`](crate::Ring)
/// (cursors, `get`, `written`...), over the segment's slots mapped read-only.
impl<T: Pod + Schema> core::ops::Deref for Subscriber<RingKind<T>> {
    type Target = RingView<T>;

    #[inline(always)]
    fn deref(&self) -> &RingView<T> {
        ring_in(&self.segment)
    }
}

/// A time-series subscriber queries through the same view as an in-process
/// [`TimeSeries`](crate::TimeSeries) (`closest`, `interpolation_pair`, `range`, cursors...).
impl<T: Pod + Schema> core::ops::Deref for Subscriber<TimeSeriesKind<T>> {
    type Target = SeriesView<T>;

    #[inline(always)]
    fn deref(&self) -> &SeriesView<T> {
        SeriesView::of(ring_in(&self.segment))
    }
}

/// Waits, the same for a ring and a time series (whose values are [`Stamped`]); the reads are
/// the view's ([`RingView`], [`SeriesView`]), which the subscriber dereferences to.
impl<K: Structure + sealed::Slotted> Subscriber<K> {
    /// Blocks until `cursor` has a value to read (returned, and the cursor moved on), or
    /// `timeout` passes (`Err(WaitError::TimedOut)`), or the writer laps the cursor
    /// (`Err(WaitError::Lapped)`, the cursor moved to the oldest value held). Sleeps on a
    /// futex; the publisher wakes it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rtshm::WaitError;
    /// use rtshm::shm::{RingPublisher, RingSubscriber};
    /// # if cfg!(miri) { return Ok(()); }
    ///
    /// let name = format!("doc-wait-next-{}", std::process::id());
    /// let mut publisher = RingPublisher::<u64>::create(&name, 8)?;
    /// let subscriber = RingSubscriber::<u64>::open(&name)?;
    /// let mut cursor = subscriber.cursor_from_next();
    /// let short = Duration::from_millis(1);
    /// assert_eq!(subscriber.wait_next(&mut cursor, short), Err(WaitError::TimedOut));
    /// publisher.push(&7);
    /// assert_eq!(subscriber.wait_next(&mut cursor, short), Ok(7));
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    pub fn wait_next(
        &self,
        cursor: &mut Cursor<K::Value>,
        timeout: Duration,
    ) -> Result<K::Value, WaitError> {
        let mut value = K::Value::zeroed();
        self.wait_next_into(cursor, &mut value, timeout)
            .map(|_| value)
    }

    /// Like [`Subscriber::wait_next`], reading into `dst` (for large values such as camera
    /// frames) and returning the write number read. On `Err`, `dst` holds unspecified bytes.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rtshm::shm::{RingPublisher, RingSubscriber};
    /// # if cfg!(miri) { return Ok(()); }
    /// let name = format!("doc-wait-next-into-{}", std::process::id());
    /// let mut camera = RingPublisher::<[u8; 8192]>::create(&name, 4)?;
    /// let viewer = RingSubscriber::<[u8; 8192]>::open(&name)?;
    /// let mut cursor = viewer.cursor_from_next();
    /// let mut frame = Box::new([0u8; 8192]);
    /// camera.push(&[5; 8192]);
    /// assert_eq!(viewer.wait_next_into(&mut cursor, &mut frame, Duration::from_secs(1))?, 0);
    /// assert_eq!(frame[8191], 5);
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    pub fn wait_next_into(
        &self,
        cursor: &mut Cursor<K::Value>,
        dst: &mut K::Value,
        timeout: Duration,
    ) -> Result<u64, WaitError> {
        let ring = ring_in::<K::Value>(&self.segment);
        match self.wait_counted(timeout, || ring.next_into(cursor, dst).transpose()) {
            Some(Ok(n)) => Ok(n),
            Some(Err(lapped)) => Err(WaitError::Lapped(lapped)),
            None => Err(WaitError::TimedOut),
        }
    }
}

impl<T: Pod + Schema> Subscriber<RingKind<T>> {
    /// The newest value and its write number (counted in the subscriber's `stats()`, feature
    /// `stats`). See [`RingView::latest`].
    ///
    /// ```
    /// use rtshm::shm::{RingPublisher, RingSubscriber};
    /// # if cfg!(miri) { return Ok(()); }
    ///
    /// let name = format!("doc-ring-latest-{}", std::process::id());
    /// let mut publisher = RingPublisher::<u16>::create(&name, 4)?;
    /// let subscriber = RingSubscriber::<u16>::open(&name)?;
    /// assert_eq!(subscriber.latest()?, None);
    /// publisher.push(&7);
    /// publisher.push(&8);
    /// assert_eq!(subscriber.latest()?, Some((1, 8))); // write number 1
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    #[inline]
    pub fn latest(&self) -> Result<Option<(u64, T)>, Busy> {
        let mut value = T::zeroed();
        Ok(self.latest_into(&mut value)?.map(|n| (n, value)))
    }

    /// The newest value copied into `dst`, and its write number (counted). See
    /// [`RingView::latest_into`].
    #[inline]
    pub fn latest_into(&self, dst: &mut T) -> Result<Option<u64>, Busy> {
        let result = (**self).latest_into(dst);
        match result {
            Ok(Some(_)) => self.counters.add(Count::Reads, 1),
            Ok(None) => {}
            Err(Busy) => self.counters.add(Count::Busy, 1),
        }
        result
    }
}

// ---- TimeSeries -------------------------------------------------------------------------

impl<T: Pod + Schema> Publisher<TimeSeriesKind<T>> {
    /// Appends `sample` unless its stamp is earlier than the last one pushed.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rtshm::{Stamped, Timestamp};
    /// use rtshm::shm::{TimeSeriesPublisher, TimeSeriesSubscriber};
    /// # if cfg!(miri) { return Ok(()); }
    ///
    /// let name = format!("doc-series-push-{}", std::process::id());
    /// let mut poses = TimeSeriesPublisher::<[f64; 3]>::create(&name, 256)?;
    /// for i in 0..10u64 {
    ///     poses.push(&Stamped::new(Timestamp::from_nanos(i * 10_000_000), i, [i as f64, 0.0, 0.0]))?;
    /// }
    /// let reader = TimeSeriesSubscriber::<[f64; 3]>::open(&name)?;
    /// let t = Timestamp::from_nanos(45_000_000); // between two samples
    /// assert_eq!(reader.interpolate(t)?, [4.5, 0.0, 0.0]);
    /// let near = reader.closest(t, Duration::from_millis(6))?.unwrap();
    /// assert_eq!(near.seq, 4); // equally far: the earlier
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    pub fn push(&mut self, sample: &Stamped<T>) -> Result<u64, NonMonotonic> {
        self.writer.check_stamp(sample.stamp)?;
        Ok(self
            .writer
            .push_as(|segment, w| ring_in(segment).push_exclusive(w, sample)))
    }
}

impl<T: Pod + Schema> Subscriber<TimeSeriesKind<T>> {
    /// Blocks until more than `written` values have been written (returns the new count) or
    /// `timeout` passes.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rtshm::{Stamped, TimedOut, Timestamp};
    /// use rtshm::shm::{TimeSeriesPublisher, TimeSeriesSubscriber};
    /// # if cfg!(miri) { return Ok(()); }
    ///
    /// let name = format!("doc-written-beyond-{}", std::process::id());
    /// let mut publisher = TimeSeriesPublisher::<u32>::create(&name, 8)?;
    /// let subscriber = TimeSeriesSubscriber::<u32>::open(&name)?;
    /// let short = Duration::from_millis(1);
    /// assert_eq!(subscriber.wait_written_beyond(0, short), Err(TimedOut));
    /// publisher.push(&Stamped::new(Timestamp::now(), 0, 1))?;
    /// assert_eq!(subscriber.wait_written_beyond(0, short), Ok(1));
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    pub fn wait_written_beyond(&self, written: u64, timeout: Duration) -> Result<u64, TimedOut> {
        self.wait_counted(timeout, || {
            let now = self.written();
            (now > written).then_some(now)
        })
        .ok_or(TimedOut)
    }
}
