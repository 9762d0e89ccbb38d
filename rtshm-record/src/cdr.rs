//! Values as ROS 2 messages: a segment's schema as `.msg` text, its values as CDR.
//!
//! A message is the 4-byte encapsulation header `00 01 00 00` (plain CDR, little-endian) and the
//! body: every number of the value in schema order, each aligned to its own size (at most 8)
//! counted from the body's start, fixed arrays without a length. A `repr(C)` value with natural
//! alignment already has these offsets up to its trailing padding, so its body is usually its
//! bytes; where C and CDR differ (padding after an array of structs whose first field is less
//! aligned than the struct) the [`Plan`] moves each run of numbers to its CDR offset. A
//! time-series value is `Stamped<T>`: `uint64 stamp_ns`, `uint64 seq`, then `T`'s fields.
//!
//! ```
//! use rtshm::layout::{Geometry, Kind};
//! use rtshm::schema::{Schema, SchemaBuf};
//! use rtshm_record::cdr::Plan;
//!
//! let schema = SchemaBuf::of(&<[f32; 3]>::TYPE)?;
//! let geometry = Geometry::of::<[f32; 3]>(Kind::Ring, 8)?;
//! let plan = Plan::new(&geometry, schema.view())?;
//! let value: [f32; 3] = [1.0, 2.0, 3.0];
//! let mut message = Vec::new();
//! plan.encode(bytemuck::bytes_of(&value), &mut message);
//! assert_eq!(&message[..4], &[0, 1, 0, 0]); // CDR, little-endian
//! assert_eq!(&message[4..], bytemuck::bytes_of(&value)); // the body is the value's bytes
//! assert_eq!(plan.msg(), "float32[3] value\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use rtshm::layout::{Geometry, Kind};
use rtshm::schema::{Node, TypeView};

/// The encapsulation header of a little-endian plain-CDR message.
pub const CDR_LE: [u8; 4] = [0, 1, 0, 0];

/// The most numbers a plan moves one by one (an array of small structs with padding): a schema
/// needing more is refused rather than slow.
const MAX_RUNS: usize = 1 << 16;

/// One run of bytes: `len` bytes at `src` in the stored value go to `dst` in the CDR body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    src: usize,
    dst: usize,
    len: usize,
}

/// How a segment's stored values map to CDR message bodies, computed once per channel from the
/// segment's geometry and schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    runs: Vec<Run>,
    body_len: usize,
    stored_len: usize,
    msg: String,
}

/// A schema that cannot be a ROS 2 message, or a message that is not one of this plan.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CdrError {
    /// The segment is a queue: its values belong to its consumer and are not recorded.
    Queue,
    /// The schema describes more than the stored value holds (a corrupt segment).
    Mismatch,
    /// An array of structs so long, with padding inside, that each number would be moved on its
    /// own (more than 65536 runs).
    TooManyRuns,
    /// A time-series value has a field named `stamp_ns` or `seq`, which the message's own
    /// first two fields use.
    NameClash(String),
    /// The message does not start with the little-endian CDR header.
    Header([u8; 4]),
    /// The message is shorter than this plan's body.
    Short {
        /// Bytes needed (header and body).
        needed: usize,
        /// Bytes given.
        given: usize,
    },
}

impl fmt::Display for CdrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Queue => f.write_str("a queue's values belong to its consumer: not recorded"),
            Self::Mismatch => f.write_str("the schema does not fit the stored value"),
            Self::TooManyRuns => f.write_str(
                "the schema has more than 65536 separately placed numbers (a long array of \
                 padded structs): not supported",
            ),
            Self::NameClash(name) => write!(
                f,
                "a time-series value's field is named `{name}`, as the message's stamp fields \
                 are: rename it"
            ),
            Self::Header(h) => write!(f, "not a little-endian CDR message (header {h:02x?})"),
            Self::Short { needed, given } => {
                write!(f, "a message of {given} bytes, {needed} needed")
            }
        }
    }
}

impl std::error::Error for CdrError {}

impl Plan {
    /// The plan for the values of a segment of `geometry` whose values have `schema` (the
    /// user's value: a time series adds its stamp and sequence number).
    pub fn new(geometry: &Geometry, schema: TypeView<'_>) -> Result<Self, CdrError> {
        let mut plan = Self {
            runs: Vec::new(),
            body_len: 0,
            stored_len: geometry.payload_size,
            msg: String::new(),
        };
        let value_at = match geometry.kind {
            Kind::TimeSeries => {
                if let Node::Struct(s) = schema.node() {
                    for clash in ["stamp_ns", "seq"] {
                        if s.field(clash).is_some() {
                            return Err(CdrError::NameClash(clash.to_owned()));
                        }
                    }
                }
                plan.msg.push_str("uint64 stamp_ns\nuint64 seq\n");
                plan.push(0, 8);
                plan.push(8, 8);
                geometry.stamped_value_at()
            }
            Kind::Queue => return Err(CdrError::Queue),
            _ => 0,
        };
        if value_at + schema.size() > geometry.payload_size {
            return Err(CdrError::Mismatch);
        }
        plan.walk(schema, value_at)?;
        plan.msg.push_str(&schema.msg().to_string());
        Ok(plan)
    }

    /// Appends `len` bytes from `src` at the body's end, aligned to `align`.
    fn push(&mut self, src: usize, len: usize) {
        self.push_aligned(src, len, len.min(8));
    }

    fn push_aligned(&mut self, src: usize, len: usize, align: usize) {
        let dst = self.body_len.next_multiple_of(align);
        self.body_len = dst + len;
        if let Some(last) = self.runs.last_mut()
            && last.src + last.len == src
            && last.dst + last.len == dst
        {
            last.len += len;
            return;
        }
        self.runs.push(Run { src, dst, len });
    }

    fn walk(&mut self, t: TypeView<'_>, src: usize) -> Result<(), CdrError> {
        if self.runs.len() > MAX_RUNS {
            return Err(CdrError::TooManyRuns);
        }
        match t.node() {
            Node::Primitive(p) => self.push(src, p.size()),
            Node::Array { .. } => {
                // Arrays of numbers (however nested) are one run: the elements are contiguous in
                // both layouts, and aligning the first aligns them all.
                let (inner, dims) = t.element_and_dims();
                let count = dims.fold(1usize, usize::saturating_mul);
                match inner.node() {
                    Node::Primitive(p) => {
                        self.push_aligned(src, count.saturating_mul(p.size()), p.size().min(8));
                    }
                    _ => {
                        for i in 0..count {
                            self.walk(inner, src + i * inner.size())?;
                        }
                    }
                }
            }
            Node::Struct(s) => {
                for field in s.fields() {
                    self.walk(field.ty, src + field.offset)?;
                }
            }
            _ => return Err(CdrError::Mismatch),
        }
        Ok(())
    }

    /// The channel's schema in the ROS 2 `.msg` format (`ros2msg`).
    #[must_use]
    pub fn msg(&self) -> &str {
        &self.msg
    }

    /// Bytes of a message: the header and the body.
    #[must_use]
    pub fn message_len(&self) -> usize {
        CDR_LE.len() + self.body_len
    }

    /// Whether the body is the stored value's first bytes unchanged (no number moves).
    #[must_use]
    pub fn is_verbatim(&self) -> bool {
        matches!(self.runs.as_slice(), [Run { src: 0, dst: 0, .. }])
    }

    /// Writes the message for the stored value `stored` into `out` (cleared first).
    pub fn encode(&self, stored: &[u8], out: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(&CDR_LE);
        out.resize(self.message_len(), 0);
        let body = &mut out[CDR_LE.len()..];
        for r in &self.runs {
            // In bounds: `new` checked the schema against the stored size, and the body length
            // is the sum of the runs (a shorter `stored` leaves zeros).
            if let Some(from) = stored.get(r.src..r.src + r.len) {
                body[r.dst..r.dst + r.len].copy_from_slice(from);
            }
        }
    }

    /// Reads a message back into a stored value (`stored`, the segment's payload size; bytes
    /// the message does not carry, padding, are left as they are).
    pub fn decode(&self, message: &[u8], stored: &mut [u8]) -> Result<(), CdrError> {
        let header: [u8; 4] =
            message
                .get(..4)
                .and_then(|h| h.try_into().ok())
                .ok_or(CdrError::Short {
                    needed: self.message_len(),
                    given: message.len(),
                })?;
        if header != CDR_LE {
            return Err(CdrError::Header(header));
        }
        if message.len() < self.message_len() {
            return Err(CdrError::Short {
                needed: self.message_len(),
                given: message.len(),
            });
        }
        if stored.len() < self.stored_len {
            return Err(CdrError::Mismatch);
        }
        let body = &message[CDR_LE.len()..];
        for r in &self.runs {
            stored[r.src..r.src + r.len].copy_from_slice(&body[r.dst..r.dst + r.len]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtshm::Stamped;
    use rtshm::schema::{Field, Schema, SchemaBuf, Struct, Type};

    fn plan<T: Schema + bytemuck::Pod>(kind: Kind) -> Plan {
        let schema = SchemaBuf::of(&T::TYPE).unwrap();
        let geometry = match kind {
            Kind::TimeSeries => Geometry::of::<Stamped<T>>(kind, 4),
            Kind::SeqLock => Geometry::of::<T>(kind, 1),
            _ => Geometry::of::<T>(kind, 4),
        }
        .unwrap();
        Plan::new(&geometry, schema.view()).unwrap()
    }

    #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
    #[repr(C)]
    struct Vec3 {
        x: f32,
        y: f32,
        z: f32,
    }

    /// `u8` first, `u64` inside: 16 bytes in C with 7 bytes of trailing padding; in CDR an
    /// array of them packs the next `flag` right after `value`.
    #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
    #[repr(C)]
    struct Flagged {
        flag: u8,
        _pad: [u8; 7],
        value: u64,
    }

    #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
    #[repr(C)]
    struct Tail {
        value: u64,
        flag: u8,
        _pad: [u8; 7],
    }

    #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
    #[repr(C)]
    struct Mixed {
        points: [Vec3; 2],
        tails: [Tail; 2],
        id: u16,
        _pad: [u8; 6],
    }

    #[test]
    fn a_naturally_aligned_value_is_its_own_body() {
        assert!(plan::<Vec3>(Kind::SeqLock).is_verbatim());
        assert!(plan::<[[f64; 3]; 2]>(Kind::Ring).is_verbatim());
        assert!(plan::<Flagged>(Kind::Ring).is_verbatim());
        let p = plan::<Vec3>(Kind::TimeSeries);
        assert!(p.is_verbatim(), "stamp, seq, then the value at 16: {p:?}");
        assert_eq!(
            p.msg(),
            "uint64 stamp_ns\nuint64 seq\nfloat32 x\nfloat32 y\nfloat32 z\n"
        );
    }

    /// A struct with holes (as a numpy dtype with `align=True` describes one): `u64` then `u8`,
    /// 16 bytes in C; in an array, CDR packs the next element's `flag` right after `value`.
    const HOLEY: Type = Type::Struct(&Struct {
        name: "Holey",
        size: 16,
        align: 8,
        fields: &[
            Field::new("flag", 0, u8::TYPE),
            Field::new("value", 8, u64::TYPE),
        ],
    });
    const TAILED: Type = Type::Struct(&Struct {
        name: "Tailed",
        size: 16,
        align: 8,
        fields: &[
            Field::new("value", 0, u64::TYPE),
            Field::new("flag", 8, u8::TYPE),
        ],
    });
    const PAIR: Type = Type::Array {
        element: &TAILED,
        len: 2,
    };

    #[test]
    fn holes_and_trailing_padding_move_to_their_cdr_offsets() {
        let geometry = Geometry::of::<[u64; 4]>(Kind::SeqLock, 1).unwrap();
        let holey = SchemaBuf::of(&HOLEY).unwrap();
        let p = Plan::new(&geometry, holey.view()).unwrap();
        // flag at 0, value at 8 in both: the hole is skipped, nothing moves.
        assert_eq!(
            p.runs,
            [
                Run {
                    src: 0,
                    dst: 0,
                    len: 1
                },
                Run {
                    src: 8,
                    dst: 8,
                    len: 8
                }
            ]
        );
        let pair = SchemaBuf::of(&PAIR).unwrap();
        let p = Plan::new(&geometry, pair.view()).unwrap();
        // value0 0..8, flag0 8, then value1 aligned to 16 in CDR too (9 -> 16): same offsets;
        // the trailing 7 bytes of the last element are not in the message.
        assert_eq!(p.message_len(), 4 + 25);
        assert_eq!(
            p.runs,
            [
                Run {
                    src: 0,
                    dst: 0,
                    len: 9
                },
                Run {
                    src: 16,
                    dst: 16,
                    len: 9
                }
            ]
        );
        assert_eq!(p.msg().lines().next(), Some("Tailed[2] value"));
        // A time series of values aligned to 32: C puts the value at 32, CDR at 16.
        #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
        #[repr(C, align(32))]
        struct Wide([f64; 4]);
        let geometry = Geometry::of::<Stamped<Wide>>(Kind::TimeSeries, 4).unwrap();
        let wide = SchemaBuf::of(&<[f64; 4]>::TYPE).unwrap();
        let p = Plan::new(&geometry, wide.view()).unwrap();
        assert_eq!(
            p.runs,
            [
                Run {
                    src: 0,
                    dst: 0,
                    len: 16
                },
                Run {
                    src: 32,
                    dst: 16,
                    len: 32
                }
            ]
        );
        assert!(!p.is_verbatim());
    }

    #[test]
    fn a_field_named_like_the_stamp_is_refused_in_a_time_series() {
        #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
        #[repr(C)]
        struct Counted {
            seq: u64,
        }
        let schema = SchemaBuf::of(&Counted::TYPE).unwrap();
        let geometry = Geometry::of::<Stamped<Counted>>(Kind::TimeSeries, 4).unwrap();
        assert_eq!(
            Plan::new(&geometry, schema.view()),
            Err(CdrError::NameClash("seq".into()))
        );
        assert!(
            Plan::new(
                &Geometry::of::<Counted>(Kind::Ring, 4).unwrap(),
                schema.view()
            )
            .is_ok()
        );
    }

    #[test]
    fn encode_and_decode_are_inverse() {
        let p = plan::<Mixed>(Kind::SeqLock);
        let v = Mixed {
            points: [
                Vec3 {
                    x: 1.0,
                    y: 2.0,
                    z: 3.0,
                },
                Vec3 {
                    x: 4.0,
                    y: 5.0,
                    z: 6.0,
                },
            ],
            tails: [
                Tail {
                    value: 7,
                    flag: 8,
                    _pad: [0; 7],
                },
                Tail {
                    value: 9,
                    flag: 10,
                    _pad: [0; 7],
                },
            ],
            id: 11,
            _pad: [0; 6],
        };
        let mut msg = Vec::new();
        p.encode(bytemuck::bytes_of(&v), &mut msg);
        let mut back = [0u8; core::mem::size_of::<Mixed>()];
        p.decode(&msg, &mut back).unwrap();
        assert_eq!(&back[..], bytemuck::bytes_of(&v));
        assert_eq!(
            p.decode(&msg[..10], &mut back),
            Err(CdrError::Short {
                needed: msg.len(),
                given: 10
            })
        );
        assert!(matches!(
            p.decode(&[0, 0, 0, 0, 1], &mut back),
            Err(CdrError::Header(_))
        ));
    }
}
