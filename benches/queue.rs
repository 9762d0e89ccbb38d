//! Queue costs (issue 22), rtshm's `Queue` beside rtrb's `RingBuffer` (the peer: a well-kept
//! SPSC queue), for `u64` and 64-byte values, same capacity (1024):
//! - `queue_same_thread`: one push and one pop on one thread (the cost of the operations
//!   themselves);
//! - `queue_throughput`: a producer thread on one core pushes `iters` values, the consumer on
//!   another pops them, each side spinning while full / empty; the time is the consumer's, per
//!   value. Cross-core throughput of any SPSC queue swings with whether the consumer runs just
//!   behind the producer (every value moves its cache lines) or the queue stays nearly full
//!   (lines move eight `u64` at a time): compare rows of one run, and expect run-to-run swings.
//!   `shm` rows: the same through a queue segment (`QueueProducer`/`QueueConsumer`), each side
//!   with its own mapping as two processes have.
//! - `queue_batched`: the same through each queue's batch forms, 16 values per call
//!   (`push_slice`/`pop_into_slice`; rtrb's `write_chunk_uninit`/`read_chunk`): what a
//!   producer of many small values does to pay the index stores, wake checks and cache-line
//!   moves once per batch.
//! - `queue_processes`: issue 22's "shm queue across two processes": the consumer of a queue
//!   segment is another process (this binary again, run with `RTSHM_BENCH_QUEUE_CONSUMER`),
//!   beside the in-process `Queue` with a consumer thread; both timed the same way, by the
//!   producer: from its first push until the consumer has popped the last value, every value
//!   checked. The consumers spin between samples.

// The harness uses a plain std atomic; the one-module rule is for src/.
#![allow(clippy::disallowed_types)]

mod common;

use std::hint::{black_box, spin_loop};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use rtshm::Queue;
use rtshm::shm::{QueueConsumer, QueueProducer};

const CAPACITY: usize = 1024;

/// Runs `produce` on CPU 1 and `consume` on CPU 0 (this thread), starting together; returns
/// the consumer's time.
fn transfer(produce: impl FnOnce() + Send, consume: impl FnOnce()) -> Duration {
    let ready = AtomicBool::new(false);
    thread::scope(|s| {
        s.spawn(|| {
            common::pin_to(1);
            ready.store(true, Ordering::Release);
            produce();
        });
        common::pin_to(0);
        while !ready.load(Ordering::Acquire) {
            spin_loop();
        }
        let t = Instant::now();
        consume();
        t.elapsed()
    })
}

/// `n` dependent additions the optimiser keeps (about 1 ns each): a side's own work per value.
fn work(n: u32) {
    let mut x = 0u64;
    for k in 0..n {
        x = black_box(x.wrapping_add(u64::from(k)));
    }
}

fn rtshm_queue<T: rtshm::Payload + Send + PartialEq + std::fmt::Debug>(
    iters: u64,
    make: impl Fn(u64) -> T + Sync,
    consumer_work: u32,
) -> Duration {
    let queue: Box<Queue<T, CAPACITY>> = Box::new(Queue::new());
    let mut producer = queue.producer().expect("one producer");
    let mut consumer = queue.consumer().expect("one consumer");
    let make = &make;
    transfer(
        move || {
            for i in 0..iters {
                let v = make(i);
                while producer.try_push(&v).is_err() {
                    spin_loop();
                }
            }
        },
        || {
            for i in 0..iters {
                loop {
                    if let Some(v) = consumer.try_pop() {
                        debug_assert_eq!(v, make(i));
                        work(consumer_work);
                        break;
                    }
                    spin_loop();
                }
            }
        },
    )
}

/// [`rtshm_queue`] through a queue segment: the producer and the consumer each map it, as two
/// processes do (same physical pages, separate mappings; the consumer's page read-only for the
/// producer, the data read-only for the consumer).
fn shm_queue<T: bytemuck::Pod + rtshm::Schema + Send + PartialEq + std::fmt::Debug>(
    iters: u64,
    make: impl Fn(u64) -> T + Sync,
    consumer_work: u32,
) -> Duration {
    let name = format!("rtshm-bench-queue-{}", std::process::id());
    let mut producer = QueueProducer::<T>::create(&name, CAPACITY).expect("create the queue");
    let mut consumer = QueueConsumer::<T>::open(&name).expect("claim the consumer");
    let make = &make;
    transfer(
        move || {
            for i in 0..iters {
                let v = make(i);
                while producer.try_push(&v).is_err() {
                    spin_loop();
                }
            }
        },
        || {
            for i in 0..iters {
                loop {
                    if let Some(v) = consumer.try_pop() {
                        debug_assert_eq!(v, make(i));
                        work(consumer_work);
                        break;
                    }
                    spin_loop();
                }
            }
        },
    )
}

fn rtrb_queue<T: Copy + Send + PartialEq + std::fmt::Debug>(
    iters: u64,
    make: impl Fn(u64) -> T + Sync,
    consumer_work: u32,
) -> Duration {
    let (mut producer, mut consumer) = rtrb::RingBuffer::<T>::new(CAPACITY);
    let make = &make;
    transfer(
        move || {
            for i in 0..iters {
                let mut v = make(i);
                while let Err(rtrb::PushError::Full(back)) = producer.push(v) {
                    v = back;
                    spin_loop();
                }
            }
        },
        || {
            for i in 0..iters {
                loop {
                    if let Ok(v) = consumer.pop() {
                        debug_assert_eq!(v, make(i));
                        work(consumer_work);
                        break;
                    }
                    spin_loop();
                }
            }
        },
    )
}

fn same_thread(c: &mut Criterion) {
    let mut g = c.benchmark_group("queue_same_thread");
    let queue: Box<Queue<u64, CAPACITY>> = Box::new(Queue::new());
    let (mut p, mut cons) = (queue.producer().unwrap(), queue.consumer().unwrap());
    g.bench_function(BenchmarkId::new("rtshm", "u64"), |b| {
        b.iter(|| {
            let _ = p.try_push(&black_box(7u64));
            black_box(cons.try_pop())
        });
    });
    let name = format!("rtshm-bench-queue-same-{}", std::process::id());
    let mut sp = QueueProducer::<u64>::create(&name, CAPACITY).expect("create the queue");
    let mut sc = QueueConsumer::<u64>::open(&name).expect("claim the consumer");
    g.bench_function(BenchmarkId::new("shm", "u64"), |b| {
        b.iter(|| {
            let _ = sp.try_push(&black_box(7u64));
            black_box(sc.try_pop())
        });
    });
    let (mut rp, mut rc) = rtrb::RingBuffer::<u64>::new(CAPACITY);
    g.bench_function(BenchmarkId::new("rtrb", "u64"), |b| {
        b.iter(|| {
            let _ = rp.push(black_box(7u64));
            black_box(rc.pop().ok())
        });
    });
    let queue: Box<Queue<[u64; 8], CAPACITY>> = Box::new(Queue::new());
    let (mut p, mut cons) = (queue.producer().unwrap(), queue.consumer().unwrap());
    g.bench_function(BenchmarkId::new("rtshm", "64B"), |b| {
        b.iter(|| {
            let _ = p.try_push(&black_box([7u64; 8]));
            black_box(cons.try_pop())
        });
    });
    let (mut rp, mut rc) = rtrb::RingBuffer::<[u64; 8]>::new(CAPACITY);
    g.bench_function(BenchmarkId::new("rtrb", "64B"), |b| {
        b.iter(|| {
            let _ = rp.push(black_box([7u64; 8]));
            black_box(rc.pop().ok())
        });
    });
    g.finish();
}

fn throughput(c: &mut Criterion) {
    let _ = common::cpu_list();
    let mut g = c.benchmark_group("queue_throughput");
    g.throughput(Throughput::Elements(1));
    g.bench_function(BenchmarkId::new("rtshm", "u64"), |b| {
        b.iter_custom(|n| rtshm_queue(n, |i| i, 0));
    });
    g.bench_function(BenchmarkId::new("rtrb", "u64"), |b| {
        b.iter_custom(|n| rtrb_queue(n, |i| i, 0));
    });
    g.bench_function(BenchmarkId::new("shm", "u64"), |b| {
        b.iter_custom(|n| shm_queue(n, |i| i, 0));
    });
    g.bench_function(BenchmarkId::new("rtshm", "64B"), |b| {
        b.iter_custom(|n| rtshm_queue(n, |i| [i; 8], 0));
    });
    g.bench_function(BenchmarkId::new("shm", "64B"), |b| {
        b.iter_custom(|n| shm_queue(n, |i| [i; 8], 0));
    });
    g.bench_function(BenchmarkId::new("rtrb", "64B"), |b| {
        b.iter_custom(|n| rtrb_queue(n, |i| [i; 8], 0));
    });
    g.finish();
}

/// `queue_throughput` with one side paced by 16 ns of its own work per value, so that the
/// pair settles in one regime on every run: `consumer_paced` keeps the queue full (the
/// producer waits for room), `producer_paced` keeps it empty (the consumer waits for values).
/// Time per value: the paced side's work plus what the queue costs that side in that regime.
fn paced(c: &mut Criterion) {
    const WORK: u32 = 16;
    let mut g = c.benchmark_group("queue_paced");
    g.throughput(Throughput::Elements(1));
    let slow = |i: u64| {
        work(WORK);
        i
    };
    for (regime, make, consumer) in [
        (
            "consumer_paced",
            (&(|i| i)) as &(dyn Fn(u64) -> u64 + Sync),
            WORK,
        ),
        ("producer_paced", &slow, 0),
    ] {
        g.bench_function(BenchmarkId::new("rtshm", regime), |b| {
            b.iter_custom(|n| rtshm_queue(n, make, consumer));
        });
        g.bench_function(BenchmarkId::new("shm", regime), |b| {
            b.iter_custom(|n| shm_queue(n, make, consumer));
        });
        g.bench_function(BenchmarkId::new("rtrb", regime), |b| {
            b.iter_custom(|n| rtrb_queue(n, make, consumer));
        });
    }
    g.finish();
}

/// Values per call in `queue_batched`.
const BATCH: usize = 16;

/// Moves `iters` values (`make(0)`, `make(1)`, ...) in calls of up to [`BATCH`]: `push`
/// appends what fits of a slice and says how many, `pop` copies out up to a slice's length and
/// says how many (the batch forms of each queue). Returns the consumer's time.
fn batched<T: Copy + PartialEq + std::fmt::Debug>(
    iters: u64,
    make: impl Fn(u64) -> T + Sync,
    mut push: impl FnMut(&[T]) -> usize + Send,
    mut pop: impl FnMut(&mut [T]) -> usize,
) -> Duration {
    let make = &make;
    transfer(
        move || {
            let mut values = [make(0); BATCH];
            let mut next = 0u64;
            while next < iters {
                let m = (iters - next).min(BATCH as u64) as usize;
                for (k, v) in values[..m].iter_mut().enumerate() {
                    *v = make(next + k as u64);
                }
                let mut sent = 0;
                while sent < m {
                    let k = push(&values[sent..m]);
                    if k == 0 {
                        spin_loop();
                    }
                    sent += k;
                }
                next += m as u64;
            }
        },
        || {
            let mut values = [make(0); BATCH];
            let mut got = 0u64;
            while got < iters {
                let k = pop(&mut values);
                if k == 0 {
                    spin_loop();
                    continue;
                }
                debug_assert_eq!(values[0], make(got));
                black_box(&values[..k]);
                got += k as u64;
            }
        },
    )
}

/// [`batched`] through an in-process [`Queue`].
fn rtshm_batched<T: rtshm::Payload + Send + PartialEq + std::fmt::Debug>(
    iters: u64,
    make: impl Fn(u64) -> T + Sync,
) -> Duration {
    let queue: Box<Queue<T, CAPACITY>> = Box::new(Queue::new());
    let mut producer = queue.producer().expect("one producer");
    let mut consumer = queue.consumer().expect("one consumer");
    batched(
        iters,
        make,
        move |v| producer.push_slice(v),
        |d| consumer.pop_into_slice(d),
    )
}

/// [`batched`] through a queue segment (each side with its own mapping, as in [`shm_queue`]).
fn shm_batched<T: bytemuck::Pod + rtshm::Schema + Send + PartialEq + std::fmt::Debug>(
    iters: u64,
    make: impl Fn(u64) -> T + Sync,
) -> Duration {
    let name = format!("rtshm-bench-queue-batched-{}", std::process::id());
    let mut producer = QueueProducer::<T>::create(&name, CAPACITY).expect("create the queue");
    let mut consumer = QueueConsumer::<T>::open(&name).expect("claim the consumer");
    batched(
        iters,
        make,
        move |v| producer.push_slice(v),
        |d| consumer.pop_into_slice(d),
    )
}

/// [`batched`] through rtrb's chunks (`write_chunk_uninit`, `read_chunk`).
fn rtrb_batched<T: Copy + Send + PartialEq + std::fmt::Debug>(
    iters: u64,
    make: impl Fn(u64) -> T + Sync,
) -> Duration {
    let (mut producer, mut consumer) = rtrb::RingBuffer::<T>::new(CAPACITY);
    batched(
        iters,
        make,
        move |v| {
            let n = producer.slots().min(v.len());
            producer
                .write_chunk_uninit(n)
                .map_or(0, |chunk| chunk.fill_from_iter(v.iter().copied()))
        },
        |d| {
            let n = consumer.slots().min(d.len());
            let Ok(chunk) = consumer.read_chunk(n) else {
                return 0;
            };
            let (a, b) = chunk.as_slices();
            d[..a.len()].copy_from_slice(a);
            d[a.len()..n].copy_from_slice(b);
            chunk.commit_all();
            n
        },
    )
}

/// `queue_throughput` through the batch forms, [`BATCH`] values per call.
fn batch_throughput(c: &mut Criterion) {
    let mut g = c.benchmark_group("queue_batched");
    g.throughput(Throughput::Elements(1));
    g.bench_function(BenchmarkId::new("rtshm", "u64"), |b| {
        b.iter_custom(|n| rtshm_batched(n, |i| i));
    });
    g.bench_function(BenchmarkId::new("shm", "u64"), |b| {
        b.iter_custom(|n| shm_batched(n, |i| i));
    });
    g.bench_function(BenchmarkId::new("rtrb", "u64"), |b| {
        b.iter_custom(|n| rtrb_batched(n, |i| i));
    });
    g.bench_function(BenchmarkId::new("rtshm", "64B"), |b| {
        b.iter_custom(|n| rtshm_batched(n, |i| [i; 8]));
    });
    g.bench_function(BenchmarkId::new("shm", "64B"), |b| {
        b.iter_custom(|n| shm_batched(n, |i| [i; 8]));
    });
    g.bench_function(BenchmarkId::new("rtrb", "64B"), |b| {
        b.iter_custom(|n| rtrb_batched(n, |i| [i; 8]));
    });
    g.finish();
}

/// The environment variable that makes this binary the consumer process of
/// `queue_processes`: `SEGMENT:u64` or `SEGMENT:64B`.
const CONSUMER_PROCESS: &str = "RTSHM_BENCH_QUEUE_CONSUMER";

/// A consumer that pops forever, pinned to the first CPU, checking that value `n` is
/// `make(n)`, until it pops `end`: the consumer thread of `queue_processes` (in-process
/// queue) and the loop of its consumer process (queue segment). Spins while empty, as the
/// other harnesses do; between samples, too (a sample's values are then taken at once).
fn consume_until<T: PartialEq + std::fmt::Debug>(
    mut pop: impl FnMut() -> Option<T>,
    make: impl Fn(u64) -> T,
    end: &T,
) {
    common::pin_to(0);
    let mut n = 0u64;
    loop {
        match pop() {
            Some(v) if v == *end => return,
            Some(v) => {
                assert_eq!(v, make(n), "value {n} out of order");
                n += 1;
            }
            None => spin_loop(),
        }
    }
}

/// One side's view of a queue for `produce`: push or say full, and whether the consumer has
/// popped everything (a fresh look at its index).
trait ProducerSide<T> {
    fn push(&mut self, value: &T) -> bool;
    fn drained(&mut self) -> bool;
}

impl<T: rtshm::Payload, const N: usize> ProducerSide<T> for rtshm::Producer<'_, T, N> {
    fn push(&mut self, value: &T) -> bool {
        self.try_push(value).is_ok()
    }
    fn drained(&mut self) -> bool {
        self.is_empty()
    }
}

impl<T: bytemuck::Pod + rtshm::Schema> ProducerSide<T> for QueueProducer<T> {
    fn push(&mut self, value: &T) -> bool {
        self.try_push(value).is_ok()
    }
    fn drained(&mut self) -> bool {
        self.is_empty()
    }
}

/// How long `produce` waits for a consumer that takes nothing before it fails.
const STUCK: Duration = Duration::from_secs(60);

/// Pushes the next `iters` values (numbered on from `next`) from a thread pinned to the second
/// CPU, spinning while full, then waits until the consumer has popped them all: returns that
/// time, the same measure for any consumer (a thread or another process).
fn produce<T: Send>(
    side: &mut (impl ProducerSide<T> + Send),
    next: &mut u64,
    iters: u64,
    make: impl Fn(u64) -> T + Sync,
) -> Duration {
    let from = *next;
    *next += iters;
    thread::scope(|s| {
        s.spawn(|| {
            common::pin_to(1);
            let t = Instant::now();
            // A consumer that stopped (it panicked on a wrong value, say) must fail the
            // bench, not hang it: the clock is read once per 2^16 spins.
            let mut spins = 0u32;
            let mut wait = || {
                spins = spins.wrapping_add(1);
                if !spins.is_multiple_of(1 << 16) {
                    spin_loop();
                    return;
                }
                assert!(t.elapsed() < STUCK, "the consumer stopped taking values");
            };
            for i in from..from + iters {
                let v = make(i);
                while !side.push(&v) {
                    wait();
                }
            }
            while !side.drained() {
                wait();
            }
            t.elapsed()
        })
        .join()
        .expect("the producer thread")
    })
}

/// Pushes the value that ends a consumer ([`consume_until`]) once the samples are taken,
/// outside any timing; fails like [`produce`] if the consumer stopped taking values.
fn push_end<T>(side: &mut impl ProducerSide<T>, end: &T) {
    let t = Instant::now();
    while !side.push(end) {
        assert!(t.elapsed() < STUCK, "the consumer stopped taking values");
        spin_loop();
    }
}

/// The consumer process of `queue_processes` (this binary, run with [`CONSUMER_PROCESS`]).
fn consumer_process(spec: &str) {
    // Never outlive the bench: a consumer left spinning would hold a CPU.
    let _ = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL));
    let (name, size) = spec.rsplit_once(':').expect("SEGMENT:SIZE");
    match size {
        "u64" => {
            let mut c = QueueConsumer::<u64>::open(name).expect("claim the consumer");
            consume_until(|| c.try_pop(), |i| i, &u64::MAX);
        }
        _ => {
            let mut c = QueueConsumer::<[u64; 8]>::open(name).expect("claim the consumer");
            consume_until(|| c.try_pop(), |i| [i; 8], &[u64::MAX; 8]);
        }
    }
}

/// Issue 22's "shm queue across two processes": the producer in this process, the consumer
/// in another (this binary again), beside the in-process `Queue` with a consumer thread, both
/// measured the same way ([`produce`]): time per value from the first push until the
/// consumer has popped the last, every value checked.
fn processes(c: &mut Criterion) {
    fn run<
        T: bytemuck::Pod + rtshm::Schema + rtshm::Payload + Send + PartialEq + std::fmt::Debug,
    >(
        g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
        size: &str,
        make: impl Fn(u64) -> T + Send + Sync + Copy,
        end: T,
    ) {
        let queue: Box<Queue<T, CAPACITY>> = Box::new(Queue::new());
        let mut producer = queue.producer().expect("one producer");
        let mut consumer = queue.consumer().expect("one consumer");
        thread::scope(|s| {
            s.spawn(move || consume_until(|| consumer.try_pop(), make, &end));
            let mut next = 0;
            g.bench_function(BenchmarkId::new("in_process", size), |b| {
                b.iter_custom(|n| produce(&mut producer, &mut next, n, make));
            });
            push_end(&mut producer, &end);
        });

        let name = common::segment_name(&format!("queue-processes-{size}"));
        let mut producer = QueueProducer::<T>::create(&name, CAPACITY).expect("create the queue");
        let mut child = std::process::Command::new(std::env::current_exe().expect("this binary"))
            .env(CONSUMER_PROCESS, format!("{name}:{size}"))
            .spawn()
            .expect("the consumer process");
        // The consumer has claimed its side once the segment says a consumer is alive.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !matches!(
            producer.consumer_status(Duration::from_secs(1)),
            rtshm::liveness::WriterStatus::Alive { .. }
        ) {
            let exited = child.try_wait().expect("the consumer process");
            assert!(
                exited.is_none() && Instant::now() < deadline,
                "the consumer process never claimed {name} ({exited:?})"
            );
            thread::sleep(Duration::from_millis(1));
        }
        let mut next = 0;
        g.bench_function(BenchmarkId::new("shm_processes", size), |b| {
            b.iter_custom(|n| produce(&mut producer, &mut next, n, make));
        });
        push_end(&mut producer, &end);
        let status = child.wait().expect("the consumer process");
        assert!(status.success(), "the consumer process failed: {status}");
    }
    let mut g = c.benchmark_group("queue_processes");
    g.throughput(Throughput::Elements(1));
    run(&mut g, "u64", |i| i, u64::MAX);
    run(&mut g, "64B", |i| [i; 8], [u64::MAX; 8]);
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = same_thread, throughput, batch_throughput, paced, processes
}

fn main() {
    if let Ok(spec) = std::env::var(CONSUMER_PROCESS) {
        consumer_process(&spec);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
