#!/usr/bin/env bash
# Tests check-manifest.sh: the shipped manifest passes; mutated copies, each broken in one way, fail.
# Exit 0 on success, 77 (skip) without Python's yaml and jsonschema modules.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
if ! "$py" -c 'import yaml, jsonschema' 2>/dev/null; then
  echo "SKIP: Python modules yaml and jsonschema missing (scripts/install-deps.sh --k8s)"
  exit 77
fi
manifest=$here/prove-range-job.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$here/check-manifest.sh" "$manifest" >/dev/null || { echo "FAIL: the shipped manifest is rejected" >&2; exit 1; }
echo "ok: prove-range-job.yaml passes"

# Each case: a name and a sed script that breaks the manifest in one way.
cases=(
  "completionMode NonIndexed|s/completionMode: Indexed/completionMode: NonIndexed/"
  "completionMode not in the enum|s/completionMode: Indexed/completionMode: Index/"
  "container image missing|/image: witprove:latest/d"
  "memory quantity 8GB|0,/memory: 8Gi/s//memory: 8GB/"
  "restartPolicy OnFailure|s/restartPolicy: Never/restartPolicy: OnFailure/"
  "completions 0|s/completions: 100/completions: 0/"
  "podFailurePolicy action not in the enum|s/action: FailIndex/action: Fail/"
  "exit code operator not in the enum|s/operator: In/operator: Within/"
  "command without JOB_COMPLETION_INDEX|s/JOB_COMPLETION_INDEX))/0))/"
  "misspelled field|s/parallelism:/paralelism:/"
  "not YAML|1s/^/: [/"
)
for c in "${cases[@]}"; do
  name=${c%%|*}
  bad=$tmp/bad.yaml
  sed -e "${c#*|}" "$manifest" >"$bad"
  if cmp -s "$manifest" "$bad"; then echo "FAIL: mutation '$name' changed nothing" >&2; exit 1; fi
  if "$here/check-manifest.sh" "$bad" >"$tmp/out" 2>&1; then
    echo "FAIL: manifest with $name accepted" >&2
    exit 1
  elif [ $? -ne 1 ]; then
    echo "FAIL: manifest with $name: expected exit 1: $(cat "$tmp/out")" >&2
    exit 1
  fi
  echo "ok: rejected: $name: $(grep -m1 . "$tmp/out" | sed "s|^$bad: ||" | cut -c1-110)"
done
echo "PASS: check-manifest.sh"
