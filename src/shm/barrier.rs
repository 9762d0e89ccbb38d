//! The system-call side of the asymmetric wait handshake (`crate::wait`, module docs): which
//! handshake this process's writers use, and the reader's heavy barrier.

use std::sync::OnceLock;

use rustix::thread::{MembarrierCommand, MembarrierQuery, membarrier, membarrier_query};

/// Header value: `SeqCst` fences on both sides.
pub(crate) const SYMMETRIC: u64 = 0;
/// Header value: a compiler fence on the writer's side, `membarrier` on the reader's.
pub(crate) const ASYMMETRIC: u64 = 1;

/// The handshake this process's writers use: asymmetric once the process is registered for
/// `MEMBARRIER_CMD_GLOBAL_EXPEDITED` (the first call registers; one system call per process),
/// symmetric where that is not available or `RTSHM_BARRIER=symmetric` is set (tests and
/// comparisons).
pub(crate) fn writer_mode() -> u64 {
    static MODE: OnceLock<u64> = OnceLock::new();
    *MODE.get_or_init(|| {
        if std::env::var_os("RTSHM_BARRIER").is_some_and(|v| v == "symmetric") {
            return SYMMETRIC;
        }
        let needed = MembarrierQuery::GLOBAL_EXPEDITED | MembarrierQuery::REGISTER_GLOBAL_EXPEDITED;
        if membarrier_query().contains(needed)
            && membarrier(MembarrierCommand::RegisterGlobalExpedited).is_ok()
        {
            ASYMMETRIC
        } else {
            SYMMETRIC
        }
    })
}

/// The reader's heavy side before its re-check, for a writer using handshake `mode` (read from
/// the header): `membarrier(GLOBAL_EXPEDITED)`, or `membarrier(GLOBAL)` where the expedited
/// command fails. `false` when neither worked: the reader must then not sleep long.
pub(crate) fn heavy(mode: u64) -> bool {
    if mode != ASYMMETRIC {
        return true;
    }
    membarrier(MembarrierCommand::GlobalExpedited).is_ok()
        || membarrier(MembarrierCommand::Global).is_ok()
}
