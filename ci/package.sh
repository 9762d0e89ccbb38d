#!/usr/bin/env bash
# Every publishable crate packages and builds from its package alone (`cargo package` verifies
# in target/package), and no package carries CI scripts, fuzz inputs or other crates' sources.
set -euo pipefail
# Cargo verifies each package against the others through a local registry overlay, extracted
# under $CARGO_HOME/registry/src/ by name and version and never refreshed: an extraction left by
# an earlier run (older sources, same 0.1.0) would be compiled instead. Remove ours first.
rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/rtshm{,-schema,-derive,-record,-cli}-0.1.0
crates=(-p rtshm-schema -p rtshm-derive -p rtshm -p rtshm-cli -p rtshm-record)
cargo package "${crates[@]}"
if cargo package "${crates[@]}" --list | grep -E '^(ci|\.ci|fuzz|benches|ffi|integrations|rtshm-cli|examples/cortex-m)/'; then
    echo "error: a package carries files that belong to the repository only" >&2
    exit 1
fi
