package tessera

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// addresses are the License Manager's: one, or those of its replicas (LMs sharing one database and one identity,
// so a lease taken at one is renewed at another). A round asks the one that answered last first and moves on to
// the next while one is silent, so a dead replica costs one timeout once, not every round.
type addresses struct {
	mu      sync.Mutex
	clients []*lmClient
	current int
}

func newAddresses(options *checkedOptions) *addresses {
	a := &addresses{}
	for _, url := range options.urls {
		a.clients = append(a.clients, newLMClient(url, options))
	}
	return a
}

// inOrder is every client once, the one in use first, then the following ones round the list.
func (a *addresses) inOrder() []*lmClient {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]*lmClient, len(a.clients))
	for i := range a.clients {
		out[i] = a.clients[(a.current+i)%len(a.clients)]
	}
	return out
}

func (a *addresses) at(url string) *lmClient {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, client := range a.clients {
		if client.url == url {
			return client
		}
	}
	return a.clients[a.current]
}

func (a *addresses) use(client *lmClient) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, c := range a.clients {
		if c == client {
			a.current = i
		}
	}
}

func (a *addresses) describe() string {
	urls := make([]string, len(a.clients))
	for i, client := range a.clients {
		urls[i] = client.url
	}
	return strings.Join(urls, " or ")
}

func (a *addresses) many() bool { return len(a.clients) > 1 }

func (a *addresses) close() {
	for _, client := range a.clients {
		client.close()
	}
}

// licenseView is what one address answered to GET /v1/license: a verified license (and the SDK's verdict), an
// answer that failed a check, or no usable answer (code UNAUTHORIZED when the LM refused for want of the secret).
type licenseView struct {
	verified *verifiedLicense
	failed   *failure
	detail   string
	code     string
}

// askLicense is GET /v1/license at one address with a fresh nonce, verified and evaluated.
func askLicense(ctx context.Context, client *lmClient, product string, roots []trustRoot, clock Clock) licenseView {
	nonce := newNonce()
	reply := client.license(ctx, nonce)
	switch reply.kind {
	case "unreachable":
		return licenseView{detail: reply.detail}
	case "refused":
		if reply.code == CodeUnauthorized {
			return licenseView{detail: reply.message, code: CodeUnauthorized}
		}
		return licenseView{detail: fmt.Sprintf("it answered GET /v1/license with HTTP %d %s: %s", reply.httpStatus, reply.code, reply.message)}
	}
	body, _ := decodeLicenseAnswer(reply.body)
	verified, problem := readLicenseAnswer(body, answerContext{product: product, roots: roots, clock: clock, nonce: nonce, seen: processSeen})
	if problem != nil {
		return licenseView{failed: problem, detail: problem.detail}
	}
	return licenseView{verified: verified}
}
