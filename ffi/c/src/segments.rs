//! The segments on this machine: list and remove.

use std::ffi::{CString, c_char, c_void};

use crate::error::{Failure, open_error, rtshm_status, run, text};
use crate::subscriber::{rtshm_writer_status, writer_status};
use crate::types::{kind_code, rtshm_kind};

/// One entry of `rtshm_list`. The strings live until the callback returns.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
#[allow(
    clippy::exhaustive_structs,
    reason = "a C struct: its layout is the ABI"
)]
pub struct rtshm_segment_info {
    /// The segment's name (in `/dev/shm`).
    pub name: *const c_char,
    /// Why the file is not a readable segment (NULL if it is; then the fields below are 0).
    pub error: *const c_char,
    /// `RTSHM_SEQLOCK`, `RTSHM_RING`, `RTSHM_TIMESERIES`, or another number for a kind this
    /// library does not read (a queue).
    pub kind: rtshm_kind,
    /// The size of a stored record.
    pub record_size: u32,
    /// Slots (1 for a SeqLock).
    pub capacity: u64,
    /// Values written.
    pub written: u64,
    /// The schema's fingerprint.
    pub fingerprint: u64,
    /// Takeovers from dead writers.
    pub epoch: u64,
    /// The writer's liveness (1 s staleness threshold).
    pub writer: rtshm_writer_status,
}

/// Calls `visit(info, context)` for every rtshm segment in `/dev/shm` (a file there that is
/// not a readable segment is listed with `error` set). `RTSHM_ERR_IO` if `/dev/shm` cannot
/// be read.
///
/// # Safety
/// `visit` is a valid function; `context` is passed to it untouched.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_list(
    visit: Option<unsafe extern "C" fn(info: *const rtshm_segment_info, context: *mut c_void)>,
    context: *mut c_void,
) -> rtshm_status {
    run(|| {
        let visit = visit.ok_or_else(|| Failure::invalid("visit is NULL"))?;
        let listed = rtshm::shm::list()
            .map_err(|e| Failure::new(rtshm_status::RTSHM_ERR_IO, e.to_string()))?;
        for entry in listed {
            let name = CString::new(entry.name.as_str()).unwrap_or_default();
            let mut info = rtshm_segment_info {
                name: name.as_ptr(),
                error: std::ptr::null(),
                kind: u32::MAX,
                record_size: 0,
                capacity: 0,
                written: 0,
                fingerprint: 0,
                epoch: 0,
                writer: rtshm_writer_status::default(),
            };
            let error;
            match entry.info {
                Ok(i) => {
                    info.kind = kind_code(i.kind);
                    info.record_size = i.payload_size;
                    info.capacity = i.capacity;
                    info.written = i.writes;
                    info.fingerprint = i.fingerprint;
                    info.epoch = i.epoch;
                    info.writer = writer_status(i.writer, i.writer_pid);
                }
                Err(e) => {
                    error = CString::new(e.to_string()).unwrap_or_default();
                    info.error = error.as_ptr();
                }
            }
            // SAFETY: `visit` is a valid function (the caller's contract); `info` and its
            // strings live through the call.
            unsafe { visit(&info, context) };
        }
        Ok(rtshm_status::RTSHM_OK)
    })
}

/// Unlinks the named segment (readers that have it open keep their mapping).
/// `RTSHM_ERR_INVALID_SEGMENT` for a file that is not an rtshm segment (left alone).
///
/// # Safety
/// `name` is a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rtshm_remove(name: *const c_char) -> rtshm_status {
    run(|| {
        // SAFETY: the caller's contract.
        let name = unsafe { text(name, "name") }?;
        rtshm::shm::remove(name).map_err(open_error)?;
        Ok(rtshm_status::RTSHM_OK)
    })
}
