#!/usr/bin/env bash
# Every code block of README.md is compiled or run by a test (ci/readme.py says how, block by
# block): the shell blocks run here as written, the Cargo.toml blocks build scratch crates.
# Last in .ci/run: the builds it repeats are cached by then.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 ci/readme.py
