//! Hostile schema bytes (what a segment's schema block may hold): `TypeView::parse` accepts or
//! refuses them without panicking, and whatever it accepts is navigable, printable, hashable,
//! decodes a value of its size, re-encodes to the same bytes, and compares equal to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtshm::schema::{Encoder, Number, Schema, TypeView, Visitor};

/// Counts what a visit reports.
struct Count(usize);

impl Visitor for Count {
    fn number(&mut self, _: Number) {
        self.0 += 1;
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(view) = TypeView::parse(data) else {
        return;
    };
    let _ = (view.to_string(), view.msg().to_string());
    // Re-encoding what was read gives the same bytes and the same identity.
    let mut again = vec![0u8; data.len()];
    let mut e = Encoder::new(&mut again);
    e.node(view);
    assert_eq!(e.finish().expect("same length"), data);
    assert_eq!(
        TypeView::parse(&again).unwrap().fingerprint(),
        view.fingerprint()
    );
    assert!(view.diff(&view).is_none());
    let mut buf = [0u8; 256];
    let other = <[[f32; 3]; 2]>::TYPE.encode(&mut buf).unwrap();
    let _ = view.diff(&other).map(|d| d.to_string());
    // A value of the type's size decodes (sizes above 64 KiB are skipped: allocation only).
    if view.size() <= 1 << 16 {
        let value = vec![0u8; view.size()];
        let mut count = Count(0);
        view.visit(&value, &mut count).expect("a value of its size");
        assert!(
            view.visit(&value[..value.len().saturating_sub(1)], &mut count)
                .is_err()
                || value.is_empty()
        );
    }
});
