package tessera

// One round of a seat at the License Manager's addresses (connect.ts): take a seat, or keep the one held, at the
// first address that answers, with what each answer means. Network calls are made without the lock; what they
// bring is applied under it (seat_lease.go).

import (
	"context"
	"fmt"
	"strings"
)

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
