//! Shared by the two-process examples: message types and a helper that starts this example
//! again as a child process with a role.
#![allow(dead_code)] // each example uses part of it

use std::process::{Child, Command};
// The stop flag that signal-hook sets is a std atomic; the one-module rule is for src/.
#[allow(clippy::disallowed_types)]
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};
use std::thread;
use std::time::{Duration, Instant};

use bytemuck::{Pod, Zeroable};
use rtshm::shm::{SeqLockKind, SeqLockPublisher, Subscriber, TakeoverError};
use rtshm::{Timestamp, Version};

/// One inertial measurement.
#[derive(Clone, Copy, Debug, Pod, Zeroable, rtshm::Schema)]
#[repr(C)]
pub(crate) struct Imu {
    /// `CLOCK_MONOTONIC` nanoseconds at sampling.
    pub stamp_ns: u64,
    /// Linear acceleration, m/s^2.
    pub accel: [f32; 3],
    /// Angular velocity, rad/s.
    pub gyro: [f32; 3],
}

/// A planar robot pose.
#[derive(Clone, Copy, Debug, Pod, Zeroable, rtshm::Schema)]
#[repr(C)]
pub(crate) struct Pose {
    /// Position, metres.
    pub xyz: [f64; 3],
    /// Heading, radians.
    pub yaw: f64,
}

impl rtshm::Lerp for Pose {
    fn lerp(a: &Self, b: &Self, alpha: f64) -> Self {
        // Interpolate the heading the short way round.
        let mut dyaw = b.yaw - a.yaw;
        dyaw -= (dyaw / std::f64::consts::TAU).round() * std::f64::consts::TAU;
        Self {
            xyz: <[f64; 3]>::lerp(&a.xyz, &b.xyz, alpha),
            yaw: a.yaw + dyaw * alpha,
        }
    }
}

/// Starts this example again with `args` (the child's role).
pub(crate) fn spawn_self(args: &[&str]) -> Child {
    let exe = std::env::current_exe().expect("example path");
    Command::new(exe)
        .args(args)
        .spawn()
        .expect("start the child process")
}

/// A segment name unique to this run, so that demos never collide.
pub(crate) fn demo_name(what: &str) -> String {
    format!("rtshm-demo-{what}-{}", std::process::id())
}

/// Parses an optional positive number of seconds from `arg`.
pub(crate) fn seconds(arg: Option<String>, default: u64) -> u64 {
    match arg.map(|s| s.parse::<u64>()) {
        None => default,
        Some(Ok(s)) if s > 0 => s,
        Some(_) => {
            eprintln!("SECONDS must be a positive integer");
            std::process::exit(2);
        }
    }
}

/// Stores one sample per millisecond for `seconds` (or until Ctrl-C / SIGTERM), then removes
/// the segment. A restart after a crash takes the dead publisher's segment over
/// (`create_or_recover`); a second publisher while one runs is refused.
#[allow(clippy::disallowed_types)] // signal-hook sets a std atomic flag
pub(crate) fn publish_imu(name: &str, seconds: u64) {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(signal, Arc::clone(&stop)) {
            eprintln!("imu_publisher: cannot handle signal {signal}: {e}");
        }
    }
    let mut publisher = match SeqLockPublisher::<Imu>::create_or_recover(name) {
        Ok(p) => p,
        Err(TakeoverError::WriterAlive { pid }) => {
            eprintln!("imu_publisher: {name:?} is already published by process {pid}");
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!("imu_publisher: cannot create segment {name:?}: {e}");
            std::process::exit(1);
        }
    };
    let how = if publisher.epoch() > 0 {
        "took over from a publisher that died; "
    } else {
        ""
    };
    eprintln!(
        "imu_publisher: {how}publishing /dev/shm/{name} at 1 kHz for {seconds} s (Ctrl-C stops)"
    );
    let start = Instant::now();
    let mut next = start;
    while start.elapsed() < Duration::from_secs(seconds) && !stop.load(Ordering::Relaxed) {
        let t = start.elapsed().as_secs_f32();
        publisher.store(&Imu {
            stamp_ns: Timestamp::now().as_nanos(),
            accel: [0.1 * t.sin(), 0.1 * t.cos(), 9.81],
            gyro: [0.0, 0.0, 0.5 * (2.0 * t).sin()],
        });
        // An absolute schedule, so the rate does not drift.
        next += Duration::from_millis(1);
        thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    drop(publisher);
    eprintln!("imu_publisher: done, segment removed");
}

/// Prints the latest sample every 100 ms for `seconds`.
pub(crate) fn subscribe_imu(name: &str, seconds: u64) {
    let subscriber = open_when_ready::<SeqLockKind<Imu>>(name);
    let start = Instant::now();
    let mut last = Version::INITIAL;
    let mut read = 0u64;
    let mut next_print = start;
    while start.elapsed() < Duration::from_secs(seconds) {
        match subscriber.wait_newer(last, Duration::from_millis(500)) {
            Ok((imu, version)) => {
                read += 1;
                if Instant::now() >= next_print {
                    let age = Timestamp::now()
                        .saturating_duration_since(Timestamp::from_nanos(imu.stamp_ns));
                    println!(
                        "{version:>7}  age {:>6.1} us  accel [{:+.3} {:+.3} {:+.3}]  gyro_z {:+.3}  (+{} new)",
                        age.as_secs_f64() * 1e6,
                        imu.accel[0],
                        imu.accel[1],
                        imu.accel[2],
                        imu.gyro[2],
                        version.get() - last.get(),
                    );
                    next_print += Duration::from_millis(100);
                }
                last = version;
            }
            Err(_) => {
                println!("no new sample for 500 ms: the publisher stopped");
                break;
            }
        }
    }
    println!(
        "imu_subscriber: read {read} samples (it prints one per 100 ms); the publisher had stored {}",
        last.get()
    );
}

/// Opens `name`, waiting up to 5 s for the publisher process to create it.
pub(crate) fn open_when_ready<K: rtshm::shm::Structure>(name: &str) -> Subscriber<K> {
    Subscriber::<K>::open_timeout(name, Duration::from_secs(5)).unwrap_or_else(|e| {
        eprintln!("cannot open segment {name:?} (waited 5 s; is its publisher running?): {e}");
        std::process::exit(1);
    })
}
