package tessera

import "fmt"

// LicenseInfo is what a product reads of its verified license.
type LicenseInfo struct {
	ID        string
	Serial    int64
	Product   string
	LMID      string
	ExpiresAt string
	Features  []string
	Limits    map[string]int
	Nodes     map[string]int
	// OutageGraceHours is how long a running node keeps its seat while its License Manager is silent, as the
	// license signs it (0: strict, the seat ends with its lease).
	OutageGraceHours int
}

func infoOf(l *license) *LicenseInfo {
	return &LicenseInfo{
		ID: l.id, Serial: l.serial, Product: l.product, LMID: l.lmid, ExpiresAt: l.expiresAt,
		Features: append([]string{}, l.features...), Limits: copyCounts(l.limits), Nodes: copyCounts(l.nodes),
		OutageGraceHours: l.outageGraceHours,
	}
}

func copyCounts(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// verifiedLicense is what a checked answer means: the LM, its license (or none) and the SDK's own verdict on it.
type verifiedLicense struct {
	identity   lmIdentity
	ref        *licenseRef
	info       *LicenseInfo
	evaluation evaluation
	// status: the evaluation's, or Syncing when the LM holds no license yet and says it waits for its first sync.
	status      string
	document    *license
	lmHighWater *int64
}

type answerContext struct {
	product string
	roots   []trustRoot
	clock   Clock
	nonce   string
	seen    *seen
}

// readLicenseAnswer checks an answer of GET /v1/license in the SDK's order, which is the spec every SDK follows
// (packages/sdk/src/license-answer.ts): the LMID derives from the key shown; the LM signed this request's nonce;
// the trust bundle is signed by a root the product was built with, is the one the signed answer names and is not
// older than one accepted before; the license verifies with that bundle and is the one the signed answer names.
// Then the SDK evaluates the license itself on its own clock: the LM's status is information, never the verdict.
func readLicenseAnswer(body licenseAnswer, c answerContext) (*verifiedLicense, *failure) {
	identity, problem := checkIdentity(body)
	if problem != nil {
		return nil, problem
	}
	if body.Answer == nil {
		return nil, fail(CodeUnsupported, "The License Manager does not sign its answers, so what it says cannot be checked: it is older than this SDK. Upgrade tessera-lm.")
	}
	answer, problem := readLmAnswer(*body.Answer, identity, c.nonce)
	if problem != nil {
		return nil, problem
	}
	now, clockHighWater := c.seen.readClock(c.clock)
	ctx := evaluationContext{now: now, lmid: identity.lmid, product: c.product, highWater: higher(answer.highWaterMs, clockHighWater)}
	if answer.license == nil {
		if body.License != nil {
			return nil, notNamed(nil, "a license")
		}
		e := evaluate(nil, ctx)
		status := e.status
		if body.Status == StatusSyncing {
			status = StatusSyncing
		}
		return &verifiedLicense{identity: identity, evaluation: e, status: status, lmHighWater: answer.highWaterMs}, nil
	}
	if body.Trust == nil {
		return nil, fail(CodeUntrustedRoot, "The License Manager holds no trust bundle signed by the vendor's root (its trust file is of an earlier release), so the license it holds cannot be verified. Give it the vendor's current trust file (tessera-center trust-bundle).")
	}
	if body.License == nil {
		return nil, notNamed(answer.license, "no license")
	}
	bundle, l, problem := readChain(*body.Trust, *body.License, c.roots)
	if problem != nil {
		return nil, problem
	}
	if answer.bundleSerial == nil || bundle.serial != *answer.bundleSerial {
		return nil, fail(CodeSignatureInvalid, fmt.Sprintf("The trust bundle served (serial %d) is not the one the License Manager's signed answer names: something between altered the answer.", bundle.serial))
	}
	rootKids := make([]string, len(c.roots))
	for i, root := range c.roots {
		rootKids[i] = root.kid
	}
	if highest := c.seen.highestBundleSerial(rootKids); bundle.serial < highest {
		return nil, fail(CodeSuperseded, fmt.Sprintf("The License Manager holds trust bundle serial %d, older than serial %d this product already accepted. Give it the vendor's current trust file.", bundle.serial, highest))
	}
	c.seen.acceptBundleSerial(rootKids, bundle.serial)
	if l.id != answer.license.id || l.serial != answer.license.serial {
		return nil, notNamed(answer.license, fmt.Sprintf("%s serial %d", l.id, l.serial))
	}
	ctx.knownSerial = c.seen.knownLicenseSerial(identity.lmid, l.id)
	e := evaluate(l, ctx)
	if e.code != CodeProductMismatch && e.code != CodeLmidMismatch && e.code != CodeSuperseded {
		c.seen.acceptLicenseSerial(identity.lmid, l.id, l.serial)
	}
	return &verifiedLicense{
		identity: identity, ref: &licenseRef{id: l.id, serial: l.serial}, info: infoOf(l), evaluation: e,
		status: e.status, document: l, lmHighWater: answer.highWaterMs,
	}, nil
}

// reevaluate is the last verified license evaluated again on the SDK's clock, for a round in which the LM is
// silent: an outage grace covers the LM's silence, never the license's own expiry (nor a clock set back).
func reevaluate(v *verifiedLicense, product string, clock Clock, s *seen) *verifiedLicense {
	if v.document == nil {
		return v
	}
	now, clockHighWater := s.readClock(clock)
	e := evaluate(v.document, evaluationContext{
		now: now, lmid: v.identity.lmid, product: product, highWater: higher(v.lmHighWater, clockHighWater),
		knownSerial: s.knownLicenseSerial(v.identity.lmid, v.document.id),
	})
	again := *v
	again.evaluation = e
	again.status = e.status
	return &again
}

// readChain reads the bundle with the product's roots, then the license with that bundle.
func readChain(trust, licenseText string, roots []trustRoot) (*signedBundle, *license, *failure) {
	bundle, problem := readSignedBundle(trust, roots)
	if problem != nil {
		return nil, nil, fail(problem.code, "The License Manager's trust bundle is not the vendor's: "+problem.detail)
	}
	l, problem := readLicense(licenseText, bundle)
	if problem != nil {
		return nil, nil, fail(problem.code, "The license at the License Manager does not verify with the vendor's trust bundle: "+problem.detail)
	}
	return bundle, l, nil
}

func notNamed(named *licenseRef, served string) *failure {
	signed := "no license"
	if named != nil {
		signed = fmt.Sprintf("license %s serial %d", named.id, named.serial)
	}
	return fail(CodeSignatureInvalid, fmt.Sprintf("The License Manager's signed answer names %s, but the answer carries %s: something between altered the answer.", signed, served))
}

func higher(a, b *int64) *int64 {
	switch {
	case a == nil:
		return b
	case b == nil || *a >= *b:
		return a
	}
	return b
}
