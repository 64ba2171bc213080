package tessera

import (
	"context"
	"slices"
	"sync"
	"time"
)

// live is what Watcher and Seat share: the current state, change listeners, the background loop of rounds and
// the hold timer that ends a state at a deadline (a lease running out, an outage grace ending) even when no round
// happens then. Deadlines are on the clock's monotonic Elapsed time. Rounds never overlap: one goroutine runs them,
// the next scheduled when one ends. mu guards the state and every field of the Seat or Watcher using it.
type live struct {
	mu      sync.Mutex
	state   State
	closed  bool
	clock   Clock
	pending []change

	notifyMu  sync.Mutex
	listeners []*listener

	holdTimer Timer
	holdGen   int

	wake       chan struct{}
	stop       chan struct{}
	done       chan struct{}
	ctx        context.Context
	cancel     context.CancelFunc
	closeWait  time.Duration
	closeOnce  sync.Once
	closeError error
}

type change struct{ state, previous State }

type listener struct{ fn func(state, previous State) }

// maxWait is the longest single timer armed for a deadline; a later one is re-armed from there.
const maxWait = 24 * time.Hour

func newLive(initial State, clock Clock, closeWait time.Duration) *live {
	ctx, cancel := context.WithCancel(context.Background())
	return &live{
		state: initial, clock: clock, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		ctx: ctx, cancel: cancel, closeWait: closeWait,
	}
}

// unlock releases mu and then tells the listeners, in order, of every change made while it was held.
func (l *live) unlock() {
	events := l.pending
	l.pending = nil
	if len(events) == 0 {
		l.mu.Unlock()
		return
	}
	l.notifyMu.Lock()
	l.mu.Unlock()
	defer l.notifyMu.Unlock()
	for _, event := range events {
		for _, each := range slices.Clone(l.listeners) {
			each.fn(event.state.copy(), event.previous.copy())
		}
	}
}

// update sets the state (mu held) and queues a change event when it changed in a way products care about.
func (l *live) update(next State) {
	if l.closed {
		return
	}
	previous := l.state
	l.state = next
	if changed(previous, next) {
		l.pending = append(l.pending, change{state: next, previous: previous})
	}
}

func (l *live) status() State {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state.copy()
}

func (l *live) isEnabled(feature string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state.Licensed && l.state.License != nil && slices.Contains(l.state.License.Features, feature)
}

func (l *live) limit(name string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.state.Licensed || l.state.License == nil {
		return 0
	}
	return l.state.License.Limits[name]
}

func (l *live) onChange(fn func(state, previous State)) (cancel func()) {
	l.notifyMu.Lock()
	defer l.notifyMu.Unlock()
	entry := &listener{fn: fn}
	l.listeners = append(l.listeners, entry)
	return func() {
		l.notifyMu.Lock()
		defer l.notifyMu.Unlock()
		l.listeners = slices.DeleteFunc(l.listeners, func(x *listener) bool { return x == entry })
	}
}

// changes delivers every change, in order, on a channel until ctx ends or the SDK closes. Events wait in a queue
// of their own, so a slow reader never holds up the heartbeats.
func (l *live) changes(ctx context.Context) <-chan State {
	out := make(chan State)
	var mu sync.Mutex
	var queue []State
	signal := make(chan struct{}, 1)
	cancel := l.onChange(func(state, _ State) {
		mu.Lock()
		queue = append(queue, state)
		mu.Unlock()
		select {
		case signal <- struct{}{}:
		default:
		}
	})
	go func() {
		defer close(out)
		defer cancel()
		for {
			mu.Lock()
			if len(queue) == 0 {
				mu.Unlock()
				select {
				case <-signal:
					continue
				case <-ctx.Done():
					return
				case <-l.done:
					return
				}
			}
			next := queue[0]
			queue = queue[1:]
			mu.Unlock()
			select {
			case out <- next:
			case <-ctx.Done():
				return
			case <-l.done:
				return
			}
		}
	}()
	return out
}

// run starts the background loop: a round, then the next after interval().
func (l *live) run(round func(ctx context.Context), interval func() time.Duration) {
	go func() {
		defer close(l.done)
		for {
			l.mu.Lock()
			if l.closed {
				l.mu.Unlock()
				return
			}
			timer := l.clock.AfterFunc(interval(), func() {
				select {
				case l.wake <- struct{}{}:
				default:
				}
			})
			l.mu.Unlock()
			select {
			case <-l.wake:
			case <-l.stop:
				timer.Stop()
				return
			}
			round(l.ctx)
		}
	}()
}

// hold runs lapse (mu held) at deadline on the Elapsed clock, unless hold or unhold is called again before.
func (l *live) hold(deadline time.Duration, lapse func()) {
	l.unhold()
	if l.closed {
		return
	}
	wait := max(0, deadline-l.clock.Elapsed())
	generation := l.holdGen
	l.holdTimer = l.clock.AfterFunc(min(wait, maxWait), func() {
		l.mu.Lock()
		defer l.unlock()
		if l.closed || l.holdGen != generation {
			return
		}
		l.holdTimer = nil
		if wait > maxWait {
			l.hold(deadline, lapse)
		} else {
			lapse()
		}
	})
}

func (l *live) unhold() {
	if l.holdTimer != nil {
		l.holdTimer.Stop()
	}
	l.holdTimer = nil
	l.holdGen++
}

// close stops the loop, waits (bounded) for a round under way, then runs onClose once.
func (l *live) close(started bool, onClose func(ctx context.Context)) error {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.unhold()
		l.mu.Unlock()
		close(l.stop)
		if started {
			select {
			case <-l.done:
			case <-time.After(l.closeWait):
				l.cancel() // a round stuck on the network: its requests end now
				<-l.done
			}
		} else {
			close(l.done)
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.closeWait)
		defer cancel()
		onClose(ctx)
		l.cancel()
	})
	return l.closeError
}
