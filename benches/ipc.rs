//! Cross-core round trips (latency): a value goes from one thread to a thread pinned to another
//! core and back. Baselines: a raw cache-line ping-pong (the hardware limit for any shared-memory
//! scheme), and kernel IPC (futex, pipe, Unix socket). Ours: the same round trip through two
//! SeqLocks (one per direction), each side spinning until it sees the other's counter.

// The baselines and harness use plain std atomics; the one-module rule is for src/.
#![allow(clippy::disallowed_types)]

mod common;

use std::hint::spin_loop;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use rtshm::shm::{QueueConsumer, QueueProducer};
use rtshm::{Queue, Ring, SeqLock, Version};

/// Runs `iters` round trips: `pinger` on CPU 0 (this thread), `ponger` on CPU 1; returns the
/// time the pinger took. Both sides spin on a flag (not a sleeping barrier) until both run on
/// their cores, so the timing does not include waking an idle CPU.
fn round_trips(iters: u64, pinger: impl FnOnce(u64), ponger: impl FnOnce(u64) + Send) -> Duration {
    round_trips_prepared(iters, pinger, || ponger)
}

/// [`round_trips`] whose ponger is made by `prepare` on its own thread, untimed (for ports that
/// must stay on the thread that made them).
fn round_trips_prepared<P: FnOnce(u64)>(
    iters: u64,
    pinger: impl FnOnce(u64),
    prepare: impl FnOnce() -> P + Send,
) -> Duration {
    let ready = AtomicBool::new(false);
    thread::scope(|s| {
        s.spawn(|| {
            common::pin_to(1);
            let ponger = prepare();
            ready.store(true, Ordering::Release);
            ponger(iters);
        });
        common::pin_to(0);
        while !ready.load(Ordering::Acquire) {
            spin_loop();
        }
        let t = Instant::now();
        pinger(iters);
        t.elapsed()
    })
}

/// A value alone on its own 128-byte line pair.
#[repr(align(128))]
struct Padded<T>(T);

fn cache_line(iters: u64) -> Duration {
    let line = Padded(AtomicU64::new(0));
    let line = &line.0;
    round_trips(
        iters,
        |n| {
            for i in 0..n {
                line.store(2 * i + 1, Ordering::Release);
                while line.load(Ordering::Acquire) != 2 * i + 2 {
                    spin_loop();
                }
            }
        },
        |n| {
            for i in 0..n {
                while line.load(Ordering::Acquire) != 2 * i + 1 {
                    spin_loop();
                }
                line.store(2 * i + 2, Ordering::Release);
            }
        },
    )
}

fn seqlocks<T: bytemuck::Pod + Send>(
    iters: u64,
    value: impl Fn(u64) -> T + Sync,
    key: fn(&T) -> u64,
) -> Duration {
    let ping = Padded(SeqLock::new(value(0)));
    let pong = Padded(SeqLock::new(value(0)));
    let (ping, pong) = (&ping.0, &pong.0);
    let value = &value;
    // Each side polls with `load_if_newer`, which reads only the sequence until a store lands.
    let observe = |lock: &SeqLock<T>, last: &mut Version, want: u64| loop {
        if let Some((v, version)) = lock.load_if_newer(*last) {
            *last = version;
            if key(&v) == want {
                return;
            }
        }
        spin_loop();
    };
    round_trips(
        iters,
        |n| {
            let mut w = ping.writer().expect("one writer");
            // Both locks start at version 0. Not `pong.version()`: this thread may start after
            // the other side stored, and would then wait for a store that never comes.
            let mut last = Version::INITIAL;
            for i in 1..=n {
                w.store(&value(i));
                observe(pong, &mut last, i);
            }
        },
        |n| {
            let mut w = pong.writer().expect("one writer");
            // Not `ping.version()`: the pinger may have stored 1 before this thread got here.
            let mut last = Version::INITIAL;
            for i in 1..=n {
                observe(ping, &mut last, i);
                w.store(&value(i));
            }
        },
    )
}

fn rings(iters: u64) -> Duration {
    let ping: Ring<u64, 8> = Ring::new();
    let pong: Ring<u64, 8> = Ring::new();
    let (ping, pong) = (&ping, &pong);
    round_trips(
        iters,
        |n| {
            let mut w = ping.writer().expect("one writer");
            let mut c = pong.cursor_from_oldest();
            for i in 1..=n {
                w.push(&i);
                while pong.next(&mut c) != Ok(Some(i)) {
                    spin_loop();
                }
            }
        },
        |n| {
            let mut w = pong.writer().expect("one writer");
            let mut c = ping.cursor_from_oldest();
            for i in 1..=n {
                while ping.next(&mut c) != Ok(Some(i)) {
                    spin_loop();
                }
                w.push(&i);
            }
        },
    )
}

/// The limit of any two-direction protocol: one line per direction, each written by one side
/// only (what two SeqLocks or two rings are), a counter passed back and forth.
fn two_lines(iters: u64) -> Duration {
    let (ping, pong) = (Padded(AtomicU64::new(0)), Padded(AtomicU64::new(0)));
    let (ping, pong) = (&ping.0, &pong.0);
    round_trips(
        iters,
        |n| {
            for i in 1..=n {
                ping.store(i, Ordering::Release);
                while pong.load(Ordering::Acquire) != i {
                    spin_loop();
                }
            }
        },
        |n| {
            for i in 1..=n {
                while ping.load(Ordering::Acquire) != i {
                    spin_loop();
                }
                pong.store(i, Ordering::Release);
            }
        },
    )
}

/// Two shm SeqLock segments of 64-byte values, one per direction: the same round trip as
/// [`seqlocks`] through `Publisher`/`Subscriber` (wait support and heartbeat included).
fn shm_seqlocks(iters: u64) -> Duration {
    use rtshm::shm::{Publisher, SeqLockKind, Subscriber};
    type K = SeqLockKind<[u64; 8]>;
    let (a, b) = (
        common::segment_name("rt-seqlock-a"),
        common::segment_name("rt-seqlock-b"),
    );
    let mut ping = Publisher::<K>::create(&a).expect("segment");
    let mut pong = Publisher::<K>::create(&b).expect("segment");
    let (ping_in, pong_in) = (
        Subscriber::<K>::open(&a).expect("open"),
        Subscriber::<K>::open(&b).expect("open"),
    );
    let observe = |sub: &Subscriber<K>, want: u64| loop {
        if let Ok(v) = sub.try_load()
            && v[0] == want
        {
            return;
        }
        spin_loop();
    };
    round_trips(
        iters,
        |n| {
            for i in 1..=n {
                ping.store(&[i; 8]);
                observe(&pong_in, i);
            }
        },
        |n| {
            for i in 1..=n {
                observe(&ping_in, i);
                pong.store(&[i; 8]);
            }
        },
    )
}

/// Two shm ring segments of `u64`, one per direction, read by cursors.
fn shm_rings(iters: u64) -> Duration {
    use rtshm::shm::{Publisher, RingKind, Subscriber};
    type K = RingKind<u64>;
    let (a, b) = (
        common::segment_name("rt-ring-a"),
        common::segment_name("rt-ring-b"),
    );
    let mut ping = Publisher::<K>::create(&a, 8).expect("segment");
    let mut pong = Publisher::<K>::create(&b, 8).expect("segment");
    let (ping_in, pong_in) = (
        Subscriber::<K>::open(&a).expect("open"),
        Subscriber::<K>::open(&b).expect("open"),
    );
    round_trips(
        iters,
        |n| {
            let mut c = pong_in.cursor_from_oldest();
            for i in 1..=n {
                ping.push(&i);
                while pong_in.next(&mut c) != Ok(Some(i)) {
                    spin_loop();
                }
            }
        },
        |n| {
            let mut c = ping_in.cursor_from_oldest();
            for i in 1..=n {
                while ping_in.next(&mut c) != Ok(Some(i)) {
                    spin_loop();
                }
                pong.push(&i);
            }
        },
    )
}

/// iceoryx2 0.10 publish-subscribe, one service per direction, each side polling `receive`
/// (feature `peers`). Its nodes and ports stay on the thread that made them.
#[cfg(feature = "peers")]
fn iceoryx2_pubsub(iters: u64) -> Duration {
    use iceoryx2::port::subscriber::Subscriber;
    use iceoryx2::prelude::*;
    type Service =
        iceoryx2::service::port_factory::publish_subscribe::PortFactory<ipc::Service, u64, ()>;
    let (ping_name, pong_name) = (
        common::segment_name("iox-ping"),
        common::segment_name("iox-pong"),
    );
    let open = |node: &Node<ipc::Service>, name: &str| -> Service {
        node.service_builder(&name.try_into().expect("name"))
            .publish_subscribe::<u64>()
            .open_or_create()
            .expect("iceoryx2 service")
    };
    fn take(sub: &Subscriber<ipc::Service, u64, ()>, want: u64) {
        loop {
            if let Ok(Some(sample)) = sub.receive()
                && *sample == want
            {
                return;
            }
            spin_loop();
        }
    }
    let node = NodeBuilder::new()
        .create::<ipc::Service>()
        .expect("iceoryx2 node");
    let (ping, pong) = (open(&node, &ping_name), open(&node, &pong_name));
    let ping_out = ping.publisher_builder().create().expect("publisher");
    let pong_in = pong.subscriber_builder().create().expect("subscriber");
    round_trips_prepared(
        iters,
        |n| {
            for i in 1..=n {
                ping_out.send_copy(i).expect("send");
                take(&pong_in, i);
            }
        },
        || {
            let node = NodeBuilder::new()
                .create::<ipc::Service>()
                .expect("iceoryx2 node");
            let (ping, pong) = (open(&node, &ping_name), open(&node, &pong_name));
            let ping_in = ping.subscriber_builder().create().expect("subscriber");
            let pong_out = pong.publisher_builder().create().expect("publisher");
            move |n| {
                let _node = node;
                for i in 1..=n {
                    take(&ping_in, i);
                    pong_out.send_copy(i).expect("send");
                }
            }
        },
    )
}

fn futex(iters: u64) -> Duration {
    use rustix::thread::futex;
    let word = Padded(AtomicU32::new(0));
    let word = &word.0;
    // `word` counts turns: odd after a ping, even after a pong. Each side sleeps in the kernel
    // until the turn changes.
    let wait_until = |want: u32| loop {
        let now = word.load(Ordering::Acquire);
        if now == want {
            break;
        }
        let _ = futex::wait(word, futex::Flags::PRIVATE, now, None);
    };
    let pass = |to: u32| {
        word.store(to, Ordering::Release);
        let _ = futex::wake(word, futex::Flags::PRIVATE, 1);
    };
    round_trips(
        iters,
        |n| {
            for i in 0..n as u32 {
                pass(2 * i + 1);
                wait_until(2 * i + 2);
            }
        },
        |n| {
            for i in 0..n as u32 {
                wait_until(2 * i + 1);
                pass(2 * i + 2);
            }
        },
    )
}

fn streams(iters: u64, a: impl Read + Write + Send, b: impl Read + Write + Send) -> Duration {
    let (mut a, mut b) = (a, b);
    round_trips(
        iters,
        move |n| {
            let mut byte = [0u8; 1];
            for _ in 0..n {
                a.write_all(&byte).expect("write");
                a.read_exact(&mut byte).expect("read");
            }
        },
        move |n| {
            let mut byte = [0u8; 1];
            for _ in 0..n {
                b.read_exact(&mut byte).expect("read");
                b.write_all(&byte).expect("write");
            }
        },
    )
}

/// The two ends of a pipe pair as one duplex stream.
struct Duplex(std::io::PipeReader, std::io::PipeWriter);

impl Read for Duplex {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Duplex {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.1.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn pipes(iters: u64) -> Duration {
    let (r1, w1) = std::io::pipe().expect("pipe");
    let (r2, w2) = std::io::pipe().expect("pipe");
    streams(iters, Duplex(r2, w1), Duplex(r1, w2))
}

fn unix_sockets(iters: u64) -> Duration {
    let (a, b) = UnixStream::pair().expect("socketpair");
    streams(iters, a, b)
}

/// Two queues of `u64` (capacity 8), one per direction: each value is popped by the other side
/// and answered (the queue's own round trip, beside the raw ping-pong).
fn queues(iters: u64) -> Duration {
    let (ping, pong): (Queue<u64, 8>, Queue<u64, 8>) = (Queue::new(), Queue::new());
    let (mut ping_in, mut ping_out) = (ping.producer().unwrap(), ping.consumer().unwrap());
    let (mut pong_in, mut pong_out) = (pong.producer().unwrap(), pong.consumer().unwrap());
    round_trips(
        iters,
        |n| {
            for i in 1..=n {
                let _ = ping_in.try_push(&i);
                while pong_out.try_pop() != Some(i) {
                    spin_loop();
                }
            }
        },
        |n| {
            for i in 1..=n {
                while ping_out.try_pop() != Some(i) {
                    spin_loop();
                }
                let _ = pong_in.try_push(&i);
            }
        },
    )
}

/// [`queues`] through two queue segments (capacity 8), each side with its own mappings.
fn shm_queues(iters: u64) -> Duration {
    let names = ["ping", "pong"].map(|n| format!("rtshm-bench-{n}-{}", std::process::id()));
    let mut ping_in = QueueProducer::<u64>::create(&names[0], 8).unwrap();
    let mut pong_in = QueueProducer::<u64>::create(&names[1], 8).unwrap();
    let mut ping_out = QueueConsumer::<u64>::open(&names[0]).unwrap();
    let mut pong_out = QueueConsumer::<u64>::open(&names[1]).unwrap();
    round_trips(
        iters,
        |n| {
            for i in 1..=n {
                let _ = ping_in.try_push(&i);
                while pong_out.try_pop() != Some(i) {
                    spin_loop();
                }
            }
        },
        |n| {
            for i in 1..=n {
                while ping_out.try_pop() != Some(i) {
                    spin_loop();
                }
                let _ = pong_in.try_push(&i);
            }
        },
    )
}

/// The same round trip through two rtrb queues (the peer).
fn rtrb_queues(iters: u64) -> Duration {
    let (mut ping_in, mut ping_out) = rtrb::RingBuffer::<u64>::new(8);
    let (mut pong_in, mut pong_out) = rtrb::RingBuffer::<u64>::new(8);
    round_trips(
        iters,
        |n| {
            for i in 1..=n {
                let _ = ping_in.push(i);
                while pong_out.pop() != Ok(i) {
                    spin_loop();
                }
            }
        },
        |n| {
            for i in 1..=n {
                while ping_out.pop() != Ok(i) {
                    spin_loop();
                }
                let _ = pong_in.push(i);
            }
        },
    )
}

fn round_trip(c: &mut Criterion) {
    // Record the CPUs before this thread pins itself.
    let _ = common::cpu_list();
    let mut g = c.benchmark_group("round_trip");
    g.bench_function("cache_line_ping_pong", |b| b.iter_custom(cache_line));
    g.bench_function("two_line_ping_pong", |b| b.iter_custom(two_lines));
    g.bench_function("shm_seqlock_64B", |b| b.iter_custom(shm_seqlocks));
    g.bench_function("shm_ring_u64", |b| b.iter_custom(shm_rings));
    #[cfg(feature = "peers")]
    g.bench_function("iceoryx2_pubsub_u64", |b| b.iter_custom(iceoryx2_pubsub));
    g.bench_function("seqlock_u64", |b| {
        b.iter_custom(|n| seqlocks(n, |i| i, |v| *v));
    });
    g.bench_function("seqlock_64B", |b| {
        b.iter_custom(|n| seqlocks(n, |i| [i; 8], |v| v[0]));
    });
    g.bench_function("ring_u64", |b| b.iter_custom(rings));
    g.bench_function("queue_u64", |b| b.iter_custom(queues));
    g.bench_function("shm_queue_u64", |b| b.iter_custom(shm_queues));
    g.bench_function("rtrb_u64", |b| b.iter_custom(rtrb_queues));
    g.bench_function("futex", |b| b.iter_custom(futex));
    g.bench_function("pipe", |b| b.iter_custom(pipes));
    g.bench_function("unix_socket", |b| b.iter_custom(unix_sockets));
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = round_trip
}
criterion_main!(benches);
