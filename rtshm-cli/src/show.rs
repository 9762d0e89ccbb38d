//! `rtshm show`: one segment's header, layout, writer, latest value and series window.

use std::io::Write;
use std::time::{Duration, Instant};

use rtshm::shm;

use crate::{FAILED, Failure, OK, decode, fmt, follow, open, writer_text};

/// The most `show` prints of a value, even with `--bytes 0`.
const SHOW_MAX: usize = 1 << 20;

/// How `show` prints the latest value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ValueFormat {
    /// One line per field, by the segment's schema (hex without one).
    Table,
    /// A hex dump.
    Hex,
}

pub(crate) fn run(
    out: &mut impl Write,
    name: &str,
    bytes: usize,
    sample: Duration,
    format: ValueFormat,
) -> Result<u8, Failure> {
    let mut view = open(name)?;
    let h = *view.header();
    let g = *view.geometry();
    // Read only what is shown: a time series' stamp and sequence number, then `bytes` bytes
    // of the value.
    let value_at = match g.kind {
        rtshm::layout::Kind::TimeSeries => g.stamped_value_at(),
        _ => 0,
    };
    let shown = if bytes == 0 {
        SHOW_MAX
    } else {
        bytes.min(SHOW_MAX)
    };
    view.set_read_limit(value_at.saturating_add(shown));
    let status = view.writer_status(shm::STALE_AFTER);
    let now_ns = rtshm::Clock::Realtime
        .now()
        .map_or(0, rtshm::Timestamp::as_nanos);
    let created_ago = Duration::from_nanos(now_ns.saturating_sub(h.created_ns));
    let slots = match g.kind {
        rtshm::layout::Kind::SeqLock => "1 value".to_owned(),
        _ => format!("{} slots", g.capacity),
    };
    writeln!(out, "name         {name}")?;
    writeln!(out, "path         /dev/shm/{name} ({} bytes)", g.total_len)?;
    writeln!(out, "kind         {} ({slots})", g.kind)?;
    writeln!(
        out,
        "payload      {} bytes, align {} (value {} bytes)",
        g.payload_size, g.payload_align, g.value_size
    )?;
    writeln!(out, "fingerprint  {:#018x}", h.fingerprint)?;
    match view.schema() {
        Some(schema) => writeln!(
            out,
            "schema       {} (`rtshm schema {name}`)",
            summary(schema)
        )?,
        None => writeln!(out, "schema       none recorded (values print as hex)")?,
    }
    writeln!(
        out,
        "layout       version {}, data at {} ({} bytes)",
        h.layout_version,
        rtshm::layout::DATA_OFFSET,
        g.data_len
    )?;
    let clock = view.clock();
    if clock.is_remote() {
        writeln!(
            out,
            "clock        {clock:?} (stamps from another host: imported)"
        )?;
    } else {
        writeln!(out, "clock        {clock:?}")?;
    }
    writeln!(
        out,
        "created      {} ({} ago)",
        fmt::utc(h.created_ns),
        fmt::duration(created_ago)
    )?;
    writeln!(
        out,
        "writer       {}, epoch {}",
        writer_text(&status, view.writer_pid()),
        view.epoch()
    )?;
    let lost = view.lost_upstream();
    if lost > 0 || clock.is_remote() {
        // An imported segment: values the exporter or the network dropped.
        writeln!(
            out,
            "lost         {lost} upstream (before they reached this writer)"
        )?;
    }
    let written = view.written();
    if sample.is_zero() {
        writeln!(out, "writes       {written}")?;
    } else {
        let t0 = Instant::now();
        std::thread::sleep(sample);
        let later = view.written();
        let hz = later.saturating_sub(written) as f64 / t0.elapsed().as_secs_f64();
        writeln!(
            out,
            "writes       {later} ({hz:.1} Hz over {})",
            fmt::duration(sample)
        )?;
    }
    if let Some(queue) = view.queue_state(shm::STALE_AFTER) {
        // A queue's values belong to its consumer: show where both sides are, not a value.
        let pending = queue.pushed.saturating_sub(queue.popped);
        writeln!(
            out,
            "queue        {} popped, {pending} waiting of {}",
            queue.popped, g.capacity
        )?;
        writeln!(
            out,
            "consumer     {}, {} replacement(s)",
            writer_text(&queue.consumer, queue.consumer_pid),
            queue.consumer_epoch
        )?;
        return Ok(OK);
    }
    let schema = view.schema().map(|s| s.to_buf());
    match view.latest() {
        Ok(Some(r)) => {
            writeln!(
                out,
                "latest       #{}{}",
                r.number(),
                follow::stamp_text(&r)
            )?;
            let fields = match (format, schema.as_ref().map(|s| s.view())) {
                (ValueFormat::Table, Some(schema)) if r.is_whole() => {
                    decode::table(schema, r.value(), "  ")
                }
                _ => None,
            };
            match fields {
                Some(table) => write!(out, "{table}")?,
                None => write!(out, "{}", fmt::hex_dump(r.value(), bytes, "  "))?,
            }
        }
        Ok(None) => writeln!(out, "latest       none (nothing written yet)")?,
        Err(e) => writeln!(out, "latest       unreadable: {e}")?,
    }
    if g.kind == rtshm::layout::Kind::TimeSeries {
        writeln!(out, "series       {}", follow::window_text(&mut view))?;
    }
    Ok(OK)
}

/// A schema in a few words: `Imu, 4 fields, 48 bytes` or `[f32; 3], 12 bytes`.
fn summary(schema: rtshm::schema::TypeView<'_>) -> String {
    match schema.node() {
        rtshm::schema::Node::Struct(s) => {
            format!("{}, {} fields, {} bytes", s.name, s.len(), s.size)
        }
        _ => format!("{schema}, {} bytes", schema.size()),
    }
}

/// `show --json`: the latest value as a JSON object of its named fields (a time series value
/// as `{"stamp_ns", "seq", "value"}`); hex in a string without a schema.
pub(crate) fn json(out: &mut impl Write, name: &str) -> Result<u8, Failure> {
    let mut view = open(name)?;
    view.set_read_limit(view.geometry().payload_size.min(SHOW_MAX));
    let schema = view.schema().map(|s| s.to_buf());
    let record = match view.latest() {
        Ok(Some(r)) => r,
        Ok(None) => return Err(Failure::new(FAILED, format!("'{name}' holds no value yet"))),
        Err(e) => return Err(Failure::new(FAILED, format!("'{name}': {e}"))),
    };
    if !record.is_whole() {
        return Err(Failure::new(
            FAILED,
            format!("values of '{name}' are above 1 MiB: use `rtshm dump --format raw`"),
        ));
    }
    let v = crate::dump::value_json(schema.as_ref().map(|s| s.view()), &record);
    writeln!(out, "{v}")?;
    Ok(OK)
}
