#!/usr/bin/env bash
# The README's test command (every default member: the core, shm and the CLI), then the core
# without `std`, the statistics counters, and a check that none of it built the heavy crates.
set -euo pipefail

cargo test 2>&1 | tee target/test.log
cargo test -p rtshm --no-default-features
# Statistics counters (feature `stats`): the exact-count tests and the doctests with it on.
cargo test -p rtshm --features stats --test stats --test lifecycle
cargo test -p rtshm --features stats --doc
# A plain `cargo test` builds neither pyo3 nor criterion (they belong to ffi/python and benches).
if grep -E "Compiling (pyo3|criterion|mcap|zstd-sys) " target/test.log; then
    echo "error: cargo test built a crate that only ffi/python, the benches or recording need" >&2
    exit 1
fi
