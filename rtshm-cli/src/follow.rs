//! Following a segment's values in write order: what `dump` streams and `watch` counts.

use std::io;
use std::time::Duration;

use rtshm::GetError;
use rtshm::layout::Kind;
use rtshm::shm::{Inspector, Record};

use crate::fmt;

/// Where a follower starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Start {
    /// The oldest value the segment holds (the latest, for a SeqLock).
    Oldest,
    /// The newest value.
    Newest,
    /// The next value written.
    Next,
}

/// What one poll read.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Step {
    /// Values read.
    pub(crate) read: u64,
    /// Values overwritten before they could be read.
    pub(crate) missed: u64,
    /// Times the follower found itself overtaken (each costing `missed` values).
    pub(crate) laps: u64,
}

/// A reader that visits every value in write order, as far as it keeps up.
pub(crate) struct Follower {
    next: u64,
}

impl Follower {
    pub(crate) fn new(view: &Inspector, start: Start) -> Self {
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
    pub(crate) fn poll(
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
pub(crate) fn stamp_text(r: &Record<'_>) -> String {
    match (r.stamp(), r.seq()) {
        (Some(stamp), Some(seq)) => format!(" (stamp {stamp}, seq {seq})"),
        _ => String::new(),
    }
}

/// A time series' window: oldest and newest record, span and mean rate.
pub(crate) fn window_text(view: &mut Inspector) -> String {
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

/// Fails if the segment's file was truncated: reading its missing pages would kill the
/// process with `SIGBUS`. (A truncation between this check and the next read still can: named
/// and file segments trust whoever may write them; see the README.)
pub(crate) fn check_size(view: &Inspector) -> io::Result<()> {
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
