#!/usr/bin/env bash
# sso-admin listing latency at Identity Center's scale (3,500 permission
# sets, 7,000 accounts, 100,000 users, 10,000 groups, 200,000 assignments)
# next to a small instance, and the time to re-provision one permission set
# to all 7,000 accounts, in one run. Extra flags go to bench/ssoadmin-scale
# (e.g. -assignments 20000 for a quick look).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/gatehouse" ./cmd/gatehouse
echo "machine: $(nproc) cores, $(uname -r); gatehouse $(git rev-parse --short HEAD 2>/dev/null || echo dev)"
go run ./bench/ssoadmin-scale -bin "$work/gatehouse" "$@"
