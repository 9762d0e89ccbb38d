#!/usr/bin/env bash
# MCAP recording (rtshm-record, and the CLI's `record` feature): lint, unit and process tests,
# docs. The third-party readers (PyPI mcap, mcap-ros2-support, rosbags) run in ci/python.sh.
set -euo pipefail

cargo clippy -p rtshm-record --all-targets -- -D warnings
cargo test -p rtshm-record
cargo test -p rtshm-cli --features record --test record
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p rtshm-record
