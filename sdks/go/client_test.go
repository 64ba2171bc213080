package tessera

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A real HTTP(S) server stands for what may answer at a License Manager's address; the SDK must never take its
// answer for the LM's, and never grant anything on it.

const testRoot = "tessera-root:PUz2rcJJ7ex9PjzgALRnM7AYyi8hPWMusY3sVqCYLC8"

func watchOnce(t *testing.T, options Options) State {
	t.Helper()
	options.Product, options.Roots = "graphdb", []string{testRoot}
	w, err := Watch(context.Background(), options)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	return w.Status()
}

func TestAnAnswerLargerThan256KiBIsNotRead(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("content-type", "application/json")
		_, _ = w.Write([]byte(`{"lmid":"` + strings.Repeat("x", 300*1024) + `"}`))
	}))
	defer server.Close()
	state := watchOnce(t, Options{URLs: []string{server.URL}})
	if state.Licensed || state.Code != CodeLMUnreachable || !strings.Contains(state.Message, "larger than 256 KiB") {
		t.Fatalf("got %+v", state)
	}
}

func TestARedirectIsNotFollowed(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.1:1/v1/license", http.StatusFound)
	}))
	defer server.Close()
	state := watchOnce(t, Options{URLs: []string{server.URL}})
	if state.Licensed || state.Code != CodeLMUnreachable || !strings.Contains(state.Message, "HTTP 302 and no usable body") {
		t.Fatalf("got %+v", state)
	}
}

func TestAnHTTPSLicenseManagerIsTrustedOnlyWithItsCA(t *testing.T) {
	server := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNotFound)
	}))
	defer server.Close()
	untrusted := watchOnce(t, Options{URLs: []string{server.URL}, Timeout: 2 * time.Second})
	if !strings.Contains(untrusted.Message, "TLS certificate is not trusted") {
		t.Fatalf("without the CA: %s", untrusted.Message)
	}
	ca := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: server.Certificate().Raw}))
	trusted := watchOnce(t, Options{URLs: []string{server.URL}, CA: ca, Timeout: 2 * time.Second})
	// The TLS handshake succeeded: what answered is simply not a License Manager.
	if !strings.Contains(trusted.Message, "HTTP 404 and no usable body") {
		t.Fatalf("with the CA: %s", trusted.Message)
	}
}

func TestTheSeatSecretIsSentOnlyWhenGiven(t *testing.T) {
	var got []string
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("x-tessera-seat-secret"))
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":{"code":"UNAUTHORIZED","message":"This License Manager's seat API needs its seat secret."}}`))
	}))
	defer server.Close()
	state := watchOnce(t, Options{URLs: []string{server.URL}})
	if state.Code != CodeUnauthorized || state.Licensed {
		t.Fatalf("got %+v", state)
	}
	watchOnce(t, Options{URLs: []string{server.URL}, Secret: "a-seat-secret-of-24-chars"})
	if len(got) != 2 || got[0] != "" || got[1] != "a-seat-secret-of-24-chars" {
		t.Fatalf("secrets sent: %q", got)
	}
}
