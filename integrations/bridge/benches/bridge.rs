//! The bridge against plain Zenoh, side by side in one run, over loopback TCP between two Zenoh
//! sessions of this process (multicast scouting off, explicit endpoints), 64 B and 1 MiB
//! values:
//!
//! - `latency/*`: a round trip. Plain: put `ping`, a responder thread receives it (the
//!   subscriber's default channel), reads its bytes (`to_bytes`: contiguous, as an
//!   application needs them) and puts them as `pong`, received and read the same way. Bridge: push into
//!   a Ring segment, bridge A exports it, bridge B imports it into a local segment, a
//!   responder thread waiting on that segment pushes into a second Ring, which B exports and
//!   A imports, where the pinger waits for it. Same hops, plus the shared memory at each end.
//! - `throughput/*`: time per value delivered. Plain: put as fast as Zenoh takes them
//!   (congestion control block), read (`to_bytes`) and counted by the subscriber's callback. Bridge: push into the
//!   source Ring (at most half its capacity ahead of what arrived, as the Ring holds only
//!   that much), counted as written into the imported segment; the exporter puts the values it
//!   finds already written together (`BATCH_BYTES`), as it does in use.
#![allow(
    clippy::disallowed_types,
    reason = "the bench's own counters and stop flag are plain std atomics"
)]
#![allow(missing_docs, reason = "criterion's macros")]

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytemuck::Pod;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtshm::Schema;
use rtshm::shm::{RingPublisher, RingSubscriber};
use rtshm_bridge::{Bridge, ExportOptions, ImportOptions, zenoh_config};
use zenoh::Wait;
use zenoh::qos::CongestionControl;

const WAIT: Duration = Duration::from_secs(10);

/// Two sessions' configurations: A listens on a fresh loopback port, B connects to it.
fn configs() -> (zenoh::Config, zenoh::Config) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let endpoint = format!("tcp/127.0.0.1:{port}");
    let quiet = |mut c: zenoh::Config| {
        c.insert_json5("scouting/multicast/enabled", "false")
            .expect("a valid key");
        c
    };
    (
        quiet(zenoh_config(&[&endpoint], &[]).expect("config")),
        quiet(zenoh_config(&[], &[&endpoint]).expect("config")),
    )
}

/// A publisher on `key` that waits when Zenoh is congested (no value dropped).
fn publisher(session: &zenoh::Session, key: String) -> zenoh::pubsub::Publisher<'static> {
    session
        .declare_publisher(key)
        .congestion_control(CongestionControl::Block)
        .wait()
        .expect("publisher")
}

/// Both ends of a plain Zenoh pair.
struct Plain {
    a: zenoh::Session,
    b: zenoh::Session,
}

impl Plain {
    fn new() -> Self {
        let (ca, cb) = configs();
        let a = zenoh::open(ca).wait().expect("session A");
        let b = zenoh::open(cb).wait().expect("session B");
        Self { a, b }
    }

    /// Round trips of `size`-byte values: returns the time of `iters`.
    fn latency(&self, size: usize, tag: &str) -> impl FnMut(u64) -> Duration {
        let ping_key = format!("bench/{tag}/ping");
        let pong_key = format!("bench/{tag}/pong");
        let ping = publisher(&self.a, ping_key.clone());
        let pongs = self.a.declare_subscriber(&pong_key).wait().expect("sub");
        let pings = self.b.declare_subscriber(&ping_key).wait().expect("sub");
        let pong = publisher(&self.b, pong_key);
        // The responder: receives each ping from its channel and puts it back.
        std::thread::spawn(move || {
            while let Ok(sample) = pings.recv() {
                // An application reads the value (contiguous), then puts its reply.
                let value = sample.payload().to_bytes();
                let _ = pong.put(&*value).wait();
            }
        });
        std::thread::sleep(Duration::from_millis(500));
        let payload = vec![0x5Au8; size];
        move |iters| {
            let start = Instant::now();
            for _ in 0..iters {
                ping.put(payload.clone()).wait().expect("put");
                let pong = pongs
                    .recv_timeout(WAIT)
                    .expect("channel")
                    .expect("a pong in time");
                black_box(pong.payload().to_bytes());
            }
            start.elapsed()
        }
    }

    /// Time to deliver `iters` values of `size` bytes.
    fn throughput(&self, size: usize, tag: &str) -> impl FnMut(u64) -> Duration {
        let key = format!("bench/{tag}/flow");
        let publisher = publisher(&self.a, key.clone());
        let received = Arc::new(AtomicU64::new(0));
        let counter = received.clone();
        let subscriber = self
            .b
            .declare_subscriber(&key)
            .callback(move |sample| {
                black_box(sample.payload().to_bytes());
                counter.fetch_add(1, Ordering::Relaxed);
            })
            .wait()
            .expect("sub");
        std::thread::sleep(Duration::from_millis(500));
        let payload = vec![0x5Au8; size];
        move |iters| {
            let _keep = &subscriber;
            let base = received.load(Ordering::Relaxed);
            let start = Instant::now();
            for _ in 0..iters {
                publisher.put(payload.clone()).wait().expect("put");
            }
            let deadline = Instant::now() + WAIT;
            while received.load(Ordering::Relaxed) < base + iters {
                assert!(Instant::now() < deadline, "values lost in plain Zenoh");
                std::hint::spin_loop();
            }
            start.elapsed()
        }
    }
}

/// Two bridges, A exporting under `bench-a-<pid>` and importing B's, B the other way round.
struct Bridges {
    a: Bridge,
    b: Bridge,
    id: u32,
}

impl Bridges {
    fn new() -> Self {
        let id = std::process::id();
        let (ca, cb) = configs();
        let a = Bridge::open(ca, &format!("bench-a-{id}")).expect("bridge A");
        let b = Bridge::open(cb, &format!("bench-b-{id}")).expect("bridge B");
        a.import(
            &format!("rtshm/bench-b-{id}/**"),
            ImportOptions::new().prefix("a-"),
        )
        .expect("import");
        b.import(
            &format!("rtshm/bench-a-{id}/**"),
            ImportOptions::new().prefix("b-"),
        )
        .expect("import");
        Self { a, b, id }
    }

    /// Opens the imported segment `name`, waiting for its creation.
    fn imported<V: Pod + Schema>(name: &str) -> RingSubscriber<V> {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(s) = RingSubscriber::<V>::open(name) {
                return s;
            }
            assert!(Instant::now() < deadline, "{name} never imported");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Round trips of `V` values through both bridges: returns the time of `iters`.
    fn latency<V: Pod + Schema + Send>(
        &self,
        tag: &str,
    ) -> (impl FnMut(u64) -> Duration, Responder) {
        let (ping_name, pong_name) = (
            format!("bench-{}-{tag}-ping", self.id),
            format!("bench-{}-{tag}-pong", self.id),
        );
        let mut ping = RingPublisher::<V>::create(&ping_name, 16).expect("ping");
        let mut pong = RingPublisher::<V>::create(&pong_name, 16).expect("pong");
        self.a
            .export(&ping_name, ExportOptions::new())
            .expect("export");
        self.b
            .export(&pong_name, ExportOptions::new())
            .expect("export");
        let pings = Self::imported::<V>(&format!("b-{ping_name}"));
        let pongs = Self::imported::<V>(&format!("a-{pong_name}"));
        // The responder: waits on the imported pings, pushes each into `pong`.
        let stop = Arc::new(AtomicBool::new(false));
        let done = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut cursor = pings.cursor_from_next();
            let mut value: Box<V> = bytemuck::zeroed_box();
            while !done.load(Ordering::Relaxed) {
                if pings
                    .wait_next_into(&mut cursor, &mut value, Duration::from_millis(100))
                    .is_ok()
                {
                    pong.push(&value);
                }
            }
        });
        std::thread::sleep(Duration::from_millis(500));
        let value: Box<V> = bytemuck::zeroed_box();
        let mut back: Box<V> = bytemuck::zeroed_box();
        let mut cursor = pongs.cursor_from_next();
        let run = move |iters| {
            let start = Instant::now();
            for _ in 0..iters {
                ping.push(&value);
                pongs
                    .wait_next_into(&mut cursor, &mut back, WAIT)
                    .expect("a pong in time");
            }
            start.elapsed()
        };
        (run, Responder(stop, Some(thread)))
    }

    /// Time to deliver `iters` values of `V` through bridge A to B.
    fn throughput<V: Pod + Schema>(
        &self,
        tag: &str,
        capacity: usize,
    ) -> impl FnMut(u64) -> Duration {
        let name = format!("bench-{}-{tag}-flow", self.id);
        let mut source = RingPublisher::<V>::create(&name, capacity).expect("source");
        self.a.export(&name, ExportOptions::new()).expect("export");
        let arrived = Self::imported::<V>(&format!("b-{name}"));
        std::thread::sleep(Duration::from_millis(500));
        let value: Box<V> = bytemuck::zeroed_box();
        let ahead = capacity as u64 / 2;
        let mut pushed = 0u64;
        move |iters| {
            let start = Instant::now();
            let end = pushed + iters;
            let deadline = Instant::now() + WAIT + Duration::from_secs(iters / 1000);
            // What arrived, re-read only when the pusher reaches the limit (each read is a
            // cache miss on the line the importer writes).
            let mut known = arrived.written();
            while known < end {
                if pushed < end && pushed < known + ahead {
                    source.push(&value);
                    pushed += 1;
                    continue;
                }
                let now = arrived.written();
                if now == known {
                    // Half a ring ahead: the bridge's threads need the CPU more than this loop.
                    assert!(Instant::now() < deadline, "values lost in the bridge");
                    std::thread::sleep(Duration::from_micros(50));
                }
                known = now;
            }
            start.elapsed()
        }
    }
}

/// Stops a latency responder thread when dropped.
struct Responder(Arc<AtomicBool>, Option<JoinHandle<()>>);

impl Drop for Responder {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
        if let Some(thread) = self.1.take() {
            let _ = thread.join();
        }
    }
}

fn bench_bridge(c: &mut Criterion) {
    let plain = Plain::new();
    let bridges = Bridges::new();

    let mut g = c.benchmark_group("bridge/latency");
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    let mut run = plain.latency(64, "l64");
    g.bench_function("plain_zenoh/64B", |b| b.iter_custom(&mut run));
    let (mut run, _r64) = bridges.latency::<[u64; 8]>("l64");
    g.bench_function("bridge/64B", |b| b.iter_custom(&mut run));
    let mut run = plain.latency(1 << 20, "l1m");
    g.bench_function("plain_zenoh/1MiB", |b| b.iter_custom(&mut run));
    let (mut run, _r1m) = bridges.latency::<[u8; 1 << 20]>("l1m");
    g.bench_function("bridge/1MiB", |b| b.iter_custom(&mut run));
    g.finish();

    let mut g = c.benchmark_group("bridge/throughput");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Bytes(64));
    let mut run = plain.throughput(64, "t64");
    g.bench_function("plain_zenoh/64B", |b| b.iter_custom(&mut run));
    let mut run = bridges.throughput::<[u64; 8]>("t64", 4096);
    g.bench_function("bridge/64B", |b| b.iter_custom(&mut run));
    g.throughput(Throughput::Bytes(1 << 20));
    let mut run = plain.throughput(1 << 20, "t1m");
    g.bench_function("plain_zenoh/1MiB", |b| b.iter_custom(&mut run));
    let mut run = bridges.throughput::<[u8; 1 << 20]>("t1m", 16);
    g.bench_function("bridge/1MiB", |b| b.iter_custom(&mut run));
    g.finish();
}

criterion_group!(benches, bench_bridge);
criterion_main!(benches);
