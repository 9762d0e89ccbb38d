//! [`SchemaBuf`]: an encoded schema that owns its bytes (feature `alloc`).

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
}

impl TypeView<'_> {
    /// A copy that owns its bytes.
    #[must_use]
    pub fn to_buf(&self) -> SchemaBuf {
        SchemaBuf(self.as_bytes().to_vec())
    }
}
