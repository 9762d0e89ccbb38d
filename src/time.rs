//! [`Timestamp`]: nanoseconds in a named clock domain.
//!
//! A `Timestamp` is a plain `u64` count of nanoseconds; the [`Clock`] it was read from is a
//! property of the series that stores it (a shared-memory segment records it in its header).
//! Arithmetic saturates instead of overflowing: a hostile or corrupt stamp can never panic a
//! reader.

use core::fmt;
use core::time::Duration;

/// Nanoseconds since the epoch of some [`Clock`] (boot for [`Clock::Monotonic`]).
///
/// ```
/// use core::time::Duration;
/// use rtshm::Timestamp;
///
/// let t = Timestamp::from_nanos(1_500);
/// assert_eq!(t.as_nanos(), 1_500);
/// assert_eq!(t.saturating_add(Duration::from_nanos(500)), Timestamp::from_nanos(2_000));
/// assert_eq!(t.saturating_sub(Duration::from_secs(1)), Timestamp::ZERO);
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct Timestamp(u64);

// SAFETY: `repr(transparent)` over `u64`: no padding, every bit pattern valid.
unsafe impl bytemuck::Zeroable for Timestamp {}
// SAFETY: as above.
unsafe impl bytemuck::Pod for Timestamp {}

/// Nanoseconds: a `uint64` on the wire and in every schema.
impl crate::Schema for Timestamp {
    const TYPE: crate::schema::Type = <u64 as crate::Schema>::TYPE;
}

impl Timestamp {
    /// The clock's epoch.
    pub const ZERO: Self = Self(0);
    /// The latest representable time.
    pub const MAX: Self = Self(u64::MAX);

    /// A timestamp `ns` nanoseconds after the clock's epoch.
    #[must_use]
    pub const fn from_nanos(ns: u64) -> Self {
        Self(ns)
    }

    /// Nanoseconds after the clock's epoch.
    #[must_use]
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// The distance between two timestamps, whichever is later.
    #[must_use]
    pub const fn abs_diff(self, other: Self) -> Duration {
        Duration::from_nanos(self.0.abs_diff(other.0))
    }

    /// `self - earlier`, or zero if `earlier` is later than `self`.
    ///
    /// ```
    /// use core::time::Duration;
    /// use rtshm::Timestamp;
    ///
    /// let (earlier, later) = (Timestamp::from_nanos(1_000), Timestamp::from_nanos(1_500));
    /// assert_eq!(later.saturating_duration_since(earlier), Duration::from_nanos(500));
    /// assert_eq!(earlier.saturating_duration_since(later), Duration::ZERO);
    /// assert_eq!(earlier.abs_diff(later), Duration::from_nanos(500));
    /// ```
    #[must_use]
    pub const fn saturating_duration_since(self, earlier: Self) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }

    /// `self + d`, saturating at [`Timestamp::MAX`].
    #[must_use]
    pub const fn saturating_add(self, d: Duration) -> Self {
        Self(self.0.saturating_add(duration_nanos(d)))
    }

    /// `self - d`, saturating at [`Timestamp::ZERO`].
    #[must_use]
    pub const fn saturating_sub(self, d: Duration) -> Self {
        Self(self.0.saturating_sub(duration_nanos(d)))
    }

    /// The current time of [`Clock::Monotonic`] (`CLOCK_MONOTONIC`, through the vDSO).
    ///
    /// ```
    /// let stamp = rtshm::Timestamp::now(); // CLOCK_MONOTONIC, no syscall
    /// assert!(rtshm::Timestamp::now() >= stamp);
    /// ```
    #[cfg(feature = "std")]
    #[must_use]
    pub fn now() -> Self {
        Clock::Monotonic.now().unwrap_or(Self::ZERO)
    }
}

/// `d` in nanoseconds, saturating at `u64::MAX` (about 584 years).
pub(crate) const fn duration_nanos(d: Duration) -> u64 {
    let ns = d.as_nanos();
    if ns > u64::MAX as u128 {
        u64::MAX
    } else {
        ns as u64
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Timestamp({}.{:09}s)",
            self.0 / 1_000_000_000,
            self.0 % 1_000_000_000
        )
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:09}s",
            self.0 / 1_000_000_000,
            self.0 % 1_000_000_000
        )
    }
}

/// The clock domain of a series of timestamps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Clock {
    /// `CLOCK_MONOTONIC`: never jumps, counts from boot. The default.
    #[default]
    Monotonic,
    /// `CLOCK_REALTIME`: wall-clock time since the Unix epoch; may jump.
    Realtime,
    /// A clock the application defines (simulation time, a sensor's hardware clock).
    User,
    /// Another host's `CLOCK_MONOTONIC` (a segment imported by a bridge): the stamps compare
    /// with each other, never with this host's clocks.
    RemoteMonotonic,
    /// Another host's `CLOCK_REALTIME` (a segment imported by a bridge): comparable with this
    /// host's wall clock only as far as the two hosts are synchronised (NTP, PTP).
    RemoteRealtime,
}

impl Clock {
    /// The current time of this clock, or `None` for [`Clock::User`], which only the application
    /// can read, and for another host's clocks ([`Clock::RemoteMonotonic`],
    /// [`Clock::RemoteRealtime`]).
    ///
    /// ```
    /// use rtshm::Clock;
    ///
    /// let wall = Clock::Realtime.now().unwrap(); // nanoseconds since the Unix epoch
    /// assert!(wall.as_nanos() > 1_600_000_000 * 1_000_000_000);
    /// assert_eq!(Clock::User.now(), None); // the application's own clock
    /// ```
    #[cfg(feature = "std")]
    #[must_use]
    pub fn now(self) -> Option<Timestamp> {
        use rustix::time::{ClockId, clock_gettime};
        let id = match self {
            Clock::Monotonic => ClockId::Monotonic,
            Clock::Realtime => ClockId::Realtime,
            Clock::User | Clock::RemoteMonotonic | Clock::RemoteRealtime => return None,
        };
        let t = clock_gettime(id);
        let secs = u64::try_from(t.tv_sec).unwrap_or(0);
        let nanos = u64::try_from(t.tv_nsec).unwrap_or(0);
        Some(Timestamp(
            secs.saturating_mul(1_000_000_000).saturating_add(nanos),
        ))
    }

    /// The same stamps seen from another host: what a bridge's import declares. A user clock
    /// stays [`Clock::User`] (the application defines it everywhere); a remote clock stays
    /// remote.
    ///
    /// ```
    /// use rtshm::Clock;
    ///
    /// assert_eq!(Clock::Monotonic.remote(), Clock::RemoteMonotonic);
    /// assert_eq!(Clock::RemoteMonotonic.remote(), Clock::RemoteMonotonic);
    /// assert!(Clock::Realtime.remote().is_remote());
    /// ```
    #[must_use]
    pub const fn remote(self) -> Self {
        match self {
            Clock::Monotonic | Clock::RemoteMonotonic => Clock::RemoteMonotonic,
            Clock::Realtime | Clock::RemoteRealtime => Clock::RemoteRealtime,
            Clock::User => Clock::User,
        }
    }

    /// Whether the stamps come from another host's clock.
    #[must_use]
    pub const fn is_remote(self) -> bool {
        matches!(self, Clock::RemoteMonotonic | Clock::RemoteRealtime)
    }

    /// The clock named `name` as `{:?}` prints it (`"Monotonic"`, `"RemoteRealtime"`), or
    /// `None`: how tools write a clock in text metadata and read it back.
    ///
    /// ```
    /// use rtshm::Clock;
    ///
    /// let clock = Clock::RemoteRealtime;
    /// assert_eq!(Clock::from_name(&format!("{clock:?}")), Some(clock));
    /// assert_eq!(Clock::from_name("wall"), None);
    /// ```
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Clock::Monotonic,
            Clock::Realtime,
            Clock::User,
            Clock::RemoteMonotonic,
            Clock::RemoteRealtime,
        ]
        .into_iter()
        .find(|c| c.name() == name)
    }

    /// The variant's name, as `{:?}` prints it.
    const fn name(self) -> &'static str {
        match self {
            Clock::Monotonic => "Monotonic",
            Clock::Realtime => "Realtime",
            Clock::User => "User",
            Clock::RemoteMonotonic => "RemoteMonotonic",
            Clock::RemoteRealtime => "RemoteRealtime",
        }
    }
}

#[cfg(all(test, not(rtshm_loom)))]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_instead_of_panicking() {
        let t = Timestamp::from_nanos(5);
        assert_eq!(t.saturating_sub(Duration::from_secs(1)), Timestamp::ZERO);
        assert_eq!(Timestamp::MAX.saturating_add(Duration::MAX), Timestamp::MAX);
        assert_eq!(
            t.abs_diff(Timestamp::from_nanos(2)),
            Duration::from_nanos(3)
        );
        assert_eq!(
            Timestamp::from_nanos(2).saturating_duration_since(t),
            Duration::ZERO
        );
    }

    #[cfg(feature = "std")]
    #[test]
    fn monotonic_now_does_not_go_backwards() {
        let a = Timestamp::now();
        let b = Timestamp::now();
        assert!(b >= a && a > Timestamp::ZERO);
        assert!(Clock::Realtime.now().unwrap() > Timestamp::from_nanos(1_600_000_000_000_000_000));
        assert_eq!(Clock::User.now(), None);
    }
}
