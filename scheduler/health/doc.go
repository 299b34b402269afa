// Package health holds the scheduler's pure decision logic: given one session
// record, its restart bookkeeping and what the sweep knows about the workers,
// it says whether to leave the session alone, restart it, give up on it, or
// report a logout. It does no I/O, so every rule is a table test.
package health
