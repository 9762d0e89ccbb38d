#!/usr/bin/env bash
# The API docs with every feature, warnings as errors; then the docs.rs build (nightly,
# `--cfg docsrs`, as `[package.metadata.docs.rs]` asks), which failed on current nightly when
# lib.rs still named the removed `doc_auto_cfg` feature.
set -euo pipefail
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --all-features
RUSTDOCFLAGS="--cfg docsrs -D warnings" CARGO_TARGET_DIR=target/docsrs \
    cargo +nightly doc --no-deps --all-features -p rtshm -p rtshm-schema -p rtshm-derive
