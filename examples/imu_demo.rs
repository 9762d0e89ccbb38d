//! A self-contained two-process demo: this program starts itself again as a child process whose
//! writer thread publishes an IMU sample at 1 kHz into a shared-memory SeqLock; the parent
//! subscribes and prints the latest sample with its version and age ten times a second.
//!
//! ```text
//! cargo run --release --example imu_demo            # runs for 2 s
//! cargo run --release --example imu_demo -- 10      # runs for 10 s
//! ```
mod common;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        // The child: the publisher process.
        [role, name, seconds] if role == "--publisher" => {
            common::publish_imu(name, common::seconds(Some(seconds.clone()), 2));
        }
        _ => {
            let seconds = common::seconds(args.first().cloned(), 2);
            let name = common::demo_name("imu");
            println!(
                "parent {}: starting the publisher process",
                std::process::id()
            );
            let mut child = common::spawn_self(&["--publisher", &name, &seconds.to_string()]);
            common::subscribe_imu(&name, seconds);
            let status = child.wait().expect("publisher process");
            println!("publisher process exited: {status}");
        }
    }
}
