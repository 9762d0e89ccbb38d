//! Helpers shared by the benchmarks.
#![allow(dead_code)] // each bench uses a subset

use std::sync::OnceLock;
use std::time::Duration;

use criterion::Criterion;

/// Criterion settings for this suite: short warm-up and measurement, so that a full
/// `cargo bench` stays within a few minutes per bench file on a shared machine.
pub(crate) fn criterion() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args()
}

/// A segment name unique to this process and `what`.
pub(crate) fn segment_name(what: &str) -> String {
    format!("rtshm-bench-{}-{what}", std::process::id())
}

/// The CPUs this process was allowed to run on when first asked (before any pinning: a thread
/// inherits its creator's affinity, so later threads of a pinned thread would see only its CPU).
pub(crate) fn cpu_list() -> &'static [usize] {
    static CPUS: OnceLock<Vec<usize>> = OnceLock::new();
    CPUS.get_or_init(|| match rustix::thread::sched_getaffinity(None) {
        Ok(allowed) => (0..rustix::thread::CpuSet::MAX_CPU)
            .filter(|&c| allowed.is_set(c))
            .collect(),
        Err(_) => Vec::new(),
    })
}

/// Pins the calling thread to the `cpu`-th CPU of [`cpu_list`] (modulo its length), so that the
/// two sides of a cross-core measurement really run on two cores. Best effort: a failure leaves
/// the thread where the scheduler puts it.
pub(crate) fn pin_to(cpu: usize) {
    let cpus = cpu_list();
    if cpus.is_empty() {
        return;
    }
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpus[cpu % cpus.len()]);
    let _ = rustix::thread::sched_setaffinity(None, &set);
}

/// The number of CPUs this process may run on.
pub(crate) fn cpus() -> usize {
    cpu_list().len().max(1)
}

/// `len` bytes starting at a chosen offset within a page, filled with `fill`.
pub(crate) struct PageOffset {
    storage: Vec<u8>,
    start: usize,
    len: usize,
}

impl PageOffset {
    pub(crate) fn new(len: usize, page_offset: usize, fill: u8) -> Self {
        let storage = vec![fill; len + 2 * 4096];
        let start = storage.as_ptr().align_offset(4096) + page_offset % 4096;
        Self {
            storage,
            start,
            len,
        }
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.storage[self.start..self.start + self.len]
    }

    pub(crate) fn copy_from(&mut self, src: &[u8]) {
        self.storage[self.start..self.start + self.len].copy_from_slice(src);
    }
}
