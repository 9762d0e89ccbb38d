//! Random push / pop / batch sequences on an 8-slot queue against a `VecDeque` model: every pop
//! returns the model's front, a push fails with `Full` exactly when the model holds 8, batches
//! take exactly what fits, lengths agree, and re-claimed sides resume where the last stopped.
#![no_main]

use std::collections::VecDeque;

use libfuzzer_sys::fuzz_target;
use rtshm::{Full, Queue};

const CAP: usize = 8;

fuzz_target!(|data: &[u8]| {
    let queue: Queue<[u16; 3], CAP> = Queue::new();
    let mut producer = queue.producer().unwrap();
    let mut consumer = queue.consumer().unwrap();
    let mut model: VecDeque<[u16; 3]> = VecDeque::new();
    let mut next = 0u16;
    let mut make = || {
        next = next.wrapping_add(1);
        [next, !next, next.rotate_left(5)]
    };
    let mut bytes = data.iter().copied();
    while let Some(op) = bytes.next() {
        let arg = usize::from(bytes.next().unwrap_or(0));
        match op % 8 {
            0 | 1 => {
                let v = make();
                let got = producer.try_push(&v);
                if model.len() == CAP {
                    assert_eq!(got, Err(Full));
                } else {
                    assert_eq!(got, Ok(()));
                    model.push_back(v);
                }
            }
            2 | 3 => assert_eq!(consumer.try_pop(), model.pop_front()),
            4 => {
                let values: Vec<[u16; 3]> = (0..arg % 12).map(|_| make()).collect();
                let n = producer.push_slice(&values);
                assert_eq!(n, values.len().min(CAP - model.len()));
                model.extend(&values[..n]);
            }
            5 => {
                let mut out = vec![[0u16; 3]; arg % 12];
                let n = consumer.pop_into_slice(&mut out);
                assert_eq!(n, out.len().min(model.len()));
                for v in &out[..n] {
                    assert_eq!(Some(*v), model.pop_front());
                }
            }
            6 => {
                assert_eq!(producer.len(), model.len());
                assert_eq!(consumer.len(), model.len());
                assert_eq!(queue.len(), model.len());
                assert_eq!(producer.is_full(), model.len() == CAP);
                assert_eq!(consumer.is_empty(), model.is_empty());
            }
            _ => {
                // Hand a side over: the new claim resumes at the shared index.
                if arg % 2 == 0 {
                    drop(producer);
                    producer = queue.producer().unwrap();
                } else {
                    drop(consumer);
                    consumer = queue.consumer().unwrap();
                }
            }
        }
        assert_eq!(
            producer.pushed() - consumer.popped(),
            model.len() as u64,
            "indices disagree with the model"
        );
    }
});
