# Switchboard: `make run` starts the standalone gateway, `make test` runs every test.
GO      ?= go
MODULES := shared api worker scheduler deployments
BIN     := $(CURDIR)/bin
# Test timeout per package; the suites take seconds to a few minutes.
TESTFLAGS ?= -count=1 -timeout 15m
# Modules whose tests run under the race detector. worker and deployments are
# left out: whatsmeow's socket (FrameSocket.Close against its readPump, on a
# disconnect racing its own reconnect) trips the detector in their tests, and
# they are the slowest suites. RACE_MODULES="$(MODULES)" runs them all.
RACE_MODULES ?= api scheduler

.PHONY: build run demo test test-short test-cluster bench bench-scale fuzz vet vulncheck tidy clean cluster-up cluster-down image

build: bin/nats-server
	cd shared && $(GO) build -o $(BIN)/wasim ./cmd/wasim
	cd api && $(GO) build -o $(BIN)/switchboard-api ./cmd/switchboard-api
	cd worker && $(GO) build -o $(BIN)/switchboard-worker ./cmd/switchboard-worker
	cd scheduler && $(GO) build -o $(BIN)/switchboard-scheduler ./cmd/switchboard-scheduler
	cd deployments && $(GO) build -o $(BIN)/switchboard ./cmd/switchboard && $(GO) build -o $(BIN)/switchboard-demo ./cmd/switchboard-demo

## run: the standalone gateway (embedded NATS + SQLite under ./data) on 127.0.0.1:3000
run: build
	$(BIN)/switchboard

## demo: standalone gateway with the built-in simulator; links a session and shows it working
demo: build
	./scripts/demo.sh

vet:
	@for m in $(MODULES); do echo "== vet $$m"; (cd $$m && $(GO) vet ./...) || exit 1; done

## vulncheck: govulncheck over every module. It needs the Go vulnerability
## database (https://vuln.go.dev by default, or VULNDB=file:///path/to/a/copy),
## so it is not part of `make vet`, which must work offline.
GOVULNCHECK ?= $(GO) run golang.org/x/vuln/cmd/govulncheck@v1.9.0
VULNDB      ?= https://vuln.go.dev
vulncheck:
	@for m in $(MODULES); do echo "== govulncheck $$m"; (cd $$m && GOWORK=off $(GOVULNCHECK) -db $(VULNDB) ./...) || exit 1; done

## test: vet and test every module, each on its own (GOWORK=off) as well as in the workspace
test: vet
	@for m in $(MODULES); do \
		race=; case " $(RACE_MODULES) " in *" $$m "*) race=-race;; esac; \
		echo "== test $$m $$race"; (cd $$m && GOWORK=off $(GO) test $$race $(TESTFLAGS) ./...) || exit 1; \
	done

## test-cluster: the full cluster suite with real processes (3 nats-server nodes, api, workers, schedulers,
## simulator): kill -9, join, drain, NATS node loss, Postgres restart (restarts the local Postgres; run as root)
test-cluster: build
	cd deployments && $(GO) test -tags cluster $(TESTFLAGS) -v -run . ./cluster/

test-short:
	@for m in $(MODULES); do (cd $$m && $(GO) test -short $(TESTFLAGS) ./...) || exit 1; done

## bench: every benchmark, printed as one table
bench:
	./scripts/bench.sh

## fuzz: run each fuzzer for FUZZTIME (the seed corpora also run in make test)
FUZZTIME ?= 30s
fuzz:
	cd api && $(GO) test -run '^$$' -fuzz '^FuzzAPI$$' -fuzztime $(FUZZTIME) ./httpapi/
	cd api && $(GO) test -run '^$$' -fuzz '^FuzzDecodeCreate$$' -fuzztime $(FUZZTIME) ./httpapi/
	cd api && $(GO) test -run '^$$' -fuzz '^FuzzDecodeWASend$$' -fuzztime $(FUZZTIME) ./httpapi/
	cd shared && $(GO) test -run '^$$' -fuzz '^FuzzRawClient$$' -fuzztime $(FUZZTIME) ./wasim/

tidy:
	@for m in $(MODULES); do (cd $$m && $(GO) mod tidy) || exit 1; done

clean:
	rm -rf $(BIN)

## bin/nats-server: the pinned nats-server from the Go module (the system one is too old for KV TTLs)
bin/nats-server: shared/go.mod
	cd shared && $(GO) build -o $(BIN)/nats-server github.com/nats-io/nats-server/v2

## image: the container image (every binary; `switchboard` by default), where a container runtime runs
IMAGE ?= switchboard:latest
image:
	docker build -f deployments/docker/Dockerfile -t $(IMAGE) .

cluster-up: build
	./scripts/cluster-up.sh

cluster-down:
	./scripts/cluster-down.sh

## bench-scale: the gateway measured from outside with separate processes (see scripts/bench-scale.sh):
## SCALE_N sessions (10000) linked by SCALE_C clients (64), SCALE_IDLE (300s) idle window, then a restart;
## SCALE_WORKERS=3 runs a local cluster (nats-server, api, workers, Postgres) and kill -9s one worker
bench-scale: build
	./scripts/bench-scale.sh
