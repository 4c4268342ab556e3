#!/usr/bin/env bash
# Runs the identitystore workload against Gatehouse and moto_server in the
# same run and prints both throughputs and their ratio.
#   bench/run-identitystore.sh [extra loadgen flags, e.g. -time 10s -c 32]
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
gh_port=${GH_PORT:-18181}
moto_port=${MOTO_PORT:-15151}

go build -o "$work/gatehouse" ./cmd/gatehouse
go build -o "$work/loadgen" ./bench/identitystore
"$work/gatehouse" serve --data-dir "$work/data" --listen "127.0.0.1:$gh_port" --log-level warn > "$work/gatehouse.out" 2>&1 &
gh_pid=$!
moto_server -H 127.0.0.1 -p "$moto_port" > "$work/moto.out" 2>&1 &
moto_pid=$!
for _ in $(seq 1 100); do
  if curl -sf "http://127.0.0.1:$gh_port/readyz" >/dev/null && curl -s "http://127.0.0.1:$moto_port/moto-api/" >/dev/null; then break; fi
  sleep 0.2
done
key=$(awk '/aws_access_key_id/ {print $3}' "$work/data/admin-credentials")
secret=$(awk '/aws_secret_access_key/ {print $3}' "$work/data/admin-credentials")
store=$(awk '/identity store id/ {print $4}' "$work/gatehouse.out")
echo "machine: $(nproc) cores, $(uname -r); gatehouse $(git rev-parse --short HEAD 2>/dev/null || echo dev); $(moto_server --version 2>/dev/null || python3 -c 'import moto;print("moto", moto.__version__)')"
"$work/loadgen" \
  -target "gatehouse=http://127.0.0.1:$gh_port,$key,$secret,$store,$gh_pid" \
  -target "moto=http://127.0.0.1:$moto_port,testing,testing,d-0123456789,$moto_pid" -ceiling "$@"
