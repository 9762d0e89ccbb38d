//! [`Inspector`]: an untyped, read-only view of any rtshm segment, for tools.

use core::time::Duration;
use std::path::Path;
use std::vec::Vec;

use rtshm_schema::TypeView;

use super::cells::{copy_value, first_word, probe, stamp_of, word_at};
use super::name::SegmentName;
use super::raw::RawType;
use super::segment::{OpenConfig, OpenError, Segment};
use crate::layout::{Geometry, HeaderLine0, Kind};
use crate::liveness::{OwnerToken, WriterStatus};
use crate::ring::{self, GetError, Lapped, Probe};
use crate::seqlock::{self, ATTEMPTS, Busy};
use crate::series::{self, InterpolationError};
use crate::sync::Ordering;
use crate::{Clock, Timestamp};

/// A read-only view of any rtshm segment, whatever its payload type: the header, the writer's
/// liveness, and values as bytes. The `rtshm` inspector CLI is built on it.
///
/// It opens the segment read-only (`O_RDONLY`, data mapped `PROT_READ`; on 32-bit targets
/// read-write when allowed, as subscribers do), validates the header with
/// [`layout::validate_raw`](crate::layout::validate_raw) (every check a subscriber makes,
/// except matching a type), and reads with the same lap- and sequence-checked protocol and
/// the same access widths as typed subscribers, so a value is never torn. Opened with [`Inspector::open`], it never
/// writes to the segment and never registers as a waiter.
///
/// Opened with [`Inspector::open_as`] it is a subscriber of a payload type known only at run
/// time (a [`RawType`], as the Python bindings describe a numpy dtype): the header must match
/// that type, and [`Inspector::wait_beyond`] registers in the readers' page like a typed
/// subscriber's waits. The `*_into` reads take `&self` and copy into the caller's buffer.
///
/// ```
/// use rtshm::shm::{Inspector, RingPublisher};
/// # if cfg!(miri) { return Ok(()); } // Miri cannot map shared memory
///
/// let name = format!("doc-inspect-{}", std::process::id());
/// let mut imu = RingPublisher::<[f32; 2]>::create(&name, 8)?;
/// imu.push(&[1.0, 2.0]);
///
/// let mut view = Inspector::open(&name)?;
/// assert_eq!((view.geometry().payload_size, view.written()), (8, 1));
/// let latest = view.latest()?.expect("one value written");
/// assert_eq!(latest.number(), 0);
/// assert_eq!(latest.value(), bytemuck::bytes_of(&[1.0f32, 2.0]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Worst case
/// [`Inspector::latest`] and [`Inspector::get`] copy at most [`TRY_LOAD_ATTEMPTS`](crate::TRY_LOAD_ATTEMPTS) values
/// (each at most [`Inspector::set_read_limit`] bytes); no lock, no syscall, and no allocation
/// after the first read, which allocates the buffer (nothing is allocated at open, whatever
/// size a hostile header claims).
pub struct Inspector {
    segment: Segment,
    /// The last value read: `limit` bytes once a value was read.
    buf: Vec<u8>,
    /// Bytes of each value that `latest`, `get` and `oldest` read.
    limit: usize,
}

impl core::fmt::Debug for Inspector {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Inspector")
            .field("name", &self.name())
            .field("geometry", self.geometry())
            .field("read_limit", &self.limit)
            .finish_non_exhaustive()
    }
}

/// A value read by an [`Inspector`]: its write number and its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    number: u64,
    bytes: &'a [u8],
    geometry: &'a Geometry,
}

impl Inspector {
    /// Opens the named segment `name` read-only, waiting up to 1 s for a creator that is still
    /// initializing it.
    pub fn open(name: &str) -> Result<Self, OpenError> {
        Self::open_with(name, OpenConfig::default())
    }

    /// [`Inspector::open`] with options (only `init_timeout` applies: no type is checked).
    pub fn open_with(name: &str, options: OpenConfig) -> Result<Self, OpenError> {
        Ok(Self::wrap(Segment::open_raw(name, options)?))
    }

    /// Opens a file-backed segment read-only (`O_NOFOLLOW`: a symlink is refused).
    pub fn open_file(path: impl AsRef<Path>, options: OpenConfig) -> Result<Self, OpenError> {
        Ok(Self::wrap(Segment::open_file_raw(path.as_ref(), options)?))
    }

    /// Opens the named segment `name` as a subscriber of `ty`, a payload type known at run
    /// time (language bindings): validated like a typed [`Subscriber`](super::Subscriber)'s
    /// open (kind, schema id, shape: each mismatch its own [`LayoutError`](crate::layout::LayoutError)),
    /// with the data mapped read-only and the readers' page read-write when allowed, so that
    /// [`Inspector::wait_beyond`] sleeps on the futex.
    pub fn open_as(name: &str, ty: &RawType, options: OpenConfig) -> Result<Self, OpenError> {
        let validate = ty.validator().map_err(OpenError::Invalid)?;
        Ok(Self::wrap(Segment::open(name, validate, options)?))
    }

    /// Opens the named segment to follow it: read-only, then again as a subscriber of the
    /// type it records (its own schema and fingerprint), so that [`Inspector::wait_beyond`]
    /// sleeps on the futex instead of polling. How a tool that learns the type from the
    /// segment follows it (the recorder, the bridge). A segment without a schema, a queue, or
    /// a segment whose readers' page cannot be mapped writable gives the read-only view
    /// (waits poll).
    ///
    /// ```
    /// use std::time::Duration;
    /// use rtshm::shm::{Inspector, RingPublisher};
    /// # if cfg!(miri) { return Ok(()); }
    ///
    /// let name = format!("doc-open-following-{}", std::process::id());
    /// let mut publisher = RingPublisher::<u32>::create(&name, 8)?;
    /// let view = Inspector::open_following(&name)?;
    /// let mut position = view.follow_from();
    /// publisher.push(&7);
    /// view.wait_beyond(position, Duration::from_secs(1));
    /// let mut value = [0u8; 4];
    /// assert_eq!(view.next_into(&mut position, &mut value), Ok(Some(0)));
    /// assert_eq!(u32::from_ne_bytes(value), 7);
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    pub fn open_following(name: &str) -> Result<Self, OpenError> {
        let probe = Self::open(name)?;
        // A queue's readers' page is its consumer's: never mapped writable by a tool.
        let schema = probe.schema().filter(|_| probe.kind() != Kind::Queue);
        let Some(schema) = schema.map(|s| s.to_buf()) else {
            return Ok(probe);
        };
        let ty = RawType::described(probe.kind(), schema).with_id(probe.header().fingerprint);
        Ok(Self::open_as(name, &ty, OpenConfig::new()).unwrap_or(probe))
    }

    /// Where a follower starts reading with [`Inspector::next_into`]: a SeqLock at its current
    /// value (the latest store), a ring or time series at the next value written.
    #[must_use]
    pub fn follow_from(&self) -> u64 {
        let written = self.written();
        match self.kind() {
            Kind::SeqLock => written.saturating_sub(1),
            Kind::Ring | Kind::TimeSeries | Kind::Queue => written,
        }
    }

    /// [`Inspector::open_as`] for a file-backed segment (`O_NOFOLLOW`).
    pub fn open_file_as(
        path: impl AsRef<Path>,
        ty: &RawType,
        options: OpenConfig,
    ) -> Result<Self, OpenError> {
        let validate = ty.validator().map_err(OpenError::Invalid)?;
        Ok(Self::wrap(Segment::open_file(
            path.as_ref(),
            validate,
            options,
        )?))
    }

    /// [`Inspector::open_as`] for a segment's descriptor, such as a memfd's from
    /// [`RawPublisher::share_fd`](super::RawPublisher::share_fd).
    pub fn from_fd_as(
        fd: std::os::fd::OwnedFd,
        ty: &RawType,
        options: OpenConfig,
    ) -> Result<Self, OpenError> {
        let validate = ty.validator().map_err(OpenError::Invalid)?;
        Ok(Self::wrap(Segment::from_fd(fd, validate, options)?))
    }

    fn wrap(segment: Segment) -> Self {
        let limit = segment.geometry().payload_size;
        Self {
            segment,
            buf: Vec::new(),
            limit,
        }
    }

    /// Reads only the first `bytes` bytes of each value with [`Inspector::latest`],
    /// [`Inspector::get`] and [`Inspector::oldest`] (at most the stored size; the default is
    /// the whole value). A tool that shows the start of a value reads and allocates only that
    /// much, however large the header says values are; the part read is consistent (never
    /// torn), and [`Record::is_whole`] tells whether it is the whole value.
    pub fn set_read_limit(&mut self, bytes: usize) {
        self.limit = bytes.min(self.geometry().payload_size);
    }

    /// The current size of the segment's file. Named and file-backed segments can be
    /// truncated by anyone who may write them, after which touching the missing pages raises
    /// `SIGBUS`: a long-running tool compares this with [`Geometry::total_len`] before reading.
    pub fn file_len(&self) -> std::io::Result<u64> {
        self.segment.file_len()
    }

    /// The buffer for a read, sized to the read limit (allocated at the first read).
    fn take_buf(&mut self) -> Vec<u8> {
        let mut buf = core::mem::take(&mut self.buf);
        buf.resize(self.limit, 0);
        buf
    }

    /// The header, as read and validated at open.
    #[must_use]
    pub fn header(&self) -> &HeaderLine0 {
        self.segment.header()
    }

    /// Where everything lives, computed from the validated header.
    #[must_use]
    pub fn geometry(&self) -> &Geometry {
        self.segment.geometry()
    }

    /// The schema of the segment's values (the user's value `T`; a time series' records add
    /// the stamp and sequence number of [`Record::stamp`] and [`Record::seq`]), if its creator
    /// recorded one. Decode a [`Record::value`] with it:
    ///
    /// ```
    /// use rtshm::schema::{Number, Visitor};
    /// use rtshm::shm::{Inspector, SeqLockPublisher};
    /// # if cfg!(miri) { return Ok(()); } // Miri cannot map shared memory
    ///
    /// #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
    /// #[repr(C)]
    /// struct Wheel { rpm: f32, ticks: u32 }
    ///
    /// let name = format!("doc-inspect-schema-{}", std::process::id());
    /// let mut publisher = SeqLockPublisher::<Wheel>::create(&name)?;
    /// publisher.store(&Wheel { rpm: 120.5, ticks: 7 });
    ///
    /// // A tool that knows nothing of `Wheel`:
    /// struct Print(String);
    /// impl Visitor for Print {
    ///     fn field(&mut self, name: &str) { self.0 += &format!(" {name}="); }
    ///     fn number(&mut self, n: Number) { self.0 += &n.to_string(); }
    /// }
    /// let mut inspector = Inspector::open(&name)?;
    /// let schema = inspector.schema().expect("recorded").to_buf();
    /// assert_eq!(schema.view().msg().to_string(), "float32 rpm\nuint32 ticks\n");
    /// let record = inspector.latest()?.expect("stored");
    /// let mut out = Print(String::new());
    /// schema.view().visit(record.value(), &mut out)?;
    /// assert_eq!(out.0, " rpm=120.5 ticks=7");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn schema(&self) -> Option<TypeView<'_>> {
        self.segment.schema()
    }

    /// The structure the segment holds.
    #[must_use]
    pub fn kind(&self) -> Kind {
        self.geometry().kind
    }

    /// The clock of the stamps.
    #[must_use]
    pub fn clock(&self) -> Clock {
        self.segment.clock()
    }

    /// The segment's name (`None` for a file-backed segment).
    #[must_use]
    pub fn name(&self) -> Option<&SegmentName> {
        self.segment.name()
    }

    /// The writer's status: alive (heartbeat within `threshold`), stale, dead or unowned.
    #[must_use]
    pub fn writer_status(&self, threshold: Duration) -> WriterStatus {
        self.segment.writer_status(threshold)
    }

    /// The writer's process id, if the segment has an owner.
    #[must_use]
    pub fn writer_pid(&self) -> Option<i32> {
        OwnerToken::from_raw(self.segment.owner().load(Ordering::Relaxed)).pid()
    }

    /// Values lost before they reached the writer: counted by a bridge's import (the gaps in
    /// the remote write numbers); 0 for a segment written locally.
    #[must_use]
    pub fn lost_upstream(&self) -> u64 {
        self.segment.lost_upstream().load(Ordering::Relaxed)
    }

    /// The writer's last heartbeat (`CLOCK_MONOTONIC`).
    #[must_use]
    pub fn heartbeat(&self) -> Timestamp {
        Timestamp::from_nanos(self.segment.heartbeat().load(Ordering::Relaxed))
    }

    /// The number of takeovers the segment has seen.
    #[must_use]
    pub fn epoch(&self) -> u64 {
        self.segment.epoch().load(Ordering::Relaxed)
    }

    /// A queue's indices and its consumer's status (heartbeat within `threshold`); `None` for
    /// other kinds. A queue's values belong to its consumer: an inspector reads none of them
    /// (`latest` is `None`, `get` is `NotYet`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use rtshm::liveness::WriterStatus;
    /// use rtshm::shm::{Inspector, QueueProducer};
    /// # if cfg!(miri) { return Ok(()); }
    /// let name = format!("doc-queue-state-{}", std::process::id());
    /// let mut producer = QueueProducer::<u32>::create(&name, 8)?;
    /// producer.push_slice(&[1, 2, 3]);
    /// let state = Inspector::open(&name)?.queue_state(Duration::from_secs(1)).unwrap();
    /// assert_eq!((state.pushed, state.popped), (3, 0));
    /// assert_eq!(state.consumer, WriterStatus::Unowned); // no consumer yet
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    #[must_use]
    pub fn queue_state(&self, threshold: Duration) -> Option<super::QueueState> {
        super::queue::state(&self.segment, threshold)
    }

    /// Values written so far: completed stores of a SeqLock (a store in progress is not
    /// counted), the ring head of a Ring or TimeSeries, values pushed to a Queue.
    #[must_use]
    pub fn written(&self) -> u64 {
        self.kind().writes(first_word(&self.segment))
    }

    /// The newest value and its write number (for a SeqLock, the number of its store counted
    /// from 0), or `None` if nothing was written yet.
    ///
    /// Fails with [`Busy`] when every attempt overlapped a store: a writer storing faster
    /// than the copy, or one that died in the middle of a store.
    pub fn latest(&mut self) -> Result<Option<Record<'_>>, Busy> {
        let mut buf = self.take_buf();
        let number = self.latest_into(&mut buf);
        self.buf = buf;
        Ok(number?.map(|n| self.record(n)))
    }

    /// Write number `number`.
    ///
    /// A SeqLock holds only its latest store: asking for an earlier one gives
    /// [`GetError::Overwritten`] with that store's number as the oldest.
    pub fn get(&mut self, number: u64) -> Result<Record<'_>, GetError> {
        let mut buf = self.take_buf();
        let read = self.get_into(number, &mut buf);
        self.buf = buf;
        read.map(|()| self.record(number))
    }

    /// The oldest value still held (the latest, for a SeqLock), or `None` if nothing was
    /// written yet.
    ///
    /// Fails with [`Busy`] if the writer overwrote the oldest value during each of
    /// [`TRY_LOAD_ATTEMPTS`](crate::TRY_LOAD_ATTEMPTS) attempts.
    pub fn oldest(&mut self) -> Result<Option<Record<'_>>, Busy> {
        if self.kind() == Kind::SeqLock {
            return self.latest();
        }
        let capacity = self.geometry().capacity as u64;
        let mut number = self.written().saturating_sub(capacity);
        for _ in 0..ATTEMPTS {
            match self.get(number) {
                Ok(_) => return Ok(Some(self.record(number))),
                Err(GetError::NotYet { .. }) => return Ok(None),
                Err(GetError::Overwritten { oldest }) => number = oldest,
                Err(GetError::Busy) => {}
            }
        }
        Err(Busy)
    }

    /// [`Inspector::latest`] into `dst`, which must be [`Geometry::payload_size`] bytes (a
    /// shorter buffer receives only the parts that fit).
    pub fn latest_into(&self, dst: &mut [u8]) -> Result<Option<u64>, Busy> {
        let (segment, geometry) = (&self.segment, self.segment.geometry());
        match geometry.kind {
            Kind::SeqLock => Ok(read_seqlock(segment, dst)?.get().checked_sub(1)),
            Kind::Ring | Kind::TimeSeries => {
                ring::latest_with(|| first_word(segment), |p| probe(segment, geometry, p, dst))
            }
            // A queue's values are its consumer's: an inspector reads none (see the type docs).
            Kind::Queue => Ok(None),
        }
    }

    /// [`Inspector::get`] into `dst` (as in [`Inspector::latest_into`]).
    pub fn get_into(&self, number: u64, dst: &mut [u8]) -> Result<(), GetError> {
        let (segment, geometry) = (&self.segment, self.segment.geometry());
        match geometry.kind {
            Kind::SeqLock => {
                let written = read_seqlock(segment, dst)
                    .map_err(|Busy| GetError::Busy)?
                    .get();
                match written.checked_sub(1) {
                    Some(latest) if latest == number => Ok(()),
                    Some(latest) if latest > number => {
                        Err(GetError::Overwritten { oldest: latest })
                    }
                    _ => Err(GetError::NotYet { written }),
                }
            }
            Kind::Ring | Kind::TimeSeries => {
                let outcome = ring::settle(|| probe(segment, geometry, number, dst));
                let capacity = geometry.capacity as u64;
                ring::get_outcome(outcome, number, || first_word(segment), capacity)
            }
            Kind::Queue => Err(GetError::NotYet {
                written: first_word(segment),
            }),
        }
    }

    /// Reads the value at `position` (a cursor's next write number, kept by the caller) into
    /// `dst` (as in [`Inspector::latest_into`]) and moves `position` past it: `Ok(Some(n))`
    /// with the write number read, `Ok(None)` when nothing new was written, or
    /// `Err(Lapped { missed })` when values were overwritten before they were read, in which
    /// case `position` moves to the oldest value held. A SeqLock reads like a ring of one
    /// value: every store not read before the next is a lapped value.
    ///
    /// Start at `0` for the oldest value, or at [`Inspector::written`] for the next one.
    pub fn next_into(&self, position: &mut u64, dst: &mut [u8]) -> Result<Option<u64>, Lapped> {
        let p = *position;
        match self.get_into(p, dst) {
            Ok(()) => {
                *position = p + 1;
                Ok(Some(p))
            }
            Err(GetError::NotYet { .. } | GetError::Busy) => Ok(None),
            Err(GetError::Overwritten { oldest }) => {
                *position = oldest.max(p + 1);
                Err(Lapped {
                    missed: *position - p,
                })
            }
        }
    }

    /// Blocks until more than `written` values have been written (returns the new count,
    /// [`Inspector::written`]) or `timeout` passes (`None`). Sleeps on the segment's futex
    /// when this process may register as a waiter (opened with [`Inspector::open_as`] and
    /// allowed to write the readers' page), else polls every millisecond.
    pub fn wait_beyond(&self, written: u64, timeout: Duration) -> Option<u64> {
        self.segment.wait_for(timeout, || {
            let now = self.written();
            (now > written).then_some(now)
        })
    }

    /// The time-series value stamped nearest to `t`, if it is at most `max_distance` away,
    /// read into `dst` (as in [`Inspector::latest_into`]); returns whether one was found. On
    /// equal distance the earlier sample wins. Always `Ok(false)` for a SeqLock or Ring,
    /// whose values have no stamps. See [`SeriesView::closest`](crate::SeriesView::closest).
    pub fn closest_into(
        &self,
        t: Timestamp,
        max_distance: Duration,
        dst: &mut [u8],
    ) -> Result<bool, Busy> {
        if self.kind() != Kind::TimeSeries {
            return Ok(false);
        }
        let (segment, geometry) = (&self.segment, self.segment.geometry());
        series::closest_with(&RawSeries(segment), t, max_distance, |n| {
            probe(segment, geometry, n, dst) == Probe::Value
        })
    }

    /// The two time-series values around `t` read into `before` and `after` (as in
    /// [`Inspector::latest_into`]), and the fraction `alpha` of the way from one to the other.
    /// [`InterpolationError::Empty`] for a SeqLock or Ring, whose values have no stamps. See
    /// [`SeriesView::interpolation_pair`](crate::SeriesView::interpolation_pair).
    pub fn interpolation_pair_into(
        &self,
        t: Timestamp,
        before: &mut [u8],
        after: &mut [u8],
    ) -> Result<f64, InterpolationError> {
        if self.kind() != Kind::TimeSeries {
            return Err(InterpolationError::Empty);
        }
        let (segment, geometry) = (&self.segment, self.segment.geometry());
        series::pair_with(&RawSeries(segment), t, |b, a| {
            probe(segment, geometry, b, before) == Probe::Value
                && probe(segment, geometry, a, after) == Probe::Value
        })
    }

    /// The write number of the first time-series value held that is stamped at or after `t`
    /// ([`Inspector::written`] if none is): where a time window starts. Read on with
    /// [`Inspector::next_into`] while the stamps stay within the window, as
    /// [`SeriesView::range`](crate::SeriesView::range) does. [`Inspector::written`] for a
    /// SeqLock or Ring, whose values have no stamps.
    ///
    /// ```
    /// use rtshm::shm::{Inspector, TimeSeriesPublisher};
    /// use rtshm::{Stamped, Timestamp};
    /// # if cfg!(miri) { return Ok(()); }
    ///
    /// let name = format!("doc-first-at-{}", std::process::id());
    /// let mut series = TimeSeriesPublisher::<u32>::create(&name, 16)?;
    /// for i in 0..10u32 {
    ///     series.push(&Stamped::new(Timestamp::from_nanos(u64::from(i) * 100), 0, i))?;
    /// }
    /// let view = Inspector::open_following(&name)?;
    /// // The window from 250 ns starts at the sample stamped 300 ns, write number 3.
    /// assert_eq!(view.first_at(Timestamp::from_nanos(250))?, 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn first_at(&self, t: Timestamp) -> Result<u64, Busy> {
        if self.kind() != Kind::TimeSeries {
            return Ok(self.written());
        }
        series::first_at(&RawSeries(&self.segment), t)
    }

    fn record(&self, number: u64) -> Record<'_> {
        Record {
            number,
            bytes: &self.buf,
            geometry: self.segment.geometry(),
        }
    }
}

/// A SeqLock read of `segment` into `buf`: the version (stores completed).
fn read_seqlock(segment: &Segment, buf: &mut [u8]) -> Result<crate::Version, Busy> {
    let geometry = segment.geometry();
    let seq = word_at(segment, 0);
    seqlock::try_read(seq, || copy_value(segment, geometry, 0, buf)).0
}

/// A time series segment as the series queries see it.
struct RawSeries<'a>(&'a Segment);

impl series::Stamps for RawSeries<'_> {
    fn written(&self) -> u64 {
        first_word(self.0)
    }

    fn capacity(&self) -> u64 {
        self.0.geometry().capacity as u64
    }

    fn stamp(&self, n: u64) -> Option<Timestamp> {
        stamp_of(self.0, self.0.geometry(), n)
    }
}

impl<'a> Record<'a> {
    /// The write number (for a SeqLock, the store's number counted from 0).
    #[must_use]
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The stored bytes: the payload, or for a time series the whole `Stamped` record (stamp,
    /// sequence number, value and zeroed padding).
    #[must_use]
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The user's value: the payload, or a time series record's `value` (its start only,
    /// when the read was limited: see [`Record::is_whole`]).
    #[must_use]
    pub fn value(&self) -> &'a [u8] {
        match self.geometry.kind {
            Kind::SeqLock | Kind::Ring | Kind::Queue => self.bytes,
            Kind::TimeSeries => {
                let at = self.geometry.stamped_value_at();
                let end = (at + self.geometry.value_size).min(self.bytes.len());
                self.bytes.get(at..end).unwrap_or(&[])
            }
        }
    }

    /// Whether the whole stored value was read (not only its start, as
    /// [`Inspector::set_read_limit`] allows).
    #[must_use]
    pub fn is_whole(&self) -> bool {
        self.bytes.len() == self.geometry.payload_size
    }

    /// A time series record's stamp (`None` for other kinds).
    #[must_use]
    pub fn stamp(&self) -> Option<Timestamp> {
        self.u64_at(0).map(Timestamp::from_nanos)
    }

    /// A time series record's publisher sequence number (`None` for other kinds).
    #[must_use]
    pub fn seq(&self) -> Option<u64> {
        self.u64_at(8)
    }

    fn u64_at(&self, offset: usize) -> Option<u64> {
        if self.geometry.kind != Kind::TimeSeries {
            return None;
        }
        let bytes = self.bytes.get(offset..offset + 8)?;
        Some(u64::from_ne_bytes(bytes.try_into().ok()?))
    }
}
