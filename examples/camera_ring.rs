//! Two processes share a ring of 640x480 RGB camera frames (921,600 bytes each). The child
//! publishes frames at 60 Hz; the parent reads every frame it can with a cursor, sleeping in a
//! futex wait between frames, and reports the frames it lost when the camera lapped it (it
//! pretends to process slowly for a while, to show laps are counted exactly).
//!
//! ```text
//! cargo run --release --example camera_ring            # 3 s
//! cargo run --release --example camera_ring -- 10
//! ```
mod common;

use std::thread;
use std::time::{Duration, Instant};

use rtshm::image::{Rgb8, Vga};
use rtshm::shm::{RingKind, RingPublisher};
use rtshm::{Lapped, WaitError};

/// A 640x480 RGB frame: a `Pod` image type, so subscribers check format and size.
type Frame = Vga<Rgb8>;
const SLOTS: usize = 8;
const FPS: u64 = 60;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [role, name, seconds] if role == "--camera" => {
            camera(name, common::seconds(Some(seconds.clone()), 3));
        }
        _ => {
            let seconds = common::seconds(args.first().cloned(), 3);
            let name = common::demo_name("camera");
            let mut child = common::spawn_self(&["--camera", &name, &seconds.to_string()]);
            viewer(&name, seconds);
            let status = child.wait().expect("camera process");
            println!("camera process exited: {status}");
        }
    }
}

/// The publisher: frame `n` is filled with the byte `n as u8` and starts with `n` (8 bytes).
fn camera(name: &str, seconds: u64) {
    let mut ring = RingPublisher::<Frame>::create(name, SLOTS).expect("create ring");
    let mut frame: Box<Frame> = bytemuck::zeroed_box();
    let start = Instant::now();
    let mut next = start;
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs(seconds) {
        let bytes = frame.as_bytes_mut();
        bytes.fill(n as u8);
        bytes[..8].copy_from_slice(&n.to_le_bytes());
        ring.push(&frame);
        n += 1;
        next += Duration::from_nanos(1_000_000_000 / FPS);
        thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    println!("camera: published {n} frames");
}

/// The subscriber: reads frames in order, checks each is intact, counts laps.
fn viewer(name: &str, seconds: u64) {
    let sub = common::open_when_ready::<RingKind<Frame>>(name);
    let mut cursor = sub.cursor_from_oldest();
    let mut frame: Box<Frame> = bytemuck::zeroed_box();
    let (mut read, mut lost) = (0u64, 0u64);
    let start = Instant::now();
    loop {
        match sub.wait_next_into(&mut cursor, &mut frame, Duration::from_millis(500)) {
            Ok(n) => {
                let bytes = frame.as_bytes();
                let stamp = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
                assert!(
                    stamp == n && bytes[8..].iter().all(|&b| b == n as u8),
                    "torn frame"
                );
                read += 1;
                // Fall behind for a second: the camera laps the 8-slot ring.
                let slow = (1.0..2.0).contains(&start.elapsed().as_secs_f64());
                if slow {
                    thread::sleep(Duration::from_millis(50));
                }
            }
            Err(WaitError::Lapped(Lapped { missed })) => {
                lost += missed;
                println!("viewer: lapped by the camera, {missed} frames lost");
            }
            Err(_) => break, // timed out: no frame for 500 ms, the camera stopped
        }
        if start.elapsed() > Duration::from_secs(seconds + 5) {
            break;
        }
    }
    println!(
        "viewer: {read} frames read intact, {lost} lost to laps, {} in all",
        read + lost
    );
}
