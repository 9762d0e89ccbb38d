//! The one module that names atomic types.
//!
//! Everything else in the crate takes its atomics, fences and spin hints from here, so that:
//! - loom can replace them in model tests (`RUSTFLAGS="--cfg rtshm_loom"`);
//! - targets without native 64-bit atomics (Cortex-M, RISC-V 32) get `AtomicU64` from
//!   portable-atomic, and targets without compare-and-swap (thumbv6m) get every atomic from it.
//!
//! `clippy.toml` forbids `core::sync::atomic` everywhere else.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

pub(crate) use core::sync::atomic::Ordering;

#[cfg(not(rtshm_loom))]
mod imp {
    // Targets with compare-and-swap on pointer-sized words take the small atomics from `core`.
    #[cfg(target_has_atomic = "ptr")]
    pub(crate) use core::sync::atomic::{AtomicBool, AtomicU8, AtomicU16, AtomicU32, AtomicUsize};
    // Without CAS (thumbv6m), portable-atomic supplies `swap`/`compare_exchange` through its
    // `critical-section` or `unsafe-assume-single-core` feature, enabled by the final binary.
    #[cfg(not(target_has_atomic = "ptr"))]
    pub(crate) use portable_atomic::{AtomicBool, AtomicU8, AtomicU16, AtomicU32, AtomicUsize};

    #[cfg(target_has_atomic = "64")]
    pub(crate) use core::sync::atomic::AtomicU64;
    #[cfg(not(target_has_atomic = "64"))]
    pub(crate) use portable_atomic::AtomicU64;

    pub(crate) use core::sync::atomic::fence;

    /// Busy-wait hint (`pause` on x86, `yield`/`isb` on ARM).
    #[inline]
    pub(crate) fn spin_loop() {
        core::hint::spin_loop();
    }
}

#[cfg(rtshm_loom)]
mod imp {
    // The loom model of `Words` keeps one `AtomicUsize` per word, so the tail types are unused.
    pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, fence};

    /// Under loom a spin must yield, or the model explores the same spin forever.
    #[inline]
    pub(crate) fn spin_loop() {
        loom::thread::yield_now();
    }
}

pub(crate) use imp::*;

/// Give the CPU away after a long spin: `std::thread::yield_now` under `std`, a spin hint
/// otherwise (bare metal has no scheduler to yield to).
#[inline]
pub(crate) fn yield_now() {
    #[cfg(all(feature = "std", not(rtshm_loom)))]
    {
        extern crate std;
        std::thread::yield_now();
    }
    #[cfg(not(all(feature = "std", not(rtshm_loom))))]
    spin_loop();
}
