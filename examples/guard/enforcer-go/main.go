// Command enforcer-go is guard's enforcer written in Go: the same program as src/enforcer.ts, taking its seat of
// role enforcer through the Go SDK and registering with guard's controller (the TypeScript one) with the seat's
// signed lease token, which the controller checks at the License Manager.
//
//	go build -ldflags "-X main.vendorRoot=tessera-root:…" -o guard-enforcer .
//	./guard-enforcer --controller http://127.0.0.1:10443 --license_manager_url 127.0.0.1:9119 --node-id node-1
//
// Exit codes as the TypeScript enforcer's: 0 stopped by SIGTERM/SIGINT (it first leaves the controller and releases
// its seat), 2 wrong flags, 3 no seat, 1 an unexpected error (or a build without a root).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	tessera "github.com/tessera-licensing/tessera/sdks/go"
)

// vendorRoot is the vendor's root public key, set when the enforcer is built (-ldflags -X main.vendorRoot=…):
// part of the program, never a flag, file or variable the customer can change.
var vendorRoot string

const (
	product     = "guard"
	role        = "enforcer"
	exitUsage   = 2
	exitNoSeat  = 3
	exitFailure = 1
)

var nodeIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$`)

type usageError struct{ message string }

func (e usageError) Error() string { return e.message }

type config struct {
	controller string
	lmURLs     []string
	nodeID     string
	heartbeat  time.Duration
}

const usage = "guard-enforcer --controller <url> --license_manager_url <host:port>[,host:port...] --node-id <id> [--heartbeat-ms N]"

func readFlags(args []string) (config, error) {
	for _, arg := range args {
		if arg == "--trust" || strings.HasPrefix(arg, "--trust=") {
			return config{}, usageError{"--trust is no longer a flag: guard trusts only the vendor's root key compiled into it, and the License Manager serves the vendor's trust bundle; remove --trust (see README)"}
		}
	}
	flags := flag.NewFlagSet("guard-enforcer", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	controller := flags.String("controller", "", "the controller's URL")
	lm := flags.String("license_manager_url", "", "the License Manager, or its replicas")
	nodeID := flags.String("node-id", "", "this node's stable id")
	heartbeatMs := flags.Int("heartbeat-ms", 0, "how often the seat is renewed")
	if err := flags.Parse(args); err != nil {
		return config{}, usageError{fmt.Sprintf("%v. Usage: %s", err, usage)}
	}
	for name, value := range map[string]string{"controller": *controller, "license_manager_url": *lm, "node-id": *nodeID} {
		if value == "" {
			return config{}, usageError{fmt.Sprintf("--%s is required. Usage: %s", name, usage)}
		}
	}
	u, err := url.Parse(*controller)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return config{}, usageError{fmt.Sprintf("--controller %q is not an http URL; give one like http://127.0.0.1:8443.", *controller)}
	}
	if !nodeIDPattern.MatchString(*nodeID) {
		return config{}, usageError{fmt.Sprintf(`--node-id %q must be letters, digits, ".", "_", ":" or "-" (up to 200), starting with a letter or digit.`, *nodeID)}
	}
	if *heartbeatMs != 0 && (*heartbeatMs < 100 || *heartbeatMs > 600_000) {
		return config{}, usageError{fmt.Sprintf("--heartbeat-ms %d must be a whole number from 100 to 600000.", *heartbeatMs)}
	}
	var urls []string
	for _, part := range strings.Split(*lm, ",") {
		if part = strings.TrimSpace(part); part != "" {
			urls = append(urls, part)
		}
	}
	return config{controller: u.Scheme + "://" + u.Host, lmURLs: urls, nodeID: *nodeID, heartbeat: time.Duration(*heartbeatMs) * time.Millisecond}, nil
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	cfg, err := readFlags(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "guard: %v\n", err)
		return exitUsage
	}
	if vendorRoot == "" {
		fmt.Fprintln(os.Stderr, `guard: the enforcer stopped on an unexpected error: this copy of guard was built without the vendor's root key; build it with: go build -ldflags "-X main.vendorRoot=tessera-root:…"`)
		return exitFailure
	}
	// A stop asked for while the seat is being taken is honoured as soon as there is something to release.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	seat, err := tessera.Connect(ctx, tessera.ConnectOptions{
		Options:   tessera.Options{URLs: cfg.lmURLs, Product: product, Roots: []string{vendorRoot}},
		Role:      role,
		NodeID:    cfg.nodeID,
		Heartbeat: cfg.heartbeat,
	})
	var refused *tessera.Error
	if errors.As(err, &refused) {
		if refused.Code == tessera.CodeBadOptions {
			fmt.Fprintf(os.Stderr, "guard: %s\n", refused.Message)
			return exitUsage
		}
		fmt.Fprintf(os.Stderr, "guard: enforcer %s cannot connect: %s [%s]\n", cfg.nodeID, refused.Message, refused.Code)
		return exitNoSeat
	}
	host, _ := os.Hostname()
	if !hostPattern.MatchString(host) {
		host = "" // only for the status page: a name the controller would refuse is not sent
	}
	a := &agent{
		nodeID: cfg.nodeID, host: host, seat: seat, controller: newControllerClient(cfg.controller, 5*time.Second),
		retry: time.Second, out: os.Stdout, err: os.Stderr,
	}
	a.run(ctx) // until SIGTERM or SIGINT
	a.leave()
	_ = seat.Close() // releases the seat at once, so another enforcer can take it
	return 0
}
