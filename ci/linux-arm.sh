#!/usr/bin/env bash
# The full test suite for ARM Linux under qemu-user (what `cross test` does inside its docker
# image): aarch64, and armv7 (32-bit, 64-bit atomics through ldrexd/strexd). Stress tests scale
# down under emulation (RTSHM_TEST_SCALE=small).
#
#   bash ci/linux-arm.sh                      # both targets
#   bash ci/linux-arm.sh armv7-unknown-linux-gnueabihf
set -euo pipefail

export RTSHM_TEST_SCALE=small
export CARGO_TARGET_DIR=target/cross

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"
export CARGO_TARGET_ARMV7_UNKNOWN_LINUX_GNUEABIHF_LINKER=arm-linux-gnueabihf-gcc
export CARGO_TARGET_ARMV7_UNKNOWN_LINUX_GNUEABIHF_RUNNER="qemu-arm -L /usr/arm-linux-gnueabihf"

targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf)
for target in "${targets[@]}"; do
    echo "--- cargo test --target $target (qemu-user)"
    # Cross-process tests start the test binary again as a child through the runner variable
    # exported above, which the tests read as cross's images make them do (tests/common).
    cargo test -p rtshm --target "$target"
done
