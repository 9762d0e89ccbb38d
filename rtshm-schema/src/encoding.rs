//! The binary form of a schema (FORMAT.md, "Schema encoding"): one node per type, depth first,
//! little-endian.
//!
//! ```text
//! primitive   tag 0x01..=0x0a (u8 u16 u32 u64 i8 i16 i32 i64 f32 f64)
//! array       tag 0x10, len u32, then the element's node
//! struct      tag 0x11, name, size u32, align u32, field count u16, body length u32,
//!             then per field: name, offset u32, then the field type's node (the body)
//! name        length u8 (1..=255), then that many bytes: an ASCII identifier
//! ```
//!
//! [`Encoder`] writes nodes; [`TypeView::parse`](crate::TypeView::parse) validates bytes and
//! reads them back.

use crate::{Primitive, Type};

/// Tag of an array node.
pub(crate) const TAG_ARRAY: u8 = 0x10;
/// Tag of a struct node.
pub(crate) const TAG_STRUCT: u8 = 0x11;

impl Primitive {
    /// Every primitive, in tag order (`tag = index + 1`).
    pub(crate) const ALL: [Self; 10] = [
        Self::U8,
        Self::U16,
        Self::U32,
        Self::U64,
        Self::I8,
        Self::I16,
        Self::I32,
        Self::I64,
        Self::F32,
        Self::F64,
    ];

    /// Its tag in the encoding.
    #[must_use]
    pub const fn tag(self) -> u8 {
        match self {
            Self::U8 => 1,
            Self::U16 => 2,
            Self::U32 => 3,
            Self::U64 => 4,
            Self::I8 => 5,
            Self::I16 => 6,
            Self::I32 => 7,
            Self::I64 => 8,
            Self::F32 => 9,
            Self::F64 => 10,
        }
    }

    /// The primitive of a tag, if it is one.
    #[must_use]
    pub const fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            1..=10 => Some(Self::ALL[tag as usize - 1]),
            _ => None,
        }
    }
}

/// The encoding did not fit the buffer, or a number does not fit its field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// The encoding needs `needed` bytes; the buffer has fewer.
    TooLarge {
        /// The encoding's length.
        needed: usize,
    },
    /// A size, offset, length or count does not fit the encoding's field (u32, or u16 for a
    /// field count), or a name is empty or longer than 255 bytes.
    OutOfRange(&'static str),
    /// The bytes encode no valid schema (see the error).
    Invalid(crate::DecodeError),
}

impl core::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::TooLarge { needed } => {
                write!(
                    f,
                    "the schema's encoding needs {needed} bytes, more than fit"
                )
            }
            Self::OutOfRange(what) => write!(f, "schema out of range: {what}"),
            Self::Invalid(e) => write!(f, "invalid schema: {e}"),
        }
    }
}

impl core::error::Error for EncodeError {}

/// Writes schema nodes into a buffer, depth first: a struct node is followed by its fields,
/// each a [`field`](Encoder::field) then the field type's node; an array node by its element's
/// node. Past the buffer's end it keeps counting ([`Encoder::len`]), so encoding into an empty
/// buffer measures.
///
/// ```
/// use rtshm_schema::{Encoder, Primitive, TypeView};
///
/// // struct Point { x: f32, y: f32 }, built at run time (as a binding for a dtype does).
/// let mut buf = [0u8; 64];
/// let mut e = Encoder::new(&mut buf);
/// e.structure("Point", 8, 4, 2);
/// e.field("x", 0);
/// e.primitive(Primitive::F32);
/// e.field("y", 4);
/// e.primitive(Primitive::F32);
/// let bytes = e.finish()?;
/// let view = TypeView::parse(bytes)?;
/// assert_eq!(view.msg().to_string(), "float32 x\nfloat32 y\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Encoder<'b> {
    buf: &'b mut [u8],
    len: usize,
    error: Option<EncodeError>,
    /// Hashing instead of writing: the fingerprint's FNV-1a state.
    hash: Option<u64>,
    /// The arrays and structs whose nodes are not complete yet, innermost last.
    open: [Open; crate::MAX_DEPTH + 1],
    depth: usize,
}

/// A node waiting for its children.
#[derive(Clone, Copy, Debug)]
enum Open {
    /// An array: complete with its element.
    Array,
    /// A struct with `left` fields to come; its body length goes at `len_at` once complete.
    Struct {
        left: usize,
        len_at: usize,
        body: usize,
    },
}

impl<'b> Encoder<'b> {
    /// An encoder writing from the start of `buf`.
    #[must_use]
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self {
            buf,
            len: 0,
            error: None,
            hash: None,
            open: [Open::Array; crate::MAX_DEPTH + 1],
            depth: 0,
        }
    }

    fn push(&mut self, node: Open) {
        match self.open.get_mut(self.depth) {
            Some(slot) => {
                *slot = node;
                self.depth += 1;
            }
            None => self.fail("types nest deeper than MAX_DEPTH"),
        }
    }

    /// A node is complete: so may be the array or struct it belongs to (a struct's body
    /// length is written then).
    fn completed(&mut self) {
        while self.depth > 0 {
            match &mut self.open[self.depth - 1] {
                Open::Array => self.depth -= 1,
                Open::Struct { left, len_at, body } => {
                    *left -= 1;
                    if *left > 0 {
                        return;
                    }
                    let (len_at, body) = (*len_at, *body);
                    self.depth -= 1;
                    self.patch_u32(len_at, self.len - body);
                }
            }
        }
    }

    /// Writes `v` at `at` (a placeholder written before); nothing when hashing.
    fn patch_u32(&mut self, at: usize, v: usize) {
        if self.hash.is_some() {
            return;
        }
        match u32::try_from(v) {
            Ok(v) => {
                if let Some(dst) = self.buf.get_mut(at..at + 4) {
                    dst.copy_from_slice(&v.to_le_bytes());
                }
            }
            Err(_) => self.fail("a struct's body is longer than u32::MAX"),
        }
    }

    /// An encoder that hashes the canonical form instead of writing: the encoding with every
    /// struct's name left out (see [`Type::fingerprint`]).
    fn hashing() -> Encoder<'static> {
        let mut e = Encoder::new(&mut []);
        e.hash = Some(0xcbf2_9ce4_8422_2325);
        e.put(b"rtshm-schema-v1");
        e
    }

    /// The bytes encoded so far (counted past the buffer's end too).
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was encoded yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn put(&mut self, bytes: &[u8]) {
        if let Some(h) = &mut self.hash {
            for &b in bytes {
                *h ^= u64::from(b);
                *h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
            return;
        }
        let end = self.len.saturating_add(bytes.len());
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            dst.copy_from_slice(bytes);
        }
        self.len = end;
    }

    fn fail(&mut self, what: &'static str) {
        self.error.get_or_insert(EncodeError::OutOfRange(what));
    }

    fn u32(&mut self, v: usize, what: &'static str) {
        match u32::try_from(v) {
            Ok(v) => self.put(&v.to_le_bytes()),
            Err(_) => self.fail(what),
        }
    }

    fn name(&mut self, name: &str) {
        match u8::try_from(name.len()) {
            Ok(n) if n > 0 => {
                self.put(&[n]);
                self.put(name.as_bytes());
            }
            _ => self.fail("a name is empty or longer than 255 bytes"),
        }
    }

    /// A number node.
    pub fn primitive(&mut self, p: Primitive) {
        self.put(&[p.tag()]);
        self.completed();
    }

    /// An array node of `len` elements; the element's node comes next.
    pub fn array(&mut self, len: usize) {
        self.put(&[TAG_ARRAY]);
        self.u32(len, "an array length is above u32::MAX");
        self.push(Open::Array);
    }

    /// A struct node; `fields` fields come next, each [`Encoder::field`] and its type's node.
    pub fn structure(&mut self, name: &str, size: usize, align: usize, fields: usize) {
        self.put(&[TAG_STRUCT]);
        // A type's name is not part of its identity: a Python dtype has none.
        if self.hash.is_none() {
            self.name(name);
        }
        self.u32(size, "a struct size is above u32::MAX");
        self.u32(align, "a struct alignment is above u32::MAX");
        match u16::try_from(fields) {
            Ok(n) => self.put(&n.to_le_bytes()),
            Err(_) => self.fail("a struct has more than 65535 fields"),
        }
        // The body length is derived from the fields: not part of the identity.
        let len_at = self.len;
        if self.hash.is_none() {
            self.put(&[0; 4]);
        }
        if fields == 0 {
            self.completed();
        } else {
            self.push(Open::Struct {
                left: fields,
                len_at,
                body: self.len,
            });
        }
    }

    /// A field of the struct being written: its name and byte offset; its type's node next.
    pub fn field(&mut self, name: &str, offset: usize) {
        self.name(name);
        self.u32(offset, "a field offset is above u32::MAX");
    }

    /// An encoded node and its children (a schema read from elsewhere, nested in a new one).
    pub fn node(&mut self, view: crate::TypeView<'_>) {
        use crate::Node;
        match view.node() {
            Node::Primitive(p) => self.primitive(p),
            Node::Array { element, len } => {
                self.array(len);
                self.node(element);
            }
            Node::Struct(s) => {
                self.structure(s.name, s.size, s.align, s.len());
                for field in s.fields() {
                    self.field(field.name, field.offset);
                    self.node(field.ty);
                }
            }
        }
    }

    /// The encoded bytes; an error if they did not fit or a number was out of range. The bytes
    /// are not checked: [`TypeView::parse`](crate::TypeView::parse) them.
    pub fn finish(self) -> Result<&'b [u8], EncodeError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.depth > 0 {
            return Err(EncodeError::OutOfRange(
                "the schema is incomplete: an array or struct lacks its children",
            ));
        }
        if self.len > self.buf.len() {
            return Err(EncodeError::TooLarge { needed: self.len });
        }
        Ok(&self.buf[..self.len])
    }
}

impl Type {
    /// Writes this type's nodes.
    pub fn encode_into(&self, e: &mut Encoder<'_>) {
        match self {
            Self::Primitive(p) => e.primitive(*p),
            Self::Array { element, len } => {
                e.array(*len);
                element.encode_into(e);
            }
            Self::Struct(s) => {
                e.structure(s.name, s.size, s.align, s.fields.len());
                for field in s.fields {
                    e.field(field.name, field.offset);
                    field.ty.encode_into(e);
                }
            }
        }
    }

    /// The type's identity, the fingerprint a segment records: a 64-bit FNV-1a hash of its
    /// encoding with struct names left out (tags, array lengths, struct sizes, alignments and
    /// field counts, field names and offsets). Renaming or moving a type keeps it; renaming,
    /// retyping or reordering a field changes it. Equal to
    /// [`TypeView::fingerprint`](crate::TypeView::fingerprint) of the encoding.
    #[must_use]
    pub fn fingerprint(&self) -> u64 {
        let mut e = Encoder::hashing();
        self.encode_into(&mut e);
        e.hash.unwrap_or(0)
    }

    /// The length of this type's encoding.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        let mut e = Encoder::new(&mut []);
        self.encode_into(&mut e);
        e.len()
    }

    /// Encodes this type into `buf` and checks the result (offsets inside sizes, names,
    /// alignment: what every reader checks): a descriptor written by hand that does not tell
    /// the truth about its type is refused here.
    pub fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<crate::TypeView<'b>, EncodeError> {
        let mut e = Encoder::new(buf);
        self.encode_into(&mut e);
        let bytes = e.finish()?;
        crate::TypeView::parse(bytes).map_err(EncodeError::Invalid)
    }
}

/// [`TypeView::fingerprint`](crate::TypeView::fingerprint).
pub(crate) fn fingerprint_of(view: crate::TypeView<'_>) -> u64 {
    let mut e = Encoder::hashing();
    e.node(view);
    e.hash.unwrap_or(0)
}
