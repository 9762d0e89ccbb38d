//! rtshm on a Cortex-M3 (QEMU's `lm3s6965evb`).
//!
//! The SysTick interrupt handler plays an IMU driver: on every tick it stores a sample into a
//! `static` [`SeqLock`], pushes its tick count into a `static` [`Ring`] and queues an event into
//! a `static` [`Queue`]. The main loop reads all three while the interrupt keeps firing, and
//! checks that it never sees a torn sample, that the ring reports every lost value exactly, and
//! that the queue loses nothing (a full queue makes the handler offer the event again). A few
//! core tests run first. Results go to the host through semihosting, ending with a line
//! `N passed, M failed`, and the exit code says whether everything passed.
//!
//! ```text
//! cd examples/cortex-m && cargo run --release     # needs qemu-system-arm
//! ```
#![no_std]
#![no_main]

use bytemuck::{Pod, Zeroable};
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::{entry, exception};
use cortex_m_semihosting::{debug, hprintln};
use rtshm::{Lapped, Queue, Ring, SeqLock, Stamped, TimeSeries, Timestamp};

/// An IMU sample whose every field is derived from `tick`, so a torn read is detectable.
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C)]
struct Imu {
    tick: u32,
    accel: [i32; 3],
    check: u32,
}

impl Imu {
    const ZERO: Self = Self::at(0);

    const fn at(tick: u32) -> Self {
        let t = tick as i32;
        Self {
            tick,
            accel: [t, t.wrapping_mul(2), t.wrapping_mul(3)],
            check: !tick,
        }
    }

    fn consistent(&self) -> bool {
        let e = Self::at(self.tick);
        self.accel == e.accel && self.check == e.check
    }
}

/// Written by the SysTick handler only, read by the main loop.
static IMU: SeqLock<Imu> = SeqLock::new(Imu::ZERO);
/// Tick counts pushed by the SysTick handler.
static TICKS: Ring<u32, 8> = Ring::new();
/// Events the SysTick handler queues (event `n` is the number `n`), losslessly: when the
/// queue is full the handler keeps the event and offers it again on the next tick.
static EVENTS: Queue<u32, 4> = Queue::new();
/// How many times the handler found `EVENTS` full (written by the handler only).
static REFUSED: SeqLock<u32> = SeqLock::new(0);

#[exception]
fn SysTick() {
    let tick = IMU.version().get() as u32 + 1;
    // SAFETY: this handler is the only code that stores `IMU`, and an exception never preempts
    // itself, so no two stores overlap.
    unsafe { IMU.store_unsynchronized(&Imu::at(tick)) };
    // The main loop never claims the ring's writer, so this claim always succeeds.
    if let Ok(mut writer) = TICKS.writer() {
        writer.push(&tick);
    }
    // The main loop only consumes, so the producer claim always succeeds; the next event's
    // number is the count pushed so far, so an event refused now is offered again next tick.
    if let Ok(mut events) = EVENTS.producer() {
        let next = events.pushed() as u32;
        if events.try_push(&next).is_err() {
            // SAFETY: as for `IMU`: this handler is the only code that stores `REFUSED`.
            unsafe { REFUSED.store_unsynchronized(&(REFUSED.load() + 1)) };
        }
    }
}

type TestResult = Result<(), &'static str>;

/// A named on-target test.
type Test = (&'static str, fn() -> TestResult);

fn check(ok: bool, what: &'static str) -> TestResult {
    if ok { Ok(()) } else { Err(what) }
}

fn seqlock_stores_and_loads() -> TestResult {
    let lock = SeqLock::new([0u32; 4]);
    let mut writer = lock.writer().map_err(|_| "first writer refused")?;
    check(lock.writer().is_err(), "second writer accepted")?;
    writer.store(&[1, 2, 3, 4]);
    check(lock.load() == [1, 2, 3, 4], "wrong value")?;
    check(lock.version().get() == 1, "wrong version")
}

fn ring_reports_laps_exactly() -> TestResult {
    let ring: Ring<u32, 4> = Ring::new();
    let mut cursor = ring.cursor_from_oldest();
    let mut writer = ring.writer().map_err(|_| "writer refused")?;
    for v in 0..10 {
        writer.push(&v);
    }
    check(
        ring.next(&mut cursor) == Err(Lapped { missed: 6 }),
        "wrong lap count",
    )?;
    for v in 6..10 {
        check(
            ring.next(&mut cursor) == Ok(Some(v)),
            "wrong value after lap",
        )?;
    }
    check(ring.next(&mut cursor) == Ok(None), "read past the writer")
}

fn time_series_interpolates() -> TestResult {
    let series: TimeSeries<[f32; 2], 8> = TimeSeries::new();
    let mut writer = series.writer().map_err(|_| "writer refused")?;
    for i in 0..4u64 {
        let s = Stamped::new(
            Timestamp::from_nanos(i * 1000),
            i,
            [i as f32, 10.0 * i as f32],
        );
        writer.push(&s).map_err(|_| "monotonic push refused")?;
    }
    check(
        series.interpolate(Timestamp::from_nanos(1500)) == Ok([1.5, 15.0]),
        "wrong interpolation",
    )?;
    check(
        writer
            .push(&Stamped::new(Timestamp::from_nanos(1), 9, [0.0; 2]))
            .is_err(),
        "decreasing stamp accepted",
    )
}

/// Reads the SeqLock and the ring from the main loop while SysTick writes them.
fn interrupt_writer_never_tears_and_laps_are_exact() -> TestResult {
    let mut syst = cortex_m::Peripherals::take()
        .ok_or("peripherals taken")?
        .SYST;
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(4_000);
    syst.clear_current();
    syst.enable_counter();
    syst.enable_interrupt();

    let mut cursor = TICKS.cursor_from_oldest();
    let mut expected_tick = cursor.position() as u32 + 1;
    let mut events = EVENTS.consumer().map_err(|_| "queue consumer taken")?;
    let mut expected_event = 0u32;
    let (mut reads, mut lost) = (0u32, 0u64);
    let start = IMU.version().get();
    while IMU.version().get() < start + 200 {
        let imu = IMU.load();
        check(imu.consistent(), "torn IMU sample accepted")?;
        reads += 1;
        if let Some(event) = events.try_pop() {
            check(event == expected_event, "queued event lost or out of order")?;
            expected_event += 1;
        }
        match TICKS.next(&mut cursor) {
            Ok(Some(tick)) => {
                check(tick == expected_tick, "ring value out of order")?;
                expected_tick += 1;
            }
            Ok(None) => {}
            Err(Lapped { missed }) => {
                lost += missed;
                expected_tick += missed as u32;
            }
        }
    }
    // Now fall behind on purpose: let 20 more interrupts fire without reading the ring, then
    // stop them. The cursor must report exactly the values overwritten meanwhile.
    let behind = IMU.version().get();
    while IMU.version().get() < behind + 20 {
        cortex_m::asm::nop();
    }
    syst.disable_interrupt();
    syst.disable_counter();
    // Meanwhile the 4-slot queue filled and refused events; none was dropped: draining it
    // continues the sequence with no gap, up to the last event the handler pushed.
    while let Some(event) = events.try_pop() {
        check(
            event == expected_event,
            "queued event lost after backpressure",
        )?;
        expected_event += 1;
    }
    let pushed = EVENTS
        .producer()
        .map_err(|_| "queue producer taken")?
        .pushed();
    check(
        u64::from(expected_event) == pushed,
        "queue lost or kept back an event",
    )?;
    check(REFUSED.load() > 0, "the queue never filled")?;
    let written = TICKS.written();
    let expected_missed = (written - TICKS.capacity() as u64).saturating_sub(cursor.position());
    check(
        TICKS.next(&mut cursor)
            == Err(Lapped {
                missed: expected_missed,
            }),
        "lap count after falling behind is not exact",
    )?;
    lost += expected_missed;
    for tick in (written - TICKS.capacity() as u64)..written {
        check(
            TICKS.next(&mut cursor) == Ok(Some(tick as u32 + 1)),
            "wrong value after lap",
        )?;
    }
    hprintln!(
        "    {} interrupts, {} consistent main-loop reads, {} ring values lost to laps (counted), \
         {} queued events all received in order ({} pushes refused while full)",
        IMU.version().get() - start,
        reads,
        lost,
        expected_event,
        REFUSED.load()
    );
    check(reads > 0 && expected_missed > 0, "no reads or no lap")
}

#[entry]
fn main() -> ! {
    let tests: [Test; 4] = [
        ("seqlock_stores_and_loads", seqlock_stores_and_loads),
        ("ring_reports_laps_exactly", ring_reports_laps_exactly),
        ("time_series_interpolates", time_series_interpolates),
        (
            "interrupt_writer_never_tears_and_laps_are_exact",
            interrupt_writer_never_tears_and_laps_are_exact,
        ),
    ];
    let (mut passed, mut failed) = (0u32, 0u32);
    for (name, test) in tests {
        match test() {
            Ok(()) => {
                passed += 1;
                hprintln!("test {} ... ok", name);
            }
            Err(why) => {
                failed += 1;
                hprintln!("test {} ... FAILED: {}", name, why);
            }
        }
    }
    hprintln!("{} passed, {} failed", passed, failed);
    debug::exit(if failed == 0 {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    hprintln!("panic: {}", info);
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}
