//! The shared-memory queue: every value exactly once, in order, across processes, a killed
//! consumer and a taken-over producer; waits on both sides.
#![cfg(all(feature = "std", not(rtshm_loom), not(miri)))]

mod common;

use std::thread;
use std::time::{Duration, Instant};

use rtshm::liveness::WriterStatus;
use rtshm::shm::{
    self, ConsumerError, Inspector, QueueConsumer, QueueProducer, Subscriber, TakeoverError,
};
use rtshm::{Full, TimedOut};

const LONG: Duration = Duration::from_secs(30);

/// A value that shows tearing: its number and its complement.
fn value(n: u64) -> [u64; 2] {
    [n, !n]
}

/// The child side: a consumer that pops `total` values, checking each is the next number
/// (starting at the queue's `popped`, so a replacement checks it resumed where its predecessor
/// stopped), slow at random. A no-op unless started by `spawn_child`.
#[test]
fn child_process_entry() {
    let Ok(spec) = std::env::var("RTSHM_CHILD") else {
        return;
    };
    let (role, rest) = spec.split_once(':').expect("role:args");
    let (name, total) = rest.split_once(',').expect("name,total");
    let total: u64 = total.parse().unwrap();
    assert_eq!(role, "slow-consumer", "unknown child role");
    let mut consumer = QueueConsumer::<[u64; 2]>::open_timeout(name, LONG).unwrap();
    let first = consumer.popped();
    if std::env::var("RTSHM_QUEUE_RESUMED").is_ok() {
        assert!(
            first > 0,
            "a replacement resumes after what its predecessor popped"
        );
        assert_eq!(consumer.epoch(), 1, "one replacement counted");
    }
    let mut rng = 0x9e37_79b9_7f4a_7c15u64 ^ first;
    let mut expected = first;
    let mut batch = [[0u64; 2]; 16];
    while expected < total {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        match rng % 4096 {
            // Slow at random: a nap (the producer fills the queue and sleeps in push_wait),
            // a spin, or a batch.
            0 => thread::sleep(Duration::from_micros(rng % 2000)),
            1..=40 => (0..(rng % 5000)).for_each(|_| std::hint::spin_loop()),
            41..=400 => {
                let n = consumer.pop_into_slice(&mut batch);
                for v in &batch[..n] {
                    assert_eq!(*v, value(expected), "batch value out of order");
                    expected += 1;
                }
                continue;
            }
            _ => {}
        }
        let v = consumer.pop_wait(LONG).expect("the producer pushes");
        assert_eq!(v, value(expected), "value out of order");
        expected += 1;
    }
    assert_eq!(consumer.popped(), total);
    assert_eq!(consumer.try_pop(), None);
}

/// Acceptance: 10^7 values through a queue of 64 to a consumer in another process, slow at
/// random; the consumer is SIGKILLed a third of the way and a new one resumes: every value
/// arrives once, in order (each consumer checks its run starts at the queue's `popped` and is
/// contiguous; the producer's `push_wait` never times out).
#[test]
fn ten_million_values_across_processes_survive_a_killed_consumer() {
    let total = common::scaled(10_000_000);
    let name = common::shm_name("queue-kill");
    let mut producer = QueueProducer::<[u64; 2]>::create(&name, 64).unwrap();
    let arg = format!("{name},{total}");
    // In an `Option`: taken, killed and reaped exactly once, mid-stream.
    let mut first = Some(common::spawn_child("slow-consumer", &arg));
    let inspector = Inspector::open(&name).unwrap();
    let threshold = Duration::from_secs(5);
    let mut killed = false;
    let mut second = None;
    let started = Instant::now();
    for n in 0..total {
        if !killed && n % 1024 == 0 {
            let state = inspector.queue_state(threshold).unwrap();
            if state.popped >= total / 3
                && let Some(mut consumer) = first.take()
            {
                consumer.kill().unwrap(); // SIGKILL, mid-stream
                consumer.wait().unwrap();
                killed = true;
                assert!(matches!(
                    producer.consumer_status(threshold),
                    WriterStatus::Dead
                ));
                second = Some(common::spawn_child_env(
                    "slow-consumer",
                    &arg,
                    &[("RTSHM_QUEUE_RESUMED", "1")],
                ));
            }
        }
        producer
            .push_wait(&value(n), LONG)
            .unwrap_or_else(|TimedOut| panic!("push {n} waited {LONG:?}"));
    }
    if let Some(mut consumer) = first.take() {
        let _ = consumer.kill();
        let _ = consumer.wait();
    }
    let mut second = second.expect("the first consumer was killed mid-stream");
    let status = second.wait().unwrap();
    assert!(
        status.success(),
        "the replacement consumer failed: {status}"
    );
    let state = inspector.queue_state(threshold).unwrap();
    assert_eq!(
        (state.pushed, state.popped, state.consumer_epoch),
        (total, total, 1)
    );
    eprintln!("{total} values in {:?}", started.elapsed());
}

#[test]
fn full_empty_and_batches_keep_order_across_wrap_arounds() {
    let name = common::shm_name("queue-edges");
    let mut p = QueueProducer::<u32>::create(&name, 4).unwrap();
    let mut c = QueueConsumer::<u32>::open(&name).unwrap();
    let (mut next_in, mut next_out) = (0u32, 0u32);
    for round in 0..40u32 {
        while p.try_push(&next_in).is_ok() {
            next_in += 1;
        }
        assert_eq!(p.try_push(&next_in), Err(Full));
        assert!(p.is_full());
        assert_eq!((p.len(), c.len()), (4, 4));
        let mut batch = [0u32; 3];
        let n = c.pop_into_slice(&mut batch[..(round as usize % 3) + 1]);
        for v in &batch[..n] {
            assert_eq!(*v, next_out);
            next_out += 1;
        }
        assert_eq!(p.push_slice(&[next_in, next_in + 1, next_in + 2]), n);
        next_in += n as u32;
    }
    while let Some(v) = c.try_pop() {
        assert_eq!(v, next_out);
        next_out += 1;
    }
    assert_eq!((next_in, next_out), (p.pushed() as u32, c.popped() as u32));
    assert!(c.is_empty() && p.is_empty());
}

#[test]
fn one_consumer_at_a_time_and_a_successor_resumes() {
    let name = common::shm_name("queue-claim");
    let mut p = QueueProducer::<u64>::create(&name, 8).unwrap();
    p.push_slice(&[1, 2, 3, 4]);
    let mut c = QueueConsumer::<u64>::open(&name).unwrap();
    assert!(matches!(
        QueueConsumer::<u64>::open(&name),
        Err(ConsumerError::Alive { pid }) if pid == std::process::id() as i32
    ));
    assert_eq!(c.try_pop(), Some(1));
    drop(c);
    let mut c = QueueConsumer::<u64>::open(&name).unwrap();
    assert_eq!(c.epoch(), 0, "a clean exit is not a replacement");
    assert_eq!((c.try_pop(), c.popped()), (Some(2), 2));
    // A type mismatch is refused before any claim, naming the difference.
    assert!(matches!(
        QueueConsumer::<u32>::open(&name),
        Err(ConsumerError::Open(
            shm::OpenError::Invalid(_) | shm::OpenError::SchemaMismatch(_)
        ))
    ));
    let ring = common::shm_name("queue-claim-ring");
    let _ring = shm::RingPublisher::<u64>::create(&ring, 8).unwrap();
    assert!(matches!(
        QueueConsumer::<u64>::open(&ring),
        Err(ConsumerError::Open(shm::OpenError::Invalid(
            rtshm::layout::LayoutError::KindMismatch { .. }
        )))
    ));
    // Other kinds are refused too.
    assert!(QueueConsumer::<u64>::open("rtshm-no-such-queue").is_err());
}

#[test]
fn a_taken_over_producer_continues_the_sequence() {
    let name = common::shm_name("queue-takeover");
    let mut p = QueueProducer::<u64>::create(&name, 8).unwrap();
    p.push_slice(&[10, 11]);
    assert!(matches!(
        QueueProducer::<u64>::open_existing(&name),
        Err(TakeoverError::WriterAlive { .. })
    ));
    p.persist();
    drop(p);
    let mut p = QueueProducer::<u64>::open_existing(&name).unwrap();
    assert_eq!((p.pushed(), p.len(), p.epoch()), (2, 2, 1));
    p.try_push(&12).unwrap();
    let mut c = QueueConsumer::<u64>::open(&name).unwrap();
    let mut out = [0u64; 8];
    assert_eq!(c.pop_into_slice(&mut out), 3);
    assert_eq!(&out[..3], &[10, 11, 12]);
    // The producer's mapping of the consumer's page is read-only: observers and the
    // producer read `head`, only the consumer stores it.
    assert_eq!(p.len(), 0);
}

/// The producer maps the consumer's page (the readers' page) read-only, the rest read-write:
/// its whole-segment mapping shows as three areas in `/proc/self/maps`.
#[cfg(target_pointer_width = "64")]
#[test]
fn the_producer_cannot_write_the_consumers_page() {
    let name = common::shm_name("queue-protect");
    let _p = QueueProducer::<u64>::create(&name, 8).unwrap();
    use std::os::unix::fs::MetadataExt;
    // By inode: the creator mapped the file before it got its name.
    let inode = std::fs::metadata(format!("/dev/shm/{name}")).unwrap().ino();
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let ours: Vec<(u64, &str)> = maps
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|f| f.len() > 5 && f[4] == inode.to_string() && f[5].starts_with("/dev/shm/"))
        .map(|f| {
            let (a, b) = f[0].split_once('-').unwrap();
            let len = u64::from_str_radix(b, 16).unwrap() - u64::from_str_radix(a, 16).unwrap();
            (len, f[1])
        })
        .collect();
    assert_eq!(ours.len(), 3, "{ours:?}");
    assert_eq!(
        ours,
        vec![(65536, "rw-s"), (65536, "r--s"), (ours[2].0, "rw-s")],
        "header, consumer's page, data"
    );
}

#[test]
fn each_side_sleeps_until_the_other_moves() {
    let name = common::shm_name("queue-waits");
    let mut p = QueueProducer::<u64>::create(&name, 2).unwrap();
    let mut c = QueueConsumer::<u64>::open(&name).unwrap();
    assert_eq!(c.pop_wait(Duration::from_millis(5)), Err(TimedOut));
    p.push_slice(&[0, 1]);
    assert_eq!(p.push_wait(&2, Duration::from_millis(5)), Err(TimedOut));
    const N: u64 = 2_000;
    thread::scope(|s| {
        s.spawn(move || {
            for n in 2..N {
                p.push_wait(&n, LONG).unwrap();
            }
        });
        for n in 0..N {
            // Slow now and then: the producer sleeps on a full queue and is woken by pops.
            if n % 200 == 0 {
                thread::sleep(Duration::from_millis(2));
            }
            assert_eq!(c.pop_wait(LONG), Ok(n));
        }
    });
}

#[test]
fn inspectors_and_subscribers_see_counts_and_the_consumer() {
    let name = common::shm_name("queue-observe");
    let mut p = QueueProducer::<[u8; 16]>::create(&name, 16).unwrap();
    p.push_slice(&[[1; 16], [2; 16], [3; 16]]);
    let threshold = Duration::from_secs(5);
    let inspector = Inspector::open(&name).unwrap();
    assert_eq!(inspector.kind(), rtshm::layout::Kind::Queue);
    assert_eq!(inspector.written(), 3);
    let mut c = QueueConsumer::<[u8; 16]>::open(&name).unwrap();
    c.try_pop().unwrap();
    let state = inspector.queue_state(threshold).unwrap();
    assert_eq!((state.pushed, state.popped), (3, 1));
    assert!(matches!(state.consumer, WriterStatus::Alive { .. }));
    assert!(matches!(
        c.producer_status(threshold),
        WriterStatus::Alive { .. }
    ));
    // A typed observer: the header and the producer's liveness, nothing else.
    let observer = Subscriber::<shm::QueueKind<[u8; 16]>>::open(&name).unwrap();
    assert!(matches!(
        observer.writer_status(threshold),
        WriterStatus::Alive { .. }
    ));
}

/// Busy one-value pushes and pops, in bursts of every length up to twice the capacity: `Full`
/// exactly when full, `None` exactly when empty, every value once and in order, and both
/// sides' heartbeats refreshed by the operations alone (no explicit `heartbeat`).
#[test]
fn busy_one_value_paths_keep_order_room_and_heartbeats() {
    let name = common::shm_name("queue-busy");
    let mut p = QueueProducer::<u64>::create(&name, 16).unwrap();
    let mut c = QueueConsumer::<u64>::open(&name).unwrap();
    let (mut next_in, mut next_out) = (0u64, 0u64);
    // Heartbeats come about every 10 ms while busy: a side that never beat would be 1.2 s old.
    let threshold = Duration::from_millis(500);
    let start = Instant::now();
    let mut burst = 1;
    while start.elapsed() < Duration::from_millis(1200) {
        for _ in 0..burst {
            match p.try_push(&next_in) {
                Ok(()) => next_in += 1,
                Err(Full) => assert_eq!(next_in - next_out, 16, "full with room left"),
            }
        }
        for _ in 0..burst / 2 + 1 {
            match c.try_pop() {
                Some(v) => {
                    assert_eq!(v, next_out);
                    next_out += 1;
                }
                None => assert_eq!(next_in, next_out, "empty with values left"),
            }
        }
        burst = burst % 37 + 1;
    }
    assert!(next_out > 1_000, "only {next_out} values");
    assert!(matches!(
        p.consumer_status(threshold),
        WriterStatus::Alive { .. }
    ));
    assert!(matches!(
        c.producer_status(threshold),
        WriterStatus::Alive { .. }
    ));
    while let Some(v) = c.try_pop() {
        assert_eq!(v, next_out);
        next_out += 1;
    }
    assert_eq!(next_in, next_out);
}

/// Indices come from another process's memory: a producer's `tail` behind `head` or far ahead,
/// a consumer's `head` beyond `tail`, are read as "nothing ready" / "no room", never an
/// overflow (these tests run with overflow checks), a wild read or a hang past the timeout.
#[test]
fn hostile_indices_are_never_trusted() {
    use rtshm::layout::{DATA_OFFSET, READERS_OFFSET};
    let name = common::shm_name("queue-hostile");
    let mut p = QueueProducer::<u64>::create(&name, 4).unwrap();
    let mut c = QueueConsumer::<u64>::open(&name).unwrap();
    let short = Duration::from_millis(5);
    for tail in [u64::MAX, 1 << 40, 5] {
        common::poke(&name, DATA_OFFSET as u64, &tail.to_le_bytes());
        assert_eq!(c.try_pop(), None, "tail {tail}");
        assert_eq!(c.pop_wait(short), Err(TimedOut));
        assert_eq!(c.len(), 0);
        let mut batch = [0u64; 8];
        assert_eq!(c.pop_into_slice(&mut batch), 0);
    }
    common::poke(&name, DATA_OFFSET as u64, &0u64.to_le_bytes());
    // A full queue, then a consumer index beyond the producer's.
    assert_eq!(p.push_slice(&[1, 2, 3, 4]), 4);
    for head in [u64::MAX, 1 << 40, 9] {
        common::poke(&name, READERS_OFFSET as u64 + 128, &head.to_le_bytes());
        assert_eq!(p.try_push(&5), Err(Full), "head {head}");
        assert_eq!(p.push_wait(&5, short), Err(TimedOut));
        assert_eq!(p.push_slice(&[5, 6]), 0);
        assert!(p.is_full());
    }
    let state = Inspector::open(&name).unwrap().queue_state(LONG).unwrap();
    assert_eq!(state.pushed, 4);
}
