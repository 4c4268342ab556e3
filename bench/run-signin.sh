#!/usr/bin/env bash
# Sign-in speed (issue 5): password + TOTP sign-ins per second through the
# access portal over HTTP, next to the raw argon2id rate measured in the
# same run (target: at least 80 % of it); a valid sign-in and /healthz
# while a flood of wrong passwords runs; and the portal's account list for
# a user reaching 7,000 accounts through 50 groups next to one with 5
# (target: within 3x).
#   bench/run-signin.sh [count]     (count: repetitions, default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-3}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
echo "machine: $(nproc) cores, $(uname -r); gatehouse $(git rev-parse --short HEAD 2>/dev/null || echo dev)"
go test -run - -bench 'BenchmarkSignIn$|BenchmarkSignInUnderFlood|BenchmarkPortalAccounts' -benchtime 1x -count "$count" \
  ./cmd/gatehouse/ | tee "$out"
echo
awk '
  function metric(name,   i) { for (i = 1; i < NF; i++) if ($(i+1) == name) return $i; return 0 }
  /^BenchmarkSignIn-/ {
    printf "sign-in: %5.1f password+TOTP sign-ins/s vs raw argon2id %5.1f hashes/s in the same run: %3.0f %%\n",
      metric("signins/s"), metric("argon2id/s"), metric("ratio") * 100 }
  /^BenchmarkSignInUnderFlood/ {
    printf "flood:   valid sign-in %5.0f ms, /healthz %5.1f ms (medians) during %d wrong-password attempts\n",
      metric("valid-signin-ms"), metric("healthz-ms"), metric("flood-attempts") }
  /^BenchmarkPortalAccounts/ {
    printf "portal:  account page %6.2f ms (7,000 accounts via 50 groups) vs %6.2f ms (5 accounts): %.1fx\n",
      metric("ms-7000"), metric("ms-5"), metric("ms-7000") / metric("ms-5") }
' "$out"
