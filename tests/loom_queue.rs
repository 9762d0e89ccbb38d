//! Loom models of the queue's index protocol: a producer and a consumer on a 2-slot queue,
//! through the full and empty edges and around the wrap (more values than slots, so every slot
//! is reused). Every value arrives exactly once, in order, never torn; nothing is overwritten.
//! The slots are loom `UnsafeCell`s here: loom fails a model in which a slot's copy is not
//! ordered after the other side's last access to it (the hand-off that lets the queue copy
//! values with plain copies; a `head` loaded `Relaxed` instead of `Acquire` fails both models).
#![cfg(rtshm_loom)]

mod common;

use loom::sync::Arc;
use loom::thread;
use rtshm::{Full, Queue};

fn model(f: impl Fn() + Sync + Send + 'static) {
    common::loom_model(2, f);
}

/// Value number `n` as stored: two words that must agree (a torn copy would not).
fn value(n: usize) -> [usize; 2] {
    [n + 1, !(n + 1)]
}

#[test]
fn every_value_arrives_once_in_order_through_full_and_wrap() {
    const VALUES: usize = 3;
    model(|| {
        let queue: Arc<Queue<[usize; 2], 2>> = Arc::new(Queue::new());
        let producer = {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                let mut p = queue.producer().unwrap();
                let mut n = 0;
                while n < VALUES {
                    match p.try_push(&value(n)) {
                        Ok(()) => n += 1,
                        // Full: the consumer has 2 values to pop; nothing was overwritten.
                        Err(Full) => thread::yield_now(),
                    }
                }
            })
        };
        let mut c = queue.consumer().unwrap();
        let mut n = 0;
        while n < VALUES {
            match c.try_pop() {
                Some(v) => {
                    assert_eq!(v, value(n), "torn, lost or out-of-order value");
                    n += 1;
                }
                None => thread::yield_now(),
            }
        }
        producer.join().unwrap();
        assert_eq!(c.try_pop(), None, "a value arrived twice");
    });
}

#[test]
fn batches_publish_and_release_whole_runs() {
    model(|| {
        let queue: Arc<Queue<[usize; 2], 2>> = Arc::new(Queue::new());
        let producer = {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                let mut p = queue.producer().unwrap();
                let values = [value(0), value(1), value(2)];
                let mut sent = 0;
                while sent < values.len() {
                    let n = p.push_slice(&values[sent..]);
                    if n == 0 {
                        thread::yield_now();
                    }
                    sent += n;
                }
            })
        };
        let mut c = queue.consumer().unwrap();
        let mut got = 0;
        let mut buf = [[0usize; 2]; 2];
        while got < 3 {
            let n = c.pop_into_slice(&mut buf);
            for v in &buf[..n] {
                assert_eq!(*v, value(got));
                got += 1;
            }
            if n == 0 {
                thread::yield_now();
            }
        }
        producer.join().unwrap();
    });
}
