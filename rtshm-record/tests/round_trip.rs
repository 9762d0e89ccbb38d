//! Record a SeqLock, a Ring and a TimeSeries written by another process, replay the file, and
//! check that a subscriber reads identical values in identical order with stamps preserved, and
//! that recording the replay gives the same messages.
#![allow(
    clippy::disallowed_types,
    reason = "replay's stop flag is a plain std atomic"
)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use rtshm::shm::{
    Inspector, RingPublisher, RingSubscriber, SeqLockPublisher, TimeSeriesPublisher,
    TimeSeriesSubscriber,
};
use rtshm::{Stamped, Timestamp};
use rtshm_record::{ChannelStats, Compression, RecordOptions, Recorder, ReplayOptions};

#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
#[repr(C)]
struct Vec3 {
    x: f32,
    y: f32,
    z: f32,
}

/// A value with a nested struct and an array of them.
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
#[repr(C)]
struct Sample {
    id: u64,
    points: [Vec3; 2],
    flags: u16,
    quality: u8,
    kind: u8,
    spare: u32,
}

fn sample(i: u64) -> Sample {
    let f = i as f32;
    Sample {
        id: i,
        points: [
            Vec3 {
                x: f,
                y: -f,
                z: 0.5,
            },
            Vec3 {
                x: 2.0 * f,
                y: 1.0,
                z: -0.25,
            },
        ],
        flags: (i % 65536) as u16,
        quality: (i % 200) as u8,
        kind: 7,
        spare: 0xdead_beef,
    }
}

const STORES: u64 = 60;
const PUSHES: u64 = 500;
const STAMPED: u64 = 300;

/// The writer process: creates the three segments, waits for the recorder, then writes.
#[test]
fn child_process_entry() {
    let Ok(prefix) = std::env::var("RTSHM_RECORD_CHILD") else {
        return;
    };
    let mut lock = SeqLockPublisher::<[f64; 3]>::create(&format!("{prefix}-lock")).unwrap();
    let mut ring = RingPublisher::<Sample>::create(&format!("{prefix}-ring"), 1024).unwrap();
    let mut series = TimeSeriesPublisher::<Vec3>::create(&format!("{prefix}-series"), 512).unwrap();
    // The recorder starts when the go file appears.
    let go = PathBuf::from(format!("/dev/shm/{prefix}-go"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !go.exists() {
        assert!(Instant::now() < deadline, "the recorder never started");
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = std::fs::remove_file(&go);
    for i in 0..PUSHES.max(STAMPED) {
        if i < STORES && i % 8 == 0 {
            let f = i as f64;
            lock.store(&[f, 2.0 * f, 3.0 * f]);
        }
        if i < PUSHES {
            ring.push(&sample(i));
        }
        if i < STAMPED {
            let f = i as f32;
            series
                .push(&Stamped::new(
                    Timestamp::now(),
                    i,
                    Vec3 {
                        x: f,
                        y: 0.0,
                        z: -f,
                    },
                ))
                .unwrap();
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    std::thread::sleep(Duration::from_millis(300));
}

fn spawn_writer(prefix: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_process_entry",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("RTSHM_RECORD_CHILD", prefix)
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

fn wait_for(name: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Inspector::open(name).is_err() {
        assert!(Instant::now() < deadline, "{name} never appeared");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Records `names` until `done` returns true (then a little longer), returns the counts.
fn record(path: &Path, names: &[String], mut done: impl FnMut() -> bool) -> Vec<ChannelStats> {
    let mut recorder =
        Recorder::create(path, RecordOptions::new().compression(Compression::Lz4)).unwrap();
    for name in names {
        recorder.add(name).unwrap();
    }
    let mut finished_at = None;
    loop {
        recorder.write_pending(Duration::from_millis(20)).unwrap();
        if finished_at.is_none() && done() {
            finished_at = Some(Instant::now());
        }
        if finished_at.is_some_and(|t| t.elapsed() > Duration::from_millis(200)) {
            break;
        }
    }
    recorder.finish().unwrap().channels
}

/// Every message of `path`: (topic, data, publish_time), in file order.
fn messages(path: &Path) -> Vec<(String, Vec<u8>, u64)> {
    let bytes = std::fs::read(path).unwrap();
    mcap::MessageStream::new(&bytes)
        .unwrap()
        .map(|m| {
            let m = m.unwrap();
            (m.channel.topic.clone(), m.data.into_owned(), m.publish_time)
        })
        .collect()
}

fn per_topic(all: &[(String, Vec<u8>, u64)], topic: &str) -> Vec<(Vec<u8>, u64)> {
    all.iter()
        .filter(|(t, _, _)| t == topic)
        .map(|(_, d, p)| (d.clone(), *p))
        .collect()
}

#[test]
fn record_replay_and_record_again_give_the_same_values() {
    let prefix = format!("rtshm-rec-{}", std::process::id());
    let names: Vec<String> = ["lock", "ring", "series"]
        .iter()
        .map(|k| format!("{prefix}-{k}"))
        .collect();
    let dir = std::env::temp_dir().join(&prefix);
    std::fs::create_dir_all(&dir).unwrap();
    let (first, second) = (dir.join("first.mcap"), dir.join("second.mcap"));

    // 1. Record the writer process.
    let mut writer = spawn_writer(&prefix);
    for name in &names {
        wait_for(name);
    }
    let stats = {
        let mut started = false;
        let mut recorder_go = || {
            if !started {
                std::fs::write(format!("/dev/shm/{prefix}-go"), b"").unwrap();
                started = true;
            }
            writer.try_wait().unwrap().is_some()
        };
        record(&first, &names, &mut recorder_go)
    };
    assert!(writer.wait().unwrap().success());
    let counts: Vec<(u64, u64)> = stats.iter().map(|s| (s.messages, s.laps)).collect();
    // The SeqLock's value before the first store (version 0) is not recorded; each store is.
    assert_eq!(
        counts[1],
        (PUSHES, 0),
        "every ring value, no laps: {stats:?}"
    );
    assert_eq!(counts[2], (STAMPED, 0), "every series value: {stats:?}");
    assert_eq!(
        counts[0].0 + counts[0].1,
        STORES.div_ceil(8),
        "stores seen + lost: {stats:?}"
    );

    let info = rtshm_record::info(&first).unwrap();
    assert!(info.complete);
    assert_eq!(info.channels.len(), 3);
    assert_eq!(info.channels[1].messages, PUSHES);
    assert_eq!(info.channels[1].laps, Some(0));
    assert_eq!(info.channels[1].schema, "rtshm/msg/Sample");
    assert!(
        info.channels[1]
            .msg
            .starts_with("uint64 id\nVec3[2] points\nuint16 flags\n")
    );
    assert_eq!(info.channels[2].schema, "rtshm/msg/StampedVec3");

    // 2. Replay under other names, while a subscriber and a second recorder follow.
    let replayed: Vec<String> = names.iter().map(|n| format!("{n}-again")).collect();
    let mut options = ReplayOptions::new().delay(Duration::from_millis(500));
    for (from, to) in names.iter().zip(&replayed) {
        options = options.remap(from, to);
    }
    let replay = {
        let first = first.clone();
        std::thread::spawn(move || {
            rtshm_record::replay(&first, &options, &AtomicBool::new(false), |_| {})
        })
    };
    for name in &replayed {
        wait_for(name);
    }
    let ring = RingSubscriber::<Sample>::open(&replayed[1]).unwrap();
    let series = TimeSeriesSubscriber::<Vec3>::open(&replayed[2]).unwrap();
    let again = record(&second, &replayed, || replay.is_finished());
    let summary = replay.join().unwrap().unwrap();
    assert_eq!(
        summary.published.iter().map(|(_, n)| n).sum::<u64>(),
        counts.iter().map(|c| c.0).sum::<u64>()
    );

    // The subscriber reads what the writer wrote, in order; stamps preserved.
    let mut cursor = ring.cursor_from_oldest();
    let values: Vec<Sample> = ring.iter_from(&mut cursor).map(|v| v.unwrap()).collect();
    assert_eq!(values, (0..PUSHES).map(sample).collect::<Vec<_>>());
    let mut cursor = series.cursor_from_oldest();
    let stamped: Vec<Stamped<Vec3>> = series.iter_from(&mut cursor).map(|v| v.unwrap()).collect();
    assert_eq!(stamped.len() as u64, STAMPED);
    for (i, s) in stamped.iter().enumerate() {
        assert_eq!(
            (s.seq, s.value),
            (
                i as u64,
                Vec3 {
                    x: i as f32,
                    y: 0.0,
                    z: -(i as f32)
                }
            )
        );
    }

    // 3. The second recording holds the same messages, publish times (stamps) included.
    assert!(again.iter().all(|s| s.laps == 0), "{again:?}");
    let (a, b) = (messages(&first), messages(&second));
    for (name, re) in names.iter().zip(&replayed) {
        let (x, y) = (
            per_topic(&a, &format!("/{name}")),
            per_topic(&b, &format!("/{re}")),
        );
        if name.ends_with("-lock") {
            // The latest value when recording starts is recorded too: the second recording
            // starts before the replay's first store, so it holds the same stores.
            assert_eq!(
                x.iter().map(|m| &m.0).collect::<Vec<_>>(),
                y.iter().map(|m| &m.0).collect::<Vec<_>>()
            );
        } else if name.ends_with("-series") {
            assert_eq!(x, y, "data and stamps");
        } else {
            assert_eq!(
                x.iter().map(|m| &m.0).collect::<Vec<_>>(),
                y.iter().map(|m| &m.0).collect::<Vec<_>>()
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_looping_replay_keeps_time_series_stamps_increasing() {
    let name = format!("rtshm-rec-loop-{}", std::process::id());
    let path = std::env::temp_dir().join(format!("{name}.mcap"));
    let mut series = TimeSeriesPublisher::<Vec3>::create(&name, 64).unwrap();
    let mut recorder = Recorder::create(&path, RecordOptions::new()).unwrap();
    recorder.add(&name).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    for i in 0..10u64 {
        let stamp = Timestamp::from_nanos(5_000_000_000 + i * 1_000_000);
        series
            .push(&Stamped::new(
                stamp,
                i,
                Vec3 {
                    x: i as f32,
                    y: 0.0,
                    z: 0.0,
                },
            ))
            .unwrap();
    }
    std::thread::sleep(Duration::from_millis(200));
    recorder.write_pending(Duration::from_millis(10)).unwrap();
    assert_eq!(recorder.finish().unwrap().channels[0].messages, 10);
    drop(series);

    let again = format!("{name}-again");
    let options = ReplayOptions::new()
        .rate(0.0)
        .looping(true)
        .remap(&name, &again)
        .delay(Duration::from_millis(500));
    let stop = AtomicBool::new(false);
    let summary = std::thread::scope(|s| {
        let replay = s.spawn(|| {
            rtshm_record::replay(&path, &options, &stop, |n| {
                if n >= 25 {
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            })
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        let sub = loop {
            if let Ok(s) = TimeSeriesSubscriber::<Vec3>::open(&again) {
                break s;
            }
            if replay.is_finished() {
                panic!("replay ended first: {:?}", replay.join().unwrap());
            }
            assert!(Instant::now() < deadline, "never created");
            std::thread::sleep(Duration::from_millis(1));
        };
        let summary = replay
            .join()
            .unwrap()
            .expect("no NonMonotonic across rounds");
        let mut cursor = sub.cursor_from_oldest();
        let stamps: Vec<u64> = sub
            .iter_from(&mut cursor)
            .map(|v| v.unwrap().stamp.as_nanos())
            .collect();
        assert!(stamps.len() >= 20, "{stamps:?}");
        assert!(
            stamps.windows(2).all(|w| w[0] < w[1]),
            "stamps increase across rounds: {stamps:?}"
        );
        summary
    });
    assert_eq!(summary.published, vec![(again, 25)]);
    let _ = std::fs::remove_file(path);
}
