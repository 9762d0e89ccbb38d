//! The C ABI of rtshm: `rtshm.h` (generated from this crate by cbindgen, checked in at
//! `ffi/c/include/rtshm.h`) and the header-only C++17 wrapper `rtshm.hpp` stand on it.
//!
//! Every function is a thin shell over the Rust implementation (the run-time-typed handles
//! [`RawPublisher`](rtshm::shm::RawPublisher) and [`Inspector`](rtshm::shm::Inspector)): no
//! protocol is written twice. A function returns an `rtshm_status`; on an error it also
//! keeps a message for the calling thread (`rtshm_last_error()`). Values cross as
//! `(const void *, size_t)`, checked against the segment's value size; the type is described by
//! a C field table (`rtshm_type`) validated like the Rust derive's and compared with the
//! segment's schema at open, so a C struct that differs from the segment's is refused with the
//! field named.
//!
//! A panic inside a call (a bug) is caught at the boundary and reported as
//! `RTSHM_ERR_INTERNAL`; it never unwinds into C.

#![allow(
    non_camel_case_types,
    reason = "C names: the header cbindgen writes is what users read"
)]

mod error;
mod publisher;
mod segments;
mod subscriber;
mod types;

pub use error::{rtshm_last_error, rtshm_status, rtshm_status_name};
pub use publisher::*;
pub use segments::*;
pub use subscriber::*;
pub use types::*;

// The threading the header promises: a publisher moves between threads (one at a time); a
// subscriber is shared by many at once.
const _: () = {
    const fn sendable<T: Send>() {}
    const fn shareable<T: Send + Sync>() {}
    sendable::<rtshm::shm::RawPublisher>();
    shareable::<rtshm::shm::Inspector>();
};
