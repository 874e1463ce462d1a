#!/usr/bin/env bash
# Validates a Job manifest offline: against job.schema.json (a subset of batch/v1 Job), then the invariants
# prove-range needs. Exit 0 valid, 1 invalid, 2 usage or missing Python modules.
#   scripts/k8s/check-manifest.sh [MANIFEST]   (default: scripts/k8s/prove-range-job.yaml)
# Needs python3-yaml and python3-jsonschema (scripts/install-deps.sh --k8s).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
manifest=${1:-$here/prove-range-job.yaml}
if [ $# -gt 1 ] || [ ! -f "$manifest" ]; then
  echo "usage: $0 [MANIFEST] (an existing file)" >&2
  exit 2
fi
# The system interpreter, where Debian's python3-yaml and python3-jsonschema live (python3 may be a shim).
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3

"$py" - "$here/job.schema.json" "$manifest" <<'PY'
import json, sys
try:
    import jsonschema, yaml
except ImportError as e:
    print(f"check-manifest: Python module {e.name} missing (scripts/install-deps.sh --k8s)", file=sys.stderr)
    sys.exit(2)
schema_path, path = sys.argv[1], sys.argv[2]
try:
    with open(path) as f:
        job = yaml.safe_load(f)
except yaml.YAMLError as e:
    print(f"{path}: not YAML: {e}", file=sys.stderr)
    sys.exit(1)
with open(schema_path) as f:
    schema = json.load(f)
errors = [f"{'.'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
          for e in jsonschema.Draft202012Validator(schema).iter_errors(job)]
if not errors:
    # Invariants beyond the schema: what an indexed per-block run and its failure policy rely on.
    spec = job["spec"]
    pod = spec["template"]["spec"]
    if spec.get("completionMode") != "Indexed":
        errors.append("spec.completionMode must be Indexed (one index per block)")
    c = spec.get("completions")
    if not (isinstance(c, int) and not isinstance(c, bool) and c >= 1):
        errors.append("spec.completions must be an integer >= 1 (END - START + 1)")
    if pod.get("restartPolicy") != "Never":
        errors.append("spec.template.spec.restartPolicy must be Never (podFailurePolicy requires it)")
    if not any("JOB_COMPLETION_INDEX" in " ".join(ct.get("command", []) + ct.get("args", []))
               for ct in pod["containers"]):
        errors.append("no container command uses JOB_COMPLETION_INDEX")
    rules = spec.get("podFailurePolicy", {}).get("rules", [])
    if any(r["action"] == "FailIndex" for r in rules) and "backoffLimitPerIndex" not in spec:
        errors.append("podFailurePolicy action FailIndex needs spec.backoffLimitPerIndex")
    names = {ct["name"] for ct in pod["containers"]}
    for r in rules:
        n = r.get("onExitCodes", {}).get("containerName")
        if n is not None and n not in names:
            errors.append(f"podFailurePolicy rule names container {n!r}, not in the pod")
for e in errors:
    print(f"{path}: {e}", file=sys.stderr)
if errors:
    sys.exit(1)
print(f"{path}: valid")
PY
