// Package e2e holds the scheduler's end-to-end tests: the real scheduler,
// the real worker with whatsmeow clients, and the WhatsApp simulator, on an
// embedded NATS server. It is a module of its own because the scheduler
// module must not import the worker.
package e2e
