package sessions

import (
	"context"
	"math/rand/v2"
	"time"
	"unicode/utf8"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/session"
)

// Typing time under account protection: a base, plus a little per
// character, capped, then stretched by a random 0–25 %.
const (
	typingBase    = time.Second
	typingPerRune = 20 * time.Millisecond
	typingMax     = 5 * time.Second
	typingJitter  = 0.25
	// connectSpacing is the least time between two connects of one session
	// under account protection: repeated connects are coalesced.
	connectSpacing = 10 * time.Second
)

// typingTime is how long the session shows "composing" before sending text.
func typingTime(text string) time.Duration {
	d := min(typingBase+time.Duration(utf8.RuneCountInString(text))*typingPerRune, typingMax)
	return time.Duration(float64(d) * (1 + rand.Float64()*typingJitter))
}

// protect paces a message under account protection: it waits for the
// session's pacing slot, then shows "composing" in the chat for the typing
// time. A failed presence is logged and the message still goes. It returns
// an error only when ctx ends.
func (s *Session) protect(ctx context.Context, cli *whatsmeow.Client, cfg session.Config, to types.JID, text string) error {
	r, b := cfg.Pace()
	if err := s.paceLimiter(r, b).Wait(ctx); err != nil {
		return err
	}
	if err := cli.SendChatPresence(ctx, to, types.ChatPresenceComposing, ""); err != nil {
		s.warn("composing presence failed", zap.Error(err))
	}
	return waitAny(ctx, typingTime(text))
}

// connectDelay is how long a connect must wait so that a protected
// session connects at most once per connectSpacing.
func (s *Session) connectDelay() time.Duration {
	if s.lastConnect.IsZero() || !s.snap.Record.Config.AccountProtection {
		return 0
	}
	return max(0, connectSpacing-time.Since(s.lastConnect))
}
