//! Shared-memory segments in one process: round trips through a publisher and a subscriber, and
//! every way opening can fail, each with its exact error.
#![cfg(all(feature = "std", not(rtshm_loom), not(miri)))]

use std::fs;
use std::time::Duration;

use rtshm::layout::{self, DATA_OFFSET, LAYOUT_VERSION, LayoutError};
use rtshm::shm::{
    self, CreateError, InvalidName, OpenConfig, OpenError, RingPublisher, RingSubscriber,
    SeqLockPublisher, SeqLockSubscriber, TimeSeriesPublisher, TimeSeriesSubscriber,
};
use rtshm::{Lapped, Stamped, TimedOut, Timestamp, Version, WaitError};

mod common;
use common::{poke, shm_name as name};

fn shm_file(name: &str) -> String {
    format!("/dev/shm/{name}")
}

type Imu = [f32; 6];

#[test]
fn seqlock_round_trip_between_publisher_and_subscriber() {
    let n = name("seqlock");
    let mut publisher = SeqLockPublisher::<Imu>::create(&n).unwrap();
    let subscriber = SeqLockSubscriber::<Imu>::open(&n).unwrap();
    assert_eq!(subscriber.version().get(), 0);
    publisher.store(&[1.0; 6]);
    let mut v = [0.0; 6];
    let version = subscriber.try_load_into(&mut v).unwrap();
    assert_eq!((v, version.get()), ([1.0; 6], 1));
    assert_eq!(subscriber.version().get(), 1);
}

#[test]
fn ring_round_trip_reports_laps() {
    let n = name("ring");
    let mut publisher = RingPublisher::<u64>::create(&n, 8).unwrap();
    let subscriber = RingSubscriber::<u64>::open(&n).unwrap();
    let mut cursor = subscriber.cursor_from_oldest();
    for v in 0..20 {
        publisher.push(&v);
    }
    assert_eq!(subscriber.next(&mut cursor), Err(Lapped { missed: 12 }));
    assert_eq!(subscriber.next(&mut cursor), Ok(Some(12)));
    assert_eq!(subscriber.latest(), Ok(Some((19, 19))));
    assert_eq!((subscriber.written(), subscriber.capacity()), (20, 8));
}

#[test]
fn ring_latest_into_copies_large_frames_without_the_stack() {
    const FRAME: usize = 1 << 20;
    let n = name("ring-latest-into");
    let mut publisher = RingPublisher::<[u8; FRAME]>::create(&n, 2).unwrap();
    let subscriber = RingSubscriber::<[u8; FRAME]>::open(&n).unwrap();
    let mut frame: Box<[u8; FRAME]> = bytemuck::zeroed_box();
    assert_eq!(subscriber.latest_into(&mut frame), Ok(None));
    let mut src: Box<[u8; FRAME]> = bytemuck::zeroed_box();
    for k in 1..=3u8 {
        src.fill(k);
        publisher.push(&src);
    }
    assert_eq!(subscriber.latest_into(&mut frame), Ok(Some(2)));
    assert!(frame.iter().all(|&b| b == 3));
}

#[test]
fn time_series_round_trip_interpolates() {
    let n = name("series");
    let mut publisher = TimeSeriesPublisher::<[f64; 2]>::create(&n, 16).unwrap();
    let subscriber = TimeSeriesSubscriber::<[f64; 2]>::open(&n).unwrap();
    for i in 0..10u64 {
        let s = Stamped::new(Timestamp::from_nanos(i * 100), i, [i as f64; 2]);
        publisher.push(&s).unwrap();
    }
    assert!(
        publisher
            .push(&Stamped::new(Timestamp::from_nanos(5), 0, [0.0; 2]))
            .is_err()
    );
    assert_eq!(
        subscriber.interpolate(Timestamp::from_nanos(450)),
        Ok([4.5; 2])
    );
    let c = subscriber
        .closest(Timestamp::from_nanos(730), Duration::from_nanos(40))
        .unwrap()
        .unwrap();
    assert_eq!(c.seq, 7);
}

#[test]
fn second_publisher_on_a_name_gets_already_exists() {
    let n = name("twice");
    let _first = SeqLockPublisher::<u32>::create(&n).unwrap();
    assert!(matches!(
        SeqLockPublisher::<u32>::create(&n),
        Err(CreateError::AlreadyExists)
    ));
}

#[test]
fn invalid_capacity_is_refused_at_creation() {
    let n = name("badcap");
    assert!(matches!(
        RingPublisher::<u32>::create(&n, 12),
        Err(CreateError::Layout(LayoutError::Capacity(_)))
    ));
    assert!(fs::metadata(shm_file(&n)).is_err(), "nothing left behind");
}

#[test]
fn subscriber_drop_leaves_the_segment_and_publisher_drop_removes_it() {
    let n = name("lifetime");
    let publisher = SeqLockPublisher::<u32>::create(&n).unwrap();
    drop(SeqLockSubscriber::<u32>::open(&n).unwrap());
    assert!(fs::metadata(shm_file(&n)).is_ok(), "a reader never unlinks");
    drop(publisher);
    assert!(
        fs::metadata(shm_file(&n)).is_err(),
        "the creator unlinks on drop"
    );
    assert!(matches!(
        SeqLockSubscriber::<u32>::open(&n),
        Err(OpenError::NotFound)
    ));
}

#[test]
fn persisted_segment_outlives_its_publisher_until_removed() {
    let n = name("persist");
    let mut publisher = SeqLockPublisher::<u32>::create(&n).unwrap();
    publisher.store(&7);
    publisher.persist();
    drop(publisher);
    let sub = SeqLockSubscriber::<u32>::open(&n).unwrap();
    assert_eq!(sub.try_load().unwrap(), 7);
    shm::remove(&n).unwrap();
    assert!(matches!(shm::remove(&n), Err(OpenError::NotFound)));
}

#[test]
fn subscriber_maps_the_data_read_only() {
    let n = name("readonly");
    let _publisher = RingPublisher::<u64>::create(&n, 4).unwrap();
    let sub = RingSubscriber::<u64>::open(&n).unwrap();
    let (addr, len) = sub.data_mapping();
    let maps = fs::read_to_string("/proc/self/maps").unwrap();
    let line = maps
        .lines()
        .find(|l| {
            let range = l.split_whitespace().next().unwrap();
            let (lo, hi) = range.split_once('-').unwrap();
            let (lo, hi) = (
                usize::from_str_radix(lo, 16).unwrap(),
                usize::from_str_radix(hi, 16).unwrap(),
            );
            lo <= addr && addr + len <= hi
        })
        .expect("data mapping listed");
    let perms = line.split_whitespace().nth(1).unwrap();
    // 32-bit targets map it read-write: 64-bit atomic loads are not allowed on read-only memory.
    let expected = if cfg!(target_pointer_width = "64") {
        "r--s"
    } else {
        "rw-s"
    };
    assert_eq!(perms, expected, "subscriber data mapping: {line}");
    assert!(sub.can_register_waits());
}

#[test]
fn bad_names_are_refused_before_touching_the_system() {
    for (bad, err) in [
        ("a/b", InvalidName::BadChar { found: '/', at: 1 }),
        ("..", InvalidName::LeadingDot),
        ("", InvalidName::Empty),
    ] {
        match SeqLockSubscriber::<u32>::open(bad) {
            Err(OpenError::InvalidName(e)) => assert_eq!(e, err),
            other => panic!("{bad:?}: {:?}", other.err()),
        }
        assert!(matches!(
            SeqLockPublisher::<u32>::create(bad),
            Err(CreateError::InvalidName(_))
        ));
    }
}

/// Opens `n` as a SeqLock<u32> with a short initialization timeout.
fn open_u32(n: &str) -> Result<SeqLockSubscriber<u32>, OpenError> {
    SeqLockSubscriber::<u32>::open_with(
        n,
        OpenConfig::new().init_timeout(Duration::from_millis(50)),
    )
}

fn invalid(r: Result<SeqLockSubscriber<u32>, OpenError>) -> LayoutError {
    match r {
        Err(OpenError::Invalid(e)) => e,
        other => panic!("expected OpenError::Invalid, got {:?}", other.err()),
    }
}

#[test]
fn wrong_type_gets_a_schema_mismatch_naming_both_types() {
    let n = name("wrongtype");
    let _p = SeqLockPublisher::<u32>::create(&n).unwrap();
    match SeqLockSubscriber::<i32>::open(&n) {
        Err(OpenError::SchemaMismatch(e)) => {
            assert_eq!(e.field(), None);
            assert_eq!(
                e.to_string(),
                "the segment's schema differs: value: segment has u32, this program i32"
            );
        }
        other => panic!("{:?}", other.err()),
    }
}

#[test]
fn a_segment_without_a_schema_gets_type_mismatch_with_both_fingerprints() {
    // A raw publisher that names a schema id and records no schema.
    let n = name("noschema");
    let ty = shm::RawType::new(layout::Kind::SeqLock, 4, 4, 0x77);
    let _p = shm::RawPublisher::create(&n, &ty, 1, shm::CreateConfig::new()).unwrap();
    match SeqLockSubscriber::<i32>::open(&n) {
        Err(OpenError::Invalid(
            e @ LayoutError::TypeMismatch {
                found, expected, ..
            },
        )) => {
            assert_eq!(found, 0x77);
            assert_eq!(expected, layout::fingerprint::<i32>());
            let text = e.to_string();
            assert!(
                text.contains("same shape as `i32` (4 bytes, align 4)"),
                "{text}"
            );
        }
        other => panic!("{:?}", other.err()),
    }
}

#[test]
fn explicit_schema_ids_must_match() {
    let n = name("schema");
    let opts = shm::CreateConfig::new().schema(0x1234);
    let _p = SeqLockPublisher::<u32>::create_with(&n, opts).unwrap();
    let open = |schema| {
        SeqLockSubscriber::<u32>::open_with(&n, {
            let options = OpenConfig::new();
            match schema {
                Some(id) => options.schema(id),
                None => options,
            }
        })
    };
    if let Err(e) = open(Some(0x1234)) {
        panic!("open with the schema id: {e}");
    }
    assert!(matches!(
        open(None),
        Err(OpenError::Invalid(LayoutError::TypeMismatch {
            found: 0x1234,
            ..
        }))
    ));
}

#[test]
fn wrong_kind_gets_kind_mismatch() {
    let n = name("wrongkind");
    let _p = RingPublisher::<u32>::create(&n, 4).unwrap();
    assert_eq!(
        invalid(open_u32(&n)),
        LayoutError::KindMismatch {
            found: 2,
            expected: layout::Kind::SeqLock
        }
    );
}

#[test]
fn hostile_headers_get_their_exact_errors() {
    let n = name("hostile");
    let mut p = SeqLockPublisher::<u32>::create(&n).unwrap();
    p.persist();
    drop(p);

    poke(&n, 0, &0xdead_beef_u64.to_le_bytes());
    assert_eq!(
        invalid(open_u32(&n)),
        LayoutError::BadMagic { found: 0xdead_beef }
    );
    poke(&n, 0, &layout::MAGIC.to_le_bytes());

    poke(&n, 8, &(LAYOUT_VERSION + 1).to_le_bytes());
    assert_eq!(
        invalid(open_u32(&n)),
        LayoutError::VersionMismatch {
            found: LAYOUT_VERSION + 1,
            expected: LAYOUT_VERSION
        }
    );

    // A creator that never finishes: version 0 until the timeout.
    poke(&n, 8, &0u32.to_le_bytes());
    assert_eq!(invalid(open_u32(&n)), LayoutError::NotInitialized);
    poke(&n, 8, &LAYOUT_VERSION.to_le_bytes());
    assert!(open_u32(&n).is_ok());

    // Truncated below its header's length, then below a header.
    let f = fs::OpenOptions::new()
        .write(true)
        .open(shm_file(&n))
        .unwrap();
    f.set_len(DATA_OFFSET as u64 + 4).unwrap();
    assert!(matches!(
        invalid(open_u32(&n)),
        LayoutError::TooSmall { len, .. } if len == DATA_OFFSET as u64 + 4
    ));
    f.set_len(100).unwrap();
    assert_eq!(
        invalid(open_u32(&n)),
        LayoutError::TooSmall {
            len: 100,
            needed: DATA_OFFSET as u64
        }
    );
    shm::remove(&n).unwrap();
}

#[test]
fn file_backed_segment_survives_its_publisher_and_refuses_symlinks() {
    let dir = std::env::temp_dir().join(format!("rtshm-file-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join("recorder.rtshm");
    {
        let mut p = TimeSeriesPublisher::<u64>::create_file(&path, 8, Default::default()).unwrap();
        for i in 0..5u64 {
            p.push(&Stamped::new(Timestamp::from_nanos(i * 10), i, i * i))
                .unwrap();
        }
        p.flush().unwrap();
        assert!(p.name().is_none());
        p.persist();
    }
    let sub = TimeSeriesSubscriber::<u64>::open_file(&path, OpenConfig::default()).unwrap();
    assert_eq!(sub.latest().unwrap().unwrap().value, 16);
    assert_eq!(sub.written(), 5);
    // A second creator on the same path is refused.
    assert!(matches!(
        TimeSeriesPublisher::<u64>::create_file(&path, 8, Default::default()),
        Err(CreateError::AlreadyExists)
    ));
    // O_NOFOLLOW: a symlink to a valid segment is not followed.
    let link = dir.join("link.rtshm");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    assert!(matches!(
        TimeSeriesSubscriber::<u64>::open_file(&link, OpenConfig::default()),
        Err(OpenError::NotAFile {
            found: "a symbolic link"
        })
    ));
    assert!(matches!(
        TimeSeriesSubscriber::<u64>::open_file(dir.join("missing"), OpenConfig::default()),
        Err(OpenError::NotFound)
    ));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn memfd_segment_is_shared_through_its_file_descriptor() {
    let mut p = SeqLockPublisher::<[u32; 3]>::create_memfd("imu", Default::default()).unwrap();
    p.store(&[1, 2, 3]);
    let fd = p.share_fd().unwrap();
    let sub = SeqLockSubscriber::<[u32; 3]>::from_fd(fd, OpenConfig::default()).unwrap();
    assert_eq!(sub.try_load().unwrap(), [1, 2, 3]);
    p.store(&[4, 5, 6]);
    assert_eq!(
        sub.wait_newer(rtshm::Version::INITIAL, Duration::from_millis(10))
            .unwrap()
            .0,
        [4, 5, 6]
    );
    // The wrong type is refused through a descriptor too.
    let fd = p.share_fd().unwrap();
    assert!(matches!(
        SeqLockSubscriber::<[u32; 4]>::from_fd(fd, OpenConfig::default()),
        Err(OpenError::SchemaMismatch(_))
    ));
}

#[test]
fn list_shows_segments_with_their_summary_and_reports_corrupt_ones() {
    let good = name("list-good");
    let bad = name("list-bad");
    let mut p = RingPublisher::<[u8; 24]>::create(&good, 32).unwrap();
    for _ in 0..3 {
        p.push(&[1; 24]);
    }
    let mut q = SeqLockPublisher::<u16>::create(&bad).unwrap();
    q.persist();
    drop(q);
    poke(&bad, 8, &99u32.to_le_bytes()); // a future layout version
    // Not an rtshm segment: left out.
    let other = name("list-other");
    fs::write(shm_file(&other), b"some other program's shared memory").unwrap();

    let listed = shm::list().unwrap();
    let find = |n: &str| listed.iter().find(|l| l.name == n);
    let info = find(&good).unwrap().info.as_ref().unwrap();
    assert_eq!(
        (info.kind, info.capacity, info.payload_size, info.writes),
        (layout::Kind::Ring, 32, 24, 3)
    );
    assert_eq!(
        find(&bad).unwrap().info,
        Err(LayoutError::VersionMismatch {
            found: 99,
            expected: LAYOUT_VERSION
        })
    );
    assert!(find(&other).is_none());
    shm::remove(&bad).unwrap();
    fs::remove_file(shm_file(&other)).unwrap();
}

// ---- API shapes (issue 21) ------------------------------------------------------------------

#[test]
fn a_node_keeps_its_subscriber_and_cursor_side_by_side_and_resumes_a_saved_position() {
    struct Node {
        imu: RingSubscriber<u64>,
        cursor: rtshm::Cursor<u64>,
    }
    let n = name("node");
    let mut publisher = RingPublisher::<u64>::create(&n, 8).unwrap();
    let imu = RingSubscriber::<u64>::open(&n).unwrap();
    let cursor = imu.cursor_from_next();
    let mut node = Node { imu, cursor };
    for v in 0..3 {
        publisher.push(&v);
    }
    let read: Vec<u64> = node
        .imu
        .iter_from(&mut node.cursor)
        .map(Result::unwrap)
        .collect();
    assert_eq!(read, [0, 1, 2]);
    let saved = node.cursor.position();
    publisher.push(&3);
    // A cursor made at a saved position reads from there, on another handle too.
    let other = RingSubscriber::<u64>::open(&n).unwrap();
    let mut resumed = rtshm::Cursor::at(saved);
    assert_eq!(other.next(&mut resumed), Ok(Some(3)));
    assert_eq!(other.next(&mut rtshm::Cursor::at(1)), Ok(Some(1)));
    for v in 4..20 {
        publisher.push(&v);
    }
    assert_eq!(
        other.next(&mut rtshm::Cursor::at(1)),
        Err(Lapped { missed: 11 })
    );
}

#[test]
fn every_wait_reports_a_timeout_as_an_error_and_a_lap_as_one() {
    let short = Duration::from_millis(2);
    let n = name("wait-shapes-ring");
    let mut publisher = RingPublisher::<u64>::create(&n, 4).unwrap();
    let sub = RingSubscriber::<u64>::open(&n).unwrap();
    let mut cursor = sub.cursor_from_next();
    assert_eq!(sub.wait_next(&mut cursor, short), Err(WaitError::TimedOut));
    for v in 0..10 {
        publisher.push(&v);
    }
    assert_eq!(
        sub.wait_next(&mut cursor, short),
        Err(WaitError::Lapped(Lapped { missed: 6 }))
    );
    let mut dst = 0;
    assert_eq!(sub.wait_next_into(&mut cursor, &mut dst, short), Ok(6));
    assert_eq!(dst, 6);

    let n = name("wait-shapes-seqlock");
    let _publisher = SeqLockPublisher::<u64>::create(&n).unwrap();
    let sub = SeqLockSubscriber::<u64>::open(&n).unwrap();
    assert_eq!(sub.wait_newer(Version::INITIAL, short), Err(TimedOut));

    let n = name("wait-shapes-series");
    let _publisher = TimeSeriesPublisher::<u64>::create(&n, 4).unwrap();
    let sub = TimeSeriesSubscriber::<u64>::open(&n).unwrap();
    assert_eq!(sub.wait_written_beyond(0, short), Err(TimedOut));
    // The crate-level error takes each of them with `?`.
    let e: rtshm::Error = WaitError::TimedOut.into();
    assert!(matches!(e, rtshm::Error::TimedOut(TimedOut)));
}

#[test]
fn a_time_series_subscriber_reads_every_sample_with_a_cursor() {
    let n = name("series-cursor");
    let mut publisher = TimeSeriesPublisher::<u32>::create(&n, 8).unwrap();
    let sub = TimeSeriesSubscriber::<u32>::open(&n).unwrap();
    let mut cursor = sub.cursor_from_oldest();
    for i in 0..3u32 {
        let stamp = Timestamp::from_nanos(u64::from(i) * 10);
        publisher
            .push(&Stamped::new(stamp, u64::from(i), i * 7))
            .unwrap();
    }
    let got: Vec<(u64, u32)> = sub
        .iter_from(&mut cursor)
        .map(|s| s.map(|s| (s.stamp.as_nanos(), s.value)).unwrap())
        .collect();
    assert_eq!(got, [(0, 0), (10, 7), (20, 14)]);
    assert_eq!(
        sub.wait_next(&mut cursor, Duration::from_millis(1)),
        Err(WaitError::TimedOut)
    );
}

#[test]
fn the_shm_seqlock_reads_like_the_in_process_one_and_load_is_bounded() {
    let n = name("seqlock-shapes");
    let mut publisher = SeqLockPublisher::<u64>::create(&n).unwrap();
    let sub = SeqLockSubscriber::<u64>::open(&n).unwrap();
    let local = rtshm::SeqLock::new(0u64);
    let mut writer = local.writer().unwrap();
    publisher.store(&41);
    writer.store(&41);
    // Same shapes as the in-process SeqLock.
    assert_eq!(sub.try_load(), Ok(41));
    assert_eq!(local.try_load(), Ok(41));
    assert_eq!(
        sub.load_if_newer(Version::INITIAL).map(|(v, _)| v),
        Some(41)
    );
    assert_eq!(
        sub.load_if_newer(Version::INITIAL).map(|(_, ver)| ver),
        local.load_if_newer(Version::INITIAL).map(|(_, ver)| ver)
    );
    assert_eq!(sub.load(), Ok(local.load()));
    let mut dst = 0;
    assert_eq!(sub.load_into(&mut dst), Ok(local.version()));
    assert_eq!(sub.load_if_newer(sub.version()), None);

    // A writer stopped mid-store (odd sequence): load gives up after LOAD_PATIENCE, never hangs.
    poke(&n, DATA_OFFSET as u64, &3u64.to_le_bytes());
    let start = std::time::Instant::now();
    assert_eq!(sub.load(), Err(rtshm::Busy));
    let waited = start.elapsed();
    assert!(
        waited >= shm::LOAD_PATIENCE && waited < shm::LOAD_PATIENCE * 20,
        "{waited:?}"
    );
    assert_eq!(sub.try_load(), Err(rtshm::Busy));
    assert_eq!(sub.load_if_newer(Version::INITIAL), None);
}

#[test]
fn a_subscriber_waits_for_a_segment_created_later_under_its_posix_name() {
    let n = name("late");
    let late = std::thread::spawn({
        let n = n.clone();
        move || {
            std::thread::sleep(Duration::from_millis(50));
            let mut publisher = SeqLockPublisher::<u32>::create(&format!("/{n}")).unwrap();
            publisher.store(&5);
            std::thread::sleep(Duration::from_millis(300));
        }
    });
    let sub = SeqLockSubscriber::<u32>::open_timeout(&n, Duration::from_secs(10)).unwrap();
    assert_eq!(
        sub.wait_newer(Version::INITIAL, Duration::from_secs(5))
            .map(|(v, _)| v),
        Ok(5)
    );
    assert_eq!(sub.name().unwrap().as_str(), n);
    late.join().unwrap();
    // Nothing appears: NotFound after the timeout, not before.
    let start = std::time::Instant::now();
    let missing = SeqLockSubscriber::<u32>::open_timeout(&name("never"), Duration::from_millis(30));
    assert!(matches!(missing, Err(OpenError::NotFound)));
    assert!(start.elapsed() >= Duration::from_millis(30));
    // A segment of another type is refused at once, without waiting out the timeout.
    let _p = SeqLockPublisher::<u64>::create(&n).unwrap();
    let start = std::time::Instant::now();
    assert!(SeqLockSubscriber::<u32>::open_timeout(&n, Duration::from_secs(10)).is_err());
    assert!(start.elapsed() < Duration::from_secs(5));
}
