package tessera

import (
	"crypto/x509"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
)

// Options are what Watch needs, and Connect with ConnectOptions: where the License Manager is, which product
// asks, and the vendor's root compiled into the product.
type Options struct {
	// URLs: the License Manager's address ("http://127.0.0.1:9119", "https://lm.example:9119", or "127.0.0.1:9119"
	// for http), or the addresses of its replicas (one LM sharing one database and one identity), tried in order:
	// when the one in use is silent the SDK moves to the next within the same round, keeping its lease.
	URLs []string
	// Product: the product's name as licensed, e.g. "graphdb".
	Product string
	// Roots: the vendor's root public key, "tessera-root:…" as `tessera-center trust-root` prints it (or several
	// during a root rotation). A constant compiled into the product, never read from a file the customer can change.
	Roots []string
	// Secret: the License Manager's seat secret (seats.secret in its YAML), sent with every request when set.
	Secret string
	// CA: PEM text of the certificate authority (or the certificate) to trust for an https License Manager.
	CA string
	// Timeout per request; default 5 s.
	Timeout time.Duration
	// PollInterval: how often the license is read again; default 30 s for Watch, the heartbeat for Connect.
	PollInterval time.Duration
	// Clock: where time is read and rounds scheduled; default this host's (SystemClock).
	Clock Clock
}

// ConnectOptions: a watch plus the node that takes a seat.
type ConnectOptions struct {
	Options
	// Role: the node's role, e.g. "query".
	Role string
	// NodeID: a stable id of this node. One running process holds it at a time: a second process with the same id
	// is refused NODE_ID_IN_USE while the first holds its seat.
	NodeID string
	// Host: shown in the LM's usage table; default os.Hostname().
	Host string
	// Heartbeat: default a third of the lease TTL the LM answers.
	Heartbeat time.Duration
}

const maxURLs = 8

var (
	scheme = regexp.MustCompile(`(?i)^[a-z][a-z0-9+.-]*://`)
)

// validSecret: a header value of 1 to 1024 visible ASCII characters with inner spaces, so it cannot end a header
// line early or be trimmed away.
func validSecret(s string) bool {
	if len(s) == 0 || len(s) > 1024 || s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

type checkedOptions struct {
	urls         []string
	product      string
	roots        []trustRoot
	secret       string
	caPool       *x509.CertPool
	timeout      time.Duration
	pollInterval time.Duration
	clock        Clock
}

type checkedConnect struct {
	checkedOptions
	role, nodeID, host string
	heartbeat          time.Duration
	pollGiven          time.Duration
}

func badOptions(format string, args ...any) *Error {
	return &Error{Code: CodeBadOptions, Message: "Tessera SDK: " + fmt.Sprintf(format, args...)}
}

func normalizeURL(input string) (string, *Error) {
	text := strings.TrimSpace(input)
	if text == "" {
		return "", badOptions(`the License Manager's address must be given, for example "http://127.0.0.1:9119".`)
	}
	if !scheme.MatchString(text) {
		text = "http://" + text
	}
	u, err := url.Parse(text)
	if err != nil || u.Host == "" {
		return "", badOptions("%q is not an address; give it as \"http://host:9119\".", input)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", badOptions("the address must use http or https, not %s.", u.Scheme)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil || (u.Path != "" && strings.Trim(u.Path, "/") != "") {
		return "", badOptions("the address must be only the License Manager's (scheme, host, port), without path, query or credentials.")
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), nil
}

func checkOptions(o Options, defaultPoll time.Duration) (*checkedOptions, *Error) {
	if len(o.URLs) == 0 || len(o.URLs) > maxURLs {
		return nil, badOptions("URLs must name 1 to %d addresses of the License Manager (its replicas); got %d.", maxURLs, len(o.URLs))
	}
	c := &checkedOptions{}
	for _, raw := range o.URLs {
		u, problem := normalizeURL(raw)
		if problem != nil {
			return nil, problem
		}
		for _, seenURL := range c.urls {
			if seenURL == u {
				return nil, badOptions("URLs names %s twice; give each replica's address once.", u)
			}
		}
		c.urls = append(c.urls, u)
	}
	if !namePattern.MatchString(o.Product) {
		return nil, badOptions("Product must be a name of lower-case letters, digits, \"-\" or \"_\" starting with a letter (up to 32), as in the license; got %q.", o.Product)
	}
	c.product = o.Product
	roots, problem := parseRoots(o.Roots)
	if problem != nil {
		return nil, badOptions(`Roots must hold the vendor's root public key "tessera-root:…" (tessera-center trust-root prints it), compiled into the product: %s`, problem.detail)
	}
	c.roots = roots
	if o.Secret != "" && !validSecret(o.Secret) {
		return nil, badOptions("Secret must be the License Manager's seat secret (seats.secret in its YAML): 1 to 1024 printable ASCII characters.")
	}
	c.secret = o.Secret
	if o.CA != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(o.CA)) {
			return nil, badOptions(`CA must be PEM text ("-----BEGIN CERTIFICATE-----…") of the certificate authority that signed the License Manager's certificate.`)
		}
		for _, u := range c.urls {
			if !strings.HasPrefix(u, "https:") {
				return nil, badOptions("CA is for a License Manager served over https, but an address is %s; use its https:// address.", u)
			}
		}
		c.caPool = pool
	}
	var err *Error
	if c.timeout, err = checkDuration(o.Timeout, "Timeout", 5*time.Second); err != nil {
		return nil, err
	}
	if c.pollInterval, err = checkDuration(o.PollInterval, "PollInterval", defaultPoll); err != nil {
		return nil, err
	}
	c.clock = o.Clock
	if c.clock == nil {
		c.clock = SystemClock
	}
	return c, nil
}

func checkDuration(d time.Duration, field string, fallback time.Duration) (time.Duration, *Error) {
	if d == 0 {
		return fallback, nil
	}
	if d < 10*time.Millisecond || d > 24*time.Hour {
		return 0, badOptions("%s must be from 10 ms to 24 h; got %s.", field, d)
	}
	return d, nil
}

func checkConnectOptions(o ConnectOptions) (*checkedConnect, *Error) {
	base, problem := checkOptions(o.Options, 0)
	if problem != nil {
		return nil, problem
	}
	c := &checkedConnect{checkedOptions: *base, pollGiven: o.PollInterval}
	if !namePattern.MatchString(o.Role) {
		return nil, badOptions("Role must be a name of lower-case letters, digits, \"-\" or \"_\" starting with a letter (up to 32), as in the license; got %q.", o.Role)
	}
	c.role = o.Role
	if o.NodeID == "" || jsLength(o.NodeID) > 200 {
		return nil, badOptions("NodeID must be a stable id of this node, 1 to 200 characters.")
	}
	c.nodeID = o.NodeID
	c.host = o.Host
	if c.host == "" {
		c.host, _ = os.Hostname()
	}
	if len(c.host) > 253 {
		return nil, badOptions("Host must be a host name of at most 253 characters.")
	}
	var err *Error
	if c.heartbeat, err = checkDuration(o.Heartbeat, "Heartbeat", 0); err != nil {
		return nil, err
	}
	return c, nil
}
