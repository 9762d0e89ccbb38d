#!/usr/bin/env bash
# The core without `std` for bare-metal targets. thumbv7em has 32-bit CAS but no 64-bit atomics;
# thumbv6m has no CAS at all, so portable-atomic needs `critical-section` (what a firmware
# enables, with a critical-section implementation such as cortex-m's) there.
set -euo pipefail
export CARGO_TARGET_DIR=target/embedded
cargo build --no-default-features --target thumbv7em-none-eabihf
cargo build --no-default-features --target thumbv7em-none-eabihf --features portable-atomic/critical-section
cargo build --no-default-features --target thumbv6m-none-eabi --features portable-atomic/critical-section
# RISC-V 32 with the A extension: 32-bit CAS, no 64-bit atomics.
cargo build --no-default-features --target riscv32imac-unknown-none-elf
cargo build --no-default-features --target riscv32imac-unknown-none-elf --features portable-atomic/critical-section
