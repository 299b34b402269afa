// Package cluster holds the end-to-end tests of a Switchboard cluster made
// of real processes on loopback: three bin/nats-server nodes (streams and
// buckets with 3 replicas), the local Postgres, the WhatsApp simulator, and
// the switchboard-api, switchboard-worker and switchboard-scheduler
// binaries. The tests kill, drain, add and restart those processes and check
// that no session is lost, none is connected twice and no accepted command
// is dropped.
//
// TestMain builds the binaries once (make build). A reduced failover case
// runs with every `go test`; the full suite needs `-tags cluster` (make
// test-cluster); BenchmarkFailover2000 is run by make bench.
package cluster
