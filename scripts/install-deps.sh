#!/usr/bin/env bash
# Installs the Debian packages witprove needs to build, test and benchmark. Idempotent: a no-op when all are present.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates
  libsimdjson-dev libtbb-dev libfmt-dev libboost-program-options-dev catch2
  libarchive-dev libssl-dev xz-utils zstd bzip2 gzip
  jq shellcheck
)
# Options add packages, and may be combined:
#   --fuzz: clang and its runtime libraries, for the libFuzzer targets (scripts/fuzz.sh).
#   --slurm: Slurm and munge, for a local test cluster (scripts/slurm/local-cluster.sh).
#   --k8s: YAML and JSON Schema for Python, to check the Kubernetes manifest offline (scripts/k8s/check-manifest.sh).
#   --plots: gnuplot without X, for a run's plots (scripts/plot-run.sh).
for opt in "$@"; do
  case $opt in
    --fuzz) packages+=(clang libclang-rt-14-dev llvm) ;;
    --slurm) packages+=(slurm-wlm munge) ;;
    --k8s) packages+=(python3-yaml python3-jsonschema) ;;
    --plots) packages+=(gnuplot-nox) ;;
    *) echo "install-deps: unknown option $opt (--fuzz, --slurm, --k8s, --plots)" >&2; exit 2 ;;
  esac
done

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
