//! Per-handle statistics (feature `stats`): how many reads, retries, busy results, laps, waits,
//! wake-ups and stores one handle made.
//!
//! Counters live in the handle (a [`Cursor`](crate::Cursor), a writer, a shared-memory
//! publisher or subscriber), never in shared memory: counting adds no shared write, so it costs
//! readers no cache-line traffic. Each count is a `Relaxed` load and store of a counter only
//! this handle touches (no read-modify-write instruction); if several threads share one
//! subscriber, concurrent counts may be lost, never torn.
//!
//! Without the feature, the counters are zero-sized and every count compiles to nothing: the
//! hot paths are the same machine code as without this module.
//!
//! ```
//! # #[cfg(feature = "stats")] {
//! use rtshm::{Lapped, Ring};
//!
//! let ring: Ring<u32, 4> = Ring::new();
//! let mut cursor = ring.cursor_from_oldest();
//! let mut w = ring.writer().unwrap();
//! for v in 0..10 {
//!     w.push(&v);
//! }
//! assert_eq!(ring.next(&mut cursor), Err(Lapped { missed: 6 }));
//! while let Ok(Some(_)) = ring.next(&mut cursor) {}
//! let s = cursor.stats();
//! assert_eq!((s.reads, s.laps, s.missed), (4, 1, 6));
//! assert_eq!(w.stats().stores, 10);
//! # }
//! ```

/// A snapshot of one handle's counters. Fields a handle never counts stay zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Values read successfully.
    pub reads: u64,
    /// Read attempts that overlapped a store and were repeated (within one bounded read).
    pub retries: u64,
    /// Bounded reads that gave up with `Busy`.
    pub busy: u64,
    /// Times a cursor found its next value overwritten.
    pub laps: u64,
    /// Values skipped because of those laps.
    pub missed: u64,
    /// Blocking waits that found nothing new at first and had to wait.
    pub waits: u64,
    /// Of those waits, the ones that ended with a value (the rest timed out). For a publisher:
    /// the futex wakes it issued to waiting readers.
    pub wakeups: u64,
    /// Values stored or pushed.
    pub stores: u64,
}

/// Which counter to bump.
#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "stats"), allow(dead_code))]
pub(crate) enum Count {
    Reads,
    Retries,
    Busy,
    Laps,
    Missed,
    Waits,
    Wakeups,
    Stores,
}

/// A handle's counters: eight relaxed atomics with `stats`, nothing without.
pub(crate) struct Counters {
    #[cfg(feature = "stats")]
    counts: [crate::sync::AtomicU64; 8],
}

impl Default for Counters {
    #[inline(always)]
    fn default() -> Self {
        Self {
            #[cfg(feature = "stats")]
            counts: core::array::from_fn(|_| crate::sync::AtomicU64::new(0)),
        }
    }
}

impl Counters {
    /// Adds `n` to one counter (a no-op without `stats`).
    #[inline(always)]
    #[cfg_attr(not(feature = "stats"), allow(unused_variables))]
    pub(crate) fn add(&self, which: Count, n: u64) {
        #[cfg(feature = "stats")]
        {
            use crate::sync::Ordering::Relaxed;
            let c = &self.counts[which as usize];
            // Not `fetch_add`: only this handle's thread counts in the common case, and a
            // locked read-modify-write would cost more than the operation being counted.
            c.store(c.load(Relaxed).wrapping_add(n), Relaxed);
        }
    }

    /// The counts so far.
    #[cfg(feature = "stats")]
    pub(crate) fn snapshot(&self) -> Stats {
        use crate::sync::Ordering::Relaxed;
        let c = |which: Count| self.counts[which as usize].load(Relaxed);
        Stats {
            reads: c(Count::Reads),
            retries: c(Count::Retries),
            busy: c(Count::Busy),
            laps: c(Count::Laps),
            missed: c(Count::Missed),
            waits: c(Count::Waits),
            wakeups: c(Count::Wakeups),
            stores: c(Count::Stores),
        }
    }
}

impl core::fmt::Debug for Counters {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        #[cfg(feature = "stats")]
        return core::fmt::Debug::fmt(&self.snapshot(), f);
        #[cfg(not(feature = "stats"))]
        f.write_str("Counters(disabled)")
    }
}
