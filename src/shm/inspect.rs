//! [`Inspector`]: an untyped, read-only view of any rtshm segment, for tools.

use core::time::Duration;
use std::path::Path;
use std::vec;
use std::vec::Vec;

use super::name::SegmentName;
use super::segment::{OpenError, OpenOptions, Segment};
use crate::layout::{self, Geometry, HeaderLine0, Kind};
use crate::liveness::{OwnerToken, WriterStatus};
use crate::ring::{self, GetError, Probe, RingHead};
use crate::seqlock::{self, Busy, TRY_LOAD_ATTEMPTS};
use crate::sync::{AtomicU64, Ordering, fence};
use crate::words::load_shared;
use crate::{Clock, Timestamp};

/// A read-only view of any rtshm segment, whatever its payload type: the header, the writer's
/// liveness, and values as bytes. The `rtshm` inspector CLI is built on it.
///
/// It opens the segment read-only (`O_RDONLY`, data mapped `PROT_READ`; on 32-bit targets
/// read-write when allowed, as subscribers do), validates the header with
/// [`layout::validate_raw`] (every check a subscriber makes, except matching a type), and
/// reads with the same lap- and sequence-checked protocol and the same access widths as
/// typed subscribers, so a value is never torn. It never writes to the segment and never
/// registers as a waiter.
///
/// ```
/// use rtshm::shm::{Inspector, Publisher, kind};
/// # if cfg!(miri) { return Ok(()); } // Miri cannot map shared memory
///
/// let name = format!("doc-inspect-{}", std::process::id());
/// let mut imu = Publisher::<kind::Ring<[f32; 2]>>::create(&name, 8)?;
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
/// [`Inspector::latest`] and [`Inspector::get`] copy at most [`TRY_LOAD_ATTEMPTS`] values;
/// no lock, no syscall, no allocation (the buffer is allocated at open).
pub struct Inspector {
    segment: Segment,
    /// The last value read, `payload_size` bytes.
    buf: Vec<u8>,
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
        Self::open_with(name, OpenOptions::default())
    }

    /// [`Inspector::open`] with options (only `init_timeout` applies: no type is checked).
    pub fn open_with(name: &str, options: OpenOptions) -> Result<Self, OpenError> {
        Ok(Self::wrap(Segment::open_raw(name, options)?))
    }

    /// Opens a file-backed segment read-only (`O_NOFOLLOW`: a symlink is refused).
    pub fn open_file(path: impl AsRef<Path>, options: OpenOptions) -> Result<Self, OpenError> {
        Ok(Self::wrap(Segment::open_file_raw(path.as_ref(), options)?))
    }

    fn wrap(segment: Segment) -> Self {
        let buf = vec![0; segment.geometry().payload_size];
        Self { segment, buf }
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

    /// The structure the segment holds.
    #[must_use]
    pub fn kind(&self) -> Kind {
        self.geometry().kind
    }

    /// The clock of the stamps.
    #[must_use]
    pub fn clock(&self) -> Clock {
        layout::clock_from_raw(self.header().clock).unwrap_or(Clock::User)
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

    /// Values written so far: completed stores of a SeqLock (a store in progress is not
    /// counted), the ring head of a Ring or TimeSeries.
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
        let number = match self.kind() {
            Kind::SeqLock => {
                let (version, _) = self.read_seqlock();
                version?.get().checked_sub(1)
            }
            Kind::Ring | Kind::TimeSeries => {
                let Self { segment, buf, .. } = self;
                let geometry = segment.geometry();
                ring::latest_with(|| first_word(segment), |p| probe(segment, geometry, p, buf))?
            }
        };
        Ok(number.map(|n| self.record(n)))
    }

    /// Write number `number`.
    ///
    /// A SeqLock holds only its latest store: asking for an earlier one gives
    /// [`GetError::Overwritten`] with that store's number as the oldest.
    pub fn get(&mut self, number: u64) -> Result<Record<'_>, GetError> {
        match self.kind() {
            Kind::SeqLock => {
                let (version, _) = self.read_seqlock();
                let written = version.map_err(|Busy| GetError::Busy)?.get();
                match written.checked_sub(1) {
                    Some(latest) if latest == number => {}
                    Some(latest) if latest > number => {
                        return Err(GetError::Overwritten { oldest: latest });
                    }
                    _ => return Err(GetError::NotYet { written }),
                }
            }
            Kind::Ring | Kind::TimeSeries => {
                let Self { segment, buf, .. } = self;
                let geometry = segment.geometry();
                let outcome = ring::settle(|| probe(segment, geometry, number, buf));
                ring::get_outcome(
                    outcome,
                    number,
                    || first_word(segment),
                    geometry.capacity as u64,
                )?;
            }
        }
        Ok(self.record(number))
    }

    /// The oldest value still held (the latest, for a SeqLock), or `None` if nothing was
    /// written yet.
    ///
    /// Fails with [`Busy`] if the writer overwrote the oldest value during each of
    /// [`TRY_LOAD_ATTEMPTS`] attempts.
    pub fn oldest(&mut self) -> Result<Option<Record<'_>>, Busy> {
        if self.kind() == Kind::SeqLock {
            return self.latest();
        }
        let capacity = self.geometry().capacity as u64;
        let mut number = self.written().saturating_sub(capacity);
        for _ in 0..TRY_LOAD_ATTEMPTS {
            match self.get(number) {
                Ok(_) => return Ok(Some(self.record(number))),
                Err(GetError::NotYet { .. }) => return Ok(None),
                Err(GetError::Overwritten { oldest }) => number = oldest,
                Err(GetError::Busy) => {}
            }
        }
        Err(Busy)
    }

    fn record(&self, number: u64) -> Record<'_> {
        Record {
            number,
            bytes: &self.buf,
            geometry: self.segment.geometry(),
        }
    }

    /// A SeqLock read into `buf`: the version (stores completed) and the retries.
    fn read_seqlock(&mut self) -> (Result<crate::Version, Busy>, u32) {
        let Self { segment, buf, .. } = self;
        let geometry = segment.geometry();
        let seq = word_at(segment, 0);
        seqlock::try_read(seq, || copy_value(segment, geometry, 0, buf))
    }
}

/// The 8-byte word at `offset` in `segment`'s data.
fn word_at(segment: &Segment, offset: usize) -> &AtomicU64 {
    debug_assert!(offset.is_multiple_of(8) && offset + 8 <= segment.geometry().data_len);
    // SAFETY: every caller passes the offset of a sequence word or the ring head: 8-aligned
    // (the data is page-aligned and cells are 8-aligned) and inside the data mapping, whose
    // length is the validated geometry's `data_len` (see `Geometry::of_raw`). The mapping lives
    // as long as `segment`, and shared words are only accessed atomically.
    unsafe { AtomicU64::from_ptr(segment.data().add(offset).cast()) }
}

/// The structure's first word: the SeqLock sequence, or the ring head (a ring's `written`).
fn first_word(segment: &Segment) -> u64 {
    let w = word_at(segment, 0).load(Ordering::Relaxed);
    // Acquire: pairs with the Release stores of the sequence and the head (as in
    // `RingRef::written`): the writes it counts are complete for this thread.
    fence(Ordering::Acquire);
    w
}

/// Byte offset of write `p`'s slot in a ring segment's data.
fn slot_offset(geometry: &Geometry, p: u64) -> usize {
    // The capacity is a validated power of two, so the index is below it.
    let index = (p & (geometry.capacity as u64 - 1)) as usize;
    // Cannot overflow: `RingHead` plus `capacity` cells is `data_len` (checked at open).
    core::mem::size_of::<RingHead>() + index * geometry.cell_bytes().unwrap_or(0)
}

/// One lap-checked read of write `p` of a ring segment into `buf`.
fn probe(segment: &Segment, geometry: &Geometry, p: u64, buf: &mut [u8]) -> Probe {
    let slot = slot_offset(geometry, p);
    ring::probe_slot(word_at(segment, slot), p, || {
        copy_value(segment, geometry, slot, buf);
    })
}

/// Copies the value of the cell (SeqLock or slot) at `cell` into `buf`, part by part with the
/// access widths its writer uses: one part for a Pod payload; stamp, sequence number and value
/// for a `Stamped` one (its padding is never read).
fn copy_value(segment: &Segment, geometry: &Geometry, cell: usize, buf: &mut [u8]) {
    let at = cell + geometry.value_in_cell();
    let mut part = |offset: usize, len: usize| {
        // Within the payload: `validate_raw` checked `value_at + value_size <= payload_size`.
        let Some(dst) = buf.get_mut(offset..offset + len) else {
            return;
        };
        // SAFETY: the cell's value occupies `payload_size` bytes from `at`, inside the data
        // mapping (the geometry was validated against the file length), 8-aligned; the writer
        // stores this part with `store_shared` at the same offset and length (`Payload`'s
        // parts: the whole `T`, or `Stamped`'s three fields), so the accesses have the same
        // widths.
        unsafe { load_shared(segment.data().add(at + offset), dst) }
    };
    match geometry.kind {
        Kind::SeqLock | Kind::Ring => part(0, geometry.payload_size),
        Kind::TimeSeries => {
            part(0, 8);
            part(8, 8);
            part(geometry.stamped_value_at(), geometry.value_size);
        }
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

    /// The user's value: the payload, or a time series record's `value`.
    #[must_use]
    pub fn value(&self) -> &'a [u8] {
        match self.geometry.kind {
            Kind::SeqLock | Kind::Ring => self.bytes,
            Kind::TimeSeries => {
                let at = self.geometry.stamped_value_at();
                self.bytes
                    .get(at..at + self.geometry.value_size)
                    .unwrap_or(&[])
            }
        }
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
