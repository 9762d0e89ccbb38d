//! Image payloads through shared memory: a ring of full-HD RGB frames written by a publisher is
//! read back intact by a subscriber, and the type check tells image formats and sizes apart.
#![cfg(all(feature = "std", not(miri), not(rtshm_loom)))]

use rtshm::image::{Fhd, Hd, Mono8, Nv12Fhd, Rgb8};
use rtshm::shm::{OpenError, RingPublisher, RingSubscriber};

fn name(test: &str) -> String {
    format!("rtshm-test-image-{}-{test}", std::process::id())
}

/// Frame `k`: every pixel `[k, y % 256, x % 256]`.
fn frame(k: u8) -> Box<Fhd<Rgb8>> {
    let mut f: Box<Fhd<Rgb8>> = bytemuck::zeroed_box();
    for y in 0..Fhd::<Rgb8>::HEIGHT {
        for (x, px) in f.row_mut(y).unwrap().iter_mut().enumerate() {
            *px = [k, y as u8, x as u8];
        }
    }
    f
}

#[test]
fn a_ring_of_full_hd_rgb_frames_round_trips_through_shared_memory() {
    let n = name("fhd");
    let mut publisher = RingPublisher::<Fhd<Rgb8>>::create(&n, 4).unwrap();
    let subscriber = RingSubscriber::<Fhd<Rgb8>>::open(&n).unwrap();
    let mut cursor = subscriber.cursor_from_oldest();
    let mut seen: Box<Fhd<Rgb8>> = bytemuck::zeroed_box();
    for k in 0..6u8 {
        publisher.push(&frame(k));
        assert_eq!(
            subscriber.next_into(&mut cursor, &mut seen),
            Ok(Some(u64::from(k)))
        );
        assert!(seen.as_bytes() == frame(k).as_bytes(), "frame {k} differs");
    }
    assert_eq!(subscriber.latest_into(&mut seen), Ok(Some(5)));
    assert_eq!(
        seen.pixel(1919, 1079),
        Some(&[5, 1079u16 as u8, 1919u16 as u8])
    );
}

#[test]
fn subscribers_of_another_format_or_size_are_refused() {
    let n = name("types");
    let _publisher = RingPublisher::<Fhd<Rgb8>>::create(&n, 2).unwrap();
    let refused = |e: Result<(), OpenError>| match e {
        Err(OpenError::SchemaMismatch(m)) => m.to_string(),
        other => panic!("expected a schema mismatch, got {other:?}"),
    };
    let mono = refused(RingSubscriber::<Fhd<Mono8>>::open(&n).map(drop));
    assert!(
        mono.contains("field `pixels`: segment has [[[u8; 3]; 1920]; 1080]"),
        "{mono}"
    );
    let hd = refused(RingSubscriber::<Hd<Rgb8>>::open(&n).map(drop));
    assert!(hd.contains("this program [[[u8; 3]; 1280]; 720]"), "{hd}");
    let nv12 = refused(RingSubscriber::<Nv12Fhd>::open(&n).map(drop));
    assert!(nv12.contains("field `"), "{nv12}");
}
