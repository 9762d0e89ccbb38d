//! Time-series queries on 64 and 4096 `Stamped<[u8; 64]>` with stamps `i * 1000` ns: `closest`,
//! `interpolation_pair` and `latest_if_fresh`, each at the middle of the window
//! (`32_500` ns for 64 entries, as the C++ reference design measures; `2_048_500` ns for 4096).

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rtshm::{Stamped, TimeSeries, Timestamp};

fn filled<const N: usize>() -> Box<TimeSeries<[u8; 64], N>> {
    let series: Box<TimeSeries<[u8; 64], N>> = bytemuck::zeroed_box();
    {
        let mut writer = series.writer().expect("fresh series");
        for i in 0..N as u64 {
            let sample = Stamped::new(Timestamp::from_nanos(i * 1000), i, [i as u8; 64]);
            writer.push(&sample).expect("increasing stamps");
        }
    }
    series
}

fn queries<const N: usize>(c: &mut Criterion, t: u64) {
    let series = filled::<N>();
    let mut g = c.benchmark_group("series");
    let t = Timestamp::from_nanos(t);
    let newest = Timestamp::from_nanos((N as u64 - 1) * 1000);
    g.bench_function(BenchmarkId::new("closest", N), |b| {
        b.iter(|| series.closest(black_box(t), Duration::from_micros(1)));
    });
    g.bench_function(BenchmarkId::new("interpolation_pair", N), |b| {
        b.iter(|| series.interpolation_pair(black_box(t)));
    });
    g.bench_function(BenchmarkId::new("latest_if_fresh", N), |b| {
        b.iter(|| series.latest_if_fresh(black_box(newest), Duration::from_millis(1)));
    });
    g.finish();
}

fn series(c: &mut Criterion) {
    queries::<64>(c, 32_500);
    queries::<4096>(c, 2_048_500);
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = series
}
criterion_main!(benches);
