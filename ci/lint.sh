#!/usr/bin/env bash
# Formatting, clippy (std, no_std and loom builds), and a check that no non-atomic copy
# primitive touches shared bytes.
set -euo pipefail

cargo fmt --all -- --check
cargo clippy --all-targets --all-features -- -D warnings
cargo clippy -p rtshm --lib --no-default-features -- -D warnings
RUSTFLAGS="--cfg rtshm_loom" CARGO_TARGET_DIR=target/loom \
    cargo clippy -p rtshm --release --tests -- -D warnings

# ARCHITECTURE.md, "Memory-model rules": shared payload bytes are copied only with atomics.
# clippy.toml forbids the
# free functions; this also catches the pointer methods and memcpy (comments excluded).
if grep -rnE 'read_volatile|write_volatile|copy_nonoverlapping|ptr::copy|\.copy_to|\.copy_from\(|memcpy' src/ \
    | grep -vE '^[^:]+:[0-9]+:\s*(//|\*)'; then
    echo "error: non-atomic copy primitive in src/ (see ARCHITECTURE.md, "Memory-model rules")" >&2
    exit 1
fi

# ARCHITECTURE.md lists the labels of the synchronisation points; each must mark both of its
# sides in src/ (a label left on one side means a partner moved away).
labels=$(grep -o '`[a-z-]*`' ARCHITECTURE.md | tr -d '`' | grep -E '^(seqlock|ring|writer|owner|header|wait|queue|consumer)-' | sort -u)
for label in $labels; do
    n=$(grep -rn "SYNC POINT.*\b$label\b" src/ | wc -l)
    if [ "$n" -lt 2 ]; then
        echo "error: SYNC POINT $label marks $n side(s) in src/ (ARCHITECTURE.md, \"Memory-model rules\")" >&2
        exit 1
    fi
done
