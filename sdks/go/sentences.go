package tessera

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The states a round leads to, and their sentences (packages/sdk/src/state.ts, seat-state.ts, outage.ts).

var usable = []string{StatusNormal, StatusExpiring, StatusGrace}

// factsOf is the license part of a state: the verified license and the SDK's own daysLeft.
func factsOf(v *verifiedLicense) State {
	if v == nil || v.info == nil {
		return State{}
	}
	info := *v.info
	return State{License: &info, DaysLeft: v.evaluation.daysLeft}
}

// statusOfRefusal: the license's own status when the refusal is about seats (or the license is unusable), else
// the status the code means.
func statusOfRefusal(code, licenseStatus string) string {
	seatCode := code == CodeTooManyNodes || code == CodeRoleNotLicensed || code == CodeNodeIDInUse
	if licenseStatus != "" && (seatCode || !slices.Contains(usable, licenseStatus)) {
		return licenseStatus
	}
	switch code {
	case CodeExpired:
		return StatusExpired
	case CodeNoLicense:
		return StatusNotExist
	case CodeLMUnreachable:
		return StatusUnreachable
	}
	return StatusInvalid
}

// hintFor is what a person can do about a refusal.
func hintFor(code string) string {
	switch code {
	case CodeTooManyNodes:
		return "Stop a node of this role, or ask the vendor for a license with more nodes."
	case CodeRoleNotLicensed:
		return "Check the node's role, or ask the vendor for a license that includes it."
	case CodeNoLicense:
		return "Load a license key into the License Manager (tessera-lm load, or its console page)."
	case CodeExpired, CodeInGrace:
		return "Renew the license and load (or sync) the new key."
	case CodeProductMismatch:
		return "Point this product at the License Manager that holds its license."
	case CodeLmidMismatch:
		return "The license must be bound to this License Manager; ask the vendor to rebind it."
	case CodeLeaseTokenInvalid:
		return "Check that the address is your own License Manager and that nothing between them alters its answers."
	case CodeUnknownKey, CodeKeyRevoked:
		return "Check that the License Manager has the vendor's current trust file (tessera-center trust-bundle) and that the key was not altered."
	case CodeSignatureInvalid, CodeStaleAnswer:
		return "Check that the address is your own License Manager and that nothing between them alters or replays its answers."
	case CodeUntrustedRoot:
		return "The product accepts only licenses vouched for by the vendor's root it was built with: give the License Manager the vendor's trust file (tessera-center trust-bundle), and a license the vendor issued."
	case CodeUnauthorized:
		return "Pass the seat secret of the License Manager (seats.secret in its YAML) as the Secret option."
	}
	return ""
}

// The License Manager's own sentences already advise this, by code: not repeated.
var lmAdvice = map[string]*regexp.Regexp{
	CodeTooManyNodes: regexp.MustCompile(`(?i)add nodes to the license`),
	CodeExpired:      regexp.MustCompile(`(?i)renew the license`),
	CodeNoLicense:    regexp.MustCompile(`(?i)load a license key`),
}

func hintUnlessGiven(code, message string) string {
	if advice, ok := lmAdvice[code]; ok && advice.MatchString(message) {
		return ""
	}
	return hintFor(code)
}

func sentence(parts ...string) string {
	kept := parts[:0:0]
	for _, part := range parts {
		if part = strings.TrimSpace(part); part != "" {
			kept = append(kept, part)
		}
	}
	return strings.Join(kept, " ")
}

func nodeLabel(product, role, nodeID string) string {
	return fmt.Sprintf("%s node %q (role %s)", product, nodeID, role)
}

func hours(grace time.Duration) string { return plural(int(grace/time.Hour), "hour") }

// unreachableState: no answer for longer than the last one may stand; the license facts shown before are kept.
func unreachableState(where, detail string, previous State) State {
	return State{
		Licensed: false, Status: StatusUnreachable, Code: CodeLMUnreachable, License: previous.copy().License, DaysLeft: previous.copy().DaysLeft,
		Message: fmt.Sprintf("The License Manager at %s cannot be reached (%s). Check that tessera-lm is running and reachable from this host; licensing resumes as soon as it answers.", where, detail),
	}
}

// degradedState: still licensed on the outage grace, heard last at since.
func degradedState(base State, where, detail, who string, since time.Time, grace time.Duration) State {
	state := base
	state.Licensed = true
	state.Status = StatusDegraded
	state.Code = CodeLMUnreachable
	state.Outage = &Outage{Since: since.UTC(), GraceEndsAt: since.Add(grace).UTC()}
	state.Message = fmt.Sprintf("The License Manager at %s has not answered since %s (%s). %s under the license's outage grace of %s, until %s at the latest. Check that tessera-lm is running and reachable from this host; all is normal again as soon as it answers.",
		where, state.Outage.Since.Format(time.RFC3339), detail, who, hours(grace), state.Outage.GraceEndsAt.Format(time.RFC3339))
	return state
}
