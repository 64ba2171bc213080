package tessera

// The seat's lease and its deadlines (mu held throughout): held while its lease runs, then on the license's
// outage grace as Degraded, then lapsed; and the state each round's outcome leads to.

import (
	"context"
	"fmt"
	"time"
)

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
