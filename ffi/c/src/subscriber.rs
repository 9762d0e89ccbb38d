//! `rtshm_subscriber`: a reader of a segment, and its cursors, waits and time queries.

use std::ffi::{c_char, c_int, c_void};
use std::os::fd::{BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use rtshm::layout::Kind;
use rtshm::liveness::WriterStatus;
use rtshm::shm::{Inspector, OpenConfig, RawType};
use rtshm::{Busy, Timestamp};

use crate::error::{
    Failure, Outcome, get_error, handle, interpolation_error, open_error, output, put,
    rtshm_status::{self, RTSHM_BUSY, RTSHM_LAPPED, RTSHM_NOTHING, RTSHM_OK, RTSHM_TIMED_OUT},
    run, text,
};
use crate::publisher::{open_config, rtshm_open_options};
use crate::types::{kind_code, raw_type, rtshm_kind, rtshm_type};

/// A reader of a segment, opened by `rtshm_subscriber_open*` and released by
/// `rtshm_subscriber_close`. It maps the data read-only and never writes the values.
///
/// Thread safety: every function takes the subscriber `const`, and any number of threads may
/// call them at once (one may wait while others read); each cursor is used by one thread at
/// a time.
#[derive(Debug)]
pub struct rtshm_subscriber {
    inner: Inspector,
}

/// A reader's place in a ring or time series: the write number it reads next, and how many
/// values it missed because the writer overwrote them first. Plain data, owned by the caller;
/// start one with `rtshm_subscriber_cursor`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
#[allow(
    clippy::exhaustive_structs,
    reason = "a C struct: its layout is the ABI"
)]
pub struct rtshm_cursor {
    /// The write number read next.
    pub position: u64,
    /// Values overwritten before this cursor read them.
    pub missed: u64,
}

/// A cursor at the oldest value held.
pub const RTSHM_FROM_OLDEST: u32 = 0;
/// A cursor at the newest value written (it reads that one first).
pub const RTSHM_FROM_NEWEST: u32 = 1;
/// A cursor at the next value to be written (it reads only what comes after now).
pub const RTSHM_FROM_NEXT: u32 = 2;

/// The writer runs and refreshed its heartbeat within the threshold.
pub const RTSHM_WRITER_ALIVE: u32 = 0;
/// The writer runs but has not refreshed its heartbeat within the threshold.
pub const RTSHM_WRITER_STALE: u32 = 1;
/// The writer process is gone: a new publisher may take the segment over.
pub const RTSHM_WRITER_DEAD: u32 = 2;
/// The writer cannot be checked from here (another PID namespace); `age_ns` is the evidence.
pub const RTSHM_WRITER_UNKNOWN: u32 = 3;
/// No writer owns the segment (it exited cleanly).
pub const RTSHM_WRITER_UNOWNED: u32 = 4;

/// The liveness of a segment's writer.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
#[allow(
    clippy::exhaustive_structs,
    reason = "a C struct: its layout is the ABI"
)]
pub struct rtshm_writer_status {
    /// `RTSHM_WRITER_ALIVE`, `_STALE`, `_DEAD`, `_UNKNOWN` or `_UNOWNED`.
    pub state: u32,
    /// The writer's process id, 0 if none.
    pub pid: i32,
    /// Time since the last heartbeat (0 when dead or unowned).
    pub age_ns: u64,
}

/// The common end of the open functions.
fn opened(inner: Inspector, out: *mut *mut rtshm_subscriber) -> Outcome {
    let handle = Box::into_raw(Box::new(rtshm_subscriber { inner }));
    // SAFETY: `out` was checked non-null by the caller of this function and is valid for a
    // write by the C caller's contract.
    unsafe { out.write(handle) };
    Ok(RTSHM_OK)
}

/// The arguments every open takes.
///
/// # Safety
/// As `rtshm_subscriber_open`.
unsafe fn prepare(
    kind: rtshm_kind,
    ty: *const rtshm_type,
    options: *const rtshm_open_options,
    out: *mut *mut rtshm_subscriber,
) -> Result<(RawType, OpenConfig), Failure> {
    if out.is_null() {
        return Err(Failure::invalid("out is NULL"));
    }
    // SAFETY: the caller's contract.
    let ty = unsafe { raw_type(kind, ty) }?;
    // SAFETY: the caller's contract.
    Ok((ty, unsafe { open_config(options) }))
}

/// Opens the named segment as a reader of `kind` holding values of `type`: the header is
/// validated and the schema compared with `type`. A difference is `RTSHM_ERR_TYPE_MISMATCH`
/// (or `RTSHM_ERR_KIND_MISMATCH`) and `rtshm_last_error()` names
/// the first field that differs. `options->wait_for_creation_ns` waits for a publisher that
/// starts later.
///
/// ```c
/// rtshm_subscriber *sub = NULL;
/// rtshm_open_options o = {0};
/// o.wait_for_creation_ns = 5000000000; /* 5 s */
/// if (rtshm_subscriber_open("imu", RTSHM_SEQLOCK, &IMU, &o, &sub) != RTSHM_OK)
///     fprintf(stderr, "%s\n", rtshm_last_error());
/// ```
///
/// # Safety
/// `name` is a NUL-terminated string; `type` a valid table; `options` null or valid; `out`
/// valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_subscriber_open(
    name: *const c_char,
    kind: rtshm_kind,
    r#type: *const rtshm_type,
    options: *const rtshm_open_options,
    out: *mut *mut rtshm_subscriber,
) -> rtshm_status {
    run(|| {
        // SAFETY: the caller's contract.
        let name = unsafe { text(name, "name") }?;
        // SAFETY: the caller's contract.
        let (ty, config) = unsafe { prepare(kind, r#type, options, out) }?;
        opened(
            Inspector::open_as(name, &ty, config).map_err(open_error)?,
            out,
        )
    })
}

/// Like `rtshm_subscriber_open`, for a file-backed segment at `path` (symlinks refused).
///
/// # Safety
/// As `rtshm_subscriber_open`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_subscriber_open_file(
    path: *const c_char,
    kind: rtshm_kind,
    r#type: *const rtshm_type,
    options: *const rtshm_open_options,
    out: *mut *mut rtshm_subscriber,
) -> rtshm_status {
    run(|| {
        // SAFETY: the caller's contract.
        let path = unsafe { text(path, "path") }?;
        // SAFETY: the caller's contract.
        let (ty, config) = unsafe { prepare(kind, r#type, options, out) }?;
        opened(
            Inspector::open_file_as(path, &ty, config).map_err(open_error)?,
            out,
        )
    })
}

/// Like `rtshm_subscriber_open`, for the segment behind the descriptor `fd` (a memfd from
/// `rtshm_publisher_share_fd`). The descriptor stays the caller's: the subscriber keeps a
/// duplicate.
///
/// # Safety
/// As `rtshm_subscriber_open`; `fd` is an open descriptor for the duration of the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_subscriber_open_fd(
    fd: c_int,
    kind: rtshm_kind,
    r#type: *const rtshm_type,
    options: *const rtshm_open_options,
    out: *mut *mut rtshm_subscriber,
) -> rtshm_status {
    run(|| {
        if fd < 0 {
            return Err(Failure::invalid(format!("fd {fd} is not a descriptor")));
        }
        // SAFETY: the caller's contract.
        let (ty, config) = unsafe { prepare(kind, r#type, options, out) }?;
        // SAFETY: `fd` is open for the duration of the call (the caller's contract); it is
        // only duplicated here.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let owned: OwnedFd = borrowed
            .try_clone_to_owned()
            .map_err(|e| Failure::new(rtshm_status::RTSHM_ERR_IO, e.to_string()))?;
        opened(
            Inspector::from_fd_as(owned, &ty, config).map_err(open_error)?,
            out,
        )
    })
}

/// Releases the subscriber (never the segment). NULL is ignored.
///
/// # Safety
/// `subscriber` is null or a subscriber not yet closed, used by no other thread; it is
/// invalid afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_subscriber_close(subscriber: *mut rtshm_subscriber) {
    if !subscriber.is_null() {
        // SAFETY: made by `Box::into_raw` in an open function, not closed yet (contract).
        drop(unsafe { Box::from_raw(subscriber) });
    }
}

/// The subscriber behind `s`, if any.
///
/// # Safety
/// `s` is null or a live subscriber.
unsafe fn get<'a>(s: *const rtshm_subscriber) -> Option<&'a Inspector> {
    // SAFETY: the caller's contract.
    unsafe { s.as_ref() }.map(|s| &s.inner)
}

/// Runs `f` on the subscriber behind `s`.
///
/// # Safety
/// `s` is null or a live subscriber.
unsafe fn with(s: *const rtshm_subscriber, f: impl FnOnce(&Inspector) -> Outcome) -> rtshm_status {
    run(|| {
        // SAFETY: the caller's contract.
        let subscriber = unsafe { handle(s, "subscriber") }?;
        f(&subscriber.inner)
    })
}

/// The size of what reads return: the value's size, or for a time series the record's
/// (`stamp_ns`, `seq`, value, padding). 0 for NULL.
///
/// # Safety
/// `subscriber` is null or a live subscriber.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_subscriber_record_size(
    subscriber: *const rtshm_subscriber,
) -> usize {
    // SAFETY: the caller's contract.
    unsafe { get(subscriber) }.map_or(0, |s| s.geometry().payload_size)
}

/// Where the value starts in a record (16 in a time series record for values aligned to at
/// most 16; 0 for other kinds).
///
/// # Safety
/// `subscriber` is null or a live subscriber.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_subscriber_value_offset(
    subscriber: *const rtshm_subscriber,
) -> usize {
    // SAFETY: the caller's contract.
    unsafe { get(subscriber) }.map_or(0, |s| match s.kind() {
        Kind::TimeSeries => s.geometry().stamped_value_at(),
        _ => 0,
    })
}

/// The number of slots (1 for a SeqLock); 0 for NULL.
///
/// # Safety
/// `subscriber` is null or a live subscriber.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_subscriber_capacity(subscriber: *const rtshm_subscriber) -> usize {
    // SAFETY: the caller's contract.
    unsafe { get(subscriber) }.map_or(0, |s| s.geometry().capacity)
}

/// The segment's kind (`RTSHM_SEQLOCK`, ...); `UINT32_MAX` for NULL.
///
/// # Safety
/// `subscriber` is null or a live subscriber.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_subscriber_kind(subscriber: *const rtshm_subscriber) -> rtshm_kind {
    // SAFETY: the caller's contract.
    unsafe { get(subscriber) }.map_or(u32::MAX, |s| kind_code(s.kind()))
}

/// The number of values written so far (stores of a SeqLock; the next write number of a
/// ring or time series); 0 for NULL.
///
/// # Safety
/// `subscriber` is null or a live subscriber.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_subscriber_written(subscriber: *const rtshm_subscriber) -> u64 {
    // SAFETY: the caller's contract.
    unsafe { get(subscriber) }.map_or(0, Inspector::written)
}

/// How many times the segment was taken over from a dead writer; 0 for NULL.
///
/// # Safety
/// `subscriber` is null or a live subscriber.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_subscriber_epoch(subscriber: *const rtshm_subscriber) -> u64 {
    // SAFETY: the caller's contract.
    unsafe { get(subscriber) }.map_or(0, Inspector::epoch)
}

/// Values lost before they reached this segment's writer (a bridge's imported copy); 0 for
/// NULL.
///
/// # Safety
/// `subscriber` is null or a live subscriber.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_subscriber_lost_upstream(
    subscriber: *const rtshm_subscriber,
) -> u64 {
    // SAFETY: the caller's contract.
    unsafe { get(subscriber) }.map_or(0, Inspector::lost_upstream)
}

/// Reads the latest value into `out` (`len` = the record size): a SeqLock's current value,
/// a ring's or time series' newest. `*number` (if not NULL) receives its write number (for a
/// SeqLock, the store's number from 0). `RTSHM_NOTHING` before the first write; `RTSHM_BUSY`
/// if the writer kept changing it (retry). Never blocks, never allocates.
///
/// # Safety
/// `subscriber` is a live subscriber; `out` points to `len` writable bytes; `number` is null
/// or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_subscriber_latest(
    subscriber: *const rtshm_subscriber,
    out: *mut c_void,
    len: usize,
    number: *mut u64,
) -> rtshm_status {
    // SAFETY: the caller's contract.
    unsafe {
        with(subscriber, |s| {
            let dst = output(out, len, s.geometry().payload_size, "out")?;
            Ok(match s.latest_into(dst) {
                Ok(Some(n)) => {
                    put(number, n);
                    RTSHM_OK
                }
                Ok(None) => RTSHM_NOTHING,
                Err(Busy) => RTSHM_BUSY,
            })
        })
    }
}

/// Reads the value of write number `number` into `out`: `RTSHM_ERR_OVERWRITTEN` if the ring
/// no longer holds it, `RTSHM_ERR_NOT_YET` if it is not written yet.
///
/// # Safety
/// As `rtshm_subscriber_latest`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_subscriber_get(
    subscriber: *const rtshm_subscriber,
    number: u64,
    out: *mut c_void,
    len: usize,
) -> rtshm_status {
    // SAFETY: the caller's contract.
    unsafe {
        with(subscriber, |s| {
            let dst = output(out, len, s.geometry().payload_size, "out")?;
            s.get_into(number, dst)
                .map_or_else(get_error, |()| Ok(RTSHM_OK))
        })
    }
}

/// A cursor `from` `RTSHM_FROM_OLDEST`, `RTSHM_FROM_NEWEST` or `RTSHM_FROM_NEXT` (any other
/// value: from next). A zero cursor for NULL.
///
/// # Safety
/// `subscriber` is null or a live subscriber.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_subscriber_cursor(
    subscriber: *const rtshm_subscriber,
    from: u32,
) -> rtshm_cursor {
    // SAFETY: the caller's contract.
    let Some(s) = (unsafe { get(subscriber) }) else {
        return rtshm_cursor::default();
    };
    let written = s.written();
    let position = match from {
        RTSHM_FROM_OLDEST => written.saturating_sub(s.geometry().capacity as u64),
        RTSHM_FROM_NEWEST => written.saturating_sub(1),
        _ => written,
    };
    rtshm_cursor {
        position,
        missed: 0,
    }
}

/// One step of a cursor: reads its next value into `out` and moves it on (`RTSHM_OK`,
/// `*number` = the write number read); `RTSHM_NOTHING` when nothing new was written;
/// `RTSHM_LAPPED` when the writer overwrote values first (added to `cursor->missed`; the
/// cursor moved to the oldest value held: call again). A SeqLock reads like a ring of one.
///
/// # Safety
/// As `rtshm_subscriber_latest`; `cursor` valid for reads and writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_subscriber_next(
    subscriber: *const rtshm_subscriber,
    cursor: *mut rtshm_cursor,
    out: *mut c_void,
    len: usize,
    number: *mut u64,
) -> rtshm_status {
    // SAFETY: the caller's contract.
    unsafe {
        with(subscriber, |s| {
            let cursor = cursor
                .as_mut()
                .ok_or_else(|| Failure::invalid("cursor is NULL"))?;
            let dst = output(out, len, s.geometry().payload_size, "out")?;
            Ok(step(s, cursor, dst, number))
        })
    }
}

/// One cursor step (see `rtshm_subscriber_next`).
///
/// # Safety
/// `number` is null or valid for a write.
unsafe fn step(
    s: &Inspector,
    cursor: &mut rtshm_cursor,
    dst: &mut [u8],
    number: *mut u64,
) -> rtshm_status {
    match s.next_into(&mut cursor.position, dst) {
        Ok(Some(n)) => {
            // SAFETY: the caller's contract.
            unsafe { put(number, n) };
            RTSHM_OK
        }
        Ok(None) => RTSHM_NOTHING,
        Err(lapped) => {
            cursor.missed += lapped.missed;
            RTSHM_LAPPED
        }
    }
}

/// `rtshm_subscriber_next` that sleeps (on the segment's futex, no polling) until a value
/// comes or `timeout_ns` passes (`RTSHM_TIMED_OUT`).
///
/// # Safety
/// As `rtshm_subscriber_next`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_subscriber_next_wait(
    subscriber: *const rtshm_subscriber,
    cursor: *mut rtshm_cursor,
    out: *mut c_void,
    len: usize,
    timeout_ns: u64,
    number: *mut u64,
) -> rtshm_status {
    // SAFETY: the caller's contract.
    unsafe {
        with(subscriber, |s| {
            let cursor = cursor
                .as_mut()
                .ok_or_else(|| Failure::invalid("cursor is NULL"))?;
            let dst = output(out, len, s.geometry().payload_size, "out")?;
            let deadline = Instant::now() + Duration::from_nanos(timeout_ns);
            loop {
                let status = step(s, cursor, dst, number);
                if status != RTSHM_NOTHING {
                    return Ok(status);
                }
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Ok(RTSHM_TIMED_OUT);
                }
                // Written past the cursor but not readable yet (a store in progress, or one a
                // dead writer left): yield rather than spin.
                if s.wait_beyond(cursor.position, left).is_some() && s.written() > cursor.position {
                    std::thread::yield_now();
                }
            }
        })
    }
}

/// Sleeps until more than `written` values were written (`*now` receives the new count) or
/// `timeout_ns` passes (`RTSHM_TIMED_OUT`). A SeqLock reader waits for a store newer than
/// the one it read with `written` = its store number + 1.
///
/// # Safety
/// `subscriber` is a live subscriber; `now` is null or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_subscriber_wait_beyond(
    subscriber: *const rtshm_subscriber,
    written: u64,
    timeout_ns: u64,
    now: *mut u64,
) -> rtshm_status {
    // SAFETY: the caller's contract.
    unsafe {
        with(subscriber, |s| {
            Ok(
                match s.wait_beyond(written, Duration::from_nanos(timeout_ns)) {
                    Some(n) => {
                        put(now, n);
                        RTSHM_OK
                    }
                    None => RTSHM_TIMED_OUT,
                },
            )
        })
    }
}

/// The time-series record stamped nearest to `t_ns`, if at most `max_distance_ns` away,
/// into `out` (the earlier on a tie); `RTSHM_NOTHING` if none is that close (or the segment
/// is not a time series).
///
/// # Safety
/// As `rtshm_subscriber_latest`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_subscriber_closest(
    subscriber: *const rtshm_subscriber,
    t_ns: u64,
    max_distance_ns: u64,
    out: *mut c_void,
    len: usize,
) -> rtshm_status {
    // SAFETY: the caller's contract.
    unsafe {
        with(subscriber, |s| {
            let dst = output(out, len, s.geometry().payload_size, "out")?;
            let t = Timestamp::from_nanos(t_ns);
            Ok(
                match s.closest_into(t, Duration::from_nanos(max_distance_ns), dst) {
                    Ok(true) => RTSHM_OK,
                    Ok(false) => RTSHM_NOTHING,
                    Err(Busy) => RTSHM_BUSY,
                },
            )
        })
    }
}

/// The two time-series records around `t_ns` into `before` and `after` (the same record on
/// an exact hit), and in `*alpha` how far `t_ns` lies from one to the other (0..1), for
/// interpolating between them. `RTSHM_NOTHING` for an empty series;
/// `RTSHM_ERR_OUT_OF_RANGE` when `t_ns` is before the oldest or after the newest stamp.
///
/// # Safety
/// As `rtshm_subscriber_latest`, for `before` and `after` (which must not overlap); `alpha`
/// null or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_subscriber_interpolation_pair(
    subscriber: *const rtshm_subscriber,
    t_ns: u64,
    before: *mut c_void,
    after: *mut c_void,
    len: usize,
    alpha: *mut f64,
) -> rtshm_status {
    // SAFETY: the caller's contract.
    unsafe {
        with(subscriber, |s| {
            let size = s.geometry().payload_size;
            if before.is_null() || after.is_null() {
                return Err(Failure::invalid("before or after is NULL"));
            }
            let (b, a) = (before as usize, after as usize);
            if b < a.saturating_add(len) && a < b.saturating_add(len) {
                return Err(Failure::invalid("before and after overlap"));
            }
            let before = output(before, len, size, "before")?;
            let after = output(after, len, size, "after")?;
            match s.interpolation_pair_into(Timestamp::from_nanos(t_ns), before, after) {
                Ok(a) => {
                    put(alpha, a);
                    Ok(RTSHM_OK)
                }
                Err(e) => interpolation_error(e),
            }
        })
    }
}

/// The time-series records stamped from `t0_ns` to `t1_ns` (both included), oldest first,
/// into `records`, an array of `max` records of `record_size` bytes each; `*count` receives
/// how many were written. Fewer than `max` means the window ended; exactly `max` may mean
/// more follow: call again from the last stamp + 1. A record the writer overwrote during the
/// call is skipped.
///
/// # Safety
/// `subscriber` is a live subscriber; `records` points to `max * record_size` writable bytes;
/// `count` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_subscriber_range(
    subscriber: *const rtshm_subscriber,
    t0_ns: u64,
    t1_ns: u64,
    records: *mut c_void,
    record_size: usize,
    max: usize,
    count: *mut usize,
) -> rtshm_status {
    // SAFETY: the caller's contract.
    unsafe {
        with(subscriber, |s| {
            if count.is_null() {
                return Err(Failure::invalid("count is NULL"));
            }
            put(count, 0);
            let size = s.geometry().payload_size;
            if record_size != size {
                return Err(Failure::invalid(format!(
                    "record_size is {record_size}; the segment's records are {size} bytes"
                )));
            }
            let total = size
                .checked_mul(max)
                .ok_or_else(|| Failure::invalid("max * record_size overflows"))?;
            if max == 0 || t0_ns > t1_ns || s.kind() != Kind::TimeSeries {
                return Ok(RTSHM_OK);
            }
            let all = output(records, total, total, "records")?;
            let Ok(mut position) = s.first_at(Timestamp::from_nanos(t0_ns)) else {
                return Ok(RTSHM_BUSY);
            };
            let mut n = 0;
            while n < max {
                let slot = &mut all[n * size..(n + 1) * size];
                match s.next_into(&mut position, slot) {
                    Ok(Some(_)) => {
                        let mut stamp = [0u8; 8];
                        stamp.copy_from_slice(&slot[..8]);
                        if u64::from_ne_bytes(stamp) > t1_ns {
                            break;
                        }
                        n += 1;
                    }
                    Ok(None) => break,
                    Err(_lapped) => {}
                }
            }
            put(count, n);
            Ok(RTSHM_OK)
        })
    }
}

/// The liveness of the segment's writer into `*status`: alive if its heartbeat is younger than
/// `threshold_ns`, stale if older, dead if its process is gone, unowned after a clean exit.
///
/// # Safety
/// `subscriber` is a live subscriber; `status` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_subscriber_writer_status(
    subscriber: *const rtshm_subscriber,
    threshold_ns: u64,
    status: *mut rtshm_writer_status,
) -> rtshm_status {
    // SAFETY: the caller's contract.
    unsafe {
        with(subscriber, |s| {
            if status.is_null() {
                return Err(Failure::invalid("status is NULL"));
            }
            let w = s.writer_status(Duration::from_nanos(threshold_ns));
            put(status, writer_status(w, s.writer_pid()));
            Ok(RTSHM_OK)
        })
    }
}

/// A writer status as C sees it.
pub(crate) fn writer_status(w: WriterStatus, pid: Option<i32>) -> rtshm_writer_status {
    let nanos = |age: Duration| u64::try_from(age.as_nanos()).unwrap_or(u64::MAX);
    let (state, age_ns) = match w {
        WriterStatus::Alive { age } => (RTSHM_WRITER_ALIVE, nanos(age)),
        WriterStatus::Stale { age } => (RTSHM_WRITER_STALE, nanos(age)),
        WriterStatus::Dead => (RTSHM_WRITER_DEAD, 0),
        WriterStatus::Unknown { age } => (RTSHM_WRITER_UNKNOWN, nanos(age)),
        _ => (RTSHM_WRITER_UNOWNED, 0),
    };
    rtshm_writer_status {
        state,
        pid: pid.unwrap_or(0),
        age_ns,
    }
}
