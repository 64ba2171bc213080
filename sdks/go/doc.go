// Package tessera is the Go SDK of Tessera, the open licensing platform: what a licensed product uses to check its
// license and hold a node seat at its License Manager (LM). It offers what the TypeScript SDK (@tessera/sdk)
// offers, check for check, and both are held to one conformance suite (sdks/conformance of the Tessera
// repository): the same signed vectors and the same scenarios against a real tessera-lm.
//
// Connect takes a seat for a node and keeps it with heartbeats in the background; Watch follows the license
// without a seat. Both verify what the LM answers up to the vendor's root compiled into the product (the LM's
// signed answer to a fresh nonce, the root-signed trust bundle, the license, each lease token), evaluate the
// license themselves on this host's clock, ride out an LM that is silent for the license's signed outage grace
// (status Degraded), move between the addresses of an LM's replicas, and tell every change through OnChange or
// Changes. Every refusal is a *Error with a stable Code and a sentence.
//
//	seat, err := tessera.Connect(ctx, tessera.ConnectOptions{
//		Options: tessera.Options{
//			URLs:    []string{"http://lm.internal:9119"},
//			Product: "graphdb",
//			Roots:   []string{VendorRoot}, // compiled in, never read from a file the customer can change
//		},
//		Role:   "query",
//		NodeID: "query-1",
//	})
//	var refused *tessera.Error
//	if errors.As(err, &refused) {
//		log.Fatalf("cannot start: %s [%s]", refused.Message, refused.Code)
//	}
//	defer seat.Close() // releases the seat
//	if seat.IsEnabled("scan") { ... }
//	for state := range seat.Changes(ctx) { log.Print(state.Message) }
//
// The package uses the standard library only (crypto/ed25519, net/http, encoding/json).
package tessera
