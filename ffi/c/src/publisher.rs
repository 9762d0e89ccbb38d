//! `rtshm_publisher`: the single writer of a segment.

use std::ffi::{c_char, c_int, c_void};
use std::os::fd::IntoRawFd;
use std::time::Duration;

use rtshm::shm::{CreateConfig, OpenConfig, RawPublisher, RawType};
use rtshm::{Clock, Timestamp};

use crate::error::{
    Failure, Outcome, create_error, handle, handle_mut, input, put, raw_error,
    rtshm_status::{self, RTSHM_OK},
    run, takeover_error, text,
};
use crate::types::{raw_type, rtshm_kind, rtshm_type};

/// The single writer of a segment: created by `rtshm_publisher_create*` or
/// `rtshm_publisher_open_existing`, released by `rtshm_publisher_close` (which unlinks a
/// segment it created unless `rtshm_publisher_persist` was called).
///
/// Thread safety: a publisher may move between threads but is used by one thread at a time
/// (calls on it are not synchronized); a segment has one publisher.
#[derive(Debug)]
pub struct rtshm_publisher {
    inner: RawPublisher,
}

/// Stamps from `CLOCK_MONOTONIC` (the default).
pub const RTSHM_CLOCK_MONOTONIC: u32 = 0;
/// Stamps from `CLOCK_REALTIME` (wall time, comparable across hosts with synchronized clocks).
pub const RTSHM_CLOCK_REALTIME: u32 = 1;

/// How to create a segment. Pass NULL for the defaults, or zero-initialize and set what
/// differs (`rtshm_create_options o = {0}; o.mode = 0640;`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
#[allow(
    clippy::exhaustive_structs,
    reason = "a C struct: its layout is the ABI"
)]
pub struct rtshm_create_options {
    /// File mode of the segment; 0 means `0600` (the creating user only).
    pub mode: u32,
    /// `RTSHM_CLOCK_MONOTONIC` (0) or `RTSHM_CLOCK_REALTIME`: the clock of time-series stamps,
    /// recorded in the header for readers and tools.
    pub clock: u32,
    /// For `rtshm_publisher_create_or_recover`: how long to wait for a creator still
    /// initializing the segment; 0 means 1 s.
    pub init_timeout_ns: u64,
}

/// How to open a segment. Pass NULL for the defaults, or zero-initialize and set what differs.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
#[allow(
    clippy::exhaustive_structs,
    reason = "a C struct: its layout is the ABI"
)]
pub struct rtshm_open_options {
    /// How long to wait for a creator still initializing the segment; 0 means 1 s.
    pub init_timeout_ns: u64,
    /// How long to wait for a segment that does not exist yet (its publisher starts later);
    /// 0: fail at once with `RTSHM_ERR_NOT_FOUND`. Only opens by name wait.
    pub wait_for_creation_ns: u64,
}

/// The create options `options` points to (the defaults if null).
///
/// # Safety
/// `options` is null or valid for reads.
unsafe fn create_config(options: *const rtshm_create_options) -> Result<CreateConfig, Failure> {
    // SAFETY: the caller's contract.
    let Some(o) = (unsafe { options.as_ref() }) else {
        return Ok(CreateConfig::new());
    };
    let clock = match o.clock {
        RTSHM_CLOCK_MONOTONIC => Clock::Monotonic,
        RTSHM_CLOCK_REALTIME => Clock::Realtime,
        other => {
            return Err(Failure::invalid(format!(
                "unknown clock {other}: expected RTSHM_CLOCK_MONOTONIC or RTSHM_CLOCK_REALTIME"
            )));
        }
    };
    let config = CreateConfig::new().clock(clock);
    Ok(if o.mode == 0 {
        config
    } else {
        config.mode(o.mode)
    })
}

/// The open options `options` points to (the defaults if null).
///
/// # Safety
/// `options` is null or valid for reads.
pub(crate) unsafe fn open_config(options: *const rtshm_open_options) -> OpenConfig {
    // SAFETY: the caller's contract.
    unsafe { options.as_ref() }.map_or_else(OpenConfig::new, open_config_of)
}

/// The open configuration `o` describes.
fn open_config_of(o: &rtshm_open_options) -> OpenConfig {
    let config = OpenConfig::new().wait_for_creation(Duration::from_nanos(o.wait_for_creation_ns));
    match o.init_timeout_ns {
        0 => config,
        ns => config.init_timeout(Duration::from_nanos(ns)),
    }
}

/// Where a publisher is created.
enum Place<'a> {
    Name(&'a str),
    File(&'a str),
    Memfd(&'a str),
    Recover(&'a str),
}

/// The common body of the create functions.
///
/// # Safety
/// The pointers are null or valid as the create functions document.
unsafe fn create(
    place: Place<'_>,
    kind: rtshm_kind,
    ty: *const rtshm_type,
    capacity: usize,
    options: *const rtshm_create_options,
    out: *mut *mut rtshm_publisher,
) -> Outcome {
    if out.is_null() {
        return Err(Failure::invalid("out is NULL"));
    }
    // SAFETY: the caller's contract.
    let ty: RawType = unsafe { raw_type(kind, ty) }?;
    // SAFETY: the caller's contract.
    let config = unsafe { create_config(options) }?;
    let inner = match place {
        Place::Name(name) => RawPublisher::create(name, &ty, capacity, config),
        Place::File(path) => RawPublisher::create_file(path, &ty, capacity, config),
        Place::Memfd(label) => RawPublisher::create_memfd(label, &ty, capacity, config),
        Place::Recover(name) => {
            // SAFETY: the caller's contract.
            let init_timeout_ns = unsafe { options.as_ref() }.map_or(0, |o| o.init_timeout_ns);
            let open = open_config_of(&rtshm_open_options {
                init_timeout_ns,
                wait_for_creation_ns: 0,
            });
            let recovered = RawPublisher::create_or_recover(name, &ty, capacity, (config, open));
            Ok(recovered.map_err(takeover_error)?)
        }
    }
    .map_err(create_error)?;
    let handle = Box::into_raw(Box::new(rtshm_publisher { inner }));
    // SAFETY: non-null (checked), valid for writes by the caller's contract.
    unsafe { out.write(handle) };
    Ok(RTSHM_OK)
}

/// Creates the named segment `name` (`/dev/shm/<name>`, mode 0600 unless `options` says) of
/// `kind` holding values of `type` with `capacity` slots (1 for a SeqLock; a power of two for
/// rings and time series), and claims it as its writer. `*out` receives the publisher.
///
/// `RTSHM_ERR_ALREADY_EXISTS` if the name is taken (see `rtshm_publisher_create_or_recover`
/// for a node that restarts), `RTSHM_ERR_INVALID_ARGUMENT` for a bad field table (named).
///
/// ```c
/// rtshm_publisher *pub = NULL;
/// if (rtshm_publisher_create("imu", RTSHM_SEQLOCK, &IMU, 1, NULL, &pub) != RTSHM_OK)
///     fprintf(stderr, "%s\n", rtshm_last_error());
/// ```
///
/// # Safety
/// `name` is a NUL-terminated string; `type` a valid table; `options` null or valid; `out`
/// valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_publisher_create(
    name: *const c_char,
    kind: rtshm_kind,
    r#type: *const rtshm_type,
    capacity: usize,
    options: *const rtshm_create_options,
    out: *mut *mut rtshm_publisher,
) -> rtshm_status {
    run(|| {
        // SAFETY: the caller's contract.
        let name = unsafe { text(name, "name") }?;
        // SAFETY: the caller's contract.
        unsafe { create(Place::Name(name), kind, r#type, capacity, options, out) }
    })
}

/// Like `rtshm_publisher_create`, but a segment of that name whose writer died is taken over
/// (its values kept; it must have `capacity` slots), and one a creator left half-initialized
/// is replaced: how a node that may be restarted creates its segment. A live writer gives
/// `RTSHM_ERR_WRITER_ALIVE`.
///
/// # Safety
/// As `rtshm_publisher_create`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_publisher_create_or_recover(
    name: *const c_char,
    kind: rtshm_kind,
    r#type: *const rtshm_type,
    capacity: usize,
    options: *const rtshm_create_options,
    out: *mut *mut rtshm_publisher,
) -> rtshm_status {
    run(|| {
        // SAFETY: the caller's contract.
        let name = unsafe { text(name, "name") }?;
        // SAFETY: the caller's contract.
        unsafe { create(Place::Recover(name), kind, r#type, capacity, options, out) }
    })
}

/// Like `rtshm_publisher_create`, backed by the file at `path` (which must not exist;
/// symlinks are refused): a segment that survives reboots, for a flight recorder.
///
/// # Safety
/// As `rtshm_publisher_create`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_publisher_create_file(
    path: *const c_char,
    kind: rtshm_kind,
    r#type: *const rtshm_type,
    capacity: usize,
    options: *const rtshm_create_options,
    out: *mut *mut rtshm_publisher,
) -> rtshm_status {
    run(|| {
        // SAFETY: the caller's contract.
        let path = unsafe { text(path, "path") }?;
        // SAFETY: the caller's contract.
        unsafe { create(Place::File(path), kind, r#type, capacity, options, out) }
    })
}

/// Like `rtshm_publisher_create`, without a name (`memfd_create`, `label` shows in `/proc`):
/// readers get the segment through a descriptor from `rtshm_publisher_share_fd`, passed to a
/// child process or over a Unix socket.
///
/// # Safety
/// As `rtshm_publisher_create`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_publisher_create_memfd(
    label: *const c_char,
    kind: rtshm_kind,
    r#type: *const rtshm_type,
    capacity: usize,
    options: *const rtshm_create_options,
    out: *mut *mut rtshm_publisher,
) -> rtshm_status {
    run(|| {
        // SAFETY: the caller's contract.
        let label = unsafe { text(label, "label") }?;
        // SAFETY: the caller's contract.
        unsafe { create(Place::Memfd(label), kind, r#type, capacity, options, out) }
    })
}

/// Takes over the named segment from a writer that died or exited (its values and counts
/// kept): `RTSHM_ERR_WRITER_ALIVE` while the writer lives.
///
/// # Safety
/// As `rtshm_publisher_create`, with `options` an `rtshm_open_options` (or null).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_publisher_open_existing(
    name: *const c_char,
    kind: rtshm_kind,
    r#type: *const rtshm_type,
    options: *const rtshm_open_options,
    out: *mut *mut rtshm_publisher,
) -> rtshm_status {
    run(|| {
        if out.is_null() {
            return Err(Failure::invalid("out is NULL"));
        }
        // SAFETY: the caller's contract.
        let name = unsafe { text(name, "name") }?;
        // SAFETY: the caller's contract.
        let ty = unsafe { raw_type(kind, r#type) }?;
        // SAFETY: the caller's contract.
        let config = unsafe { open_config(options) };
        let inner = RawPublisher::open_existing(name, &ty, config).map_err(takeover_error)?;
        // SAFETY: non-null (checked), valid for writes by the caller's contract.
        unsafe { out.write(Box::into_raw(Box::new(rtshm_publisher { inner }))) };
        Ok(RTSHM_OK)
    })
}

/// Releases the publisher: the segment is unlinked if this publisher created it and did not
/// persist it; readers that have it open keep reading what it holds. NULL is ignored.
///
/// # Safety
/// `publisher` is null or a publisher not yet closed; it is invalid afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_publisher_close(publisher: *mut rtshm_publisher) {
    if !publisher.is_null() {
        // SAFETY: made by `Box::into_raw` in a create function, not closed yet (contract).
        drop(unsafe { Box::from_raw(publisher) });
    }
}

/// Runs `f` on the publisher behind `p`.
///
/// # Safety
/// `p` is null or a live publisher used by no other thread during the call.
unsafe fn with(
    p: *mut rtshm_publisher,
    f: impl FnOnce(&mut RawPublisher) -> Outcome,
) -> rtshm_status {
    run(|| {
        // SAFETY: the caller's contract.
        let publisher = unsafe { handle_mut(p, "publisher") }?;
        f(&mut publisher.inner)
    })
}

/// Stores `value` (`len` bytes: the type's size) into a SeqLock segment; `*version` (if not
/// NULL) receives the number of stores so far. Never blocks; no allocation, no syscall unless
/// a reader waits.
///
/// # Safety
/// `publisher` is a live publisher; `value` points to `len` readable bytes; `version` is null
/// or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_publisher_store(
    publisher: *mut rtshm_publisher,
    value: *const c_void,
    len: usize,
    version: *mut u64,
) -> rtshm_status {
    // SAFETY: the caller's contract.
    unsafe {
        with(publisher, |p| {
            let bytes = input(value, len, p.geometry().value_size, "value")?;
            let v = p.store(bytes).map_err(raw_error)?;
            put(version, v.get());
            Ok(RTSHM_OK)
        })
    }
}

/// Appends `value` to a Ring segment; `*number` (if not NULL) receives its write number
/// (0, 1, 2...). Never blocks: the oldest value is overwritten when the ring is full.
///
/// # Safety
/// As `rtshm_publisher_store`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_publisher_push(
    publisher: *mut rtshm_publisher,
    value: *const c_void,
    len: usize,
    number: *mut u64,
) -> rtshm_status {
    // SAFETY: the caller's contract.
    unsafe {
        with(publisher, |p| {
            let bytes = input(value, len, p.geometry().value_size, "value")?;
            put(number, p.push(bytes).map_err(raw_error)?);
            Ok(RTSHM_OK)
        })
    }
}

/// Appends `value` stamped `stamp_ns` (nanoseconds of the segment's clock; see
/// `rtshm_now_ns`) with the sequence number `seq` to a TimeSeries segment; a stamp earlier
/// than the last one is refused (`RTSHM_ERR_NON_MONOTONIC`).
///
/// # Safety
/// As `rtshm_publisher_store`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_publisher_push_stamped(
    publisher: *mut rtshm_publisher,
    stamp_ns: u64,
    seq: u64,
    value: *const c_void,
    len: usize,
    number: *mut u64,
) -> rtshm_status {
    // SAFETY: the caller's contract.
    unsafe {
        with(publisher, |p| {
            let bytes = input(value, len, p.geometry().value_size, "value")?;
            let n = p
                .push_stamped(Timestamp::from_nanos(stamp_ns), seq, bytes)
                .map_err(raw_error)?;
            put(number, n);
            Ok(RTSHM_OK)
        })
    }
}

/// Refreshes the writer's heartbeat (stores refresh it themselves): a writer that publishes
/// rarely calls this more often than its readers' staleness threshold.
///
/// # Safety
/// `publisher` is a live publisher.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_publisher_heartbeat(
    publisher: *mut rtshm_publisher,
) -> rtshm_status {
    // SAFETY: the caller's contract.
    unsafe {
        with(publisher, |p| {
            p.heartbeat();
            Ok(RTSHM_OK)
        })
    }
}

/// Keeps the segment after the publisher is closed (for readers that start later, or a
/// restarted writer); remove it with `rtshm_remove`.
///
/// # Safety
/// `publisher` is a live publisher.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_publisher_persist(publisher: *mut rtshm_publisher) -> rtshm_status {
    // SAFETY: the caller's contract.
    unsafe {
        with(publisher, |p| {
            p.persist();
            Ok(RTSHM_OK)
        })
    }
}

/// A new descriptor of the segment (close-on-exec; the caller closes it), for
/// `rtshm_subscriber_open_fd` in this or another process.
///
/// # Safety
/// `publisher` is a live publisher; `fd` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_publisher_share_fd(
    publisher: *mut rtshm_publisher,
    fd: *mut c_int,
) -> rtshm_status {
    // SAFETY: the caller's contract.
    unsafe {
        with(publisher, |p| {
            if fd.is_null() {
                return Err(Failure::invalid("fd is NULL"));
            }
            let shared = p
                .share_fd()
                .map_err(|e| Failure::new(rtshm_status::RTSHM_ERR_IO, e.to_string()))?;
            put(fd, shared.into_raw_fd());
            Ok(RTSHM_OK)
        })
    }
}

/// The size of the segment's values (the `len` that store and push take); 0 for NULL.
///
/// # Safety
/// `publisher` is null or a live publisher.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_publisher_value_size(publisher: *const rtshm_publisher) -> usize {
    // SAFETY: the caller's contract.
    unsafe { handle(publisher, "publisher") }.map_or(0, |p| p.inner.geometry().value_size)
}

/// The number of values written so far (stores of a SeqLock; the next write number of a
/// ring or time series); 0 for NULL.
///
/// # Safety
/// `publisher` is null or a live publisher.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_publisher_written(publisher: *const rtshm_publisher) -> u64 {
    // SAFETY: the caller's contract.
    unsafe { handle(publisher, "publisher") }.map_or(0, |p| p.inner.written())
}

/// How many times the segment was taken over from a dead writer; 0 for NULL.
///
/// # Safety
/// `publisher` is null or a live publisher.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_publisher_epoch(publisher: *const rtshm_publisher) -> u64 {
    // SAFETY: the caller's contract.
    unsafe { handle(publisher, "publisher") }.map_or(0, |p| p.inner.epoch())
}

/// The clock stamps default to (`CLOCK_MONOTONIC`), now, in nanoseconds.
#[unsafe(no_mangle)]
pub extern "C" fn rtshm_now_ns() -> u64 {
    Timestamp::now().as_nanos()
}
