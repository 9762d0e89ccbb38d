//! `rtshm`: inspect the rtshm shared-memory segments of this machine (feature `cli`).
//!
//! Segments are opened read-only and validated like any subscriber's; only `rm` and `gc`
//! change anything (they unlink segments). See `rtshm --help` and the README.
#![allow(
    clippy::disallowed_types,
    reason = "the signal flag is this process's own; the library's `sync` wrappers are for shared memory"
)]

mod fmt;
mod follow;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use rtshm::layout::LayoutError;
use rtshm::liveness::WriterStatus;
use rtshm::shm::{self, Inspector, Listed, OpenError, OpenOptions, SegmentInfo};

use follow::{Format, Start};

/// Everything worked.
const OK: u8 = 0;
/// The command failed: no such segment, an invalid or unreadable one, an I/O error.
const FAILED: u8 = 1;
/// The command line is wrong (clap's code for usage errors), or a name is not a valid name.
const USAGE: u8 = 2;
/// `list`, `rm` or `gc` finished, but some segment was corrupt or could not be removed.
const PARTIAL: u8 = 3;

const EXIT_CODES: &str = "\
Exit codes:
  0  success (also after Ctrl-C in watch and dump)
  1  failure: no such segment, an invalid or unreadable segment, an I/O error
  2  usage error: bad arguments or an invalid segment name
  3  partial: list, rm or gc finished, but some segment was corrupt or could not be removed
  130/143  interrupted by SIGINT/SIGTERM (outside watch and dump)";

/// Inspect rtshm shared-memory segments (under /dev/shm).
#[derive(Parser)]
#[command(name = "rtshm", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every rtshm segment: kind, sizes, writes, writer status and age.
    List {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one segment: header, layout, writer, latest value, and a time series' window.
    Show {
        /// The segment's name (as in `rtshm list`).
        name: String,
        /// Bytes of the latest value to print as hex (0: all).
        #[arg(long, default_value_t = 256)]
        bytes: usize,
        /// Milliseconds to count writes over for the write rate (0: skip).
        #[arg(long, default_value_t = 200)]
        sample_ms: u64,
    },
    /// Follow a segment live, like `top`: rate, writer status, and what a polling reader
    /// reads and misses. Ctrl-C quits.
    Watch {
        /// The segment's name.
        name: String,
        /// Milliseconds between screen refreshes.
        #[arg(long, default_value_t = 500)]
        interval_ms: u64,
        /// Milliseconds between the reader's polls.
        #[arg(long, default_value_t = 1)]
        poll_ms: u64,
        /// Stop after this many refreshes (default: until Ctrl-C).
        #[arg(long)]
        iterations: Option<u64>,
    },
    /// Stream values to stdout: hex lines, raw bytes for other tools, or JSON lines.
    ///
    /// `raw` writes each value exactly as stored: payload-size bytes, for a time series the
    /// whole record (stamp u64, seq u64, value, zero padding). Overwritten values that the
    /// dump could not read in time are reported on stderr.
    Dump {
        /// The segment's name.
        name: String,
        /// Stop after this many values (default: until Ctrl-C or a closed pipe).
        #[arg(long)]
        count: Option<u64>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Hex)]
        format: Format,
        /// Where to start: the oldest value held, the newest, or the next one written.
        #[arg(long, value_enum, default_value_t = Start::Newest)]
        from: Start,
        /// Give up (exit code 1) when no new value arrives for this many seconds.
        #[arg(long)]
        timeout: Option<f64>,
        /// Refuse (exit code 1) segments whose values are larger than this many bytes, rather
        /// than allocate and copy what a hostile or mistaken header claims.
        #[arg(long, default_value_t = 64 << 20)]
        max_bytes: usize,
    },
    /// Remove segments. A segment whose writer is alive is kept unless --force.
    Rm {
        /// The segments' names.
        #[arg(required = true)]
        names: Vec<String>,
        /// Remove even if the writer is alive (it keeps its mapping; new readers cannot open).
        #[arg(long)]
        force: bool,
    },
    /// Remove every segment whose writer process died. Unowned segments (writer exited
    /// cleanly, or persisted on purpose) and corrupt ones are kept.
    Gc {
        /// Only print what would be removed.
        #[arg(long)]
        dry_run: bool,
    },
}

/// A command's failure: the exit code and what to tell the user.
#[derive(Debug)]
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Self::new(FAILED, e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stop = Arc::new(AtomicBool::new(false));
    // SIGINT and SIGTERM end the process at any point (an open, a removal...), except inside
    // `watch` and `dump`, which finish their report and exit 0 (see `follow`).
    let looping = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let (stop, looping) = (Arc::clone(&stop), Arc::clone(&looping));
        // SAFETY: the handler only loads and stores atomics and calls `_exit`, all
        // async-signal-safe.
        let registered = unsafe {
            signal_hook::low_level::register(signal, move || {
                if looping.load(Ordering::Relaxed) {
                    stop.store(true, Ordering::Relaxed);
                } else {
                    signal_hook::low_level::exit(128 + signal);
                }
            })
        };
        if let Err(e) = registered {
            eprintln!("rtshm: cannot handle signal {signal}: {e}");
        }
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let result = match cli.command {
        Command::List { json } => list(&mut out, json),
        Command::Show {
            name,
            bytes,
            sample_ms,
        } => show(&mut out, &name, bytes, Duration::from_millis(sample_ms)),
        Command::Watch {
            name,
            interval_ms,
            poll_ms,
            iterations,
        } => open(&name).and_then(|mut view| {
            let options = follow::WatchOptions {
                interval: Duration::from_millis(interval_ms.max(1)),
                poll: Duration::from_millis(poll_ms),
                iterations,
                screen: io::stdout().is_terminal(),
            };
            looping.store(true, Ordering::Relaxed);
            follow::watch(&mut out, &mut view, &name, &options, &stop).map_err(Failure::from)
        }),
        Command::Dump {
            name,
            count,
            format,
            from,
            timeout,
            max_bytes,
        } => open(&name).and_then(|mut view| {
            let timeout = match timeout.map(Duration::try_from_secs_f64) {
                None => None,
                Some(Ok(t)) => Some(t),
                Some(Err(e)) => return Err(Failure::new(USAGE, format!("--timeout: {e}"))),
            };
            let options = follow::DumpOptions {
                count,
                format,
                from,
                timeout,
            };
            let size = view.geometry().payload_size;
            if size > max_bytes {
                return Err(Failure::new(
                    FAILED,
                    format!(
                        "values of '{name}' are {size} bytes, above --max-bytes {max_bytes}: \
                         raise it to dump them"
                    ),
                ));
            }
            looping.store(true, Ordering::Relaxed);
            follow::dump(&mut out, &mut view, &options, &stop)
        }),
        Command::Rm { names, force } => rm(&mut out, &names, force),
        Command::Gc { dry_run } => gc(&mut out, dry_run),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            let _ = out.flush();
            eprintln!("rtshm: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// Opens `name` read-only, with the CLI's wording for each failure.
fn open(name: &str) -> Result<Inspector, Failure> {
    let options = OpenOptions {
        init_timeout: Duration::from_millis(100),
        ..OpenOptions::default()
    };
    Inspector::open_with(name, options).map_err(|e| match e {
        OpenError::NotFound => Failure::new(
            FAILED,
            format!("no segment named '{name}' in /dev/shm (`rtshm list` shows them)"),
        ),
        OpenError::InvalidName(e) => {
            Failure::new(USAGE, format!("'{name}' is not a segment name: {e}"))
        }
        e => Failure::new(FAILED, format!("segment '{name}': {e}")),
    })
}

/// The writer column of `list` and the writer line of `show`.
fn writer_text(status: &WriterStatus, pid: Option<i32>) -> String {
    let mut s = fmt::status_word(status).to_owned();
    if let Some(pid) = pid {
        s.push_str(&format!(", pid {pid}"));
    }
    if let Some(age) = fmt::heartbeat_age(status) {
        s.push_str(&format!(", heartbeat {} ago", fmt::duration(age)));
    }
    s
}

/// `shm::list`, with the CLI's wording for a failure to read /dev/shm.
fn list_segments() -> Result<Vec<Listed>, Failure> {
    shm::list().map_err(|e| Failure::new(FAILED, format!("/dev/shm: {e}")))
}

fn list(out: &mut impl Write, json: bool) -> Result<u8, Failure> {
    let segments = list_segments()?;
    let bad = segments.iter().filter(|s| s.info.is_err()).count();
    if json {
        let items: Vec<String> = segments.iter().map(list_json).collect();
        writeln!(out, "[{}]", items.join(",\n "))?;
    } else if segments.is_empty() {
        eprintln!("rtshm: no rtshm segments in /dev/shm");
    } else {
        let header = [
            "NAME",
            "KIND",
            "PAYLOAD",
            "CAP",
            "WRITES",
            "WRITER",
            "PID",
            "HEARTBEAT",
            "CREATED",
        ];
        let rows: Vec<Vec<String>> = segments.iter().map(list_row).collect();
        let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
        for row in rows.iter().filter(|r| r.len() == header.len()) {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.len());
            }
        }
        let line = |cells: &[&str]| {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            padded.join("  ").trim_end().to_owned()
        };
        writeln!(out, "{}", line(&header))?;
        for row in &rows {
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            writeln!(out, "{}", line(&cells))?;
        }
    }
    let hidden = unreadable_in_dev_shm();
    if hidden > 0 {
        eprintln!(
            "rtshm: {hidden} file(s) in /dev/shm could not be read (permission denied) and may \
             be segments: run as their owner or as root to list them"
        );
    }
    if bad > 0 {
        eprintln!("rtshm: {bad} segment(s) have an invalid header");
        return Ok(PARTIAL);
    }
    Ok(OK)
}

/// How many files in /dev/shm this user may not read (`shm::list` cannot tell whether they
/// are rtshm segments, so it leaves them out).
fn unreadable_in_dev_shm() -> usize {
    let Ok(entries) = std::fs::read_dir("/dev/shm") else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| {
            std::fs::File::open(e.path())
                .is_err_and(|err| err.kind() == io::ErrorKind::PermissionDenied)
        })
        .count()
}

fn list_row(seg: &Listed) -> Vec<String> {
    let info = match &seg.info {
        Ok(info) => info,
        Err(e) => return vec![seg.name.clone(), format!("error: {e}")],
    };
    vec![
        seg.name.clone(),
        info.kind.to_string(),
        info.payload_size.to_string(),
        info.capacity.to_string(),
        info.writes.to_string(),
        fmt::status_word(&info.writer).to_owned(),
        info.writer_pid.map_or("-".into(), |p| p.to_string()),
        fmt::heartbeat_age(&info.writer)
            .map_or("-".into(), |a| format!("{} ago", fmt::duration(a))),
        fmt::utc(info.created_ns),
    ]
}

fn list_json(seg: &Listed) -> String {
    let info: &SegmentInfo = match &seg.info {
        Ok(info) => info,
        Err(e) => {
            return fmt::json_object(&[
                ("name", fmt::json_str(&seg.name)),
                ("error", fmt::json_str(&e.to_string())),
            ]);
        }
    };
    let age = fmt::heartbeat_age(&info.writer).map(|a| a.as_nanos());
    fmt::json_object(&[
        ("name", fmt::json_str(&seg.name)),
        ("kind", fmt::json_str(&info.kind.to_string())),
        ("payload_size", info.payload_size.to_string()),
        ("capacity", info.capacity.to_string()),
        ("writes", info.writes.to_string()),
        ("writer", fmt::json_str(fmt::status_word(&info.writer))),
        ("pid", fmt::json_opt(info.writer_pid)),
        ("heartbeat_age_ns", fmt::json_opt(age)),
        ("epoch", info.epoch.to_string()),
        (
            "fingerprint",
            fmt::json_str(&format!("{:#018x}", info.fingerprint)),
        ),
        ("len", info.len.to_string()),
        ("created_ns", info.created_ns.to_string()),
        ("created", fmt::json_str(&fmt::utc(info.created_ns))),
    ])
}

/// The most `show` prints of a value, even with `--bytes 0`.
const SHOW_MAX: usize = 1 << 20;

fn show(out: &mut impl Write, name: &str, bytes: usize, sample: Duration) -> Result<u8, Failure> {
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

fn rm(out: &mut impl Write, names: &[String], force: bool) -> Result<u8, Failure> {
    let listed = list_segments()?;
    let mut code = OK;
    for name in names {
        let refuse = |code: &mut u8, c: u8, why: String| {
            eprintln!("rtshm: {name}: {why}");
            *code = (*code).max(c);
        };
        if let Err(e) = shm::SegmentName::new(name) {
            refuse(&mut code, USAGE, format!("not a segment name: {e}"));
            continue;
        }
        let Some(seg) = listed.iter().find(|s| &s.name == name) else {
            refuse(&mut code, FAILED, not_listed(name));
            continue;
        };
        // The owner word is read whatever the header's state: a live writer's segment with a
        // corrupt header is still its segment.
        if seg.writer.may_be_running() && !force {
            let pid = seg.writer_pid.unwrap_or(0);
            let word = fmt::status_word(&seg.writer);
            refuse(
                &mut code,
                PARTIAL,
                format!("writer pid {pid} is {word}; not removed (--force removes it)"),
            );
            continue;
        }
        match shm::remove(name) {
            Ok(()) => writeln!(out, "removed {name}")?,
            Err(e) => refuse(&mut code, PARTIAL, format!("not removed: {e}")),
        }
    }
    Ok(code)
}

/// Why `rm` does not find `name` among the listed segments.
fn not_listed(name: &str) -> String {
    let path = std::path::Path::new("/dev/shm").join(name);
    let Ok(meta) = std::fs::symlink_metadata(&path) else {
        return "no such segment".to_owned();
    };
    if !meta.file_type().is_file() {
        return "not an rtshm segment (not a regular file); not removed".to_owned();
    }
    match std::fs::File::open(&path) {
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => "permission denied: this user \
            cannot read it to check that it is an rtshm segment (run as its owner or as root); \
            not removed"
            .to_owned(),
        _ => "not an rtshm segment; not removed".to_owned(),
    }
}

fn gc(out: &mut impl Write, dry_run: bool) -> Result<u8, Failure> {
    let listed = list_segments()?;
    let mut candidates = Vec::new();
    for seg in &listed {
        let why = match (&seg.info, seg.writer) {
            (_, WriterStatus::Dead) => match seg.writer_pid {
                Some(pid) => format!("writer pid {pid} is dead"),
                None => "writer is dead".to_owned(),
            },
            // A creator died before finishing it (no live owner: checked again on removal).
            (Err(LayoutError::NotInitialized), w) if !w.may_be_running() => {
                "never initialised by its creator".to_owned()
            }
            (Err(e), _) => {
                eprintln!("rtshm: {}: kept, invalid header: {e}", seg.name);
                continue;
            }
            (Ok(_), _) => continue,
        };
        candidates.push((seg.name.clone(), why));
    }
    let builds =
        shm::abandoned_builds().map_err(|e| Failure::new(FAILED, format!("/dev/shm: {e}")))?;
    for name in builds {
        candidates.push((name, "a creator died while building it".to_owned()));
    }
    let mut code = OK;
    let mut removed = 0;
    for (name, why) in &candidates {
        if dry_run {
            writeln!(out, "would remove {name} ({why})")?;
            removed += 1;
            continue;
        }
        // Checked again under the segment's lifecycle lock, which a publisher taking it over
        // holds too: a segment taken over meanwhile is kept.
        match shm::remove_if_dead(name) {
            Ok(true) => {
                writeln!(out, "removed {name} ({why})")?;
                removed += 1;
            }
            Ok(false) => eprintln!("rtshm: {name}: kept, it changed (taken over or in use)"),
            Err(OpenError::NotFound) => {}
            Err(e) => {
                eprintln!("rtshm: {name}: not removed: {e}");
                code = PARTIAL;
            }
        }
    }
    if removed == 0 {
        writeln!(out, "no segment with a dead writer")?;
    }
    Ok(code)
}
