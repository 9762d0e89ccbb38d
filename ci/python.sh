#!/usr/bin/env bash
# The Python package (ffi/python/): lint its binding crate, build and install the wheel into a fresh
# virtualenv, and run pytest, as the README's "Python" section does.
set -euo pipefail

(cd ffi/python && cargo fmt --all -- --check && cargo clippy --all-targets -- -D warnings)

venv=target/python-venv
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet "maturin>=1.9,<2" "numpy>=1.24" "pytest>=7"
# Third-party MCAP readers and a WebSocket client for tests/test_record.py: nothing of ours
# reads what we write.
"$venv/bin/pip" install --quiet "mcap>=1.2" "mcap-ros2-support>=0.5" "rosbags>=0.10" "websockets>=12"
"$venv/bin/pip" install --quiet ./ffi/python

# The Rust peer of the interop tests, built once here rather than by the first test.
cargo build --quiet --example python_peer
cargo build --quiet -p rtshm-cli --features live
# From the repository root, so that `import rtshm` is the installed package.
RTSHM_PEER=target/debug/examples/python_peer RTSHM_CLI=target/debug/rtshm timeout 300 "$venv/bin/python" -m pytest -q ffi/python/tests
