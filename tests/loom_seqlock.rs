//! Loom models of the SeqLock protocol.
//!
//! Run with `RUSTFLAGS="--cfg rtshm_loom" cargo test --release --test loom_seqlock`
//! (`ci/loom.sh`). Loom explores every interleaving (up to the preemption bound) and every value
//! a `Relaxed` load may return under the C++20 memory model. Each of the four orderings of the
//! protocol (the writer's Release fence and final Release store, the reader's two Acquire
//! fences) is needed: weakening any one makes `one_store_two_readers_never_tear` fail with a
//! torn or stale value accepted.
#![cfg(rtshm_loom)]

mod common;

use loom::sync::Arc;
use loom::thread;
use rtshm::{SeqLock, Version};

/// The value of store `v`: every word equals the version.
fn expected(v: Version) -> [usize; 2] {
    [v.get() as usize; 2]
}

/// `reads` bounded reads; every accepted value must be the one its version stored.
fn reader(lock: &SeqLock<[usize; 2]>, reads: usize) {
    let mut buf = [0usize; 2];
    let mut last = Version::INITIAL;
    for _ in 0..reads {
        if let Ok(version) = lock.try_load_into(&mut buf) {
            assert_eq!(
                buf,
                expected(version),
                "torn or stale value accepted at {version}"
            );
            assert!(version >= last, "version went backwards");
            last = version;
        }
    }
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    common::loom_model(3, f);
}

fn run(stores: usize, readers: usize, reads: usize) {
    let lock = Arc::new(SeqLock::new([0usize; 2]));
    let handles: Vec<_> = (0..readers)
        .map(|_| {
            let lock = Arc::clone(&lock);
            thread::spawn(move || reader(&lock, reads))
        })
        .collect();
    {
        let mut writer = lock.writer().unwrap();
        for v in 1..=stores {
            writer.store(&[v, v]);
        }
    }
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(lock.try_load(), Ok([stores, stores]));
}

#[test]
fn one_store_two_readers_never_tear() {
    model(|| run(1, 2, 1));
}

#[test]
fn two_stores_one_reader_never_tears_and_never_goes_back() {
    model(|| run(2, 1, 2));
}

#[test]
fn writer_claim_is_exclusive_across_threads() {
    model(|| {
        let lock = Arc::new(SeqLock::new(0usize));
        let other = Arc::clone(&lock);
        let t = thread::spawn(move || other.writer().map(|mut w| w.store(&1)).is_ok());
        let here = lock.writer().map(|mut w| w.store(&2)).is_ok();
        let there = t.join().unwrap();
        // Both claims may succeed one after the other; the version counts every store.
        let stores = u64::from(here) + u64::from(there);
        assert!(stores >= 1);
        assert_eq!(lock.version().get(), stores);
    });
}
