#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job on the bundled example data.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh"
build_dir=${WITPROVE_BUILD_DIR:-$root/build}
"$build_dir/apps/analyze-witnesses" "$root/testdata/witnesses"
