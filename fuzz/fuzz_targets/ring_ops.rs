//! Arbitrary sequences of push / cursor next / latest / get / resume on a small ring, checked
//! against a `VecDeque` model: values, order and exact lap counts.
#![no_main]

use std::collections::VecDeque;

use libfuzzer_sys::fuzz_target;
use rtshm::{Cursor, GetError, Lapped, Ring};

const CAP: u64 = 4;

fuzz_target!(|data: &[u8]| {
    let ring: Ring<u32, 4> = Ring::new();
    let mut writer = ring.writer().unwrap();
    let mut model: VecDeque<(u64, u32)> = VecDeque::new();
    let mut written = 0u64;
    let mut cursors = vec![(ring.cursor_from_oldest(), 0u64)];
    let oldest =
        |model: &VecDeque<(u64, u32)>, written: u64| model.front().map_or(written, |e| e.0);
    let mut bytes = data.iter().copied();
    while let Some(op) = bytes.next() {
        let arg = bytes.next().unwrap_or(0);
        match op % 7 {
            0 | 1 => {
                let v = u32::from(arg) * 0x0101_0101;
                assert_eq!(writer.push(&v), written);
                model.push_back((written, v));
                if model.len() as u64 > CAP {
                    model.pop_front();
                }
                written += 1;
            }
            2 => {
                let i = usize::from(arg) % cursors.len();
                let (cursor, pos) = &mut cursors[i];
                let first = oldest(&model, written);
                let got = ring.next(cursor);
                if *pos < first {
                    assert_eq!(
                        got,
                        Err(Lapped {
                            missed: first - *pos
                        })
                    );
                    *pos = first;
                } else if *pos < written {
                    assert_eq!(got, Ok(Some(model[(*pos - first) as usize].1)));
                    *pos += 1;
                } else {
                    assert_eq!(got, Ok(None));
                }
                assert_eq!(cursor.position(), *pos);
            }
            3 => {
                // Any number, far outside the window included.
                let n = u64::from(arg).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (arg % 64);
                let first = oldest(&model, written);
                let expected = if n >= written {
                    Err(GetError::NotYet { written })
                } else if n < first {
                    Err(GetError::Overwritten { oldest: first })
                } else {
                    Ok(model[(n - first) as usize].1)
                };
                assert_eq!(ring.get(n), expected);
            }
            4 => assert_eq!(ring.latest(), Ok(model.back().copied())),
            5 => {
                if cursors.len() < 8 {
                    if arg % 2 == 0 {
                        cursors.push((ring.cursor_from_oldest(), oldest(&model, written)));
                    } else {
                        // A saved position: anywhere from long overwritten to not yet written.
                        let at = u64::from(arg) % (written + 4);
                        cursors.push((Cursor::at(at), at));
                    }
                }
            }
            _ => {
                let i = usize::from(arg) % cursors.len();
                let (cursor, pos) = &mut cursors[i];
                let target = if arg % 2 == 0 {
                    oldest(&model, written)
                } else {
                    written.saturating_sub(1)
                };
                let skipped = if arg % 2 == 0 {
                    ring.resume_at_oldest(cursor)
                } else {
                    ring.resume_at_newest(cursor)
                };
                assert_eq!(skipped, target.saturating_sub(*pos));
                *pos = (*pos).max(target);
            }
        }
    }
});
