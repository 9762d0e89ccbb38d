//! The untyped `Inspector`: every kind read as bytes, write numbers and errors as typed
//! subscribers report them, hostile headers refused, and no torn value under a racing writer.
#![cfg(all(feature = "std", not(rtshm_loom), not(miri)))]

use std::time::Duration;

use rtshm::layout::{Kind, LayoutError};
use rtshm::liveness::WriterStatus;
use rtshm::shm::{Inspector, OpenError, RingPublisher, SeqLockPublisher, TimeSeriesPublisher};
use rtshm::{GetError, Stamped, Timestamp};

mod common;
use common::{poke, scaled, shm_name};

#[test]
fn a_seqlock_reads_as_its_latest_store() {
    let n = shm_name("inspect-seqlock");
    let mut publisher = SeqLockPublisher::<[u16; 3]>::create(&n).unwrap();
    let mut view = Inspector::open(&n).unwrap();
    assert_eq!(view.kind(), Kind::SeqLock);
    assert_eq!((view.written(), view.latest()), (0, Ok(None)));
    assert_eq!(view.get(0), Err(GetError::NotYet { written: 0 }));

    publisher.store(&[1, 2, 3]);
    publisher.store(&[4, 5, 6]);
    assert_eq!(view.written(), 2);
    let latest = view.latest().unwrap().unwrap();
    assert_eq!(latest.number(), 1);
    assert_eq!(latest.value(), bytemuck::bytes_of(&[4u16, 5, 6]));
    assert_eq!((latest.stamp(), latest.seq()), (None, None));
    assert_eq!(view.get(0), Err(GetError::Overwritten { oldest: 1 }));
    assert_eq!(view.get(2), Err(GetError::NotYet { written: 2 }));
    assert_eq!(view.oldest().unwrap().unwrap().number(), 1);

    assert!(matches!(
        view.writer_status(Duration::from_secs(10)),
        WriterStatus::Alive { .. }
    ));
    assert_eq!(view.writer_pid(), Some(std::process::id() as i32));
    assert_eq!(view.header().payload_size, 6);
    assert_eq!(view.name().map(|s| s.as_str()), Some(n.as_str()));
}

#[test]
fn a_ring_reads_by_write_number_and_reports_overwrites() {
    let n = shm_name("inspect-ring");
    let mut publisher = RingPublisher::<u64>::create(&n, 4).unwrap();
    let mut view = Inspector::open(&n).unwrap();
    assert_eq!(view.oldest(), Ok(None));
    for v in 0..10u64 {
        publisher.push(&(v * 100));
    }
    assert_eq!(view.written(), 10);
    let latest = view.latest().unwrap().unwrap();
    assert_eq!(
        (latest.number(), latest.bytes()),
        (9, &900u64.to_ne_bytes()[..])
    );
    assert_eq!(view.get(7).unwrap().value(), 700u64.to_ne_bytes());
    assert_eq!(view.get(5), Err(GetError::Overwritten { oldest: 6 }));
    assert_eq!(view.get(10), Err(GetError::NotYet { written: 10 }));
    assert_eq!(view.oldest().unwrap().unwrap().number(), 6);
}

#[test]
fn a_time_series_record_splits_into_stamp_sequence_and_value() {
    let n = shm_name("inspect-series");
    // `Stamped<[f32; 3]>` is 32 bytes: 16 of stamp and sequence, 12 of value, 4 of padding.
    let mut publisher = TimeSeriesPublisher::<[f32; 3]>::create(&n, 8).unwrap();
    for i in 0..3u64 {
        let v = [i as f32, 0.5, -1.0];
        publisher
            .push(&Stamped::new(Timestamp::from_nanos(1_000 + i), 40 + i, v))
            .unwrap();
    }
    let mut view = Inspector::open(&n).unwrap();
    let g = *view.geometry();
    assert_eq!((g.payload_size, g.value_size, g.capacity), (32, 12, 8));
    let r = view.latest().unwrap().unwrap();
    assert_eq!(r.number(), 2);
    assert_eq!(r.stamp(), Some(Timestamp::from_nanos(1_002)));
    assert_eq!(r.seq(), Some(42));
    assert_eq!(r.value(), bytemuck::bytes_of(&[2.0f32, 0.5, -1.0]));
    assert_eq!(&r.bytes()[28..], &[0; 4], "padding is never read");
    let oldest = view.oldest().unwrap().unwrap();
    assert_eq!(oldest.stamp(), Some(Timestamp::from_nanos(1_000)));
}

#[test]
fn a_time_series_of_over_aligned_values_finds_the_value() {
    #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
    #[repr(C, align(32))]
    struct Wide {
        bytes: [u8; 32],
    }
    let n = shm_name("inspect-wide");
    let mut publisher = TimeSeriesPublisher::<Wide>::create(&n, 2).unwrap();
    publisher
        .push(&Stamped::new(
            Timestamp::from_nanos(5),
            1,
            Wide { bytes: [9; 32] },
        ))
        .unwrap();
    let mut view = Inspector::open(&n).unwrap();
    let r = view.latest().unwrap().unwrap();
    assert_eq!(r.bytes().len(), 64);
    assert_eq!(r.value(), &[9; 32]);
    assert_eq!(r.stamp(), Some(Timestamp::from_nanos(5)));
}

#[test]
fn hostile_headers_are_refused_and_missing_segments_named() {
    let n = shm_name("inspect-hostile");
    let _publisher = RingPublisher::<[u8; 24]>::create(&n, 4).unwrap();
    // value_size (offset 64) that does not fit the 24-byte payload.
    poke(&n, 64, &25u32.to_ne_bytes());
    assert!(matches!(
        Inspector::open(&n),
        Err(OpenError::Invalid(LayoutError::Corrupt(_)))
    ));
    // A capacity that would put slots outside the file.
    poke(&n, 64, &24u32.to_ne_bytes());
    poke(&n, 32, &64u64.to_ne_bytes());
    assert!(matches!(
        Inspector::open(&n),
        Err(OpenError::Invalid(LayoutError::Corrupt(_)))
    ));
    assert!(matches!(
        Inspector::open(&shm_name("inspect-absent")),
        Err(OpenError::NotFound)
    ));
}

#[test]
fn the_inspector_never_tears_a_value_under_a_racing_writer() {
    const WORDS: usize = 200; // 1600 bytes: the bulk path where the CPU has it.
    let n = shm_name("inspect-race");
    let mut publisher = SeqLockPublisher::<[u64; WORDS]>::create(&n).unwrap();
    let mut ring = RingPublisher::<[u64; WORDS]>::create(&format!("{n}-r"), 2).unwrap();
    let stores = scaled(20_000);
    let writer = std::thread::spawn(move || {
        for i in 1..=stores {
            publisher.store(&[i; WORDS]);
            ring.push(&[i; WORDS]);
        }
    });
    let mut lock = Inspector::open(&n).unwrap();
    let mut slots = Inspector::open(&format!("{n}-r")).unwrap();
    let (mut intact, mut busy) = (0u64, 0u64);
    while !writer.is_finished() {
        for view in [&mut lock, &mut slots] {
            match view.latest() {
                Ok(Some(r)) => {
                    let first = &r.bytes()[..8];
                    assert!(r.bytes().chunks(8).all(|w| w == first), "torn value");
                    intact += 1;
                }
                Ok(None) => {}
                Err(_) => busy += 1,
            }
        }
    }
    writer.join().unwrap();
    assert!(intact > 0, "{intact} intact, {busy} busy");
}
