//! Loom model of the ring's lap check: a writer wraps a 2-slot ring while a reader's cursor and
//! `latest` read it. Every accepted value must be the one its write number stored (never torn,
//! never stale), cursor values come in order, and values read plus values reported missed never
//! exceed what was written.
#![cfg(rtshm_loom)]

mod common;

use loom::sync::Arc;
use loom::thread;
use rtshm::{Lapped, Ring};

fn model(f: impl Fn() + Sync + Send + 'static) {
    common::loom_model(2, f);
}

#[test]
fn cursor_and_latest_never_accept_torn_or_stale_values_across_laps() {
    model(|| {
        let ring: Arc<Ring<[usize; 2], 2>> = Arc::new(Ring::new());
        let reader = {
            let ring = Arc::clone(&ring);
            thread::spawn(move || {
                let mut cursor = ring.cursor_from_oldest();
                // The write number the cursor reads next; write `n` stores `[n + 1; 2]`.
                let mut expected = cursor.position() as usize;
                for _ in 0..2 {
                    match ring.next(&mut cursor) {
                        Ok(Some(v)) => {
                            assert_eq!(v, [expected + 1; 2], "torn or out-of-order value");
                            expected += 1;
                        }
                        Ok(None) => {}
                        Err(Lapped { missed }) => expected += missed as usize,
                    }
                }
                assert!(expected <= 3);
                if let Ok(Some((n, v))) = ring.latest() {
                    assert_eq!(v, [n as usize + 1; 2], "torn latest");
                }
            })
        };
        {
            let mut writer = ring.writer().unwrap();
            for v in 1..=3 {
                writer.push(&[v, v]);
            }
        }
        reader.join().unwrap();
    });
}
