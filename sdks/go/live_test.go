package tessera

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func stateWith(status string) State { return State{Status: status, Code: status} }

func TestChangesDeliversEveryChangeInOrderUntilCancelled(t *testing.T) {
	l := newLive(stateWith("A"), SystemClock, time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	changes := l.changes(ctx)
	var heard []string
	stop := l.onChange(func(state, previous State) { heard = append(heard, previous.Status+">"+state.Status) })
	for _, status := range []string{"B", "B", "C", "D"} {
		l.mu.Lock()
		l.update(stateWith(status))
		l.unlock()
	}
	for _, want := range []string{"B", "C", "D"} {
		select {
		case got := <-changes:
			if got.Status != want {
				t.Fatalf("got %s, want %s", got.Status, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no change %s delivered", want)
		}
	}
	if strings.Join(heard, ",") != "A>B,B>C,C>D" {
		t.Fatalf("OnChange heard %v: an unchanged state is no change, and each comes with the one before", heard)
	}
	stop()
	cancel()
	for range changes { // closed once ctx ends
	}
	l.mu.Lock()
	l.update(stateWith("E"))
	l.unlock()
	if len(heard) != 3 {
		t.Fatalf("a cancelled OnChange was called again: %v", heard)
	}
}

func TestStatusIsACopy(t *testing.T) {
	l := newLive(State{Licensed: true, License: &LicenseInfo{Features: []string{"scan"}, Limits: map[string]int{"x": 1}}}, SystemClock, time.Second)
	s := l.status()
	s.License.Features[0] = "changed"
	s.License.Limits["x"] = 9
	if !l.isEnabled("scan") || l.limit("x") != 1 {
		t.Fatal("changing a State returned by Status changed the SDK's own")
	}
}

func TestBadOptionsAreOneTypedError(t *testing.T) {
	root := "tessera-root:PUz2rcJJ7ex9PjzgALRnM7AYyi8hPWMusY3sVqCYLC8"
	good := Options{URLs: []string{"127.0.0.1:9119"}, Product: "graphdb", Roots: []string{root}}
	cases := map[string]func(o *ConnectOptions){
		"no address":           func(o *ConnectOptions) { o.URLs = nil },
		"an address twice":     func(o *ConnectOptions) { o.URLs = []string{"lm:9119", "http://lm:9119/"} },
		"not http":             func(o *ConnectOptions) { o.URLs = []string{"ftp://lm:21"} },
		"a path":               func(o *ConnectOptions) { o.URLs = []string{"http://lm:9119/v1"} },
		"credentials":          func(o *ConnectOptions) { o.URLs = []string{"http://user:pw@lm:9119"} },
		"no product":           func(o *ConnectOptions) { o.Product = "" },
		"an upper-case role":   func(o *ConnectOptions) { o.Role = "Query" },
		"no node id":           func(o *ConnectOptions) { o.NodeID = "" },
		"no root":              func(o *ConnectOptions) { o.Roots = nil },
		"a damaged root":       func(o *ConnectOptions) { o.Roots = []string{root[:30]} },
		"a secret with a tab":  func(o *ConnectOptions) { o.Secret = "secret\tvalue-long-enough" },
		"a CA that is not PEM": func(o *ConnectOptions) { o.CA = "not a certificate" },
		"a timeout of 1 ns":    func(o *ConnectOptions) { o.Timeout = time.Nanosecond },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			options := ConnectOptions{Options: good, Role: "query", NodeID: "q1"}
			options.Options.URLs = append([]string(nil), good.URLs...)
			change(&options)
			seat, err := Connect(context.Background(), options)
			var refused *Error
			if seat != nil || !errors.As(err, &refused) || refused.Code != CodeBadOptions || !strings.HasPrefix(refused.Message, "Tessera SDK: ") {
				t.Fatalf("got %v, %v; want a BAD_OPTIONS *Error with a sentence", seat, err)
			}
		})
	}
	if _, err := Watch(context.Background(), Options{URLs: []string{"lm:9119"}, Product: "graphdb"}); err == nil || err.(*Error).Code != CodeBadOptions {
		t.Fatalf("Watch without a root: %v", err)
	}
}

func TestAddressesAreNormalized(t *testing.T) {
	for input, want := range map[string]string{
		"127.0.0.1:9119":            "http://127.0.0.1:9119",
		" https://lm.example:9119/": "https://lm.example:9119",
		"HTTP://LM:9119":            "http://lm:9119",
	} {
		got, problem := normalizeURL(input)
		if problem != nil || got != want {
			t.Errorf("%q: got %q, %v; want %q", input, got, problem, want)
		}
	}
}
