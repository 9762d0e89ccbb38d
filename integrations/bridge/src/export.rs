//! Export: one thread per segment follows it and puts its values.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rtshm::Lapped;
use rtshm::layout::Kind;
use rtshm::liveness::WriterStatus;
use rtshm::shm::{Inspector, OpenError, STALE_AFTER};
use zenoh::Wait;
use zenoh::qos::CongestionControl;

use crate::{BridgeError, Counters, HEADER_LEN, LinkStats, header, lock};

/// The most bytes of values one put carries when a ring's exporter finds several written
/// (one value of any size always goes alone).
pub const BATCH_BYTES: usize = 16 * 1024;

/// How an export puts its values.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ExportOptions {
    drop_when_congested: bool,
    express: bool,
}

impl ExportOptions {
    /// Rings and time series block when Zenoh is congested (module docs, "Loss"); SeqLocks
    /// always drop.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Rings and time series too drop values when Zenoh is congested, instead of the
    /// exporter waiting (and then lapping) behind the source.
    #[must_use]
    pub fn drop_when_congested(mut self, drop: bool) -> Self {
        self.drop_when_congested = drop;
        self
    }

    /// Sends each value at once instead of letting Zenoh batch it with others (Zenoh's
    /// `express`): lower latency under load, lower throughput.
    #[must_use]
    pub fn express(mut self, express: bool) -> Self {
        self.express = express;
        self
    }
}

/// Payload buffers of one export: a buffer goes back here when Zenoh drops the payload, so
/// that the next value is read into memory already allocated and touched (for a 1 MiB value
/// that saves zeroing a fresh megabyte, `BENCHMARKS.md`).
#[derive(Debug, Default)]
struct Pool(Mutex<Vec<Vec<u8>>>);

/// The most buffers a pool keeps (more are in flight only while Zenoh queues them).
const POOL_KEEP: usize = 4;

impl Pool {
    /// A buffer of `len` bytes (contents unspecified: the caller overwrites them).
    fn take(&self, len: usize) -> Vec<u8> {
        let mut buf = lock(&self.0).pop().unwrap_or_default();
        // Shrinking keeps the bytes; only growth writes zeros.
        buf.resize(len, 0);
        buf
    }
}

/// A payload whose buffer returns to its pool when Zenoh drops it.
#[derive(Debug)]
struct Pooled {
    buf: Vec<u8>,
    pool: Arc<Pool>,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let mut pool = lock(&self.pool.0);
        if pool.len() < POOL_KEEP {
            pool.push(std::mem::take(&mut self.buf));
        }
    }
}

/// One exported segment.
pub(crate) struct Export {
    pub(crate) segment: String,
    key: String,
    counters: Arc<Counters>,
    /// Set by the thread when it ends because the name now means another segment (or none).
    ended: Arc<AtomicBool>,
    /// Answers metadata queries while the export lives.
    _meta: zenoh::query::Queryable<()>,
}

impl Export {
    /// Opens `name`, declares its metadata queryable and starts the thread that follows it.
    pub(crate) fn start(
        session: &zenoh::Session,
        name: &str,
        key: &str,
        options: ExportOptions,
        stop: Arc<AtomicBool>,
    ) -> Result<(Self, JoinHandle<()>), BridgeError> {
        let open = |error| BridgeError::Open {
            name: name.to_owned(),
            error,
        };
        let unsupported = |reason: &str| BridgeError::Unsupported {
            name: name.to_owned(),
            reason: reason.to_owned(),
        };
        let view = Inspector::open_following(name).map_err(open)?;
        let geometry = *view.geometry();
        if geometry.kind == Kind::Queue {
            return Err(unsupported(
                "a queue's values belong to its consumer: not exported",
            ));
        }
        let schema = view
            .schema()
            .map(|s| s.to_buf())
            .ok_or_else(|| unsupported("it records no schema: the importer could not type it"))?;
        let meta = serde_json::json!({
            "segment": name,
            "kind": geometry.kind.to_string(),
            "capacity": geometry.capacity,
            "clock": format!("{:?}", view.clock()),
            "fingerprint": format!("{:016x}", view.header().fingerprint),
            "payload_size": geometry.payload_size,
            "epoch": view.epoch(),
            "schema": schema.to_hex(),
        })
        .to_string();
        let meta_key = format!("{key}/@meta");
        let reply_key = meta_key.clone();
        let queryable = session
            .declare_queryable(&meta_key)
            .callback(move |query| {
                let _ = query.reply(&reply_key, meta.as_bytes()).wait();
            })
            .wait()?;
        let congestion = if geometry.kind == Kind::SeqLock || options.drop_when_congested {
            CongestionControl::Drop
        } else {
            CongestionControl::Block
        };
        let publisher = session
            .declare_publisher(key.to_owned())
            .congestion_control(congestion)
            .express(options.express)
            .wait()?;
        let counters = Arc::new(Counters::default());
        let ended = Arc::new(AtomicBool::new(false));
        let follower = Follower {
            session: session.clone(),
            name: name.to_owned(),
            ended: ended.clone(),
            key: key.to_owned(),
            view,
            publisher,
            counters: counters.clone(),
        };
        let thread = std::thread::Builder::new()
            .name(format!("export {name}"))
            .spawn(move || follower.run(&stop))?;
        let export = Self {
            segment: name.to_owned(),
            key: key.to_owned(),
            counters,
            ended,
            _meta: queryable,
        };
        Ok((export, thread))
    }

    pub(crate) fn stats(&self) -> LinkStats {
        self.counters.stats(&self.segment, &self.key)
    }

    /// Whether its thread ended: the segment it followed was removed or replaced (the name is
    /// free for a new export of whatever holds it now).
    pub(crate) fn ended(&self) -> bool {
        self.ended.load(Ordering::Relaxed)
    }
}

/// The state of an export's thread.
struct Follower {
    session: zenoh::Session,
    /// The segment's name, and the flag set when it means another segment now.
    name: String,
    ended: Arc<AtomicBool>,
    key: String,
    view: Inspector,
    publisher: zenoh::pubsub::Publisher<'static>,
    counters: Arc<Counters>,
}

impl Follower {
    /// Reads every value it can (a SeqLock from its current value, a ring from the next value
    /// written) and puts it, holding the liveliness token while the source's writer is alive,
    /// until `stop`. A ring's values already written when the exporter reads go out together
    /// (at most [`BATCH_BYTES`] of them, consecutive numbers) in one put.
    fn run(self, stop: &AtomicBool) {
        let geometry = *self.view.geometry();
        let fingerprint = self.view.header().fingerprint;
        let record = geometry.payload_size;
        let batch = if geometry.kind == Kind::SeqLock {
            1 // latest-wins: never more than the newest
        } else {
            (BATCH_BYTES / record).max(1)
        };
        let mut position = self.view.follow_from();
        let mut token = None;
        let mut checked: Option<Instant> = None;
        // Values since the clock was last read: under load it is read every 256 puts only.
        let mut busy = 0u32;
        // Each put's payload is read into a buffer of its own (after the header), handed to
        // Zenoh without a copy, and reused once Zenoh has sent it.
        let pool = Arc::new(Pool::default());
        let mut buf = pool.take(HEADER_LEN + record);
        while !stop.load(Ordering::Relaxed) {
            if busy == 0 && checked.is_none_or(|t| t.elapsed() >= crate::SOURCE_CHECK) {
                checked = Some(Instant::now());
                token = self.liveliness(token);
                if token.is_none() && self.replaced() {
                    // Removed, or recreated under the same name: this mapping will never see
                    // another value. End, so that the next export of the name follows the
                    // new segment.
                    self.ended.store(true, Ordering::Relaxed);
                    return;
                }
            }
            match self.view.next_into(&mut position, &mut buf[HEADER_LEN..]) {
                Ok(Some(first)) => {
                    buf[..HEADER_LEN].copy_from_slice(&header(first, fingerprint));
                    let mut count = 1;
                    // More values ready: appended while their numbers follow on.
                    while count < batch {
                        let at = buf.len();
                        buf.resize(at + record, 0);
                        let mut next = position;
                        match self.view.next_into(&mut next, &mut buf[at..]) {
                            Ok(Some(n)) if n == first + count as u64 => {
                                position = next;
                                count += 1;
                            }
                            // Nothing more, a lap, or a jump: the next put starts there.
                            _ => {
                                buf.truncate(at);
                                break;
                            }
                        }
                    }
                    let payload = Pooled {
                        buf: std::mem::replace(&mut buf, pool.take(HEADER_LEN + record)),
                        pool: pool.clone(),
                    };
                    let payload = bytes::Bytes::from_owner(payload);
                    let counter = match self.publisher.put(payload).wait() {
                        Ok(()) => &self.counters.values,
                        Err(_) => &self.counters.refused,
                    };
                    Counters::add(counter, count as u64);
                    busy = (busy + 1) % 256;
                }
                Ok(None) => {
                    busy = 0;
                    // Nothing new: sleep until the writer writes (or to check liveness, stop).
                    let _ = self.view.wait_beyond(position, Duration::from_millis(100));
                }
                Err(Lapped { missed }) => Counters::add(&self.counters.lost, missed),
            }
        }
    }

    /// Whether the name no longer holds the segment this export maps (it was removed, or
    /// another segment was created under its name).
    fn replaced(&self) -> bool {
        match Inspector::open(&self.name) {
            Ok(now) => now.header().created_ns != self.view.header().created_ns,
            Err(OpenError::NotFound) => true,
            // Unreadable for now (being created, say): look again at the next check.
            Err(_) => false,
        }
    }

    /// The liveliness token while the source's writer may be running and storing (alive, or
    /// unknown: another PID namespace); none while it is dead, stale or gone.
    fn liveliness(
        &self,
        token: Option<zenoh::liveliness::LivelinessToken>,
    ) -> Option<zenoh::liveliness::LivelinessToken> {
        let alive = matches!(
            self.view.writer_status(STALE_AFTER),
            WriterStatus::Alive { .. } | WriterStatus::Unknown { .. }
        );
        self.counters.alive.store(alive, Ordering::Relaxed);
        match (alive, token) {
            (true, None) => self
                .session
                .liveliness()
                .declare_token(self.key.clone())
                .wait()
                .ok(),
            (false, Some(token)) => {
                let _ = token.undeclare().wait();
                None
            }
            (_, token) => token,
        }
    }
}
