//! [`SchemaBuf`]: an encoded schema that owns its bytes (feature `alloc`).

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::{DecodeError, EncodeError, Type, TypeView};

/// A validated encoded schema in a `Vec`: a [`Type`]'s encoding, or bytes read from a segment.
///
/// ```
/// use rtshm_schema::{SchemaBuf, Schema};
///
/// let schema = SchemaBuf::of(&<[[f32; 3]; 2]>::TYPE)?;
/// assert_eq!(schema.view().msg().to_string(), "float32[6] value\n");
/// # Ok::<(), rtshm_schema::EncodeError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SchemaBuf(Vec<u8>);

impl core::fmt::Debug for SchemaBuf {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SchemaBuf({})", self.view())
    }
}

impl SchemaBuf {
    /// `ty`'s encoding, checked (see [`Type::encode`]).
    ///
    /// ```
    /// use rtshm_schema::{Schema, SchemaBuf};
    /// let buf = SchemaBuf::of(&u32::TYPE)?; // owned, for keeping around
    /// let again = SchemaBuf::from_bytes(buf.as_bytes().to_vec()).unwrap();
    /// assert_eq!(again.view().fingerprint(), buf.view().fingerprint());
    /// # Ok::<(), rtshm_schema::EncodeError>(())
    /// ```
    pub fn of(ty: &Type) -> Result<Self, EncodeError> {
        let mut bytes = vec![0; ty.encoded_len()];
        ty.encode(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// Encoded bytes, checked ([`TypeView::parse`]).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, DecodeError> {
        TypeView::parse(&bytes)?;
        Ok(Self(bytes))
    }

    /// The schema.
    #[must_use]
    pub fn view(&self) -> TypeView<'_> {
        // Validated at construction; `parse` cannot fail here, and if it did the view of an
        // empty struct would stand in (never a panic).
        TypeView::parse(&self.0).unwrap_or(TypeView::EMPTY)
    }

    /// The encoded bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The encoded bytes as lowercase hexadecimal text: how the schema travels in text
    /// metadata (an MCAP channel's, a bridge's JSON).
    ///
    /// ```
    /// use rtshm_schema::{Schema, SchemaBuf};
    /// let schema = SchemaBuf::of(&u32::TYPE)?;
    /// assert_eq!(SchemaBuf::from_hex(&schema.to_hex()), Some(schema));
    /// assert_eq!(SchemaBuf::from_hex("zz"), None);
    /// # Ok::<(), rtshm_schema::EncodeError>(())
    /// ```
    #[must_use]
    pub fn to_hex(&self) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        self.0
            .iter()
            .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
            .map(char::from)
            .collect()
    }

    /// The schema [`to_hex`](Self::to_hex) wrote, or `None` for text that is not hexadecimal
    /// or bytes that are not a valid schema.
    #[must_use]
    pub fn from_hex(text: &str) -> Option<Self> {
        if !text.len().is_multiple_of(2) {
            return None;
        }
        let bytes = (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()?;
        Self::from_bytes(bytes).ok()
    }
}

impl TypeView<'_> {
    /// A copy that owns its bytes.
    #[must_use]
    pub fn to_buf(&self) -> SchemaBuf {
        SchemaBuf(self.as_bytes().to_vec())
    }
}
