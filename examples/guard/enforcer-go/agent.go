package main

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"time"

	tessera "github.com/tessera-licensing/tessera/sdks/go"
)

var hostPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$`)

// agent is the enforcer's life with its controller (src/enforcer/agent.ts): registered while it holds a seat
// (proved by the seat's signed lease token, sent on registration and with every heartbeat), leaving the moment
// the seat is lost, and registering again when the SDK gets the seat back. A change of the seat wakes it at once;
// a timer covers everything else.
type agent struct {
	nodeID     string
	host       string
	seat       *tessera.Seat
	controller *controllerClient
	retry      time.Duration
	out, err   io.Writer

	session     string
	leaseID     string
	heartbeat   time.Duration
	lastProblem string
}

func (a *agent) run(ctx context.Context) {
	changes := a.seat.Changes(ctx)
	for {
		a.step()
		wait := a.retry
		if a.session != "" {
			wait = a.heartbeat
		}
		select {
		case <-ctx.Done():
			return
		case <-changes:
		case <-time.After(wait):
		}
	}
}

func (a *agent) step() {
	state := a.seat.Status()
	if !state.Licensed || state.Seat == nil {
		wasRegistered := a.session != ""
		a.leave()
		left := ""
		if wasRegistered {
			left = "left the controller, "
		}
		a.problem(fmt.Sprintf("guard: enforcer %s has no seat: %s [%s]; %swaiting for the seat to return", a.nodeID, state.Message, state.Code, left), wasRegistered)
		return
	}
	if a.session != "" && a.leaseID != state.Seat.LeaseID {
		a.leave() // a new seat (after an LM restart): register it
	}
	if a.session != "" {
		answer := a.controller.heartbeat(a.nodeID, a.session, state.Seat.Token)
		switch {
		case answer.ok:
			return
		case answer.reachable && (answer.status == 401 || answer.status == 403 || answer.status == 404):
			a.session = "" // the controller dropped us; register again at once (its refusal then says why)
		default:
			a.problem(fmt.Sprintf("guard: enforcer %s cannot heartbeat to the controller at %s: %s; retrying", a.nodeID, a.controller.url, answer.describe()), false)
			return
		}
	}
	answer := a.controller.register(a.nodeID, state.Seat.Token, a.host)
	if !answer.ok {
		a.problem(fmt.Sprintf("guard: enforcer %s is not registered with the controller at %s: %s; retrying", a.nodeID, a.controller.url, answer.describe()), false)
		return
	}
	a.session, a.leaseID = answer.session, state.Seat.LeaseID
	// Within what a controller may ask, so an odd answer neither spins nor stalls the loop.
	a.heartbeat = min(max(answer.heartbeat, 100*time.Millisecond), 10*time.Minute)
	a.lastProblem = ""
	fmt.Fprintf(a.out, "guard enforcer %s connected to %s\n", a.nodeID, a.controller.url)
}

// leave tells the controller, best effort: one that cannot be told drops the enforcer once its heartbeats stop.
func (a *agent) leave() {
	if a.session == "" {
		return
	}
	session := a.session
	a.session, a.leaseID = "", ""
	a.controller.leave(a.nodeID, session)
}

// problem prints a sentence once, not at every retry; force prints it even if it was the last one printed.
func (a *agent) problem(sentence string, force bool) {
	if sentence == a.lastProblem && !force {
		return
	}
	a.lastProblem = sentence
	fmt.Fprintln(a.err, sentence)
}
