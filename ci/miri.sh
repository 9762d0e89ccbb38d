#!/usr/bin/env bash
# Miri over the whole core test suite (unit, integration and doc tests); stress tests scale their
# iteration counts down under Miri.
set -euo pipefail
# Isolation off: tests read the real monotonic and realtime clocks.
export MIRIFLAGS="${MIRIFLAGS:-} -Zmiri-disable-isolation"
cargo +nightly miri setup
cargo +nightly miri test -p rtshm
