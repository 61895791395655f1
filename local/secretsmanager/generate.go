package secretsmanager

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strings"

	"thumbflow/local/awsjson"
)

// Generate is GenerateSecretString (CloudFormation) and the parameters of
// GetRandomPassword (API): the character classes a password draws from,
// and its length.
type Generate struct {
	PasswordLength          int
	ExcludeCharacters       string
	ExcludeLowercase        bool
	ExcludeUppercase        bool
	ExcludeNumbers          bool
	ExcludePunctuation      bool
	IncludeSpace            bool
	RequireEachIncludedType *bool
	// SecretStringTemplate and GenerateStringKey put the password into a
	// JSON object under that key (CloudFormation only).
	SecretStringTemplate string
	GenerateStringKey    string
}

// The character classes, as Secrets Manager documents them: punctuation is
// every printable ASCII symbol.
const (
	lowercase   = "abcdefghijklmnopqrstuvwxyz"
	uppercase   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits      = "0123456789"
	punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
)

// defaultPasswordLength is Secrets Manager's default.
const defaultPasswordLength = 32

// password draws a password from rnd as g describes. Each included class
// contributes at least one character unless RequireEachIncludedType is
// false (it defaults to true, as on AWS).
func (g Generate) password(rnd io.Reader) (string, error) {
	n := g.PasswordLength
	if n == 0 {
		n = defaultPasswordLength
	}
	if n < 1 || n > 4096 {
		return "", awsjson.Errorf("InvalidParameterException", "PasswordLength must be between 1 and 4096, not %d", n)
	}
	drop := func(set string) string {
		return strings.Map(func(r rune) rune {
			if strings.ContainsRune(g.ExcludeCharacters, r) {
				return -1
			}
			return r
		}, set)
	}
	var classes []string
	add := func(excluded bool, set string) {
		if set = drop(set); !excluded && set != "" {
			classes = append(classes, set)
		}
	}
	add(g.ExcludeLowercase, lowercase)
	add(g.ExcludeUppercase, uppercase)
	add(g.ExcludeNumbers, digits)
	add(g.ExcludePunctuation, punctuation)
	add(!g.IncludeSpace, " ")
	if len(classes) == 0 {
		return "", awsjson.Errorf("InvalidParameterException", "the exclusions leave no character to generate a password from")
	}
	require := g.RequireEachIncludedType == nil || *g.RequireEachIncludedType
	if require && n < len(classes) {
		return "", awsjson.Errorf("InvalidParameterException", "PasswordLength %d cannot include each of the %d required character types", n, len(classes))
	}
	all := strings.Join(classes, "")
	out := make([]byte, n)
	for i := range out {
		set := all
		if require && i < len(classes) {
			set = classes[i]
		}
		c, err := pick(rnd, len(set))
		if err != nil {
			return "", err
		}
		out[i] = set[c]
	}
	if require {
		// The required characters were drawn first; shuffle them in.
		for i := n - 1; i > 0; i-- {
			j, err := pick(rnd, i+1)
			if err != nil {
				return "", err
			}
			out[i], out[j] = out[j], out[i]
		}
	}
	return string(out), nil
}

func pick(rnd io.Reader, n int) (int, error) {
	v, err := rand.Int(rnd, big.NewInt(int64(n)))
	if err != nil {
		return 0, fmt.Errorf("generating a password: %w", err)
	}
	return int(v.Int64()), nil
}

// secretString is the generated value CloudFormation stores: the password
// itself, or SecretStringTemplate with the password under
// GenerateStringKey.
func (g Generate) secretString(rnd io.Reader) (string, error) {
	pw, err := g.password(rnd)
	if err != nil {
		return "", err
	}
	if g.SecretStringTemplate == "" && g.GenerateStringKey == "" {
		return pw, nil
	}
	if g.SecretStringTemplate == "" || g.GenerateStringKey == "" {
		return "", awsjson.Errorf("InvalidParameterException", "SecretStringTemplate and GenerateStringKey go together")
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(g.SecretStringTemplate), &obj); err != nil {
		return "", awsjson.Errorf("InvalidParameterException", "SecretStringTemplate is not a JSON object: %v", err)
	}
	obj[g.GenerateStringKey] = pw
	b, err := json.Marshal(obj)
	return string(b), err
}
