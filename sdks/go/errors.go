package tessera

// Codes of the SDK's refusals and of the license states it reports; the full list with what each means is
// docs/codes.md of the Tessera repository. Codes are stable: they never change meaning or spelling.
const (
	CodeValid             = "VALID"
	CodeExpiring          = "EXPIRING"
	CodeInGrace           = "IN_GRACE"
	CodeExpired           = "EXPIRED"
	CodeNotYetValid       = "NOT_YET_VALID"
	CodeNoLicense         = "NO_LICENSE"
	CodeSignatureInvalid  = "SIGNATURE_INVALID"
	CodeMalformed         = "MALFORMED"
	CodeUnsupported       = "UNSUPPORTED_VERSION"
	CodeChecksumMismatch  = "CHECKSUM_MISMATCH"
	CodeUnknownKey        = "UNKNOWN_KEY"
	CodeKeyRevoked        = "KEY_REVOKED"
	CodeLmidMismatch      = "LMID_MISMATCH"
	CodeProductMismatch   = "PRODUCT_MISMATCH"
	CodeClockTampered     = "CLOCK_TAMPERED"
	CodeSuperseded        = "SUPERSEDED"
	CodeWrongKind         = "WRONG_KIND"
	CodeTooManyNodes      = "TOO_MANY_NODES"
	CodeRoleNotLicensed   = "ROLE_NOT_LICENSED"
	CodeLeaseNotFound     = "LEASE_NOT_FOUND"
	CodeUnauthorized      = "UNAUTHORIZED"
	CodeLMUnreachable     = "LM_UNREACHABLE"
	CodeLeaseTokenInvalid = "LEASE_TOKEN_INVALID"
	CodeBadOptions        = "BAD_OPTIONS"
	CodeNodeIDInUse       = "NODE_ID_IN_USE"
	CodeUntrustedRoot     = "UNTRUSTED_ROOT"
	CodeStaleAnswer       = "STALE_ANSWER"
)

// Error is the SDK's one error type: Connect without a seat, bad options, or a License Manager that cannot be
// trusted. Code is stable (see the constants above); Message is a sentence naming what to do. Use errors.As to
// read it:
//
//	var refused *tessera.Error
//	if errors.As(err, &refused) && refused.Code == tessera.CodeTooManyNodes { ... }
type Error struct {
	Code    string
	Message string
	// State is the license state when the refusal came from the License Manager's answers; nil for bad options.
	State *State
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// failure is a check that did not pass: a code and a sentence, as core's Failure.
type failure struct {
	code   string
	detail string
}

func fail(code, detail string) *failure { return &failure{code: code, detail: detail} }
