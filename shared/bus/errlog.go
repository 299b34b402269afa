package bus

import (
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
)

// ErrorLog logs the asynchronous errors of a connection, above all a slow
// consumer: nats.go then drops messages of that subscription, and without
// a handler nothing says so. Ordered consumers (KV watches) refetch what
// was dropped; a plain subscription loses it, so the log names it.
func ErrorLog(log *zap.Logger) nats.Option {
	log = log.Named("nats")
	return nats.ErrorHandler(func(nc *nats.Conn, sub *nats.Subscription, err error) {
		fields := []zap.Field{zap.String("conn", nc.Opts.Name), zap.Error(err)}
		if sub != nil {
			fields = append(fields, zap.String("subject", sub.Subject))
			if n, nerr := sub.Dropped(); nerr == nil {
				fields = append(fields, zap.Int("dropped", n))
			}
			if msgs, bytes, perr := sub.Pending(); perr == nil {
				fields = append(fields, zap.Int("pending_msgs", msgs), zap.Int("pending_bytes", bytes))
			}
		}
		log.Warn("nats async error", fields...)
	})
}
