//! Segments of payload types known only at run time: [`RawType`] and [`RawPublisher`], for
//! language bindings (the Python package) and tools. Readers use
//! [`Inspector::open_as`](super::Inspector::open_as).

use core::fmt;
use std::path::Path;
use std::vec;
use std::vec::Vec;

use super::TakeoverError;
use super::cells::Pieces;
use super::name::SegmentName;
use super::segment::{Check, CreateConfig, CreateError, Identity, OpenConfig, check_schema};
use super::writer::{Place, Writer};
use crate::layout::{self, Expected, Geometry, HeaderLine0, Kind, LayoutError, Shape};
use crate::series::NonMonotonic;
use crate::{Timestamp, Version};
use rtshm_schema::{SchemaBuf, TypeView};

/// A payload type described at run time (a numpy dtype, a C field table): the structure, the
/// size and alignment of the user's value `T`, its schema if known, and the fingerprint that
/// the writer and its readers agree on.
///
/// [`RawType::described`] takes a schema (its size, alignment and hash come from it): the
/// segment it creates is the segment a typed [`Publisher`](super::Publisher) creates for a
/// `#[derive(Schema)]` type with the same fields at the same offsets, so typed and raw handles
/// open each other's segments, and a difference is named by field. [`RawType::new`] describes
/// the bytes by size and an explicit schema id only (see [`layout::schema_id`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RawType {
    /// The structure.
    pub kind: Kind,
    /// `size_of` the user's value (a multiple of `align`).
    pub size: usize,
    /// `align_of` the user's value (a power of two, at most
    /// [`MAX_PAYLOAD_ALIGN`](layout::MAX_PAYLOAD_ALIGN)).
    pub align: usize,
    /// The fingerprint recorded in the header: the schema's hash, or an explicit schema id.
    pub schema: u64,
    /// The schema recorded in the segment and compared at open, if known.
    pub descriptor: Option<SchemaBuf>,
}

impl RawType {
    /// A type of `size` bytes aligned to `align`, known by the explicit schema id `schema`
    /// only: the segment records no schema, so tools show its values as bytes.
    #[must_use]
    pub const fn new(kind: Kind, size: usize, align: usize, schema: u64) -> Self {
        Self {
            kind,
            size,
            align,
            schema,
            descriptor: None,
        }
    }

    /// The type `descriptor` describes; its fingerprint is the schema's hash
    /// ([`TypeView::fingerprint`](rtshm_schema::TypeView::fingerprint)).
    #[must_use]
    pub fn described(kind: Kind, descriptor: SchemaBuf) -> Self {
        let view = descriptor.view();
        Self {
            kind,
            size: view.size(),
            align: view.align(),
            schema: view.fingerprint(),
            descriptor: Some(descriptor),
        }
    }

    /// With the explicit schema id `id` as its fingerprint (the schema, if any, is still
    /// recorded and compared).
    #[must_use]
    pub fn with_id(mut self, id: u64) -> Self {
        self.schema = id;
        self
    }

    /// The shape of the stored values (for a time series, the `Stamped` records), or why the
    /// size and alignment describe no type.
    pub fn shape(&self) -> Result<Shape, LayoutError> {
        if self.align > layout::MAX_PAYLOAD_ALIGN && self.align.is_power_of_two() {
            return Err(LayoutError::AlignmentTooLarge {
                align: self.align as u64,
            });
        }
        Shape::stored(self.kind, self.size, self.align).ok_or(LayoutError::Corrupt(
            "the size is not a multiple of a power-of-two alignment, or overflows",
        ))
    }

    /// The geometry of a segment of `capacity` slots (1 for a SeqLock).
    pub fn geometry(&self, capacity: usize) -> Result<Geometry, LayoutError> {
        let shape = self.shape()?;
        Geometry::of_raw(
            self.kind,
            shape.size,
            shape.align,
            shape.value_size,
            capacity,
        )
    }

    /// What a segment created for this type records.
    pub(crate) fn identity(&self) -> Identity<'_> {
        Identity {
            fingerprint: self.schema,
            schema: self.descriptor.as_ref().map(SchemaBuf::view),
        }
    }

    /// The check of a handle for this type: header, then schema.
    pub(crate) fn validator(&self) -> Result<impl Check + Copy + '_, LayoutError> {
        let shape = self.shape()?;
        let expected = Expected {
            kind: self.kind,
            fingerprint: self.schema,
        };
        let ours = self.descriptor.as_ref();
        Ok(
            move |header: &HeaderLine0, len, found: Option<TypeView<'_>>| {
                let header = layout::validate_shape(header, len, expected, shape);
                check_schema(header, found, ours.map(SchemaBuf::view))
            },
        )
    }
}

/// A [`RawPublisher`] operation was given a value of the wrong size, or is not one of the
/// segment's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RawError {
    /// The value is not `size` bytes.
    Size {
        /// The size of the segment's values.
        expected: usize,
        /// The size given.
        given: usize,
    },
    /// The operation needs a segment of another kind (`store` a SeqLock, `push` a Ring,
    /// `push_stamped` a TimeSeries).
    Kind {
        /// The segment's kind.
        found: Kind,
        /// The kind the operation needs.
        needed: Kind,
    },
    /// A time series stamp earlier than the last one pushed.
    NonMonotonic(NonMonotonic),
}

impl fmt::Display for RawError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Size { expected, given } => write!(
                f,
                "value is {given} bytes, the segment's values are {expected} bytes"
            ),
            Self::Kind { found, needed } => {
                write!(
                    f,
                    "segment holds a {found}; this operation needs a {needed}"
                )
            }
            Self::NonMonotonic(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for RawError {}

/// The single writer of a segment whose payload type is a [`RawType`]: the untyped
/// counterpart of [`Publisher`](super::Publisher), with the same protocol, claim, liveness,
/// takeover and wake-ups, copying the value's bytes with the widths typed readers use.
///
/// ```
/// use rtshm::layout::{Kind, schema_id};
/// use rtshm::shm::{CreateConfig, OpenConfig, RawPublisher, RawType, RingSubscriber};
/// # if cfg!(miri) { return Ok(()); } // Miri cannot map shared memory
///
/// let name = format!("doc-raw-{}", std::process::id());
/// let ty = RawType::new(Kind::Ring, 8, 4, schema_id("xy@1"));
/// let mut publisher = RawPublisher::create(&name, &ty, 16, CreateConfig::default())?;
/// publisher.push(bytemuck::bytes_of(&[1.5f32, -2.0]))?;
///
/// // A Rust reader of the same layout names the same schema.
/// let options = OpenConfig::new().schema(schema_id("xy@1"));
/// let reader = RingSubscriber::<[f32; 2]>::open_with(&name, options)?;
/// assert_eq!(reader.latest()?, Some((0, [1.5, -2.0])));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Worst case
/// `store`, `push`, `write_record` and `write_record_pieces` copy the value once,
/// `push_stamped` twice (into a record buffer allocated at creation, then into the slot); no
/// lock, no allocation, and no syscall unless a reader waits.
pub struct RawPublisher {
    writer: Writer,
    /// A time series record being assembled (`payload_size` bytes; empty for other kinds).
    record: Vec<u8>,
}

impl RawPublisher {
    /// Creates the named segment `name` holding `ty` with `capacity` slots (1 for a SeqLock).
    /// `ty.schema` is recorded as its fingerprint and `ty.descriptor` as its schema
    /// (`options.schema` is not used).
    pub fn create(
        name: &str,
        ty: &RawType,
        capacity: usize,
        options: CreateConfig,
    ) -> Result<Self, CreateError> {
        Self::create_at(Place::Shm(name), ty, capacity, options)
    }

    /// Creates a file-backed segment at `path` (must not exist; `O_NOFOLLOW`).
    pub fn create_file(
        path: impl AsRef<Path>,
        ty: &RawType,
        capacity: usize,
        options: CreateConfig,
    ) -> Result<Self, CreateError> {
        Self::create_at(Place::File(path.as_ref()), ty, capacity, options)
    }

    /// Creates an anonymous segment (`memfd_create`, labelled `label` for `/proc`), shared
    /// with readers by passing [`RawPublisher::share_fd`]'s descriptor.
    ///
    /// ```
    /// use rtshm::layout::{Kind, schema_id};
    /// use rtshm::shm::{CreateConfig, Inspector, OpenConfig, RawPublisher, RawType};
    /// # if cfg!(miri) { return Ok(()); }
    ///
    /// let ty = RawType::new(Kind::Ring, 8, 8, schema_id("tick@1"));
    /// let mut publisher = RawPublisher::create_memfd("ticks", &ty, 4, CreateConfig::new())?;
    /// publisher.push(&7u64.to_ne_bytes())?;
    /// // Pass the descriptor to a child process, or over a Unix socket:
    /// let reader = Inspector::from_fd_as(publisher.share_fd()?, &ty, OpenConfig::new())?;
    /// let mut value = [0u8; 8];
    /// reader.get_into(0, &mut value)?;
    /// assert_eq!(u64::from_ne_bytes(value), 7);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_memfd(
        label: &str,
        ty: &RawType,
        capacity: usize,
        options: CreateConfig,
    ) -> Result<Self, CreateError> {
        Self::create_at(Place::Memfd(label), ty, capacity, options)
    }

    /// A new descriptor of the segment (close-on-exec), for a reader:
    /// [`Inspector::from_fd_as`](super::Inspector::from_fd_as) in this or another process.
    pub fn share_fd(&self) -> std::io::Result<std::os::fd::OwnedFd> {
        self.writer.share_fd()
    }

    fn create_at(
        place: Place<'_>,
        ty: &RawType,
        capacity: usize,
        options: CreateConfig,
    ) -> Result<Self, CreateError> {
        let geometry = ty.geometry(capacity).map_err(CreateError::Layout)?;
        let writer = Writer::create(place, geometry, ty.identity(), options)?;
        Ok(Self::wrap(writer))
    }

    /// Takes over the named segment holding `ty` from a writer that died or exited (see
    /// [`Publisher::open_existing`](super::Publisher::open_existing)).
    pub fn open_existing(
        name: &str,
        ty: &RawType,
        options: OpenConfig,
    ) -> Result<Self, TakeoverError> {
        let validate = ty
            .validator()
            .map_err(|e| TakeoverError::Open(super::OpenError::Invalid(e)))?;
        Ok(Self::wrap(Writer::open_existing(
            name, validate, None, options,
        )?))
    }

    /// Creates the named segment holding `ty` with `capacity` slots (1 for a SeqLock), or
    /// takes it over from a dead writer (it must then hold `capacity` slots), or replaces what
    /// a creator killed while initialising left: the rules of
    /// [`Publisher::create_or_recover`](super::SeqLockPublisher::<u8>::create_or_recover).
    pub fn create_or_recover(
        name: &str,
        ty: &RawType,
        capacity: usize,
        options: (CreateConfig, OpenConfig),
    ) -> Result<Self, TakeoverError> {
        let geometry = ty
            .geometry(capacity)
            .map_err(|e| TakeoverError::Create(CreateError::Layout(e)))?;
        let validate = ty
            .validator()
            .map_err(|e| TakeoverError::Open(super::OpenError::Invalid(e)))?;
        Writer::create_or_recover(name, geometry, ty.identity(), validate, options).map(Self::wrap)
    }

    fn wrap(writer: Writer) -> Self {
        let geometry = writer.segment.geometry();
        let record = match geometry.kind {
            Kind::TimeSeries => vec![0; geometry.payload_size],
            Kind::SeqLock | Kind::Ring | Kind::Queue => Vec::new(),
        };
        Self { writer, record }
    }

    /// Where everything lives (the payload's size is `geometry().value_size`).
    #[must_use]
    pub fn geometry(&self) -> &Geometry {
        self.writer.segment.geometry()
    }

    /// Checks the operation's kind and the value's size.
    fn check(&self, needed: Kind, value: &[u8]) -> Result<(), RawError> {
        let geometry = self.geometry();
        if geometry.kind != needed {
            return Err(RawError::Kind {
                found: geometry.kind,
                needed,
            });
        }
        if value.len() != geometry.value_size {
            return Err(RawError::Size {
                expected: geometry.value_size,
                given: value.len(),
            });
        }
        Ok(())
    }

    /// Stores `value` into a SeqLock segment and returns its version.
    pub fn store(&mut self, value: &[u8]) -> Result<Version, RawError> {
        self.check(Kind::SeqLock, value)?;
        Ok(self.writer.store_bytes(Pieces(&[value])))
    }

    /// Appends `value` to a Ring segment and returns its write number.
    pub fn push(&mut self, value: &[u8]) -> Result<u64, RawError> {
        self.check(Kind::Ring, value)?;
        Ok(self.writer.push_bytes(Pieces(&[value])))
    }

    /// Appends `value` stamped `stamp` (with the publisher's sequence number `seq`, see
    /// [`Stamped`](crate::Stamped)) to a TimeSeries segment and returns its write number;
    /// refuses a stamp earlier than the last one pushed.
    pub fn push_stamped(
        &mut self,
        stamp: Timestamp,
        seq: u64,
        value: &[u8],
    ) -> Result<u64, RawError> {
        self.check(Kind::TimeSeries, value)?;
        self.writer
            .check_stamp(stamp)
            .map_err(RawError::NonMonotonic)?;
        let at = self.geometry().stamped_value_at();
        let record = &mut self.record;
        // Sizes checked above: the record is `payload_size` bytes, and the value fits at `at`
        // (`Geometry::of_raw`).
        record[..8].copy_from_slice(&stamp.as_nanos().to_ne_bytes());
        record[8..16].copy_from_slice(&seq.to_ne_bytes());
        record[at..at + value.len()].copy_from_slice(value);
        Ok(self.writer.push_bytes(Pieces(&[&self.record])))
    }

    /// Refreshes the heartbeat now (stores refresh it by themselves while they come).
    pub fn heartbeat(&mut self) {
        self.writer.heartbeat();
    }

    /// Writes `record`, a whole payload as a reader reads it
    /// ([`Inspector::next_into`](super::Inspector::next_into)'s bytes): a SeqLock stores it, a
    /// Ring pushes it, a TimeSeries pushes the value with the record's stamp and sequence
    /// number (refusing a stamp earlier than the last one). Returns the write number (a
    /// SeqLock's version number). How a bridge or a replay copies a segment's values into
    /// another segment of the same type.
    pub fn write_record(&mut self, record: &[u8]) -> Result<u64, RawError> {
        self.write_record_pieces(&[record])
    }

    /// [`RawPublisher::write_record`] of a record given as consecutive pieces, such as the
    /// fragments a network payload arrived in, without first joining them: the pieces are
    /// copied once, straight into the segment (a value of at least 1 KiB piece by piece; a
    /// smaller one joined on the stack). No allocation.
    ///
    /// ```
    /// use rtshm::layout::{Kind, schema_id};
    /// use rtshm::shm::{CreateConfig, Inspector, OpenConfig, RawPublisher, RawType};
    /// # if cfg!(miri) { return Ok(()); }
    ///
    /// let ty = RawType::new(Kind::Ring, 4096, 8, schema_id("frame@1"));
    /// let mut publisher = RawPublisher::create_memfd("frames", &ty, 4, CreateConfig::new())?;
    /// let value: Vec<u8> = (0..4096).map(|i| i as u8).collect();
    /// let (a, rest) = value.split_at(1000);
    /// let (b, c) = rest.split_at(3);
    /// assert_eq!(publisher.write_record_pieces(&[a, b, c])?, 0);
    /// let reader = Inspector::from_fd_as(publisher.share_fd()?, &ty, OpenConfig::new())?;
    /// let mut read = vec![0; 4096];
    /// reader.latest_into(&mut read)?;
    /// assert_eq!(read, value);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_record_pieces(&mut self, pieces: &[&[u8]]) -> Result<u64, RawError> {
        let geometry = *self.geometry();
        let record = Pieces(pieces);
        let given = record.len();
        if given != geometry.payload_size {
            return Err(RawError::Size {
                expected: geometry.payload_size,
                given,
            });
        }
        match geometry.kind {
            Kind::SeqLock => Ok(self.writer.store_bytes(record).get()),
            Kind::Ring => Ok(self.writer.push_bytes(record)),
            Kind::TimeSeries => {
                // The record is the slot's layout: stamp, sequence number, value.
                let mut stamp = [0; 8];
                record.range(0, 8, |at, bytes| {
                    stamp[at..at + bytes.len()].copy_from_slice(bytes);
                });
                let stamp = Timestamp::from_nanos(u64::from_ne_bytes(stamp));
                self.writer
                    .check_stamp(stamp)
                    .map_err(RawError::NonMonotonic)?;
                Ok(self.writer.push_bytes(record))
            }
            Kind::Queue => Err(RawError::Kind {
                found: Kind::Queue,
                needed: Kind::Ring,
            }),
        }
    }

    /// Adds `n` to the segment's count of values lost before they reached this writer (a
    /// bridge's import: values the network or the exporter dropped), which readers see as
    /// [`Inspector::lost_upstream`](super::Inspector::lost_upstream). Kept across takeovers.
    pub fn add_lost_upstream(&mut self, n: u64) {
        self.writer.add_lost_upstream(n);
    }

    /// The number of takeovers this segment has seen.
    #[must_use]
    pub fn epoch(&self) -> u64 {
        self.writer.epoch()
    }

    /// The number of values written so far (stores of a SeqLock, the next write number of a
    /// ring).
    #[must_use]
    pub fn written(&self) -> u64 {
        self.geometry()
            .kind
            .writes(super::cells::first_word(&self.writer.segment))
    }

    /// Keeps the segment after this publisher is dropped. Remove it with
    /// [`remove`](super::remove).
    pub fn persist(&mut self) {
        self.writer.segment.persist();
    }

    /// The segment's name (`None` for a file-backed segment).
    #[must_use]
    pub fn name(&self) -> Option<&SegmentName> {
        self.writer.name()
    }
}

impl fmt::Debug for RawPublisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawPublisher")
            .field("name", &self.name())
            .field("geometry", self.geometry())
            .finish_non_exhaustive()
    }
}
