// Package tesseratest helps test a product that uses the Tessera SDK: a clock to pass as Options.Clock that a test
// moves ahead instead of waiting.
package tesseratest

import (
	"sort"
	"sync"
	"time"

	tessera "github.com/tessera-licensing/tessera/sdks/go"
)

// Clock runs with this host's time and can be moved ahead: Advance runs at once, in order, every call that would
// be due if that much more time had passed, and moves Elapsed (the SDK's monotonic clock) by as much, so a
// deadline armed afterwards still counts from when its lease was renewed. Calls also run on real time, as the
// system clock's would, so rounds against a real License Manager pace themselves. Now, the wall clock, is this
// host's unless Shift moves it: lease tokens signed by a real License Manager are checked on it.
type Clock struct {
	mu     sync.Mutex
	start  time.Time
	offset time.Duration
	wall   time.Duration
	next   int
	armed  map[int]*armed
}

type armed struct {
	due  time.Duration
	fn   func()
	real *time.Timer
}

var _ tessera.Clock = (*Clock)(nil)

// NewClock is a clock at this host's time.
func NewClock() *Clock { return &Clock{start: time.Now(), armed: map[int]*armed{}} }

// Now is this host's time, moved by Shift.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.wall)
}

// Elapsed is real elapsed time plus every Advance.
func (c *Clock) Elapsed() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.elapsed()
}

func (c *Clock) elapsed() time.Duration { return time.Since(c.start) + c.offset }

// AfterFunc arms f for d from now.
func (c *Clock) AfterFunc(d time.Duration, f func()) tessera.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.next
	c.next++
	entry := &armed{due: c.elapsed() + d, fn: f}
	entry.real = time.AfterFunc(d, func() { c.fire(id) })
	c.armed[id] = entry
	return &timer{clock: c, id: id}
}

// Advance moves Elapsed ahead by d and runs every call now due, earliest first, in this goroutine.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	now := c.elapsed()
	var due []int
	for id, entry := range c.armed {
		if entry.due <= now {
			due = append(due, id)
		}
	}
	sort.Slice(due, func(i, j int) bool { return c.armed[due[i]].due < c.armed[due[j]].due })
	c.mu.Unlock()
	for _, id := range due {
		c.fire(id)
	}
}

// Shift moves the wall clock (Now) by d: a host clock set forward or back.
func (c *Clock) Shift(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wall += d
}

// Pending is how many calls are armed.
func (c *Clock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.armed)
}

func (c *Clock) fire(id int) {
	c.mu.Lock()
	entry, ok := c.armed[id]
	delete(c.armed, id)
	c.mu.Unlock()
	if ok {
		entry.real.Stop()
		entry.fn()
	}
}

type timer struct {
	clock *Clock
	id    int
}

func (t *timer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	entry, ok := t.clock.armed[t.id]
	if ok {
		entry.real.Stop()
		delete(t.clock.armed, t.id)
	}
	return ok
}
