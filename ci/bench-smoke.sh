#!/usr/bin/env bash
# Benchmark smoke test: builds every criterion bench in release mode, with the iceoryx2 peer
# rows (feature `peers`, built here once), and runs each benchmark once (`--test`), checking
# that they run, not how fast. The measurements are `cargo bench --features
# rtshm-benches/peers` (BENCHMARKS.md).
set -euo pipefail
timeout 900 cargo bench --features rtshm-benches/peers -- --test
