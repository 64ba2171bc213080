package tessera

import (
	"crypto/ed25519"
	"fmt"
	"regexp"
)

// licenseAnswer is the License Manager's answer to GET /v1/license?nonce=…, as it comes over the wire.
type licenseAnswer struct {
	LMID        string
	LMPublicKey string
	HostDigest  string
	Status      string
	Code        string
	Detail      string
	License     *string
	Trust       *string
	Answer      *string
}

// decodeLicenseAnswer checks the answer's shape (the fields the LM's API has, of their types); false: it is not
// the LM's API.
func decodeLicenseAnswer(b map[string]any) (licenseAnswer, bool) {
	text := func(key string) (string, bool) { v, ok := b[key].(string); return v, ok }
	optional := func(key string, nullable bool) (*string, bool) {
		v, present := b[key]
		if !present || v == nil {
			return nil, nullable || present
		}
		s, ok := v.(string)
		return &s, ok
	}
	var a licenseAnswer
	var ok [9]bool
	a.LMID, ok[0] = text("lmid")
	a.LMPublicKey, ok[1] = text("lmPublicKey")
	a.HostDigest, ok[2] = text("hostDigest")
	a.Status, ok[3] = text("status")
	a.Code, ok[4] = text("code")
	a.Detail, ok[5] = text("detail")
	a.License, ok[6] = optional("license", false)
	a.Trust, ok[7] = optional("trust", true)
	a.Answer, ok[8] = optional("answer", true)
	for _, good := range ok {
		if !good {
			return a, false
		}
	}
	return a, true
}

// lmIdentity is the LM's identity as GET /v1/license shows it, checked to belong together.
type lmIdentity struct {
	lmid string
	key  ed25519.PublicKey
}

func (a lmIdentity) same(b lmIdentity) bool { return a.lmid == b.lmid && a.key.Equal(b.key) }

// checkIdentity: the LMID derives from the public key and host digest the LM shows.
func checkIdentity(a licenseAnswer) (lmIdentity, *failure) {
	raw, okKey := decodeBase64URL(a.LMPublicKey)
	digest, okDigest := decodeBase64URL(a.HostDigest)
	key := publicKeyFromRaw(raw)
	if !okKey || !okDigest || key == nil {
		return lmIdentity{}, fail(CodeLeaseTokenInvalid, "The License Manager shows a public key that is not a usable Ed25519 key.")
	}
	if deriveLmid(raw, digest) != a.LMID {
		return lmIdentity{}, fail(CodeLeaseTokenInvalid, fmt.Sprintf("The License Manager calls itself %s, but that LMID does not derive from the key it shows.", a.LMID))
	}
	return lmIdentity{lmid: a.LMID, key: key}, nil
}

var noncePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

// licenseRef is a license as a signed answer or a lease token names it.
type licenseRef struct {
	id     string
	serial int64
}

type lmAnswer struct {
	license      *licenseRef
	bundleSerial *int64
	highWaterMs  *int64
}

// readLmAnswer reads the LM's signed answer: signed by the LM asked (kid and key), for this nonce, well formed.
func readLmAnswer(input string, identity lmIdentity, nonce string) (*lmAnswer, *failure) {
	env, problem := parseEnvelope(input, "answer")
	if problem != nil {
		return nil, problem
	}
	if env.kid != identity.lmid {
		return nil, fail(CodeSignatureInvalid, fmt.Sprintf("The License Manager's answer is signed by %s, not by %s.", env.kid, identity.lmid))
	}
	if !env.verify(identity.key) {
		return nil, fail(CodeSignatureInvalid, "The License Manager's answer was altered: its signature does not match its key.")
	}
	p := env.payload
	if p["msg"] != "license-now" {
		return nil, fail(CodeMalformed, "The License Manager's answer is not an answer to GET /v1/license.")
	}
	if p["nonce"] != nonce {
		return nil, fail(CodeStaleAnswer, "The License Manager's answer is not for this request (another nonce): an answer recorded earlier was served again.")
	}
	if p["lmid"] != identity.lmid {
		return nil, fail(CodeMalformed, "The License Manager's answer names another LMID.")
	}
	answer := &lmAnswer{}
	_, okTime := parseISOTime(p["lmTime"])
	if highWater, present := p["highWater"]; !present || highWater != nil {
		ms, ok := parseISOTime(highWater)
		okTime = okTime && ok
		answer.highWaterMs = &ms
	}
	if !okTime {
		return nil, fail(CodeMalformed, "The License Manager's answer has no valid lmTime or highWater.")
	}
	if named, present := p["license"]; !present || named != nil {
		object, _ := named.(map[string]any)
		id, _ := object["id"].(string)
		serial, okSerial := wholeNumber(object["serial"], 1, maxSafeInteger)
		if object == nil || !licenseID.MatchString(id) || !okSerial {
			return nil, fail(CodeMalformed, "The License Manager's answer names its license without a valid id and serial.")
		}
		answer.license = &licenseRef{id: id, serial: serial}
	}
	if value, present := p["bundleSerial"]; !present || value != nil {
		serial, ok := wholeNumber(value, 1, maxSafeInteger)
		if !ok {
			return nil, fail(CodeMalformed, "The License Manager's answer has no valid bundleSerial.")
		}
		answer.bundleSerial = &serial
	}
	return answer, nil
}
