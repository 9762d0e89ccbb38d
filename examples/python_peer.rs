//! The Rust side of the Python interop tests (`ffi/python/tests/test_interop.py`), and an example
//! of a Rust program sharing a segment with Python: the segment records the schema of
//! `Pose64` (`#[derive(rtshm::Schema)]`); Python reads it without being told the dtype, and a
//! Python dtype with the same field names and `align=True` (`repr(C)`'s layout) writes values
//! this program reads. A field renamed, reordered or retyped on either side is refused, named.
//!
//! ```text
//! cargo run --example python_peer -- write NAME COUNT   # a ring of COUNT poses, then waits
//!                                                       # for stdin to close
//! cargo run --example python_peer -- store NAME COUNT   # a SeqLock stored as fast as it
//!                                                       # can until stdin closes
//! cargo run --example python_peer -- read NAME COUNT    # reads COUNT poses a Python
//!                                                       # publisher pushes; exit 0 if each
//!                                                       # is the expected one
//! cargo run --example python_peer -- queue NAME COUNT   # a queue holding COUNT poses
//!                                                       # nobody pops, until stdin closes
//! cargo run --example python_peer -- record NAME COUNT  # NAME-lock, -ring and -series of
//!                                                       # poses, written after a line on stdin
//! ```
//!
//! In Python:
//!
//! ```python
//! Pose64 = np.dtype([("stamp", "<u8"), ("position", "<f8", 3), ("orientation", "<f4", 4),
//!                    ("velocity", "<f4", 3), ("frame", "<u2"), ("quality", "u1"),
//!                    ("flags", "u1")], align=True)
//! sub = rtshm.Subscriber.open(name)             # the dtype is the segment's: sub.dtype == Pose64
//! ```
use std::io::Read;
use std::time::Duration;

use rtshm::shm::{
    QueueProducer, RingPublisher, RingSubscriber, SeqLockPublisher, TimeSeriesPublisher,
};
use rtshm::{Stamped, Timestamp};

/// A 64-byte record: the size of the load the Python benchmark measures.
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
#[repr(C)]
struct Pose64 {
    stamp: u64,
    position: [f64; 3],
    orientation: [f32; 4],
    velocity: [f32; 3],
    frame: u16,
    quality: u8,
    flags: u8,
}

const CAPACITY: usize = 64;

/// A nested struct, in an array of them: what the MCAP tests decode with third-party readers.
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
#[repr(C)]
struct Point {
    x: f32,
    y: f32,
    z: f32,
}

/// Nested structs, an array of structs and fields of every width after them.
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
#[repr(C)]
struct Track {
    id: u64,
    points: [Point; 2],
    center: Point,
    flags: u16,
    quality: u8,
    kind: i8,
    score: f64,
}

/// Track number `i`, as the Python tests compute it.
fn track(i: u64) -> Track {
    let f = i as f32;
    Track {
        id: i,
        points: [
            Point {
                x: f,
                y: -f,
                z: 0.5,
            },
            Point {
                x: 2.0 * f,
                y: 1.0,
                z: -0.25,
            },
        ],
        center: Point {
            x: 0.25,
            y: f,
            z: 3.0,
        },
        flags: (i % 65536) as u16,
        quality: (i % 200) as u8,
        kind: -7,
        score: i as f64 / 8.0,
    }
}

/// Pose number `i`, as both sides compute it.
fn pose(i: u64) -> Pose64 {
    let x = i as f64;
    Pose64 {
        stamp: i * 1000,
        position: [x, -x, 0.5 * x],
        orientation: [1.0, 0.0, 0.0, i as f32 / 100.0],
        velocity: [i as f32; 3],
        frame: i as u16,
        quality: (i % 256) as u8,
        flags: 0xA5,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(mode), Some(name), Some(count)) = (args.first(), args.get(1), args.get(2)) else {
        eprintln!("usage: python_peer write|store|read|queue|record NAME COUNT");
        std::process::exit(2);
    };
    let Ok(count) = count.parse::<u64>() else {
        eprintln!("COUNT must be a number");
        std::process::exit(2);
    };
    let result = match mode.as_str() {
        "write" => write(name, count),
        "store" => store(name, count),
        "read" => read(name, count),
        "queue" => queue(name, count),
        "record" => record(name, count),
        _ => Err("mode must be write, store, read, queue or record".into()),
    };
    if let Err(e) = result {
        eprintln!("python_peer: {e}");
        std::process::exit(1);
    }
}

/// Pushes `count` poses, one every millisecond, then keeps the segment until stdin closes.
fn write(name: &str, count: u64) -> Result<(), Box<dyn std::error::Error>> {
    let mut publisher = RingPublisher::<Pose64>::create(name, CAPACITY)?;
    for i in 0..count {
        publisher.push(&pose(i));
        std::thread::sleep(Duration::from_millis(1));
    }
    println!("wrote {count}");
    // Stay (and keep the segment) until the test is done reading.
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    Ok(())
}

/// Creates `NAME-lock` (a SeqLock), `NAME-ring` and `NAME-series` (a time series stamped
/// 1 s + i ms, sequence number i) of poses and `NAME-tracks` (a ring of nested structs), prints `ready`, waits for a line on stdin (the
/// recorder has started), writes pose i to each, one every millisecond, prints `wrote COUNT`
/// and keeps the segments until stdin closes: what the MCAP tests record.
fn record(name: &str, count: u64) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::BufRead;
    let mut lock = SeqLockPublisher::<Pose64>::create(&format!("{name}-lock"))?;
    let mut ring = RingPublisher::<Pose64>::create(&format!("{name}-ring"), CAPACITY)?;
    let mut series = TimeSeriesPublisher::<Pose64>::create(&format!("{name}-series"), CAPACITY)?;
    let mut tracks = RingPublisher::<Track>::create(&format!("{name}-tracks"), CAPACITY)?;
    println!("ready");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    for i in 0..count {
        lock.store(&pose(i));
        ring.push(&pose(i));
        let stamp = Timestamp::from_nanos(1_000_000_000 + i * 1_000_000);
        series.push(&Stamped::new(stamp, i, pose(i)))?;
        tracks.push(&track(i));
        std::thread::sleep(Duration::from_millis(1));
    }
    println!("wrote {count}");
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    Ok(())
}

/// Pushes `count` poses into a queue (nobody pops them here), then keeps the segment until
/// stdin closes: tools and Python see a queue with `count` values waiting.
fn queue(name: &str, count: u64) -> Result<(), Box<dyn std::error::Error>> {
    let mut producer = QueueProducer::<Pose64>::create(name, CAPACITY)?;
    for i in 0..count {
        producer.try_push(&pose(i))?;
    }
    println!("pushed {count}");
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    Ok(())
}

/// Stores poses 0, 1, 2... into a SeqLock as fast as it can (at least `count`), printing
/// `stored COUNT` once `count` are done, until stdin closes: a reader sees stores in progress
/// and must retry (the FORMAT.md reader's test).
fn store(name: &str, count: u64) -> Result<(), Box<dyn std::error::Error>> {
    let mut publisher = SeqLockPublisher::<Pose64>::create(name)?;
    for i in 0..count {
        publisher.store(&pose(i));
    }
    println!("stored {count}");
    // Stdin closes when the test is done: a thread waits for it while this one stores.
    let watcher = std::thread::spawn(|| {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
    });
    let mut i = count;
    while !watcher.is_finished() {
        publisher.store(&pose(i));
        i += 1;
    }
    Ok(())
}

/// Reads `count` poses from the first, checking each.
fn read(name: &str, count: u64) -> Result<(), Box<dyn std::error::Error>> {
    let subscriber = RingSubscriber::<Pose64>::open_timeout(name, Duration::from_secs(10))?;
    let mut cursor = subscriber.cursor_from_oldest();
    for i in 0..count {
        let got = subscriber
            .wait_next(&mut cursor, Duration::from_secs(10))
            .map_err(|e| format!("pose {i}: {e}"))?;
        if got != pose(i) {
            return Err(format!("pose {i}: got {got:?}, expected {:?}", pose(i)).into());
        }
    }
    println!("read {count}");
    Ok(())
}
