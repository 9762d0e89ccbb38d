//! `rtshm dump`: streams values as lines of named fields, hex lines, raw bytes or JSON lines.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rtshm::schema::TypeView;
use rtshm::shm::{Inspector, Record};
use serde_json::{Value, json};

use crate::follow::{Follower, Start, check_size};
use crate::{FAILED, Failure, OK, decode, fmt};

/// `dump`'s output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// One line per value: write number, stamp and sequence (time series), then the value's
    /// named fields by the segment's schema (in hex without one).
    Text,
    /// One line per value: write number, stamp and sequence (time series), value in hex.
    Hex,
    /// The stored bytes of each value, back to back, nothing else.
    Raw,
    /// One JSON object per line: n, stamp_ns and seq (time series), value (an object of named
    /// fields by the schema; a hex string without one).
    Json,
}

/// `dump`'s options.
pub(crate) struct DumpOptions {
    pub(crate) count: Option<u64>,
    pub(crate) format: Format,
    pub(crate) from: Start,
    pub(crate) timeout: Option<Duration>,
}

/// Streams values to `out` until `count`, a signal, a closed pipe or the idle timeout.
pub(crate) fn run(
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
    let schema = view.schema().map(|s| s.to_buf());
    let schema = schema.as_ref().map(|s| s.view());
    while left > 0 && !stop.load(Ordering::Relaxed) {
        check_size(view)?;
        let step = follower.poll(view, left, |r| write_value(out, r, schema, options.format))?;
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

fn write_value(
    out: &mut impl Write,
    r: &Record<'_>,
    schema: Option<TypeView<'_>>,
    format: Format,
) -> io::Result<()> {
    let value = || {
        let fields = schema.and_then(|s| decode::line(s, r.value()));
        fields.unwrap_or_else(|| fmt::hex(r.value()))
    };
    match format {
        Format::Raw => out.write_all(r.bytes()),
        Format::Text | Format::Hex => {
            let text = if format == Format::Text {
                value()
            } else {
                fmt::hex(r.value())
            };
            match (r.stamp(), r.seq()) {
                (Some(stamp), Some(seq)) => {
                    writeln!(out, "#{} stamp={stamp} seq={seq} {text}", r.number())
                }
                _ => writeln!(out, "#{} {text}", r.number()),
            }
        }
        Format::Json => {
            let mut line = serde_json::Map::new();
            line.insert("n".to_owned(), r.number().into());
            match value_json(schema, r) {
                Value::Object(fields) if r.stamp().is_some() => line.extend(fields),
                v => {
                    line.insert("value".to_owned(), v);
                }
            }
            writeln!(out, "{}", Value::Object(line))
        }
    }
}

/// A record as JSON: its value's named fields by `schema` (a hex string without one, or when
/// cut short); a time series record as `{"stamp_ns", "seq", "value"}`.
pub(crate) fn value_json(schema: Option<TypeView<'_>>, r: &Record<'_>) -> Value {
    let value = schema
        .and_then(|s| decode::json(s, r.value()))
        .unwrap_or_else(|| Value::String(fmt::hex(r.value())));
    match (r.stamp(), r.seq()) {
        (Some(stamp), Some(seq)) => json!({
            "stamp_ns": stamp.as_nanos(),
            "seq": seq,
            "value": value,
        }),
        _ => value,
    }
}
