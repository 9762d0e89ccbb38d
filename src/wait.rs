//! Blocking waits without a syscall on the writer's hot path (DESIGN.md section 10).
//!
//! A dedicated 32-bit futex word `notify` and a count of `waiters`. A reader registers, then
//! re-checks for new data, then sleeps on `notify`; the writer, after every store, checks the
//! count and bumps `notify` + wakes only when someone waits:
//!
//! ```text
//! reader (wait):                               writer (after a store):
//!   waiters.fetch_add(1, Relaxed)                fence(SeqCst)
//!   loop:                                        if waiters.load(Relaxed) > 0:
//!     fence(SeqCst)                                notify.fetch_add(1, Release)
//!     e = notify.load(Relaxed); fence(Acquire)     futex_wake(notify, all)
//!     if new data: break
//!     futex_wait(notify, e, timeout)
//!   waiters.fetch_sub(1, Relaxed)
//! ```
//!
//! No wake-up is lost: the two `SeqCst` fences are totally ordered (C++20 fence-fence rule).
//! If the writer's fence comes first, the reader's re-check, after its own fence, sees the new
//! data. If the reader's fence comes first, the writer's load sees `waiters > 0`, so it bumps
//! `notify` after the reader read `e`, and `futex_wait(notify, e)` either sees `notify != e` and
//! returns at once or is woken. A `SeqCst` read-modify-write alone would not order the later
//! relaxed loads; the fences do. The loom model below checks exactly this handshake.
//!
//! Cost when nobody waits: one `SeqCst` fence and one relaxed load per store, no RMW, no syscall.

use crate::sync::{AtomicU32, Ordering, fence};

/// Writer side, after a store: wakes sleepers if any registered. `wake` issues the futex wake.
#[inline]
pub(crate) fn wake_waiters(notify: &AtomicU32, waiters: &AtomicU32, wake: impl FnOnce(&AtomicU32)) {
    // SeqCst: pairs with the SeqCst fence in `wait` (fence-fence total order): either this fence
    // is first and the reader's re-check sees the store made before it, or the reader's is first
    // and the load below sees its registration.
    fence(Ordering::SeqCst);
    if waiters.load(Ordering::Relaxed) > 0 {
        // Release: the sleeper that sees the new `notify` also sees the store (it re-checks).
        notify.fetch_add(1, Ordering::Release);
        wake(notify);
    }
}

/// Reader side: returns `check()`'s first `Some`, registering in `waiters` (when the reader may
/// write it) and sleeping with `sleep(notify, expected)` in between. `sleep` returns `false`
/// when the deadline has passed; then `check` runs once more.
pub(crate) fn wait<R>(
    notify: &AtomicU32,
    waiters: Option<&AtomicU32>,
    mut check: impl FnMut() -> Option<R>,
    mut sleep: impl FnMut(&AtomicU32, u32) -> bool,
) -> Option<R> {
    if let Some(r) = check() {
        return Some(r);
    }
    if let Some(w) = waiters {
        w.fetch_add(1, Ordering::Relaxed);
    }
    let result = loop {
        // SeqCst: pairs with the SeqCst fence in `wake_waiters` (see the module docs).
        fence(Ordering::SeqCst);
        let expected = notify.load(Ordering::Relaxed);
        // Acquire: pairs with the Release bump of `notify` in `wake_waiters`: after a wake-up,
        // the re-check below sees the store that caused it (without this fence the re-check may
        // read stale data and go back to sleep on the new `notify` value for good; the loom
        // model finds that).
        fence(Ordering::Acquire);
        if let Some(r) = check() {
            break Some(r);
        }
        if !sleep(notify, expected) {
            break check();
        }
    };
    if let Some(w) = waiters {
        w.fetch_sub(1, Ordering::Relaxed);
    }
    result
}

#[cfg(all(test, rtshm_loom))]
mod loom_model {
    use loom::sync::Arc;
    use loom::thread;

    use super::*;
    use crate::sync::AtomicU64;

    /// One store, one waiting reader: the reader always gets the value, either from its
    /// re-check or because the writer's wake changed `notify`. A lost wake-up leaves the reader
    /// sleeping (spinning on an unchanged `notify`) forever, which loom reports.
    #[test]
    fn no_wake_up_is_lost() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let data = Arc::new(AtomicU64::new(0));
            let notify = Arc::new(AtomicU32::new(0));
            let waiters = Arc::new(AtomicU32::new(0));
            let reader = {
                let (data, notify, waiters) = (data.clone(), notify.clone(), waiters.clone());
                thread::spawn(move || {
                    wait(
                        &notify,
                        Some(&waiters),
                        || {
                            let v = data.load(Ordering::Relaxed);
                            fence(Ordering::Acquire);
                            (v != 0).then_some(v)
                        },
                        // futex_wait: returns once `notify` differs from `expected`. The kernel
                        // compares against the latest value, which an RMW reads (a plain relaxed
                        // load may keep returning a stale one).
                        |notify, expected| {
                            while notify.fetch_add(0, Ordering::Relaxed) == expected {
                                loom::thread::yield_now();
                            }
                            true
                        },
                    )
                })
            };
            data.store(7, Ordering::Release);
            wake_waiters(&notify, &waiters, |_| {});
            assert_eq!(reader.join().unwrap(), Some(7));
        });
    }
}
