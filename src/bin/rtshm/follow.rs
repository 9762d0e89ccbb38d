//! Following a segment's values: `dump` streams them, `watch` counts them.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rtshm::GetError;
use rtshm::layout::Kind;
use rtshm::shm::{Inspector, Record};

use crate::fmt;
use crate::{FAILED, Failure, OK};

/// `dump`'s output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per value: write number, stamp and sequence (time series), value in hex.
    Hex,
    /// The stored bytes of each value, back to back, nothing else.
    Raw,
    /// One JSON object per line: n, stamp_ns, seq, value (hex).
    Json,
}

/// Where a follower starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Start {
    /// The oldest value the segment holds (the latest, for a SeqLock).
    Oldest,
    /// The newest value.
    Newest,
    /// The next value written.
    Next,
}

/// What one poll read.
#[derive(Clone, Copy, Debug, Default)]
pub struct Step {
    /// Values read.
    pub read: u64,
    /// Values overwritten before they could be read.
    pub missed: u64,
    /// Times the follower found itself overtaken (each costing `missed` values).
    pub laps: u64,
}

/// A reader that visits every value in write order, as far as it keeps up.
pub struct Follower {
    next: u64,
}

impl Follower {
    pub fn new(view: &Inspector, start: Start) -> Self {
        let written = view.written();
        let capacity = view.geometry().capacity as u64;
        let next = match (start, view.kind()) {
            (Start::Next, _) => written,
            (Start::Oldest, Kind::Ring | Kind::TimeSeries) => written.saturating_sub(capacity),
            (Start::Oldest | Start::Newest, _) => written.saturating_sub(1),
        };
        Self { next }
    }

    /// Reads the values written since the last poll, at most `max`, passing each to `emit`.
    pub fn poll(
        &mut self,
        view: &mut Inspector,
        max: u64,
        mut emit: impl FnMut(&Record<'_>) -> io::Result<()>,
    ) -> io::Result<Step> {
        let mut step = Step::default();
        if view.kind() == Kind::SeqLock {
            // One value: the latest store, if it is one we have not seen.
            if max > 0
                && let Ok(Some(r)) = view.latest()
                && r.number() >= self.next
            {
                self.overtaken(&mut step, r.number());
                emit(&r)?;
                step.read = 1;
                self.next = r.number() + 1;
            }
            return Ok(step);
        }
        while step.read < max {
            match view.get(self.next) {
                Ok(r) => {
                    emit(&r)?;
                    step.read += 1;
                    self.next += 1;
                }
                Err(GetError::Overwritten { oldest }) => self.overtaken(&mut step, oldest),
                // Nothing new, or a write in progress: the next poll sees it.
                Err(_) => break,
            }
        }
        Ok(step)
    }

    /// Moves on to `to`, counting the values skipped.
    fn overtaken(&mut self, step: &mut Step, to: u64) {
        if to > self.next {
            step.missed += to - self.next;
            step.laps += 1;
            self.next = to;
        }
    }
}

/// ` (stamp 12.000000000s, seq 7)` for a time series record, else nothing.
pub fn stamp_text(r: &Record<'_>) -> String {
    match (r.stamp(), r.seq()) {
        (Some(stamp), Some(seq)) => format!(" (stamp {stamp}, seq {seq})"),
        _ => String::new(),
    }
}

/// A time series' window: oldest and newest record, span and mean rate.
pub fn window_text(view: &mut Inspector) -> String {
    let newest = match view.latest() {
        Ok(Some(r)) => (r.number(), r.stamp().unwrap_or_default()),
        Ok(None) => return "empty".to_owned(),
        Err(e) => return format!("unreadable: {e}"),
    };
    let oldest = match view.oldest() {
        Ok(Some(r)) => (r.number(), r.stamp().unwrap_or_default()),
        Ok(None) => return "empty".to_owned(),
        Err(e) => return format!("unreadable: {e}"),
    };
    let span = Duration::from_nanos(newest.1.as_nanos().saturating_sub(oldest.1.as_nanos()));
    let count = newest.0.saturating_sub(oldest.0);
    let rate = if count > 0 && !span.is_zero() {
        format!(" at {:.1} Hz", count as f64 / span.as_secs_f64())
    } else {
        String::new()
    };
    format!(
        "#{}..#{} ({} values), stamps {}..{}: {}{rate}",
        oldest.0,
        newest.0,
        count + 1,
        seconds(oldest.1),
        seconds(newest.1),
        fmt::duration(span)
    )
}

/// A stamp in seconds with millisecond precision: `14432.868 s`.
fn seconds(t: rtshm::Timestamp) -> String {
    let ns = t.as_nanos();
    format!(
        "{}.{:03} s",
        ns / 1_000_000_000,
        ns % 1_000_000_000 / 1_000_000
    )
}

/// `dump`'s options.
pub struct DumpOptions {
    pub count: Option<u64>,
    pub format: Format,
    pub from: Start,
    pub timeout: Option<Duration>,
}

/// Streams values to `out` until `count`, a signal, a closed pipe or the idle timeout.
pub fn dump(
    out: &mut impl Write,
    view: &mut Inspector,
    options: &DumpOptions,
    stop: &AtomicBool,
) -> Result<u8, Failure> {
    match stream(out, view, options, stop) {
        Ok(None) => Ok(OK),
        Ok(Some(idle)) => Err(Failure::new(
            FAILED,
            format!("no new value for {}", fmt::duration(idle)),
        )),
        // The reader of a pipe went away (`rtshm dump x | head`): done.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(OK),
        Err(e) => Err(e.into()),
    }
}

/// `dump`'s loop; returns how long it waited in vain if the idle timeout ended it.
fn stream(
    out: &mut impl Write,
    view: &mut Inspector,
    options: &DumpOptions,
    stop: &AtomicBool,
) -> io::Result<Option<Duration>> {
    let mut follower = Follower::new(view, options.from);
    let mut left = options.count.unwrap_or(u64::MAX);
    let mut last_value = Instant::now();
    while left > 0 && !stop.load(Ordering::Relaxed) {
        check_size(view)?;
        let step = follower.poll(view, left, |r| write_value(out, r, options.format))?;
        if step.missed > 0 {
            eprintln!(
                "rtshm: {} value(s) overwritten before they were read",
                step.missed
            );
        }
        left -= step.read;
        if step.read > 0 {
            last_value = Instant::now();
            continue;
        }
        out.flush()?;
        if options.timeout.is_some_and(|t| last_value.elapsed() >= t) {
            return Ok(Some(last_value.elapsed()));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    out.flush()?;
    Ok(None)
}

fn write_value(out: &mut impl Write, r: &Record<'_>, format: Format) -> io::Result<()> {
    match format {
        Format::Raw => out.write_all(r.bytes()),
        Format::Hex => match (r.stamp(), r.seq()) {
            (Some(stamp), Some(seq)) => writeln!(
                out,
                "#{} stamp={stamp} seq={seq} {}",
                r.number(),
                fmt::hex(r.value())
            ),
            _ => writeln!(out, "#{} {}", r.number(), fmt::hex(r.value())),
        },
        Format::Json => {
            let mut fields = vec![("n", r.number().to_string())];
            if let (Some(stamp), Some(seq)) = (r.stamp(), r.seq()) {
                fields.push(("stamp_ns", stamp.as_nanos().to_string()));
                fields.push(("seq", seq.to_string()));
            }
            fields.push(("value", fmt::json_str(&fmt::hex(r.value()))));
            writeln!(out, "{}", fmt::json_object(&fields))
        }
    }
}

/// Fails if the segment's file was truncated: reading its missing pages would kill the
/// process with `SIGBUS`. (A truncation between this check and the next read still can: named
/// and file segments trust whoever may write them; see the README.)
fn check_size(view: &Inspector) -> io::Result<()> {
    let needed = view.geometry().total_len as u64;
    let len = view.file_len()?;
    if len < needed {
        return Err(io::Error::other(format!(
            "the segment was truncated to {len} bytes (it needs {needed}): stopped before \
             reading the missing pages"
        )));
    }
    Ok(())
}

/// `watch`'s options.
pub struct WatchOptions {
    pub interval: Duration,
    pub poll: Duration,
    pub iterations: Option<u64>,
    /// Redraw a screen (a terminal) rather than print one line per refresh.
    pub screen: bool,
}

/// Totals since `watch` started.
#[derive(Default)]
struct Totals {
    read: u64,
    missed: u64,
    laps: u64,
}

/// Follows `view` live until a signal or `iterations` refreshes.
pub fn watch(
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
    match view.latest() {
        Ok(Some(r)) => {
            s += &format!("latest   #{}{}\n", r.number(), stamp_text(&r));
            s += &fmt::hex_dump(r.value(), 64, "  ");
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
