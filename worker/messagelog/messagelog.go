// Package messagelog answers the api's message-log requests: every worker
// joins queue group msglog on wa.msglog.<verb>.<tenant>.<session> and reads
// or erases the log in the database it already holds, so the api needs no
// database connection and works the same standalone and in a cluster.
package messagelog

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/msglog"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// opTimeout bounds one database query of a request.
const opTimeout = 10 * time.Second

// Responder answers message-log requests.
type Responder struct {
	nc  *nats.Conn
	log *msglog.Store
	zl  *zap.Logger
	sub *nats.Subscription
}

// New returns a Responder; Start subscribes.
func New(nc *nats.Conn, store *msglog.Store, log *zap.Logger) (*Responder, error) {
	if nc == nil || store == nil || log == nil {
		return nil, errors.New("messagelog: nats, store and logger are required")
	}
	return &Responder{nc: nc, log: store, zl: log.Named("messagelog")}, nil
}

// Start joins the queue group.
func (r *Responder) Start(context.Context) error {
	sub, err := r.nc.QueueSubscribe(subject.MsgLogAll, subject.MsgLogQueue, r.handle)
	if err != nil {
		return err
	}
	r.sub = sub
	return nil
}

// Stop leaves the queue group, letting requests in flight finish.
func (r *Responder) Stop(context.Context) error {
	if r.sub == nil {
		return nil
	}
	return r.sub.Drain()
}

func (r *Responder) handle(m *nats.Msg) {
	tok := strings.Split(m.Subject, ".")
	if len(tok) != 5 {
		return
	}
	verb, tenant, session := tok[2], tok[3], tok[4]
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	var reply any
	switch verb {
	case msglog.VerbList:
		var req msglog.ListRequest
		if err := json.Unmarshal(m.Data, &req); err != nil {
			reply = msglog.ListReply{Error: "malformed request"}
			break
		}
		entries, next, err := r.log.List(ctx, tenant, session, req.Chat, req.Before, req.Limit)
		if err != nil {
			r.zl.Warn("message log read failed", zap.Error(err))
			reply = msglog.ListReply{Error: "message log unavailable"}
			break
		}
		reply = msglog.ListReply{Messages: entries, NextBefore: next}
	case msglog.VerbGet:
		var req msglog.GetRequest
		if err := json.Unmarshal(m.Data, &req); err != nil {
			reply = msglog.GetReply{Error: "malformed request"}
			break
		}
		e, ok, err := r.log.Get(ctx, tenant, session, req.ID)
		if err != nil {
			r.zl.Warn("message log read failed", zap.Error(err))
			reply = msglog.GetReply{Error: "message log unavailable"}
			break
		}
		reply = msglog.GetReply{Found: ok, Entry: e}
	case msglog.VerbErase:
		n, err := r.log.Erase(ctx, tenant, session)
		if err != nil {
			r.zl.Warn("message log erase failed", zap.Error(err))
			reply = msglog.EraseReply{Error: "message log unavailable"}
			break
		}
		reply = msglog.EraseReply{Deleted: n}
	default:
		return
	}
	b, err := json.Marshal(reply)
	if err != nil {
		return
	}
	if err := m.Respond(b); err != nil {
		r.zl.Debug("message log reply failed", zap.Error(err))
	}
}
