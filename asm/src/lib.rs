//! The two halves of the seqlock protocol as standalone functions, compiled to assembly by
//! `ci/asm.sh` for each target and compared with `asm/snapshots/<target>/<function>.s`. The
//! module docs of `rtshm::seqlock` say which instructions the fences and the 64-bit sequence
//! become on each target (`dmb ishld` / `dmb ish` on ARM64, `dmb ish` and `ldrexd`/`strexd` on
//! ARMv7, compiler barriers only on x86_64): these snapshots pin that, so a compiler or code
//! change that alters it fails CI instead of silently making the docs wrong.
#![no_std]

use rtshm::{Busy, Schema, SeqLock, Version};

/// A payload with a derived schema: built for every snapshot target (and for thumbv7em by
/// `ci/embedded.sh`), so the derive is known to work without `std`.
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable, Schema)]
#[repr(C)]
pub struct Sample {
    /// When it was taken, in nanoseconds.
    pub stamp_ns: u64,
    /// Three readings.
    pub values: [f32; 3],
    /// Status bits.
    pub status: u32,
}

/// The size `Sample`'s schema says, evaluated at compile time.
pub const SAMPLE_SIZE: usize = Sample::TYPE.size();
const _: () = assert!(SAMPLE_SIZE == size_of::<Sample>());

/// The reading half: a bounded read of a 16-byte value.
#[unsafe(no_mangle)]
#[inline(never)]
pub fn rtshm_asm_seqlock_try_load(lock: &SeqLock<[u32; 4]>) -> Result<[u32; 4], Busy> {
    lock.try_load()
}

/// The writing half: one store of a 16-byte value.
///
/// # Safety
/// No other store to `lock` may run at the same time (the contract of
/// [`SeqLock::store_unsynchronized`]).
#[unsafe(no_mangle)]
#[inline(never)]
pub unsafe fn rtshm_asm_seqlock_store(lock: &SeqLock<[u32; 4]>, value: &[u32; 4]) -> Version {
    // SAFETY: the caller guarantees exclusivity, as this function's contract says.
    unsafe { lock.store_unsynchronized(value) }
}
