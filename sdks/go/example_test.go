package tessera_test

import (
	"context"
	"errors"
	"log"
	"os"
	"os/signal"
	"syscall"

	tessera "github.com/tessera-licensing/tessera/sdks/go"
)

// VendorRoot is the vendor's root public key, as `tessera-center trust-root` prints it: a constant of the build.
const VendorRoot = "tessera-root:PUz2rcJJ7ex9PjzgALRnM7AYyi8hPWMusY3sVqCYLC8"

// A storage node of graphdb: it takes its seat at start (or exits saying why), serves while licensed, reacts to
// every change, and gives the seat back when it stops.
func ExampleConnect() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	seat, err := tessera.Connect(ctx, tessera.ConnectOptions{
		Options: tessera.Options{URLs: []string{"lm-0.lm:9119", "lm-1.lm:9119"}, Product: "graphdb", Roots: []string{VendorRoot}},
		Role:    "storage",
		NodeID:  "storage-1",
	})
	var refused *tessera.Error
	if errors.As(err, &refused) {
		log.Printf("graphdb: storage node cannot start: %s [%s]", refused.Message, refused.Code)
		os.Exit(3)
	}
	defer seat.Close()
	for state := range seat.Changes(ctx) {
		if state.Licensed {
			log.Printf("licensed (%s): %s", state.Status, state.Message)
		} else {
			log.Printf("not licensed, new work stops: %s [%s]", state.Message, state.Code)
		}
	}
}

// A controller that needs the license but is not a counted node: it never takes a seat and never fails for the
// license's state, so it can start and show why.
func ExampleWatch() {
	watcher, err := tessera.Watch(context.Background(), tessera.Options{URLs: []string{"http://lm.internal:9119"}, Product: "guard", Roots: []string{VendorRoot}})
	if err != nil {
		log.Fatal(err) // BAD_OPTIONS only
	}
	defer watcher.Close()
	if !watcher.IsEnabled("federation") {
		log.Print("federation is not in this license")
	}
	log.Printf("remote clusters allowed: %d", watcher.Limit("remote_clusters"))
}
