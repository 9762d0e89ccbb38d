//! Queries racing a writer that laps the ring constantly: every answer is a consistent sample
//! that was in the window, never torn or made up.
#![cfg(not(rtshm_loom))]

mod common;

use std::thread;
use std::time::Duration;

use rtshm::{InterpolationError, Stamped, TimeSeries, Timestamp};

/// Sample `i`: stamp `i * 10` ns, `seq = i`, every word of the value `i`.
fn sample(i: u64) -> Stamped<[u64; 6]> {
    Stamped::new(Timestamp::from_nanos(i * 10), i, [i; 6])
}

fn consistent(s: &Stamped<[u64; 6]>) -> bool {
    s.stamp.as_nanos() == s.seq * 10 && s.value.iter().all(|&w| w == s.seq)
}

#[test]
fn queries_racing_a_lapping_writer_return_consistent_samples() {
    let series: Box<TimeSeries<[u64; 6], 8>> = Box::new(TimeSeries::new());
    let series = &*series;
    let total = common::scaled(200_000);
    thread::scope(|s| {
        for r in 0..2u64 {
            s.spawn(move || {
                let mut answered = 0u64;
                for k in 0.. {
                    let Some(newest) = series.latest().unwrap() else {
                        continue;
                    };
                    assert!(consistent(&newest));
                    if newest.seq + 1 == total {
                        break;
                    }
                    if newest.seq < 10 {
                        continue; // wait for enough history to ask about
                    }
                    // Ask about a time a little behind the writer.
                    let back = (k * 7 + r) % 10;
                    // Halfway between two samples: the closest is exactly 5 ns away.
                    let t = Timestamp::from_nanos(newest.stamp.as_nanos() - (back * 10 + 5));
                    if let Ok(Some(c)) = series.closest(t, Duration::from_nanos(5)) {
                        assert!(consistent(&c), "torn closest");
                        assert_eq!(c.stamp.abs_diff(t), Duration::from_nanos(5));
                        answered += 1;
                    }
                    match series.interpolation_pair(t) {
                        Ok((b, a, alpha)) => {
                            assert!(consistent(&b) && consistent(&a), "torn pair");
                            assert!(b.stamp <= t && t <= a.stamp && (0.0..=1.0).contains(&alpha));
                        }
                        Err(InterpolationError::OutOfRange { oldest, newest, .. }) => {
                            assert!(t < oldest || t > newest);
                        }
                        Err(e) => assert_eq!(e, InterpolationError::Busy),
                    }
                }
                let _ = answered;
            });
        }
        s.spawn(move || {
            let mut w = series.writer().unwrap();
            for i in 0..total {
                w.push(&sample(i)).unwrap();
            }
        });
    });
}
