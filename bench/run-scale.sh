#!/usr/bin/env bash
# Identitystore latency and server memory at Identity Center's scale
# (200,000 users, 100,000 groups, 1,000,000 memberships) next to a small
# instance, in one run.  Extra flags go to bench/scale (e.g. -users 20000).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/gatehouse" ./cmd/gatehouse
go run ./bench/scale -bin "$work/gatehouse" "$@"
