#!/usr/bin/env bash
# Installs everything CI needs on a fresh machine that has only stable + nightly Rust, gcc and
# python: rustup targets and components, then Debian packages for the ARM runs under qemu.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

rustup target add aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf \
    thumbv7em-none-eabihf thumbv6m-none-eabi thumbv7m-none-eabi riscv32imac-unknown-none-elf
rustup component add miri rust-src --toolchain nightly

need=()
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu)
[ -e /usr/aarch64-linux-gnu/lib/libc.so.6 ] || need+=(libc6-dev-arm64-cross)
command -v arm-linux-gnueabihf-gcc >/dev/null || need+=(gcc-arm-linux-gnueabihf)
[ -e /usr/arm-linux-gnueabihf/lib/libc.so.6 ] || need+=(libc6-dev-armhf-cross)
command -v qemu-system-arm >/dev/null || need+=(qemu-system-arm)
# The C/C++ build (ci/c.sh).
command -v cmake >/dev/null || need+=(cmake)
command -v pkg-config >/dev/null || need+=(pkg-config)
if [ "${#need[@]}" -gt 0 ]; then
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
fi
