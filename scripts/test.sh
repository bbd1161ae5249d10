#!/usr/bin/env bash
# Runs Dovetail's whole test suite: vet, gofmt, staticcheck, then every package's tests (with
# the race detector) against one private Postgres (wal_level=logical) and one private
# MariaDB (row-based binlog) that this script starts on free ports under a temp dir and stops
# afterwards. Kafka and the schema registry are embedded in the tests. The machine's own
# servers on the standard ports are never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d /tmp/dovetail-test.XXXXXX)
chmod 755 "$tmp"
cleanup() {
  scripts/pg-server.sh stop "$tmp/pg" >/dev/null 2>&1 || true
  scripts/mariadb-server.sh stop "$tmp/maria" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
DOVETAIL_TEST_PG_DSN=$(scripts/pg-server.sh start "$tmp/pg")
export DOVETAIL_TEST_PG_DSN
echo "private postgres: $DOVETAIL_TEST_PG_DSN"
DOVETAIL_TEST_MYSQL_DSN=$(scripts/mariadb-server.sh start "$tmp/maria")
export DOVETAIL_TEST_MYSQL_DSN
echo "private mariadb: $DOVETAIL_TEST_MYSQL_DSN"
go vet ./...
test -z "$(gofmt -l .)" || { echo "gofmt would change:"; gofmt -l .; exit 1; }
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
go build -o "$tmp/dovetail" ./cmd/dovetail
export DOVETAIL_BIN="$tmp/dovetail"
go test -race -count=1 -timeout 15m "$@" ./...
