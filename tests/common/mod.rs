//! Helpers shared by integration tests.
#![allow(dead_code)]

pub(crate) mod series_model;

/// Scales an iteration count down under Miri and emulation (`RTSHM_TEST_SCALE=small`).
pub(crate) fn scaled(full: u64) -> u64 {
    if cfg!(miri) {
        (full / 1000).max(20)
    } else if std::env::var("RTSHM_TEST_SCALE").as_deref() == Ok("small") {
        (full / 4).max(100)
    } else {
        full
    }
}

/// The seed for a randomized test: `RTSHM_SEED` if set (to replay a failure), else a fixed one.
pub(crate) fn seed(default: u64) -> u64 {
    std::env::var("RTSHM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Runs `f` and, if it panics, prints the seed that reproduces the failure.
pub(crate) fn with_seed(seed: u64, f: impl FnOnce(u64)) {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(seed)));
    if let Err(e) = r {
        eprintln!("randomized test failed; replay with RTSHM_SEED={seed}");
        std::panic::resume_unwind(e);
    }
}

/// The command prefix that runs a binary of this target, for a test that starts itself again:
/// `RTSHM_TEST_RUNNER` if set, else cargo's runner variable for the ARM Linux targets, which
/// cross's docker images and ci/linux-arm.sh export (qemu-user does not follow an `execve` of a
/// foreign binary by itself). Empty when binaries run natively.
fn runner() -> String {
    let cargo_runner = if cfg!(all(target_arch = "aarch64", target_os = "linux")) {
        Some("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER")
    } else if cfg!(all(target_arch = "arm", target_os = "linux")) {
        Some("CARGO_TARGET_ARMV7_UNKNOWN_LINUX_GNUEABIHF_RUNNER")
    } else {
        None
    };
    std::env::var("RTSHM_TEST_RUNNER")
        .ok()
        .or_else(|| cargo_runner.and_then(|var| std::env::var(var).ok()))
        .unwrap_or_default()
}

/// Starts this test binary again as a child that runs only the test `child_process_entry`, with
/// `RTSHM_CHILD=role:arg`, through [`runner`] under emulation. The child's stdout (libtest's
/// report) is dropped.
pub(crate) fn spawn_child(role: &str, arg: &str) -> std::process::Child {
    spawn_child_env(role, arg, &[])
}

/// [`spawn_child`] with extra environment variables.
pub(crate) fn spawn_child_env(role: &str, arg: &str, env: &[(&str, &str)]) -> std::process::Child {
    use std::process::{Command, Stdio};
    let exe = std::env::current_exe().expect("test binary path");
    let runner = runner();
    let mut words = runner.split_whitespace();
    let mut cmd = match words.next() {
        Some(prog) => {
            let mut c = Command::new(prog);
            c.args(words).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    cmd.args([
        "--exact",
        "child_process_entry",
        "--nocapture",
        "--test-threads=1",
    ])
    .env("RTSHM_CHILD", format!("{role}:{arg}"))
    .envs(env.iter().copied())
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .spawn()
    .expect("spawn child")
}

/// Runs a loom model, exploring `preemptions` preemptions per execution unless
/// `LOOM_MAX_PREEMPTIONS` says otherwise.
#[cfg(rtshm_loom)]
pub(crate) fn loom_model(preemptions: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(preemptions);
    }
    builder.check(f);
}

/// A shared-memory segment name unique to this process and test.
pub(crate) fn shm_name(test: &str) -> String {
    format!("rtshm-test-{}-{test}", std::process::id())
}

/// Overwrites bytes of an existing named segment, as a hostile or buggy process could.
pub(crate) fn poke(name: &str, offset: u64, bytes: &[u8]) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(format!("/dev/shm/{name}"))
        .unwrap();
    f.seek(SeekFrom::Start(offset)).unwrap();
    f.write_all(bytes).unwrap();
}
