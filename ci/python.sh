#!/usr/bin/env bash
# The Python package (ffi/python/): lint its binding crate, build and install the wheel into a fresh
# virtualenv, and run pytest, as the README's "Python" section does.
set -euo pipefail

(cd ffi/python && cargo fmt --all -- --check && cargo clippy --all-targets -- -D warnings)

venv=target/python-venv
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet "maturin>=1.9,<2" "numpy>=1.24" "pytest>=7"
"$venv/bin/pip" install --quiet ./ffi/python

# The Rust peer of the interop tests, built once here rather than by the first test.
cargo build --quiet --example python_peer
# From the repository root, so that `import rtshm` is the installed package.
RTSHM_PEER=target/debug/examples/python_peer timeout 300 "$venv/bin/python" -m pytest -q ffi/python/tests
