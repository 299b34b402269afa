package session

import (
	"encoding/json"
	"fmt"

	"github.com/switchboard-gw/switchboard/shared/secretbox"
)

// Codec encodes records for the wa_sessions bucket. With a Box (a master key
// is configured) the secret fields of Config — each webhook's URL (its path,
// query and userinfo may carry tokens) and secret, and the proxy URL (its
// userinfo is a password) — are sealed, bound to the record's tenant, id and
// field; everything else stays readable JSON, so the scheduler and the
// worker's state writes need no key and pass sealed fields through
// untouched. The zero Codec seals nothing; records written without a key
// decode unchanged.
type Codec struct {
	Box *secretbox.Box
}

// Field names bound into a sealed value's associated data.
const (
	fieldWebhookURL    = "webhook.url"
	fieldWebhookSecret = "webhook.secret"
	fieldProxy         = "proxy"
)

// SecretAD is the associated data of one sealed field of a record: a
// value sealed for one session or field does not open in another.
func SecretAD(tenant, id, field string) string {
	return "wa_sessions/" + tenant + "/" + id + "/" + field
}

// Encode seals the secret fields of rec and marshals it. Fields already
// sealed are kept as they are.
func (c Codec) Encode(rec Record) ([]byte, error) {
	cfg := rec.Config
	if err := c.SealConfig(rec.Tenant, rec.ID, &cfg); err != nil {
		return nil, err
	}
	rec.Config = cfg
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("session: encode record: %w", err)
	}
	return b, nil
}

// Decode unmarshals a record and opens its sealed fields.
func (c Codec) Decode(data []byte) (Record, error) {
	var rec Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return Record{}, fmt.Errorf("session: decode record: %w", err)
	}
	if err := c.OpenConfig(rec.Tenant, rec.ID, &rec.Config); err != nil {
		return rec, err
	}
	return rec, nil
}

// SealConfig seals cfg's secret fields in place. The webhook slice is
// copied, so a caller's record is never changed behind its back.
func (c Codec) SealConfig(tenant, id string, cfg *Config) error {
	return c.apply(cfg, func(v, field string) (string, error) {
		return c.Box.SealString(v, SecretAD(tenant, id, field))
	})
}

// OpenConfig opens cfg's sealed fields in place (plaintext fields of old
// records are kept). It fails with secretbox.ErrNoKey when a field is sealed
// and no key is configured.
func (c Codec) OpenConfig(tenant, id string, cfg *Config) error {
	return c.apply(cfg, func(v, field string) (string, error) {
		return c.Box.OpenString(v, SecretAD(tenant, id, field))
	})
}

// OpenProxy returns the plaintext proxy URL of rec.
func (c Codec) OpenProxy(rec Record) (string, error) {
	p, err := c.Box.OpenString(rec.Config.Proxy, SecretAD(rec.Tenant, rec.ID, fieldProxy))
	if err != nil {
		return "", fmt.Errorf("session: open proxy of %s/%s: %w", rec.Tenant, rec.ID, err)
	}
	return p, nil
}

// NeedsReseal reports whether a secret field of rec is plaintext or sealed
// with a previous key while a master key is configured.
func (c Codec) NeedsReseal(rec Record) bool {
	if !c.Box.Enabled() {
		return false
	}
	cfg := rec.Config
	need := false
	_ = c.apply(&cfg, func(v, _ string) (string, error) {
		need = need || c.Box.NeedsResealString(v)
		return v, nil
	})
	return need
}

func (c Codec) apply(cfg *Config, fn func(v, field string) (string, error)) error {
	// Work on a copy: on an error cfg is left exactly as it was.
	out := *cfg
	var err error
	if out.Proxy, err = fn(cfg.Proxy, fieldProxy); err != nil {
		return fmt.Errorf("session: proxy: %w", err)
	}
	if len(cfg.Webhooks) > 0 {
		out.Webhooks = make([]Webhook, len(cfg.Webhooks))
		for i, w := range cfg.Webhooks {
			if w.URL, err = fn(w.URL, fieldWebhookURL); err != nil {
				return fmt.Errorf("session: webhook url: %w", err)
			}
			if w.Secret, err = fn(w.Secret, fieldWebhookSecret); err != nil {
				return fmt.Errorf("session: webhook secret: %w", err)
			}
			out.Webhooks[i] = w
		}
	}
	*cfg = out
	return nil
}
