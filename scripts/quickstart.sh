#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job on the bundled example data: a chained range of
# three generated blocks is analyzed, proved, and its proofs and chain verified (scripts/prove-archive.sh).
# Proofs and report.json go to out/quickstart/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh"
export WITPROVE_BIN=${WITPROVE_BUILD_DIR:-$root/build}/apps
exec "$root/scripts/prove-archive.sh" --mode chained "$root/testdata/generated/combined.json" 1000 1002 \
  "$root/out/quickstart"
