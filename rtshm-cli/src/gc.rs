//! `rtshm gc`: removes the segments whose writer died, and what dead creators left.

use std::io::Write;

use rtshm::liveness::WriterStatus;
use rtshm::shm::{self, OpenError, SegmentName};

use crate::{FAILED, Failure, OK, PARTIAL, list_segments};

pub(crate) fn run(out: &mut impl Write, dry_run: bool, names: &[String]) -> Result<u8, Failure> {
    // With names, only those, spelled as `SegmentName` reads them (a leading '/' too); a name
    // that is not a valid one matches nothing.
    let only: Option<Vec<SegmentName>> = (!names.is_empty()).then(|| {
        names
            .iter()
            .filter_map(|n| SegmentName::new(n).ok())
            .collect()
    });
    let chosen = |name: &str| {
        only.as_ref()
            .is_none_or(|only| only.iter().any(|o| o.as_str() == name))
    };
    let listed = list_segments()?;
    let mut candidates = Vec::new();
    let mut code = OK;
    for seg in listed.iter().filter(|s| chosen(&s.name)) {
        if !seg.may_be_collected() {
            if let Err(e) = &seg.info {
                eprintln!("rtshm: {}: kept, invalid header: {e}", seg.name);
                code = PARTIAL;
            }
            continue;
        }
        let why = match (seg.writer, seg.writer_pid) {
            (WriterStatus::Dead, Some(pid)) => format!("writer pid {pid} is dead"),
            (WriterStatus::Dead, None) => "writer is dead".to_owned(),
            // A creator died before finishing it (checked again on removal).
            _ => "never initialised by its creator".to_owned(),
        };
        candidates.push((seg.name.clone(), why));
    }
    // Half-built files have no segment name yet: only a collection of everything takes them.
    if only.is_none() {
        let builds =
            shm::abandoned_builds().map_err(|e| Failure::new(FAILED, format!("/dev/shm: {e}")))?;
        for name in builds {
            candidates.push((name, "a creator died while building it".to_owned()));
        }
    }
    let mut removed = 0;
    for (name, why) in &candidates {
        if dry_run {
            writeln!(out, "would remove {name} ({why})")?;
            removed += 1;
            continue;
        }
        // Checked again under the segment's lifecycle lock, which a publisher taking it over
        // holds too: a segment taken over meanwhile is kept.
        match shm::remove_if_dead(name) {
            Ok(true) => {
                writeln!(out, "removed {name} ({why})")?;
                removed += 1;
            }
            Ok(false) => eprintln!("rtshm: {name}: kept, it changed (taken over or in use)"),
            Err(OpenError::NotFound) => {}
            Err(e) => {
                eprintln!("rtshm: {name}: not removed: {e}");
                code = PARTIAL;
            }
        }
    }
    if removed == 0 {
        writeln!(out, "no segment with a dead writer")?;
    }
    Ok(code)
}
