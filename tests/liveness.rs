//! Writer liveness and crash-safe takeover, with real processes: writers are SIGKILLed in the
//! middle of storing 1 MiB values while readers read, and new writers take over.
#![cfg(all(feature = "std", not(rtshm_loom), not(miri)))]
// Test scaffolding (a stop flag, a raw look at the sequence word): the rule that atomics come
// from `crate::sync` is for the library.
#![allow(clippy::disallowed_types)]

mod common;

use std::fs;
use std::io::{Seek, SeekFrom, Write};
use std::process::Child;
use std::thread;
use std::time::{Duration, Instant};

use nanorand::{Rng, WyRand};
use rtshm::layout::OWNER_OFFSET;
use rtshm::liveness::{OwnerToken, WriterStatus};
use rtshm::shm::{
    self, OpenError, RingPublisher, RingSubscriber, SeqLockPublisher, SeqLockSubscriber,
    TakeoverError,
};

/// Tests that call `shm::remove_dead` (which removes every dead writer's segment) must not run
/// while the kill/takeover test has a dead writer's segment between two cycles.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Sets `flag` when dropped, so reader threads stop even if the test panics.
struct StopOnDrop<'a>(&'a std::sync::atomic::AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Overwrites a segment's owner word, as a crashed or recycled process would have left it.
fn write_owner(name: &str, token: OwnerToken) {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .open(format!("/dev/shm/{name}"))
        .unwrap();
    f.seek(SeekFrom::Start(OWNER_OFFSET as u64)).unwrap();
    f.write_all(&token.to_raw().to_ne_bytes()).unwrap();
}

/// 1 MiB of words; every word of a stored value is the same.
const WORDS: usize = 128 * 1024;
type Big = [u64; WORDS];

fn name(test: &str) -> String {
    format!("rtshm-live-{}-{test}", std::process::id())
}

/// The child side: a writer that takes the segment over (or creates it) and stores 1 MiB
/// values, every word `epoch << 40 | n`, until it is killed.
#[test]
fn child_process_entry() {
    let Ok(spec) = std::env::var("RTSHM_CHILD") else {
        return;
    };
    let (role, name) = spec.split_once(':').expect("role:name");
    assert_eq!(role, "big-writer");
    let mut p = SeqLockPublisher::<Big>::create_or_recover(name).expect("take over");
    let epoch = p.epoch();
    let mut value: Box<Big> = bytemuck::zeroed_box();
    for n in 1u64.. {
        value.fill(epoch << 40 | n);
        p.store(&value);
        // A short pause lets readers complete a copy between two 1 MiB stores (a flat-out
        // writer starves SeqLock readers of large values, by design).
        thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn sigkilled_writers_are_taken_over_and_readers_never_accept_a_torn_value() {
    let _serial = serial();
    let n = name("sigkill");
    let cycles = common::scaled(100).clamp(10, 100);
    let mut rng = WyRand::new_seed(common::seed(0x5161_4b11));
    let sub = {
        let first = common::spawn_child("big-writer", &n);
        let deadline = Instant::now() + Duration::from_secs(20);
        let sub = loop {
            match SeqLockSubscriber::<Big>::open(&n) {
                Ok(s) => break s,
                Err(OpenError::NotFound) if Instant::now() < deadline => {
                    thread::sleep(Duration::from_millis(2))
                }
                Err(e) => panic!("{e}"),
            }
        };
        let torn = kill_when_storing(first, &sub, &mut rng, 0);
        (sub, u64::from(torn))
    };
    let (sub, mut torn_kills) = sub;
    let stop = std::sync::atomic::AtomicBool::new(false);
    let (accepted, busy) = thread::scope(|s| {
        let readers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut buf: Box<Big> = bytemuck::zeroed_box();
                    let (mut ok, mut busy) = (0u64, 0u64);
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let started = Instant::now();
                        match sub.try_load_into(&mut buf) {
                            Ok(_) => {
                                assert!(
                                    buf.iter().all(|&w| w == buf[0]),
                                    "torn 1 MiB value accepted"
                                );
                                ok += 1;
                            }
                            Err(rtshm::Busy) => busy += 1,
                        }
                        assert!(started.elapsed() < Duration::from_secs(5), "read stuck");
                    }
                    (ok, busy)
                })
            })
            .collect();
        let stop_readers = StopOnDrop(&stop);
        for cycle in 1..cycles {
            let child = common::spawn_child("big-writer", &n);
            torn_kills += u64::from(kill_when_storing(child, &sub, &mut rng, cycle));
        }
        drop(stop_readers);
        readers
            .into_iter()
            .map(|r| r.join().unwrap())
            .fold((0, 0), |(a, b), (c, d)| (a + c, b + d))
    });
    assert_eq!(
        sub.epoch(),
        cycles - 1,
        "one takeover per cycle after the first"
    );
    assert_eq!(
        sub.writer_status(Duration::from_secs(1)),
        WriterStatus::Dead
    );
    eprintln!(
        "{cycles} kill/takeover cycles ({torn_kills} killed mid-store): \
         {accepted} consistent reads, {busy} busy"
    );
    assert!(accepted > 0);
    // A last takeover in this process: readers see the new writer's values.
    let mut p = SeqLockPublisher::<Big>::open_existing(&n).unwrap();
    assert_eq!(p.epoch(), cycles);
    let mut v: Box<Big> = bytemuck::zeroed_box();
    v.fill(7);
    p.store(&v);
    let mut buf: Box<Big> = bytemuck::zeroed_box();
    sub.try_load_into(&mut buf).unwrap();
    assert!(buf.iter().all(|&w| w == 7));
    assert!(matches!(
        sub.writer_status(Duration::from_secs(1)),
        WriterStatus::Alive { .. }
    ));
}

/// Waits until `child` owns the segment at epoch `epoch` and has stored, then kills it after a
/// random few milliseconds (often in the middle of a 1 MiB store), and reaps it. Returns whether
/// the kill cut a store short.
fn kill_when_storing(
    mut child: Child,
    sub: &SeqLockSubscriber<Big>,
    rng: &mut WyRand,
    epoch: u64,
) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    let before = sub.version();
    while sub.epoch() < epoch || sub.version() <= before {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("writer exited early: {status}");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("writer made no progress");
        }
        thread::sleep(Duration::from_micros(200));
    }
    thread::sleep(Duration::from_micros(rng.generate_range(0..8_000u64)));
    child.kill().unwrap();
    child.wait().unwrap();
    // An odd sequence left behind: the kill landed in the middle of a store.
    sub.version().get() * 2 != seq_of(sub)
}

/// The raw sequence word (odd while a store is in progress or was cut short).
fn seq_of(sub: &SeqLockSubscriber<Big>) -> u64 {
    let (addr, _) = sub.data_mapping();
    // SAFETY: the data mapping starts with the SeqLock's 8-aligned sequence word, mapped while
    // `sub` lives; only an atomic load touches it.
    unsafe {
        (*(addr as *const std::sync::atomic::AtomicU64)).load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[test]
fn a_second_live_writer_is_refused() {
    let n = name("alive");
    let _p = RingPublisher::<u32>::create(&n, 4).unwrap();
    let me = std::process::id() as i32;
    assert!(matches!(
        RingPublisher::<u32>::open_existing(&n),
        Err(TakeoverError::WriterAlive { pid }) if pid == me
    ));
    assert!(matches!(
        RingPublisher::<u32>::create_or_recover(&n, 4),
        Err(TakeoverError::WriterAlive { .. })
    ));
}

#[test]
fn a_recycled_pid_is_reported_dead_and_taken_over() {
    let n = name("recycled");
    let mut p = RingPublisher::<u32>::create(&n, 4).unwrap();
    p.push(&5);
    p.persist();
    std::mem::forget(p); // like a crash: the owner word still names this process
    // Our own PID with a different start time: the PID was reused by another process.
    let me = OwnerToken::current();
    let stale = OwnerToken::new(me.pid().unwrap() as u32, (me.to_raw() >> 32) + 1);
    write_owner(&n, stale);
    let sub = RingSubscriber::<u32>::open(&n).unwrap();
    assert_eq!(
        sub.writer_status(Duration::from_secs(1)),
        WriterStatus::Dead
    );
    let listed = shm::list().unwrap();
    let info = listed
        .iter()
        .find(|l| l.name == n)
        .unwrap()
        .info
        .as_ref()
        .unwrap();
    assert_eq!(info.writer, WriterStatus::Dead);
    // Take over: the epoch grows and writing resumes after the last value.
    let mut q = RingPublisher::<u32>::create_or_recover(&n, 4).unwrap();
    assert_eq!(q.epoch(), 1);
    assert_eq!(q.push(&6), 1);
    assert_eq!(sub.latest(), Ok(Some((1, 6))));
    assert!(matches!(
        sub.writer_status(Duration::from_secs(1)),
        WriterStatus::Alive { .. }
    ));
    assert!(matches!(
        RingPublisher::<u32>::create_or_recover(&n, 8),
        Err(TakeoverError::WriterAlive { .. })
    ));
}

#[test]
fn a_writer_that_stops_beating_is_stale_and_a_clean_exit_is_unowned() {
    let _serial = serial();
    let n = name("stale");
    let mut p = SeqLockPublisher::<u32>::create(&n).unwrap();
    p.store(&1);
    let sub = SeqLockSubscriber::<u32>::open(&n).unwrap();
    let threshold = Duration::from_millis(30);
    thread::sleep(threshold * 3);
    assert!(matches!(sub.writer_status(threshold), WriterStatus::Stale { age } if age > threshold));
    let beat = Instant::now();
    p.heartbeat();
    let status = sub.writer_status(threshold);
    // Alive, unless this thread was descheduled for the whole threshold since the beat.
    assert!(
        matches!(status, WriterStatus::Alive { .. }) || beat.elapsed() >= threshold,
        "{status}"
    );
    p.persist();
    drop(p);
    assert_eq!(sub.writer_status(threshold), WriterStatus::Unowned);
    assert!(
        shm::remove_dead().unwrap().iter().all(|r| r != &n),
        "unowned is not dead"
    );
    shm::remove(&n).unwrap();
}

#[test]
fn remove_dead_removes_only_segments_whose_writer_died() {
    let _serial = serial();
    let n = name("gc");
    let p = SeqLockPublisher::<u32>::create(&n).unwrap();
    std::mem::forget(p);
    let me = OwnerToken::current();
    let dead = OwnerToken::new(me.pid().unwrap() as u32, (me.to_raw() >> 32) + 7);
    write_owner(&n, dead);
    let alive = name("gc-alive");
    let _q = SeqLockPublisher::<u32>::create(&alive).unwrap();
    let removed = shm::remove_dead().unwrap();
    assert!(removed.contains(&n));
    assert!(!removed.contains(&alive));
    assert!(matches!(
        SeqLockSubscriber::<u32>::open(&n),
        Err(OpenError::NotFound)
    ));
}
