//! Ring behaviour: edge cases, exact lap counts, a randomized differential test against a
//! `VecDeque` model, and a concurrent test where the writer laps readers constantly.
#![cfg(not(rtshm_loom))]

mod common;

use std::collections::VecDeque;
use std::thread;

use nanorand::{Rng, WyRand};
use rtshm::{Capacity, CapacityError, GetError, Lapped, Ring, RingView, Stamped, Timestamp};

#[test]
fn capacity_rejects_zero_non_powers_of_two_and_too_large() {
    assert_eq!(Capacity::new(0), Err(CapacityError::Zero));
    assert_eq!(
        Capacity::new(3),
        Err(CapacityError::NotPowerOfTwo { given: 3 })
    );
    assert_eq!(
        Capacity::new(usize::MAX),
        Err(CapacityError::TooLarge {
            given: usize::MAX,
            max: Capacity::MAX
        })
    );
    assert_eq!(Capacity::new(1).map(Capacity::get), Ok(1));
    assert_eq!(
        Capacity::new(Capacity::MAX).map(Capacity::get),
        Ok(Capacity::MAX)
    );
    let msg = Capacity::new(100).unwrap_err().to_string();
    assert!(
        msg.contains("100") && msg.contains("power of two") && msg.contains("128"),
        "{msg}"
    );
    // 2^20 slots of 2^30 + 8 bytes: fits in 64 bits, overflows 32.
    let cap = Capacity::new(1 << 20).unwrap();
    let expected = (1usize << 20).checked_mul((1 << 30) + 8);
    match (cap.slot_bytes::<[u8; 1 << 30]>(), expected) {
        (Ok(bytes), Some(e)) => assert_eq!(bytes, e),
        (Err(CapacityError::Overflow { capacity, .. }), None) => assert_eq!(capacity, 1 << 20),
        (got, e) => panic!("slot_bytes gave {got:?}, expected {e:?}"),
    }
}

#[test]
fn rings_of_every_capacity_read_through_one_view_type() {
    // One function over `&RingView<T>` serves every owned ring (and shm subscribers).
    fn newest(view: &RingView<u32>) -> Option<u32> {
        view.latest().unwrap().map(|(_, v)| v)
    }
    let small: Ring<u32, 2> = Ring::new();
    let large: Box<Ring<u32, 1024>> = bytemuck::zeroed_box();
    small.writer().unwrap().push(&1);
    large.writer().unwrap().push(&2);
    assert_eq!((newest(&small), newest(&large)), (Some(1), Some(2)));
    let views: [&RingView<u32>; 2] = [&small, &large];
    assert_eq!(views.map(RingView::capacity), [2, 1024]);
}

#[test]
fn empty_ring_has_nothing_to_read() {
    let ring: Ring<u64, 4> = Ring::new();
    assert_eq!(ring.latest(), Ok(None));
    assert_eq!(ring.get(0), Err(GetError::NotYet { written: 0 }));
    assert_eq!(ring.get(u64::MAX), Err(GetError::NotYet { written: 0 }));
    assert_eq!(ring.next(&mut ring.cursor_from_oldest()), Ok(None));
    assert_eq!(ring.next(&mut ring.cursor_from_newest()), Ok(None));
}

#[test]
fn one_element_and_exactly_full() {
    let ring: Ring<u32, 4> = Ring::new();
    let mut w = ring.writer().unwrap();
    assert_eq!(w.push(&10), 0);
    assert_eq!(ring.latest(), Ok(Some((0, 10))));
    for v in 11..14 {
        w.push(&v);
    }
    // Exactly full: all four values held, nothing lost.
    let mut c = ring.cursor_from_oldest();
    let got: Vec<_> = ring.iter_from(&mut c).collect();
    assert_eq!(got, [Ok(10), Ok(11), Ok(12), Ok(13)]);
    assert_eq!(ring.get(0), Ok(10));
    // One more overwrites the oldest.
    w.push(&14);
    assert_eq!(ring.get(0), Err(GetError::Overwritten { oldest: 1 }));
}

#[test]
fn second_writer_is_refused() {
    let ring: Ring<u8, 2> = Ring::new();
    let w = ring.writer().unwrap();
    assert!(ring.writer().is_err());
    drop(w);
    let mut w = ring.writer().unwrap();
    assert_eq!(w.push(&1), 0, "a new writer continues at the head");
}

#[test]
fn capacity_one_ring_behaves_like_a_latest_value_cell() {
    let ring: Ring<u16, 1> = Ring::new();
    let mut w = ring.writer().unwrap();
    let mut c = ring.cursor_from_oldest();
    for v in 0..5 {
        w.push(&v);
    }
    assert_eq!(ring.next(&mut c), Err(Lapped { missed: 4 }));
    assert_eq!(ring.next(&mut c), Ok(Some(4)));
    assert_eq!(ring.next(&mut c), Ok(None));
}

#[test]
fn reader_behind_by_k_values_is_told_exactly_how_many_it_missed() {
    const CAP: u64 = 8;
    for k in [CAP + 1, CAP + 2, 2 * CAP - 1, 2 * CAP, 3 * CAP + 5, 1000] {
        let ring: Ring<u64, 8> = Ring::new();
        let mut w = ring.writer().unwrap();
        let mut c = ring.cursor_from_oldest();
        for v in 0..k {
            w.push(&v);
        }
        assert_eq!(
            ring.next(&mut c),
            Err(Lapped { missed: k - CAP }),
            "k = {k}"
        );
        let rest: Vec<_> = ring.iter_from(&mut c).map(Result::unwrap).collect();
        assert_eq!(rest, ((k - CAP)..k).collect::<Vec<_>>(), "k = {k}");
    }
}

#[test]
fn cursor_resumes_at_oldest_or_newest_and_counts_what_it_skips() {
    let ring: Ring<u32, 4> = Ring::new();
    let mut w = ring.writer().unwrap();
    let mut c = ring.cursor_from_oldest();
    for v in 0..10 {
        w.push(&v);
    }
    assert_eq!(ring.resume_at_oldest(&mut c), 6);
    assert_eq!(c.position(), 6);
    assert_eq!(ring.resume_at_newest(&mut c), 3);
    assert_eq!(ring.next(&mut c), Ok(Some(9)));
    assert_eq!(ring.resume_at_oldest(&mut c), 0, "never moves backwards");
    let late = ring.cursor_from_next();
    assert_eq!(late.position(), 10);
}

#[test]
fn wrapped_many_times_keeps_the_last_capacity_values() {
    let ring: Ring<[u8; 3], 16> = Ring::new();
    let mut w = ring.writer().unwrap();
    for i in 0..10_000u32 {
        w.push(&[i as u8, (i >> 8) as u8, 7]);
    }
    for n in 10_000 - 16..10_000u64 {
        let v = ring.get(n).unwrap();
        assert_eq!(v, [n as u8, (n >> 8) as u8, 7]);
    }
    assert_eq!(
        ring.get(10_000 - 17),
        Err(GetError::Overwritten {
            oldest: 10_000 - 16
        })
    );
}

#[test]
fn stamped_values_with_padding_round_trip() {
    // Stamped<[u8; 3]> has 5 bytes of trailing padding, which must never be copied.
    let ring: Ring<Stamped<[u8; 3]>, 4> = Ring::new();
    let s = Stamped::new(Timestamp::from_nanos(42), 9, [1, 2, 3]);
    ring.writer().unwrap().push(&s);
    assert_eq!(ring.latest(), Ok(Some((0, s))));
}

/// Operations of the differential test.
fn differential(seed: u64) {
    let mut rng = WyRand::new_seed(seed);
    let ring: Ring<u64, 8> = Ring::new();
    let mut w = ring.writer().unwrap();
    let mut model: VecDeque<(u64, u64)> = VecDeque::new(); // (write number, value)
    let mut written = 0u64;
    let mut cursors = vec![ring.cursor_from_oldest(), ring.cursor_from_next()];
    let mut positions = vec![0u64, 0u64];
    let steps = common::scaled(20_000);
    for _ in 0..steps {
        match rng.generate_range(0..10u32) {
            0..=3 => {
                let v = rng.generate::<u64>();
                assert_eq!(w.push(&v), written);
                model.push_back((written, v));
                if model.len() > 8 {
                    model.pop_front();
                }
                written += 1;
            }
            4..=6 => {
                let i = rng.generate_range(0..cursors.len());
                let p = positions[i];
                let oldest = model.front().map_or(written, |&(n, _)| n);
                let got = ring.next(&mut cursors[i]);
                if p < oldest {
                    assert_eq!(got, Err(Lapped { missed: oldest - p }), "seed {seed}");
                    positions[i] = oldest;
                } else if p < written {
                    let (_, v) = model[(p - oldest) as usize];
                    assert_eq!(got, Ok(Some(v)), "seed {seed}");
                    positions[i] = p + 1;
                } else {
                    assert_eq!(got, Ok(None), "seed {seed}");
                }
                assert_eq!(cursors[i].position(), positions[i]);
            }
            7 => {
                // Any number, including hostile ones far outside the window.
                let n = match rng.generate_range(0..3u32) {
                    0 => rng.generate::<u64>(),
                    _ => rng.generate_range(0..written + 10),
                };
                let oldest = model.front().map_or(written, |&(n, _)| n);
                let expected = if n >= written {
                    Err(GetError::NotYet { written })
                } else if n < oldest {
                    Err(GetError::Overwritten { oldest })
                } else {
                    Ok(model[(n - oldest) as usize].1)
                };
                assert_eq!(ring.get(n), expected, "seed {seed}, get({n})");
            }
            8 => {
                let expected = model.back().map(|&(n, v)| (n, v));
                assert_eq!(ring.latest(), Ok(expected), "seed {seed}");
            }
            _ => {
                cursors.push(ring.cursor_from_oldest());
                positions.push(model.front().map_or(written, |&(n, _)| n));
                if cursors.len() > 6 {
                    cursors.remove(0);
                    positions.remove(0);
                }
            }
        }
    }
}

#[test]
fn ring_matches_a_vecdeque_model_on_random_operations() {
    let base = common::seed(0x5EED_0001);
    for i in 0..common::scaled(20).max(2) {
        common::with_seed(base + i, differential);
    }
}

#[test]
fn readers_lapped_constantly_only_accept_consistent_values_in_order() {
    // Every word of value `n` equals `n`; readers check consistency, order and exact accounting.
    const WORDS: usize = 16;
    let ring: Box<Ring<[u64; WORDS], 4>> = Box::new(Ring::new());
    let ring = &*ring;
    let total = common::scaled(300_000);
    thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(move || {
                let mut c = ring.cursor_from_oldest();
                // The writer may be ahead already: start from where the cursor starts.
                let start = c.position();
                let (mut read, mut missed, mut expected) = (0u64, 0u64, start);
                while expected < total {
                    match ring.next(&mut c) {
                        Ok(Some(v)) => {
                            assert!(v.iter().all(|&w| w == v[0]), "torn value accepted");
                            assert_eq!(v[0], expected, "out of order");
                            expected += 1;
                            read += 1;
                        }
                        Ok(None) => thread::yield_now(),
                        Err(Lapped { missed: m }) => {
                            assert!(m > 0);
                            expected += m;
                            missed += m;
                        }
                    }
                    if let Ok(Some((n, v))) = ring.latest() {
                        assert!(v.iter().all(|&w| w == n), "torn latest");
                    }
                }
                assert_eq!(
                    start + read + missed,
                    total,
                    "every value read or counted as missed"
                );
            });
        }
        s.spawn(move || {
            let mut w = ring.writer().unwrap();
            for n in 0..total {
                w.push(&[n; WORDS]);
            }
        });
    });
}
