//! Publishes an IMU sample at 1 kHz into the shared-memory SeqLock segment NAME.
//!
//! ```text
//! cargo run --release --example imu_publisher [NAME] [SECONDS]     # default: rtshm-imu 10
//! cargo run --release --example imu_subscriber [NAME] [SECONDS]    # in another terminal
//! ```
mod common;

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "rtshm-imu".into());
    let seconds = common::seconds(args.next(), 10);
    common::publish_imu(&name, seconds);
}
