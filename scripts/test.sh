#!/usr/bin/env bash
# The whole test suite: vet, then every test (fuzz seed corpora are replayed
# as ordinary tests). PostgreSQL tests run when GATEHOUSE_TEST_POSTGRES names
# a server (.ci/run starts one); with CI set they fail rather than skip when
# a database or a real AWS client is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
go version
echo "== go vet"
go vet ./...
echo "== go test"
go test -count=1 -timeout 20m ./...
