//! Untyped access to a segment's cells (a SeqLock or a ring's slots) by byte offset, with the
//! same parts and access widths as the typed structures: what the `Inspector` and the
//! `RawPublisher` share.

use super::segment::Segment;
use crate::Timestamp;
use crate::layout::{Geometry, Kind};
use crate::ring::{self, Probe, RingHead};
use crate::sync::{AtomicU64, Ordering, fence};
use crate::words::{
    BULK_MIN, bulk_path, load_shared, load_shared_prefix, store_shared, store_shared_piece,
    store_words,
};
use static_assertions::const_assert;

/// The 8-byte word at `offset` in `segment`'s data.
pub(super) fn word_at(segment: &Segment, offset: usize) -> &AtomicU64 {
    debug_assert!(offset.is_multiple_of(8) && offset + 8 <= segment.geometry().data_len);
    // SAFETY: every caller passes the offset of a sequence word or the ring head: 8-aligned
    // (the data is page-aligned and cells are 8-aligned) and inside the data mapping, whose
    // length is the validated geometry's `data_len` (see `Geometry::of_raw`). The mapping lives
    // as long as `segment`, and shared words are only accessed atomically.
    unsafe { AtomicU64::from_ptr(segment.data().add(offset).cast()) }
}

/// The structure's first word: the SeqLock sequence, or the ring head (a ring's `written`).
pub(super) fn first_word(segment: &Segment) -> u64 {
    let w = word_at(segment, 0).load(Ordering::Relaxed);
    // SYNC POINT seqlock-publish / ring-head-publish (reader). Acquire: pairs with the
    // writer's side of both (as in
    // `RingView::written`): the writes it counts are complete for this thread.
    fence(Ordering::Acquire);
    w
}

/// Byte offset of write `p`'s slot in a ring segment's data.
pub(super) fn slot_offset(geometry: &Geometry, p: u64) -> usize {
    // The capacity is a validated power of two, so the index is below it.
    let index = (p & (geometry.capacity as u64 - 1)) as usize;
    // Cannot overflow: `RingHead` plus `capacity` cells is `data_len` (checked at open).
    core::mem::size_of::<RingHead>() + index * geometry.cell_bytes().unwrap_or(0)
}

/// One lap-checked read of write `p` of a ring segment into `buf`.
pub(super) fn probe(segment: &Segment, geometry: &Geometry, p: u64, buf: &mut [u8]) -> Probe {
    let slot = slot_offset(geometry, p);
    ring::probe_slot(word_at(segment, slot), p, || {
        copy_value(segment, geometry, slot, buf);
    })
}

/// Copies the value of the cell (SeqLock or slot) at `cell` into `buf` (all of it, or as much
/// as fits), part by part with the access widths its writer uses: one part for a Pod payload; stamp, sequence number and value
/// for a `Stamped` one (its padding is never read).
pub(super) fn copy_value(segment: &Segment, geometry: &Geometry, cell: usize, buf: &mut [u8]) {
    let at = cell + geometry.value_in_cell();
    for_each_part(geometry, |offset, len| {
        // Within the payload: `validate_raw` checked `value_at + value_size <= payload_size`.
        // A buffer shorter than the value (a tool reading only what it shows) gets the start.
        let end = buf.len().min(offset + len);
        let Some(dst) = buf.get_mut(offset..end).filter(|d| !d.is_empty()) else {
            return;
        };
        // SAFETY: the cell's value occupies `payload_size` bytes from `at`, inside the data
        // mapping (the geometry was validated against the file length), 8-aligned; the writer
        // stores this part with `store_shared` at the same offset and length (`Payload`'s
        // parts: the whole `T`, or `Stamped`'s three fields, as `for_each_part` lists them), and
        // `load_shared_prefix` reads all or the start of it with compatible accesses.
        unsafe { load_shared_prefix(segment.data().add(at + offset), len, dst) }
    });
}

/// The stamp of write `p` of a time series segment, if it is held and complete: a
/// lap-checked copy of the stamp part alone.
pub(super) fn stamp_of(segment: &Segment, geometry: &Geometry, p: u64) -> Option<Timestamp> {
    let mut stamp = [0u8; 8];
    let slot = slot_offset(geometry, p);
    let probe = ring::probe_slot(word_at(segment, slot), p, || {
        let at = slot + geometry.value_in_cell();
        // SAFETY: as in `copy_value`: the stamp is the first part of a `Stamped` value, stored
        // by the writer with `store_shared` at this offset and length.
        unsafe { load_shared(segment.data().add(at), &mut stamp) }
    });
    (probe == Probe::Value).then(|| Timestamp::from_nanos(u64::from_ne_bytes(stamp)))
}

/// The stamp of the newest value of a time series segment, `None` if it is empty (or the
/// writer overwrote it during every attempt).
pub(super) fn stored_stamp(segment: &Segment, geometry: &Geometry) -> Option<Timestamp> {
    let mut stamp = None;
    let latest = ring::latest_with(
        || first_word(segment),
        |p| {
            stamp = stamp_of(segment, geometry, p);
            if stamp.is_some() {
                Probe::Value
            } else {
                Probe::InProgress
            }
        },
    );
    latest.ok().flatten().and(stamp)
}

/// Calls `f(offset in the stored value, length)` for each part of a stored value, in the order
/// and with the extents its typed writer uses (`Payload::for_each_part`): the whole value for
/// a Pod payload; stamp, sequence number and value for a `Stamped` one, whose padding is never
/// accessed. (Direct calls, not an iterator: a `Chain` of parts kept on the stack cost a
/// store-forwarding stall per copy, more than the copy of a 64-byte value itself.)
#[inline]
pub(super) fn for_each_part(geometry: &Geometry, mut f: impl FnMut(usize, usize)) {
    match geometry.kind {
        Kind::SeqLock | Kind::Ring | Kind::Queue => f(0, geometry.payload_size),
        Kind::TimeSeries => {
            f(0, 8);
            f(8, 8);
            f(geometry.stamped_value_at(), geometry.value_size);
        }
    }
}

/// A stored value given as consecutive pieces: one slice, or the fragments a network payload
/// arrived in, stored without first being joined.
#[derive(Clone, Copy)]
pub(super) struct Pieces<'a>(pub(super) &'a [&'a [u8]]);

impl<'a> Pieces<'a> {
    /// The length of the whole value.
    pub(super) fn len(self) -> usize {
        self.0.iter().map(|piece| piece.len()).sum()
    }

    /// Calls `f(offset in the range, bytes)` for the bytes `start..start + len` of the value,
    /// piece by piece, in order (fewer when the value is shorter).
    pub(super) fn range(self, start: usize, len: usize, mut f: impl FnMut(usize, &'a [u8])) {
        let end = start.saturating_add(len);
        let mut lo = 0;
        for piece in self.0 {
            let hi = lo + piece.len();
            let (from, to) = (lo.max(start), hi.min(end));
            if from < to {
                f(from - start, &piece[from - lo..to - lo]);
            }
            if hi >= end {
                return;
            }
            lo = hi;
        }
    }

    /// The bytes `start..start + len` when one piece holds them all.
    fn within_one(self, start: usize, len: usize) -> Option<&'a [u8]> {
        let mut lo = 0;
        for piece in self.0 {
            if start < lo + piece.len() {
                return piece.get(start - lo..(start - lo).checked_add(len)?);
            }
            lo += piece.len();
        }
        None
    }
}

/// How many bytes of a value in pieces are joined at a time, on the stack, when its copies
/// take the word loop (a multiple of the word: chunks store the same words the whole would).
const JOIN: usize = BULK_MIN;

const_assert!(JOIN.is_multiple_of(8));

/// Stores `src` (a whole stored value, `payload_size` bytes, in pieces) into the cell at
/// `cell`, part by part with the widths typed readers use. Only the segment's single writer
/// calls it, with the claim held and inside the write protocol (odd sequence, Release fence).
///
/// A part within one piece is one `store_shared`; a part across pieces is stored piece by
/// piece where its copies take the bulk path (modelled as byte accesses), else joined
/// [`JOIN`] bytes at a time into the same word stores `store_shared` makes. No allocation.
pub(super) fn store_value(segment: &Segment, geometry: &Geometry, cell: usize, src: Pieces<'_>) {
    let at = cell + geometry.value_in_cell();
    for_each_part(geometry, |offset, len| {
        // SAFETY: the cell's value occupies `payload_size` bytes from `at`, inside the writer's
        // read-write mapping of the whole segment (geometry computed at creation or validated
        // at takeover), 8-aligned, and this part lies inside it.
        let shared = unsafe { segment.data().add(at + offset) };
        // Readers load this part with `load_shared` at the same offset and length (typed
        // readers through `Payload`'s parts, which `for_each_part` lists); each branch below
        // stores it with accesses that load is compatible with.
        if let Some(part) = src.within_one(offset, len) {
            // SAFETY: `shared` is valid for the part's `len == part.len()` bytes (above); the
            // same call readers' `load_shared` pairs with.
            unsafe { store_shared(shared, part) }
        } else if bulk_path(len) {
            src.range(offset, len, |o, piece| {
                // SAFETY: `range` yields at most `len` bytes, `piece` at offset `o` of the
                // part, so the store stays inside it; the part's copies take the bulk path
                // (`bulk_path(len)`), modelled as byte accesses, which pieces make too.
                unsafe { store_shared_piece(shared.add(o), piece) }
            });
        } else {
            let mut chunk = [0u8; JOIN];
            for start in (0..len).step_by(JOIN) {
                let n = JOIN.min(len - start);
                src.range(offset + start, n, |o, piece| {
                    chunk[o..o + piece.len()].copy_from_slice(piece);
                });
                // SAFETY: bytes `start..start + n` of the part, inside it; the part's copies
                // take the word loop (`store_words`, as `store_shared` below `BULK_MIN` or
                // without the bulk path), and chunks starting at multiples of `JOIN` (a
                // multiple of the word) store exactly the words and tail the whole would.
                unsafe { store_words(shared.add(start), &chunk[..n]) }
            }
        }
    });
}
