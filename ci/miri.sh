#!/usr/bin/env bash
# Miri over the whole core test suite (unit, integration and doc tests); stress tests scale their
# iteration counts down under Miri.
set -euo pipefail
cargo +nightly miri setup
cargo +nightly miri test
