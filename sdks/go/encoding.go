package tessera

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

const base64URLAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// decodeBase64URL is core's strict decoder: no padding, only the url alphabet, and canonical (the unused low
// bits of the last character zero), so no two texts decode to the same bytes.
func decodeBase64URL(text string) ([]byte, bool) {
	tail := len(text) % 4
	if tail == 1 {
		return nil, false
	}
	for i := 0; i < len(text); i++ {
		if strings.IndexByte(base64URLAlphabet, text[i]) < 0 {
			return nil, false
		}
	}
	if tail != 0 {
		mask := 0b11
		if tail == 2 {
			mask = 0b1111
		}
		if strings.IndexByte(base64URLAlphabet, text[len(text)-1])&mask != 0 {
			return nil, false
		}
	}
	bytes, err := base64.RawURLEncoding.DecodeString(text)
	return bytes, err == nil
}

func encodeBase64URL(bytes []byte) string { return base64.RawURLEncoding.EncodeToString(bytes) }

// The encodings of the Ed25519 points of small order (the sign bit of the last byte ignored): with such a key a
// crafted signature verifies for any message, so they are never keys (core's crypto.ts).
var smallOrderPoints = []string{
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0100000000000000000000000000000000000000000000000000000000000000",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
}

func isSmallOrderPoint(raw []byte) bool {
	for _, hex := range smallOrderPoints {
		same := true
		for i := 0; i < 32 && same; i++ {
			b := hexByte(hex[2*i:])
			if i == 31 {
				same = b == raw[31]&0x7f
			} else {
				same = b == raw[i]
			}
		}
		if same {
			return true
		}
	}
	return false
}

func hexByte(s string) byte {
	v := func(c byte) byte {
		if c >= 'a' {
			return c - 'a' + 10
		}
		return c - '0'
	}
	return v(s[0])<<4 | v(s[1])
}

// publicKeyFromRaw is a raw 32-byte Ed25519 public key, or nil when the bytes are not a usable key.
func publicKeyFromRaw(raw []byte) ed25519.PublicKey {
	if len(raw) != ed25519.PublicKeySize || isSmallOrderPoint(raw) {
		return nil
	}
	return ed25519.PublicKey(append([]byte(nil), raw...))
}

func sha256Of(parts ...[]byte) []byte {
	hash := sha256.New()
	for _, part := range parts {
		hash.Write(part)
	}
	return hash.Sum(nil)
}

// Crockford base32 (no I, L, O, U), for LMIDs and key ids; each LMID ends in a check symbol computed in GF(32).
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

func symbolValue(r rune) int {
	switch {
	case r == 'O' || r == 'o':
		return 0
	case r == 'I' || r == 'i' || r == 'L' || r == 'l':
		return 1
	case r >= 'a' && r <= 'z':
		r -= 'a' - 'A'
	}
	if r >= 128 {
		return -1
	}
	return strings.IndexRune(crockford, r)
}

func bytesToSymbols(bytes []byte, count int) []int {
	symbols := make([]int, 0, count)
	acc, bits, i := 0, 0, 0
	for len(symbols) < count {
		acc = (acc<<8 | int(bytes[i])) & 0xffff
		i++
		bits += 8
		for bits >= 5 && len(symbols) < count {
			symbols = append(symbols, (acc>>(bits-5))&31)
			bits -= 5
		}
	}
	return symbols
}

func symbolsToText(symbols []int, group int) string {
	var out strings.Builder
	for i, s := range symbols {
		if i > 0 && i%group == 0 {
			out.WriteByte('-')
		}
		out.WriteByte(crockford[s])
	}
	return out.String()
}

var gfExp, gfLog = func() ([31]int, [32]int) {
	var exp [31]int
	var log [32]int
	x := 1
	for i := 0; i < 31; i++ {
		exp[i] = x
		log[x] = i
		x <<= 1
		if x&32 != 0 {
			x ^= 0b100101
		}
	}
	return exp, log
}()

func gfMul(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	return gfExp[(gfLog[a]+gfLog[b])%31]
}

func checkSymbol(data []int) int {
	sum := 0
	for i, v := range data {
		sum ^= gfMul(gfExp[i], v)
	}
	return gfMul(sum, gfExp[(31-len(data))%31])
}

const lmidLength = 16

// deriveLmid is a License Manager's identity from its raw public key and its host fingerprint digest.
func deriveLmid(publicKeyRaw, hostDigest []byte) string {
	data := bytesToSymbols(sha256Of([]byte("tessera/lmid/"), publicKeyRaw, hostDigest), lmidLength-1)
	return symbolsToText(append(data, checkSymbol(data)), 4)
}

// parseLmid reads a typed LMID (forgiving case, spaces, hyphens, O/0 and I/1/L) into its canonical form.
func parseLmid(value any) (string, *failure) {
	text, ok := value.(string)
	if !ok {
		return "", fail(CodeMalformed, "The LMID must be text.")
	}
	var symbols []int
	for _, r := range text {
		if r == '-' || r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			continue
		}
		v := symbolValue(r)
		if v < 0 {
			return "", fail(CodeMalformed, "An LMID uses the digits and the letters A-Z without U.")
		}
		symbols = append(symbols, v)
	}
	if len(symbols) != lmidLength {
		return "", fail(CodeMalformed, "An LMID has 16 characters (four groups of four).")
	}
	if checkSymbol(symbols[:lmidLength-1]) != symbols[lmidLength-1] {
		return "", fail(CodeChecksumMismatch, "This LMID has a typo: its check character does not match.")
	}
	return symbolsToText(symbols, 4), nil
}

// rootKid is the kid of a root key: "r" and 12 Crockford symbols of its SHA-256.
func rootKid(publicKeyRaw []byte) string {
	return "r" + symbolsToText(bytesToSymbols(sha256Of([]byte("tessera/root/"), publicKeyRaw), 12), 12)
}
