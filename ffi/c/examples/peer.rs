//! The Rust peer of the C/C++ interop tests (`ffi/c/tests/interop.sh`): the protocol of
//! `tests/peer.c`, with `Sample` declared in Rust (the same fields, offsets and names).
//!
//! ```text
//! cargo run -p rtshm-c --example peer -- write PREFIX   # PREFIX-seqlock, -ring, -series
//! cargo run -p rtshm-c --example peer -- read PREFIX    # checks them, removes them
//! cargo run -p rtshm-c --example peer -- odometry NAME  # a SeqLock of `Odometry` (nested
//!                                                       # structs, 2-D arrays) for the C++
//!                                                       # reader built from `rtshm codegen`
//! ```
use std::process::ExitCode;
use std::time::Duration;

use rtshm::shm::{
    OpenConfig, RingPublisher, RingSubscriber, SeqLockPublisher, SeqLockSubscriber,
    TimeSeriesPublisher, TimeSeriesSubscriber,
};
use rtshm::{Stamped, Timestamp};

#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
#[repr(C)]
struct Sample {
    n: u64,
    position: [f64; 3],
    quality: f32,
    id: i32,
    frame: u16,
    flags: [u8; 6],
}

/// `sample(i)` of tests/sample.h.
fn sample(i: u64) -> Sample {
    Sample {
        n: i,
        position: [i as f64 * 0.5, -(i as f64), 1000.0 + i as f64],
        quality: i as f32 / 4.0,
        id: -(i as i32),
        frame: (i % 65536) as u16,
        flags: [(i % 256) as u8, 1, 2, 3, 4, 5],
    }
}

const COUNT: u64 = 100;
const CAPACITY: usize = 128;
const STEP_NS: u64 = 1000;

#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
#[repr(C)]
struct Wheel {
    speed: f32,
    current: f32,
    temperature: i16,
    fault: u8,
    index: u8,
}

/// What `tests/codegen_reader.cpp` reads through the header `rtshm codegen --lang cpp` prints.
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
#[repr(C)]
struct Odometry {
    stamp: u64,
    pose: [f64; 3],
    wheels: [Wheel; 4],
    covariance: [[f32; 3]; 3],
    mode: u32,
}

fn odometry() -> Odometry {
    let wheel = |k: u8| Wheel {
        speed: f32::from(k) + 0.5,
        current: -f32::from(k),
        temperature: 20 + i16::from(k),
        fault: k,
        index: k,
    };
    let mut covariance = [[0.0; 3]; 3];
    for (i, row) in covariance.iter_mut().enumerate() {
        for (j, c) in row.iter_mut().enumerate() {
            *c = (i * 3 + j) as f32 / 8.0;
        }
    }
    Odometry {
        stamp: 123_456_789,
        pose: [1.5, -2.25, 3.125],
        wheels: [wheel(0), wheel(1), wheel(2), wheel(3)],
        covariance,
        mode: 7,
    }
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn write(prefix: &str) -> Result<()> {
    let mut lock = SeqLockPublisher::<Sample>::create(&format!("{prefix}-seqlock"))?;
    let mut ring = RingPublisher::<Sample>::create(&format!("{prefix}-ring"), CAPACITY)?;
    let mut series = TimeSeriesPublisher::<Sample>::create(&format!("{prefix}-series"), CAPACITY)?;
    for i in 0..COUNT {
        lock.store(&sample(i));
        ring.push(&sample(i));
        series.push(&Stamped::new(
            Timestamp::from_nanos((i + 1) * STEP_NS),
            i,
            sample(i),
        ))?;
    }
    lock.persist();
    ring.persist();
    series.persist();
    Ok(())
}

fn check(ok: bool, what: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(format!("expected {what}").into())
    }
}

fn read(prefix: &str) -> Result<()> {
    let wait = OpenConfig::new().wait_for_creation(Duration::from_secs(5));
    let names = ["seqlock", "ring", "series"].map(|k| format!("{prefix}-{k}"));
    let lock = SeqLockSubscriber::<Sample>::open_with(&names[0], wait)?;
    let ring = RingSubscriber::<Sample>::open_with(&names[1], wait)?;
    let series = TimeSeriesSubscriber::<Sample>::open_with(&names[2], wait)?;

    check(
        lock.try_load()? == sample(COUNT - 1),
        "the last stored sample",
    )?;
    let mut cursor = ring.cursor_from_oldest();
    for i in 0..COUNT {
        let got = ring.wait_next(&mut cursor, Duration::from_secs(1))?;
        check(got == sample(i), &format!("ring value {i}"))?;
    }
    check(
        ring.next(&mut cursor)?.is_none(),
        "nothing after the last value",
    )?;

    let t = |ns: u64| Timestamp::from_nanos(ns);
    let near = series.closest(t(51 * STEP_NS + 400), Duration::from_nanos(STEP_NS))?;
    check(
        near.is_some_and(|s| s.stamp == t(51 * STEP_NS) && s.seq == 50 && s.value == sample(50)),
        "the sample closest to 51.4 us",
    )?;
    let (before, after, alpha) = series.interpolation_pair(t(51 * STEP_NS + 500))?;
    check(
        before.seq == 50 && after.seq == 51 && alpha == 0.5,
        "the pair around 51.5 us",
    )?;
    let window: Vec<_> = series.range(t(10 * STEP_NS), t(20 * STEP_NS))?.collect();
    check(window.len() == 11, "11 samples from 10 to 20 us")?;
    for (k, s) in window.into_iter().enumerate() {
        let s = s?;
        check(
            s.value == sample(9 + k as u64),
            &format!("window sample {k}"),
        )?;
    }
    for name in &names {
        rtshm::shm::remove(name)?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["write", prefix] => write(prefix),
        ["read", prefix] => read(prefix),
        ["odometry", name] => SeqLockPublisher::<Odometry>::create(name)
            .map(|mut p| {
                p.store(&odometry());
                p.persist();
            })
            .map_err(Into::into),
        _ => Err("usage: peer write|read PREFIX | peer odometry NAME".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("peer (Rust): {e}");
            ExitCode::FAILURE
        }
    }
}
