//! [`TimeSeries`]: time queries over a ring of [`Stamped`] values.
//!
//! The writer enforces non-decreasing stamps, so the values held form a sorted window and every
//! query is a binary search: O(log capacity) probes, no allocation.
//!
//! Every query works on one snapshot of the writer position, and every probe is lap-checked (the
//! ring's per-slot sequence). A probe that finds its slot overwritten moves the low end of the
//! window past it and goes on; a query restarts on a fresh snapshot only when the writer lapped
//! the whole snapshot, or overwrote the value picked before it was read; after
//! [`TRY_LOAD_ATTEMPTS`](crate::TRY_LOAD_ATTEMPTS) restarts the query gives up with [`Busy`]. A query
//! racing a writer therefore returns an answer that was correct for some snapshot, never a torn
//! or out-of-window sample.
//!
//! # Tie rules
//! Several samples may share a stamp. The search finds the boundary between samples stamped
//! before `t` and samples stamped at or after `t`; the candidates are the sample just before that
//! boundary (the *last* written of equal stamps) and the sample just after it (the *first*
//! written of equal stamps). [`SeriesView::closest`] prefers the earlier of the two on equal
//! distance.

use core::fmt;
use core::time::Duration;

use bytemuck::Pod;

use crate::key::TimeKey;
use crate::ring::{Lapped, Probe, Ring, RingView, RingWriter};
use crate::seqlock::{ATTEMPTS, Busy, WriterTaken};
use crate::stamped::Stamped;
use crate::sync;
use crate::time::Timestamp;

/// Linear interpolation, for [`SeriesView::interpolate`].
///
/// Implemented for `f32`, `f64` and arrays of any `Lerp` type. Implement it for your own types;
/// for a unit quaternion, spherical interpolation keeps the result a rotation:
///
/// ```
/// use rtshm::Lerp;
///
/// #[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
/// #[repr(C)]
/// struct Quat { w: f64, x: f64, y: f64, z: f64 }
///
/// impl Lerp for Quat {
///     fn lerp(a: &Self, b: &Self, alpha: f64) -> Self {
///         let mut dot = a.w * b.w + a.x * b.x + a.y * b.y + a.z * b.z;
///         // Take the short way round: q and -q are the same rotation.
///         let b = if dot < 0.0 {
///             dot = -dot;
///             Quat { w: -b.w, x: -b.x, y: -b.y, z: -b.z }
///         } else {
///             *b
///         };
///         let (wa, wb) = if dot > 0.9995 {
///             (1.0 - alpha, alpha) // nearly parallel: lerp (renormalised below)
///         } else {
///             let theta = dot.acos();
///             let s = theta.sin();
///             (((1.0 - alpha) * theta).sin() / s, (alpha * theta).sin() / s)
///         };
///         let q = Quat {
///             w: wa * a.w + wb * b.w,
///             x: wa * a.x + wb * b.x,
///             y: wa * a.y + wb * b.y,
///             z: wa * a.z + wb * b.z,
///         };
///         let n = (q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z).sqrt();
///         Quat { w: q.w / n, x: q.x / n, y: q.y / n, z: q.z / n }
///     }
/// }
///
/// let id = Quat { w: 1.0, x: 0.0, y: 0.0, z: 0.0 };
/// let yaw90 = Quat { w: 0.5f64.sqrt(), x: 0.0, y: 0.0, z: 0.5f64.sqrt() };
/// let half = Quat::lerp(&id, &yaw90, 0.5); // 45 degrees about z
/// assert!((half.z - (std::f64::consts::PI / 8.0).sin()).abs() < 1e-12);
/// ```
///
/// (On `no_std` targets, take `acos`, `sin` and `sqrt` from the `libm` crate.)
pub trait Lerp {
    /// The value at `alpha` in `[0, 1]` between `a` (at 0) and `b` (at 1).
    fn lerp(a: &Self, b: &Self, alpha: f64) -> Self;
}

impl Lerp for f64 {
    fn lerp(a: &Self, b: &Self, alpha: f64) -> Self {
        a + (b - a) * alpha
    }
}

impl Lerp for f32 {
    fn lerp(a: &Self, b: &Self, alpha: f64) -> Self {
        a + (b - a) * alpha as f32
    }
}

impl<T: Lerp, const N: usize> Lerp for [T; N] {
    fn lerp(a: &Self, b: &Self, alpha: f64) -> Self {
        core::array::from_fn(|i| T::lerp(&a[i], &b[i], alpha))
    }
}

/// [`SeriesWriter::push`] refused a stamp earlier than the last one pushed.
///
/// ```
/// use rtshm::{NonMonotonic, Stamped, TimeSeries, Timestamp};
///
/// let series: TimeSeries<u8, 4> = TimeSeries::new();
/// let mut w = series.writer().unwrap();
/// w.push(&Stamped::new(Timestamp::from_nanos(20), 0, 1)).unwrap();
/// let err = w.push(&Stamped::new(Timestamp::from_nanos(10), 1, 2)).unwrap_err();
/// assert_eq!(err, NonMonotonic { last: Timestamp::from_nanos(20), given: Timestamp::from_nanos(10) });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(
    clippy::exhaustive_structs,
    reason = "the two stamps are the whole report, a promise"
)]
pub struct NonMonotonic {
    /// The stamp of the last value pushed.
    pub last: Timestamp,
    /// The stamp that was refused.
    pub given: Timestamp,
}

impl fmt::Display for NonMonotonic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "stamp {} is earlier than the last stamp pushed, {}: stamps must not decrease",
            self.given, self.last
        )
    }
}

impl core::error::Error for NonMonotonic {}

/// [`SeriesView::interpolation_pair`] or [`SeriesView::interpolate`] failed.
///
/// ```
/// use rtshm::{InterpolationError, TimeSeries, Timestamp};
///
/// let series: TimeSeries<f64, 4> = TimeSeries::new();
/// assert_eq!(series.interpolate(Timestamp::from_nanos(5)), Err(InterpolationError::Empty));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InterpolationError {
    /// The series holds no values.
    Empty,
    /// `requested` lies outside the stamps held; the series never extrapolates.
    OutOfRange {
        /// The time asked for.
        requested: Timestamp,
        /// The oldest stamp held.
        oldest: Timestamp,
        /// The newest stamp held.
        newest: Timestamp,
    },
    /// The writer overwrote probed values during every attempt (see [`Busy`]).
    Busy,
}

impl fmt::Display for InterpolationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Empty => f.write_str("the time series is empty"),
            Self::OutOfRange {
                requested,
                oldest,
                newest,
            } => write!(
                f,
                "time {requested} is outside the series, which holds {oldest} ..= {newest}"
            ),
            Self::Busy => f.write_str("the writer overwrote the probed values on every attempt"),
        }
    }
}

impl core::error::Error for InterpolationError {}

impl From<Busy> for InterpolationError {
    fn from(_: Busy) -> Self {
        Self::Busy
    }
}

/// A time series of `N` stamped values that owns its storage (`N` a power of two); a `static`
/// if you like. Its queries are those of [`SeriesView`], which it dereferences to.
///
/// ```
/// use core::time::Duration;
/// use rtshm::{Stamped, TimeSeries, Timestamp};
///
/// let series: TimeSeries<[f64; 2], 64> = TimeSeries::new();
/// let mut writer = series.writer().unwrap();
/// for i in 0..10u64 {
///     let x = i as f64;
///     writer.push(&Stamped::new(Timestamp::from_nanos(i * 1000), i, [x, 2.0 * x])).unwrap();
/// }
/// let t = Timestamp::from_nanos(2_500);
/// assert_eq!(series.interpolate(t), Ok([2.5, 5.0]));
/// let near = series.closest(t, Duration::from_nanos(600)).unwrap().unwrap();
/// assert_eq!(near.seq, 2); // 2000 and 3000 are equally far: the earlier wins
/// assert!(writer.push(&Stamped::new(Timestamp::from_nanos(5), 10, [0.0; 2])).is_err());
/// ```
pub struct TimeSeries<T, const N: usize> {
    ring: Ring<Stamped<T>, N>,
}

// SAFETY: an all-zero series is an empty ring of stamped values (see `Ring`'s impl).
#[cfg(not(rtshm_loom))]
unsafe impl<T: bytemuck::Zeroable, const N: usize> bytemuck::Zeroable for TimeSeries<T, N> {}

impl<T: Pod, const N: usize> TimeSeries<T, N> {
    crate::sync::const_fn! {
        const_if: #[cfg(not(rtshm_loom))];
        /// An empty series.
        #[must_use]
        pub const fn new() -> Self {
            Self { ring: Ring::new() }
        }
    }

    /// The ring of stamped values underneath (cursors read every sample through it, or
    /// straight through the series, which dereferences to the same view).
    ///
    /// ```
    /// use rtshm::{Stamped, TimeSeries, Timestamp};
    /// let series: TimeSeries<u8, 4> = TimeSeries::new();
    /// series.writer().unwrap().push(&Stamped::new(Timestamp::from_nanos(1), 0, 7)).unwrap();
    /// let ring = series.ring(); // every sample in order, with a cursor
    /// let mut cursor = ring.cursor_from_oldest();
    /// assert_eq!(ring.next(&mut cursor).unwrap().map(|s| s.value), Some(7));
    /// ```
    #[must_use]
    pub fn ring(&self) -> &Ring<Stamped<T>, N> {
        &self.ring
    }

    /// Claims the single writer; it refuses stamps earlier than the last one pushed.
    ///
    /// ```
    /// use rtshm::{Stamped, TimeSeries, Timestamp};
    ///
    /// let series: TimeSeries<f64, 16> = TimeSeries::new();
    /// let mut w = series.writer().unwrap();
    /// w.push(&Stamped::new(Timestamp::from_nanos(100), 0, 1.5)).unwrap();
    /// let late = Stamped::new(Timestamp::from_nanos(50), 1, 2.5);
    /// assert!(w.push(&late).is_err()); // stamps never go back
    /// assert_eq!(w.last_stamp(), Some(Timestamp::from_nanos(100)));
    /// ```
    pub fn writer(&self) -> Result<SeriesWriter<'_, T>, WriterTaken> {
        SeriesWriter::claim(&self.ring)
    }
}

impl<T: Pod, const N: usize> core::ops::Deref for TimeSeries<T, N> {
    type Target = SeriesView<T>;

    #[inline(always)]
    fn deref(&self) -> &SeriesView<T> {
        SeriesView::of(&self.ring)
    }
}

impl<T: Pod, const N: usize> Default for TimeSeries<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Pod, const N: usize> fmt::Debug for TimeSeries<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimeSeries")
            .field("ring", &self.ring)
            .finish()
    }
}

/// The time queries over a ring of stamped values of any capacity: what a [`TimeSeries`]
/// dereferences to, and what a shared-memory subscriber of a time series dereferences to. It
/// dereferences in turn to its [`RingView`] of [`Stamped`] values, for cursors.
///
/// ```
/// use rtshm::{SeriesView, Stamped, TimeSeries, Timestamp};
///
/// fn position_at(poses: &SeriesView<[f64; 2]>, t: Timestamp) -> Option<[f64; 2]> {
///     poses.interpolate(t).ok()
/// }
/// let poses: TimeSeries<[f64; 2], 64> = TimeSeries::new();
/// let mut w = poses.writer().unwrap();
/// w.push(&Stamped::new(Timestamp::from_nanos(0), 0, [0.0, 0.0])).unwrap();
/// w.push(&Stamped::new(Timestamp::from_nanos(10), 1, [1.0, 2.0])).unwrap();
/// assert_eq!(position_at(&poses, Timestamp::from_nanos(5)), Some([0.5, 1.0]));
/// ```
#[repr(transparent)]
pub struct SeriesView<T> {
    ring: RingView<Stamped<T>>,
}

impl<T: Pod> SeriesView<T> {
    /// The series view of `ring`.
    #[inline(always)]
    pub(crate) fn of(ring: &RingView<Stamped<T>>) -> &Self {
        // SAFETY: `SeriesView<T>` is a `repr(transparent)` wrapper of `RingView<Stamped<T>>`:
        // same layout and same pointer metadata (the slot count), so the cast keeps both, and
        // the lifetime is `ring`'s.
        unsafe { &*(core::ptr::from_ref(ring) as *const Self) }
    }
}

impl<T: Pod> core::ops::Deref for SeriesView<T> {
    type Target = RingView<Stamped<T>>;

    #[inline(always)]
    fn deref(&self) -> &RingView<Stamped<T>> {
        &self.ring
    }
}

/// Outcome of one binary search for `t` on one snapshot.
struct Search {
    /// The write number and stamp of the newest value strictly before `t`.
    before: Option<(u64, Timestamp)>,
    /// The write number and stamp of the oldest value at or after `t`.
    after: Option<(u64, Timestamp)>,
    /// The window `[lo, hi)` of write numbers searched.
    lo: u64,
    hi: u64,
    /// The write number of `after` (`hi` if none): the first at or after `t`.
    first: u64,
}

/// What the time queries need from a ring of stamped values, typed or untyped (the
/// `shm::Inspector` of a time series segment).
pub(crate) trait Stamps {
    /// The number of values written (the ring head, with Acquire).
    fn written(&self) -> u64;
    /// The ring's capacity.
    fn capacity(&self) -> u64;
    /// The stamp of write number `n` if it is still held, else `None`: a lap-checked copy of
    /// the stamp alone. `n` is below a head this thread loaded with [`Stamps::written`]
    /// (write `n` was complete then).
    fn stamp(&self, n: u64) -> Option<Timestamp>;
}

impl<T: Pod> Stamps for SeriesView<T> {
    #[inline]
    fn written(&self) -> u64 {
        self.ring.written()
    }

    #[inline]
    fn capacity(&self) -> u64 {
        self.ring.capacity() as u64
    }

    #[inline]
    fn stamp(&self, n: u64) -> Option<Timestamp> {
        self.read_stamp(n)
    }
}

/// Lower-bound binary search for `t` over the stamps of one snapshot, restarted when a probe
/// was overwritten. Reads only stamps; the caller reads the values it picks, and restarts with
/// a new search if one of them is overwritten in between.
#[inline]
fn search<S: Stamps + ?Sized>(src: &S, t: Timestamp) -> Result<Search, Busy> {
    for _ in 0..ATTEMPTS {
        let hi = src.written();
        let mut lo = hi.saturating_sub(src.capacity());
        let start = lo;
        let (mut a, mut b) = (lo, hi);
        let (mut before, mut after) = (None, None);
        while a < b {
            let mid = a + (b - a) / 2;
            let Some(stamp) = src.stamp(mid) else {
                // Write `mid` was complete in the snapshot, so the writer has lapped it: it and
                // every older write are gone. The window now starts after it; the search goes
                // on there (restarting would lose the same race again when the answer is the
                // oldest value, as it is for a query before the window).
                lo = mid + 1;
                a = lo;
                before = None;
                continue;
            };
            if stamp < t {
                before = Some((mid, stamp));
                a = mid + 1;
            } else {
                after = Some((mid, stamp));
                b = mid;
            }
        }
        if lo > start && lo >= hi {
            // The writer lapped the whole snapshot during the search: take a new one.
            sync::spin_loop();
            continue;
        }
        return Ok(Search {
            before,
            after,
            lo,
            hi,
            first: a,
        });
    }
    Err(Busy)
}

/// The write number of the first value held stamped at or after `t` (the head if none): where
/// `shm::Inspector::first_at` starts a window.
#[cfg(all(feature = "std", not(rtshm_loom)))]
pub(crate) fn first_at<S: Stamps + ?Sized>(src: &S, t: Timestamp) -> Result<u64, Busy> {
    search(src, t).map(|s| s.first)
}

/// [`SeriesView::closest`] over any [`Stamps`]: `read(n)` copies write `n` and says whether the
/// copy is that write. Returns whether a value was found (and read).
#[inline]
pub(crate) fn closest_with<S: Stamps + ?Sized>(
    src: &S,
    t: Timestamp,
    max_distance: Duration,
    mut read: impl FnMut(u64) -> bool,
) -> Result<bool, Busy> {
    // Distances in nanoseconds (no `Duration` arithmetic in the loop).
    let max_distance = crate::time::duration_nanos(max_distance);
    let distance = |stamp: Timestamp| t.as_nanos().abs_diff(stamp.as_nanos());
    for _ in 0..ATTEMPTS {
        let Search { before, after, .. } = search(src, t)?;
        let best = match (before, after) {
            (Some(b), Some(a)) => {
                if distance(b.1) <= distance(a.1) {
                    Some(b)
                } else {
                    Some(a)
                }
            }
            (b, a) => b.or(a),
        };
        let Some((n, stamp)) = best else {
            return Ok(false);
        };
        if distance(stamp) > max_distance {
            return Ok(false);
        }
        if read(n) {
            return Ok(true);
        }
        // Overwritten since the search: search again.
        sync::spin_loop();
    }
    Err(Busy)
}

/// [`SeriesView::interpolation_pair`] over any [`Stamps`]: `read_pair(b, a)` copies writes `b`
/// and `a` (the same write, on an exact hit) and says whether both copies are those writes.
/// Returns `alpha`.
#[inline]
pub(crate) fn pair_with<S: Stamps + ?Sized>(
    src: &S,
    t: Timestamp,
    mut read_pair: impl FnMut(u64, u64) -> bool,
) -> Result<f64, InterpolationError> {
    // The stamp at one end of a snapshot for an error report, `fallback` if it is gone.
    let stamp_at = |n: u64, fallback: Timestamp| src.stamp(n).unwrap_or(fallback);
    for _ in 0..ATTEMPTS {
        let Search {
            before,
            after,
            lo,
            hi,
            ..
        } = search(src, t)?;
        let (b, a, alpha) = match (before, after) {
            (_, Some((a, stamp))) if stamp == t => (a, a, 0.0),
            (Some((b, b_stamp)), Some((a, a_stamp))) => {
                let span = a_stamp.as_nanos() - b_stamp.as_nanos();
                let alpha = (t.as_nanos() - b_stamp.as_nanos()) as f64 / span as f64;
                (b, a, alpha)
            }
            (None, None) => return Err(InterpolationError::Empty),
            (None, Some((_, oldest))) => {
                return Err(InterpolationError::OutOfRange {
                    requested: t,
                    oldest,
                    newest: stamp_at(hi - 1, oldest),
                });
            }
            (Some((_, newest)), None) => {
                return Err(InterpolationError::OutOfRange {
                    requested: t,
                    oldest: stamp_at(lo, newest),
                    newest,
                });
            }
        };
        if read_pair(b, a) {
            return Ok(alpha);
        }
        // One of the two was overwritten since the search: search again.
        sync::spin_loop();
    }
    Err(InterpolationError::Busy)
}

impl<T: Pod> SeriesView<T> {
    /// The ring of stamped values underneath.
    #[must_use]
    pub fn ring(&self) -> &RingView<Stamped<T>> {
        &self.ring
    }

    /// Reads write number `n` into `dst`: whether `dst` now holds it (if not, the caller
    /// restarts).
    #[inline]
    fn read_into(&self, n: u64, dst: &mut Stamped<T>) -> bool {
        // `n` comes from a search of a snapshot whose head was loaded with Acquire.
        self.ring.probe_complete(n, |words| words.load(dst))
    }

    /// The stamp of write number `n` if it is still held and complete, else `None`: the same
    /// lap check as [`SeriesView::read_into`], copying 8 bytes instead of the whole value.
    #[inline]
    fn read_stamp(&self, n: u64) -> Option<Timestamp> {
        let mut stamp = Timestamp::ZERO;
        // `n` is inside a snapshot whose head was loaded with Acquire (`search`).
        self.ring
            .probe_complete(n, |words| stamp = words.load_stamp())
            .then_some(stamp)
    }

    /// The newest value, or `None` if the series is empty.
    ///
    /// ```
    /// use rtshm::{Stamped, TimeSeries, Timestamp};
    ///
    /// let series: TimeSeries<u32, 8> = TimeSeries::new();
    /// assert_eq!(series.latest(), Ok(None));
    /// series.writer().unwrap().push(&Stamped::new(Timestamp::from_nanos(7), 0, 42)).unwrap();
    /// assert_eq!(series.latest().unwrap().unwrap().value, 42);
    /// ```
    #[inline]
    pub fn latest(&self) -> Result<Option<Stamped<T>>, Busy> {
        Ok(self.ring.latest()?.map(|(_, s)| s))
    }

    /// The newest value if it is at most `max_age` older than `now` (a stamp after `now` counts
    /// as age zero); `None` if the series is empty or the newest value is stale.
    ///
    /// ```
    /// use core::time::Duration;
    /// use rtshm::{Stamped, TimeSeries, Timestamp};
    ///
    /// let series: TimeSeries<u32, 8> = TimeSeries::new();
    /// series.writer().unwrap().push(&Stamped::new(Timestamp::from_nanos(1_000), 0, 1)).unwrap();
    /// let max_age = Duration::from_nanos(500);
    /// let now = Timestamp::from_nanos(1_400);
    /// assert!(series.latest_if_fresh(now, max_age).unwrap().is_some());
    /// let later = Timestamp::from_nanos(2_000);
    /// assert_eq!(series.latest_if_fresh(later, max_age), Ok(None)); // stale
    /// ```
    #[inline]
    pub fn latest_if_fresh(
        &self,
        now: Timestamp,
        max_age: Duration,
    ) -> Result<Option<Stamped<T>>, Busy> {
        Ok(self
            .latest()?
            .filter(|s| now.saturating_duration_since(s.stamp) <= max_age))
    }

    /// The value stamped nearest to `t`, if it is at most `max_distance` away. On equal distance
    /// the earlier sample wins (see the module docs for equal stamps).
    ///
    /// ```
    /// use core::time::Duration;
    /// use rtshm::{Stamped, TimeSeries, Timestamp};
    ///
    /// let series: TimeSeries<u32, 8> = TimeSeries::new();
    /// let mut w = series.writer().unwrap();
    /// for i in 0..4u32 {
    ///     w.push(&Stamped::new(Timestamp::from_nanos(u64::from(i) * 100), 0, i)).unwrap();
    /// }
    /// let near = |t| series.closest(Timestamp::from_nanos(t), Duration::from_nanos(30)).unwrap();
    /// assert_eq!(near(210).map(|s| s.value), Some(2));
    /// assert_eq!(near(250), None); // 50 ns from either sample: farther than allowed
    /// ```
    #[inline]
    pub fn closest(
        &self,
        t: impl TimeKey,
        max_distance: Duration,
    ) -> Result<Option<Stamped<T>>, Busy> {
        let mut sample = Stamped::new(Timestamp::ZERO, 0, T::zeroed());
        let found = closest_with(self, t.timestamp(), max_distance, |n| {
            self.read_into(n, &mut sample)
        })?;
        Ok(found.then_some(sample))
    }

    /// The two values around `t`, with `before.stamp <= t <= after.stamp`, and the fraction
    /// `alpha = (t - before.stamp) / (after.stamp - before.stamp)`. An exact hit returns the same
    /// sample twice with `alpha = 0`. Never extrapolates: a `t` outside the stamps held returns
    /// [`InterpolationError::OutOfRange`] with the oldest and newest stamps.
    ///
    /// ```
    /// use rtshm::{InterpolationError, Stamped, TimeSeries, Timestamp};
    ///
    /// let series: TimeSeries<f32, 8> = TimeSeries::new();
    /// let mut w = series.writer().unwrap();
    /// w.push(&Stamped::new(Timestamp::from_nanos(100), 0, 1.0)).unwrap();
    /// w.push(&Stamped::new(Timestamp::from_nanos(200), 1, 3.0)).unwrap();
    /// let (before, after, alpha) = series.interpolation_pair(Timestamp::from_nanos(150)).unwrap();
    /// assert_eq!((before.value, after.value, alpha), (1.0, 3.0, 0.5));
    /// assert!(matches!(
    ///     series.interpolation_pair(Timestamp::from_nanos(300)),
    ///     Err(InterpolationError::OutOfRange { .. }) // never extrapolates
    /// ));
    /// ```
    #[inline]
    pub fn interpolation_pair(
        &self,
        t: impl TimeKey,
    ) -> Result<(Stamped<T>, Stamped<T>, f64), InterpolationError> {
        // The samples are read straight into the result (no moves of large values).
        let zero = <Stamped<T> as crate::Payload>::zeroed();
        let (mut before, mut after) = (zero, zero);
        let alpha = pair_with(self, t.timestamp(), |b, a| {
            if b == a {
                let read = self.read_into(a, &mut before);
                after = before;
                read
            } else {
                self.read_into(b, &mut before) && self.read_into(a, &mut after)
            }
        })?;
        Ok((before, after, alpha))
    }

    /// The value at `t`, interpolated between the two values around it with [`Lerp`].
    ///
    /// ```
    /// use rtshm::{Stamped, TimeSeries, Timestamp};
    /// let temps: TimeSeries<f32, 8> = TimeSeries::new();
    /// let mut w = temps.writer().unwrap();
    /// w.push(&Stamped::new(Timestamp::from_nanos(0), 0, 20.0)).unwrap();
    /// w.push(&Stamped::new(Timestamp::from_nanos(100), 1, 22.0)).unwrap();
    /// assert_eq!(temps.interpolate(Timestamp::from_nanos(25)), Ok(20.5));
    /// ```
    pub fn interpolate(&self, t: impl TimeKey) -> Result<T, InterpolationError>
    where
        T: Lerp,
    {
        let (b, a, alpha) = self.interpolation_pair(t)?;
        Ok(T::lerp(&b.value, &a.value, alpha))
    }

    /// The values stamped in `t0 ..= t1`, oldest first (empty if `t0 > t1`). Values written
    /// after the call are not included. If the writer overwrites values before the iterator
    /// reaches them, it yields `Err(Lapped)` with the number skipped and continues with the
    /// oldest value still held.
    ///
    /// ```
    /// use rtshm::{Stamped, TimeSeries, Timestamp};
    ///
    /// let series: TimeSeries<u32, 16> = TimeSeries::new();
    /// let mut w = series.writer().unwrap();
    /// for i in 0..10u32 {
    ///     w.push(&Stamped::new(Timestamp::from_nanos(u64::from(i) * 10), 0, i)).unwrap();
    /// }
    /// let window = series.range(Timestamp::from_nanos(25), Timestamp::from_nanos(50)).unwrap();
    /// let values: Vec<u32> = window.map(|s| s.unwrap().value).collect();
    /// assert_eq!(values, [3, 4, 5]);
    /// ```
    pub fn range(&self, t0: impl TimeKey, t1: impl TimeKey) -> Result<Range<'_, T>, Busy> {
        let (t0, t1) = (t0.timestamp(), t1.timestamp());
        let search = search(self, t0)?;
        let end = if t0 <= t1 { search.hi } else { search.first };
        Ok(Range {
            series: self,
            next: search.first,
            end,
            t1,
        })
    }
}

/// Iterator over the values in a time window, from [`SeriesView::range`].
pub struct Range<'a, T> {
    series: &'a SeriesView<T>,
    next: u64,
    end: u64,
    t1: Timestamp,
}

impl<T: Pod> Iterator for Range<'_, T> {
    type Item = Result<Stamped<T>, Lapped>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let ring = &self.series.ring;
        let mut s = Stamped::new(Timestamp::ZERO, 0, T::zeroed());
        match ring.probe_settled(self.next, &mut s) {
            Probe::Value if s.stamp <= self.t1 => {
                self.next += 1;
                Some(Ok(s))
            }
            Probe::Lapped { by } => {
                let resume = ring.oldest_after_lap(self.next, by).min(self.end);
                let missed = resume - self.next;
                self.next = resume;
                Some(Err(Lapped { missed }))
            }
            // Past `t1`, or a slot inconsistent with the snapshot (only in corrupt shared
            // memory): the window ends here.
            _ => {
                self.next = self.end;
                None
            }
        }
    }
}

impl<T> fmt::Debug for Range<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Range")
            .field("next", &self.next)
            .field("end", &self.end)
            .field("t1", &self.t1)
            .finish_non_exhaustive()
    }
}

/// The single writer of a time series, from [`TimeSeries::writer`].
pub struct SeriesWriter<'a, T: Pod> {
    ring: RingWriter<'a, Stamped<T>>,
    last: Option<Timestamp>,
}

impl<'a, T: Pod> SeriesWriter<'a, T> {
    /// Claims the writer of `ring`, resuming after its newest stamp.
    fn claim(ring: &'a RingView<Stamped<T>>) -> Result<Self, WriterTaken> {
        let writer = ring.claim_writer()?;
        // With the writer claimed nothing else stores, so this read settles at once.
        let last = ring.latest().ok().flatten().map(|(_, s)| s.stamp);
        Ok(Self { ring: writer, last })
    }

    /// Appends `sample` and returns its write number, unless its stamp is earlier than the last
    /// one pushed. Equal stamps are accepted. Never blocks, no allocation, no syscall.
    ///
    /// ```
    /// use rtshm::{Stamped, TimeSeries, Timestamp};
    /// let series: TimeSeries<u8, 4> = TimeSeries::new();
    /// let mut w = series.writer().unwrap();
    /// assert_eq!(w.push(&Stamped::new(Timestamp::from_nanos(5), 0, 1)), Ok(0));
    /// assert_eq!(w.push(&Stamped::new(Timestamp::from_nanos(5), 1, 2)), Ok(1)); // equal stamps: fine
    /// assert!(w.push(&Stamped::new(Timestamp::from_nanos(4), 2, 3)).is_err());
    /// ```
    pub fn push(&mut self, sample: &Stamped<T>) -> Result<u64, NonMonotonic> {
        if let Some(last) = self.last
            && sample.stamp < last
        {
            return Err(NonMonotonic {
                last,
                given: sample.stamp,
            });
        }
        self.last = Some(sample.stamp);
        Ok(self.ring.push(sample))
    }

    /// The stamp of the last value pushed, if any.
    #[must_use]
    pub fn last_stamp(&self) -> Option<Timestamp> {
        self.last
    }

    /// This writer's counts: samples pushed (feature `stats`).
    #[cfg(feature = "stats")]
    #[must_use]
    pub fn stats(&self) -> crate::Stats {
        self.ring.stats()
    }
}

impl<T: Pod> fmt::Debug for SeriesWriter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeriesWriter")
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

impl<T: Pod> fmt::Debug for SeriesView<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeriesView")
            .field("ring", &&self.ring)
            .finish()
    }
}

#[cfg(test)]
mod lapping_tests {
    use core::cell::Cell;

    use super::*;

    /// A series of 64 stamps `n * 1000` whose writer pushes while a query probes: every
    /// `every`-th probe moves the oldest held write `lost` (and the newest) forward by one.
    struct Lapping {
        lost: Cell<u64>,
        probes: Cell<u64>,
        every: u64,
    }

    impl Stamps for Lapping {
        fn written(&self) -> u64 {
            self.lost.get() + 64
        }

        fn capacity(&self) -> u64 {
            64
        }

        fn stamp(&self, n: u64) -> Option<Timestamp> {
            let lost = self.lost.get();
            self.probes.set(self.probes.get() + 1);
            if self.probes.get().is_multiple_of(self.every) {
                self.lost.set(lost + 1);
            }
            (n >= lost && n < lost + 64).then(|| Timestamp::from_nanos(n * 1000))
        }
    }

    #[test]
    fn a_query_for_the_oldest_value_under_a_lapping_writer_moves_on_instead_of_failing() {
        // A binary search of 64 values probes 6 or 7 times: the writer laps its low end once
        // or twice during each, as a fast writer does. (Before, a lapped probe restarted the
        // whole search, which met the same race again until `Busy`.)
        let series = Lapping {
            lost: Cell::new(64),
            probes: Cell::new(0),
            every: 4,
        };
        // Before the window: the answer is the oldest value still held when it is read.
        let mut read = None;
        let found = closest_with(&series, Timestamp::from_nanos(0), Duration::MAX, |n| {
            read = Some(n);
            n >= series.lost.get()
        });
        assert_eq!(found, Ok(true));
        assert!(read.is_some_and(|n| n >= 64));
    }
}
