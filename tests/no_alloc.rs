//! The hot paths allocate nothing: push, cursor next, get, latest and every time-series query run
//! under a global allocator that counts allocations.
#![cfg(not(rtshm_loom))]
#![cfg(not(miri))] // Miri's own machinery is not the point here.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Duration;

use rtshm::{Ring, SeqLock, Stamped, TimeSeries, Timestamp, Version};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts calls on the calling thread.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

static RING: Ring<[u64; 8], 64> = Ring::new();
static SERIES: TimeSeries<[f32; 3], 64> = TimeSeries::new();
static LOCK: SeqLock<[u8; 64]> = SeqLock::new([0; 64]);

#[test]
fn push_next_get_latest_and_queries_do_not_allocate() {
    let mut ring_writer = RING.writer().unwrap();
    let mut series_writer = SERIES.writer().unwrap();
    let mut lock_writer = LOCK.writer().unwrap();
    let mut cursor = RING.cursor_from_oldest();
    let n = allocations_during(|| {
        for i in 0..200u64 {
            ring_writer.push(&[i; 8]);
            let stamp = Timestamp::from_nanos(i * 1000);
            series_writer
                .push(&Stamped::new(stamp, i, [i as f32; 3]))
                .unwrap();
            lock_writer.store(&[i as u8; 64]);
            let _ = RING.next(&mut cursor);
            let _ = RING.get(i / 2);
            let _ = RING.latest();
            let t = Timestamp::from_nanos(i * 1000 - i.min(1) * 500);
            let _ = SERIES.latest();
            let _ = SERIES.latest_if_fresh(t, Duration::from_micros(1));
            let _ = SERIES.closest(t, Duration::from_nanos(400));
            let _ = SERIES.interpolation_pair(t);
            let _ = SERIES.interpolate(t);
            for s in SERIES.range(t, Timestamp::from_nanos(i * 1000)).unwrap() {
                let _ = s;
            }
            let _ = LOCK.load();
            let _ = LOCK.try_load();
            let _ = LOCK.load_if_newer(Version::INITIAL);
        }
    });
    assert_eq!(n, 0, "hot paths allocated {n} times");
}
