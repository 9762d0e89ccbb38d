//! The errors every wait shares ([`TimedOut`], [`WaitError`]) and the crate-level [`Error`]
//! that every per-operation error converts into, for callers that just want `?`.

use core::fmt;

use crate::key::Rejected;
use crate::queue::{ConsumerTaken, Full};
use crate::ring::{CapacityError, GetError, Lapped};
use crate::seqlock::{Busy, WriterTaken};
use crate::series::{InterpolationError, NonMonotonic};

unit_error! {
    /// A wait ended because its timeout passed. Every wait in rtshm reports a timeout this way:
    /// `Err(TimedOut)`, or `Err(WaitError::TimedOut)` where the wait can also fail otherwise.
    TimedOut,
    "timed out waiting for the publisher"
}

/// A wait for a ring's next value ended without one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitError {
    /// The timeout passed first.
    TimedOut,
    /// The writer overwrote values before they were read; the cursor moved on to the oldest
    /// value still held (see [`Lapped`]).
    Lapped(Lapped),
}

impl WaitError {
    /// Whether the wait ended because its timeout passed.
    #[must_use]
    pub const fn is_timeout(&self) -> bool {
        matches!(self, Self::TimedOut)
    }
}

impl From<TimedOut> for WaitError {
    fn from(TimedOut: TimedOut) -> Self {
        Self::TimedOut
    }
}

impl From<Lapped> for WaitError {
    fn from(e: Lapped) -> Self {
        Self::Lapped(e)
    }
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TimedOut => TimedOut.fmt(f),
            Self::Lapped(e) => e.fmt(f),
        }
    }
}

impl core::error::Error for WaitError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::TimedOut => None,
            Self::Lapped(e) => Some(e),
        }
    }
}

/// The `Error` enum (one variant per wrapped error, each documented as "See [`X`]."), its
/// `From` conversions, and the dispatch of `Display` and `source` to the wrapped error: the
/// list of errors is written once, below.
macro_rules! wrap {
    (
        $(#[$enum_attr:meta])*
        pub enum Error;
        $( $(#[$attr:meta])* $variant:ident($error:ty) ),* $(,)?
    ) => {
        $(#[$enum_attr])*
        #[derive(Debug)]
        #[non_exhaustive]
        pub enum Error {
            $(
                #[doc = concat!("See [`", stringify!($error), "`].")]
                $(#[$attr])*
                $variant($error),
            )*
        }

        $(
            $(#[$attr])*
            impl From<$error> for Error {
                fn from(e: $error) -> Self {
                    Self::$variant(e)
                }
            }
        )*

        impl Error {
            /// The wrapped error.
            fn inner(&self) -> &(dyn core::error::Error + 'static) {
                match self {
                    $( $(#[$attr])* Self::$variant(e) => e, )*
                }
            }
        }
    };
}

wrap! {
    /// Any rtshm error: every per-operation error converts into it with `?`, unchanged inside.
    /// Its `Display` is the wrapped error's.
    ///
    /// Each operation keeps its precise error (a [`Lapped`] says how many values were lost, a
    /// shared-memory `OpenError` which header field differed); `Error` wraps them unchanged, so
    /// nothing is lost by converting, and `match`ing on it reaches the precise one.
    ///
    /// ```
    /// use rtshm::{Queue, Ring};
    ///
    /// fn relay(commands: &Queue<u32, 4>, log: &Ring<u32, 8>) -> Result<u32, rtshm::Error> {
    ///     let mut producer = commands.producer()?; // WriterTaken
    ///     producer.try_push(&7)?; // Full
    ///     let mut consumer = commands.consumer()?; // ConsumerTaken
    ///     let command = consumer.try_pop().unwrap_or_default();
    ///     log.writer()?.push(&command);
    ///     Ok(log.get(0)?) // GetError
    /// }
    /// static COMMANDS: Queue<u32, 4> = Queue::new();
    /// static LOG: Ring<u32, 8> = Ring::new();
    /// assert_eq!(relay(&COMMANDS, &LOG)?, 7);
    /// # Ok::<(), rtshm::Error>(())
    /// ```
    pub enum Error;
    Busy(Busy),
    WriterTaken(WriterTaken),
    ConsumerTaken(ConsumerTaken),
    Full(Full),
    Capacity(CapacityError),
    Get(GetError),
    Lapped(Lapped),
    TimedOut(TimedOut),
    NonMonotonic(NonMonotonic),
    Interpolation(InterpolationError),
    Rejected(Rejected),
    Layout(crate::layout::LayoutError),
    Schema(crate::schema::EncodeError),
    #[cfg(all(feature = "std", not(rtshm_loom)))]
    Create(crate::shm::CreateError),
    #[cfg(all(feature = "std", not(rtshm_loom)))]
    Open(crate::shm::OpenError),
    #[cfg(all(feature = "std", not(rtshm_loom)))]
    Takeover(crate::shm::TakeoverError),
    #[cfg(all(feature = "std", not(rtshm_loom)))]
    Raw(crate::shm::RawError),
    #[cfg(all(feature = "std", not(rtshm_loom)))]
    Consumer(crate::shm::ConsumerError),
    #[cfg(all(feature = "std", not(rtshm_loom)))]
    InvalidName(crate::shm::InvalidName),
    #[cfg(feature = "std")]
    Io(std::io::Error),
}

impl From<WaitError> for Error {
    fn from(e: WaitError) -> Self {
        match e {
            WaitError::TimedOut => Self::TimedOut(TimedOut),
            WaitError::Lapped(e) => Self::Lapped(e),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.inner(), f)
    }
}

impl core::error::Error for Error {
    /// The wrapped error's source (`Error` is transparent: its `Display` already is the
    /// wrapped error's).
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        self.inner().source()
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use core::error::Error as _;
    use std::string::ToString;

    #[test]
    fn errors_convert_unchanged_and_display_as_themselves() {
        fn lapped() -> Result<(), Error> {
            Err(Lapped { missed: 3 })?
        }
        let e = lapped().unwrap_err();
        assert!(matches!(e, Error::Lapped(Lapped { missed: 3 })));
        assert_eq!(e.to_string(), Lapped { missed: 3 }.to_string());
        assert!(e.source().is_none());
        assert!(matches!(
            Error::from(WaitError::TimedOut),
            Error::TimedOut(TimedOut)
        ));
        assert!(WaitError::from(TimedOut).is_timeout());
        assert!(!WaitError::from(Lapped { missed: 1 }).is_timeout());
    }
}
