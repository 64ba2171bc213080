package tessera

import (
	"context"
	"fmt"
	"strings"
)

// VerifySeatOptions: the License Manager to ask and the token a node handed over.
type VerifySeatOptions struct {
	Options
	// Token: the lease token the node holds (its State.Seat.Token).
	Token string
}

// SeatVerdict is what VerifySeat found. OK: the node holds a seat at that LM under the license it holds now;
// else Code and Message say why not.
type SeatVerdict struct {
	OK        bool
	Code      string
	Message   string
	LeaseID   string
	Role      string
	NodeID    string
	ExpiresAt string
	LMID      string
	LicenseID string
	Serial    int64
}

// VerifySeat is for a controller that is handed a node's seat token and wants to know, without trusting the node,
// that the node holds a seat: it reads the LM's license with a fresh nonce and verifies it as Connect does, then
// checks the token (signed by that LM's key, for this product, under the license verified, not expired). It never
// returns an error: bad options answer BAD_OPTIONS, an LM that cannot be asked LM_UNREACHABLE (or UNAUTHORIZED), a
// token that does not verify LEASE_TOKEN_INVALID, a license that does not verify or is unusable its own code.
func VerifySeat(ctx context.Context, options VerifySeatOptions) SeatVerdict {
	checked, problem := checkOptions(options.Options, 0)
	if problem != nil {
		return SeatVerdict{Code: problem.Code, Message: problem.Message}
	}
	if options.Token == "" || len(options.Token) > 16384 {
		return SeatVerdict{Code: CodeBadOptions, Message: "Tessera SDK: Token must be the seat token a node holds (State.Seat.Token)."}
	}
	a := newAddresses(checked)
	defer a.close()
	code := CodeLMUnreachable
	var whys []string
	for _, client := range a.inOrder() {
		view := askLicense(ctx, client, checked.product, checked.roots, checked.clock)
		switch {
		case view.failed != nil:
			return SeatVerdict{Code: view.failed.code, Message: view.failed.detail}
		case view.verified == nil:
			if view.code == CodeUnauthorized {
				code = CodeUnauthorized
			}
			whys = append(whys, client.url+": "+view.detail)
			continue
		}
		v := view.verified
		if v.ref == nil || !v.evaluation.valid {
			return SeatVerdict{Code: v.evaluation.code, Message: fmt.Sprintf("No seat at the License Manager at %s is licensed: %s", client.url, v.evaluation.detail)}
		}
		facts, problem := verifyLeaseToken(options.Token, expectedToken{
			identity: v.identity, fields: map[string]string{"product": checked.product}, license: *v.ref, now: checked.clock.Now().UnixMilli(),
		})
		if problem != nil {
			return SeatVerdict{Code: problem.code, Message: "The seat token does not verify: " + problem.detail}
		}
		return SeatVerdict{
			OK: true, LeaseID: facts.leaseID, Role: facts.role, NodeID: facts.nodeID, ExpiresAt: facts.expiresAt,
			LMID: facts.lmid, LicenseID: facts.licenseID, Serial: facts.serial,
		}
	}
	return SeatVerdict{Code: code, Message: fmt.Sprintf("The License Manager at %s cannot be asked (%s), so the seat token cannot be checked.", a.describe(), strings.Join(whys, "; "))}
}
