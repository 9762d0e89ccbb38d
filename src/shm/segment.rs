//! One segment implementation: create, open, map, validate, unlink.

use std::borrow::ToOwned;
use std::fmt;
use std::format;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use rustix::fs::{Mode, OFlags};
use rustix::mm::{MapFlags, ProtFlags};

use super::name::{InvalidName, SegmentName};
use crate::Timestamp;
use crate::layout::{
    self, DATA_OFFSET, EPOCH_OFFSET, Geometry, HEARTBEAT_OFFSET, HeaderLine0, LAYOUT_PAGE,
    LAYOUT_VERSION, LayoutError, NOTIFY_OFFSET, OWNER_OFFSET, READERS_OFFSET, WAITERS_OFFSET,
};
use crate::liveness::{OwnerToken, WriterStatus};
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
            Self::Io(e) => write!(f, "creating the segment failed: {e}"),
        }
    }
}

impl std::error::Error for CreateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::InvalidName(e) => Some(e),
            Self::Layout(e) => Some(e),
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// [`Subscriber`](super::Subscriber) opening failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum OpenError {
    /// The name is not a valid segment name.
    InvalidName(InvalidName),
    /// No segment of that name exists.
    NotFound,
    /// The process may not open the segment.
    PermissionDenied,
    /// The segment is not what was asked for, or is corrupt: the exact reason, with the values
    /// found and expected.
    Invalid(LayoutError),
    /// Another I/O error.
    Io(io::Error),
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidName(e) => write!(f, "invalid segment name: {e}"),
            Self::NotFound => f.write_str("no segment of that name exists"),
            Self::PermissionDenied => f.write_str("permission denied opening the segment"),
            Self::Invalid(e) => e.fmt(f),
            Self::Io(e) => write!(f, "opening the segment failed: {e}"),
        }
    }
}

impl std::error::Error for OpenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::InvalidName(e) => Some(e),
            Self::Invalid(e) => Some(e),
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// Options for creating a segment.
#[derive(Clone, Copy, Debug)]
pub struct CreateOptions {
    /// File mode of the segment (default `0o600`: the creating user only).
    pub mode: u32,
    /// The clock domain recorded in the header (default monotonic).
    pub clock: Clock,
    /// An explicit schema id to record instead of the type's default fingerprint
    /// ([`layout::fingerprint`]); readers must open with the same id.
    pub schema: Option<u64>,
}

impl Default for CreateOptions {
    fn default() -> Self {
        Self {
            mode: 0o600,
            clock: Clock::Monotonic,
            schema: None,
        }
    }
}

/// Options for opening a segment.
#[derive(Clone, Copy, Debug)]
pub struct OpenOptions {
    /// How long to wait for a segment that its creator is still initializing (default 1 s).
    pub init_timeout: Duration,
    /// The schema id the creator recorded, if it used one instead of the type's fingerprint.
    pub schema: Option<u64>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self {
            init_timeout: Duration::from_secs(1),
            schema: None,
        }
    }
}

/// What backs a segment.
pub(crate) enum Backing {
    /// A named POSIX shm object (`/dev/shm/<name>`).
    Shm(SegmentName),
    /// An anonymous memfd, shared by passing its file descriptor.
    Memfd,
    /// A regular file (a recorder that survives restarts).
    File(PathBuf),
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
    geometry: Geometry,
    /// The header line 0 this handle wrote or validated (never re-read).
    header: HeaderLine0,
    unlink_on_drop: bool,
}

fn io_error(e: rustix::io::Errno) -> io::Error {
    io::Error::from_raw_os_error(e.raw_os_error())
}

fn create_error(e: rustix::io::Errno) -> CreateError {
    match e {
        rustix::io::Errno::EXIST => CreateError::AlreadyExists,
        rustix::io::Errno::ACCESS | rustix::io::Errno::PERM => CreateError::PermissionDenied,
        e => CreateError::Io(io_error(e)),
    }
}

fn open_error(e: rustix::io::Errno) -> OpenError {
    match e {
        rustix::io::Errno::NOENT => OpenError::NotFound,
        rustix::io::Errno::ACCESS | rustix::io::Errno::PERM => OpenError::PermissionDenied,
        e => OpenError::Io(io_error(e)),
    }
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

/// Opens with `rw` or `ro` flags as `reader` does. Returns the descriptor and whether it is
/// writable.
fn open_as<F>(
    reader: Reader,
    open: impl Fn(F) -> Result<OwnedFd, OpenError>,
    rw: F,
    ro: F,
) -> Result<(OwnedFd, bool), OpenError> {
    if reader == Reader::Tool && cfg!(not(target_pointer_width = "32")) {
        return Ok((open(ro)?, false));
    }
    match open(rw) {
        Ok(fd) => Ok((fd, true)),
        Err(OpenError::PermissionDenied) => Ok((open(ro)?, false)),
        Err(e) => Err(e),
    }
}

/// Opens the named shm object `name` as `reader`.
fn open_shm(name: &SegmentName, reader: Reader) -> Result<(OwnedFd, bool), OpenError> {
    let path = name.shm_path();
    let open = |flags| rustix::shm::open(path.as_str(), flags, Mode::empty()).map_err(open_error);
    open_as(
        reader,
        open,
        rustix::shm::OFlags::RDWR,
        rustix::shm::OFlags::RDONLY,
    )
}

/// Opens the file `path` (`O_NOFOLLOW`) as `reader`.
fn open_path(path: &Path, reader: Reader) -> Result<(OwnedFd, bool), OpenError> {
    let open = |flags| {
        rustix::fs::open(
            path,
            flags | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(open_error)
    };
    open_as(reader, open, OFlags::RDWR, OFlags::RDONLY)
}

impl Segment {
    /// Creates a named POSIX shm segment for `geometry` (O_CREAT | O_EXCL).
    pub(crate) fn create(
        name: &str,
        geometry: Geometry,
        fingerprint: u64,
        options: CreateOptions,
    ) -> Result<Self, CreateError> {
        let name = SegmentName::new(name).map_err(CreateError::InvalidName)?;
        let fd = rustix::shm::open(
            name.shm_path().as_str(),
            rustix::shm::OFlags::CREATE | rustix::shm::OFlags::EXCL | rustix::shm::OFlags::RDWR,
            Mode::from_raw_mode(options.mode),
        )
        .map_err(create_error)?;
        Self::init(Backing::Shm(name), fd, geometry, fingerprint, options)
    }

    /// Creates an anonymous memfd segment; `label` shows in `/proc/<pid>/fd`.
    pub(crate) fn create_memfd(
        label: &str,
        geometry: Geometry,
        fingerprint: u64,
        options: CreateOptions,
    ) -> Result<Self, CreateError> {
        let label = SegmentName::new(label).map_err(CreateError::InvalidName)?;
        let fd = rustix::fs::memfd_create(
            format!("rtshm:{label}").as_str(),
            rustix::fs::MemfdFlags::CLOEXEC,
        )
        .map_err(create_error)?;
        Self::init(Backing::Memfd, fd, geometry, fingerprint, options)
    }

    /// Creates a file-backed segment at `path` (O_CREAT | O_EXCL | O_NOFOLLOW).
    pub(crate) fn create_file(
        path: &Path,
        geometry: Geometry,
        fingerprint: u64,
        options: CreateOptions,
    ) -> Result<Self, CreateError> {
        let fd = rustix::fs::open(
            path,
            OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::RDWR | OFlags::CLOEXEC,
            Mode::from_raw_mode(options.mode),
        )
        .map_err(create_error)?;
        Self::init(
            Backing::File(path.to_owned()),
            fd,
            geometry,
            fingerprint,
            options,
        )
    }

    /// Sizes the new object `fd`, maps it, writes the header and publishes the layout version
    /// last. On failure the object is removed again.
    fn init(
        backing: Backing,
        fd: OwnedFd,
        geometry: Geometry,
        fingerprint: u64,
        options: CreateOptions,
    ) -> Result<Self, CreateError> {
        let mut this_backing = Some(backing);
        let cleanup = |backing: &mut Option<Backing>, e: CreateError| {
            if let Some(b) = backing.take() {
                unlink(&b);
            }
            e
        };
        if let Err(e) = rustix::fs::ftruncate(&fd, geometry.total_len as u64) {
            return Err(cleanup(&mut this_backing, CreateError::Io(io_error(e))));
        }
        let map = match Mapping::new(&fd, 0, geometry.total_len, true) {
            Ok(m) => m,
            Err(e) => return Err(cleanup(&mut this_backing, CreateError::Io(e))),
        };
        let created = Clock::Realtime.now().unwrap_or(Timestamp::ZERO);
        let header = layout::header_for(&geometry, fingerprint, options.clock, created.as_nanos());
        let published = HeaderLine0 {
            layout_version: LAYOUT_VERSION,
            ..header
        };
        // SAFETY: the mapping is page-aligned and holds the header; readers access the header
        // only through `load_words` and the version word through an `AtomicUsize`, the same
        // widths at the same offsets. The data pages are zero (fresh `ftruncate`), which is the
        // initial state of every structure.
        unsafe {
            store_words(map.as_ptr(), bytemuck::bytes_of(&header));
            let bytes = bytemuck::bytes_of(&published);
            let word = bytes[VERSION_WORD..VERSION_WORD + size_of::<usize>()]
                .try_into()
                .map(usize::from_ne_bytes)
                .unwrap_or(0);
            // Release: pairs with the Acquire fence in `read_header`: a reader that sees the
            // version sees every header word stored above.
            AtomicUsize::from_ptr(map.as_ptr().add(VERSION_WORD).cast())
                .store(word, Ordering::Release);
        }
        let backing = this_backing.take().unwrap_or(Backing::Memfd);
        let unlink_on_drop = !matches!(backing, Backing::Memfd);
        Ok(Self {
            backing,
            fd,
            head: map,
            data: None,
            readers: None,
            geometry,
            header: published,
            unlink_on_drop,
        })
    }

    /// Opens the named segment `name` for a subscriber, which validates the header with
    /// `validate` (for its type, [`layout::validate`], or its shape).
    pub(crate) fn open(
        name: &str,
        validate: impl FnOnce(&HeaderLine0, u64) -> Result<Geometry, LayoutError>,
        options: OpenOptions,
    ) -> Result<Self, OpenError> {
        let name = SegmentName::new(name).map_err(OpenError::InvalidName)?;
        let (fd, can_write) = open_shm(&name, Reader::Subscriber)?;
        Self::attach_as(Backing::Shm(name), fd, can_write, false, validate, options)
    }

    /// Opens the file-backed segment at `path` (O_NOFOLLOW) like [`Segment::open`].
    pub(crate) fn open_file(
        path: &Path,
        validate: impl FnOnce(&HeaderLine0, u64) -> Result<Geometry, LayoutError>,
        options: OpenOptions,
    ) -> Result<Self, OpenError> {
        let (fd, can_write) = open_path(path, Reader::Subscriber)?;
        let backing = Backing::File(path.to_owned());
        Self::attach_as(backing, fd, can_write, false, validate, options)
    }

    /// Opens a segment from a file descriptor (a memfd passed by its creator) like
    /// [`Segment::open`].
    pub(crate) fn from_fd(
        fd: OwnedFd,
        validate: impl FnOnce(&HeaderLine0, u64) -> Result<Geometry, LayoutError>,
        options: OpenOptions,
    ) -> Result<Self, OpenError> {
        let can_write = rustix::fs::fcntl_getfl(&fd)
            .map(|fl| fl.contains(OFlags::RDWR))
            .unwrap_or(false);
        Self::attach_as(Backing::Memfd, fd, can_write, false, validate, options)
    }

    /// Opens the named segment `name` for a reader that does not know its type (a tool): read
    /// only ([`Reader::Tool`]), validated with [`layout::validate_raw`], and without the
    /// readers' page.
    pub(crate) fn open_raw(name: &str, options: OpenOptions) -> Result<Self, OpenError> {
        let name = SegmentName::new(name).map_err(OpenError::InvalidName)?;
        let (fd, can_write) = open_shm(&name, Reader::Tool)?;
        Self::attach_raw(Backing::Shm(name), fd, can_write, options)
    }

    /// Opens the file-backed segment at `path` like [`Segment::open_raw`].
    pub(crate) fn open_file_raw(path: &Path, options: OpenOptions) -> Result<Self, OpenError> {
        let (fd, can_write) = open_path(path, Reader::Tool)?;
        Self::attach_raw(Backing::File(path.to_owned()), fd, can_write, options)
    }

    fn attach_raw(
        backing: Backing,
        fd: OwnedFd,
        can_write: bool,
        options: OpenOptions,
    ) -> Result<Self, OpenError> {
        let validate = layout::validate_raw;
        let segment = Self::attach_as(backing, fd, can_write, false, validate, options)?;
        Ok(segment.without_readers_page())
    }

    /// Drops the readers' page mapping: a tool never registers waits.
    fn without_readers_page(mut self) -> Self {
        self.readers = None;
        self
    }

    /// Opens the named segment `name` to write it (a publisher taking over): validated like a
    /// reader's, then mapped whole and read-write like the creator's.
    pub(crate) fn open_writer(
        name: &str,
        validate: impl FnOnce(&HeaderLine0, u64) -> Result<Geometry, LayoutError>,
        options: OpenOptions,
    ) -> Result<Self, OpenError> {
        let name = SegmentName::new(name).map_err(OpenError::InvalidName)?;
        let fd = rustix::shm::open(
            name.shm_path().as_str(),
            rustix::shm::OFlags::RDWR,
            Mode::empty(),
        )
        .map_err(open_error)?;
        Self::attach_as(Backing::Shm(name), fd, true, true, validate, options)
    }

    fn attach_as(
        backing: Backing,
        fd: OwnedFd,
        can_write: bool,
        writer: bool,
        validate: impl FnOnce(&HeaderLine0, u64) -> Result<Geometry, LayoutError>,
        options: OpenOptions,
    ) -> Result<Self, OpenError> {
        let deadline = Instant::now() + options.init_timeout;
        let (head, header, len) = loop {
            let len = rustix::fs::fstat(&fd)
                .map_err(|e| OpenError::Io(io_error(e)))?
                .st_size;
            let len = u64::try_from(len).unwrap_or(0);
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
        let geometry = validate(&header, len).map_err(OpenError::Invalid)?;
        if writer {
            drop(head);
            let map = Mapping::new(&fd, 0, geometry.total_len, true).map_err(OpenError::Io)?;
            // Not unlinked on drop until the takeover succeeds (`Segment::adopt`).
            return Ok(Self {
                backing,
                fd,
                head: map,
                data: None,
                readers: None,
                geometry,
                header,
                unlink_on_drop: false,
            });
        }
        // 32-bit targets: the header's 64-bit words (owner, heartbeat) are loaded too, so the
        // header page is remapped read-write for the same reason as the data below.
        let head = if cfg!(target_pointer_width = "32") && can_write {
            drop(head);
            Mapping::new(&fd, 0, LAYOUT_PAGE, true).map_err(OpenError::Io)?
        } else {
            head
        };
        // `core::sync::atomic` allows only loads no wider than a pointer on read-only memory, and
        // the sequences are 64-bit: on 32-bit targets readers map the data read-write (they
        // still never store to it).
        let data_writable = cfg!(target_pointer_width = "32") && can_write;
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
            geometry,
            header,
            unlink_on_drop: false,
        })
    }

    /// The structure's first byte (read-write for the creator, read-only for readers).
    pub(crate) fn data(&self) -> *mut u8 {
        match &self.data {
            Some(m) => m.as_ptr(),
            // SAFETY: the creator's mapping covers the whole segment, `DATA_OFFSET` included.
            None => unsafe { self.head.as_ptr().add(DATA_OFFSET) },
        }
    }

    /// A reader's mapping of the data, for inspection (tests check its protection).
    pub(crate) fn data_range(&self) -> (usize, usize) {
        (self.data() as usize, self.geometry.data_len)
    }

    pub(crate) fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// The header line 0 written at creation or validated at open.
    pub(crate) fn header(&self) -> &HeaderLine0 {
        &self.header
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

    /// Whether this reader mapped the readers' page read-write.
    pub(crate) fn has_readers_page(&self) -> bool {
        self.readers
            .as_ref()
            .is_some_and(|m| m.len() == LAYOUT_PAGE)
    }

    /// The writer's status: alive (heartbeat within `threshold`), stale, dead or unowned.
    pub(crate) fn writer_status(&self, threshold: Duration) -> WriterStatus {
        let owner = OwnerToken::from_raw(self.owner().load(Ordering::Relaxed));
        let beat = Timestamp::from_nanos(self.heartbeat().load(Ordering::Relaxed));
        WriterStatus::of(owner, beat, Timestamp::now(), threshold)
    }

    /// A 64-bit word of the writer line (owner, epoch, heartbeat).
    fn writer_word(&self, offset: usize) -> &AtomicU64 {
        // SAFETY: the offsets are 8-aligned inside the header page, mapped while `self` lives;
        // the words are accessed only atomically (readers only load them).
        unsafe { AtomicU64::from_ptr(self.head.as_ptr().add(offset).cast()) }
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
    pub(crate) fn heartbeat(&self) -> &AtomicU64 {
        self.writer_word(HEARTBEAT_OFFSET)
    }

    /// The futex word readers sleep on (header page: read-only for readers).
    pub(crate) fn notify(&self) -> &AtomicU32 {
        // SAFETY: `NOTIFY_OFFSET` is 4-aligned inside the header page, mapped while `self`
        // lives; it is accessed only atomically (readers load and futex-wait on it).
        unsafe { AtomicU32::from_ptr(self.head.as_ptr().add(NOTIFY_OFFSET).cast()) }
    }

    /// The waiter count: writable for the creator and for readers that mapped the readers'
    /// page read-write; `None` for readers that could not.
    pub(crate) fn waiters(&self) -> Option<&AtomicU32> {
        let page = match (&self.data, &self.readers) {
            // The creator's mapping covers the whole segment.
            // SAFETY: `WAITERS_OFFSET` lies inside it.
            (None, _) => unsafe { self.head.as_ptr().add(WAITERS_OFFSET) },
            (Some(_), Some(readers)) => readers.as_ptr(),
            (Some(_), None) => return None,
        };
        // SAFETY: 4-aligned, mapped read-write while `self` lives, accessed only atomically.
        Some(unsafe { AtomicU32::from_ptr(page.cast()) })
    }

    /// Writer side after a store: wakes registered readers (no syscall when there are none).
    /// Returns whether it issued a wake.
    pub(crate) fn wake_readers(&self) -> bool {
        let mut woke = false;
        if let Some(waiters) = self.waiters() {
            crate::wait::wake_waiters(self.notify(), waiters, |notify| {
                woke = true;
                let _ = rustix::thread::futex::wake(
                    notify.as_core(),
                    rustix::thread::futex::Flags::empty(),
                    u32::MAX,
                );
            });
        }
        woke
    }

    /// Reader side: waits until `check` returns `Some`, or `timeout` passes.
    pub(crate) fn wait_for<R>(
        &self,
        timeout: Duration,
        check: impl FnMut() -> Option<R>,
    ) -> Option<R> {
        let deadline = Instant::now().checked_add(timeout);
        let waiters = self.waiters();
        // Unregistered readers are never woken: they poll.
        let poll = if waiters.is_some() {
            Duration::MAX
        } else {
            Duration::from_millis(2)
        };
        crate::wait::wait(self.notify(), waiters, check, |notify, expected| {
            let left = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()),
                None => Duration::MAX,
            };
            if left.is_zero() {
                return false;
            }
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
        })
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

/// Removes the object behind `backing` from its namespace (a memfd has none).
fn unlink(backing: &Backing) {
    match backing {
        Backing::Shm(name) => {
            let _ = rustix::shm::unlink(name.shm_path().as_str());
        }
        Backing::File(path) => {
            let _ = std::fs::remove_file(path);
        }
        Backing::Memfd => {}
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        if self.unlink_on_drop {
            unlink(&self.backing);
        }
    }
}

/// Reads the header line: the version word first (Acquire), then every word.
fn read_header(head: &Mapping) -> HeaderLine0 {
    let mut header = HeaderLine0::default();
    // SAFETY: the header page is mapped (read-only) and 8-aligned; the creator writes it only
    // through `store_words` and the version word, with the same widths at the same offsets.
    let word = unsafe {
        let word =
            AtomicUsize::from_ptr(head.as_ptr().add(VERSION_WORD).cast()).load(Ordering::Relaxed);
        // Acquire: pairs with the Release store of the version word in `Segment::create`.
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

/// Removes the segment `name` (its memory lives on until every mapping is gone).
pub fn remove(name: &str) -> Result<(), OpenError> {
    let name = SegmentName::new(name).map_err(OpenError::InvalidName)?;
    rustix::shm::unlink(name.shm_path().as_str()).map_err(open_error)
}
