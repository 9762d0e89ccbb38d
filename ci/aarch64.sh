#!/usr/bin/env bash
# The full test suite for aarch64-unknown-linux-gnu under qemu-user (what `cross test` does inside
# its docker image). Stress tests scale down under emulation (RTSHM_TEST_SCALE=small).
set -euo pipefail
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"
export RTSHM_TEST_SCALE=small
export CARGO_TARGET_DIR=target/cross
cargo test --target aarch64-unknown-linux-gnu
