//! Atomic word-wise copies of [`Pod`] values into and out of shared storage.
//!
//! A seqlock reader copies bytes that the writer may be storing at the same moment. In the Rust
//! memory model that is a data race (undefined behaviour) unless both sides use atomic accesses,
//! so `read_volatile`, `ptr::copy` and `memcpy` are never used on shared bytes. Instead the shared
//! side of every copy is a sequence of `Relaxed` atomic accesses:
//!
//! - `size_of::<T>() / size_of::<usize>()` pointer-sized words (`AtomicUsize`), then
//! - the tail, with the largest atomic that fits: `AtomicU32` (64-bit targets only), `AtomicU16`,
//!   `AtomicU8`.
//!
//! Writer and reader split a value at the same offsets with the same widths, so no location is
//! ever accessed with two different sizes. Pointer-sized words keep every reader access legal on
//! read-only mappings (`core::sync::atomic`: only `Relaxed` loads no wider than a pointer are
//! allowed there). `T: Pod` has no padding and accepts every bit pattern, so the copied bytes
//! always form a valid `T`; they may be torn, which the sequence check of the caller rejects.
//!
//! The local side (the caller's `&T` / `&mut T`) is ordinary memory owned by the caller and is
//! accessed through `bytemuck` byte views.
//!
//! Cost: `size_of::<T>() / size_of::<usize>() + 3` atomic accesses at most, no allocation, no
//! branch that depends on the data. The shared storage must be aligned to [`WORD_ALIGN`].
//!
//! Under loom (`cfg(rtshm_loom)`) [`Words`] keeps one loom `AtomicUsize` per word instead, since
//! loom cannot place atomics over arbitrary memory; the access pattern (one `Relaxed` access per
//! word) is the same.
//!
//! # Bulk copies
//!
//! LLVM never vectorises loops of atomic accesses, so the word loop reaches only about 60% of
//! `memcpy` bandwidth on large values. On x86_64 with AVX, values of [`BULK_MIN`] bytes or more
//! are copied entirely by one inline-assembly block of 32-byte vector moves (128 bytes per
//! iteration, destination aligned, unaligned head and tail), as a good `memcpy` copies. This is
//! sound for the same reason the word loop is, and it is the argument the `atomic-memcpy` crate
//! makes:
//!
//! - An `asm!` block is opaque to the Rust memory model. The compiler must assume it performs
//!   some sequence of operations Rust code could perform on the memory it is given. The sequence
//!   we claim is one `Relaxed` atomic access per byte (`AtomicU8`), which is what the hardware
//!   provides: on x86_64 every byte of a vector load or store is read or written as a whole,
//!   never torn and never invented. (The overlapping head and tail touch some bytes twice,
//!   which is simply two such accesses.) A racy byte-wise relaxed copy is data-race free; the
//!   bytes may come from different stores, which the caller's sequence check rejects, as before.
//! - The block is not marked `nomem`/`readonly`, so the compiler neither moves memory accesses
//!   across it nor assumes memory unchanged after it; the caller's `fence`s around the copy keep
//!   their meaning. On x86_64 (TSO) ordinary vector loads are not reordered with other loads nor
//!   vector stores with other stores, so the hardware orders the copy like the word loop.
//! - Both sides of one value take the same path (the choice depends only on the length and the
//!   CPU), so every byte is always accessed by the same kind of access: the bulk path never
//!   races with the word loop on the same bytes. The segment header, which readers also read
//!   one word at a time, always uses the word loop.
//! - Loads only: a reader's bulk copy works on memory mapped read-only.
//! - Parts: because a bulk-path value's bytes are modelled as byte accesses, a tool may load a
//!   prefix of it, and a writer may store it in pieces (a value that arrived in network
//!   fragments), each piece by the bulk copy or by `AtomicU8` stores: the same kind of access.
//!
//! Miri cannot run inline assembly; under Miri (and loom) every copy takes the word loop, which
//! the tests then check for data races.

/// Alignment that shared storage passed to [`store_words`](real::store_words)/`load_words` must have.
pub(crate) const WORD_ALIGN: usize = 8;

const WORD: usize = core::mem::size_of::<usize>();

static_assertions::const_assert!(WORD <= WORD_ALIGN);

/// Values of at least this many bytes take the bulk path on x86_64 with AVX (see the module
/// docs). Below it the word loop is as fast.
#[cfg_attr(any(rtshm_loom, miri, not(target_arch = "x86_64")), allow(dead_code))]
pub(crate) const BULK_MIN: usize = 1024;

#[cfg(not(rtshm_loom))]
pub(crate) use real::Words;
#[cfg(all(feature = "std", not(rtshm_loom)))]
pub(crate) use real::{
    bulk_path, load_shared, load_shared_prefix, load_words, store_shared, store_shared_piece,
    store_words,
};

#[cfg(not(rtshm_loom))]
mod real {
    use core::cell::UnsafeCell;

    use bytemuck::Zeroable;

    #[cfg(all(target_arch = "x86_64", not(miri)))]
    use super::bulk;
    use super::{WORD, WORD_ALIGN};
    use crate::Payload;
    use crate::sync::{AtomicU8, AtomicU16, AtomicU32, AtomicUsize, Ordering};

    /// Storage for a `T` that, once shared, is only accessed through atomic word copies.
    #[repr(C, align(8))]
    pub(crate) struct Words<T> {
        cell: UnsafeCell<T>,
    }

    static_assertions::const_assert_eq!(core::mem::align_of::<Words<u8>>(), WORD_ALIGN);

    // SAFETY: an all-zero `Words<T>` is an all-zero `T` in an `UnsafeCell`, valid when `T` is.
    unsafe impl<T: Zeroable> Zeroable for Words<T> {}

    impl<T: Payload> Words<T> {
        /// Storage holding `value`.
        pub(crate) const fn new(value: T) -> Self {
            Self {
                cell: UnsafeCell::new(value),
            }
        }

        /// Storage holding an all-zero `T`.
        pub(crate) const fn zeroed() -> Self {
            // SAFETY: every `Payload` is valid when all-zero (`Pod` types and `Stamped` of them).
            Self::new(unsafe { core::mem::MaybeUninit::<T>::zeroed().assume_init() })
        }

        /// Copies `src` into the storage with atomic stores.
        #[inline]
        pub(crate) fn store(&self, src: &T) {
            let base = self.cell.get().cast::<u8>();
            src.for_each_part(|offset, bytes| {
                // SAFETY: `Payload` parts are padding-free byte ranges inside `T` that start at a
                // multiple of `WORD_ALIGN`; the cell is aligned to `WORD_ALIGN` and, once shared,
                // only accessed through `store_shared`/`load_shared` (or through `&mut self`,
                // which excludes every other access).
                unsafe { store_shared(base.add(offset), bytes) }
            });
        }

        /// Copies the storage into `dst` with atomic loads. The result may be torn if a store
        /// runs at the same time; the caller's sequence check detects that.
        #[inline]
        pub(crate) fn load(&self, dst: &mut T) {
            let base = self.cell.get().cast::<u8>().cast_const();
            dst.for_each_part_mut(|offset, bytes| {
                // SAFETY: as in `store`.
                unsafe { load_shared(base.add(offset), bytes) }
            });
        }
    }

    impl<U: bytemuck::Pod> Words<crate::Stamped<U>> {
        /// Copies only the stamp of the stored value, with the same accesses (same offset, same
        /// widths) that `store` makes for that part. The result may belong to a later store; the
        /// caller's sequence check decides.
        #[inline]
        pub(crate) fn load_stamp(&self) -> crate::Timestamp {
            let mut stamp = crate::Timestamp::ZERO;
            let offset = core::mem::offset_of!(crate::Stamped<U>, stamp);
            let base = self.cell.get().cast::<u8>().cast_const();
            // SAFETY: as in `load`: the stamp is one of the parts `Stamped::for_each_part`
            // reports, so `store` writes exactly these bytes with `store_shared`.
            unsafe { load_shared(base.add(offset), bytemuck::bytes_of_mut(&mut stamp)) };
            stamp
        }
    }

    /// Copies `src` into `src.len()` shared bytes at `shared`: the bulk path for long values where
    /// the CPU has it, else [`store_words`].
    ///
    /// # Safety
    /// As [`store_words`], with "made through [`store_shared`] or [`load_shared`]" for the
    /// concurrent accesses.
    #[inline]
    pub(crate) unsafe fn store_shared(shared: *mut u8, src: &[u8]) {
        #[cfg(all(target_arch = "x86_64", not(miri)))]
        if bulk_path(src.len()) {
            // SAFETY: AVX is available; `src` is valid for reads and `shared` for writes of
            // `src.len() >= BULK_MIN` bytes (the caller's contract), and the ranges do not
            // overlap (one is shared storage, the other the caller's value). Every concurrent
            // access to these shared bytes is the same block copy (same length, same CPU).
            unsafe { bulk::copy(shared, src.as_ptr(), src.len()) };
            return;
        }
        // SAFETY: the caller's contract.
        unsafe { store_words(shared, src) }
    }

    /// Copies `dst.len()` shared bytes at `shared` into `dst`: the bulk path for long values
    /// where the CPU has it, else [`load_words`]. Loads only.
    ///
    /// # Safety
    /// As [`load_words`], with "made through [`store_shared`] or [`load_shared`]" for the
    /// concurrent accesses.
    #[inline]
    pub(crate) unsafe fn load_shared(shared: *const u8, dst: &mut [u8]) {
        #[cfg(all(target_arch = "x86_64", not(miri)))]
        if bulk_path(dst.len()) {
            // SAFETY: as in `store_shared`, with the roles of the two sides swapped; the block
            // copy only loads from `shared`.
            unsafe { bulk::copy(dst.as_mut_ptr(), shared, dst.len()) };
            return;
        }
        // SAFETY: the caller's contract.
        unsafe { load_words(shared, dst) }
    }

    /// Copies `src` into `src.len()` shared bytes at `shared` with `Relaxed` atomic stores.
    ///
    /// # Safety
    /// - `shared` is valid for reads and writes of `src.len()` bytes and aligned to
    ///   [`WORD_ALIGN`];
    /// - every access to those bytes that may run concurrently is made through [`store_words`]
    ///   or [`load_words`] with the same start address and length (atomic accesses of the same
    ///   widths at the same offsets).
    #[inline]
    pub(crate) unsafe fn store_words(shared: *mut u8, src: &[u8]) {
        let mut words = src.chunks_exact(WORD);
        let mut at = shared;
        for word in words.by_ref() {
            let word = usize::from_ne_bytes(word.try_into().unwrap_or([0; WORD]));
            // SAFETY: `at` stays inside the `src.len()` bytes (one full word left) and is
            // word-aligned (aligned base + multiple of `WORD`); concurrent accesses are atomic
            // by the caller's contract.
            unsafe {
                AtomicUsize::from_ptr(at.cast()).store(word, Ordering::Relaxed);
                at = at.add(WORD);
            }
        }
        let mut tail = words.remainder();
        if WORD > 4 && tail.len() >= 4 {
            let (head, rest) = tail.split_at(4);
            let v = u32::from_ne_bytes(head.try_into().unwrap_or([0; 4]));
            // SAFETY: 4 bytes left inside the range; `at` is word- and so 4-aligned.
            unsafe {
                AtomicU32::from_ptr(at.cast()).store(v, Ordering::Relaxed);
                at = at.add(4);
            }
            tail = rest;
        }
        if tail.len() >= 2 {
            let (head, rest) = tail.split_at(2);
            let v = u16::from_ne_bytes(head.try_into().unwrap_or([0; 2]));
            // SAFETY: 2 bytes left inside the range; `at` is 4-aligned here.
            unsafe {
                AtomicU16::from_ptr(at.cast()).store(v, Ordering::Relaxed);
                at = at.add(2);
            }
            tail = rest;
        }
        if let [v] = *tail {
            // SAFETY: 1 byte left inside the range.
            unsafe { AtomicU8::from_ptr(at).store(v, Ordering::Relaxed) };
        }
    }

    /// Copies `dst.len()` shared bytes at `shared` into `dst` with `Relaxed` atomic loads.
    ///
    /// Loads only: works on memory mapped read-only.
    ///
    /// # Safety
    /// The same contract as [`store_words`], except that `shared` need only be valid for reads.
    #[inline]
    pub(crate) unsafe fn load_words(shared: *const u8, dst: &mut [u8]) {
        // `from_ptr` takes `*mut`; the accesses below are loads only.
        let mut at = shared.cast_mut();
        let mut words = dst.chunks_exact_mut(WORD);
        for word in words.by_ref() {
            // SAFETY: as in `store_words`.
            let v = unsafe { AtomicUsize::from_ptr(at.cast()).load(Ordering::Relaxed) };
            word.copy_from_slice(&v.to_ne_bytes());
            // SAFETY: stays within (or one past) the range.
            at = unsafe { at.add(WORD) };
        }
        let mut tail = words.into_remainder();
        if WORD > 4 && tail.len() >= 4 {
            let (head, rest) = tail.split_at_mut(4);
            // SAFETY: as in `store_words`.
            let v = unsafe { AtomicU32::from_ptr(at.cast()).load(Ordering::Relaxed) };
            head.copy_from_slice(&v.to_ne_bytes());
            // SAFETY: stays within (or one past) the range.
            at = unsafe { at.add(4) };
            tail = rest;
        }
        if tail.len() >= 2 {
            let (head, rest) = tail.split_at_mut(2);
            // SAFETY: as in `store_words`.
            let v = unsafe { AtomicU16::from_ptr(at.cast()).load(Ordering::Relaxed) };
            head.copy_from_slice(&v.to_ne_bytes());
            // SAFETY: stays within (or one past) the range.
            at = unsafe { at.add(2) };
            tail = rest;
        }
        if let [b] = tail {
            // SAFETY: as in `store_words`.
            *b = unsafe { AtomicU8::from_ptr(at).load(Ordering::Relaxed) };
        }
    }

    /// Copies the first `dst.len()` bytes of a `whole`-byte shared value at `shared` into
    /// `dst` (a tool showing the start of a huge value), with accesses its writer's copy of
    /// the whole value is compatible with: where the whole value takes the bulk path, byte
    /// loads (the accesses the bulk copy is modelled as) or the bulk copy itself; else the
    /// same pointer-sized words, and the whole value's tail when the prefix reaches into it.
    /// Loads only.
    ///
    /// # Safety
    /// As [`load_shared`] for the `whole`-byte value at `shared`; `dst.len() <= whole`.
    #[cfg_attr(not(feature = "std"), allow(dead_code))] // tools (`shm`) only
    pub(crate) unsafe fn load_shared_prefix(shared: *const u8, whole: usize, dst: &mut [u8]) {
        let len = dst.len().min(whole);
        if len == whole {
            // SAFETY: the caller's contract, for the whole value.
            return unsafe { load_shared(shared, dst) };
        }
        #[cfg(all(target_arch = "x86_64", not(miri)))]
        if bulk_path(whole) {
            if len >= bulk::MIN_LEN {
                // SAFETY: AVX is available; `shared` is valid for `whole >= len` bytes and
                // `dst` for `len`; the writer's bulk copy of the whole value is modelled as
                // byte accesses, so this copy of a part of it accesses bytes the same way.
                unsafe { bulk::copy(dst.as_mut_ptr(), shared, len) };
            } else {
                for (i, b) in dst.iter_mut().enumerate() {
                    // SAFETY: `i < len <= whole`, inside the value; a byte access, as the
                    // writer's bulk copy is modelled.
                    *b = unsafe {
                        AtomicU8::from_ptr(shared.cast_mut().add(i)).load(Ordering::Relaxed)
                    };
                }
            }
            return;
        }
        let full = whole / WORD * WORD;
        let in_words = len.min(full);
        for (i, chunk) in dst[..in_words].chunks_mut(WORD).enumerate() {
            // SAFETY: word `i` lies inside the whole value's word part (`in_words <= full`,
            // `full` a multiple of `WORD`), word-aligned: the writer stores it with the same
            // `AtomicUsize` access.
            let v = unsafe {
                AtomicUsize::from_ptr(shared.cast_mut().add(i * WORD).cast())
                    .load(Ordering::Relaxed)
            };
            chunk.copy_from_slice(&v.to_ne_bytes()[..chunk.len()]);
        }
        if len > full {
            let mut tail = [0u8; WORD];
            // SAFETY: the whole value's tail, `whole - full < WORD` bytes at `shared + full`,
            // loaded as `load_words` splits it, which is how the writer's copy split it.
            unsafe { load_words(shared.add(full), &mut tail[..whole - full]) };
            dst[full..len].copy_from_slice(&tail[..len - full]);
        }
    }

    /// Whether a shared value of `whole` bytes takes the bulk path here: the one choice
    /// [`store_shared`], [`load_shared`] and [`load_shared_prefix`] all make, so both sides
    /// of a value always agree. Then every access to its bytes is modelled as byte accesses,
    /// and its writer may store it piece by piece with [`store_shared_piece`].
    #[cfg_attr(not(feature = "std"), allow(dead_code))] // outside x86_64: raw writers only
    #[inline]
    pub(crate) fn bulk_path(whole: usize) -> bool {
        #[cfg(all(target_arch = "x86_64", not(miri)))]
        {
            whole >= super::BULK_MIN && bulk::available()
        }
        #[cfg(not(all(target_arch = "x86_64", not(miri))))]
        {
            let _ = whole;
            false
        }
    }

    /// Stores `src` into shared bytes at `shared` that are one piece of a longer value whose
    /// copies take the bulk path ([`bulk_path`]): the bulk copy for a long piece, byte stores
    /// (the accesses the bulk copy is modelled as) for a short one. How a value arriving in
    /// fragments is stored without first joining them.
    ///
    /// # Safety
    /// As [`store_shared`] for the whole value the piece belongs to, which satisfies
    /// [`bulk_path`]; `shared` is valid for writes of `src.len()` bytes inside that value.
    #[cfg_attr(not(feature = "std"), allow(dead_code))] // raw writers (`shm`) only
    #[inline]
    pub(crate) unsafe fn store_shared_piece(shared: *mut u8, src: &[u8]) {
        #[cfg(all(target_arch = "x86_64", not(miri)))]
        if src.len() >= bulk::MIN_LEN && bulk::available() {
            // SAFETY: AVX is available; `src` is valid for reads and `shared` for writes of
            // `src.len() >= MIN_LEN` bytes, not overlapping; the bulk copies of the whole
            // value are modelled as byte accesses, which this copy of a part makes too.
            unsafe { bulk::copy(shared, src.as_ptr(), src.len()) };
            return;
        }
        for (i, &b) in src.iter().enumerate() {
            // SAFETY: `i < src.len()`, inside the piece (the caller's contract); a byte
            // access, as the bulk copies of the whole value are modelled.
            unsafe { AtomicU8::from_ptr(shared.add(i)).store(b, Ordering::Relaxed) };
        }
    }
}

/// The x86_64 bulk copy: unaligned 32-byte AVX moves in one `asm!` block (see the module docs).
#[cfg(all(target_arch = "x86_64", not(miri), not(rtshm_loom)))]
mod bulk {
    /// The smallest length [`copy`] accepts.
    pub(super) const MIN_LEN: usize = 128;

    static_assertions::const_assert!(super::BULK_MIN >= MIN_LEN);

    /// Whether this CPU (and OS) supports AVX. Cached by `std` after the first call: one
    /// relaxed load and a bit test. Without `std`, only a build for an AVX target says yes.
    #[inline]
    pub(super) fn available() -> bool {
        #[cfg(feature = "std")]
        {
            std::is_x86_feature_detected!("avx")
        }
        #[cfg(not(feature = "std"))]
        {
            cfg!(target_feature = "avx")
        }
    }

    /// Copies `len` bytes from `src` to `dst`, the way a good `memcpy` does: the first 32 bytes
    /// unaligned, then 128-byte blocks of four 32-byte moves with the destination 32-byte
    /// aligned (a store that straddles two cache lines costs two), then the last 128 bytes
    /// unaligned, overlapping what came before.
    ///
    /// Every byte of both ranges is accessed only by this block: it is modelled as `Relaxed`
    /// `AtomicU8` loads and stores (module docs). A byte may be read and written twice; the
    /// second copy carries the same value (a store) or a value at least as new (a load), and
    /// the caller's sequence check validates the whole copy either way.
    ///
    /// # Safety
    /// - the CPU supports AVX ([`available`]);
    /// - `len >= MIN_LEN`; `src` is valid for reads and `dst` for writes of `len` bytes, and the
    ///   two ranges do not overlap;
    /// - every concurrent access to the shared one of the two ranges is made by this function
    ///   over the same range.
    #[target_feature(enable = "avx")]
    pub(super) unsafe fn copy(dst: *mut u8, src: *const u8, len: usize) {
        debug_assert!(len >= MIN_LEN);
        // SAFETY: the caller's contract: both ranges are valid and AVX is available. Every
        // address below lies inside them: the head covers [0, 32), the loop runs while at least
        // 128 bytes are left from the aligned position, and the final block covers
        // [len - 128, len), with len >= 128. `vzeroupper` clears the upper halves of all vector
        // registers, which are all caller-saved (`clobber_abi`). No `nomem`/`readonly`: the
        // compiler treats the block as reading and writing memory.
        unsafe {
            core::arch::asm!(
                // Head: 32 bytes, then advance both sides until `rdi` is 32-byte aligned.
                "vmovdqu ymm0, ymmword ptr [rsi]",
                "vmovdqu ymmword ptr [rdi], ymm0",
                "mov rax, rdi",
                "neg rax",
                "and rax, 31",
                "add rdi, rax",
                "add rsi, rax",
                "sub rdx, rax",
                // Body: whole 128-byte blocks (at least one: rdx >= 128 - 31 ... see below).
                "mov rcx, rdx",
                "shr rcx, 7",
                "jz 3f",
                "2:",
                "vmovdqu ymm0, ymmword ptr [rsi]",
                "vmovdqu ymm1, ymmword ptr [rsi + 32]",
                "vmovdqu ymm2, ymmword ptr [rsi + 64]",
                "vmovdqu ymm3, ymmword ptr [rsi + 96]",
                "vmovdqu ymmword ptr [rdi], ymm0",
                "vmovdqu ymmword ptr [rdi + 32], ymm1",
                "vmovdqu ymmword ptr [rdi + 64], ymm2",
                "vmovdqu ymmword ptr [rdi + 96], ymm3",
                "add rsi, 128",
                "add rdi, 128",
                "dec rcx",
                "jnz 2b",
                // Tail: the last 128 bytes of the range, overlapping the body.
                "3:",
                "and rdx, 127",
                "vmovdqu ymm0, ymmword ptr [rsi + rdx - 128]",
                "vmovdqu ymm1, ymmword ptr [rsi + rdx - 96]",
                "vmovdqu ymm2, ymmword ptr [rsi + rdx - 64]",
                "vmovdqu ymm3, ymmword ptr [rsi + rdx - 32]",
                "vmovdqu ymmword ptr [rdi + rdx - 128], ymm0",
                "vmovdqu ymmword ptr [rdi + rdx - 96], ymm1",
                "vmovdqu ymmword ptr [rdi + rdx - 64], ymm2",
                "vmovdqu ymmword ptr [rdi + rdx - 32], ymm3",
                "vzeroupper",
                inout("rdi") dst => _,
                inout("rsi") src => _,
                inout("rdx") len => _,
                out("rax") _,
                out("rcx") _,
                // ymm0-3 and every other vector register: caller-saved in the C ABI.
                clobber_abi("C"),
                options(nostack),
            );
        }
    }
}

/// Loom model of the storage: one loom atomic per word, same access pattern.
#[cfg(rtshm_loom)]
pub(crate) struct Words<T> {
    words: alloc::boxed::Box<[crate::sync::AtomicUsize]>,
    _value: core::marker::PhantomData<T>,
}

#[cfg(rtshm_loom)]
extern crate alloc;

#[cfg(rtshm_loom)]
impl<T: crate::Payload> Words<T> {
    pub(crate) fn new(value: T) -> Self {
        let n = core::mem::size_of::<T>().div_ceil(WORD);
        let this = Self {
            words: (0..n).map(|_| crate::sync::AtomicUsize::new(0)).collect(),
            _value: core::marker::PhantomData,
        };
        this.store(&value);
        this
    }

    pub(crate) fn zeroed() -> Self {
        Self::new(T::zeroed())
    }

    pub(crate) fn store(&self, src: &T) {
        src.for_each_part(|offset, bytes| {
            for (i, c) in bytes.chunks(WORD).enumerate() {
                let mut w = [0; WORD];
                w[..c.len()].copy_from_slice(c);
                self.words[offset / WORD + i]
                    .store(usize::from_ne_bytes(w), crate::sync::Ordering::Relaxed);
            }
        });
    }

    pub(crate) fn load(&self, dst: &mut T) {
        dst.for_each_part_mut(|offset, bytes| {
            for (i, c) in bytes.chunks_mut(WORD).enumerate() {
                let w = self.words[offset / WORD + i]
                    .load(crate::sync::Ordering::Relaxed)
                    .to_ne_bytes();
                c.copy_from_slice(&w[..c.len()]);
            }
        });
    }
}

#[cfg(rtshm_loom)]
impl<U: bytemuck::Pod> Words<crate::Stamped<U>> {
    pub(crate) fn load_stamp(&self) -> crate::Timestamp {
        let mut stamp = crate::Timestamp::ZERO;
        let offset = core::mem::offset_of!(crate::Stamped<U>, stamp);
        for (i, c) in bytemuck::bytes_of_mut(&mut stamp)
            .chunks_mut(WORD)
            .enumerate()
        {
            let w = self.words[offset / WORD + i]
                .load(crate::sync::Ordering::Relaxed)
                .to_ne_bytes();
            c.copy_from_slice(&w[..c.len()]);
        }
        stamp
    }
}

#[cfg(all(test, not(rtshm_loom)))]
mod tests {
    extern crate std;
    use std::{boxed::Box, vec, vec::Vec};

    use bytemuck::{Pod, Zeroable};

    use super::BULK_MIN;
    use super::real::{Words, load_shared, load_words, store_shared, store_words};

    /// A value of `T` whose byte `i` is `(i * 7 + seed) as u8`, built on the heap.
    fn pattern<T: Pod>(seed: u8) -> Box<T> {
        let mut v: Box<T> = bytemuck::zeroed_box();
        for (i, b) in bytemuck::bytes_of_mut(&mut *v).iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(7).wrapping_add(seed);
        }
        v
    }

    type Store = unsafe fn(*mut u8, &[u8]);
    type Load = unsafe fn(*const u8, &mut [u8]);

    /// Round-trips `T` through word-aligned shared storage with both copy pairs (the word loop,
    /// and the dispatching pair that takes the bulk path for long values), checking that exactly
    /// `size_of::<T>()` bytes are written: the guard bytes after the value stay untouched.
    fn round_trip<T: Pod>() {
        round_trip_with::<T>(store_words, load_words);
        round_trip_with::<T>(store_shared, load_shared);
    }

    fn round_trip_with<T: Pod>(store: Store, load: Load) {
        let size = core::mem::size_of::<T>();
        let words = size.div_ceil(8) + 1;
        let mut shared: Vec<u64> = vec![u64::from_ne_bytes([0xA5; 8]); words];
        let src = pattern::<T>(1);
        // SAFETY: `shared` is 8-aligned, holds more than `size` bytes, and this thread is the
        // only one that touches it.
        unsafe { store(shared.as_mut_ptr().cast(), bytemuck::bytes_of(&*src)) };
        let bytes: &[u8] = bytemuck::cast_slice(&shared);
        assert_eq!(&bytes[..size], bytemuck::bytes_of(&*src), "size {size}");
        assert!(
            bytes[size..].iter().all(|&b| b == 0xA5),
            "store overran size {size}"
        );

        let mut dst = pattern::<T>(2);
        // SAFETY: as above.
        unsafe { load(shared.as_ptr().cast(), bytemuck::bytes_of_mut(&mut *dst)) };
        assert!(
            bytemuck::bytes_of(&*dst) == bytemuck::bytes_of(&*src),
            "size {size}"
        );
    }

    /// Stores and loads `len` bytes at each word offset of a 32-byte boundary (the bulk path's
    /// head is then 0, 24, 16 or 8 bytes), checking the guard bytes on both sides.
    #[test]
    fn round_trips_at_every_word_offset_from_a_vector_boundary() {
        #[repr(C, align(32))]
        struct Aligned([u64; 200]);
        for len in [BULK_MIN, BULK_MIN + 13, 1500] {
            for offset in [0, 8, 16, 24] {
                let mut shared = Box::new(Aligned([u64::from_ne_bytes([0xA5; 8]); 200]));
                let src: Vec<u8> = (0..len).map(|i| (i * 7 + offset) as u8).collect();
                let base: *mut u8 = shared.0.as_mut_ptr().cast();
                // SAFETY: the buffer is 32-aligned and holds 1600 bytes, more than
                // `offset + len`; only this thread touches it.
                unsafe { store_shared(base.add(offset), &src) };
                let bytes: &[u8] = bytemuck::cast_slice(&shared.0);
                assert!(
                    bytes[..offset].iter().all(|&b| b == 0xA5),
                    "len {len} +{offset}"
                );
                assert_eq!(
                    &bytes[offset..offset + len],
                    &src[..],
                    "len {len} +{offset}"
                );
                assert!(
                    bytes[offset + len..].iter().all(|&b| b == 0xA5),
                    "len {len} +{offset}"
                );
                let mut dst = vec![0u8; len];
                // SAFETY: as above.
                unsafe { load_shared(base.add(offset).cast_const(), &mut dst) };
                assert_eq!(dst, src, "len {len} +{offset}");
            }
        }
    }

    #[test]
    fn round_trips_around_the_bulk_threshold() {
        // Just below, at and above `BULK_MIN`, with every tail class after the 128-byte blocks.
        round_trip::<[u8; BULK_MIN - 1]>();
        round_trip::<[u8; BULK_MIN]>();
        round_trip::<[u8; BULK_MIN + 1]>();
        round_trip::<[u8; BULK_MIN + 7]>();
        round_trip::<[u8; BULK_MIN + 8]>();
        round_trip::<[u8; BULK_MIN + 127]>();
        round_trip::<[u8; BULK_MIN + 128]>();
        round_trip::<[u16; 1000]>();
        round_trip::<[u64; 129]>();
    }

    #[test]
    fn round_trips_every_size_byte_aligned() {
        round_trip::<()>();
        round_trip::<[u8; 0]>();
        round_trip::<[u8; 1]>();
        round_trip::<[u8; 3]>();
        round_trip::<[u8; 7]>();
        round_trip::<[u8; 8]>();
        round_trip::<[u8; 9]>();
        round_trip::<[u8; 63]>();
        round_trip::<[u8; 64]>();
        round_trip::<[u8; 4096]>();
        // A 1920x1080x3 frame. Miri interprets every byte of the pattern: the same loop at 4096
        // bytes covers this path there.
        if !cfg!(miri) {
            round_trip::<[u8; 6_220_800]>();
        }
    }

    #[test]
    fn round_trips_every_tail_width() {
        // Sizes 1..=17 exercise every combination of word, u32, u16 and u8 accesses.
        round_trip::<[u8; 2]>();
        round_trip::<[u8; 4]>();
        round_trip::<[u8; 5]>();
        round_trip::<[u8; 6]>();
        round_trip::<[u8; 10]>();
        round_trip::<[u8; 11]>();
        round_trip::<[u8; 12]>();
        round_trip::<[u8; 13]>();
        round_trip::<[u8; 14]>();
        round_trip::<[u8; 15]>();
        round_trip::<[u8; 16]>();
        round_trip::<[u8; 17]>();
    }

    #[test]
    fn round_trips_alignments_up_to_8() {
        round_trip::<[u16; 1]>();
        round_trip::<[u16; 3]>();
        round_trip::<[u16; 5]>();
        round_trip::<[u32; 1]>();
        round_trip::<[u32; 3]>();
        round_trip::<[u64; 1]>();
        round_trip::<[u64; 8]>();
        round_trip::<[f64; 512]>();

        #[derive(Clone, Copy, Pod, Zeroable)]
        #[repr(C)]
        struct Mixed {
            stamp: u64,
            id: u32,
            flags: u16,
            kind: u8,
            level: u8,
        }
        round_trip::<Mixed>();
    }

    #[test]
    fn words_storage_is_word_aligned_and_round_trips() {
        let storage = Words::new([0u8; 13]);
        assert_eq!((&storage as *const Words<[u8; 13]>).align_offset(8), 0);
        let src = *pattern::<[u8; 13]>(3);
        storage.store(&src);
        let mut dst = [0u8; 13];
        storage.load(&mut dst);
        assert_eq!(dst, src);
    }
}
