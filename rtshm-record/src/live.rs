//! The live view (feature `live`): the Foxglove WebSocket server of the `foxglove` crate, with
//! the same channels a recording has (topic `/<name>`, `ros2msg` schema, CDR messages), so that
//! Foxglove connected to `ws://HOST:PORT` plots any field of any segment as it is written.
//!
//! ```no_run
//! use std::time::Duration;
//! use rtshm_record::live::LiveServer;
//!
//! let mut server = LiveServer::start("127.0.0.1", 8765)?;
//! server.add("imu")?; // followed from now on; more can be added while clients are connected
//! loop {
//!     server.forward_pending(Duration::from_millis(100))?;
//! }
//! # Ok::<(), rtshm_record::RecordError>(())
//! ```

use std::convert::Infallible;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use crate::{ChannelStats, Event, Followers, RecordError, Source};

/// One served segment.
struct LiveChannel {
    channel: Arc<foxglove::RawChannel>,
    stats: ChannelStats,
}

/// A Foxglove WebSocket server publishing segments (module docs).
pub struct LiveServer {
    handle: Option<foxglove::WebSocketServerHandle>,
    port: u16,
    channels: Vec<LiveChannel>,
    followers: Followers,
}

impl std::fmt::Debug for LiveServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveServer")
            .field("port", &self.port)
            .field("channels", &self.stats())
            .finish_non_exhaustive()
    }
}

fn server_error(e: impl std::fmt::Display) -> RecordError {
    RecordError::Io(io::Error::other(format!("Foxglove server: {e}")))
}

impl LiveServer {
    /// Starts the server on `host:port` (port 0: any free port, see [`LiveServer::port`]).
    pub fn start(host: &str, port: u16) -> Result<Self, RecordError> {
        let handle = foxglove::WebSocketServer::new()
            .name("rtshm")
            .bind(host, port)
            .start_blocking()
            .map_err(server_error)?;
        Ok(Self {
            port: handle.port(),
            handle: Some(handle),
            channels: Vec::new(),
            followers: Followers::new(4096),
        })
    }

    /// The port the server listens on.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves the segment `name` from now on (clients see the new channel advertised).
    pub fn add(&mut self, name: &str) -> Result<(), RecordError> {
        if self.channels.iter().any(|c| c.stats.name == name) {
            return Err(RecordError::Duplicate(name.to_owned()));
        }
        let source = Source::open(name)?;
        let schema = foxglove::Schema::new(
            source.type_name.clone(),
            "ros2msg",
            source.plan.msg().as_bytes().to_vec(),
        );
        let channel = foxglove::ChannelBuilder::new(source.topic.clone())
            .message_encoding("cdr")
            .schema(schema)
            .metadata(source.metadata.clone())
            .build_raw()
            .map_err(server_error)?;
        let index = self.channels.len();
        self.channels.push(LiveChannel {
            channel,
            stats: ChannelStats::new(name, &source.topic),
        });
        self.followers.follow(source, index)?;
        Ok(())
    }

    /// The names of the segments served.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.channels.iter().map(|c| c.stats.name.as_str())
    }

    /// Sends what the followers read to the connected clients (subscribed to its channel), at
    /// most [`PENDING_BATCH`](crate::PENDING_BATCH) values, waiting up to `timeout` for the
    /// first one; returns the number of messages.
    pub fn forward_pending(&mut self, timeout: Duration) -> Result<usize, RecordError> {
        let mut sent = 0;
        let channels = &mut self.channels;
        self.followers
            .drain(timeout, |event| {
                match event {
                    Event::Message {
                        channel,
                        log_time,
                        data,
                        ..
                    } => {
                        let c = &mut channels[channel];
                        c.channel.log_with_meta(
                            &data,
                            foxglove::PartialMetadata {
                                log_time: Some(log_time),
                            },
                        );
                        c.stats.messages += 1;
                        c.stats.bytes += data.len() as u64;
                        sent += 1;
                    }
                    Event::Laps { channel, missed } => channels[channel].stats.laps += missed,
                }
                Ok::<(), Infallible>(())
            })
            .unwrap_or_else(|never| match never {});
        Ok(sent)
    }

    /// Each channel's counts so far (messages forwarded, laps of the followers).
    #[must_use]
    pub fn stats(&self) -> Vec<ChannelStats> {
        self.channels.iter().map(|c| c.stats.clone()).collect()
    }
}

impl Drop for LiveServer {
    fn drop(&mut self) {
        // What the followers still send is dropped: no client waits for it any more.
        let _ = self.followers.stop(|_| Ok::<(), Infallible>(()));
        for c in &self.channels {
            c.channel.close();
        }
        if let Some(handle) = self.handle.take() {
            drop(handle.stop());
        }
    }
}
