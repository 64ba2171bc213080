package tessera

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// The conformance vectors (sdks/conformance/vectors, README.md there) through this SDK's own checks: the same files
// the TypeScript SDK runs, so a behaviour change in one SDK without the others fails.

type vector struct {
	Name   string          `json:"name"`
	Input  json.RawMessage `json:"input"`
	Expect map[string]any  `json:"expect"`
}

func loadVectors(t *testing.T, file string) []vector {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("..", "conformance", "vectors", file))
	if err != nil {
		t.Fatalf("the conformance vectors are missing: %v", err)
	}
	var doc struct {
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(text, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(doc.Vectors) == 0 {
		t.Fatalf("%s holds no vectors", file)
	}
	return doc.Vectors
}

// same compares what the SDK says with a vector's expect, both as JSON values.
func same(t *testing.T, got any, want map[string]any) {
	t.Helper()
	text, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var normalized any
	if err := json.Unmarshal(text, &normalized); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normalized, any(want)) {
		wanted, _ := json.Marshal(want)
		t.Errorf("got  %s\nwant %s", text, wanted)
	}
}

func decode[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var value T
	if err := json.Unmarshal(raw, &value); err != nil {
		t.Fatal(err)
	}
	return value
}

func mustRoots(t *testing.T, texts []string) []trustRoot {
	t.Helper()
	roots, problem := parseRoots(texts)
	if problem != nil {
		t.Fatal(problem.detail)
	}
	return roots
}

func msOf(t *testing.T, iso string) int64 {
	t.Helper()
	ms, ok := parseISOTime(iso)
	if !ok {
		t.Fatalf("not a time: %s", iso)
	}
	return ms
}

func factsJSON(info *LicenseInfo) any {
	if info == nil {
		return nil
	}
	return map[string]any{
		"id": info.ID, "serial": info.Serial, "product": info.Product, "lmid": info.LMID, "expiresAt": info.ExpiresAt,
		"features": info.Features, "limits": info.Limits, "nodes": info.Nodes, "outageGraceHours": info.OutageGraceHours,
	}
}

func TestConformanceRoots(t *testing.T) {
	for _, v := range loadVectors(t, "roots.json") {
		t.Run(v.Name, func(t *testing.T) {
			root, problem := parseRoot(decode[string](t, v.Input))
			if problem != nil {
				same(t, map[string]any{"ok": false, "code": problem.code}, v.Expect)
			} else {
				same(t, map[string]any{"ok": true, "kid": root.kid}, v.Expect)
			}
		})
	}
}

func TestConformanceTrustBundles(t *testing.T) {
	for _, v := range loadVectors(t, "trust-bundles.json") {
		t.Run(v.Name, func(t *testing.T) {
			input := decode[struct {
				Roots  []string `json:"roots"`
				Bundle string   `json:"bundle"`
			}](t, v.Input)
			bundle, problem := readSignedBundle(input.Bundle, mustRoots(t, input.Roots))
			if problem != nil {
				same(t, map[string]any{"ok": false, "code": problem.code}, v.Expect)
				return
			}
			keys := map[string]string{}
			for kid, key := range bundle.keys {
				keys[kid] = key.state
			}
			same(t, map[string]any{"ok": true, "serial": bundle.serial, "rootKid": bundle.rootKid, "keys": keys}, v.Expect)
		})
	}
}

func TestConformanceLicenses(t *testing.T) {
	for _, v := range loadVectors(t, "licenses.json") {
		t.Run(v.Name, func(t *testing.T) {
			input := decode[struct {
				Roots       []string `json:"roots"`
				Trust       string   `json:"trust"`
				License     string   `json:"license"`
				Now         string   `json:"now"`
				LMID        string   `json:"lmid"`
				Product     string   `json:"product"`
				HighWater   *string  `json:"highWater"`
				KnownSerial *struct {
					LicenseID string `json:"licenseId"`
					Serial    int64  `json:"serial"`
				} `json:"knownSerial"`
			}](t, v.Input)
			_, l, problem := readChain(input.Trust, input.License, mustRoots(t, input.Roots))
			var verdict evaluation
			if problem != nil {
				verdict = evaluationOfFailure(problem)
			} else {
				ctx := evaluationContext{now: msOf(t, input.Now), lmid: input.LMID, product: input.Product}
				if input.HighWater != nil {
					ms := msOf(t, *input.HighWater)
					ctx.highWater = &ms
				}
				if input.KnownSerial != nil && input.KnownSerial.LicenseID == l.id {
					ctx.knownSerial = input.KnownSerial.Serial
				}
				verdict = evaluate(l, ctx)
			}
			var facts any
			if l != nil {
				facts = factsJSON(infoOf(l))
			}
			same(t, map[string]any{"valid": verdict.valid, "status": verdict.status, "code": verdict.code, "daysLeft": verdict.daysLeft, "license": facts}, v.Expect)
		})
	}
}

func TestConformanceLeaseTokens(t *testing.T) {
	for _, v := range loadVectors(t, "lease-tokens.json") {
		t.Run(v.Name, func(t *testing.T) {
			input := decode[struct {
				Token    string `json:"token"`
				Identity struct {
					LMID        string `json:"lmid"`
					LMPublicKey string `json:"lmPublicKey"`
				} `json:"identity"`
				Fields  map[string]string `json:"fields"`
				License struct {
					ID     string `json:"id"`
					Serial int64  `json:"serial"`
				} `json:"license"`
				Now string `json:"now"`
			}](t, v.Input)
			raw, _ := decodeBase64URL(input.Identity.LMPublicKey)
			identity := lmIdentity{lmid: input.Identity.LMID, key: publicKeyFromRaw(raw)}
			facts, problem := verifyLeaseToken(input.Token, expectedToken{
				identity: identity, fields: input.Fields, license: licenseRef{id: input.License.ID, serial: input.License.Serial}, now: msOf(t, input.Now),
			})
			if problem != nil {
				same(t, map[string]any{"ok": false, "code": problem.code}, v.Expect)
				return
			}
			same(t, map[string]any{
				"ok": true, "leaseId": facts.leaseID, "role": facts.role, "nodeId": facts.nodeID, "lmid": facts.lmid,
				"licenseId": facts.licenseID, "serial": facts.serial, "issuedAt": isoString(facts.issuedAt),
				"expiresAt": facts.expiresAt, "ttlMs": facts.ttlMs,
			}, v.Expect)
		})
	}
}

// fixedClock reads `times` in turn, then the last one for ever.
type fixedClock struct{ times []time.Time }

func (c *fixedClock) Now() time.Time {
	now := c.times[0]
	if len(c.times) > 1 {
		c.times = c.times[1:]
	}
	return now
}
func (c *fixedClock) Elapsed() time.Duration                    { return 0 }
func (c *fixedClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

func TestConformanceLMAnswers(t *testing.T) {
	for _, v := range loadVectors(t, "lm-answers.json") {
		t.Run(v.Name, func(t *testing.T) {
			input := decode[struct {
				Body    map[string]any `json:"body"`
				Context struct {
					Roots                []string `json:"roots"`
					Product              string   `json:"product"`
					Nonce                string   `json:"nonce"`
					Now                  string   `json:"now"`
					ClockHighWater       *string  `json:"clockHighWater"`
					AcceptedBundleSerial int64    `json:"acceptedBundleSerial"`
					KnownLicenseSerial   *int64   `json:"knownLicenseSerial"`
				} `json:"context"`
			}](t, v.Input)
			c := input.Context
			body, ok := decodeLicenseAnswer(input.Body)
			if !ok {
				t.Fatal("the body is not an answer of the LM's API")
			}
			roots := mustRoots(t, c.Roots)
			kids := []string{}
			for _, root := range roots {
				kids = append(kids, root.kid)
			}
			s := newSeen()
			if c.AcceptedBundleSerial > 0 {
				s.acceptBundleSerial(kids, c.AcceptedBundleSerial)
			}
			if c.KnownLicenseSerial != nil {
				s.acceptLicenseSerial(body.LMID, "lic_fixture1", *c.KnownLicenseSerial)
			}
			clock := &fixedClock{times: []time.Time{time.UnixMilli(msOf(t, c.Now))}}
			if c.ClockHighWater != nil {
				clock.times = append([]time.Time{time.UnixMilli(msOf(t, *c.ClockHighWater))}, clock.times...)
				s.readClock(clock)
			}
			verified, problem := readLicenseAnswer(body, answerContext{product: c.Product, roots: roots, clock: clock, nonce: c.Nonce, seen: s})
			if problem != nil {
				same(t, map[string]any{"ok": false, "code": problem.code}, v.Expect)
				return
			}
			var bundleSerial, licenseSerial any
			if n := s.highestBundleSerial(kids); n > 0 {
				bundleSerial = n
			}
			if n := s.knownLicenseSerial(verified.identity.lmid, "lic_fixture1"); n > 0 {
				licenseSerial = n
			}
			same(t, map[string]any{
				"ok": true, "lmid": verified.identity.lmid, "status": verified.status, "code": verified.evaluation.code,
				"valid": verified.evaluation.valid, "daysLeft": verified.evaluation.daysLeft, "license": factsJSON(verified.info),
				"remembers": map[string]any{"bundleSerial": bundleSerial, "licenseSerial": licenseSerial},
			}, v.Expect)
		})
	}
}
