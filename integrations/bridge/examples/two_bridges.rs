//! Two bridges on one machine standing in for two hosts: "robot" exports an IMU time series,
//! "laptop" imports it (under `laptop-`), and a plain subscriber reads the imported copy.
//!
//! ```text
//! cd integrations/bridge && cargo run --example two_bridges
//! ```
//!
//! On two real hosts, the same with the CLI: `rtshm-bridge --namespace robot --export 'imu*'
//! --listen tcp/0.0.0.0:7447` on the robot, `rtshm-bridge --import 'rtshm/robot/**' --connect
//! tcp/ROBOT:7447` on the laptop.

use std::time::Duration;

use rtshm::shm::{TimeSeriesPublisher, TimeSeriesSubscriber};
use rtshm::{Stamped, Timestamp};
use rtshm_bridge::{Bridge, BridgeError, ExportOptions, ImportOptions, zenoh_config};

#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
#[repr(C)]
struct Imu {
    accel: [f32; 3],
    gyro: [f32; 3],
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let name = format!("imu-demo-{}", std::process::id());
    let mut imu = TimeSeriesPublisher::<Imu>::create(&name, 1024)?;

    // A free loopback port for the "robot" to listen on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let endpoint = format!("tcp/127.0.0.1:{port}");
    let no_scouting = |mut config: zenoh::Config| -> Result<zenoh::Config, BridgeError> {
        config.insert_json5("scouting/multicast/enabled", "false")?;
        Ok(config)
    };
    let robot = Bridge::open(no_scouting(zenoh_config(&[&endpoint], &[])?)?, "robot")?;
    robot.export(&name, ExportOptions::new())?;
    let laptop = Bridge::open(no_scouting(zenoh_config(&[], &[&endpoint])?)?, "laptop")?;
    laptop.import("rtshm/robot/**", ImportOptions::new().prefix("laptop-"))?;

    // The imported segment appears once the laptop has the robot's metadata.
    let remote = format!("laptop-{name}");
    let subscriber = TimeSeriesSubscriber::<Imu>::open_timeout(&remote, Duration::from_secs(10))?;
    println!("{remote}: imported, clock {:?}", subscriber.clock());
    let mut cursor = subscriber.cursor_from_next();
    for i in 0..200u64 {
        let f = i as f32 * 0.01;
        let value = Imu {
            accel: [f, 0.0, 9.81],
            gyro: [0.0, 0.0, f],
        };
        imu.push(&Stamped::new(Timestamp::now(), i, value))?;
        std::thread::sleep(Duration::from_millis(5));
        while let Ok(sample) = subscriber.wait_next(&mut cursor, Duration::ZERO) {
            if sample.seq % 50 == 0 {
                println!(
                    "#{} stamp {} ns accel {:?} (on the laptop)",
                    sample.seq,
                    sample.stamp.as_nanos(),
                    sample.value.accel
                );
            }
        }
    }
    std::thread::sleep(Duration::from_millis(200));
    println!("{}", laptop.stats());
    robot.close()?;
    laptop.close()?; // removes the imported segment
    Ok(())
}
