package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v3"
	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// Rate limiting uses golang.org/x/time/rate token buckets (the Go team's
// limiter, already in the build through nats) held in a size-bounded LRU
// (hashicorp/golang-lru), so a flood of distinct keys or addresses cannot
// grow memory without bound: an evicted bucket comes back full, which only
// forgives a client that has been quiet while thousands of others spoke.
const maxLimiters = 100_000

// limiterSet is a bounded set of token buckets, one per name.
type limiterSet struct {
	mu    sync.Mutex
	cache *lru.Cache[string, *rate.Limiter]
}

func newLimiterSet() *limiterSet {
	c, err := lru.New[string, *rate.Limiter](maxLimiters)
	if err != nil {
		panic(err) // only for a size <= 0
	}
	return &limiterSet{cache: c}
}

// get returns name's bucket, creating it full with rate r and burst b.
func (s *limiterSet) get(name string, r rate.Limit, b int) *rate.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.cache.Get(name)
	if !ok || l.Limit() != r || l.Burst() != b {
		l = rate.NewLimiter(r, b)
		s.cache.Add(name, l)
	}
	return l
}

// limitState is a bucket's state after a request, for the headers.
type limitState struct {
	limit     int
	remaining int
	reset     time.Duration // until the bucket is full again
	retry     time.Duration // until one request is allowed (when refused)
}

// take spends one token of l at now. ok is false when none is left; the
// reservation is then cancelled, so refused requests cost nothing.
func take(l *rate.Limiter, now time.Time) (limitState, bool) {
	r := l.ReserveN(now, 1)
	st := limitState{limit: l.Burst()}
	if !r.OK() {
		return st, false
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		st.retry = d
		st.reset = fillTime(l, now)
		return st, false
	}
	st.remaining = int(math.Max(0, math.Floor(l.TokensAt(now))))
	st.reset = fillTime(l, now)
	return st, true
}

// fillTime is how long until l is full again.
func fillTime(l *rate.Limiter, now time.Time) time.Duration {
	missing := float64(l.Burst()) - l.TokensAt(now)
	if missing <= 0 || l.Limit() <= 0 {
		return 0
	}
	return time.Duration(missing / float64(l.Limit()) * float64(time.Second))
}

// seconds rounds d up to whole seconds, at least 1 when d > 0.
func seconds(d time.Duration) string {
	return strconv.FormatInt(int64(math.Ceil(d.Seconds())), 10)
}

// setRateHeaders writes X-RateLimit-Limit, -Remaining and -Reset (seconds
// until the bucket is full).
func setRateHeaders(c fiber.Ctx, st limitState) {
	c.Set("X-RateLimit-Limit", strconv.Itoa(st.limit))
	c.Set("X-RateLimit-Remaining", strconv.Itoa(st.remaining))
	c.Set("X-RateLimit-Reset", seconds(st.reset))
}

// tooManyRequests is the 429 answer; Retry-After is set by the caller.
func tooManyRequests(msg string) error {
	return &httpError{http.StatusTooManyRequests, "rate_limited", msg}
}

// keyLimit returns the rate and burst of a key of tenant (rate 0 = no limit).
func (s *Server) keyLimit(tenant string) (rate.Limit, int) {
	r, ok := s.cfg.TenantRateLimits[tenant]
	if !ok {
		r = s.cfg.RateLimit
	}
	b := s.cfg.RateBurst
	if b <= 0 || ok {
		b = max(1, int(math.Ceil(2*r)))
	}
	return rate.Limit(r), b
}

// limitKey spends one request of the key named id; on refusal it returns
// the 429 with Retry-After.
func (s *Server) limitKey(c fiber.Ctx, id, tenant string) error {
	r, b := s.keyLimit(tenant)
	if r <= 0 {
		return nil
	}
	st, ok := take(s.keyLimits.get(id, r, b), time.Now())
	setRateHeaders(c, st)
	if !ok {
		c.Set(fiber.HeaderRetryAfter, seconds(st.retry))
		return tooManyRequests("rate limit of this api key exceeded")
	}
	return nil
}

// authFailLimiter is the bucket of failed authentications of ip, or nil
// when failures are not limited.
func (s *Server) authFailLimiter(ip string) *rate.Limiter {
	if s.cfg.AuthFailLimit <= 0 {
		return nil
	}
	return s.authFails.get(ip, rate.Limit(float64(s.cfg.AuthFailLimit)/60), s.cfg.AuthFailLimit)
}

// authBlocked answers 429 when ip has used up its failed authentications,
// before its key is even looked at: a client guessing keys learns nothing
// more until its bucket refills.
func (s *Server) authBlocked(c fiber.Ctx) error {
	l := s.authFailLimiter(strings.Clone(c.IP()))
	if l == nil {
		return nil
	}
	now := time.Now()
	if l.TokensAt(now) >= 1 {
		return nil
	}
	need := (1 - l.TokensAt(now)) / float64(l.Limit())
	c.Set(fiber.HeaderRetryAfter, seconds(time.Duration(need*float64(time.Second))))
	return tooManyRequests("too many failed authentications from this address")
}

// authFailed records a failed authentication of the request's address.
func (s *Server) authFailed(c fiber.Ctx) {
	if l := s.authFailLimiter(strings.Clone(c.IP())); l != nil {
		l.Allow()
	}
}
