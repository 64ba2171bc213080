package tessera

import (
	"context"
	"fmt"
	"time"
)

// Seat is a node's seat at its License Manager (connect.ts, check for check). Connect checks the license and
// takes a seat, then heartbeats in the background. Every round reads the license with a fresh nonce, verifies it
// up to the product's root and evaluates it on the SDK's own clock: a license the SDK does not find usable holds
// no seat, whatever the LM says.
//
// Silence is not refusal. The seat lasts its lease (the TTL from when its last renewal was sent) while the LM is
// silent; after that it lasts the license's signed outage grace, counted from the same moment, as Degraded (0,
// strict: not at all). Only a verified "no" ends it sooner: the seat's LM showing a license the SDK finds
// unusable, refusing the seat after a verified read in the same round, or forgetting the lease and then refusing
// the checkout. A refused node keeps trying, so a renewed license gives it its seat back.
//
// Several addresses are replicas of one LM: a round that finds the address in use silent goes on to the next,
// keeping the lease. An address answering as another LM is no replica: it is skipped while the node holds a seat,
// unless it is the very address the seat was renewed at (the LM there was replaced): then the seat is the new
// LM's to give.
type Seat struct {
	l         *live
	options   *checkedConnect
	addresses *addresses
	caller    caller
	node      string

	// Guarded by l.mu:
	lease       *lease
	verified    *verifiedLicense
	degraded    bool
	lastSilence string
	ttl         time.Duration
	released    bool
}

type lease struct {
	id        string
	expiresAt string
	token     string
	issuedAt  int64
	identity  lmIdentity
	url       string
	// heardAt: when (Elapsed) the request that brought the latest token was sent: the grace counts from there.
	heardAt     time.Duration
	heardAtWall time.Time
	deadline    time.Duration
	// atLm is false once the LM said it no longer knows the lease: the node rides its grace and checks out again.
	atLm bool
}

type seatOutcome struct {
	kind string // held, refused, silent, moot
	// refused:
	code, message string
	licenseStatus string
	final         bool
	verified      *verifiedLicense
	detail        string
}

func silent(detail string) seatOutcome { return seatOutcome{kind: "silent", detail: detail} }

func refusal(code, message, licenseStatus string, final bool, verified *verifiedLicense) seatOutcome {
	return seatOutcome{kind: "refused", code: code, message: message, licenseStatus: licenseStatus, final: final, verified: verified}
}

func noSeat(v *verifiedLicense, final bool) seatOutcome {
	return refusal(v.evaluation.code, v.evaluation.detail, v.status, final, v)
}

type sent struct {
	at     time.Duration
	atWall time.Time
}

// Connect checks the license and takes a seat for this node. It returns a *Error (code and sentence) when the
// node is not licensed, no address of the LM answers (LM_UNREACHABLE), or its answers do not verify; bad options
// are BAD_OPTIONS. ctx bounds this first round only; the seat is then kept in the background until Close.
//
//	seat, err := tessera.Connect(ctx, tessera.ConnectOptions{
//		Options: tessera.Options{URLs: []string{"http://lm.internal:9119"}, Product: "graphdb", Roots: []string{VendorRoot}},
//		Role: "query", NodeID: "query-1",
//	})
func Connect(ctx context.Context, options ConnectOptions) (*Seat, error) {
	checked, problem := checkConnectOptions(options)
	if problem != nil {
		return nil, problem
	}
	a := newAddresses(&checked.checkedOptions)
	s := &Seat{
		options: checked, addresses: a,
		caller: caller{product: checked.product, role: checked.role, nodeID: checked.nodeID, host: checked.host, instance: newNonce(), clock: checked.clock},
		node:   nodeLabel(checked.product, checked.role, checked.nodeID),
	}
	s.l = newLive(unreachableState(a.describe(), "not asked yet", State{}), checked.clock, checked.timeout)
	outcome := s.seek(ctx)
	s.l.mu.Lock()
	s.apply(outcome, false)
	state := s.l.state.copy()
	s.l.unlock()
	if outcome.kind != "held" {
		s.l.close(false, func(context.Context) { a.close() })
		return nil, &Error{Code: state.Code, Message: state.Message, State: &state}
	}
	s.l.run(s.round, s.interval)
	return s, nil
}

// Status is the current state (a copy).
func (s *Seat) Status() State { return s.l.status() }

// IsEnabled: licensed and the license has this feature.
func (s *Seat) IsEnabled(feature string) bool { return s.l.isEnabled(feature) }

// Limit is the license's limit of this name; 0 when not licensed or not in the license.
func (s *Seat) Limit(name string) int { return s.l.limit(name) }

// OnChange calls fn, in order, on every change of licensed, status, code, serial, features, limits or nodes. fn
// runs in the SDK's goroutine and must not block or call Close; the returned cancel removes it.
func (s *Seat) OnChange(fn func(state, previous State)) (cancel func()) { return s.l.onChange(fn) }

// Changes delivers the state after every change, in order, until ctx ends or the seat is closed.
func (s *Seat) Changes(ctx context.Context) <-chan State { return s.l.changes(ctx) }

// Close stops the heartbeats and releases the seat (an LM that is down frees it when the lease runs out).
// Idempotent.
func (s *Seat) Close() error { return s.l.close(true, s.onClose) }

func (s *Seat) interval() time.Duration {
	heartbeat := s.ttl / 3
	if s.options.heartbeat > 0 {
		heartbeat = s.options.heartbeat
	}
	heartbeat = min(heartbeat, s.ttl/2)
	if s.options.pollGiven > 0 {
		heartbeat = min(heartbeat, s.options.pollGiven)
	}
	return max(10*time.Millisecond, heartbeat)
}

func (s *Seat) round(ctx context.Context) {
	outcome := s.seek(ctx)
	s.l.mu.Lock()
	defer s.l.unlock()
	if !s.l.closed {
		s.apply(outcome, true)
	}
}

func (s *Seat) onClose(ctx context.Context) {
	s.l.mu.Lock()
	held := s.lease
	s.lease = nil
	s.released = true
	s.l.state.Licensed = false
	s.l.state.Seat = nil
	s.l.state.Outage = nil
	s.l.state.Message = fmt.Sprintf("This connection was closed; the seat of node %q was released.", s.options.nodeID)
	s.l.mu.Unlock()
	if held != nil && held.atLm {
		s.addresses.at(held.url).release(ctx, held.id, s.caller.instance)
	}
	s.addresses.close()
}

func (s *Seat) closed() bool {
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	return s.l.closed
}

func (s *Seat) currentLease() *lease {
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	return s.lease
}
