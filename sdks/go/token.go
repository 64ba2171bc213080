package tessera

import "fmt"

// leaseFacts is what a verified lease token says.
type leaseFacts struct {
	leaseID   string
	role      string
	nodeID    string
	lmid      string
	licenseID string
	serial    int64
	// issuedAt: when the LM signed it (its clock, ms): a renewal counts only with a later one.
	issuedAt  int64
	expiresAt string
	ttlMs     int64
}

// expectedToken: who must have signed a token, for what, under which license, checked at what time.
type expectedToken struct {
	identity lmIdentity
	// fields: payload fields that must be exactly these (product always; leaseId, role, nodeId, instance...).
	fields  map[string]string
	license licenseRef
	now     int64
}

// verifyLeaseToken checks a lease token (from a checkout, a heartbeat, or handed on by a node): signed by the
// LM's key with its LMID as kid, for these fields, under the license verified (id and serial), and not expired by
// this host's clock beyond the 10 minutes of clock difference allowed. Every failure is LEASE_TOKEN_INVALID.
func verifyLeaseToken(token string, e expectedToken) (*leaseFacts, *failure) {
	invalid := func(detail string) (*leaseFacts, *failure) { return nil, fail(CodeLeaseTokenInvalid, detail) }
	env, problem := parseEnvelope(token, "lease")
	if problem != nil {
		return invalid("The seat lease token cannot be read: " + problem.detail)
	}
	if env.kid != e.identity.lmid {
		return invalid(fmt.Sprintf("The seat lease token was signed by %s, not by License Manager %s.", env.kid, e.identity.lmid))
	}
	if !env.verify(e.identity.key) {
		return invalid("The seat lease token's signature does not match the License Manager's key.")
	}
	p := env.payload
	if p["lmid"] != e.identity.lmid {
		return invalid("The seat lease token is for another License Manager.")
	}
	for field, value := range e.fields {
		if p[field] != value {
			return invalid(fmt.Sprintf("The seat lease token is for another %s (expected %s).", field, value))
		}
	}
	leaseID, ok1 := p["leaseId"].(string)
	role, ok2 := p["role"].(string)
	nodeID, ok3 := p["nodeId"].(string)
	if !ok1 || !ok2 || !ok3 {
		return invalid("The seat lease token names no leaseId, role or nodeId.")
	}
	serial, isNumber := p["serial"].(float64)
	if p["licenseId"] != e.license.id || !isNumber || serial != float64(e.license.serial) {
		return invalid(fmt.Sprintf("The seat lease token was not signed under the license verified at the License Manager (%s serial %d).", e.license.id, e.license.serial))
	}
	issuedAt, okIssued := parseISOTime(p["issuedAt"])
	expiresAt, okExpires := parseISOTime(p["expiresAt"])
	if !okIssued || !okExpires || expiresAt <= issuedAt {
		return invalid("The seat lease token has no valid issuedAt and expiresAt.")
	}
	if expiresAt+clockToleranceMs < e.now {
		return invalid(fmt.Sprintf("The seat lease token expired at %s, by this host's clock (%s): it is an old token, or the clocks of this host and the License Manager's host differ by more than 10 minutes.", isoString(expiresAt), isoString(e.now)))
	}
	return &leaseFacts{
		leaseID: leaseID, role: role, nodeID: nodeID, lmid: e.identity.lmid, licenseID: e.license.id,
		serial: e.license.serial, issuedAt: issuedAt, expiresAt: isoString(expiresAt), ttlMs: expiresAt - issuedAt,
	}, nil
}
