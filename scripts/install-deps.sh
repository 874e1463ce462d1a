#!/usr/bin/env bash
# Installs the Debian packages witprove needs to build, test and benchmark. Idempotent: a no-op when all are present.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates
  libsimdjson-dev libtbb-dev libfmt-dev libboost-program-options-dev catch2
  libarchive-dev libssl-dev xz-utils zstd bzip2 gzip
  jq shellcheck
)
# --fuzz: also clang and its runtime libraries, for the libFuzzer targets (scripts/fuzz.sh).
if [ "${1:-}" = --fuzz ]; then
  packages+=(clang libclang-rt-14-dev llvm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]} (run as root, or install them with apt-get)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
