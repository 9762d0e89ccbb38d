//! `rtshm list`: every segment with its kind, sizes, writes and writer.

use std::io::{self, Write};

use rtshm::shm::{Listed, SegmentInfo};
use serde_json::json;

use crate::{Failure, OK, PARTIAL, fmt, list_segments};

pub(crate) fn run(out: &mut impl Write, json: bool) -> Result<u8, Failure> {
    let segments = list_segments()?;
    let bad = segments.iter().filter(|s| s.info.is_err()).count();
    if json {
        let items: Vec<serde_json::Value> = segments.iter().map(list_json).collect();
        serde_json::to_writer_pretty(&mut *out, &items).map_err(io::Error::from)?;
        writeln!(out)?;
    } else if segments.is_empty() {
        eprintln!("rtshm: no rtshm segments in /dev/shm");
    } else {
        let header = [
            "NAME",
            "KIND",
            "PAYLOAD",
            "CAP",
            "WRITES",
            "WRITER",
            "PID",
            "HEARTBEAT",
            "CREATED",
        ];
        let rows: Vec<Vec<String>> = segments.iter().map(list_row).collect();
        let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
        for row in rows.iter().filter(|r| r.len() == header.len()) {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.len());
            }
        }
        let line = |cells: &[&str]| {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            padded.join("  ").trim_end().to_owned()
        };
        writeln!(out, "{}", line(&header))?;
        for row in &rows {
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            writeln!(out, "{}", line(&cells))?;
        }
    }
    let hidden = unreadable_in_dev_shm();
    if hidden > 0 {
        eprintln!(
            "rtshm: {hidden} file(s) in /dev/shm could not be read (permission denied) and may \
             be segments: run as their owner or as root to list them"
        );
    }
    if bad > 0 {
        eprintln!("rtshm: {bad} segment(s) have an invalid header");
        return Ok(PARTIAL);
    }
    Ok(OK)
}

/// How many files in /dev/shm this user may not read (`shm::list` cannot tell whether they
/// are rtshm segments, so it leaves them out).
fn unreadable_in_dev_shm() -> usize {
    let Ok(entries) = std::fs::read_dir("/dev/shm") else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| {
            std::fs::File::open(e.path())
                .is_err_and(|err| err.kind() == io::ErrorKind::PermissionDenied)
        })
        .count()
}

fn list_row(seg: &Listed) -> Vec<String> {
    let info = match &seg.info {
        Ok(info) => info,
        Err(e) => return vec![seg.name.clone(), format!("error: {e}")],
    };
    vec![
        seg.name.clone(),
        info.kind.to_string(),
        info.payload_size.to_string(),
        info.capacity.to_string(),
        info.writes.to_string(),
        fmt::status_word(&info.writer).to_owned(),
        info.writer_pid.map_or("-".into(), |p| p.to_string()),
        fmt::heartbeat_age(&info.writer)
            .map_or("-".into(), |a| format!("{} ago", fmt::duration(a))),
        fmt::utc(info.created_ns),
    ]
}

fn list_json(seg: &Listed) -> serde_json::Value {
    let info: &SegmentInfo = match &seg.info {
        Ok(info) => info,
        Err(e) => return json!({ "name": seg.name, "error": e.to_string() }),
    };
    let age = fmt::heartbeat_age(&info.writer).map(|a| a.as_nanos());
    json!({
        "name": seg.name,
        "kind": info.kind.to_string(),
        "payload_size": info.payload_size,
        "capacity": info.capacity,
        "writes": info.writes,
        "writer": fmt::status_word(&info.writer),
        "pid": info.writer_pid,
        "heartbeat_age_ns": age,
        "epoch": info.epoch,
        "fingerprint": format!("{:#018x}", info.fingerprint),
        "len": info.len,
        "created_ns": info.created_ns,
        "created": fmt::utc(info.created_ns),
    })
}
