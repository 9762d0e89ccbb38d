//! A subscriber reads while the fuzzer rewrites arbitrary bytes of the mapped segment (sequence
//! words, head, slots, the writer line): every read returns a value or an error, never panics,
//! hangs or touches memory outside the mapping. Single-threaded and deterministic: writes and
//! reads interleave in the order the input gives.
#![no_main]

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use rtshm::layout::{DATA_OFFSET, WRITER_LINE_OFFSET};
use rtshm::shm::{
    OpenConfig, Publisher, RingKind, RingPublisher, SeqLockKind, SeqLockPublisher, Subscriber,
    TimeSeriesKind, TimeSeriesPublisher,
};
use rtshm::{Stamped, Timestamp, Version};

/// One segment of each kind: the subscriber, a read-write handle on its memfd, and the pristine
/// bytes of its data and writer line.
struct Target<K: rtshm::shm::Structure> {
    sub: Subscriber<K>,
    file: File,
    pristine: Vec<u8>,
    len: u64,
}

struct All {
    seqlock: Target<SeqLockKind<[u64; 3]>>,
    ring: Target<RingKind<[u64; 2]>>,
    series: Target<TimeSeriesKind<u64>>,
    // Publishers stay alive so the segments stay owned.
    _p: (
        SeqLockPublisher<[u64; 3]>,
        RingPublisher<[u64; 2]>,
        TimeSeriesPublisher<u64>,
    ),
}

fn target<K: rtshm::shm::Structure>(p: &Publisher<K>) -> Target<K> {
    let sub = Subscriber::<K>::from_fd(p.share_fd().unwrap(), OpenConfig::default()).unwrap();
    let file = File::from(p.share_fd().unwrap());
    let len = file.metadata().unwrap().len();
    let mut pristine = vec![0u8; len as usize];
    file.read_exact_at(&mut pristine, 0).unwrap();
    Target {
        sub,
        file,
        pristine,
        len,
    }
}

fn all() -> &'static Mutex<All> {
    static ALL: OnceLock<Mutex<All>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut s = SeqLockPublisher::<[u64; 3]>::create_memfd("s", Default::default()).unwrap();
        s.store(&[1, 1, 1]);
        let mut r = RingPublisher::<[u64; 2]>::create_memfd("r", 8, Default::default()).unwrap();
        for i in 0..11 {
            r.push(&[i, i]);
        }
        let mut t = TimeSeriesPublisher::<u64>::create_memfd("t", 8, Default::default()).unwrap();
        for i in 0..11 {
            t.push(&Stamped::new(Timestamp::from_nanos(i * 10), i, i))
                .unwrap();
        }
        Mutex::new(All {
            seqlock: target(&s),
            ring: target(&r),
            series: target(&t),
            _p: (s, r, t),
        })
    })
}

impl<K: rtshm::shm::Structure> Target<K> {
    fn reset(&self) {
        self.file.write_all_at(&self.pristine, 0).unwrap();
    }

    /// Writes 8 fuzzer bytes into the writer line or the structure (never the header line,
    /// which readers snapshot at open, and never past the end: the file keeps its size).
    fn patch(&self, at: u16, bytes: [u8; 8]) {
        let data_len = self.len - DATA_OFFSET as u64;
        let off = if at % 4 == 0 {
            WRITER_LINE_OFFSET as u64 + u64::from(at / 4 % 4) * 8
        } else {
            DATA_OFFSET as u64 + (u64::from(at) * 8) % (data_len - 7)
        };
        self.file.write_all_at(&bytes, off).unwrap();
    }
}

fuzz_target!(|data: &[u8]| {
    let all = all().lock().unwrap();
    all.seqlock.reset();
    all.ring.reset();
    all.series.reset();
    let mut cursor = all.ring.sub.cursor_from_oldest();
    for chunk in data.chunks(11) {
        let [op, a, b, rest @ ..] = chunk else { break };
        let mut bytes = [0u8; 8];
        bytes[..rest.len()].copy_from_slice(rest);
        let at = u16::from_le_bytes([*a, *b]);
        let word = u64::from_le_bytes(bytes);
        match op % 8 {
            0 => all.seqlock.patch(at, bytes),
            1 => all.ring.patch(at, bytes),
            2 => all.series.patch(at, bytes),
            3 => {
                let _ = all.seqlock.sub.try_load();
                let _ = all.seqlock.sub.wait_newer(Version::INITIAL, Duration::ZERO);
                let _ = all.seqlock.sub.writer_status(Duration::from_secs(1));
            }
            4 => {
                for _ in 0..(a % 16) {
                    let _ = all.ring.sub.next(&mut cursor);
                }
                let _ = all.ring.sub.latest();
                let _ = all.ring.sub.get(word);
                let _ = all.ring.sub.wait_next(&mut cursor, Duration::ZERO);
            }
            5 => {
                match a % 3 {
                    0 => cursor = all.ring.sub.cursor_from_oldest(),
                    1 => cursor = all.ring.sub.cursor_from_newest(),
                    _ => cursor = all.ring.sub.cursor_from_next(),
                }
                let _ = all.ring.sub.resume_at_oldest(&mut cursor);
            }
            _ => {
                let s = &all.series.sub;
                let t = Timestamp::from_nanos(word);
                let _ = s.latest();
                let _ = s.latest_if_fresh(t, Duration::from_nanos(u64::from(at)));
                let _ = s.closest(t, Duration::from_nanos(word >> 3));
                let _ = s.interpolation_pair(t);
                if let Ok(range) = s.range(Timestamp::from_nanos(u64::from(at)), t) {
                    for item in range.take(64) {
                        let _ = item;
                    }
                }
                let _ = s.wait_written_beyond(word, Duration::ZERO);
            }
        }
    }
});
