//! The C++ side of the benchmark (`src/store_load.cpp`, built by `build.rs`), declared for
//! `benches/c_abi.rs`. Linking this crate also links `rtshm-c`, whose functions the C++ code
//! calls through `rtshm.hpp`.

use std::ffi::{c_char, c_void};

// The C functions must be linked into the benchmark: naming the crate keeps its rlib.
pub use rtshm_c as c;

unsafe extern "C" {
    /// Creates the SeqLock segment `name` of a 64-byte struct and opens it; NULL on an error.
    pub fn rtshm_bench_cpp_open(name: *const c_char) -> *mut c_void;
    /// Stores a value made from `i` and loads it back; returns its last word.
    pub fn rtshm_bench_cpp_store_load(pair: *mut c_void, i: u64) -> u64;
    /// Releases what `rtshm_bench_cpp_open` made (the segment is unlinked).
    pub fn rtshm_bench_cpp_close(pair: *mut c_void);
}
