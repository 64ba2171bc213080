package tessera

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The signed envelope every Tessera document uses (core's envelope.ts): one line
// "tessera-<typ>:<length>.<base64url payload>.<base64url signature>", the Ed25519 signature covering
// "tessera/<typ>/" and the exact payload bytes. The payload is UTF-8 JSON carrying v, kid and typ.

const formatVersion = 1

var documentNames = map[string]string{
	"license": "license key",
	"request": "request code",
	"lease":   "seat lease token",
	"sync":    "License Center sync answer",
	"trust":   "trust bundle",
	"answer":  "License Manager answer",
	"reset":   "clock reset",
	"root":    "root endorsement",
}

type envelope struct {
	typ          string
	kid          string
	payload      map[string]any
	payloadBytes []byte
	signature    []byte
	text         string
}

var (
	docHead    = regexp.MustCompile(`^tessera-([a-z]+):([1-9][0-9]{0,5})$`)
	armorBegin = regexp.MustCompile(`-----BEGIN ([A-Z ]+)-----`)
	armorEnd   = regexp.MustCompile(`-----END ([A-Z ]+)-----`)
	onlineKey  = regexp.MustCompile(`^[0-9A-Za-z]{25}$`)
	lmidLike   = regexp.MustCompile(`^[0-9A-Za-z]{16}$`)
)

const maxDocumentText = 64 * 1024

// jsLength is a text's length as JavaScript counts it (UTF-16 units): core's limits are written in them.
func jsLength(text string) int {
	n := 0
	for _, r := range text {
		n++
		if r >= 0x10000 {
			n++ // a surrogate pair
		}
	}
	return n
}

// isNoise is JavaScript's \s and the zero-width characters web pages add: what copy and paste puts in a key.
func isNoise(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff,
		0x200b, 0x200c, 0x200d, 0x2060:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

func normalizeDocumentText(input string) (string, *failure) {
	text := input
	if strings.Contains(text, "-----BEGIN") {
		if begin := armorBegin.FindStringSubmatchIndex(text); begin != nil {
			end := armorEnd.FindStringIndex(text)
			if end == nil || end[0] < begin[0] {
				label := strings.ToLower(text[begin[2]:begin[3]])
				return "", fail(CodeMalformed, "The "+label+" block has no END line: the copy was cut short. Copy the whole block, from BEGIN to END.")
			}
			text = text[begin[1]:end[0]]
		}
	}
	return strings.Map(func(r rune) rune {
		if isNoise(r) {
			return -1
		}
		return r
	}, text), nil
}

// parseEnvelope parses and structurally checks a document of the expected kind; the signature is not checked.
func parseEnvelope(input any, expected string) (*envelope, *failure) {
	name := documentNames[expected]
	raw, ok := input.(string)
	if !ok {
		return nil, fail(CodeMalformed, "The "+name+" must be text.")
	}
	if jsLength(raw) > maxDocumentText {
		return nil, fail(CodeMalformed, "This is far too long to be a "+name+".")
	}
	text, problem := normalizeDocumentText(raw)
	if problem != nil {
		return nil, problem
	}
	if text == "" {
		return nil, fail(CodeMalformed, "The "+name+" is empty: nothing was pasted.")
	}
	firstDot := strings.IndexByte(text, '.')
	headText := text
	if firstDot >= 0 {
		headText = text[:firstDot]
	}
	head := docHead.FindStringSubmatch(headText)
	if head == nil {
		return nil, notADocument(text, name, expected)
	}
	if firstDot < 0 {
		return nil, fail(CodeMalformed, "The "+name+" is cut short. Copy it again, all of it.")
	}
	typ := head[1]
	if _, known := documentNames[typ]; !known {
		return nil, fail(CodeMalformed, fmt.Sprintf("This is not a %s: \"tessera-%s\" is not a kind of Tessera document.", name, typ))
	}
	if typ != expected {
		return nil, fail(CodeWrongKind, fmt.Sprintf("This is a %s, not a %s.", documentNames[typ], name))
	}
	declared, _ := strconv.Atoi(head[2])
	if length := jsLength(text); length < declared {
		return nil, fail(CodeMalformed, fmt.Sprintf("The %s is cut short (%d of %d characters). Copy it again, all of it.", name, length, declared))
	} else if length > declared {
		return nil, fail(CodeMalformed, fmt.Sprintf("The %s has %d characters more than it should; something else was pasted with it.", name, length-declared))
	}
	parts := strings.Split(text, ".")
	if len(parts) != 3 {
		return nil, fail(CodeMalformed, "The "+name+" is damaged: it should have exactly three parts separated by dots.")
	}
	if len(parts[2]) != 86 {
		return nil, fail(CodeMalformed, fmt.Sprintf("The %s is damaged: its signature has %d characters instead of 86.", name, len(parts[2])))
	}
	payloadBytes, okPayload := decodeBase64URL(parts[1])
	signature, okSignature := decodeBase64URL(parts[2])
	if !okPayload || !okSignature {
		return nil, fail(CodeMalformed, "The "+name+" is damaged: it contains characters that cannot be in a key. Copy it again.")
	}
	var payload any
	if !utf8.Valid(payloadBytes) || json.Unmarshal(payloadBytes, &payload) != nil {
		return nil, fail(CodeMalformed, "The "+name+" is damaged: its contents cannot be read. Copy it again.")
	}
	fields, isObject := payload.(map[string]any)
	if !isObject {
		return nil, fail(CodeMalformed, "The "+name+" is damaged: its contents are not a document.")
	}
	v, isNumber := fields["v"].(float64)
	if !isNumber || !isSafeInteger(v) || v < 1 {
		return nil, fail(CodeMalformed, "The "+name+" has no valid format version.")
	}
	if v != formatVersion {
		return nil, fail(CodeUnsupported, fmt.Sprintf("The %s uses format version %v; this software reads version %d. Upgrade it.", name, v, formatVersion))
	}
	kid, isText := fields["kid"].(string)
	if !isText || kid == "" || jsLength(kid) > 128 {
		return nil, fail(CodeMalformed, "The "+name+" does not name the key that signed it.")
	}
	if fields["typ"] != typ {
		return nil, fail(CodeMalformed, "The "+name+" is inconsistent: its label and its contents name different kinds.")
	}
	return &envelope{typ: typ, kid: kid, payload: fields, payloadBytes: payloadBytes, signature: signature, text: text}, nil
}

func notADocument(text, name, expected string) *failure {
	compact := strings.ReplaceAll(text, "-", "")
	switch {
	case onlineKey.MatchString(compact):
		return fail(CodeWrongKind, "This is an online key (5 groups of 5 characters), not a signed "+name+".")
	case lmidLike.MatchString(compact):
		return fail(CodeWrongKind, "This is an LMID (a License Manager's identity), not a "+name+".")
	case strings.HasPrefix(text, "tessera-"):
		return fail(CodeMalformed, "The "+name+" is damaged at its start: it should begin with \"tessera-"+expected+":\". Copy it again.")
	}
	return fail(CodeMalformed, "This is not a "+name+": a "+name+" begins with \"tessera-"+expected+":\".")
}

// verify checks the envelope's signature: "tessera/<typ>/" and the payload bytes.
func (e *envelope) verify(key ed25519.PublicKey) bool {
	if len(e.signature) != ed25519.SignatureSize || len(key) != ed25519.PublicKeySize {
		return false
	}
	message := append([]byte("tessera/"+e.typ+"/"), e.payloadBytes...)
	return ed25519.Verify(key, message, e.signature)
}

const maxSafeInteger = 9007199254740991

func isSafeInteger(v float64) bool {
	return v == float64(int64(v)) && v >= -maxSafeInteger && v <= maxSafeInteger
}

// wholeNumber is a JSON value that is a whole number from min to max (core's checkWholeNumber).
func wholeNumber(value any, min, max float64) (int64, bool) {
	v, ok := value.(float64)
	if !ok || !isSafeInteger(v) || v < min || v > max {
		return 0, false
	}
	return int64(v), true
}
