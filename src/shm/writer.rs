//! [`Writer`]: what every publisher of a segment does whatever its payload type (creation,
//! takeover, the writer claim, liveness, waking readers). The typed [`Publisher`] and the
//! untyped [`RawPublisher`] store values through it.
//!
//! [`Publisher`]: super::Publisher
//! [`RawPublisher`]: super::RawPublisher

use std::os::fd::OwnedFd;
use std::path::Path;
use std::time::Instant;

use super::TakeoverError;
use super::cells::{Pieces, slot_offset, stored_stamp, word_at};
use super::name::SegmentName;
use super::segment::{
    Abandoned, Check, CreateConfig, CreateError, Identity, OpenConfig, OpenError, Publish, Segment,
};
use crate::layout::{Geometry, Kind, LayoutError};
use crate::liveness::{Heartbeat, Liveness, OwnerToken, PidNamespace};
use crate::queue::TailEnd;
use crate::ring::RingHead;
use crate::seqlock::{self, WRITER_FLAG_OFFSET};
use crate::series::NonMonotonic;
use crate::stats::{Count, Counters};
use crate::sync::{AtomicBool, Ordering};
use crate::{Timestamp, Version};

/// Where a publisher creates its segment.
pub(crate) enum Place<'a> {
    Shm(&'a str),
    Memfd(&'a str),
    File(&'a Path),
}

/// The single writer of one segment: owns the claim, the heartbeat and the next write number.
pub(crate) struct Writer {
    pub(crate) segment: Segment,
    /// When to refresh the heartbeat.
    heartbeat: Heartbeat,
    /// The next write number (rings and series).
    pub(crate) next: u64,
    /// The last stamp pushed (series).
    last: Option<Timestamp>,
    /// The producer's indices (queues).
    pub(crate) queue: TailEnd,
    pub(crate) counters: Counters,
}

impl Writer {
    /// Creates the segment at `place` for `geometry`, then claims its writer (a fresh segment
    /// has none).
    pub(crate) fn create(
        place: Place<'_>,
        geometry: Geometry,
        identity: Identity<'_>,
        options: CreateConfig,
    ) -> Result<Self, CreateError> {
        let segment = match place {
            Place::Shm(name) => {
                Segment::create(name, geometry, identity, options, Publish::Exclusive)?
            }
            Place::Memfd(label) => Segment::create_memfd(label, geometry, identity, options)?,
            Place::File(path) => Segment::create_file(path, geometry, identity, options)?,
        };
        Ok(Self::claim(segment))
    }

    /// Takes over the named segment (validated with `validate`, and holding `capacity` slots
    /// if given) from a writer that died or exited; fails with [`TakeoverError::WriterAlive`]
    /// while the owner process runs or cannot be checked. Nothing in the segment changes
    /// unless the takeover succeeds.
    pub(crate) fn open_existing(
        name: &str,
        validate: impl Check,
        capacity: Option<usize>,
        options: OpenConfig,
    ) -> Result<Self, TakeoverError> {
        let mut segment =
            Segment::open_writer(name, validate, options).map_err(TakeoverError::Open)?;
        // Excludes a `remove_dead` (or `rtshm gc`) of this segment: it either unlinked the
        // name before (then the takeover fails) or finds the new owner after.
        let deadline = Instant::now() + options.init_timeout;
        let Some(lock) = segment.lock_named(deadline).map_err(TakeoverError::Open)? else {
            return Err(TakeoverError::Open(OpenError::NotFound));
        };
        let me = OwnerToken::current().to_raw();
        let ns = PidNamespace::from_raw(segment.pid_ns().load(Ordering::Relaxed));
        let owner = segment.owner();
        // SYNC POINT owner-claim (load). Acquire: pairs with the CAS of owner-claim (and the
        // previous owner's release of the segment): see the structure as it was left.
        let mut current = owner.load(Ordering::Acquire);
        loop {
            let token = OwnerToken::from_raw(current);
            match token.liveness_in(ns) {
                Liveness::Alive => {
                    return Err(TakeoverError::WriterAlive {
                        pid: token.pid().unwrap_or(0),
                    });
                }
                Liveness::Unknown => {
                    return Err(TakeoverError::WriterUnknown {
                        pid: token.pid().unwrap_or(0),
                    });
                }
                _ => {}
            }
            // Checked before anything changes: a mismatch leaves owner and epoch as they are.
            let found = segment.geometry().capacity;
            if let Some(requested) = capacity.filter(|&c| c != found) {
                return Err(TakeoverError::CapacityMismatch { found, requested });
            }
            // SYNC POINT owner-claim (CAS). AcqRel: exactly one of several racing publishers
            // wins the segment, and the winner sees the structure as the previous owner left it.
            match owner.compare_exchange(current, me, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => break,
                Err(now) => current = now,
            }
        }
        segment
            .pid_ns()
            .store(PidNamespace::current().to_raw(), Ordering::Relaxed);
        segment.epoch().fetch_add(1, Ordering::Relaxed);
        drop(lock);
        // Before the first store (`claim`): the handshake this process's stores use.
        segment.set_barrier();
        segment.adopt();
        Ok(Self::claim(segment))
    }

    /// Creates the named segment, or takes it over from a dead writer, or replaces what a
    /// creator that died while initialising left under the name (an object too small for a
    /// header, or a header without its version, with no live owner, still so after the init
    /// timeout). Exactly one of several processes racing on one name wins; the others get
    /// [`TakeoverError::WriterAlive`].
    pub(crate) fn create_or_recover(
        name: &str,
        geometry: Geometry,
        identity: Identity<'_>,
        validate: impl Check + Copy,
        options: (CreateConfig, OpenConfig),
    ) -> Result<Self, TakeoverError> {
        let (create, open) = options;
        // Each round ends in a result unless the name changed under it (removed, replaced):
        // a bounded number of rounds, each bounded by the init timeout.
        for _ in 0..8 {
            match Self::create(Place::Shm(name), geometry, identity, create) {
                Err(CreateError::AlreadyExists) => {}
                other => return other.map_err(TakeoverError::Create),
            }
            match Self::open_existing(name, validate, Some(geometry.capacity), open) {
                Err(TakeoverError::Open(OpenError::NotFound)) => {}
                Err(TakeoverError::Open(OpenError::Invalid(
                    LayoutError::NotInitialized | LayoutError::TooSmall { .. },
                ))) => {
                    let replaced = Segment::replace_abandoned(name, geometry, identity, create)
                        .map_err(|e| match e {
                            Abandoned::Create(e) => TakeoverError::Create(e),
                            Abandoned::Open(e) => TakeoverError::Open(e),
                            Abandoned::Owned(pid) => TakeoverError::WriterAlive { pid },
                        })?;
                    if let Some(segment) = replaced {
                        return Ok(Self::claim(segment));
                    }
                }
                other => return other,
            }
        }
        Err(TakeoverError::Open(OpenError::Io(std::io::Error::other(
            "the segment was removed or replaced while recovering it, 8 times in a row",
        ))))
    }

    /// Claims the structure's writer (repairing what a dead writer left, see ARCHITECTURE.md,
    /// "Liveness and takeover") and beats the heart once. The owner word is already this
    /// process's.
    fn claim(segment: Segment) -> Self {
        let mut this = Self {
            segment,
            heartbeat: Heartbeat::new(Timestamp::now()),
            next: 0,
            last: None,
            queue: TailEnd { tail: 0, head: 0 },
            counters: Counters::default(),
        };
        match this.segment.geometry().kind {
            Kind::SeqLock => {
                // A dead writer's claim is still set: clear it. A store it left half done (odd
                // sequence) is completed, never declared valid, by the next store.
                let flag = this.seqlock_flag();
                seqlock::release_flag(flag);
                let _ = seqlock::claim_flag(flag);
            }
            Kind::Ring | Kind::TimeSeries => {
                // A dead writer's claim is still set: clear it, then claim, which publishes a
                // value it completed but did not announce. A torn slot is rewritten by the
                // next push, which reuses its write number.
                let head = this.ring_head();
                head.release();
                let (segment, geometry) = (&this.segment, this.segment.geometry());
                if let Ok(next) = head.claim(|n| word_at(segment, slot_offset(geometry, n))) {
                    this.next = next;
                }
            }
            // The owner word is the producer's claim. A push the dead producer cut short never
            // stored `tail`: its slot is rewritten by the next push, never seen.
            Kind::Queue => this.queue = super::queue::claim_producer(&this.segment),
        }
        // The owner word is already this process's: written before the version by the creator,
        // or won by the compare-and-swap of a takeover. It is never stored blindly.
        this.heartbeat();
        this
    }

    /// The SeqLock's writer flag.
    fn seqlock_flag(&self) -> &AtomicBool {
        // SAFETY: a SeqLock segment's data starts with a `SeqLock`, whose writer flag is at
        // `WRITER_FLAG_OFFSET` for every payload type (`repr(C)`: a `u64` then the flag),
        // inside the writer's read-write mapping, which lives as long as `self`; the flag is
        // only accessed atomically.
        unsafe { AtomicBool::from_ptr(self.segment.data().add(WRITER_FLAG_OFFSET).cast()) }
    }

    /// The ring's head (Ring and TimeSeries segments).
    fn ring_head(&self) -> &RingHead {
        ring_head(&self.segment)
    }

    /// Refreshes the heartbeat now.
    pub(crate) fn heartbeat(&mut self) {
        self.segment
            .heartbeat()
            .store(Timestamp::now().as_nanos(), Ordering::Relaxed);
    }

    /// Adds `n` to the values lost before they reached this writer.
    pub(crate) fn add_lost_upstream(&mut self, n: u64) {
        let lost = self.segment.lost_upstream();
        lost.store(
            lost.load(Ordering::Relaxed).saturating_add(n),
            Ordering::Relaxed,
        );
    }

    /// After every store: wake waiting readers, refresh the heartbeat when it is due.
    #[inline]
    pub(crate) fn after_store(&mut self) {
        self.counters.add(Count::Stores, 1);
        if self.segment.wake_readers() {
            self.counters.add(Count::Wakeups, 1);
        }
        self.beat();
    }

    /// Refreshes the heartbeat when it is due (a clock read every few stores, at most).
    #[inline]
    pub(crate) fn beat(&mut self) {
        if let Some(now) = self.heartbeat.tick() {
            self.write_beat(now);
        }
    }

    /// [`Writer::beat`] for a writer that numbers its stores: the stores numbered `old..new`
    /// were just made (a queue's `tail`).
    #[inline(always)]
    pub(crate) fn beat_at(&mut self, old: u64, new: u64) {
        if let Some(now) = self.heartbeat.tick_at(old, new) {
            self.write_beat(now);
        }
    }

    fn write_beat(&self, now: Timestamp) {
        self.segment
            .heartbeat()
            .store(now.as_nanos(), Ordering::Relaxed);
    }

    /// Refuses a stamp earlier than the last one pushed (for a series), and records it.
    #[inline]
    pub(crate) fn check_stamp(&mut self, stamp: Timestamp) -> Result<(), NonMonotonic> {
        if self.last.is_none() {
            // After a takeover: continue from the last stamp held.
            self.last = stored_stamp(&self.segment, self.segment.geometry());
        }
        if let Some(last) = self.last
            && stamp < last
        {
            return Err(NonMonotonic { last, given: stamp });
        }
        self.last = Some(stamp);
        Ok(())
    }

    /// A SeqLock store: `store` writes the lock in `segment` (typed, or by byte offsets) and
    /// returns its version; then what every store does after (wake-ups, heartbeat).
    #[inline]
    pub(crate) fn store_as(&mut self, store: impl FnOnce(&Segment) -> Version) -> Version {
        let version = store(&self.segment);
        self.after_store();
        version
    }

    /// A ring push of the next write number `w`: `push(segment, w)` writes the slot (typed, or
    /// by byte offsets); then the position moves on and what every store does after follows.
    /// Returns `w`.
    #[inline]
    pub(crate) fn push_as(&mut self, push: impl FnOnce(&Segment, u64)) -> u64 {
        let w = self.next;
        push(&self.segment, w);
        self.next = w.wrapping_add(1);
        self.after_store();
        w
    }

    /// Stores a whole stored value (`payload_size` bytes) into a SeqLock segment.
    pub(crate) fn store_bytes(&mut self, value: Pieces<'_>) -> Version {
        self.store_as(|segment| {
            let geometry = segment.geometry();
            seqlock::write_with(word_at(segment, 0), || {
                super::cells::store_value(segment, geometry, 0, value);
            })
        })
    }

    /// Pushes a whole stored value (`payload_size` bytes) into a Ring or TimeSeries segment;
    /// returns its write number.
    pub(crate) fn push_bytes(&mut self, value: Pieces<'_>) -> u64 {
        self.push_as(|segment, w| {
            let geometry = segment.geometry();
            let slot = slot_offset(geometry, w);
            ring_head(segment).push_with(word_at(segment, slot), w, || {
                super::cells::store_value(segment, geometry, slot, value);
            });
        })
    }

    /// The number of takeovers this segment has seen.
    pub(crate) fn epoch(&self) -> u64 {
        self.segment.epoch().load(Ordering::Relaxed)
    }

    /// A duplicate of the segment's file descriptor without close-on-exec.
    pub(crate) fn share_fd(&self) -> std::io::Result<OwnedFd> {
        rustix::io::dup(self.segment.fd())
            .map_err(|e| std::io::Error::from_raw_os_error(e.raw_os_error()))
    }

    /// The segment's name (`None` for memfd and file-backed segments).
    pub(crate) fn name(&self) -> Option<&SegmentName> {
        self.segment.name()
    }
}

/// The head of the ring in a Ring or TimeSeries `segment` mapped by its writer.
fn ring_head(segment: &Segment) -> &RingHead {
    // SAFETY: a Ring or TimeSeries segment's data starts with a `RingHead` (128-byte aligned:
    // the data is page-aligned), inside the writer's read-write mapping, which lives as long as
    // `segment`; its words are only accessed atomically.
    unsafe { &*segment.data().cast::<RingHead>() }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // A clean exit leaves the segment unowned (if it is still ours).
        let _ = self.segment.owner().compare_exchange(
            OwnerToken::current().to_raw(),
            OwnerToken::NONE.to_raw(),
            Ordering::Release,
            Ordering::Relaxed,
        );
        match self.segment.geometry().kind {
            Kind::SeqLock => seqlock::release_flag(self.seqlock_flag()),
            Kind::Ring | Kind::TimeSeries => self.ring_head().release(),
            Kind::Queue => {}
        }
    }
}
