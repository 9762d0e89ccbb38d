#!/usr/bin/env bash
# Assembly snapshots (asm/): compiles the seqlock's reading and writing halves for each target
# and compares them, normalised, with asm/snapshots/<target>/<function>.s, so that the
# instructions the seqlock docs name (fences, ldrexd/strexd) are checked, not just claimed.
# After an intended change (code or compiler): BLESS=1 bash ci/asm.sh, and review the diff.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf thumbv7m-none-eabi)
functions=(rtshm_asm_seqlock_try_load rtshm_asm_seqlock_store)
export CARGO_TARGET_DIR=target/asm
status=0
# Rebuild (and so re-emit the assembly) even when nothing changed since the last run.
touch asm/src/lib.rs
for target in "${targets[@]}"; do
    features=()
    [[ "$target" == thumb* ]] && features=(--features single-core)
    cargo rustc --quiet -p rtshm-asm --release --lib --target "$target" "${features[@]}" \
        -- --emit asm -C debuginfo=0
    # The newest: an unchanged crate is not rebuilt, and its assembly stays from the last build.
    asm=$(ls -t "$CARGO_TARGET_DIR/$target/release/deps/"rtshm_asm-*.s | head -n 1)
    mkdir -p "asm/snapshots/$target"
    for fn in "${functions[@]}"; do
        # The function from its label to its end label; directives, and the numbers in local
        # labels (which depend on the function's position in the file), removed.
        got=$(awk -v f="$fn:" '$0 == f {on = 1} on {print} on && /^\.Lfunc_end/ {exit}' "$asm" \
            | grep -vE '^\s*\.(cfi_|p2align|loc|file)' \
            | sed -E 's/\.(LBB|Ltmp|Lfunc_end)[0-9]+_?/.\1_/g')
        if [ -z "$got" ]; then
            echo "error: $fn not found in the $target assembly" >&2
            exit 1
        fi
        snapshot="asm/snapshots/$target/$fn.s"
        if [ "${BLESS:-0}" = 1 ]; then
            printf '%s\n' "$got" > "$snapshot"
        elif ! diff -u "$snapshot" <(printf '%s\n' "$got"); then
            echo "error: $target $fn differs from $snapshot (BLESS=1 bash ci/asm.sh to accept)" >&2
            status=1
        fi
    done
done
exit "$status"
