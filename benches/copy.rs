//! Copy-bound operations: store, load and store+load of SeqLock and Ring values of 64 B, 4 KiB,
//! 1 MiB and one 1920x1080x3 frame, in-process and through shared-memory segments, against the
//! `memcpy` of the same bytes (`copy_from_slice`), which bounds what any copy can do.
//!
//! Store+load moves the value twice (into the shared storage and out of it), so its throughput
//! counts `2 * size` bytes: comparable with the memcpy line, which moves `size`.
//!
//! Also the wait path: store+load with wait support (a shm segment, nobody waiting) against the
//! in-process structures that have none.

mod common;

use std::hint::black_box;

use bytemuck::Pod;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rtshm::shm::{RingPublisher, RingSubscriber, SeqLockPublisher, SeqLockSubscriber};
use rtshm::{Ring, SeqLock};

const FRAME: usize = 1920 * 1080 * 3;

fn copy_group<const SIZE: usize>(c: &mut Criterion, label: &str)
where
    [u8; SIZE]: Pod,
{
    let mut g = c.benchmark_group(format!("copy/{label}"));
    g.throughput(Throughput::Bytes(SIZE as u64));

    let src: Box<[u8; SIZE]> = Box::new([0x5A; SIZE]);
    let mut dst: Box<[u8; SIZE]> = bytemuck::zeroed_box();

    // Baselines. glibc's memcpy (`rep movsb` on the dev machine's AMD CPU) drops to 1.9 GiB/s
    // at 4 KiB when destination and source sit 16 bytes apart modulo 4 KiB, which is where two
    // fresh heap boxes land. The baselines use buffers at chosen page offsets instead, so they
    // show memcpy's speed, not that pathology.
    let base_src = common::PageOffset::new(SIZE, 0, 0x5A);
    let mut base_mid = common::PageOffset::new(SIZE, 1024, 0);
    let mut base_dsts: Vec<_> = (0..4)
        .map(|i| common::PageOffset::new(SIZE, 2048 + 512 * i, 0))
        .collect();
    g.bench_function("memcpy", |b| {
        b.iter(|| base_dsts[0].copy_from(black_box(base_src.bytes())));
    });
    // The memcpy equivalent of a ring push: the destination moves through 4 buffers, as the
    // ring's slots do, so large values do not stay in cache.
    let mut turn = 0;
    g.bench_function("memcpy_rotating_4", |b| {
        b.iter(|| {
            turn = (turn + 1) % 4;
            base_dsts[turn].copy_from(black_box(base_src.bytes()));
        });
    });

    // In-process SeqLock.
    let lock: Box<SeqLock<[u8; SIZE]>> = bytemuck::zeroed_box();
    let mut writer = lock.writer().expect("fresh lock");
    g.bench_function("seqlock_store", |b| {
        b.iter(|| writer.store(black_box(&src)));
    });
    g.bench_function("seqlock_load", |b| {
        b.iter(|| lock.try_load_into(black_box(&mut dst)));
    });

    // In-process Ring of 4 slots.
    let ring: Box<Ring<[u8; SIZE], 4>> = bytemuck::zeroed_box();
    let mut pusher = ring.writer().expect("fresh ring");
    pusher.push(&src);
    g.bench_function("ring_push", |b| {
        b.iter(|| pusher.push(black_box(&src)));
    });
    g.bench_function("ring_latest", |b| {
        b.iter(|| ring.latest_into(black_box(&mut dst)));
    });

    g.throughput(Throughput::Bytes(2 * SIZE as u64));
    // The memcpy equivalent of store+load: source to a middle buffer, then to the destination.
    g.bench_function("memcpy_twice", |b| {
        b.iter(|| {
            base_mid.copy_from(black_box(base_src.bytes()));
            base_dsts[0].copy_from(black_box(base_mid.bytes()));
        });
    });
    g.bench_function("seqlock_store_load", |b| {
        b.iter(|| {
            writer.store(black_box(&src));
            lock.try_load_into(black_box(&mut dst))
        });
    });
    g.bench_function("ring_push_latest", |b| {
        b.iter(|| {
            pusher.push(black_box(&src));
            ring.latest_into(black_box(&mut dst))
        });
    });

    // The same through shared-memory segments (heartbeat and wait support included).
    let name = common::segment_name(&format!("copy-seqlock-{label}"));
    let mut publisher = SeqLockPublisher::<[u8; SIZE]>::create(&name).expect("create segment");
    let subscriber = SeqLockSubscriber::<[u8; SIZE]>::open(&name).expect("open segment");
    g.bench_function("shm_seqlock_store_load", |b| {
        b.iter(|| {
            publisher.store(black_box(&src));
            subscriber.try_load_into(black_box(&mut dst))
        });
    });
    let name = common::segment_name(&format!("copy-ring-{label}"));
    let mut ring_publisher = RingPublisher::<[u8; SIZE]>::create(&name, 4).expect("create segment");
    let ring_subscriber = RingSubscriber::<[u8; SIZE]>::open(&name).expect("open segment");
    g.bench_function("shm_ring_push_latest", |b| {
        b.iter(|| {
            ring_publisher.push(black_box(&src));
            ring_subscriber.latest_into(black_box(&mut dst))
        });
    });
    #[cfg(feature = "peers")]
    if SIZE <= 4096 {
        peers::same_thread::<SIZE>(&mut g, label, &src, &mut dst);
    }
    g.finish();
}

/// iceoryx2 0.10 doing the same work in the same group (feature `peers`): publish-subscribe
/// `send_copy` + `receive`, and a blackboard entry's `update_with_copy` + `get`, all in this
/// thread (the same-thread rows of rtshm above).
#[cfg(feature = "peers")]
mod peers {
    use std::hint::black_box;

    use criterion::BenchmarkGroup;
    use criterion::measurement::WallTime;
    use iceoryx2::prelude::*;

    pub(crate) fn same_thread<const SIZE: usize>(
        g: &mut BenchmarkGroup<'_, WallTime>,
        label: &str,
        src: &[u8; SIZE],
        dst: &mut [u8; SIZE],
    ) {
        let node = NodeBuilder::new()
            .create::<ipc::Service>()
            .expect("iceoryx2 node");
        let name = super::common::segment_name(&format!("iox-{label}"));
        let service = node
            .service_builder(&name.as_str().try_into().expect("service name"))
            .publish_subscribe::<[u8; SIZE]>()
            .open_or_create()
            .expect("iceoryx2 service");
        let publisher = service.publisher_builder().create().expect("publisher");
        let subscriber = service.subscriber_builder().create().expect("subscriber");
        g.bench_function("iceoryx2_send_copy_receive", |b| {
            b.iter(|| {
                publisher.send_copy(*black_box(src)).expect("send");
                let sample = subscriber.receive().expect("receive").expect("a sample");
                dst.copy_from_slice(sample.payload());
                black_box(&dst);
            });
        });
        let name = super::common::segment_name(&format!("iox-bb-{label}"));
        let board = node
            .service_builder(&name.as_str().try_into().expect("service name"))
            .blackboard_creator::<u64>()
            .add::<[u8; SIZE]>(0, [0; SIZE])
            .create()
            .expect("iceoryx2 blackboard");
        let writer = board.writer_builder().create().expect("writer");
        let entry = writer.entry::<[u8; SIZE]>(&0).expect("writer entry");
        let reader = board.reader_builder().create().expect("reader");
        let read = reader.entry::<[u8; SIZE]>(&0).expect("reader entry");
        g.bench_function("iceoryx2_blackboard_update_get", |b| {
            b.iter(|| {
                entry.update_with_copy(*black_box(src));
                *dst = *read.get();
                black_box(&dst);
            });
        });
    }
}

fn copies(c: &mut Criterion) {
    copy_group::<64>(c, "64B");
    copy_group::<4096>(c, "4KiB");
    copy_group::<{ 1 << 20 }>(c, "1MiB");
    copy_group::<FRAME>(c, "frame_6.2MB");
}

/// Store+load of 64 B with wait support and nobody waiting (a shm segment: the store checks the
/// waiter count and ticks the heartbeat) against the in-process structures, which have none.
fn wait_path(c: &mut Criterion) {
    let mut g = c.benchmark_group("wait_path/64B_store_load");
    let src = [0x5Au8; 64];
    let mut dst = [0u8; 64];

    let lock = SeqLock::new([0u8; 64]);
    let mut writer = lock.writer().expect("fresh lock");
    g.bench_function(BenchmarkId::new("seqlock", "no_wait_support"), |b| {
        b.iter(|| {
            writer.store(black_box(&src));
            lock.try_load_into(black_box(&mut dst))
        });
    });
    let name = common::segment_name("wait-seqlock");
    let mut publisher = SeqLockPublisher::<[u8; 64]>::create(&name).expect("create");
    let subscriber = SeqLockSubscriber::<[u8; 64]>::open(&name).expect("open");
    g.bench_function(
        BenchmarkId::new("seqlock", "waits_enabled_none_waiting"),
        |b| {
            b.iter(|| {
                publisher.store(black_box(&src));
                subscriber.try_load_into(black_box(&mut dst))
            });
        },
    );

    let ring: Ring<[u8; 64], 8> = Ring::new();
    let mut pusher = ring.writer().expect("fresh ring");
    g.bench_function(BenchmarkId::new("ring", "no_wait_support"), |b| {
        b.iter(|| {
            pusher.push(black_box(&src));
            ring.latest_into(black_box(&mut dst))
        });
    });
    let name = common::segment_name("wait-ring");
    let mut ring_publisher = RingPublisher::<[u8; 64]>::create(&name, 8).expect("create");
    let ring_subscriber = RingSubscriber::<[u8; 64]>::open(&name).expect("open");
    g.bench_function(
        BenchmarkId::new("ring", "waits_enabled_none_waiting"),
        |b| {
            b.iter(|| {
                ring_publisher.push(black_box(&src));
                ring_subscriber.latest_into(black_box(&mut dst))
            });
        },
    );
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = copies, wait_path
}
criterion_main!(benches);
