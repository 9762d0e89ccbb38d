//! A writer thread publishes an IMU sample at 1 kHz into a `static` SeqLock; the main thread reads
//! the latest sample ten times a second and prints it with its version.
//!
//! ```text
//! cargo run --release --example imu_demo            # runs for 2 s
//! cargo run --release --example imu_demo -- 10      # runs for 10 s
//! ```
use std::thread;
use std::time::{Duration, Instant};

use bytemuck::{Pod, Zeroable};
use rtshm::{SeqLock, Version};

/// One inertial measurement, as a robot's IMU driver would publish it.
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
#[repr(C)]
struct Imu {
    /// Nanoseconds since the demo started.
    stamp_ns: u64,
    /// Linear acceleration, m/s^2.
    accel: [f32; 3],
    /// Angular velocity, rad/s.
    gyro: [f32; 3],
}

impl Imu {
    const ZERO: Self = Self {
        stamp_ns: 0,
        accel: [0.0; 3],
        gyro: [0.0; 3],
    };
}

static IMU: SeqLock<Imu> = SeqLock::new(Imu::ZERO);

const RATE_HZ: u32 = 1000;

fn main() {
    let seconds: u64 = match std::env::args().nth(1).map(|s| s.parse()) {
        None => 2,
        Some(Ok(s)) if s > 0 => s,
        Some(_) => {
            eprintln!("usage: imu_demo [SECONDS > 0]");
            std::process::exit(2);
        }
    };
    let start = Instant::now();
    let run_for = Duration::from_secs(seconds);

    let publisher = thread::spawn(move || {
        let mut writer = IMU.writer().expect("the demo has one writer");
        let period = Duration::from_secs(1) / RATE_HZ;
        let mut next = start;
        while next.duration_since(start) < run_for {
            let t = next.duration_since(start).as_secs_f32();
            writer.store(&Imu {
                stamp_ns: u64::try_from(next.duration_since(start).as_nanos()).unwrap_or(u64::MAX),
                accel: [0.1 * t.sin(), 0.1 * t.cos(), 9.81],
                gyro: [0.0, 0.0, 0.5 * (2.0 * t).sin()],
            });
            // Sleep to an absolute deadline so the rate does not drift.
            next += period;
            thread::sleep(next.saturating_duration_since(Instant::now()));
        }
    });

    println!("publishing at {RATE_HZ} Hz for {seconds} s; printing the latest sample every 100 ms");
    let mut last = Version::INITIAL;
    while start.elapsed() < run_for {
        thread::sleep(Duration::from_millis(100));
        if let Some((imu, version)) = IMU.load_if_newer(last) {
            let age_us = start
                .elapsed()
                .as_nanos()
                .saturating_sub(u128::from(imu.stamp_ns))
                / 1000;
            println!(
                "{version:>6}  t={:>7.3}s  age={age_us:>4}us  accel=[{:+.3} {:+.3} {:+.3}]  gyro_z={:+.3}  (+{} new)",
                imu.stamp_ns as f64 / 1e9,
                imu.accel[0],
                imu.accel[1],
                imu.accel[2],
                imu.gyro[2],
                version.get() - last.get(),
            );
            last = version;
        }
    }
    publisher.join().expect("publisher thread");
    println!("done: {} samples published", IMU.version().get());
}
