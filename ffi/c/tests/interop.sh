#!/usr/bin/env bash
# Every language writes, every other reads: Rust, Python, C and C++ exchange a SeqLock, a Ring
# and a TimeSeries of `Sample` (tests/sample.h), both ways for each pair.
#   interop.sh RUST_PEER PYTHON C_PEER CPP_PEER
# RUST_PEER: target/.../examples/peer; PYTHON: a python with the rtshm package; C_PEER and
# CPP_PEER: the CMake build's peer_c and peer_cpp (or their sanitized builds).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
declare -A peer=(
    [rust]="$1"
    [python]="$2 $here/peer.py"
    [c]="$3"
    [cpp]="$4"
)
langs=(rust python c cpp)
pairs=0
for writer in "${langs[@]}"; do
    for reader in "${langs[@]}"; do
        [[ $writer == "$reader" ]] && continue
        prefix="interop-$$-$writer-$reader"
        # shellcheck disable=SC2086
        if ! ${peer[$writer]} write "$prefix" || ! ${peer[$reader]} read "$prefix"; then
            echo "interop: $writer -> $reader FAILED" >&2
            for k in seqlock ring series; do rm -f "/dev/shm/$prefix-$k"; done
            exit 1
        fi
        echo "interop: $writer -> $reader: SeqLock, Ring, TimeSeries ok"
        pairs=$((pairs + 1))
    done
done
echo "interop: $pairs directions ok"
