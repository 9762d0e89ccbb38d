//! Record rtshm segments to MCAP files, and replay them.
//!
//! Each segment becomes one MCAP channel: topic `/<segment name>`, schema encoding `ros2msg`
//! (the segment's schema as ROS 2 `.msg` text, [`cdr::Plan::msg`]), message encoding `cdr`
//! (the value's bytes as a little-endian CDR message), so that MCAP tools, Foxglove and ROS 2
//! bag readers decode the fields. The channel's metadata carries what replay needs to recreate
//! the segment: kind, capacity, clock, writer epoch, fingerprint and the rtshm schema itself.
//!
//! ```no_run
//! use std::time::Duration;
//! use rtshm_record::{Recorder, RecordOptions};
//!
//! let mut recorder = Recorder::create("run.mcap", RecordOptions::default())?;
//! recorder.add("imu")?; // follows the segment from now on, in its own thread
//! recorder.add("camera")?;
//! let deadline = std::time::Instant::now() + Duration::from_secs(10);
//! while std::time::Instant::now() < deadline {
//!     recorder.write_pending(Duration::from_millis(100))?;
//! }
//! let summary = recorder.finish()?;
//! for channel in &summary.channels {
//!     println!("{}: {} messages, {} lost to laps", channel.name, channel.messages, channel.laps);
//! }
//! # Ok::<(), rtshm_record::RecordError>(())
//! ```
//!
//! How each structure is followed: a Ring or TimeSeries through a cursor (every value, while
//! the recorder keeps up; values overwritten before it read them are counted as laps, per
//! channel, and written to the file); a SeqLock at every new version (its latest value when
//! recording starts, then each store the recorder sees; stores overwritten before it read them
//! are counted the same way). Each follower sleeps on the segment's futex between values (no
//! polling loop). `log_time` is the time of reading (`CLOCK_REALTIME`, ns), `publish_time` the
//! value's stamp for a time series (its clock is the segment's), else the time of reading.
//!
//! The file is chunked and indexed (by the `mcap` writer, chunks of [`RecordOptions`]'s size,
//! compressed with zstd by default); a recorder killed without [`Recorder::finish`] leaves a
//! file readable up to its last complete chunk.
#![forbid(unsafe_code)]
#![allow(
    clippy::disallowed_types,
    reason = "the stop flag is this process's own; rtshm's `sync` wrappers are for shared memory"
)]

pub mod cdr;
#[cfg(feature = "live")]
pub mod live;
mod replay;

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;
use std::time::Duration;

use rtshm::layout::Kind;
use rtshm::schema::SchemaBuf;
use rtshm::shm::{Inspector, OpenError};
use rtshm::{Clock, Lapped, Timestamp};

pub use replay::{ReplayOptions, ReplaySummary, replay};

/// The metadata keys of a channel (MCAP channel metadata, all values text).
pub mod keys {
    /// `SeqLock`, `Ring` or `TimeSeries`.
    pub const KIND: &str = "rtshm.kind";
    /// Slots (1 for a SeqLock).
    pub const CAPACITY: &str = "rtshm.capacity";
    /// The stamps' clock: `Monotonic`, `Realtime` or `User`.
    pub const CLOCK: &str = "rtshm.clock";
    /// The writer's epoch (takeovers) when recording started.
    pub const EPOCH: &str = "rtshm.epoch";
    /// The header's fingerprint (schema hash or explicit id), hexadecimal.
    pub const FINGERPRINT: &str = "rtshm.fingerprint";
    /// The segment's name.
    pub const SEGMENT: &str = "rtshm.segment";
    /// The rtshm schema (FORMAT.md's encoding), hexadecimal.
    pub const SCHEMA: &str = "rtshm.schema";
    /// The name of the file's metadata record with the laps per channel (`<topic>` -> count),
    /// written by [`Recorder::finish`](crate::Recorder::finish).
    pub const LAPS_RECORD: &str = "rtshm.laps";
}

/// Compression of the file's chunks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Compression {
    /// zstd (the default): the best ratio for sensor data.
    #[default]
    Zstd,
    /// lz4: faster, larger.
    Lz4,
    /// Uncompressed chunks.
    None,
}

/// How a [`Recorder`] writes its file.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct RecordOptions {
    compression: Compression,
    chunk_size: u64,
    queue: usize,
}

impl Default for RecordOptions {
    fn default() -> Self {
        Self {
            compression: Compression::Zstd,
            chunk_size: 4 << 20,
            queue: 4096,
        }
    }
}

impl RecordOptions {
    /// The defaults: zstd, 4 MiB chunks.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The chunks' compression.
    #[must_use]
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Uncompressed bytes per chunk (at least 1 KiB): what a recorder killed with `SIGKILL`
    /// can lose at most, per file.
    #[must_use]
    pub fn chunk_size(mut self, bytes: u64) -> Self {
        self.chunk_size = bytes.max(1024);
        self
    }
}

/// Why recording failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum RecordError {
    /// The segment could not be opened.
    Open {
        /// The segment.
        name: String,
        /// Why.
        error: OpenError,
    },
    /// The segment cannot be recorded (a queue, no schema, a schema that is not a message).
    Unsupported {
        /// The segment.
        name: String,
        /// Why.
        reason: String,
    },
    /// The segment is recorded already.
    Duplicate(String),
    /// Writing or reading the file failed.
    Mcap(mcap::McapError),
    /// Creating or reading the file failed.
    Io(io::Error),
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Open { name, error } => write!(f, "segment '{name}': {error}"),
            Self::Unsupported { name, reason } => write!(f, "segment '{name}': {reason}"),
            Self::Duplicate(name) => write!(f, "segment '{name}' is recorded already"),
            Self::Mcap(e) => write!(f, "MCAP: {e}"),
            Self::Io(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for RecordError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Open { error, .. } => Some(error),
            Self::Mcap(e) => Some(e),
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<mcap::McapError> for RecordError {
    fn from(e: mcap::McapError) -> Self {
        Self::Mcap(e)
    }
}

impl From<io::Error> for RecordError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

/// What a follower thread hands to the writer.
pub(crate) enum Event {
    Message {
        channel: usize,
        sequence: u64,
        log_time: u64,
        publish_time: u64,
        data: Vec<u8>,
    },
    Laps {
        channel: usize,
        missed: u64,
    },
}

/// The most values one [`Recorder::write_pending`] call writes.
pub const PENDING_BATCH: usize = 4096;

/// One recorded channel's counts so far.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChannelStats {
    /// The segment's name.
    pub name: String,
    /// The channel's topic (`/<name>`).
    pub topic: String,
    /// Messages written.
    pub messages: u64,
    /// Message bytes written (before compression).
    pub bytes: u64,
    /// Values overwritten before the recorder read them (lost to laps).
    pub laps: u64,
}

impl ChannelStats {
    /// Nothing counted yet.
    pub(crate) fn new(name: &str, topic: &str) -> Self {
        Self {
            name: name.to_owned(),
            topic: topic.to_owned(),
            messages: 0,
            bytes: 0,
            laps: 0,
        }
    }
}

struct Channel {
    id: u16,
    stats: ChannelStats,
}

/// What [`Recorder::finish`] reports.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Summary {
    /// Each channel's counts.
    pub channels: Vec<ChannelStats>,
}

/// Follows segments and writes their values to an MCAP file (module docs).
pub struct Recorder {
    writer: mcap::Writer<BufWriter<File>>,
    channels: Vec<Channel>,
    followers: Followers,
}

/// The follower threads of a [`Recorder`] or a live server, and the bounded channel on which
/// they send what they read. Dropping it tells them to stop.
pub(crate) struct Followers {
    tx: SyncSender<Event>,
    rx: Receiver<Event>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Followers {
    /// No follower yet; at most `queue` values wait to be handled.
    pub(crate) fn new(queue: usize) -> Self {
        let (tx, rx) = mpsc::sync_channel(queue);
        Self {
            tx,
            rx,
            stop: Arc::new(AtomicBool::new(false)),
            threads: Vec::new(),
        }
    }

    /// Starts the thread that follows `source`, sending its values as `channel`.
    pub(crate) fn follow(&mut self, source: Source, channel: usize) -> io::Result<()> {
        let (tx, stop) = (self.tx.clone(), self.stop.clone());
        let thread = std::thread::Builder::new()
            .name(format!("follow {}", source.topic))
            .spawn(move || follow(&source.view, &source.plan, channel, &tx, &stop))?;
        self.threads.push(thread);
        Ok(())
    }

    /// Hands what the followers read to `handle`, at most [`PENDING_BATCH`] values (so that a
    /// caller's loop stays responsive under any load), waiting up to `timeout` for the first.
    pub(crate) fn drain<E>(
        &self,
        timeout: Duration,
        mut handle: impl FnMut(Event) -> Result<(), E>,
    ) -> Result<(), E> {
        // Timed out, or every follower ended: nothing (more) to handle.
        let mut next = self.rx.recv_timeout(timeout).ok();
        let mut handled = 0;
        while let Some(event) = next {
            handle(event)?;
            handled += 1;
            // Received only when it will be handled: nothing is dropped at the batch's end.
            next = if handled < PENDING_BATCH {
                self.rx.try_recv().ok()
            } else {
                None
            };
        }
        Ok(())
    }

    /// Stops every follower (each ends within its wait timeout), handing what they still send
    /// to `handle` meanwhile (a follower blocked on a full channel needs it drained to end).
    pub(crate) fn stop<E>(
        &mut self,
        mut handle: impl FnMut(Event) -> Result<(), E>,
    ) -> Result<(), E> {
        self.stop.store(true, Ordering::Relaxed);
        for thread in std::mem::take(&mut self.threads) {
            while !thread.is_finished() {
                self.drain(Duration::from_millis(10), &mut handle)?;
            }
            let _ = thread.join();
        }
        self.drain(Duration::ZERO, handle)
    }
}

impl Drop for Followers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl fmt::Debug for Recorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recorder")
            .field("channels", &self.stats())
            .finish_non_exhaustive()
    }
}

/// The time now on the wall clock, ns since the Unix epoch (MCAP's `log_time`).
fn wall_ns() -> u64 {
    Clock::Realtime.now().map_or(0, Timestamp::as_nanos)
}

/// The MCAP schema name of a channel's type: `rtshm/msg/<Type>` for a struct (`Stamped<Type>`
/// for a time series is `rtshm/msg/StampedType`), else from the segment's name.
fn type_name(kind: Kind, schema: &SchemaBuf, segment: &str) -> String {
    let base = match schema.view().node() {
        rtshm::schema::Node::Struct(s) => s.name.to_owned(),
        _ => {
            // A ROS 2 type name: CamelCase letters and digits, from the segment's name.
            let mut name = String::new();
            let mut upper = true;
            for c in segment.chars() {
                if c.is_ascii_alphanumeric() {
                    name.push(if upper { c.to_ascii_uppercase() } else { c });
                    upper = false;
                } else {
                    upper = true;
                }
            }
            if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
                name.insert(0, 'V');
            }
            name
        }
    };
    match kind {
        Kind::TimeSeries => format!("rtshm/msg/Stamped{base}"),
        _ => format!("rtshm/msg/{base}"),
    }
}

/// A segment opened for following: what its channel says about it, and its reader.
pub(crate) struct Source {
    pub(crate) topic: String,
    /// The schema's name (`rtshm/msg/Imu`).
    pub(crate) type_name: String,
    pub(crate) metadata: BTreeMap<String, String>,
    pub(crate) plan: cdr::Plan,
    view: Inspector,
}

impl Source {
    /// Opens the segment `name` for following: its schema, the CDR plan, the channel metadata.
    pub(crate) fn open(name: &str) -> Result<Self, RecordError> {
        let open = |error| RecordError::Open {
            name: name.to_owned(),
            error,
        };
        let unsupported = |reason: String| RecordError::Unsupported {
            name: name.to_owned(),
            reason,
        };
        let view = Inspector::open_following(name).map_err(open)?;
        let geometry = *view.geometry();
        if geometry.kind == Kind::Queue {
            return Err(unsupported(
                "a queue's values belong to its consumer: not recorded".to_owned(),
            ));
        }
        let schema = view
            .schema()
            .map(|s| s.to_buf())
            .ok_or_else(|| unsupported("it records no schema: its fields are unknown".into()))?;
        let plan =
            cdr::Plan::new(&geometry, schema.view()).map_err(|e| unsupported(e.to_string()))?;
        let mut metadata = BTreeMap::new();
        metadata.insert(keys::KIND.into(), geometry.kind.to_string());
        metadata.insert(keys::CAPACITY.into(), geometry.capacity.to_string());
        metadata.insert(keys::CLOCK.into(), format!("{:?}", view.clock()));
        metadata.insert(keys::EPOCH.into(), view.epoch().to_string());
        metadata.insert(
            keys::FINGERPRINT.into(),
            format!("{:016x}", view.header().fingerprint),
        );
        metadata.insert(keys::SEGMENT.into(), name.to_owned());
        metadata.insert(keys::SCHEMA.into(), schema.to_hex());
        Ok(Self {
            topic: format!("/{name}"),
            type_name: type_name(geometry.kind, &schema, name),
            metadata,
            plan,
            view,
        })
    }
}

impl Recorder {
    /// Creates (or truncates) the file at `path`.
    pub fn create(path: impl AsRef<Path>, options: RecordOptions) -> Result<Self, RecordError> {
        let file = File::create(path)?;
        let compression = match options.compression {
            Compression::Zstd => Some(mcap::Compression::Zstd),
            Compression::Lz4 => Some(mcap::Compression::Lz4),
            Compression::None => None,
        };
        let writer = mcap::WriteOptions::new()
            .compression(compression)
            .chunk_size(Some(options.chunk_size))
            .profile("ros2")
            .library(concat!("rtshm-record ", env!("CARGO_PKG_VERSION")))
            .create(BufWriter::new(file))?;
        Ok(Self {
            writer,
            channels: Vec::new(),
            followers: Followers::new(options.queue),
        })
    }

    /// Starts recording the segment `name` from now on (a SeqLock from its current value): adds
    /// its schema and channel to the file and starts the thread that follows it.
    pub fn add(&mut self, name: &str) -> Result<(), RecordError> {
        if self.channels.iter().any(|c| c.stats.name == name) {
            return Err(RecordError::Duplicate(name.to_owned()));
        }
        let source = Source::open(name)?;
        let schema_id =
            self.writer
                .add_schema(&source.type_name, "ros2msg", source.plan.msg().as_bytes())?;
        let id = self
            .writer
            .add_channel(schema_id, &source.topic, "cdr", &source.metadata)?;
        let channel = self.channels.len();
        self.channels.push(Channel {
            id,
            stats: ChannelStats::new(name, &source.topic),
        });
        self.followers.follow(source, channel)?;
        Ok(())
    }

    /// The names of the segments recorded.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.channels.iter().map(|c| c.stats.name.as_str())
    }

    /// Writes what the followers read (at most [`PENDING_BATCH`] values, so that a caller's
    /// loop stays responsive under any load), waiting up to `timeout` for the first one;
    /// returns the number of messages written.
    pub fn write_pending(&mut self, timeout: Duration) -> Result<usize, RecordError> {
        let mut written = 0;
        let (writer, channels) = (&mut self.writer, &mut self.channels);
        self.followers.drain(timeout, |event| {
            written += write_event(writer, channels, event)?;
            Ok::<(), RecordError>(())
        })?;
        Ok(written)
    }

    /// Each channel's counts so far.
    #[must_use]
    pub fn stats(&self) -> Vec<ChannelStats> {
        self.channels.iter().map(|c| c.stats.clone()).collect()
    }

    /// Stops following, writes what was read, the laps of each channel (a metadata record
    /// named [`keys::LAPS_RECORD`]) and the file's summary and index.
    pub fn finish(mut self) -> Result<Summary, RecordError> {
        let (writer, channels) = (&mut self.writer, &mut self.channels);
        self.followers
            .stop(|event| write_event(writer, channels, event).map(drop))?;
        let laps = self
            .channels
            .iter()
            .map(|c| (c.stats.topic.clone(), c.stats.laps.to_string()))
            .collect();
        self.writer.write_metadata(&mcap::records::Metadata {
            name: keys::LAPS_RECORD.into(),
            metadata: laps,
        })?;
        self.writer.finish()?;
        Ok(Summary {
            channels: self.stats(),
        })
    }
}

/// Writes one follower event: a message into `writer`, or laps into its channel's counts;
/// returns the messages written.
fn write_event(
    writer: &mut mcap::Writer<BufWriter<File>>,
    channels: &mut [Channel],
    event: Event,
) -> Result<usize, RecordError> {
    match event {
        Event::Message {
            channel,
            sequence,
            log_time,
            publish_time,
            data,
        } => {
            let c = &mut channels[channel];
            let header = mcap::records::MessageHeader {
                channel_id: c.id,
                // MCAP's sequence is 32-bit: the write number, wrapping.
                sequence: sequence as u32,
                log_time,
                publish_time,
            };
            writer.write_to_known_channel(&header, &data)?;
            c.stats.messages += 1;
            c.stats.bytes += data.len() as u64;
            Ok(1)
        }
        Event::Laps { channel, missed } => {
            channels[channel].stats.laps += missed;
            Ok(0)
        }
    }
}

/// A follower thread: reads every value of `view` it can (module docs) and sends it, until
/// `stop`.
fn follow(
    view: &Inspector,
    plan: &cdr::Plan,
    channel: usize,
    tx: &SyncSender<Event>,
    stop: &AtomicBool,
) {
    let geometry = *view.geometry();
    let mut buf = vec![0u8; geometry.payload_size];
    let mut position = view.follow_from();
    let stamped = geometry.kind == Kind::TimeSeries;
    while !stop.load(Ordering::Relaxed) {
        match view.next_into(&mut position, &mut buf) {
            Ok(Some(n)) => {
                let log_time = wall_ns();
                let publish_time = if stamped {
                    u64::from_ne_bytes(buf[..8].try_into().unwrap_or_default())
                } else {
                    log_time
                };
                let mut data = Vec::with_capacity(plan.message_len());
                plan.encode(&buf, &mut data);
                let message = Event::Message {
                    channel,
                    sequence: n,
                    log_time,
                    publish_time,
                    data,
                };
                if tx.send(message).is_err() {
                    return;
                }
            }
            Ok(None) => {
                // Nothing new: sleep until the writer writes (or 100 ms, to see `stop`).
                let _ = view.wait_beyond(position, Duration::from_millis(100));
            }
            Err(Lapped { missed }) => {
                if tx.send(Event::Laps { channel, missed }).is_err() {
                    return;
                }
            }
        }
    }
}

/// What [`info`] reads from a file.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Info {
    /// Each channel, in id order.
    pub channels: Vec<ChannelInfo>,
    /// The first and last `log_time` (ns), if any message.
    pub span: Option<(u64, u64)>,
    /// Whether the file has its summary (a recorder killed before finishing leaves none: the
    /// counts were then taken by reading every chunk).
    pub complete: bool,
}

/// One channel of a file, as [`info`] reads it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ChannelInfo {
    /// The topic.
    pub topic: String,
    /// The schema's name (`rtshm/msg/Imu`).
    pub schema: String,
    /// The `.msg` text.
    pub msg: String,
    /// Messages in the file.
    pub messages: u64,
    /// Values lost to laps while recording (from the file's laps record; `None` if absent).
    pub laps: Option<u64>,
    /// The channel's metadata (see [`keys`]).
    pub metadata: BTreeMap<String, String>,
}

/// Reads a recorded file's channels, counts, time span and laps. A file without its summary
/// (the recorder was killed) is read chunk by chunk up to its last complete one.
pub fn info(path: impl AsRef<Path>) -> Result<Info, RecordError> {
    let bytes = std::fs::read(path)?;
    let mut channels: BTreeMap<u16, ChannelInfo> = BTreeMap::new();
    let mut span: Option<(u64, u64)> = None;
    let mut laps: BTreeMap<String, u64> = BTreeMap::new();
    let summary = mcap::Summary::read(&bytes).ok().flatten();
    let complete = summary.is_some();
    let describe = |c: &mcap::Channel<'_>| ChannelInfo {
        topic: c.topic.clone(),
        schema: c
            .schema
            .as_ref()
            .map(|s| s.name.clone())
            .unwrap_or_default(),
        msg: c
            .schema
            .as_ref()
            .map(|s| String::from_utf8_lossy(&s.data).into_owned())
            .unwrap_or_default(),
        messages: 0,
        laps: None,
        metadata: c.metadata.clone(),
    };
    match &summary {
        Some(s) => {
            for (id, c) in &s.channels {
                channels.insert(*id, describe(c));
            }
            if let Some(stats) = &s.stats {
                for (id, n) in &stats.channel_message_counts {
                    if let Some(c) = channels.get_mut(id) {
                        c.messages = *n;
                    }
                }
                if stats.message_count > 0 {
                    span = Some((stats.message_start_time, stats.message_end_time));
                }
            }
        }
        None => {
            for message in mcap::MessageStream::new(&bytes)? {
                // A cut-short file ends with an error at its last, partial chunk.
                let Ok(message) = message else { break };
                let c = channels
                    .entry(message.channel.id)
                    .or_insert_with(|| describe(&message.channel));
                c.messages += 1;
                let t = message.log_time;
                span = Some(span.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
            }
        }
    }
    // The laps record, written last by `finish`.
    for record in mcap::read::LinearReader::new(&bytes)? {
        // A cut-short file ends in an error (repeated, were it read again): stop at the first.
        let Ok(record) = record else { break };
        if let mcap::records::Record::Metadata(m) = record
            && m.name == keys::LAPS_RECORD
        {
            for (topic, n) in m.metadata {
                laps.insert(topic, n.parse().unwrap_or(0));
            }
        }
    }
    let mut channels: Vec<ChannelInfo> = channels.into_values().collect();
    for c in &mut channels {
        c.laps = laps.get(&c.topic).copied();
    }
    Ok(Info {
        channels,
        span,
        complete,
    })
}
