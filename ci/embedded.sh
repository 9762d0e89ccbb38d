#!/usr/bin/env bash
# The core without `std` for bare-metal targets. thumbv7em has 32-bit CAS but no 64-bit atomics;
# thumbv6m has no CAS at all, so portable-atomic needs `critical-section` (what a firmware
# enables, with a critical-section implementation such as cortex-m's) there.
set -euo pipefail
export CARGO_TARGET_DIR=target/embedded
cargo build -p rtshm --no-default-features --target thumbv7em-none-eabihf
cargo build -p rtshm --no-default-features --target thumbv7em-none-eabihf --features critical-section
cargo build -p rtshm --no-default-features --target thumbv6m-none-eabi --features critical-section
cargo build -p rtshm --no-default-features --target thumbv6m-none-eabi --features unsafe-assume-single-core
# Neither: refused with rtshm's own message naming both features, before any other error.
if out=$(cargo build -p rtshm --no-default-features --target thumbv6m-none-eabi 2>&1); then
    echo "error: thumbv6m built without a portable-atomic feature" >&2
    exit 1
fi
grep -m1 '^error' <<<"$out" | grep -q "enable rtshm's \`critical-section\` feature" || {
    echo "error: thumbv6m without a feature did not fail with rtshm's message first:" >&2
    echo "$out" | head -5 >&2
    exit 1
}
# RISC-V 32 with the A extension: 32-bit CAS, no 64-bit atomics.
cargo build -p rtshm --no-default-features --target riscv32imac-unknown-none-elf
cargo build -p rtshm --no-default-features --target riscv32imac-unknown-none-elf --features critical-section
# The schema derive without std (a derived struct in the rtshm-asm crate).
cargo build -p rtshm-asm --target thumbv7em-none-eabihf
