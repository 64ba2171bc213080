package tessera_test

// The runner's side of a conformance scenario (sdks/conformance/README.md): SDK steps done with the Go SDK, world
// steps passed on to the world server, and the canonical state every runner compares.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	tessera "github.com/tessera-licensing/tessera/sdks/go"
	"github.com/tessera-licensing/tessera/sdks/go/tesseratest"
)

type instance struct {
	seat    *tessera.Seat
	watcher *tessera.Watcher
	mu      sync.Mutex
	changes []map[string]any
}

func (i *instance) status() tessera.State {
	if i.seat != nil {
		return i.seat.Status()
	}
	return i.watcher.Status()
}

func (i *instance) isEnabled(feature string) bool {
	if i.seat != nil {
		return i.seat.IsEnabled(feature)
	}
	return i.watcher.IsEnabled(feature)
}

func (i *instance) limit(name string) int {
	if i.seat != nil {
		return i.seat.Limit(name)
	}
	return i.watcher.Limit(name)
}

func (i *instance) close() {
	if i.seat != nil {
		_ = i.seat.Close()
	} else {
		_ = i.watcher.Close()
	}
}

type scenarioRun struct {
	t         *testing.T
	world     string
	product   string
	root      string
	clock     *tesseratest.Clock
	addresses map[string]string
	instances map[string]*instance
}

func (r *scenarioRun) close() {
	for _, i := range r.instances {
		i.close()
	}
}

// canonical is the state every runner compares, as JSON values.
func canonical(s tessera.State) map[string]any {
	out := map[string]any{
		"licensed": s.Licensed, "status": s.Status, "code": s.Code, "licenseId": nil, "serial": nil, "daysLeft": nil,
		"features": []string{}, "limits": map[string]int{}, "nodes": map[string]int{}, "outageGraceHours": nil,
		"seat": s.Seat != nil, "degraded": s.Outage != nil,
	}
	if s.License != nil {
		out["licenseId"], out["serial"], out["outageGraceHours"] = s.License.ID, s.License.Serial, s.License.OutageGraceHours
		out["features"], out["limits"], out["nodes"] = s.License.Features, s.License.Limits, s.License.Nodes
	}
	if s.DaysLeft != nil {
		out["daysLeft"] = *s.DaysLeft
	}
	text, _ := json.Marshal(out)
	var normalized map[string]any
	_ = json.Unmarshal(text, &normalized)
	return normalized
}

func mismatch(i *instance, state tessera.State, expect map[string]any) error {
	shown := canonical(state)
	for key, want := range expect {
		switch key {
		case "isEnabled", "limit":
			for name, value := range want.(map[string]any) {
				var got any
				if key == "isEnabled" {
					got = i.isEnabled(name)
				} else {
					got = float64(i.limit(name))
				}
				if got != value {
					return fmt.Errorf("%s(%s) is %v, expected %v", key, name, got, value)
				}
			}
		default:
			if !reflect.DeepEqual(shown[key], want) {
				return fmt.Errorf("%s is %v, expected %v", key, shown[key], want)
			}
		}
	}
	return nil
}

func partial(state, expect map[string]any) bool {
	for key, want := range expect {
		if !reflect.DeepEqual(state[key], want) {
			return false
		}
	}
	return true
}

func (r *scenarioRun) step(step map[string]any) error {
	if _, isWorld := step["world"]; isWorld {
		return r.worldStep(step)
	}
	str := func(key string) string { s, _ := step[key].(string); return s }
	object := func(key string) map[string]any { m, _ := step[key].(map[string]any); return m }
	within := 15 * time.Second
	if ms, ok := step["withinMs"].(float64); ok {
		within = time.Duration(ms) * time.Millisecond
	}
	switch str("sdk") {
	case "connect":
		return r.connect(step)
	case "watch":
		return r.watch(step)
	case "state":
		i, err := r.instance(str("of"))
		if err != nil {
			return err
		}
		return mismatch(i, i.status(), object("expect"))
	case "await":
		i, err := r.instance(str("of"))
		if err != nil {
			return err
		}
		return until(within, func() error { return mismatch(i, i.status(), object("until")) }, i)
	case "awaitRenewal":
		i, err := r.instance(str("of"))
		if err != nil {
			return err
		}
		first := i.status().Seat
		if first == nil {
			return errors.New("it holds no seat to renew")
		}
		return until(within, func() error {
			seat := i.status().Seat
			if step["sameLease"] == true && seat != nil && seat.LeaseID != first.LeaseID {
				return fmt.Errorf("another lease %s, not %s", seat.LeaseID, first.LeaseID)
			}
			if seat != nil && seat.Token != first.Token && seat.ExpiresAt > first.ExpiresAt {
				return nil
			}
			return errors.New("no renewal")
		}, i)
	case "changes":
		return r.changes(step)
	case "verifySeat":
		return r.verifySeat(step)
	case "advance":
		r.clock.Advance(time.Duration(step["ms"].(float64)) * time.Millisecond)
		return nil
	case "close":
		i, err := r.instance(str("of"))
		if err != nil {
			return err
		}
		i.close()
		return nil
	}
	return errors.New("unknown step")
}

// worldStep passes a step to the world server; with until (a step that only reads, as usage), it is asked again
// until its result matches.
func (r *scenarioRun) worldStep(step map[string]any) error {
	within := 15 * time.Second
	if ms, ok := step["withinMs"].(float64); ok {
		within = time.Duration(ms) * time.Millisecond
	}
	end := time.Now().Add(within)
	for {
		var answer struct {
			OK        bool              `json:"ok"`
			Result    map[string]any    `json:"result"`
			Error     string            `json:"error"`
			Addresses map[string]string `json:"addresses"`
		}
		postJSON(r.t, r.world+"/step", step, &answer)
		if !answer.OK {
			return errors.New("the world refused: " + answer.Error)
		}
		r.addresses = answer.Addresses
		if expect, ok := step["expect"].(map[string]any); ok && !partial(answer.Result, expect) {
			return fmt.Errorf("the world answered %v", answer.Result)
		}
		until, ok := step["until"].(map[string]any)
		if !ok || partial(answer.Result, until) {
			return nil
		}
		if time.Now().After(end) {
			return fmt.Errorf("the world still answers %v", answer.Result)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (r *scenarioRun) options(step map[string]any) (tessera.Options, error) {
	var urls []string
	for _, name := range step["addresses"].([]any) {
		url, ok := r.addresses[name.(string)]
		if !ok {
			return tessera.Options{}, fmt.Errorf("the world has no address %q", name)
		}
		urls = append(urls, url)
	}
	secret, _ := step["secret"].(string)
	options := tessera.Options{URLs: urls, Product: r.product, Roots: []string{r.root}, Clock: r.clock, Secret: secret}
	if ms, ok := step["pollMs"].(float64); ok {
		options.PollInterval = time.Duration(ms) * time.Millisecond
	}
	return options, nil
}

func (r *scenarioRun) connect(step map[string]any) error {
	options, err := r.options(step)
	if err != nil {
		return err
	}
	expect := step["expect"].(map[string]any)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	seat, err := tessera.Connect(ctx, tessera.ConnectOptions{Options: options, Role: step["role"].(string), NodeID: step["nodeId"].(string)})
	if err != nil {
		var refused *tessera.Error
		if !errors.As(err, &refused) {
			return fmt.Errorf("connect failed with an error that is not a *tessera.Error: %v", err)
		}
		if expect["ok"] != false {
			return fmt.Errorf("connect was refused: %v", err)
		}
		if refused.Code != expect["code"] {
			return fmt.Errorf("refused %s (%s), expected %v", refused.Code, refused.Message, expect["code"])
		}
		if len(refused.Message) < 10 {
			return errors.New("the refusal has no sentence")
		}
		return nil
	}
	r.keep(step["as"].(string), &instance{seat: seat})
	if expect["ok"] == false {
		return fmt.Errorf("connect took a seat, expected a refusal %v", expect["code"])
	}
	return nil
}

func (r *scenarioRun) watch(step map[string]any) error {
	options, err := r.options(step)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	watcher, err := tessera.Watch(ctx, options)
	if err != nil {
		return err
	}
	r.keep(step["as"].(string), &instance{watcher: watcher})
	return nil
}

func (r *scenarioRun) keep(name string, i *instance) {
	record := func(state, _ tessera.State) {
		i.mu.Lock()
		defer i.mu.Unlock()
		i.changes = append(i.changes, canonical(state))
	}
	if i.seat != nil {
		i.seat.OnChange(record)
	} else {
		i.watcher.OnChange(record)
	}
	r.instances[name] = i
}

// verifySeat is a controller's check of the seat token an instance holds now (its signature broken first with forge).
func (r *scenarioRun) verifySeat(step map[string]any) error {
	i, err := r.instance(step["token"].(string))
	if err != nil {
		return err
	}
	seat := i.status().Seat
	if seat == nil {
		return errors.New("it holds no seat")
	}
	token := seat.Token
	if step["forge"] == true {
		at := strings.LastIndex(token, ".") + 10
		flipped := "A"
		if token[at] == 'A' {
			flipped = "B"
		}
		token = token[:at] + flipped + token[at+1:]
	}
	options, err := r.options(step)
	if err != nil {
		return err
	}
	verdict := tessera.VerifySeat(context.Background(), tessera.VerifySeatOptions{Options: options, Token: token})
	got := map[string]any{"ok": verdict.OK, "code": verdict.Code, "role": verdict.Role, "nodeId": verdict.NodeID, "licenseId": verdict.LicenseID}
	if !verdict.OK {
		got = map[string]any{"ok": false, "code": verdict.Code}
	}
	if !partial(got, step["expect"].(map[string]any)) {
		return fmt.Errorf("the verdict is %v (%s)", got, verdict.Message)
	}
	return nil
}

func (r *scenarioRun) changes(step map[string]any) error {
	i, err := r.instance(step["of"].(string))
	if err != nil {
		return err
	}
	i.mu.Lock()
	seen := i.changes
	i.changes = nil
	i.mu.Unlock()
	expected := step["expect"].([]any)
	shown, _ := json.Marshal(seen)
	if step["exactly"] == true && len(seen) != len(expected) {
		return fmt.Errorf("%d changes: %s", len(seen), shown)
	}
	at := 0
	for _, want := range expected {
		for at < len(seen) && !partial(seen[at], want.(map[string]any)) {
			at++
		}
		if at == len(seen) {
			return fmt.Errorf("no change %v in %s", want, shown)
		}
		at++
	}
	return nil
}

func (r *scenarioRun) instance(name string) (*instance, error) {
	i, ok := r.instances[name]
	if !ok {
		return nil, fmt.Errorf("no SDK instance %q", name)
	}
	return i, nil
}

// until polls check until it passes; a deadline, not a measurement.
func until(within time.Duration, check func() error, i *instance) error {
	end := time.Now().Add(within)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(end) {
			shown, _ := json.Marshal(canonical(i.status()))
			return fmt.Errorf("not within %s: %v; state %s", within, err, shown)
		}
		time.Sleep(25 * time.Millisecond)
	}
}
