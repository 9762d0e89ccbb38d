//! `rtshm record`, `rtshm replay` and `rtshm info`: MCAP files of segments (the `rtshm-record`
//! crate, compiled in with the CLI's `record` feature). Without the feature the commands exist
//! and say how to get them.
#![cfg_attr(
    not(feature = "record"),
    allow(
        unused_imports,
        dead_code,
        reason = "used by the `record` feature's commands"
    )
)]

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::{FAILED, Failure, OK, USAGE, fmt};

/// `--compression`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Compression {
    /// zstd: the best ratio.
    Zstd,
    /// lz4: faster, larger.
    Lz4,
    /// Uncompressed.
    None,
}

/// `rtshm record`'s arguments.
#[derive(Debug)]
pub(crate) struct RecordArgs {
    pub(crate) output: std::path::PathBuf,
    pub(crate) names: Vec<String>,
    pub(crate) all: bool,
    pub(crate) duration: Option<f64>,
    pub(crate) compression: Compression,
}

#[cfg(not(feature = "live"))]
pub(crate) fn serve(
    _: &mut impl Write,
    _: &[String],
    _: bool,
    _: &str,
    _: u16,
    _: &AtomicBool,
) -> Result<u8, Failure> {
    Err(Failure::new(
        FAILED,
        "this rtshm was built without the live view: build it with `--features live` \
         (cargo install rtshm-cli --features live)",
    ))
}

/// `rtshm serve`: follows the segments and serves them to Foxglove until Ctrl-C.
#[cfg(feature = "live")]
pub(crate) fn serve(
    out: &mut impl Write,
    names: &[String],
    all: bool,
    host: &str,
    port: u16,
    stop: &AtomicBool,
) -> Result<u8, Failure> {
    if names.is_empty() && !all {
        return Err(Failure::new(
            USAGE,
            "name the segments to serve, or pass --all",
        ));
    }
    let mut server = rtshm_record::live::LiveServer::start(host, port)
        .map_err(|e| Failure::new(FAILED, e.to_string()))?;
    for name in names {
        server
            .add(name)
            .map_err(|e| Failure::new(FAILED, e.to_string()))?;
    }
    writeln!(
        out,
        "serving on ws://{host}:{}: open it in Foxglove (Open connection, Foxglove WebSocket)",
        server.port()
    )?;
    out.flush()?;
    let mut last_scan = Instant::now() - Duration::from_secs(2);
    while !stop.load(Ordering::Relaxed) {
        if all && last_scan.elapsed() >= Duration::from_secs(1) {
            last_scan = Instant::now();
            let known: Vec<String> = server.names().map(str::to_owned).collect();
            join_new_segments(&known, "serving", |name| server.add(name));
        }
        server
            .forward_pending(Duration::from_millis(50))
            .map_err(|e| Failure::new(FAILED, e.to_string()))?;
    }
    Ok(OK)
}

#[cfg(not(feature = "record"))]
fn missing() -> Failure {
    Failure::new(
        FAILED,
        "this rtshm was built without MCAP support: build it with `--features record` \
         (cargo install rtshm-cli --features record)",
    )
}

#[cfg(not(feature = "record"))]
pub(crate) fn record(_: &mut impl Write, _: RecordArgs, _: &AtomicBool) -> Result<u8, Failure> {
    Err(missing())
}

#[cfg(not(feature = "record"))]
pub(crate) fn replay(
    _: &mut impl Write,
    _: &Path,
    _: f64,
    _: bool,
    _: &[String],
    _: f64,
    _: &AtomicBool,
) -> Result<u8, Failure> {
    Err(missing())
}

#[cfg(not(feature = "record"))]
pub(crate) fn info(_: &mut impl Write, _: &Path) -> Result<u8, Failure> {
    Err(missing())
}

/// For `--all`: starts following (`add`) every valid segment that is not a queue and not in
/// `known` (called every second, so that new segments join), saying `doing` and the name, or
/// why not.
#[cfg(feature = "record")]
fn join_new_segments<E: std::fmt::Display>(
    known: &[String],
    doing: &str,
    mut add: impl FnMut(&str) -> Result<(), E>,
) {
    let segments = rtshm::shm::list().unwrap_or_default().into_iter();
    let new = segments
        .filter_map(|l| l.info.ok())
        .filter(|i| i.kind != rtshm::layout::Kind::Queue)
        .map(|i| i.name.as_str().to_owned())
        .filter(|n| !known.contains(n));
    for name in new {
        match add(&name) {
            Ok(()) => eprintln!("rtshm: {doing} {name}"),
            Err(e) => eprintln!("rtshm: not {doing} {e}"),
        }
    }
}

#[cfg(feature = "record")]
pub(crate) fn record(
    out: &mut impl Write,
    args: RecordArgs,
    stop: &AtomicBool,
) -> Result<u8, Failure> {
    use rtshm_record::{Compression as C, RecordOptions, Recorder};
    if args.names.is_empty() && !args.all {
        return Err(Failure::new(
            USAGE,
            "name the segments to record, or pass --all",
        ));
    }
    let compression = match args.compression {
        Compression::Zstd => C::Zstd,
        Compression::Lz4 => C::Lz4,
        Compression::None => C::None,
    };
    let duration = match args.duration.map(Duration::try_from_secs_f64) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => return Err(Failure::new(USAGE, format!("--duration: {e}"))),
    };
    let file = |e: rtshm_record::RecordError| {
        Failure::new(FAILED, format!("{}: {e}", args.output.display()))
    };
    let mut recorder =
        Recorder::create(&args.output, RecordOptions::new().compression(compression))
            .map_err(file)?;
    for name in &args.names {
        recorder
            .add(name)
            .map_err(|e| Failure::new(FAILED, e.to_string()))?;
    }
    let tty = std::io::stderr().is_terminal();
    let start = Instant::now();
    let mut last_scan = Instant::now() - Duration::from_secs(2);
    let mut last_line = Instant::now();
    let mut last_counts: Vec<u64> = Vec::new();
    while !stop.load(Ordering::Relaxed) && duration.is_none_or(|d| start.elapsed() < d) {
        if args.all && last_scan.elapsed() >= Duration::from_secs(1) {
            last_scan = Instant::now();
            let known: Vec<String> = recorder.names().map(str::to_owned).collect();
            join_new_segments(&known, "recording", |name| recorder.add(name));
        }
        recorder
            .write_pending(Duration::from_millis(50))
            .map_err(file)?;
        if tty && last_line.elapsed() >= Duration::from_secs(1) {
            let stats = recorder.stats();
            let dt = last_line.elapsed().as_secs_f64();
            last_line = Instant::now();
            let line: Vec<String> = stats
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let before = last_counts.get(i).copied().unwrap_or(0);
                    format!(
                        "{} {:.0} msg/s {} laps {}",
                        s.topic,
                        (s.messages - before) as f64 / dt,
                        fmt::bytes(s.bytes),
                        s.laps
                    )
                })
                .collect();
            last_counts = stats.iter().map(|s| s.messages).collect();
            eprint!("\r\x1b[K{}", line.join(" | "));
        }
    }
    if tty {
        eprintln!();
    }
    let summary = recorder.finish().map_err(file)?;
    let elapsed = start.elapsed();
    writeln!(
        out,
        "recorded {} in {}",
        args.output.display(),
        fmt::duration(elapsed)
    )?;
    let mut lost = false;
    for c in &summary.channels {
        lost |= c.laps > 0;
        writeln!(
            out,
            "  {:<24} {:>9} messages {:>10} laps {}",
            c.topic,
            c.messages,
            fmt::bytes(c.bytes),
            c.laps
        )?;
    }
    if lost {
        writeln!(
            out,
            "some values were overwritten before the recorder read them (laps)"
        )?;
    }
    Ok(OK)
}

#[cfg(feature = "record")]
pub(crate) fn replay(
    out: &mut impl Write,
    path: &Path,
    rate: f64,
    looping: bool,
    remap: &[String],
    delay: f64,
    stop: &AtomicBool,
) -> Result<u8, Failure> {
    let mut options = rtshm_record::ReplayOptions::new()
        .rate(rate)
        .looping(looping)
        .delay(
            Duration::try_from_secs_f64(delay)
                .map_err(|e| Failure::new(USAGE, format!("--delay: {e}")))?,
        );
    for pair in remap {
        let Some((from, to)) = pair.split_once('=') else {
            return Err(Failure::new(
                USAGE,
                format!("--remap {pair}: expected FROM=TO"),
            ));
        };
        options = options.remap(from, to);
    }
    let tty = std::io::stderr().is_terminal();
    let mut last = Instant::now();
    let summary = rtshm_record::replay(path, &options, stop, |n| {
        if tty && last.elapsed() >= Duration::from_millis(500) {
            last = Instant::now();
            eprint!("\r\x1b[K{n} values published");
        }
    })
    .map_err(|e| Failure::new(FAILED, format!("{}: {e}", path.display())))?;
    if tty {
        eprintln!();
    }
    for (name, n) in &summary.published {
        writeln!(out, "{name}: {n} values")?;
    }
    Ok(OK)
}

#[cfg(feature = "record")]
pub(crate) fn info(out: &mut impl Write, path: &Path) -> Result<u8, Failure> {
    let info = rtshm_record::info(path)
        .map_err(|e| Failure::new(FAILED, format!("{}: {e}", path.display())))?;
    writeln!(out, "file      {}", path.display())?;
    match info.span {
        Some((a, b)) => writeln!(
            out,
            "duration  {} ({} .. {})",
            fmt::duration(Duration::from_nanos(b.saturating_sub(a))),
            fmt::utc(a),
            fmt::utc(b)
        )?,
        None => writeln!(out, "duration  no messages")?,
    }
    if !info.complete {
        writeln!(
            out,
            "summary   missing (the recorder did not finish): read up to the last complete chunk"
        )?;
    }
    writeln!(out, "channels  {}", info.channels.len())?;
    for c in &info.channels {
        let meta = |k: &str| c.metadata.get(k).map_or("?", String::as_str);
        let laps = c.laps.map_or("unknown".to_owned(), |n| n.to_string());
        writeln!(
            out,
            "  {:<24} {:>9} messages  laps {laps}  {} x{}  {}  {} clock",
            c.topic,
            c.messages,
            meta(rtshm_record::keys::KIND),
            meta(rtshm_record::keys::CAPACITY),
            c.schema,
            meta(rtshm_record::keys::CLOCK),
        )?;
    }
    Ok(OK)
}
