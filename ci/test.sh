#!/usr/bin/env bash
# The README's test command, then the core without `std`.
set -euo pipefail

cargo test
cargo test --no-default-features
