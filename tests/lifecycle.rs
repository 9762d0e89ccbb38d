//! The segment lifecycle against hostile conditions, with real processes: racing creators,
//! creators and waiters killed at the wrong moment, zombies, other PID namespaces, files that
//! are not segments, a full file system, and removal racing takeover (issue 18; README "When a
//! publisher crashes"). Each test names the defect it guards against.
#![cfg(all(feature = "std", not(rtshm_loom), not(miri)))]
#![allow(clippy::disallowed_types)] // test scaffolding: plain std atomics and channels

mod common;

use std::fs;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::process::Child;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::{scaled, spawn_child, spawn_child_env};
use rtshm::Version;
use rtshm::layout::{self, Geometry, Kind, LAYOUT_VERSION, LayoutError, NOTIFY_OFFSET};
use rtshm::liveness::{OwnerToken, WriterStatus};
use rtshm::shm::{
    self, CreateConfig, CreateError, Inspector, OpenConfig, OpenError, Publisher, RingKind,
    RingPublisher, RingSubscriber, SeqLockKind, SeqLockPublisher, SeqLockSubscriber, Subscriber,
    TakeoverError,
};

/// `remove_dead` removes every dead writer's segment on the machine: tests that leave dead
/// segments behind on purpose, and the one that runs it, take turns.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn name(test: &str) -> String {
    format!("rtshm-life-{}-{test}", std::process::id())
}

fn path(name: &str) -> String {
    format!("/dev/shm/{name}")
}

type Value = SeqLockKind<u64>;

/// Runs `f` on a thread and fails the test if it has not returned within `limit`: a hang is
/// the defect some of these tests guard against.
fn within<R: Send + 'static>(limit: Duration, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("did not return within {limit:?}"))
}

/// Waits until `cond` holds, or fails after 20 s.
fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(2));
    }
}

/// SIGKILLs `child` and reaps it.
fn kill(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// The process state letter of `pid` (field 3 of `/proc/<pid>/stat`).
fn state_of(pid: u32) -> Option<char> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

/// The futex word of a named segment, read from its file.
fn notify_word(name: &str) -> u32 {
    use std::os::unix::fs::FileExt;
    let mut word = [0u8; 4];
    fs::File::open(path(name))
        .unwrap()
        .read_exact_at(&mut word, NOTIFY_OFFSET as u64)
        .unwrap();
    u32::from_ne_bytes(word)
}

/// Writes `bytes` as the file `/dev/shm/<name>` (a crafted or half-made object).
fn plant(name: &str, bytes: &[u8], len: u64) {
    let mut f = fs::File::create(path(name)).unwrap();
    f.write_all(bytes).unwrap();
    f.set_len(len).unwrap();
}

/// A SeqLock<u64> header as a creator writes it, with `version` and the owner `owner`.
fn header_bytes(version: u32, owner: OwnerToken) -> (Vec<u8>, u64) {
    let g = Geometry::of::<u64>(Kind::SeqLock, 1).unwrap();
    let mut h = layout::header_for(&g, layout::fingerprint::<u64>(), rtshm::Clock::Monotonic, 0);
    h.layout_version = version;
    let mut bytes = bytemuck::bytes_of(&h).to_vec();
    bytes.resize(layout::OWNER_OFFSET, 0);
    bytes.extend_from_slice(&owner.to_raw().to_ne_bytes());
    (bytes, g.total_len as u64)
}

/// A token of a process that has exited (and been reaped).
fn dead_token() -> OwnerToken {
    let mut child = spawn_child("exit", "");
    let pid = child.id();
    child.wait().unwrap();
    OwnerToken::new(pid, 12345)
}

/// The child side. A no-op unless started by `spawn_child`.
#[test]
fn child_process_entry() {
    let Ok(spec) = std::env::var("RTSHM_CHILD") else {
        return;
    };
    let (role, arg) = spec.split_once(':').expect("role:arg");
    match role {
        "exit" => {}
        // Holds a publisher until killed.
        "hold" => {
            let _p = Publisher::<Value>::create_or_recover(arg).unwrap();
            thread::sleep(Duration::from_secs(60));
        }
        // Races `create_or_recover` on `<base>-<i>` each time the parent stores i + 1 in
        // `<base>-go` (both racers wake from one futex wake, so they collide), keeping what it
        // wins; pushes 1 (won) or 2 (writer alive) to its ring `<base>-r<k>`.
        "race" => {
            let (base, k) = arg.split_once('@').unwrap();
            let mut results = RingPublisher::<u8>::create(&format!("{base}-r{k}"), 4096).unwrap();
            let go = loop {
                match Subscriber::<Value>::open(&format!("{base}-go")) {
                    Ok(go) => break go,
                    Err(_) => thread::sleep(Duration::from_millis(1)),
                }
            };
            let mut won = Vec::new();
            let mut seen = Version::INITIAL;
            while let Ok((round, version)) = go.wait_newer(seen, Duration::from_secs(30)) {
                seen = version;
                match Publisher::<Value>::create_or_recover(&format!("{base}-{}", round - 1)) {
                    Ok(p) => {
                        won.push(p);
                        results.push(&1);
                    }
                    Err(TakeoverError::WriterAlive { .. }) => {
                        results.push(&2);
                    }
                    Err(e) => panic!("race {round}: {e}"),
                }
            }
        }
        // Waits on a segment until killed.
        "waiter" => {
            let sub = Subscriber::<Value>::open(arg).unwrap();
            let _ = sub.wait_newer(sub.version(), Duration::from_secs(60));
        }
        // A creator killed during initialisation, as rtshm before layout 3 could leave it:
        // an empty object, or a header without its version naming this process as owner.
        "half-create" => {
            let (what, name) = arg.split_once('@').unwrap();
            if what == "empty" {
                plant(name, &[], 0);
            } else {
                let (bytes, len) = header_bytes(0, OwnerToken::current());
                plant(name, &bytes, len);
            }
            thread::sleep(Duration::from_secs(60));
        }
        // One side of a store/wait ping-pong: `<base>@first@<n>` stores 1..=n on `<base>-a`,
        // each after `<base>-b` echoed the one before; `<base>@second@<n>` echoes. Exits 3
        // if a wait outlived the other side's store by more than 50 ms (a lost wake-up sleeps
        // until the 5 s timeout), printing the count and the slowest wait.
        "pingpong" => {
            let mut parts = arg.split('@');
            let (base, side, n) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap().parse::<u64>().unwrap(),
            );
            let (mine, theirs) = match side {
                "first" => ("a", "b"),
                _ => ("b", "a"),
            };
            let mut out = Publisher::<Value>::create(&format!("{base}-{mine}")).unwrap();
            let input = loop {
                match Subscriber::<Value>::open(&format!("{base}-{theirs}")) {
                    Ok(s) => break s,
                    Err(_) => thread::sleep(Duration::from_millis(1)),
                }
            };
            const LOST: Duration = Duration::from_secs(1);
            let (mut late, mut slowest) = (0u64, Duration::ZERO);
            let mut seen = Version::INITIAL;
            // Waits for the other side's value `want` (stored after `since`).
            let mut wait_for = |want: u64, since: Instant| loop {
                match input.wait_newer(seen, Duration::from_secs(5)) {
                    Ok((v, version)) => {
                        seen = version;
                        if v >= want {
                            let took = since.elapsed();
                            slowest = slowest.max(took);
                            // A lost wake-up sleeps the wait's whole 5 s (nothing polls);
                            // a scheduler stall on a loaded 2-core machine lasts tens of ms.
                            if took > LOST {
                                late += 1;
                            }
                            return v;
                        }
                    }
                    Err(_) => late += 1,
                }
            };
            if side == "first" {
                for i in 1..=n {
                    let stored = Instant::now();
                    out.store(&i);
                    assert_eq!(wait_for(i, stored), i);
                }
            } else {
                let mut last = Instant::now();
                loop {
                    let v = wait_for(1, last);
                    last = Instant::now();
                    out.store(&v);
                    if v == n {
                        break;
                    }
                }
            }
            // One write, so the two processes' lines do not interleave.
            let line = format!("{side}: {n} hand-offs, {late} late, slowest {slowest:?}\n");
            let _ = std::io::stderr().write_all(line.as_bytes());
            // Keep the segment for the other side's last read.
            thread::sleep(Duration::from_millis(200));
            std::process::exit(if late == 0 { 0 } else { 3 });
        }
        other => panic!("unknown role {other}"),
    }
}

#[test]
fn exactly_one_of_two_racing_creators_wins_every_name() {
    let _guard = serial();
    let base = name("race");
    let count = scaled(1000);
    let mut go = Publisher::<Value>::create(&format!("{base}-go")).unwrap();
    let children = [
        spawn_child("race", &format!("{base}@0")),
        spawn_child("race", &format!("{base}@1")),
    ];
    let results: Vec<RingSubscriber<u8>> = (0..2)
        .map(|k| {
            let r = format!("{base}-r{k}");
            until("a racer", || RingSubscriber::<u8>::open(&r).is_ok());
            Subscriber::open(&r).unwrap()
        })
        .collect();
    // Both racers are waiting on `go` before the first round.
    until("both racers asleep", || {
        notify_word(&format!("{base}-go")) & 1 == 1
    });
    thread::sleep(Duration::from_millis(50));
    let mut second_won = 0;
    for round in 1..=count {
        go.store(&round);
        for r in &results {
            until("a race result", || r.written() >= round);
        }
        let a = results[0].get(round - 1).unwrap();
        let b = results[1].get(round - 1).unwrap();
        assert!(
            matches!((a, b), (1, 2) | (2, 1)),
            "round {round}: outcomes {a} and {b} (1 won, 2 writer alive)"
        );
        second_won += u64::from(b == 1);
        // Both racers are asleep again before the next round.
        until("both racers asleep", || {
            notify_word(&format!("{base}-go")) & 1 == 1
        });
    }
    drop(go);
    for child in children {
        kill(child);
    }
    for i in 0..count {
        let _ = shm::remove(&format!("{base}-{i}"));
    }
    for k in 0..2 {
        let _ = shm::remove(&format!("{base}-r{k}"));
    }
    eprintln!("{count} races, {second_won} won by the second process");
}

/// The wait handshake loses no wake-up, asymmetric (membarrier) and symmetric (SeqCst fences)
/// alike: two processes pass a value back and forth, each waiting (asleep on the futex) for
/// the other's store, 10^6 hand-offs per handshake; no wait outlives the store it waits for by
/// 1 s (a lost wake-up sleeps the wait's full 5 s timeout: nothing else wakes it; the slowest
/// hand-off is printed, tens of ms when the machine is loaded).
#[test]
fn a_million_store_wait_hand_offs_lose_no_wake_up_in_either_handshake() {
    let _guard = serial();
    let round_trips = scaled(500_000);
    for (mode, env) in [
        ("asymmetric", &[][..]),
        ("symmetric", &[("RTSHM_BARRIER", "symmetric")][..]),
    ] {
        let base = name(&format!("handoff-{mode}"));
        let first = spawn_child_env("pingpong", &format!("{base}@first@{round_trips}"), env);
        let second = spawn_child_env("pingpong", &format!("{base}@second@{round_trips}"), env);
        for (side, mut child) in [("first", first), ("second", second)] {
            let status = child.wait().unwrap();
            assert!(
                status.success(),
                "{mode} handshake, {side} side: {status} (3: a late wake-up)"
            );
        }
    }
}

#[test]
fn one_store_wakes_every_waiting_subscriber() {
    const WAITERS: usize = 8;
    let n = name("wake-all");
    let mut publisher = SeqLockPublisher::<u64>::create(&n).unwrap();
    let woke: Vec<_> = (0..WAITERS)
        .map(|_| {
            let n = n.clone();
            thread::spawn(move || {
                let sub = SeqLockSubscriber::<u64>::open(&n).unwrap();
                let got = sub.wait_newer(Version::INITIAL, Duration::from_secs(10));
                (got.map(|(v, _)| v), Instant::now())
            })
        })
        .collect();
    // Every waiter is asleep on the futex: the sleeping bit is set, and no store came yet.
    until("the sleeping bit", || notify_word(&n) & 1 == 1);
    thread::sleep(Duration::from_millis(200));
    let stored = Instant::now();
    publisher.store(&7);
    for handle in woke {
        let (value, at) = handle.join().unwrap();
        assert_eq!(value, Ok(7));
        // A lost wake-up sleeps the full 10 s timeout (nothing polls); 8 threads woken on a
        // loaded 2-core machine take up to tens of ms to run.
        let latency = at.duration_since(stored);
        assert!(latency < Duration::from_secs(1), "woke after {latency:?}");
    }
}

#[test]
fn a_subscriber_killed_while_waiting_costs_one_wake_then_no_syscall() {
    let n = name("killed-waiter");
    let mut publisher = Publisher::<Value>::create(&n).unwrap();
    let waiter = spawn_child("waiter", &n);
    until("the waiter's sleeping bit", || notify_word(&n) & 1 == 1);
    kill(waiter);
    // The dead waiter's bit is still set: the next store clears it with one wake.
    assert_eq!(notify_word(&n) & 1, 1);
    publisher.store(&1);
    assert_eq!(notify_word(&n) & 1, 0, "the first store clears the bit");
    for v in 2..=1000 {
        publisher.store(&v);
    }
    assert_eq!(notify_word(&n) & 1, 0);
    // The wakes the publisher issued, counted where it makes the syscall (feature `stats`).
    #[cfg(feature = "stats")]
    assert_eq!(
        publisher.stats().wakeups,
        1,
        "1000 stores after one dead waiter"
    );
}

#[test]
fn a_killed_but_unreaped_writer_is_dead_and_taken_over() {
    // Its dead writer's segment must not be collected by another test's `remove_dead`.
    let _guard = serial();
    let n = name("zombie");
    let child = spawn_child("hold", &n);
    let pid = child.id();
    until("the child's segment", || Inspector::open(&n).is_ok());
    // SIGKILL without reaping: the child stays a zombie.
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(pid as i32).unwrap(),
        rustix::process::Signal::KILL,
    )
    .unwrap();
    until("the zombie state", || state_of(pid) == Some('Z'));
    let sub = Subscriber::<Value>::open(&n).unwrap();
    // Under qemu-user the child is the emulator, whose PID the segment records too.
    assert_eq!(
        sub.writer_status(Duration::from_secs(1)),
        WriterStatus::Dead
    );
    let mut taker = Publisher::<Value>::create_or_recover(&n).unwrap();
    assert_eq!(taker.epoch(), 1);
    taker.store(&5);
    assert_eq!(sub.try_load().unwrap(), 5);
    kill(child);
}

#[test]
fn a_writer_in_another_pid_namespace_is_unknown_never_taken_over() {
    let _guard = serial();
    // `unshare --pid --fork` needs root (CI runs as root) and runs natively only.
    let root = rustix::process::geteuid().is_root();
    let has_unshare = std::process::Command::new("unshare")
        .arg("--version")
        .output()
        .is_ok();
    if !root || !has_unshare || std::env::var("RTSHM_TEST_SCALE").is_ok() {
        eprintln!("skipped: needs root, util-linux unshare and a native run");
        return;
    }
    let n = name("pidns");
    let mut child = std::process::Command::new("unshare")
        .args(["--pid", "--fork", "--kill-child"])
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", "child_process_entry", "--test-threads=1"])
        .env("RTSHM_CHILD", format!("hold:{n}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // A sandbox may refuse new PID namespaces even to root: then `unshare` exits at once.
    let mut refused = false;
    until("the namespaced child's segment", || {
        refused = matches!(child.try_wait(), Ok(Some(_)));
        refused || Inspector::open(&n).is_ok()
    });
    if refused {
        eprintln!("skipped: unshare --pid was refused here");
        return;
    }
    let sub = Subscriber::<Value>::open(&n).unwrap();
    assert!(matches!(
        sub.writer_status(Duration::from_secs(1)),
        WriterStatus::Unknown { .. }
    ));
    assert!(matches!(
        Publisher::<Value>::create_or_recover(&n),
        Err(TakeoverError::WriterUnknown { .. })
    ));
    assert!(!shm::remove_dead().unwrap().contains(&n));
    assert!(fs::metadata(path(&n)).is_ok());
    let _ = child.kill();
    let _ = child.wait();
    let _ = shm::remove(&n);
}

#[test]
fn what_a_creator_killed_while_initialising_left_is_recovered_and_collected() {
    let _guard = serial();
    for what in ["empty", "unversioned"] {
        let n = name(&format!("half-{what}"));
        let child = spawn_child("half-create", &format!("{what}@{n}"));
        until("the half-made object", || fs::metadata(path(&n)).is_ok());
        kill(child);
        let opened = Subscriber::<Value>::open_with(
            &n,
            OpenConfig::new().init_timeout(Duration::from_millis(50)),
        );
        assert!(matches!(
            opened,
            Err(OpenError::Invalid(
                LayoutError::NotInitialized | LayoutError::TooSmall { .. }
            ))
        ));
        // After the init timeout, with no live owner, the name is re-initialised.
        let mut p = Publisher::<Value>::create_or_recover(&n).unwrap();
        p.store(&3);
        assert_eq!(
            Subscriber::<Value>::open(&n).unwrap().try_load().unwrap(),
            3
        );
    }
    // `remove_dead` collects a header without version whose owner died, once a second old,
    // and the hidden file of a creator that died while building.
    let n = name("half-gc");
    let (bytes, len) = header_bytes(0, dead_token());
    plant(&n, &bytes, len);
    let building = format!(".rtshm-new-{}-0", dead_token().pid().unwrap());
    plant(&building, &bytes, len);
    thread::sleep(Duration::from_millis(1100));
    let removed = shm::remove_dead().unwrap();
    assert!(removed.contains(&n), "{removed:?}");
    assert!(removed.contains(&building), "{removed:?}");
    assert!(fs::metadata(path(&n)).is_err() && fs::metadata(path(&building)).is_err());
}

#[test]
fn removal_never_unlinks_a_segment_taken_over_meanwhile() {
    let _guard = serial();
    let count = scaled(400) as usize;
    let dead = dead_token();
    let names: Vec<String> = (0..count).map(|i| name(&format!("gc-{i}"))).collect();
    for n in &names {
        let mut p = Publisher::<Value>::create(n).unwrap();
        p.persist();
        drop(p);
        let (bytes, _) = header_bytes(LAYOUT_VERSION, dead);
        use std::os::unix::fs::FileExt;
        let f = fs::OpenOptions::new().write(true).open(path(n)).unwrap();
        f.write_all_at(&bytes[layout::OWNER_OFFSET..], layout::OWNER_OFFSET as u64)
            .unwrap();
    }
    // Take them over from the back while `remove_dead` removes from the front.
    let takers = {
        let names = names.clone();
        thread::spawn(move || {
            let mut held = Vec::new();
            for n in names.iter().rev() {
                if let Ok(p) = Publisher::<Value>::create_or_recover(n) {
                    held.push((n.clone(), p));
                }
            }
            held
        })
    };
    shm::remove_dead().unwrap();
    let held = takers.join().unwrap();
    assert!(!held.is_empty());
    let taken_over = held.iter().filter(|(_, p)| p.epoch() == 1).count();
    for (n, _) in &held {
        // Taken over (epoch 1) or created anew after the removal (epoch 0): either way the
        // publisher's segment still has its name, so readers find it.
        assert!(
            fs::metadata(path(n)).is_ok(),
            "{n} was taken over, then unlinked"
        );
    }
    eprintln!("{} of {count} taken over during the removal", taken_over);
    drop(held);
    for n in &names {
        let _ = shm::remove(n);
    }
}

#[test]
fn symlinks_fifos_directories_and_sockets_are_refused_without_blocking() {
    let n = name("symlink");
    let target = std::env::temp_dir().join(format!("{n}.target"));
    let mut victim = Publisher::<Value>::create_file(&target, CreateConfig::default()).unwrap();
    victim.store(&42);
    std::os::unix::fs::symlink(&target, path(&n)).unwrap();
    let refused =
        |r: Result<Subscriber<Value>, OpenError>| matches!(r, Err(OpenError::NotAFile { .. }));
    assert!(refused(Subscriber::<Value>::open(&n)));
    assert!(matches!(
        Publisher::<Value>::open_existing(&n),
        Err(TakeoverError::Open(OpenError::NotAFile { .. }))
    ));
    assert!(matches!(
        Inspector::open(&n),
        Err(OpenError::NotAFile { .. })
    ));
    drop(victim);
    fs::remove_file(path(&n)).unwrap();

    let fifo = name("fifo");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path(&fifo).as_str(),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    let f = fifo.clone();
    assert!(within(Duration::from_secs(5), move || refused(
        Subscriber::<Value>::open(&f)
    )));
    let f = fifo.clone();
    assert!(within(Duration::from_secs(5), move || matches!(
        Inspector::open(&f),
        Err(OpenError::NotAFile { found: "a FIFO" })
    )));
    let f = fifo.clone();
    assert!(within(Duration::from_secs(5), move || matches!(
        Publisher::<Value>::create_or_recover(&f),
        Err(TakeoverError::Open(OpenError::NotAFile { .. }))
    )));
    assert!(shm::list().unwrap().iter().all(|l| l.name != fifo));
    fs::remove_file(path(&fifo)).unwrap();

    let dir = name("dir");
    fs::create_dir(path(&dir)).unwrap();
    assert!(refused(Subscriber::<Value>::open(&dir)));
    assert!(matches!(
        Inspector::open(&dir),
        Err(OpenError::NotAFile { .. })
    ));
    fs::remove_dir(path(&dir)).unwrap();
}

#[test]
fn crafted_and_damaged_files_get_their_errors() {
    let quick = OpenConfig::new().init_timeout(Duration::from_millis(20));
    // Empty object, header without version: not initialised, never a hang.
    let n = name("empty");
    plant(&n, &[], 0);
    assert!(matches!(
        Subscriber::<Value>::open_with(&n, quick),
        Err(OpenError::Invalid(LayoutError::TooSmall { len: 0, .. }))
    ));
    fs::remove_file(path(&n)).unwrap();
    let n = name("unversioned");
    let (bytes, len) = header_bytes(0, OwnerToken::NONE);
    plant(&n, &bytes, len);
    assert!(matches!(
        Inspector::open_with(&n, quick),
        Err(OpenError::Invalid(LayoutError::NotInitialized))
    ));
    fs::remove_file(path(&n)).unwrap();
    // A truncated segment.
    let n = name("truncated");
    let mut p = Publisher::<Value>::create(&n).unwrap();
    p.store(&1);
    fs::OpenOptions::new()
        .write(true)
        .open(path(&n))
        .unwrap()
        .set_len(4096)
        .unwrap();
    assert!(matches!(
        Subscriber::<Value>::open_with(&n, quick),
        Err(OpenError::Invalid(LayoutError::TooSmall { len: 4096, .. }))
    ));
    // The publisher's own next access to the data would fault now (the README's limit):
    // it is not dropped, which would touch it.
    std::mem::forget(p);
    fs::remove_file(path(&n)).unwrap();
    // A memfd segment cannot be truncated at all (sealed).
    let p = Publisher::<Value>::create_memfd("sealed", CreateConfig::default()).unwrap();
    let fd = p.share_fd().unwrap();
    assert!(rustix::fs::ftruncate(&fd, 4096).is_err());
}

#[test]
#[cfg(target_pointer_width = "64")]
fn a_huge_sparse_value_is_read_only_as_far_as_shown() {
    // A 1 GiB SeqLock value in a sparse file: valid, but a tool must not read it all.
    let n = name("huge");
    let size = 1usize << 30;
    let g = Geometry::of_raw(Kind::SeqLock, size, 8, size, 1).unwrap();
    let mut h = layout::header_for(&g, 1, rtshm::Clock::Monotonic, 0);
    h.layout_version = LAYOUT_VERSION;
    plant(&n, bytemuck::bytes_of(&h), g.total_len as u64);
    let used = || {
        let st = rustix::fs::statvfs("/dev/shm").unwrap();
        (st.f_blocks - st.f_bfree) * st.f_frsize
    };
    let before = used();
    let mut view = Inspector::open(&n).unwrap();
    view.set_read_limit(16);
    // Nothing stored yet: version 0, so nothing to read, but the copy is bounded either way.
    assert!(view.latest().unwrap().is_none());
    let after = used();
    assert!(
        after.saturating_sub(before) < 16 << 20,
        "{before} -> {after}"
    );
    fs::remove_file(path(&n)).unwrap();
}

#[test]
fn no_space_is_an_error_at_creation_not_a_sigbus_later() {
    // 64 TiB: far more than any tmpfs or memory here, refused at once, nothing left behind.
    // (A 32-bit target cannot even address it: a layout error, before any space is asked.)
    type Huge = RingKind<[u8; 1 << 20]>;
    let refused = |r: Result<Publisher<Huge>, CreateError>| match r {
        Err(CreateError::NoSpace { needed, .. }) => needed >= 1 << 46,
        Err(CreateError::Layout(_)) => cfg!(target_pointer_width = "32"),
        _ => false,
    };
    let n = name("nospace");
    assert!(refused(Publisher::<Huge>::create(&n, 1 << 26)));
    assert!(fs::metadata(path(&n)).is_err());
    let options = CreateConfig::default();
    assert!(refused(Publisher::<Huge>::create_memfd(
        "nospace",
        1 << 26,
        options
    )));
}

#[test]
fn modes_are_applied_exactly_and_only_read_write_bits_are_accepted() {
    let n = name("mode");
    let options = CreateConfig::new().mode(0o644);
    // Whatever the umask.
    let old = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let p = Publisher::<Value>::create_with(&n, options);
    rustix::process::umask(old);
    let _p = p.unwrap();
    assert_eq!(fs::metadata(path(&n)).unwrap().mode() & 0o7777, 0o644);
    let bad = CreateConfig::new().mode(0o7777);
    assert!(matches!(
        Publisher::<Value>::create_with(&name("mode-bad"), bad),
        Err(CreateError::InvalidMode { mode: 0o7777 })
    ));
}

#[test]
fn a_capacity_mismatch_leaves_the_segment_untouched() {
    let n = name("capacity");
    let mut p = RingPublisher::<u32>::create(&n, 4).unwrap();
    p.persist();
    drop(p); // clean exit: unowned, epoch 0
    assert!(matches!(
        RingPublisher::<u32>::create_or_recover(&n, 8),
        Err(TakeoverError::CapacityMismatch {
            found: 4,
            requested: 8
        })
    ));
    let sub = RingSubscriber::<u32>::open(&n).unwrap();
    assert_eq!(sub.epoch(), 0);
    assert_eq!(
        sub.writer_status(Duration::from_secs(1)),
        WriterStatus::Unowned
    );
    shm::remove(&n).unwrap();
}

#[test]
fn a_read_only_reader_is_refused_on_32_bit_targets_only() {
    let file = std::env::temp_dir().join(name("ro32"));
    let mut p = Publisher::<Value>::create_file(&file, CreateConfig::default()).unwrap();
    p.store(&9);
    let fd: std::os::fd::OwnedFd = fs::File::open(&file).unwrap().into();
    let r = Subscriber::<Value>::from_fd(fd, OpenConfig::default());
    if cfg!(target_pointer_width = "32") {
        assert!(matches!(r, Err(OpenError::NeedsWriteAccess)));
    } else {
        assert_eq!(r.unwrap().try_load().unwrap(), 9);
    }
    drop(p);
    let _ = fs::remove_file(file);
}
