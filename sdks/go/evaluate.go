package tessera

import (
	"fmt"
	"math"
)

// The statuses a license evaluates to, with the names users know from License Managers; Syncing, Unreachable
// and Degraded are the SDK's own (no license yet, no answer, no answer but inside the outage grace).
const (
	StatusNotExist    = "NotExist"
	StatusSyncing     = "Syncing"
	StatusNormal      = "Normal"
	StatusExpiring    = "Expiring"
	StatusGrace       = "Grace"
	StatusExpired     = "Expired"
	StatusInvalid     = "Invalid"
	StatusUnreachable = "Unreachable"
	StatusDegraded    = "Degraded"
)

const clockToleranceMs = int64(10 * 60_000)

// evaluation is what a license means at a moment (core's evaluate()): pure, time passed in.
type evaluation struct {
	valid    bool
	status   string
	code     string
	detail   string
	daysLeft *int
}

type evaluationContext struct {
	now       int64
	lmid      string
	product   string
	highWater *int64
	// knownSerial: the serial already accepted for this license id; 0 when none.
	knownSerial int64
}

func evaluate(l *license, c evaluationContext) evaluation {
	if l == nil {
		return evaluation{status: StatusNotExist, code: CodeNoLicense, detail: "No license is loaded. Load a license key into the License Manager (tessera-lm load, or its console page)."}
	}
	invalid := func(code, detail string) evaluation {
		return evaluation{status: StatusInvalid, code: code, detail: detail}
	}
	if l.product != c.product {
		return invalid(CodeProductMismatch, fmt.Sprintf("This license is for %s, not for %s.", l.product, c.product))
	}
	if l.lmid != c.lmid {
		return invalid(CodeLmidMismatch, fmt.Sprintf("This license is bound to License Manager %s, but this one is %s; ask the vendor to rebind the license.", l.lmid, c.lmid))
	}
	if c.knownSerial > 0 && l.serial < c.knownSerial {
		return invalid(CodeSuperseded, fmt.Sprintf("This is an older copy (serial %d) of license %s; serial %d is already known.", l.serial, l.id, c.knownSerial))
	}
	now := c.now
	if c.highWater != nil && now < *c.highWater-clockToleranceMs {
		return invalid(CodeClockTampered, fmt.Sprintf("The system clock (%s) is behind a time already seen (%s); it was set back. Correct the clock.", isoString(now), isoString(*c.highWater)))
	}
	if l.issuedAtMs > now+clockToleranceMs {
		return invalid(CodeClockTampered, fmt.Sprintf("The system clock (%s) is behind the time this license was issued. Correct the clock.", isoString(now)))
	}
	if now < l.startsAtMs {
		return invalid(CodeNotYetValid, "This license starts on "+l.startsAt+".")
	}
	untilExpiry := l.expiresAtMs - now
	var daysLeft int
	if untilExpiry > 0 {
		daysLeft = int(math.Ceil(float64(untilExpiry) / float64(dayMs)))
	} else {
		daysLeft = -int(math.Floor(float64(-untilExpiry) / float64(dayMs)))
	}
	expiry := l.expiresAt[:10]
	verdict := func(valid bool, status, code, detail string) evaluation {
		return evaluation{valid: valid, status: status, code: code, detail: detail, daysLeft: &daysLeft}
	}
	if untilExpiry > l.warnDays*dayMs {
		return verdict(true, StatusNormal, CodeValid, fmt.Sprintf("Valid until %s (%d days left).", expiry, daysLeft))
	}
	if untilExpiry > 0 {
		return verdict(true, StatusExpiring, CodeExpiring, fmt.Sprintf("Expires on %s, in %s. Renew it to keep it running.", expiry, plural(daysLeft, "day")))
	}
	graceEnd := l.expiresAtMs + l.graceDays*dayMs
	if now < graceEnd {
		graceLeft := int(math.Ceil(float64(graceEnd-now) / float64(dayMs)))
		return verdict(true, StatusGrace, CodeInGrace, fmt.Sprintf("Expired on %s. Seats keep working for %s more of grace, until %s; then new seats are refused. Renew now.", expiry, plural(graceLeft, "day"), isoDate(graceEnd)))
	}
	return verdict(false, StatusExpired, CodeExpired, fmt.Sprintf("Expired on %s; its %d grace days ended on %s. Renew the license, then sync or load the new key.", expiry, l.graceDays, isoDate(graceEnd)))
}

func evaluationOfFailure(f *failure) evaluation {
	return evaluation{status: StatusInvalid, code: f.code, detail: f.detail}
}

func plural(n int, unit string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", unit)
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
