#!/usr/bin/env bash
# The libraries' minimum supported Rust version (`rust-version` of rtshm, rtshm-schema and
# rtshm-derive: 1.88): they build with it, with and without std. The CLI, benches and tests
# follow the current stable. Installs the pinned toolchain (minimal profile) when missing.
set -euo pipefail
msrv=$(sed -n 's/^rust-version = "\([0-9.]*\)".*/\1/p' rtshm-schema/Cargo.toml)
rustup toolchain list | grep -q "^$msrv" || rustup toolchain install "$msrv" --profile minimal
export CARGO_TARGET_DIR=target/msrv
cargo "+$msrv" check -p rtshm -p rtshm-schema -p rtshm-derive
cargo "+$msrv" check -p rtshm --no-default-features
