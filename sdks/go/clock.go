package tessera

import "time"

// Clock is where the SDK reads time and schedules its rounds and deadlines. The default is this host's. A test
// injects its own (package tesseratest has one) to move time instead of waiting for it.
type Clock interface {
	// Now is the wall clock: the license is evaluated and lease tokens are checked on it.
	Now() time.Time
	// Elapsed is monotonic time from any origin: deadlines (a lease, an outage grace) are measured on it, so a wall
	// clock set forward never ends a lease early, nor one set back keeps it longer.
	Elapsed() time.Duration
	// AfterFunc calls f in its own goroutine once d of Elapsed time has passed, unless stopped first.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a call AfterFunc armed.
type Timer interface {
	// Stop prevents the call if it has not run yet; false when it has run or was stopped before.
	Stop() bool
}

type systemClock struct{ start time.Time }

// SystemClock is this host's clock: the default.
var SystemClock Clock = &systemClock{start: time.Now()}

func (c *systemClock) Now() time.Time                            { return time.Now() }
func (c *systemClock) Elapsed() time.Duration                    { return time.Since(c.start) }
func (c *systemClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
