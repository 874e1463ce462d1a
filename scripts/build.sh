#!/usr/bin/env bash
# Installs what is missing and builds witprove (Release) into build/. Extra arguments go to cmake.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
build_dir=${WITPROVE_BUILD_DIR:-$root/build}
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DWITPROVE_WERROR="$werror" "$@" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
