//! The binary form: round trips, what `parse` refuses, the fingerprint's identity rules, the
//! differences `diff` names, `.msg` text and value decoding.

use rtshm_schema::{
    DecodeError, Encoder, Field, Mismatch, Number, Primitive, Schema, SchemaBuf, Struct, Type,
    TypeView, Visitor,
};

const VEC3: Type = Type::Struct(&Struct {
    name: "Vec3",
    size: 12,
    align: 4,
    fields: &[
        Field::new("x", 0, f32::TYPE),
        Field::new("y", 4, f32::TYPE),
        Field::new("z", 8, f32::TYPE),
    ],
});

const IMU: Type = Type::Struct(&Struct {
    name: "Imu",
    size: 48,
    align: 8,
    fields: &[
        Field::new("stamp_ns", 0, u64::TYPE),
        Field::new("accel", 8, VEC3),
        Field::new(
            "points",
            20,
            Type::Array {
                element: &VEC3,
                len: 2,
            },
        ),
        Field::new("temp", 44, i32::TYPE),
    ],
});

fn buf(t: &Type) -> SchemaBuf {
    SchemaBuf::of(t).expect("valid")
}

/// `IMU`'s fields.
fn imu_fields() -> Vec<Field> {
    match IMU {
        Type::Struct(s) => s.fields.to_vec(),
        _ => Vec::new(),
    }
}

/// `IMU` with field `i` replaced by `field` (removed if `None`).
fn imu_changed(i: usize, field: Option<Field>) -> SchemaBuf {
    let mut fields = imu_fields();
    match field {
        Some(f) => fields[i] = f,
        None => drop(fields.remove(i)),
    }
    imu_with(fields)
}

/// `IMU` with its fields replaced by `fields`.
fn imu_with(fields: Vec<Field>) -> SchemaBuf {
    let s: &'static Struct = Box::leak(Box::new(Struct {
        name: "Imu",
        size: 48,
        align: 8,
        fields: Box::leak(fields.into_boxed_slice()),
    }));
    buf(&Type::Struct(s))
}

#[test]
fn an_encoding_reads_back_as_the_type_it_encodes() {
    let b = buf(&IMU);
    let v = b.view();
    assert_eq!((v.size(), v.align()), (48, 8));
    let rtshm_schema::Node::Struct(s) = v.node() else {
        panic!("not a struct")
    };
    let fields: Vec<_> = s
        .fields()
        .map(|f| (f.name, f.offset, f.ty.to_string()))
        .collect();
    assert_eq!(
        fields,
        [
            ("stamp_ns", 0, "u64".to_owned()),
            ("accel", 8, "Vec3".to_owned()),
            ("points", 20, "[Vec3; 2]".to_owned()),
            ("temp", 44, "i32".to_owned()),
        ]
    );
    assert_eq!(IMU.encoded_len(), b.as_bytes().len());
}

#[test]
fn the_msg_text_lists_fields_then_each_nested_struct_once() {
    assert_eq!(
        buf(&IMU).view().msg().to_string(),
        "uint64 stamp_ns\nVec3 accel\nVec3[2] points\nint32 temp\n\
         ================================================================================\n\
         MSG: rtshm/Vec3\nfloat32 x\nfloat32 y\nfloat32 z\n"
    );
    assert_eq!(buf(&f64::TYPE).view().msg().to_string(), "float64 value\n");
}

#[test]
fn the_fingerprint_ignores_type_names_but_not_field_names_order_or_types() {
    let base = buf(&IMU).view().fingerprint();
    const RENAMED: Type = Type::Struct(&Struct {
        name: "ImuSample",
        size: 48,
        align: 8,
        fields: match IMU {
            Type::Struct(s) => s.fields,
            _ => &[],
        },
    });
    let renamed_type = RENAMED;
    assert_eq!(buf(&renamed_type).view().fingerprint(), base);
    assert_eq!(IMU.fingerprint(), base);
    assert_eq!(RENAMED.fingerprint(), base);
    let renamed_field = imu_changed(0, Some(Field::new("stamp", 0, u64::TYPE)));
    assert_ne!(renamed_field.view().fingerprint(), base);
    let retyped = imu_changed(0, Some(Field::new("stamp_ns", 0, i64::TYPE)));
    assert_ne!(retyped.view().fingerprint(), base);
}

#[test]
fn diff_names_the_field_and_both_types() {
    let found = buf(&IMU);
    let retyped = imu_changed(3, Some(Field::new("temp", 44, f32::TYPE)));
    let d = found.view().diff(&retyped.view()).expect("differs");
    assert_eq!(
        d.to_string(),
        "field `temp`: segment has i32 at offset 44, this program f32"
    );
    assert!(found.view().diff(&found.view()).is_none());
}

#[test]
fn diff_names_a_reordered_field_by_its_offsets() {
    // Same size, same alignment, two u64 fields swapped: the case that read garbage before.
    const A: Type = Type::Struct(&Struct {
        name: "S",
        size: 16,
        align: 8,
        fields: &[
            Field::new("stamp", 0, u64::TYPE),
            Field::new("seq", 8, u64::TYPE),
        ],
    });
    const B: Type = Type::Struct(&Struct {
        name: "S",
        size: 16,
        align: 8,
        fields: &[
            Field::new("seq", 0, u64::TYPE),
            Field::new("stamp", 8, u64::TYPE),
        ],
    });
    let (a, b) = (buf(&A), buf(&B));
    assert_ne!(a.view().fingerprint(), b.view().fingerprint());
    assert_eq!(
        a.view().diff(&b.view()).unwrap().to_string(),
        "field `seq`: segment has u64 at offset 8, this program u64 at offset 0"
    );
}

#[test]
fn diff_goes_into_nested_structs_and_arrays_of_structs() {
    const VEC3D: Type = Type::Struct(&Struct {
        name: "Vec3",
        size: 12,
        align: 4,
        fields: &[
            Field::new("x", 0, f32::TYPE),
            Field::new("y", 4, f32::TYPE),
            Field::new("w", 8, f32::TYPE),
        ],
    });
    let other = imu_changed(
        2,
        Some(Field::new(
            "points",
            20,
            Type::Array {
                element: &VEC3D,
                len: 2,
            },
        )),
    );
    let imu = buf(&IMU);
    let d = imu.view().diff(&other.view()).unwrap();
    assert_eq!(
        d.to_string(),
        "field `points[].w`: the segment has no such field"
    );
    let d = other.view().diff(&imu.view()).unwrap();
    assert!(matches!(d.what, Mismatch::Missing { name: "z" }));
    let fewer = imu_changed(3, None);
    assert_eq!(
        imu.view().diff(&fewer.view()).unwrap().to_string(),
        "field `temp`: the segment has it, this program does not"
    );
}

fn encode(build: impl FnOnce(&mut Encoder<'_>)) -> Vec<u8> {
    let mut bytes = vec![0u8; 256];
    let mut e = Encoder::new(&mut bytes);
    build(&mut e);
    let n = e.len();
    bytes.truncate(n);
    bytes
}

fn refused(bytes: &[u8]) -> DecodeError {
    TypeView::parse(bytes).expect_err("parse must refuse")
}

#[test]
fn parse_refuses_what_a_hostile_writer_could_store() {
    let overlap = encode(|e| {
        e.structure("S", 8, 4, 2);
        e.field("a", 0);
        e.primitive(Primitive::U32);
        e.field("b", 2);
        e.primitive(Primitive::U16);
    });
    assert!(refused(&overlap).what.contains("overlaps"));
    let misaligned = encode(|e| {
        e.structure("S", 8, 4, 1);
        e.field("a", 2);
        e.primitive(Primitive::U32);
    });
    assert!(refused(&misaligned).what.contains("aligned"));
    let outside = encode(|e| {
        e.structure("S", 4, 4, 1);
        e.field("a", 4);
        e.primitive(Primitive::U32);
    });
    assert!(refused(&outside).what.contains("past"));
    let twice = encode(|e| {
        e.structure("S", 8, 4, 2);
        e.field("a", 0);
        e.primitive(Primitive::U32);
        e.field("a", 4);
        e.primitive(Primitive::U32);
    });
    assert!(refused(&twice).what.contains("same name"));
    let huge = encode(|e| {
        e.array(u32::MAX as usize);
        e.primitive(Primitive::U64);
    });
    assert!(refused(&huge).what.contains("u32::MAX"));
    let deep = encode(|e| {
        for _ in 0..40 {
            e.array(1);
        }
        e.primitive(Primitive::U8);
    });
    assert!(refused(&deep).what.contains("deeper"));
    let bad_name = encode(|e| {
        e.structure("not a name", 4, 4, 0);
    });
    assert!(refused(&bad_name).what.contains("identifier"));
    assert!(refused(&[0x7f]).what.contains("tag"));
    assert!(refused(&[Primitive::U8.tag(), 0]).what.contains("follow"));
    assert!(refused(&[]).what.contains("ends"));
}

#[test]
fn every_truncation_and_byte_flip_is_refused_or_reads_back_without_panic() {
    let good = buf(&IMU).as_bytes().to_vec();
    for n in 0..good.len() {
        assert!(TypeView::parse(&good[..n]).is_err(), "truncated at {n}");
    }
    for i in 0..good.len() {
        for flip in [1u8, 0x80, 0xff] {
            let mut bytes = good.clone();
            bytes[i] ^= flip;
            if let Ok(v) = TypeView::parse(&bytes) {
                // Whatever parses is navigable and decodes a value of its size.
                let _ = (v.to_string(), v.msg().to_string(), v.fingerprint());
                let value = vec![0u8; v.size()];
                v.visit(&value, &mut Collect::default()).unwrap();
            }
        }
    }
}

#[derive(Default)]
struct Collect {
    out: String,
}

impl Visitor for Collect {
    fn number(&mut self, n: Number) {
        self.out += &format!("{n} ");
    }
    fn field(&mut self, name: &str) {
        self.out += &format!("{name}=");
    }
    fn begin_array(&mut self, _len: usize) {
        self.out += "[ ";
    }
    fn end_array(&mut self) {
        self.out += "] ";
    }
}

#[test]
fn visit_decodes_every_field_by_its_type() {
    let mut value = [0u8; 48];
    value[..8].copy_from_slice(&7u64.to_le_bytes());
    value[8..12].copy_from_slice(&1.5f32.to_le_bytes());
    value[44..48].copy_from_slice(&(-3i32).to_le_bytes());
    let mut c = Collect::default();
    let imu = buf(&IMU);
    imu.view().visit(&value, &mut c).unwrap();
    assert_eq!(
        c.out,
        "stamp_ns=7 accel=x=1.5 y=0 z=0 points=[ x=0 y=0 z=0 x=0 y=0 z=0 ] temp=-3 "
    );
    let short = imu.view().visit(&value[..47], &mut c);
    assert!(short.is_err());
}

#[test]
fn a_descriptor_that_lies_is_refused_when_encoded() {
    const LIAR: Type = Type::Struct(&Struct {
        name: "Liar",
        size: 4,
        align: 4,
        fields: &[Field::new("a", 0, u64::TYPE)],
    });
    assert!(SchemaBuf::of(&LIAR).is_err());
}

#[test]
fn zero_sized_types_are_refused() {
    let empty_array = encode(|e| {
        e.array(0);
        e.primitive(Primitive::U8);
    });
    assert!(refused(&empty_array).what.contains("no elements"));
    let empty_struct = encode(|e| e.structure("S", 0, 1, 0));
    assert!(refused(&empty_struct).what.contains("size 0"));
}

#[test]
fn a_body_length_that_lies_is_refused() {
    let mut bytes = buf(&IMU).as_bytes().to_vec();
    // The root struct's body length follows tag, name ("Imu"), size, align and count.
    let at = 1 + 1 + 3 + 4 + 4 + 2;
    bytes[at] ^= 1;
    assert!(TypeView::parse(&bytes).is_err());
}

/// Structs nested 15 deep with several fields each: checking and reading cost time linear in
/// the bytes (each struct's stated length lets a reader step over it), not exponential in the
/// depth, as a hostile segment could otherwise make every reader spin.
#[test]
fn deeply_nested_wide_structs_parse_in_linear_time() {
    fn nest(e: &mut Encoder<'_>, depth: usize) -> usize {
        if depth == 0 {
            e.primitive(Primitive::U8);
            return 1;
        }
        let inner = {
            let mut probe = Encoder::new(&mut []);
            nest(&mut probe, depth - 1);
            // The inner size is 4^(depth-1): four fields per level.
            4usize.pow(depth as u32 - 1)
        };
        e.structure("S", 4 * inner, 1, 4);
        for (i, name) in ["a", "b", "c", "d"].into_iter().enumerate() {
            e.field(name, i * inner);
            nest(e, depth - 1);
        }
        4 * inner
    }
    let mut bytes = vec![0u8; 1 << 22];
    let mut e = Encoder::new(&mut bytes);
    nest(&mut e, 8);
    let encoded = e.finish().unwrap().to_vec();
    let started = std::time::Instant::now();
    let view = TypeView::parse(&encoded).unwrap();
    assert_eq!(view.size(), 4usize.pow(8));
    let _ = (view.fingerprint(), view.to_string());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}
