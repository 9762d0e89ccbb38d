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

/// Alignment that shared storage passed to [`store_words`](real::store_words)/`load_words` must have.
pub(crate) const WORD_ALIGN: usize = 8;

const WORD: usize = core::mem::size_of::<usize>();

static_assertions::const_assert!(WORD <= WORD_ALIGN);

#[cfg(not(rtshm_loom))]
pub(crate) use real::Words;
#[cfg(all(feature = "std", not(rtshm_loom)))]
pub(crate) use real::{load_words, store_words};

#[cfg(not(rtshm_loom))]
mod real {
    use core::cell::UnsafeCell;

    use bytemuck::Zeroable;

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
                // only accessed through `store_words`/`load_words` (or through `&mut self`, which
                // excludes every other access).
                unsafe { store_words(base.add(offset), bytes) }
            });
        }

        /// Copies the storage into `dst` with atomic loads. The result may be torn if a store
        /// runs at the same time; the caller's sequence check detects that.
        #[inline]
        pub(crate) fn load(&self, dst: &mut T) {
            let base = self.cell.get().cast::<u8>().cast_const();
            dst.for_each_part_mut(|offset, bytes| {
                // SAFETY: as in `store`.
                unsafe { load_words(base.add(offset), bytes) }
            });
        }
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

#[cfg(all(test, not(rtshm_loom)))]
mod tests {
    extern crate std;
    use std::{boxed::Box, vec, vec::Vec};

    use bytemuck::{Pod, Zeroable};

    use super::real::{Words, load_words, store_words};

    /// A value of `T` whose byte `i` is `(i * 7 + seed) as u8`, built on the heap.
    fn pattern<T: Pod>(seed: u8) -> Box<T> {
        let mut v: Box<T> = bytemuck::zeroed_box();
        for (i, b) in bytemuck::bytes_of_mut(&mut *v).iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(7).wrapping_add(seed);
        }
        v
    }

    /// Round-trips `T` through word-aligned shared storage and checks that exactly
    /// `size_of::<T>()` bytes are written: the guard bytes after the value stay untouched.
    fn round_trip<T: Pod>() {
        let size = core::mem::size_of::<T>();
        let words = size.div_ceil(8) + 1;
        let mut shared: Vec<u64> = vec![u64::from_ne_bytes([0xA5; 8]); words];
        let src = pattern::<T>(1);
        // SAFETY: `shared` is 8-aligned, holds more than `size` bytes, and this thread is the
        // only one that touches it.
        unsafe { store_words(shared.as_mut_ptr().cast(), bytemuck::bytes_of(&*src)) };
        let bytes: &[u8] = bytemuck::cast_slice(&shared);
        assert_eq!(&bytes[..size], bytemuck::bytes_of(&*src), "size {size}");
        assert!(
            bytes[size..].iter().all(|&b| b == 0xA5),
            "store overran size {size}"
        );

        let mut dst = pattern::<T>(2);
        // SAFETY: as above.
        unsafe { load_words(shared.as_ptr().cast(), bytemuck::bytes_of_mut(&mut *dst)) };
        assert!(
            bytemuck::bytes_of(&*dst) == bytemuck::bytes_of(&*src),
            "size {size}"
        );
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
