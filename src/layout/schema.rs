//! Type identity: the default fingerprint of a payload type (its schema's hash), and named
//! schema ids.

use crate::schema::Schema;

/// A 64-bit FNV-1a hash of `bytes`, continuing from `hash`.
const fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// A schema id named by a string: FNV-1a of `"rtshm-schema:"` followed by `name`.
///
/// Processes built separately, or written in other languages (the Python bindings), cannot
/// rely on the default [`fingerprint`], which hashes a Rust type name. They agree on a
/// schema instead: each side passes the same id, such as `schema_id("robot/Pose@1")`, as
/// `CreateConfig::schema`/`OpenConfig::schema` (`rtshm.schema_id` computes the same id in
/// Python). Version the name when the layout changes.
///
/// ```
/// use rtshm::layout::schema_id;
///
/// const POSE: u64 = schema_id("robot/Pose@1");
/// assert_ne!(POSE, schema_id("robot/Pose@2"));
/// ```
#[must_use]
pub const fn schema_id(name: &str) -> u64 {
    fnv1a(
        fnv1a(0xcbf2_9ce4_8422_2325, b"rtshm-schema:"),
        name.as_bytes(),
    )
}

/// The default fingerprint of a payload type: the hash of its schema
/// ([`Type::fingerprint`](crate::schema::Type::fingerprint)): field names, types and offsets,
/// not the type's name or module path, so two programs (or a program and a Python dtype) that
/// describe the same fields at the same offsets agree, and a reordered, renamed or retyped field
/// makes them disagree.
///
/// ```
/// # #[cfg(feature = "derive")] {
/// #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
/// #[repr(C)]
/// struct Imu { stamp_ns: u64, accel: [f32; 3], gyro: [f32; 3] }
///
/// #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
/// #[repr(C)]
/// struct Swapped { stamp_ns: u64, gyro: [f32; 3], accel: [f32; 3] }
///
/// assert_ne!(rtshm::layout::fingerprint::<Imu>(), rtshm::layout::fingerprint::<Swapped>());
/// # }
/// ```
#[must_use]
pub fn fingerprint<T: Schema>() -> u64 {
    T::TYPE.fingerprint()
}
