// Package pacer releases reconnects at a bounded rate with jitter, so a worker
// that takes over shards or restarts never storms WhatsApp or the database.
package pacer

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

// Defaults, chosen for whom the connects go to.
//
// Against real WhatsApp (DefaultRate, DefaultBurst) every connect is a login
// of a real account from the worker's address: 100 a second is far below
// what a burst of logins from one address may look like to WhatsApp's abuse
// heuristics, at the price of time: a worker of 10,000 sessions needs about
// 100 s to bring them all back after a restart, a survivor taking 1,000 of a
// crashed worker's sessions about 10 s after the lease expiry.
//
// Against the simulator (SimulatorRate, SimulatorBurst; the worker uses them
// when it points at one and no rate is set) nothing is at stake but CPU.
// 1,000 a second is above what one gateway logs in again on the two-core
// test machine (make bench-scale: 3,000 sessions back 4.7-5.0 s after a
// restart; 10,000 after 15 s, ~700 a second once the api is up), so
// the machine sets the pace, not the pacer; the pacer still keeps a restart
// from dialling everything at once, and connects beyond the machine's
// capacity wait for a slot of the worker's cap on connects in flight
// (sessions.ConnectsPerCPU), before they dial, not inside a handshake that
// could time out.
const (
	DefaultRate    = 100.0
	DefaultBurst   = 20
	SimulatorRate  = 1000.0
	SimulatorBurst = 100
)

// Config configures a Pacer.
type Config struct {
	// Rate is the number of releases per second.
	Rate float64
	// Burst is how many releases may go at once after a quiet spell.
	Burst int
	// Wait, when set, observes how long each released job waited, from
	// Submit to its release, in seconds (switchboard_worker_pacer_wait_seconds).
	Wait prometheus.Observer
}

func (c *Config) defaults() {
	if c.Rate == 0 {
		c.Rate = DefaultRate
	}
	if c.Burst == 0 {
		c.Burst = DefaultBurst
	}
}

// Validate checks the values after defaults.
func (c Config) Validate() error {
	if c.Rate < 0 || c.Burst < 0 {
		return errors.New("pacer: rate and burst must not be negative")
	}
	return nil
}

// Job is one paced release.
type Job struct {
	// Run releases the work; it must be quick (it enqueues, it does not
	// connect).
	Run func()
	// Stale, when set and true, skips the job without using a slot (its
	// shard was given up meanwhile).
	Stale func() bool

	queued time.Time // set by Submit
}

// Pacer releases submitted jobs in order, each in its own slot of the
// rate, shifted by a random offset within the slot.
type Pacer struct {
	lim      *rate.Limiter
	interval time.Duration
	wait     prometheus.Observer

	mu    sync.Mutex
	queue []Job
	wake  chan struct{}

	// releases counts jobs waiting for their offset inside a slot.
	releases sync.WaitGroup

	cancel context.CancelFunc
	done   chan struct{}
}

// New returns a Pacer.
func New(cfg Config) (*Pacer, error) {
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Pacer{
		lim:      rate.NewLimiter(rate.Limit(cfg.Rate), cfg.Burst),
		interval: time.Duration(float64(time.Second) / cfg.Rate),
		wait:     cfg.Wait,
		wake:     make(chan struct{}, 1),
	}, nil
}

// Submit queues jobs, in random order, behind what is already queued.
func (p *Pacer) Submit(jobs ...Job) {
	rand.Shuffle(len(jobs), func(i, j int) { jobs[i], jobs[j] = jobs[j], jobs[i] })
	now := time.Now()
	for i := range jobs {
		jobs[i].queued = now
	}
	p.mu.Lock()
	p.queue = append(p.queue, jobs...)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Wait queues a slot like Submit and blocks until it is released or ctx
// ends, for callers that must connect before they can go on (a pair code
// needs its registration connection).
func (p *Pacer) Wait(ctx context.Context) error {
	released := make(chan struct{})
	p.Submit(Job{Run: func() { close(released) }, Stale: func() bool { return ctx.Err() != nil }})
	select {
	case <-released:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Pending is the number of queued functions.
func (p *Pacer) Pending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.queue)
}

// Start runs the pacer until Stop.
func (p *Pacer) Start(ctx context.Context) {
	ctx, p.cancel = context.WithCancel(ctx)
	p.done = make(chan struct{})
	go p.run(ctx)
}

// Stop stops releasing and drops what is queued.
func (p *Pacer) Stop(ctx context.Context) error {
	if p.cancel == nil {
		return nil
	}
	p.cancel()
	select {
	case <-p.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	p.mu.Lock()
	p.queue = nil
	p.mu.Unlock()
	return nil
}

func (p *Pacer) run(ctx context.Context) {
	defer close(p.done)
	// Releases still waiting for their offset see ctx done and skip.
	defer p.releases.Wait()
	t := time.NewTimer(0)
	<-t.C
	defer t.Stop()
	for {
		job, ok := p.pop()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-p.wake:
				continue
			}
		}
		if job.Stale != nil && job.Stale() {
			continue
		}
		// Wait for the next slot of the rate, then release the job at a
		// random point inside its slot without waiting for it: the jitter
		// spreads the connects but never slows the rate down, and a loop
		// that wakes late is caught up by the limiter's burst.
		r := p.lim.Reserve()
		if d := r.Delay(); d > 0 {
			t.Reset(d)
			select {
			case <-ctx.Done():
				r.Cancel()
				return
			case <-t.C:
			}
		}
		p.releases.Add(1)
		time.AfterFunc(rand.N(p.interval+1), func() {
			defer p.releases.Done()
			if ctx.Err() == nil && (job.Stale == nil || !job.Stale()) {
				if p.wait != nil {
					p.wait.Observe(time.Since(job.queued).Seconds())
				}
				job.Run()
			}
		})
	}
}

func (p *Pacer) pop() (Job, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) == 0 {
		return Job{}, false
	}
	job := p.queue[0]
	p.queue[0] = Job{}
	p.queue = p.queue[1:]
	return job, true
}
