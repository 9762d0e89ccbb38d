//! TimeSeries queries: edge cases, and a seeded randomized differential test against brute-force
//! search over a model of the samples held.
#![cfg(not(rtshm_loom))]

mod common;

use core::time::Duration;

use common::series_model::Model;
use nanorand::{Rng, WyRand};
use rtshm::{InterpolationError, NonMonotonic, SeriesWriter, Stamped, TimeSeries, Timestamp};

fn ts(ns: u64) -> Timestamp {
    Timestamp::from_nanos(ns)
}

fn sample(ns: u64, seq: u64) -> Stamped<f64> {
    Stamped::new(ts(ns), seq, ns as f64)
}

fn filled<const N: usize>(stamps: &[u64]) -> (Box<TimeSeries<f64, N>>, Vec<u64>) {
    let series = Box::new(TimeSeries::new());
    {
        let mut w = series.writer().unwrap();
        for (i, &s) in stamps.iter().enumerate() {
            w.push(&sample(s, i as u64)).unwrap();
        }
    }
    (series, stamps.to_vec())
}

#[test]
fn empty_series_answers_none_or_empty() {
    let series: TimeSeries<f64, 8> = TimeSeries::new();
    assert_eq!(series.latest(), Ok(None));
    assert_eq!(series.latest_if_fresh(ts(5), Duration::MAX), Ok(None));
    assert_eq!(series.closest(ts(5), Duration::MAX), Ok(None));
    assert_eq!(
        series.interpolation_pair(ts(5)),
        Err(InterpolationError::Empty)
    );
    assert_eq!(series.interpolate(ts(5)), Err(InterpolationError::Empty));
    assert_eq!(series.range(ts(0), ts(u64::MAX)).unwrap().count(), 0);
}

#[test]
fn one_element_series() {
    let (series, _) = filled::<8>(&[100]);
    assert_eq!(
        series.closest(ts(100), Duration::ZERO),
        Ok(Some(sample(100, 0)))
    );
    assert_eq!(series.closest(ts(90), Duration::from_nanos(9)), Ok(None));
    assert_eq!(
        series.closest(ts(90), Duration::from_nanos(10)),
        Ok(Some(sample(100, 0)))
    );
    assert_eq!(series.interpolate(ts(100)), Ok(100.0));
    assert_eq!(
        series.interpolation_pair(ts(101)),
        Err(InterpolationError::OutOfRange {
            requested: ts(101),
            oldest: ts(100),
            newest: ts(100)
        })
    );
}

#[test]
fn non_monotonic_push_is_refused_with_both_stamps() {
    let series: TimeSeries<f64, 4> = TimeSeries::new();
    let mut w = series.writer().unwrap();
    w.push(&sample(10, 0)).unwrap();
    w.push(&sample(10, 1)).unwrap(); // equal stamps are fine
    let err = w.push(&sample(9, 2)).unwrap_err();
    assert_eq!(
        err,
        NonMonotonic {
            last: ts(10),
            given: ts(9)
        }
    );
    let msg = err.to_string();
    assert!(
        msg.contains("0.000000009s") && msg.contains("0.000000010s"),
        "{msg}"
    );
    drop(w);
    // A new writer remembers the last stamp held.
    let mut w: SeriesWriter<'_, f64> = series.writer().unwrap();
    assert_eq!(w.last_stamp(), Some(ts(10)));
    assert!(w.push(&sample(3, 3)).is_err());
}

#[test]
fn interpolation_never_extrapolates_and_reports_the_window() {
    let (series, _) = filled::<8>(&[1000, 2000, 3000]);
    for t in [0, 999, 3001, u64::MAX] {
        assert_eq!(
            series.interpolation_pair(ts(t)),
            Err(InterpolationError::OutOfRange {
                requested: ts(t),
                oldest: ts(1000),
                newest: ts(3000)
            })
        );
    }
    let (b, a, alpha) = series.interpolation_pair(ts(2500)).unwrap();
    assert_eq!((b.seq, a.seq, alpha), (1, 2, 0.5));
    // Exactly on a sample: the same sample twice, alpha 0.
    let (b, a, alpha) = series.interpolation_pair(ts(2000)).unwrap();
    assert_eq!((b.seq, a.seq, alpha), (1, 1, 0.0));
    assert_eq!(series.interpolate(ts(1250)), Ok(1250.0));
    let msg = series.interpolate(ts(0)).unwrap_err().to_string();
    assert!(msg.contains("outside"), "{msg}");
}

#[test]
fn closest_honours_max_distance_at_the_oldest_and_newest_ends() {
    let (series, _) = filled::<8>(&[1000, 2000, 3000]);
    // Nearest is the oldest sample (t before the window).
    assert_eq!(series.closest(ts(900), Duration::from_nanos(99)), Ok(None));
    assert_eq!(
        series
            .closest(ts(900), Duration::from_nanos(100))
            .unwrap()
            .unwrap()
            .seq,
        0
    );
    // Nearest is the newest sample (t after the window).
    assert_eq!(series.closest(ts(3100), Duration::from_nanos(99)), Ok(None));
    assert_eq!(
        series
            .closest(ts(3100), Duration::from_nanos(100))
            .unwrap()
            .unwrap()
            .seq,
        2
    );
    // max_distance 0: only exact hits.
    assert_eq!(
        series
            .closest(ts(2000), Duration::ZERO)
            .unwrap()
            .unwrap()
            .seq,
        1
    );
    assert_eq!(series.closest(ts(2001), Duration::ZERO), Ok(None));
    // Between two samples, the nearer one, or the earlier one on a tie.
    assert_eq!(
        series
            .closest(ts(2600), Duration::MAX)
            .unwrap()
            .unwrap()
            .seq,
        2
    );
    assert_eq!(
        series
            .closest(ts(2500), Duration::MAX)
            .unwrap()
            .unwrap()
            .seq,
        1
    );
}

#[test]
fn duplicate_stamps_follow_the_documented_tie_rule() {
    let (series, _) = filled::<8>(&[10, 20, 20, 20, 30]);
    // At or after t: the first written of equal stamps.
    assert_eq!(
        series.closest(ts(20), Duration::ZERO).unwrap().unwrap().seq,
        1
    );
    assert_eq!(
        series.closest(ts(18), Duration::MAX).unwrap().unwrap().seq,
        1
    );
    // Before t: the last written of equal stamps.
    assert_eq!(
        series.closest(ts(22), Duration::MAX).unwrap().unwrap().seq,
        3
    );
    let (b, a, _) = series.interpolation_pair(ts(25)).unwrap();
    assert_eq!((b.seq, a.seq), (3, 4));
    let in_window: Vec<u64> = series
        .range(ts(20), ts(20))
        .unwrap()
        .map(|s| s.unwrap().seq)
        .collect();
    assert_eq!(in_window, [1, 2, 3]);
}

#[test]
fn wrapped_series_answers_only_from_values_still_held() {
    let stamps: Vec<u64> = (0..100).map(|i| i * 10).collect();
    let (series, _) = filled::<8>(&stamps);
    // Held: stamps 920..=990.
    assert_eq!(
        series.closest(ts(0), Duration::MAX).unwrap().unwrap().stamp,
        ts(920)
    );
    assert!(matches!(
        series.interpolation_pair(ts(500)),
        Err(InterpolationError::OutOfRange { oldest, newest, .. }) if oldest == ts(920) && newest == ts(990)
    ));
    let all: Vec<u64> = series
        .range(ts(0), ts(u64::MAX))
        .unwrap()
        .map(|s| s.unwrap().stamp.as_nanos())
        .collect();
    assert_eq!(all, (92..100).map(|i| i * 10).collect::<Vec<_>>());
    assert_eq!(
        series.range(ts(960), ts(950)).unwrap().count(),
        0,
        "t0 > t1 is empty"
    );
}

#[test]
fn latest_if_fresh_checks_age() {
    let (series, _) = filled::<8>(&[1000, 5000]);
    assert_eq!(series.latest().unwrap().unwrap().seq, 1);
    let fresh = |now, age| {
        series
            .latest_if_fresh(ts(now), Duration::from_nanos(age))
            .unwrap()
    };
    assert!(fresh(5500, 500).is_some());
    assert!(fresh(5501, 500).is_none());
    assert!(fresh(4000, 0).is_some(), "a stamp after `now` has age zero");
}

// ---- randomized differential test -------------------------------------------------------

fn random_time(rng: &mut WyRand, model: &Model) -> Timestamp {
    let lo = model.0.first().map_or(0, |s| s.stamp.as_nanos());
    let hi = model.0.last().map_or(100, |s| s.stamp.as_nanos());
    match rng.generate_range(0..20u32) {
        0 => ts(0),
        1 => ts(u64::MAX),
        2 => ts(rng.generate()),
        // Exactly on a held sample.
        3..=6 if !model.0.is_empty() => model.0[rng.generate_range(0..model.0.len())].stamp,
        _ => ts(rng.generate_range(lo.saturating_sub(50)..hi.saturating_add(50))),
    }
}

fn series_differential(seed: u64) -> u64 {
    let mut rng = WyRand::new_seed(seed);
    let series: Box<TimeSeries<f64, 16>> = Box::new(TimeSeries::new());
    let mut w = series.writer().unwrap();
    let mut model = Model(Vec::new());
    let (mut now, mut seq, mut cases) = (1_000u64, 0u64, 0u64);
    for _ in 0..common::scaled(4_000) {
        match rng.generate_range(0..8u32) {
            0..=2 => {
                // Small steps, often zero (duplicate stamps).
                now += [0, 0, 1, 7, 100, 1000][rng.generate_range(0..6usize)];
                let s = Stamped::new(ts(now), seq, rng.generate_range(0..1000u32) as f64);
                w.push(&s).unwrap();
                model.0.push(s);
                if model.0.len() > 16 {
                    model.0.remove(0);
                }
                seq += 1;
            }
            3 => {
                if seq > 0 {
                    let given = ts(rng.generate_range(0..now));
                    let err = w.push(&Stamped::new(given, seq, 0.0)).unwrap_err();
                    assert_eq!(
                        err,
                        NonMonotonic {
                            last: ts(now),
                            given
                        },
                        "seed {seed}"
                    );
                }
            }
            _ => {
                let t = random_time(&mut rng, &model);
                let max = match rng.generate_range(0..4u32) {
                    0 => Duration::ZERO,
                    1 => Duration::MAX,
                    _ => Duration::from_nanos(rng.generate_range(0..2000u64)),
                };
                assert_eq!(
                    series.closest(t, max).unwrap(),
                    model.closest(t, max),
                    "seed {seed}: closest({t}, {max:?})"
                );
                assert_eq!(
                    series.interpolation_pair(t),
                    model.pair(t),
                    "seed {seed}: interpolation_pair({t})"
                );
                let t1 = random_time(&mut rng, &model);
                let got: Vec<_> = series.range(t, t1).unwrap().map(Result::unwrap).collect();
                assert_eq!(got, model.range(t, t1), "seed {seed}: range({t}, {t1})");
                let age = Duration::from_nanos(rng.generate_range(0..3000u64));
                let expect = model
                    .0
                    .last()
                    .copied()
                    .filter(|s| t.saturating_duration_since(s.stamp) <= age);
                assert_eq!(
                    series.latest_if_fresh(t, age).unwrap(),
                    expect,
                    "seed {seed}"
                );
                cases += 1;
            }
        }
    }
    cases
}

#[test]
fn queries_agree_with_brute_force_on_100k_random_cases() {
    let base = common::seed(0x5E41E5);
    let mut cases = 0;
    let mut i = 0;
    while cases < common::scaled(100_000) {
        common::with_seed(base + i, |seed| cases += series_differential(seed));
        i += 1;
    }
    eprintln!(
        "{cases} random query cases (each: closest, interpolation_pair, range, latest_if_fresh)"
    );
}

/// The "wrong units" guard: a series stamped in monotonic nanoseconds, queried with the same
/// instant in milliseconds.
#[test]
fn a_millisecond_key_is_rejected_and_a_raw_millisecond_query_finds_nothing() {
    use rtshm::key::{MonotonicNs, Rejected, Validated};

    let hour = 3_600_000_000_000u64;
    let series: TimeSeries<u32, 64> = TimeSeries::new();
    let mut w = series.writer().unwrap();
    // Samples every 10 ms over the last 640 ms of an hour-long boot.
    for i in 0..64u64 {
        let t = Timestamp::from_nanos(hour - 640_000_000 + i * 10_000_000);
        w.push(&Stamped::new(t, i, i as u32)).unwrap();
    }
    let policy = MonotonicNs::at(Timestamp::from_nanos(hour));
    let in_ms = Timestamp::from_nanos((hour - 100_000_000) / 1_000_000);

    let err = Validated::new(in_ms, &policy).unwrap_err();
    assert!(matches!(
        err,
        Rejected::NotNanoseconds {
            likely_unit: "milliseconds",
            ..
        }
    ));
    assert!(err.to_string().contains("is it in milliseconds?"), "{err}");

    // Without the guard the query is still safe: nothing within 20 ms, not the oldest sample.
    assert_eq!(series.closest(in_ms, Duration::from_millis(20)), Ok(None));
    assert!(series.interpolation_pair(in_ms).is_err());

    // The same instant in nanoseconds passes and finds its sample.
    let key = Validated::new(Timestamp::from_nanos(hour - 100_000_000), &policy).unwrap();
    let s = series
        .closest(key, Duration::from_millis(20))
        .unwrap()
        .unwrap();
    assert_eq!(s.seq, 54);
}
