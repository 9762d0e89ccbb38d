//! Bridge rtshm segments between hosts over [Zenoh](https://zenoh.io).
//!
//! A [`Bridge`] is one Zenoh session. [`Bridge::export`] follows a local segment and puts each
//! value on the key `rtshm/<namespace>/<segment>`; [`Bridge::import`] subscribes to a key
//! expression and writes each value into a local segment of the same kind, schema and capacity,
//! created (or taken over) on first sight, so that a local `Subscriber` reads a remote sensor
//! exactly like a local one. Zenoh brings the discovery, routing, reconnection and security.
//!
//! ```no_run
//! use rtshm_bridge::{Bridge, ExportOptions, ImportOptions, zenoh_config};
//!
//! // On the robot: export every segment whose name starts with `imu`.
//! let robot = Bridge::open(zenoh_config(&["tcp/0.0.0.0:7447"], &[])?, "robot1")?;
//! robot.export_matching("imu*", ExportOptions::default())?;
//!
//! // On the laptop: every segment the robot exports, written into local segments of the
//! // same names, read with `Subscriber::open("imu")` as if the IMU were here.
//! let laptop = Bridge::open(zenoh_config(&[], &["tcp/robot1.local:7447"])?, "laptop")?;
//! laptop.import("rtshm/robot1/**", ImportOptions::default())?;
//! # Ok::<(), rtshm_bridge::BridgeError>(())
//! ```
//!
//! # What travels
//! - **Values**: key `rtshm/<namespace>/<segment>`, payload a [`HEADER_LEN`]-byte header (the
//!   source's write number and the type's fingerprint, u64 each, little-endian), then the
//!   value's bytes exactly as the segment stores them (a time series: the record with its
//!   stamp and sequence number; little-endian hosts only, as rtshm itself). A ring's values
//!   found already written when the exporter reads travel together: the payload then holds
//!   several records (consecutive write numbers from the header's, at most [`BATCH_BYTES`]);
//!   a reader splits it by the record size. A single value waits for nothing. The write
//!   numbers tell the importer what it missed. (The header is in the payload, not a Zenoh attachment:
//!   an attachment cost 105 ns per 64 B value, a third of a plain put, `BENCHMARKS.md`.)
//! - **Metadata**: a queryable on `rtshm/<namespace>/<segment>/@meta` answers JSON: `kind`,
//!   `capacity`, `clock`, `fingerprint` (hex), `schema` (the encoded schema, hex),
//!   `payload_size`, `epoch`, `segment`. `@meta` is a verbatim chunk: a subscriber to
//!   `rtshm/**` never receives it. The importer asks for it on first sight of a segment (and
//!   again when the fingerprint in the headers changes).
//! - **Liveness**: a Zenoh liveliness token `rtshm/<namespace>/<segment>` while the source
//!   segment's writer is alive (see below).
//!
//! # Loss
//! A SeqLock is latest-wins: put with congestion control *drop*. A Ring or TimeSeries is put
//! with *block* by default (nothing dropped while the network keeps up; a stalled link makes
//! the exporter fall behind the source, never the source's writer wait, and values it then
//! misses are counted as laps), or *drop* ([`ExportOptions::drop_when_congested`]). Every value
//! carries its write number: the importer adds each gap to the imported segment's
//! `lost_upstream` count, which `rtshm show` prints and `Inspector::lost_upstream` reads
//! (for a SeqLock a gap is a store the exporter never saw, normal for latest-wins). Both sides'
//! counts are in [`Bridge::stats`] and the bridge's status line.
//!
//! # Liveness across hosts
//! The importer heartbeats an imported segment while the exporter's liveliness token for it
//! exists. The exporter holds the token while the source's writer is alive (checked every
//! [`SOURCE_CHECK`]). So when the remote writer dies or stalls, the exporting bridge dies, or
//! the link drops, the heartbeat stops and the imported segment's writer reads
//! [`Stale`](rtshm::liveness::WriterStatus::Stale) once its heartbeat is older than the
//! reader's threshold (`rtshm show` and `list` use 1 s). The bound, from the event to `Stale`:
//! - the remote writer dies or stalls: [`SOURCE_CHECK`] + the threshold (1.25 s with `show`);
//! - the exporting bridge process exits or is killed: its TCP connection closes at once, so
//!   the token goes within milliseconds: about the threshold (1 s);
//! - the link silently drops (a cable, a Wi-Fi loss): Zenoh's lease
//!   (`transport/link/tx/lease`, 10 s by default; set it in a config file) + the threshold.
//!
//! When the token returns (the writer or the bridge restarts, the link heals), heartbeats and
//! values resume, without restarting the importing bridge or any local reader.
#![allow(
    clippy::disallowed_types,
    reason = "the bridge's own threads share std mutexes and flags; rtshm's `sync` wrappers are \
              for shared memory"
)]

mod export;
mod import;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use rtshm::shm::OpenError;
use zenoh::Wait;

pub use export::{BATCH_BYTES, ExportOptions};
pub use import::ImportOptions;

/// How often an exporter checks its source's writer (and takes its liveliness token back or
/// declares it again).
pub const SOURCE_CHECK: Duration = Duration::from_millis(250);

/// How often an importer refreshes the heartbeat of an imported segment whose exporter is
/// alive.
pub const HEARTBEAT_EVERY: Duration = Duration::from_millis(100);

/// The key prefix of every bridged segment.
pub const KEY_PREFIX: &str = "rtshm";

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum BridgeError {
    /// Zenoh refused (a configuration, a key expression, a session that cannot open).
    Zenoh(String),
    /// A segment could not be opened for export.
    Open {
        /// The segment's name.
        name: String,
        /// Why.
        error: OpenError,
    },
    /// A segment that cannot be bridged (a queue, no schema) or remote metadata that does not
    /// describe one.
    Unsupported {
        /// The segment's name (or key).
        name: String,
        /// Why.
        reason: String,
    },
    /// The namespace is not one Zenoh key chunk of letters, digits, `-`, `_` or `.`.
    BadNamespace(String),
    /// A thread could not start.
    Io(std::io::Error),
}

impl fmt::Display for BridgeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Zenoh(e) => write!(f, "zenoh: {e}"),
            Self::Open { name, error } => write!(f, "cannot open segment {name:?}: {error}"),
            Self::Unsupported { name, reason } => write!(f, "cannot bridge {name:?}: {reason}"),
            Self::BadNamespace(ns) => write!(
                f,
                "namespace {ns:?}: use letters, digits, '-', '_' or '.' (one key chunk)"
            ),
            Self::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for BridgeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Open { error, .. } => Some(error),
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<zenoh::Error> for BridgeError {
    fn from(e: zenoh::Error) -> Self {
        Self::Zenoh(e.to_string())
    }
}

impl From<std::io::Error> for BridgeError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

/// A Zenoh configuration: peer mode, listening on `listen` and connecting to `connect`
/// (Zenoh endpoints such as `tcp/127.0.0.1:7447`), multicast scouting as Zenoh's default.
/// Start from [`zenoh::Config::from_file`] for anything else (TLS, access control, a router),
/// and add endpoints to it with [`set_endpoints`].
///
/// ```
/// let config = rtshm_bridge::zenoh_config(&["tcp/127.0.0.1:7447"], &[]).unwrap();
/// assert!(config.get_json("listen/endpoints").unwrap().contains("tcp/127.0.0.1:7447"));
/// ```
pub fn zenoh_config(listen: &[&str], connect: &[&str]) -> Result<zenoh::Config, BridgeError> {
    let mut config = zenoh::Config::default();
    set_endpoints(&mut config, listen, connect)?;
    Ok(config)
}

/// Sets the endpoints `config` listens on and connects to; an empty list leaves that setting
/// as it was (a configuration file's, say).
pub fn set_endpoints<S: AsRef<str>>(
    config: &mut zenoh::Config,
    listen: &[S],
    connect: &[S],
) -> Result<(), BridgeError> {
    for (key, endpoints) in [("listen/endpoints", listen), ("connect/endpoints", connect)] {
        if !endpoints.is_empty() {
            let list: Vec<&str> = endpoints.iter().map(AsRef::as_ref).collect();
            config.insert_json5(key, &serde_json::to_string(&list).unwrap_or_default())?;
        }
    }
    Ok(())
}

/// Whether `name` matches `pattern`, where `*` matches any run of characters and `?` one.
///
/// ```
/// assert!(rtshm_bridge::glob_match("imu*", "imu-left"));
/// assert!(rtshm_bridge::glob_match("cam?-*", "cam1-rgb"));
/// assert!(!rtshm_bridge::glob_match("imu", "imu2"));
/// ```
#[must_use]
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // The classic two-pointer match with one backtrack point (the last `*`).
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < n.len() {
        if i < p.len() && (p[i] == '?' || p[i] == n[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

/// Checks that `namespace` is one plain key chunk.
fn check_namespace(namespace: &str) -> Result<(), BridgeError> {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if namespace.is_empty() || !namespace.chars().all(plain) {
        return Err(BridgeError::BadNamespace(namespace.to_owned()));
    }
    Ok(())
}

/// The counts of one bridged segment, on either side.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkStats {
    /// The local segment's name.
    pub segment: String,
    /// The Zenoh key.
    pub key: String,
    /// Values put (export) or written into the local segment (import).
    pub values: u64,
    /// Export: values overwritten in the source before the exporter read them. Import: the
    /// gaps in the remote write numbers (the exporter's laps and what the network dropped).
    pub lost: u64,
    /// Import: values refused (wrong size, an earlier stamp, no header). Export: puts
    /// Zenoh refused.
    pub refused: u64,
    /// Export: the source's writer is alive (the token is declared). Import: the exporter's
    /// token is present.
    pub alive: bool,
}

/// Shared counters of one link, updated by its thread or callback.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    values: AtomicU64,
    lost: AtomicU64,
    refused: AtomicU64,
    alive: AtomicBool,
}

impl Counters {
    /// Adds `n` with a plain load and store, no locked instruction: each counter has one
    /// writer at a time (an export's thread; an import link's holder of its lock), and
    /// `stats` readers only load.
    fn add(counter: &AtomicU64, n: u64) {
        counter.store(
            counter.load(Ordering::Relaxed).wrapping_add(n),
            Ordering::Relaxed,
        );
    }

    fn stats(&self, segment: &str, key: &str) -> LinkStats {
        LinkStats {
            segment: segment.to_owned(),
            key: key.to_owned(),
            values: self.values.load(Ordering::Relaxed),
            lost: self.lost.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            alive: self.alive.load(Ordering::Relaxed),
        }
    }
}

/// Everything a [`Bridge`] reports.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct BridgeStats {
    /// One entry per exported segment.
    pub exports: Vec<LinkStats>,
    /// One entry per imported segment.
    pub imports: Vec<LinkStats>,
}

impl fmt::Display for BridgeStats {
    /// The status line: `exported 2 (1520 values, 0 lost) | imported 1 (1498 values, 3 lost,
    /// 1 alive)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sum = |links: &[LinkStats], get: fn(&LinkStats) -> u64| -> u64 {
            links.iter().map(get).sum()
        };
        let alive = |links: &[LinkStats]| links.iter().filter(|l| l.alive).count();
        write!(
            f,
            "exported {} ({} values, {} lost, {} alive) | imported {} ({} values, {} lost, {} \
             refused, {} alive)",
            self.exports.len(),
            sum(&self.exports, |l| l.values),
            sum(&self.exports, |l| l.lost),
            alive(&self.exports),
            self.imports.len(),
            sum(&self.imports, |l| l.values),
            sum(&self.imports, |l| l.lost),
            sum(&self.imports, |l| l.refused),
            alive(&self.imports),
        )
    }
}

/// A Zenoh session that exports local segments and imports remote ones (module docs).
///
/// Every export and import runs in its own thread (or Zenoh callback) until the bridge is
/// dropped or [`closed`](Bridge::close); the imported segments are removed then (their
/// readers see the writer `Unowned`).
pub struct Bridge {
    session: zenoh::Session,
    namespace: String,
    stop: Arc<AtomicBool>,
    exports: Mutex<Vec<export::Export>>,
    imports: Mutex<Vec<import::Import>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl fmt::Debug for Bridge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bridge")
            .field("namespace", &self.namespace)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// Locks a mutex whose holder may have panicked (the data, counters and handles, stay usable).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Bridge {
    /// Opens a Zenoh session with `config`; exports go under `rtshm/<namespace>/`.
    pub fn open(config: zenoh::Config, namespace: &str) -> Result<Self, BridgeError> {
        check_namespace(namespace)?;
        let session = zenoh::open(config).wait()?;
        Ok(Self {
            session,
            namespace: namespace.to_owned(),
            stop: Arc::new(AtomicBool::new(false)),
            exports: Mutex::new(Vec::new()),
            imports: Mutex::new(Vec::new()),
            threads: Mutex::new(Vec::new()),
        })
    }

    /// The namespace of this bridge's exports.
    #[must_use]
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The Zenoh key of the local segment `name` when this bridge exports it.
    #[must_use]
    pub fn key_of(&self, name: &str) -> String {
        format!("{KEY_PREFIX}/{}/{name}", self.namespace)
    }

    /// Follows the local segment `name` from now on and puts its values (module docs). A
    /// segment already exported is left alone. When the segment is removed, or replaced by a
    /// new one of the same name, its export ends (once its writer is gone); exporting the name
    /// again, or the next [`export_matching`](Self::export_matching) scan, follows the new one.
    pub fn export(&self, name: &str, options: ExportOptions) -> Result<(), BridgeError> {
        let name = name.trim_start_matches('/');
        {
            let mut exports = lock(&self.exports);
            // An export whose segment was removed or recreated ended: the name is free again.
            exports.retain(|e| !e.ended());
            if exports.iter().any(|e| e.segment == name) {
                return Ok(());
            }
        }
        let key = self.key_of(name);
        let (export, thread) =
            export::Export::start(&self.session, name, &key, options, self.stop.clone())?;
        lock(&self.exports).push(export);
        lock(&self.threads).push(thread);
        Ok(())
    }

    /// Exports every local segment whose name matches `pattern` ([`glob_match`]) and is not
    /// exported yet; returns how many it started. Segments imported from another host (a
    /// remote clock) are skipped, so that two bridges exporting `*` never loop; name one
    /// to [`export`](Self::export) it anyway. Call it again to pick up segments created later
    /// (`rtshm bridge` does, every second). A segment that cannot be exported (a queue, no
    /// schema) is skipped and reported through `skipped`.
    pub fn export_matching(
        &self,
        pattern: &str,
        options: ExportOptions,
    ) -> Result<usize, BridgeError> {
        self.export_matching_with(pattern, options, |_, _| {})
    }

    /// [`export_matching`](Self::export_matching), calling `skipped(name, error)` for each
    /// matching segment that cannot be exported.
    pub fn export_matching_with(
        &self,
        pattern: &str,
        options: ExportOptions,
        mut skipped: impl FnMut(&str, &BridgeError),
    ) -> Result<usize, BridgeError> {
        let listed = rtshm::shm::list()?;
        let mut started = 0;
        for entry in listed {
            let Ok(info) = entry.info else { continue };
            let name = entry.name.as_str();
            let exported = lock(&self.exports)
                .iter()
                .any(|e| e.segment == name && !e.ended());
            if exported || !glob_match(pattern, name) || info.clock.is_remote() {
                continue;
            }
            match self.export(name, options.clone()) {
                Ok(()) => started += 1,
                Err(e) => skipped(name, &e),
            }
        }
        Ok(started)
    }

    /// Subscribes to `key_expr` (such as `rtshm/robot1/**` or `rtshm/*/imu`) and writes the
    /// values of each remote segment into a local one (module docs), named as the key's last
    /// chunk after [`ImportOptions::prefix`].
    pub fn import(&self, key_expr: &str, options: ImportOptions) -> Result<(), BridgeError> {
        let (import, thread) =
            import::Import::start(&self.session, key_expr, options, self.stop.clone())?;
        lock(&self.imports).push(import);
        lock(&self.threads).push(thread);
        Ok(())
    }

    /// The counts of every export and import so far.
    #[must_use]
    pub fn stats(&self) -> BridgeStats {
        BridgeStats {
            exports: lock(&self.exports)
                .iter()
                .map(export::Export::stats)
                .collect(),
            imports: lock(&self.imports)
                .iter()
                .flat_map(import::Import::stats)
                .collect(),
        }
    }

    /// Stops every export and import (each thread ends within its wait timeout), removes the
    /// imported segments, and closes the Zenoh session (its liveliness tokens go with it).
    pub fn close(self) -> Result<(), BridgeError> {
        self.stop.store(true, Ordering::Relaxed);
        for thread in std::mem::take(&mut *lock(&self.threads)) {
            let _ = thread.join();
        }
        lock(&self.imports).clear();
        lock(&self.exports).clear();
        self.session.close().wait()?;
        Ok(())
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Bytes before the value in each payload: the source's write number and the type's
/// fingerprint (u64 each, little-endian).
pub const HEADER_LEN: usize = 16;

/// The header of a value numbered `number` of a type with `fingerprint`.
pub(crate) fn header(number: u64, fingerprint: u64) -> [u8; HEADER_LEN] {
    let mut h = [0; HEADER_LEN];
    h[..8].copy_from_slice(&number.to_le_bytes());
    h[8..].copy_from_slice(&fingerprint.to_le_bytes());
    h
}

/// The write number, fingerprint and value of a payload, if it has a header.
pub(crate) fn split(payload: &[u8]) -> Option<(u64, u64, &[u8])> {
    let (head, value) = payload.split_at_checked(HEADER_LEN)?;
    let (number, fingerprint) = head.split_at(8);
    Some((
        u64::from_le_bytes(number.try_into().ok()?),
        u64::from_le_bytes(fingerprint.try_into().ok()?),
        value,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("*", ""));
        assert!(glob_match("*", "anything"));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
        assert!(glob_match("??", "ab"));
        assert!(!glob_match("??", "abc"));
        assert!(glob_match("imu", "imu"));
        assert!(glob_match("**x", "x"));
    }

    #[test]
    fn namespaces() {
        assert!(check_namespace("robot-1.lab_2").is_ok());
        for bad in ["", "a/b", "*", "@x", "a b", "$x"] {
            assert!(check_namespace(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn headers_round_trip_and_short_payloads_have_none() {
        let mut payload = header(7, 0xfeed).to_vec();
        payload.extend_from_slice(b"value");
        assert_eq!(split(&payload), Some((7, 0xfeed, &b"value"[..])));
        assert_eq!(split(&payload[..HEADER_LEN]), Some((7, 0xfeed, &b""[..])));
        assert_eq!(split(&payload[..HEADER_LEN - 1]), None);
    }
}
