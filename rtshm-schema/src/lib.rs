//! The schema of an rtshm payload: what its bytes mean.
//!
//! A [`Type`] describes a value: a [`Primitive`] number, a fixed-size [`Type::Array`] of any
//! type, or a [`Type::Struct`] with a name, a size, an alignment and named [`Field`]s at their
//! offsets. Descriptors are `const` values built at compile time (`&'static` all the way down):
//! no allocation, usable in `no_std` and on a microcontroller. Types say theirs by implementing
//! [`Schema`], usually with `#[derive(rtshm::Schema)]` (crate `rtshm-derive`, re-exported by
//! `rtshm`); the numbers, arrays of schema types and rtshm's own payload types have built-in
//! impls.
//!
//! A descriptor has a binary form ([`Encoder`], [`Type::encode`]) that rtshm stores in every
//! segment, and [`TypeView`] reads that form back in place, without allocation: validated once
//! ([`TypeView::parse`]), compared field by field ([`TypeView::diff`]), hashed into the
//! segment's fingerprint ([`TypeView::fingerprint`]), written in the ROS 2 `.msg` style
//! ([`TypeView::msg`]: `float32[3] accel`), and used to decode a value's bytes
//! ([`TypeView::visit`]).
//!
//! # Without the derive
//!
//! The impl the derive writes, by hand: a `const` [`Struct`] with one [`Field`] per field,
//! offsets from [`core::mem::offset_of!`]. The type must be `#[repr(C)]` and
//! [`bytemuck::Pod`] (no padding), which [`assert_pod`] checks at compile time.
//!
//! ```
//! use rtshm_schema::{Field, Schema, Struct, Type, assert_pod};
//!
//! #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
//! #[repr(C)]
//! struct Imu {
//!     stamp_ns: u64,
//!     accel: [f32; 3],
//!     gyro: [f32; 3],
//! }
//!
//! impl Schema for Imu {
//!     const TYPE: Type = Type::Struct(&Struct {
//!         name: "Imu",
//!         size: size_of::<Imu>(),
//!         align: align_of::<Imu>(),
//!         fields: &[
//!             Field::new("stamp_ns", core::mem::offset_of!(Imu, stamp_ns), u64::TYPE),
//!             Field::new("accel", core::mem::offset_of!(Imu, accel), <[f32; 3]>::TYPE),
//!             Field::new("gyro", core::mem::offset_of!(Imu, gyro), <[f32; 3]>::TYPE),
//!         ],
//!     });
//! }
//! const _: () = assert_pod::<Imu>();
//!
//! assert_eq!(Imu::TYPE.size(), 32);
//! let mut buf = [0u8; 128];
//! let view = Imu::TYPE.encode(&mut buf)?;
//! assert_eq!(
//!     view.msg().to_string(),
//!     "uint64 stamp_ns\nfloat32[3] accel\nfloat32[3] gyro\n"
//! );
//! # Ok::<(), rtshm_schema::EncodeError>(())
//! ```
#![no_std]

#[cfg(feature = "alloc")]
extern crate alloc;

mod diff;
mod encoding;
#[cfg(feature = "alloc")]
mod owned;
mod value;
mod view;

pub use diff::{Difference, FieldPath, Mismatch};
pub use encoding::{EncodeError, Encoder};
#[cfg(feature = "alloc")]
pub use owned::SchemaBuf;
pub use value::{Number, TooShort, Visitor};
pub use view::{
    DecodeError, FieldView, Fields, MAX_ALIGN, MAX_DEPTH, Msg, Node, StructView, TypeView,
};

/// A number type of a field.
///
/// ```
/// use rtshm_schema::{Primitive, Schema, Type};
/// assert_eq!(f32::TYPE, Type::Primitive(Primitive::F32));
/// assert_eq!(Primitive::F32.size(), 4);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Primitive {
    /// `u8`
    U8,
    /// `u16`
    U16,
    /// `u32`
    U32,
    /// `u64`
    U64,
    /// `i8`
    I8,
    /// `i16`
    I16,
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `f32`
    F32,
    /// `f64`
    F64,
}

impl Primitive {
    /// Its size in bytes (also its alignment).
    #[must_use]
    pub const fn size(self) -> usize {
        match self {
            Self::U8 | Self::I8 => 1,
            Self::U16 | Self::I16 => 2,
            Self::U32 | Self::I32 | Self::F32 => 4,
            Self::U64 | Self::I64 | Self::F64 => 8,
        }
    }

    /// Its name in Rust: `u8` ... `f64`.
    ///
    /// ```
    /// assert_eq!(rtshm_schema::Primitive::U16.rust_name(), "u16");
    /// ```
    #[must_use]
    pub const fn rust_name(self) -> &'static str {
        match self {
            Self::U8 => "u8",
            Self::U16 => "u16",
            Self::U32 => "u32",
            Self::U64 => "u64",
            Self::I8 => "i8",
            Self::I16 => "i16",
            Self::I32 => "i32",
            Self::I64 => "i64",
            Self::F32 => "f32",
            Self::F64 => "f64",
        }
    }

    /// Its name in ROS 2 `.msg` files: `uint8` ... `int64`, `float32`, `float64`.
    ///
    /// ```
    /// assert_eq!(rtshm_schema::Primitive::F64.msg_name(), "float64"); // ROS 2 .msg spelling
    /// ```
    #[must_use]
    pub const fn msg_name(self) -> &'static str {
        match self {
            Self::U8 => "uint8",
            Self::U16 => "uint16",
            Self::U32 => "uint32",
            Self::U64 => "uint64",
            Self::I8 => "int8",
            Self::I16 => "int16",
            Self::I32 => "int32",
            Self::I64 => "int64",
            Self::F32 => "float32",
            Self::F64 => "float64",
        }
    }
}

/// What a value is: a number, an array, or a struct of named fields.
///
/// ```
/// use rtshm_schema::{Primitive, Schema, Type};
/// let accel = <[f32; 3]>::TYPE;
/// assert_eq!(accel, Type::Array { element: &Type::Primitive(Primitive::F32), len: 3 });
/// assert_eq!((accel.size(), accel.align()), (12, 4));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Type {
    /// A number.
    Primitive(Primitive),
    /// `len` values of `element`, back to back.
    Array {
        /// The element type.
        element: &'static Type,
        /// The number of elements.
        len: usize,
    },
    /// A `#[repr(C)]` struct.
    Struct(&'static Struct),
}

/// A `#[repr(C)]` struct: its name, size and alignment, and its fields in declaration order.
///
/// ```
/// use rtshm_schema::{Field, Schema, Struct, Type};
/// const POINT: Type = Type::Struct(&Struct {
///     name: "Point",
///     size: 8,
///     align: 4,
///     fields: &[Field::new("x", 0, f32::TYPE), Field::new("y", 4, f32::TYPE)],
/// });
/// assert_eq!(POINT.size(), 8);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(
    clippy::exhaustive_structs,
    reason = "a struct is exactly this; built as a const literal by the derive and by hand"
)]
pub struct Struct {
    /// The type's name, without module path (`Imu`).
    pub name: &'static str,
    /// `size_of` the type.
    pub size: usize,
    /// `align_of` the type.
    pub align: usize,
    /// The fields, in declaration order.
    pub fields: &'static [Field],
}

/// A named field of a [`Struct`] at its byte offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Field {
    /// The field's name.
    pub name: &'static str,
    /// Its byte offset in the struct.
    pub offset: usize,
    /// Its type.
    pub ty: Type,
}

impl Field {
    /// A field `name` of type `ty` at byte `offset`.
    #[must_use]
    pub const fn new(name: &'static str, offset: usize, ty: Type) -> Self {
        Self { name, offset, ty }
    }
}

impl Type {
    /// The size in bytes of a value of this type.
    #[must_use]
    pub const fn size(&self) -> usize {
        match self {
            Self::Primitive(p) => p.size(),
            Self::Array { element, len } => element.size() * *len,
            Self::Struct(s) => s.size,
        }
    }

    /// The alignment of a value of this type.
    #[must_use]
    pub const fn align(&self) -> usize {
        match self {
            Self::Primitive(p) => p.size(),
            Self::Array { element, .. } => element.align(),
            Self::Struct(s) => s.align,
        }
    }
}

/// A type whose bytes a [`Type`] describes. Implemented for the numbers, for arrays of schema
/// types, by rtshm for its payload types, and by `#[derive(rtshm::Schema)]` for your
/// `#[repr(C)]` structs; see the crate docs for an impl by hand.
///
/// The descriptor must tell the truth (offsets, sizes): readers in other processes and
/// languages decode the bytes by it. They check every offset against the size, so a wrong
/// descriptor gives wrong numbers, never an out-of-bounds read. Padding bytes are described by
/// nothing (a derived struct has none; rtshm's `Stamped<T>` may have trailing padding).
///
/// ```
/// use rtshm_schema::Schema;
/// // Numbers and arrays of schema types have one; structs derive it (`#[derive(rtshm::Schema)]`).
/// let mut buf = [0u8; 64];
/// let view = <[u16; 4]>::TYPE.encode(&mut buf)?;
/// assert_eq!(view.size(), 8);
/// # Ok::<(), rtshm_schema::EncodeError>(())
/// ```
pub trait Schema: Copy + 'static {
    /// The descriptor.
    const TYPE: Type;
}

macro_rules! primitive {
    ($($t:ty => $p:ident),*) => {$(
        impl Schema for $t {
            const TYPE: Type = Type::Primitive(Primitive::$p);
        }
    )*};
}
primitive!(u8 => U8, u16 => U16, u32 => U32, u64 => U64, i8 => I8, i16 => I16, i32 => I32,
    i64 => I64, f32 => F32, f64 => F64);

impl<T: Schema, const N: usize> Schema for [T; N] {
    const TYPE: Type = Type::Array {
        element: &T::TYPE,
        len: N,
    };
}

/// `bytemuck::Pod`, which every derived struct must be (the derive's `where` clause names it).
pub use bytemuck::Pod;

/// Fails to compile unless `T` is [`bytemuck::Pod`] (in particular, has no padding). The
/// derive calls it for every struct; `const _: () = assert_pod::<MyType>();` in an impl by hand.
pub const fn assert_pod<T: bytemuck::Pod>() {}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::*;

    #[test]
    fn arrays_nest_their_dimensions_outermost_first() {
        let t = <[[f32; 3]; 2]>::TYPE;
        assert_eq!((t.size(), t.align()), (24, 4));
        let mut buf = [0u8; 32];
        let view = t.encode(&mut buf).unwrap();
        assert_eq!(view.msg().to_string(), "float32[6] value\n");
        assert_eq!(view.to_string(), "[[f32; 3]; 2]");
        assert_eq!((view.size(), view.align()), (24, 4));
    }
}
