#!/usr/bin/env bash
# Runs the S3 gateway benchmark: moto_server as the upstream, the real
# gatehouse binary with its gateway in front of it, and bench/s3gw, which
# prints direct and gateway figures, the overhead, and the gateway's memory
# while a 1 GiB object streams through it.
#   bench/run-s3gw.sh [extra bench/s3gw flags, e.g. -time 3s -c 8 -huge 0]
# With PPROF=dir, CPU profiles of the gateway's phases (small GETs, then
# large GETs and PUTs in phases of their own) are written to dir; read them
# with `go tool pprof -top dir/small-get.pprof`.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
gh_port=${GH_PORT:-18282}
s3_port=${S3_PORT:-18283}
moto_port=${MOTO_PORT:-15252}
pprof_port=${PPROF_PORT:-18284}
pprof_flags=()
if [ -n "${PPROF:-}" ]; then
  mkdir -p "$PPROF"
  export GATEHOUSE_PPROF_LISTEN="127.0.0.1:$pprof_port"
  pprof_flags=(-pprof "http://127.0.0.1:$pprof_port" -profile-dir "$(cd "$PPROF" && pwd)")
fi

go build -o "$work/gatehouse" ./cmd/gatehouse
go build -o "$work/loadgen" ./bench/s3gw
cat > "$work/config.json" <<JSON
{"s3_gateway": {"listen": "127.0.0.1:$s3_port", "upstream": "http://127.0.0.1:$moto_port",
                "upstream_access_key_id": "moto", "upstream_secret_access_key": "moto-secret"}}
JSON
moto_server -H 127.0.0.1 -p "$moto_port" > "$work/moto.out" 2>&1 &
moto_pid=$!
"$work/gatehouse" serve --config "$work/config.json" --data-dir "$work/data" --listen "127.0.0.1:$gh_port" --log-level warn > "$work/gatehouse.out" 2>&1 &
gh_pid=$!
for _ in $(seq 1 100); do
  if curl -sf "http://127.0.0.1:$gh_port/readyz" >/dev/null && curl -s "http://127.0.0.1:$moto_port/moto-api/" >/dev/null \
     && curl -s "http://127.0.0.1:$s3_port/" >/dev/null; then break; fi
  sleep 0.2
done
key=$(awk '/aws_access_key_id/ {print $3}' "$work/data/admin-credentials")
secret=$(awk '/aws_secret_access_key/ {print $3}' "$work/data/admin-credentials")
echo "machine: $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); gatehouse $(git rev-parse --short HEAD 2>/dev/null || echo dev); $(python3 -c 'import moto;print("moto", moto.__version__)')"
"$work/loadgen" -direct "http://127.0.0.1:$moto_port" -gateway "http://127.0.0.1:$s3_port" -key "$key" -secret "$secret" -pid "$gh_pid" -moto-pid "$moto_pid" ${pprof_flags[@]+"${pprof_flags[@]}"} "$@"
