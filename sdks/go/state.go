package tessera

import (
	"maps"
	"slices"
	"time"
)

// State is what a product knows about its license at a moment.
type State struct {
	// Licensed: Connect, this node holds a seat now; Watch, the license is usable (Normal, Expiring, Grace, or
	// Degraded: the LM is silent and the license's outage grace runs). Status, Code and DaysLeft come from the SDK's
	// own evaluation of the verified license on its clock, never from the License Manager's word.
	Licensed bool
	// Status: NotExist, Syncing, Normal, Expiring, Grace, Expired, Invalid, Unreachable or Degraded.
	Status string
	// Code: a stable code (VALID, EXPIRING, IN_GRACE, EXPIRED, NO_LICENSE, TOO_MANY_NODES, LM_UNREACHABLE, ...).
	Code string
	// Message: a sentence for logs and banners.
	Message string
	// License: the last verified license (kept, not granted, while unlicensed); nil when none was verified.
	License *LicenseInfo
	// DaysLeft: whole days until expiry by this host's clock (negative after it); nil without a license.
	DaysLeft *int
	// Outage: set while Status is Degraded (licensed on the outage grace).
	Outage *Outage
	// Seat: the seat this node holds (Connect only).
	Seat *SeatInfo
}

// Outage says since when the License Manager has been silent and until when the outage grace keeps the license.
type Outage struct {
	Since       time.Time
	GraceEndsAt time.Time
}

// SeatInfo is the seat a node holds. Token is the latest lease token the SDK verified (signed by the LM); a
// controller handed it can check it with VerifySeat without trusting the node.
type SeatInfo struct {
	LeaseID   string
	ExpiresAt string
	Token     string
}

func (s State) copy() State {
	out := s
	if s.License != nil {
		info := *s.License
		info.Features = slices.Clone(info.Features)
		info.Limits = maps.Clone(info.Limits)
		info.Nodes = maps.Clone(info.Nodes)
		out.License = &info
	}
	if s.DaysLeft != nil {
		days := *s.DaysLeft
		out.DaysLeft = &days
	}
	if s.Outage != nil {
		outage := *s.Outage
		out.Outage = &outage
	}
	if s.Seat != nil {
		seat := *s.Seat
		out.Seat = &seat
	}
	return out
}

// changed tells whether a product should hear about it: licensed, status, code, serial, features, limits, nodes.
func changed(a, b State) bool {
	if a.Licensed != b.Licensed || a.Status != b.Status || a.Code != b.Code {
		return true
	}
	if (a.License == nil) != (b.License == nil) {
		return true
	}
	if a.License == nil {
		return false
	}
	return a.License.Serial != b.License.Serial || !slices.Equal(a.License.Features, b.License.Features) ||
		!maps.Equal(a.License.Limits, b.License.Limits) || !maps.Equal(a.License.Nodes, b.License.Nodes)
}
