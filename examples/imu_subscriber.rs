//! Reads the IMU segment NAME written by `imu_publisher` and prints the latest sample, its
//! version and its age ten times a second. It sleeps in a futex wait between samples.
//!
//! ```text
//! cargo run --release --example imu_subscriber [NAME] [SECONDS]    # default: rtshm-imu 10
//! ```
mod common;

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "rtshm-imu".into());
    let seconds = common::seconds(args.next(), 10);
    common::subscribe_imu(&name, seconds);
}
