//! Arbitrary bytes as a segment file: a valid header for a random structure is patched with the
//! fuzzer's bytes and the file's length is changed; opening must return `Ok` exactly when
//! `layout::validate` accepts the header, and otherwise that same error, never panicking or
//! touching memory outside the mapping. A successful open is then read from. The untyped
//! `Inspector` is checked the same way against `layout::validate_raw`, and reads the (also
//! patched) sequences and ring head without panicking.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use rtshm::layout::{self, Expected, Geometry, HeaderLine0, Kind, LAYOUT_VERSION};
use rtshm::shm::{
    Inspector, OpenConfig, OpenError, RingKind, SeqLockKind, Structure, Subscriber, TimeSeriesKind,
};
use rtshm::{Clock, Payload};

/// Bytes of the header's first line.
const HEADER: usize = size_of::<HeaderLine0>();

fn path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir();
        dir.join(format!("rtshm-fuzz-header-{}", std::process::id()))
    })
}

fn options() -> OpenConfig {
    OpenConfig::new().init_timeout(Duration::ZERO)
}

/// Asserts that opening `file` had the outcome `validate` (applied to its header, if it has
/// one) predicts; returns the opened handle.
fn agree<H>(
    file: &[u8],
    opened: Result<H, OpenError>,
    validate: impl FnOnce(&HeaderLine0, u64) -> Result<Geometry, layout::LayoutError>,
) -> Option<H> {
    let verdict = if file.len() >= HEADER {
        let h: HeaderLine0 = bytemuck::pod_read_unaligned(&file[..HEADER]);
        validate(&h, file.len() as u64).map(|_| ())
    } else {
        Err(layout::LayoutError::TooSmall {
            len: file.len() as u64,
            needed: layout::DATA_OFFSET as u64,
        })
    };
    match (opened, verdict) {
        (Ok(handle), Ok(())) => return Some(handle),
        (Err(OpenError::Invalid(got)), Err(want)) if file.len() >= layout::DATA_OFFSET => {
            assert_eq!(got, want)
        }
        // Shorter than a header: always TooSmall, whatever `validate` says about the bytes.
        (Err(OpenError::Invalid(layout::LayoutError::TooSmall { .. })), Err(_)) => {}
        (got, want) => panic!("open gave {:?}, validate gave {want:?}", got.err()),
    }
    None
}

/// Opens the file as `K` and checks the outcome against `validate` on the same bytes.
fn check<K: Structure>(kind: Kind, file: &[u8]) {
    let expected = Expected {
        kind,
        fingerprint: K::SCHEMA.fingerprint(),
    };
    let opened = Subscriber::<K>::open_file(path(), options());
    let validate = |h: &HeaderLine0, len| layout::validate::<K::Value>(h, len, expected);
    if let Some(sub) = agree(file, opened, validate) {
        let _ = sub.writer_status(Duration::from_secs(1));
        let _ = sub.epoch();
    }
}

/// Opens the file with an `Inspector` and checks the outcome against `validate_raw`.
fn check_raw(file: &[u8]) {
    let opened = Inspector::open_file(path(), options());
    if let Some(mut view) = agree(file, opened, layout::validate_raw) {
        let _ = view.written();
        let _ = view.writer_status(Duration::from_secs(1));
        let _ = view
            .latest()
            .map(|r| r.map(|r| (r.value().len(), r.stamp())));
        let _ = view.oldest().map(|r| r.map(|r| r.bytes().len()));
        let _ = view.get(0).map(|r| r.seq());
        let _ = view.get(u64::MAX).map(|r| r.number());
    }
}

fn valid_file<V: Payload>(kind: Kind, capacity: usize) -> Vec<u8> {
    let g = Geometry::of::<V>(kind, capacity).unwrap();
    // Every kind here holds `u64` values: a time series' schema is its value's, not the record's.
    let mut h = layout::header_for(&g, layout::fingerprint::<u64>(), Clock::Monotonic, 1);
    h.layout_version = LAYOUT_VERSION;
    let mut file = vec![0u8; g.total_len];
    file[..HEADER].copy_from_slice(bytemuck::bytes_of(&h));
    file
}

fuzz_target!(|data: &[u8]| {
    let [sel, cap, len_mode, patches @ ..] = data else {
        return;
    };
    let capacity = 1usize << (cap % 6);
    let kind = [Kind::SeqLock, Kind::Ring, Kind::TimeSeries][usize::from(sel % 3)];
    let mut file = match kind {
        Kind::Ring => valid_file::<u64>(kind, capacity),
        Kind::TimeSeries => valid_file::<rtshm::Stamped<u64>>(kind, capacity),
        _ => valid_file::<u64>(Kind::SeqLock, 1),
    };
    // Offsets below the header's length patch the header; the rest patch the first bytes of
    // the structure (sequences, ring head).
    for p in patches.chunks_exact(2) {
        let at = usize::from(p[0]);
        let at = if at < HEADER {
            at
        } else {
            layout::DATA_OFFSET + at - HEADER
        };
        if let Some(byte) = file.get_mut(at) {
            *byte = p[1];
        }
    }
    match len_mode % 4 {
        1 => file.truncate(usize::from(*len_mode) * 1031 % (file.len() + 1)),
        2 => file.extend_from_slice(&[0; 8]),
        _ => {}
    }
    std::fs::write(path(), &file).unwrap();
    check::<SeqLockKind<u64>>(Kind::SeqLock, &file);
    check::<RingKind<u64>>(Kind::Ring, &file);
    check::<TimeSeriesKind<u64>>(Kind::TimeSeries, &file);
    check_raw(&file);
    let _ = std::fs::remove_file(path());
});
