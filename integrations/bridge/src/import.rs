//! Import: a liveliness subscriber on the key expression discovers the exported segments; for
//! each, a thread creates the local segment (from the exporter's metadata), declares a Zenoh
//! subscriber on its exact key, whose callback writes the values into it, and keeps its
//! heartbeat while the exporter lives.
//!
//! One exact-key subscriber per segment, not one on the key expression: Zenoh delivers to a
//! wildcard subscriber at a quarter of the rate (1.26 us against 0.31 us per 64 B value on
//! loopback, `benches/bridge.rs` with the plain subscriber made `bench/t64/**`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rtshm::Clock;
use rtshm::layout::Kind;
use rtshm::schema::SchemaBuf;
use rtshm::shm::{CreateConfig, OpenConfig, RawPublisher, RawType};
use zenoh::Wait;
use zenoh::bytes::ZBytes;
use zenoh::sample::{Sample, SampleKind};

use crate::{BridgeError, Counters, HEARTBEAT_EVERY, KEY_PREFIX, LinkStats, lock};

/// How an import names and sizes its local segments.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ImportOptions {
    prefix: String,
    max_bytes: u64,
    pending: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            prefix: String::new(),
            max_bytes: 1 << 30,
            pending: 1024,
        }
    }
}

impl ImportOptions {
    /// Local segments named as the remote ones, at most 1 GiB each, up to 1024 values held
    /// per segment while its metadata is on the way.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Names each local segment `prefix` + the remote segment's name (`remote-` makes
    /// `rtshm/robot1/imu` the local `remote-imu`): two imports of the same name from two
    /// hosts, or a bridge importing on the host that exports, need it.
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        prefix.clone_into(&mut self.prefix);
        self
    }

    /// Refuses remote segments larger than `bytes` (the remote side chooses the capacity).
    #[must_use]
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = bytes;
        self
    }
}

/// What the Zenoh callbacks tell the import thread.
enum Event {
    /// Values of a key without a (matching) local segment are waiting.
    Need(String),
    /// The exporter's liveliness token for a key appeared.
    Alive(String),
    /// It went away.
    Gone(String),
}

/// A value (its whole payload, header included) waiting for its segment's metadata.
type Pending = Vec<u8>;

/// One remote segment, by key.
#[derive(Default)]
struct Link {
    /// The local segment, once created.
    target: Option<Target>,
    counters: Arc<Counters>,
    segment: String,
    pending: Vec<Pending>,
    /// The fingerprint the pending values carry.
    wanted: Option<u64>,
    /// A `Need` is on its way to the thread.
    requested: bool,
    /// The last failure to create the segment, not retried before [`RETRY_AFTER`].
    failed: Option<Instant>,
    /// The subscriber on the key, declared on first sight.
    values: Option<zenoh::pubsub::Subscriber<()>>,
}

/// A local segment written with remote values.
struct Target {
    publisher: RawPublisher,
    fingerprint: u64,
    /// The last remote write number written (and its epoch).
    last: Option<u64>,
}

/// How long a key whose segment could not be created waits before the next try.
const RETRY_AFTER: Duration = Duration::from_secs(2);

/// How long the import thread waits for a metadata reply.
const META_TIMEOUT: Duration = Duration::from_secs(2);

/// Each remote segment's link, by key; each link has a lock of its own, which only its value
/// callback and the import thread take.
type Links = Arc<Mutex<BTreeMap<String, Arc<Mutex<Link>>>>>;

/// One import (a key expression).
pub(crate) struct Import {
    links: Links,
    _liveliness: zenoh::pubsub::Subscriber<()>,
}

impl Import {
    pub(crate) fn start(
        session: &zenoh::Session,
        key_expr: &str,
        options: ImportOptions,
        stop: Arc<AtomicBool>,
    ) -> Result<(Self, JoinHandle<()>), BridgeError> {
        let links: Links = Arc::default();
        let (tx, rx) = mpsc::channel();
        let worker = Worker {
            session: session.clone(),
            links: links.clone(),
            options,
            tx: tx.clone(),
        };
        let liveliness = session
            .liveliness()
            .declare_subscriber(key_expr)
            .history(true)
            .callback(move |sample| {
                let key = sample.key_expr().as_str().to_owned();
                let _ = tx.send(match sample.kind() {
                    SampleKind::Put => Event::Alive(key),
                    SampleKind::Delete => Event::Gone(key),
                });
            })
            .wait()?;
        let thread = std::thread::Builder::new()
            .name(format!("import {key_expr}"))
            .spawn(move || worker.run(&rx, &stop))?;
        let import = Self {
            links,
            _liveliness: liveliness,
        };
        Ok((import, thread))
    }

    pub(crate) fn stats(&self) -> Vec<LinkStats> {
        lock(&self.links)
            .iter()
            .map(|(key, link)| {
                let link = lock(link);
                link.counters.stats(&link.segment, key)
            })
            .collect()
    }
}

impl Drop for Import {
    /// Undeclares the value subscribers (whose callbacks hold their links) and closes the
    /// local segments, outside the links' locks: an undeclaration may wait for a callback
    /// that takes one.
    fn drop(&mut self) {
        let links: Vec<_> = lock(&self.links).values().cloned().collect();
        for link in links {
            let (values, target) = {
                let mut link = lock(&link);
                (link.values.take(), link.target.take())
            };
            drop(values);
            drop(target);
        }
    }
}

/// The remote segment's name in `key` (`rtshm/<namespace>/<segment>`), or `None` for any
/// other key.
fn segment_of(key: &str) -> Option<&str> {
    let mut chunks = key.split('/');
    let (prefix, _namespace, segment) = (chunks.next()?, chunks.next()?, chunks.next()?);
    (prefix == KEY_PREFIX && chunks.next().is_none()).then_some(segment)
}

/// The link of `key`, created (with its local name) on first sight.
fn link_of(links: &Links, key: &str, options: &ImportOptions) -> Option<Arc<Mutex<Link>>> {
    let segment = segment_of(key)?;
    let link = lock(links)
        .entry(key.to_owned())
        .or_insert_with(|| {
            Arc::new(Mutex::new(Link {
                segment: format!("{}{segment}", options.prefix),
                ..Link::default()
            }))
        })
        .clone();
    Some(link)
}

/// A value arrived (Zenoh's callback thread): written into its segment at once, or held
/// while the import thread creates the segment.
fn on_value(link: &Mutex<Link>, key: &str, tx: &Sender<Event>, pending: usize, sample: &Sample) {
    let mut link = lock(link);
    let link = &mut *link;
    if let Some(target) = &mut link.target
        && target.write_fragments(sample.payload(), &link.counters)
    {
        return;
    }
    let payload = sample.payload().to_bytes();
    let Some((number, fingerprint, value)) = crate::split(&payload) else {
        Counters::add(&link.counters.refused, 1);
        return;
    };
    match &mut link.target {
        Some(target) if fingerprint == target.fingerprint => {
            target.write_all(value, number, &link.counters);
        }
        _ => {
            if link.wanted != Some(fingerprint) {
                link.pending.clear();
                link.wanted = Some(fingerprint);
            }
            if link.pending.len() < pending {
                link.pending.push(payload.into_owned());
            } else {
                Counters::add(&link.counters.lost, 1);
            }
            if !link.requested {
                link.requested = true;
                let _ = tx.send(Event::Need(key.to_owned()));
            }
        }
    }
}

impl Target {
    /// Writes the records of one payload, numbered from `first`; refuses a payload that is
    /// not a whole number of records.
    fn write_all(&mut self, records: &[u8], first: u64, counters: &Counters) {
        let size = self.publisher.geometry().payload_size;
        if records.is_empty() || !records.len().is_multiple_of(size) {
            Counters::add(&counters.refused, 1);
            return;
        }
        for (i, record) in records.chunks_exact(size).enumerate() {
            self.write(&[record], first.wrapping_add(i as u64), counters);
        }
    }

    /// Writes a value that Zenoh delivered in fragments (a large one) straight from them,
    /// without joining them into one buffer first: one copy of the value fewer. False, having
    /// written nothing, for a payload in one piece, a batch of several values, or one of
    /// another type: those take the joined path.
    fn write_fragments(&mut self, payload: &ZBytes, counters: &Counters) -> bool {
        let mut slices = payload.slices();
        let Some(first) = slices.next() else {
            return false;
        };
        let size = self.publisher.geometry().payload_size;
        if first.len() == payload.len() || payload.len() != crate::HEADER_LEN + size {
            return false;
        }
        let Some((number, fingerprint, head)) = crate::split(first) else {
            return false;
        };
        if fingerprint != self.fingerprint {
            return false;
        }
        let pieces: Vec<&[u8]> = std::iter::once(head).chain(slices).collect();
        self.write(&pieces, number, counters);
        true
    }

    /// Writes one remote value numbered `number` (given in pieces), counting the gap since
    /// the last one.
    fn write(&mut self, pieces: &[&[u8]], number: u64, counters: &Counters) {
        match self.publisher.write_record_pieces(pieces) {
            Ok(_) => {
                if let Some(gap) = self
                    .last
                    .and_then(|last| number.checked_sub(last))
                    .and_then(|d| d.checked_sub(1))
                    .filter(|&gap| gap > 0)
                {
                    self.publisher.add_lost_upstream(gap);
                    Counters::add(&counters.lost, gap);
                }
                // A smaller number: the source was recreated or rewound; count from there.
                self.last = Some(number);
                Counters::add(&counters.values, 1);
            }
            Err(_) => Counters::add(&counters.refused, 1),
        }
    }
}

/// The import thread's state.
struct Worker {
    session: zenoh::Session,
    links: Links,
    options: ImportOptions,
    /// For the value callbacks.
    tx: Sender<Event>,
}

impl Worker {
    fn run(self, rx: &Receiver<Event>, stop: &AtomicBool) {
        let mut beat = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            match rx.recv_timeout(HEARTBEAT_EVERY) {
                Ok(Event::Need(key)) => self.ensure(&key, false),
                Ok(Event::Alive(key)) => self.ensure(&key, true),
                Ok(Event::Gone(key)) => {
                    if let Some(link) = lock(&self.links).get(&key) {
                        lock(link).counters.alive.store(false, Ordering::Relaxed);
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
            if beat.elapsed() >= HEARTBEAT_EVERY {
                beat = Instant::now();
                let links: Vec<_> = lock(&self.links).values().cloned().collect();
                for link in links {
                    let mut link = lock(&link);
                    let link = &mut *link;
                    if let (Some(target), true) = (
                        &mut link.target,
                        link.counters.alive.load(Ordering::Relaxed),
                    ) {
                        target.publisher.heartbeat();
                    }
                }
            }
        }
    }

    /// Makes sure `key` has a local segment matching what its values carry (creating it from
    /// the exporter's metadata), then writes the values held meanwhile.
    fn ensure(&self, key: &str, alive: bool) {
        let Some(shared) = link_of(&self.links, key, &self.options) else {
            return;
        };
        self.subscribe(key, &shared);
        let (segment, wanted) = {
            let mut link = lock(&shared);
            if alive {
                link.counters.alive.store(true, Ordering::Relaxed);
            }
            link.requested = false;
            let current = link.target.as_ref().map(|t| t.fingerprint);
            let ready = current.is_some() && (link.wanted.is_none() || link.wanted == current);
            if ready || link.failed.is_some_and(|t| t.elapsed() < RETRY_AFTER) {
                if ready {
                    flush(&mut link);
                }
                return;
            }
            // A new fingerprint: the old segment goes before the new one is created.
            link.target = None;
            (link.segment.clone(), link.wanted)
        };
        // Outside the lock: values keep arriving (and being held) meanwhile.
        let created = self.create(key, &segment, wanted);
        let mut link = lock(&shared);
        match created {
            Ok(target) => {
                link.failed = None;
                link.target = Some(target);
                flush(&mut link);
            }
            Err(e) => {
                // Said once per failing run, not at every retry.
                if link.failed.is_none() {
                    eprintln!("rtshm-bridge: import {key}: {e}");
                }
                link.failed = Some(Instant::now());
                Counters::add(&link.counters.refused, link.pending.len() as u64);
                link.pending.clear();
            }
        }
    }

    /// Declares the subscriber on `key` (once): its callback writes each value into the link.
    fn subscribe(&self, key: &str, shared: &Arc<Mutex<Link>>) {
        if lock(shared).values.is_some() {
            return;
        }
        let (link, tx, owned) = (shared.clone(), self.tx.clone(), key.to_owned());
        let pending = self.options.pending;
        let declared = self
            .session
            .declare_subscriber(key.to_owned())
            .callback(move |sample| on_value(&link, &owned, &tx, pending, &sample))
            .wait();
        match declared {
            Ok(subscriber) => lock(shared).values = Some(subscriber),
            Err(e) => eprintln!("rtshm-bridge: import {key}: {e}"),
        }
    }

    /// Asks the exporter for `key`'s metadata and creates (or takes over) the local segment
    /// `segment` it describes.
    fn create(&self, key: &str, segment: &str, wanted: Option<u64>) -> Result<Target, BridgeError> {
        let unsupported = |reason: String| BridgeError::Unsupported {
            name: key.to_owned(),
            reason,
        };
        let replies = self
            .session
            .get(format!("{key}/@meta"))
            .timeout(META_TIMEOUT)
            .wait()?;
        let reply = replies
            .recv()
            .map_err(|_| unsupported("no exporter answered for its metadata".into()))?;
        let sample = reply
            .into_result()
            .map_err(|e| unsupported(format!("metadata query failed: {e:?}")))?;
        let meta = Meta::parse(&sample.payload().to_bytes()).map_err(unsupported)?;
        if wanted.is_some_and(|w| w != meta.fingerprint) {
            return Err(unsupported(
                "the metadata's fingerprint is not the values' (the source changed)".into(),
            ));
        }
        let ty = RawType::described(meta.kind, meta.schema).with_id(meta.fingerprint);
        let geometry = ty
            .geometry(meta.capacity)
            .map_err(|e| unsupported(e.to_string()))?;
        if geometry.payload_size != meta.payload_size {
            return Err(unsupported(format!(
                "{} byte values announced, {} by its schema",
                meta.payload_size, geometry.payload_size
            )));
        }
        if geometry.total_len as u64 > self.options.max_bytes {
            return Err(unsupported(format!(
                "{} bytes: above the import's limit of {}",
                geometry.total_len, self.options.max_bytes
            )));
        }
        let config = (
            CreateConfig::new().clock(meta.clock.remote()),
            OpenConfig::new(),
        );
        let publisher = RawPublisher::create_or_recover(segment, &ty, meta.capacity, config)
            .map_err(|e| BridgeError::Unsupported {
                name: segment.to_owned(),
                reason: e.to_string(),
            })?;
        Ok(Target {
            publisher,
            fingerprint: meta.fingerprint,
            last: None,
        })
    }
}

/// Writes the values `link` held while its segment was being created.
fn flush(link: &mut Link) {
    let Some(target) = &mut link.target else {
        return;
    };
    for payload in std::mem::take(&mut link.pending) {
        match crate::split(&payload) {
            Some((number, fingerprint, value)) if fingerprint == target.fingerprint => {
                target.write_all(value, number, &link.counters);
            }
            _ => Counters::add(&link.counters.refused, 1),
        }
    }
    link.wanted = None;
}

/// A remote segment's metadata (the exporter's JSON, validated).
struct Meta {
    kind: Kind,
    capacity: usize,
    clock: Clock,
    fingerprint: u64,
    payload_size: usize,
    schema: SchemaBuf,
}

impl Meta {
    fn parse(bytes: &[u8]) -> Result<Self, String> {
        let json: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| format!("metadata is not JSON: {e}"))?;
        let text = |field: &str| {
            json.get(field)
                .and_then(serde_json::Value::as_str)
                .ok_or(format!("metadata without a text {field:?}"))
        };
        let number = |field: &str| {
            json.get(field)
                .and_then(serde_json::Value::as_u64)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or(format!("metadata without a number {field:?}"))
        };
        let kind = match text("kind")? {
            "SeqLock" => Kind::SeqLock,
            "Ring" => Kind::Ring,
            "TimeSeries" => Kind::TimeSeries,
            other => return Err(format!("kind {other:?} is not bridged")),
        };
        let clock = Clock::from_name(text("clock")?).ok_or("an unknown clock")?;
        let fingerprint =
            u64::from_str_radix(text("fingerprint")?, 16).map_err(|_| "a bad fingerprint")?;
        let schema = SchemaBuf::from_hex(text("schema")?).ok_or("a schema that does not decode")?;
        Ok(Self {
            kind,
            capacity: number("capacity")?,
            clock,
            fingerprint,
            payload_size: number("payload_size")?,
            schema,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_three_chunk_keys_name_a_segment() {
        assert_eq!(segment_of("rtshm/robot1/imu"), Some("imu"));
        assert_eq!(segment_of("rtshm/robot1/imu/extra"), None);
        assert_eq!(segment_of("other/robot1/imu"), None);
        assert_eq!(segment_of("rtshm/robot1"), None);
    }

    #[test]
    fn payloads_of_partial_records_are_refused_and_gaps_counted() {
        let name = format!("bridge-unit-{}", std::process::id());
        let schema = SchemaBuf::of(&<[u32; 2] as rtshm::Schema>::TYPE).unwrap();
        let ty = RawType::described(Kind::Ring, schema);
        let publisher = RawPublisher::create(&name, &ty, 8, CreateConfig::new()).unwrap();
        let mut target = Target {
            publisher,
            fingerprint: 0,
            last: None,
        };
        let counters = Counters::default();
        target.write_all(&[0; 12], 0, &counters); // a record and a half
        target.write_all(&[], 0, &counters);
        target.write_all(&[1; 16], 5, &counters); // two records: 5 and 6
        target.write_all(&[2; 8], 9, &counters); // 7 and 8 never came
        let get = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
        assert_eq!(get(&counters.refused), 2);
        assert_eq!(get(&counters.values), 3);
        assert_eq!(get(&counters.lost), 2);
        assert_eq!(target.publisher.written(), 3);
        let view = rtshm::shm::Inspector::open(&name).unwrap();
        assert_eq!(view.lost_upstream(), 2);
    }

    #[test]
    fn hostile_metadata_is_refused_with_a_reason() {
        for (bytes, reason) in [
            (&b"not json"[..], "not JSON"),
            (br#"{"kind":"Queue"}"#, "not bridged"),
            (
                br#"{"kind":"Ring","clock":"Monotonic","fingerprint":"zz"}"#,
                "fingerprint",
            ),
            (
                br#"{"kind":"Ring","clock":"Monotonic","fingerprint":"00","schema":"0"}"#,
                "schema",
            ),
            (br#"{"kind":"Ring","clock":"Sundial"}"#, "clock"),
        ] {
            let error = Meta::parse(bytes).err().unwrap_or_default();
            assert!(error.contains(reason), "{error:?} lacks {reason:?}");
        }
    }
}
