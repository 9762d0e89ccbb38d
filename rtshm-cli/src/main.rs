//! `rtshm`: inspect the rtshm shared-memory segments of this machine.
//!
//! Segments are opened read-only and validated like any subscriber's; only `rm` and `gc`
//! change anything (they unlink segments). One file per command; see `rtshm --help` and the
//! README.
#![allow(
    clippy::disallowed_types,
    reason = "the signal flag is this process's own; the library's `sync` wrappers are for shared memory"
)]

mod codegen;
mod decode;
mod dump;
mod fmt;
mod follow;
mod gc;
mod list;
mod record;
mod rm;
mod schema;
mod show;
mod watch;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Parser, Subcommand};
use rtshm::liveness::WriterStatus;
use rtshm::shm::{self, Inspector, Listed, OpenConfig, OpenError};

use dump::Format;
use follow::Start;

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
        /// Bytes of the latest value to read and print (0: all, up to 1 MiB); a value cut
        /// short prints as hex.
        #[arg(long, default_value_t = 256)]
        bytes: usize,
        /// Milliseconds to count writes over for the write rate (0: skip).
        #[arg(long, default_value_t = 200)]
        sample_ms: u64,
        /// How to print the latest value: its named fields (by the segment's schema), or hex.
        #[arg(long, value_enum, default_value_t = show::ValueFormat::Table)]
        format: show::ValueFormat,
        /// Print only the latest value, as a JSON object of its named fields (a time series
        /// value with its `stamp_ns` and `seq`).
        #[arg(long)]
        json: bool,
    },
    /// Print a segment's schema: its fields in the ROS 2 `.msg` style (`float32[3] accel`,
    /// then nested types), or as JSON.
    Schema {
        /// The segment's name.
        name: String,
        /// Print JSON (`kind`, `name`, `size`, `align`, `fields` with `name`, `offset`,
        /// `type`) instead.
        #[arg(long)]
        json: bool,
    },
    /// Print the declaration of a segment's value type in C, C++, Rust or Python (numpy),
    /// from its schema: a program in another language reads the segment without copying a
    /// layout by hand (`rtshm codegen --lang cpp imu > imu.hpp`).
    Codegen {
        /// The language.
        #[arg(long, value_enum)]
        lang: codegen::Lang,
        /// The segment's name.
        name: String,
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
        #[arg(long, value_enum, default_value_t = Format::Text)]
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
    /// Record segments to an MCAP file (ROS 2 .msg schemas, CDR messages: Foxglove, the
    /// `mcap` tools and ROS 2 bag readers open it) until Ctrl-C or --duration. Needs the
    /// `record` feature.
    Record {
        /// The file to write.
        #[arg(short, long)]
        output: std::path::PathBuf,
        /// The segments (queues are not recorded).
        names: Vec<String>,
        /// Every segment, including those created while recording.
        #[arg(long, conflicts_with = "names")]
        all: bool,
        /// Stop after this many seconds.
        #[arg(long)]
        duration: Option<f64>,
        /// Chunk compression.
        #[arg(long, value_enum, default_value_t = record::Compression::Zstd)]
        compression: record::Compression,
    },
    /// Recreate the segments of a recording and publish its values with the recorded timing.
    /// Needs the `record` feature.
    Replay {
        /// The MCAP file (written by `rtshm record`).
        file: std::path::PathBuf,
        /// Speed factor (2 = twice as fast; 0 = as fast as possible).
        #[arg(long, default_value_t = 1.0)]
        rate: f64,
        /// Start again at the end until Ctrl-C (time-series stamps keep increasing).
        #[arg(long = "loop")]
        looping: bool,
        /// Publish segment FROM under the name TO (needed when FROM's writer is alive).
        #[arg(long, value_name = "FROM=TO")]
        remap: Vec<String>,
        /// Seconds between creating the segments and the first value (for subscribers to open).
        #[arg(long, default_value_t = 0.0)]
        delay: f64,
    },
    /// Serve segments live to Foxglove (its WebSocket protocol, the channels of a recording)
    /// until Ctrl-C. Needs the `live` feature.
    Serve {
        /// The segments (queues are not served).
        names: Vec<String>,
        /// Every segment, including those created while serving.
        #[arg(long, conflicts_with = "names")]
        all: bool,
        /// The address to listen on (0.0.0.0 for other machines).
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// The port (0: any free one, printed).
        #[arg(long, default_value_t = 8765)]
        port: u16,
    },
    /// Channels, schemas, message counts, duration and laps of a recording. Needs the `record`
    /// feature.
    Info {
        /// The MCAP file.
        file: std::path::PathBuf,
    },
    /// Bridge segments to other hosts over Zenoh: runs `rtshm-bridge` with these arguments
    /// (`rtshm bridge --help`). Install it with `cargo install --path integrations/bridge` (its own crate:
    /// Zenoh stays out of this tool's build).
    #[command(disable_help_flag = true)]
    Bridge {
        /// `rtshm-bridge`'s arguments (`--export`, `--import`, `--connect`, ...).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
    /// Remove every segment whose writer process died. Unowned segments (writer exited
    /// cleanly, or persisted on purpose) and corrupt ones are kept (exit code 3 for a corrupt
    /// one).
    Gc {
        /// Only print what would be removed.
        #[arg(long)]
        dry_run: bool,
        /// Only these segments (default: every segment in /dev/shm).
        names: Vec<String>,
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
        Command::List { json } => list::run(&mut out, json),
        Command::Show {
            name,
            bytes,
            sample_ms,
            format,
            json,
        } => {
            if json {
                show::json(&mut out, &name)
            } else {
                let sample = Duration::from_millis(sample_ms);
                show::run(&mut out, &name, bytes, sample, format)
            }
        }
        Command::Schema { name, json } => schema::run(&mut out, &name, json),
        Command::Codegen { lang, name } => codegen::run(&mut out, &name, lang),
        Command::Watch {
            name,
            interval_ms,
            poll_ms,
            iterations,
        } => open_values(&name).and_then(|mut view| {
            let options = watch::WatchOptions {
                interval: Duration::from_millis(interval_ms.max(1)),
                poll: Duration::from_millis(poll_ms),
                iterations,
                screen: io::stdout().is_terminal(),
            };
            looping.store(true, Ordering::Relaxed);
            watch::run(&mut out, &mut view, &name, &options, &stop).map_err(Failure::from)
        }),
        Command::Dump {
            name,
            count,
            format,
            from,
            timeout,
            max_bytes,
        } => open_values(&name).and_then(|mut view| {
            let timeout = match timeout.map(Duration::try_from_secs_f64) {
                None => None,
                Some(Ok(t)) => Some(t),
                Some(Err(e)) => return Err(Failure::new(USAGE, format!("--timeout: {e}"))),
            };
            let options = dump::DumpOptions {
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
            dump::run(&mut out, &mut view, &options, &stop)
        }),
        Command::Rm { names, force } => rm::run(&mut out, &names, force),
        Command::Record {
            output,
            names,
            all,
            duration,
            compression,
        } => {
            looping.store(true, Ordering::Relaxed);
            let args = record::RecordArgs {
                output,
                names,
                all,
                duration,
                compression,
            };
            record::record(&mut out, args, &stop)
        }
        Command::Replay {
            file,
            rate,
            looping: again,
            remap,
            delay,
        } => {
            looping.store(true, Ordering::Relaxed);
            record::replay(&mut out, &file, rate, again, &remap, delay, &stop)
        }
        Command::Info { file } => record::info(&mut out, &file),
        Command::Serve {
            names,
            all,
            host,
            port,
        } => {
            looping.store(true, Ordering::Relaxed);
            record::serve(&mut out, &names, all, &host, port, &stop)
        }
        Command::Gc { dry_run, names } => gc::run(&mut out, dry_run, &names),
        Command::Bridge { args } => bridge(&args),
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

/// Replaces this process with `rtshm-bridge args`: the one next to this executable, else the
/// one on `PATH`.
fn bridge(args: &[std::ffi::OsString]) -> Result<u8, Failure> {
    use std::os::unix::process::CommandExt;
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("rtshm-bridge")))
        .filter(|path| path.is_file());
    let program = beside.map_or_else(|| "rtshm-bridge".into(), std::path::PathBuf::into_os_string);
    let error = std::process::Command::new(&program).args(args).exec();
    Err(Failure {
        code: FAILED,
        message: if error.kind() == io::ErrorKind::NotFound {
            "rtshm-bridge is not installed: cargo install --path integrations/bridge (in rtshm's repository)"
                .to_owned()
        } else {
            format!("cannot run {}: {error}", program.to_string_lossy())
        },
    })
}

/// Opens `name` read-only, with the CLI's wording for each failure.
fn open(name: &str) -> Result<Inspector, Failure> {
    let options = OpenConfig::new().init_timeout(Duration::from_millis(100));
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

/// [`open`] for the commands that read values (`watch`, `dump`): a queue's values are its
/// consumer's, so those refuse it with what to use instead.
fn open_values(name: &str) -> Result<Inspector, Failure> {
    let view = open(name)?;
    if view.kind() == rtshm::layout::Kind::Queue {
        return Err(Failure::new(
            FAILED,
            format!(
                "'{name}' is a queue: its values belong to its consumer, and reading them here \
                 would not pop them (`rtshm show {name}` shows both sides)"
            ),
        ));
    }
    Ok(view)
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
