//! A 64-byte store followed by a load of the same SeqLock segment, one thread (the cost of
//! the calls, not of a transfer between cores):
//! - `rust`: `SeqLockPublisher::store` + `SeqLockSubscriber::try_load`;
//! - `rust raw`: the same through the run-time-typed handles the C ABI wraps
//!   (`RawPublisher::store` + `Inspector::latest_into`);
//! - `c`: `rtshm_publisher_store` + `rtshm_subscriber_latest`, called as C calls them;
//! - `cpp`: a C++ function (`src/store_load.cpp`, g++ -O2) doing `store` + `load` through
//!   `rtshm.hpp`, which calls the C ABI;
//! - `memcpy`: two copies of 64 bytes, the floor.
//!
//! `cargo bench -p rtshm-c-bench` (BENCHMARKS.md, "C and C++").
use std::ffi::{CString, c_void};
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rtshm::Schema;
use rtshm::layout::Kind;
use rtshm::schema::SchemaBuf;
use rtshm::shm::{
    CreateConfig, Inspector, OpenConfig, RawPublisher, RawType, SeqLockPublisher, SeqLockSubscriber,
};
use rtshm_c_bench::c::*;
use rtshm_c_bench::{rtshm_bench_cpp_close, rtshm_bench_cpp_open, rtshm_bench_cpp_store_load};

#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
#[repr(C)]
struct Payload64 {
    words: [u64; 8],
}

fn name(what: &str) -> String {
    format!("c-abi-bench-{what}-{}", std::process::id())
}

fn store_load(c: &mut Criterion) {
    let mut g = c.benchmark_group("c_abi/64B store+load");

    let mut publisher = SeqLockPublisher::<Payload64>::create(&name("rust")).unwrap();
    let subscriber = SeqLockSubscriber::<Payload64>::open(&name("rust")).unwrap();
    let mut i = 0u64;
    g.bench_function("rust", |b| {
        b.iter(|| {
            i += 1;
            publisher.store(&Payload64 { words: [i; 8] });
            black_box(subscriber.try_load().unwrap().words[7])
        });
    });

    let ty = RawType::described(Kind::SeqLock, SchemaBuf::of(&Payload64::TYPE).unwrap());
    let mut raw = RawPublisher::create(&name("raw"), &ty, 1, CreateConfig::new()).unwrap();
    let view = Inspector::open_as(&name("raw"), &ty, OpenConfig::new()).unwrap();
    g.bench_function("rust raw", |b| {
        let mut out = [0u8; 64];
        b.iter(|| {
            i += 1;
            raw.store(bytemuck::bytes_of(&Payload64 { words: [i; 8] }))
                .unwrap();
            black_box(view.latest_into(&mut out).unwrap());
            black_box(out[56])
        });
    });
    drop((raw, view));

    let fields = [rtshm_field {
        name: c"words".as_ptr(),
        kind: RTSHM_U64,
        offset: 0,
        count: [8, 0, 0, 0],
        nested: std::ptr::null(),
    }];
    let ty = rtshm_type {
        name: c"Payload64".as_ptr(),
        size: 64,
        align: 8,
        fields: fields.as_ptr(),
        field_count: 1,
    };
    let c_name = CString::new(name("c")).unwrap();
    let (mut p, mut s) = (std::ptr::null_mut(), std::ptr::null_mut());
    // SAFETY: valid strings, table and out-pointers; the handles are closed below.
    unsafe {
        assert_eq!(
            rtshm_publisher_create(
                c_name.as_ptr(),
                RTSHM_SEQLOCK,
                &ty,
                1,
                std::ptr::null(),
                &mut p
            ),
            rtshm_status::RTSHM_OK
        );
        assert_eq!(
            rtshm_subscriber_open(
                c_name.as_ptr(),
                RTSHM_SEQLOCK,
                &ty,
                std::ptr::null(),
                &mut s
            ),
            rtshm_status::RTSHM_OK
        );
    }
    g.bench_function("c", |b| {
        let mut out = Payload64 { words: [0; 8] };
        b.iter(|| {
            i += 1;
            let v = Payload64 { words: [i; 8] };
            // SAFETY: live handles; 64-byte buffers.
            unsafe {
                rtshm_publisher_store(p, (&raw const v).cast::<c_void>(), 64, std::ptr::null_mut());
                rtshm_subscriber_latest(
                    s,
                    (&raw mut out).cast::<c_void>(),
                    64,
                    std::ptr::null_mut(),
                );
            }
            black_box(out.words[7])
        });
    });
    // SAFETY: made above, closed once.
    unsafe {
        rtshm_subscriber_close(s);
        rtshm_publisher_close(p);
    }

    let cpp_name = CString::new(name("cpp")).unwrap();
    // SAFETY: a valid string; the pair is closed below.
    let pair = unsafe { rtshm_bench_cpp_open(cpp_name.as_ptr()) };
    assert!(!pair.is_null());
    g.bench_function("cpp", |b| {
        b.iter(|| {
            i += 1;
            // SAFETY: a live pair.
            black_box(unsafe { rtshm_bench_cpp_store_load(pair, i) })
        });
    });
    // SAFETY: made above, closed once.
    unsafe { rtshm_bench_cpp_close(pair) };

    let (src, mut mid, mut dst) = ([7u64; 8], [0u64; 8], [0u64; 8]);
    g.bench_function("memcpy x2", |b| {
        b.iter(|| {
            mid.copy_from_slice(black_box(&src));
            dst.copy_from_slice(black_box(&mid));
            black_box(dst[7])
        });
    });
    g.finish();
}

criterion_group!(benches, store_load);
criterion_main!(benches);
