//! End-to-end tests of the `rtshm` binary against real segments: each
//! subcommand, corrupt segments, dead writers and missing names.
#![cfg(all(not(miri), not(rtshm_loom)))]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rtshm::layout::Kind;
use rtshm::layout::{self, OWNER_OFFSET};
use rtshm::liveness::OwnerToken;
use rtshm::shm::{
    CreateConfig, Inspector, OpenConfig, QueueConsumer, QueueProducer, RawPublisher, RawType,
    RingPublisher, SeqLockPublisher, TimeSeriesPublisher,
};
use rtshm::{Stamped, Timestamp};

// The root package's test helpers (segment names, poking bytes into a segment).
#[path = "../../tests/common/mod.rs"]
mod common;
use common::{poke, shm_name};

/// `list`, `gc` and the tests that leave corrupt or dead segments see each other's segments:
/// they run one at a time.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rtshm"))
}

/// Waits for `child`, killing it after 30 s so that a hung command fails the test instead of
/// hanging CI.
fn finish(mut child: Child) -> Output {
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("rtshm did not exit within 30 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

/// Runs `rtshm args...` to completion.
fn run(args: &[&str]) -> Output {
    let child = bin()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    finish(child)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts the exit code, showing the output when it differs.
fn assert_code(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(o),
        stderr(o)
    );
}

/// Asserts the exit code of `list` or `gc` over all of /dev/shm, where other programs' (or
/// earlier runs') corrupt segments may turn `expected` into 3: that is accepted only when none of
/// `ours` is reported corrupt.
fn assert_code_for_ours(o: &Output, expected: i32, ours: &[&str]) {
    if o.status.code() == Some(3) && expected != 3 {
        let reported = format!("{}{}", stdout(o), stderr(o));
        for line in reported
            .lines()
            .filter(|l| l.contains("invalid header") || l.contains("error:"))
        {
            assert!(
                !ours.iter().any(|n| line.contains(n)),
                "our segment reported corrupt: {line}"
            );
        }
        return;
    }
    assert_code(o, expected);
}

fn exists(name: &str) -> bool {
    std::path::Path::new("/dev/shm").join(name).exists()
}

/// Marks `name`'s writer as a process that is gone: the owner word names a child that has
/// already been reaped.
fn kill_writer(name: &str) {
    let mut child = bin()
        .arg("--version")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    child.wait().unwrap();
    poke(
        name,
        OWNER_OFFSET as u64,
        &OwnerToken::new(pid, 1).to_raw().to_ne_bytes(),
    );
}

fn pid() -> u32 {
    std::process::id()
}

#[test]
fn list_shows_every_segment_with_kind_sizes_writes_and_writer() {
    let _serial = serial();
    let (a, b) = (shm_name("cli-list-lock"), shm_name("cli-list-ring"));
    let mut lock = SeqLockPublisher::<[f64; 3]>::create(&a).unwrap();
    let mut ring = RingPublisher::<u32>::create(&b, 8).unwrap();
    lock.store(&[1.0; 3]);
    for v in 0..5 {
        ring.push(&v);
    }

    let o = run(&["list"]);
    assert_code_for_ours(&o, 0, &[&a, &b]);
    let out = stdout(&o);
    let row = |name: &str| {
        let line = out.lines().find(|l| l.starts_with(name)).unwrap_or("");
        line.split_whitespace()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert!(out.starts_with("NAME "), "{out}");
    // NAME KIND PAYLOAD CAP WRITES WRITER PID HEARTBEAT (3 words: "2.7 ms ago") CREATED
    let lock_row = row(&a);
    assert_eq!(
        &lock_row[1..7],
        ["SeqLock", "24", "1", "1", "alive", &pid().to_string()]
    );
    let ring_row = row(&b);
    assert_eq!(
        &ring_row[1..7],
        ["Ring", "4", "8", "5", "alive", &pid().to_string()]
    );
    assert!(
        ring_row[7].parse::<f64>().is_ok() && ring_row[10].ends_with('Z'),
        "{ring_row:?}"
    );

    let o = run(&["list", "--json"]);
    assert_code_for_ours(&o, 0, &[&a, &b]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ring = json
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == b.as_str())
        .unwrap();
    let want = serde_json::json!({
        "kind": "Ring", "payload_size": 4, "capacity": 8, "writes": 5, "writer": "alive",
        "pid": pid(), "epoch": 0,
    });
    for (key, value) in want.as_object().unwrap() {
        assert_eq!(&ring[key], value, "{key} in {ring}");
    }
}

#[test]
fn show_prints_the_header_writer_latest_value_and_series_window() {
    let n = shm_name("cli-show");
    let mut series = TimeSeriesPublisher::<[f32; 3]>::create(&n, 8).unwrap();
    for i in 0..5u64 {
        let stamp = Timestamp::from_nanos(1_000_000_000 + i * 10_000_000);
        series
            .push(&Stamped::new(stamp, 100 + i, [i as f32, 0.5, -2.0]))
            .unwrap();
    }
    let o = run(&["show", &n, "--sample-ms", "0"]);
    assert_code(&o, 0);
    let out = stdout(&o);
    let fingerprint = layout::fingerprint::<[f32; 3]>();
    for want in [
        format!("name         {n}\n"),
        "kind         TimeSeries (8 slots)\n".to_owned(),
        "payload      32 bytes, align 8 (value 12 bytes)\n".to_owned(),
        format!("fingerprint  {fingerprint:#018x}\n"),
        "schema       [f32; 3], 12 bytes (`rtshm schema ".to_owned(),
        format!(
            "layout       version {}, data at 131072",
            layout::LAYOUT_VERSION
        ),
        "clock        Monotonic\n".to_owned(),
        format!("writer       alive, pid {}, heartbeat ", pid()),
        "writes       5\n".to_owned(),
        "latest       #4 (stamp 1.040000000s, seq 104)\n".to_owned(),
        // The value [4.0, 0.5, -2.0] by its schema.
        "  value  [4.0, 0.5, -2.0]\n".to_owned(),
        "series       #0..#4 (5 values), stamps 1.000 s..1.040 s: 40.0 ms at 100.0 Hz\n".to_owned(),
    ] {
        assert!(out.contains(&want), "missing {want:?} in:\n{out}");
    }
}

/// What a bridge's import writes: a remote clock and a count of values lost upstream.
#[test]
fn show_marks_an_imported_segment_and_its_upstream_losses() {
    let n = shm_name("cli-imported");
    let remote = CreateConfig::new().clock(rtshm::Clock::Monotonic.remote());
    let mut ring = RingPublisher::<[u32; 2]>::create_with(&n, 8, remote).unwrap();
    ring.push(&[1, 2]);
    ring.persist();
    drop(ring);
    // Taken over as a bridge's import does it: untyped, from the segment's own schema.
    let view = Inspector::open(&n).unwrap();
    let ty = RawType::described(Kind::Ring, view.schema().unwrap().to_buf())
        .with_id(view.header().fingerprint);
    let mut publisher = RawPublisher::open_existing(&n, &ty, OpenConfig::new()).unwrap();
    publisher.add_lost_upstream(3);
    let o = run(&["show", &n, "--sample-ms", "0"]);
    assert_code(&o, 0);
    let out = stdout(&o);
    for want in [
        "clock        RemoteMonotonic (stamps from another host: imported)\n",
        "lost         3 upstream (before they reached this writer)\n",
        "writes       1\n",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
}

/// `rtshm bridge` runs `rtshm-bridge`; without it, says how to install it.
#[test]
fn bridge_without_rtshm_bridge_installed_says_how_to_get_it() {
    let o = bin()
        .args(["bridge", "--help"])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert_code(&o, 1);
    assert!(
        stderr(&o).contains("cargo install --path integrations/bridge"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_queue_shows_both_sides_and_is_listed_but_never_read() {
    let _serial = serial();
    let n = shm_name("cli-queue");
    let mut producer = QueueProducer::<u32>::create(&n, 16).unwrap();
    producer.push_slice(&[1, 2, 3, 4, 5]);
    let mut consumer = QueueConsumer::<u32>::open(&n).unwrap();
    assert_eq!(consumer.try_pop(), Some(1));
    let o = run(&["show", &n, "--sample-ms", "0"]);
    assert_code(&o, 0);
    let out = stdout(&o);
    for want in [
        "kind         Queue (16 slots)\n".to_owned(),
        "writes       5\n".to_owned(),
        "queue        1 popped, 4 waiting of 16\n".to_owned(),
        format!("consumer     alive, pid {}, heartbeat ", pid()),
    ] {
        assert!(out.contains(&want), "missing {want:?} in:\n{out}");
    }
    let o = run(&["list"]);
    assert!(
        stdout(&o)
            .lines()
            .any(|l| l.contains(&n) && l.contains("Queue")),
        "{}",
        stdout(&o)
    );
    // Reading values would not pop them: dump and watch refuse, saying what to use.
    let o = run(&["dump", &n, "--count", "1"]);
    assert_code(&o, 1);
    assert!(stderr(&o).contains("is a queue"), "{}", stderr(&o));
}

#[test]
fn dump_streams_values_as_hex_raw_and_json() {
    let n = shm_name("cli-dump");
    let mut ring = RingPublisher::<u32>::create(&n, 16).unwrap();
    for v in 0..10u32 {
        ring.push(&(v * 3));
    }
    let o = run(&[
        "dump", &n, "--from", "oldest", "--count", "10", "--format", "raw",
    ]);
    assert_code(&o, 0);
    let want: Vec<u8> = (0..10u32).flat_map(|v| (v * 3).to_ne_bytes()).collect();
    assert_eq!(o.stdout, want);

    let o = run(&["dump", &n, "--count", "1"]);
    assert_code(&o, 0);
    assert_eq!(stdout(&o), "#9 27\n");
    let o = run(&["dump", &n, "--count", "1", "--format", "hex"]);
    assert_code(&o, 0);
    assert_eq!(stdout(&o), "#9 1b000000\n");

    let o = run(&[
        "dump", &n, "--from", "oldest", "--count", "2", "--format", "json",
    ]);
    assert_code(&o, 0);
    assert_eq!(stdout(&o), "{\"n\":0,\"value\":0}\n{\"n\":1,\"value\":3}\n");

    // Values written while the dump waits are streamed as they come.
    let child = bin()
        .args([
            "dump",
            &n,
            "--from",
            "next",
            "--count",
            "3",
            "--timeout",
            "20",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    for v in [100u32, 101, 102] {
        ring.push(&v);
    }
    let o = finish(child);
    assert_code(&o, 0);
    assert_eq!(stdout(&o), "#10 100\n#11 101\n#12 102\n");

    let o = run(&["dump", &n, "--from", "next", "--timeout", "0.2"]);
    assert_code(&o, 1);
    assert!(stderr(&o).contains("no new value for"), "{}", stderr(&o));
}

#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
#[repr(C)]
struct Vec3 {
    x: f32,
    y: f32,
    z: f32,
}

#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
#[repr(C)]
struct Imu {
    stamp_ns: u64,
    accel: [f32; 3],
    gyro: Vec3,
    temp: i16,
    status: u16,
    count: u32,
}

#[test]
fn show_dump_and_schema_print_named_fields() {
    let n = shm_name("cli-imu");
    let mut imu = SeqLockPublisher::<Imu>::create(&n).unwrap();
    imu.store(&Imu {
        stamp_ns: 1_700_000_000_123,
        accel: [0.1, -0.2, 9.81],
        gyro: Vec3 {
            x: 0.0,
            y: 0.5,
            z: -1.25,
        },
        temp: -12,
        status: 3,
        count: 42,
    });
    let o = run(&["show", &n, "--json"]);
    assert_code(&o, 0);
    assert_eq!(
        stdout(&o),
        "{\"stamp_ns\":1700000000123,\"accel\":[0.1,-0.2,9.81],\
         \"gyro\":{\"x\":0.0,\"y\":0.5,\"z\":-1.25},\"temp\":-12,\"status\":3,\"count\":42}\n"
    );
    let o = run(&["show", &n, "--sample-ms", "0"]);
    assert_code(&o, 0);
    let out = stdout(&o);
    for want in [
        "schema       Imu, 6 fields, 40 bytes",
        "  stamp_ns  1700000000123\n",
        "  accel     [0.1, -0.2, 9.81]\n",
        "  gyro.z    -1.25\n",
        "  temp      -12\n",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    let o = run(&["show", &n, "--sample-ms", "0", "--format", "hex"]);
    assert!(stdout(&o).contains("  00000000  7b "), "{}", stdout(&o));
    let o = run(&["dump", &n, "--count", "1"]);
    assert_eq!(
        stdout(&o),
        "#0 stamp_ns=1700000000123 accel=[0.1, -0.2, 9.81] gyro={x: 0.0, y: 0.5, z: -1.25} \
         temp=-12 status=3 count=42\n"
    );
    let o = run(&["schema", &n]);
    assert_code(&o, 0);
    assert_eq!(
        stdout(&o),
        "uint64 stamp_ns\nfloat32[3] accel\nVec3 gyro\nint16 temp\nuint16 status\nuint32 count\n\
         ================================================================================\n\
         MSG: rtshm/Vec3\nfloat32 x\nfloat32 y\nfloat32 z\n"
    );
    let o = run(&["schema", &n, "--json"]);
    assert_code(&o, 0);
    let schema: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(schema["name"], "Imu");
    assert_eq!(schema["fields"][1]["name"], "accel");
    assert_eq!(schema["fields"][1]["offset"], 8);
    assert_eq!(schema["fields"][1]["type"]["len"], 3);
    assert_eq!(schema["fields"][2]["type"]["fields"][2]["name"], "z");

    // A time series value comes with its stamp and sequence number.
    let s = shm_name("cli-imu-series");
    let mut series = TimeSeriesPublisher::<Vec3>::create(&s, 4).unwrap();
    series
        .push(&Stamped::new(
            Timestamp::from_nanos(5),
            9,
            Vec3 {
                x: 1.0,
                y: 2.0,
                z: 3.0,
            },
        ))
        .unwrap();
    let o = run(&["show", &s, "--json"]);
    assert_eq!(
        stdout(&o),
        "{\"stamp_ns\":5,\"seq\":9,\"value\":{\"x\":1.0,\"y\":2.0,\"z\":3.0}}\n"
    );
    let o = run(&["dump", &s, "--count", "1", "--format", "json"]);
    assert_eq!(
        stdout(&o),
        "{\"n\":0,\"stamp_ns\":5,\"seq\":9,\"value\":{\"x\":1.0,\"y\":2.0,\"z\":3.0}}\n"
    );
}

#[test]
fn dump_stops_quietly_when_its_reader_closes_the_pipe() {
    let n = shm_name("cli-dump-pipe");
    let mut ring = RingPublisher::<[u8; 4096]>::create(&n, 64).unwrap();
    for v in 0..64u8 {
        ring.push(&[v; 4096]);
    }
    let mut child = bin()
        .args(["dump", &n, "--from", "oldest", "--format", "raw"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = vec![0u8; 4096];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // stdout is dropped here: the next write fails with EPIPE.
    assert_eq!(first, [0u8; 4096]);
    let o = finish(child);
    assert_code(&o, 0);
    assert_eq!(stderr(&o), "");
}

#[test]
fn watch_refreshes_and_exits_cleanly_on_ctrl_c() {
    let n = shm_name("cli-watch");
    let mut ring = RingPublisher::<u64>::create(&n, 4).unwrap();
    let mut child = bin()
        .args(["watch", &n, "--interval-ms", "100"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The first refresh is printed after the signal handlers are installed.
    let mut lines = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    lines.read_line(&mut first).unwrap();
    let start = Instant::now();
    let mut v = 0u64;
    while start.elapsed() < Duration::from_millis(600) {
        ring.push(&v);
        v += 1;
        std::thread::sleep(Duration::from_micros(500));
    }
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let mut rest = String::new();
    lines.read_to_string(&mut rest).unwrap();
    let o = finish(child);
    assert_code(&o, 0);
    let out = first + &rest;
    // Not a terminal: one line per refresh, then the summary.
    let first = out.lines().next().unwrap_or("");
    assert!(
        first.starts_with(&format!("{n}: measuring, written ")),
        "{out}"
    );
    assert!(out.contains(" Hz, written "), "{out}");
    assert!(out.contains("writer alive"), "{out}");
    let summary = out.lines().last().unwrap_or("");
    assert!(summary.starts_with(&format!("watched {n} for ")), "{out}");
    assert!(summary.contains("values read"), "{out}");

    let o = run(&["watch", &n, "--interval-ms", "20", "--iterations", "2"]);
    assert_code(&o, 0);
    assert_eq!(stdout(&o).lines().count(), 3, "{}", stdout(&o));
}

#[test]
fn rm_removes_segments_but_not_live_writers_or_foreign_files() {
    let _serial = serial();
    let n = shm_name("cli-rm");
    let _live = SeqLockPublisher::<u64>::create(&n).unwrap();
    let o = run(&["rm", &n]);
    assert_code(&o, 3);
    assert!(
        stderr(&o).contains("is alive; not removed"),
        "{}",
        stderr(&o)
    );
    assert!(exists(&n));
    let o = run(&["rm", "--force", &n]);
    assert_code(&o, 0);
    assert_eq!(stdout(&o), format!("removed {n}\n"));
    assert!(!exists(&n));

    let foreign = shm_name("cli-rm-foreign");
    std::fs::write(format!("/dev/shm/{foreign}"), [7u8; 4096]).unwrap();
    let o = run(&["rm", &foreign]);
    assert_code(&o, 1);
    assert!(
        stderr(&o).contains("not an rtshm segment"),
        "{}",
        stderr(&o)
    );
    assert!(exists(&foreign));
    std::fs::remove_file(format!("/dev/shm/{foreign}")).unwrap();

    let o = run(&["rm", &shm_name("cli-rm-absent")]);
    assert_code(&o, 1);
    assert!(stderr(&o).contains("no such segment"), "{}", stderr(&o));
}

#[test]
fn gc_removes_only_segments_whose_writer_died() {
    let _serial = serial();
    let (dead, alive, unowned) = (
        shm_name("cli-gc-dead"),
        shm_name("cli-gc-alive"),
        shm_name("cli-gc-unowned"),
    );
    let mut d = RingPublisher::<u64>::create(&dead, 4).unwrap();
    d.persist();
    kill_writer(&dead);
    drop(d);
    let _a = RingPublisher::<u64>::create(&alive, 4).unwrap();
    let mut u = SeqLockPublisher::<u64>::create(&unowned).unwrap();
    u.persist();
    drop(u); // a clean exit: unowned, kept on purpose

    // Only our segments: never collect what other programs (or other tests) left in /dev/shm.
    let o = run(&["gc", "--dry-run", &dead, &alive, &unowned]);
    assert_code(&o, 0);
    assert!(
        stdout(&o).contains(&format!("would remove {dead} (writer pid ")),
        "{}",
        stdout(&o)
    );
    assert!(exists(&dead));

    let o = run(&["gc", &dead, &alive, &unowned]);
    assert_code(&o, 0);
    let out = stdout(&o);
    assert!(
        out.contains(&format!("removed {dead} (writer pid ")),
        "{out}"
    );
    assert!(!out.contains(&alive) && !out.contains(&unowned), "{out}");
    assert!(!exists(&dead) && exists(&alive) && exists(&unowned));
    rtshm::shm::remove(&unowned).unwrap();
}

#[test]
fn corrupt_segments_are_reported_without_hiding_the_others() {
    let _serial = serial();
    let (good, bad) = (shm_name("cli-corrupt-good"), shm_name("cli-corrupt-bad"));
    let _good = RingPublisher::<u64>::create(&good, 4).unwrap();
    let _bad = RingPublisher::<u64>::create(&bad, 4).unwrap();
    // Capacity 3: not a power of two.
    poke(&bad, 32, &3u64.to_ne_bytes());

    let o = run(&["list"]);
    assert_code(&o, 3);
    let out = stdout(&o);
    let line = |name: &str| {
        out.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or("")
            .to_owned()
    };
    assert!(line(&good).contains("Ring"), "{out}");
    assert!(
        line(&bad).contains("error: segment capacity is invalid"),
        "{out}"
    );
    assert!(stderr(&o).contains("1 segment(s) have an invalid header"));

    let o = run(&["list", "--json"]);
    assert_code(&o, 3);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let entry = json
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == bad.as_str())
        .unwrap();
    assert!(
        entry["error"]
            .as_str()
            .unwrap()
            .starts_with("segment capacity"),
        "{entry}"
    );

    let o = run(&["show", &bad]);
    assert_code(&o, 1);
    assert!(stderr(&o).contains("capacity"), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");

    // gc keeps a corrupt segment and says so with exit code 3 (README, "Exit codes").
    let o = run(&["gc", &good, &bad]);
    assert_code(&o, 3);
    assert!(
        stderr(&o).contains(&format!("{bad}: kept, invalid header")),
        "{}",
        stderr(&o)
    );
    assert!(exists(&good) && exists(&bad));
}

#[test]
fn missing_and_invalid_names_give_a_clear_message_and_a_non_zero_exit() {
    let absent = shm_name("cli-absent");
    for args in [
        vec!["show", &absent],
        vec!["dump", &absent],
        vec!["watch", &absent],
    ] {
        let o = run(&args);
        assert_code(&o, 1);
        assert_eq!(
            stderr(&o),
            format!("rtshm: no segment named '{absent}' in /dev/shm (`rtshm list` shows them)\n")
        );
    }
    let o = run(&["show", "../etc/passwd"]);
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("is not a segment name"),
        "{}",
        stderr(&o)
    );
    let o = run(&["frobnicate"]);
    assert_code(&o, 2);
}

// ---- hostile conditions (issue 18) --------------------------------------------------------

#[test]
fn a_fifo_under_a_segment_name_never_hangs_the_cli() {
    let _guard = serial();
    let n = shm_name("cli-fifo");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        format!("/dev/shm/{n}").as_str(),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    for args in [
        vec!["show", n.as_str()],
        vec!["dump", n.as_str(), "--count", "1"],
        vec!["watch", n.as_str(), "--iterations", "1"],
    ] {
        // `finish` fails the test if the command hangs.
        let o = run(&args);
        assert_code(&o, 1);
        assert!(
            stderr(&o).contains("is a FIFO, not a segment"),
            "{}",
            stderr(&o)
        );
    }
    std::fs::remove_file(format!("/dev/shm/{n}")).unwrap();
}

#[test]
fn sigterm_and_sigint_end_the_cli_outside_its_loops_too() {
    let _guard = serial();
    let n = shm_name("cli-signal");
    let _p = SeqLockPublisher::<u64>::create(&n).unwrap();
    for (signal, code) in [
        (rustix::process::Signal::TERM, 143),
        (rustix::process::Signal::INT, 130),
    ] {
        // `show` sleeps 10 s to measure the write rate: not a loop that checks a flag.
        let child = bin()
            .args(["show", &n, "--sample-ms", "10000"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let started = Instant::now();
        let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
        rustix::process::kill_process(pid, signal).unwrap();
        let o = finish(child);
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_code(&o, code);
    }
}

#[test]
fn rm_refuses_a_live_writers_segment_even_with_an_invalid_header() {
    let _guard = serial();
    let n = shm_name("cli-rm-invalid");
    let mut p = SeqLockPublisher::<u64>::create(&n).unwrap();
    p.persist();
    // A patched layout version: the header no longer validates, the owner word still names us.
    poke(&n, 8, &99u32.to_le_bytes());
    let o = run(&["rm", &n]);
    assert_code(&o, 3);
    assert!(
        stderr(&o).contains(&format!("writer pid {} is alive", pid())),
        "{}",
        stderr(&o)
    );
    assert!(exists(&n));
    assert_code(&run(&["rm", &n, "--force"]), 0);
    assert!(!exists(&n));
}

#[test]
fn rm_as_another_user_says_permission_denied() {
    let _guard = serial();
    let root = rustix::process::geteuid().is_root();
    let setpriv = std::path::Path::new("/usr/bin/setpriv").exists();
    if !root || !setpriv {
        eprintln!("skipped: needs root and setpriv to run rtshm as another user");
        return;
    }
    let n = shm_name("cli-rm-other");
    let _p = SeqLockPublisher::<u64>::create(&n).unwrap();
    let o = Command::new("/usr/bin/setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_rtshm"))
        .args(["rm", &n])
        .output()
        .unwrap();
    assert_code(&o, 1);
    assert!(stderr(&o).contains("permission denied"), "{}", stderr(&o));
    assert!(exists(&n));
}

#[test]
#[cfg(target_pointer_width = "64")]
fn show_reads_only_what_it_shows_of_a_huge_value() {
    let _guard = serial();
    // A 1 GiB SeqLock value in a sparse file, with one completed store (sequence 2).
    let n = shm_name("cli-huge");
    let size = 1usize << 30;
    let g = layout::Geometry::of_raw(layout::Kind::SeqLock, size, 8, size, 1).unwrap();
    let mut h = layout::header_for(&g, 1, rtshm::Clock::Monotonic, 0);
    h.layout_version = layout::LAYOUT_VERSION;
    let file = std::fs::File::create(format!("/dev/shm/{n}")).unwrap();
    file.set_len(g.total_len as u64).unwrap();
    use std::os::unix::fs::FileExt;
    file.write_all_at(bytemuck::bytes_of(&h), 0).unwrap();
    file.write_all_at(&2u64.to_ne_bytes(), layout::DATA_OFFSET as u64)
        .unwrap();
    let used = || {
        let st = rustix::fs::statvfs("/dev/shm").unwrap();
        (st.f_blocks - st.f_bfree) * st.f_frsize
    };
    let before = used();
    let o = run(&["show", &n, "--bytes", "16", "--sample-ms", "0"]);
    assert_code(&o, 0);
    assert!(stdout(&o).contains("latest       #0"), "{}", stdout(&o));
    let grown = used().saturating_sub(before);
    assert!(grown < 64 << 20, "show made /dev/shm grow by {grown} bytes");
    let o = run(&["dump", &n, "--count", "1"]);
    assert_code(&o, 1);
    assert!(stderr(&o).contains("above --max-bytes"), "{}", stderr(&o));
    std::fs::remove_file(format!("/dev/shm/{n}")).unwrap();
}

#[test]
fn watch_stops_with_an_error_when_the_segment_is_truncated() {
    let _guard = serial();
    let n = shm_name("cli-truncate");
    let mut ring = RingPublisher::<u64>::create(&n, 4).unwrap();
    ring.push(&1);
    let mut child = bin()
        .args(["watch", &n, "--interval-ms", "20"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(format!("/dev/shm/{n}"))
        .unwrap()
        .set_len(4096)
        .unwrap();
    let o = finish(child);
    assert_code(&o, 1);
    assert!(
        stderr(&o).contains("truncated to 4096 bytes"),
        "{}",
        stderr(&o)
    );
    // The publisher's own next access would fault (the README's limit): not dropped.
    std::mem::forget(ring);
    std::fs::remove_file(format!("/dev/shm/{n}")).unwrap();
}
