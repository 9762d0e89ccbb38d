//! [`TypeView::diff`]: the first difference between two schemas, named by its field path.

use core::fmt;

use crate::view::{MAX_DEPTH, Node, TypeView};

/// The first difference between the schema a segment holds (`found`) and the one a program
/// expects, with the path of field names that leads to it (`imu.accel`, `points[].x`).
///
/// ```
/// use rtshm_schema::{Field, Schema, Struct, Type};
///
/// const V1: Type = Type::Struct(&Struct { name: "Imu", size: 16, align: 8, fields: &[
///     Field::new("stamp_ns", 0, u64::TYPE),
///     Field::new("accel", 8, <[f32; 2]>::TYPE),
/// ]});
/// const V2: Type = Type::Struct(&Struct { name: "Imu", size: 24, align: 8, fields: &[
///     Field::new("stamp_ns", 0, u64::TYPE),
///     Field::new("accel", 8, <[f64; 2]>::TYPE),
/// ]});
/// let (mut a, mut b) = ([0u8; 64], [0u8; 64]);
/// let (found, expected) = (V1.encode(&mut a)?, V2.encode(&mut b)?);
/// let d = found.diff(&expected).unwrap();
/// assert_eq!(
///     d.to_string(),
///     "field `accel`: segment has [f32; 2] at offset 8, this program [f64; 2]"
/// );
/// assert!(found.diff(&found).is_none());
/// # Ok::<(), rtshm_schema::EncodeError>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Difference<'a, 'b> {
    /// Field names from the root to the difference; `"[]"` stands for an array's elements.
    pub path: heapless::Vec<&'a str, MAX_DEPTH>,
    /// What differs there.
    pub what: Mismatch<'a, 'b>,
}

/// What differs at a [`Difference`]'s path.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Mismatch<'a, 'b> {
    /// Another type, or the same type at another offset (`offsets`: found, expected, for a
    /// field).
    Type {
        /// The segment's type.
        found: TypeView<'a>,
        /// The program's type.
        expected: TypeView<'b>,
        /// The field's offsets in the segment and in the program.
        offsets: Option<(usize, usize)>,
    },
    /// The program's struct has a field that the segment's lacks.
    Missing {
        /// The field's name.
        name: &'b str,
    },
    /// The segment's struct has a field that the program's lacks.
    Extra {
        /// The field's name.
        name: &'a str,
    },
    /// Same fields, another size or alignment (trailing padding).
    Shape {
        /// The segment's size and alignment.
        found: (usize, usize),
        /// The program's.
        expected: (usize, usize),
    },
}

impl<'a> TypeView<'a> {
    /// The first difference between this schema (a segment's) and `expected` (a program's),
    /// fields compared by name, or `None` if they describe the same bytes the same way
    /// (struct names aside).
    #[must_use]
    pub fn diff<'b>(&self, expected: &TypeView<'b>) -> Option<Difference<'a, 'b>> {
        let mut path = heapless::Vec::new();
        let what = diff_at(*self, *expected, &mut path, None)?;
        Some(Difference { path, what })
    }
}

fn diff_at<'a, 'b>(
    found: TypeView<'a>,
    expected: TypeView<'b>,
    path: &mut heapless::Vec<&'a str, MAX_DEPTH>,
    offsets: Option<(usize, usize)>,
) -> Option<Mismatch<'a, 'b>> {
    let differs = Mismatch::Type {
        found,
        expected,
        offsets,
    };
    if offsets.is_some_and(|(a, b)| a != b) {
        return Some(differs);
    }
    match (found.node(), expected.node()) {
        (Node::Primitive(p), Node::Primitive(q)) => (p != q).then_some(differs),
        (Node::Array { element: a, len: m }, Node::Array { element: b, len: n })
            if m == n && a.as_bytes() == b.as_bytes() =>
        {
            None
        }
        // Arrays of structs: into the elements (`points[].x`); arrays of numbers differ whole.
        (Node::Array { element: a, len: m }, Node::Array { element: b, len: n })
            if m == n && matches!(a.element_and_dims().0.node(), Node::Struct(_)) =>
        {
            let _ = path.push("[]");
            let d = diff_at(a, b, path, None);
            if d.is_none() {
                path.pop();
            }
            d
        }
        (Node::Struct(a), Node::Struct(b)) => {
            for fb in b.fields() {
                let Some(fa) = a.field(fb.name) else {
                    return Some(Mismatch::Missing { name: fb.name });
                };
                let _ = path.push(fa.name);
                if let Some(d) = diff_at(fa.ty, fb.ty, path, Some((fa.offset, fb.offset))) {
                    return Some(d);
                }
                path.pop();
            }
            if let Some(fa) = a.fields().find(|fa| b.field(fa.name).is_none()) {
                return Some(Mismatch::Extra { name: fa.name });
            }
            let (fs, es) = ((a.size, a.align), (b.size, b.align));
            (fs != es).then_some(Mismatch::Shape {
                found: fs,
                expected: es,
            })
        }
        _ => Some(differs),
    }
}

impl<'a> Difference<'a, '_> {
    /// The field that differs, by path (`accel`, `imu.accel`, `points[].x`), a field missing
    /// from either side included; `None` when the whole value differs (another size, or not a
    /// struct).
    #[must_use]
    pub fn field(&self) -> Option<FieldPath<'_>> {
        let name = match self.what {
            Mismatch::Missing { name } | Mismatch::Extra { name } => Some(name),
            Mismatch::Type { .. } | Mismatch::Shape { .. } => None,
        };
        (!self.path.is_empty() || name.is_some()).then_some(FieldPath {
            path: &self.path,
            name,
        })
    }
}

/// The path of a [`Difference`]'s field, shown as `a.b[].c`.
#[derive(Clone, Copy, Debug)]
pub struct FieldPath<'d> {
    path: &'d [&'d str],
    /// A field missing from one side, after the path.
    name: Option<&'d str>,
}

impl fmt::Display for FieldPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, part) in self.path.iter().chain(&self.name).enumerate() {
            if i > 0 && *part != "[]" {
                f.write_str(".")?;
            }
            f.write_str(part)?;
        }
        Ok(())
    }
}

impl fmt::Display for Difference<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field() {
            Some(field) => write!(f, "field `{field}`: ")?,
            None => f.write_str("value: ")?,
        }
        match self.what {
            Mismatch::Type {
                found,
                expected,
                offsets,
            } => match offsets {
                Some((a, b)) if a != b => write!(
                    f,
                    "segment has {found} at offset {a}, this program {expected} at offset {b}"
                ),
                Some((a, _)) => {
                    write!(
                        f,
                        "segment has {found} at offset {a}, this program {expected}"
                    )
                }
                None => write!(f, "segment has {found}, this program {expected}"),
            },
            Mismatch::Missing { .. } => f.write_str("the segment has no such field"),
            Mismatch::Extra { .. } => f.write_str("the segment has it, this program does not"),
            Mismatch::Shape { found, expected } => write!(
                f,
                "segment's is {} bytes aligned to {}, this program's {} bytes aligned to {}",
                found.0, found.1, expected.0, expected.1
            ),
        }
    }
}
