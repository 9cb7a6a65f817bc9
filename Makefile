# govwire: the two commands a new machine needs are `make run` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run test test-cluster demo lint fmt schemas services rabbitmq postgres tools python-example build release clean-state fuzz bench bench-pipeline install cluster cluster-stop chaos chaos-postgres

## run: the whole pipeline in one process (`govwire all`) with config/govwire.toml and SQLite
## (created first by `govwire init`, which leaves an existing store as it is).
run: rabbitmq tools release
	./target/release/govwire init
	./target/release/govwire all

## test: the whole suite against a real RabbitMQ and PostgreSQL (started or installed if needed).
test: services tools python-example
	$(CARGO) test --workspace --locked --all-targets

## test-cluster: only the tests that run govwire on a three-node RabbitMQ cluster of their
## own (a node stopped mid-backfill); `make test` runs them too.
test-cluster: services tools
	$(CARGO) test --workspace --locked --all-targets -- cluster

## install: the release binary, /etc/govwire (configuration and profiles, kept if present),
## /var/lib/govwire, a govwire user and the systemd unit (sudo; DESTDIR=root for a staging root).
install: release
	./scripts/install.sh

## demo: the pipeline against the fixture portal; shows events arriving and ends with a summary.
demo: rabbitmq tools build
	./scripts/demo.sh

## lint: formatting and clippy, as CI expects them clean.
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

fmt:
	$(CARGO) fmt --all

## schemas: regenerate schemas/ from the Rust types (a test checks they match).
schemas:
	$(CARGO) run --quiet --locked -- schemas --out schemas

services: rabbitmq postgres

## tools: the programs attachment text is read with (pdftotext, antiword, catdoc), and the browser and CJK font the analytics report and the archive's pages are tested in (chromium, fonts-wqy-zenhei).
tools:
	@./scripts/ensure-tools.sh

## python-example: the Python subscriber example's packages (pika, jsonschema) in
## target/python-consumer-venv, which the tests run it from.
python-example:
	@./scripts/ensure-python-example.sh

## fuzz: the parser's fuzz target for FUZZ_SECONDS (default 60) on the stable toolchain.
FUZZ_SECONDS ?= 60
fuzz:
	./scripts/fuzz.sh $(FUZZ_SECONDS)

## bench: parse throughput beside a bare HTML parse, and the archive's list and search on
## 100,000 versions on SQLite and PostgreSQL (see BENCHMARKS.md).
bench: postgres
	$(CARGO) bench --locked -p govwire-parser --bench throughput
	$(CARGO) bench --locked -p govwire-archive --bench query

## bench-pipeline: govwire all against the fixture portal serving N (default 3000) replies,
## politeness off, at concurrency 1 and 16, and split into one process per daemon: wall,
## replies/s, CPU per reply of govwire and RabbitMQ, fetch-to-archived latency, peak RSS.
BENCH_REPLIES ?= 3000
BENCH_RUNS ?= 3
bench-pipeline: rabbitmq release
	./scripts/bench-pipeline.sh $(BENCH_REPLIES) $(BENCH_RUNS) 1
	./scripts/bench-pipeline.sh $(BENCH_REPLIES) $(BENCH_RUNS) 16
	./scripts/bench-pipeline.sh $(BENCH_REPLIES) $(BENCH_RUNS) 16 split

rabbitmq:
	@./scripts/ensure-rabbitmq.sh

## cluster: a three-node RabbitMQ cluster of its own on 127.0.0.1:5681-5683 (data in
## target/rabbitmq-cluster/; the broker on 5672 untouched); prints the amqp.url line for it.
cluster:
	@./scripts/cluster.sh start

## cluster-stop: stops the nodes `make cluster` started (their data stays).
cluster-stop:
	@./scripts/cluster.sh stop

postgres:
	@./scripts/ensure-postgres.sh

build:
	$(CARGO) build --locked

release:
	$(CARGO) build --release --locked

## chaos: every daemon as its own process against the fixture portal (1,000 replies, edited and
## removed during the run) on a RabbitMQ node of its own, each daemon SIGKILLed three times, the
## broker restarted, one daemon stalled 60 s; then a program checks delivery and prints the
## verdict and recovery times (exit 1 on a failed check). SQLite; CHAOS_STORE=postgres (or
## `make chaos-postgres`) runs it on a PostgreSQL instance of its own, restarted once too.
## CHAOS_ARGS passes options to scripts/chaos/run.py (--seed, --replies, --fault-window…).
CHAOS_STORE ?= sqlite
CHAOS_ARGS ?=
chaos: release
	python3 scripts/chaos/run.py --store $(CHAOS_STORE) $(CHAOS_ARGS)

chaos-postgres:
	$(MAKE) chaos CHAOS_STORE=postgres
