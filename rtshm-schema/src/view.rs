//! [`TypeView`]: a validated encoded schema, read in place (no allocation).
//!
//! [`TypeView::parse`] checks everything a reader relies on, once: tags, lengths, names, every
//! field inside its struct at an offset aligned for its type and after the previous field, sizes
//! that do not overflow, nesting at most [`MAX_DEPTH`] deep, no trailing bytes. After that the
//! navigation methods cannot fail; on bytes that did not come from `parse` they return empty
//! results, never panic.

use core::fmt;

use crate::Primitive;
use crate::encoding::{TAG_ARRAY, TAG_STRUCT};

/// How deep structs and arrays may nest in an encoded schema (`[[f32; 3]; 2]` is two levels).
pub const MAX_DEPTH: usize = 16;

/// The largest struct alignment an encoded schema may state.
pub const MAX_ALIGN: usize = 4096;

/// Why bytes are not a valid encoded schema: what is wrong, at which byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeError {
    /// The byte offset in the encoding where the problem was found.
    pub at: usize,
    /// What is wrong.
    pub what: &'static str,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.what, self.at)
    }
}

impl core::error::Error for DecodeError {}

/// A cursor over encoded bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn error(&self, what: &'static str) -> DecodeError {
        DecodeError { at: self.at, what }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err(self.error("the encoding ends inside a node"));
        };
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, DecodeError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<usize, DecodeError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    fn name(&mut self) -> Result<&'a str, DecodeError> {
        let n = self.u8()? as usize;
        let at = self.at;
        let bytes = self.take(n)?;
        let ok = match bytes {
            [first, rest @ ..] => {
                (first.is_ascii_alphabetic() || *first == b'_')
                    && rest.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
            }
            [] => false,
        };
        match core::str::from_utf8(bytes) {
            Ok(s) if ok => Ok(s),
            _ => Err(DecodeError {
                at,
                what: "a name is not an identifier (ASCII letters, digits, '_')",
            }),
        }
    }
}

/// What one node says, before its children.
enum Head<'a> {
    Primitive(Primitive),
    Array {
        len: usize,
    },
    Struct {
        name: &'a str,
        size: usize,
        align: usize,
        fields: usize,
        /// Bytes of the fields that follow.
        body: usize,
    },
}

fn head<'a>(r: &mut Reader<'a>) -> Result<Head<'a>, DecodeError> {
    let tag = r.u8()?;
    if let Some(p) = Primitive::from_tag(tag) {
        return Ok(Head::Primitive(p));
    }
    match tag {
        TAG_ARRAY => Ok(Head::Array { len: r.u32()? }),
        TAG_STRUCT => Ok(Head::Struct {
            name: r.name()?,
            size: r.u32()?,
            align: r.u32()?,
            fields: r.u16()? as usize,
            body: r.u32()?,
        }),
        _ => Err(DecodeError {
            at: r.at - 1,
            what: "unknown type tag",
        }),
    }
}

/// Validates the node at `r` (and its children) and moves past it; its size and alignment.
fn scan(r: &mut Reader<'_>, depth: usize) -> Result<(usize, usize), DecodeError> {
    let start = r.at;
    match head(r)? {
        Head::Primitive(p) => Ok((p.size(), p.size())),
        Head::Array { len } => {
            if depth >= MAX_DEPTH {
                return Err(r.error("types nest deeper than MAX_DEPTH"));
            }
            let (size, align) = scan(r, depth + 1)?;
            if len == 0 {
                return Err(DecodeError {
                    at: start,
                    what: "an array has no elements (a type of size 0)",
                });
            }
            let total = size
                .checked_mul(len)
                .filter(|&t| u32::try_from(t).is_ok())
                .ok_or(DecodeError {
                    at: start,
                    what: "an array's size is above u32::MAX",
                })?;
            Ok((total, align))
        }
        Head::Struct {
            size,
            align,
            fields,
            body,
            ..
        } => {
            if depth >= MAX_DEPTH {
                return Err(r.error("types nest deeper than MAX_DEPTH"));
            }
            let bad = |what| DecodeError { at: start, what };
            if !align.is_power_of_two() || align > MAX_ALIGN {
                return Err(bad("a struct's alignment is not a power of two up to 4096"));
            }
            if size % align != 0 {
                return Err(bad("a struct's size is not a multiple of its alignment"));
            }
            if size == 0 {
                return Err(bad("a struct has size 0"));
            }
            let first = r.at;
            let mut end = 0;
            for i in 0..fields {
                let at = r.at;
                let name = r.name()?;
                let offset = r.u32()?;
                let (fsize, falign) = scan(r, depth + 1)?;
                let bad = |what| DecodeError { at, what };
                if offset % falign != 0 || falign > align {
                    return Err(bad("a field is not aligned for its type"));
                }
                if offset < end {
                    return Err(bad(
                        "a field overlaps the one before it (or comes before it)",
                    ));
                }
                end = offset + fsize;
                if end > size {
                    return Err(bad("a field reaches past its struct's size"));
                }
                if field_names(r.bytes, first, i).any(|n| n == name) {
                    return Err(bad("two fields have the same name"));
                }
            }
            if r.at - first != body {
                return Err(bad("a struct's fields do not fill its stated length"));
            }
            Ok((size, align))
        }
    }
}

/// Moves past the node at `r` without checking it (it was validated, or the caller checks
/// later): one jump per struct (its stated length), one step per array level. `None` if the
/// bytes end first.
fn skip(r: &mut Reader<'_>) -> Option<()> {
    // Arrays nest at most MAX_DEPTH deep in validated bytes; the bound keeps a hostile chain
    // short too.
    for _ in 0..=MAX_DEPTH {
        match head(r).ok()? {
            Head::Primitive(_) => return Some(()),
            Head::Array { .. } => {}
            Head::Struct { body, .. } => {
                r.take(body).ok()?;
                return Some(());
            }
        }
    }
    None
}

/// The size and alignment stated by the node at the start of `bytes` (validated): a struct's
/// own, an array's element's times its length, a number's.
fn stated_shape(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut r = Reader { bytes, at: 0 };
    let mut count = 1usize;
    for _ in 0..=MAX_DEPTH {
        match head(&mut r).ok()? {
            Head::Primitive(p) => return Some((count.checked_mul(p.size())?, p.size())),
            Head::Array { len } => count = count.checked_mul(len)?,
            Head::Struct { size, align, .. } => return Some((count.checked_mul(size)?, align)),
        }
    }
    None
}

/// The names of the first `count` fields of a struct whose fields start at `first` (each
/// field's type validated already).
fn field_names(bytes: &[u8], first: usize, count: usize) -> impl Iterator<Item = &str> {
    Fields {
        r: Reader { bytes, at: first },
        left: count,
    }
    .map(|f| f.name)
}

/// An encoded schema, validated: a type and, for a struct, its fields, read in place.
///
/// ```
/// use rtshm_schema::{Schema, TypeView};
///
/// let mut buf = [0u8; 64];
/// let view: TypeView<'_> = <[f32; 3]>::TYPE.encode(&mut buf)?;
/// assert_eq!((view.size(), view.align()), (12, 4));
/// assert_eq!(view.to_string(), "[f32; 3]");
/// # Ok::<(), rtshm_schema::EncodeError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TypeView<'a> {
    /// The node's bytes, exactly.
    bytes: &'a [u8],
}

impl fmt::Debug for TypeView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TypeView({self})")
    }
}

/// One node of a [`TypeView`].
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Node<'a> {
    /// A number.
    Primitive(Primitive),
    /// `len` values of `element`.
    Array {
        /// The element type.
        element: TypeView<'a>,
        /// The number of elements.
        len: usize,
    },
    /// A struct.
    Struct(StructView<'a>),
}

/// A struct node of a [`TypeView`]: name, size, alignment and fields.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct StructView<'a> {
    /// The type's name.
    pub name: &'a str,
    /// Its size in bytes.
    pub size: usize,
    /// Its alignment.
    pub align: usize,
    fields: usize,
    bytes: &'a [u8],
    first: usize,
}

/// A field of a [`StructView`].
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct FieldView<'a> {
    /// The field's name.
    pub name: &'a str,
    /// Its byte offset in the struct.
    pub offset: usize,
    /// Its type.
    pub ty: TypeView<'a>,
}

/// The fields of a [`StructView`], in order.
#[derive(Debug)]
pub struct Fields<'a> {
    r: Reader<'a>,
    left: usize,
}

impl fmt::Debug for Reader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}", self.at)
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = FieldView<'a>;

    fn next(&mut self) -> Option<FieldView<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let r = &mut self.r;
        let name = r.name().ok()?;
        let offset = r.u32().ok()?;
        let start = r.at;
        skip(r)?;
        Some(FieldView {
            name,
            offset,
            ty: TypeView {
                bytes: &r.bytes[start..r.at],
            },
        })
    }
}

impl<'a> StructView<'a> {
    /// The fields, in order of offset (and declaration).
    #[must_use]
    pub fn fields(&self) -> Fields<'a> {
        Fields {
            r: Reader {
                bytes: self.bytes,
                at: self.first,
            },
            left: self.fields,
        }
    }

    /// The number of fields.
    #[must_use]
    pub fn len(&self) -> usize {
        self.fields
    }

    /// Whether the struct has no fields.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.fields == 0
    }

    /// The field named `name`.
    #[must_use]
    pub fn field(&self, name: &str) -> Option<FieldView<'a>> {
        self.fields().find(|f| f.name == name)
    }
}

impl TypeView<'static> {
    /// `struct Empty {}`: no fields, size 0 (which `parse` refuses: only a stand-in where no
    /// schema could be read).
    pub const EMPTY: Self = Self {
        bytes: &[
            TAG_STRUCT, 5, b'E', b'm', b'p', b't', b'y', 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
    };
}

impl<'a> TypeView<'a> {
    /// Validates `bytes` as one encoded type (nothing after it).
    ///
    /// ```
    /// use rtshm_schema::{Schema, TypeView};
    /// let mut buf = [0u8; 64];
    /// let encoded = <[f64; 2]>::TYPE.encode(&mut buf)?.as_bytes().to_vec();
    /// let view = TypeView::parse(&encoded).unwrap(); // validated once, then read in place
    /// assert_eq!(view.msg().to_string(), "float64[2] value\n");
    /// assert!(TypeView::parse(&encoded[..encoded.len() - 1]).is_err()); // hostile bytes: an error
    /// # Ok::<(), rtshm_schema::EncodeError>(())
    /// ```
    pub fn parse(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader { bytes, at: 0 };
        scan(&mut r, 0)?;
        if r.at != bytes.len() {
            return Err(r.error("bytes follow the schema"));
        }
        Ok(Self { bytes })
    }

    /// The encoding of this type.
    #[must_use]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// What this node is.
    #[must_use]
    pub fn node(&self) -> Node<'a> {
        let mut r = Reader {
            bytes: self.bytes,
            at: 0,
        };
        match head(&mut r) {
            Ok(Head::Primitive(p)) => Node::Primitive(p),
            Ok(Head::Array { len }) => {
                let start = r.at;
                let end = skip(&mut r).map_or(start, |()| r.at);
                Node::Array {
                    element: TypeView {
                        bytes: &self.bytes[start..end],
                    },
                    len,
                }
            }
            Ok(Head::Struct {
                name,
                size,
                align,
                fields,
                ..
            }) => Node::Struct(StructView {
                name,
                size,
                align,
                fields,
                bytes: self.bytes,
                first: r.at,
            }),
            // Not from `parse`: an empty struct.
            Err(_) => Node::Struct(StructView {
                name: "",
                size: 0,
                align: 1,
                fields: 0,
                bytes: &[],
                first: 0,
            }),
        }
    }

    /// The size in bytes of a value of this type.
    #[must_use]
    pub fn size(&self) -> usize {
        self.shape().0
    }

    /// The alignment of a value of this type.
    #[must_use]
    pub fn align(&self) -> usize {
        self.shape().1
    }

    fn shape(&self) -> (usize, usize) {
        stated_shape(self.bytes).unwrap_or((0, 1))
    }

    /// The schema's identity: see [`Type::fingerprint`](crate::Type::fingerprint), which
    /// gives the same number for the type this encodes.
    ///
    /// ```
    /// use rtshm_schema::Schema;
    /// let (mut a, mut b) = ([0u8; 64], [0u8; 64]);
    /// let f32s = <[f32; 3]>::TYPE.encode(&mut a)?;
    /// let f64s = <[f64; 3]>::TYPE.encode(&mut b)?;
    /// assert_ne!(f32s.fingerprint(), f64s.fingerprint());
    /// assert_eq!(f32s.fingerprint(), <[f32; 3]>::TYPE.fingerprint());
    /// # Ok::<(), rtshm_schema::EncodeError>(())
    /// ```
    #[must_use]
    pub fn fingerprint(&self) -> u64 {
        crate::encoding::fingerprint_of(*self)
    }

    /// This type in the ROS 2 `.msg` style (see [`Msg`]).
    #[must_use]
    pub fn msg(&self) -> Msg<'a> {
        Msg(*self)
    }

    /// The innermost element of nested arrays, and the array dimensions outermost first (the
    /// type itself and no dimensions for a number or a struct).
    ///
    /// ```
    /// use rtshm_schema::{Node, Primitive, Schema};
    /// let mut buf = [0u8; 64];
    /// let grid = <[[f32; 3]; 2]>::TYPE.encode(&mut buf)?;
    /// let (element, dims) = grid.element_and_dims();
    /// assert!(matches!(element.node(), Node::Primitive(Primitive::F32)));
    /// assert_eq!(dims.collect::<Vec<_>>(), [2, 3]);
    /// # Ok::<(), rtshm_schema::EncodeError>(())
    /// ```
    pub fn element_and_dims(&self) -> (TypeView<'a>, impl Iterator<Item = usize> + 'a) {
        let mut element = *self;
        while let Node::Array { element: e, .. } = element.node() {
            element = e;
        }
        let mut t = *self;
        let dims = core::iter::from_fn(move || match t.node() {
            Node::Array { element, len } => {
                t = element;
                Some(len)
            }
            _ => None,
        });
        (element, dims)
    }
}

/// Rust's spelling of the type: `f32`, `[f32; 3]`, `[[u8; 3]; 640]`, `Vec3`.
impl fmt::Display for TypeView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.node() {
            Node::Primitive(p) => f.write_str(p.rust_name()),
            Node::Array { element, len } => write!(f, "[{element}; {len}]"),
            Node::Struct(s) => f.write_str(s.name),
        }
    }
}

/// A [`TypeView`] in the ROS 2 `.msg` style: one line per field (`float32[3] accel`, nested
/// structs by name: `Vec3[2] points`), then each nested struct's definition after a line of
/// `=` and `MSG: rtshm/<Name>`, once per name: the `ros2msg` schema text MCAP and Foxglove
/// read. A type that is not a struct is one field named `value`.
#[derive(Clone, Copy, Debug)]
pub struct Msg<'a>(TypeView<'a>);

impl Msg<'_> {
    /// Only the top-level definition, without the nested structs'.
    fn top(t: TypeView<'_>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match t.node() {
            Node::Struct(s) => {
                for field in s.fields() {
                    writeln!(f, "{} {}", MsgType(field.ty), field.name)?;
                }
                Ok(())
            }
            _ => writeln!(f, "{} value", MsgType(t)),
        }
    }
}

impl fmt::Display for Msg<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Msg::top(self.0, f)?;
        // Nested structs, depth first, each name once (the first definition wins).
        let mut result = Ok(());
        let root = self.0;
        structs(root, &mut |s, t| {
            if result.is_err() || is_root(root, t) || !first_of_name(root, s.name, t) {
                return;
            }
            result = (|| {
                f.write_str("================================================================================\n")?;
                writeln!(f, "MSG: rtshm/{}", s.name)?;
                Msg::top(t, f)
            })();
        });
        result
    }
}

/// Whether `t` is the root node itself.
fn is_root(root: TypeView<'_>, t: TypeView<'_>) -> bool {
    core::ptr::eq(root.bytes.as_ptr(), t.bytes.as_ptr())
}

/// Whether `t` is the first struct named `name` in `root`, depth first.
fn first_of_name(root: TypeView<'_>, name: &str, t: TypeView<'_>) -> bool {
    let mut first = None;
    structs(root, &mut |s, u| {
        if first.is_none() && s.name == name {
            first = Some(u.bytes.as_ptr());
        }
    });
    first == Some(t.bytes.as_ptr())
}

/// Calls `f` for every struct node under and including `t`, depth first.
fn structs<'a>(t: TypeView<'a>, f: &mut impl FnMut(StructView<'a>, TypeView<'a>)) {
    match t.node() {
        Node::Primitive(_) => {}
        Node::Array { element, .. } => structs(element, f),
        Node::Struct(s) => {
            f(s, t);
            for field in s.fields() {
                structs(field.ty, f);
            }
        }
    }
}

/// The `.msg` spelling of a field's type: `float32`, `float32[3]`, `Vec3[8]`.
struct MsgType<'a>(TypeView<'a>);

impl fmt::Display for MsgType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The innermost element, then one dimension: ROS 2 `.msg` arrays have one, so nested
        // arrays are flattened (`[[f32; 3]; 2]` is `float32[6]`: the same bytes in the same
        // order, in memory and in CDR).
        let (element, dims) = self.0.element_and_dims();
        match element.node() {
            Node::Primitive(p) => f.write_str(p.msg_name())?,
            Node::Struct(s) => f.write_str(s.name)?,
            Node::Array { .. } => {}
        }
        let mut dims = dims.peekable();
        if dims.peek().is_some() {
            write!(f, "[{}]", dims.fold(1usize, usize::saturating_mul))?;
        }
        Ok(())
    }
}
