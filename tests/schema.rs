//! `#[derive(rtshm::Schema)]` and the built-in schemas: nested structs, arrays of structs,
//! generics, `Stamped<T>`, images; offsets and sizes as the compiler lays them out.
#![cfg(feature = "derive")]

use rtshm::Schema;
use rtshm::image::{Image, Rgb8};
use rtshm::schema::{Primitive, Type};
use rtshm::{Stamped, Timestamp};

#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, Schema)]
#[repr(C)]
struct Vec3 {
    x: f32,
    y: f32,
    z: f32,
}

#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, Schema)]
#[repr(C)]
struct Imu {
    stamp_ns: u64,
    accel: Vec3,
    gyro: Vec3,
    status: [u16; 2],
    points: [Vec3; 2],
    flags: u32,
}

#[derive(Clone, Copy, Schema)]
#[repr(C)]
struct Tagged<T> {
    tag: u64,
    value: T,
}

// bytemuck cannot derive Pod for a generic struct: each padding-free instance says it.
// SAFETY: `repr(C)` of a u64 then a `[f64; 2]`: no padding, every bit pattern valid.
unsafe impl bytemuck::Zeroable for Tagged<[f64; 2]> {}
// SAFETY: as above.
unsafe impl bytemuck::Pod for Tagged<[f64; 2]> {}
// SAFETY: `repr(C)`: a u64 then two u32s, no padding.
unsafe impl bytemuck::Zeroable for Tagged<[u32; 2]> {}
// SAFETY: as above.
unsafe impl bytemuck::Pod for Tagged<[u32; 2]> {}

/// `t` in the ROS 2 `.msg` style.
fn msg(t: Type) -> String {
    rtshm::schema::SchemaBuf::of(&t)
        .unwrap()
        .view()
        .msg()
        .to_string()
}

fn fields(t: Type) -> Vec<(&'static str, usize, Type)> {
    let Type::Struct(s) = t else {
        panic!("{t:?} is not a struct")
    };
    s.fields.iter().map(|f| (f.name, f.offset, f.ty)).collect()
}

#[test]
fn nested_structs_and_arrays_of_structs_have_their_real_offsets() {
    let t = Imu::TYPE;
    assert_eq!((t.size(), t.align()), (size_of::<Imu>(), align_of::<Imu>()));
    let f = fields(t);
    let names: Vec<_> = f.iter().map(|(n, ..)| *n).collect();
    assert_eq!(
        names,
        ["stamp_ns", "accel", "gyro", "status", "points", "flags"]
    );
    let offsets: Vec<_> = f.iter().map(|(_, o, _)| *o).collect();
    assert_eq!(
        offsets,
        [
            core::mem::offset_of!(Imu, stamp_ns),
            core::mem::offset_of!(Imu, accel),
            core::mem::offset_of!(Imu, gyro),
            core::mem::offset_of!(Imu, status),
            core::mem::offset_of!(Imu, points),
            core::mem::offset_of!(Imu, flags),
        ]
    );
    assert_eq!(f[1].2, Vec3::TYPE);
    assert_eq!(
        fields(Vec3::TYPE)[2],
        ("z", 8, Type::Primitive(Primitive::F32))
    );
    let Type::Array { element, len } = f[4].2 else {
        panic!("points is an array")
    };
    assert_eq!((*element, len), (Vec3::TYPE, 2));
    assert_eq!(
        msg(t),
        "uint64 stamp_ns\nVec3 accel\nVec3 gyro\nuint16[2] status\nVec3[2] points\nuint32 flags\n\
         ================================================================================\nMSG: rtshm/Vec3\nfloat32 x\nfloat32 y\nfloat32 z\n"
    );
}

#[test]
fn generic_structs_describe_their_instances() {
    let t = Tagged::<[f64; 2]>::TYPE;
    assert_eq!(t.size(), 24);
    assert_eq!(msg(t), "uint64 tag\nfloat64[2] value\n");
    let other = Tagged::<[u32; 2]>::TYPE;
    assert_eq!(fields(other)[1], ("value", 8, <[u32; 2]>::TYPE));
}

#[test]
fn stamped_values_timestamps_and_images_have_built_in_schemas() {
    let t = Stamped::<Vec3>::TYPE;
    assert_eq!(t.size(), size_of::<Stamped<Vec3>>());
    assert!(msg(t).starts_with("uint64 stamp_ns\nuint64 seq\nVec3 value\n"));
    assert_eq!(Timestamp::TYPE, u64::TYPE);
    let image = Image::<4, 2, Rgb8>::TYPE;
    assert_eq!(image.size(), 4 * 2 * 3);
    assert_eq!(msg(image), "uint8[24] pixels\n");
}

/// The two sides of the trial: same size, same alignment, fields in another order.
mod reordered {
    #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
    #[repr(C)]
    pub(super) struct Writer {
        pub(super) stamp: u64,
        pub(super) seq: u64,
        pub(super) accel: [f32; 3],
        pub(super) temp: f32,
    }

    #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
    #[repr(C)]
    pub(super) struct Reader {
        pub(super) seq: u64,
        pub(super) stamp: u64,
        pub(super) accel: [f32; 3],
        pub(super) temp: f32,
    }

    #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
    #[repr(C)]
    pub(super) struct Retyped {
        pub(super) stamp: u64,
        pub(super) seq: u64,
        pub(super) accel: [i32; 3],
        pub(super) temp: f32,
    }

    /// `Writer` under another name, in another module: the same schema.
    #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
    #[repr(C)]
    pub(super) struct Moved {
        pub(super) stamp: u64,
        pub(super) seq: u64,
        pub(super) accel: [f32; 3],
        pub(super) temp: f32,
    }
}

#[cfg(all(feature = "std", not(miri), not(rtshm_loom)))]
#[test]
fn a_segment_opens_only_with_the_same_fields_at_the_same_offsets() {
    use rtshm::shm::{OpenError, SeqLockPublisher, SeqLockSubscriber};
    let name = format!("rtshm-test-schema-reorder-{}", std::process::id());
    let mut publisher = SeqLockPublisher::<reordered::Writer>::create(&name).unwrap();
    publisher.store(&reordered::Writer {
        stamp: 7,
        seq: 1,
        accel: [0.0, 0.0, 9.81],
        temp: 21.5,
    });
    let refused = |e: Result<(), OpenError>| match e {
        Err(OpenError::SchemaMismatch(m)) => (m.field().map(str::to_owned), m.to_string()),
        other => panic!("expected a schema mismatch, got {other:?}"),
    };
    let (field, text) = refused(SeqLockSubscriber::<reordered::Reader>::open(&name).map(drop));
    assert_eq!(field.as_deref(), Some("seq"));
    assert!(
        text.ends_with("field `seq`: segment has u64 at offset 8, this program u64 at offset 0"),
        "{text}"
    );
    let (field, text) = refused(SeqLockSubscriber::<reordered::Retyped>::open(&name).map(drop));
    assert_eq!(field.as_deref(), Some("accel"));
    assert!(
        text.ends_with("field `accel`: segment has [f32; 3] at offset 16, this program [i32; 3]"),
        "{text}"
    );
    // Renaming or moving the type keeps the segment readable.
    let moved = SeqLockSubscriber::<reordered::Moved>::open(&name).unwrap();
    assert_eq!(moved.try_load().unwrap().temp, 21.5);
}
