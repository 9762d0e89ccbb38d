#!/usr/bin/env bash
# The README's test command, then the core without `std`.
set -euo pipefail

cargo test
cargo test --no-default-features
# Statistics counters (feature `stats`): the exact-count tests and the doctests with it on.
cargo test --features stats --test stats --test lifecycle
cargo test --features stats --doc
# The inspector CLI (feature `cli`): its unit tests and the end-to-end tests of the binary.
cargo test --features cli --bin rtshm --test cli
