package tessera

import (
	"fmt"
	"regexp"
	"strings"
)

// license is a license document whose signature and fields have been checked (core's license.ts).
type license struct {
	id               string
	serial           int64
	product          string
	nodes            map[string]int
	limits           map[string]int
	features         []string
	issuedAtMs       int64
	startsAtMs       int64
	expiresAtMs      int64
	startsAt         string
	expiresAt        string
	warnDays         int64
	graceDays        int64
	lmid             string
	outageGraceHours int
}

var (
	licenseID   = regexp.MustCompile(`^lic_[A-Za-z0-9_-]{1,64}$`)
	namePattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
	controlChar = regexp.MustCompile("[\u0000-\u001f\u007f]")
)

const (
	maxCount         = 1_000_000
	maxOutageGraceHr = 2160
)

// readLicense reads a license document with a verified trust bundle: structure, vendor key, signature, fields.
func readLicense(input any, bundle *signedBundle) (*license, *failure) {
	env, problem := openVendorDocument(input, "license", bundle)
	if problem != nil {
		return nil, problem
	}
	l, why := licenseFields(env.payload)
	if why != "" {
		return nil, fail(CodeMalformed, "The license is not valid: "+why)
	}
	return l, nil
}

func licenseFields(p map[string]any) (*license, string) {
	id, _ := p["id"].(string)
	if !licenseID.MatchString(id) {
		return nil, "its id must look like lic_..."
	}
	serial, ok := wholeNumber(p["serial"], 1, maxSafeInteger)
	if !ok {
		return nil, "serial must be a whole number from 1."
	}
	product, _ := p["product"].(string)
	if !namePattern.MatchString(product) {
		return nil, "product must be a lowercase name."
	}
	customer, ok := p["customer"].(map[string]any)
	if !ok {
		return nil, "customer must be an object with id and name."
	}
	if why := checkText(customer["id"], "customer id", 100); why != "" {
		return nil, why
	}
	if why := checkText(customer["name"], "customer name", 200); why != "" {
		return nil, why
	}
	if p["type"] != "NODE" {
		return nil, "type must be NODE."
	}
	nodes, why := counts(p["nodes"], "nodes", false)
	if why != "" {
		return nil, why
	}
	limits, why := counts(p["limits"], "limits", true)
	if why != "" {
		return nil, why
	}
	features, why := featureList(p["features"])
	if why != "" {
		return nil, why
	}
	warnDays, okWarn := wholeNumber(p["warnDays"], 0, 3650)
	graceDays, okGrace := wholeNumber(p["graceDays"], 0, 3650)
	if !okWarn || !okGrace {
		return nil, "warnDays and graceDays must be whole numbers from 0 to 3650."
	}
	if p["mode"] != "online" && p["mode"] != "offline" {
		return nil, "mode must be online or offline."
	}
	outageGrace := int64(0)
	if value, given := p["outageGraceHours"]; given {
		if outageGrace, ok = wholeNumber(value, 0, maxOutageGraceHr); !ok {
			return nil, "outageGraceHours must be a whole number from 0 to 2160."
		}
	}
	lmid, problem := parseLmid(p["lmid"])
	if problem != nil || lmid != p["lmid"] {
		return nil, "it is not bound to a valid LMID."
	}
	issued, okIssued := parseISOTime(p["issuedAt"])
	starts, okStarts := parseISOTime(p["startsAt"])
	expires, okExpires := parseISOTime(p["expiresAt"])
	if !okIssued || !okStarts || !okExpires {
		return nil, "issuedAt, startsAt and expiresAt must be ISO 8601 UTC times (2026-11-24T00:00:00Z)."
	}
	if expires <= starts {
		return nil, "expiresAt must be after startsAt."
	}
	return &license{
		id: id, serial: serial, product: product, nodes: nodes, limits: limits, features: features,
		issuedAtMs: issued, startsAtMs: starts, expiresAtMs: expires,
		startsAt: p["startsAt"].(string), expiresAt: p["expiresAt"].(string),
		warnDays: warnDays, graceDays: graceDays, lmid: lmid, outageGraceHours: int(outageGrace),
	}, ""
}

func checkText(value any, what string, max int) string {
	text, ok := value.(string)
	switch {
	case !ok:
		return what + " must be text."
	case strings.TrimSpace(text) == "":
		return what + " is required."
	case jsLength(text) > max:
		return fmt.Sprintf("%s is too long (at most %d characters).", what, max)
	case controlChar.MatchString(text):
		return what + " contains control characters."
	}
	return ""
}

func counts(value any, what string, allowEmpty bool) (map[string]int, string) {
	object, ok := value.(map[string]any)
	if !ok {
		return nil, what + " must be an object of names to numbers."
	}
	if !allowEmpty && len(object) == 0 {
		return nil, what + " must name at least one entry."
	}
	if len(object) > 64 {
		return nil, what + " has too many entries (at most 64)."
	}
	out := make(map[string]int, len(object))
	for name, count := range object {
		n, ok := wholeNumber(count, 0, maxCount)
		if !namePattern.MatchString(name) || !ok {
			return nil, fmt.Sprintf("%s must map lowercase names to whole numbers from 0 to %d.", what, maxCount)
		}
		out[name] = int(n)
	}
	return out, ""
}

func featureList(value any) ([]string, string) {
	list, ok := value.([]any)
	if !ok {
		return nil, "features must be a list of names."
	}
	if len(list) > 64 {
		return nil, "features has too many entries (at most 64)."
	}
	out := make([]string, 0, len(list))
	seen := map[string]bool{}
	for _, item := range list {
		name, ok := item.(string)
		if !ok || !namePattern.MatchString(name) {
			return nil, "features must be lowercase names."
		}
		if seen[name] {
			return nil, "features lists a name twice."
		}
		seen[name] = true
		out = append(out, name)
	}
	return out, ""
}
