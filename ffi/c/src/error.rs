//! Status codes, the calling thread's last error message, and the checks every function does
//! on what C hands it.

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};

use rtshm::layout::LayoutError;
use rtshm::shm::{CreateError, OpenError, RawError, TakeoverError};
use rtshm::{GetError, InterpolationError};

/// What a call did. `RTSHM_OK` and the four codes after it are outcomes, not errors (no
/// message is kept); the `RTSHM_ERR_*` codes are errors, described by `rtshm_last_error()`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(
    clippy::exhaustive_enums,
    reason = "a C enum: new codes are added at the end, which C handles as an int"
)]
pub enum rtshm_status {
    /// Done.
    RTSHM_OK = 0,
    /// Nothing to read: nothing written yet, no new value for a cursor, no sample near the
    /// time asked, an empty time series.
    RTSHM_NOTHING = 1,
    /// A wait's timeout passed.
    RTSHM_TIMED_OUT = 2,
    /// The writer overwrote values before this cursor read them: the cursor's `missed` counts
    /// them and it moved to the oldest value held; call again to read it.
    RTSHM_LAPPED = 3,
    /// The writer kept changing the value during the read's bounded retries (a writer storing
    /// faster than the copy, or one that died mid-store); try again.
    RTSHM_BUSY = 4,
    /// A null pointer, a value of the wrong size, an unknown kind, an invalid field table,
    /// a string that is not UTF-8...
    RTSHM_ERR_INVALID_ARGUMENT = 16,
    /// The segment name is not valid (`/dev/shm` names: no `/`, at most 255 bytes).
    RTSHM_ERR_INVALID_NAME = 17,
    /// No segment of that name (or at that path) exists.
    RTSHM_ERR_NOT_FOUND = 18,
    /// A segment of that name already exists.
    RTSHM_ERR_ALREADY_EXISTS = 19,
    /// The file's permissions do not allow it.
    RTSHM_ERR_PERMISSION_DENIED = 20,
    /// The file is not an rtshm segment, is corrupt, or was written by another format version.
    RTSHM_ERR_INVALID_SEGMENT = 21,
    /// The segment holds another structure (a Ring opened as a SeqLock...).
    RTSHM_ERR_KIND_MISMATCH = 22,
    /// The segment's values are of another type: the message names the first field that
    /// differs.
    RTSHM_ERR_TYPE_MISMATCH = 23,
    /// The segment's writer is alive (a takeover was refused).
    RTSHM_ERR_WRITER_ALIVE = 24,
    /// The value asked for was overwritten (older than the ring holds).
    RTSHM_ERR_OVERWRITTEN = 25,
    /// The value asked for is not written yet.
    RTSHM_ERR_NOT_YET = 26,
    /// A time-series stamp is earlier than the last one pushed.
    RTSHM_ERR_NON_MONOTONIC = 27,
    /// The time asked for is outside the time series' samples.
    RTSHM_ERR_OUT_OF_RANGE = 28,
    /// The system refused (out of memory or space in `/dev/shm`, another I/O error).
    RTSHM_ERR_IO = 29,
    /// A bug in rtshm (a panic caught at the C boundary): please report it with the message.
    RTSHM_ERR_INTERNAL = 30,
}

use rtshm_status::*;

/// The constant name of `status` (`"RTSHM_ERR_NOT_FOUND"`), or `"RTSHM_UNKNOWN"` for a number
/// that is no status. The string is static.
#[unsafe(no_mangle)]
pub extern "C" fn rtshm_status_name(status: c_int) -> *const c_char {
    let known = [
        RTSHM_OK,
        RTSHM_NOTHING,
        RTSHM_TIMED_OUT,
        RTSHM_LAPPED,
        RTSHM_BUSY,
        RTSHM_ERR_INVALID_ARGUMENT,
        RTSHM_ERR_INVALID_NAME,
        RTSHM_ERR_NOT_FOUND,
        RTSHM_ERR_ALREADY_EXISTS,
        RTSHM_ERR_PERMISSION_DENIED,
        RTSHM_ERR_INVALID_SEGMENT,
        RTSHM_ERR_KIND_MISMATCH,
        RTSHM_ERR_TYPE_MISMATCH,
        RTSHM_ERR_WRITER_ALIVE,
        RTSHM_ERR_OVERWRITTEN,
        RTSHM_ERR_NOT_YET,
        RTSHM_ERR_NON_MONOTONIC,
        RTSHM_ERR_OUT_OF_RANGE,
        RTSHM_ERR_IO,
        RTSHM_ERR_INTERNAL,
    ];
    // A C int may hold any number: only a known code becomes the enum.
    let Some(&status) = known.iter().find(|&&s| s as c_int == status) else {
        return c"RTSHM_UNKNOWN".as_ptr();
    };
    let name: &'static CStr = match status {
        RTSHM_OK => c"RTSHM_OK",
        RTSHM_NOTHING => c"RTSHM_NOTHING",
        RTSHM_TIMED_OUT => c"RTSHM_TIMED_OUT",
        RTSHM_LAPPED => c"RTSHM_LAPPED",
        RTSHM_BUSY => c"RTSHM_BUSY",
        RTSHM_ERR_INVALID_ARGUMENT => c"RTSHM_ERR_INVALID_ARGUMENT",
        RTSHM_ERR_INVALID_NAME => c"RTSHM_ERR_INVALID_NAME",
        RTSHM_ERR_NOT_FOUND => c"RTSHM_ERR_NOT_FOUND",
        RTSHM_ERR_ALREADY_EXISTS => c"RTSHM_ERR_ALREADY_EXISTS",
        RTSHM_ERR_PERMISSION_DENIED => c"RTSHM_ERR_PERMISSION_DENIED",
        RTSHM_ERR_INVALID_SEGMENT => c"RTSHM_ERR_INVALID_SEGMENT",
        RTSHM_ERR_KIND_MISMATCH => c"RTSHM_ERR_KIND_MISMATCH",
        RTSHM_ERR_TYPE_MISMATCH => c"RTSHM_ERR_TYPE_MISMATCH",
        RTSHM_ERR_WRITER_ALIVE => c"RTSHM_ERR_WRITER_ALIVE",
        RTSHM_ERR_OVERWRITTEN => c"RTSHM_ERR_OVERWRITTEN",
        RTSHM_ERR_NOT_YET => c"RTSHM_ERR_NOT_YET",
        RTSHM_ERR_NON_MONOTONIC => c"RTSHM_ERR_NON_MONOTONIC",
        RTSHM_ERR_OUT_OF_RANGE => c"RTSHM_ERR_OUT_OF_RANGE",
        RTSHM_ERR_IO => c"RTSHM_ERR_IO",
        RTSHM_ERR_INTERNAL => c"RTSHM_ERR_INTERNAL",
    };
    name.as_ptr()
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Why an error call failed (`""` if no call on this thread has failed), in English, naming
/// what was wrong (`the segment's schema differs: field `accel`: ...`). The string belongs to
/// the thread and stays valid until the thread's next failing call; copy it to keep it.
#[unsafe(no_mangle)]
pub extern "C" fn rtshm_last_error() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

/// An error: its code and its message.
#[derive(Debug)]
pub(crate) struct Failure {
    status: rtshm_status,
    message: String,
}

impl Failure {
    pub(crate) fn new(status: rtshm_status, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(RTSHM_ERR_INVALID_ARGUMENT, message)
    }
}

pub(crate) type Outcome = Result<rtshm_status, Failure>;

/// Runs the body of a C function: an error's message is kept for `rtshm_last_error()`, a
/// panic becomes `RTSHM_ERR_INTERNAL`.
pub(crate) fn run(body: impl FnOnce() -> Outcome) -> rtshm_status {
    let failure = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(status)) => return status,
        Ok(Err(failure)) => failure,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Failure::new(RTSHM_ERR_INTERNAL, format!("rtshm panicked: {what}"))
        }
    };
    let message = CString::new(failure.message.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = message);
    failure.status
}

// ---- what C hands us ---------------------------------------------------------------------

/// The handle behind `p`, or an error naming `what` if it is null.
///
/// # Safety
/// `p` is null or points to a live `T` that nothing else uses during the call.
pub(crate) unsafe fn handle<'a, T>(p: *const T, what: &str) -> Result<&'a T, Failure> {
    // SAFETY: the caller's contract.
    unsafe { p.as_ref() }.ok_or_else(|| Failure::invalid(format!("{what} is NULL")))
}

/// [`handle`], for a call that changes the handle.
///
/// # Safety
/// `p` is null or points to a live `T` that nothing else uses during the call.
pub(crate) unsafe fn handle_mut<'a, T>(p: *mut T, what: &str) -> Result<&'a mut T, Failure> {
    // SAFETY: the caller's contract.
    unsafe { p.as_mut() }.ok_or_else(|| Failure::invalid(format!("{what} is NULL")))
}

/// The UTF-8 string at `p`.
///
/// # Safety
/// `p` is null or points to a NUL-terminated string that lives through the call.
pub(crate) unsafe fn text<'a>(p: *const c_char, what: &str) -> Result<&'a str, Failure> {
    if p.is_null() {
        return Err(Failure::invalid(format!("{what} is NULL")));
    }
    // SAFETY: non-null, and NUL-terminated by the caller's contract.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str()
        .map_err(|_| Failure::invalid(format!("{what} is not UTF-8")))
}

/// The `len` bytes at `p`, which must be exactly `expected` bytes long.
///
/// # Safety
/// `p` points to `len` readable bytes that nobody writes during the call (or is null).
pub(crate) unsafe fn input<'a>(
    p: *const c_void,
    len: usize,
    expected: usize,
    what: &str,
) -> Result<&'a [u8], Failure> {
    check_len(p.is_null(), len, expected, what)?;
    // SAFETY: non-null (checked) and `len` readable bytes by the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) })
}

/// The `len` bytes at `p` to write, which must be exactly `expected` bytes long.
///
/// # Safety
/// `p` points to `len` writable bytes that nothing else reads or writes during the call (or
/// is null).
pub(crate) unsafe fn output<'a>(
    p: *mut c_void,
    len: usize,
    expected: usize,
    what: &str,
) -> Result<&'a mut [u8], Failure> {
    check_len(p.is_null(), len, expected, what)?;
    // SAFETY: non-null (checked) and `len` writable, unaliased bytes by the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts_mut(p.cast::<u8>(), len) })
}

fn check_len(null: bool, len: usize, expected: usize, what: &str) -> Result<(), Failure> {
    if null {
        return Err(Failure::invalid(format!("{what} is NULL")));
    }
    if len != expected {
        return Err(Failure::invalid(format!(
            "{what} is {len} bytes; the segment's are {expected} bytes (is it the segment's \
             type?)"
        )));
    }
    Ok(())
}

/// Writes `value` to `out` unless `out` is null (an optional out-parameter).
///
/// # Safety
/// `out` is null or valid for a write of `T`.
pub(crate) unsafe fn put<T>(out: *mut T, value: T) {
    if !out.is_null() {
        // SAFETY: non-null and valid for writes by the caller's contract.
        unsafe { out.write(value) };
    }
}

// ---- errors of the Rust API --------------------------------------------------------------

pub(crate) fn layout_error(e: LayoutError) -> Failure {
    let status = match e {
        LayoutError::KindMismatch { .. } => RTSHM_ERR_KIND_MISMATCH,
        LayoutError::TypeMismatch { .. } | LayoutError::PayloadMismatch { .. } => {
            RTSHM_ERR_TYPE_MISMATCH
        }
        _ => RTSHM_ERR_INVALID_SEGMENT,
    };
    Failure::new(status, e.to_string())
}

pub(crate) fn open_error(e: OpenError) -> Failure {
    let message = e.to_string();
    let status = match e {
        OpenError::NotFound => RTSHM_ERR_NOT_FOUND,
        OpenError::PermissionDenied | OpenError::NeedsWriteAccess => RTSHM_ERR_PERMISSION_DENIED,
        OpenError::InvalidName(_) => RTSHM_ERR_INVALID_NAME,
        OpenError::Invalid(e) => return layout_error(e),
        OpenError::SchemaMismatch(_) => RTSHM_ERR_TYPE_MISMATCH,
        OpenError::NotAFile { .. } => RTSHM_ERR_INVALID_SEGMENT,
        OpenError::Schema(_) => RTSHM_ERR_INVALID_ARGUMENT,
        _ => RTSHM_ERR_IO,
    };
    Failure::new(status, message)
}

pub(crate) fn create_error(e: CreateError) -> Failure {
    let message = e.to_string();
    let status = match e {
        CreateError::AlreadyExists => RTSHM_ERR_ALREADY_EXISTS,
        CreateError::PermissionDenied => RTSHM_ERR_PERMISSION_DENIED,
        CreateError::InvalidName(_) => RTSHM_ERR_INVALID_NAME,
        CreateError::Layout(_) | CreateError::Schema(_) | CreateError::InvalidMode { .. } => {
            RTSHM_ERR_INVALID_ARGUMENT
        }
        _ => RTSHM_ERR_IO,
    };
    Failure::new(status, message)
}

pub(crate) fn takeover_error(e: TakeoverError) -> Failure {
    match e {
        TakeoverError::Create(e) => create_error(e),
        TakeoverError::Open(e) => open_error(e),
        TakeoverError::WriterAlive { .. } | TakeoverError::WriterUnknown { .. } => {
            Failure::new(RTSHM_ERR_WRITER_ALIVE, e.to_string())
        }
        e => Failure::invalid(e.to_string()),
    }
}

pub(crate) fn raw_error(e: RawError) -> Failure {
    match e {
        RawError::NonMonotonic(_) => Failure::new(RTSHM_ERR_NON_MONOTONIC, e.to_string()),
        RawError::Kind { .. } => Failure::new(RTSHM_ERR_KIND_MISMATCH, e.to_string()),
        e => Failure::invalid(e.to_string()),
    }
}

pub(crate) fn get_error(e: GetError) -> Outcome {
    match e {
        GetError::Busy => Ok(RTSHM_BUSY),
        GetError::Overwritten { .. } => Err(Failure::new(RTSHM_ERR_OVERWRITTEN, e.to_string())),
        e => Err(Failure::new(RTSHM_ERR_NOT_YET, e.to_string())),
    }
}

pub(crate) fn interpolation_error(e: InterpolationError) -> Outcome {
    match e {
        InterpolationError::Empty => Ok(RTSHM_NOTHING),
        InterpolationError::OutOfRange { .. } => {
            Err(Failure::new(RTSHM_ERR_OUT_OF_RANGE, e.to_string()))
        }
        _ => Ok(RTSHM_BUSY),
    }
}
