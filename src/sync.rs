//! The one module that names atomic types.
//!
//! Everything else in the crate takes its atomics, fences and spin hints from here, so that:
//! - loom can replace them in model tests (`RUSTFLAGS="--cfg rtshm_loom"`);
//! - targets without native 64-bit atomics (Cortex-M, RISC-V 32) get `AtomicU64` from
//!   portable-atomic, and targets without compare-and-swap (thumbv6m) get every atomic from it.
//!
//! The types here are `repr(transparent)` wrappers with only the operations the crate uses, so
//! `clippy.toml` can forbid `core::sync::atomic` everywhere else (a plain re-export would resolve
//! to the forbidden type). Every wrapper method is `#[inline(always)]` and costs nothing.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

pub(crate) use core::sync::atomic::Ordering;

/// One constructor, `const` except under loom, whose atomics cannot be built in a `const fn`
/// (crossbeam-utils' `const_fn!`): the body is written once.
///
/// ```ignore
/// const_fn! {
///     const_if: #[cfg(not(rtshm_loom))];
///     /// An empty slot.
///     pub const fn new() -> Self { ... }
/// }
/// ```
macro_rules! const_fn {
    (
        const_if: #[cfg($($cfg:tt)+)];
        $(#[$($attr:tt)*])*
        $vis:vis const fn $($rest:tt)*
    ) => {
        #[cfg($($cfg)+)]
        $(#[$($attr)*])*
        $vis const fn $($rest)*
        #[cfg(not($($cfg)+))]
        $(#[$($attr)*])*
        $vis fn $($rest)*
    };
}
pub(crate) use const_fn;

#[cfg(not(rtshm_loom))]
mod backend {
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
    #[inline(always)]
    pub(crate) fn spin_loop() {
        core::hint::spin_loop();
    }
}

#[cfg(rtshm_loom)]
mod backend {
    pub(crate) use loom::sync::atomic::{
        AtomicBool, AtomicU8, AtomicU16, AtomicU32, AtomicU64, AtomicUsize, fence,
    };

    /// Under loom a spin must yield, or the model explores the same spin forever.
    #[inline(always)]
    pub(crate) fn spin_loop() {
        loom::thread::yield_now();
    }
}

pub(crate) use backend::spin_loop;

/// A memory fence (`core::sync::atomic::fence`, or loom's).
#[inline(always)]
pub(crate) fn fence(order: Ordering) {
    backend::fence(order);
}

/// A compiler-only fence: no instruction, the compiler keeps the program order of memory
/// accesses across it. The light side of an asymmetric fence (`wait.rs`); loom does not model
/// it (its models use the symmetric fences).
#[cfg(any(feature = "std", rtshm_loom))] // as `wait`
#[inline(always)]
pub(crate) fn compiler_fence(order: Ordering) {
    core::sync::atomic::compiler_fence(order);
}

macro_rules! atomic {
    ($(#[$doc:meta])* $name:ident($int:ty)) => {
        $(#[$doc])*
        #[repr(transparent)]
        pub(crate) struct $name(backend::$name);

        #[allow(dead_code)] // each type carries the same small set; not every one uses all of it
        impl $name {
            const_fn! {
                const_if: #[cfg(not(rtshm_loom))];
                /// A new atomic holding `v`.
                #[inline(always)]
                pub(crate) const fn new(v: $int) -> Self {
                    Self(backend::$name::new(v))
                }
            }

            /// Views `ptr` as an atomic.
            ///
            /// # Safety
            /// As `core::sync::atomic`'s `from_ptr`: `ptr` is aligned to the atomic's alignment
            /// and valid for the chosen lifetime, and every access to it that may run
            /// concurrently is atomic and of the same size. Only loads may be made through it
            /// when the memory is read-only.
            #[cfg(not(rtshm_loom))]
            #[inline(always)]
            pub(crate) unsafe fn from_ptr<'a>(ptr: *mut $int) -> &'a Self {
                // SAFETY: the caller upholds `from_ptr`'s contract; `Self` is a
                // `repr(transparent)` wrapper, so the cast keeps layout and validity.
                unsafe { &*(backend::$name::from_ptr(ptr) as *const backend::$name).cast::<Self>() }
            }

            #[inline(always)]
            pub(crate) fn load(&self, order: Ordering) -> $int {
                self.0.load(order)
            }

            #[inline(always)]
            pub(crate) fn store(&self, v: $int, order: Ordering) {
                self.0.store(v, order);
            }

            #[inline(always)]
            pub(crate) fn swap(&self, v: $int, order: Ordering) -> $int {
                self.0.swap(v, order)
            }
        }
    };
}

macro_rules! atomic_arith {
    ($name:ident($int:ty)) => {
        #[allow(dead_code)] // not every width uses every operation
        impl $name {
            #[inline(always)]
            pub(crate) fn fetch_add(&self, v: $int, order: Ordering) -> $int {
                self.0.fetch_add(v, order)
            }

            #[inline(always)]
            pub(crate) fn fetch_sub(&self, v: $int, order: Ordering) -> $int {
                self.0.fetch_sub(v, order)
            }
        }
    };
}

atomic!(
    /// `AtomicBool` from the configured backend.
    AtomicBool(bool)
);
atomic!(
    /// `AtomicU8` from the configured backend.
    AtomicU8(u8)
);
atomic!(
    /// `AtomicU16` from the configured backend.
    AtomicU16(u16)
);
atomic!(
    /// `AtomicU32` from the configured backend.
    AtomicU32(u32)
);
atomic!(
    /// `AtomicU64` from the configured backend (portable-atomic where the target lacks it).
    AtomicU64(u64)
);
atomic!(
    /// `AtomicUsize` from the configured backend.
    AtomicUsize(usize)
);

atomic_arith!(AtomicU32(u32));
atomic_arith!(AtomicU64(u64));

#[allow(dead_code)] // used by `shm` (takeover), which loom and no_std builds leave out
impl AtomicU64 {
    #[inline(always)]
    pub(crate) fn compare_exchange(
        &self,
        current: u64,
        new: u64,
        success: Ordering,
        failure: Ordering,
    ) -> Result<u64, u64> {
        self.0.compare_exchange(current, new, success, failure)
    }
}

#[allow(dead_code)] // used by the futex handshake (`wait`), which no_std builds leave out
impl AtomicU32 {
    #[inline(always)]
    pub(crate) fn fetch_or(&self, v: u32, order: Ordering) -> u32 {
        self.0.fetch_or(v, order)
    }

    #[inline(always)]
    pub(crate) fn compare_exchange_weak(
        &self,
        current: u32,
        new: u32,
        success: Ordering,
        failure: Ordering,
    ) -> Result<u32, u32> {
        self.0.compare_exchange_weak(current, new, success, failure)
    }
}

#[cfg(all(feature = "std", not(rtshm_loom), target_has_atomic = "32"))]
impl AtomicU32 {
    /// The `core` atomic underneath, for the futex syscalls.
    #[inline(always)]
    pub(crate) fn as_core(&self) -> &core::sync::atomic::AtomicU32 {
        &self.0
    }
}

/// Give the CPU away after a long spin: `std::thread::yield_now` under `std`, a spin hint
/// otherwise (bare metal has no scheduler to yield to).
#[inline]
pub(crate) fn yield_now() {
    #[cfg(all(feature = "std", not(rtshm_loom)))]
    std::thread::yield_now();
    #[cfg(not(all(feature = "std", not(rtshm_loom))))]
    spin_loop();
}
