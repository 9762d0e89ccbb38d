//! A writer stores values whose every word equals the store's version while readers load them
//! concurrently: a reader must never accept a value whose words disagree, or whose words disagree
//! with the version it reports, and versions must never go backwards.
//!
//! Iterations scale down under Miri and under emulation (`RTSHM_TEST_SCALE=small`, set by the
//! qemu CI script) instead of being skipped.
#![cfg(not(rtshm_loom))]

mod common;

use std::thread;

use rtshm::{SeqLock, Version};

/// Checks one accepted read: all words equal, and equal to the version that produced them.
fn check<const N: usize>(value: &[u64; N], version: Version) {
    assert!(
        value.iter().all(|&w| w == value[0]),
        "torn read accepted at {version}: first word {}, other words differ",
        value[0]
    );
    assert_eq!(
        value[0],
        version.get(),
        "value does not belong to its version"
    );
}

fn writer_and_readers_never_tear<const N: usize>(total: u64, readers: usize) {
    let lock: Box<SeqLock<[u64; N]>> = bytemuck::zeroed_box();
    let lock = &*lock;
    thread::scope(|s| {
        for r in 0..readers {
            s.spawn(move || {
                let mut last = Version::INITIAL;
                let mut buf = Box::new([0u64; N]);
                let mut accepted = 0u64;
                loop {
                    // Alternate the blocking and the bounded read paths.
                    let version = if r % 2 == 0 {
                        lock.load_into(&mut buf)
                    } else {
                        match lock.try_load_into(&mut buf) {
                            Ok(v) => v,
                            Err(rtshm::Busy) => {
                                thread::yield_now();
                                continue;
                            }
                        }
                    };
                    check(&buf, version);
                    assert!(
                        version >= last,
                        "version went backwards: {last} then {version}"
                    );
                    accepted += u64::from(version > last);
                    last = version;
                    if version.get() == total {
                        break;
                    }
                }
                assert!(accepted >= 1);
            });
        }
        s.spawn(move || {
            let mut writer = lock.writer().expect("only writer");
            let mut value = Box::new([0u64; N]);
            for i in 1..=total {
                value.fill(i);
                assert_eq!(writer.store(&value).get(), i);
            }
        });
    });
    let (value, version) = lock
        .load_if_newer(Version::INITIAL)
        .expect("stores happened");
    check(&value, version);
    assert_eq!(version.get(), total);
}

#[test]
fn readers_never_accept_torn_64_byte_values() {
    writer_and_readers_never_tear::<8>(common::scaled(1_000_000), 2);
}

#[test]
fn readers_never_accept_torn_4_kib_values() {
    writer_and_readers_never_tear::<512>(common::scaled(50_000), 2);
}

#[test]
fn readers_never_accept_torn_values_copied_in_bulk_with_a_word_tail() {
    // 8 * 131 = 1048 bytes: on x86_64 with AVX, eight 128-byte blocks through the vector copy
    // and a 24-byte tail through the word loop.
    writer_and_readers_never_tear::<131>(common::scaled(50_000), 3);
}

#[test]
fn readers_never_accept_torn_values_with_odd_word_counts() {
    // 8 * 9 = 72 bytes: not a multiple of a cache line, exercises unaligned-to-line copies.
    writer_and_readers_never_tear::<9>(common::scaled(500_000), 3);
}
