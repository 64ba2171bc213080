package tessera

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Watcher follows the license at a License Manager without taking a seat, for a product's controller or UI
// (watch.ts, check for check). It reads GET /v1/license every PollInterval with a fresh nonce (at the next
// address when one is silent), verifies the answer and the license, and evaluates the license on its own clock.
// While the LM is silent the last verified answer stands for two polls, so a restart of the LM is not a licensing
// event; after that a usable license stands on its signed outage grace (Degraded, still licensed) until the grace
// ends, then it is Unreachable until the LM answers again. Meanwhile its expiry still ends it.
type Watcher struct {
	l         *live
	options   *checkedOptions
	addresses *addresses

	// Guarded by l.mu:
	heard       *heard
	degraded    bool
	lastSilence string
}

type heard struct {
	verified *verifiedLicense
	at       time.Duration
	atWall   time.Time
	url      string
}

// Watch follows the license without a seat. It returns whatever the license state (even when the LM cannot be
// reached); its only error is BAD_OPTIONS. ctx bounds the first read only.
func Watch(ctx context.Context, options Options) (*Watcher, error) {
	checked, problem := checkOptions(options, 30*time.Second)
	if problem != nil {
		return nil, problem
	}
	a := newAddresses(checked)
	w := &Watcher{options: checked, addresses: a, lastSilence: "no answer"}
	w.l = newLive(unreachableState(a.describe(), "not asked yet", State{}), checked.clock, checked.timeout)
	w.round(ctx)
	w.l.run(w.round, func() time.Duration { return checked.pollInterval })
	return w, nil
}

// Status is the current state (a copy).
func (w *Watcher) Status() State { return w.l.status() }

// IsEnabled: licensed and the license has this feature.
func (w *Watcher) IsEnabled(feature string) bool { return w.l.isEnabled(feature) }

// Limit is the license's limit of this name; 0 when not licensed or not in the license.
func (w *Watcher) Limit(name string) int { return w.l.limit(name) }

// OnChange calls fn, in order, on every change of licensed, status, code, serial, features, limits or nodes. fn
// runs in the SDK's goroutine and must not block or call Close; the returned cancel removes it.
func (w *Watcher) OnChange(fn func(state, previous State)) (cancel func()) { return w.l.onChange(fn) }

// Changes delivers the state after every change, in order, until ctx ends or the watcher is closed.
func (w *Watcher) Changes(ctx context.Context) <-chan State { return w.l.changes(ctx) }

// Close stops the background reads. Idempotent.
func (w *Watcher) Close() error {
	return w.l.close(true, func(context.Context) { w.addresses.close() })
}

// round asks the addresses in turn until one answers. While a license stands only a verified answer counts, and
// from another LM only at the address the license was read at (elsewhere it is no replica).
func (w *Watcher) round(ctx context.Context) {
	w.l.mu.Lock()
	var standing *heard
	if w.l.state.Licensed {
		standing = w.heard
	}
	w.l.mu.Unlock()
	var refused *licenseView
	var silences []string
	for _, client := range w.addresses.inOrder() {
		at, atWall := w.options.clock.Elapsed(), w.options.clock.Now()
		view := askLicense(ctx, client, w.options.product, w.options.roots, w.options.clock)
		w.l.mu.Lock()
		closed := w.l.closed
		w.l.mu.Unlock()
		if closed {
			return
		}
		if view.verified != nil {
			identity := view.verified.identity
			if standing == nil || standing.verified.identity.same(identity) || standing.url == client.url {
				w.addresses.use(client)
				w.l.mu.Lock()
				w.answered(&heard{verified: view.verified, at: at, atWall: atWall, url: client.url})
				w.l.unlock()
				return
			}
			silences = append(silences, fmt.Sprintf("%s answers as License Manager %s, not a replica of %s", client.url, identity.lmid, standing.verified.identity.lmid))
			continue
		}
		if view.failed != nil || view.code == CodeUnauthorized {
			if refused == nil {
				refused = &view
			}
		}
		if w.addresses.many() {
			silences = append(silences, client.url+": "+view.detail)
		} else {
			silences = append(silences, view.detail)
		}
	}
	w.l.mu.Lock()
	defer w.l.unlock()
	if refused != nil && standing == nil {
		// Nothing stands: a wrong secret, or an answer that failed a check, is what there is to say.
		code := CodeUnauthorized
		detail := refused.detail
		if refused.failed != nil {
			code = refused.failed.code
		} else {
			detail = "The License Manager refused to show its license: " + detail
		}
		state := w.l.state.copy()
		state.Licensed, state.Status, state.Code, state.Seat, state.Outage = false, statusOfRefusal(code, ""), code, nil, nil
		state.Message = sentence("The license cannot be used: "+detail, hintFor(code))
		w.l.update(state)
		return
	}
	w.silence(strings.Join(silences, "; "))
}

// answered (mu held): the state a verified answer means, standing two polls (then its grace) from when asked.
func (w *Watcher) answered(h *heard) {
	w.heard = h
	w.degraded = false
	w.l.update(w.stateOf(h.verified, h.url))
	w.l.hold(h.at+2*w.options.pollInterval+w.options.timeout, func() {
		w.quiet("no answer for two polls: " + w.lastSilence)
	})
}

// quiet (mu held): two polls without an answer: a usable license goes on under its outage grace, if any is left.
func (w *Watcher) quiet(detail string) {
	h := w.heard
	if h == nil || !w.l.state.Licensed {
		w.l.update(unreachableState(w.addresses.describe(), detail, w.l.state))
		return
	}
	grace := graceOf(h.verified)
	if h.at+grace <= w.options.clock.Elapsed() {
		w.l.update(unreachableState(w.addresses.describe(), detail, w.l.state))
		return
	}
	w.degraded = true
	w.l.hold(h.at+grace, func() {
		w.degraded = false
		w.l.update(unreachableState(w.addresses.describe(), fmt.Sprintf("the license's outage grace of %s ran out", hours(grace)), w.l.state))
	})
	w.l.update(w.degradedStateOf(h, detail))
}

// silence (mu held): no address answered: a standing license is evaluated again on the SDK's clock.
func (w *Watcher) silence(detail string) {
	w.lastSilence = detail
	h := w.heard
	if h == nil || !w.l.state.Licensed {
		// Within the hold the last answer stands, so a restart of the LM is not a licensing event.
		if w.l.state.Status == StatusUnreachable {
			w.l.update(unreachableState(w.addresses.describe(), detail, w.l.state))
		}
		return
	}
	h.verified = reevaluate(h.verified, w.options.product, w.options.clock, processSeen)
	if !h.verified.evaluation.valid {
		// The grace covers the LM's silence, never the license's own expiry (nor a clock set back).
		w.degraded = false
		w.l.unhold()
		w.l.update(w.stateOf(h.verified, h.url))
		return
	}
	if w.degraded {
		w.l.update(w.degradedStateOf(h, detail))
		return
	}
	state := w.stateOf(h.verified, h.url)
	state.Message = w.l.state.Message
	w.l.update(state)
}

func graceOf(v *verifiedLicense) time.Duration {
	if v.info == nil {
		return 0
	}
	return time.Duration(v.info.OutageGraceHours) * time.Hour
}

func (w *Watcher) degradedStateOf(h *heard, detail string) State {
	return degradedState(w.stateOf(h.verified, h.url), h.url, detail, w.options.product+" stays licensed", h.atWall, graceOf(h.verified))
}

func (w *Watcher) stateOf(v *verifiedLicense, url string) State {
	state := factsOf(v)
	state.Licensed = v.evaluation.valid
	state.Status = v.status
	state.Code = v.evaluation.code
	if state.Licensed {
		state.Message = fmt.Sprintf("%s is licensed by the License Manager at %s: %s", w.options.product, url, v.evaluation.detail)
	} else {
		hint := hintFor(v.evaluation.code)
		switch v.evaluation.code {
		case CodeExpired, CodeInGrace, CodeNoLicense, CodeClockTampered:
			hint = "" // evaluate's sentences already say what to do
		}
		state.Message = sentence(fmt.Sprintf("%s is not licensed by the License Manager at %s: %s", w.options.product, url, v.evaluation.detail), hint)
	}
	return state
}
