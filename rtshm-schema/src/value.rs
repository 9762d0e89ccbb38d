//! Decoding a value's bytes by its schema: [`TypeView::visit`] calls a [`Visitor`] per struct,
//! field, array and number, in order (no allocation).

use core::fmt;

use crate::Primitive;
use crate::view::{Node, StructView, TypeView};

/// A number read from a value.
///
/// ```
/// use rtshm_schema::{Number, Primitive};
/// assert_eq!(Primitive::I16.read(&(-3i16).to_le_bytes()), Some(Number::Signed(-3)));
/// assert_eq!(Primitive::F32.read(&1.5f32.to_le_bytes()).map(|n| n.to_string()), Some("1.5".into()));
/// assert_eq!(Primitive::U64.read(&[0; 4]), None); // too short
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Number {
    /// An unsigned integer (`u8` to `u64`).
    Unsigned(u64),
    /// A signed integer (`i8` to `i64`).
    Signed(i64),
    /// An `f32`.
    F32(f32),
    /// An `f64`.
    F64(f64),
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsigned(v) => v.fmt(f),
            Self::Signed(v) => v.fmt(f),
            Self::F32(v) => v.fmt(f),
            Self::F64(v) => v.fmt(f),
        }
    }
}

impl Primitive {
    /// Reads a number of this type from the start of `bytes` (little-endian), if they hold one.
    #[must_use]
    pub fn read(self, bytes: &[u8]) -> Option<Number> {
        let mut b = [0u8; 8];
        let n = self.size();
        b[..n].copy_from_slice(bytes.get(..n)?);
        let u = u64::from_le_bytes(b);
        // Sign extension from the type's width.
        let shift = 64 - 8 * n as u32;
        let i = ((u << shift) as i64) >> shift;
        Some(match self {
            Self::U8 | Self::U16 | Self::U32 | Self::U64 => Number::Unsigned(u),
            Self::I8 | Self::I16 | Self::I32 | Self::I64 => Number::Signed(i),
            Self::F32 => Number::F32(f32::from_bits(u as u32)),
            Self::F64 => Number::F64(f64::from_bits(u)),
        })
    }
}

/// Receives a value's parts from [`TypeView::visit`], in order. Only [`Visitor::number`] is
/// required.
///
/// ```
/// use rtshm_schema::{Number, Schema, Visitor};
///
/// /// Sums every number of a value.
/// struct Sum(f64);
/// impl Visitor for Sum {
///     fn number(&mut self, n: Number) {
///         self.0 += match n {
///             Number::Unsigned(v) => v as f64,
///             Number::Signed(v) => v as f64,
///             Number::F32(v) => f64::from(v),
///             Number::F64(v) => v,
///             _ => 0.0,
///         };
///     }
/// }
/// let mut buf = [0u8; 64];
/// let view = <[u16; 3]>::TYPE.encode(&mut buf)?;
/// let value: Vec<u8> = [1u16, 2, 3].iter().flat_map(|v| v.to_le_bytes()).collect();
/// let mut sum = Sum(0.0);
/// view.visit(&value, &mut sum).unwrap();
/// assert_eq!(sum.0, 6.0);
/// # Ok::<(), rtshm_schema::EncodeError>(())
/// ```
pub trait Visitor {
    /// A number (a field of primitive type, or an array element).
    fn number(&mut self, n: Number);
    /// A struct begins; its fields follow, each announced by [`Visitor::field`].
    fn begin_struct(&mut self, s: &StructView<'_>) {
        let _ = s;
    }
    /// The next field of the current struct; its value follows.
    fn field(&mut self, name: &str) {
        let _ = name;
    }
    /// The current struct ends.
    fn end_struct(&mut self) {}
    /// An array of `len` elements begins; its elements follow.
    fn begin_array(&mut self, len: usize) {
        let _ = len;
    }
    /// The current array ends.
    fn end_array(&mut self) {}
}

/// The value is shorter than its type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TooShort {
    /// The value's length.
    pub len: usize,
    /// The type's size.
    pub size: usize,
}

impl fmt::Display for TooShort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "value is {} bytes, its type {}", self.len, self.size)
    }
}

impl core::error::Error for TooShort {}

impl TypeView<'_> {
    /// Decodes `value` (at least [`TypeView::size`] bytes, little-endian) into `visitor`.
    ///
    /// ```
    /// use rtshm_schema::{Number, Schema, Visitor};
    ///
    /// struct Sum(f64);
    /// impl Visitor for Sum {
    ///     fn number(&mut self, n: Number) {
    ///         if let Number::F32(v) = n { self.0 += f64::from(v) }
    ///     }
    /// }
    /// let mut buf = [0u8; 16];
    /// let view = <[f32; 3]>::TYPE.encode(&mut buf)?;
    /// let value: [f32; 3] = [1.0, 2.0, 3.5];
    /// let mut sum = Sum(0.0);
    /// view.visit(bytemuck::bytes_of(&value), &mut sum)?;
    /// assert_eq!(sum.0, 6.5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn visit(&self, value: &[u8], visitor: &mut impl Visitor) -> Result<(), TooShort> {
        let size = self.size();
        match value.get(..size) {
            Some(v) => {
                walk(*self, v, visitor);
                Ok(())
            }
            None => Err(TooShort {
                len: value.len(),
                size,
            }),
        }
    }
}

/// Visits `value`, which holds at least the type's size (checked by `visit`; validated
/// schemas keep every field inside it).
fn walk(t: TypeView<'_>, value: &[u8], v: &mut impl Visitor) {
    match t.node() {
        Node::Primitive(p) => {
            if let Some(n) = p.read(value) {
                v.number(n);
            }
        }
        Node::Array { element, len } => {
            v.begin_array(len);
            let size = element.size();
            for i in 0..len {
                if let Some(e) = value.get(i * size..) {
                    walk(element, e, v);
                }
            }
            v.end_array();
        }
        Node::Struct(s) => {
            v.begin_struct(&s);
            for field in s.fields() {
                v.field(field.name);
                if let Some(e) = value.get(field.offset..) {
                    walk(field.ty, e, v);
                }
            }
            v.end_struct();
        }
    }
}
