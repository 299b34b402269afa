// Package sweep holds the scheduler's end-to-end tests: the real scheduler,
// the real worker with whatsmeow clients, and the WhatsApp simulator, on an
// embedded NATS server. They live in deployments because only deployments
// may import both the scheduler and the worker.
package sweep
