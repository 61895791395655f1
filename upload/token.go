package upload

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Token errors are distinct so the subscribe route can tell the user
// whether to ask for a new grant (expired) or that the token is simply not
// theirs (invalid).
var (
	ErrTokenInvalid = errors.New("the subscription token is not valid for this upload")
	ErrTokenExpired = errors.New("the subscription token has expired; request a new upload")
)

// MinKeyBytes is the shortest signing key Signer accepts: a shorter HMAC
// key would be the weakest link of the whole grant.
const MinKeyBytes = 32

// tokenVersion lets the format change without old tokens being misread.
const tokenVersion byte = 1

// Signer issues and verifies subscription tokens. A token is
// base64url(version || expiry || HMAC-SHA256(key, version || expiry || id)):
// self-contained, so verifying needs no storage, and bound to one upload
// id, so a token for one upload never opens another.
type Signer struct {
	key []byte
}

// NewSigner returns a Signer using key, which must come from a secret
// store (Secrets Manager on AWS, a generated file locally), never from the
// repository.
func NewSigner(key []byte) (*Signer, error) {
	if len(key) < MinKeyBytes {
		return nil, fmt.Errorf("token signing key is %d bytes; need at least %d", len(key), MinKeyBytes)
	}
	return &Signer{key: append([]byte(nil), key...)}, nil
}

// Issue returns a token that lets its holder watch upload id until expires.
func (s *Signer) Issue(id string, expires time.Time) string {
	var msg [9]byte
	msg[0] = tokenVersion
	binary.BigEndian.PutUint64(msg[1:], uint64(expires.Unix()))
	return base64.RawURLEncoding.EncodeToString(append(msg[:], s.mac(msg[:], id)...))
}

// Verify checks that token was issued by this signer for upload id and has
// not expired at now.
func (s *Signer) Verify(token, id string, now time.Time) error {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != 9+sha256.Size || raw[0] != tokenVersion {
		return ErrTokenInvalid
	}
	if !hmac.Equal(raw[9:], s.mac(raw[:9], id)) {
		return ErrTokenInvalid
	}
	if expires := time.Unix(int64(binary.BigEndian.Uint64(raw[1:9])), 0); !now.Before(expires) {
		return ErrTokenExpired
	}
	return nil
}

func (s *Signer) mac(header []byte, id string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write(header)
	m.Write([]byte(id))
	return m.Sum(nil)
}
