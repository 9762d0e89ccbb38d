#!/usr/bin/env bash
# The Zenoh bridge (integrations/bridge, a workspace of its own): format, clippy, unit and
# two-process tests (two real rtshm-bridge processes over loopback TCP), the example, docs, and
# each benchmark once (criterion's test mode: plain Zenoh and the bridge side by side).
set -euo pipefail
cd integrations/bridge

cargo fmt -- --check
cargo clippy --locked --all-targets -- -D warnings
# --all-targets runs the benches in criterion's test mode (each benchmark once).
cargo test --locked --all-targets
cargo run --locked --example two_bridges
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps
cargo test --locked --doc
