#!/usr/bin/env bash
# The admin console's users and audit pages at Identity Center's scale
# (200,000 users, 1,000,000 audit events) next to a small instance, in one
# run. Extra flags go to bench/console (e.g. -users 20000 -events 100000).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/gatehouse" ./cmd/gatehouse
go run ./bench/console -bin "$work/gatehouse" "$@"
