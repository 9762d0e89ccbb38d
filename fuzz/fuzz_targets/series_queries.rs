//! Arbitrary stamp sequences (monotonic pushes, and refused non-monotonic ones) and queries,
//! checked against brute force: closest with max distance, interpolation pair, range,
//! freshness.
#![no_main]

#[path = "../../tests/common/series_model.rs"]
mod series_model;

use core::time::Duration;

use libfuzzer_sys::fuzz_target;
use rtshm::{NonMonotonic, Stamped, TimeSeries, Timestamp};
use series_model::Model;

const CAP: usize = 8;

fn word(bytes: &mut impl Iterator<Item = u8>) -> u64 {
    let mut w = [0u8; 8];
    for b in w.iter_mut().take(3) {
        *b = bytes.next().unwrap_or(0);
    }
    u64::from_le_bytes(w)
}

fuzz_target!(|data: &[u8]| {
    let series: TimeSeries<f64, CAP> = TimeSeries::new();
    let mut writer = series.writer().unwrap();
    let mut model = Model(Vec::new());
    let mut last: Option<u64> = None;
    let mut seq = 0;
    let mut bytes = data.iter().copied();
    while let Some(op) = bytes.next() {
        match op % 4 {
            0 | 1 => {
                let stamp = word(&mut bytes);
                let s = Stamped::new(Timestamp::from_nanos(stamp), seq, (stamp % 1000) as f64);
                match last {
                    Some(l) if stamp < l => {
                        assert_eq!(
                            writer.push(&s),
                            Err(NonMonotonic {
                                last: Timestamp::from_nanos(l),
                                given: Timestamp::from_nanos(stamp)
                            })
                        );
                    }
                    _ => {
                        writer.push(&s).unwrap();
                        model.0.push(s);
                        if model.0.len() > CAP {
                            model.0.remove(0);
                        }
                        last = Some(stamp);
                        seq += 1;
                    }
                }
            }
            _ => {
                let t = Timestamp::from_nanos(word(&mut bytes));
                let t1 = Timestamp::from_nanos(word(&mut bytes));
                let max = Duration::from_nanos(word(&mut bytes));
                assert_eq!(series.closest(t, max).unwrap(), model.closest(t, max));
                assert_eq!(series.interpolation_pair(t), model.pair(t));
                let got: Vec<_> = series.range(t, t1).unwrap().map(Result::unwrap).collect();
                assert_eq!(got, model.range(t, t1));
                let fresh = model
                    .0
                    .last()
                    .copied()
                    .filter(|s| t.saturating_duration_since(s.stamp) <= max);
                assert_eq!(series.latest_if_fresh(t, max).unwrap(), fresh);
            }
        }
    }
});
