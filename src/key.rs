//! Validated time keys: the "wrong units" guard for time-series queries.
//!
//! A query with a time in milliseconds where nanoseconds were meant is a number a million times
//! too small. [`SeriesView::closest`](crate::SeriesView::closest) with a `max_distance` then
//! returns nothing (it never silently answers with the oldest sample, as some libraries do), but
//! the bug still has to be found. A [`Validated<P>`] key can only be built by running the policy
//! `P` on the value, so code that takes a `Validated<MonotonicNs>` knows its key was checked to
//! be plausible `CLOCK_MONOTONIC` nanoseconds, and rejected values come with an error that says
//! what looks wrong.
//!
//! Policies: [`MonotonicNs`], [`InRange`], [`Proximity`], [`all_of`] (several at once), [`check`]
//! (a closure), or your own type implementing [`Policy`]. Each policy is its own type, so a key
//! checked under one policy cannot be passed where another is required. Time-series queries take
//! any [`TimeKey`]: a plain [`Timestamp`] or a `Validated` key.
//!
//! ```
//! use std::time::Duration;
//! use rtshm::key::{MonotonicNs, Rejected, Validated};
//! use rtshm::Timestamp;
//!
//! let now = Timestamp::from_nanos(3_600_000_000_000); // an hour after boot
//! let policy = MonotonicNs::at(now);
//!
//! let key = Validated::new(Timestamp::from_nanos(3_599_990_000_000), &policy).unwrap();
//! assert_eq!(key.get().as_nanos(), 3_599_990_000_000);
//!
//! // The same instant in milliseconds.
//! let err = Validated::new(Timestamp::from_nanos(3_599_990), &policy).unwrap_err();
//! assert!(matches!(err, Rejected::NotNanoseconds { .. }));
//! assert!(err.to_string().contains("milliseconds"));
//! ```
//!
//! Keys checked under different policies are different types:
//!
//! ```compile_fail
//! use rtshm::key::{InRange, MonotonicNs, Validated};
//! use rtshm::Timestamp;
//!
//! fn lookup(_key: Validated<MonotonicNs>) {}
//!
//! let range = InRange { min: Timestamp::ZERO, max: Timestamp::MAX };
//! let key = Validated::new(Timestamp::from_nanos(5), &range).unwrap();
//! lookup(key); // error: expected `Validated<MonotonicNs>`, found `Validated<InRange>`
//! ```

use core::fmt;
use core::marker::PhantomData;
use core::time::Duration;

use crate::time::{Timestamp, duration_nanos};

/// A rule that a time key must satisfy. Implement it for your own types to name a policy
/// (`struct LidarTime;`) whose keys other code can require.
pub trait Policy {
    /// `Ok` if `t` is a valid key under this policy, else why not.
    fn check(&self, t: Timestamp) -> Result<(), Rejected>;
}

/// A time that passed the policy `P`. Built only by [`Validated::new`].
pub struct Validated<P> {
    t: Timestamp,
    _policy: PhantomData<fn() -> P>,
}

impl<P: Policy> Validated<P> {
    /// Checks `t` with `policy`: the key, or the reason it was rejected.
    ///
    /// ```
    /// use rtshm::Timestamp;
    /// use rtshm::key::{MonotonicNs, Rejected, Validated};
    ///
    /// let policy = MonotonicNs::at(Timestamp::from_nanos(3_600_000_000_000)); // an hour after boot
    /// let key = Validated::new(Timestamp::from_nanos(3_599_000_000_000), &policy)?;
    /// assert_eq!(key.get().as_nanos(), 3_599_000_000_000);
    /// // The same instant in microseconds: refused, naming the likely unit.
    /// let us = Validated::new(Timestamp::from_nanos(3_599_000_000), &policy);
    /// assert!(matches!(us, Err(Rejected::NotNanoseconds { .. })));
    /// # Ok::<(), Rejected>(())
    /// ```
    pub fn new(t: Timestamp, policy: &P) -> Result<Self, Rejected> {
        policy.check(t)?;
        Ok(Self {
            t,
            _policy: PhantomData,
        })
    }
}

impl<P> Validated<P> {
    /// The checked time.
    ///
    /// ```
    /// use rtshm::Timestamp;
    /// use rtshm::key::{InRange, Validated};
    /// let any = InRange { min: Timestamp::ZERO, max: Timestamp::MAX };
    /// let key = Validated::new(Timestamp::from_nanos(42), &any).unwrap();
    /// assert_eq!(key.get(), Timestamp::from_nanos(42));
    /// ```
    #[must_use]
    pub const fn get(self) -> Timestamp {
        self.t
    }
}

impl<P> Clone for Validated<P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P> Copy for Validated<P> {}

impl<P> PartialEq for Validated<P> {
    fn eq(&self, other: &Self) -> bool {
        self.t == other.t
    }
}

impl<P> Eq for Validated<P> {}

impl<P> fmt::Debug for Validated<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Validated({:?})", self.t)
    }
}

/// What time-series queries accept as a time: a plain [`Timestamp`] or a [`Validated`] key.
pub trait TimeKey: Copy {
    /// The time this key stands for.
    fn timestamp(self) -> Timestamp;
}

impl TimeKey for Timestamp {
    #[inline]
    fn timestamp(self) -> Timestamp {
        self
    }
}

impl<P> TimeKey for Validated<P> {
    #[inline]
    fn timestamp(self) -> Timestamp {
        self.t
    }
}

/// Why a key was rejected. `Display` says what looks wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejected {
    /// The key is far smaller than the monotonic clock now, as the same instant in coarser units
    /// would be.
    NotNanoseconds {
        /// The key.
        key: Timestamp,
        /// The clock when checked.
        now: Timestamp,
        /// The unit the key most likely is in.
        likely_unit: &'static str,
    },
    /// The key lies further in the future than the policy allows.
    InFuture {
        /// The key.
        key: Timestamp,
        /// The clock when checked.
        now: Timestamp,
        /// How far ahead a key may be.
        tolerance: Duration,
    },
    /// The key is outside `[min, max]`.
    OutOfRange {
        /// The key.
        key: Timestamp,
        /// The smallest valid key.
        min: Timestamp,
        /// The largest valid key.
        max: Timestamp,
    },
    /// The key is further than `tolerance` from `reference`.
    TooFar {
        /// The key.
        key: Timestamp,
        /// The time keys must be near.
        reference: Timestamp,
        /// How far from `reference` a key may be.
        tolerance: Duration,
    },
    /// A custom policy's reason.
    Custom {
        /// The key.
        key: Timestamp,
        /// Why the policy refused it.
        reason: &'static str,
    },
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::NotNanoseconds {
                key,
                now,
                likely_unit,
            } => write!(
                f,
                "time key {} ns is implausibly small for CLOCK_MONOTONIC nanoseconds (the clock \
                 reads {} ns): is it in {likely_unit}?",
                key.as_nanos(),
                now.as_nanos()
            ),
            Self::InFuture {
                key,
                now,
                tolerance,
            } => write!(
                f,
                "time key {key} is {:?} in the future (the clock reads {now}; at most {tolerance:?} \
                 ahead is allowed)",
                Duration::from_nanos(key.as_nanos().saturating_sub(now.as_nanos()))
            ),
            Self::OutOfRange { key, min, max } => {
                write!(
                    f,
                    "time key {key} is outside the valid range [{min}, {max}]"
                )
            }
            Self::TooFar {
                key,
                reference,
                tolerance,
            } => write!(
                f,
                "time key {key} is {:?} from {reference}, more than the {tolerance:?} allowed",
                key.abs_diff(reference)
            ),
            Self::Custom { key, reason } => write!(f, "time key {key} rejected: {reason}"),
        }
    }
}

impl core::error::Error for Rejected {}

/// Plausible `CLOCK_MONOTONIC` nanoseconds of this boot: not after the clock (plus a tolerance,
/// default 1 s, for stamps from a slightly faster device clock), and not smaller than 1/100 of
/// the clock, which is where the same instant in microseconds, milliseconds or seconds lands
/// (1/1000, 1/10^6 and 1/10^9 of it). The price: keys from the first 1% of the uptime (the
/// first 36 s of an hour-long boot) are refused too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MonotonicNs {
    now: Timestamp,
    future: Duration,
}

impl MonotonicNs {
    /// The policy against the monotonic clock read now.
    ///
    /// ```
    /// use rtshm::Timestamp;
    /// use rtshm::key::{MonotonicNs, Validated};
    /// let policy = MonotonicNs::now();
    /// assert!(Validated::new(Timestamp::now(), &policy).is_ok());
    /// ```
    #[cfg(feature = "std")]
    #[must_use]
    pub fn now() -> Self {
        Self::at(Timestamp::now())
    }

    /// The policy against a clock reading taken elsewhere (`no_std`, tests, replay).
    ///
    /// ```
    /// use rtshm::Timestamp;
    /// use rtshm::key::{MonotonicNs, Validated};
    /// // Tests and replays pin "now" instead of reading the clock.
    /// let policy = MonotonicNs::at(Timestamp::from_nanos(100_000_000_000));
    /// assert!(Validated::new(Timestamp::from_nanos(99_000_000_000), &policy).is_ok());
    /// ```
    #[must_use]
    pub const fn at(now: Timestamp) -> Self {
        Self {
            now,
            future: Duration::from_secs(1),
        }
    }

    /// How far after the clock reading a key may be (default 1 s).
    ///
    /// ```
    /// use core::time::Duration;
    /// use rtshm::Timestamp;
    /// use rtshm::key::{MonotonicNs, Validated};
    /// let now = Timestamp::from_nanos(100_000_000_000);
    /// let ahead = now.saturating_add(Duration::from_millis(2)); // a device clock slightly ahead
    /// assert!(Validated::new(ahead, &MonotonicNs::at(now)).is_ok()); // default: 1 s allowed
    /// let exact = MonotonicNs::at(now).with_future_tolerance(Duration::ZERO);
    /// assert!(Validated::new(ahead, &exact).is_err());
    /// ```
    #[must_use]
    pub const fn with_future_tolerance(mut self, tolerance: Duration) -> Self {
        self.future = tolerance;
        self
    }
}

impl Policy for MonotonicNs {
    fn check(&self, t: Timestamp) -> Result<(), Rejected> {
        let (key, now) = (t.as_nanos(), self.now.as_nanos());
        if key > now.saturating_add(duration_nanos(self.future)) {
            return Err(Rejected::InFuture {
                key: t,
                now: self.now,
                tolerance: self.future,
            });
        }
        if key.saturating_mul(100) < now {
            // The power of 1000 nearest to now / key names the unit.
            let ratio = now / key.max(1);
            let likely_unit = if ratio < 31_623 {
                "microseconds"
            } else if ratio < 31_622_777 {
                "milliseconds"
            } else {
                "seconds"
            };
            return Err(Rejected::NotNanoseconds {
                key: t,
                now: self.now,
                likely_unit,
            });
        }
        Ok(())
    }
}

/// Keys in `[min, max]`.
///
/// ```
/// use rtshm::Timestamp;
/// use rtshm::key::{InRange, Validated};
///
/// let window = InRange { min: Timestamp::from_nanos(100), max: Timestamp::from_nanos(200) };
/// assert!(Validated::new(Timestamp::from_nanos(150), &window).is_ok());
/// assert!(Validated::new(Timestamp::from_nanos(250), &window).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(
    clippy::exhaustive_structs,
    reason = "a closed interval: its two ends, a promise"
)]
pub struct InRange {
    /// The smallest valid key.
    pub min: Timestamp,
    /// The largest valid key.
    pub max: Timestamp,
}

impl Policy for InRange {
    fn check(&self, t: Timestamp) -> Result<(), Rejected> {
        if self.min <= t && t <= self.max {
            Ok(())
        } else {
            Err(Rejected::OutOfRange {
                key: t,
                min: self.min,
                max: self.max,
            })
        }
    }
}

/// Keys at most `tolerance` from `reference` (e.g. the newest sample, or the current frame's
/// stamp).
///
/// ```
/// use core::time::Duration;
/// use rtshm::Timestamp;
/// use rtshm::key::{Proximity, Validated};
///
/// // Keys near the current camera frame's stamp.
/// let near = Proximity { reference: Timestamp::from_nanos(1_000_000), tolerance: Duration::from_micros(500) };
/// assert!(Validated::new(Timestamp::from_nanos(1_200_000), &near).is_ok());
/// assert!(Validated::new(Timestamp::from_nanos(2_000_000), &near).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(
    clippy::exhaustive_structs,
    reason = "a centre and a radius, a promise"
)]
pub struct Proximity {
    /// The time keys must be near.
    pub reference: Timestamp,
    /// How far from `reference` a key may be.
    pub tolerance: Duration,
}

impl Policy for Proximity {
    fn check(&self, t: Timestamp) -> Result<(), Rejected> {
        if t.abs_diff(self.reference) <= self.tolerance {
            Ok(())
        } else {
            Err(Rejected::TooFar {
                key: t,
                reference: self.reference,
                tolerance: self.tolerance,
            })
        }
    }
}

/// Several policies at once (a tuple of 2 to 4): see [`all_of`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(
    clippy::exhaustive_structs,
    reason = "a transparent wrapper of a tuple of policies"
)]
pub struct AllOf<T>(pub T);

/// A policy that passes when each of `policies` (a tuple of 2 to 4) passes; the first rejection
/// is the error.
///
/// ```
/// use std::time::Duration;
/// use rtshm::key::{all_of, MonotonicNs, Proximity, Rejected, Validated};
/// use rtshm::Timestamp;
///
/// let now = Timestamp::from_nanos(10_000_000_000);
/// let near_now = Proximity { reference: now, tolerance: Duration::from_millis(100) };
/// let policy = all_of((MonotonicNs::at(now), near_now));
/// assert!(Validated::new(Timestamp::from_nanos(9_950_000_000), &policy).is_ok());
/// let err = Validated::new(Timestamp::from_nanos(9_000_000_000), &policy).unwrap_err();
/// assert!(matches!(err, Rejected::TooFar { .. }));
/// ```
pub const fn all_of<T>(policies: T) -> AllOf<T> {
    AllOf(policies)
}

macro_rules! all_of_tuple {
    ($($p:ident),+) => {
        impl<$($p: Policy),+> Policy for AllOf<($($p,)+)> {
            #[allow(non_snake_case)]
            fn check(&self, t: Timestamp) -> Result<(), Rejected> {
                let ($($p,)+) = &self.0;
                $($p.check(t)?;)+
                Ok(())
            }
        }
    };
}

all_of_tuple!(A, B);
all_of_tuple!(A, B, C);
all_of_tuple!(A, B, C, D);

/// A closure as a policy: see [`check`].
#[derive(Clone, Copy)]
pub struct Check<F>(F);

impl<F> fmt::Debug for Check<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Check(..)")
    }
}

/// A policy from a closure that returns `Err(reason)` for invalid keys.
///
/// ```
/// use rtshm::key::{check, Rejected, Validated};
/// use rtshm::Timestamp;
///
/// let even = check(|t: Timestamp| if t.as_nanos() % 2 == 0 { Ok(()) } else { Err("odd") });
/// assert!(Validated::new(Timestamp::from_nanos(4), &even).is_ok());
/// assert_eq!(
///     Validated::new(Timestamp::from_nanos(5), &even).unwrap_err(),
///     Rejected::Custom { key: Timestamp::from_nanos(5), reason: "odd" }
/// );
/// ```
pub const fn check<F>(f: F) -> Check<F>
where
    F: Fn(Timestamp) -> Result<(), &'static str>,
{
    Check(f)
}

impl<F> Policy for Check<F>
where
    F: Fn(Timestamp) -> Result<(), &'static str>,
{
    fn check(&self, t: Timestamp) -> Result<(), Rejected> {
        (self.0)(t).map_err(|reason| Rejected::Custom { key: t, reason })
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::*;

    const HOUR_NS: u64 = 3_600_000_000_000;

    fn ts(ns: u64) -> Timestamp {
        Timestamp::from_nanos(ns)
    }

    #[test]
    fn monotonic_ns_accepts_recent_nanoseconds_and_names_the_likely_unit_otherwise() {
        let policy = MonotonicNs::at(ts(HOUR_NS));
        assert!(policy.check(ts(HOUR_NS - 5_000_000_000)).is_ok());
        assert!(policy.check(ts(HOUR_NS + 999_999_999)).is_ok());
        for (key, unit) in [
            (HOUR_NS / 1_000, "microseconds"),
            (HOUR_NS / 1_000_000, "milliseconds"),
            (HOUR_NS / 1_000_000_000, "seconds"),
            (0, "seconds"),
        ] {
            let err = policy.check(ts(key)).unwrap_err();
            assert_eq!(
                err,
                Rejected::NotNanoseconds {
                    key: ts(key),
                    now: ts(HOUR_NS),
                    likely_unit: unit
                }
            );
            assert!(err.to_string().contains(unit), "{err}");
        }
    }

    #[test]
    fn monotonic_ns_refuses_keys_beyond_its_future_tolerance() {
        let policy = MonotonicNs::at(ts(HOUR_NS)).with_future_tolerance(Duration::from_millis(1));
        let err = policy.check(ts(HOUR_NS + 2_000_000)).unwrap_err();
        assert!(matches!(err, Rejected::InFuture { .. }));
        assert!(err.to_string().contains("2ms in the future"), "{err}");
        assert!(policy.check(ts(u64::MAX)).is_err());
    }

    #[test]
    fn range_and_proximity_check_their_bounds_inclusively() {
        let range = InRange {
            min: ts(10),
            max: ts(20),
        };
        assert!(range.check(ts(10)).is_ok() && range.check(ts(20)).is_ok());
        let err = range.check(ts(21)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "time key 0.000000021s is outside the valid range [0.000000010s, 0.000000020s]"
        );
        let near = Proximity {
            reference: ts(1_000),
            tolerance: Duration::from_nanos(10),
        };
        assert!(near.check(ts(990)).is_ok() && near.check(ts(1_010)).is_ok());
        assert!(matches!(near.check(ts(989)), Err(Rejected::TooFar { .. })));
        assert!(
            near.check(ts(1_011))
                .unwrap_err()
                .to_string()
                .contains("11ns from")
        );
    }

    #[test]
    fn all_of_reports_the_first_rejection() {
        let policy = all_of((
            InRange {
                min: ts(0),
                max: ts(100),
            },
            check(|t: Timestamp| {
                if t.as_nanos().is_multiple_of(10) {
                    Ok(())
                } else {
                    Err("not a multiple of 10 ns")
                }
            }),
            Proximity {
                reference: ts(50),
                tolerance: Duration::from_nanos(30),
            },
        ));
        assert!(Validated::new(ts(40), &policy).is_ok());
        assert!(matches!(
            Validated::new(ts(110), &policy),
            Err(Rejected::OutOfRange { .. })
        ));
        assert_eq!(
            Validated::new(ts(41), &policy).unwrap_err().to_string(),
            "time key 0.000000041s rejected: not a multiple of 10 ns"
        );
        assert!(matches!(
            Validated::new(ts(90), &policy),
            Err(Rejected::TooFar { .. })
        ));
    }

    #[test]
    fn a_validated_key_is_a_time_key_for_its_time() {
        let key = Validated::new(ts(7), &check(|_| Ok(()))).unwrap();
        assert_eq!(key.timestamp(), ts(7));
        assert_eq!(ts(7).timestamp(), ts(7));
        assert_eq!(key.get(), ts(7));
    }
}
