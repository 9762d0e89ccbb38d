//! Validating a header snapshot: [`validate`] (a typed opener), [`validate_shape`] (a type
//! known at run time), [`validate_raw`] (a tool), each mismatch its own [`LayoutError`].

use core::fmt;

use super::*;
use crate::Payload;

/// What the opener expects to find.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(
    clippy::exhaustive_structs,
    reason = "what an opener expects is exactly a kind and a fingerprint"
)]
pub struct Expected {
    /// The structure.
    pub kind: Kind,
    /// The payload fingerprint.
    pub fingerprint: u64,
}

/// Why a header does not describe the segment the opener expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LayoutError {
    /// The file is shorter than a header, or shorter than its header says.
    TooSmall {
        /// The file's size.
        len: u64,
        /// The size needed.
        needed: u64,
    },
    /// The creator has not finished initializing (layout version 0).
    NotInitialized,
    /// Not an rtshm segment.
    BadMagic {
        /// The first eight bytes.
        found: u64,
    },
    /// Written by an incompatible rtshm.
    VersionMismatch {
        /// The version in the header.
        found: u32,
        /// [`LAYOUT_VERSION`].
        expected: u32,
    },
    /// A different structure.
    KindMismatch {
        /// The kind in the header (raw, it may be no valid kind at all).
        found: u32,
        /// The kind asked for.
        expected: Kind,
    },
    /// A different payload type.
    TypeMismatch {
        /// The fingerprint in the header.
        found: u64,
        /// The fingerprint of the type asked for.
        expected: u64,
        /// The size and alignment of the values the segment stores.
        found_shape: Shape,
        /// The size and alignment of the values asked for.
        expected_shape: Shape,
        /// The name of the type asked for (empty for a type known only at run time).
        expected_type: &'static str,
    },
    /// The capacity in the header is invalid.
    Capacity(crate::ring::CapacityError),
    /// The fingerprints (schema ids) agree but the stored values' sizes or alignments do not:
    /// the two sides gave the same schema to different layouts.
    PayloadMismatch {
        /// The shape in the header.
        found: Shape,
        /// The shape the opener expects.
        expected: Shape,
    },
    /// The payload's alignment is above [`MAX_PAYLOAD_ALIGN`].
    AlignmentTooLarge {
        /// The alignment.
        align: u64,
    },
    /// The schema block holds no valid schema.
    Schema(rtshm_schema::DecodeError),
    /// Another inconsistency, named.
    Corrupt(&'static str),
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::TooSmall { len, needed } => write!(
                f,
                "segment is {len} bytes but needs {needed}: truncated or not an rtshm segment"
            ),
            Self::NotInitialized => {
                f.write_str("segment is still being initialized by its creator")
            }
            Self::BadMagic { found } => {
                write!(f, "not an rtshm segment (magic {found:#018x})")
            }
            Self::VersionMismatch { found, expected } => write!(
                f,
                "segment has layout version {found}, this rtshm reads version {expected}"
            ),
            Self::KindMismatch { found, expected } => match Kind::from_raw(found) {
                Some(k) => write!(f, "segment holds a {k}, not a {expected}"),
                None => write!(f, "segment kind {found} is unknown (expected a {expected})"),
            },
            Self::TypeMismatch {
                found,
                expected,
                found_shape: fs,
                expected_shape: es,
                expected_type,
            } => {
                let ty = TypeName(expected_type);
                if fs == es {
                    write!(
                        f,
                        "segment stores values of the same shape as {ty} ({} bytes, align {}) \
                         but of another type (fingerprint {found:#018x}, not {expected:#018x}): \
                         fields in another order, or another type of that size",
                        es.size, es.align
                    )
                } else {
                    write!(
                        f,
                        "segment stores {}-byte values aligned to {} (fingerprint \
                         {found:#018x}), not {ty} ({} bytes, align {}, fingerprint \
                         {expected:#018x}): the processes disagree on the value type",
                        fs.size, fs.align, es.size, es.align
                    )
                }
            }
            Self::PayloadMismatch { found, expected } => write!(
                f,
                "segment stores {}-byte values aligned to {} ({} bytes of user value), not the \
                 {}-byte values aligned to {} ({} bytes) requested: the schema id names two \
                 layouts",
                found.size,
                found.align,
                found.value_size,
                expected.size,
                expected.align,
                expected.value_size
            ),
            Self::Capacity(e) => write!(f, "segment capacity is invalid: {e}"),
            Self::AlignmentTooLarge { align } => write!(
                f,
                "payload alignment {align} is above the {MAX_PAYLOAD_ALIGN} bytes a segment supports"
            ),
            Self::Schema(e) => write!(f, "segment's schema is corrupt: {e}"),
            Self::Corrupt(what) => write!(f, "segment header is corrupt: {what}"),
        }
    }
}

impl core::error::Error for LayoutError {}

/// A requested type's name in an error message.
struct TypeName(&'static str);

impl fmt::Display for TypeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("the requested type")
        } else {
            write!(f, "`{}`", self.0)
        }
    }
}

/// Validates a header snapshot against the file length and what the opener expects, and
/// returns the geometry to use. `V` is the stored value type (`T`, or `Stamped<T>`).
///
/// Checks, in order: the file holds a header; magic; version (0: [`LayoutError::NotInitialized`]);
/// kind; fingerprint; payload size, alignment and value size; flags; clock; capacity;
/// `total_len` against the geometry computed here and against `file_len`. Every computation is
/// checked.
pub fn validate<V: Payload>(
    header: &HeaderLine0,
    file_len: u64,
    expected: Expected,
) -> Result<Geometry, LayoutError> {
    let name = core::any::type_name::<V>();
    check_expected(header, file_len, expected, Shape::of::<V>(), name)?;
    check_geometry(header, file_len, |capacity| {
        Geometry::of::<V>(expected.kind, capacity)
    })
}

/// [`validate`] for a stored value known only by its [`Shape`] (a payload type described at
/// run time, such as a Python dtype): the same checks, with the geometry computed by
/// [`Geometry::of_raw`].
pub fn validate_shape(
    header: &HeaderLine0,
    file_len: u64,
    expected: Expected,
    shape: Shape,
) -> Result<Geometry, LayoutError> {
    check_expected(header, file_len, expected, shape, "")?;
    check_geometry(header, file_len, |capacity| {
        Geometry::of_raw(
            expected.kind,
            shape.size,
            shape.align,
            shape.value_size,
            capacity,
        )
    })
}

/// The checks of a typed opener before the geometry's: identity, kind, fingerprint, shape.
fn check_expected(
    header: &HeaderLine0,
    file_len: u64,
    expected: Expected,
    shape: Shape,
    type_name: &'static str,
) -> Result<(), LayoutError> {
    check_identity(header, file_len)?;
    if header.kind != expected.kind as u32 {
        return Err(LayoutError::KindMismatch {
            found: header.kind,
            expected: expected.kind,
        });
    }
    if header.fingerprint != expected.fingerprint {
        return Err(LayoutError::TypeMismatch {
            found: header.fingerprint,
            expected: expected.fingerprint,
            found_shape: Shape::in_header(header),
            expected_shape: shape,
            expected_type: type_name,
        });
    }
    let found = Shape::in_header(header);
    if found != shape {
        return Err(LayoutError::PayloadMismatch {
            found,
            expected: shape,
        });
    }
    Ok(())
}

/// Validates a header snapshot against the file length without knowing the payload type, for
/// tools that show any segment: the checks of [`validate`] except kind and fingerprint
/// matching, with the payload's size, alignment and value size checked for consistency
/// instead ([`Geometry::of_raw`]).
pub fn validate_raw(header: &HeaderLine0, file_len: u64) -> Result<Geometry, LayoutError> {
    check_identity(header, file_len)?;
    let kind = Kind::from_raw(header.kind).ok_or(LayoutError::Corrupt("unknown kind"))?;
    let shape = Shape::in_header(header);
    check_geometry(header, file_len, |capacity| {
        Geometry::of_raw(kind, shape.size, shape.align, shape.value_size, capacity)
    })
}

/// The checks every opener makes first: the file holds a header, with rtshm's magic and this
/// layout version.
fn check_identity(header: &HeaderLine0, file_len: u64) -> Result<(), LayoutError> {
    let min = DATA_OFFSET as u64;
    if file_len < min {
        return Err(LayoutError::TooSmall {
            len: file_len,
            needed: min,
        });
    }
    if header.magic != MAGIC {
        return Err(LayoutError::BadMagic {
            found: header.magic,
        });
    }
    check_version(header.layout_version)
}

/// The checks after the payload's: flags, clock, capacity, and the lengths against
/// `geometry(capacity)`.
fn check_geometry(
    header: &HeaderLine0,
    file_len: u64,
    geometry: impl FnOnce(usize) -> Result<Geometry, LayoutError>,
) -> Result<Geometry, LayoutError> {
    if header.flags != 0 || header.reserved != 0 {
        return Err(LayoutError::Corrupt("unknown flags set"));
    }
    if clock_from_raw(header.clock).is_none() {
        return Err(LayoutError::Corrupt("unknown clock"));
    }
    let capacity = usize::try_from(header.capacity)
        .map_err(|_| LayoutError::Corrupt("capacity does not fit in usize"))?;
    let geometry = geometry(capacity)?;
    if header.total_len != geometry.total_len as u64 {
        return Err(LayoutError::Corrupt(
            "total length differs from the layout's",
        ));
    }
    if file_len < header.total_len {
        return Err(LayoutError::TooSmall {
            len: file_len,
            needed: header.total_len,
        });
    }
    if file_len != header.total_len {
        return Err(LayoutError::Corrupt("file size differs from the header's"));
    }
    Ok(geometry)
}

/// Checks a header's layout version: 0 while initializing, else [`LAYOUT_VERSION`].
pub fn check_version(found: u32) -> Result<(), LayoutError> {
    match found {
        0 => Err(LayoutError::NotInitialized),
        LAYOUT_VERSION => Ok(()),
        found => Err(LayoutError::VersionMismatch {
            found,
            expected: LAYOUT_VERSION,
        }),
    }
}
