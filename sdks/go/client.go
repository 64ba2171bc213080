package tessera

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// maxAnswerBytes is the most the SDK reads of any answer: a real one is a few KiB, so a hostile LM cannot
// exhaust the product's memory.
const maxAnswerBytes = 256 * 1024

// lmReply is what one call at one address answered: the body, the LM's refusal with its code and sentence, or
// no usable answer (unreachable: no answer, a timeout, or an answer that is not the LM's API).
type lmReply struct {
	kind       string // "ok", "refused" or "unreachable"
	body       map[string]any
	httpStatus int
	code       string
	message    string
	detail     string
}

// lmClient talks to one License Manager address. Nothing here panics or returns an error: every outcome is a reply.
type lmClient struct {
	url     string
	http    *http.Client
	secret  string
	timeout time.Duration
}

func newLMClient(url string, options *checkedOptions) *lmClient {
	transport := &http.Transport{MaxIdleConnsPerHost: 2, IdleConnTimeout: 30 * time.Second}
	if options.caPool != nil {
		transport.TLSClientConfig = &tls.Config{RootCAs: options.caPool, MinVersion: tls.VersionTLS12}
	}
	client := &http.Client{
		Transport: transport,
		// No redirects: an answer is the LM's or it is not one.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &lmClient{url: url, http: client, secret: options.secret, timeout: options.timeout}
}

func newNonce() string {
	bytes := make([]byte, 24)
	_, _ = rand.Read(bytes)
	return base64.RawURLEncoding.EncodeToString(bytes)
}

func (c *lmClient) license(ctx context.Context, nonce string) lmReply {
	return c.call(ctx, http.MethodGet, "/v1/license?nonce="+nonce, nil, func(b map[string]any) bool {
		_, ok := decodeLicenseAnswer(b)
		return ok
	})
}

func (c *lmClient) checkout(ctx context.Context, body map[string]string) lmReply {
	return c.call(ctx, http.MethodPost, "/v1/seats/checkout", body, func(b map[string]any) bool {
		return isText(b, "leaseId", "expiresAt", "token", "status", "code") && isNumber(b["ttlSeconds"])
	})
}

// heartbeat: an answer without a token is still an answer; the caller verifies the token.
func (c *lmClient) heartbeat(ctx context.Context, leaseID, instance string) lmReply {
	return c.call(ctx, http.MethodPost, "/v1/seats/heartbeat", map[string]string{"leaseId": leaseID, "instance": instance},
		func(b map[string]any) bool { return isText(b, "leaseId", "expiresAt", "status", "code") })
}

func (c *lmClient) release(ctx context.Context, leaseID, instance string) lmReply {
	return c.call(ctx, http.MethodPost, "/v1/seats/release", map[string]string{"leaseId": leaseID, "instance": instance},
		func(b map[string]any) bool { return b["released"] == true })
}

func (c *lmClient) close() { c.http.CloseIdleConnections() }

func isText(b map[string]any, keys ...string) bool {
	for _, key := range keys {
		if _, ok := b[key].(string); !ok {
			return false
		}
	}
	return true
}

func isNumber(v any) bool { _, ok := v.(float64); return ok }

func (c *lmClient) call(ctx context.Context, method, path string, body any, isAnswer func(map[string]any) bool) lmReply {
	what := method + " " + strings.SplitN(path, "?", 2)[0]
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var payload io.Reader
	if body != nil {
		text, _ := json.Marshal(body)
		payload = bytes.NewReader(text)
	}
	request, err := http.NewRequestWithContext(ctx, method, c.url+path, payload)
	if err != nil {
		return lmReply{kind: "unreachable", detail: "the request cannot be made: " + err.Error()}
	}
	request.Header.Set("accept", "application/json")
	if body != nil {
		request.Header.Set("content-type", "application/json")
	}
	if c.secret != "" {
		request.Header.Set("x-tessera-seat-secret", c.secret)
	}
	response, err := c.http.Do(request)
	if err != nil {
		return lmReply{kind: "unreachable", detail: describeRequestError(err, c.timeout)}
	}
	defer response.Body.Close()
	if response.ContentLength > maxAnswerBytes {
		return lmReply{kind: "unreachable", detail: fmt.Sprintf("its answer to %s was larger than %d KiB, which no License Manager sends", what, maxAnswerBytes/1024)}
	}
	text, err := io.ReadAll(io.LimitReader(response.Body, maxAnswerBytes+1))
	if err != nil {
		return lmReply{kind: "unreachable", detail: describeRequestError(err, c.timeout)}
	}
	if len(text) > maxAnswerBytes {
		return lmReply{kind: "unreachable", detail: fmt.Sprintf("its answer to %s was larger than %d KiB, which no License Manager sends", what, maxAnswerBytes/1024)}
	}
	var fields map[string]any
	_ = json.Unmarshal(text, &fields)
	if response.StatusCode >= 200 && response.StatusCode < 300 && fields != nil && isAnswer(fields) {
		return lmReply{kind: "ok", body: fields}
	}
	// A 4xx with a code is the LM saying no; a 5xx is the LM failing, ridden out like an outage.
	if refusal, ok := fields["error"].(map[string]any); ok && response.StatusCode >= 400 && response.StatusCode < 500 {
		code, okCode := refusal["code"].(string)
		message, okMessage := refusal["message"].(string)
		if okCode && okMessage {
			return lmReply{kind: "refused", httpStatus: response.StatusCode, code: code, message: message}
		}
	}
	return lmReply{kind: "unreachable", detail: fmt.Sprintf("it answered %s with HTTP %d and no usable body (is this address a Tessera License Manager?)", what, response.StatusCode)}
}

func describeRequestError(err error, timeout time.Duration) string {
	var certificate *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var hostname x509.HostnameError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("no answer within %d ms", timeout.Milliseconds())
	case errors.As(err, &hostname):
		return "its TLS certificate is not for this address (" + hostname.Error() + ")"
	case errors.As(err, &certificate), errors.As(err, &unknown):
		return `its TLS certificate is not trusted: give the certificate authority that signed it as the CA option`
	}
	return "the connection failed (" + err.Error() + ")"
}
