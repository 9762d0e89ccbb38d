//! Payload types described from C: a field table (`rtshm_type`), encoded as the segment's
//! schema (the same encoding `#[derive(rtshm::Schema)]` produces, so a C struct and a Rust
//! struct with the same fields at the same offsets open each other's segments).

use std::ffi::c_char;

use rtshm::layout::Kind;
use rtshm::schema::{Encoder, MAX_DEPTH, Primitive, SchemaBuf};
use rtshm::shm::RawType;

use crate::error::{Failure, handle, rtshm_status, run, text};

/// Which structure a segment holds: `RTSHM_SEQLOCK`, `RTSHM_RING` or `RTSHM_TIMESERIES`.
pub type rtshm_kind = u32;
/// The latest value (a SeqLock): `store`, `load`, `wait_newer`.
pub const RTSHM_SEQLOCK: rtshm_kind = 0;
/// Every value, lap-checked (a ring): `push`, cursors, `get`.
pub const RTSHM_RING: rtshm_kind = 1;
/// Stamped values queried by time: `push_stamped`, cursors, `closest`, `interpolation_pair`,
/// `range`. Readers read whole records: `struct { uint64_t stamp_ns; uint64_t seq; T value; }`
/// (`rtshm_subscriber_record_size`).
pub const RTSHM_TIMESERIES: rtshm_kind = 2;

/// The type of a field: a number (`RTSHM_U8` ... `RTSHM_F64`) or `RTSHM_STRUCT`.
pub type rtshm_prim = u32;
/// `uint8_t`.
pub const RTSHM_U8: rtshm_prim = 1;
/// `uint16_t`.
pub const RTSHM_U16: rtshm_prim = 2;
/// `uint32_t`.
pub const RTSHM_U32: rtshm_prim = 3;
/// `uint64_t`.
pub const RTSHM_U64: rtshm_prim = 4;
/// `int8_t`.
pub const RTSHM_I8: rtshm_prim = 5;
/// `int16_t`.
pub const RTSHM_I16: rtshm_prim = 6;
/// `int32_t`.
pub const RTSHM_I32: rtshm_prim = 7;
/// `int64_t`.
pub const RTSHM_I64: rtshm_prim = 8;
/// `float`.
pub const RTSHM_F32: rtshm_prim = 9;
/// `double`.
pub const RTSHM_F64: rtshm_prim = 10;
/// A nested struct, described by the field's `nested` table.
pub const RTSHM_STRUCT: rtshm_prim = 11;

/// How many array dimensions a field may have (`float m[2][3]` has two).
pub const RTSHM_MAX_DIMS: usize = 4;

/// One field of a struct: its name, type, byte offset and array lengths.
///
/// ```c
/// typedef struct { double accel[3]; double gyro[3]; uint64_t count; } Imu;
/// static const rtshm_field IMU_FIELDS[] = {
///     {"accel", RTSHM_F64, offsetof(Imu, accel), {3}},
///     {"gyro", RTSHM_F64, offsetof(Imu, gyro), {3}},
///     {"count", RTSHM_U64, offsetof(Imu, count)},
/// };
/// static const rtshm_type IMU = {"Imu", sizeof(Imu), _Alignof(Imu), IMU_FIELDS, 3};
/// ```
#[repr(C)]
#[derive(Clone, Copy, Debug)]
#[allow(
    clippy::exhaustive_structs,
    reason = "a C struct: its layout is the ABI"
)]
pub struct rtshm_field {
    /// The field's name (an identifier: ASCII letters, digits, `_`).
    pub name: *const c_char,
    /// Its type: `RTSHM_U8` ... `RTSHM_F64`, or `RTSHM_STRUCT` with `nested`.
    pub kind: rtshm_prim,
    /// Its byte offset in the struct (`offsetof`).
    pub offset: usize,
    /// Its array lengths, outermost first (`{2, 3}` for `float m[2][3]`); all zero for a
    /// single value.
    pub count: [u32; RTSHM_MAX_DIMS],
    /// The nested struct's table when `kind` is `RTSHM_STRUCT`, else NULL.
    pub nested: *const rtshm_type,
}

/// A C struct as a segment records it: the schema (names, types, offsets) that readers in
/// every language check and decode by. Tables are read during the call only.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
#[allow(
    clippy::exhaustive_structs,
    reason = "a C struct: its layout is the ABI"
)]
pub struct rtshm_type {
    /// The struct's name (an identifier), the same as the Rust struct's when both sides
    /// share a segment.
    pub name: *const c_char,
    /// `sizeof` the struct.
    pub size: usize,
    /// `_Alignof` (`alignof`) the struct.
    pub align: usize,
    /// Its fields in declaration order (increasing offsets).
    pub fields: *const rtshm_field,
    /// The number of fields.
    pub field_count: usize,
}

/// The primitive `kind` names, if it names one.
fn primitive(kind: rtshm_prim) -> Option<Primitive> {
    Some(match kind {
        RTSHM_U8 => Primitive::U8,
        RTSHM_U16 => Primitive::U16,
        RTSHM_U32 => Primitive::U32,
        RTSHM_U64 => Primitive::U64,
        RTSHM_I8 => Primitive::I8,
        RTSHM_I16 => Primitive::I16,
        RTSHM_I32 => Primitive::I32,
        RTSHM_I64 => Primitive::I64,
        RTSHM_F32 => Primitive::F32,
        RTSHM_F64 => Primitive::F64,
        _ => return None,
    })
}

/// The structure `kind` names.
pub(crate) fn kind_of(kind: rtshm_kind) -> Result<Kind, Failure> {
    match kind {
        RTSHM_SEQLOCK => Ok(Kind::SeqLock),
        RTSHM_RING => Ok(Kind::Ring),
        RTSHM_TIMESERIES => Ok(Kind::TimeSeries),
        other => Err(Failure::invalid(format!(
            "unknown kind {other}: expected RTSHM_SEQLOCK, RTSHM_RING or RTSHM_TIMESERIES"
        ))),
    }
}

/// The C constant of `kind`.
pub(crate) fn kind_code(kind: Kind) -> rtshm_kind {
    match kind {
        Kind::SeqLock => RTSHM_SEQLOCK,
        Kind::Ring => RTSHM_RING,
        Kind::TimeSeries => RTSHM_TIMESERIES,
        _ => u32::MAX,
    }
}

/// Walks a table, checking what the encoding cannot see (nulls, dimensions, cycles) and what
/// it reports only by byte position (each field inside its struct, aligned, after the
/// previous one: here by field name), and encodes it.
struct Walk<'e, 'b> {
    encoder: &'e mut Encoder<'b>,
}

impl Walk<'_, '_> {
    /// Encodes the struct `ty`, `depth` levels deep; returns its (size, align).
    ///
    /// # Safety
    /// `ty`'s pointers are null or valid as [`rtshm_type`] documents.
    unsafe fn structure(&mut self, ty: &rtshm_type, depth: usize) -> Result<(), Failure> {
        if depth > MAX_DEPTH {
            return Err(Failure::invalid(format!(
                "the type nests more than {MAX_DEPTH} levels deep (a table that contains itself?)"
            )));
        }
        // SAFETY: the caller's contract.
        let name = unsafe { text(ty.name, "the type's name") }?;
        let fields: &[rtshm_field] = match (ty.fields.is_null(), ty.field_count) {
            (_, 0) => &[],
            (true, _) => return Err(Failure::invalid(format!("`{name}`: fields is NULL"))),
            // SAFETY: non-null, `field_count` entries by the caller's contract.
            (false, n) => unsafe { std::slice::from_raw_parts(ty.fields, n) },
        };
        if !ty.align.is_power_of_two() || !ty.size.is_multiple_of(ty.align) {
            return Err(Failure::invalid(format!(
                "`{name}`: size {} and alignment {} describe no C type (the alignment is a \
                 power of two dividing the size)",
                ty.size, ty.align
            )));
        }
        self.encoder
            .structure(name, ty.size, ty.align, fields.len());
        let mut end = 0usize;
        for f in fields {
            // SAFETY: the caller's contract.
            let field = unsafe { text(f.name, &format!("a field name of `{name}`")) }?;
            self.encoder.field(field, f.offset);
            // SAFETY: the caller's contract.
            let (size, align) = unsafe { self.field_type(name, field, f, depth) }?;
            let at = || format!("`{name}.{field}` ({size} bytes at offset {})", f.offset);
            if f.offset < end {
                return Err(Failure::invalid(format!(
                    "{} overlaps the field before it (fields are listed in declaration order)",
                    at()
                )));
            }
            if f.offset % align != 0 {
                return Err(Failure::invalid(format!(
                    "{} is not aligned to {align}",
                    at()
                )));
            }
            end = f.offset.saturating_add(size);
            if end > ty.size {
                return Err(Failure::invalid(format!(
                    "{} ends past the struct's {} bytes",
                    at(),
                    ty.size
                )));
            }
            if align > ty.align {
                return Err(Failure::invalid(format!(
                    "{} needs alignment {align}, more than the struct's {}",
                    at(),
                    ty.align
                )));
            }
        }
        Ok(())
    }

    /// Encodes field `f`'s type; returns its (size, align).
    ///
    /// # Safety
    /// As [`Walk::structure`].
    unsafe fn field_type(
        &mut self,
        owner: &str,
        field: &str,
        f: &rtshm_field,
        depth: usize,
    ) -> Result<(usize, usize), Failure> {
        let dims: Vec<usize> = f
            .count
            .iter()
            .take_while(|&&n| n != 0)
            .map(|&n| n as usize)
            .collect();
        if f.count[dims.len()..].iter().any(|&n| n != 0) {
            return Err(Failure::invalid(format!(
                "`{owner}.{field}`: a zero array length before a non-zero one ({:?})",
                f.count
            )));
        }
        for &n in &dims {
            self.encoder.array(n);
        }
        let (size, align) = match (primitive(f.kind), f.kind) {
            (Some(p), _) if f.nested.is_null() => {
                self.encoder.primitive(p);
                (p.size(), p.size())
            }
            (None, RTSHM_STRUCT) => {
                // SAFETY: the caller's contract.
                let nested = unsafe { handle(f.nested, &format!("`{owner}.{field}`'s nested")) }?;
                // SAFETY: the caller's contract.
                unsafe { self.structure(nested, depth + 1 + dims.len()) }?;
                (nested.size, nested.align)
            }
            (Some(_), _) => {
                return Err(Failure::invalid(format!(
                    "`{owner}.{field}` is a number but has a nested table"
                )));
            }
            (None, other) => {
                return Err(Failure::invalid(format!(
                    "`{owner}.{field}` has no type ({other} is not RTSHM_U8 ... RTSHM_F64 or \
                     RTSHM_STRUCT)"
                )));
            }
        };
        let size = dims
            .iter()
            .try_fold(size, |s, &n| s.checked_mul(n))
            .ok_or_else(|| Failure::invalid(format!("`{owner}.{field}` overflows")))?;
        Ok((size, align))
    }
}

/// The schema `ty` describes, checked.
///
/// # Safety
/// `ty`'s pointers are null or valid as [`rtshm_type`] documents.
pub(crate) unsafe fn schema_of(ty: &rtshm_type) -> Result<SchemaBuf, Failure> {
    let mut measure = Encoder::new(&mut []);
    // SAFETY: the caller's contract.
    unsafe {
        Walk {
            encoder: &mut measure,
        }
        .structure(ty, 0)
    }?;
    let mut bytes = vec![0u8; measure.len()];
    let mut encoder = Encoder::new(&mut bytes);
    // SAFETY: the caller's contract.
    unsafe {
        Walk {
            encoder: &mut encoder,
        }
        .structure(ty, 0)
    }?;
    encoder
        .finish()
        .map_err(|e| Failure::invalid(format!("the type table is invalid: {e}")))?;
    SchemaBuf::from_bytes(bytes)
        .map_err(|e| Failure::invalid(format!("the type table is invalid: {e}")))
}

/// The run-time type of a segment of `kind` holding `ty`.
///
/// # Safety
/// `ty` is null or a valid table.
pub(crate) unsafe fn raw_type(kind: rtshm_kind, ty: *const rtshm_type) -> Result<RawType, Failure> {
    let kind = kind_of(kind)?;
    // SAFETY: the caller's contract.
    let ty = unsafe { handle(ty, "type") }?;
    // SAFETY: the caller's contract.
    let schema = unsafe { schema_of(ty) }?;
    Ok(RawType::described(kind, schema))
}

/// Checks the table `type` as a create or open would (names, types, offsets inside the
/// struct, aligned, in order, without overlap), without touching a segment: `RTSHM_OK`, or
/// `RTSHM_ERR_INVALID_ARGUMENT` with the offending field named by `rtshm_last_error()`.
///
/// # Safety
/// `type` is null or points to a valid table (every pointer in it null or valid, names
/// NUL-terminated).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_type_check(r#type: *const rtshm_type) -> rtshm_status {
    run(|| {
        // SAFETY: the caller's contract.
        unsafe { raw_type(RTSHM_SEQLOCK, r#type) }?;
        Ok(rtshm_status::RTSHM_OK)
    })
}
