//! [`replay`]: recreates the recorded segments and publishes the recorded values with their
//! recorded timing.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rtshm::Clock;
use rtshm::layout::Kind;
use rtshm::schema::SchemaBuf;
use rtshm::shm::{CreateConfig, OpenConfig, RawPublisher, RawType, TakeoverError};

use crate::cdr::Plan;
use crate::{RecordError, keys};

/// How [`replay`] publishes.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ReplayOptions {
    rate: f64,
    looping: bool,
    remap: Vec<(String, String)>,
    delay: Duration,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        Self {
            rate: 1.0,
            looping: false,
            remap: Vec::new(),
            delay: Duration::ZERO,
        }
    }
}

impl ReplayOptions {
    /// Recorded timing, once, into the recorded segment names.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Speed: 2.0 replays twice as fast; 0 or less (or not finite) as fast as possible.
    #[must_use]
    pub fn rate(mut self, rate: f64) -> Self {
        self.rate = rate;
        self
    }

    /// Starts again at the end, until stopped; time-series stamps move on by the recording's
    /// span each round, so they keep increasing.
    #[must_use]
    pub fn looping(mut self, looping: bool) -> Self {
        self.looping = looping;
        self
    }

    /// Waits this long between creating every segment and publishing the first value, so that
    /// subscribers started then see every value.
    #[must_use]
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Publishes the segment recorded as `from` under the name `to`.
    #[must_use]
    pub fn remap(mut self, from: &str, to: &str) -> Self {
        self.remap.push((from.to_owned(), to.to_owned()));
        self
    }
}

/// One replayed segment.
struct Target {
    name: String,
    publisher: RawPublisher,
    plan: Plan,
    kind: Kind,
    stored: Vec<u8>,
    /// The last stamp published, and the first (of the first round), to shift stamps on each
    /// loop (time series).
    last_stamp: u64,
    first_stamp: Option<u64>,
}

/// What [`replay`] did: values published per segment name.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ReplaySummary {
    /// `(segment name, values published)`, in the order the segments were created.
    pub published: Vec<(String, u64)>,
}

fn invalid(topic: &str, what: &str) -> RecordError {
    RecordError::Unsupported {
        name: topic.trim_start_matches('/').to_owned(),
        reason: format!("the channel's metadata has no valid {what}: not recorded by rtshm?"),
    }
}

impl Target {
    /// Creates (or takes over from a dead writer) the segment for `channel`.
    fn create(channel: &mcap::Channel<'_>, options: &ReplayOptions) -> Result<Self, RecordError> {
        let m = &channel.metadata;
        let topic = &channel.topic;
        let recorded = m
            .get(keys::SEGMENT)
            .cloned()
            .unwrap_or_else(|| topic.trim_start_matches('/').to_owned());
        let name = options
            .remap
            .iter()
            .find(|(from, _)| *from == recorded)
            .map_or(recorded.clone(), |(_, to)| to.clone());
        let kind = match m.get(keys::KIND).map(String::as_str) {
            Some("SeqLock") => Kind::SeqLock,
            Some("Ring") => Kind::Ring,
            Some("TimeSeries") => Kind::TimeSeries,
            _ => return Err(invalid(topic, "kind")),
        };
        let capacity: usize = m
            .get(keys::CAPACITY)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| invalid(topic, "capacity"))?;
        let schema = m
            .get(keys::SCHEMA)
            .and_then(|s| SchemaBuf::from_hex(s))
            .ok_or_else(|| invalid(topic, "schema"))?;
        let fingerprint = m
            .get(keys::FINGERPRINT)
            .and_then(|f| u64::from_str_radix(f, 16).ok())
            .ok_or_else(|| invalid(topic, "fingerprint"))?;
        let clock = m
            .get(keys::CLOCK)
            .and_then(|c| Clock::from_name(c))
            .unwrap_or_default();
        let ty = RawType::described(kind, schema.view().to_buf()).with_id(fingerprint);
        let geometry = ty
            .geometry(capacity)
            .map_err(|e| RecordError::Unsupported {
                name: name.clone(),
                reason: e.to_string(),
            })?;
        let plan = Plan::new(&geometry, schema.view()).map_err(|e| RecordError::Unsupported {
            name: name.clone(),
            reason: e.to_string(),
        })?;
        let config = (CreateConfig::new().clock(clock), OpenConfig::new());
        let publisher =
            RawPublisher::create_or_recover(&name, &ty, capacity, config).map_err(|e| match e {
                TakeoverError::WriterAlive { pid } => RecordError::Unsupported {
                    name: name.clone(),
                    reason: format!(
                        "its writer (pid {pid}) is alive: replay under another name with \
                         --remap {recorded}=NEW_NAME"
                    ),
                },
                e => RecordError::Unsupported {
                    name: name.clone(),
                    reason: e.to_string(),
                },
            })?;
        Ok(Self {
            name,
            publisher,
            plan,
            kind,
            stored: vec![0; geometry.payload_size],
            last_stamp: 0,
            first_stamp: None,
        })
    }

    /// Publishes one recorded message; `shift` is added to time-series stamps.
    fn publish(&mut self, data: &[u8], shift: u64) -> Result<(), RecordError> {
        let unsupported = |reason: String| RecordError::Unsupported {
            name: self.name.clone(),
            reason,
        };
        self.plan
            .decode(data, &mut self.stored)
            .map_err(|e| unsupported(e.to_string()))?;
        if self.kind == Kind::TimeSeries {
            let mut stamp = [0; 8];
            stamp.copy_from_slice(&self.stored[..8]);
            let stamp = u64::from_ne_bytes(stamp).saturating_add(shift);
            self.stored[..8].copy_from_slice(&stamp.to_ne_bytes());
            self.first_stamp.get_or_insert(stamp);
            self.last_stamp = stamp;
        }
        self.publisher
            .write_record(&self.stored)
            .map_err(|e| unsupported(e.to_string()))?;
        Ok(())
    }
}

/// Recreates each recorded segment (kind, capacity, clock and schema from the channel's
/// metadata; created, or taken over from a dead writer, never from a live one: remap it) and
/// publishes the recorded values in the file's order, each at its recorded `log_time` offset
/// (divided by the rate). Returns when the file ends (or, looping, when `stop` is set);
/// `progress` is called after each value with the values published so far.
pub fn replay(
    path: impl AsRef<Path>,
    options: &ReplayOptions,
    stop: &AtomicBool,
    mut progress: impl FnMut(u64),
) -> Result<ReplaySummary, RecordError> {
    let bytes = std::fs::read(path)?;
    let mut targets: BTreeMap<u16, Target> = BTreeMap::new();
    let mut order: Vec<u16> = Vec::new();
    // Every segment first (from the summary, or a first pass for a file without one), so that
    // subscribers can open them all before the first value.
    let channels: Vec<std::sync::Arc<mcap::Channel<'_>>> = match mcap::Summary::read(&bytes) {
        Ok(Some(summary)) => summary.channels.into_values().collect(),
        _ => {
            let mut seen = BTreeMap::new();
            for message in mcap::MessageStream::new(&bytes)? {
                let Ok(message) = message else { break };
                seen.entry(message.channel.id).or_insert(message.channel);
            }
            seen.into_values().collect()
        }
    };
    for channel in channels {
        targets.insert(channel.id, Target::create(&channel, options)?);
        order.push(channel.id);
    }
    if !options.delay.is_zero() {
        std::thread::sleep(options.delay);
    }
    let mut counts: BTreeMap<u16, u64> = BTreeMap::new();
    let timed = options.rate.is_finite() && options.rate > 0.0;
    let mut published = 0u64;
    let mut shift = 0u64;
    'rounds: loop {
        let start = Instant::now();
        let mut first: Option<u64> = None;
        for message in mcap::MessageStream::new(&bytes)? {
            // A file cut short (a killed recorder) ends at its last complete chunk.
            let Ok(message) = message else { break };
            if stop.load(Ordering::Relaxed) {
                break 'rounds;
            }
            let id = message.channel.id;
            if let std::collections::btree_map::Entry::Vacant(e) = targets.entry(id) {
                // A channel that appears only after the summary's list (never, for a finished
                // recording of ours).
                e.insert(Target::create(&message.channel, options)?);
                order.push(id);
            }
            if timed {
                let t0 = *first.get_or_insert(message.log_time);
                let offset = message.log_time.saturating_sub(t0) as f64 / options.rate;
                let due = start + Duration::from_nanos(offset as u64);
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
            }
            if let Some(target) = targets.get_mut(&id) {
                target.publish(&message.data, shift)?;
            }
            *counts.entry(id).or_default() += 1;
            published += 1;
            progress(published);
        }
        if !options.looping || published == 0 || stop.load(Ordering::Relaxed) {
            break;
        }
        // Round k publishes the recorded stamps plus `shift`; the next round's first stamp
        // must come after this round's last: shift by (last published - first recorded + 1).
        shift = targets
            .values()
            .filter_map(|t| Some(t.last_stamp - t.first_stamp? + 1))
            .max()
            .unwrap_or(shift);
    }
    Ok(ReplaySummary {
        published: order
            .iter()
            .filter_map(|id| {
                Some((
                    targets.get(id)?.name.clone(),
                    counts.get(id).copied().unwrap_or(0),
                ))
            })
            .collect(),
    })
}
