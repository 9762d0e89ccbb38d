//! A load for `rtshm record` (BENCHMARKS.md, "Recording"): publishes, for `SECONDS`, either
//! 64-byte values at 100 kHz into a ring (`small`), or 1920x1080 RGB frames (6.2 MB) at 30 Hz
//! (`frames`: a gradient with 4 bits of noise per byte, about as compressible as a camera
//! image), paced by the clock, then prints how many it published.
//!
//! ```text
//! cargo run --release --example record_load -- small NAME SECONDS &
//! rtshm record -o small.mcap --duration SECONDS NAME      # built with --features record
//! ```

use std::time::{Duration, Instant};

use rtshm::image::{Fhd, Rgb8};
use rtshm::shm::RingPublisher;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, name, seconds] = args.as_slice() else {
        eprintln!("usage: record_load small|frames NAME SECONDS");
        std::process::exit(2);
    };
    let seconds: f64 = seconds.parse().expect("SECONDS is a number");
    let run = Duration::from_secs_f64(seconds);
    // A moment for the recorder to open the segment before the first value.
    let start_delay = Duration::from_millis(500);
    let published = match mode.as_str() {
        "small" => {
            let mut ring = RingPublisher::<[u64; 8]>::create(name, 4096).expect("create");
            std::thread::sleep(start_delay);
            paced(run, 100_000, |n| {
                ring.push(&[n, n ^ 0x5555, n * 3, 0, 1, 2, 3, n]);
            })
        }
        "frames" => {
            type Frame = Fhd<Rgb8>;
            let mut ring = RingPublisher::<Frame>::create(name, 8).expect("create");
            let mut frame: Box<Frame> = bytemuck::zeroed_box();
            std::thread::sleep(start_delay);
            let mut noise = 0x9e37_79b9_7f4a_7c15u64;
            paced(run, 30, |n| {
                // A moving gradient with 4 bits of sensor noise per byte: about as compressible
                // as a camera image, different every frame.
                for (i, chunk) in frame.as_bytes_mut().chunks_mut(8).enumerate() {
                    noise ^= noise << 13;
                    noise ^= noise >> 7;
                    noise ^= noise << 17;
                    let base = ((i / 80 + n as usize * 7) % 240) as u8;
                    for (k, b) in chunk.iter_mut().enumerate() {
                        *b = base.wrapping_add((noise >> (k * 8)) as u8 & 0x0f);
                    }
                }
                ring.push(&frame);
            })
        }
        _ => {
            eprintln!("mode must be small or frames");
            std::process::exit(2);
        }
    };
    println!("published {published}");
}

/// Calls `publish(n)` `hz` times a second for `run`, catching up in bursts when late; returns
/// how many.
fn paced(run: Duration, hz: u64, mut publish: impl FnMut(u64)) -> u64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < run {
        let due = (start.elapsed().as_secs_f64() * hz as f64) as u64;
        while n < due {
            publish(n);
            n += 1;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    n
}
