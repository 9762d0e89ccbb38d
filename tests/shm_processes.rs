//! Cross-process tests: the test binary re-executes itself as a publisher child
//! (`child_process_entry`, selected by `RTSHM_CHILD`), and the parent subscribes. Under qemu-user
//! the child is started through cargo's runner for the target (see `common::spawn_child`).
#![cfg(all(feature = "std", not(rtshm_loom), not(miri)))]

mod common;

use std::process::Child;
use std::thread;
use std::time::{Duration, Instant};

use rtshm::shm::{
    RingKind, RingPublisher, SeqLockKind, SeqLockPublisher, SeqLockSubscriber, Subscriber,
};
use rtshm::{Lapped, TimedOut, Timestamp, Version, WaitError};

const STORES: u64 = 20;
const RING_VALUES: u64 = 5_000;

/// Waits for the child with a deadline, killing it if it hangs.
fn reap(mut child: Child, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait child") {
            assert!(status.success(), "child failed: {status}");
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("child did not finish within {limit:?}");
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// Opens `name` once the child has created it.
fn open_when_ready<K: rtshm::shm::Structure>(name: &str) -> Subscriber<K> {
    Subscriber::<K>::open_timeout(name, Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("open {name}: {e}"))
}

/// The child side. A no-op unless started by `spawn_child`.
#[test]
fn child_process_entry() {
    let Ok(spec) = std::env::var("RTSHM_CHILD") else {
        return;
    };
    let (role, name) = spec.split_once(':').expect("role:name");
    match role {
        "seqlock-writer" => {
            let mut p = SeqLockPublisher::<[u64; 2]>::create(name).unwrap();
            // Give the parent time to open and block in `wait_newer` before each store.
            for i in 1..=STORES {
                thread::sleep(Duration::from_millis(20));
                p.store(&[Timestamp::now().as_nanos(), i]);
            }
            thread::sleep(Duration::from_millis(300));
        }
        "ring-writer" => {
            let mut p = RingPublisher::<[u64; 4]>::create(name, 16).unwrap();
            thread::sleep(Duration::from_millis(100));
            for i in 0..RING_VALUES {
                p.push(&[i; 4]);
                if i % 64 == 0 {
                    thread::yield_now();
                }
            }
            thread::sleep(Duration::from_millis(300));
        }
        "memfd-reader" => {
            use std::os::fd::{FromRawFd, OwnedFd};
            let raw: i32 = name.parse().expect("fd number");
            // SAFETY: the parent passed this descriptor (inherited, not close-on-exec) for this
            // child to own.
            let fd = unsafe { OwnedFd::from_raw_fd(raw) };
            let sub = SeqLockSubscriber::<[u64; 2]>::from_fd(fd, Default::default())
                .expect("open the memfd");
            let ([a, b], v) = sub
                .wait_newer(Version::INITIAL, Duration::from_secs(10))
                .expect("the parent stores");
            assert_eq!((a, b, v.get()), (42, 43, 1));
        }
        other => panic!("unknown child role {other}"),
    }
}

fn name(test: &str) -> String {
    format!("rtshm-proc-{}-{test}", std::process::id())
}

#[test]
fn reader_in_another_process_is_woken_promptly_by_each_store() {
    let n = name("wake");
    let child = common::spawn_child("seqlock-writer", &n);
    let sub = open_when_ready::<SeqLockKind<[u64; 2]>>(&n);
    let mut last = Version::INITIAL;
    let mut latencies = Vec::new();
    while last.get() < STORES {
        let ([stamp, i], version) = sub
            .wait_newer(last, Duration::from_secs(10))
            .expect("a store within 10 s");
        latencies.push(Timestamp::now().saturating_duration_since(Timestamp::from_nanos(stamp)));
        assert_eq!(i, version.get(), "value belongs to its version");
        assert!(version > last);
        last = version;
    }
    assert!(matches!(
        sub.wait_newer(last, Duration::from_millis(30)),
        Err(TimedOut)
    ));
    reap(child, Duration::from_secs(30));
    latencies.sort();
    let median = latencies[latencies.len() / 2];
    eprintln!(
        "wake latency over {} stores: median {median:?}, max {:?}",
        latencies.len(),
        latencies.last().unwrap()
    );
    assert!(
        median < Duration::from_millis(10),
        "median wake latency {median:?}"
    );
}

#[test]
fn ring_reader_in_another_process_gets_every_value_or_an_exact_lap_count() {
    let n = name("ring");
    let child = common::spawn_child("ring-writer", &n);
    let sub = open_when_ready::<RingKind<[u64; 4]>>(&n);
    let mut cursor = sub.cursor_from_oldest();
    let start = cursor.position();
    let (mut expected, mut read, mut missed) = (start, 0u64, 0u64);
    while expected < RING_VALUES {
        match sub.wait_next(&mut cursor, Duration::from_secs(10)) {
            Ok(v) => {
                assert_eq!(v, [expected; 4], "torn or out of order");
                expected += 1;
                read += 1;
            }
            Err(WaitError::Lapped(Lapped { missed: m })) => {
                expected += m;
                missed += m;
            }
            Err(e) => panic!("no value within 10 s at {expected}: {e}"),
        }
    }
    assert_eq!(start + read + missed, RING_VALUES);
    eprintln!("cross-process ring: {read} read, {missed} lost to laps (counted)");
    reap(child, Duration::from_secs(30));
}

#[test]
fn memfd_segment_passed_to_a_child_process() {
    use std::os::fd::AsRawFd;
    let mut p = SeqLockPublisher::<[u64; 2]>::create_memfd("test", Default::default()).unwrap();
    let fd = p.share_fd().unwrap();
    let child = common::spawn_child("memfd-reader", &fd.as_raw_fd().to_string());
    drop(fd); // the child holds its inherited copy
    thread::sleep(Duration::from_millis(50));
    p.store(&[42, 43]);
    reap(child, Duration::from_secs(30));
}
