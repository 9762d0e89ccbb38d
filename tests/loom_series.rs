//! Loom model of the time-series queries: a writer wraps a 2-slot series while a reader runs
//! `closest` and `interpolation_pair`. The search reads only stamps (each lap-checked) and then
//! reads the chosen samples in full (lap-checked again, restarting the query if one was
//! overwritten in between). Every sample returned must be exactly what its writer pushed
//! (stamp, sequence and value belong together: never torn, never mixed from two writes), and
//! the pair must bracket the query time.
#![cfg(rtshm_loom)]

mod common;

use std::time::Duration;

use loom::sync::Arc;
use loom::thread;
use rtshm::{InterpolationError, Stamped, TimeSeries, Timestamp};

fn model(f: impl Fn() + Sync + Send + 'static) {
    common::loom_model(2, f);
}

/// Write `k` (1-based) is stamped `10 k` ns with sequence `k` and value `[k; 2]`.
fn sample(k: u64) -> Stamped<[u64; 2]> {
    Stamped::new(Timestamp::from_nanos(10 * k), k, [k; 2])
}

fn assert_whole(s: &Stamped<[u64; 2]>) {
    let k = s.seq;
    assert_eq!(*s, sample(k), "torn or mixed sample");
}

#[test]
fn closest_and_interpolation_pair_return_whole_samples_while_the_writer_laps() {
    model(|| {
        let series: Arc<TimeSeries<[u64; 2], 2>> = Arc::new(TimeSeries::new());
        let reader = {
            let series = Arc::clone(&series);
            thread::spawn(move || {
                let t = Timestamp::from_nanos(15);
                if let Ok(Some(s)) = series.closest(t, Duration::from_nanos(5)) {
                    assert_whole(&s);
                    assert!(s.seq == 1 || s.seq == 2, "not the closest to 15 ns");
                }
                match series.interpolation_pair(t) {
                    Ok((before, after, alpha)) => {
                        assert_whole(&before);
                        assert_whole(&after);
                        assert_eq!((before.seq, after.seq), (1, 2));
                        assert!((alpha - 0.5).abs() < 1e-9);
                    }
                    Err(InterpolationError::Empty | InterpolationError::Busy) => {}
                    Err(InterpolationError::OutOfRange { oldest, newest, .. }) => {
                        assert!(oldest <= newest);
                    }
                    Err(e) => panic!("unexpected error {e}"),
                }
            })
        };
        {
            let mut writer = series.writer().unwrap();
            for k in 1..=3 {
                writer.push(&sample(k)).unwrap();
            }
        }
        reader.join().unwrap();
    });
}
