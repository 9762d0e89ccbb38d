//! `rtshm rm`: removes segments, but not one whose writer may be running (unless `--force`).

use std::io::{self, Write};

use rtshm::shm;

use crate::{FAILED, Failure, OK, PARTIAL, USAGE, fmt, list_segments};

pub(crate) fn run(out: &mut impl Write, names: &[String], force: bool) -> Result<u8, Failure> {
    let listed = list_segments()?;
    let mut code = OK;
    for name in names {
        let refuse = |code: &mut u8, c: u8, why: String| {
            eprintln!("rtshm: {name}: {why}");
            *code = (*code).max(c);
        };
        if let Err(e) = shm::SegmentName::new(name) {
            refuse(&mut code, USAGE, format!("not a segment name: {e}"));
            continue;
        }
        let Some(seg) = listed.iter().find(|s| &s.name == name) else {
            refuse(&mut code, FAILED, not_listed(name));
            continue;
        };
        // The owner word is read whatever the header's state: a live writer's segment with a
        // corrupt header is still its segment.
        if seg.writer.may_be_running() && !force {
            let pid = seg.writer_pid.unwrap_or(0);
            let word = fmt::status_word(&seg.writer);
            refuse(
                &mut code,
                PARTIAL,
                format!("writer pid {pid} is {word}; not removed (--force removes it)"),
            );
            continue;
        }
        match shm::remove(name) {
            Ok(()) => writeln!(out, "removed {name}")?,
            Err(e) => refuse(&mut code, PARTIAL, format!("not removed: {e}")),
        }
    }
    Ok(code)
}

/// Why `rm` does not find `name` among the listed segments.
fn not_listed(name: &str) -> String {
    let path = std::path::Path::new("/dev/shm").join(name);
    let Ok(meta) = std::fs::symlink_metadata(&path) else {
        return "no such segment".to_owned();
    };
    if !meta.file_type().is_file() {
        return "not an rtshm segment (not a regular file); not removed".to_owned();
    }
    match std::fs::File::open(&path) {
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => "permission denied: this user \
            cannot read it to check that it is an rtshm segment (run as its owner or as root); \
            not removed"
            .to_owned(),
        _ => "not an rtshm segment; not removed".to_owned(),
    }
}
