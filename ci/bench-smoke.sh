#!/usr/bin/env bash
# Benchmark smoke test: builds every criterion bench in release mode and runs each benchmark
# once (`--test`), checking that they run, not how fast. The measurements are `cargo bench`
# (BENCHMARKS.md).
set -euo pipefail
timeout 600 cargo bench -- --test
