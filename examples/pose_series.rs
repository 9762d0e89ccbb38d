//! Two processes share a time series of robot poses. The child publishes a pose at 100 Hz
//! (driving a circle); the parent asks "where was the robot 50 ms ago?" every 200 ms,
//! interpolating between the two samples around that time, and shows the samples used.
//!
//! ```text
//! cargo run --release --example pose_series            # 2 s
//! cargo run --release --example pose_series -- 10
//! ```
mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::Pose;
use rtshm::shm::{TimeSeriesKind, TimeSeriesPublisher};
use rtshm::{InterpolationError, Stamped, Timestamp};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [role, name, seconds] if role == "--odometry" => {
            odometry(name, common::seconds(Some(seconds.clone()), 2));
        }
        _ => {
            let seconds = common::seconds(args.first().cloned(), 2);
            let name = common::demo_name("pose");
            let mut child = common::spawn_self(&["--odometry", &name, &seconds.to_string()]);
            localizer(&name, seconds);
            let status = child.wait().expect("odometry process");
            println!("odometry process exited: {status}");
        }
    }
}

/// The publisher: a robot driving a 2 m circle at 0.5 rad/s, stamped with the monotonic clock.
fn odometry(name: &str, seconds: u64) {
    let mut series = TimeSeriesPublisher::<Pose>::create(name, 256).expect("create");
    let start = Instant::now();
    let mut seq = 0;
    while start.elapsed() < Duration::from_secs(seconds) {
        let t = start.elapsed().as_secs_f64();
        let yaw = 0.5 * t;
        let pose = Pose {
            xyz: [2.0 * yaw.cos(), 2.0 * yaw.sin(), 0.0],
            yaw: yaw + std::f64::consts::FRAC_PI_2,
        };
        series
            .push(&Stamped::new(Timestamp::now(), seq, pose))
            .expect("monotonic clock");
        seq += 1;
        thread::sleep(Duration::from_millis(10));
    }
}

fn localizer(name: &str, seconds: u64) {
    let sub = common::open_when_ready::<TimeSeriesKind<Pose>>(name);
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(seconds) {
        thread::sleep(Duration::from_millis(200));
        let t = Timestamp::now().saturating_sub(Duration::from_millis(50));
        match sub.interpolation_pair(t) {
            Ok((before, after, alpha)) => {
                let pose = sub.interpolate(t).expect("same window");
                println!(
                    "50 ms ago: x {:+.3} y {:+.3} yaw {:+.3}  (between samples {} and {}, alpha {:.2})",
                    pose.xyz[0], pose.xyz[1], pose.yaw, before.seq, after.seq, alpha
                );
            }
            Err(InterpolationError::OutOfRange { oldest, newest, .. }) => {
                println!("50 ms ago is outside the window {oldest} ..= {newest}");
            }
            Err(e) => println!("no pose: {e}"),
        }
    }
}
