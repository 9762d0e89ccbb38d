"""Every code block of README.md is compiled or run by a test (issue 26).

Each fenced block is checked by its language:
- `rust`, `rust,no_run`: compiled (and run unless `no_run`) as doctests of the `rtshm` crate,
  which includes README.md as documentation; checked here that it still does.
- `rust,ignore`: an excerpt of a program CI builds and runs: each code line must appear in it.
- `python`: run as written by `ffi/python/tests/test_readme.py` (ci/python.sh).
- `cpp`: the file `ci/c.sh` builds against the installed package, verbatim.
- `toml`: compiled here, in scratch crates that use the lines as written (rtshm patched to this
  checkout, since it is not on crates.io yet).
- `sh`: run here as written, in this checkout, one block at a time, except the blocks listed in
  SH_ELSEWHERE, whose commands a named CI step runs (checked), with the edits SH_EDITS makes
  (each says why).
- `text`: transcripts (what commands print), not code.

Usage: python3 ci/readme.py [--list]   (from the repository root)
"""

import os
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

# Shell blocks run by another CI step, by their first line: (step script, why not here).
SH_ELSEWHERE = {
    "cross test --target aarch64-unknown-linux-gnu": (
        "ci/linux-arm.sh",
        "`cross` runs the suites in Docker, which CI machines lack; ci/linux-arm.sh runs the "
        "same suites under qemu-user (the next block)",
    ),
    "sudo apt-get install qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross \\": (
        "ci/linux-arm.sh",
        "the `linux-arm` step of .ci/run is this block: ci/setup.sh installs the packages and "
        "targets it names, then ci/linux-arm.sh runs (three minutes: not twice)",
    ),
}

# Edits to a shell block before it runs here: (text, replacement, why).
SH_EDITS = [
    (
        "-max_total_time=600",
        "-max_total_time=10",
        "ten seconds of fuzzing show the command works; ci/fuzz-smoke.sh fuzzes every target",
    ),
    (
        "cargo +nightly fuzz run hostile_segment artifacts/hostile_segment/crash-<hash>",
        "true  # a replay needs a crash file: none exists when the fuzzer finds nothing",
        "`<hash>` is a placeholder for a file the fuzzer writes only on a crash",
    ),
]


def blocks():
    """(line, info string, text) of every fenced block."""
    out, lines, i = [], README.read_text().splitlines(), 0
    while i < len(lines):
        m = re.match(r"^```(\S*)$", lines[i])
        if m:
            start, info, body = i + 1, m.group(1), []
            i += 1
            while i < len(lines) and lines[i] != "```":
                body.append(lines[i])
                i += 1
            out.append((start, info, "\n".join(body) + "\n"))
        i += 1
    return out


def run(cmd, **kw):
    shown = cmd[-1] if cmd[:1] == ["bash"] else " ".join(cmd)
    for line in shown.splitlines():
        print(f"readme: $ {line}", flush=True)
    subprocess.run(cmd, check=True, **kw)


def check_rust(_text):
    lib = (ROOT / "src/lib.rs").read_text()
    assert '#[doc = include_str!("../README.md")]' in lib, "src/lib.rs no longer includes README.md"


def check_rust_ignore(text):
    firmware = (ROOT / "examples/cortex-m/src/main.rs").read_text()
    for line in text.splitlines():
        code = line.strip()
        if code and not code.startswith("//") and code not in firmware:
            raise AssertionError(f"not in examples/cortex-m/src/main.rs: {code}")


def check_python(_text):
    test = (ROOT / "ffi/python/tests/test_readme.py").read_text()
    assert "```python" in test and "exec(" in test, "test_readme.py no longer runs the blocks"


def check_cpp(text):
    example = (ROOT / "ffi/c/tests/consumer/readme_example.cpp").read_text()
    assert text == example, "the C++ block differs from ffi/c/tests/consumer/readme_example.cpp"


def scratch_crate(deps, target=None, code="", patch=True):
    """Builds a library crate depending on `deps` (TOML lines) for `target`."""
    with tempfile.TemporaryDirectory() as d:
        d = pathlib.Path(d)
        (d / "src").mkdir()
        (d / "src/lib.rs").write_text("#![no_std]\n" + code)
        manifest = f'[package]\nname = "readme-scratch"\nversion = "0.0.0"\nedition = "2024"\n\n[dependencies]\n{deps}\n'
        if patch:
            manifest += (
                f'\n[patch.crates-io]\nrtshm = {{ path = "{ROOT}" }}\n'
                f'rtshm-schema = {{ path = "{ROOT}/rtshm-schema" }}\n'
                f'rtshm-derive = {{ path = "{ROOT}/rtshm-derive" }}\n'
            )
        (d / "Cargo.toml").write_text(manifest + "\n[workspace]\n")
        cmd = ["cargo", "build", "--quiet", "--manifest-path", str(d / "Cargo.toml")]
        env = dict(os.environ, CARGO_TARGET_DIR=str(ROOT / "target/readme"))
        run(cmd + (["--target", target] if target else []), env=env)


USES_SEQLOCK = "pub static X: rtshm::SeqLock<u64> = rtshm::SeqLock::new(0);\n"


def check_toml(text):
    deps = [l for l in text.splitlines() if l and not l.startswith(("#", "["))]
    if "portable-atomic" not in text:
        # "In your Cargo.toml": rtshm with its defaults and bytemuck's derive.
        scratch_crate(
            "\n".join(deps),
            code="#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]\n"
            "#[repr(C)]\npub struct Imu { pub accel: [f32; 3] }\n",
        )
        return
    # "Bare metal": each alternative as a firmware's manifest would have it.
    pa = next(l for l in deps if l.startswith("portable-atomic"))
    rtshm_cs = next(l for l in deps if l.startswith("rtshm"))
    cortex_m = next(l for l in deps if l.startswith("cortex-m"))
    rtshm_core = 'rtshm = { version = "0.1", default-features = false }'
    scratch_crate(f"{rtshm_core}\n{pa}", "thumbv7m-none-eabi", USES_SEQLOCK)
    scratch_crate(f"{rtshm_cs}\n{cortex_m}", "thumbv6m-none-eabi", USES_SEQLOCK)
    single = rtshm_cs.replace('"critical-section"', '"unsafe-assume-single-core"')
    scratch_crate(single, "thumbv6m-none-eabi", USES_SEQLOCK)


def check_sh(text):
    first = text.splitlines()[0]
    if first in SH_ELSEWHERE:
        script, why = SH_ELSEWHERE[first]
        steps = (ROOT / ".ci/run").read_text()
        name = pathlib.Path(script).stem
        assert re.search(rf"\b{name}\b", steps), f"{script} is not a step of .ci/run"
        setup = (ROOT / "ci/setup.sh").read_text()
        for word in re.findall(r"[\w.+-]+", text):
            if "-linux-gnu" in word or word in ("qemu-user",):
                assert word in setup, f"ci/setup.sh does not install {word}"
        print(f"readme: run by {script}: {why}")
        return
    for old, new, _why in SH_EDITS:
        text = text.replace(old, new)
    env = dict(os.environ)
    if os.geteuid() == 0 and subprocess.run(["sh", "-c", "command -v sudo"], capture_output=True).returncode:
        # As root without sudo (a CI container): `sudo` is the command itself.
        text = "sudo() { \"$@\"; }\n" + text
    if "$HOME/.local" in text:
        # Installs go to a scratch home, not the machine's (rustup and cargo stay found).
        env.setdefault("RUSTUP_HOME", str(pathlib.Path.home() / ".rustup"))
        env.setdefault("CARGO_HOME", str(pathlib.Path.home() / ".cargo"))
        env["HOME"] = tempfile.mkdtemp(prefix="readme-home-")
    if ".venv" in text:
        text = "rm -rf .venv\n" + text
    run(["bash", "-euo", "pipefail", "-c", text], cwd=ROOT, env=env)


CHECKS = {
    "rust": check_rust,
    "rust,no_run": check_rust,
    "rust,ignore": check_rust_ignore,
    "python": check_python,
    "cpp": check_cpp,
    "toml": check_toml,
    "sh": check_sh,
    "text": None,
}


def main():
    listing = "--list" in sys.argv
    found = blocks()
    for line, info, text in found:
        if info not in CHECKS:
            raise SystemExit(f"README.md:{line}: a ```{info} block has no check in ci/readme.py")
        check = CHECKS[info]
        print(f"readme: README.md:{line} ```{info}: {check.__name__ if check else 'a transcript'}")
        if check and not listing:
            check(text)
    print(f"readme: {len(found)} blocks, every one checked")


if __name__ == "__main__":
    main()
