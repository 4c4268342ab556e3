#!/usr/bin/env bash
# Refresh the AWS-managed IAM policy catalogue embedded by
# internal/managedpolicy.
#
# The source is a JSON object keyed by policy name, each entry holding Arn,
# Path, DefaultVersionId and Document (the shape of the project's shared
# snapshot, ../shared/data/aws-managed-policies.json, which is the default).
# The file is stored gzip-compressed (-n: no name or time stamp, so the same
# input always gives the same bytes) and checked by the package's tests.
#
# Usage: scripts/refresh-managed-policies.sh [path/to/aws-managed-policies.json]
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="${1:-$repo_root/../shared/data/aws-managed-policies.json}"
out="$repo_root/internal/managedpolicy/aws-managed-policies.json.gz"

python3 - "$src" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d, dict) and d, "expected a non-empty object keyed by policy name"
for name, p in d.items():
    for k in ("Arn", "Path", "DefaultVersionId", "Document"):
        assert k in p, f"{name}: missing {k}"
print(f"{len(d)} policies in {sys.argv[1]}")
PY
gzip -9 -n -c "$src" > "$out"
echo "wrote $out ($(wc -c < "$out") bytes)"
