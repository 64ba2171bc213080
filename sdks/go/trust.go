package tessera

import (
	"crypto/ed25519"
	"fmt"
	"regexp"
	"strings"
)

// Trust is rooted in the product: the vendor's root public key is compiled in, the root signs trust bundles
// (the vendor's signing keys and their states), and a license counts only when the key that signed it is in such
// a bundle. A product never follows root endorsements: it trusts the roots it was built with, no more.

// trustRoot is a vendor root public key as a product holds it.
type trustRoot struct {
	kid string
	key ed25519.PublicKey
}

const rootPrefix = "tessera-root:"

// parseRoot reads "tessera-root:<base64url key>", as `tessera-center trust-root` prints it.
func parseRoot(input string) (trustRoot, *failure) {
	text := strings.TrimSpace(input)
	if !strings.HasPrefix(text, rootPrefix) {
		return trustRoot{}, fail(CodeMalformed, `A trust root must be the text "tessera-root:…" that tessera-center trust-root prints.`)
	}
	raw, ok := decodeBase64URL(text[len(rootPrefix):])
	key := publicKeyFromRaw(raw)
	if !ok || key == nil {
		return trustRoot{}, fail(CodeMalformed, "The trust root is damaged: it is not an Ed25519 public key. Copy it again.")
	}
	return trustRoot{kid: rootKid(raw), key: key}, nil
}

func parseRoots(texts []string) ([]trustRoot, *failure) {
	if len(texts) == 0 {
		return nil, fail(CodeMalformed, "At least one trust root is needed.")
	}
	roots := make([]trustRoot, 0, len(texts))
	for _, text := range texts {
		root, problem := parseRoot(text)
		if problem != nil {
			return nil, problem
		}
		roots = append(roots, root)
	}
	return roots, nil
}

type vendorKey struct {
	kid   string
	state string
	key   ed25519.PublicKey
}

// signedBundle is a trust bundle whose root signature has been checked against the product's roots.
type signedBundle struct {
	serial  int64
	rootKid string
	keys    map[string]vendorKey
}

var kidPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// readSignedBundle reads a root-signed bundle: structure, that one of roots signed it, the signature, then the keys.
func readSignedBundle(input any, roots []trustRoot) (*signedBundle, *failure) {
	env, problem := parseEnvelope(input, "trust")
	if problem != nil {
		return nil, problem
	}
	var root *trustRoot
	for i := range roots {
		if roots[i].kid == env.kid {
			root = &roots[i]
			break
		}
	}
	if root == nil {
		return nil, fail(CodeUntrustedRoot, fmt.Sprintf("This trust bundle is signed by root %s, which is not a root this product was built with: it is not the vendor's.", env.kid))
	}
	if !env.verify(root.key) {
		return nil, fail(CodeSignatureInvalid, "This trust bundle was altered: its signature does not match the vendor's root key.")
	}
	serial, ok := wholeNumber(env.payload["serial"], 1, maxSafeInteger)
	if !ok {
		return nil, fail(CodeMalformed, "The trust bundle is not valid: serial must be a whole number from 1.")
	}
	if _, ok := parseISOTime(env.payload["issuedAt"]); !ok {
		return nil, fail(CodeMalformed, "The trust bundle is not valid: issuedAt must be an ISO 8601 UTC time.")
	}
	keys, problem := readBundleKeys(env.payload["keys"])
	if problem != nil {
		return nil, problem
	}
	return &signedBundle{serial: serial, rootKid: root.kid, keys: keys}, nil
}

func readBundleKeys(value any) (map[string]vendorKey, *failure) {
	list, ok := value.([]any)
	if !ok || len(list) == 0 {
		return nil, fail(CodeMalformed, "The trust bundle lists no keys.")
	}
	if len(list) > 256 {
		return nil, fail(CodeMalformed, "The trust bundle lists too many keys (at most 256).")
	}
	keys := make(map[string]vendorKey, len(list))
	for i, item := range list {
		where := fmt.Sprintf("Trust bundle key #%d", i+1)
		entry, ok := item.(map[string]any)
		if !ok {
			return nil, fail(CodeMalformed, where+" is not an object.")
		}
		kid, ok := entry["kid"].(string)
		if !ok || !kidPattern.MatchString(kid) {
			return nil, fail(CodeMalformed, where+" has no valid kid.")
		}
		if entry["alg"] != "Ed25519" {
			return nil, fail(CodeMalformed, where+" ("+kid+") is not an Ed25519 key.")
		}
		state, _ := entry["state"].(string)
		if state != "active" && state != "retired" && state != "revoked" {
			return nil, fail(CodeMalformed, where+" ("+kid+") has a state other than active, retired or revoked.")
		}
		text, _ := entry["publicKey"].(string)
		raw, ok := decodeBase64URL(text)
		key := publicKeyFromRaw(raw)
		if !ok || key == nil {
			return nil, fail(CodeMalformed, where+" ("+kid+") has no valid Ed25519 public key.")
		}
		if _, twice := keys[kid]; twice {
			return nil, fail(CodeMalformed, "The trust bundle lists kid "+kid+" twice.")
		}
		keys[kid] = vendorKey{kid: kid, state: state, key: key}
	}
	return keys, nil
}

// openVendorDocument opens a vendor-signed document: structure, the signing key's trust, then the signature.
func openVendorDocument(input any, typ string, bundle *signedBundle) (*envelope, *failure) {
	env, problem := parseEnvelope(input, typ)
	if problem != nil {
		return nil, problem
	}
	name := documentNames[typ]
	key, known := bundle.keys[env.kid]
	if !known {
		return nil, fail(CodeUnknownKey, fmt.Sprintf("This %s was signed by a vendor key the trust bundle does not hold (kid %s).", name, env.kid))
	}
	if key.state == "revoked" {
		return nil, fail(CodeKeyRevoked, fmt.Sprintf("This %s was signed by vendor key %s, which has been revoked. Ask the vendor for a new key.", name, env.kid))
	}
	if !env.verify(key.key) {
		return nil, fail(CodeSignatureInvalid, "This "+name+" was altered or damaged: its signature does not match.")
	}
	return env, nil
}
