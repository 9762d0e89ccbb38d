#!/usr/bin/env bash
# Loom models (tests/loom_*.rs). Preemption bound 3 unless LOOM_MAX_PREEMPTIONS says otherwise.
set -euo pipefail
RUSTFLAGS="--cfg rtshm_loom" CARGO_TARGET_DIR=target/loom cargo test -p rtshm --release --tests
