//! Writer liveness: who owns a segment, and is it still alive?
//!
//! The owner token is `pid | (start time low 32 bits) << 32`, where the start time is field 22
//! of `/proc/<pid>/stat` (clock ticks since boot). A recycled PID has a different start time, so
//! a new process that happens to get a dead writer's PID is not taken for it. Next to the token
//! the writer records its PID namespace ([`PidNamespace`]): a PID means something only in the
//! namespace that issued it.
//!
//! A writer is judged, in this order:
//! - **unowned**: token 0, or a token whose PID is 0 or negative (a clean exit, or a segment
//!   nobody claimed);
//! - **unknown**: the writer runs in another PID namespace than the reader, or its
//!   `/proc/<pid>/stat` cannot be read although the PID exists (`hidepid=2`, a sandbox). It may
//!   be alive; unknown never counts as dead, so such a writer is never taken over or removed
//!   without `--force`;
//! - **dead**: `kill(pid, 0)` fails with `ESRCH`, or the process is a zombie (`Z` or `X` in
//!   `/proc/<pid>/stat`: killed but not yet reaped by its parent), or its start time differs
//!   (the PID was recycled);
//! - **alive** otherwise.
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

/// The PID namespace a process runs in: the inode of `/proc/<pid>/ns/pid`, 0 when unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PidNamespace(u64);

impl PidNamespace {
    /// Not recorded (a segment written before namespaces were recorded, or `/proc` unreadable).
    pub const UNKNOWN: Self = Self(0);

    /// The namespace of this process.
    ///
    /// ```
    /// use rtshm::liveness::PidNamespace;
    /// # if cfg!(miri) { return; } // Miri cannot read /proc
    /// let here = PidNamespace::current(); // recorded in segments, so that tools in another
    /// assert_eq!(PidNamespace::from_raw(here.to_raw()), here); // namespace know a PID is not theirs
    /// ```
    #[must_use]
    pub fn current() -> Self {
        std::fs::metadata("/proc/self/ns/pid").map_or(Self::UNKNOWN, |m| {
            use std::os::unix::fs::MetadataExt;
            Self(m.ino())
        })
    }

    /// The raw header word.
    #[must_use]
    pub const fn to_raw(self) -> u64 {
        self.0
    }

    /// A namespace read from a header word.
    #[must_use]
    pub const fn from_raw(raw: u64) -> Self {
        Self(raw)
    }

    /// Whether PIDs of a process in `self` mean the same process to a process in `other`:
    /// `None` when either namespace is unknown.
    fn same_as(self, other: Self) -> Option<bool> {
        (self.0 != 0 && other.0 != 0).then_some(self.0 == other.0)
    }
}

impl OwnerToken {
    /// No owner.
    pub const NONE: Self = Self(0);

    /// The token of this process.
    #[must_use]
    pub fn current() -> Self {
        let pid = rustix::process::getpid().as_raw_nonzero().get();
        let start = read_stat(pid).map_or(0, |s| s.start);
        Self::new(pid as u32, start)
    }

    /// The token of `pid` started at `start_ticks` (only the low 32 bits are kept).
    ///
    /// ```
    /// use rtshm::liveness::OwnerToken;
    /// let token = OwnerToken::new(1234, 987_654);
    /// assert_eq!(token.pid(), Some(1234));
    /// assert_eq!(OwnerToken::from_raw(token.to_raw()), token);
    /// assert_eq!(OwnerToken::NONE.pid(), None);
    /// ```
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
    ///
    /// ```
    /// use rtshm::liveness::{Liveness, OwnerToken};
    /// # if cfg!(miri) { return; } // Miri cannot read /proc
    ///
    /// let me = OwnerToken::current();
    /// assert_eq!(me.pid(), Some(std::process::id() as i32));
    /// assert_eq!(me.liveness(), Liveness::Alive);
    /// assert_eq!(OwnerToken::from_raw(me.to_raw()), me);
    /// assert_eq!(OwnerToken::from_raw(0).liveness(), Liveness::Unowned);
    /// ```
    #[must_use]
    pub fn pid(self) -> Option<i32> {
        let pid = (self.0 & 0xffff_ffff) as u32;
        i32::try_from(pid).ok().filter(|&p| p > 0)
    }

    /// Whether the owner is alive, dead, unknown, or there is none, for a token issued in this
    /// process's PID namespace. Costs a `kill(pid, 0)` and a read of `/proc/<pid>/stat`: for
    /// readers and tools, never on a hot path.
    #[must_use]
    pub fn liveness(self) -> Liveness {
        self.liveness_in(PidNamespace::UNKNOWN)
    }

    /// [`OwnerToken::liveness`] for a token issued in the PID namespace `ns` (as a segment
    /// records it): [`Liveness::Unknown`] when that is not this process's namespace.
    ///
    /// ```
    /// use rtshm::liveness::{Liveness, OwnerToken, PidNamespace};
    /// # if cfg!(miri) { return; } // Miri cannot signal or read /proc
    /// let me = OwnerToken::current();
    /// assert_eq!(me.liveness_in(PidNamespace::current()), Liveness::Alive);
    /// ```
    #[must_use]
    pub fn liveness_in(self, ns: PidNamespace) -> Liveness {
        let Some(pid) = self.pid() else {
            return Liveness::Unowned;
        };
        if ns.same_as(PidNamespace::current()) == Some(false) {
            return Liveness::Unknown;
        }
        match pid_exists(pid) {
            Some(true) => {}
            Some(false) => return Liveness::Dead,
            None => return Liveness::Unknown,
        }
        judge(self, read_stat(pid), || pid_exists(pid))
    }
}

/// Whether process `pid` exists: `kill(pid, 0)` succeeds or is refused (`EPERM`: it exists,
/// another user's), fails with `ESRCH` (`Some(false)`), or fails otherwise (`None`: unknown).
pub(crate) fn pid_exists(pid: i32) -> Option<bool> {
    let raw = rustix::process::Pid::from_raw(pid)?;
    match rustix::process::test_kill_process(raw) {
        Ok(()) | Err(rustix::io::Errno::PERM) => Some(true),
        Err(rustix::io::Errno::SRCH) => Some(false),
        Err(_) => None,
    }
}

/// The verdict on `token` whose process exists, from its `/proc/<pid>/stat` (`None`: not
/// readable). `exists` asks again whether the PID exists, for a stat that vanished.
fn judge(token: OwnerToken, stat: Option<Stat>, exists: impl Fn() -> Option<bool>) -> Liveness {
    match stat {
        // A zombie or a process being torn down has finished running: it never stores again.
        Some(s) if matches!(s.state, 'Z' | 'X' | 'x') => Liveness::Dead,
        Some(s) if s.start & 0xffff_ffff == token.0 >> 32 => Liveness::Alive,
        // The PID belongs to another process now.
        Some(_) => Liveness::Dead,
        // Exited between the two looks, or /proc hides it (hidepid=2): never guess "dead".
        None => match exists() {
            Some(false) => Liveness::Dead,
            _ => Liveness::Unknown,
        },
    }
}

/// Whether a segment's owner process exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Liveness {
    /// The owner process is running.
    Alive,
    /// The owner process is gone, a zombie, or its PID now belongs to another process.
    Dead,
    /// The owner process cannot be checked from here (another PID namespace, or `/proc`
    /// hides it): it may be alive, so it is never treated as dead.
    Unknown,
    /// No owner.
    Unowned,
}

/// What a reader knows about a segment's writer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
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
    /// The writer process cannot be checked from here: it runs in another PID namespace, or
    /// `/proc` hides it (`hidepid`). It may be alive, so it is never taken over; the heartbeat
    /// `age` is the evidence left (a writer storing or beating keeps it small).
    Unknown {
        /// Time since the last heartbeat.
        age: Duration,
    },
    /// No writer owns the segment (it exited cleanly, or never claimed it).
    Unowned,
}

impl WriterStatus {
    /// The status of a writer with token `owner` and heartbeat `heartbeat`, at `now`.
    ///
    /// ```
    /// use core::time::Duration;
    /// use rtshm::Timestamp;
    /// use rtshm::liveness::{OwnerToken, WriterStatus};
    /// # if cfg!(miri) { return; } // Miri cannot signal or read /proc
    ///
    /// let me = OwnerToken::current(); // this process: alive
    /// let beat = Timestamp::from_nanos(1_000_000);
    /// let threshold = Duration::from_millis(500);
    /// let soon = beat.saturating_add(Duration::from_millis(10));
    /// assert!(matches!(WriterStatus::of(me, beat, soon, threshold), WriterStatus::Alive { .. }));
    /// let late = beat.saturating_add(Duration::from_secs(2));
    /// assert!(matches!(WriterStatus::of(me, beat, late, threshold), WriterStatus::Stale { .. }));
    /// assert_eq!(WriterStatus::of(OwnerToken::from_raw(0), beat, soon, threshold), WriterStatus::Unowned);
    /// ```
    #[must_use]
    pub fn of(
        owner: OwnerToken,
        heartbeat: Timestamp,
        now: Timestamp,
        threshold: Duration,
    ) -> Self {
        Self::of_in(owner, PidNamespace::UNKNOWN, heartbeat, now, threshold)
    }

    /// [`WriterStatus::of`] for a writer in the PID namespace `ns` (as the segment records it).
    #[must_use]
    pub fn of_in(
        owner: OwnerToken,
        ns: PidNamespace,
        heartbeat: Timestamp,
        now: Timestamp,
        threshold: Duration,
    ) -> Self {
        let age = now.saturating_duration_since(heartbeat);
        match owner.liveness_in(ns) {
            Liveness::Unowned => Self::Unowned,
            Liveness::Dead => Self::Dead,
            Liveness::Unknown => Self::Unknown { age },
            Liveness::Alive if age <= threshold => Self::Alive { age },
            Liveness::Alive => Self::Stale { age },
        }
    }

    /// Whether the writer may be running: alive, stale or unknown (what refuses a takeover
    /// and a removal without `--force`).
    ///
    /// ```
    /// use core::time::Duration;
    /// use rtshm::liveness::WriterStatus;
    ///
    /// assert!(WriterStatus::Stale { age: Duration::from_secs(3) }.may_be_running());
    /// assert!(!WriterStatus::Dead.may_be_running());
    /// ```
    #[must_use]
    pub fn may_be_running(&self) -> bool {
        matches!(
            self,
            Self::Alive { .. } | Self::Stale { .. } | Self::Unknown { .. }
        )
    }
}

impl fmt::Display for WriterStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Alive { age } => write!(f, "alive (heartbeat {age:.1?} ago)"),
            Self::Stale { age } => write!(f, "stale (no heartbeat for {age:.1?})"),
            Self::Dead => f.write_str("dead"),
            Self::Unknown { age } => write!(
                f,
                "unknown (cannot be checked from this PID namespace or /proc; heartbeat \
                 {age:.1?} ago)"
            ),
            Self::Unowned => f.write_str("unowned"),
        }
    }
}

/// The fields of `/proc/<pid>/stat` that liveness needs.
#[derive(Clone, Copy, Debug)]
struct Stat {
    /// Field 3: `R`, `S`, `D`, `Z` (zombie), `X` (dead), ...
    state: char,
    /// Field 22: start time in clock ticks since boot.
    start: u64,
}

/// Reads `/proc/<pid>/stat`; `None` if it cannot be read or parsed.
///
/// The path is spelled `/proc/./<pid>/stat`: the kernel resolves it like `/proc/<pid>/stat`,
/// but qemu-user (ARM tests, cross) does not recognise it as the emulated process's own file,
/// which it fakes per thread with a start time of its own. Through the real file every thread
/// and every other process read the same start time.
fn read_stat(pid: i32) -> Option<Stat> {
    let stat: String = std::fs::read_to_string(std::format!("/proc/./{pid}/stat")).ok()?;
    parse_stat(&stat)
}

fn parse_stat(stat: &str) -> Option<Stat> {
    // The command name (field 2) is in parentheses and may contain spaces or ')': the fields
    // after the last ')' start at field 3.
    let mut rest = stat[stat.rfind(')')? + 1..].split_ascii_whitespace();
    let state = rest.next()?.chars().next()?;
    let start = rest.nth(22 - 4)?.parse().ok()?;
    Some(Stat { state, start })
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
    const _EVERY_IS_A_POWER_OF_TWO: () = assert!(Self::MAX_EVERY.is_power_of_two());

    pub(crate) fn new(now: Timestamp) -> Self {
        Self {
            countdown: 1,
            every: 1,
            last: now,
        }
    }

    /// Called on every store: `Some(now)` when the heartbeat should be written. The common
    /// path is a decrement and a branch; the clock read is out of line, so that the store it
    /// follows stays small enough to be inlined into the caller.
    #[inline(always)]
    pub(crate) fn tick(&mut self) -> Option<Timestamp> {
        self.countdown -= 1;
        if self.countdown > 0 {
            return None;
        }
        self.due()
    }

    /// [`Heartbeat::tick`] for a writer that numbers its stores (a queue's index): due when
    /// the number crosses a multiple of the interval between `old` (exclusive) and `new`
    /// (inclusive). No counter of its own to update: a compare and a branch on numbers the
    /// caller already holds in registers.
    #[inline(always)]
    pub(crate) fn tick_at(&mut self, old: u64, new: u64) -> Option<Timestamp> {
        // `every` is a power of two (1, doubled or halved, at most `MAX_EVERY`): `old` and
        // `new` lie in different multiples of it exactly when they differ in a bit at or above
        // its one bit.
        if old ^ new < u64::from(self.every) {
            return None;
        }
        self.due()
    }

    /// The countdown ran out: read the clock, adapt the interval.
    #[cold]
    #[inline(never)]
    fn due(&mut self) -> Option<Timestamp> {
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
    fn zombies_are_dead_and_an_unreadable_stat_is_never_dead() {
        let token = OwnerToken::new(42, 777);
        let stat = |state| Some(Stat { state, start: 777 });
        let still_there = || Some(true);
        assert_eq!(judge(token, stat('S'), still_there), Liveness::Alive);
        assert_eq!(judge(token, stat('Z'), still_there), Liveness::Dead);
        assert_eq!(judge(token, stat('X'), still_there), Liveness::Dead);
        // hidepid=2 or a sandbox: the PID exists but its stat is hidden.
        assert_eq!(judge(token, None, still_there), Liveness::Unknown);
        // The stat vanished because the process exited meanwhile.
        assert_eq!(judge(token, None, || Some(false)), Liveness::Dead);
        let other = Some(Stat {
            state: 'S',
            start: 778,
        });
        assert_eq!(judge(token, other, still_there), Liveness::Dead);
    }

    #[test]
    fn stat_lines_with_odd_command_names_parse() {
        let line = "1234 (a) b (c)) Z 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654 20 21";
        let s = parse_stat(line).unwrap();
        assert_eq!((s.state, s.start), ('Z', 987_654));
        assert!(parse_stat("garbage").is_none());
    }

    #[test]
    fn a_token_from_another_pid_namespace_is_unknown() {
        let me = OwnerToken::current();
        let here = PidNamespace::current();
        assert_ne!(here, PidNamespace::UNKNOWN);
        assert_eq!(me.liveness_in(here), Liveness::Alive);
        let elsewhere = PidNamespace::from_raw(here.to_raw() ^ 1);
        assert_eq!(me.liveness_in(elsewhere), Liveness::Unknown);
    }

    #[test]
    fn heartbeat_reads_the_clock_less_often_when_stores_are_fast() {
        let mut hb = Heartbeat::new(Timestamp::now());
        let reads = (0..100_000).filter(|_| hb.tick().is_some()).count();
        assert!(reads < 2_000, "{reads} clock reads for 100k fast stores");
        assert!(hb.every > 1);
    }

    #[test]
    fn a_numbered_heartbeat_beats_when_the_number_crosses_the_interval() {
        let mut hb = Heartbeat::new(Timestamp::now());
        // Fast single steps: as few clock reads as the countdown makes.
        let reads = (0..100_000u64)
            .filter(|&n| hb.tick_at(n, n + 1).is_some())
            .count();
        assert!(reads < 2_000, "{reads} clock reads for 100k fast stores");
        let every = u64::from(hb.every);
        assert!(every > 1 && every.is_power_of_two());
        // Due exactly when a multiple of `every` lies in (old, new], however large the step,
        // and across the wrap of the number.
        let start = 200_000 / every * every; // a multiple: the next one is `every` on
        assert!(hb.tick_at(start, start + every - 1).is_none());
        let (old, new) = (start + every - 1, start + every);
        let beat = hb.tick_at(old, new);
        assert!(beat.is_some(), "crossed {new}");
        let every = u64::from(hb.every);
        assert!(hb.tick_at(u64::MAX - 1, u64::MAX).is_none() || every == 1);
        assert!(hb.tick_at(u64::MAX, 0).is_some(), "the wrap crosses 0");
    }
}
