#!/usr/bin/env bash
# The Cortex-M3 firmware in examples/cortex-m under qemu-system-arm (lm3s6965evb, semihosting):
# core tests plus an interrupt handler writing a SeqLock and a Ring while the main loop reads.
# It prints `N passed, M failed` and exits non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/../examples/cortex-m"
cargo fmt -- --check
cargo clippy --release -- -D warnings
timeout 300 cargo run --release
