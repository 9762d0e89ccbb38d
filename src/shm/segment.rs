//! One segment implementation: create, open, map, validate, unlink.

use std::borrow::ToOwned;
use std::fmt;
use std::format;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::string::{String, ToString};
use std::time::{Duration, Instant};

use rustix::fs::{Mode, OFlags};
use rustix::mm::{MapFlags, ProtFlags};

use super::name::{InvalidName, SegmentName};
use crate::Timestamp;
use std::vec;
use std::vec::Vec;

use rtshm_schema::{EncodeError, SchemaBuf, TypeView};

use crate::layout::{
    self, BARRIER_OFFSET, DATA_OFFSET, EPOCH_OFFSET, Geometry, HEARTBEAT_OFFSET, HeaderLine0,
    LAYOUT_PAGE, LAYOUT_VERSION, LOST_UPSTREAM_OFFSET, LayoutError, NOTIFY_OFFSET, OWNER_OFFSET,
    PID_NS_OFFSET, READERS_OFFSET, SCHEMA_ENCODING, SCHEMA_MAX_LEN, SCHEMA_OFFSET,
};
use crate::liveness::{OwnerToken, PidNamespace, WriterStatus};
use crate::sync::{AtomicU32, AtomicU64, AtomicUsize, Ordering, fence};
use crate::time::Clock;
use crate::words::{load_words, store_words};

/// Byte offset of the header word that holds `layout_version`.
const VERSION_WORD: usize = core::mem::offset_of!(HeaderLine0, layout_version);

/// A shared mapping, unmapped on drop.
pub(crate) struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is plain shared memory; every access through it that may race is atomic
// (the structures and the header protocol), so it may move to and be shared by other threads.
unsafe impl Send for Mapping {}
// SAFETY: as above.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps `len` bytes of `fd` from `offset`, shared, read-only or read-write.
    fn new(fd: &OwnedFd, offset: usize, len: usize, writable: bool) -> io::Result<Self> {
        let prot = if writable {
            ProtFlags::READ | ProtFlags::WRITE
        } else {
            ProtFlags::READ
        };
        // SAFETY: a fresh mapping chosen by the kernel (null hint) aliases no Rust object; the
        // file is at least `offset + len` bytes (checked by the callers against `fstat`).
        let ptr = unsafe {
            rustix::mm::mmap(
                core::ptr::null_mut(),
                len,
                prot,
                MapFlags::SHARED,
                fd,
                offset as u64,
            )?
        };
        let ptr = NonNull::new(ptr.cast::<u8>()).ok_or(io::ErrorKind::Other)?;
        Ok(Self { ptr, len })
    }

    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` describe a mapping this value owns; references into it borrow
        // from the handle that owns this value, so none outlive it.
        let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

/// [`Publisher`](super::Publisher) creation failed.
///
/// ```
/// use rtshm::shm::{CreateError, SeqLockPublisher};
/// # if cfg!(miri) { return Ok(()); }
///
/// let name = format!("doc-create-error-{}", std::process::id());
/// let _first = SeqLockPublisher::<u8>::create(&name)?;
/// assert!(matches!(SeqLockPublisher::<u8>::create(&name), Err(CreateError::AlreadyExists)));
/// assert!(matches!(SeqLockPublisher::<u8>::create("no/slash"), Err(CreateError::InvalidName(_))));
/// # Ok::<(), rtshm::Error>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum CreateError {
    /// The name is not a valid segment name.
    InvalidName(InvalidName),
    /// A segment of that name exists (another publisher, or a stale one: see `shm::remove`).
    AlreadyExists,
    /// The process may not create the segment.
    PermissionDenied,
    /// The requested layout is invalid (capacity) or too large.
    Layout(LayoutError),
    /// The payload type's schema cannot be stored: its descriptor does not tell the truth
    /// about the type (a field outside it, misaligned...), or it is larger than
    /// [`SCHEMA_MAX_LEN`](crate::layout::SCHEMA_MAX_LEN).
    Schema(rtshm_schema::EncodeError),
    /// [`CreateConfig::mode`] has bits other than read and write permissions.
    InvalidMode {
        /// The mode given.
        mode: u32,
    },
    /// The file system (the `/dev/shm` tmpfs, or memory for a memfd) has no room for the
    /// segment: its pages are reserved at creation, so that no later store can fault.
    NoSpace {
        /// Bytes the segment needs.
        needed: u64,
        /// Bytes available, when known.
        available: Option<u64>,
    },
    /// Another I/O error.
    Io(io::Error),
}

impl fmt::Display for CreateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidName(e) => write!(f, "invalid segment name: {e}"),
            Self::AlreadyExists => f.write_str(
                "a segment of that name already exists (remove it if its writer is gone)",
            ),
            Self::PermissionDenied => f.write_str("permission denied creating the segment"),
            Self::Layout(e) => write!(f, "invalid segment layout: {e}"),
            Self::Schema(e) => write!(f, "the payload's schema cannot be stored: {e}"),
            Self::InvalidMode { mode } => write!(
                f,
                "file mode {mode:#o} has bits other than read/write permissions (at most 0o666)"
            ),
            Self::NoSpace { needed, available } => {
                write!(f, "no space for the segment: it needs {needed} bytes")?;
                match available {
                    Some(a) => write!(f, ", {a} are available"),
                    None => Ok(()),
                }
            }
            Self::Io(e) => write!(f, "creating the segment failed: {e}"),
        }
    }
}

impl std::error::Error for CreateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::InvalidName(e) => Some(e),
            Self::Layout(e) => Some(e),
            Self::Schema(e) => Some(e),
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// The segment's schema differs from the one the opener expects: the first difference, by
/// field (`field `accel`: segment has [f32; 3] at offset 8, this program [f64; 3]`).
///
/// ```
/// use rtshm::shm::{OpenError, SeqLockPublisher, SeqLockSubscriber};
/// # if cfg!(miri) { return Ok(()); }
///
/// #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
/// #[repr(C)]
/// struct Imu { accel: [f32; 3], temp: f32 }
/// #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
/// #[repr(C)]
/// struct Other { accel: [f32; 3], pressure: f32 }
///
/// let name = format!("doc-mismatch-{}", std::process::id());
/// let _publisher = SeqLockPublisher::<Imu>::create(&name)?;
/// match SeqLockSubscriber::<Other>::open(&name) {
///     // "the segment's schema differs: field `pressure`: the segment has no such field"
///     Err(OpenError::SchemaMismatch(e)) => assert_eq!(e.field(), Some("pressure")),
///     other => panic!("expected a schema mismatch, got {other:?}"),
/// }
/// # Ok::<(), rtshm::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaMismatch {
    field: Option<std::string::String>,
    message: std::string::String,
}

impl SchemaMismatch {
    /// The difference `d`.
    pub(crate) fn new(d: &rtshm_schema::Difference<'_, '_>) -> Self {
        Self {
            field: d.field().map(|path| path.to_string()),
            message: d.to_string(),
        }
    }

    /// The path of the field that differs (`accel`, `imu.accel`, `points[].x`); `None` when
    /// the whole value differs (another size, or not a struct).
    #[must_use]
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }
}

impl fmt::Display for SchemaMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the segment's schema differs: {}", self.message)
    }
}

impl std::error::Error for SchemaMismatch {}

/// [`Subscriber`](super::Subscriber) opening failed.
///
/// ```
/// use rtshm::shm::{OpenError, SeqLockSubscriber};
/// # if cfg!(miri) { return; } // Miri cannot open files this way
///
/// match SeqLockSubscriber::<u8>::open("doc-nothing-here") {
///     Err(OpenError::NotFound) => {} // start the publisher first, or use `open_timeout`
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum OpenError {
    /// The name is not a valid segment name.
    InvalidName(InvalidName),
    /// No segment of that name exists.
    NotFound,
    /// The process may not open the segment.
    PermissionDenied,
    /// The name is not a regular file (a symbolic link, a FIFO, a directory...): never a
    /// segment, and never followed or opened in a way that could block.
    NotAFile {
        /// What it is instead.
        found: &'static str,
    },
    /// This 32-bit target loads the segment's 64-bit words atomically, which Rust allows only
    /// on writable memory: the process needs write permission to the segment (it still never
    /// writes the data).
    NeedsWriteAccess,
    /// The segment is not what was asked for, or is corrupt: the exact reason, with the values
    /// found and expected.
    Invalid(LayoutError),
    /// The segment's schema differs from the opener's type, named by field.
    SchemaMismatch(SchemaMismatch),
    /// The opener's own schema is invalid: its descriptor does not tell the truth about its
    /// type (an impl of [`Schema`](crate::Schema) written by hand).
    Schema(EncodeError),
    /// Another I/O error.
    Io(io::Error),
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidName(e) => write!(f, "invalid segment name: {e}"),
            Self::NotFound => f.write_str("no segment of that name exists"),
            Self::PermissionDenied => f.write_str("permission denied opening the segment"),
            Self::NotAFile { found } => {
                write!(f, "the name is {found}, not a segment (a regular file)")
            }
            Self::NeedsWriteAccess => f.write_str(
                "on this 32-bit target a reader needs write permission to the segment: Rust \
                 allows 64-bit atomic loads only on writable memory (the reader never writes)",
            ),
            Self::Invalid(e) => e.fmt(f),
            Self::SchemaMismatch(e) => e.fmt(f),
            Self::Schema(e) => write!(f, "this program's schema is invalid: {e}"),
            Self::Io(e) => write!(f, "opening the segment failed: {e}"),
        }
    }
}

impl std::error::Error for OpenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::InvalidName(e) => Some(e),
            Self::Invalid(e) => Some(e),
            Self::SchemaMismatch(e) => Some(e),
            Self::Schema(e) => Some(e),
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// How to create a segment: start from [`CreateConfig::new`] (or `default()`) and set what
/// differs. New settings may be added, so it is built with methods, never a literal.
///
/// ```
/// use rtshm::Clock;
/// use rtshm::shm::CreateConfig;
///
/// let config = CreateConfig::new().mode(0o640).clock(Clock::Realtime);
/// assert_eq!(config.get_mode(), 0o640);
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct CreateConfig {
    pub(crate) mode: u32,
    pub(crate) clock: Clock,
    pub(crate) schema: Option<u64>,
}

impl CreateConfig {
    /// The defaults: mode `0o600`, monotonic clock, the type's own fingerprint.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            mode: 0o600,
            clock: Clock::Monotonic,
            schema: None,
        }
    }

    /// With file mode `mode` (default `0o600`: the creating user only). Only read and write
    /// bits (at most `0o666`); applied exactly, whatever the process's umask.
    ///
    /// ```
    /// let shared_with_group = rtshm::shm::CreateConfig::new().mode(0o640);
    /// assert_eq!(shared_with_group.get_mode(), 0o640);
    /// ```
    #[must_use]
    pub const fn mode(mut self, mode: u32) -> Self {
        self.mode = mode;
        self
    }

    /// With `clock` recorded as the clock domain of the stamps (default monotonic).
    ///
    /// ```
    /// use rtshm::Clock;
    /// let wall = rtshm::shm::CreateConfig::new().clock(Clock::Realtime);
    /// assert_eq!(wall.get_clock(), Clock::Realtime);
    /// ```
    #[must_use]
    pub const fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// With the explicit schema id `id` recorded instead of the type's fingerprint
    /// ([`layout::fingerprint`]); readers must open with the same id.
    ///
    /// ```
    /// let id = rtshm::layout::schema_id("pose@3");
    /// assert_eq!(rtshm::shm::CreateConfig::new().schema(id).get_schema(), Some(id));
    /// ```
    #[must_use]
    pub const fn schema(mut self, id: u64) -> Self {
        self.schema = Some(id);
        self
    }

    /// The file mode.
    ///
    /// ```
    /// assert_eq!(rtshm::shm::CreateConfig::new().get_mode(), 0o600); // the default
    /// ```
    #[must_use]
    pub const fn get_mode(&self) -> u32 {
        self.mode
    }

    /// The clock domain.
    ///
    /// ```
    /// assert_eq!(rtshm::shm::CreateConfig::new().get_clock(), rtshm::Clock::Monotonic);
    /// ```
    #[must_use]
    pub const fn get_clock(&self) -> Clock {
        self.clock
    }

    /// The explicit schema id, if one was set.
    ///
    /// ```
    /// assert_eq!(rtshm::shm::CreateConfig::new().get_schema(), None); // the type's fingerprint
    /// ```
    #[must_use]
    pub const fn get_schema(&self) -> Option<u64> {
        self.schema
    }
}

impl Default for CreateConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// How to open a segment: start from [`OpenConfig::new`] (or `default()`) and set what
/// differs. New settings may be added, so it is built with methods, never a literal.
///
/// ```
/// use std::time::Duration;
/// use rtshm::shm::OpenConfig;
///
/// // Wait up to 5 s for the publisher to create the segment (started in any order).
/// let config = OpenConfig::new().wait_for_creation(Duration::from_secs(5));
/// assert_eq!(config.get_wait_for_creation(), Duration::from_secs(5));
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct OpenConfig {
    pub(crate) init_timeout: Duration,
    pub(crate) wait_for_creation: Duration,
    pub(crate) schema: Option<u64>,
}

impl OpenConfig {
    /// The defaults: a missing segment fails at once ([`OpenError::NotFound`]), wait up to
    /// 1 s for a creator still initializing one, expect the type's own fingerprint.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            init_timeout: Duration::from_secs(1),
            wait_for_creation: Duration::ZERO,
            schema: None,
        }
    }

    /// Waiting up to `timeout` for a creator that is still initializing the segment.
    ///
    /// ```
    /// use std::time::Duration;
    /// let patient = rtshm::shm::OpenConfig::new().init_timeout(Duration::from_secs(5));
    /// assert_eq!(patient.get_init_timeout(), Duration::from_secs(5));
    /// ```
    #[must_use]
    pub const fn init_timeout(mut self, timeout: Duration) -> Self {
        self.init_timeout = timeout;
        self
    }

    /// Waiting up to `timeout` for a segment that does not exist yet to appear (its
    /// publisher starts later), polling its name every 1 to 20 ms; then
    /// [`OpenError::NotFound`]. The initialization wait runs within the same deadline when
    /// that is later than [`init_timeout`](Self::init_timeout). Only opens by name wait.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rtshm::shm::{OpenConfig, OpenError, SeqLockSubscriber};
    /// # if cfg!(miri) { return; }
    ///
    /// let config = OpenConfig::new().wait_for_creation(Duration::from_millis(20));
    /// let missing = SeqLockSubscriber::<u8>::open_with("doc-never-created", config);
    /// assert!(matches!(missing, Err(OpenError::NotFound))); // after 20 ms, not at once
    /// ```
    #[must_use]
    pub const fn wait_for_creation(mut self, timeout: Duration) -> Self {
        self.wait_for_creation = timeout;
        self
    }

    /// Expecting the explicit schema id `id` instead of the type's fingerprint.
    ///
    /// ```
    /// let id = rtshm::layout::schema_id("pose@3");
    /// assert_eq!(rtshm::shm::OpenConfig::new().schema(id).get_schema(), Some(id));
    /// ```
    #[must_use]
    pub const fn schema(mut self, id: u64) -> Self {
        self.schema = Some(id);
        self
    }

    /// How long an open waits for an initializing creator.
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(rtshm::shm::OpenConfig::new().get_init_timeout(), Duration::from_secs(1));
    /// ```
    #[must_use]
    pub const fn get_init_timeout(&self) -> Duration {
        self.init_timeout
    }

    /// How long an open by name waits for the segment to appear.
    ///
    /// ```
    /// assert!(rtshm::shm::OpenConfig::new().get_wait_for_creation().is_zero()); // fail at once
    /// ```
    #[must_use]
    pub const fn get_wait_for_creation(&self) -> Duration {
        self.wait_for_creation
    }

    /// The explicit schema id expected, if one was set.
    ///
    /// ```
    /// assert_eq!(rtshm::shm::OpenConfig::new().get_schema(), None);
    /// ```
    #[must_use]
    pub const fn get_schema(&self) -> Option<u64> {
        self.schema
    }
}

impl Default for OpenConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// What a new segment records about its payload type: the fingerprint (the schema's hash, or
/// an explicit schema id) and the schema, if known.
#[derive(Clone, Copy)]
pub(crate) struct Identity<'s> {
    pub(crate) fingerprint: u64,
    pub(crate) schema: Option<TypeView<'s>>,
}

/// How an opener checks a segment: its header line 0, the file's length and the schema the
/// segment holds give the geometry to use, or why the segment is not what it expects.
pub(crate) trait Check:
    Fn(&HeaderLine0, u64, Option<TypeView<'_>>) -> Result<Geometry, OpenError>
{
}

impl<F: Fn(&HeaderLine0, u64, Option<TypeView<'_>>) -> Result<Geometry, OpenError>> Check for F {}

/// The outcome of a typed opener's header check (`header`), and then of its schema check: when
/// the segment holds a schema and so does the opener, a difference is an
/// [`OpenError::SchemaMismatch`] naming the field (whatever the fingerprints say); else a
/// fingerprint mismatch stays an [`OpenError::Invalid`].
pub(crate) fn check_schema(
    header: Result<Geometry, LayoutError>,
    found: Option<TypeView<'_>>,
    expected: Option<TypeView<'_>>,
) -> Result<Geometry, OpenError> {
    let identity_ok = matches!(
        header,
        Ok(_) | Err(LayoutError::TypeMismatch { .. } | LayoutError::PayloadMismatch { .. })
    );
    if let (true, Some(found), Some(expected)) = (identity_ok, found, expected)
        && let Some(d) = found.diff(&expected)
    {
        return Err(OpenError::SchemaMismatch(SchemaMismatch::new(&d)));
    }
    header.map_err(OpenError::Invalid)
}

/// The directory where Linux keeps named POSIX shared memory (what `shm_open` opens).
pub(crate) const SHM_DIR: &str = "/dev/shm";

/// What backs a segment.
pub(crate) enum Backing {
    /// A named POSIX shm object (`/dev/shm/<name>`).
    Shm(SegmentName),
    /// An anonymous memfd, shared by passing its file descriptor.
    Memfd,
    /// A regular file (a recorder that survives restarts).
    File(PathBuf),
}

impl Backing {
    /// The file's path (`None` for a memfd).
    fn path(&self) -> Option<PathBuf> {
        match self {
            Self::Shm(name) => Some(name.path()),
            Self::File(path) => Some(path.clone()),
            Self::Memfd => None,
        }
    }
}

/// A mapped segment: the creator's read-write mapping, or a reader's read-only one.
pub(crate) struct Segment {
    backing: Backing,
    /// Kept open: a memfd is shared by duplicating it.
    fd: OwnedFd,
    /// The creator's whole-segment mapping, or a reader's header page.
    head: Mapping,
    /// The structure: inside `head` for the creator, a separate read-only mapping for readers.
    data: Option<Mapping>,
    /// A reader's read-write mapping of the readers' page, when it may write it.
    readers: Option<Mapping>,
    /// A tool's read-only mapping of a queue's readers' page (the consumer's index and claim).
    observed: Option<Mapping>,
    geometry: Geometry,
    /// The header line 0 this handle wrote or validated (never re-read).
    header: HeaderLine0,
    /// The schema this handle wrote or read (never re-read).
    schema: Option<SchemaBuf>,
    /// A writer's wait handshake: whether its stores skip the `SeqCst` fence (see
    /// `crate::wait`). Set by [`Segment::set_barrier`]; false for readers.
    asymmetric: bool,
    /// The geometry's capacity as a [`Capacity`](crate::ring::Capacity), checked once (a
    /// validated power of two; 1 for a SeqLock).
    capacity: crate::ring::Capacity,
    /// Addresses found once from the mappings ([`Segment::locate`]): the structure's first
    /// byte, and the futex word (0 when this handle may not write it).
    data_at: *mut u8,
    notify_at: *mut u32,
    unlink_on_drop: bool,
}

// SAFETY: `data_at` and `notify_at` point into the mappings this value owns (as `Mapping`, which
// is `Send` and `Sync`); every access through them that may race is atomic.
unsafe impl Send for Segment {}
// SAFETY: as above.
unsafe impl Sync for Segment {}

fn io_error(e: rustix::io::Errno) -> io::Error {
    io::Error::from_raw_os_error(e.raw_os_error())
}

fn create_error(e: rustix::io::Errno) -> CreateError {
    match e {
        rustix::io::Errno::EXIST => CreateError::AlreadyExists,
        rustix::io::Errno::ACCESS | rustix::io::Errno::PERM => CreateError::PermissionDenied,
        rustix::io::Errno::NOSPC | rustix::io::Errno::FBIG => CreateError::NoSpace {
            needed: 0,
            available: None,
        },
        e => CreateError::Io(io_error(e)),
    }
}

fn open_error(e: rustix::io::Errno) -> OpenError {
    match e {
        rustix::io::Errno::NOENT => OpenError::NotFound,
        rustix::io::Errno::ACCESS | rustix::io::Errno::PERM => OpenError::PermissionDenied,
        // O_NOFOLLOW on a symbolic link.
        rustix::io::Errno::LOOP => OpenError::NotAFile {
            found: "a symbolic link",
        },
        rustix::io::Errno::ISDIR => OpenError::NotAFile {
            found: "a directory",
        },
        // O_NONBLOCK open of a FIFO without a reader, or of a socket.
        rustix::io::Errno::NXIO => OpenError::NotAFile {
            found: "a FIFO or socket",
        },
        e => OpenError::Io(io_error(e)),
    }
}

/// What a file that is not a regular file is, for [`OpenError::NotAFile`].
fn non_regular(mode: u32) -> Option<&'static str> {
    use rustix::fs::FileType;
    match FileType::from_raw_mode(mode as _) {
        FileType::RegularFile => None,
        FileType::Directory => Some("a directory"),
        FileType::Symlink => Some("a symbolic link"),
        FileType::Fifo => Some("a FIFO"),
        FileType::Socket => Some("a socket"),
        FileType::CharacterDevice => Some("a character device"),
        FileType::BlockDevice => Some("a block device"),
        FileType::Unknown => Some("not a regular file"),
    }
}

/// Checks that `fd` is a regular file, and returns its status (one `fstat`).
pub(crate) fn regular_stat(fd: &OwnedFd) -> Result<rustix::fs::Stat, OpenError> {
    let st = rustix::fs::fstat(fd).map_err(|e| OpenError::Io(io_error(e)))?;
    if let Some(found) = non_regular(st.st_mode as u32) {
        return Err(OpenError::NotAFile { found });
    }
    Ok(st)
}

/// Checks that `fd` is a regular file, and returns its size.
pub(crate) fn regular_len(fd: &OwnedFd) -> Result<u64, OpenError> {
    regular_stat(fd).map(|st| u64::try_from(st.st_size).unwrap_or(0))
}

impl From<OpenError> for io::Error {
    /// The I/O error itself, or the open error's message.
    fn from(e: OpenError) -> Self {
        match e {
            OpenError::Io(e) => e,
            e => io::Error::other(format!("{e}")),
        }
    }
}

/// Opens `path` as a segment file: never following a symbolic link, never blocking (a FIFO
/// opens at once and is then refused), close-on-exec, and only if it is a regular file.
pub(crate) fn open_regular(path: &Path, flags: OFlags) -> Result<OwnedFd, OpenError> {
    let fd = rustix::fs::open(
        path,
        flags | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(open_error)?;
    regular_len(&fd)?;
    Ok(fd)
}

/// Who opens a segment to read it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reader {
    /// A typed subscriber: read-write if allowed, for the readers' page (the data is mapped
    /// read-only either way), else read-only.
    Subscriber,
    /// A tool (the `Inspector`): read-only, except on 32-bit targets, where the 64-bit
    /// sequence loads need writable memory and it opens like a subscriber.
    Tool,
}

/// Opens `path` as `reader` does. Returns the descriptor and whether it is writable.
fn open_as(path: &Path, reader: Reader) -> Result<(OwnedFd, bool), OpenError> {
    if reader == Reader::Tool && cfg!(not(target_pointer_width = "32")) {
        return Ok((open_regular(path, OFlags::RDONLY)?, false));
    }
    match open_regular(path, OFlags::RDWR) {
        Ok(fd) => Ok((fd, true)),
        Err(OpenError::PermissionDenied) => Ok((open_regular(path, OFlags::RDONLY)?, false)),
        Err(e) => Err(e),
    }
}

/// Opens the segment called `name` like [`open_as`], waiting up to
/// [`OpenConfig::wait_for_creation`] for it to appear; returns the config for the rest of the
/// open, its initialization wait stretched to the same deadline.
fn open_named(
    name: &SegmentName,
    reader: Reader,
    mut options: OpenConfig,
) -> Result<(OwnedFd, bool, OpenConfig), OpenError> {
    let path = name.path();
    let start = Instant::now();
    let mut nap = Duration::from_millis(1);
    loop {
        let opened = open_as(&path, reader);
        let left = options.wait_for_creation.saturating_sub(start.elapsed());
        match opened {
            Err(OpenError::NotFound) if !left.is_zero() => {
                std::thread::sleep(nap.min(left));
                nap = (nap * 2).min(Duration::from_millis(20));
            }
            Ok((fd, can_write)) => {
                options.init_timeout = options.init_timeout.max(left);
                return Ok((fd, can_write, options));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Refuses a file mode with more than read and write bits.
fn check_mode(mode: u32) -> Result<(), CreateError> {
    if mode & !0o666 != 0 {
        return Err(CreateError::InvalidMode { mode });
    }
    Ok(())
}

/// How a new segment's name appears once it is complete.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Publish {
    /// Only if the name is free (`link`): a second creator gets `AlreadyExists`.
    Exclusive,
    /// Replacing what the name holds (`rename`): an abandoned object, checked by the caller
    /// under its lifecycle lock.
    Replace,
}

/// The prefix of the file a named or file-backed segment is built in before its name appears.
/// `rtshm gc` removes those whose creator died.
pub(crate) const BUILDING_PREFIX: &str = ".rtshm-new-";

/// A unique name for a segment being built by this process: `.rtshm-new-<pid>-<n>`.
fn building_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{BUILDING_PREFIX}{}-{n}", std::process::id())
}

/// Reserves `len` bytes for `fd` so that no later store can fault (SIGBUS on a full tmpfs):
/// the header page, the readers' page and the data, each as far as they are ever touched.
fn reserve(fd: &OwnedFd, geometry: &Geometry) -> Result<(), CreateError> {
    let page = rustix::param::page_size();
    let touched = [
        (0, page),
        (READERS_OFFSET, page),
        (DATA_OFFSET, geometry.data_len),
    ];
    let needed: u64 = touched.iter().map(|&(_, n)| n as u64).sum();
    // Refuse at once what cannot fit, rather than fill the file system first.
    let available = match rustix::fs::fstatvfs(fd) {
        Ok(st) if st.f_blocks > 0 => Some(st.f_bavail.saturating_mul(st.f_frsize)),
        // A memfd lives in an unlimited internal mount: memory is its limit.
        _ => {
            let info = rustix::system::sysinfo();
            let units = (info.totalram as u64).saturating_add(info.totalswap as u64);
            Some(units.saturating_mul(u64::from(info.mem_unit)))
        }
    };
    if available.is_some_and(|a| needed > a) {
        return Err(CreateError::NoSpace { needed, available });
    }
    rustix::fs::ftruncate(fd, geometry.total_len as u64).map_err(create_error)?;
    for (offset, n) in touched {
        match rustix::fs::fallocate(
            fd,
            rustix::fs::FallocateFlags::empty(),
            offset as u64,
            n as u64,
        ) {
            Ok(()) => {}
            // A file system that cannot reserve: nothing more to do than the size.
            Err(rustix::io::Errno::OPNOTSUPP) => return Ok(()),
            Err(rustix::io::Errno::NOSPC) => {
                return Err(CreateError::NoSpace { needed, available });
            }
            Err(e) => return Err(create_error(e)),
        }
    }
    Ok(())
}

/// An exclusive `flock` on a segment's file, held while a publisher takes it over, a tool
/// removes it, or an abandoned one is replaced: these exclude each other. Released on drop.
pub(crate) struct LifecycleLock<'a>(BorrowedFd<'a>);

impl<'a> LifecycleLock<'a> {
    /// Takes the lock on `fd`, trying until `deadline` (its holders keep it for microseconds;
    /// a holder that dies releases it). `None` if it stayed held.
    pub(crate) fn acquire(fd: BorrowedFd<'a>, deadline: Instant) -> Option<Self> {
        loop {
            match rustix::fs::flock(fd, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => return Some(Self(fd)),
                Err(rustix::io::Errno::INTR) => {}
                Err(rustix::io::Errno::WOULDBLOCK) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(_) => return None,
            }
        }
    }
}

/// [`LifecycleLock::acquire_named`] gave up: another process kept the lock until the deadline.
pub(crate) struct LockHeld;

impl<'a> LifecycleLock<'a> {
    /// Takes the lock on `fd` (see [`LifecycleLock::acquire`]), then checks that `path`, if
    /// any, still names `fd`'s file: `Ok(None)` when it was removed or replaced meanwhile, the
    /// lock released again. Every takeover and removal decides under this.
    pub(crate) fn acquire_named(
        fd: BorrowedFd<'a>,
        path: Option<&Path>,
        deadline: Instant,
    ) -> Result<Option<Self>, LockHeld> {
        let lock = Self::acquire(fd, deadline).ok_or(LockHeld)?;
        Ok(path.is_none_or(|p| still_named(fd, p)).then_some(lock))
    }
}

impl Drop for LifecycleLock<'_> {
    fn drop(&mut self) {
        let _ = rustix::fs::flock(self.0, rustix::fs::FlockOperation::Unlock);
    }
}

/// Whether `path` still names the file open as `fd` (not removed or replaced meanwhile).
pub(crate) fn still_named(fd: BorrowedFd<'_>, path: &Path) -> bool {
    match (rustix::fs::fstat(fd), rustix::fs::lstat(path)) {
        (Ok(a), Ok(b)) => a.st_dev == b.st_dev && a.st_ino == b.st_ino,
        _ => false,
    }
}

impl Segment {
    /// Creates a named POSIX shm segment for `geometry`: built under a hidden name, then
    /// published whole under `name` (see [`Segment::create_file`]).
    pub(crate) fn create(
        name: &str,
        geometry: Geometry,
        identity: Identity<'_>,
        options: CreateConfig,
        publish: Publish,
    ) -> Result<Self, CreateError> {
        let name = SegmentName::new(name).map_err(CreateError::InvalidName)?;
        let path = name.path();
        Self::create_at(
            Backing::Shm(name),
            &path,
            geometry,
            identity,
            options,
            publish,
        )
    }

    /// Creates an anonymous memfd segment; `label` shows in `/proc/<pid>/fd`. Its size is
    /// sealed (`F_SEAL_SHRINK | F_SEAL_GROW`): nobody holding the descriptor can truncate it.
    pub(crate) fn create_memfd(
        label: &str,
        geometry: Geometry,
        identity: Identity<'_>,
        options: CreateConfig,
    ) -> Result<Self, CreateError> {
        let label = SegmentName::new(label).map_err(CreateError::InvalidName)?;
        check_mode(options.mode)?;
        let fd = rustix::fs::memfd_create(
            format!("rtshm:{label}").as_str(),
            rustix::fs::MemfdFlags::CLOEXEC | rustix::fs::MemfdFlags::ALLOW_SEALING,
        )
        .map_err(create_error)?;
        let segment = Self::init(Backing::Memfd, fd, geometry, identity, options)?;
        use rustix::fs::SealFlags;
        rustix::fs::fcntl_add_seals(
            &segment.fd,
            SealFlags::SHRINK | SealFlags::GROW | SealFlags::SEAL,
        )
        .map_err(|e| CreateError::Io(io_error(e)))?;
        Ok(segment)
    }

    /// Creates a file-backed segment at `path` (`O_NOFOLLOW`).
    pub(crate) fn create_file(
        path: &Path,
        geometry: Geometry,
        identity: Identity<'_>,
        options: CreateConfig,
    ) -> Result<Self, CreateError> {
        let backing = Backing::File(path.to_owned());
        Self::create_at(
            backing,
            path,
            geometry,
            identity,
            options,
            Publish::Exclusive,
        )
    }

    /// Builds the segment in a hidden file next to `path`, complete (size reserved, header
    /// with owner and version written), then gives it its name in one step: `link` (fails if
    /// the name exists) or `rename` (replaces it). So the name never shows a half-made
    /// segment, and a creator killed while building leaves only the hidden file, which
    /// `remove_dead` (and `rtshm gc`) collects.
    fn create_at(
        backing: Backing,
        path: &Path,
        geometry: Geometry,
        identity: Identity<'_>,
        options: CreateConfig,
        publish: Publish,
    ) -> Result<Self, CreateError> {
        check_mode(options.mode)?;
        // The name is taken: fail before building (and reserving) a segment to throw away.
        // `link` below still decides, should the name appear meanwhile.
        if publish == Publish::Exclusive && std::fs::symlink_metadata(path).is_ok() {
            return Err(CreateError::AlreadyExists);
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let (building, fd) = loop {
            let building = dir.join(building_name());
            match rustix::fs::open(
                &building,
                OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::RDWR | OFlags::CLOEXEC,
                Mode::from_raw_mode(options.mode as _),
            ) {
                Ok(fd) => break (building, fd),
                // Left by an earlier process with this PID: take the next number.
                Err(rustix::io::Errno::EXIST) => {}
                Err(e) => return Err(create_error(e)),
            }
        };
        let built = (|| {
            // The umask must not narrow the mode asked for.
            rustix::fs::fchmod(&fd, Mode::from_raw_mode(options.mode as _))
                .map_err(create_error)?;
            let mut segment = Self::init(backing, fd, geometry, identity, options)?;
            let named = match publish {
                Publish::Exclusive => rustix::fs::link(&building, path),
                Publish::Replace => rustix::fs::rename(&building, path),
            };
            named.map_err(create_error)?;
            segment.unlink_on_drop = true;
            Ok(segment)
        })();
        // After a `rename` the hidden name is gone already.
        let _ = std::fs::remove_file(&building);
        built
    }

    /// Sizes the new object `fd` (reserving its pages), maps it, writes the header with this
    /// process as the owner, and publishes the layout version last.
    fn init(
        backing: Backing,
        fd: OwnedFd,
        geometry: Geometry,
        identity: Identity<'_>,
        options: CreateConfig,
    ) -> Result<Self, CreateError> {
        reserve(&fd, &geometry)?;
        let map = Mapping::new(&fd, 0, geometry.total_len, true).map_err(CreateError::Io)?;
        let created = Clock::Realtime.now().unwrap_or(Timestamp::ZERO);
        let header = layout::header_for(
            &geometry,
            identity.fingerprint,
            options.clock,
            created.as_nanos(),
        );
        let schema_block = schema_block(identity.schema)?;
        let published = HeaderLine0 {
            layout_version: LAYOUT_VERSION,
            ..header
        };
        let schema = identity
            .schema
            .map(|v| SchemaBuf::from_bytes(v.as_bytes().to_vec()));
        let schema = schema
            .transpose()
            .map_err(|e| CreateError::Schema(EncodeError::Invalid(e)))?;
        let mut this = Self::writable(backing, fd, map, geometry, published, schema);
        // The owner comes before the version: whoever sees the segment sees its live writer,
        // so no second publisher can take it for unowned.
        this.owner()
            .store(OwnerToken::current().to_raw(), Ordering::Relaxed);
        this.pid_ns()
            .store(PidNamespace::current().to_raw(), Ordering::Relaxed);
        this.heartbeat()
            .store(Timestamp::now().as_nanos(), Ordering::Relaxed);
        this.set_barrier();
        // SAFETY: the mapping is page-aligned and holds the header page; readers access the
        // header and the schema block (a multiple of 8 bytes, 8-aligned) only through
        // `load_words` after the version, and the version word through an `AtomicUsize`, the
        // same widths at the same offsets. The data pages are zero (fresh `ftruncate`), which is the
        // initial state of every structure.
        unsafe {
            let map = this.head.as_ptr();
            store_words(map, bytemuck::bytes_of(&header));
            store_words(map.add(SCHEMA_OFFSET), &schema_block);
            let bytes = bytemuck::bytes_of(&published);
            let word = bytes[VERSION_WORD..VERSION_WORD + size_of::<usize>()]
                .try_into()
                .map(usize::from_ne_bytes)
                .unwrap_or(0);
            // SYNC POINT header-publish (creator). Release: pairs with the reader's side of
            // header-publish: a reader that sees the version sees every header word stored
            // above, the owner included.
            AtomicUsize::from_ptr(map.add(VERSION_WORD).cast()).store(word, Ordering::Release);
        }
        Ok(this)
    }

    /// A writer's handle: `map` covers the whole segment, read-write. Not unlinked on drop
    /// until a creation publishes it or a takeover succeeds.
    fn writable(
        backing: Backing,
        fd: OwnedFd,
        map: Mapping,
        geometry: Geometry,
        header: HeaderLine0,
        schema: Option<SchemaBuf>,
    ) -> Self {
        Self {
            backing,
            fd,
            head: map,
            data: None,
            readers: None,
            observed: None,
            geometry,
            header,
            schema,
            asymmetric: false,
            capacity: checked_capacity(&geometry),
            data_at: core::ptr::null_mut(),
            notify_at: core::ptr::null_mut(),
            unlink_on_drop: false,
        }
        .locate()
    }

    /// Records this process's wait handshake in the header for a writer about to store (the
    /// creator, or a takeover after winning the owner word), then a `SeqCst` fence: a reader
    /// reads the word after its own `SeqCst` fence, so one that still sees the previous
    /// writer's handshake has its registration seen by this writer's first look at `notify`
    /// (`crate::wait`, module docs).
    pub(crate) fn set_barrier(&mut self) {
        let mode = super::barrier::writer_mode();
        self.writer_word(BARRIER_OFFSET)
            .store(mode, Ordering::Relaxed);
        // SYNC POINT wait-mode (writer). SeqCst: pairs with the reader's side of wait-mode.
        fence(Ordering::SeqCst);
        self.asymmetric = mode == super::barrier::ASYMMETRIC;
    }

    /// Opens the named segment `name` for a subscriber, which validates the header with
    /// `validate` (for its type, [`layout::validate`], or its shape).
    pub(crate) fn open(
        name: &str,
        validate: impl Check,
        options: OpenConfig,
    ) -> Result<Self, OpenError> {
        let name = SegmentName::new(name).map_err(OpenError::InvalidName)?;
        let (fd, can_write, options) = open_named(&name, Reader::Subscriber, options)?;
        Self::attach_as(Backing::Shm(name), fd, can_write, false, validate, options)
    }

    /// Opens the file-backed segment at `path` (O_NOFOLLOW) like [`Segment::open`].
    pub(crate) fn open_file(
        path: &Path,
        validate: impl Check,
        options: OpenConfig,
    ) -> Result<Self, OpenError> {
        let (fd, can_write) = open_as(path, Reader::Subscriber)?;
        let backing = Backing::File(path.to_owned());
        Self::attach_as(backing, fd, can_write, false, validate, options)
    }

    /// Opens a segment from a file descriptor (a memfd passed by its creator) like
    /// [`Segment::open`].
    pub(crate) fn from_fd(
        fd: OwnedFd,
        validate: impl Check,
        options: OpenConfig,
    ) -> Result<Self, OpenError> {
        regular_len(&fd)?;
        let can_write = rustix::fs::fcntl_getfl(&fd)
            .map(|fl| fl.contains(OFlags::RDWR))
            .unwrap_or(false);
        Self::attach_as(Backing::Memfd, fd, can_write, false, validate, options)
    }

    /// Opens the named segment `name` for a reader that does not know its type (a tool): read
    /// only ([`Reader::Tool`]), validated with [`layout::validate_raw`], and without the
    /// readers' page.
    pub(crate) fn open_raw(name: &str, options: OpenConfig) -> Result<Self, OpenError> {
        let name = SegmentName::new(name).map_err(OpenError::InvalidName)?;
        let (fd, can_write, options) = open_named(&name, Reader::Tool, options)?;
        Self::attach_raw(Backing::Shm(name), fd, can_write, options)
    }

    /// Opens the file-backed segment at `path` like [`Segment::open_raw`].
    pub(crate) fn open_file_raw(path: &Path, options: OpenConfig) -> Result<Self, OpenError> {
        let (fd, can_write) = open_as(path, Reader::Tool)?;
        Self::attach_raw(Backing::File(path.to_owned()), fd, can_write, options)
    }

    fn attach_raw(
        backing: Backing,
        fd: OwnedFd,
        can_write: bool,
        options: OpenConfig,
    ) -> Result<Self, OpenError> {
        let validate = |h: &HeaderLine0, len, _: Option<TypeView<'_>>| {
            layout::validate_raw(h, len).map_err(OpenError::Invalid)
        };
        let segment = Self::attach_as(backing, fd, can_write, false, validate, options)?;
        Ok(segment.without_readers_page())
    }

    /// Drops the readers' page mapping: a tool never registers waits. A queue's page is mapped
    /// read-only instead, to show the consumer's index (read-write on 32-bit targets, whose
    /// 64-bit atomic loads need it, when the tool may write).
    fn without_readers_page(mut self) -> Self {
        let writable = self.readers.is_some();
        self.readers = None;
        if self.geometry.kind == layout::Kind::Queue
            && (cfg!(target_pointer_width = "64") || writable)
        {
            let rw = cfg!(target_pointer_width = "32");
            self.observed = Mapping::new(&self.fd, READERS_OFFSET, LAYOUT_PAGE, rw).ok();
        }
        self.locate()
    }

    /// A queue's readers' page for loads only: this handle's read-write mapping of it, or a
    /// tool's read-only one.
    pub(crate) fn observed_readers_page(&self) -> Option<*mut u8> {
        self.readers_page()
            .or_else(|| self.observed.as_ref().map(Mapping::as_ptr))
    }

    /// Opens the named segment `name` to write it (a publisher taking over): validated like a
    /// reader's, then mapped whole and read-write like the creator's.
    pub(crate) fn open_writer(
        name: &str,
        validate: impl Check,
        options: OpenConfig,
    ) -> Result<Self, OpenError> {
        let name = SegmentName::new(name).map_err(OpenError::InvalidName)?;
        let fd = open_regular(&name.path(), OFlags::RDWR)?;
        Self::attach_as(Backing::Shm(name), fd, true, true, validate, options)
    }

    fn attach_as(
        backing: Backing,
        fd: OwnedFd,
        can_write: bool,
        writer: bool,
        validate: impl Check,
        options: OpenConfig,
    ) -> Result<Self, OpenError> {
        // 32-bit targets load the 64-bit words (sequences, owner, heartbeat) with atomics,
        // which Rust allows only on writable memory: refuse rather than map them read-only.
        if cfg!(target_pointer_width = "32") && !can_write {
            return Err(OpenError::NeedsWriteAccess);
        }
        let deadline = Instant::now() + options.init_timeout;
        let (head, header, len) = loop {
            let len = regular_len(&fd)?;
            if len >= DATA_OFFSET as u64 {
                let head = Mapping::new(&fd, 0, LAYOUT_PAGE, false).map_err(OpenError::Io)?;
                let header = read_header(&head);
                if header.layout_version != 0 || Instant::now() >= deadline {
                    break (head, header, len);
                }
            } else if Instant::now() >= deadline {
                return Err(OpenError::Invalid(LayoutError::TooSmall {
                    len,
                    needed: DATA_OFFSET as u64,
                }));
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        // Only a header of this layout has a schema block (`validate` names what else it is).
        let schema = if header.magic == layout::MAGIC && header.layout_version == LAYOUT_VERSION {
            read_schema(&head).map_err(OpenError::Invalid)?
        } else {
            None
        };
        let geometry = validate(&header, len, schema.as_ref().map(SchemaBuf::view))?;
        if let Some(schema) = &schema {
            let v = schema.view();
            if v.size() != geometry.value_size || v.align() > geometry.payload_align {
                return Err(OpenError::Invalid(LayoutError::Corrupt(
                    "the schema's size or alignment differs from the header's value",
                )));
            }
        }
        if writer {
            drop(head);
            let map = Mapping::new(&fd, 0, geometry.total_len, true).map_err(OpenError::Io)?;
            // Not unlinked on drop until the takeover succeeds (`Segment::adopt`).
            return Ok(Self::writable(backing, fd, map, geometry, header, schema));
        }
        // 32-bit targets: the header's 64-bit words (owner, heartbeat) are loaded too, so the
        // header page is remapped read-write for the same reason as the data below.
        let head = if cfg!(target_pointer_width = "32") {
            drop(head);
            Mapping::new(&fd, 0, LAYOUT_PAGE, true).map_err(OpenError::Io)?
        } else {
            head
        };
        // `core::sync::atomic` allows only loads no wider than a pointer on read-only memory, and
        // the sequences are 64-bit: on 32-bit targets readers map the data read-write (they
        // still never store to it).
        let data_writable = cfg!(target_pointer_width = "32");
        let data = Mapping::new(&fd, DATA_OFFSET, geometry.data_len, data_writable)
            .map_err(OpenError::Io)?;
        let readers = if can_write {
            Mapping::new(&fd, READERS_OFFSET, LAYOUT_PAGE, true).ok()
        } else {
            None
        };
        Ok(Self {
            backing,
            fd,
            head,
            data: Some(data),
            readers,
            observed: None,
            geometry,
            header,
            schema,
            asymmetric: false,
            capacity: checked_capacity(&geometry),
            data_at: core::ptr::null_mut(),
            notify_at: core::ptr::null_mut(),
            unlink_on_drop: false,
        }
        .locate())
    }

    /// Finds the structure and the futex word in the mappings, once: the creator's mapping
    /// covers the whole segment; a reader's data and readers' page are mappings of their own.
    fn locate(mut self) -> Self {
        // `wrapping_add`: in bounds (the creator's mapping covers the whole segment), but no
        // `unsafe` needed for an address computation.
        self.data_at = match &self.data {
            Some(m) => m.as_ptr(),
            None => self.head.as_ptr().wrapping_add(DATA_OFFSET),
        };
        self.notify_at = match (&self.data, &self.readers) {
            (None, _) => self.head.as_ptr().wrapping_add(NOTIFY_OFFSET).cast(),
            (Some(_), Some(readers)) => readers.as_ptr().cast(),
            (Some(_), None) => core::ptr::null_mut(),
        };
        self
    }

    /// The ring's capacity (1 for a SeqLock), checked at open.
    #[inline(always)]
    pub(crate) fn capacity(&self) -> crate::ring::Capacity {
        self.capacity
    }

    /// The schema the segment holds (read once at open, or written at creation).
    pub(crate) fn schema(&self) -> Option<TypeView<'_>> {
        self.schema.as_ref().map(SchemaBuf::view)
    }

    /// The structure's first byte (read-write for the creator, read-only for readers).
    #[inline]
    pub(crate) fn data(&self) -> *mut u8 {
        self.data_at
    }

    /// A reader's mapping of the data, for inspection (tests check its protection).
    pub(crate) fn data_range(&self) -> (usize, usize) {
        (self.data() as usize, self.geometry.data_len)
    }

    #[inline]
    pub(crate) fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// The header line 0 written at creation or validated at open.
    #[inline]
    pub(crate) fn header(&self) -> &HeaderLine0 {
        &self.header
    }

    /// The clock of the stamps (validated when the header was read).
    pub(crate) fn clock(&self) -> crate::Clock {
        layout::clock_from_raw(self.header.clock).unwrap_or(crate::Clock::User)
    }

    /// The name of a named segment.
    pub(crate) fn name(&self) -> Option<&SegmentName> {
        match &self.backing {
            Backing::Shm(name) => Some(name),
            _ => None,
        }
    }

    /// The segment's file descriptor.
    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Writes a file-backed segment's dirty pages to the file (`msync(MS_SYNC)`).
    pub(crate) fn flush(&self) -> io::Result<()> {
        // SAFETY: `head` is a live mapping of `len` bytes owned by `self`.
        unsafe {
            rustix::mm::msync(
                self.head.as_ptr().cast(),
                self.head.len(),
                rustix::mm::MsyncFlags::SYNC,
            )
        }
        .map_err(io_error)
    }

    /// The readers' page (a queue's consumer page), when this handle maps it read-write: the
    /// creator's or a taker-over's whole mapping, or a reader's own mapping of it.
    pub(crate) fn readers_page(&self) -> Option<*mut u8> {
        (!self.notify_at.is_null()).then_some(self.notify_at.cast())
    }

    /// Whether this process's stores use the asymmetric wait handshake (a writer's handle).
    pub(crate) fn asymmetric(&self) -> bool {
        self.asymmetric
    }

    /// A writer's mapping of a queue: makes the consumer's page read-only for the producer
    /// (only the consumer writes it). 32-bit targets keep it writable: they load its 64-bit
    /// words atomically, which Rust allows only on writable memory.
    pub(crate) fn protect_readers_page(&self) -> io::Result<()> {
        if cfg!(target_pointer_width = "32") || self.data.is_some() {
            return Ok(());
        }
        // SAFETY: the writer's mapping covers the whole segment (`data` is `None`), so the
        // readers' page, LAYOUT_PAGE bytes at READERS_OFFSET (a multiple of every page size),
        // lies inside it; only protection changes, and this handle accesses the page by atomic
        // loads alone from now on.
        unsafe {
            rustix::mm::mprotect(
                self.head.as_ptr().add(READERS_OFFSET).cast(),
                LAYOUT_PAGE,
                rustix::mm::MprotectFlags::READ,
            )
        }
        .map_err(io_error)
    }

    /// Whether this reader mapped the readers' page read-write.
    pub(crate) fn has_readers_page(&self) -> bool {
        self.readers
            .as_ref()
            .is_some_and(|m| m.len() == LAYOUT_PAGE)
    }

    /// The writer's status: alive (heartbeat within `threshold`), stale, dead, unknown or
    /// unowned.
    pub(crate) fn writer_status(&self, threshold: Duration) -> WriterStatus {
        let owner = OwnerToken::from_raw(self.owner().load(Ordering::Relaxed));
        let ns = PidNamespace::from_raw(self.pid_ns().load(Ordering::Relaxed));
        let beat = Timestamp::from_nanos(self.heartbeat().load(Ordering::Relaxed));
        WriterStatus::of_in(owner, ns, beat, Timestamp::now(), threshold)
    }

    /// A 64-bit word of the writer line (owner, epoch, heartbeat, PID namespace).
    #[inline]
    fn writer_word(&self, offset: usize) -> &AtomicU64 {
        // SAFETY: the offsets are 8-aligned inside the header page, mapped while `self` lives;
        // the words are accessed only atomically (readers only load them).
        unsafe { AtomicU64::from_ptr(self.head.as_ptr().add(offset).cast()) }
    }

    /// The writer's wait handshake word (`BARRIER_OFFSET`).
    pub(crate) fn writer_mode(&self) -> &AtomicU64 {
        self.writer_word(BARRIER_OFFSET)
    }

    /// The owner token word.
    pub(crate) fn owner(&self) -> &AtomicU64 {
        self.writer_word(OWNER_OFFSET)
    }

    /// The takeover count.
    pub(crate) fn epoch(&self) -> &AtomicU64 {
        self.writer_word(EPOCH_OFFSET)
    }

    /// The writer's last heartbeat, `CLOCK_MONOTONIC` ns.
    #[inline]
    pub(crate) fn heartbeat(&self) -> &AtomicU64 {
        self.writer_word(HEARTBEAT_OFFSET)
    }

    /// Values lost before they reached the writer (`LOST_UPSTREAM_OFFSET`).
    pub(crate) fn lost_upstream(&self) -> &AtomicU64 {
        self.writer_word(LOST_UPSTREAM_OFFSET)
    }

    /// The owner's PID namespace.
    pub(crate) fn pid_ns(&self) -> &AtomicU64 {
        self.writer_word(PID_NS_OFFSET)
    }

    /// The futex word readers sleep on (readers' page): writable for the creator and for
    /// readers that mapped the readers' page read-write; `None` for readers that could not.
    #[inline]
    fn notify(&self) -> Option<&AtomicU32> {
        if self.notify_at.is_null() {
            return None;
        }
        // SAFETY: 4-aligned, inside a mapping (`locate`) that is read-write for this handle
        // and lives as long as `self`; the word is accessed only atomically.
        Some(unsafe { AtomicU32::from_ptr(self.notify_at) })
    }

    /// Writer side after a store: wakes every sleeping reader (no syscall when none sleeps).
    /// Returns whether it issued a wake.
    #[inline]
    pub(crate) fn wake_readers(&self) -> bool {
        let Some(notify) = self.notify() else {
            return false;
        };
        crate::wait::wake_waiters(notify, self.asymmetric, |notify| {
            let _ = rustix::thread::futex::wake(
                notify.as_core(),
                rustix::thread::futex::Flags::empty(),
                crate::wait::WAKE_ALL,
            );
        })
    }

    /// Reader side: waits until `check` returns `Some`, or `timeout` passes. A reader that
    /// may not write the readers' page cannot ask to be woken: it polls every 2 ms; one whose
    /// heavy barrier failed (the writer is asymmetric, membarrier refused here) naps 1 ms.
    pub(crate) fn wait_for<R>(
        &self,
        timeout: Duration,
        check: impl FnMut() -> Option<R>,
    ) -> Option<R> {
        let deadline = Instant::now().checked_add(timeout);
        let notify = self.notify();
        let poll = if notify.is_some() {
            Duration::MAX
        } else {
            Duration::from_millis(2)
        };
        let ordered = core::cell::Cell::new(true);
        let heavy = || {
            // SYNC POINT wait-mode (reader): after the wait's SeqCst fence, which pairs with
            // the writer's side of wait-mode.
            let mode = self.writer_word(BARRIER_OFFSET).load(Ordering::Relaxed);
            ordered.set(super::barrier::heavy(mode));
        };
        let sleep = |notify: &AtomicU32, expected| {
            let left = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()),
                None => Duration::MAX,
            };
            if left.is_zero() {
                return false;
            }
            let poll = if ordered.get() {
                poll
            } else {
                poll.min(Duration::from_millis(1))
            };
            let nap = left.min(poll).min(Duration::from_secs(3600));
            let ts = rustix::thread::futex::Timespec {
                tv_sec: nap.as_secs() as _,
                tv_nsec: nap.subsec_nanos() as _,
            };
            // Shared (not PRIVATE): the writer is another process. EAGAIN (changed), ETIMEDOUT
            // and EINTR all lead back to the re-check.
            let _ = rustix::thread::futex::wait(
                notify.as_core(),
                rustix::thread::futex::Flags::empty(),
                expected,
                Some(&ts),
            );
            true
        };
        match notify {
            Some(word) => crate::wait::wait(word, true, heavy, check, sleep),
            None => {
                // Never woken: nap on a private word that nobody changes.
                let idle = AtomicU32::new(0);
                crate::wait::wait(&idle, false, || {}, check, sleep)
            }
        }
    }

    /// The current size of the segment's file.
    pub(crate) fn file_len(&self) -> io::Result<u64> {
        Ok(regular_len(&self.fd)?)
    }

    /// Takes the lifecycle lock (see [`LifecycleLock`]) and checks that the segment still has
    /// its name. `Ok(None)`: it was removed or replaced meanwhile.
    pub(crate) fn lock_named(
        &self,
        deadline: Instant,
    ) -> Result<Option<LifecycleLock<'_>>, OpenError> {
        let path = self.backing.path();
        LifecycleLock::acquire_named(self.fd.as_fd(), path.as_deref(), deadline).map_err(
            |LockHeld| {
                OpenError::Io(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    "another process holds the segment's lifecycle lock (removing or recovering \
                     it)",
                ))
            },
        )
    }

    /// After a successful takeover: the new owner removes the segment on drop, as its creator
    /// would have, unless persisted.
    pub(crate) fn adopt(&mut self) {
        self.unlink_on_drop = !matches!(self.backing, Backing::Memfd);
    }

    /// Keeps the segment after this creator's handle is dropped.
    pub(crate) fn persist(&mut self) {
        self.unlink_on_drop = false;
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        // Only if the name still means this segment: after a `rm --force` and a new creation,
        // the name belongs to someone else.
        if let (true, Some(path)) = (self.unlink_on_drop, self.backing.path())
            && still_named(self.fd.as_fd(), &path)
        {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Reads the header line: the version word first (Acquire), then every word.
/// The geometry's capacity as a `Capacity`: a validated power of two (creation and `validate`
/// check it), so the fallback never applies; it would still index only the first slot.
fn checked_capacity(geometry: &Geometry) -> crate::ring::Capacity {
    crate::ring::Capacity::new(geometry.capacity).unwrap_or(crate::ring::Capacity::ONE)
}

/// The schema block a creator writes for `schema`: encoding, length, the bytes, zero-padded to
/// a multiple of 8; or 8 zero bytes for no schema.
fn schema_block(schema: Option<TypeView<'_>>) -> Result<Vec<u8>, CreateError> {
    let Some(schema) = schema else {
        return Ok(vec![0; 8]);
    };
    let bytes = schema.as_bytes();
    if bytes.len() > SCHEMA_MAX_LEN {
        return Err(CreateError::Schema(EncodeError::TooLarge {
            needed: bytes.len(),
        }));
    }
    let mut block = Vec::with_capacity(8 + bytes.len().next_multiple_of(8));
    block.extend_from_slice(&SCHEMA_ENCODING.to_le_bytes());
    block.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    block.extend_from_slice(bytes);
    block.resize(8 + bytes.len().next_multiple_of(8), 0);
    Ok(block)
}

/// Reads and validates the schema block of a header page whose version was seen (so the
/// block is complete): `None` for a segment without a schema.
fn read_schema(head: &Mapping) -> Result<Option<SchemaBuf>, LayoutError> {
    let mut prefix = [0u8; 8];
    // SAFETY: the header page is mapped (at least `LAYOUT_PAGE` bytes, 8-aligned); the creator
    // wrote the block with `store_words` from `SCHEMA_OFFSET` before publishing the version,
    // and nobody writes it after; these are loads of the same or narrower widths at the same
    // offsets.
    unsafe { load_words(head.as_ptr().add(SCHEMA_OFFSET), &mut prefix) };
    let encoding = u32::from_le_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]);
    let len = u32::from_le_bytes([prefix[4], prefix[5], prefix[6], prefix[7]]) as usize;
    match encoding {
        0 if len == 0 => return Ok(None),
        SCHEMA_ENCODING if len <= SCHEMA_MAX_LEN => {}
        SCHEMA_ENCODING => return Err(LayoutError::Corrupt("schema longer than the header page")),
        _ => return Err(LayoutError::Corrupt("unknown schema encoding")),
    }
    let mut block = vec![0u8; 8 + len.next_multiple_of(8)];
    // SAFETY: as above; the block lies inside the header page (`len <= SCHEMA_MAX_LEN`).
    unsafe { load_words(head.as_ptr().add(SCHEMA_OFFSET), &mut block) };
    block.truncate(8 + len);
    block.drain(..8);
    SchemaBuf::from_bytes(block)
        .map(Some)
        .map_err(LayoutError::Schema)
}

fn read_header(head: &Mapping) -> HeaderLine0 {
    let mut header = HeaderLine0::default();
    // SAFETY: the header page is mapped (read-only) and 8-aligned; the creator writes it only
    // through `store_words` and the version word, with the same widths at the same offsets.
    let word = unsafe {
        let word =
            AtomicUsize::from_ptr(head.as_ptr().add(VERSION_WORD).cast()).load(Ordering::Relaxed);
        // SYNC POINT header-publish (reader). Acquire: pairs with the creator's side of
        // header-publish: every header word stored before the version is visible.
        fence(Ordering::Acquire);
        load_words(head.as_ptr(), bytemuck::bytes_of_mut(&mut header));
        word
    };
    // Only the version seen before the fence vouches for the other words.
    let bytes = word.to_ne_bytes();
    let version = u32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if version == 0 {
        header.layout_version = 0;
    }
    header
}

/// Removes the segment `name` whatever its state (its memory lives on until every mapping is
/// gone). [`remove_dead`](super::remove_dead) removes only segments whose writer died.
///
/// ```
/// use rtshm::shm::{self, OpenError, SeqLockPublisher};
/// # if cfg!(miri) { return Ok(()); }
///
/// let name = format!("doc-remove-{}", std::process::id());
/// let mut publisher = SeqLockPublisher::<u8>::create(&name)?;
/// publisher.persist();
/// drop(publisher);
/// shm::remove(&name)?;
/// assert!(matches!(shm::remove(&name), Err(OpenError::NotFound)));
/// # Ok::<(), rtshm::Error>(())
/// ```
pub fn remove(name: &str) -> Result<(), OpenError> {
    let name = SegmentName::new(name).map_err(OpenError::InvalidName)?;
    rustix::fs::unlink(name.path()).map_err(open_error)
}

/// Why [`Segment::replace_abandoned`] did not replace the object under a name.
pub(crate) enum Abandoned {
    /// Building the new segment failed.
    Create(CreateError),
    /// The object under the name could not be opened (not a regular file, no permission...).
    Open(OpenError),
    /// The object has an owner that may be running (the PID).
    Owned(i32),
}

impl Segment {
    /// Replaces the object under `name` with a new segment for `geometry`, if the object is
    /// still abandoned (see [`super::list::FileState::is_abandoned`]) once this process holds
    /// its lifecycle lock. `Ok(None)`: the name changed meanwhile, or another process holds the
    /// lock (it is replacing or removing it); the caller starts over.
    pub(crate) fn replace_abandoned(
        name: &str,
        geometry: Geometry,
        identity: Identity<'_>,
        options: CreateConfig,
    ) -> Result<Option<Self>, Abandoned> {
        let valid =
            SegmentName::new(name).map_err(|e| Abandoned::Create(CreateError::InvalidName(e)))?;
        let path = valid.path();
        let fd = match open_regular(&path, OFlags::RDONLY) {
            Ok(fd) => fd,
            Err(OpenError::NotFound) => return Ok(None),
            Err(e) => return Err(Abandoned::Open(e)),
        };
        let Ok(Some(_lock)) = LifecycleLock::acquire_named(fd.as_fd(), Some(&path), Instant::now())
        else {
            return Ok(None);
        };
        let state =
            super::list::FileState::read(&fd).map_err(|e| Abandoned::Open(OpenError::Io(e)))?;
        if !state.is_abandoned() {
            return match state.running_owner() {
                Some(pid) => Err(Abandoned::Owned(pid)),
                // Initialised meanwhile: the caller opens it the usual way.
                None => Ok(None),
            };
        }
        Self::create(name, geometry, identity, options, Publish::Replace)
            .map(Some)
            .map_err(Abandoned::Create)
    }
}
