#!/usr/bin/env bash
# Runs the sso-admin workload (CreatePermissionSet, AttachManagedPolicy,
# CreateAccountAssignment + status poll) against Gatehouse and moto_server
# in the same run and prints both throughputs and their ratio.
#   bench/run-ssoadmin.sh [extra bench/ssoadmin flags, e.g. -iterations 5000 -concurrency 16]
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
gh_port=${GH_PORT:-18182}
moto_port=${MOTO_PORT:-15152}

go build -o "$work/gatehouse" ./cmd/gatehouse
go build -o "$work/loadgen" ./bench/ssoadmin
"$work/gatehouse" serve --data-dir "$work/data" --listen "127.0.0.1:$gh_port" --public-url "http://localhost:$gh_port" \
  --log-level warn > "$work/gatehouse.out" 2>&1 &
gh_pid=$!
moto_server -H 127.0.0.1 -p "$moto_port" > "$work/moto.out" 2>&1 &
moto_pid=$!
for _ in $(seq 1 100); do
  if curl -sf "http://127.0.0.1:$gh_port/readyz" >/dev/null && curl -s "http://127.0.0.1:$moto_port/moto-api/" >/dev/null; then break; fi
  sleep 0.2
done
key=$(awk '/aws_access_key_id/ {print $3}' "$work/data/admin-credentials")
secret=$(awk '/aws_secret_access_key/ {print $3}' "$work/data/admin-credentials")
echo "machine: $(nproc) cores, $(uname -r); gatehouse $(git rev-parse --short HEAD 2>/dev/null || echo dev); $(python3 -c 'import moto;print("moto", moto.__version__)')"
"$work/loadgen" -label gatehouse -endpoint "http://127.0.0.1:$gh_port" -key "$key" -secret "$secret" -pid "$gh_pid" "$@" | tee "$work/gatehouse.txt"
"$work/loadgen" -label moto -endpoint "http://127.0.0.1:$moto_port" -key testing -secret testing -pid "$moto_pid" "$@" | tee "$work/moto.txt"
gh=$(awk '/^RESULT/ {print $3}' "$work/gatehouse.txt")
moto=$(awk '/^RESULT/ {print $3}' "$work/moto.txt")
awk -v g="$gh" -v m="$moto" 'BEGIN { printf "gatehouse / moto throughput: %.1fx (%.1f vs %.1f iterations/s)\n", g / m, g, m }'
# What 20x moto would take here: the load generator's own CPU at that rate
# (from what it spent per iteration against Gatehouse), and what it leaves
# the server on this machine's cores.
client=$(awk '/^CPU/ {print $3}' "$work/gatehouse.txt")
awk -v m="$moto" -v c="$client" -v n="$(nproc)" 'BEGIN {
  rate = 20 * m; cores = rate * c; left = n - cores
  printf "20x moto = %.0f iterations/s: the load generator alone would use %.2f of the %d cores", rate, cores, n
  if (left <= 0) print ", more than the machine has"; else printf ", leaving the server %.0f µs of CPU per iteration\n", left / rate * 1e6
}'
