//! A glob import of the crate root, `shm`, `key` and `layout` together is unambiguous: every
//! name used below resolves to one item (issue 21: `shm::kind::Ring` and `key::Range` used to
//! collide with the root's `Ring` and `Range`).
#![cfg(all(feature = "std", not(rtshm_loom), not(miri)))]
#![allow(unused_imports)]
#![deny(ambiguous_glob_imports)]

use rtshm::key::*;
use rtshm::layout::*;
use rtshm::shm::*;
use rtshm::*;

#[test]
fn the_root_and_shm_globs_do_not_collide() {
    let ring: Ring<u8, 2> = Ring::new();
    let _: Option<(SeqLock<u8>, TimeSeries<u8, 2>)> = None;
    let _: Option<Range<'static, u8>> = None;
    let _ = InRange {
        min: Timestamp::ZERO,
        max: Timestamp::MAX,
    };
    let _: Option<(
        SeqLockPublisher<u8>,
        RingSubscriber<u8>,
        TimeSeriesSubscriber<u8>,
    )> = None;
    let _: Option<(SeqLockKind<u8>, RingKind<u8>, TimeSeriesKind<u8>)> = None;
    let _: Option<(Error, TimedOut, WaitError, Kind, Cursor<u8>)> = None;
    let _: Option<(CreateConfig, OpenConfig)> = None;
    assert_eq!(ring.capacity(), 2);
}
