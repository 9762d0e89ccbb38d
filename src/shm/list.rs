//! [`list`]: the rtshm segments on this machine, with a summary of each header.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::string::String;
use std::vec::Vec;

use core::time::Duration;

use super::name::SegmentName;
use crate::Timestamp;
use crate::layout::{self, DATA_OFFSET, HeaderLine0, Kind, LayoutError};
use crate::liveness::{OwnerToken, WriterStatus};

/// The directory where Linux keeps named POSIX shared memory.
const SHM_DIR: &str = "/dev/shm";

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
}

/// The heartbeat age after which [`list`] reports a live writer as stale.
pub const STALE_AFTER: Duration = Duration::from_secs(1);

/// One entry of [`list`]: a segment with rtshm's magic, and its summary or what is wrong
/// with its header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    /// The file name under `/dev/shm`.
    pub name: String,
    /// The summary, or why the header does not describe a usable segment.
    pub info: Result<SegmentInfo, LayoutError>,
}

/// The rtshm segments under `/dev/shm`, sorted by name, each with its writer's status.
///
/// Removing the segments whose writer died:
///
/// ```no_run
/// use rtshm::liveness::WriterStatus;
///
/// for seg in rtshm::shm::list()? {
///     if let Ok(info) = &seg.info {
///         if info.writer == WriterStatus::Dead {
///             rtshm::shm::remove(&seg.name)?;
///         }
///     }
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
/// Files without rtshm's magic are left
/// out; rtshm segments with a bad header are listed with the error, so one corrupt segment
/// never hides the others. Headers are read with `read(2)`, not mapped, so a truncated file
/// cannot fault the caller.
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
        let Ok(Some(info)) = inspect(valid, &entry.path()) else {
            continue;
        };
        found.push(Listed { name, info });
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// Reads the header of one file; `None` if it is not an rtshm segment.
fn inspect(
    name: SegmentName,
    path: &std::path::Path,
) -> io::Result<Option<Result<SegmentInfo, LayoutError>>> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut header = HeaderLine0::default();
    if file
        .read_exact(bytemuck::bytes_of_mut(&mut header))
        .is_err()
        || header.magic != layout::MAGIC
    {
        return Ok(None);
    }
    let check = || -> Result<SegmentInfo, LayoutError> {
        let geometry = layout::validate_raw(&header, len)?;
        Ok(SegmentInfo {
            writer: WriterStatus::Unowned,
            writer_pid: None,
            epoch: 0,
            name,
            kind: geometry.kind,
            payload_size: header.payload_size,
            capacity: header.capacity,
            fingerprint: header.fingerprint,
            len,
            created_ns: header.created_ns,
            writes: 0,
        })
    };
    let mut info = check();
    if let Ok(info) = &mut info {
        // The first word of the structure: the SeqLock sequence or the ring head.
        let mut word = [0u8; 8];
        file.seek(SeekFrom::Start(DATA_OFFSET as u64))?;
        file.read_exact(&mut word)?;
        let word = u64::from_ne_bytes(word);
        info.writes = info.kind.writes(word);
        let mut line = [0u8; 24];
        file.seek(SeekFrom::Start(layout::OWNER_OFFSET as u64))?;
        file.read_exact(&mut line)?;
        let word = |i: usize| u64::from_ne_bytes(line[i..i + 8].try_into().unwrap_or([0; 8]));
        let owner = OwnerToken::from_raw(word(0));
        info.epoch = word(8);
        info.writer_pid = owner.pid();
        info.writer = WriterStatus::of(
            owner,
            Timestamp::from_nanos(word(16)),
            Timestamp::now(),
            STALE_AFTER,
        );
    }
    Ok(Some(info))
}

/// Removes every segment whose writer is dead (see [`list`]); returns the names removed.
/// Segments with a live, stale or no owner are left alone, and so are corrupt ones.
pub fn remove_dead() -> io::Result<Vec<String>> {
    let mut removed = Vec::new();
    for seg in list()? {
        if matches!(&seg.info, Ok(info) if info.writer == WriterStatus::Dead)
            && super::remove(&seg.name).is_ok()
        {
            removed.push(seg.name);
        }
    }
    Ok(removed)
}
