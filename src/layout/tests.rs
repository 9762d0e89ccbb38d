//! Unit tests of the layout: every bad header field gets its own error; raw and typed
//! geometries agree; hostile capacities never overflow.

use super::*;
use crate::Payload;
use crate::Stamped;
use crate::ring::CapacityError;
use crate::seqlock::SeqLock;
use crate::time::Clock;

/// Any fingerprint: the header checks compare it, they do not compute it.
const FINGERPRINT: u64 = 0x5eed_f00d;

fn good<V: Payload>(kind: Kind, cap: usize) -> (HeaderLine0, u64, Expected) {
    let g = Geometry::of::<V>(kind, cap).unwrap();
    let mut h = header_for(&g, FINGERPRINT, Clock::Monotonic, 1);
    h.layout_version = LAYOUT_VERSION;
    (
        h,
        g.total_len as u64,
        Expected {
            kind,
            fingerprint: FINGERPRINT,
        },
    )
}

#[test]
fn a_header_written_for_a_type_validates_for_that_type() {
    let (h, len, e) = good::<[u8; 64]>(Kind::SeqLock, 1);
    let g = validate::<[u8; 64]>(&h, len, e).unwrap();
    assert_eq!(g.total_len, DATA_OFFSET + size_of::<SeqLock<[u8; 64]>>());
    let (h, len, e) = good::<Stamped<[f32; 3]>>(Kind::TimeSeries, 64);
    assert_eq!(
        validate::<Stamped<[f32; 3]>>(&h, len, e).unwrap().capacity,
        64
    );
}

#[test]
fn every_bad_header_field_gets_its_own_error() {
    let (h, len, e) = good::<u64>(Kind::Ring, 16);
    let check = |h: HeaderLine0, len: u64, e: Expected| validate::<u64>(&h, len, e);

    assert_eq!(
        check(h, 100, e),
        Err(LayoutError::TooSmall {
            len: 100,
            needed: DATA_OFFSET as u64
        })
    );
    assert_eq!(
        check(HeaderLine0 { magic: 7, ..h }, len, e),
        Err(LayoutError::BadMagic { found: 7 })
    );
    assert_eq!(
        check(
            HeaderLine0 {
                layout_version: 0,
                ..h
            },
            len,
            e
        ),
        Err(LayoutError::NotInitialized)
    );
    assert_eq!(
        check(
            HeaderLine0 {
                layout_version: 9,
                ..h
            },
            len,
            e
        ),
        Err(LayoutError::VersionMismatch {
            found: 9,
            expected: LAYOUT_VERSION
        })
    );
    assert_eq!(
        check(
            h,
            len,
            Expected {
                kind: Kind::SeqLock,
                ..e
            }
        ),
        Err(LayoutError::KindMismatch {
            found: 2,
            expected: Kind::SeqLock
        })
    );
    assert!(matches!(
        check(
            h,
            len,
            Expected {
                fingerprint: 5,
                ..e
            }
        ),
        Err(LayoutError::TypeMismatch {
            found,
            expected: 5,
            ..
        }) if found == e.fingerprint
    ));
    assert!(matches!(
        check(
            HeaderLine0 {
                payload_size: 4,
                ..h
            },
            len,
            e
        ),
        Err(LayoutError::PayloadMismatch { found, .. }) if found.size == 4
    ));
    assert_eq!(
        check(HeaderLine0 { capacity: 12, ..h }, len, e),
        Err(LayoutError::Capacity(CapacityError::NotPowerOfTwo {
            given: 12
        }))
    );
    assert_eq!(
        check(HeaderLine0 { capacity: 0, ..h }, len, e),
        Err(LayoutError::Capacity(CapacityError::Zero))
    );
    assert!(matches!(
        check(
            HeaderLine0 {
                capacity: u64::MAX,
                ..h
            },
            len,
            e
        ),
        Err(LayoutError::Capacity(_) | LayoutError::Corrupt(_))
    ));
    assert!(matches!(
        check(
            HeaderLine0 {
                total_len: len + 8,
                ..h
            },
            len + 8,
            e
        ),
        Err(LayoutError::Corrupt(_))
    ));
    assert_eq!(
        check(h, len - 1, e),
        Err(LayoutError::TooSmall {
            len: len - 1,
            needed: len
        })
    );
    assert!(matches!(check(h, len + 1, e), Err(LayoutError::Corrupt(_))));
    assert!(matches!(
        check(HeaderLine0 { clock: 77, ..h }, len, e),
        Err(LayoutError::Corrupt(_))
    ));
    assert!(matches!(
        check(HeaderLine0 { flags: 1, ..h }, len, e),
        Err(LayoutError::Corrupt(_))
    ));
}

/// `of_raw` (tools) against `of` (typed handles) for one payload type in the kinds that
/// store it, at a few capacities; and `validate_raw` accepts what the typed creator writes.
fn raw_agrees<V: Payload>(kinds: &[Kind]) {
    for &kind in kinds {
        let caps = match kind {
            Kind::SeqLock => &[1usize][..],
            Kind::Ring | Kind::TimeSeries | Kind::Queue => &[1, 2, 64][..],
        };
        for &cap in caps {
            let typed = Geometry::of::<V>(kind, cap).unwrap();
            let raw = Geometry::of_raw(kind, size_of::<V>(), align_of::<V>(), V::VALUE_SIZE, cap);
            let name = core::any::type_name::<V>();
            assert_eq!(raw, Ok(typed), "{name} {kind} x{cap}");
            let (h, len, _) = good::<V>(kind, cap);
            assert_eq!(validate_raw(&h, len), Ok(typed), "{name} {kind} x{cap}");
        }
    }
}

#[test]
fn the_raw_geometry_equals_the_typed_one_for_every_size_and_alignment() {
    #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
    #[repr(C, align(16))]
    struct A16([u8; 48]);
    #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
    #[repr(C, align(32))]
    struct A32([u8; 32]);
    #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
    #[repr(C, align(64))]
    struct A64([u8; 192]);
    #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
    #[repr(C, align(128))]
    struct A128([u8; 128]);
    /// `Shape::stored` (run-time types) against the typed shape in every kind.
    fn shape_agrees<T: bytemuck::Pod>() {
        let (size, align) = (size_of::<T>(), align_of::<T>());
        for kind in [Kind::SeqLock, Kind::Ring, Kind::Queue] {
            assert_eq!(Shape::stored(kind, size, align), Some(Shape::of::<T>()));
        }
        let stamped = Shape::stored(Kind::TimeSeries, size, align);
        assert_eq!(stamped, Some(Shape::of::<Stamped<T>>()));
    }
    macro_rules! both {
            ($($t:ty),*) => { $(
                raw_agrees::<$t>(&[Kind::SeqLock, Kind::Ring, Kind::Queue]);
                raw_agrees::<Stamped<$t>>(&[Kind::TimeSeries]);
                shape_agrees::<$t>();
            )* };
        }
    both!(
        (),
        u8,
        [u8; 3],
        u16,
        [u16; 3],
        u32,
        [f32; 3],
        u64,
        [u8; 9],
        [u8; 15],
        [u64; 3],
        u128,
        [u8; 1000],
        [u8; 1031],
        A16,
        A32,
        A64,
        A128
    );
}

#[test]
fn raw_headers_with_sizes_no_type_has_are_refused() {
    let (h, len, _) = good::<Stamped<[f32; 3]>>(Kind::TimeSeries, 4);
    assert_eq!((h.payload_size, h.value_size), (32, 12));
    for (size, align, value) in [
        (32, 3, 12),   // alignment not a power of two
        (30, 8, 12),   // size not a multiple of the alignment
        (32, 8, 17),   // value overruns the payload
        (32, 8, 7),    // padding as long as the alignment
        (32, 4, 12),   // a stamped payload is aligned to at least 8
        (32, 256, 12), // above the supported alignment
    ] {
        let bad = HeaderLine0 {
            payload_size: size,
            payload_align: align,
            value_size: value,
            ..h
        };
        assert!(validate_raw(&bad, len).is_err(), "{size} {align} {value}");
    }
    let (h, len, _) = good::<[u8; 24]>(Kind::Ring, 4);
    let bad = HeaderLine0 {
        value_size: 23,
        ..h
    };
    assert!(validate_raw(&bad, len).is_err());
    assert_eq!(
        validate_raw(&HeaderLine0 { kind: 9, ..h }, len),
        Err(LayoutError::Corrupt("unknown kind"))
    );
    assert_eq!(
        validate::<[u8; 24]>(
            &bad,
            len,
            Expected {
                kind: Kind::Ring,
                fingerprint: h.fingerprint
            }
        ),
        Err(LayoutError::PayloadMismatch {
            found: Shape {
                value_size: 23,
                ..Shape::of::<[u8; 24]>()
            },
            expected: Shape::of::<[u8; 24]>()
        })
    );
}

#[test]
fn payloads_aligned_above_a_ring_head_are_refused() {
    #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
    #[repr(C, align(256))]
    struct A256([u8; 256]);
    assert_eq!(
        Geometry::of::<A256>(Kind::Ring, 4),
        Err(LayoutError::AlignmentTooLarge { align: 256 })
    );
}

#[test]
fn hostile_capacities_never_overflow() {
    for cap in [1usize << 31, usize::MAX / 2 + 1, usize::MAX] {
        let r = Geometry::of::<[u8; 1 << 20]>(Kind::Ring, cap);
        assert!(r.is_err() || r.unwrap().total_len > cap, "cap {cap}");
    }
    assert!(Geometry::of::<u8>(Kind::SeqLock, 2).is_err());
}

#[cfg(feature = "derive")]
#[test]
fn fingerprints_ignore_type_names_and_module_paths_but_not_fields() {
    mod a {
        #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, crate::Schema)]
        #[repr(C)]
        pub(super) struct Imu {
            accel: [f32; 3],
            gyro: [f32; 3],
        }
    }
    mod b {
        #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, crate::Schema)]
        #[repr(C)]
        pub(super) struct ImuSample {
            accel: [f32; 3],
            gyro: [f32; 3],
        }
        #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, crate::Schema)]
        #[repr(C)]
        pub(super) struct Gps {
            lat_lon: [f32; 3],
            vel: [f32; 3],
        }
    }
    assert_eq!(fingerprint::<a::Imu>(), fingerprint::<b::ImuSample>());
    assert_eq!(
        fingerprint::<Stamped<a::Imu>>(),
        fingerprint::<Stamped<b::ImuSample>>()
    );
    assert_ne!(fingerprint::<a::Imu>(), fingerprint::<b::Gps>());
    assert_ne!(fingerprint::<a::Imu>(), fingerprint::<Stamped<a::Imu>>());
}

#[test]
fn fingerprints_differ_between_types_of_equal_size() {
    assert_ne!(fingerprint::<[u32; 2]>(), fingerprint::<u64>());
    assert_ne!(fingerprint::<[u8; 8]>(), fingerprint::<[u16; 4]>());
    assert_ne!(fingerprint::<i64>(), fingerprint::<u64>());
    assert_eq!(fingerprint::<u64>(), fingerprint::<u64>());
}

#[test]
fn errors_say_what_was_found_and_expected() {
    extern crate std;
    use std::string::ToString;
    let e = LayoutError::KindMismatch {
        found: 3,
        expected: Kind::Ring,
    };
    assert_eq!(e.to_string(), "segment holds a TimeSeries, not a Ring");
    let e = LayoutError::VersionMismatch {
        found: 2,
        expected: 1,
    };
    assert!(e.to_string().contains("version 2"));
}

#[test]
fn a_queue_is_two_index_lines_then_the_values_alone() {
    let g = Geometry::of::<u64>(Kind::Queue, 64).unwrap();
    assert_eq!(g.data_len, 256 + 64 * 8);
    assert!(Geometry::of::<u8>(Kind::Queue, 48).is_err()); // not a power of two
}
