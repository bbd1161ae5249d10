# Dovetail's entry points. `make demo` runs the main job on embedded defaults; `make test`
# runs the test suite (what CI runs, via .ci/run).
GO ?= go

.PHONY: build demo test bench bench-mysql deps lint clean

build:
	$(GO) build -o bin/dovetail ./cmd/dovetail

deps:
	scripts/install-deps.sh

demo: deps build
	scripts/demo.sh

test: deps
	scripts/test.sh

bench: deps build
	bench/run.sh

bench-mysql: deps build
	bench/mysql.sh

# Dovetail's Postgres sink against Postgres logical replication, catching up on one backlog.
.PHONY: bench-sink
bench-sink: deps build
	bench/sink.sh

# Dovetail's MySQL sink against MariaDB's native replication, catching up on one backlog.
.PHONY: bench-mysql-sink
bench-mysql-sink: deps build
	bench/mysql-sink.sh

# dovetail snapshot against psql \copy and mariadb-dump on a 10M-row table.
.PHONY: bench-snapshot
bench-snapshot: deps build
	bench/snapshot.sh

lint:
	gofmt -l . | (! grep .)
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

clean:
	rm -rf bin var
