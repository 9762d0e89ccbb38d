//! `rtshm watch`: a segment live, like `top`: rate, writer, and what a polling reader misses.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rtshm::layout::Kind;
use rtshm::shm::Inspector;

use crate::follow::{Follower, Start, check_size, stamp_text, window_text};
use crate::{OK, fmt};

/// `watch`'s options.
pub(crate) struct WatchOptions {
    pub(crate) interval: Duration,
    pub(crate) poll: Duration,
    pub(crate) iterations: Option<u64>,
    /// Redraw a screen (a terminal) rather than print one line per refresh.
    pub(crate) screen: bool,
}

/// Totals since `watch` started.
#[derive(Default)]
struct Totals {
    read: u64,
    missed: u64,
    laps: u64,
}

/// Follows `view` live until a signal or `iterations` refreshes.
pub(crate) fn run(
    out: &mut impl Write,
    view: &mut Inspector,
    name: &str,
    options: &WatchOptions,
    stop: &AtomicBool,
) -> io::Result<u8> {
    let started = Instant::now();
    let mut follower = Follower::new(view, Start::Next);
    let mut totals = Totals::default();
    let (mut mark, mut mark_written) = (Instant::now(), view.written());
    let mut refreshes = 0u64;
    let mut hz = None;
    // Only the start of each value is shown: read no more (a hostile header may claim GiBs).
    let g = *view.geometry();
    let value_at = if g.kind == Kind::TimeSeries {
        g.stamped_value_at()
    } else {
        0
    };
    view.set_read_limit(value_at + 64);
    while !stop.load(Ordering::Relaxed) {
        check_size(view)?;
        let step = follower.poll(view, u64::MAX, |_| Ok(()))?;
        totals.read += step.read;
        totals.missed += step.missed;
        totals.laps += step.laps;
        if mark.elapsed() >= options.interval || refreshes == 0 {
            let written = view.written();
            if refreshes > 0 {
                let dt = mark.elapsed().as_secs_f64();
                hz = Some(written.saturating_sub(mark_written) as f64 / dt);
            }
            (mark, mark_written) = (Instant::now(), written);
            refreshes += 1;
            let frame = if options.screen {
                screen(view, name, options, &totals, hz)
            } else {
                line(view, name, &totals, hz)
            };
            out.write_all(frame.as_bytes())?;
            out.flush()?;
            if options.iterations.is_some_and(|n| refreshes >= n) {
                break;
            }
        }
        std::thread::sleep(options.poll);
    }
    writeln!(
        out,
        "watched {name} for {}: {} values read, {} laps, {} missed",
        fmt::duration(started.elapsed()),
        totals.read,
        totals.laps,
        totals.missed
    )?;
    Ok(OK)
}

fn rate_text(hz: Option<f64>) -> String {
    hz.map_or_else(|| "measuring".to_owned(), |hz| format!("{hz:.1} Hz"))
}

/// Whether the segment's name still exists (`rm` or `gc` may have unlinked it).
fn removed(name: &str) -> bool {
    !std::path::Path::new("/dev/shm").join(name).exists()
}

/// A full screen: cursor home, clear, then the report.
fn screen(
    view: &mut Inspector,
    name: &str,
    options: &WatchOptions,
    totals: &Totals,
    hz: Option<f64>,
) -> String {
    let g = *view.geometry();
    let status = view.writer_status(rtshm::shm::STALE_AFTER);
    let mut s = String::from("\x1b[H\x1b[2J");
    s += &format!(
        "rtshm watch {name}: every {}, Ctrl-C quits\n\n",
        fmt::duration(options.interval)
    );
    s += &match g.kind {
        Kind::SeqLock => format!("kind     SeqLock, {}-byte value\n", g.value_size),
        kind => format!(
            "kind     {kind}, {} slots, {}-byte values\n",
            g.capacity, g.value_size
        ),
    };
    let gone = if removed(name) {
        " (segment removed from /dev/shm)"
    } else {
        ""
    };
    s += &format!(
        "writer   {}, epoch {}{gone}\n",
        crate::writer_text(&status, view.writer_pid()),
        view.epoch()
    );
    s += &format!("rate     {}, {} written\n", rate_text(hz), view.written());
    s += &format!(
        "reader   {} read, {} laps, {} missed (polling every {})\n",
        totals.read,
        totals.laps,
        totals.missed,
        fmt::duration(options.poll)
    );
    let schema = view.schema().map(|s| s.to_buf());
    match view.latest() {
        Ok(Some(r)) => {
            s += &format!("latest   #{}{}\n", r.number(), stamp_text(&r));
            let fields = schema
                .as_ref()
                .filter(|_| r.is_whole())
                .and_then(|schema| crate::decode::table(schema.view(), r.value(), "  "));
            s += &fields.unwrap_or_else(|| fmt::hex_dump(r.value(), 64, "  "));
        }
        Ok(None) => s += "latest   none yet\n",
        Err(e) => s += &format!("latest   unreadable: {e}\n"),
    }
    if g.kind == Kind::TimeSeries {
        s += &format!("series   {}\n", window_text(view));
    }
    s
}

/// One line per refresh, for a pipe or a log.
fn line(view: &Inspector, name: &str, totals: &Totals, hz: Option<f64>) -> String {
    let status = view.writer_status(rtshm::shm::STALE_AFTER);
    format!(
        "{name}: {}, written {}, read {}, laps {}, missed {}, writer {}\n",
        rate_text(hz),
        view.written(),
        totals.read,
        totals.laps,
        totals.missed,
        fmt::status_word(&status)
    )
}
