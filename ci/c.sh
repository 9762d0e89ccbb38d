#!/usr/bin/env bash
# C and C++ (ffi/c, README "C and C++"): the checked-in rtshm.h is what cbindgen generates now;
# the crate is lint-clean; CMake builds the C and C++ tests with gcc/g++ (the C ones also with
# AddressSanitizer + UndefinedBehaviorSanitizer) and ctest runs the unit tests; Rust, Python,
# C and C++ exchange SeqLock, Ring and TimeSeries values in every direction (C also
# sanitized); C++ and C readers compiled from `rtshm codegen` output read a Rust segment and a
# wrong struct is refused, its field named; the installed package is found by a consumer
# project with find_package(rtshm) and by pkg-config.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# What a fresh machine lacks (ci/setup.sh installs cmake).
command -v cbindgen >/dev/null || cargo install --locked --quiet cbindgen --version 0.29.4

cargo fmt -p rtshm-c -p rtshm-c-bench -- --check
cargo clippy -p rtshm-c -p rtshm-c-bench --all-targets -- -D warnings

build=target/c-build
rm -rf "$build"
mkdir -p "$build/gen"

# The header is generated, checked in, and must be current.
(cd ffi/c && cbindgen --quiet --config cbindgen.toml --output "../../$build/rtshm.h")
if ! diff -u ffi/c/include/rtshm.h "$build/rtshm.h"; then
    echo "error: ffi/c/include/rtshm.h is stale: run \`cbindgen --config cbindgen.toml --output include/rtshm.h\` in ffi/c" >&2
    exit 1
fi

# The Python peer needs the package: ci/python.sh's virtualenv, or a new one.
venv=target/python-venv
if ! "$venv/bin/python" -c "import rtshm" 2>/dev/null; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "maturin>=1.9,<2" "numpy>=1.24"
    "$venv/bin/pip" install --quiet ./ffi/python
fi

cargo build --quiet -p rtshm-c --example peer
cargo build --quiet -p rtshm-cli
peer=target/debug/examples/peer
rtshm=target/debug/rtshm

# A Rust segment of nested structs and 2-D arrays, declared for C, C++ and Python by codegen.
odometry="c-codegen-$$"
trap 'rm -f "/dev/shm/$odometry" /dev/shm/readme-imu' EXIT
"$peer" odometry "$odometry"
"$rtshm" codegen --lang cpp "$odometry" > "$build/gen/odometry.hpp"
"$rtshm" codegen --lang c "$odometry" > "$build/gen/odometry.h"
"$rtshm" codegen --lang python "$odometry" > "$build/gen/odometry.py"

cmake -S ffi/c -B "$build" -DRTSHM_BUILD_TESTS=ON -DRTSHM_SANITIZE=ON \
    -DRTSHM_CODEGEN_HEADER="$PWD/$build/gen/odometry.hpp" \
    -DCMAKE_INSTALL_PREFIX="$PWD/$build/prefix" > "$build/cmake.log"
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure

ffi/c/tests/interop.sh "$peer" "$venv/bin/python" "$build/peer_c" "$build/peer_cpp"
ffi/c/tests/interop.sh "$peer" "$venv/bin/python" "$build/peer_c_sanitized" "$build/peer_cpp"

"$build/codegen_reader" "$odometry"
"$build/codegen_reader_c" "$odometry"
PYTHONPATH="$build/gen" "$venv/bin/python" - "$odometry" <<'PY'
import sys
import rtshm
from odometry import Odometry
value = rtshm.Subscriber.open(sys.argv[1], Odometry, "seqlock").load()
assert value["mode"] == 7 and value["wheels"][3]["temperature"] == 23, value
print("python reads the Rust segment through the generated dtype")
PY

# Installed: a CMake project (find_package) and a C program (pkg-config) build against it.
cmake --install "$build" > /dev/null
prefix="$PWD/$build/prefix"
cmake -S ffi/c/tests/consumer -B "$build/consumer" -DCMAKE_PREFIX_PATH="$prefix" > /dev/null
cmake --build "$build/consumer"
"$build/consumer/readme_example"
"$build/consumer/readme_example_static"
pc_dir=$(dirname "$(find "$prefix" -name rtshm.pc)")
# shellcheck disable=SC2046
gcc -std=c11 -Wall -Werror ffi/c/tests/consumer/hello.c -o "$build/hello_c" \
    $(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs rtshm) -Wl,-rpath,"$prefix/lib"
"$build/hello_c" > /dev/null

# The README's C++ example is the file built above, verbatim.
"$venv/bin/python" - <<'PY'
readme = open("README.md").read()
example = open("ffi/c/tests/consumer/readme_example.cpp").read()
assert example in readme, "README.md's C++ example differs from ffi/c/tests/consumer/readme_example.cpp"
PY
# The C ABI benchmark (BENCHMARKS.md, "C and C++") runs: each case once.
cargo bench --quiet -p rtshm-c-bench -- --test > /dev/null
echo "c: all passed"
