//! Type identity: the default fingerprint of a payload type, and named schema ids.

use core::mem::{align_of, size_of};

use crate::Payload;

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
/// `CreateOptions::schema`/`OpenOptions::schema` (`rtshm.schema_id` computes the same id in
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

/// The default fingerprint of a payload type: FNV-1a of its size, its alignment and its type
/// name with module paths removed (`rtshm::stamped::Stamped<my_robot::msg::Imu>` hashes as
/// `Stamped<Imu>`), so that two programs that define the same type in different crates or
/// modules agree.
///
/// Types with the same name, size and alignment but different fields are not told apart; and
/// `core::any::type_name` is not guaranteed stable across compiler versions. Programs built
/// separately or in other languages should agree on an explicit schema id instead
/// (`CreateOptions::schema`/`OpenOptions::schema` in `rtshm::shm`).
#[must_use]
pub fn fingerprint<T: Payload>() -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325;
    h = fnv1a(h, &(size_of::<T>() as u64).to_le_bytes());
    h = fnv1a(h, &(align_of::<T>() as u64).to_le_bytes());
    let name = core::any::type_name::<T>().as_bytes();
    // Hash the name without `path::` prefixes: skip every identifier followed by `::`.
    let mut i = 0;
    while i < name.len() {
        let start = i;
        while i < name.len() && (name[i].is_ascii_alphanumeric() || name[i] == b'_') {
            i += 1;
        }
        let is_path = name.len() >= i + 2 && &name[i..i + 2] == b"::";
        if is_path {
            i += 2;
        } else {
            h = fnv1a(h, &name[start..i]);
            if i < name.len() {
                h = fnv1a(h, &name[i..=i]);
                i += 1;
            }
        }
    }
    h
}
