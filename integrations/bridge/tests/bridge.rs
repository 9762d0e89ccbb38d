//! Publisher -> bridge A -> bridge B -> subscriber, two real `rtshm-bridge` processes over
//! loopback TCP with explicit endpoints (no multicast scouting): a SeqLock, a Ring and a
//! TimeSeries cross; then bridge A is killed (the imported segments turn Stale within the
//! documented bound) and restarted (values flow again, B and the subscribers untouched).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rtshm::liveness::WriterStatus;
use rtshm::shm::{
    Inspector, RingPublisher, RingSubscriber, STALE_AFTER, SeqLockPublisher, SeqLockSubscriber,
    TimeSeriesPublisher, TimeSeriesSubscriber,
};
use rtshm::{Stamped, Timestamp};

#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
#[repr(C)]
struct Pose {
    x: f64,
    y: f64,
    yaw: f32,
    quality: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
#[repr(C)]
struct Scan {
    number: u64,
    ranges: [f32; 6],
}

fn scan(i: u64) -> Scan {
    let f = i as f32;
    Scan {
        number: i,
        ranges: [f, f + 0.5, -f, 1.0, 2.0, f * 2.0],
    }
}

/// A bridge process, stopped when dropped: SIGTERM (it closes, removing what it imported),
/// SIGKILL if it has not exited within 5 s.
struct BridgeProcess(Child);

impl Drop for BridgeProcess {
    fn drop(&mut self) {
        let pid = self.0.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl BridgeProcess {
    /// SIGKILL: no clean-up at all, as a crash.
    fn kill(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn bridge(args: &[&str]) -> BridgeProcess {
    BridgeProcess(
        Command::new(env!("CARGO_BIN_EXE_rtshm-bridge"))
            .args(args)
            .args(["--no-multicast-scouting", "--status-every", "1"])
            .stdout(Stdio::null())
            .spawn()
            .expect("rtshm-bridge starts"),
    )
}

/// Bridge A: exports the segments matching `glob` under namespace `ns`, listening on `listen`.
fn exporter(ns: &str, glob: &str, listen: &str) -> BridgeProcess {
    bridge(&["--namespace", ns, "--export", glob, "--listen", listen])
}

/// Bridge B: imports everything bridge A exports under `ns`, named `in-<name>`, connecting
/// to `listen`.
fn importer(ns: &str, listen: &str) -> BridgeProcess {
    bridge(&[
        "--namespace",
        &format!("{ns}-importer"),
        "--import",
        &format!("rtshm/{ns}/**"),
        "--prefix",
        "in-",
        "--connect",
        listen,
    ])
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Polls `check` every 5 ms until it returns `Some`, for at most `limit`.
fn until<T>(limit: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn segments_cross_two_bridges_and_survive_a_killed_exporter() {
    let id = std::process::id();
    let (src, ns) = (format!("bt{id}"), format!("a{id}"));
    let port = free_port().to_string();
    let listen = format!("tcp/127.0.0.1:{port}");
    let name = |what: &str| format!("{src}-{what}");
    let imported = |what: &str| format!("in-{src}-{what}");

    let mut pose = SeqLockPublisher::<Pose>::create(&name("pose")).unwrap();
    let mut scans = RingPublisher::<Scan>::create(&name("scan"), 2048).unwrap();
    let mut series = TimeSeriesPublisher::<[f32; 3]>::create(&name("imu"), 1024).unwrap();
    pose.store(&Pose {
        x: 0.0,
        y: 0.0,
        yaw: 0.0,
        quality: 0,
    });
    let export = format!("{src}-*");
    let a = exporter(&ns, &export, &listen);
    let b = importer(&ns, &listen);

    // The imported segments appear (created from the exporter's metadata) with the source's
    // type, capacity and a remote clock.
    let limit = Duration::from_secs(30);
    let remote_pose = until(limit, "imported pose", || {
        SeqLockSubscriber::<Pose>::open(&imported("pose")).ok()
    });
    let remote_scans = until(limit, "imported scan", || {
        RingSubscriber::<Scan>::open(&imported("scan")).ok()
    });
    let remote_series = until(limit, "imported imu", || {
        TimeSeriesSubscriber::<[f32; 3]>::open(&imported("imu")).ok()
    });
    let view = Inspector::open(&imported("scan")).unwrap();
    assert_eq!(view.geometry().capacity, 2048);
    assert_eq!(view.clock(), rtshm::Clock::RemoteMonotonic);

    // Ring: every value, in order, at a moderate rate (2000 values/s); SeqLock: the latest;
    // TimeSeries: the same samples.
    let mut cursor = remote_scans.cursor_from_next();
    let mut stamps = Vec::new();
    for i in 0..1000u64 {
        scans.push(&scan(i));
        if i % 10 == 0 {
            let f = i as f64;
            pose.store(&Pose {
                x: f,
                y: -f,
                yaw: 0.5,
                quality: i as u32,
            });
            let stamp = Timestamp::now();
            series
                .push(&Stamped::new(stamp, i, [i as f32, 1.0, -1.0]))
                .unwrap();
            stamps.push(stamp);
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    for i in 0..1000u64 {
        let got = remote_scans
            .wait_next(&mut cursor, Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("scan {i}: {e}"));
        assert_eq!(got, scan(i), "scan {i}");
    }
    until(Duration::from_secs(10), "the latest pose", || {
        (remote_pose.try_load().ok()?.quality == 990).then_some(())
    });
    until(Duration::from_secs(10), "every imu sample", || {
        (remote_series.written() == stamps.len() as u64).then_some(())
    });
    let local = TimeSeriesSubscriber::<[f32; 3]>::open(&name("imu")).unwrap();
    for (k, &stamp) in stamps.iter().enumerate() {
        // Halfway to the next sample (or 1 ns after the last): the same sample on both sides.
        let probe = stamps.get(k + 1).map_or(stamp.as_nanos() + 1, |next| {
            stamp.as_nanos() + (next.as_nanos() - stamp.as_nanos()) / 2 - 1
        });
        let probe = Timestamp::from_nanos(probe);
        let there = remote_series
            .closest(probe, Duration::from_secs(1))
            .unwrap();
        let here = local.closest(probe, Duration::from_secs(1)).unwrap();
        assert_eq!(there, here, "closest to sample {k}");
        assert_eq!(there.map(|s| s.stamp), Some(stamp));
    }
    assert_eq!(
        Inspector::open(&imported("scan")).unwrap().lost_upstream(),
        0
    );
    assert!(matches!(
        remote_scans.writer_status(STALE_AFTER),
        WriterStatus::Alive { .. }
    ));

    // Kill bridge A: the imported segments turn Stale within the threshold plus the
    // heartbeat period (TCP closes at once), with margin for a loaded machine.
    let killed = Instant::now();
    a.kill();
    let stale =
        |subscriber_status: WriterStatus| matches!(subscriber_status, WriterStatus::Stale { .. });
    until(Duration::from_secs(10), "imported scan turns Stale", || {
        stale(remote_scans.writer_status(STALE_AFTER)).then_some(())
    });
    let took = killed.elapsed();
    eprintln!("imported segments Stale {took:?} after bridge A was killed");
    assert!(
        took < STALE_AFTER + Duration::from_millis(1500),
        "Stale after {took:?}"
    );
    assert!(stale(remote_pose.writer_status(STALE_AFTER)));
    // Values written while nobody exports are lost upstream: counted once they flow again.
    for i in 1000..1100u64 {
        scans.push(&scan(i));
    }

    // Restart bridge A on the same endpoint: values flow again, same subscribers, same cursor.
    let a = exporter(&ns, &export, &listen);
    until(Duration::from_secs(30), "imported scan Alive again", || {
        // An idle writer is Stale, and the bridge says so: these writers keep beating.
        scans.heartbeat();
        matches!(
            remote_scans.writer_status(STALE_AFTER),
            WriterStatus::Alive { .. }
        )
        .then_some(())
    });
    // The first value after the restart may be pushed before the exporter follows: push
    // until one crosses, then every next one arrives in order.
    let mut next = 1100;
    let first = until(Duration::from_secs(30), "a value after the restart", || {
        scans.push(&scan(next));
        next += 1;
        remote_scans
            .wait_next(&mut cursor, Duration::from_millis(50))
            .ok()
    });
    assert!(first.number >= 1100, "{first:?}");
    assert_eq!(
        first.number,
        next - 1,
        "the first value after the restart is the newest"
    );
    for i in next..next + 200 {
        scans.push(&scan(i));
        let got = remote_scans
            .wait_next(&mut cursor, Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("scan {i} after the restart: {e}"));
        assert_eq!(got.number, i);
        std::thread::sleep(Duration::from_micros(500));
    }
    let lost = Inspector::open(&imported("scan")).unwrap().lost_upstream();
    assert_eq!(
        lost,
        first.number - 1000,
        "every value nobody exported, counted once"
    );
    drop(a);
    drop(b);
    assert!(
        !std::path::Path::new(&format!("/dev/shm/{}", imported("scan"))).exists(),
        "a bridge stopped by SIGTERM removes what it imported"
    );
}

/// A node that exits and starts again with a new segment of the same name (and another type):
/// the exporter follows the new one, the importer recreates its copy with the new type.
#[test]
fn a_recreated_segment_is_followed_again() {
    let id = std::process::id();
    let (name, ns) = (format!("br{id}-odom"), format!("r{id}"));
    let listen = format!("tcp/127.0.0.1:{}", free_port());
    let imported = format!("in-{name}");
    let mut first = RingPublisher::<Scan>::create(&name, 64).unwrap();
    let _a = exporter(&ns, &format!("br{id}-*"), &listen);
    let _b = importer(&ns, &listen);
    let limit = Duration::from_secs(30);
    let scans = until(limit, "imported scans", || {
        RingSubscriber::<Scan>::open(&imported).ok()
    });
    let mut cursor = scans.cursor_from_next();
    until(limit, "a scan", || {
        first.push(&scan(1));
        scans.wait_next(&mut cursor, Duration::from_millis(20)).ok()
    });
    drop(scans);

    // The node restarts: its segment goes, a new one (another type) takes the name.
    drop(first);
    let mut second = RingPublisher::<Pose>::create(&name, 32).unwrap();
    let pose = Pose {
        x: 1.0,
        y: 2.0,
        yaw: 0.5,
        quality: 7,
    };
    let got = until(limit, "a pose through the recreated segments", || {
        second.push(&pose);
        std::thread::sleep(Duration::from_millis(20));
        let poses = RingSubscriber::<Pose>::open(&imported).ok()?;
        poses.latest().ok().flatten().map(|(_, p)| p)
    });
    assert_eq!(got, pose);
}

/// A value far larger than Zenoh's batches (160 KB: it crosses in fragments, which the import
/// writes straight into its segment) arrives whole in each kind.
#[test]
fn values_larger_than_a_zenoh_batch_cross_whole() {
    // Debug builds keep several 160 KB temporaries on the stack.
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(large_values_cross)
        .unwrap()
        .join()
        .unwrap();
}

fn large_values_cross() {
    const WORDS: usize = 20_000;
    let frame = |i: u64| -> Box<[u64; WORDS]> {
        let mut f: Box<[u64; WORDS]> = bytemuck::zeroed_box();
        for (k, w) in f.iter_mut().enumerate() {
            *w = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ k as u64;
        }
        f
    };
    let id = std::process::id();
    let (src, ns) = (format!("bl{id}"), format!("l{id}"));
    let listen = format!("tcp/127.0.0.1:{}", free_port());
    let name = |what: &str| format!("{src}-{what}");
    let imported = |what: &str| format!("in-{src}-{what}");
    let mut latest = SeqLockPublisher::<[u64; WORDS]>::create(&name("latest")).unwrap();
    let mut ring = RingPublisher::<[u64; WORDS]>::create(&name("ring"), 8).unwrap();
    let mut series = TimeSeriesPublisher::<[u64; WORDS]>::create(&name("series"), 8).unwrap();
    let _a = exporter(&ns, &format!("{src}-*"), &listen);
    let _b = importer(&ns, &listen);
    let limit = Duration::from_secs(30);
    let remote_latest = until(limit, "imported latest", || {
        SeqLockSubscriber::<[u64; WORDS]>::open(&imported("latest")).ok()
    });
    let remote_ring = until(limit, "imported ring", || {
        RingSubscriber::<[u64; WORDS]>::open(&imported("ring")).ok()
    });
    let remote_series = until(limit, "imported series", || {
        TimeSeriesSubscriber::<[u64; WORDS]>::open(&imported("series")).ok()
    });
    let mut cursor = remote_ring.cursor_from_next();
    let mut got: Box<[u64; WORDS]> = bytemuck::zeroed_box();
    for i in 0..20u64 {
        let value = frame(i);
        latest.store(&value);
        ring.push(&value);
        let stamp = Timestamp::from_nanos(1_000 + i);
        series.push(&Stamped::new(stamp, i, *value)).unwrap();
        remote_ring
            .wait_next_into(&mut cursor, &mut got, Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("frame {i}: {e}"));
        assert!(got[..] == value[..], "frame {i} through the ring");
        until(Duration::from_secs(10), "the series sample", || {
            (remote_series.written() == i + 1).then_some(())
        });
        let sample = remote_series.latest().unwrap().unwrap();
        assert_eq!((sample.stamp, sample.seq), (stamp, i));
        assert!(
            sample.value[..] == value[..],
            "frame {i} through the series"
        );
    }
    until(Duration::from_secs(10), "the latest frame", || {
        remote_latest
            .try_load_into(&mut got)
            .ok()
            .filter(|_| got[..] == frame(19)[..])
    });
}
