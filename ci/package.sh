#!/usr/bin/env bash
# Every publishable crate packages and builds from its package alone (`cargo package` verifies
# in target/package), and no package carries CI scripts, fuzz inputs or other crates' sources.
set -euo pipefail
crates=(-p rtshm-schema -p rtshm-derive -p rtshm -p rtshm-cli -p rtshm-record)
cargo package "${crates[@]}"
if cargo package "${crates[@]}" --list | grep -E '^(ci|\.ci|fuzz|benches|ffi|rtshm-cli|examples/cortex-m)/'; then
    echo "error: a package carries files that belong to the repository only" >&2
    exit 1
fi
