package sfn

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode"
)

func pageSize(n int) (int, error) {
	switch {
	case n == 0:
		return 100, nil
	case n < 0 || n > 1000:
		return 0, apiErr("ValidationException", "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000", n)
	}
	return n, nil
}

// Page tokens name the last item returned, so that items added meanwhile
// neither repeat nor vanish. A token is only valid for the listing it came
// from.
func encodeToken(scope, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(scope + "\x00" + key))
}

func decodeToken(tok, scope string, after func(key string) int) (int, error) {
	if tok == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	sc, key, ok := strings.Cut(string(b), "\x00")
	if err != nil || !ok || sc != scope {
		return 0, apiErr("InvalidToken", "Invalid Token: '%s'", tok)
	}
	return after(key), nil
}

// validName applies the naming rules AWS has for state machines and
// executions.
func validName(name string) error {
	if name == "" || len([]rune(name)) > 80 {
		return apiErr("InvalidName", "Invalid Name: '%s' (a name has 1 to 80 characters)", name)
	}
	for _, r := range name {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r) {
			return apiErr("InvalidName", "Invalid Name: '%s'", name)
		}
	}
	return nil
}

// checkARN checks the shape arn:partition:states:region:account:kind:...
// with the given number of parts.
func checkARN(arn, kind string, parts int) error {
	p := strings.Split(arn, ":")
	if arn == "" {
		return apiErr("InvalidArn", "Invalid Arn: 'Resource type not valid in this context'")
	}
	if len(p) < 6 || p[0] != "arn" || p[2] != "states" {
		return apiErr("InvalidArn", "Invalid Arn: '%s'", arn)
	}
	if p[5] != kind || len(p) != parts {
		return apiErr("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: %s'", p[5])
	}
	return nil
}

func nameFromARN(arn string) string {
	return arn[strings.LastIndexByte(arn, ':')+1:]
}

func newUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// validAccount reports whether id is an AWS account id: 12 digits.
func validAccount(id string) bool {
	if len(id) != 12 {
		return false
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
