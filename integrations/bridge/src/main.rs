//! `rtshm-bridge` (also `rtshm bridge`): export local segments to Zenoh, import remote ones.
#![allow(
    clippy::disallowed_types,
    reason = "the Ctrl-C flag is this process's own, not shared memory"
)]

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use rtshm_bridge::{Bridge, BridgeError, ExportOptions, ImportOptions};

/// Bridge rtshm segments between hosts over Zenoh.
///
/// Values of each exported segment go on the Zenoh key rtshm/<namespace>/<segment>; an import
/// writes the values under a key expression into local segments of the same type, so local
/// readers read remote sensors like local ones.
#[derive(Parser, Debug)]
#[command(name = "rtshm-bridge", version, after_help = EXAMPLES)]
struct Args {
    /// Export the segment NAME, or every segment matching GLOB (`*`, `?`; segments appearing
    /// later too); repeatable.
    #[arg(long, value_name = "NAME|GLOB")]
    export: Vec<String>,
    /// Import every segment under KEYEXPR (such as rtshm/robot1/** or rtshm/*/imu);
    /// repeatable.
    #[arg(long, value_name = "KEYEXPR")]
    import: Vec<String>,
    /// The namespace of exported keys [default: this host's name].
    #[arg(long, value_name = "NS")]
    namespace: Option<String>,
    /// Name imported segments PREFIX + the remote name.
    #[arg(long, value_name = "PREFIX", default_value = "")]
    prefix: String,
    /// Zenoh endpoint to connect to (tcp/HOST:PORT, ...); repeatable.
    #[arg(long, value_name = "ENDPOINT")]
    connect: Vec<String>,
    /// Zenoh endpoint to listen on (tcp/0.0.0.0:7447, ...); repeatable.
    #[arg(long, value_name = "ENDPOINT")]
    listen: Vec<String>,
    /// Zenoh mode.
    #[arg(long, value_parser = ["peer", "client", "router"])]
    mode: Option<String>,
    /// A Zenoh configuration file (JSON5); the options above override it.
    #[arg(long, value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    /// Turn multicast scouting off (use explicit --connect/--listen endpoints).
    #[arg(long)]
    no_multicast_scouting: bool,
    /// Rings and time series drop values when Zenoh is congested (default: the exporter
    /// waits, and counts the values the source overwrites meanwhile).
    #[arg(long)]
    drop: bool,
    /// Send each value at once, unbatched (lower latency under load, lower throughput).
    #[arg(long)]
    express: bool,
    /// Print the status line every SECONDS when stderr is not a terminal (0: never).
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    status_every: f64,
}

const EXAMPLES: &str = "\
Examples:
  # on the robot: export every segment, listen for peers
  rtshm-bridge --namespace robot1 --export '*' --listen tcp/0.0.0.0:7447
  # on the laptop: import them, under their own names
  rtshm-bridge --import 'rtshm/robot1/**' --connect tcp/robot1.local:7447
Exit status: 0 after Ctrl-C, 1 on an error, 2 on bad usage.";

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rtshm-bridge: {e}");
            ExitCode::FAILURE
        }
    }
}

fn config(args: &Args) -> Result<zenoh::Config, BridgeError> {
    let mut config = match &args.config {
        Some(path) => zenoh::Config::from_file(path)?,
        None => zenoh::Config::default(),
    };
    rtshm_bridge::set_endpoints(&mut config, &args.listen, &args.connect)?;
    if let Some(mode) = &args.mode {
        config.insert_json5("mode", &format!("{mode:?}"))?;
    }
    if args.no_multicast_scouting {
        config.insert_json5("scouting/multicast/enabled", "false")?;
    }
    Ok(config)
}

/// This host's name as a namespace: its letters, digits, `-`, `_` and `.`.
fn host_namespace() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let clean: String = name
        .trim()
        .chars()
        .filter(|&c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    if clean.is_empty() {
        "host".to_owned()
    } else {
        clean
    }
}

fn run(args: &Args) -> Result<(), BridgeError> {
    if args.export.is_empty() && args.import.is_empty() {
        return Err(BridgeError::Unsupported {
            name: "arguments".into(),
            reason: "nothing to do: give --export NAME|GLOB and/or --import KEYEXPR".into(),
        });
    }
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, stop.clone())?;
    }
    let namespace = args.namespace.clone().unwrap_or_else(host_namespace);
    let bridge = Bridge::open(config(args)?, &namespace)?;
    let import = ImportOptions::new().prefix(&args.prefix);
    for key_expr in &args.import {
        bridge.import(key_expr, import.clone())?;
        eprintln!("rtshm-bridge: importing {key_expr}");
    }
    let export = ExportOptions::new()
        .drop_when_congested(args.drop)
        .express(args.express);
    let tty = std::io::stderr().is_terminal();
    let every = if tty {
        Some(Duration::from_secs(1))
    } else {
        Duration::try_from_secs_f64(args.status_every)
            .ok()
            .filter(|d| !d.is_zero())
    };
    let mut reported = std::collections::BTreeSet::new();
    let (mut scanned, mut printed): (Option<Instant>, Instant) = (None, Instant::now());
    while !stop.load(Ordering::Relaxed) {
        if scanned.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
            scanned = Some(Instant::now());
            for pattern in &args.export {
                let before: Vec<String> = bridge
                    .stats()
                    .exports
                    .into_iter()
                    .map(|l| l.segment)
                    .collect();
                let mut skipped = |name: &str, e: &BridgeError| {
                    if reported.insert(name.to_owned()) {
                        eprintln!("rtshm-bridge: not exporting {name}: {e}");
                    }
                };
                if pattern.contains(['*', '?']) {
                    bridge.export_matching_with(pattern, export.clone(), &mut skipped)?;
                } else {
                    match bridge.export(pattern, export.clone()) {
                        // Not there yet: exported when it appears.
                        Ok(())
                        | Err(BridgeError::Open {
                            error: rtshm::shm::OpenError::NotFound,
                            ..
                        }) => {}
                        Err(e) => skipped(pattern, &e),
                    }
                }
                for link in bridge
                    .stats()
                    .exports
                    .iter()
                    .filter(|l| !before.contains(&l.segment))
                {
                    eprintln!("rtshm-bridge: exporting {} as {}", link.segment, link.key);
                }
            }
        }
        if let Some(every) = every
            && printed.elapsed() >= every
        {
            printed = Instant::now();
            let line = bridge.stats().to_string();
            if tty {
                eprint!("\r\x1b[2K{line}");
            } else {
                eprintln!("{line}");
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if tty {
        eprintln!();
    }
    eprintln!("rtshm-bridge: {}", bridge.stats());
    bridge.close()
}
