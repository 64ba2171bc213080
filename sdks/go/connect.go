package tessera

import (
	"context"
	"fmt"
	"strings"
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

// seek is one round over the addresses, the one in use first: the first that answers decides, a silent one hands
// the round to the next. Without a seat, a refusal another address might not give is kept until all were asked.
func (s *Seat) seek(ctx context.Context) seatOutcome {
	var fallback *seatOutcome
	var silences []string
	for _, client := range s.addresses.inOrder() {
		var outcome seatOutcome
		if held := s.currentLease(); held != nil {
			outcome = s.keepSeat(ctx, client, held)
		} else {
			outcome = s.takeSeat(ctx, client)
		}
		if s.closed() {
			return silent("closed")
		}
		switch {
		case outcome.kind == "moot":
			return outcome
		case outcome.kind == "silent":
			if s.addresses.many() {
				silences = append(silences, client.url+": "+outcome.detail)
			} else {
				silences = append(silences, outcome.detail)
			}
		case outcome.kind == "refused" && !outcome.final:
			if fallback == nil {
				fallback = &outcome
			}
		default:
			s.addresses.use(client)
			return outcome
		}
	}
	if fallback != nil {
		return *fallback
	}
	return silent(strings.Join(silences, "; "))
}

func (s *Seat) read(ctx context.Context, client *lmClient) licenseView {
	return askLicense(ctx, client, s.options.product, s.options.roots, s.options.clock)
}

// takeSeat: a round at one address for a node without a seat: a verified, usable license, then a checkout.
func (s *Seat) takeSeat(ctx context.Context, client *lmClient) seatOutcome {
	view := s.read(ctx, client)
	switch {
	case view.failed != nil:
		return refusal(view.failed.code, view.failed.detail, "", false, nil)
	case view.verified == nil && view.code == CodeUnauthorized:
		return refusal(CodeUnauthorized, view.detail, "", false, nil)
	case view.verified == nil:
		return silent(view.detail)
	case !view.verified.evaluation.valid:
		return noSeat(view.verified, false)
	}
	return s.checkout(ctx, client, view.verified)
}

// keepSeat: a round at one address for a node holding a seat (on its lease, or on its outage grace).
func (s *Seat) keepSeat(ctx context.Context, client *lmClient, held *lease) seatOutcome {
	view := s.read(ctx, client)
	if s.closed() {
		return silent("closed")
	}
	answered := view.verified
	s.l.mu.Lock()
	heldIdentity, heldURL := held.identity, held.url
	s.l.mu.Unlock()
	if answered != nil && !answered.identity.same(heldIdentity) {
		if client.url != heldURL {
			return silent(fmt.Sprintf("it answers as License Manager %s, not as %s that holds the seat: not a replica of it", answered.identity.lmid, heldIdentity.lmid))
		}
		// Another LM answers where the seat was (replaced, or lost its data): the lease was the old one's.
		s.l.mu.Lock()
		s.forgetLease(held)
		s.l.unlock()
		return s.checkoutUnlessRefused(ctx, client, answered)
	}
	// Without a verified read this round, the last verified license is evaluated again on the SDK's clock.
	s.l.mu.Lock()
	standing := answered
	if standing == nil {
		standing = s.standingLicense(held)
	}
	if standing == nil {
		s.l.mu.Unlock()
		if view.verified != nil {
			return silent("no verified license")
		}
		return silent(view.detail)
	}
	if !standing.evaluation.valid {
		s.l.mu.Unlock()
		return noSeat(standing, true)
	}
	s.verified = standing
	atLm, leaseID, issuedAt := held.atLm, held.id, held.issuedAt
	s.l.mu.Unlock()
	if atLm && standing.ref != nil {
		when := s.now()
		renewal := heartbeatAt(ctx, client, s.caller, leaseID, heldIdentity, issuedAt, *standing.ref)
		s.l.mu.Lock()
		if s.lease != held {
			s.l.mu.Unlock()
			return seatOutcome{kind: "moot"} // the seat ended (its grace ran out, or close) while the round was on its way
		}
		if renewal.kind != "refused" || renewal.code != CodeLeaseNotFound {
			outcome := s.renewed(client, held, renewal, answered, when)
			s.l.unlock()
			return outcome
		}
		s.forgetLease(held)
		s.l.unlock()
	}
	// The LM does not know the lease (any more): a checkout, after a verified read of that very LM.
	current := view
	if answered == nil {
		current = s.read(ctx, client)
	}
	if current.verified == nil {
		return silent(current.detail)
	}
	if s.currentLease() != nil && !current.verified.identity.same(heldIdentity) {
		return silent("another License Manager answered")
	}
	return s.checkoutUnlessRefused(ctx, client, current.verified)
}

// standingLicense (mu held): the last verified license of the seat's LM, evaluated again on the SDK's clock.
func (s *Seat) standingLicense(held *lease) *verifiedLicense {
	if s.verified == nil || !s.verified.identity.same(held.identity) {
		return nil
	}
	return reevaluate(s.verified, s.options.product, s.options.clock, processSeen)
}

func (s *Seat) checkoutUnlessRefused(ctx context.Context, client *lmClient, v *verifiedLicense) seatOutcome {
	if !v.evaluation.valid {
		return noSeat(v, true)
	}
	return s.checkout(ctx, client, v)
}

// renewed (mu held): what a heartbeat's outcome means for the seat. A refusal counts only after a verified read
// at that address in the same round: an unsigned 4xx from anything else is silence.
func (s *Seat) renewed(client *lmClient, held *lease, renewal callOutcome, answered *verifiedLicense, when sent) seatOutcome {
	shown := s.verified
	switch renewal.kind {
	case "granted":
		next := *held
		s.takeGrant(&next, renewal.grant, when)
		next.url = client.url
		s.holdLease(next)
		return seatOutcome{kind: "held", verified: shown}
	case "same":
		// The same token keeps a seat within its lease; on the grace it would be a replay, not the LM renewing.
		if s.degraded {
			return silent("its heartbeat answer was the last lease token again, not a renewal")
		}
		held.url = client.url
		return seatOutcome{kind: "held", verified: shown}
	case "refused":
		if answered == nil {
			return silent(fmt.Sprintf("it answered the heartbeat %s without a verified license in the same round", renewal.code))
		}
		return refusal(renewal.code, renewal.message, answered.status, true, answered)
	}
	return silent(renewal.message)
}

func (s *Seat) takeGrant(l *lease, g grant, when sent) {
	l.id, l.expiresAt, l.token, l.issuedAt = g.leaseID, g.expiresAt, g.token, g.issuedAt
	l.heardAt, l.heardAtWall = when.at, when.atWall
}

// checkout at this address under v: held, refused (final), or silent.
func (s *Seat) checkout(ctx context.Context, client *lmClient, v *verifiedLicense) seatOutcome {
	if s.closed() || v.ref == nil {
		return silent("closed") // no new seat for a closed connection
	}
	when := s.now()
	outcome := checkoutAt(ctx, client, s.caller, v.identity, *v.ref)
	switch outcome.kind {
	case "refused":
		return refusal(outcome.code, outcome.message, v.status, true, v)
	case "untrusted":
		// An untrusted seat is no seat; a node riding its grace treats it as silence, one without a seat as a refusal.
		if s.currentLease() != nil {
			return silent(outcome.message)
		}
		return refusal(outcome.code, outcome.message, "", false, nil)
	case "silent":
		return silent(outcome.message)
	}
	s.l.mu.Lock()
	if s.released {
		s.l.mu.Unlock()
		client.release(context.Background(), outcome.grant.leaseID, s.caller.instance) // close() has finished: give it back
		return silent("closed")
	}
	s.ttl = outcome.grant.ttl
	next := lease{identity: v.identity, url: client.url}
	s.takeGrant(&next, outcome.grant, when)
	s.holdLease(next)
	s.l.mu.Unlock()
	return seatOutcome{kind: "held", verified: v}
}

func (s *Seat) now() sent { return sent{at: s.options.clock.Elapsed(), atWall: s.options.clock.Now()} }

// holdLease (mu held): a lease renewed or taken now; its deadline is the TTL from when it was asked for.
func (s *Seat) holdLease(next lease) {
	next.deadline = next.heardAt + s.ttl
	next.atLm = true
	s.lease = &next
	s.degraded = false
	s.armSeatEnd()
}

// forgetLease (mu held): the LM no longer knows the lease: strict, the seat ends with it; with a grace, the
// node rides it.
func (s *Seat) forgetLease(held *lease) {
	if s.lease != held {
		return
	}
	if held.heardAt+s.grace() <= s.options.clock.Elapsed() {
		s.lease = nil
		s.l.unhold()
		return
	}
	held.atLm = false
}

// armSeatEnd (mu held): the seat's next deadline: the lease's end while it runs, then the end of the grace.
func (s *Seat) armSeatEnd() {
	held := s.lease
	if held == nil {
		s.l.unhold()
		return
	}
	if !s.degraded {
		s.l.hold(held.deadline, s.leaseRanOut)
	} else {
		s.l.hold(held.heardAt+s.grace(), func() {
			s.lapse(fmt.Sprintf("the license's outage grace of %s ran out", hours(s.grace())))
		})
	}
}

func (s *Seat) leaseRanOut() {
	held := s.lease
	if held == nil {
		return
	}
	detail := "its lease ran out without a new verified renewal; " + s.lastSilence
	if held.heardAt+s.grace() <= s.options.clock.Elapsed() {
		s.lapse(detail)
	} else {
		s.enterDegraded(detail)
	}
}

func (s *Seat) enterDegraded(detail string) {
	s.degraded = true
	s.armSeatEnd()
	s.l.update(s.degradedState(detail))
}

// lapse (mu held): the seat ends for want of an answer.
func (s *Seat) lapse(detail string) {
	s.lease = nil
	s.degraded = false
	s.l.unhold()
	s.l.update(s.unreachable(detail, true))
}

func (s *Seat) grace() time.Duration {
	if s.verified == nil || s.verified.info == nil {
		return 0
	}
	return time.Duration(s.verified.info.OutageGraceHours) * time.Hour
}

func (s *Seat) dropLease() {
	if held := s.lease; held != nil && held.atLm {
		client := s.addresses.at(held.url)
		go client.release(context.Background(), held.id, s.caller.instance)
	}
	s.lease = nil
	s.degraded = false
	s.l.unhold()
}

// apply (mu held) turns a round's outcome into the state; retrying adds that the SDK keeps trying.
func (s *Seat) apply(outcome seatOutcome, retrying bool) {
	if outcome.kind == "moot" {
		return
	}
	if outcome.kind != "silent" && outcome.verified != nil {
		s.verified = outcome.verified
	}
	held := s.lease
	switch outcome.kind {
	case "held":
		if held != nil {
			s.l.update(s.heldState(outcome.verified, held))
		}
		return
	case "refused":
		s.dropLease()
		s.l.update(s.refusedState(outcome, retrying))
		return
	}
	s.lastSilence = outcome.detail
	switch {
	case held == nil:
		s.l.update(s.unreachable(outcome.detail, retrying))
	case s.degraded:
		s.armSeatEnd() // the license read this round may carry another grace
		s.l.update(s.degradedState(outcome.detail))
	case !held.atLm:
		s.enterDegraded(outcome.detail)
	}
	// Else a seat on its lease rides the silence out unseen: the hold timer ends the lease.
}

func (s *Seat) heldState(v *verifiedLicense, held *lease) State {
	state := factsOf(v)
	state.Licensed = true
	state.Status = v.status
	state.Code = v.evaluation.code
	state.Message = sentence(fmt.Sprintf("%s holds a seat at the License Manager at %s.", s.node, held.url), v.evaluation.detail)
	state.Seat = &SeatInfo{LeaseID: held.id, ExpiresAt: held.expiresAt, Token: held.token}
	return state
}

func (s *Seat) refusedState(o seatOutcome, retrying bool) State {
	state := factsOf(s.verified)
	state.Status = statusOfRefusal(o.code, o.licenseStatus)
	state.Code = o.code
	more := ""
	if retrying {
		more = "It keeps trying and takes the seat as soon as it is granted."
	}
	state.Message = sentence(fmt.Sprintf("%s has no seat at the License Manager at %s: %s", s.node, s.addresses.describe(), o.message), hintUnlessGiven(o.code, o.message), more)
	return state
}

func (s *Seat) degradedState(detail string) State {
	held := s.lease
	base := s.l.state.copy()
	facts := factsOf(s.verified)
	if facts.License != nil {
		base.License, base.DaysLeft = facts.License, facts.DaysLeft
	}
	base.Seat = &SeatInfo{LeaseID: held.id, ExpiresAt: held.expiresAt, Token: held.token}
	return degradedState(base, held.url, detail, s.node+" keeps its seat", held.heardAtWall, s.grace())
}

func (s *Seat) unreachable(detail string, retrying bool) State {
	state := unreachableState(s.addresses.describe(), detail, s.l.state)
	then := "then start the node again."
	if retrying {
		then = "the node takes its seat again as soon as it answers."
	}
	state.Message = fmt.Sprintf("The License Manager at %s cannot be reached (%s), so %s holds no seat. Check that tessera-lm is running and reachable from this host at that address; %s", s.addresses.describe(), detail, s.node, then)
	return state
}
