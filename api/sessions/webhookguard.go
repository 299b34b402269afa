package sessions

import (
	"fmt"
	"strings"

	"github.com/switchboard-gw/switchboard/shared/netguard"
	"github.com/switchboard-gw/switchboard/shared/session"
)

// guardWebhooks refuses webhook URLs whose host is a private, loopback,
// link-local or metadata address written literally (in any spelling) or a
// name for this machine: 400 invalid_webhook_url. Names resolving to such
// addresses are refused by the workers at dial time.
func (s *Service) guardWebhooks(hooks []session.Webhook) error {
	for i, w := range hooks {
		if err := s.cfg.WebhookGuard.CheckURL(w.URL); err != nil {
			reason := strings.TrimPrefix(err.Error(), netguard.ErrInvalidURL.Error()+": ")
			reason = strings.TrimPrefix(reason, netguard.ErrBlocked.Error()+": ")
			field := "webhook.url"
			if len(hooks) > 1 {
				field = fmt.Sprintf("webhooks[%d].url", i)
			}
			return &Error{Kind: KindInvalidWebhook, Message: field + ": " + reason, Err: err}
		}
	}
	return nil
}
