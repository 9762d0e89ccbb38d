//! Writer liveness: who owns a segment, and is it still alive?
//!
//! The owner token is `pid | (start time low 32 bits) << 32`, where the start time is field 22
//! of `/proc/<pid>/stat` (clock ticks since boot). A recycled PID has a different start time, so
//! a new process that happens to get a dead writer's PID is not taken for it. A writer is alive
//! when `kill(pid, 0)` succeeds or fails with `EPERM` *and* the start time matches; dead on
//! `ESRCH` or a different start time. Token 0, or a token whose PID is 0 or negative, is
//! "unowned" (a clean exit, or a segment nobody claimed), never "alive".
//!
//! The writer also refreshes a heartbeat (`CLOCK_MONOTONIC` ns) so that readers can tell a live
//! but stuck writer ([`WriterStatus::Stale`]) from a working one.

use core::fmt;
use core::time::Duration;
use std::string::String;

use crate::Timestamp;

/// A segment owner: PID and process start time, packed into the header's `owner` word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OwnerToken(u64);

impl OwnerToken {
    /// No owner.
    pub const NONE: Self = Self(0);

    /// The token of this process.
    #[must_use]
    pub fn current() -> Self {
        let pid = rustix::process::getpid().as_raw_nonzero().get();
        let start = start_time(pid).unwrap_or(0);
        Self::new(pid as u32, start)
    }

    /// The token of `pid` started at `start_ticks` (only the low 32 bits are kept).
    #[must_use]
    pub const fn new(pid: u32, start_ticks: u64) -> Self {
        Self(pid as u64 | (start_ticks & 0xffff_ffff) << 32)
    }

    /// The raw header word.
    #[must_use]
    pub const fn to_raw(self) -> u64 {
        self.0
    }

    /// A token read from a header word.
    #[must_use]
    pub const fn from_raw(raw: u64) -> Self {
        Self(raw)
    }

    /// The owner's PID, if the token names one.
    #[must_use]
    pub fn pid(self) -> Option<i32> {
        let pid = (self.0 & 0xffff_ffff) as u32;
        i32::try_from(pid).ok().filter(|&p| p > 0)
    }

    /// Whether the owner is alive, dead, or there is none. Costs a `kill(pid, 0)` and a read of
    /// `/proc/<pid>/stat`: for readers and tools, never on a hot path.
    #[must_use]
    pub fn liveness(self) -> Liveness {
        let Some(pid) = self.pid() else {
            return Liveness::Unowned;
        };
        let Some(raw) = rustix::process::Pid::from_raw(pid) else {
            return Liveness::Unowned;
        };
        match rustix::process::test_kill_process(raw) {
            Ok(()) | Err(rustix::io::Errno::PERM) => {}
            Err(_) => return Liveness::Dead,
        }
        match start_time(pid) {
            Some(start) if start & 0xffff_ffff == self.0 >> 32 => Liveness::Alive,
            // The PID belongs to another process now, or vanished meanwhile.
            _ => Liveness::Dead,
        }
    }
}

/// Whether a segment's owner process exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Liveness {
    /// The owner process is running.
    Alive,
    /// The owner process is gone (or its PID now belongs to another process).
    Dead,
    /// No owner.
    Unowned,
}

/// What a reader knows about a segment's writer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WriterStatus {
    /// The writer runs and refreshed its heartbeat `age` ago, within the threshold.
    Alive {
        /// Time since the last heartbeat.
        age: Duration,
    },
    /// The writer process runs but has not refreshed its heartbeat for longer than the
    /// threshold: stuck, or idle without calling `heartbeat()`.
    Stale {
        /// Time since the last heartbeat.
        age: Duration,
    },
    /// The writer process is gone; a new publisher can take the segment over.
    Dead,
    /// No writer owns the segment (it exited cleanly, or never claimed it).
    Unowned,
}

impl WriterStatus {
    /// The status of a writer with token `owner` and heartbeat `heartbeat`, at `now`.
    #[must_use]
    pub fn of(
        owner: OwnerToken,
        heartbeat: Timestamp,
        now: Timestamp,
        threshold: Duration,
    ) -> Self {
        match owner.liveness() {
            Liveness::Unowned => Self::Unowned,
            Liveness::Dead => Self::Dead,
            Liveness::Alive => {
                let age = now.saturating_duration_since(heartbeat);
                if age <= threshold {
                    Self::Alive { age }
                } else {
                    Self::Stale { age }
                }
            }
        }
    }
}

impl fmt::Display for WriterStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Alive { age } => write!(f, "alive (heartbeat {age:.1?} ago)"),
            Self::Stale { age } => write!(f, "stale (no heartbeat for {age:.1?})"),
            Self::Dead => f.write_str("dead"),
            Self::Unowned => f.write_str("unowned"),
        }
    }
}

/// The start time of `pid` in clock ticks since boot (field 22 of `/proc/<pid>/stat`).
fn start_time(pid: i32) -> Option<u64> {
    let stat: String = std::fs::read_to_string(std::format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may contain spaces or ')': the fields
    // after the last ')' start at field 3.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_ascii_whitespace().nth(22 - 3)?.parse().ok()
}

/// How often a writer refreshes its heartbeat: it reads the clock every `every` stores and
/// adapts `every` so that clock reads happen roughly once per [`Heartbeat::TARGET`] of storing,
/// whatever the store rate. A store that does not read the clock costs one decrement and one
/// branch; none makes a syscall (`clock_gettime` runs in the vDSO).
#[derive(Debug)]
pub(crate) struct Heartbeat {
    countdown: u32,
    every: u32,
    last: Timestamp,
}

impl Heartbeat {
    /// The aimed-for interval between heartbeats while storing.
    pub(crate) const TARGET: Duration = Duration::from_millis(10);
    const MAX_EVERY: u32 = 1024;

    pub(crate) fn new(now: Timestamp) -> Self {
        Self {
            countdown: 1,
            every: 1,
            last: now,
        }
    }

    /// Called on every store: `Some(now)` when the heartbeat should be written.
    #[inline]
    pub(crate) fn tick(&mut self) -> Option<Timestamp> {
        self.countdown -= 1;
        if self.countdown > 0 {
            return None;
        }
        let now = Timestamp::now();
        let gap = now.saturating_duration_since(self.last);
        // Fewer clock reads when stores come fast, more when they come slowly.
        if gap < Self::TARGET / 2 {
            self.every = (self.every * 2).min(Self::MAX_EVERY);
        } else if gap > Self::TARGET * 2 {
            self.every = (self.every / 2).max(1);
        }
        self.countdown = self.every;
        self.last = now;
        Some(now)
    }
}

#[cfg(all(test, not(miri)))] // Miri has no /proc and no kill(2)
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn this_process_is_alive_and_garbage_tokens_are_not() {
        let me = OwnerToken::current();
        assert_eq!(me.liveness(), Liveness::Alive);
        assert_eq!(OwnerToken::NONE.liveness(), Liveness::Unowned);
        assert_eq!(
            OwnerToken::from_raw(0xffff_ffff).liveness(),
            Liveness::Unowned
        );
        // Our PID with another start time: a recycled PID, so the old owner is dead.
        let pid = me.pid().unwrap() as u32;
        let recycled = OwnerToken::new(pid, (me.to_raw() >> 32).wrapping_add(1));
        assert_eq!(recycled.liveness(), Liveness::Dead);
    }

    #[test]
    fn statuses_follow_liveness_and_heartbeat_age() {
        let me = OwnerToken::current();
        let t = Timestamp::from_nanos(10_000_000_000);
        let th = Duration::from_millis(100);
        assert_eq!(
            WriterStatus::of(me, t, t.saturating_add(th), th),
            WriterStatus::Alive { age: th }
        );
        assert!(matches!(
            WriterStatus::of(me, t, t.saturating_add(th * 2), th),
            WriterStatus::Stale { .. }
        ));
        assert_eq!(
            WriterStatus::of(OwnerToken::NONE, t, t, th),
            WriterStatus::Unowned
        );
        assert!(WriterStatus::Dead.to_string().contains("dead"));
    }

    #[test]
    fn heartbeat_reads_the_clock_less_often_when_stores_are_fast() {
        let mut hb = Heartbeat::new(Timestamp::now());
        let reads = (0..100_000).filter(|_| hb.tick().is_some()).count();
        assert!(reads < 2_000, "{reads} clock reads for 100k fast stores");
        assert!(hb.every > 1);
    }
}
