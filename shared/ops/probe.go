package ops

import (
	"context"
	"errors"
	"slices"
	"sort"
	"sync"
	"time"
)

// DefaultCheckTimeout bounds one readiness probe: every check runs at once
// and one that has not answered by then fails as timed out.
const DefaultCheckTimeout = 2 * time.Second

// checkOK is the value a passing check has in Report.Checks.
const checkOK = "ok"

var errTimedOut = errors.New("timed out")

// Check is one named readiness condition. Run returns nil when the
// condition holds, or an error saying why not; it must honour ctx.
type Check struct {
	Name string
	Run  func(ctx context.Context) error
}

// Report is the body of a readiness answer: {"ok": false, "failed":
// ["nats"], "checks": {"nats": "nats connection is RECONNECTING", …}}.
type Report struct {
	// OK is true when every check passed.
	OK bool `json:"ok"`
	// Failed names the failing checks, sorted.
	Failed []string `json:"failed,omitempty"`
	// Checks maps each check to "ok" or the reason it failed.
	Checks map[string]string `json:"checks"`
}

// Probe holds a process's readiness checks. It is safe for concurrent use;
// components add their checks as they start.
type Probe struct {
	timeout time.Duration

	mu     sync.Mutex
	checks []Check
}

// NewProbe returns a probe running checks with DefaultCheckTimeout.
func NewProbe(checks ...Check) *Probe {
	p := &Probe{timeout: DefaultCheckTimeout}
	p.Add(checks...)
	return p
}

// Add appends checks. A check whose name is already there is skipped:
// the roles of the standalone each bring the same nats, streams and
// buckets checks.
func (p *Probe) Add(checks ...Check) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range checks {
		if !slices.ContainsFunc(p.checks, func(x Check) bool { return x.Name == c.Name }) {
			p.checks = append(p.checks, c)
		}
	}
}

// Ready runs every check concurrently and reports them all. A check still
// running at the deadline fails as timed out (its goroutine ends when it
// honours the cancelled context).
func (p *Probe) Ready(ctx context.Context) Report {
	p.mu.Lock()
	checks := append([]Check(nil), p.checks...)
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	type result struct {
		name string
		err  error
	}
	results := make(chan result, len(checks))
	for _, c := range checks {
		go func() {
			err := c.Run(ctx)
			if err == nil && ctx.Err() != nil {
				err = errTimedOut // it gave up at the deadline
			}
			results <- result{c.Name, err}
		}()
	}
	rep := Report{OK: true, Checks: make(map[string]string, len(checks))}
	for _, c := range checks {
		rep.Checks[c.Name] = errTimedOut.Error()
	}
	for range checks {
		select {
		case r := <-results:
			if r.err == nil {
				rep.Checks[r.name] = checkOK
			} else {
				rep.Checks[r.name] = r.err.Error()
			}
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	for name, v := range rep.Checks {
		if v != checkOK {
			rep.OK = false
			rep.Failed = append(rep.Failed, name)
		}
	}
	sort.Strings(rep.Failed)
	return rep
}

// Func is a check from a function that needs no context (a state read).
func Func(name string, fn func() error) Check {
	return Check{Name: name, Run: func(context.Context) error { return fn() }}
}
