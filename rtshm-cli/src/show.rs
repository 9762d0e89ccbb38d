//! `rtshm show`: one segment's header, layout, writer, latest value and series window.

use std::io::Write;
use std::time::{Duration, Instant};

use rtshm::shm;

use crate::{Failure, OK, fmt, follow, open, writer_text};

/// The most `show` prints of a value, even with `--bytes 0`.
const SHOW_MAX: usize = 1 << 20;

pub(crate) fn run(
    out: &mut impl Write,
    name: &str,
    bytes: usize,
    sample: Duration,
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
    writeln!(
        out,
        "layout       version {}, data at {} ({} bytes)",
        h.layout_version,
        rtshm::layout::DATA_OFFSET,
        g.data_len
    )?;
    writeln!(out, "clock        {:?}", view.clock())?;
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
    match view.latest() {
        Ok(Some(r)) => {
            writeln!(
                out,
                "latest       #{}{}",
                r.number(),
                follow::stamp_text(&r)
            )?;
            write!(out, "{}", fmt::hex_dump(r.value(), bytes, "  "))?;
        }
        Ok(None) => writeln!(out, "latest       none (nothing written yet)")?,
        Err(e) => writeln!(out, "latest       unreadable: {e}")?,
    }
    if g.kind == rtshm::layout::Kind::TimeSeries {
        writeln!(out, "series       {}", follow::window_text(&mut view))?;
    }
    Ok(OK)
}
