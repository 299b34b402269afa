package event

// Webhook request headers. Each delivery is a POST of the Envelope JSON.
// When the webhook has a secret, the signature is
//
//	HeaderSignature: SignaturePrefix + hex(HMAC-SHA256(secret, timestamp + "." + body))
//
// where timestamp is the HeaderTimestamp value (unix seconds) and body the raw
// request body. Receivers should reject stale timestamps and de-duplicate on
// HeaderEventID: delivery is at least once.
const (
	// HeaderEvent carries the event type, e.g. "message".
	HeaderEvent = "X-Switchboard-Event"
	// HeaderEventID carries the envelope id.
	HeaderEventID = "X-Switchboard-Event-Id"
	// HeaderTimestamp carries the signing time in unix seconds.
	HeaderTimestamp = "X-Switchboard-Timestamp"
	// HeaderSignature carries the HMAC signature, only when a secret is set.
	HeaderSignature = "X-Switchboard-Signature"
	// SignaturePrefix names the signature scheme in HeaderSignature.
	SignaturePrefix = "sha256="
)
