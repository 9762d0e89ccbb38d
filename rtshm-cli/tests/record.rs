//! `rtshm record`, `replay` and `info` end to end (feature `record`): a killed recorder leaves
//! a readable file, a lapped one counts exactly what it lost, replay refuses a live writer's
//! name.
#![cfg(all(feature = "record", not(miri)))]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rtshm::shm::{Inspector, RingPublisher, RingSubscriber, SeqLockPublisher};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rtshm"))
}

fn name(test: &str) -> String {
    format!("rtshm-test-{}-{test}", std::process::id())
}

fn run(args: &[&str]) -> (i32, String, String) {
    let o = bin().args(args).stdin(Stdio::null()).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn file(test: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("{}.mcap", name(test)))
}

/// Waits until the recorder has opened `segment` (it registers as a waiter, so its follower
/// shows in nothing we can see: give it time, then check the file grows).
fn settle() {
    std::thread::sleep(Duration::from_millis(400));
}

#[test]
fn record_info_and_replay_a_ring() {
    let n = name("rec-ring");
    let out = file("rec-ring");
    let mut ring = RingPublisher::<[u32; 4]>::create(&n, 256).unwrap();
    let recorder = bin()
        .args([
            "record",
            "-o",
            out.to_str().unwrap(),
            "--duration",
            "1.5",
            &n,
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    settle();
    for i in 0..200u32 {
        ring.push(&[i, i + 1, i + 2, i + 3]);
        std::thread::sleep(Duration::from_micros(500));
    }
    let o = recorder.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{text}");
    assert!(
        text.contains(&format!("/{n}")) && text.contains("200 messages"),
        "{text}"
    );

    let (code, info, _) = run(&["info", out.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(info.contains("channels  1"), "{info}");
    assert!(info.contains("200 messages  laps 0"), "{info}");
    assert!(info.contains("Ring x256"), "{info}");

    // Into the same name while its writer lives: refused, with the way out.
    let (code, _, err) = run(&["replay", out.to_str().unwrap(), "--rate", "0"]);
    assert_eq!(code, 1);
    assert!(err.contains("--remap"), "{err}");
    // Remapped: a subscriber opened during the delay reads every value in order.
    let again = format!("{n}-again");
    let remap = format!("{n}={again}");
    let replay = bin()
        .args([
            "replay",
            out.to_str().unwrap(),
            "--rate",
            "0",
            "--delay",
            "1",
            "--remap",
            &remap,
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let sub = loop {
        if let Ok(s) = RingSubscriber::<[u32; 4]>::open(&again) {
            break s;
        }
        assert!(Instant::now() < deadline, "replay never created {again}");
        std::thread::sleep(Duration::from_millis(5));
    };
    let o = replay.wait_with_output().unwrap();
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("{again}: 200 values")));
    let mut cursor = sub.cursor_from_oldest();
    let got: Vec<[u32; 4]> = sub.iter_from(&mut cursor).map(Result::unwrap).collect();
    assert_eq!(
        got,
        (0..200u32)
            .map(|i| [i, i + 1, i + 2, i + 3])
            .collect::<Vec<_>>()
    );
    let _ = std::fs::remove_file(out);
}

#[test]
fn a_lapped_recorder_reports_exactly_what_it_lost() {
    let n = name("rec-lapped");
    let out = file("rec-lapped");
    // A ring of 4 filled in bursts far faster than the recorder's thread is scheduled.
    let mut ring = RingPublisher::<u64>::create(&n, 4).unwrap();
    let recorder = bin()
        .args(["record", "-o", out.to_str().unwrap(), "--duration", "2", &n])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    settle();
    let total = 200_000u64;
    for i in 0..total {
        ring.push(&i);
    }
    let o = recorder.wait_with_output().unwrap();
    assert!(o.status.success());
    let (_, info, _) = run(&["info", out.to_str().unwrap()]);
    let line = info
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("/{n} ")))
        .unwrap();
    let words: Vec<&str> = line.split_whitespace().collect();
    let messages: u64 = words[1].parse().unwrap();
    let laps: u64 = words[4].parse().unwrap_or_else(|_| panic!("{info}"));
    assert!(laps > 0, "the burst must lap a ring of 4: {line}");
    assert_eq!(
        messages + laps,
        total,
        "every value recorded or counted lost: {line}"
    );
    let _ = std::fs::remove_file(out);
}

#[test]
fn a_killed_recorder_leaves_a_file_readable_up_to_its_last_chunk() {
    let n = name("rec-killed");
    let out = file("rec-killed");
    let mut lock = SeqLockPublisher::<[u8; 4096]>::create(&n).unwrap();
    let mut recorder = bin()
        .args([
            "record",
            "-o",
            out.to_str().unwrap(),
            "--compression",
            "none",
            &n,
        ])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    settle();
    // 4 KiB values: 4 MiB chunks fill after about a thousand stores.
    for i in 0..3000u32 {
        lock.store(&[(i % 251) as u8; 4096]);
        std::thread::sleep(Duration::from_micros(300));
    }
    std::thread::sleep(Duration::from_millis(200));
    recorder.kill().unwrap(); // SIGKILL: no summary, no last chunk
    recorder.wait().unwrap();
    let (code, info, err) = run(&["info", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(info.contains("summary   missing"), "{info}");
    let line = info
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("/{n} ")))
        .unwrap();
    let messages: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(messages >= 1000, "at least the first full chunk: {line}");
    assert!(Inspector::open(&n).is_ok());
    let _ = std::fs::remove_file(out);
}
