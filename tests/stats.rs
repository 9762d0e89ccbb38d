//! Statistics counters (feature `stats`) are exact in deterministic single-threaded runs.
#![cfg(all(feature = "stats", feature = "std", not(miri), not(rtshm_loom)))]

use std::fs::OpenOptions;
use std::io::{Seek, SeekFrom, Write};
use std::time::Duration;

use rtshm::layout::DATA_OFFSET;
use rtshm::shm::{SeqLockPublisher, SeqLockSubscriber};
use rtshm::{Busy, Lapped, Ring, SeqLock, Stats, TRY_LOAD_ATTEMPTS, Version};

fn name(test: &str) -> String {
    format!("rtshm-test-stats-{}-{test}", std::process::id())
}

/// Every counter, in declaration order: reads, retries, busy, laps, missed, waits, wakeups,
/// stores.
fn all(s: Stats) -> [u64; 8] {
    [
        s.reads, s.retries, s.busy, s.laps, s.missed, s.waits, s.wakeups, s.stores,
    ]
}

#[test]
fn in_process_writers_and_cursors_count_exactly() {
    let lock = SeqLock::new(0u64);
    let mut w = lock.writer().unwrap();
    for v in 0..5 {
        w.store(&v);
    }
    assert_eq!(all(w.stats()), [0, 0, 0, 0, 0, 0, 0, 5]);

    let ring: Ring<u32, 4> = Ring::new();
    let mut cursor = ring.cursor_from_oldest();
    let mut rw = ring.writer().unwrap();
    for v in 0..10 {
        rw.push(&v);
    }
    assert_eq!(ring.next(&mut cursor), Err(Lapped { missed: 6 }));
    while let Ok(Some(_)) = ring.next(&mut cursor) {}
    for v in 10..13 {
        rw.push(&v);
    }
    assert_eq!(ring.next(&mut cursor), Ok(Some(10)));
    assert_eq!(all(cursor.stats()), [5, 0, 0, 1, 6, 0, 0, 0]);
    assert_eq!(all(rw.stats()), [0, 0, 0, 0, 0, 0, 0, 13]);
}

#[test]
fn subscribers_count_reads_retries_busy_results_and_waits() {
    let n = name("seqlock");
    let mut publisher = SeqLockPublisher::<u64>::create(&n).unwrap();
    let subscriber = SeqLockSubscriber::<u64>::open(&n).unwrap();
    for v in 1..=3 {
        publisher.store(&v);
    }
    let mut value = 0;
    let last = subscriber.try_load_into(&mut value).unwrap();
    assert_eq!((value, last.get()), (3, 3));
    assert!(subscriber.try_load().is_ok());

    // Nothing newer within 5 ms: one wait, no wake-up. Something newer: no wait at all.
    assert!(
        subscriber
            .wait_newer(last, Duration::from_millis(5))
            .is_err()
    );
    assert!(
        subscriber
            .wait_newer(Version::INITIAL, Duration::from_millis(5))
            .is_ok()
    );

    // A store left half done (odd sequence, as a writer killed mid-store leaves it): every
    // attempt of a bounded read fails.
    let mut file = OpenOptions::new()
        .write(true)
        .open(format!("/dev/shm/{n}"))
        .unwrap();
    file.seek(SeekFrom::Start(DATA_OFFSET as u64)).unwrap();
    file.write_all(&7u64.to_ne_bytes()).unwrap();
    assert_eq!(subscriber.try_load(), Err(Busy));

    let retries = u64::from(TRY_LOAD_ATTEMPTS - 1);
    assert_eq!(all(subscriber.stats()), [3, retries, 1, 0, 0, 1, 0, 0]);
    assert_eq!(all(publisher.stats()), [0, 0, 0, 0, 0, 0, 0, 3]);
}
