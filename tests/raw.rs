//! Payload types known at run time (`RawType`, `RawPublisher`, `Inspector::open_as`), as the
//! Python bindings use them: raw and typed handles exchange values both ways in every kind,
//! each mismatch is its own error, waits wake and time out, and a raw writer takes over.
#![cfg(all(feature = "std", not(rtshm_loom), not(miri)))]

use std::time::{Duration, Instant};

use rtshm::layout::{Kind, LayoutError, schema_id};
use rtshm::shm::{
    CreateConfig, Inspector, OpenConfig, OpenError, RawError, RawPublisher, RawType, RingPublisher,
    RingSubscriber, SeqLockPublisher, SeqLockSubscriber, TakeoverError, TimeSeriesPublisher,
    TimeSeriesSubscriber,
};
use rtshm::{GetError, InterpolationError, Lapped, Stamped, Timestamp};

mod common;
use common::shm_name;

const SCHEMA: u64 = schema_id("tests/raw@1");

fn raw(kind: Kind, size: usize, align: usize) -> RawType {
    RawType::new(kind, size, align, SCHEMA)
}

/// `ty` changed by `change`.
fn with(ty: &RawType, change: impl FnOnce(&mut RawType)) -> RawType {
    let mut t = ty.clone();
    change(&mut t);
    t
}

fn with_schema() -> (CreateConfig, OpenConfig) {
    (
        CreateConfig::new().schema(SCHEMA),
        OpenConfig::new().schema(SCHEMA),
    )
}

fn at(ns: u64) -> Timestamp {
    Timestamp::from_nanos(ns)
}

#[test]
fn a_raw_seqlock_and_a_typed_one_exchange_values_both_ways() {
    let (create, open) = with_schema();
    let ty = raw(Kind::SeqLock, 12, 4);

    let n = shm_name("raw-seqlock-1");
    let mut publisher = RawPublisher::create(&n, &ty, 1, create).unwrap();
    let typed = SeqLockSubscriber::<[f32; 3]>::open_with(&n, open).unwrap();
    let v = publisher
        .store(bytemuck::bytes_of(&[1.0f32, 2.0, 3.0]))
        .unwrap();
    assert_eq!(v.get(), 1);
    assert_eq!(typed.try_load(), Ok([1.0, 2.0, 3.0]));
    assert_eq!(typed.version(), v);
    assert_eq!(publisher.written(), 1);

    let n = shm_name("raw-seqlock-2");
    let mut publisher = SeqLockPublisher::<[f32; 3]>::create_with(&n, create).unwrap();
    let view = Inspector::open_as(&n, &ty, open).unwrap();
    let mut dst = [0u8; 12];
    assert_eq!(view.latest_into(&mut dst), Ok(None));
    publisher.store(&[4.0, 5.0, 6.0]);
    assert_eq!(view.latest_into(&mut dst), Ok(Some(0)));
    assert_eq!(dst, bytemuck::bytes_of(&[4.0f32, 5.0, 6.0]));
    // A SeqLock reads like a ring of one value.
    publisher.store(&[7.0, 8.0, 9.0]);
    publisher.store(&[10.0, 11.0, 12.0]);
    let mut position = 0;
    assert_eq!(
        view.next_into(&mut position, &mut dst),
        Err(Lapped { missed: 2 })
    );
    assert_eq!(view.next_into(&mut position, &mut dst), Ok(Some(2)));
    assert_eq!(dst, bytemuck::bytes_of(&[10.0f32, 11.0, 12.0]));
    assert_eq!(view.next_into(&mut position, &mut dst), Ok(None));
}

#[test]
fn a_raw_ring_and_a_typed_one_exchange_values_both_ways() {
    let (create, open) = with_schema();
    let ty = raw(Kind::Ring, 16, 8);

    let n = shm_name("raw-ring-1");
    let mut publisher = RawPublisher::create(&n, &ty, 4, create).unwrap();
    let typed = RingSubscriber::<[u64; 2]>::open_with(&n, open).unwrap();
    let mut cursor = typed.cursor_from_oldest();
    for i in 0..3u64 {
        let w = publisher.push(bytemuck::bytes_of(&[i, i * 10])).unwrap();
        assert_eq!(w, i);
    }
    let read: Vec<_> = typed.iter_from(&mut cursor).collect();
    assert_eq!(read, [Ok([0, 0]), Ok([1, 10]), Ok([2, 20])]);

    let n = shm_name("raw-ring-2");
    let mut publisher = RingPublisher::<[u64; 2]>::create_with(&n, 4, create).unwrap();
    let view = Inspector::open_as(&n, &ty, open).unwrap();
    for i in 0..6u64 {
        publisher.push(&[i, i + 100]);
    }
    let (mut position, mut dst) = (0, [0u8; 16]);
    assert_eq!(
        view.next_into(&mut position, &mut dst),
        Err(Lapped { missed: 2 })
    );
    for i in 2..6u64 {
        assert_eq!(view.next_into(&mut position, &mut dst), Ok(Some(i)));
        assert_eq!(dst, bytemuck::bytes_of(&[i, i + 100]));
    }
    assert_eq!(view.next_into(&mut position, &mut dst), Ok(None));
    assert_eq!(
        view.get_into(1, &mut dst),
        Err(GetError::Overwritten { oldest: 2 })
    );
}

#[test]
fn a_raw_series_and_a_typed_one_agree_on_every_query() {
    let (create, open) = with_schema();
    // `Stamped<[f32; 3]>`: 16 bytes of stamp and seq, 12 of value, 4 of padding.
    let ty = raw(Kind::TimeSeries, 12, 4);
    assert_eq!(ty.shape().unwrap().size, 32);

    let n = shm_name("raw-series-1");
    let mut publisher = RawPublisher::create(&n, &ty, 8, create).unwrap();
    let typed = TimeSeriesSubscriber::<[f32; 3]>::open_with(&n, open).unwrap();
    for i in 0..10u64 {
        let v = [i as f32, 0.5, -1.0];
        let w = publisher
            .push_stamped(at(i * 100), i, bytemuck::bytes_of(&v))
            .unwrap();
        assert_eq!(w, i);
    }
    assert_eq!(
        publisher.push_stamped(at(5), 0, &[0; 12]),
        Err(RawError::NonMonotonic(rtshm::NonMonotonic {
            last: at(900),
            given: at(5)
        }))
    );
    let latest = typed.latest().unwrap().unwrap();
    assert_eq!(latest, Stamped::new(at(900), 9, [9.0, 0.5, -1.0]));
    let (b, a, alpha) = typed.interpolation_pair(at(450)).unwrap();
    assert_eq!((b.value[0], a.value[0], alpha), (4.0, 5.0, 0.5));

    // The same queries through the raw reader, on the same segment.
    let view = Inspector::open_as(&n, &ty, open).unwrap();
    let record = |s: &Stamped<[f32; 3]>| {
        let mut r = [0u8; 32];
        r[..8].copy_from_slice(&s.stamp.as_nanos().to_ne_bytes());
        r[8..16].copy_from_slice(&s.seq.to_ne_bytes());
        r[16..28].copy_from_slice(bytemuck::bytes_of(&s.value));
        r
    };
    let (mut before, mut after) = ([0u8; 32], [0u8; 32]);
    for t in [0, 199, 200, 201, 449, 450, 899, 900, 1500] {
        let max = Duration::from_nanos(40);
        let found = view.closest_into(at(t), max, &mut before).unwrap();
        let expected = typed.closest(at(t), max).unwrap();
        assert_eq!(found, expected.is_some(), "closest({t})");
        if let Some(s) = expected {
            assert_eq!(before, record(&s), "closest({t})");
        }
        let pair = view.interpolation_pair_into(at(t), &mut before, &mut after);
        match typed.interpolation_pair(at(t)) {
            Ok((b, a, alpha)) => {
                assert_eq!(pair, Ok(alpha), "pair({t})");
                assert_eq!((before, after), (record(&b), record(&a)), "pair({t})");
            }
            Err(e) => assert_eq!(pair, Err(e), "pair({t})"),
        }
    }

    // And a typed writer read by the raw reader.
    let n = shm_name("raw-series-2");
    let mut publisher = TimeSeriesPublisher::<[f32; 3]>::create_with(&n, 8, create).unwrap();
    let view = Inspector::open_as(&n, &ty, open).unwrap();
    let mut dst = [0u8; 32];
    assert_eq!(
        view.interpolation_pair_into(at(1), &mut dst, &mut before),
        Err(InterpolationError::Empty)
    );
    let sample = Stamped::new(at(7), 3, [1.0, 2.0, 3.0]);
    publisher.push(&sample).unwrap();
    assert_eq!(view.latest_into(&mut dst), Ok(Some(0)));
    assert_eq!(dst, record(&sample));
}

#[test]
fn every_mismatch_is_its_own_error() {
    let (create, open) = with_schema();
    let n = shm_name("raw-mismatch");
    let ty = raw(Kind::Ring, 16, 8);
    let mut publisher = RawPublisher::create(&n, &ty, 4, create).unwrap();
    let invalid = |ty: RawType| match Inspector::open_as(&n, &ty, open) {
        Err(OpenError::Invalid(e)) => e,
        other => panic!("expected an invalid segment, got {:?}", other.map(|_| ())),
    };
    assert!(matches!(
        invalid(with(&ty, |t| t.schema = schema_id("other"))),
        LayoutError::TypeMismatch {
            found: SCHEMA,
            expected,
            ..
        } if expected == schema_id("other")
    ));
    assert!(matches!(
        invalid(with(&ty, |t| t.size = 24)),
        LayoutError::PayloadMismatch { found, expected } if found.size == 16 && expected.size == 24
    ));
    assert!(matches!(
        invalid(with(&ty, |t| t.align = 4)),
        LayoutError::PayloadMismatch { .. }
    ));
    assert_eq!(
        invalid(with(&ty, |t| t.kind = Kind::SeqLock)),
        LayoutError::KindMismatch {
            found: Kind::Ring as u32,
            expected: Kind::SeqLock
        }
    );
    assert!(matches!(
        invalid(with(&ty, |t| t.size = 12)),
        LayoutError::Corrupt(_)
    ));
    assert!(matches!(
        invalid(with(&ty, |t| t.align = 256)),
        LayoutError::AlignmentTooLarge { align: 256 }
    ));
    // A typed reader with the same schema but another layout.
    match RingSubscriber::<[u32; 2]>::open_with(&n, open) {
        Err(OpenError::Invalid(LayoutError::PayloadMismatch { .. })) => {}
        other => panic!("{:?}", other.map(|_| ())),
    }

    assert_eq!(
        publisher.push(&[0; 15]),
        Err(RawError::Size {
            expected: 16,
            given: 15
        })
    );
    assert_eq!(
        publisher.store(&[0; 16]),
        Err(RawError::Kind {
            found: Kind::Ring,
            needed: Kind::SeqLock
        })
    );
    assert!(matches!(
        publisher.push_stamped(at(0), 0, &[0; 16]),
        Err(RawError::Kind { .. })
    ));
    assert!(matches!(
        RawPublisher::create(&shm_name("raw-bad"), &with(&ty, |t| t.align = 3), 4, create),
        Err(rtshm::shm::CreateError::Layout(LayoutError::Corrupt(_)))
    ));
}

#[test]
fn a_raw_wait_wakes_on_a_push_and_times_out_without_one() {
    let (create, open) = with_schema();
    let n = shm_name("raw-wait");
    let ty = raw(Kind::Ring, 8, 8);
    let mut publisher = RawPublisher::create(&n, &ty, 8, create).unwrap();
    let view = Inspector::open_as(&n, &ty, open).unwrap();

    let start = Instant::now();
    assert_eq!(view.wait_beyond(0, Duration::from_millis(30)), None);
    assert!(start.elapsed() >= Duration::from_millis(30));

    std::thread::scope(|s| {
        let waiter = s.spawn(|| view.wait_beyond(0, Duration::from_secs(10)));
        std::thread::sleep(Duration::from_millis(20));
        publisher.push(&7u64.to_ne_bytes()).unwrap();
        assert_eq!(waiter.join().unwrap(), Some(1));
    });
}

#[test]
fn a_raw_publisher_takes_over_and_continues_the_numbering() {
    let (create, open) = with_schema();
    let n = shm_name("raw-takeover");
    let ty = raw(Kind::TimeSeries, 8, 8);
    let mut first = RawPublisher::create(&n, &ty, 4, create).unwrap();
    first.push_stamped(at(10), 0, &1u64.to_ne_bytes()).unwrap();
    first.persist();
    assert!(matches!(
        RawPublisher::open_existing(&n, &ty, open),
        Err(TakeoverError::WriterAlive { .. })
    ));
    drop(first);

    let mut second = RawPublisher::open_existing(&n, &ty, open).unwrap();
    assert_eq!(second.epoch(), 1);
    // The last stamp held still bounds the next push.
    assert!(matches!(
        second.push_stamped(at(9), 0, &2u64.to_ne_bytes()),
        Err(RawError::NonMonotonic(_))
    ));
    assert_eq!(second.push_stamped(at(11), 1, &2u64.to_ne_bytes()), Ok(1));
    assert_eq!(second.written(), 2);
    rtshm::shm::remove(&n).unwrap();
}

/// `value` cut at random places into pieces, some of them empty.
fn cut<'a>(value: &'a [u8], rng: &mut nanorand::WyRand) -> Vec<&'a [u8]> {
    use nanorand::Rng;
    let mut pieces = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        let n = match rng.generate_range(0..4u8) {
            0 => 0,
            1 => rng.generate_range(1..=8usize),
            _ => rng.generate_range(1..=rest.len()),
        };
        let (piece, tail) = rest.split_at(n.min(rest.len()));
        pieces.push(piece);
        rest = tail;
    }
    pieces
}

/// A record written from pieces (a network payload's fragments) is stored exactly as the
/// joined record is, in every kind, below and above the 1 KiB where copies take the bulk path,
/// however it is cut; a wrong total or an earlier stamp is refused as with one slice.
#[test]
fn a_record_in_pieces_is_stored_as_the_joined_record() {
    let mut rng = nanorand::WyRand::new_seed(7);
    for kind in [Kind::SeqLock, Kind::Ring, Kind::TimeSeries] {
        for size in [4, 12, 1000, 1024, 1028, 4100, 70_000] {
            let ty = raw(kind, size, 4);
            let (create, open) = with_schema();
            let capacity = if kind == Kind::SeqLock { 1 } else { 4 };
            let (a, b) = (shm_name("raw-pieces-a"), shm_name("raw-pieces-b"));
            let mut pieces = RawPublisher::create(&a, &ty, capacity, create).unwrap();
            let mut joined = RawPublisher::create(&b, &ty, capacity, create).unwrap();
            let (read_a, read_b) = (
                Inspector::open_as(&a, &ty, open).unwrap(),
                Inspector::open_as(&b, &ty, open).unwrap(),
            );
            let record_size = joined.geometry().payload_size;
            for round in 0..6u64 {
                let mut record: Vec<u8> = (0..record_size)
                    .map(|i| (i as u64 * 31 + round) as u8)
                    .collect();
                if kind == Kind::TimeSeries {
                    record[..8].copy_from_slice(&(1000 + round).to_ne_bytes());
                }
                let cuts = cut(&record, &mut rng);
                assert_eq!(
                    pieces.write_record_pieces(&cuts).unwrap(),
                    joined.write_record(&record).unwrap(),
                    "{kind:?} {size} B"
                );
                let (mut got, mut want) = (vec![0; record_size], vec![0; record_size]);
                read_a.latest_into(&mut got).unwrap();
                read_b.latest_into(&mut want).unwrap();
                assert_eq!(
                    got,
                    want,
                    "{kind:?} {size} B, cut {:?}",
                    cuts.iter().map(|p| p.len()).collect::<Vec<_>>()
                );
                if kind != Kind::TimeSeries {
                    assert_eq!(got, record, "{kind:?} {size} B");
                }
            }
            let record = vec![0u8; record_size];
            let short = &record[..record_size - 1];
            assert!(matches!(
                pieces.write_record_pieces(&[short, &[]]),
                Err(RawError::Size { expected, given }) if expected == record_size && given == record_size - 1
            ));
            if kind == Kind::TimeSeries {
                // Stamp 0, before the last one (1005).
                assert!(matches!(
                    pieces.write_record_pieces(&[&record[..3], &record[3..]]),
                    Err(RawError::NonMonotonic(_))
                ));
            }
        }
    }
}
