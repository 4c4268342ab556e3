#!/usr/bin/env bash
# Issue 6 speed: in one run, on loopback, the plain net/http ceiling (a
# handler returning a fixed small body), then GetRoleCredentials and
# SigV4-verified GetCallerIdentity (temporary credentials) per second
# against the real wired Gatehouse on SQLite, with p50/p99.
#   bench/run-credentials.sh            (each phase at most 5 s)
#   GATEHOUSE_LOAD_TIME=10s bench/run-credentials.sh
set -euo pipefail
cd "$(dirname "$0")/.."
GATEHOUSE_LOAD=1 go test -v -count=1 -run '^TestLoadCredentials$' -timeout 10m ./cmd/gatehouse/ | grep -v -e '^=== RUN' -e '^--- PASS' -e '^PASS' -e '^ok'
