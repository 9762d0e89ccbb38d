//! Real-time, lock-free primitives for robots and embedded Linux.
//!
//! A process writes sensor data into memory; other threads, processes or interrupt handlers read
//! it without locks, without syscalls on the hot path, and without ever seeing a torn value.
//!
//! - [`SeqLock`]: one writer, many wait-free readers of a single value.
//! - [`Ring`] / [`RingView`]: a power-of-two cyclic buffer with a sequence per slot; readers own
//!   a [`Cursor`] that reports exactly how many values it missed when lapped.
//! - [`Stamped`], [`Timestamp`]: values with their time; [`TimeSeries`] / [`SeriesView`]: latest,
//!   freshness, closest-in-time, interpolation and window queries over a ring of them.
//!
//! - `shm` (feature `std`): the same structures in named shared-memory segments, with a
//!   validated header, read-only subscribers and futex waits.
//!
//! Values are [`Payload`]s: any [`bytemuck::Pod`] type, or [`Stamped`] of one.
//!
//! The core is `no_std` and allocation-free; it works on any memory (a `static`, a `Box`, and in
//! later layers a shared mapping). The `std` feature (default) adds thread yielding to blocking
//! loads; shared-memory segments build on it.
//!
//! ```
//! use bytemuck::{Pod, Zeroable};
//! use rtshm::SeqLock;
//!
//! #[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
//! #[repr(C)]
//! struct Imu { accel: [f32; 3], gyro: [f32; 3] }
//!
//! static SENSOR: SeqLock<Imu> = SeqLock::new(Imu { accel: [0.0; 3], gyro: [0.0; 3] });
//!
//! let mut writer = SENSOR.writer()?;
//! writer.store(&Imu { accel: [0.0, 0.0, 9.81], gyro: [0.0; 3] });
//! assert_eq!(SENSOR.load().accel[2], 9.81);
//! # Ok::<(), rtshm::WriterTaken>(())
//! ```
//!
//! # Soundness
//! Shared payload bytes are only ever copied with `Relaxed` atomic word loads and stores, ordered
//! by fences as the C++20/Rust memory model requires (see the [`seqlock`] module). No
//! `read_volatile`, `ptr::copy` or `memcpy` touches memory another thread may write; Miri's data
//! race detector and loom models check this in CI. (The slots of the in-process [`Queue`], which
//! its index protocol hands to one side at a time, are copied plainly: see the [`queue`] module.)
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "std")]
extern crate std;

// Without compare-and-swap every atomic rtshm needs comes from portable-atomic, which must be
// told how to make them; without that the build would fail with unresolved imports.
#[cfg(all(
    not(target_has_atomic = "ptr"),
    not(rtshm_loom),
    not(feature = "critical-section"),
    not(feature = "unsafe-assume-single-core"),
    not(portable_atomic_unsafe_assume_single_core),
))]
compile_error!(
    "this target has no compare-and-swap (thumbv6m, riscv32i...): enable rtshm's \
     `critical-section` feature (with a critical-section implementation, e.g. cortex-m's \
     `critical-section-single-core`), or `unsafe-assume-single-core` for single-core \
     privileged firmware (README, \"Bare metal\")"
);

/// A unit error type: the doc comment and attributes given, `Clone, Copy, Debug, PartialEq, Eq`,
/// the `Display` message (a format string and its arguments) and `core::error::Error`.
macro_rules! unit_error {
    ($(#[$attr:meta])* $name:ident, $($message:tt)+) => {
        $(#[$attr])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[allow(
            clippy::exhaustive_structs,
            reason = "a unit error; callers match on it by name"
        )]
        pub struct $name;

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, $($message)+)
            }
        }

        impl core::error::Error for $name {}
    };
}

mod error;
pub mod image;
pub mod key;
pub mod layout;
#[cfg(all(feature = "std", not(rtshm_loom)))]
pub mod liveness;
mod payload;
pub mod queue;
pub mod ring;
pub mod seqlock;
pub mod series;
#[cfg(all(feature = "std", not(rtshm_loom)))]
pub mod shm;
mod stamped;
pub mod stats;
mod sync;
mod time;
#[cfg(any(feature = "std", rtshm_loom))]
#[cfg_attr(rtshm_loom, allow(dead_code))] // used by `shm`, which loom builds leave out
mod wait;
mod words;

/// The README's examples, compiled and run as doctests (not under Miri, which cannot map
/// shared memory; the same code paths run under Miri through the unit tests).
#[cfg(all(doctest, not(miri), feature = "std"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use error::{Error, TimedOut, WaitError};
pub use key::{TimeKey, Validated};
pub use payload::Payload;
pub use queue::{Consumer, ConsumerTaken, Full, Producer, Queue};
pub use ring::{
    Capacity, CapacityError, Cursor, GetError, Lapped, Ring, RingBuf, RingHead, RingView,
    RingWriter, Slot,
};
pub use seqlock::{Busy, SeqLock, SeqWriter, TRY_LOAD_ATTEMPTS, Version, WriterTaken};
pub use series::{
    InterpolationError, Lerp, NonMonotonic, Range, SeriesView, SeriesWriter, TimeSeries,
};
pub use stamped::Stamped;
#[cfg(feature = "std")]
pub use stamped::stamp;
pub use stats::Stats;
pub use time::{Clock, Timestamp};

/// Schemas: what a payload's bytes mean (type name, size, alignment, named fields). The
/// [`Schema`] trait and its derive are at the crate root.
pub mod schema {
    pub use rtshm_schema::*;
}
/// `#[derive(Schema)]` for a `#[repr(C)]` struct with named fields whose types implement
/// [`Schema`](trait@Schema) and that is `bytemuck::Pod` (no padding).
///
/// ```
/// #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
/// #[repr(C)]
/// struct Imu {
///     stamp_ns: u64,
///     accel: [f32; 3],
///     gyro: [f32; 3],
/// }
///
/// use rtshm::Schema;
/// let mut buf = [0u8; 128];
/// let schema = Imu::TYPE.encode(&mut buf)?;
/// assert_eq!(
///     schema.msg().to_string(),
///     "uint64 stamp_ns\nfloat32[3] accel\nfloat32[3] gyro\n"
/// );
/// # Ok::<(), rtshm::schema::EncodeError>(())
/// ```
///
/// Without `#[repr(C)]` the field offsets are not stable, and the derive refuses:
///
/// ```compile_fail
/// #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
/// struct Imu {
///     stamp_ns: u64,
///     accel: [f32; 3],
/// }
/// ```
///
/// Nor does it accept padding (here 4 bytes after `id`): the struct is not `Pod`.
///
/// ```compile_fail
/// #[derive(Clone, Copy, rtshm::Schema)]
/// #[repr(C)]
/// struct Padded {
///     id: u32,
///     stamp_ns: u64,
/// }
/// ```
#[cfg(feature = "derive")]
pub use rtshm_derive::Schema;
pub use rtshm_schema::Schema;

// The derive names `::rtshm`, also inside this crate's own tests.
extern crate self as rtshm;
