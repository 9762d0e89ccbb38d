#!/usr/bin/env bash
# Builds every fuzz target and runs each for a short while (30 s by default, FUZZ_SECONDS to
# change) on nightly with libFuzzer, starting from the checked-in seeds in fuzz/seeds/; an input
# that takes over 10 s fails the step as a hang would.
# Installs cargo-fuzz if it is missing. A crash fails the step and leaves the input in
# fuzz/artifacts/<target>/ (reproduce: cargo +nightly fuzz run <target> <file>).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
seconds="${FUZZ_SECONDS:-30}"
cargo fmt -- --check
cargo +nightly fuzz build
for target in $(cargo +nightly fuzz list); do
    echo "--- fuzz $target for ${seconds} s"
    mkdir -p "corpus/$target"
    cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -timeout=10 -print_final_stats=1 2>&1 | tail -n 15
done
