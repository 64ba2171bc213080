package tessera

import (
	"context"
	"fmt"
	"time"
)

// A node's two seat calls at one License Manager address, with what their answers mean (seat-calls.ts). A
// checkout or renewal counts only with a lease token the LM signed for this lease and connection (instance),
// under the license verified; a renewal moves the seat's deadline only with a token newer than the last one
// accepted. An answer that does not verify, a 5xx, 408 or 429, or a 4xx that is not one of the LM's seat or
// license codes (a gateway's) is silence, never a refusal.

var seatRefusals = map[string]bool{
	CodeLeaseNotFound: true, CodeNodeIDInUse: true, CodeTooManyNodes: true, CodeRoleNotLicensed: true,
	CodeProductMismatch: true, CodeNoLicense: true, CodeExpired: true, CodeNotYetValid: true, CodeLmidMismatch: true,
	CodeClockTampered: true, CodeSuperseded: true, CodeSignatureInvalid: true, CodeUnknownKey: true,
	CodeKeyRevoked: true, CodeMalformed: true, CodeUnsupported: true, CodeWrongKind: true,
}

func isSeatRefusal(reply lmReply) bool {
	return reply.httpStatus != 408 && reply.httpStatus != 429 && seatRefusals[reply.code]
}

// caller is who asks: the fields every token must carry.
type caller struct {
	product, role, nodeID, host, instance string
	clock                                 Clock
}

type grant struct {
	leaseID   string
	expiresAt string
	token     string
	issuedAt  int64
	ttl       time.Duration
}

// callOutcome: granted (a new token), same (a renewal answered with the last token: held, not extended), refused,
// untrusted (a token that did not verify), or silent.
type callOutcome struct {
	kind    string
	grant   grant
	code    string
	message string
}

func (c caller) fields(leaseID string) map[string]string {
	return map[string]string{"leaseId": leaseID, "product": c.product, "role": c.role, "nodeId": c.nodeID, "instance": c.instance}
}

func checkoutAt(ctx context.Context, client *lmClient, c caller, identity lmIdentity, license licenseRef) callOutcome {
	reply := client.checkout(ctx, map[string]string{"product": c.product, "role": c.role, "nodeId": c.nodeID, "instance": c.instance, "host": c.host})
	switch reply.kind {
	case "unreachable":
		return callOutcome{kind: "silent", message: reply.detail}
	case "refused":
		if isSeatRefusal(reply) {
			return callOutcome{kind: "refused", code: reply.code, message: reply.message}
		}
		return callOutcome{kind: "silent", message: fmt.Sprintf("it answered the checkout with HTTP %d %s: %s", reply.httpStatus, reply.code, reply.message)}
	}
	leaseID, _ := reply.body["leaseId"].(string)
	token, _ := reply.body["token"].(string)
	facts, problem := verifyLeaseToken(token, expectedToken{identity: identity, fields: c.fields(leaseID), license: license, now: c.clock.Now().UnixMilli()})
	if problem != nil {
		go client.release(context.Background(), leaseID, c.instance) // not trusted, so not kept
		return callOutcome{kind: "untrusted", code: problem.code, message: problem.detail}
	}
	ttl := time.Duration(facts.ttlMs) * time.Millisecond
	if answered := time.Duration(reply.body["ttlSeconds"].(float64) * float64(time.Second)); answered > 0 && answered < ttl {
		ttl = answered
	}
	// expiresAt from the signed token, never the answer's field beside it, which anything on the way can rewrite.
	return callOutcome{kind: "granted", grant: grant{leaseID: leaseID, expiresAt: facts.expiresAt, token: token, issuedAt: facts.issuedAt, ttl: ttl}}
}

func heartbeatAt(ctx context.Context, client *lmClient, c caller, leaseID string, identity lmIdentity, lastIssuedAt int64, license licenseRef) callOutcome {
	reply := client.heartbeat(ctx, leaseID, c.instance)
	switch reply.kind {
	case "unreachable":
		return callOutcome{kind: "silent", message: reply.detail}
	case "refused":
		if isSeatRefusal(reply) {
			return callOutcome{kind: "refused", code: reply.code, message: reply.message}
		}
		return callOutcome{kind: "silent", message: fmt.Sprintf("it answered the heartbeat with HTTP %d %s: %s", reply.httpStatus, reply.code, reply.message)}
	}
	token, _ := reply.body["token"].(string)
	facts, problem := verifyLeaseToken(token, expectedToken{identity: identity, fields: c.fields(leaseID), license: license, now: c.clock.Now().UnixMilli()})
	switch {
	case problem != nil:
		return callOutcome{kind: "silent", message: "its heartbeat answer did not verify: " + problem.detail}
	case facts.issuedAt < lastIssuedAt:
		return callOutcome{kind: "silent", message: "its heartbeat answer was an older lease token"}
	case facts.issuedAt == lastIssuedAt:
		return callOutcome{kind: "same"}
	}
	return callOutcome{kind: "granted", grant: grant{leaseID: leaseID, expiresAt: facts.expiresAt, token: token, issuedAt: facts.issuedAt, ttl: time.Duration(facts.ttlMs) * time.Millisecond}}
}
