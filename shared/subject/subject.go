// Package subject defines every NATS subject, stream and KV bucket name that
// Switchboard uses. Nothing else in the project spells these strings.
package subject

import (
	"fmt"
	"strconv"
	"strings"
)

const (
	// CommandStream is the work-queue stream holding session commands.
	CommandStream = "WA_CMD"
	// CommandPrefix starts every published command subject.
	CommandPrefix = "wa.cmd"
	// CommandPublish is the stream's subject filter for published commands:
	// wa.cmd.<tenant>.<session>.<verb>.
	CommandPublish = CommandPrefix + ".*.*.*"

	// EventStream holds every typed session event.
	EventStream = "WA_EVT"
	// EventPrefix starts every event subject: wa.evt.<tenant>.<session>.<type>.
	EventPrefix = "wa.evt"
	// EventAll matches every event.
	EventAll = EventPrefix + ".>"
	// WebhookConsumer is the durable pull consumer on EventStream shared by
	// every worker's webhook dispatcher.
	WebhookConsumer = "webhooks"
	// WebhookLeaseKey is the key in LeasesBucket of the lease held by the
	// one active webhook dispatcher: only its holder pulls WebhookConsumer,
	// so each session's events reach each endpoint in order across workers.
	WebhookLeaseKey = "webhooks"
	// WebhookHandoffKey, in LeasesBucket, marks a clean hand-over: the last
	// holder handed every held event back in order before releasing the
	// lease, so the next one need not wait for them to expire.
	WebhookHandoffKey = "webhooks.handoff"
	// WebhookControlPrefix starts the request/reply subjects of the webhook
	// role: wa.webhook.<tenant>.<session>.<op>, answered by any worker
	// (queue group WebhookControlQueue).
	WebhookControlPrefix = "wa.webhook"
	// WebhookControlAll matches every webhook control request.
	WebhookControlAll = WebhookControlPrefix + ".*.*.*"
	// WebhookControlQueue is the queue group of the webhook control responders.
	WebhookControlQueue = "webhooks"
	// Webhook control operations (the last token of a control subject).
	WebhookOpDeadLetters = "dead_letters"
	WebhookOpReplay      = "replay"
	WebhookOpTest        = "test"

	// SessionsBucket holds one record per session, keyed <tenant>.<session>.
	SessionsBucket = "wa_sessions"
	// PairingBucket holds QR codes and pair codes of sessions being linked.
	PairingBucket = "wa_pairing"
	// LeasesBucket holds shard leases, keyed s.<shard>.
	LeasesBucket = "wa_shard_leases"
	// LivenessBucket holds one liveness record per owned shard, keyed
	// s.<shard> like the leases (session.ShardLiveness).
	LivenessBucket = "wa_shard_liveness"
	// WorkersBucket holds live worker heartbeats, keyed by worker id.
	WorkersBucket = "wa_workers"
	// SchedulerBucket holds the scheduler leader lease (TTL'd entries).
	SchedulerBucket = "wa_scheduler"
	// SchedulerStateBucket holds the scheduler's durable bookkeeping (no
	// TTL): the last handled sweep and per-session restart books.
	SchedulerStateBucket = "wa_scheduler_state"
	// KeysBucket holds managed api keys, keyed by key id; values carry the
	// SHA-256 hash of the key, never the key.
	KeysBucket = "wa_api_keys"

	// MessagesBucket holds the small per-message record of every outbound
	// message (status, no text) under m.<tenant>.<session>.<id>.
	MessagesBucket = "wa_messages"
	// TextStream holds the text of outbound messages until delivery, one
	// message per text on wa.msgtext.<tenant>.<session>.<id>, in memory
	// only. The send command carries no text.
	TextStream = "WA_MSG_TEXT"
	// TextPrefix starts every text subject.
	TextPrefix = "wa.msgtext"
	// TextAll matches every text subject.
	TextAll = TextPrefix + ".>"

	// UsageStream holds the usage reports the scheduler publishes for billing.
	UsageStream = "WA_USAGE"
	// UsagePrefix starts every usage subject: wa.usage.<tenant>.
	UsagePrefix = "wa.usage"
	// UsageAll matches every usage report.
	UsageAll = UsagePrefix + ".>"

	// MsgLogPrefix starts the request/reply subjects with which the api asks
	// any worker (queue group MsgLogQueue) to read or erase a session's
	// message log: wa.msglog.<verb>.<tenant>.<session>.
	MsgLogPrefix = "wa.msglog"
	// MsgLogAll matches every message-log request.
	MsgLogAll = MsgLogPrefix + ".*.*.*"
	// MsgLogQueue is the queue group of the workers answering them.
	MsgLogQueue = "msglog"
)

// Usage is the subject of one tenant's usage reports.
func Usage(tenant string) string { return UsagePrefix + "." + tenant }

// MsgLog is the request subject of a message-log verb ("list", "erase").
func MsgLog(verb, tenant, session string) string {
	return fmt.Sprintf("%s.%s.%s.%s", MsgLogPrefix, verb, tenant, session)
}

// MessageKey is the key of a message's record in MessagesBucket.
func MessageKey(tenant, session, id string) string {
	return "m." + tenant + "." + session + "." + id
}

// MessageText is the subject of a message's text in TextStream.
func MessageText(tenant, session, id string) string {
	return TextPrefix + "." + tenant + "." + session + "." + id
}

// EventTypeFilter matches one event type of every session.
func EventTypeFilter(typ string) string { return EventPrefix + ".*.*." + typ }

// Command is the subject a command for one session is published on.
func Command(tenant, session, verb string) string {
	return fmt.Sprintf("%s.%s.%s.%s", CommandPrefix, tenant, session, verb)
}

// CommandTransformDest is the stream subject transform destination that
// prefixes each command with its shard, computed server side by the same
// function as shard.Of.
func CommandTransformDest(shards int) string {
	return fmt.Sprintf("%s.{{partition(%d,1,2)}}.{{wildcard(1)}}.{{wildcard(2)}}.{{wildcard(3)}}", CommandPrefix, shards)
}

// ShardCommands filters the stored commands of one shard.
func ShardCommands(shard int) string {
	return fmt.Sprintf("%s.%d.>", CommandPrefix, shard)
}

// ShardConsumer is the durable consumer name of one shard.
func ShardConsumer(shard int) string {
	return fmt.Sprintf("shard-%d", shard)
}

// Event is the subject of one event of one session.
func Event(tenant, session, typ string) string {
	return fmt.Sprintf("%s.%s.%s.%s", EventPrefix, tenant, session, typ)
}

// TenantEvents matches every event of one tenant's sessions.
func TenantEvents(tenant string) string {
	return fmt.Sprintf("%s.%s.>", EventPrefix, tenant)
}

// EventSession returns the tenant and session tokens of an event subject.
func EventSession(subj string) (tenant, session string, ok bool) {
	parts := strings.Split(subj, ".")
	if len(parts) != 5 || parts[0]+"."+parts[1] != EventPrefix {
		return "", "", false
	}
	return parts[2], parts[3], true
}

// WebhookControl is the request subject of op on one session's webhooks.
func WebhookControl(tenant, session, op string) string {
	return fmt.Sprintf("%s.%s.%s.%s", WebhookControlPrefix, tenant, session, op)
}

// ParseWebhookControl splits a control subject into tenant, session and op.
func ParseWebhookControl(subj string) (tenant, session, op string, ok bool) {
	rest, found := strings.CutPrefix(subj, WebhookControlPrefix+".")
	if !found {
		return "", "", "", false
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// SessionKey is the key of a session in SessionsBucket and PairingBucket.
func SessionKey(tenant, session string) string {
	return tenant + "." + session
}

// KVStream is the JetStream stream behind KV bucket bucket (the client
// library's naming, spelled here for raw stream requests).
func KVStream(bucket string) string { return "KV_" + bucket }

// KVSubject is the stream subject of key in KV bucket bucket.
func KVSubject(bucket, key string) string { return "$KV." + bucket + "." + key }

// StreamMsgGet is the JetStream API subject that reads a message of stream
// from its leader (a direct get may be answered by a lagging replica).
func StreamMsgGet(stream string) string { return "$JS.API.STREAM.MSG.GET." + stream }

// LeaseKey is the key of a shard lease in LeasesBucket.
func LeaseKey(shard int) string {
	return fmt.Sprintf("s.%d", shard)
}

// LeaseShard is the inverse of LeaseKey.
func LeaseShard(key string) (int, bool) {
	n, ok := strings.CutPrefix(key, "s.")
	if !ok {
		return 0, false
	}
	p, err := strconv.Atoi(n)
	return p, err == nil && p >= 0
}
