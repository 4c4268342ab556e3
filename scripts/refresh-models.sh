#!/usr/bin/env bash
# Refresh the trimmed AWS service models embedded by internal/awsapi/awsmodel.
#
# The models come from the botocore Python package (Apache-2.0). This script
# finds botocore's data directory (or takes it from BOTOCORE_DATA), picks the
# newest API version of each service Gatehouse speaks, drops what validation
# and routing never read (documentation strings, examples, paginators) and
# writes one compact JSON file per service to internal/awsapi/awsmodel/data/.
# Member order inside structures is preserved: it is meaningful to the
# validator. Run it from anywhere; it only writes into the data directory.
#
# Usage: scripts/refresh-models.sh            (uses the installed botocore)
#        BOTOCORE_DATA=/path/to/botocore/data scripts/refresh-models.sh
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out_dir="$repo_root/internal/awsapi/awsmodel/data"

if [[ -z "${BOTOCORE_DATA:-}" ]]; then
	BOTOCORE_DATA="$(python3 -c 'import botocore, os; print(os.path.join(os.path.dirname(botocore.__file__), "data"))')"
fi
botocore_version="$(python3 -c 'import botocore; print(botocore.__version__)' 2>/dev/null || echo unknown)"

services=(identitystore sso-admin organizations sso-oidc sso sts iam)

python3 - "$BOTOCORE_DATA" "$out_dir" "$botocore_version" "${services[@]}" <<'PY'
import gzip, json, os, sys

data_dir, out_dir, botocore_version, services = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]

# Keys that only carry prose or SDK sugar. Everything else (constraints,
# sensitive, box, union, document, deprecated, location, locationName,
# flattened, xmlName, queryName, timestampFormat, error/exception data,
# retryable, endpoint, auth...) stays.
DROP = {"documentation", "documentationUrl", "examples", "deprecatedMessage"}

def trim(v):
    if isinstance(v, dict):
        return {k: trim(x) for k, x in v.items() if k not in DROP}
    if isinstance(v, list):
        return [trim(x) for x in v]
    return v

def dump(v):
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))

for svc in services:
    svc_dir = os.path.join(data_dir, svc)
    versions = sorted(d for d in os.listdir(svc_dir) if os.path.isdir(os.path.join(svc_dir, d)))
    version = versions[-1]
    path = os.path.join(svc_dir, version, "service-2.json.gz")
    if not os.path.exists(path):
        path = path[:-3]
        opener = open
    else:
        opener = gzip.open
    with opener(path, "rt", encoding="utf-8") as f:
        model = json.load(f)
    model = trim(model)
    # One operation or shape per line keeps diffs of a refresh readable.
    lines = ["{", '"version":%s,' % dump(model.get("version", "2.0")), '"metadata":%s,' % dump(model["metadata"])]
    for section in ("operations", "shapes"):
        items = list(model[section].items())
        lines.append('"%s":{' % section)
        for i, (name, body) in enumerate(items):
            lines.append("%s:%s%s" % (dump(name), dump(body), "," if i < len(items) - 1 else ""))
        lines.append("}," if section == "operations" else "}")
    lines.append("}")
    out = os.path.join(out_dir, svc + ".json")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print("%-14s %s -> %s" % (svc, version, os.path.relpath(out)))

with open(os.path.join(out_dir, "VERSION"), "w") as f:
    f.write("botocore %s\n" % botocore_version)
PY
