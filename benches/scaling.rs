//! Readers in parallel: one writer and N readers (N = 1 ..= the CPUs this process may use),
//! total successful 64-byte reads per second. Readers share nothing they write, so the total
//! should grow linearly with N until readers outnumber cores.
//!
//! The writer stores at 1 kHz (a typical sensor rate; it sleeps in between), so that it does
//! not take a core from the readers. A second group pits one reader against a writer that
//! stores flat out, where a SeqLock reader overlaps a store on almost every attempt and a Ring
//! reader almost never does (ARCHITECTURE.md, "Ring").

// The baselines and harness use plain std atomics; the one-module rule is for src/.
#![allow(clippy::disallowed_types)]

mod common;

use std::hint::{black_box, spin_loop};
use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rtshm::{Ring, SeqLock};

type Value = [u8; 64];

/// Runs `writer` until the readers finish; each of `readers` threads calls `read` until it has
/// `iters` successes. Returns the wall time from the common start to the last reader's end.
fn run(
    iters: u64,
    readers: usize,
    writer: impl FnOnce(&AtomicBool) + Send,
    read: impl Fn() -> bool + Sync,
    pin_readers_from: usize,
) -> Duration {
    let stop = AtomicBool::new(false);
    let start = Barrier::new(readers + 1);
    thread::scope(|s| {
        let stop = &stop;
        let w = s.spawn(move || writer(stop));
        let handles: Vec<_> = (0..readers)
            .map(|r| {
                let (start, read) = (&start, &read);
                s.spawn(move || {
                    common::pin_to(pin_readers_from + r);
                    start.wait();
                    let t = Instant::now();
                    let mut ok = 0;
                    while ok < iters {
                        if read() {
                            ok += 1;
                        } else {
                            spin_loop();
                        }
                    }
                    t.elapsed()
                })
            })
            .collect();
        start.wait();
        let longest = handles
            .into_iter()
            .map(|h| h.join().expect("reader"))
            .max()
            .unwrap_or_default();
        stop.store(true, Ordering::Relaxed);
        w.join().expect("writer");
        longest
    })
}

/// How the writer paces its stores.
#[derive(Clone, Copy)]
enum Pace {
    /// One store per millisecond (it sleeps in between).
    Khz,
    /// As fast as it can, pinned to the first CPU.
    FlatOut,
}

/// A writer loop: `store(i)` at `pace` until told to stop.
fn writer(pace: Pace, mut store: impl FnMut(u64)) -> impl FnOnce(&AtomicBool) {
    move |stop: &AtomicBool| {
        if let Pace::FlatOut = pace {
            common::pin_to(0);
        }
        let mut i = 0;
        while !stop.load(Ordering::Relaxed) {
            i += 1;
            store(i);
            if let Pace::Khz = pace {
                thread::sleep(Duration::from_millis(1));
            }
        }
    }
}

fn seqlock(b: &mut criterion::Bencher<'_>, readers: usize, pace: Pace, first_cpu: usize) {
    let lock = SeqLock::new([0u8; 64]);
    b.iter_custom(|iters| {
        let lock = &lock;
        run(
            iters,
            readers,
            move |stop: &AtomicBool| {
                let mut w = lock.writer().expect("one writer");
                writer(pace, |i| {
                    w.store(&[i as u8; 64]);
                })(stop);
            },
            || black_box(lock.try_load()).is_ok(),
            first_cpu,
        )
    });
}

fn ring(b: &mut criterion::Bencher<'_>, readers: usize, pace: Pace, first_cpu: usize) {
    let ring: Ring<Value, 8> = Ring::new();
    b.iter_custom(|iters| {
        let ring = &ring;
        run(
            iters,
            readers,
            move |stop: &AtomicBool| {
                let mut w = ring.writer().expect("one writer");
                writer(pace, |i| {
                    w.push(&[i as u8; 64]);
                })(stop);
            },
            || matches!(black_box(ring.latest()), Ok(Some(_))),
            first_cpu,
        )
    });
}

fn reader_scaling(c: &mut Criterion) {
    let cpus = common::cpus();
    let mut g = c.benchmark_group("reader_scaling");
    for n in 1..=cpus {
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("seqlock_64B", n), &n, |b, &n| {
            seqlock(b, n, Pace::Khz, 0);
        });
        g.bench_with_input(BenchmarkId::new("ring_64B", n), &n, |b, &n| {
            ring(b, n, Pace::Khz, 0);
        });
    }
    g.finish();
}

fn flat_out_writer(c: &mut Criterion) {
    let mut g = c.benchmark_group("flat_out_writer");
    g.throughput(Throughput::Elements(1));
    g.bench_function("seqlock_64B_reads", |b| seqlock(b, 1, Pace::FlatOut, 1));
    g.bench_function("ring_64B_reads", |b| ring(b, 1, Pace::FlatOut, 1));
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = reader_scaling, flat_out_writer
}
criterion_main!(benches);
