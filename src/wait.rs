//! Blocking waits without a syscall on the writer's hot path (ARCHITECTURE.md, "Blocking waits").
//!
//! One 32-bit futex word `notify` on the readers' page: bit 0 "a reader may be sleeping"
//! ([`SLEEPING`]), bits 1..31 a wake epoch. A reader about to sleep sets the bit, re-checks for
//! new data, then sleeps on the exact word it saw; the writer, after every store, looks at the
//! word and only when the bit is set clears it, bumps the epoch and wakes **every** sleeper:
//!
//! ```text
//! reader (wait):                                writer (after a store):
//!   loop:                                         fence(SeqCst)
//!     e = notify.fetch_or(SLEEPING) | SLEEPING    n = notify.load(Relaxed)
//!     fence(SeqCst)                               if n & SLEEPING:
//!     if new data: break                            CAS n -> (n & !SLEEPING) + 2  (Release)
//!     futex_wait(notify, e, timeout)                futex_wake(notify, i32::MAX)
//! ```
//!
//! No wake-up is lost: the two `SeqCst` fences are totally ordered (C++20 fence-fence rule). If
//! the writer's fence comes first, the reader's re-check, after its own fence, sees the store.
//! If the reader's fence comes first, the writer's load sees the bit (set before that fence),
//! so it changes the word after the reader read `e`, and `futex_wait(notify, e)` either sees a
//! different word and returns at once or is woken. The epoch makes the word differ even when
//! another reader sets the bit again right after the writer cleared it.
//!
//! Nothing is counted, so nothing can be left raised: a reader that sets the bit and dies (or
//! is killed while sleeping) costs one wake at the next store, which clears the bit; from then
//! on stores make no syscall again. A reader that may write the readers' page can clear the bit
//! and so delay other sleepers until their next timeout: the same trust as the page's write
//! permission gives, no more. The futex wake count is `i32::MAX` (the kernel reads the count as
//! a signed `int`: `u32::MAX` would be -1 and wake only one sleeper).
//!
//! # The asymmetric handshake
//!
//! The writer's `SeqCst` fence costs a full barrier (`lock or` on x86_64, ~8 ns) on every store,
//! although a reader sleeps rarely. Where Linux offers it, the two sides split the cost
//! unevenly instead (the asymmetric Dekker pattern of folly's `asymmetricLightBarrier` and of
//! userspace RCU): the writer orders its store before its look at `notify` with a compiler-only
//! fence, and the reader, about to sleep anyway, calls
//! `membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED)` after setting the bit and before its
//! re-check. The call runs a full memory barrier on every CPU that is running a thread of a
//! process registered with `MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED` (the writer's process
//! registers when it creates or takes over a segment), and a thread that is not running passes
//! a barrier when it is switched out. So at the moment of that barrier the writer is either
//!
//! - before it: its look at `notify` (program-ordered after its store by the compiler fence,
//!   and not yet executed, or executed after the barrier) comes after the reader's `fetch_or`,
//!   which the barrier made visible: it sees the bit and wakes; or
//! - after it: its store, made before the barrier, is visible to the reader's re-check, which
//!   the membarrier call orders after the barrier.
//!
//! Either way no wake-up is lost, with no fence instruction on the store path. The writer
//! records which handshake it uses in the header (`BARRIER_OFFSET`: 0 symmetric, 1 asymmetric);
//! it writes the word before its first store and follows it with a `SeqCst` fence, and readers
//! read it after their own `SeqCst` fence, so a reader that could see the old mode of a writer
//! taken over meanwhile still meets the new writer's fence in the total order. Where
//! membarrier is missing (not Linux 4.16+, refused by seccomp) the writer keeps the symmetric
//! fences; a reader whose call fails although the writer is asymmetric falls back to
//! `MEMBARRIER_CMD_GLOBAL` (slower, no registration needed), and failing that naps at most
//! 1 ms between re-checks. Loom models the symmetric protocol only: a compiler fence and a
//! system call are outside its model; the process-level stress test (`tests/lifecycle.rs`)
//! runs both.
//!
//! Cost when nobody waits: one relaxed load per store (asymmetric), or one `SeqCst` fence and
//! one relaxed load (symmetric); no RMW, no syscall.

use crate::sync::{AtomicU32, Ordering, fence};

/// Bit 0 of `notify`: a reader may be sleeping on the word.
pub(crate) const SLEEPING: u32 = 1;

/// The futex wake count that wakes every sleeper (the kernel's `int`; see the module docs).
pub(crate) const WAKE_ALL: u32 = i32::MAX as u32;

/// Writer side, after a store: wakes sleepers if any may sleep. `wake` issues the futex wake.
/// `asymmetric`: this process is registered for `MEMBARRIER_CMD_GLOBAL_EXPEDITED`, and the
/// header says so (see the module docs). Returns whether it woke.
#[inline(always)]
pub(crate) fn wake_waiters(
    notify: &AtomicU32,
    asymmetric: bool,
    wake: impl FnOnce(&AtomicU32),
) -> bool {
    waker_fence(asymmetric);
    let n = notify.load(Ordering::Relaxed);
    if n & SLEEPING == 0 {
        return false;
    }
    wake_slow(notify, n, wake);
    true
}

/// The waker's fence, between its store and its look at the waiter's word (`notify`, or a
/// queue's `waiting` flag): the same for both handshakes.
#[inline(always)]
fn waker_fence(asymmetric: bool) {
    if asymmetric {
        // SYNC POINT wait-handshake and queue-handshake (writer/waker, asymmetric).
        // Compiler-only: pairs with the reader's (waiter's) membarrier, which runs a full
        // barrier on this CPU at some point; the compiler keeps the store before the load that
        // follows, the barrier orders them for the reader.
        crate::sync::compiler_fence(Ordering::SeqCst);
    } else {
        // SYNC POINT wait-handshake and queue-handshake (writer/waker). SeqCst: pairs with
        // the reader's (waiter's) fence (fence-fence total order): either this fence is first
        // and the re-check sees the store made before it, or the reader's is first and the
        // load that follows sees its bit (flag).
        fence(Ordering::SeqCst);
    }
}

/// The rare half of [`wake_waiters`]: clear the bit, bump the epoch, wake.
#[cold]
#[inline(never)]
fn wake_slow(notify: &AtomicU32, mut n: u32, wake: impl FnOnce(&AtomicU32)) {
    loop {
        let next = (n & !SLEEPING).wrapping_add(2);
        // SYNC POINT wait-epoch (writer). Release: pairs with the reader's side of
        // wait-epoch: a reader that reads this epoch also sees the store that caused it.
        match notify.compare_exchange_weak(n, next, Ordering::Release, Ordering::Relaxed) {
            Ok(_) => break,
            Err(now) if now & SLEEPING == 0 => {
                // Another party cleared the bit (a concurrent clear by a hostile reader): the
                // sleepers it concerned are being woken or time out; wake anyway, once.
                break;
            }
            Err(now) => n = now,
        }
    }
    wake(notify);
}

/// Reader side: returns `check()`'s first `Some`, setting the sleeping bit (when the reader may
/// write `notify`) and sleeping with `sleep(notify, expected)` in between. `sleep` returns
/// `false` when the deadline has passed; then `check` runs once more. A reader that may not
/// write the word (`can_register` false) only polls: `sleep` must then nap briefly. `heavy`
/// runs between the reader's fence and its re-check: the heavy side of the asymmetric
/// handshake when the writer uses it (see the module docs), nothing otherwise.
pub(crate) fn wait<R>(
    notify: &AtomicU32,
    can_register: bool,
    mut heavy: impl FnMut(),
    mut check: impl FnMut() -> Option<R>,
    mut sleep: impl FnMut(&AtomicU32, u32) -> bool,
) -> Option<R> {
    if let Some(r) = check() {
        return Some(r);
    }
    loop {
        let expected = if can_register {
            notify.fetch_or(SLEEPING, Ordering::Relaxed) | SLEEPING
        } else {
            notify.load(Ordering::Relaxed)
        };
        // SYNC POINT wait-handshake (reader), and the reader's side of wait-epoch. SeqCst:
        // pairs with the writer's side of wait-handshake (see the module docs); as an acquire
        // fence after the `fetch_or` that read the writer's epoch bump, it makes the re-check
        // below see the store that caused a wake-up.
        fence(Ordering::SeqCst);
        heavy();
        if let Some(r) = check() {
            return Some(r);
        }
        if !sleep(notify, expected) {
            return check();
        }
    }
}

/// The queue's handshake, in both directions (a consumer waits for values, a producer for
/// space). Each side owns, on its own page, a `waiting` flag it raises while it may sleep and
/// a `wakes` futex word it bumps to wake the other side; neither writes the other's page:
///
/// ```text
/// waiter (nothing to do):                   waker (after storing its index):
///   loop:                                     fence(SeqCst)
///     waiting = 1                             if other.waiting:
///     fence(SeqCst)                             other_side_wakes += 1  (Release)
///     e = their.wakes (Acquire)                 futex_wake(wakes, 1)
///     if progress: break
///     futex_wait(their.wakes, e, timeout)
///   waiting = 0
/// ```
///
/// As in [`wait`]: the two `SeqCst` fences are totally ordered; if the waker's is first the
/// re-check sees its index, otherwise the waker sees the flag and bumps `wakes` after the
/// waiter's fence; if the waiter read the bumped word as `e`, the Acquire load makes the
/// re-check see the index stored before the bump; if not, `futex_wait(wakes, e)` sees a
/// different word or is woken. The asymmetric form and its `heavy` step are [`wait`]'s. A
/// waiter that dies with its flag raised costs the other side one futex wake per index store
/// until a new claimant of that side lowers it. Returns `check()`'s first `Some`; `sleep`
/// returns `false` once the deadline has passed (then `check` runs once more).
pub(crate) fn wait_flagged<R>(
    waiting: &AtomicU32,
    wakes: &AtomicU32,
    mut heavy: impl FnMut(),
    mut check: impl FnMut() -> Option<R>,
    mut sleep: impl FnMut(&AtomicU32, u32) -> bool,
) -> Option<R> {
    if let Some(r) = check() {
        return Some(r);
    }
    let result = loop {
        waiting.store(1, Ordering::Relaxed);
        // SYNC POINT queue-handshake (waiter). SeqCst: pairs with the waker's fence (see above).
        fence(Ordering::SeqCst);
        heavy();
        // SYNC POINT queue-wakes (waiter). Acquire: pairs with the waker's Release bump: a
        // bumped word comes with the index stored before it.
        let expected = wakes.load(Ordering::Acquire);
        if let Some(r) = check() {
            break Some(r);
        }
        if !sleep(wakes, expected) {
            break check();
        }
    };
    waiting.store(0, Ordering::Relaxed);
    result
}

/// The waker's side of [`wait_flagged`], after an index store: bumps `wakes` and calls `wake`
/// only when the other side's `waiting` flag is raised. Returns whether it woke.
#[inline(always)]
pub(crate) fn wake_flagged(
    waiting: &AtomicU32,
    wakes: &AtomicU32,
    asymmetric: bool,
    wake: impl FnOnce(&AtomicU32),
) -> bool {
    waker_fence(asymmetric);
    if waiting.load(Ordering::Relaxed) == 0 {
        return false;
    }
    wake_flagged_slow(wakes, wake);
    true
}

#[cold]
#[inline(never)]
fn wake_flagged_slow(wakes: &AtomicU32, wake: impl FnOnce(&AtomicU32)) {
    // SYNC POINT queue-wakes (waker). Release: pairs with the waiter's Acquire load.
    wakes.fetch_add(1, Ordering::Release);
    wake(wakes);
}

#[cfg(all(test, rtshm_loom))]
mod loom_model {
    use loom::sync::Arc;
    use loom::thread;

    use super::*;
    use crate::sync::AtomicU64;

    /// A reader's wait, with `futex_wait` modelled as a spin until `notify` differs from the
    /// expected word. The kernel compares against the latest value, which an RMW reads (a
    /// plain relaxed load may keep returning a stale one).
    fn waiting_reader(data: Arc<AtomicU64>, notify: Arc<AtomicU32>) -> thread::JoinHandle<u64> {
        thread::spawn(move || {
            wait(
                &notify,
                true,
                || {},
                || {
                    let v = data.load(Ordering::Relaxed);
                    fence(Ordering::Acquire);
                    (v != 0).then_some(v)
                },
                |notify, expected| {
                    while notify.fetch_add(0, Ordering::Relaxed) == expected {
                        loom::thread::yield_now();
                    }
                    true
                },
            )
            .unwrap_or(0)
        })
    }

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
            let reader = waiting_reader(data.clone(), notify.clone());
            data.store(7, Ordering::Release);
            wake_waiters(&notify, false, |_| {});
            assert_eq!(reader.join().unwrap(), 7);
        });
    }

    /// The queue's handshake: one index store, one waiter on the other side. A lost wake-up
    /// leaves the waiter spinning on an unchanged `wakes` forever, which loom reports.
    #[test]
    fn queue_handshake_loses_no_wake_up() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let index = Arc::new(AtomicU64::new(0));
            let waiting = Arc::new(AtomicU32::new(0));
            let wakes = Arc::new(AtomicU32::new(0));
            let waiter = {
                let (index, waiting, wakes) = (index.clone(), waiting.clone(), wakes.clone());
                thread::spawn(move || {
                    wait_flagged(
                        &waiting,
                        &wakes,
                        || {},
                        || {
                            let v = index.load(Ordering::Acquire);
                            (v != 0).then_some(v)
                        },
                        |wakes, expected| {
                            while wakes.fetch_add(0, Ordering::Relaxed) == expected {
                                loom::thread::yield_now();
                            }
                            true
                        },
                    )
                    .unwrap_or(0)
                })
            };
            index.store(5, Ordering::Release);
            wake_flagged(&waiting, &wakes, false, |_| {});
            assert_eq!(waiter.join().unwrap(), 5);
        });
    }
}
