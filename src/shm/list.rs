//! [`list`]: the rtshm segments on this machine, with a summary of each header; and
//! [`remove_dead`]: removing those whose writer died, without ever racing a takeover.
//!
//! Files are read with `pread(2)`, never mapped, so a truncated or hostile file cannot fault
//! the caller, and only the header and the first word of the structure are read whatever
//! sizes the header claims.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::string::String;
use std::time::Instant;
use std::vec::Vec;

use core::time::Duration;

use rustix::fs::OFlags;

use super::name::SegmentName;
use super::segment::{
    BUILDING_PREFIX, LifecycleLock, OpenError, SHM_DIR, open_regular, regular_stat,
};
use crate::Timestamp;
use crate::layout::{self, DATA_OFFSET, HeaderLine0, Kind, LayoutError, OWNER_OFFSET};
use crate::liveness::{OwnerToken, PidNamespace, WriterStatus};

/// The header summary of a segment found by [`list`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SegmentInfo {
    /// The segment's name.
    pub name: SegmentName,
    /// The structure it holds.
    pub kind: Kind,
    /// Bytes per stored value.
    pub payload_size: u32,
    /// Slots (1 for a SeqLock).
    pub capacity: u64,
    /// The payload fingerprint or schema id.
    pub fingerprint: u64,
    /// The segment's size in bytes.
    pub len: u64,
    /// When it was created, `CLOCK_REALTIME` nanoseconds.
    pub created_ns: u64,
    /// Stores completed (SeqLock) or values written (Ring, TimeSeries), read once.
    pub writes: u64,
    /// The writer's status, with [`STALE_AFTER`] as the staleness threshold.
    pub writer: WriterStatus,
    /// The writer's process id, if the segment has an owner.
    pub writer_pid: Option<i32>,
    /// Takeovers so far.
    pub epoch: u64,
    /// The stamps' clock (a remote one for a segment a bridge imported).
    pub clock: crate::Clock,
}

/// The heartbeat age after which [`list`] reports a live writer as stale.
pub const STALE_AFTER: Duration = Duration::from_secs(1);

/// How long an abandoned object (a header without its version, or a hidden file a creator
/// was building) must be untouched before [`remove_dead`] collects it.
const ABANDONED_AFTER: Duration = Duration::from_secs(1);

/// One entry of [`list`]: a segment with rtshm's magic, and its summary or what is wrong
/// with its header.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Listed {
    /// The file name under `/dev/shm`.
    pub name: String,
    /// The summary, or why the header does not describe a usable segment.
    pub info: Result<SegmentInfo, LayoutError>,
    /// The writer's status as the owner word says, read even when the header is invalid
    /// ([`WriterStatus::Unowned`] when the file is too short to hold an owner).
    pub writer: WriterStatus,
    /// The writer's process id, if the owner word names one.
    pub writer_pid: Option<i32>,
}

impl Listed {
    /// Whether [`remove_dead`] would consider it: its writer is dead, or its creator never
    /// finished it (a header without a version) and no owner that may be running is recorded.
    /// The final check is [`remove_if_dead`]'s, under the segment's lifecycle lock.
    #[must_use]
    pub fn may_be_collected(&self) -> bool {
        self.writer == WriterStatus::Dead
            || (matches!(self.info, Err(LayoutError::NotInitialized))
                && !self.writer.may_be_running())
    }
}

/// The rtshm segments under `/dev/shm`, sorted by name, each with its writer's status.
///
/// Removing the segments whose writer died (what [`remove_dead`] does, without racing a
/// publisher that takes one over at the same moment):
///
/// ```no_run
/// use rtshm::liveness::WriterStatus;
///
/// for seg in rtshm::shm::list()? {
///     if seg.writer == WriterStatus::Dead {
///         rtshm::shm::remove_if_dead(&seg.name)?;
///     }
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
/// Files without rtshm's magic are left out; rtshm segments with a bad header are listed with
/// the error, so one corrupt segment never hides the others. Headers are read with `pread(2)`,
/// not mapped, so a truncated file cannot fault the caller; symbolic links, FIFOs and other
/// non-regular files are skipped without being opened in a way that could block.
pub fn list() -> io::Result<Vec<Listed>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(SHM_DIR)? {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let Some(name) = entry.file_name().to_str().map(String::from) else {
            continue;
        };
        let Ok(valid) = SegmentName::new(&name) else {
            continue;
        };
        // A segment removed or unreadable meanwhile is simply not listed.
        let Ok(fd) = open_regular(&entry.path(), OFlags::RDONLY) else {
            continue;
        };
        let Ok(state) = FileState::read(&fd) else {
            continue;
        };
        if let Some(listed) = state.listed(valid) {
            found.push(listed);
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// The writer line of a segment file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WriterLine {
    owner: OwnerToken,
    epoch: u64,
    heartbeat: Timestamp,
    ns: PidNamespace,
}

impl WriterLine {
    fn status(&self) -> WriterStatus {
        WriterStatus::of_in(
            self.owner,
            self.ns,
            self.heartbeat,
            Timestamp::now(),
            STALE_AFTER,
        )
    }
}

/// What a segment file says about itself, read with `pread(2)`.
pub(crate) struct FileState {
    len: u64,
    /// The header line, if the file holds one.
    header: Option<HeaderLine0>,
    /// The writer line, if the file holds one.
    writer: Option<WriterLine>,
    /// The structure's first word, if the file holds one.
    first_word: Option<u64>,
    /// Time since the file last changed size or permissions (ctime).
    age: Duration,
}

/// Reads exactly `buf.len()` bytes at `offset`; `false` if the file is shorter.
fn read_at(fd: &OwnedFd, buf: &mut [u8], offset: u64) -> io::Result<bool> {
    let mut done = 0;
    while done < buf.len() {
        match rustix::io::pread(fd, &mut buf[done..], offset + done as u64) {
            Ok(0) => return Ok(false),
            Ok(n) => done += n,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(io::Error::from_raw_os_error(e.raw_os_error())),
        }
    }
    Ok(true)
}

impl FileState {
    /// Reads the header, the writer line and the structure's first word of `fd`.
    pub(crate) fn read(fd: &OwnedFd) -> io::Result<Self> {
        let st = regular_stat(fd)?;
        let len = u64::try_from(st.st_size).unwrap_or(0);
        let mut header = HeaderLine0::default();
        let header = read_at(fd, bytemuck::bytes_of_mut(&mut header), 0)?.then_some(header);
        let mut line = [0u64; 4];
        let writer =
            read_at(fd, bytemuck::bytes_of_mut(&mut line), OWNER_OFFSET as u64)?.then(|| {
                WriterLine {
                    owner: OwnerToken::from_raw(line[0]),
                    epoch: line[1],
                    heartbeat: Timestamp::from_nanos(line[2]),
                    ns: PidNamespace::from_raw(line[3]),
                }
            });
        let mut word = [0u8; 8];
        let first_word =
            read_at(fd, &mut word, DATA_OFFSET as u64)?.then(|| u64::from_ne_bytes(word));
        let changed = Duration::new(st.st_ctime as u64, st.st_ctime_nsec as u32);
        let age = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|now| now.checked_sub(changed))
            .unwrap_or(Duration::ZERO);
        Ok(Self {
            len,
            header,
            writer,
            first_word,
            age,
        })
    }

    fn has_magic(&self) -> bool {
        self.header.is_some_and(|h| h.magic == layout::MAGIC)
    }

    fn writer_status(&self) -> WriterStatus {
        self.writer.map_or(WriterStatus::Unowned, |w| w.status())
    }

    /// The PID of an owner that may be running (alive, stale or unknown).
    pub(crate) fn running_owner(&self) -> Option<i32> {
        let w = self.writer?;
        w.status()
            .may_be_running()
            .then(|| w.owner.pid().unwrap_or(0))
    }

    /// Whether a creator died before completing this object: it is too small for a header, or
    /// its header has no layout version, and no owner that may be running is recorded.
    pub(crate) fn is_abandoned(&self) -> bool {
        let unfinished =
            self.header.is_none_or(|h| h.layout_version == 0) || self.len < DATA_OFFSET as u64;
        unfinished && self.running_owner().is_none()
    }

    /// Whether [`remove_dead`] may remove it: an rtshm segment whose writer died, or an
    /// abandoned rtshm object untouched for [`ABANDONED_AFTER`].
    fn is_collectable(&self) -> bool {
        self.has_magic()
            && (self.writer_status() == WriterStatus::Dead
                || (self.is_abandoned() && self.age >= ABANDONED_AFTER))
    }

    /// The entry of [`list`] for this file named `name`, `None` if it is not an rtshm segment.
    fn listed(&self, name: SegmentName) -> Option<Listed> {
        let header = self.header.filter(|_| self.has_magic())?;
        let writer = self.writer_status();
        let writer_pid = self.writer.and_then(|w| w.owner.pid());
        let info = layout::validate_raw(&header, self.len).map(|geometry| SegmentInfo {
            writer,
            writer_pid,
            epoch: self.writer.map_or(0, |w| w.epoch),
            name: name.clone(),
            kind: geometry.kind,
            payload_size: header.payload_size,
            capacity: header.capacity,
            fingerprint: header.fingerprint,
            len: self.len,
            created_ns: header.created_ns,
            clock: layout::clock_from_raw(header.clock).unwrap_or(crate::Clock::User),
            writes: geometry.kind.writes(self.first_word.unwrap_or(0)),
        });
        Some(Listed {
            name: String::from(name.as_str()),
            info,
            writer,
            writer_pid,
        })
    }
}

/// Removes every segment whose writer is dead (see [`list`]), and what creators that died
/// while initialising left (headers without a version, hidden `.rtshm-new-*` files), each only
/// if it is still so under its lifecycle lock ([`remove_if_dead`]). Returns the names removed.
/// Segments with a live, stale, unknown or no owner are left alone, and so are corrupt ones.
///
/// ```no_run
/// // A node's start-up: clear what crashed runs left (never a segment whose writer may run).
/// for name in rtshm::shm::remove_dead()? {
///     eprintln!("removed {name}: its writer died");
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn remove_dead() -> io::Result<Vec<String>> {
    let mut removed = Vec::new();
    for seg in list()? {
        if seg.may_be_collected() && remove_if_dead(&seg.name).unwrap_or(false) {
            removed.push(seg.name);
        }
    }
    for name in abandoned_builds()? {
        if remove_if_dead(&name).unwrap_or(false) {
            removed.push(name);
        }
    }
    Ok(removed)
}

/// The hidden files under `/dev/shm` in which a creator that has since died was building a
/// segment (`.rtshm-new-<pid>-<n>`).
pub fn abandoned_builds() -> io::Result<Vec<String>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(SHM_DIR)? {
        let Some(name) = entry?.file_name().to_str().map(String::from) else {
            continue;
        };
        if builder_pid(&name).is_some_and(|pid| !pid_exists(pid)) {
            found.push(name);
        }
    }
    found.sort();
    Ok(found)
}

/// The PID in the name of a file a creator builds a segment in.
fn builder_pid(name: &str) -> Option<i32> {
    let rest = name.strip_prefix(BUILDING_PREFIX)?;
    let (pid, n) = rest.split_once('-')?;
    n.parse::<u32>().ok()?;
    pid.parse().ok().filter(|&p| p > 0)
}

/// Whether `pid` may exist (only a definite `ESRCH` says it does not).
fn pid_exists(pid: i32) -> bool {
    crate::liveness::pid_exists(pid) != Some(false)
}

/// Removes the segment `name` if its writer is dead, or if a creator left it unfinished (a
/// header without a version, untouched for a second, with no owner that may be running), or if
/// it is a hidden `.rtshm-new-*` file whose creator died. `Ok(false)`: kept (its writer may
/// be running, it is not an rtshm segment, it changed meanwhile, or another process is taking
/// it over or removing it right now).
///
/// The check and the unlink happen under the segment's lifecycle lock, which a publisher
/// taking the segment over also holds: a segment taken over is never removed, and a segment
/// removed is never taken over.
pub fn remove_if_dead(name: &str) -> Result<bool, OpenError> {
    let building = builder_pid(name);
    if building.is_none() {
        SegmentName::new(name).map_err(OpenError::InvalidName)?;
    }
    let path = Path::new(SHM_DIR).join(name);
    let fd = open_regular(&path, OFlags::RDONLY)?;
    let Ok(Some(_lock)) = LifecycleLock::acquire_named(fd.as_fd(), Some(&path), Instant::now())
    else {
        return Ok(false);
    };
    let remove = match building {
        Some(pid) => !pid_exists(pid),
        None => FileState::read(&fd)
            .map_err(OpenError::Io)?
            .is_collectable(),
    };
    if remove {
        std::fs::remove_file(&path).map_err(OpenError::Io)?;
    }
    Ok(remove)
}
