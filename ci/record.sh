#!/usr/bin/env bash
# MCAP recording and the live view (rtshm-record, the CLI's `record` and `live` features): lint,
# unit and process tests, docs. The third-party readers (PyPI mcap, mcap-ros2-support, rosbags)
# and the WebSocket client run in ci/python.sh.
set -euo pipefail

cargo clippy -p rtshm-record --all-targets --features live -- -D warnings
cargo clippy -p rtshm-cli --all-targets --features live -- -D warnings
cargo test -p rtshm-record --features live
cargo test -p rtshm-cli --features live --test record
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p rtshm-record --features live
